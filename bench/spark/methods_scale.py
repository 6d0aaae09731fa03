"""IRWE (landmark mode) and orbits through the Spark job on R-MAT graphs: seconds per stage,
per-task CPU and peak memory, and the halo of every partition.

    python bench/spark/methods_scale.py [--sizes 1e6,1e7] [--full 1e6] [--methods irwe,orbits]
        [--arcs-per-task 1e6] [--sample-parts 2] [--master local[2]]

For every R-MAT graph of bench/spark/rmat.py (``--data``), partitions = 2·edges / arcs-per-task
(as bench/spark/pipeline.py), hash partitioning, dim 128:

* sizes in ``--full``: ``spark_jobs/embed.py``'s ``run`` for ``--method irwe`` (landmark mode, the
  default) and ``--method orbits`` (aligned mode, 2-hop halo capped at 64 per 1-hop node; the 19
  keys of adjacent pairs — the 8 distance-2 keys hold every pair within two hops, about
  Σ degree² entries, which on R-MAT's hubs is far beyond a task), plus ``--method fastrp`` on the
  same graph in the same session as the ratio baseline. Stage seconds from the job's
  ``_meta.json``; per-task CPU seconds, tracemalloc peak and the workers' Arrow pool from the
  job's task-metrics hook (``spark.graphembed.taskMetrics``, the ``subgraph`` stage: orbit
  embedding / landmark embedding tasks).
* other sizes: the job's own functions up to the member tables (clean, hash partition,
  ``_members`` and ``_member_arcs``, each written as the job writes them), timed; the
  per-partition tasks of those would take hours on two cores, so ``--sample-parts`` partitions
  are run as Spark would run them (the same adapters on the same Arrow tables) in a fresh
  process each, as task_cost.py does for FastRP.

For every partition: owned nodes, halo nodes (members not owned), member arcs and halo arcs
(between two non-owned members) as the job sends them (after the halo-arc budget of
spark_jobs/halo.py), and the arcs the task's own budget keeps
(graphembed.distributed.member_graph). Sampled tasks run twice, with the budget (default) and
without it (``halo_arcs=None``, the earlier behaviour), on the same tables.
Writes bench/spark/results/methods_scale.json and .md.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import rmat  # noqa: E402  (bench/spark/rmat.py: the R-MAT graphs and their sizes)


#: graphembed.distributed.member_graph's default halo-arc budget
HALO_BUDGET = 2.0


def legacy_landmark_statistics(arcs, members, *, method, dim, random_state, params=None,
                               landmark_ids, halo_arcs=None):
    """The landmark statistics as the task computed them before the halo-arc budget and the
    owned-rows co-occurrences: every arc between members, and the whole co-occurrence matrix
    of the member subgraph (``IRWE.statistics``) of which the owned rows are kept."""
    import scipy.sparse as sp

    from graphembed import distributed as D

    ids, roles, g = D.member_graph(arcs, members, halo_arcs=None)
    rows = np.flatnonzero(roles == D.OWNED)
    model = D.landmarks._irwe_model(method, dim, random_state, params)
    if len(rows) == 0 or g.nnz == 0:
        return ids[rows], None, None
    F, M = model.statistics(g, rows)
    M = M.tocoo()
    col_ids = ids[M.col]
    at = np.searchsorted(landmark_ids, col_ids)
    ok = (at < len(landmark_ids)) & (landmark_ids[np.minimum(at, len(landmark_ids) - 1)]
                                     == col_ids)
    M = sp.csr_array((M.data[ok], (M.row[ok], at[ok])), shape=(len(rows), len(landmark_ids)))
    return ids[rows], F, M


def irwe_params(text):
    """``a=1,b=2`` -> {"a": "1", "b": "2"} (the job's -p values)."""
    return dict(kv.split("=", 1) for kv in text.split(",") if kv)


def orbit_params():
    from graphembed.orbits import KEYS

    return {"keys": ";".join(",".join(map(str, k)) for k in KEYS if k[0] == 1)}


# ------------------------------------------------------------------------------ one task
def _warm(method, dim):
    """Compile the kernels on a small graph first (not measured)."""
    import networkx as nx
    import pyarrow as pa

    from graphembed import distributed as D

    g = nx.barabasi_albert_graph(400, 4, seed=0)
    src = np.array([u for u, v in g.edges()] + [v for u, v in g.edges()], np.int64)
    dst = np.array([v for u, v in g.edges()] + [u for u, v in g.edges()], np.int64)
    arcs = pa.table({"src": src, "dst": dst})
    ids = np.arange(400, dtype=np.int64)
    mem = pa.table({"part": np.zeros(400, np.int32), "node": ids, "key": ids,
                    "role": (ids % 2).astype(np.int32)})
    if method == "irwe":
        kw = dict(method="irwe", dim=dim, random_state=0, landmark_ids=ids)
        rows = D.landmark_rows_table(arcs, mem, **kw)
        piece = D.landmark_piece_from_table(rows, num_landmarks=400, has_identity=True,
                                            has_position=True)
        model = D.fit_landmarks([piece], method="irwe", dim=dim, random_state=0)
        D.landmark_embed_table(arcs, mem, model=model, **kw)
    else:
        D.embed_subgraph(arcs, mem, method="orbits", dim=dim, random_state=0,
                         params=orbit_params())


def run_task(args):
    """Child process: one partition's task(s), measured; prints one JSON line."""
    import tracemalloc

    import pyarrow as pa
    import pyarrow.parquet as pq

    from graphembed import distributed as D

    d = Path(args.task)
    arcs = pq.read_table(d / "arcs.parquet")
    members = pq.read_table(d / "members.parquet")
    budget = None if args.budget in ("none", "legacy") else float(args.budget)
    if args.budget == "legacy":  # the earlier task: no budget, the whole co-occurrence matrix
        from graphembed.distributed import landmarks

        landmarks.landmark_statistics = legacy_landmark_statistics
    if args.memory_gb:  # a task over this fails with MemoryError instead of swamping the host
        lim = int(args.memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_DATA, (lim, lim))
    _warm(args.method, args.dim)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pool = pa.default_memory_pool()
    out = {"budget": args.budget, "input_mb": (arcs.nbytes + members.nbytes) / 2**20}
    from graphembed.distributed.local import member_graph

    ids, roles, g = member_graph(arcs, members, halo_arcs=budget)
    out["subgraph_arcs"] = int(g.nnz)
    del g

    def measure(name, fn):
        tracemalloc.start()
        t0 = time.process_time()
        w0 = time.perf_counter()
        res = fn()
        out[f"{name}_cpu_s"] = time.process_time() - t0
        out[f"{name}_wall_s"] = time.perf_counter() - w0
        out[f"{name}_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return res

    if args.method == "irwe":
        lm = np.load(d / "landmarks.npy")
        kw = dict(method="irwe", dim=args.dim, random_state=0, landmark_ids=lm,
                  halo_arcs=budget, params=irwe_params(args.irwe_params))
        rows = measure("rows", lambda: D.landmark_rows_table(arcs, members, **kw))
        # what this partition ships to the driver for the landmark fit
        out["landmark_rows"] = rows.num_rows
        out["landmark_rows_mb"] = rows.nbytes / 2**20
        piece = D.landmark_piece_from_table(rows, num_landmarks=len(lm), has_identity=True,
                                            has_position=True)
        model = D.fit_landmarks([piece], method="irwe", dim=args.dim, random_state=0,
                                params=irwe_params(args.irwe_params))
        measure("embed", lambda: D.landmark_embed_table(arcs, members, model=model, **kw))
    else:
        measure("embed", lambda: D.embed_subgraph(arcs, members, method="orbits", dim=args.dim,
                                                  random_state=0, params=orbit_params(),
                                                  halo_arcs=budget))
    out["arrow_pool_peak_mb"] = pool.max_memory() / 2**20
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["rss_before_mb"] = base_rss
    print("RESULT " + json.dumps(out), flush=True)


def child(task_dir, method, budget, dim, timeout, memory_gb=0, params=""):
    cmd = [sys.executable, __file__, "--task", str(task_dir), "--method-task", method,
           "--budget", budget, "--dim", str(dim), "--memory-gb", str(memory_gb),
           "--irwe-params", params]
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"budget": budget, "error": f"over {timeout} s"}
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"budget": budget, "error": (p.stderr or p.stdout)[-600:]}


