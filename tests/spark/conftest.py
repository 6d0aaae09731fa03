"""Spark fixtures: one session-scoped local[2] SparkSession shared by every Spark test, and a
standalone master + worker on 127.0.0.1 started and stopped (by pid) for the spark-submit test.

Spark tests are marked ``spark``; they skip when pyspark or Java is missing.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # spark_jobs/ is not an installed package

TEST_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "1g",
    "spark.executorEnv.NUMBA_NUM_THREADS": "1",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
}


def _need_spark():
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    java = shutil.which("java") or (os.environ.get("JAVA_HOME") and
                                    Path(os.environ["JAVA_HOME"], "bin", "java").exists())
    if not java:
        pytest.skip("Spark needs Java 17 (java not found)")


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """The one SparkSession of the test run: local[2] with up to 2 attempts per task (so that
    an injected failure is retried, as on a cluster)."""
    _need_spark()
    from spark_jobs import common

    conf = dict(TEST_CONF)
    conf["spark.local.dir"] = str(tmp_path_factory.mktemp("spark-local"))
    session = common.session("graphembed-tests", master="local[2,2]", conf=conf)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spark_class():
    import pyspark

    home = Path(pyspark.__file__).parent
    return home, home / "bin" / "spark-class"


def _wait_for_log(path, text, proc, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{path.name}: exited early:\n{path.read_text()[-2000:]}")
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{path.name}: no {text!r} after {timeout} s:\n"
                       f"{path.read_text(errors='replace')[-2000:] if path.exists() else ''}")


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """A standalone Spark master and one worker (2 cores, 2 GB) on 127.0.0.1.

    Started with ``spark-class`` (the pip package has no sbin/start-*.sh), the worker's
    ``--work-dir`` in a temporary folder; both are stopped by pid at the end. Yields the master
    URL.
    """
    _need_spark()
    home, spark_class = _spark_class()
    tmp = tmp_path_factory.mktemp("standalone")
    env = dict(os.environ, SPARK_HOME=str(home), SPARK_LOCAL_IP="127.0.0.1",
               SPARK_LOG_DIR=str(tmp), SPARK_WORKER_DIR=str(tmp / "work"),
               PYSPARK_PYTHON=sys.executable)
    port = _free_port()
    procs = []
    try:
        mlog = tmp / "master.log"
        master = subprocess.Popen(
            [str(spark_class), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
             "--port", str(port), "--webui-port", str(_free_port())],
            stdout=open(mlog, "w"), stderr=subprocess.STDOUT, env=env)
        procs.append(master)
        _wait_for_log(mlog, "I have been elected leader", master, 120)
        url = f"spark://127.0.0.1:{port}"
        wlog = tmp / "worker.log"
        worker = subprocess.Popen(
            [str(spark_class), "org.apache.spark.deploy.worker.Worker", url, "--host",
             "127.0.0.1", "--cores", "2", "--memory", "2g", "--work-dir", str(tmp / "work"),
             "--webui-port", str(_free_port())],
            stdout=open(wlog, "w"), stderr=subprocess.STDOUT, env=env)
        procs.append(worker)
        _wait_for_log(wlog, "Successfully registered with master", worker, 120)
        yield {"url": url, "home": home, "env": env, "tmp": tmp}
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


@pytest.fixture(scope="module")
def karate_edges(tmp_path_factory):
    """Zachary's karate club as a ``src, dst`` Parquet file, and its graphembed graph."""
    import networkx as nx
    import numpy as np
    import pandas as pd

    import graphembed as ge

    e = np.array(nx.karate_club_graph().edges, dtype=np.int64)
    path = tmp_path_factory.mktemp("karate") / "edges.parquet"
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(path)
    return path, ge.as_csr((e[:, 0], e[:, 1]))
