"""Exact distributed spectral embedding: the driver side of ``embed.py --method spectral``.

graphembed.spectral's Chebyshev-filtered subspace iteration as Spark stages, one task per
partition each (the task bodies: :mod:`graphembed.distributed.spectral_exchange`):

* once: the exchange files of exact FastRP (arcs sorted by target key, here weighted by the
  normalised adjacency, and each partition's fan-out), then the start block (``initial``);
* per round, ``degree`` products of the Chebyshev recurrence and one product ``S·X`` for
  Rayleigh–Ritz; each product reads the block its predecessor wrote (owned rows and ghosts,
  through files, never Spark's shuffle) and returns ``b`` float64 sums (the rank-one
  regularisation of the next product), the Ritz product also ``XᵀX`` and ``Xᵀ(S·X)``;
* the driver adds the partitions' sums — each task writes its own to a small file — in partition
  order, one partition at a time, solves the ``b × b`` eigenproblem
  (graphembed.spectral's own code) and hands its map to the next round's first product, which
  applies it to every row it reads;
* two light stages at the end: the column signs (a sum of cubes), then the embedding rows (and,
  with the degree channel, its moments and the rows it shifts).

Time per product O(arcs·b + rows exchanged·b) over the tasks, plus O(P·b² + b³) on the driver
per round for P partitions; memory per task two owned × b float32 buffers plus a chunk of rows
read and a batch of arcs; on the driver a few b × b float64 matrices. ``b = dim + 1 +
oversampling``.
"""

from __future__ import annotations

import functools
import time