# ------------------------------------------------------------------------------ Spark budget
# ------------------------------------------------------------------------------ halos
def halo_sizes(spark, members, sub_arcs):
    """Per partition: owned, halo nodes, member arcs, halo arcs (Spark aggregations)."""
    from pyspark.sql import functions as F

    from graphembed import distributed as D

    m = members.groupBy("part").agg(
        F.sum((F.col("role") == D.OWNED).cast("long")).alias("owned"),
        F.sum((F.col("role") != D.OWNED).cast("long")).alias("halo_nodes"))
    r = members.select("part", F.col("node").alias("n"), F.col("role"))
    a = (sub_arcs.join(r.withColumnRenamed("n", "src").withColumnRenamed("role", "rs"),
                       ["part", "src"])
         .join(r.withColumnRenamed("n", "dst").withColumnRenamed("role", "rd"), ["part", "dst"])
         .groupBy("part").agg(
             F.count(F.lit(1)).alias("member_arcs"),
             F.sum(((F.col("rs") != D.OWNED) & (F.col("rd") != D.OWNED)).cast("long"))
             .alias("halo_arcs")))
    rows = m.join(a, "part", "left").orderBy("part").collect()
    return [{k: (int(v) if v is not None else 0) for k, v in r.asDict().items()} for r in rows]


