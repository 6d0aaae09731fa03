"""Embedding files: every format round-trips ids and vectors; atomic writes that never clobber."""

import os

import numpy as np
import pytest

from graphembed.embedding import Embedding


def _has_pyarrow():
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


FORMATS = ["e.npz", "e.npy", "e.txt", "e.emb", "e.w2v",
           pytest.param("e.parquet", marks=pytest.mark.skipif(not _has_pyarrow(),
                                                                reason="pyarrow not importable"))]

ID_SETS = {
    "int": np.array([5, -3, 2**40, 0]),
    "str": np.array(["alice", "bob", "ünïcode", "x_1"]),
    "numeric-looking str": np.array(["a1", "007", "2", "b"]),
}


def make(ids, dim=3, seed=0):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((len(ids), dim)).astype(np.float32)
    vectors[0, 0] = np.float32(1e-30)  # extreme values survive too
    vectors[-1, -1] = np.float32(3.4e38)
    return Embedding(ids, vectors, {"method": "test", "dim": dim, "params": {"a": [1, 2]}})


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("kind", list(ID_SETS))
def test_round_trip(tmp_path, name, kind):
    e = make(ID_SETS[kind])
    path = e.save(tmp_path / name)
    back = Embedding.load(path)
    assert back.vectors.dtype == np.float32
    np.testing.assert_array_equal(back.vectors, e.vectors)  # bit-exact, text formats included
    text = name.endswith((".txt", ".emb", ".w2v"))
    # word2vec text has no types: these ids stay strings only because 'a1' is not an integer
    assert back.node_ids.tolist() == e.node_ids.tolist()
    assert back.node_ids.dtype.kind == e.node_ids.dtype.kind
    if not text:
        assert back.meta == e.meta
    assert back[e.node_ids[2].item()].tolist() == e.vectors[2].tolist()


@pytest.mark.parametrize("name", FORMATS)
def test_empty_and_zero_dim(tmp_path, name):
    e = Embedding(np.array([], dtype=np.int64), np.zeros((0, 4), np.float32))
    back = Embedding.load(e.save(tmp_path / name))
    assert back.vectors.shape == (0, 4) and len(back.node_ids) == 0


def test_word2vec_int_ids_come_back_as_int(tmp_path):
    e = make(np.array([3, 1, 2]))
    back = Embedding.load(e.save(tmp_path / "e.txt"))
    assert back.node_ids.dtype == np.int64 and back.node_ids.tolist() == [3, 1, 2]


def test_other_labels_are_written_as_text(tmp_path):
    e = Embedding(_tuples([(0, 1), (1, 0)]), np.ones((2, 2)))
    back = Embedding.load(e.save(tmp_path / "e.npz"))
    assert back.node_ids.tolist() == ["(0, 1)", "(1, 0)"]


def _tuples(values):
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


@pytest.mark.parametrize("name", FORMATS)
def test_never_overwrites_without_permission(tmp_path, name):
    e = make(ID_SETS["int"])
    path = e.save(tmp_path / name)
    before = path.read_bytes()
    other = make(ID_SETS["int"], seed=1)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        other.save(path)
    assert path.read_bytes() == before
    other.save(path, overwrite=True)
    np.testing.assert_array_equal(Embedding.load(path).vectors, other.vectors)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_npy_sidecars_are_protected_too(tmp_path):
    (tmp_path / "e.ids.npy").write_bytes(b"someone else's file")
    with pytest.raises(FileExistsError, match="e.ids.npy"):
        make(ID_SETS["int"]).save(tmp_path / "e.npy")
    assert not (tmp_path / "e.npy").exists()
    assert (tmp_path / "e.ids.npy").read_bytes() == b"someone else's file"


