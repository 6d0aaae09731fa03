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
    g = ge.as_csr(str(edge_file))
    W = ge.random_walks(g, walk_length=2, walks_per_node=1, random_state=0)
    assert out.read_text().splitlines() == [" ".join(g.node_ids[w[w >= 0]].tolist()) for w in W]
    assert main(["walks", "--graph", str(edge_file), "-o", str(tmp_path / "x.npz"),
                 "-q", "-1"]) == 2
    assert "q must be > 0" in capsys.readouterr().err
    assert main(["walks", "--graph", str(edge_file), "-o", str(tmp_path / "x.csv")]) == 2
    assert not list(tmp_path.glob(".x*"))  # no temporary files left behind


def test_irwe_methods_in_the_registry(karate):
    """Each registry method is its part of irwe() with the parameters passed through (and each
    parameter given changes the result: none is dropped on the way)."""
    cases = [
        ("irwe", {"identity_walks": "200", "walks_per_node": "4"},
         dict(identity_walks=200, walks_per_node=4), "joint", {}),
        ("irwe_identity", {"identity_walks": "200"},
         dict(identity_walks=200, identity_dim=16, position_dim=0), "identity", {}),
        ("irwe_position", {"window": "3", "walks_per_node": "4"},
         dict(window=3, walks_per_node=4, identity_dim=0, position_dim=16), "position", {}),
    ]
    for name, params, kwargs, part, _ in cases:
        emb = embed(karate, name, dim=16, random_state=1, params=params)
        assert emb.vectors.shape == (34, 16) and emb.vectors.dtype == np.float32
        assert emb.meta["method"] == name
        ref = getattr(ge.irwe(karate, dim=16, random_state=1, **kwargs), part)
        assert np.array_equal(emb.vectors, ref), name
        for key in params:
            default = embed(karate, name, dim=16, random_state=1,
                            params={k: v for k, v in params.items() if k != key})
            assert not np.array_equal(default.vectors, emb.vectors), (name, key)
    assert get_method("irwe").parse_params({"steps": "2,3,4"})["steps"] == (2, 3, 4)
    with pytest.raises(ValueError, match="has no parameter 'windw'"):
        get_method("irwe_position").parse_params({"windw": "3"})
