"""spark-submit of the embed job against a standalone master and worker on 127.0.0.1."""

import os
import subprocess
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import graphembed as ge
from graphembed.methods import embed as embed_one

from .conftest import ROOT
from .test_spark_jobs import read_embedding

# the slowest test of the suite (a master, a worker and spark-submit start: about a minute of the
# default run's four); it runs with the slow ones: python -m pytest -m "spark or slow"
pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_spark_submit_embed_on_standalone_cluster(standalone, tmp_path):
    G = nx.les_miserables_graph()
    g0 = ge.as_csr(G, weight=None)
    rows = [(int(g0.index_of([u])[0]), int(g0.index_of([v])[0])) for u, v in G.edges]
    e = np.array(rows, dtype=np.int64)
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(tmp_path / "edges.parquet")
    out = tmp_path / "emb"
    submit = standalone["home"] / "bin" / "spark-submit"
    cmd = [
        str(submit), "--master", standalone["url"],
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.ui.showConsoleProgress=false",
        "--conf", "spark.sql.shuffle.partitions=4",
        "--conf", "spark.executor.memory=1g",
        "--conf", "spark.driver.memory=1g",
        "--conf", f"spark.pyspark.python={sys.executable}",
        "--conf", "spark.executorEnv.NUMBA_NUM_THREADS=1",
        str(ROOT / "spark_jobs" / "embed.py"),
        "--edges", str(tmp_path / "edges.parquet"), "--out", str(out),
        "--method", "fastrp", "--partitions", "4", "--dim", "16", "--seed", "5",
        "-p", "iteration_weights=0,1,4",
    ]
    env = dict(standalone["env"])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    # Spark's own logging at WARN: only the three lines before the SparkContext reads
    # spark.log.level are INFO (spark-submit alone prints thousands)
    startup = ("SparkContext: Running Spark version", "SparkContext: OS info",
               "SparkContext: Java version")
    info = [line for line in (proc.stdout + proc.stderr).splitlines() if " INFO " in line]
    assert [line for line in info if not any(s in line for s in startup)] == [], info[:5]
    assert (out / "_meta.json").exists()
    ids, X = read_embedding(out)
    g = ge.as_csr((e[:, 0], e[:, 1]))
    want = embed_one(g, "fastrp", dim=16, random_state=5,
                     params={"iteration_weights": "0,1,4"}).vectors
    assert np.max(np.abs(X - want[g.index_of(ids)])) <= 1e-5
    # the executors ran on the standalone worker: its work dir holds this application
    assert any(p.name.startswith("app-") for p in (standalone["tmp"] / "work").iterdir())