def spectral_embedding(spark, graph_dir, assign, work, *, dim, seed, params, num_nodes,
                       directed, timings):
    """Exact distributed spectral; returns ``node, embedding`` (not yet written) and stats.
    Equals graphembed.spectral on the same graph up to float rounding (the order of the global
    sums); byte-identical on rerun with the same partitioning."""
    import numpy as np

    from graphembed import distributed as D
    from graphembed.spectral import _MIN_CUT, _ritz
    from spark_jobs import common
    from spark_jobs.embed import _by_task, _collect, _fault, exchange_setup

    if directed:
        raise ValueError("--method spectral embeds the symmetrised graph; clean it without "
                         "--directed")
    settings = D.spectral_settings(params, dim=dim, random_state=seed, num_nodes=num_nodes)
    b = settings["b"]
    t0 = time.perf_counter()
    ex = exchange_setup(spark, graph_dir, assign, f"{work}/spectral", num_nodes=num_nodes,
                        normalised_alpha=settings["alpha"])
    owned_counts, slots = ex["owned_counts"], ex["slots"]
    arcs = D.PartFileReader(ex["arc_dir"], ex["arc_counts"])
    fanout = D.PartFileReader(ex["fan_dir"], ex["fan_counts"])
    layout = D.SpectralLayout(f"{work}/spectral/exchange")
    timings["spectral_ghosts"] = time.perf_counter() - t0

    parts = spark.createDataFrame([(int(p),) for p in sorted(owned_counts)], "part int")
    tasks = _by_task(parts, slots)
    fs, _ = D._filesystem(layout.directory)
    part_ids = sorted(owned_counts)

    def run(name, body, source, stats_name, length):
        """Run one stage; returns its sections by destination and the partitions' sums added
        in partition order (read from the files the tasks wrote, never collected)."""
        rows = _collect(source.mapInArrow(_fault(spark, name, body, 1), D.SPECTRAL_INDEX_SCHEMA),
                        f"{work}/spectral/{stats_name}")
        total = D.read_stats(layout.stats(stats_name), part_ids, length)
        if not np.isfinite(total).all():
            raise FloatingPointError("the spectral iteration produced non-finite values; raise "
                                     "regularization or lower degree")
        return D.index_by_dest(rows), total

    def drop(*dirs):
        for d in dirs:
            fs.delete_dir_contents(D._filesystem(d)[1], missing_dir_ok=True)

    t0 = time.perf_counter()
    init = functools.partial(D.spectral_initial, settings=settings, layout=layout,
                             fanout=fanout)
    index, sums = run("initial", init, _by_task(ex["nodes"].drop("arcs"), slots), "initial", b)
    timings["spectral_initial"] = time.perf_counter() - t0

    stage, rotate, cut, products = 1, None, 0.0, 0
    ratio = settings["ratio"]
    for r in range(settings["rounds"]):
        t0 = time.perf_counter()
        e, c = (cut + 1.0) / 2.0, (cut - 1.0) / 2.0
        coefs = [(1.0 / e, -c / e, 0.0)] + [(2.0 / e, -2.0 * c / e, -1.0)] * \
            (settings["degree"] - 1)
        for k, (a, bb, g) in enumerate(coefs):
            shared = spark.sparkContext.broadcast(index)
            step = functools.partial(
                D.spectral_step, settings=settings, stage=stage, layout=layout, index=shared,
                owned_counts=owned_counts, arcs=arcs, fanout=fanout, a=a, bb=bb, g=g,
                t=ratio * sums, rotate=rotate,
                keep_previous=k + 1 < len(coefs))  # the next product's T (none for the last)
            index, sums = run("product", step, tasks, f"product{stage}", b)
            shared.unpersist()
            drop(layout.vectors(stage), layout.previous(stage), layout.stats(f"product{stage}"))
            stage, rotate, products = stage + 1, None, products + 1
        # Rayleigh-Ritz: S·X for the block the last product wrote (kept: the next round reads it)
        shared = spark.sparkContext.broadcast(index)
        ritz = functools.partial(
            D.spectral_step, settings=settings, stage=stage, layout=layout, index=shared,
            owned_counts=owned_counts, arcs=arcs, fanout=None, a=1.0, bb=0.0, g=0.0,
            t=ratio * sums, ritz=True)
        _, total = run("ritz", ritz, tasks, f"ritz{stage}", b + 2 * b * b)
        shared.unpersist()
        products += 1
        sx, G, B = total[:b], total[b:b + b * b].reshape(b, b), total[b + b * b:].reshape(b, b)
        lam, M = _ritz(G, B)
        rotate = M.astype(np.float32)
        sums = sx @ M  # Σ d^{-1/2}·(X·M), the next product's rank-one term
        cut = max(float(lam[-1]), _MIN_CUT)
        timings[f"spectral_round{r + 1}"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    shared = spark.sparkContext.broadcast(index)
    signs_body = functools.partial(D.spectral_signs, settings=settings, stage=stage,
                                   layout=layout, index=shared, owned_counts=owned_counts,
                                   rotate=rotate)
    _, cubes = run("signs", signs_body, tasks, "signs", b)
    keep = slice(1, dim + 1)
    signs = np.sign(cubes[keep])
    signs[signs == 0] = 1.0
    lam_kept = lam[keep]
    p = settings["eigenvalue_power"]
    weights = np.power(np.maximum(lam_kept, 0.0), p) if p > 0 else np.ones(dim)
    finish = functools.partial(D.spectral_finish, settings=settings, stage=stage,
                               layout=layout, index=shared, owned_counts=owned_counts,
                               rotate=rotate, col_scale=(signs * weights).astype(np.float32))
    out = common.write_read(
        tasks.mapInArrow(_fault(spark, "finish", finish, 1), D.SPECTRAL_FINISH_SCHEMA),
        f"{work}/spectral/embedding")
    shared.unpersist()
    # the degree channel: column and log-degree moments of the rows, summed over partitions
    _, _, channel = D.finish_parameters(
        lambda center: [r.asDict() for r in out.mapInArrow(
            functools.partial(D.moments_batches, dim=dim, center=center, column="embedding"),
            D.MOMENTS_SCHEMA).collect()], settings={**settings, "standardize": False})
    if channel is None:
        out = out.select("node", "embedding")
    else:
        out = out.mapInArrow(functools.partial(D.finish_batches, dim=dim, channel=channel,
                                               column="embedding"), D.SPECTRAL_OUTPUT_SCHEMA)
    timings["spectral_finish"] = time.perf_counter() - t0
    return out, {"settings": settings, "ghost_pairs": int(sum(ex["fan_counts"].values())),
                 "products": products, "eigenvalues": [float(x) for x in lam_kept]}
