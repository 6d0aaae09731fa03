"""Embed a graph with Spark: clean, partition, embed per partition, write Parquet + _meta.json.

    spark-submit spark_jobs/embed.py --edges PATH --out DIR --method fastrp --partitions 8 \\
        [--dim 128 --seed 0 -p iteration_weights=0,0,1,6.67 ...]

``--method fastrp`` is exact: every node's random row comes from (seed, its key) and each
propagation step is one exchange of boundary vectors (the ghost table lists each (node, partition)
pair once); the result equals graphembed.fastrp on the same graph and seed up to float rounding.
``--method spectral`` is exact too (spark_jobs/spectral_exact.py): graphembed.spectral's
subspace iteration, each sparse product one such exchange, each ``b × b`` Gram matrix a sum of
the partitions' blocks; it equals graphembed.spectral up to float rounding (``--mode aligned``
runs it per subgraph instead).
Any other registered method (e.g. ``irwe``, ``orbits``) runs on each partition's subgraph with its
halo and replicated anchors, then the partitions are rotated onto one coordinate system by
orthogonal Procrustes (``--mode aligned``), or fused DistNE-style (``--mode distne``: internal
embedding beside a border-level embedding). The IRWE methods default to ``--mode landmarks``:
the partitions ship the statistics of about ``--landmarks`` sampled nodes, the driver fits the
identity PCA and position SVD on them once, and every partition maps its owned nodes into that
one basis (no alignment needed).

Output ``DIR``: Parquet ``node_id, embedding array<float>`` (``node_id`` long, or string for string
ids), ``_mapping/`` for string ids, ``_meta.json`` last. The directory appears only when the job
succeeds (built in a hidden temporary sibling, then renamed). ``_meta.json`` records the
parameters as given (``params``) and every effective setting of the method, resolved defaults
included (``settings``, see ``graphembed.methods.Method.settings``), beside ``dim``,
``random_state`` and ``num_threads``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spark_jobs import clean, common, partition  # noqa: E402
from spark_jobs.halo import _member_arcs, _members  # noqa: E402,F401

FAIL_CONF = "spark.graphembed.injectFailure"
MARKER_CONF = "spark.graphembed.injectFailureMarker"


# ------------------------------------------------------------------------------ fault injection
METRICS_CONF = "spark.graphembed.taskMetrics"


def _fault(spark, stage, func, arity):
    """``func`` wrapped for fault injection and, optionally, per-task metrics.

    ``spark.graphembed.injectFailure=stage:once`` fails every task's first attempt of ``stage``
    (Spark retries it), ``stage:always`` every attempt, ``stage:mid`` every task's first attempt
    of a ``mapInArrow`` stage mid-way — after ``func`` has taken its first input batch and asks
    for the next (so a writer has a file half written): the tests use them to show that retries
    give identical output and that a failed job publishes nothing.
    ``spark.graphembed.taskMetrics=DIR`` (benchmarks, local file systems) appends one JSON line per
    call to ``DIR``: stage, CPU seconds, tracemalloc peak of the Python side (numpy arrays and
    Python objects), rows in, and the Python worker's lifetime peak RSS and Arrow pool. Without
    either setting, ``func`` is returned unchanged.
    """
    spec = spark.conf.get(FAIL_CONF, "") or ""
    metrics = spark.conf.get(METRICS_CONF, "") or ""
    failing = bool(spec) and spec.split(":")[0] == stage
    if not failing and not metrics:
        return func
    mode = spec.split(":", 1)[1] if ":" in spec else "once"
    marker = spark.conf.get(MARKER_CONF, "") or ""

    def check():
        import os

        from pyspark import TaskContext

        if not failing:
            return
        ctx = TaskContext.get()
        attempt = ctx.attemptNumber() if ctx else 0
        if mode == "always" or attempt == 0:
            if marker:
                os.makedirs(marker, exist_ok=True)
                name = f"{stage}-p{ctx.partitionId() if ctx else 0}-a{attempt}-{os.getpid()}"
                open(os.path.join(marker, name), "w").close()
            raise RuntimeError(f"injected failure in stage {stage!r} (attempt {attempt})")

    def measured(*args):
        if not metrics:
            return func(*args)
        import json
        import os
        import resource
        import time as _time
        import tracemalloc

        import pyarrow as pa

        streamed = [0]

        def counting(batches):
            for b in batches:
                streamed[0] += b.num_rows
                yield b

        def record(cpu, peak, rows):
            os.makedirs(metrics, exist_ok=True)
            with open(os.path.join(metrics, f"{os.getpid()}.jsonl"), "a") as fh:
                fh.write(json.dumps({
                    "stage": stage, "cpu_s": cpu, "peak_mb": peak / 2**20, "input_rows": rows,
                    # the Python worker's lifetime peaks (a worker runs several tasks)
                    "worker_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "worker_arrow_peak_mb": pa.default_memory_pool().max_memory() / 2**20,
                }) + "\n")

        if len(args) == 1 and hasattr(args[0], "__next__"):
            # mapInArrow: count the batches as they stream in, hand each output on as it comes
            def streaming():
                tracemalloc.start()
                t0 = _time.process_time()
                yield from func(counting(args[0]))
                cpu = _time.process_time() - t0
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                record(cpu, peak, streamed[0])

            return streaming()
        tracemalloc.start()
        t0 = _time.process_time()
        result = func(*args)
        cpu = _time.process_time() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        record(cpu, peak, sum(getattr(a, "num_rows", 0) for a in args))
        return result

    if arity == 1 and mode == "mid":
        def wrapped(a):
            return measured(_failing_mid_task(a, stage, marker) if failing else a)
    elif arity == 1:
        def wrapped(a):
            check()
            return measured(a)
    else:
        def wrapped(a, b):
            check()
            return measured(a, b)
    return wrapped


def _failing_mid_task(batches, stage, marker):
    """The batches of a first attempt, failing when the second is asked for (later attempts:
    unchanged)."""
    import os

    from pyspark import TaskContext

    ctx = TaskContext.get()
    attempt = ctx.attemptNumber() if ctx else 0
    if attempt > 0:
        yield from batches
        return
    for i, batch in enumerate(batches):
        if i:
            break
        yield batch
    if marker:
        os.makedirs(marker, exist_ok=True)
        name = f"{stage}-p{ctx.partitionId() if ctx else 0}-a{attempt}-mid-{os.getpid()}"
        open(os.path.join(marker, name), "w").close()
    raise RuntimeError(f"injected failure in stage {stage!r} mid-task (attempt {attempt})")


@contextlib.contextmanager
def _arrow_batch_rows(spark, rows):
    """Arrow batches of at most ``rows`` rows between Spark and the Python workers while the job
    runs: a ``mapInArrow`` task then holds one bounded batch (the FastRP stream passes through a
    task a batch at a time), whatever the size of its partition."""
    conf = "spark.sql.execution.arrow.maxRecordsPerBatch"
    previous = spark.conf.get(conf, None)
    spark.conf.set(conf, str(int(rows)))
    try:
        yield
    finally:
        if previous is None:
            spark.conf.unset(conf)
        else:
            spark.conf.set(conf, previous)


# ------------------------------------------------------------------------------ FastRP
#: Up to this many nodes, FastRP's arc pass broadcasts the node table (id, partition, row:
#: about 24 bytes a node in each executor's JVM, ≈ 200 MB at the limit) to join it with the
#: arcs and the ghosts, instead of shuffling 2·edges arcs and the targets for the joins.
BROADCAST_NODES = 1 << 23

def _task_slots(spark, parts):
    """``part, slot``: an int per graph partition whose Spark hash bucket (Murmur3, as
    ``repartition(len(parts), "slot")`` computes it) is the partition's rank, so every graph
    partition gets a task of its own. Hashing ``part`` itself would put several partitions in one
    task and leave others empty (11 of 20 tasks busy at 10⁷ edges), and that task's time and
    memory would grow with them."""
    from pyspark.sql import functions as F

    n = len(parts)
    found = (spark.range(64 * n + 64).select(F.col("id").cast("int").alias("slot"))
             .withColumn("bucket", F.pmod(F.hash("slot"), F.lit(n)))
             .groupBy("bucket").agg(F.min("slot").alias("slot")).collect())
    slot_of = {r["bucket"]: r["slot"] for r in found}
    if len(slot_of) < n:
        raise RuntimeError(f"found hash slots for {len(slot_of)} of {n} partitions")
    return spark.createDataFrame([(int(p), int(slot_of[i])) for i, p in enumerate(parts)],
                                 "part int, slot int")


def _by_task(df, slots):
    """``df`` (with ``part``) shuffled so that each graph partition is one task (``slots``:
    the :func:`_task_slots` table and its length), unsorted: the tasks sort their own rows."""
    from pyspark.sql import functions as F

    slots, n = slots
    return df.join(F.broadcast(slots), "part").repartition(n, "slot").drop("slot")


def _collect(df, path):
    """``df.collect()``: a stage whose tasks write their own files (``path``, where they go,
    names the stage) and return a small summary."""
    return df.collect()


def _dir_bytes(fs, path):
    from pyarrow import fs as pafs

    from graphembed import distributed as D

    infos = fs.get_file_info(pafs.FileSelector(D._filesystem(path)[1], allow_not_found=True))
    return int(sum(i.size or 0 for i in infos if i.type == pafs.FileType.File))


def _fastrp_steps(spark, index, slots, work, *, settings, k, owned_counts, layout, arcs, fanout,
                  weighted, timings, written):
    """The ``k`` propagation steps, one task per partition: each reads the vectors the previous
    step wrote for its partition (``index``: the section index of its sources) and its arc file,
    and writes the next step's vectors; returns the last step's owned rows (materialised).
    Each step's inputs are deleted once the next step has written its own; ``written``
    gets the bytes each step wrote."""
    from graphembed import distributed as D

    parts = spark.createDataFrame([(int(p),) for p in sorted(owned_counts)], "part int")
    tasks = _by_task(parts, slots)
    fs, _ = D._filesystem(layout.directory)
    for step in range(1, k + 1):
        t0 = time.perf_counter()
        last = step == k
        shared = spark.sparkContext.broadcast(D.index_by_dest(index))
        func = functools.partial(D.exchange_step, settings=settings, step=step, layout=layout,
                                 index=shared, owned_counts=owned_counts, arcs=arcs,
                                 fanout=None if last else fanout, weighted=weighted, last=last)
        out = tasks.mapInArrow(_fault(spark, "propagate", func, 1),
                               D.FASTRP_FINAL_SCHEMA if last else D.EXCHANGE_INDEX_SCHEMA)
        if last:
            state = common.write_read(out, f"{work}/fastrp/step{step}")
        else:
            index = _collect(out, f"{work}/fastrp/step{step}")
            written[f"fastrp/step{step}"] = sum(
                _dir_bytes(fs, d) for d in (layout.vectors(step + 1), layout.embedding(step)))
        shared.unpersist()
        for done in (layout.vectors(step), layout.embedding(step - 1)):
            fs.delete_dir_contents(D._filesystem(done)[1], missing_dir_ok=True)
        timings[f"fastrp_step{step}"] = time.perf_counter() - t0
    return state


def exchange_setup(spark, graph_dir, assign, work, *, num_nodes, keys_are_ids=False,
                   normalised_alpha=None):
    """The files the exact methods' exchange steps read, written once under ``work``: every
    partition's owned nodes numbered in key order (``nodes``), its arcs as one Parquet file
    sorted by target key (``arc_files``) and its fan-out (which of its owned rows each other
    partition holds as a ghost, ``fanout_files``) — one shuffle of the arcs, which each task
    sorts itself. An arc's weight is its own (FastRP), or with ``normalised_alpha`` = α the
    entry ``w·d_u^{-1/2}·d_v^{-1/2}`` of the normalised adjacency with ``d = degree + α``, each
    factor rounded to float32 first and the product in double, as graphembed.spectral computes
    it (the weighted degrees are the clean stage's sums of the double weights, which may differ
    from one machine's in the last bit). Returns a dict:
    ``nodes`` (materialised ``part, li, node, key, degree, arcs``), ``owned_counts``,
    ``arc_counts``, ``slots``, ``arc_dir``, ``fan_dir``, ``fan_counts``, ``weighted``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from graphembed import distributed as D

    nodes = spark.read.parquet(f"{graph_dir}/nodes")
    arcs = spark.read.parquet(f"{graph_dir}/edges")
    weighted = "weight" in arcs.columns

    def ukey(col):
        return F.col(col).bitwiseXOR(F.lit(-(1 << 63))).alias("ukey")

    # li: a node's row among its partition's owned nodes (the streamed step's accumulator row)
    # (numbered in key order, the order a step sends them in: a fan-out sorted by (dest, li)
    # needs no sort by key, and its rows need not carry their key through the shuffle)
    rank = Window.partitionBy("part").orderBy(ukey("key"))
    nodes_p = common.write_read(
        nodes.join(assign, "node")
        .select("part", (F.row_number().over(rank) - 1).cast("int").alias("li"),
                "node", "key", "degree", "arcs"), f"{work}/nodes")
    counts = nodes_p.groupBy("part").agg(F.count(F.lit(1)).alias("n"),
                                         F.sum("arcs").alias("a")).collect()
    owned_counts = {int(r["part"]): int(r["n"]) for r in counts}
    arc_counts = {int(r["part"]): int(r["a"] or 0) for r in counts}
    slots = (_task_slots(spark, sorted(owned_counts)), len(owned_counts))

    # the node-side tables of the joins below: broadcast (the arcs and targets are not
    # shuffled for them) up to BROADCAST_NODES nodes, a shuffled hash join beyond (never a sort)
    join_hint = "broadcast" if num_nodes <= BROADCAST_NODES else "shuffle_hash"

    def dih(col):  # float32(1 / sqrt(degree + α)), 0 where that is 0, as a double
        d = F.col(col) + F.lit(float(normalised_alpha))
        return F.when(d > 0, (F.lit(1.0) / F.sqrt(d)).cast("float").cast("double")) \
            .otherwise(F.lit(0.0))

    # every arc with its source row and its target's sort key, in the order the steps read
    # them; the writer lays each partition's arcs down once and yields its distinct targets.
    # With integer ids a node's key is its id, so the target's key needs no join (unless the
    # weights need the target's degree).
    src_cols = [F.col("node").alias("src"), "part", F.col("li").alias("si")]
    if normalised_alpha is not None:
        src_cols.append(dih("degree").alias("sdih"))
    with_src = arcs.join(nodes_p.select(*src_cols).hint(join_hint), "src")
    if normalised_alpha is not None:
        with_key = with_src.join(
            nodes_p.select(F.col("node").alias("dst"), ukey("key"), dih("degree").alias("ddih"))
            .hint(join_hint), "dst")
    elif keys_are_ids:
        with_key = with_src.select("*", ukey("dst"))
    else:
        with_key = with_src.join(
            nodes_p.select(F.col("node").alias("dst"), ukey("key")).hint(join_hint), "dst")
    # the weight as graphembed stores it (float32), then in double for the normalised entry
    w = F.col("weight").cast("float").cast("double") if weighted else F.lit(1.0)
    if normalised_alpha is not None:
        w = w * F.col("sdih") * F.col("ddih")
    arc_rows = with_key.select("part", "ukey", "si", w.cast("float").alias("w"))
    arc_dir = f"{work}/arc_files"
    write_arcs = functools.partial(D.write_arc_files, directory=arc_dir)
    targets = (_by_task(arc_rows, slots)
               .mapInArrow(_fault(spark, "arcs", write_arcs, 1), D.TARGETS_SCHEMA))
    # the ghosts: targets owned by another partition (keys are unique, one per node)
    owners = nodes_p.select(ukey("key"), F.col("part").alias("owner"),
                            F.col("li").alias("oli"))
    fan = (targets.join(owners.hint(join_hint), "ukey")
           .where(F.col("owner") != F.col("part"))
           .select(F.col("owner").alias("part"), F.col("oli").alias("li"),
                   F.col("part").alias("dest")))
    fan_dir = f"{work}/fanout_files"
    write_fan = functools.partial(D.write_fanout_files, directory=fan_dir)
    fan_counts = {int(r["part"]): int(r["rows"]) for r in _collect(
        _by_task(fan, slots).mapInArrow(_fault(spark, "fanout", write_fan, 1),
                                        D.PART_FILES_SCHEMA), f"{work}/fanout")}
    return {"nodes": nodes_p, "owned_counts": owned_counts, "arc_counts": arc_counts,
            "slots": slots, "arc_dir": arc_dir, "fan_dir": fan_dir, "fan_counts": fan_counts,
            "weighted": weighted}


def fastrp_embedding(spark, graph_dir, assign, work, *, dim, seed, params, num_nodes, directed,
                     timings, keys_are_ids=False):
    """Exact distributed FastRP; returns ``node, embedding`` (materialised) and stats.

    Before the steps, every partition's arcs are written once as one Parquet file sorted by
    target key (``fastrp/arc_files``), beside its fan-out file (which of its owned rows each
    other partition holds as a ghost, ``fastrp/fanout_files``): one shuffle of the arcs, which
    each task sorts itself. Each step is then one task per partition that reads the vectors the
    previous step wrote for it (its owned rows and its ghosts, merged by key from every source's
    sorted rows), streams them past its arc file, and writes the next step's vectors per
    destination (``graphembed.distributed.exchange_step``): no step goes through Spark's
    shuffle. ``keys_are_ids``: every node's key is its id (integer ids), so the arcs need no
    join for their target's key."""
    from graphembed import distributed as D

    settings = D.fastrp_settings(params, dim=dim, random_state=seed, num_nodes=num_nodes,
                                 directed=directed)
    t0 = time.perf_counter()
    ex = exchange_setup(spark, graph_dir, assign, f"{work}/fastrp", num_nodes=num_nodes,
                        keys_are_ids=keys_are_ids)
    nodes_p, owned_counts, arc_counts, slots = (ex["nodes"], ex["owned_counts"],
                                                ex["arc_counts"], ex["slots"])
    arc_dir, fan_dir, fan_counts, weighted = (ex["arc_dir"], ex["fan_dir"], ex["fan_counts"],
                                              ex["weighted"])
    n_ghosts = sum(fan_counts.values())
    timings["fastrp_ghosts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    k = len(settings["iteration_weights"])
    written = {}
    fan_reader = D.PartFileReader(fan_dir, fan_counts)
    if k == 0:
        init = functools.partial(D.table_batches, func=D.fastrp_initial, settings=settings)
        state = common.write_read(
            nodes_p.drop("arcs").mapInArrow(_fault(spark, "initial", init, 1),
                                            D.FASTRP_STATE_SCHEMA),
            f"{work}/fastrp/step0")
        timings["fastrp_initial"] = time.perf_counter() - t0
    else:
        layout = D.ExchangeLayout(f"{work}/fastrp/exchange")
        init = functools.partial(D.exchange_initial, settings=settings, layout=layout,
                                 fanout=fan_reader)
        index = _collect(_by_task(nodes_p.drop("arcs"), slots).mapInArrow(
            _fault(spark, "initial", init, 1), D.EXCHANGE_INDEX_SCHEMA), f"{work}/fastrp/step0")
        fs = D._filesystem(layout.directory)[0]
        written["fastrp/step0"] = sum(_dir_bytes(fs, d) for d in (layout.vectors(1),
                                                                   layout.embedding(0)))
        timings["fastrp_initial"] = time.perf_counter() - t0
        state = _fastrp_steps(spark, index, slots, work, settings=settings, k=k,
                              owned_counts=owned_counts, layout=layout,
                              arcs=D.PartFileReader(arc_dir, arc_counts), fanout=fan_reader,
                              weighted=weighted, timings=timings, written=written)
    t0 = time.perf_counter()
    mean, scale, channel = D.finish_parameters(
        lambda center: [r.asDict() for r in state.mapInArrow(
            functools.partial(D.moments_batches, dim=dim, center=center),
            D.MOMENTS_SCHEMA).collect()], settings=settings)
    out = state.mapInArrow(functools.partial(D.finish_batches, dim=dim, mean=mean, scale=scale,
                                             channel=channel),
                           "node long, embedding array<float>")
    timings["fastrp_standardize"] = time.perf_counter() - t0
    return out, {"settings": settings, "ghost_pairs": int(n_ghosts), "steps": k,
                 "exchange_bytes": written}


# ------------------------------------------------------------------------------ walks / orbits
def subgraph_embedding(spark, graph_dir, assign, work, *, method, dim, seed, params, mode,
                       halo_hops, halo_cap, anchors, align_iterations, border_dim, smooth_steps,
                       timings, landmarks=100_000, halo_arcs=2.0):
    """Walk/orbit-family embedding per partition: aligned, DistNE-fused or in one landmark
    basis; ``halo_arcs``: the halo-arc budget (:func:`_member_arcs`, None: every arc)."""
    import numpy as np
    from pyspark.sql import functions as F

    from graphembed import distributed as D

    nodes = spark.read.parquet(f"{graph_dir}/nodes")
    arcs = spark.read.parquet(f"{graph_dir}/edges")
    if mode == "distne":
        return _distne(spark, arcs, nodes, assign, work, method=method, dim=dim, seed=seed,
                       params=params, border_dim=border_dim, smooth_steps=smooth_steps,
                       timings=timings)
    t0 = time.perf_counter()
    members, anchor_ids = _members(spark, arcs, nodes, assign, hops=halo_hops, cap=halo_cap,
                                   anchors=0 if mode == "landmarks" else anchors, seed=seed)
    members = common.write_read(members, f"{work}/sub/members")
    sub_arcs = common.write_read(_member_arcs(arcs, members, halo_arcs, work=f"{work}/sub"),
                                 f"{work}/sub/arcs")
    timings["members"] = time.perf_counter() - t0
    if mode == "landmarks":
        return _landmarks(spark, nodes, members, sub_arcs, work, method=method, dim=dim,
                          seed=seed, params=params, landmarks=landmarks, timings=timings,
                          halo_arcs=halo_arcs)
    t0 = time.perf_counter()
    func = functools.partial(D.embed_subgraph, method=method, dim=dim, random_state=seed,
                             params=params, halo_arcs=halo_arcs)
    vecs = sub_arcs.groupBy("part").cogroup(members.groupBy("part")).applyInArrow(
        _fault(spark, "subgraph", func, 2), D.SUBGRAPH_SCHEMA)
    vecs = common.write_read(vecs, f"{work}/sub/vectors")
    timings["embed_partitions"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sizes = {int(r["part"]): int(r["n"]) for r in vecs.where(F.col("role") == D.OWNED)
             .groupBy("part").agg(F.count(F.lit(1)).alias("n")).collect()}
    rotations = {p: np.eye(dim) for p in sizes}
    stats = {"members": members.count(), "anchors": len(anchor_ids)}
    if mode == "aligned" and len(sizes) > 1:
        ref = D.reference_partition(sizes)
        av = {}
        if anchor_ids:
            a_df = spark.createDataFrame([(a,) for a in anchor_ids], "node long")
            for r in vecs.join(a_df, "node").collect():
                av.setdefault(int(r["part"]), []).append((int(r["node"]), r["vec"]))
        av = {p: (np.array([a for a, _ in v]), np.array([x for _, x in v], dtype=np.float64))
              for p, v in av.items()}
        if ref in av:
            rotations.update(D.anchor_rotations(av, ref))
        for _ in range(align_iterations):
            owners = vecs.where(F.col("role") == D.OWNED).mapInArrow(
                functools.partial(D.rotate_batches, rotations=rotations, dim=dim),
                D.SUBGRAPH_SCHEMA).select("node", F.col("vec").alias("target"))
            shared = vecs.where(F.col("role") != D.OWNED).join(owners, "node").select(
                "part", "vec", "target")
            cross = shared.groupBy("part").applyInArrow(
                functools.partial(D.cross_covariance, dim=dim), D.CROSS_SCHEMA).collect()
            new = dict(rotations)
            for r in cross:
                p = int(r["part"])
                if p != ref:
                    new[p] = D.align_to_targets(np.array(r["cross"]), dim)
            rotations = new
        stats["reference"] = ref
    out = vecs.where(F.col("role") == D.OWNED).mapInArrow(
        functools.partial(D.rotate_batches, rotations=rotations, dim=dim),
        D.SUBGRAPH_SCHEMA).select("node", F.col("vec").alias("embedding"))
    timings["align"] = time.perf_counter() - t0
    return out, stats


def _landmarks(spark, nodes, members, sub_arcs, work, *, method, dim, seed, params, landmarks,
               timings, halo_arcs=2.0):
    """IRWE in one basis: every partition writes its landmarks' statistics to the work
    directory, the driver reads them there (Python-side, with pyarrow: the rows never pass
    through the JVM driver's heap, which 10⁵ landmarks' PPMI rows overflow when collected) and
    fits the identity PCA and position SVD on them once, and every partition maps its owned
    nodes with the broadcast maps (its statistics recomputed from the same seeds: nothing
    n-sized is stored or collected)."""
    import numpy as np
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from graphembed import distributed as D

    t0 = time.perf_counter()
    n_nodes = nodes.count()
    threshold = D.landmark_threshold(n_nodes, landmarks)
    lm = nodes.select("node", "key").mapInArrow(
        functools.partial(D.landmark_batches, threshold=threshold, seed=seed), "node long")
    landmark_ids = np.sort(np.array([int(r["node"]) for r in lm.collect()], dtype=np.int64))
    kw = dict(method=method, dim=dim, random_state=seed, params=params,
              landmark_ids=landmark_ids, halo_arcs=halo_arcs)
    rows_dir = f"{work}/sub/landmark_rows"
    sub_arcs.groupBy("part").cogroup(members.groupBy("part")).applyInArrow(
        functools.partial(D.landmark_rows_table, **kw), D.LANDMARK_SCHEMA).write.parquet(rows_dir)
    fs, root = D._filesystem(rows_dir)
    rows = pq.read_table(root, filesystem=fs).sort_by("node")  # the same fit for any order
    has_identity, has_position = D.landmark_halves(method, dim, params)
    piece = D.landmark_piece_from_table(rows, num_landmarks=len(landmark_ids),
                                        has_identity=has_identity, has_position=has_position)
    model = D.fit_landmarks([piece], method=method, dim=dim, random_state=seed, params=params)
    timings["fit_landmarks"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    shared = spark.sparkContext.broadcast(model)
    out = sub_arcs.groupBy("part").cogroup(members.groupBy("part")).applyInArrow(
        _fault(spark, "subgraph", functools.partial(D.landmark_embed_table, model=shared, **kw),
               2), D.SUBGRAPH_SCHEMA)
    out = out.select("node", F.col("vec").alias("embedding"))
    timings["embed_partitions"] = time.perf_counter() - t0
    return out, {"landmarks": int(len(landmark_ids)), "members": members.count()}


def _distne(spark, arcs, nodes, assign, work, *, method, dim, seed, params, border_dim,
            smooth_steps, timings):
    from pyspark.sql import functions as F

    from graphembed import distributed as D

    d_b = dim // 2 if border_dim is None else int(border_dim)
    d_i = dim - d_b
    t0 = time.perf_counter()
    a_src = arcs.join(assign.select(F.col("node").alias("src"), "part"), "src")
    tagged = a_src.join(assign.select(F.col("node").alias("dst"), F.col("part").alias("pd")), "dst")
    border = common.write_read(tagged.where(F.col("part") != F.col("pd")).select(
        F.col("src").alias("node")).distinct(), f"{work}/distne/border")
    n_border = border.count()
    timings["border"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # the border subgraph, embedded as one task
    b_members = border.join(nodes.select("node", "key"), "node").select(
        F.lit(0).cast("int").alias("part"), "node", "key", F.lit(D.OWNED).alias("role"))
    b_arcs = _member_arcs(arcs, b_members)
    func = functools.partial(D.embed_subgraph, method=method, dim=max(d_b, 1), random_state=seed,
                             params=params)
    bvec = common.write_read(
        b_arcs.groupBy("part").cogroup(b_members.groupBy("part")).applyInArrow(
            func, D.SUBGRAPH_SCHEMA).select("node", F.col("vec").alias("bvec")),
        f"{work}/distne/border_vectors")
    timings["border_embedding"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    zeros = F.array_repeat(F.lit(0.0).cast("float"), d_b)
    rows = (assign.join(nodes.select("node", "key"), "node").join(bvec, "node", "left")
            .select(F.col("part").cast("int").alias("part"), "node", "key",
                    F.col("bvec").isNotNull().alias("border"),
                    F.coalesce(F.col("bvec"), zeros).alias("bvec")))
    inner = tagged.where(F.col("part") == F.col("pd")).select("part", "src", "dst",
                                                              *(["weight"] if "weight" in
                                                                arcs.columns else []))
    func = functools.partial(D.distne_partition, method=method, dim_internal=d_i, dim_border=d_b,
                             random_state=seed, params=params, smooth_steps=smooth_steps)
    out = inner.groupBy("part").cogroup(rows.groupBy("part")).applyInArrow(
        _fault(spark, "subgraph", func, 2), D.SUBGRAPH_SCHEMA)
    out = common.write_read(out, f"{work}/distne/vectors").select(
        "node", F.col("vec").alias("embedding"))
    timings["embed_partitions"] = time.perf_counter() - t0
    return out, {"border_nodes": int(n_border), "border_dim": d_b, "internal_dim": d_i}


# ------------------------------------------------------------------------------ the job
def run(spark, edges, out, *, method="fastrp", partitions=4, dim=128, seed=0, params=None,
        partitioner="hash", max_arcs=None, growth="spark", assignment=None, mode=None,
        halo_hops=None, halo_cap=64, anchors=None, align_iterations=2, border_dim=None,
        smooth_steps=3, landmarks=100_000, halo_arcs=2.0, directed=False, overwrite=False,
        fmt="auto",
        delimiter=None, src_col="src", dst_col="dst", weight_col=None, keep_work=False):
    """The whole pipeline (see the module docstring). Returns the metadata written."""
    from pyspark.sql import functions as F

    from graphembed import __version__
    from graphembed import distributed as D
    from graphembed._validation import check_choice, check_int, check_seed
    from graphembed.methods import get_method

    spec = get_method(method)  # unknown names fail before any work
    dim = check_int("dim", dim, minimum=1)
    seed = check_seed("seed", seed)
    exact = method == "fastrp" or (method == "spectral" and mode is None)
    if mode is None:
        mode = "landmarks" if method.startswith("irwe") else "aligned"
    check_choice("mode", mode, ("aligned", "distne", "landmarks", "none"))
    if mode == "landmarks" and method not in ("irwe", "irwe_identity", "irwe_position"):
        raise ValueError(f"--mode landmarks fits the IRWE estimator; --method {method} needs "
                         "--mode aligned, distne or none")
    landmarks = check_int("landmarks", landmarks, minimum=1)
    if halo_arcs is not None:
        given = halo_arcs
        try:
            halo_arcs = float(halo_arcs)
        except (TypeError, ValueError):
            halo_arcs = float("nan")
        if not halo_arcs >= 0 or halo_arcs == float("inf"):
            raise ValueError(f"--halo-arcs must be a finite number >= 0 (halo arcs kept per arc "
                             f"touching an owned node) or 'none' (every arc), got {given!r}")
    check_choice("partitioner", partitioner, ("hash", "locality"))
    if assignment is None:
        partitions = check_int("partitions", partitions, minimum=1)
    if halo_hops is None:
        halo_hops = 2 if method.startswith("orbit") else 1
    if anchors is None:
        anchors = min(dim, 256)
    params = dict(params or {})
    settings = spec.settings(params, dim=dim)  # unknown or unreadable parameters fail here
    if exact and method == "spectral":  # its values too, before any work
        if directed:
            raise ValueError("--method spectral embeds the symmetrised graph; clean it without "
                             "--directed")
        D.spectral_settings(params, dim=dim, random_state=seed, num_nodes=dim + 2)
    common.check_output(spark, out, overwrite=overwrite)
    common.check_input(spark, edges, "--edges", common.EDGES_HINT)
    if assignment is not None:
        common.check_input(spark, assignment, "--assignment", "a Parquet node,part (or id,part)")
    timings = {}
    started = time.perf_counter()
    with common.atomic_output(spark, out, overwrite=overwrite) as tmp, \
            _arrow_batch_rows(spark, D.stream_batch_rows(dim)):
        work = f"{tmp}/_work"
        t0 = time.perf_counter()
        raw = common.read_edges(spark, edges, fmt=fmt, src=src_col, dst=dst_col,
                                weight=weight_col, delimiter=delimiter)
        graph_dir = f"{work}/clean"
        stored, mapping = clean.write_graph(spark, raw, graph_dir, directed=directed,
                                            source=edges, mapping_dir=f"{tmp}/_mapping")
        counts = stored.agg(F.count(F.lit(1)).alias("n"), F.sum("arcs").alias("a")).collect()[0]
        n_nodes, n_arcs = int(counts["n"]), int(counts["a"] or 0)
        common.write_meta(spark, graph_dir, {"job": "clean", "nodes": n_nodes, "arcs": n_arcs})
        if exact and method == "spectral":  # dim against the node count, before partitioning
            D.spectral_settings(params, dim=dim, random_state=seed, num_nodes=n_nodes)
        timings["clean"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        part_dir = f"{work}/partition"
        if assignment is not None:
            given = spark.read.parquet(assignment)
            if mapping is not None and "id" in given.columns:
                given = given.join(mapping, "id")
            given = given.select(F.col("node").cast("long"), F.col("part").cast("int"))
            missing = stored.join(given, "node", "left_anti").select("node")
            if mapping is not None:  # the user's id, not the internal one
                missing = missing.join(mapping, "node").select(F.col("id").alias("node"))
            missing = missing.limit(1).collect()
            if missing:
                raise ValueError(f"--assignment {assignment} has no partition for node "
                                 f"{missing[0]['node']}; give every node a part")
            given.write.parquet(f"{part_dir}/level=0")
            part_meta = {"method": "given", "path": assignment}
        else:
            part_meta = partition.partition_graph(
                spark, graph_dir, part_dir, method=partitioner, partitions=partitions,
                max_arcs=max_arcs, seed=seed, growth=growth, workdir=f"{work}/partition_work")
        assign = spark.read.parquet(f"{part_dir}/level=0")
        n_parts = assign.select("part").distinct().count()
        timings["partition"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if method == "fastrp":
            emb, stats = fastrp_embedding(spark, graph_dir, assign, work, dim=dim, seed=seed,
                                          params=params, num_nodes=n_nodes, directed=directed,
                                          timings=timings, keys_are_ids=mapping is None)
            stats["settings"] = {k: (list(v) if isinstance(v, tuple) else v)
                                 for k, v in stats["settings"].items()}
        elif exact:  # spectral
            from spark_jobs.spectral_exact import spectral_embedding

            emb, stats = spectral_embedding(spark, graph_dir, assign, work, dim=dim, seed=seed,
                                            params=params, num_nodes=n_nodes,
                                            directed=directed, timings=timings)
        else:
            emb, stats = subgraph_embedding(
                spark, graph_dir, assign, work, method=method, dim=dim, seed=seed,
                params=params, mode=mode, halo_hops=halo_hops, halo_cap=halo_cap,
                anchors=anchors, align_iterations=align_iterations, border_dim=border_dim,
                smooth_steps=smooth_steps, timings=timings, landmarks=landmarks,
                halo_arcs=halo_arcs)
        if mapping is not None:
            emb = emb.join(mapping, "node").select(F.col("id").alias("node_id"), "embedding")
        else:
            emb = emb.select(F.col("node").alias("node_id"), "embedding")
        emb.write.parquet(f"{tmp}/part")
        timings["embed_total"] = time.perf_counter() - t0
        _flatten(spark, f"{tmp}/part", tmp)
        if not keep_work:
            common.delete(spark, work)
        timings["total"] = time.perf_counter() - started
        meta = {
            "job": "embed",
            "input": edges,
            "method": method,
            "mode": None if exact else mode,
            "dim": dim,
            "random_state": seed,
            "num_threads": 1,  # every task runs its kernels on one thread
            "params": params,
            **_settings_meta(spec, params, settings, method, mode, stats),
            # the job's own resolved options of the subgraph modes
            "options": None if exact else {
                "halo_hops": halo_hops, "halo_cap": halo_cap, "anchors": anchors,
                "align_iterations": align_iterations, "landmarks": landmarks,
                "halo_arcs": None if mode == "distne" else halo_arcs,
                "border_dim": dim // 2 if border_dim is None else int(border_dim),
                "smooth_steps": smooth_steps},
            "graph": {"nodes": n_nodes, "arcs": n_arcs, "directed": bool(directed),
                      "string_ids": mapping is not None},
            "partitioning": {**part_meta, "partitions_used": int(n_parts)},
            "stats": stats,
            "seconds": timings,
            "graphembed": __version__,
            "columns": {"node_id": "string" if mapping is not None else "long",
                        "embedding": f"array<float>[{dim}]"},
        }
        common.write_meta(spark, tmp, meta)
    return meta


def _settings_meta(spec, params, settings, method, mode, stats):
    """``settings``: every effective keyword argument of the method (:meth:`Method.settings`,
    resolved defaults included; ``dim``, ``random_state`` and ``num_threads`` sit beside it).
    FastRP takes the values the job ran with where they were resolved further (``sparsity``
    "sqrt" from the global node count). DistNE mode embeds twice, at the internal and the border
    width: ``settings`` holds the internal embedding's, ``settings_border`` the border's."""
    if method == "fastrp":
        used = stats["settings"]
        settings = {k: used.get(k, v) for k, v in settings.items()}
    if mode == "distne" and method != "fastrp":
        return {"settings": spec.settings(params, dim=stats["internal_dim"]),
                "settings_border": spec.settings(params, dim=max(stats["border_dim"], 1))}
    return {"settings": settings}


def _flatten(spark, src_dir, dst_dir):
    """Move the part files of ``src_dir`` into ``dst_dir`` (so ``dst_dir`` is the dataset)."""
    fs, src = common._fs(spark, src_dir)
    jvm = spark.sparkContext._jvm
    for status in fs.listStatus(src):
        name = status.getPath().getName()
        if name.startswith("part-"):
            fs.rename(status.getPath(), jvm.org.apache.hadoop.fs.Path(f"{dst_dir}/{name}"))
    fs.delete(src, True)


def build_parser():
    parser = argparse.ArgumentParser(prog=Path(__file__).name,
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--edges", required=True, help="edge list: Parquet or text")
    parser.add_argument("--out", required=True, help="output directory (must not exist)")
    parser.add_argument("--method", default="fastrp",
                        help="fastrp, or any method of graphembed.methods (irwe, orbits, ...)")
    parser.add_argument("--partitions", type=int, default=4,
                        help="number of partitions (hash), or the target for locality")
    parser.add_argument("--dim", type=int, default=None,
                        help="embedding dimension (default: the method's, see graphembed.methods)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-p", "--param", action="append", default=[],
                        help="method parameter name=value (repeatable)")
    parser.add_argument("--partitioner", default="hash", choices=("hash", "locality"))
    parser.add_argument("--max-arcs", type=int, default=None,
                        help="locality: cap on arcs per partition (default from --partitions)")
    parser.add_argument("--growth", default="spark", choices=("spark", "driver"),
                        help="locality growth as DataFrame joins, or on the driver")
    parser.add_argument("--assignment", default=None,
                        help="Parquet node,part (or id,part) to use instead of partitioning")
    parser.add_argument("--mode", default=None,
                        choices=("aligned", "distne", "landmarks", "none"),
                        help="non-FastRP methods: Procrustes-aligned halos, DistNE fusion, one "
                        "basis fitted on landmark nodes (IRWE methods), or raw (default: "
                        "landmarks for irwe*, exact for spectral, aligned otherwise)")
    parser.add_argument("--landmarks", type=int, default=100_000,
                        help="landmark mode: about how many sampled nodes the maps are fitted "
                        "on (all nodes when the graph has fewer)")
    parser.add_argument("--halo-hops", type=int, default=None,
                        help="halo radius (default 1; 2 for orbit methods)")
    parser.add_argument("--halo-cap", type=int, default=64,
                        help="2-hop halo: neighbours brought in per 1-hop halo node")
    parser.add_argument("--halo-arcs", default="2",
                        help="aligned and landmark modes: arcs between two halo nodes kept per "
                        "arc touching an owned node (whole levels of one ranking for the graph: "
                        "each node ranks its neighbours by a seeded priority; default 2), or "
                        "'none' for every arc — bounds each task's subgraph")
    parser.add_argument("--anchors", type=int, default=None,
                        help="top-degree nodes replicated to every partition (default min(dim, 256))")
    parser.add_argument("--align-iterations", type=int, default=2)
    parser.add_argument("--border-dim", type=int, default=None,
                        help="DistNE mode: columns of the border-level embedding (default dim/2)")
    parser.add_argument("--keep-work", action="store_true",
                        help="keep intermediate tables under OUT/_work")
    common.add_input_arguments(parser)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    with common.user_errors(parser.prog, verbose=args.verbose):
        params = common.parse_params(args.param)
        if args.dim is None:
            from graphembed.methods import get_method

            args.dim = get_method(args.method).dim
        spark = common.session("graphembed-embed", master=args.master, verbose=args.verbose)
        meta = run(spark, args.edges, args.out, method=args.method, partitions=args.partitions,
                   dim=args.dim, seed=args.seed, params=params, partitioner=args.partitioner,
                   max_arcs=args.max_arcs, growth=args.growth, assignment=args.assignment,
                   mode=args.mode, halo_hops=args.halo_hops, halo_cap=args.halo_cap,
                   anchors=args.anchors, align_iterations=args.align_iterations,
                   border_dim=args.border_dim, landmarks=args.landmarks,
                   halo_arcs=(None if args.halo_arcs.strip().lower() == "none"
                              else args.halo_arcs),
                   directed=args.directed, overwrite=args.overwrite, fmt=args.format,
                   delimiter=args.delimiter, src_col=args.src_col, dst_col=args.dst_col,
                   weight_col=args.weight_col, keep_work=args.keep_work)
    common.log(f"embed: {meta['graph']['nodes']} nodes, {meta['partitioning']['partitions_used']} "
               f"partitions, {meta['seconds']['total']:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
