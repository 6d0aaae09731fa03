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
    edge by the user's ids and ``source``, the input's path). :func:`write_graph` writes the same
    tables with less work (the node table from the stored arcs).
    """
    raw, mapping, weighted = _integer_ids(raw, source=source)
    arcs = canonical_arcs(raw, directed=directed, weighted=weighted)
    return arcs, node_table(arcs, raw, mapping, weighted=weighted, directed=directed), mapping


def write_graph(spark, raw, directory, *, directed=False, source=None, mapping_dir=None):
    """Clean ``raw`` and write ``directory/edges`` and ``directory/nodes`` (and the mapping of
    string ids to ``mapping_dir``, default ``directory/mapping``); returns ``(nodes, mapping)``
    as stored. Three passes: the mapping (string ids only: a sort), the arcs (one shuffle), the
    node table (one aggregation over the stored arcs and the node ids)."""
    if mapping_dir is None:
        mapping_dir = f"{directory}/mapping"

    def store(mapping):
        mapping.write.parquet(mapping_dir)
        return spark.read.parquet(mapping_dir)

    raw, mapping, weighted = _integer_ids(raw, source=source, store=store)
    canonical_arcs(raw, directed=directed, weighted=weighted).write.parquet(f"{directory}/edges")
    arcs = spark.read.parquet(f"{directory}/edges")
    node_table(arcs, raw, mapping, weighted=weighted, directed=directed).write.parquet(
        f"{directory}/nodes")
    return spark.read.parquet(f"{directory}/nodes"), mapping


def _integer_ids(raw, *, source=None, store=None):
    """``(raw with int64 src, dst, mapping or None, weighted)`` after the weight check; string
    ids map to their rank in sorted order (``store`` may materialise the mapping before use)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

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
        if store is not None:
            mapping = store(mapping)
        m_src = mapping.select(F.col("id").alias("src"), F.col("node").alias("s"))
        m_dst = mapping.select(F.col("id").alias("dst"), F.col("node").alias("d"))
        raw = (raw.join(m_src, "src").join(m_dst, "dst")
               .select(F.col("s").alias("src"), F.col("d").alias("dst"),
                       *(["weight"] if weighted else [])))
    else:
        raw = raw.select(F.col("src").cast("long").alias("src"),
                         F.col("dst").cast("long").alias("dst"),
                         *(["weight"] if weighted else []))
    return raw, mapping, weighted


def canonical_arcs(raw, *, directed=False, weighted=False):
    """The arcs of ``raw`` (int64 ids) as :func:`graphembed.as_csr` keeps them, in one shuffle.

    Self-loops and zero weights dropped; directed: duplicates summed (weighted) or dropped;
    undirected: one aggregation per unordered pair ``(least, greatest)`` — the two directions'
    summed weights side by side, the larger kept — written out in both directions. That shuffles
    each input row once, where a union of both directions followed by a de-duplication shuffled
    twice as many rows (and, weighted, twice).
    """
    from pyspark.sql import functions as F

    src, dst = F.col("src"), F.col("dst")
    arcs = raw.where(src != dst)
    if weighted:
        arcs = arcs.where(F.col("weight") != 0)
    if directed:
        if weighted:
            return arcs.groupBy("src", "dst").agg(F.sum("weight").alias("weight"))
        return arcs.select("src", "dst").distinct()
    lo, hi = F.least(src, dst).alias("lo"), F.greatest(src, dst).alias("hi")
    if weighted:
        w = F.col("weight")
        pairs = arcs.groupBy(lo, hi).agg(
            F.sum(F.when(src < dst, w)).alias("up"), F.sum(F.when(src > dst, w)).alias("down"))
        pairs = pairs.select("lo", "hi", F.greatest("up", "down").alias("weight"))
    else:
        pairs = arcs.select(lo, hi).distinct()
    both = F.explode(F.array(F.struct(F.col("lo").alias("src"), F.col("hi").alias("dst")),
                             F.struct(F.col("hi").alias("src"), F.col("lo").alias("dst"))))
    out = pairs.select(both.alias("arc"), *(["weight"] if weighted else []))
    return out.select("arc.src", "arc.dst", *(["weight"] if weighted else []))


def node_table(arcs, raw, mapping, *, weighted=False, directed=False):
    """``node, key, arcs, degree`` in one aggregation: every node (the endpoints of ``raw``, or
    the ``mapping`` of string ids with their seeding keys) with zero counts, and every arc of
    ``arcs`` counted at its source; pass the stored arcs, so that they are not cleaned again.

    With integer ids only the endpoints of the rows cleaning dropped (self-loops, zero weights)
    and, directed, the arcs' targets join the aggregation beside the arcs: every other node is
    the source of an arc (undirected arcs are stored both ways), so reading all of ``raw``'s
    endpoints again would add twice the edges' rows to the aggregation for nothing."""
    from pyspark.sql import functions as F

    from graphembed import distributed

    zero_a, zero_w = F.lit(0).cast("long").alias("a"), F.lit(0.0).alias("w")
    if mapping is None:
        dropped = F.col("src") == F.col("dst")
        if weighted:
            dropped = dropped | (F.col("weight") == 0)
        lost = raw.where(dropped)
        ends = (lost.select(F.col("src").alias("node"))
                .union(lost.select(F.col("dst").alias("node"))))
        if directed:
            ends = ends.union(arcs.select(F.col("dst").alias("node")))
        ends = ends.select("node", F.col("node").alias("key"), zero_a, zero_w)
    else:
        keyed = mapping.mapInArrow(functools.partial(distributed.keys_batches, id_col="id"),
                                   "node long, key long")
        ends = keyed.select("node", "key", zero_a, zero_w)
    counted = arcs.select(F.col("src").alias("node"), F.col("src").alias("key"),
                          F.lit(1).cast("long").alias("a"),
                          (F.col("weight") if weighted else F.lit(1.0)).cast("double").alias("w"))
    if mapping is not None:
        counted = counted.withColumn("key", F.lit(None).cast("long"))
    return (ends.unionByName(counted).groupBy("node")
            .agg(F.max("key").alias("key"), F.sum("a").alias("arcs"),
                 F.sum("w").alias("degree"))
            .select("node", "key", F.col("arcs").cast("long"), F.col("degree").cast("double")))


def run(spark, edges, out, *, directed=False, overwrite=False, fmt="auto", delimiter=None,
        src_col="src", dst_col="dst", weight_col=None):
    """Read, clean and write (see the module docstring). Returns the output's metadata."""
    common.check_output(spark, out, overwrite=overwrite)
    raw = common.read_edges(spark, edges, fmt=fmt, src=src_col, dst=dst_col, weight=weight_col,
                            delimiter=delimiter)
    from pyspark.sql import functions as F

    with common.atomic_output(spark, out, overwrite=overwrite) as tmp:
        stored, mapping = write_graph(spark, raw, tmp, directed=directed, source=edges)
        counts = stored.agg(F.count(F.lit(1)).alias("n"), F.sum("arcs").alias("a")).collect()[0]
        n, m = int(counts["n"]), int(counts["a"] or 0)
        meta = {
            "job": "clean",
            "input": edges,
            "directed": bool(directed),
            "weighted": "weight" in raw.columns,
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