def numpy_halos(path, P, *, budget_parts=2, cap=64, anchors=128):
    """The members and member arcs of every hash partition in numpy, by the job's rules
    (spark_jobs/embed.py ``_members`` / ``_member_arcs``: owned nodes, their neighbours, for 2
    hops each 1-hop node's ``cap`` first neighbours by priority and the ``anchors`` top-degree
    nodes; arcs between two members), for a graph whose Spark prefix is too slow on a shared
    two-core machine; the arcs left by the halo-arc budget for the first ``budget_parts``
    partitions. Returns {hops: [per-partition dict]}. Time O(P · arcs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from graphembed import distributed as D

    t = pq.read_table(str(path))
    s, d = (t.column(i).to_numpy().astype(np.int64) for i in (0, 1))
    a, b = np.concatenate([s, d]), np.concatenate([d, s])
    keep = a != b
    pair = np.unique(a[keep] * (1 << 32) + b[keep])
    a, b = pair >> 32, pair & ((1 << 32) - 1)
    ids = np.unique(a)
    n = len(ids)
    ai, bi = np.searchsorted(ids, a), np.searchsorted(ids, b)
    parts = D.hash_partition(ids, P, seed=0)  # the clean job's key is the id
    pri = D.node_priority(ids, 0)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(ai, minlength=n), out=indptr[1:])
    o = np.lexsort((pri[bi], ai))
    first = o[np.arange(len(ai)) - indptr[ai[o]] < cap]  # each node's cap first neighbours
    top = np.lexsort((pri, -np.diff(indptr)))[:anchors]
    out = {1: [], 2: []}
    for p in range(P):
        own = parts == p
        hop1 = np.zeros(n, bool)
        hop1[bi[own[ai]]] = True
        hop1 &= ~own
        for hops in (1, 2):
            mem = own | hop1
            if hops == 2:
                mem = mem.copy()
                mem[bi[first][hop1[ai[first]]]] = True
                mem[top] = True
            sel = mem[ai] & mem[bi]
            row = {"part": p, "owned": int(own.sum()), "halo_nodes": int(mem.sum() - own.sum()),
                   "member_arcs": int(sel.sum()),
                   "halo_arcs": int((sel & ~own[ai] & ~own[bi]).sum())}
            if p < budget_parts:
                m = np.flatnonzero(mem)
                arcs = pa.table({"src": ids[ai[sel]], "dst": ids[bi[sel]]})
                members = pa.table({"part": np.full(len(m), p, np.int32), "node": ids[m],
                                    "key": ids[m],
                                    "role": np.where(own[m], D.OWNED, D.HALO).astype(np.int32)})
                row["arcs_budget"] = int(D.member_graph(arcs, members)[2].nnz)
            out[hops].append(row)
    return out


def summarise(values):
    v = np.asarray(values, float)
    return {"min": float(v.min()), "median": float(np.median(v)), "max": float(v.max())}


# ------------------------------------------------------------------------------ driver
def job_prefix(spark, embed, path, work, P, hops, timings):
    """The job's stages up to the member tables (functions of spark_jobs/embed.py and halo.py):
    what each partition's task receives, the halo-arc budget (default 2) applied."""
    from pyspark.sql import functions as F

    from spark_jobs import clean, common, partition

    if not (work / "clean").exists():
        t0 = time.perf_counter()
        raw = common.read_edges(spark, str(path), fmt="auto", src="src", dst="dst", weight=None,
                                delimiter=None)
        stored, _ = clean.write_graph(spark, raw, str(work / "clean"), directed=False,
                                      source=str(path), mapping_dir=str(work / "_mapping"))
        counts = stored.agg(F.count(F.lit(1)).alias("n"), F.sum("arcs").alias("a")).collect()[0]
        common.write_meta(spark, str(work / "clean"), {"job": "clean", "nodes": int(counts["n"]),
                                                       "arcs": int(counts["a"])})
        timings["clean"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        partition.partition_graph(spark, str(work / "clean"), str(work / "partition"),
                                  method="hash", partitions=P, seed=0)
        timings["partition"] = time.perf_counter() - t0
    nodes = spark.read.parquet(str(work / "clean" / "nodes"))
    arcs = spark.read.parquet(str(work / "clean" / "edges"))
    assign = spark.read.parquet(str(work / "partition" / "level=0"))
    t0 = time.perf_counter()
    members, _ = embed._members(spark, arcs, nodes, assign, hops=hops, cap=64,
                                anchors=0 if hops == 1 else 128, seed=0)
    members = embed._write(members, str(work / f"sub{hops}" / "members"))
    sub = work / f"sub{hops}"
    sub_arcs = embed._write(embed._member_arcs(arcs, members, HALO_BUDGET, work=str(sub)),
                            str(sub / "arcs"))
    timings["members"] = time.perf_counter() - t0
    return nodes, members, sub_arcs


def export_task(spark, nodes, members, sub_arcs, part, dest, method, landmarks=100_000):
    """One partition's Arrow tables as the cogroup hands them to its task."""
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from graphembed import distributed as D

    dest.mkdir(parents=True, exist_ok=True)
    pq.write_table(sub_arcs.where(F.col("part") == part).toArrow(), dest / "arcs.parquet")
    pq.write_table(members.where(F.col("part") == part).toArrow(), dest / "members.parquet")
    if method == "irwe":
        n = nodes.count()
        lm = nodes.select("node", "key").mapInArrow(
            lambda b: D.landmark_batches(b, threshold=D.landmark_threshold(n, landmarks),
                                         seed=0),
            "node long")
        np.save(dest / "landmarks.npy",
                np.sort(np.array([int(r["node"]) for r in lm.collect()], np.int64)))


def budget_kept(dest):
    """Arcs of one exported partition before and after the halo-arc budget."""
    import pyarrow.parquet as pq

    from graphembed.distributed.local import member_graph

    arcs, mem = pq.read_table(dest / "arcs.parquet"), pq.read_table(dest / "members.parquet")
    return {"arcs": int(arcs.num_rows), "arcs_budget": int(member_graph(arcs, mem)[2].nnz)}


def report(paths, name, halos=None, tasks=None):
    """Merge several runs into results/NAME.json and write the table (.md).

    ``paths``: result JSONs of runs of this script; ``halos``: a ``--numpy-halos`` JSON;
    ``tasks``: a JSON-lines file of sampled tasks run by hand (``--task`` on tables exported
    by ``numpy_halos``' rules), each ``{"edges", "method", "part", "variant", ...result}``."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    rows = [r for run in runs for r in run["rows"]]
    out = {"benchmark": "spark_methods_scale", "rows": rows,
           "runs": [{"file": Path(p).name, "loadavg": run["loadavg"],
                     "irwe_params": run.get("irwe_params"), "landmarks": run.get("landmarks"),
                     "versions": run["versions"], "machine": run["machine"],
                     "master": run["master"], "arcs_per_task": run["arcs_per_task"],
                     "orbit_keys": run["orbit_keys"]} for p, run in zip(paths, runs)]}
    if halos:
        out["halos"] = json.loads(Path(halos).read_text())
    sampled = []
    for r in rows:
        for s in r.get("sampled_tasks", []):
            for v in ("legacy", "none", "default"):
                if v in s:
                    sampled.append({"edges": r["edges"], "method": r["method"],
                                    "part": s["part"], "variant": v, **s[v]})
    if tasks:
        sampled += [json.loads(line) for line in Path(tasks).read_text().splitlines() if line]
    sampled = [t for t in sampled if t.get("error", None) != ""]  # stopped by hand: no result
    out["sampled_tasks"] = sampled
    (HERE / "results" / f"{name}.json").write_text(json.dumps(out, indent=2))

    lines = ["Stage seconds of `spark_jobs/embed.py` (wall, local[2], from `_meta.json`; the "
             "machine shared, load averages in the JSON):", "",
             "| method | edges | parts | clean | partition | members | fit_landmarks | "
             "embed + write | total |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        st = r["stages_s"]
        rest = (st.get("embed_total", 0) - st.get("members", 0) - st.get("fit_landmarks", 0)
                if "embed_total" in st else None)
        cells = [st.get("clean"), st.get("partition"), st.get("members"),
                 st.get("fit_landmarks"), rest, st.get("total")]
        lines.append(f"| {r['method']} | {r['edges']:.0e} | {r['partitions']} | " + " | ".join(
            "–" if c is None else f"{c:.1f}" for c in cells) + " |")
    lines += ["", "Per task through Spark (the task-metrics hook; IRWE and orbits: the "
              "`subgraph` tasks, FastRP: its propagation tasks):", "",
              "| method | edges | tasks | CPU s min / median / max | tracemalloc peak MB "
              "min / median / max | worker Arrow pool peak MB | worker peak RSS MB |",
              "|---|---|---|---|---|---|---|"]
    for r in rows:
        t = r.get("task")
        if t:
            lines.append(f"| {r['method']} | {r['edges']:.0e} | {t['count']} | "
                         f"{t['cpu_s']['min']:.1f} / {t['cpu_s']['median']:.1f} / "
                         f"{t['cpu_s']['max']:.1f} | {t['peak_mb']['min']:.0f} / "
                         f"{t['peak_mb']['median']:.0f} / {t['peak_mb']['max']:.0f} | "
                         f"{t['worker_arrow_peak_mb_max']:.0f} | "
                         f"{t['worker_maxrss_mb_max']:.0f} |")
    if halos:
        h = out["halos"]
        lines += ["", "Halo per partition, min / median / max (hash partitions of about 10⁶ "
                  "arcs; the job's member rules), and the arcs the task keeps with "
                  "halo_arcs = 1 (partitions 0 and 1) and 2 (partition 0):", "",
                  "| edges | parts | halo | owned | halo nodes | member arcs | halo arcs | "
                  "kept, budget 1 | kept, budget 2 |", "|---|---|---|---|---|---|---|---|---|"]
        for tag in [k for k in h if k.startswith("1e")]:
            for hops in (1, 2):
                per = h[tag][f"hops{hops}"]

                def f(k):
                    v = summarise([x[k] for x in per])
                    return " / ".join(f"{v[q]:,.0f}" for q in ("min", "median", "max"))

                kept = ", ".join(f"{x['arcs_budget']:,}" for x in per if "arcs_budget" in x)
                kept2 = ", ".join(f"{x['arcs_budget2']:,}" for x in per if "arcs_budget2" in x)
                lines.append(f"| {tag} | {h[tag]['partitions']} | {hops}-hop | {f('owned')} | "
                             f"{f('halo_nodes')} | {f('member_arcs')} | {f('halo_arcs')} | "
                             f"{kept} | {kept2 or '–'} |")
    with_halos = [r for r in rows if "halo_summary" in r]
    if with_halos:
        lines += ["", "Per partition in these runs, min / median / max (the arcs a task receives "
                  "after the halo-arc budget):", "",
                  "| method | edges | parts | owned | halo nodes | member arcs | halo arcs |",
                  "|---|---|---|---|---|---|---|"]
        for r in with_halos:
            lines.append(f"| {r['method']} | {r['edges']:.0e} | {r['partitions']} | " + " | ".join(
                " / ".join(f"{r['halo_summary'][k][q]:,.0f}" for q in ("min", "median", "max"))
                for k in ("owned", "halo_nodes", "member_arcs", "halo_arcs")) + " |")
    if not sampled:
        (HERE / "results" / f"{name}.md").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        return
    lines += ["", "One task in a fresh process (one numba/BLAS thread; IRWE: CPU s and "
              "tracemalloc peak of the landmark-rows pass / the embedding pass; input MB: the "
              "Arrow tables the task receives; RSS includes ~0.3 GB of imports). legacy: no "
              "budget and the whole co-occurrence matrix (before), none: no budget, a number: "
              "that budget:", "",
              "| method | edges | part | variant | subgraph arcs | input MB | CPU s | "
              "tracemalloc peak MB | Arrow pool MB | peak RSS MB |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for t in sampled:
        head = f"| {t['method']} | {t['edges']:.0e} | {t['part']} | {t['variant']} | "
        if "error" in t:
            lines.append(head + f"– | – | failed: {str(t['error'])[-60:].strip()} | | | |")
            continue
        cpu = (f"{t['rows_cpu_s']:.0f} / {t['embed_cpu_s']:.0f}" if "rows_cpu_s" in t
               else f"{t['embed_cpu_s']:.0f}")
        peak = (f"{t['rows_peak_mb']:.0f} / {t['embed_peak_mb']:.0f}" if "rows_peak_mb" in t
                else f"{t['embed_peak_mb']:.0f}")
        lines.append(head + f"{t['subgraph_arcs']:,} | {t['input_mb']:.0f} | {cpu} | {peak} | "
                     f"{t.get('arrow_pool_peak_mb', 0):.0f} | {t.get('maxrss_mb', 0):.0f} |")
    (HERE / "results" / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1e6,1e7")
    ap.add_argument("--full", default="1e6", help="sizes run through the whole job")
    ap.add_argument("--methods", default="irwe,orbits")
    ap.add_argument("--arcs-per-task", type=float, default=1e6)
    ap.add_argument("--sample-parts", type=int, default=2)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--task-timeout", type=int, default=3600)
    ap.add_argument("--data", default=str(ROOT / "bench" / "results" / "tmp"))
    ap.add_argument("--name", default="methods_scale")
    # child mode
    ap.add_argument("--task", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--method-task", dest="method", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--budget", default="default", help=argparse.SUPPRESS)
    ap.add_argument("--memory-gb", type=float, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--variants", default="legacy,none,default",
                    help="sampled tasks: legacy (no halo-arc budget, the whole co-occurrence "
                    "matrix as before), none (no budget), default (the budget)")
    ap.add_argument("--task-memory-gb", type=float, default=10,
                    help="data-segment limit of a sampled task's process (0: none)")
    ap.add_argument("--work", default=None, help="scratch directory (default DATA/NAME)")
    ap.add_argument("--irwe-params", default="",
                    help="IRWE parameters name=value,... for the job and the sampled tasks "
                    "(e.g. identity_walks=200,walks_per_node=5 on a shared machine)")
    ap.add_argument("--landmarks", type=int, default=100_000,
                    help="IRWE landmark mode: --landmarks of the job (each landmark ships its "
                    "identity features and PPMI row to the driver)")
    ap.add_argument("--numpy-halos", default=None,
                    help="sizes (e.g. 1e6,1e7) whose per-partition halos are computed in numpy "
                    "by the job's rules (written to results/NAME_halos.json) instead of a run")
    ap.add_argument("--halos", default=None, help="--report: a --numpy-halos JSON to include")
    ap.add_argument("--tasks", default=None,
                    help="--report: JSON lines of sampled tasks run with --task")
    ap.add_argument("--report", default=None,
                    help="comma-separated result JSON files to merge into results/NAME.json/.md")
    args = ap.parse_args()
    if args.report:
        return report([x for x in args.report.split(",") if x], args.name,
                      halos=args.halos, tasks=args.tasks)
    if args.numpy_halos:
        res = {"loadavg_before": os.getloadavg(), "arcs_per_task": args.arcs_per_task}
        for tag in args.numpy_halos.split(","):
            P = max(1, int(round(2 * float(tag) / args.arcs_per_task)))
            t0 = time.process_time()
            h = numpy_halos(Path(args.data) / f"rmat-{tag}", P)
            res[tag] = {"partitions": P, "cpu_s": time.process_time() - t0,
                        **{f"hops{k}": v for k, v in h.items()}}
            print(json.dumps({"size": tag, "partitions": P, "cpu_s": res[tag]["cpu_s"]}),
                  flush=True)
        res["loadavg_after"] = os.getloadavg()
        (HERE / "results" / f"{args.name}_halos.json").write_text(json.dumps(res, indent=2))
        return None
    if args.task:
        if args.budget == "default":
            args.budget = str(HALO_BUDGET)
        return run_task(args)

    import pyspark

    from graphembed.methods import versions
    from spark_jobs import common, embed

    work = Path(args.work) if args.work else Path(args.data) / args.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    loads = [os.getloadavg()]
    spark = common.session("graphembed-methods-scale", master=args.master, conf={
        "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "16",
        "spark.executorEnv.NUMBA_NUM_THREADS": "1",
        "spark.executorEnv.OPENBLAS_NUM_THREADS": "1",
        "spark.cleaner.periodicGC.interval": "1min",
        "spark.local.dir": str(work / "spark-local")})
    spark.sparkContext.setLogLevel("ERROR")
    full = set(args.full.split(",")) if args.full else set()
    rows = []

    def save():
        """Written after every row: a run stopped part way keeps the rows it finished."""
        result = {"benchmark": "spark_methods_scale", "master": args.master,
                  "irwe_params": irwe_params(args.irwe_params), "landmarks": args.landmarks,
                  "arcs_per_task": args.arcs_per_task, "dim": args.dim, "rows": rows,
                  "orbit_keys": orbit_params()["keys"], "loadavg": loads,
                  "threads": {"spark_task_slots": args.master, "numba_per_task": 1},
                  "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                  "versions": {**versions(), "pyspark": pyspark.__version__}}
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / f"{args.name}.json").write_text(json.dumps(result, indent=2))

    for tag, edges, path, P in rmat.sized_graphs(args.sizes, args.data, args.arcs_per_task):
        methods = args.methods.split(",")
        if tag in full:
            methods = methods + ["fastrp"]
        prefix_timings = {}
        for method in methods:
            row = {"edges": edges, "method": method, "partitions": P, "full_job": tag in full}
            hops = 2 if method == "orbits" else 1
            wdir = work / f"w-{tag}"
            if tag in full:
                metrics = work / f"metrics-{tag}-{method}"
                spark.conf.set(embed.METRICS_CONF, str(metrics))
                out = work / f"emb-{tag}-{method}"
                kw = {"params": orbit_params()} if method == "orbits" else {}
                if method == "irwe":
                    kw = {"landmarks": args.landmarks, "params": irwe_params(args.irwe_params)}
                if method == "fastrp":
                    kw = {"params": {"iteration_weights": "0,0,1,6.67"}}
                t0 = time.perf_counter()
                meta = embed.run(spark, str(path), str(out), method=method, partitions=P,
                                 dim=args.dim, seed=0, keep_work=True, **kw)
                row["wall_s"] = time.perf_counter() - t0
                spark.conf.unset(embed.METRICS_CONF)
                row["stages_s"] = meta["seconds"]
                row["nodes"], row["arcs"] = meta["graph"]["nodes"], meta["graph"]["arcs"]
                tasks = []
                for f in metrics.glob("*.jsonl"):
                    tasks += [json.loads(line) for line in f.read_text().splitlines()]
                stage = "propagate" if method == "fastrp" else "subgraph"
                t = [x for x in tasks if x["stage"] == stage and x["input_rows"]]
                if t:
                    row["task"] = {"count": len(t),
                                   "cpu_s": summarise([x["cpu_s"] for x in t]),
                                   "peak_mb": summarise([x["peak_mb"] for x in t]),
                                   "worker_arrow_peak_mb_max": max(x["worker_arrow_peak_mb"]
                                                                   for x in t),
                                   "worker_maxrss_mb_max": max(x["worker_maxrss_mb"]
                                                               for x in t)}
                if method != "fastrp":
                    members = spark.read.parquet(str(out / "_work" / "sub" / "members"))
                    sub_arcs = spark.read.parquet(str(out / "_work" / "sub" / "arcs"))
                    nodes = spark.read.parquet(str(out / "_work" / "clean" / "nodes"))
            else:
                timings = dict(prefix_timings)
                t0 = time.perf_counter()
                nodes, members, sub_arcs = job_prefix(spark, embed, path, wdir, P, hops, timings)
                prefix_timings.update({k: v for k, v in timings.items()
                                       if k in ("clean", "partition")})
                row["wall_s"] = time.perf_counter() - t0
                row["stages_s"] = timings
                row["nodes"] = nodes.count()
                row["arcs"] = int(spark.read.parquet(str(wdir / "clean" / "edges")).count())
            if method != "fastrp":
                halos = halo_sizes(spark, members, sub_arcs)
                row["halos"] = halos
                row["halo_summary"] = {k: summarise([h[k] for h in halos])
                                       for k in ("owned", "halo_nodes", "member_arcs",
                                                 "halo_arcs")}
                sampled = []
                for part in [h["part"] for h in halos][:args.sample_parts]:
                    dest = work / f"task-{tag}-{method}-p{part}"
                    export_task(spark, nodes, members, sub_arcs, part, dest, method,
                                args.landmarks)
                    s = {"part": part, **budget_kept(dest)}
                    for budget in args.variants.split(","):
                        if budget == "legacy" and method != "irwe":
                            continue  # orbits: the same as none
                        s[budget] = child(dest, method, budget, args.dim, args.task_timeout,
                                          args.task_memory_gb, args.irwe_params)
                        print(json.dumps({"edges": edges, "method": method, "part": part,
                                          "budget": budget, **s[budget]}), flush=True)
                    sampled.append(s)
                    shutil.rmtree(dest, ignore_errors=True)
                row["sampled_tasks"] = sampled
            loads.append(os.getloadavg())
            row["loadavg_after"] = loads[-1]
            rows.append(row)
            save()
            print(json.dumps({k: v for k, v in row.items() if k not in ("halos",)}), flush=True)
            if tag in full:
                shutil.rmtree(work / f"emb-{tag}-{method}", ignore_errors=True)
        shutil.rmtree(work / f"w-{tag}", ignore_errors=True)
    spark.stop()
    save()
    print(json.dumps(loads))


if __name__ == "__main__":
    main()
