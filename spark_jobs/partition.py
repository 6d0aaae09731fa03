"""Partition a cleaned graph: hash, or DistNE-style locality levels; every level written out.

    spark-submit spark_jobs/partition.py --graph CLEAN_DIR --out DIR --method hash|locality
        [--partitions N | --max-arcs M] [--seed S]

``CLEAN_DIR`` is the output of ``clean.py``. Output ``DIR``: ``level=0/``, ``level=1/``, ... (Parquet
``node long, part int``; level 0 holds every node, level ℓ+1 the border nodes of level ℓ) and
``_meta.json``. An assignment is always read back from Parquet, never recomputed, so a retried task
sees the same partitions.

Locality partitioning (:func:`graphembed.distributed.grow_partitions` is the single-machine
reference of the same rule, and the tests check both give the same assignment): seeded
multi-source BFS growth in waves, each round one DataFrame join of the frontier's arcs, admissions
capped per partition (sum of degrees <= ``max_arcs``) in priority order by a window sum; the border
nodes induce the next level's graph, until a level fits one task (``max_arcs``).
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spark_jobs import common  # noqa: E402


def hash_assignment(nodes, num_partitions, seed=0):
    """``node, part`` with ``part = priority(seed, key) mod num_partitions`` (lazy)."""
    from graphembed import distributed

    return nodes.select("node", "key").mapInArrow(
        functools.partial(distributed.partition_batches, num_partitions=num_partitions,
                          seed=seed), "node long, part int")


def _with_priority(nodes, seed):
    from graphembed import distributed

    return nodes.select("node", "key", "arcs").mapInArrow(
        functools.partial(distributed.priority_batches, seed=seed),
        "node long, key long, arcs long, pri long")


def grow(spark, arcs, nodes, *, max_arcs, seed, slack, workdir, max_waves=3, label="grow"):
    """Seeded BFS growth with caps as DataFrame joins (see the module docstring).

    ``arcs``: ``src, dst`` of a symmetric graph; ``nodes``: ``node, key, arcs`` (arcs = degree in
    this graph). Every round's admissions are written under ``workdir`` and read back. Returns the
    assignment DataFrame ``node, part`` (materialised) and the number of rounds.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from graphembed import distributed

    nodes = _with_priority(nodes.select("node", "key", "arcs"), seed)
    nodes.write.parquet(f"{workdir}/{label}-nodes")
    nodes = spark.read.parquet(f"{workdir}/{label}-nodes").cache()
    arcs = arcs.select("src", "dst")
    paths = []
    rounds = 0
    next_label = 0

    def assigned():
        if not paths:
            return spark.createDataFrame([], "node long, part int")
        return spark.read.parquet(*paths)

    def write(df):
        path = f"{workdir}/{label}-round{len(paths):04d}"
        df.write.parquet(path)
        paths.append(path)
        return spark.read.parquet(path)

    for _wave in range(max_waves):
        free = nodes.join(assigned(), "node", "left_anti")
        total = free.agg(F.count(F.lit(1)).alias("n"), F.sum("arcs").alias("a")).collect()[0]
        if not total["n"]:
            break
        k = distributed._seed_count(int(total["a"] or 0), max_arcs, slack)
        pool = free.where(F.col("arcs") > 0)
        if not pool.limit(1).collect():
            pool = free
        seeds = pool.orderBy("pri").limit(k).select("node", "arcs").collect()
        rows = [(int(r["node"]), next_label + i) for i, r in enumerate(seeds)]
        load = {next_label + i: int(r["arcs"]) for i, r in enumerate(seeds)}
        lo = next_label
        next_label += len(seeds)
        write(spark.createDataFrame(rows, "node long, part int"))
        while True:
            rounds += 1
            current = assigned()
            wave = current.where(F.col("part") >= lo).select(F.col("node").alias("src"), "part")
            free_now = nodes.join(current, "node", "left_anti").select(
                F.col("node").alias("dst"), "pri", "arcs")
            cand = (arcs.join(wave, "src").join(free_now, "dst")
                    .groupBy("dst", "part").agg(F.count(F.lit(1)).alias("c"),
                                                F.first("pri").alias("pri"),
                                                F.first("arcs").alias("arcs")))
            pick = Window.partitionBy("dst").orderBy(F.col("c").desc(), F.col("part"))
            best = cand.withColumn("r", F.row_number().over(pick)).where(F.col("r") == 1)
            order = Window.partitionBy("part").orderBy("pri").rowsBetween(
                Window.unboundedPreceding, Window.currentRow)
            best = best.withColumn("cum", F.sum("arcs").over(order))
            loads = spark.createDataFrame([(p, v) for p, v in load.items()],
                                          "part int, load long")
            admitted = (best.join(F.broadcast(loads), "part")
                        .where(F.col("load") + F.col("cum") <= max_arcs)
                        .select(F.col("dst").alias("node"), "part", "arcs"))
            admitted.write.parquet(f"{workdir}/{label}-adm{rounds:05d}")
            admitted = spark.read.parquet(f"{workdir}/{label}-adm{rounds:05d}")
            gained = admitted.groupBy("part").agg(F.sum("arcs").alias("a"),
                                                  F.count(F.lit(1)).alias("n")).collect()
            if not gained:
                break
            for r in gained:
                load[int(r["part"])] += int(r["a"])
            write(admitted.select("node", "part"))
    rest = nodes.join(assigned(), "node", "left_anti")
    left = rest.agg(F.count(F.lit(1)).alias("n"), F.sum("arcs").alias("a")).collect()[0]
    if left["n"]:
        k = distributed._seed_count(int(left["a"] or 0), max_arcs, slack)
        extra = hash_assignment(rest, k, seed).select(
            "node", (F.col("part") + F.lit(next_label)).cast("int").alias("part"))
        write(extra)
    result = assigned()
    result.write.parquet(f"{workdir}/{label}-assignment")
    return spark.read.parquet(f"{workdir}/{label}-assignment"), rounds


