"""Clean an edge list: symmetrise, de-duplicate, drop self-loops, map string ids to int64.

    spark-submit spark_jobs/clean.py --edges PATH --out DIR [--directed] [--weight-col w]

Output ``DIR``: ``edges/`` (Parquet ``src long, dst long[, weight double]``, every undirected edge
stored in both directions), ``nodes/`` (``node long, key long, arcs long, degree double``: the
int64 id, the seeding key, the arc count and the weighted degree), ``mapping/`` for string ids
(``node long, id string``) and ``_meta.json`` (written last; the directory appears atomically).

The rules are those of :func:`graphembed.as_csr`: duplicates summed, undirected weight the larger
of the two directions, zero weights dropped, negative or non-finite weights rejected. String ids
map to their rank in sorted order (so rows come out in the order ``as_csr`` gives them) and keep
the seeding key of the original string, so a node draws the same random numbers as on one machine.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spark_jobs import common  # noqa: E402


def check_weights(raw, source=None):
    """ValueError naming the first edge whose weight is negative, NaN, infinite or missing (not
    a number in a text file), with the user's ids as read, and the fix. One pass over the edges
    when every weight is good (Spark stops at the first bad one otherwise)."""
    from pyspark.sql import functions as F

    if "weight" not in raw.columns:
        return
    w = F.col("weight")
    bad = raw.where(w.isNull() | F.isnan(w) | (w < 0) | (F.abs(w) == float("inf")))
    first = bad.limit(1).collect()
    if first:
        row = first[0]
        got = "a missing or non-numeric weight" if row["weight"] is None else \
            f"weight {row['weight']}"
        where = f"--edges {source}: " if source else ""
        raise ValueError(
            f"{where}the edge ({row['src']}, {row['dst']}) has {got}; weights must be finite, "
            "non-negative numbers: fix or drop such rows (or read the file without weights)")


def clean_edges(raw, *, directed=False, source=None):
    """Canonical arcs and node table from a raw ``src, dst[, weight]`` DataFrame.

    Returns ``(edges, nodes, mapping)``; ``mapping`` is None for integer ids. Lazy DataFrames
    (the caller writes them), except the weight check (:func:`check_weights`, which names the
    edge by the user's ids and ``source``, the input's path). Cost: a few shuffles of the edge
    list.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from graphembed import distributed

    weighted = "weight" in raw.columns
    check_weights(raw, source)
    src_type = dict(raw.dtypes)["src"]
    dst_type = dict(raw.dtypes)["dst"]
    integer = all(t in ("int", "bigint", "smallint", "tinyint") for t in (src_type, dst_type))
    mapping = None
    if not integer:
        raw = raw.select(F.col("src").cast("string").alias("src"),
                         F.col("dst").cast("string").alias("dst"),
                         *(["weight"] if weighted else []))
        ids = raw.select(F.col("src").alias("id")).union(raw.select(F.col("dst").alias("id")))
        ids = ids.distinct().orderBy("id")
        indexed = ids.rdd.map(lambda r: r[0]).zipWithIndex()
        mapping = raw.sparkSession.createDataFrame(
            indexed, T.StructType([T.StructField("id", T.StringType(), False),
                                   T.StructField("node", T.LongType(), False)]))
        mapping = mapping.select("node", "id")
        m_src = mapping.select(F.col("id").alias("src"), F.col("node").alias("s"))
        m_dst = mapping.select(F.col("id").alias("dst"), F.col("node").alias("d"))
        raw = (raw.join(m_src, "src").join(m_dst, "dst")
               .select(F.col("s").alias("src"), F.col("d").alias("dst"),
                       *(["weight"] if weighted else [])))
    else:
        raw = raw.select(F.col("src").cast("long").alias("src"),
                         F.col("dst").cast("long").alias("dst"),
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
    if mapping is None:
        nodes = nodes.withColumn("key", F.col("node"))
    else:
        keyed = mapping.mapInArrow(functools.partial(distributed.keys_batches, id_col="id"),
                                   "node long, key long")
        nodes = nodes.join(keyed, "node")
    nodes = nodes.select("node", "key", F.col("arcs").cast("long"), F.col("degree").cast("double"))
    return arcs, nodes, mapping


def run(spark, edges, out, *, directed=False, overwrite=False, fmt="auto", delimiter=None,
        src_col="src", dst_col="dst", weight_col=None):
    """Read, clean and write (see the module docstring). Returns the output's metadata."""
    common.check_output(spark, out, overwrite=overwrite)
    raw = common.read_edges(spark, edges, fmt=fmt, src=src_col, dst=dst_col, weight=weight_col,
                            delimiter=delimiter)
    arcs, nodes, mapping = clean_edges(raw, directed=directed, source=edges)
    with common.atomic_output(spark, out, overwrite=overwrite) as tmp:
        arcs.write.parquet(tmp + "/edges")
        if mapping is not None:
            mapping.write.parquet(tmp + "/mapping")
        nodes.write.parquet(tmp + "/nodes")
        stored = spark.read.parquet(tmp + "/nodes")
        n = stored.count()
        m = int(stored.agg({"arcs": "sum"}).collect()[0][0] or 0)
        meta = {
            "job": "clean",
            "input": edges,
            "directed": bool(directed),
            "weighted": "weight" in arcs.columns,
            "string_ids": mapping is not None,
            "nodes": n,
            "arcs": m,
        }
        common.write_meta(spark, tmp, meta)
    return meta


def main(argv=None):
    parser = argparse.ArgumentParser(prog=Path(__file__).name,
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--edges", required=True, help="edge list: Parquet or text")
    parser.add_argument("--out", required=True, help="output directory")
    common.add_input_arguments(parser)
    args = parser.parse_args(argv)
    with common.user_errors(parser.prog, verbose=args.verbose):
        spark = common.session("graphembed-clean", master=args.master, verbose=args.verbose)
        meta = run(spark, args.edges, args.out, directed=args.directed, overwrite=args.overwrite,
                   fmt=args.format, delimiter=args.delimiter, src_col=args.src_col,
                   dst_col=args.dst_col, weight_col=args.weight_col)
    common.log(f"clean: {meta['nodes']} nodes, {meta['arcs']} arcs -> {args.out}")


if __name__ == "__main__":
    main()
