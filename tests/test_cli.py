"""The `graphembed` console script: `embed` end to end, `datasets`, and clean error exits."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graphembed import cli, datasets
from graphembed.embedding import Embedding
from graphembed.methods import METHODS, Method, Param


def neighbour_sum(graph, *, dim, random_state, num_threads, scale=1.0):
    """A tiny deterministic method: column j of row v = scale * (deg(v) + j + seed)."""
    if dim < 1:
        raise ValueError(f"dim must be a positive integer, got {dim}")
    deg = np.diff(graph.indptr).astype(np.float32)
    return (scale * (deg[:, None] + np.arange(dim) + random_state)).astype(np.float32)


@pytest.fixture
def toy_method(monkeypatch):
    monkeypatch.setitem(METHODS, "toy", Method(
        "toy", f"{__name__}:neighbour_sum", "test method",
        {"scale": Param(1.0, float, "a float")},
    ))


@pytest.fixture
def edge_file(tmp_path):
    p = tmp_path / "g.tsv"
    p.write_text("# a path and a triangle, string ids\nann\tbob\nbob\tcy\ncy\tann\ncy\tdee\n")
    return p


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("form", ["positional", "--graph"])
def test_embed_writes_vectors_with_ids(tmp_path, edge_file, toy_method, capsys, form):
    out = tmp_path / "out" / "e.npz"
    graph = [edge_file] if form == "positional" else ["--graph", edge_file]
    code, stdout, err = run(["embed", *graph, "-o", out, "--method", "toy", "--dim", 3,
                             "--seed", 2, "-p", "scale=0.5"], capsys)
    assert code == 0, err
    assert "wrote 4 × 3 toy embedding" in stdout
    e = Embedding.load(out)
    assert e.node_ids.tolist() == ["ann", "bob", "cy", "dee"]
    deg = {"ann": 2, "bob": 2, "cy": 3, "dee": 1}
    for node, d in deg.items():
        assert e[node].tolist() == [0.5 * (d + j + 2) for j in range(3)]
    assert e.meta["method"] == "toy" and e.meta["params"] == {"scale": 0.5}
    assert e.meta["random_state"] == 2 and e.meta["graph"]["nodes"] == 4


def test_embed_directed_csv_with_header(tmp_path, toy_method, capsys):
    p = tmp_path / "g.csv"
    p.write_text("src,dst\n1,2\n1,3\n")
    out = tmp_path / "e.txt"
    code, _, err = run(["embed", p, "-o", out, "--method", "toy", "--dim", 1, "--directed",
                        "--header"], capsys)
    assert code == 0, err
    e = Embedding.load(out)
    assert e.node_ids.tolist() == [1, 2, 3] and e.vectors[:, 0].tolist() == [2, 0, 0]


def test_embed_dataset(tmp_path, toy_method, capsys):
    out = tmp_path / "cora.npy"
    code, _, err = run(["embed", "--dataset", "cora", "-o", out, "--method", "toy", "--dim", 2],
                       capsys)
    assert code == 0, err
    e = Embedding.load(out)
    g = datasets.load("cora").graph
    assert e.node_ids.tolist() == g.node_ids.tolist()
    np.testing.assert_array_equal(e.vectors, np.diff(g.indptr)[:, None] + np.arange(2))


def test_embed_fastrp_end_to_end(tmp_path, edge_file, capsys):
    pytest.importorskip("graphembed.fastrp")
    out = tmp_path / "e.npz"
    code, _, err = run(["embed", edge_file, "-o", out, "--dim", 8, "--seed", 1], capsys)
    assert code == 0, err
    e = Embedding.load(out)
    import graphembed as ge

    g = ge.as_csr(edge_file)
    np.testing.assert_array_equal(e.node_ids, g.node_ids)
    np.testing.assert_array_equal(e.vectors, ge.fastrp(g, dim=8, random_state=1))
    assert e.meta["method"] == "fastrp"
    out2 = tmp_path / "again.npz"
    assert run(["embed", edge_file, "-o", out2, "--dim", 8, "--seed", 1], capsys)[0] == 0
    np.testing.assert_array_equal(Embedding.load(out2).vectors, e.vectors)


@pytest.mark.parametrize("args, match", [
    (["--dim", "0"], "dim must be a positive integer, got 0"),
    (["-p", "scale=heavy"], "parameter 'scale' of method 'toy'"),
    (["-p", "colour=red"], "method 'toy' has no parameter 'colour'"),
    (["-p", "scale"], "expects name=value"),
    (["--dataset", "cora"], "not both"),
])
def test_embed_errors_exit_cleanly(tmp_path, edge_file, toy_method, capsys, args, match):
    code, _, err = run(["embed", edge_file, "-o", tmp_path / "e.npz", "--method", "toy"] + args,
                       capsys)
    assert code == 2
    assert err.startswith("graphembed embed: error:") and match in err
    assert "Traceback" not in err
    assert not (tmp_path / "e.npz").exists()


def test_embed_input_and_output_errors(tmp_path, edge_file, toy_method, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("0 1\n1 2 3 4\n")
    code, _, err = run(["embed", bad, "-o", tmp_path / "e.npz", "--method", "toy"], capsys)
    assert code == 2 and "line 2" in err
    code, _, err = run(["embed", tmp_path / "missing.tsv", "-o", tmp_path / "e.npz",
                        "--method", "toy"], capsys)
    assert code == 2 and "does not exist" in err
    code, _, err = run(["embed", edge_file, "-o", tmp_path / "e.xlsx", "--method", "toy"], capsys)
    assert code == 2 and "suffix '.xlsx'" in err
    out = tmp_path / "e.npz"
    out.write_bytes(b"precious")
    code, _, err = run(["embed", edge_file, "-o", out, "--method", "toy"], capsys)
    assert code == 2 and "--overwrite" in err and out.read_bytes() == b"precious"
    code, _, err = run(["embed", edge_file, "-o", out, "--method", "toy", "--overwrite"], capsys)
    assert code == 0 and len(Embedding.load(out)) == 4


def test_usage_errors(capsys, toy_method):
    with pytest.raises(SystemExit) as info:
        cli.main(["embed", "-o", "x.npz", "--method", "toy"])
    assert info.value.code == 2 and "edge-list file or --dataset" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["embed", "g.tsv", "-o", "x.npz", "--method", "no-such-method"])
    assert "invalid choice" in capsys.readouterr().err


def test_datasets_lists_all_with_counts(capsys):
    code, stdout, _ = run(["datasets"], capsys)
    assert code == 0
    lines = stdout.strip().splitlines()
    assert lines[0].split() == ["name", "nodes", "edges", "labels", "kind"]
    rows = {ln.split()[0]: ln.split()[1:] for ln in lines[1:]}
    assert sorted(rows) == datasets.available()
    assert rows["blogcatalog"] == ["10312", "333983", "39", "multi-label"]
    assert rows["cora"] == ["2708", "5278", "7", "single-label"]


def test_console_script_is_installed(tmp_path):
    script = Path(sys.executable).parent / ("graphembed.exe" if os.name == "nt" else "graphembed")
    assert script.exists(), "pip install -e . should install the graphembed console script"
    res = subprocess.run([str(script), "datasets"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and "email_eu_core" in res.stdout
    res = subprocess.run([str(script), "embed", str(tmp_path / "none.tsv"), "-o",
                          str(tmp_path / "e.npz")], capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "does not exist" in res.stderr


def test_registry_default_dim_is_fastrps():
    """The registry's fastrp dimension (used by the CLI, the evaluation script and Spark when no
    --dim is given) is the function's own default, and embed() uses it."""
    import inspect

    import networkx as nx

    import graphembed as ge
    from graphembed.fastrp import DEFAULT_DIM
    from graphembed.methods import embed, get_method

    assert get_method("fastrp").dim == DEFAULT_DIM
    assert inspect.signature(ge.fastrp).parameters["dim"].default == DEFAULT_DIM
    e = embed(nx.karate_club_graph(), "fastrp")
    assert e.dim == DEFAULT_DIM
    assert np.array_equal(e.vectors, ge.fastrp(nx.karate_club_graph()))
    assert embed(nx.karate_club_graph(), "degree").dim == get_method("degree").dim