def grow_on_driver(spark, arcs, nodes, *, max_arcs, seed, slack):
    """The same growth computed by :func:`graphembed.distributed.grow_partitions` on the driver
    (for level graphs that fit the driver's memory). Returns ``node, part`` (lazy)."""
    import numpy as np

    from graphembed import distributed

    nd = nodes.select("node", "key").orderBy("node").toPandas()
    ids = nd["node"].to_numpy(np.int64)
    ar = arcs.select("src", "dst").toPandas()
    src = np.searchsorted(ids, ar["src"].to_numpy(np.int64))
    dst = np.searchsorted(ids, ar["dst"].to_numpy(np.int64))
    order = np.lexsort((dst, src))
    indptr = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=len(ids)), out=indptr[1:])
    parts = distributed.grow_partitions(indptr, dst[order], nd["key"].to_numpy(np.int64),
                                        max_arcs=max_arcs, seed=seed, slack=slack)
    import pandas as pd

    return spark.createDataFrame(pd.DataFrame({"node": ids, "part": parts.astype(np.int32)}))


def locality_levels(spark, arcs, nodes, *, max_arcs, seed, slack, out, workdir, growth="spark",
                    max_levels=8, shrink=0.9):
    """Write ``out/level=ℓ`` for every level (see the module docstring). Returns level stats."""
    from pyspark.sql import functions as F

    stats = []
    level_arcs = arcs.select("src", "dst")
    level_nodes = nodes.select("node", "key", "arcs")
    for level in range(max_levels):
        total = level_nodes.agg(F.count(F.lit(1)).alias("n"), F.sum("arcs").alias("a")).collect()[0]
        n, a = int(total["n"]), int(total["a"] or 0)
        path = f"{out}/level={level}"
        if a <= max_arcs or level == max_levels - 1:
            level_nodes.select("node", F.lit(0).cast("int").alias("part")).write.parquet(path)
            stats.append({"level": level, "nodes": n, "arcs": a, "partitions": 1, "rounds": 0})
            break
        if growth == "driver":
            assign, rounds = grow_on_driver(spark, level_arcs, level_nodes, max_arcs=max_arcs,
                                            seed=seed, slack=slack), None
        else:
            assign, rounds = grow(spark, level_arcs, level_nodes, max_arcs=max_arcs, seed=seed,
                                  slack=slack, workdir=workdir, label=f"level{level}")
        assign.write.parquet(path)
        assign = spark.read.parquet(path)
        parts = assign.agg(F.countDistinct("part")).collect()[0][0]
        tagged = (level_arcs.join(assign.select(F.col("node").alias("src"), F.col("part").alias("ps")),
                                  "src")
                  .join(assign.select(F.col("node").alias("dst"), F.col("part").alias("pd")), "dst"))
        border = tagged.where(F.col("ps") != F.col("pd")).select(F.col("src").alias("node")).distinct()
        border.write.parquet(f"{workdir}/level{level}-border")
        border = spark.read.parquet(f"{workdir}/level{level}-border")
        nb = border.count()
        stats.append({"level": level, "nodes": n, "arcs": a, "partitions": int(parts),
                      "rounds": rounds, "border_nodes": nb})
        if nb == 0:
            break
        b_src = border.select(F.col("node").alias("src"))
        b_dst = border.select(F.col("node").alias("dst"))
        next_arcs = level_arcs.join(b_src, "src").join(b_dst, "dst").select("src", "dst")
        next_arcs.write.parquet(f"{workdir}/level{level + 1}-arcs")
        level_arcs = spark.read.parquet(f"{workdir}/level{level + 1}-arcs")
        counts = level_arcs.groupBy(F.col("src").alias("node")).agg(F.count(F.lit(1)).alias("arcs"))
        level_nodes = (border.join(nodes.select("node", "key"), "node")
                       .join(counts, "node", "left").fillna({"arcs": 0}))
        if nb > shrink * n:
            level_nodes.select("node", F.lit(0).cast("int").alias("part")).write.parquet(
                f"{out}/level={level + 1}")
            stats.append({"level": level + 1, "nodes": nb, "arcs": None, "partitions": 1,
                          "rounds": 0, "note": "border did not shrink; one partition"})
            break
    return stats


