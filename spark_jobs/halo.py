"""The member sets of the walk and orbit methods' partitions, and the arcs each partition's task
receives (its members' arcs under the halo-arc budget), as DataFrame joins.

graphembed.distributed.local holds their single-machine twins (``halo_members``,
``budgeted_member_arcs``) and the task's own selection (``member_graph``).
"""

from __future__ import annotations

import functools

from spark_jobs import common, partition


def _members(spark, arcs, nodes, assign, *, hops, cap, anchors, seed):
    """``part, node, key, role`` of every partition's member set (owned, halo, anchors)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from graphembed import distributed as D

    owned = assign.select("part", "node", F.lit(D.OWNED).alias("role"))
    a_src = arcs.join(assign.select(F.col("node").alias("src"), "part"), "src")
    hop1 = a_src.select("part", F.col("dst").alias("node")).distinct()
    pieces = [owned, hop1.select("part", "node", F.lit(D.HALO).alias("role"))]
    pri = partition._with_priority(nodes, seed)
    if hops >= 2:
        ranked = (arcs.join(pri.select(F.col("node").alias("dst"), "pri"), "dst")
                  .withColumn("r", F.row_number().over(
                      Window.partitionBy("src").orderBy("pri")))
                  .where(F.col("r") <= cap).select("src", "dst"))
        hop2 = hop1.join(ranked.withColumnRenamed("src", "node"), "node").select(
            "part", F.col("dst").alias("node"))
        pieces.append(hop2.select("part", "node", F.lit(D.HALO).alias("role")))
    anchor_ids = []
    if anchors:
        anchor_ids = [int(r["node"]) for r in pri.orderBy(F.col("arcs").desc(), "pri")
                      .limit(anchors).select("node").collect()]
        a_df = spark.createDataFrame([(a,) for a in anchor_ids], "node long")
        parts = assign.select("part").distinct()
        pieces.append(parts.crossJoin(a_df).select("part", "node", F.lit(D.ANCHOR).alias("role")))
    members = pieces[0]
    for p in pieces[1:]:
        members = members.unionByName(p)
    members = (members.groupBy("part", "node").agg(F.min("role").cast("int").alias("role"))
               .join(nodes.select("node", "key"), "node")
               .select(F.col("part").cast("int").alias("part"), "node", "key", "role"))
    return members, anchor_ids


def _member_arcs(arcs, members, halo_arcs=None, work=None):
    """``part, src, dst[, weight]``: the arcs each partition's task receives — between two of
    its members, with the halo-arc budget applied (``halo_arcs``; None: every such arc).

    Every arc with an owned endpoint goes to the partition owning it (joined on the owner: each
    arc reaches at most two partitions). An arc between two halo members (anchors count as halo)
    gets its level in the whole graph (graphembed.distributed.local.halo_arc_levels: the
    smaller rank of its two directions, a node's neighbours ranked by priority — seed 0, ties by
    id), the same in every partition, and goes to every partition holding both ends in its halo
    if its level is below the global cut (``halo_level_cut``: whole levels while the halo arcs
    sent, summed over partitions, stay within ``halo_arcs`` × the arcs with an owned endpoint).
    The task's own selection (``member_graph``) then bounds each partition by the same budget.
    One rank window and one self-join over the arcs, and a join with each node's set of halo
    partitions, so the work is O(arcs · set size + output), never O(partitions × arcs): the old
    rule ranked a halo arc among its source's halo arcs *in that partition*, which made the
    stage build every partition's induced halo before pruning it (324 M rows for 20 partitions
    of a 10⁷-edge R-MAT graph). ``work``: where the arcs with an owned endpoint and the halo
    candidates are written (each read twice). Equals
    graphembed.distributed.local.budgeted_member_arcs, its single-machine twin.

    The two sides of the self-join get their own column names (``ps``, ``pd``): joining on a
    shared ``part`` made Spark refuse the plan as an ambiguous self-join when ``part`` was a
    literal (the DistNE border task)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from graphembed import distributed as D

    if halo_arcs is None:
        m_src = members.select(F.col("part").alias("ps"), F.col("node").alias("src"))
        m_dst = members.select(F.col("part").alias("pd"), F.col("node").alias("dst"))
        return (arcs.join(m_src, "src").join(m_dst, "dst").where(F.col("ps") == F.col("pd"))
                .select(F.col("ps").alias("part"), *arcs.columns))
    if work is None:
        raise ValueError("_member_arcs needs a work directory with a halo-arc budget")
    cols = arcs.columns
    owned = members.where(F.col("role") == D.OWNED)
    halo = members.where(F.col("role") != D.OWNED)
    out_t = (arcs.join(owned.select(F.col("node").alias("src"), "part"), "src")
             .join(members.select("part", F.col("node").alias("dst")), ["part", "dst"]))
    in_t = (arcs.join(owned.select(F.col("node").alias("dst"), "part"), "dst")
            .join(halo.select("part", F.col("node").alias("src")), ["part", "src"]))
    touching = common.write_read(
        out_t.select("part", *cols).unionByName(in_t.select("part", *cols)),
        f"{work}/touching_arcs")
    pri = (members.select("node", "key").distinct()
           .select("node", "key", F.lit(0).cast("long").alias("arcs"))
           .mapInArrow(functools.partial(D.priority_batches, seed=0),
                       "node long, key long, arcs long, pri long"))
    ranked = (arcs.join(pri.select(F.col("node").alias("dst"), F.col("pri").alias("pd")), "dst")
              .withColumn("r", F.row_number().over(
                  Window.partitionBy("src").orderBy("pd", "dst")) - 1))
    rev = ranked.select(F.col("src").alias("dst"), F.col("dst").alias("src"),
                        F.col("r").alias("rr"))
    level = ranked.join(rev, ["src", "dst"], "left").withColumn(
        "q", F.least("r", F.coalesce("rr", "r")))
    sets = halo.groupBy("node").agg(F.array_sort(F.collect_set("part")).alias("h"))
    cand = common.write_read(
        level.join(sets.select(F.col("node").alias("src"), F.col("h").alias("hs")), "src")
        .join(sets.select(F.col("node").alias("dst"), F.col("h").alias("hd")), "dst")
        .withColumn("shared", F.array_intersect("hs", "hd"))
        .where(F.size("shared") > 0).select(*cols, "q", "shared"),
        f"{work}/halo_candidates")
    hist = cand.groupBy("q").agg(F.sum(F.size("shared")).alias("c")).collect()
    cut = D.halo_level_cut([int(r["q"]) for r in hist], [int(r["c"]) for r in hist],
                           touching.count(), halo_arcs)
    kept = cand if cut is None else cand.where(F.col("q") < cut)
    kept = kept.select(F.explode("shared").alias("part"), *cols)
    return touching.unionByName(kept.select("part", *cols))
