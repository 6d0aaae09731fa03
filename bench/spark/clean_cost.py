"""Cleaning cost: spark_jobs/clean.py's plan against the plan it replaced, in the same session.

    python bench/spark/clean_cost.py --edges 1e6 [--repeats 3 --master local[2] --weighted]

Both plans read the same R-MAT edge list (bench/spark/rmat.py, generated when missing) and write
``edges/`` and ``nodes/``. The previous plan (kept below as ``previous_clean``) symmetrised by a
union of both directions and a de-duplication, and built the node table lazily from the arcs, so
writing it cleaned the arcs a second time, then a distinct of every endpoint and a join.
The current one (``clean.write_graph``) de-duplicates unordered pairs once and builds the node
table in one aggregation over the stored arcs. Printed and written (results/clean_cost.json,
.md): wall seconds per run (runs alternate, median of ``--repeats``), the shuffles (``Exchange``
nodes of the physical plans, before adaptive execution), and whether the outputs are identical.
"""

import argparse
import json
import os
import platform
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))


def previous_clean(raw, *, directed=False):
    """The cleaning plan before this benchmark's change (integer ids), for the baseline."""
    from pyspark.sql import functions as F

    weighted = "weight" in raw.columns
    raw = raw.select(F.col("src").cast("long").alias("src"), F.col("dst").cast("long").alias("dst"),
                     *(["weight"] if weighted else []))
    arcs = raw.where(F.col("src") != F.col("dst"))
    if weighted:
        arcs = arcs.where(F.col("weight") != 0).groupBy("src", "dst").agg(
            F.sum("weight").alias("weight"))
        if not directed:
            both = arcs.union(arcs.select(F.col("dst").alias("src"), F.col("src").alias("dst"),
                                          "weight"))
            arcs = both.groupBy("src", "dst").agg(F.max("weight").alias("weight"))
    else:
        if not directed:
            arcs = arcs.union(arcs.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
        arcs = arcs.distinct()
    counts = arcs.groupBy(F.col("src").alias("node")).agg(
        F.count(F.lit(1)).alias("arcs"),
        (F.sum("weight") if weighted else F.count(F.lit(1)).cast("double")).alias("degree"))
    every = raw.select(F.col("src").alias("node")).union(raw.select(F.col("dst").alias("node")))
    nodes = every.distinct().join(counts, "node", "left").fillna({"arcs": 0, "degree": 0.0})
    nodes = nodes.withColumn("key", F.col("node"))
    nodes = nodes.select("node", "key", F.col("arcs").cast("long"), F.col("degree").cast("double"))
    return arcs, nodes


def exchanges(df):
    """(shuffles, reused shuffles, broadcasts) in the physical plan of ``df``."""
    plan = df._jdf.queryExecution().executedPlan().toString()
    reused = len(re.findall(r"ReusedExchange", plan))
    broadcast = len(re.findall(r"BroadcastExchange", plan))
    shuffles = len(re.findall(r"(?<![A-Za-z])Exchange (?:hashpartitioning|rangepartitioning|"
                              r"SinglePartition|RoundRobinPartitioning)", plan))
    return shuffles, reused, broadcast


def run_previous(spark, path, out):
    from spark_jobs import common

    raw = common.read_edges(spark, path)
    arcs, nodes = previous_clean(raw)
    plans = {"edges": exchanges(arcs), "nodes": exchanges(nodes)}
    arcs.write.parquet(f"{out}/edges")
    nodes.write.parquet(f"{out}/nodes")
    return plans


def run_current(spark, path, out):
    from spark_jobs import clean, common

    raw = common.read_edges(spark, path)
    r, mapping, weighted = clean._integer_ids(raw)
    arcs = clean.canonical_arcs(r, weighted=weighted)
    plans = {"edges": exchanges(arcs)}
    arcs.write.parquet(f"{out}/edges")
    stored = spark.read.parquet(f"{out}/edges")
    nodes = clean.node_table(stored, r, mapping, weighted=weighted)
    plans["nodes"] = exchanges(nodes)
    nodes.write.parquet(f"{out}/nodes")
    return plans


def read_sorted(path, cols):
    import pyarrow.parquet as pq

    t = pq.read_table(path).to_pandas()
    return t.sort_values(cols[:2]).reset_index(drop=True)[cols]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", default="1e6")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--data", default=str(HERE.parent / "results" / "tmp"))
    args = ap.parse_args()

    import pyspark

    from graphembed.methods import versions
    from spark_jobs import common

    import rmat

    path = Path(args.data) / f"rmat-{args.edges}"
    if not path.exists():
        rmat.write_rmat(float(args.edges), str(path))
    work = Path(args.data) / "clean_cost"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    spark = common.session("graphembed-bench-clean", master=args.master, conf={
        "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "16",
        "spark.local.dir": str(work / "spark-local")})
    spark.sparkContext.setLogLevel("ERROR")
    runs = {"previous": run_previous, "current": run_current}
    walls = {k: [] for k in runs}
    plans = {}
    loads = []
    for rep in range(args.repeats):
        order = list(runs) if rep % 2 == 0 else list(runs)[::-1]
        for name in order:
            out = work / f"{name}-{rep}"
            loads.append(os.getloadavg()[0])
            t0 = time.perf_counter()
            plans[name] = runs[name](spark, str(path), str(out))
            walls[name].append(time.perf_counter() - t0)
            print(f"{name} run {rep}: {walls[name][-1]:.1f} s (load {loads[-1]:.1f})", flush=True)
    e0 = read_sorted(work / "previous-0" / "edges", ["src", "dst"])
    e1 = read_sorted(work / "current-0" / "edges", ["src", "dst"])
    n0 = read_sorted(work / "previous-0" / "nodes", ["node", "key", "arcs", "degree"])
    n1 = read_sorted(work / "current-0" / "nodes", ["node", "key", "arcs", "degree"])
    identical = bool(e0.equals(e1) and n0.equals(n1))
    spark.stop()
    med = {k: float(np.median(v)) for k, v in walls.items()}
    out = {"benchmark": "spark_clean", "edges": float(args.edges), "arcs": int(len(e1)),
           "nodes": int(len(n1)), "master": args.master, "repeats": args.repeats,
           "wall_s": walls, "median_s": med, "ratio_previous_over_current":
           med["previous"] / med["current"],
           "shuffles": {k: {t: {"exchanges": v[0], "reused": v[1], "broadcast": v[2]}
                            for t, v in p.items()} for k, p in plans.items()},
           "outputs_identical": identical, "load_average_during": loads,
           "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared with other jobs",
           "versions": {**versions(), "pyspark": pyspark.__version__}}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "clean_cost.json").write_text(json.dumps(out, indent=2))
    lines = [f"Cleaning {len(e1):,} arcs ({args.edges} R-MAT edges), {args.master}, "
             f"median of {args.repeats}, load average {np.median(loads):.1f}",
             "", "| plan | wall s (median) | shuffles writing edges | shuffles writing nodes |",
             "|---|---|---|---|"]
    for k in runs:
        p = plans[k]
        reused = f" (+{p['nodes'][1]} reused)" if p["nodes"][1] else ""
        lines.append(f"| {k} | {med[k]:.1f} | {p['edges'][0]} | {p['nodes'][0]}{reused} |")
    lines.append(f"\nprevious / current: {out['ratio_previous_over_current']:.2f}x; "
                 f"outputs identical: {identical}")
    (HERE / "results" / "clean_cost.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
