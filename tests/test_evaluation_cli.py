"""The evaluate / linkpred / tune subcommands of the ``graphembed`` script."""

import csv
import json

import networkx as nx
import numpy as np
import pytest

import graphembed as ge
from graphembed.cli import main
from graphembed.embedding import Embedding


def _csv_rows(path):
    """The data rows of a results CSV (its leading '#' setting lines are not rows)."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _assert_rows_are(rows, method, res):
    """The CSV rows of ``method`` (None: the only method) hold ``res``: every ratio and metric,
    mean, std and each repeat's value."""
    mine = [r for r in rows if method is None or r["method"] == method]
    assert len(mine) == 2 * len(res.ratios)
    for r in mine:
        vals = res.scores[(float(r["ratio"]), r["metric"])]
        assert float(r["mean"]) == pytest.approx(np.mean(vals), abs=1e-9)
        assert float(r["std"]) == pytest.approx(np.std(vals), abs=1e-9)
        assert [float(v) for v in r["values"].split()] == pytest.approx(vals, abs=1e-6)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("evalcli")
    G = nx.connected_caveman_graph(8, 6)
    with open(d / "edges.tsv", "w") as fh:
        for u, v in G.edges:
            fh.write(f"n{u}\tn{v}\n")
    with open(d / "labels.tsv", "w") as fh:
        for u in G.nodes:
            if u % 7:  # a few unlabelled nodes
                fh.write(f"n{u}\tcave{u // 6}\n")
    with open(d / "bad_labels.tsv", "w") as fh:
        fh.write("n0\tcave0\nzzz\tcave1\n")
    return d


