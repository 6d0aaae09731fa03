"""The halo-arc budget as the Spark job applies it before the cogroup (``_member_arcs`` of
spark_jobs/halo.py) sends each partition exactly the arcs of its single-machine twin,
graphembed.distributed.local.budgeted_member_arcs, within the budget."""

import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
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
    got = embed._member_arcs(arcs, mdf, budget, work=str(tmp_path / "work")).toPandas()
    a = arcs.toPandas()
    n = int(max(a["src"].max(), a["dst"].max())) + 1
    keys = members.drop_duplicates("node").set_index("node")["key"]
    pri = np.zeros(n, np.int64)
    pri[keys.index.to_numpy()] = D.node_priority(keys.to_numpy())
    twin = {int(p): (m["node"].to_numpy(np.int64), m["role"].to_numpy(np.int32))
            for p, m in members.sort_values("node").groupby("part")}
    sent = D.budgeted_member_arcs(a["src"].to_numpy(), a["dst"].to_numpy(), pri, twin, budget)
    dropped = touching = halo = 0
    for p, (rows, roles) in twin.items():
        want = sorted(zip(a["src"].to_numpy()[sent[p]].tolist(),
                          a["dst"].to_numpy()[sent[p]].tolist()))
        g = got[got["part"] == p]
        assert sorted(zip(g["src"].tolist(), g["dst"].tolist())) == want
        owned = set(rows[roles == D.OWNED].tolist())
        t = sum(1 for u, v in want if u in owned or v in owned)
        touching, halo = touching + t, halo + len(want) - t
        dropped += int((full["part"] == p).sum()) - len(want)
    assert dropped > 0 and halo > 0  # the budget bound in these cases, and kept some
    assert halo <= budget * touching