def partition_graph(spark, graph_dir, out, *, method="hash", partitions=None, max_arcs=None,
                    seed=0, slack=1.25, growth="spark", workdir=None):
    """Write the partition levels of a cleaned graph into ``out`` (a directory being built).

    Returns metadata: method, the arc cap, per-level counts. ``hash`` writes level 0 only.
    """
    from graphembed import distributed

    nodes = spark.read.parquet(f"{graph_dir}/nodes")
    arcs = spark.read.parquet(f"{graph_dir}/edges")
    meta = common.read_meta(spark, graph_dir)
    total_arcs = int(meta["arcs"])
    if method == "hash":
        if not partitions:
            raise ValueError("--method hash needs --partitions N (N >= 1)")
        hash_assignment(nodes, partitions, seed).write.parquet(f"{out}/level=0")
        return {"method": "hash", "partitions": int(partitions), "seed": int(seed),
                "levels": [{"level": 0, "nodes": int(meta["nodes"]), "arcs": total_arcs,
                            "partitions": int(partitions)}]}
    if method != "locality":
        raise ValueError(f"--partitioner must be hash or locality, got {method!r}")
    if max_arcs is None:
        if not partitions:
            raise ValueError("--partitioner locality needs --partitions N or --max-arcs M")
        max_arcs = distributed.arc_cap_for(total_arcs, partitions, slack)
    stats = locality_levels(spark, arcs, nodes, max_arcs=int(max_arcs), seed=seed, slack=slack,
                            out=out, workdir=workdir or f"{out}/_work", growth=growth)
    return {"method": "locality", "max_arcs": int(max_arcs), "seed": int(seed), "slack": slack,
            "growth": growth, "levels": stats}


def run(spark, graph_dir, out, *, overwrite=False, **kwargs):
    common.check_output(spark, out, overwrite=overwrite)
    common.check_input(spark, f"{graph_dir.rstrip('/')}/_meta.json", "--graph",
                       "the output folder of clean.py")
    with common.atomic_output(spark, out, overwrite=overwrite) as tmp:
        meta = partition_graph(spark, graph_dir, tmp, workdir=f"{tmp}/_work", **kwargs)
        common.delete(spark, f"{tmp}/_work")
        meta["job"] = "partition"
        meta["graph"] = graph_dir
        common.write_meta(spark, tmp, meta)
    return meta


def main(argv=None):
    parser = argparse.ArgumentParser(prog=Path(__file__).name,
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--graph", required=True, help="output directory of clean.py")
    parser.add_argument("--out", required=True)
    parser.add_argument("--method", default="hash", choices=("hash", "locality"))
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--max-arcs", type=int, default=None,
                        help="locality: cap on arcs (sum of degrees) per partition")
    parser.add_argument("--growth", default="spark", choices=("spark", "driver"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true")
    common.add_session_arguments(parser)
    args = parser.parse_args(argv)
    with common.user_errors(parser.prog, verbose=args.verbose):
        spark = common.session("graphembed-partition", master=args.master, verbose=args.verbose)
        meta = run(spark, args.graph, args.out, overwrite=args.overwrite, method=args.method,
                   partitions=args.partitions, max_arcs=args.max_arcs, seed=args.seed,
                   growth=args.growth)
    common.log(f"partition: {meta['levels']}")


if __name__ == "__main__":
    main()