def test_evaluate_writes_table_files_and_plot(files, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["evaluate", "--graph", str(files / "edges.tsv"), "--labels", str(files / "labels.tsv"),
            "--method", "fastrp,degree", "--dim", "16", "--ratios", "0.3,0.6", "--repeats", "2",
            "--jobs", "1", "--out", str(out), "--quiet", "-p", "normalization_strength=-0.5"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "fastrp Micro-F1" in text and "degree Micro-F1" in text
    assert {p.name for p in out.iterdir()} == {"node_classification.csv", "node_classification.json",
                                               "node_classification.png"}
    rows = _csv_rows(out / "node_classification.csv")
    assert len(rows) == 2 * 2 * 2 and {r["method"] for r in rows} == {"fastrp", "degree"}
    meta = json.load(open(out / "node_classification.json"))
    assert meta["run"]["methods"]["fastrp"]["params"]["normalization_strength"] == -0.5
    assert meta["run"]["versions"]["scikit-learn"]
    assert meta["results"][0]["protocol"]["seeds"] == [0, 1]
    assert meta["run"]["methods"]["fastrp"]["embed_seconds"] >= 0
    assert "scoring_seconds" in meta["run"]["methods"]["fastrp"]
    # the numbers are those of the library
    g = ge.as_csr(str(files / "edges.tsv"))
    from graphembed.datasets import read_labels
    from graphembed.evaluation import node_classification

    from graphembed.methods import embed

    Y, _ = read_labels(files / "labels.tsv", g.node_ids)
    X = ge.fastrp(g, dim=16, random_state=0, normalization_strength=-0.5)
    for name, vectors in (("fastrp", X), ("degree", embed(g, "degree", dim=16).vectors)):
        res = node_classification(vectors, Y, train_ratios=[0.3, 0.6], repeats=2)
        _assert_rows_are(rows, name, res)
    # the plot is a picture: a PNG that matplotlib reads back, not an empty file
    png = out / "node_classification.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    img = matplotlib.image.imread(png)
    assert img.shape[0] > 100 and img.shape[1] > 100 and img.std() > 0
    # never overwrite without --overwrite
    assert main(argv) == 2
    assert "already holds files" in capsys.readouterr().err
    assert main(argv + ["--overwrite"]) == 0


def test_evaluate_saved_embedding(files, tmp_path, capsys):
    g = ge.as_csr(str(files / "edges.tsv"))
    rev = np.arange(g.n)[::-1]
    Embedding(g.node_ids[rev], ge.fastrp(g, dim=8, random_state=1)[rev]).save(tmp_path / "e.npz")
    out = tmp_path / "r"
    assert main(["evaluate", "--embedding", str(tmp_path / "e.npz"), "--labels",
                 str(files / "labels.tsv"), "--ratios", "0.5", "--repeats", "1", "--out", str(out),
                 "--quiet", "--no-plot"]) == 0
    assert not (out / "node_classification.png").exists()
    # the scores are those of the saved vectors, matched to the labels by node id (the file
    # holds the rows in another order than the labels)
    from graphembed.datasets import read_labels
    from graphembed.evaluation import node_classification

    Y, _ = read_labels(files / "labels.tsv", g.node_ids)
    res = node_classification(ge.fastrp(g, dim=8, random_state=1), Y, train_ratios=[0.5],
                              repeats=1)
    _assert_rows_are(_csv_rows(out / "node_classification.csv"), None, res)
    meta = json.load(open(out / "node_classification.json"))
    assert meta["results"][0]["protocol"]["labelled_nodes"] == int((Y.sum(axis=1) > 0).sum())


@pytest.mark.parametrize("argv, message", [
    (["--method", "nosuch"], "unknown method 'nosuch'; available methods:"),
    (["--ratios", "0.5,1.2"], "train_ratios must be strictly between 0 and 1, got 1.2"),
    (["-p", "beta=3"], "no method among fastrp has a parameter 'beta'"),
])
def test_evaluate_bad_arguments(files, tmp_path, capsys, argv, message):
    base = ["evaluate", "--graph", str(files / "edges.tsv"), "--labels", str(files / "labels.tsv"),
            "--out", str(tmp_path / "x"), "--quiet", "--dim", "8"]
    assert main(base + argv) == 2
    assert message in capsys.readouterr().err


def test_evaluate_labels_for_unknown_node(files, tmp_path, capsys):
    assert main(["evaluate", "--graph", str(files / "edges.tsv"), "--labels",
                 str(files / "bad_labels.tsv"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "'zzz'" in err and "not in the graph" in err


def test_evaluate_needs_an_input(capsys, tmp_path):
    assert main(["evaluate", "--out", str(tmp_path / "x")]) == 2
    assert "needs --dataset NAME" in capsys.readouterr().err


def test_evaluate_bundled_dataset_quick(tmp_path, capsys):
    out = tmp_path / "cora"
    assert main(["evaluate", "--dataset", "cora", "--dim", "16", "--ratios", "0.5", "--repeats",
                 "1", "--out", str(out), "--quiet", "--no-plot"]) == 0
    meta = json.load(open(out / "node_classification.json"))
    assert meta["results"][0]["protocol"]["labelled_nodes"] == 2708


def test_linkpred_subcommand_and_split_reuse(files, tmp_path, capsys):
    out = tmp_path / "lp"
    argv = ["linkpred", "--graph", str(files / "edges.tsv"), "--dim", "16", "--test-fraction",
            "0.2", "--scorer", "cosine,hadamard", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "adamic_adar" in text and "hadamard" in text
    rows = _csv_rows(out / "link_prediction.csv")
    assert [r["scorer"] for r in rows] == ["common_neighbours", "adamic_adar",
                                          "preferential_attachment", "jaccard", "cosine", "hadamard"]
    # the split file is the split of --test-fraction and --seed, and the rows are
    # link_prediction's on it
    from graphembed.evaluation import EdgeSplit, edge_split, link_prediction

    g = ge.as_csr(str(files / "edges.tsv"))
    saved, fresh = EdgeSplit.load(out / "split.npz"), edge_split(g, test_fraction=0.2,
                                                                  random_state=0)
    for name in ("train_edges", "test_pos", "train_neg", "test_neg", "node_ids"):
        assert np.array_equal(getattr(saved, name), getattr(fresh, name)), name
    ref = link_prediction(g, lambda h: ge.fastrp(h, dim=16, random_state=0), split=fresh,
                          scorer=["cosine", "hadamard"])
    assert len(ref.rows) == len(rows)
    for r, want in zip(rows, ref.rows):
        assert r["scorer"] == want["scorer"]
        for key in ("roc_auc", "average_precision", "mrr"):
            assert float(r[key]) == pytest.approx(want[key], abs=1e-6), (r["scorer"], key)
    out2 = tmp_path / "lp2"
    assert main(argv[:-1] + [str(out2), "--split", str(out / "split.npz"), "--seed", "0"]) == 0
    rows2 = _csv_rows(out2 / "link_prediction.csv")
    assert [r["roc_auc"] for r in rows2] == [r["roc_auc"] for r in rows]


def test_linkpred_graph_too_small(tmp_path, capsys):
    path = tmp_path / "path.tsv"
    path.write_text("".join(f"{i}\t{i + 1}\n" for i in range(5)))
    assert main(["linkpred", "--graph", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "too small or too sparse" in capsys.readouterr().err


def test_tune_subcommand(tmp_path, capsys):
    """tune tries every point of the grid, scores each on validation nodes exactly as
    node_classification(validation=True) does, reports the best of them, and scores each repeat's
    own winner once on that repeat's test part."""
    from graphembed.datasets import read_labels
    from graphembed.evaluation import node_classification
    from graphembed.methods import embed

    # a noisy block model: the candidates score differently (the caves of `files` give every
    # candidate 1.0, and then any answer is "the best")
    G = nx.stochastic_block_model([15] * 4, np.full((4, 4), 0.06) + np.eye(4) * 0.2, seed=1)
    (tmp_path / "sbm.tsv").write_text("".join(f"{u}\t{v}\n" for u, v in G.edges))
    (tmp_path / "sbm_labels.tsv").write_text(
        "".join(f"{v}\tblock{G.nodes[v]['block']}\n" for v in G.nodes))
    files = tmp_path
    out = tmp_path / "t"
    assert main(["tune", "--graph", str(files / "sbm.tsv"), "--labels",
                 str(files / "sbm_labels.tsv"), "--dim", "16", "--space",
                 "iteration_weights=1;1,1;0,1,1;0,0,1", "--repeats", "3", "--ratio", "0.6", "--test",
                 "--out", str(out), "--quiet"]) == 0
    res = json.load(open(out / "tune.json"))
    grid = [[1.0], [1.0, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]
    assert [list(t["params"]["iteration_weights"]) for t in res["trials"]] == grid
    g = ge.as_csr(str(files / "sbm.tsv"))
    Y, _ = read_labels(files / "sbm_labels.tsv", g.node_ids)

    def vectors(params):
        return embed(g, "fastrp", dim=16, random_state=0, params={
            "iteration_weights": ",".join(map(str, params["iteration_weights"]))}).vectors

    means = []
    for t in res["trials"]:
        ref = node_classification(vectors(t["params"]), Y, train_ratios=[0.6], repeats=3,
                                  validation=True, random_state=0)
        assert t["validation_values"] == pytest.approx(
            [float(v) for v in ref.scores[(0.6, "micro_f1")]], abs=1e-12)
        means.append(t["validation_mean"])
    assert len(set(means)) > 1, "the candidates must score differently for the choice to matter"
    best = res["trials"][int(np.argmax(means))]  # the first of equals
    assert best is not res["trials"][0]
    assert res["best_params"] == best["params"]
    assert res["best_validation"] == pytest.approx(max(means))
    # nested: repeat r's own winner, scored once on repeat r's test part
    nested = res["nested_test"]
    assert any(c != res["best_params"] for c in nested["chosen"]), "a repeat with its own winner"
    for r in range(3):
        winner = max(res["trials"], key=lambda t: t["validation_values"][r])
        assert nested["chosen"][r] == winner["params"]
        test = node_classification(vectors(winner["params"]), Y, train_ratios=[0.6], repeats=1,
                                   random_state=r)
        assert nested["values"][r] == pytest.approx(test.mean(0.6, "micro_f1"), abs=1e-12)
    assert res["protocol"]["train_ratio"] == 0.6 and res["protocol"]["repeats"] == 3
