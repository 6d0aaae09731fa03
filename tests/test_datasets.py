"""The bundled data sets load with exactly the counts recorded beside them in data/*/stats.json."""

import gzip
import json

import numpy as np
import pytest

from graphembed import datasets

NAMES = ["airports_usa", "blogcatalog", "cora", "email_eu_core", "wiki_openne"]


def test_available_lists_the_five():
    assert datasets.available() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_counts_match_stats(name):
    ds = datasets.load(name)
    stats = json.loads((datasets.data_dir() / name / "stats.json").read_text())
    g = ds.graph
    assert ds.name == name and ds.stats == stats
    assert not g.directed and g.num_self_loops == 0
    assert g.n == stats["nodes"]
    assert g.node_ids.tolist() == list(range(g.n))
    assert g.num_edges == stats["edges_undirected"]
    assert int(np.sum(np.diff(g.indptr) == 0)) == stats["isolated_nodes"]
    assert ds.labels.shape == (g.n, stats["labels"])
    assert ds.labels.dtype == np.int8 and set(np.unique(ds.labels.data)) <= {1}
    per_node = np.asarray(ds.labels.sum(axis=1)).ravel()
    assert ds.labels.nnz == stats["label_pairs"]
    assert int(np.count_nonzero(per_node)) == stats["labelled_nodes"]
    assert int(per_node.max()) == stats["max_labels_per_node"]
    assert ds.multilabel == stats["multi_label"]
    assert ds.label_names.tolist() == stats["original_label_ids"]
    assert name in repr(ds)


def _pairs(path):
    with gzip.open(path, "rt") as fh:
        return [tuple(map(int, ln.split())) for ln in fh
                if ln.strip() and not ln.lstrip().startswith("#")]


@pytest.mark.parametrize("name", NAMES)
def test_graph_and_labels_equal_the_files_read_independently(name):
    """Every data set's CSR and label matrix against a plain-Python reading of its files (the
    old checks read cora's edges and 50 label pairs of one data set)."""
    ds = datasets.load(name)
    g = ds.graph
    folder = datasets.data_dir() / name
    e = np.array(_pairs(folder / "edges.tsv.gz"), dtype=np.int64).reshape(-1, 2)
    e = e[e[:, 0] != e[:, 1]]
    want = np.unique(np.concatenate([e, e[:, ::-1]]), axis=0)
    rows = np.repeat(np.arange(g.n), np.diff(g.indptr))
    got = np.stack([rows, g.indices.astype(np.int64)], axis=1)
    np.testing.assert_array_equal(got, want)  # sorted rows, sorted columns, no duplicates
    # labels: every (node, label) pair of the file is a 1, and nothing else is
    names = ds.label_names.tolist()
    Y = np.zeros((g.n, len(names)), np.int8)
    for node, label in _pairs(folder / "labels.tsv.gz"):
        Y[node, names.index(label)] = 1
    np.testing.assert_array_equal(ds.labels.toarray(), Y)


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown data set 'karate'.*blogcatalog, cora"):
        datasets.load("karate")
    with pytest.raises(TypeError, match="name must be a data set name"):
        datasets.load(3)


def _write_gz(path, text):
    with gzip.open(path, "wt") as fh:
        fh.write(text)


def test_custom_data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "tiny"
    folder.mkdir()
    _write_gz(folder / "edges.tsv.gz", "0\t1\n1\t2\n")
    _write_gz(folder / "labels.tsv.gz", "# node label\n0\ta\n1\tb\n1\ta\n")
    (folder / "stats.json").write_text(json.dumps({"nodes": 4}))
    monkeypatch.setenv("GRAPHEMBED_DATA", str(tmp_path))
    assert datasets.available() == ["tiny"]
    ds = datasets.load("tiny")
    assert ds.graph.n == 4 and ds.graph.num_edges == 2  # node 3 is isolated
    assert ds.label_names.tolist() == ["a", "b"]
    assert ds.labels.toarray().tolist() == [[1, 0], [1, 1], [0, 0], [0, 0]]
    assert ds.multilabel
    monkeypatch.setenv("GRAPHEMBED_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="none found"):
        datasets.load("tiny")


@pytest.mark.parametrize("text, match", [
    ("0\ta\n7\tb\n", "line 2: labels given for node '7', which is not in the graph"),
    ("0\ta\nx\tb\n", "line 2: node 'x' is not an id of the graph"),
    ("0\ta\n\n1\n", "line 3: expected 'node label"),
])
def test_bad_label_files(tmp_path, text, match):
    p = tmp_path / "labels.tsv"
    p.write_text(text)
    with pytest.raises(ValueError, match=match):
        datasets.read_labels(p, np.arange(3))


def test_string_node_labels(tmp_path):
    p = tmp_path / "labels.tsv"
    p.write_text("b\tx\nc\ty\n")
    ind, names = datasets.read_labels(p, np.array(["a", "b", "c"]))
    assert names.tolist() == ["x", "y"] and ind.toarray().tolist() == [[0, 0], [1, 0], [0, 1]]
    p.write_text("z\tx\n")
    with pytest.raises(ValueError, match="line 1: labels given for node 'z'"):
        datasets.read_labels(p, np.array(["a", "b"]))


def test_original_ids():
    ds = datasets.load("airports_usa")
    path = datasets.data_dir() / "airports_usa" / "nodes.tsv.gz"
    with gzip.open(path, "rt") as fh:
        pairs = dict(tuple(map(int, ln.split())) for ln in fh if ln.strip())
    assert len(ds.original_ids) == ds.graph.n
    assert all(ds.original_ids[i] == pairs[i] for i in range(ds.graph.n))
    assert datasets.load("cora").original_ids is None


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
@pytest.mark.parametrize("trailing", ["", " ", "\t "])
def test_label_file_layouts(tmp_path, gz, eol, final_newline, trailing):
    """Label files of any layout (CRLF, no final newline, trailing blanks, comments, blank lines,
    several labels on a line or the same node on several lines, gzip): the indicator is exactly
    the pairs written, the last line's too."""
    lines = ["# node<TAB>labels", "3\tb" + trailing, "", "0\ta c" + trailing,
             "  # indented comment", "3 a" + trailing, "1\tc" + trailing]
    text = eol.join(lines) + (eol if final_newline else "")
    p = tmp_path / ("labels.tsv.gz" if gz else "labels.tsv")
    if gz:
        with gzip.open(p, "wb") as fh:
            fh.write(text.encode())
    else:
        p.write_bytes(text.encode())
    ind, names = datasets.read_labels(p, np.arange(5))
    assert names.tolist() == ["a", "b", "c"]
    assert ind.toarray().tolist() == [[1, 0, 1], [0, 0, 1], [0, 0, 0], [1, 1, 0], [0, 0, 0]]
