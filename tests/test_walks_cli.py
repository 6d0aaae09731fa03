"""`graphembed walks` and the irwe methods of the registry."""

import gzip

import numpy as np
import pytest

import graphembed as ge
from graphembed.cli import main
from graphembed.methods import embed, get_method


@pytest.fixture()
def edge_file(tmp_path):
    path = tmp_path / "edges.tsv"
    path.write_text("a\tb\nb\tc\nc\ta\nc\td\n")
    return path


def test_walks_npz_and_text(edge_file, tmp_path, capsys):
    out = tmp_path / "w.npz"
    assert main(["walks", "--graph", str(edge_file), "-o", str(out), "--walk-length", "6",
                 "--walks-per-node", "3", "-p", "0.5", "-q", "2", "--seed", "4"]) == 0
    d = np.load(out)
    g = ge.as_csr(str(edge_file))
    W, L = ge.random_walks(g, walk_length=6, walks_per_node=3, p=0.5, q=2.0, random_state=4,
                           return_lengths=True)
    assert np.array_equal(d["walks"], W) and np.array_equal(d["lengths"], L)
    assert d["node_ids"].tolist() == ["a", "b", "c", "d"]

    txt = tmp_path / "w.txt.gz"
    assert main(["walks", "--graph", str(edge_file), "-o", str(txt), "--walk-length", "6",
                 "--walks-per-node", "3", "-p", "0.5", "-q", "2", "--seed", "4",
                 "--start", "d"]) == 0
    lines = gzip.open(txt, "rt").read().splitlines()
    Wd = ge.random_walks(g, walk_length=6, walks_per_node=3, p=0.5, q=2.0, random_state=4,
                         start_nodes=[3])
    assert lines == [" ".join(g.node_ids[w].tolist()) for w in Wd]
    assert "wrote 3 node2vec walks" in capsys.readouterr().out


def test_walks_refuses_to_overwrite_and_bad_input(edge_file, tmp_path, capsys):
    out = tmp_path / "w.txt"
    out.write_text("keep me")
    assert main(["walks", "--graph", str(edge_file), "-o", str(out)]) == 2
    assert out.read_text() == "keep me"
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert main(["walks", "--graph", str(edge_file), "-o", str(out), "--overwrite",
                 "--walk-length", "2", "--walks-per-node", "1"]) == 0
    assert len(out.read_text().splitlines()) == 4
    assert main(["walks", "--graph", str(edge_file), "-o", str(tmp_path / "x.npz"),
                 "-q", "-1"]) == 2
    assert "q must be > 0" in capsys.readouterr().err
    assert main(["walks", "--graph", str(edge_file), "-o", str(tmp_path / "x.csv")]) == 2
    assert not list(tmp_path.glob(".x*"))  # no temporary files left behind


def test_irwe_methods_in_the_registry(karate):
    for name, width in [("irwe", 16), ("irwe_identity", 16), ("irwe_position", 16)]:
        params = {"identity_walks": "200"} if name != "irwe_position" else {"window": "3"}
        if name != "irwe_identity":
            params["walks_per_node"] = "4"
        emb = embed(karate, name, dim=width, random_state=1, params=params)
        assert emb.vectors.shape == (34, width) and emb.vectors.dtype == np.float32
        assert np.all(np.isfinite(emb.vectors))
        assert emb.meta["method"] == name
    res = ge.irwe(karate, dim=16, identity_walks=200, walks_per_node=4, random_state=1)
    emb = embed(karate, "irwe", dim=16, random_state=1,
                params={"identity_walks": "200", "walks_per_node": "4"})
    assert np.array_equal(emb.vectors, res.joint)
    assert get_method("irwe").parse_params({"steps": "2,3,4"})["steps"] == (2, 3, 4)
    with pytest.raises(ValueError, match="has no parameter 'windw'"):
        get_method("irwe_position").parse_params({"windw": "3"})