@pytest.mark.parametrize("name", FORMATS)
def test_failing_write_leaves_nothing(tmp_path, name, monkeypatch):
    e = make(ID_SETS["str"])
    import graphembed.embedding as module

    def broken_publish(tmp, path, overwrite):
        raise OSError("disk full")

    monkeypatch.setattr(module, "_publish", broken_publish)
    with pytest.raises(OSError, match="disk full"):
        e.save(tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_failing_write_keeps_the_old_file(tmp_path, monkeypatch):
    e = make(ID_SETS["int"])
    path = e.save(tmp_path / "e.npz")
    before = path.read_bytes()
    monkeypatch.setattr(np, "savez_compressed", lambda *a, **k: (_ for _ in ()).throw(
        RuntimeError("interrupted")))
    with pytest.raises(RuntimeError, match="interrupted"):
        make(ID_SETS["int"], seed=5).save(path, overwrite=True)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["e.npz"]


def test_word2vec_rejects_spaces_before_writing(tmp_path):
    e = Embedding(np.array(["a b", "c"]), np.ones((2, 2)))
    with pytest.raises(ValueError, match="white space.*npz"):
        e.save(tmp_path / "e.txt")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("text, match", [
    ("2 3\na 1 2 3\n", "header says 2 vectors, the file holds 1"),
    ("1 3\na 1 2\n", "line 2: expected an id and 3 numbers"),
    ("1 2\na 1 x\n", "line 2: a vector entry is not a number"),
    ("x y\n", "line 1: expected a word2vec header"),
    ("1 1\na 1\nb 2\n", "line 3: more vectors"),
])
def test_malformed_word2vec(tmp_path, text, match):
    p = tmp_path / "bad.txt"
    p.write_text(text)
    with pytest.raises(ValueError, match=match):
        Embedding.load(p)


def test_format_errors(tmp_path):
    e = make(ID_SETS["int"])
    with pytest.raises(ValueError, match=r"suffix '\.csv'.*format="):
        e.save(tmp_path / "e.csv")
    with pytest.raises(ValueError, match="format must be one of"):
        e.save(tmp_path / "e.npz", format="hdf5")
    path = e.save(tmp_path / "e.bin", format="npz")
    assert Embedding.load(path, format="npz").node_ids.tolist() == e.node_ids.tolist()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Embedding.load(tmp_path / "missing.npz")


def test_constructor_checks():
    with pytest.raises(ValueError, match="2-D"):
        Embedding([1, 2], np.ones(2))
    with pytest.raises(ValueError, match="one id per row"):
        Embedding([1, 2, 3], np.ones((2, 2)))
    with pytest.raises(ValueError, match="node_ids must not repeat a node id, but 1"):
        Embedding([1, 1], np.ones((2, 2)))
    with pytest.raises(TypeError, match="meta must be a dict"):
        Embedding([1, 2], np.ones((2, 2)), meta=[1])
    e = Embedding(np.array([1, 2], dtype=np.uint32), np.ones((2, 2)))
    assert e.node_ids.dtype == np.int64
    with pytest.raises(KeyError, match="node id 7"):
        e[7]


def test_reorder():
    e = make(np.array(["a", "b", "c", "d"]))
    r = e.reorder(["c", "a"])
    assert r.node_ids.tolist() == ["c", "a"]
    np.testing.assert_array_equal(r.vectors, e.vectors[[2, 0]])
    with pytest.raises(KeyError, match="'z'"):
        e.reorder(["z"])


def test_parquet_written_by_spark_style_list_column(tmp_path):
    if not _has_pyarrow():
        pytest.skip("pyarrow not importable")
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.table({"node_id": pa.array([7, 8], pa.int64()),
                  "embedding": pa.array([[1.0, 2.0], [3.0, 4.0]], pa.list_(pa.float32()))})
    pq.write_table(t, tmp_path / "s.parquet")
    e = Embedding.load(tmp_path / "s.parquet")
    assert e.node_ids.tolist() == [7, 8] and e.vectors.tolist() == [[1, 2], [3, 4]]
    pq.write_table(pa.table({"id": [1]}), tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="expected columns node_id and embedding"):
        Embedding.load(tmp_path / "x.parquet")


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
@pytest.mark.parametrize("trailing", ["", " ", "\t "])
def test_word2vec_written_by_other_tools(tmp_path, eol, final_newline, trailing):
    """word2vec text from elsewhere: CRLF, no final newline, blanks after the last number, a
    blank line, numbers in any float notation; every vector comes back, the last one too."""
    rows = [("n1", ["0.5", "-1e-3", "2"]), ("x", ["1E2", ".25", "-0"]), ("7", ["3", "4.", "5"])]
    lines = ["3 3" + trailing] + [" ".join([i] + v) + trailing for i, v in rows]
    lines.insert(2, "")
    p = tmp_path / "other.w2v"
    p.write_bytes((eol.join(lines) + (eol if final_newline else "")).encode())
    e = Embedding.load(p)
    assert e.node_ids.tolist() == ["n1", "x", "7"]
    np.testing.assert_array_equal(e.vectors, np.array([v for _, v in rows], dtype=np.float32))
