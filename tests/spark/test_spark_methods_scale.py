"""The halo-arc budget as the Spark job applies it before the cogroup (``_member_arcs`` of
spark_jobs/embed.py) keeps exactly the arcs that graphembed.distributed.local.halo_arc_mask keeps
in the task, and the task's own selection then keeps them all."""

import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from graphembed import distributed as D

pytestmark = pytest.mark.spark

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "spark"))


@pytest.mark.parametrize("hops,budget", [(1, 0.5), (2, 0.7)])
def test_spark_halo_budget_equals_the_task_mask(spark, tmp_path, hops, budget):
    from spark_jobs import clean, embed, partition

    G = nx.barabasi_albert_graph(400, 3, seed=hops)
    e = np.array(G.edges, dtype=np.int64)
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(tmp_path / "edges.parquet")
    raw = spark.read.parquet(str(tmp_path / "edges.parquet"))
    clean.write_graph(spark, raw, str(tmp_path / "clean"), directed=False,
                      source=str(tmp_path / "edges.parquet"), mapping_dir=str(tmp_path / "m"))
    from spark_jobs import common

    common.write_meta(spark, str(tmp_path / "clean"), {"job": "clean", "nodes": 400,
                                                       "arcs": 2 * len(e)})
    partition.partition_graph(spark, str(tmp_path / "clean"), str(tmp_path / "part"),
                              method="hash", partitions=5, seed=0)
    nodes = spark.read.parquet(str(tmp_path / "clean" / "nodes"))
    arcs = spark.read.parquet(str(tmp_path / "clean" / "edges"))
    assign = spark.read.parquet(str(tmp_path / "part" / "level=0"))
    members, _ = embed._members(spark, arcs, nodes, assign, hops=hops, cap=8, anchors=0, seed=0)
    members = members.toPandas()
    mdf = spark.createDataFrame(members)
    full = embed._member_arcs(arcs, mdf).toPandas()
    got = embed._member_arcs(arcs, mdf, budget).toPandas()
    dropped = 0
    for p, m in members.groupby("part"):
        mt = pa.Table.from_pandas(m.reset_index(drop=True), preserve_index=False)
        a = full[full["part"] == p]
        at = pa.table({"src": a["src"].to_numpy(), "dst": a["dst"].to_numpy()})
        _, _, sub = D.member_graph(at, mt, halo_arcs=budget)  # the task's own selection
        r = np.repeat(np.arange(sub.n), np.diff(sub.indptr))
        want = sorted(zip(sub.node_ids[r].tolist(), sub.node_ids[sub.indices].tolist()))
        key = dict(zip(m["node"], m["key"]))
        g = got[got["part"] == p]
        assert sorted((key[u], key[v]) for u, v in zip(g["src"], g["dst"])) == want
        # the task receives the budgeted arcs: its own selection keeps every one of them
        gt = pa.table({"src": g["src"].to_numpy(), "dst": g["dst"].to_numpy()})
        _, _, again = D.member_graph(gt, mt, halo_arcs=budget)
        assert again.indices.size == len(want)
        dropped += len(a) - len(want)
    assert dropped > 0  # the budget bound in these cases
