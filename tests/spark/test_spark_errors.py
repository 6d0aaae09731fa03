"""The Spark jobs for users: a missing input, bad weights and an existing output are one-line
errors (no Python or Java traceback) naming the user's value and the fix, raised before any work,
with nothing left behind; Spark's own logging stays at WARN unless --verbose; and the recipe that
makes the example's edges.parquet."""

import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import graphembed as ge
from graphembed.methods import embed as embed_one

from .conftest import ROOT
from .test_spark_jobs import FAST, read_embedding

pytestmark = pytest.mark.spark


def jobs_run(spark):
    """How many Spark jobs the session has run so far."""
    return len(spark.sparkContext.statusTracker().getJobIdsForGroup(None))


def fails_in_one_line(capsys, main, argv):
    """Run a job's main(); return its one stderr line after checking exit status 2."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0] and "at org.apache" not in err[0]
    return err[0]


def listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.fixture
def edges(tmp_path):
    path = tmp_path / "edges.parquet"
    pd.DataFrame({"src": [0, 1, 2], "dst": [1, 2, 0]}).to_parquet(path)
    return path


@pytest.mark.parametrize("job", ["embed", "clean"])
def test_missing_input_is_one_line_before_any_work(spark, capsys, tmp_path, job):
    from spark_jobs import clean, embed

    main = {"embed": embed.main, "clean": clean.main}[job]
    missing = tmp_path / "no_such" / "edges.parquet"
    before = jobs_run(spark)
    line = fails_in_one_line(capsys, main, ["--edges", str(missing), "--out",
                                            str(tmp_path / "out")])
    assert line.startswith(f"{job}.py: error: --edges {missing}: no such file or directory")
    assert line.endswith("give an edge list, Parquet or text (python spark_jobs/example_edges.py "
                         "--out edges.parquet writes a bundled data set's)")  # the fix
    assert jobs_run(spark) == before
    assert listing(tmp_path) == []


def test_missing_assignment_is_one_line(spark, capsys, tmp_path, edges):
    from spark_jobs import embed

    missing = tmp_path / "assign.parquet"
    line = fails_in_one_line(capsys, embed.main, ["--edges", str(edges), "--out",
                                                  str(tmp_path / "out"), "--assignment",
                                                  str(missing)])
    assert f"--assignment {missing}: no such file or directory" in line
    assert line.endswith("give a Parquet node,part (or id,part)")
    assert listing(tmp_path) == ["edges.parquet"]


@pytest.mark.parametrize("job", ["embed", "clean"])
def test_existing_output_is_refused_before_any_work_and_left_untouched(spark, capsys, tmp_path,
                                                                       job):
    from spark_jobs import clean, embed

    main = {"embed": embed.main, "clean": clean.main}[job]
    edges = tmp_path / "edges.txt"  # reading text runs Spark jobs at once: work done too early
    edges.write_text("1 2 1.0\n2 3 -1.0\n")  # shows, and so would a weight check
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("the user's file")
    before = jobs_run(spark)
    line = fails_in_one_line(capsys, main, ["--edges", str(edges), "--out", str(out)])
    assert line == (f"{job}.py: error: --out {out} already exists; pass --overwrite to replace "
                    "it or choose another --out")
    assert jobs_run(spark) == before
    assert listing(tmp_path) == ["edges.txt", "out", "out/mine.txt"]
    assert (out / "mine.txt").read_text() == "the user's file"


BAD_WEIGHTS = [
    # (rows of src, dst, weight; the edge and the value the message must name)
    ([("alice", "bob", 1.0), ("bob", "carol", -2.5)], "(bob, carol) has weight -2.5"),
    ([("alice", "bob", 1.0), ("carol", "alice", math.nan)], "(carol, alice) has weight nan"),
    ([("alice", "bob", None), ("bob", "carol", 1.0)],
     "(alice, bob) has a missing or non-numeric weight"),
    ([(10, 20, 1.0), (20, 30, math.inf)], "(20, 30) has weight inf"),
    ([(10, 20, -1.0), (20, 30, 1.0)], "(10, 20) has weight -1.0"),
]


@pytest.mark.parametrize("rows, named", BAD_WEIGHTS)
@pytest.mark.parametrize("job", ["embed", "clean"])
def test_bad_weight_names_the_users_edge_in_one_line(spark, capsys, tmp_path, rows, named, job):
    from spark_jobs import clean, embed

    main = {"embed": embed.main, "clean": clean.main}[job]
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "edges.parquet"
    src, dst, weight = zip(*rows)
    pq.write_table(pa.table({"src": list(src), "dst": list(dst),  # NaN stays NaN, None is null
                             "weight": pa.array(weight, pa.float64(), from_pandas=False)}), path)
    line = fails_in_one_line(capsys, main, ["--edges", str(path), "--out",
                                            str(tmp_path / "out"), "--partitions", "2"]
                             if job == "embed" else
                             ["--edges", str(path), "--out", str(tmp_path / "out")])
    assert line.startswith(f"{job}.py: error: --edges {path}: the edge ")
    assert named in line
    assert "finite, non-negative" in line and "fix or drop such rows" in line
    assert listing(tmp_path) == ["edges.parquet"]  # no output, no temporary sibling


def test_non_numeric_text_weight_names_the_edge(spark, capsys, tmp_path):
    from spark_jobs import embed

    path = tmp_path / "edges.txt"
    path.write_text("a b 1\nb c heavy\n")
    line = fails_in_one_line(capsys, embed.main, ["--edges", str(path), "--out",
                                                  str(tmp_path / "out")])
    assert "the edge (b, c) has a missing or non-numeric weight" in line
    assert listing(tmp_path) == ["edges.txt"]


def test_assignment_without_a_node_names_its_string_id(spark, capsys, tmp_path):
    from spark_jobs import embed

    path = tmp_path / "edges.tsv"
    path.write_text("alice\tbob\nbob\tcarol\n")
    pd.DataFrame({"id": ["alice", "bob"], "part": [0, 1]}).to_parquet(tmp_path / "a.parquet")
    line = fails_in_one_line(capsys, embed.main, ["--edges", str(path), "--out",
                                                  str(tmp_path / "out"), "--assignment",
                                                  str(tmp_path / "a.parquet")])
    assert line.endswith("has no partition for node carol; give every node a part")
    assert listing(tmp_path) == ["a.parquet", "edges.tsv"]


@pytest.mark.slow  # a whole embed job (~12 s); run with -m "spark or slow"
def test_example_edges_recipe_feeds_the_embed_job(spark, tmp_path, capsys):
    """The README recipe: the bundled Cora edges as edges.parquet, then the embed job on it
    gives graphembed.fastrp's embedding of datasets.load('cora'), with the data set's ids."""
    from spark_jobs import embed, example_edges

    out = tmp_path / "edges.parquet"
    example_edges.main(["--dataset", "cora", "--out", str(out)])
    capsys.readouterr()
    g = ge.datasets.load("cora").graph
    table = pd.read_parquet(out)
    assert list(table.columns) == ["src", "dst"]
    h = ge.as_csr((table.src.to_numpy(), table.dst.to_numpy()), num_nodes=g.n)
    assert np.array_equal(h.node_ids, g.node_ids)
    assert np.array_equal(h.indptr, g.indptr) and np.array_equal(h.indices, g.indices)
    embed.run(spark, str(out), str(tmp_path / "emb"), method="fastrp", partitions=2, dim=16,
              seed=1, params=FAST)
    ids, X = read_embedding(tmp_path / "emb")
    assert ids.tolist() == g.node_ids.tolist()
    want = embed_one(g, "fastrp", dim=16, random_state=1, params=FAST).vectors
    assert np.max(np.abs(X - want[g.index_of(ids)])) <= 1e-5
    # an existing file is not overwritten without asking, and no temporary is left
    before = out.read_bytes()
    line = fails_in_one_line(capsys, example_edges.main, ["--dataset", "cora", "--out", str(out)])
    assert "--overwrite" in line and out.read_bytes() == before
    line = fails_in_one_line(capsys, example_edges.main, ["--dataset", "nope", "--out",
                                                          str(tmp_path / "x.parquet")])
    assert "'nope' is not a bundled data set; choose one of" in line and "cora" in line
    assert sorted(os.listdir(tmp_path)) == ["edges.parquet", "emb"]


@pytest.mark.slow
@pytest.mark.parametrize("verbose", [False, True])
def test_spark_submit_error_is_one_line_and_spark_logs_at_warn(tmp_path, verbose):
    """Through spark-submit (its JVM logs at INFO by default): a one-line error and, beyond the
    three start-up lines that come before the SparkContext reads spark.log.level, no INFO line
    unless --verbose, which gives Spark's INFO lines and the traceback."""
    pytest.importorskip("pyspark")
    import pyspark

    submit = os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit")
    missing = tmp_path / "edges.parquet"
    cmd = [submit, "--master", "local[1]", "--conf", "spark.ui.enabled=false",
           "--conf", "spark.driver.memory=512m", "--conf", f"spark.pyspark.python={sys.executable}",
           str(ROOT / "spark_jobs" / "embed.py"), "--edges", str(missing),
           "--out", str(tmp_path / "out")] + (["--verbose"] if verbose else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    info = [line for line in text.splitlines() if " INFO " in line]
    if verbose:
        assert len(info) > 20 and "Traceback" in text
    else:
        startup = ("INFO SparkContext: Running Spark version", "INFO SparkContext: OS info",
                   "INFO SparkContext: Java version")
        assert [line for line in info if not any(s in line for s in startup)] == []
        assert "Traceback" not in text
        errors = [line for line in text.splitlines() if "error:" in line]
        assert len(errors) == 1
        assert errors[0].startswith(f"embed.py: error: --edges {missing}: no such file")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "two"])
def test_bad_halo_budget_is_one_line_before_any_work(spark, capsys, tmp_path, edges, value):
    from spark_jobs import embed

    before = jobs_run(spark)
    line = fails_in_one_line(capsys, embed.main, ["--edges", str(edges), "--out",
                                                  str(tmp_path / "out"), "--method", "irwe",
                                                  "--halo-arcs", value])
    assert line.startswith("embed.py: error: --halo-arcs must be a finite number >= 0")
    assert line.endswith(f"or 'none' (every arc), got {value!r}")
    assert jobs_run(spark) == before
    assert listing(tmp_path) == ["edges.parquet"]
    with pytest.raises(ValueError, match="--halo-arcs must be a finite number >= 0"):
        embed.run(spark, str(edges), str(tmp_path / "out"), method="irwe", halo_arcs=value)
    assert jobs_run(spark) == before and listing(tmp_path) == ["edges.parquet"]
