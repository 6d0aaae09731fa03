"""IRWE-style embeddings: estimator contract, inductive transforms, determinism, bad input."""

import networkx as nx
import numpy as np
import pytest

import graphembed as ge
from graphembed import IRWE

FAST = dict(identity_walks=200, walks_per_node=6, window=4, walk_length=30)


def test_estimator_contract(karate):
    model = IRWE(16, **FAST)
    assert model.get_params()["dim"] == 16 and model.get_params()["window"] == 4
    assert model.set_params(window=3, random_state=5) is model
    assert model.window == 3 and model.random_state == 5
    with pytest.raises(ValueError, match="invalid parameter 'windw' for IRWE"):
        model.set_params(windw=3)
    with pytest.raises(ValueError, match="not fitted yet"):
        model.transform(karate)
    assert model.fit(karate) is model
    assert model.embedding_.shape == (34, 16) and model.embedding_.dtype == np.float32
    assert model.identity_.shape == (34, 8) and model.position_.shape == (34, 8)
    assert np.allclose(np.linalg.norm(model.embedding_[:, :8], axis=1), 1, atol=1e-5)
    assert np.array_equal(model.fit_transform(karate), model.embedding_)
    assert "window=3" in repr(model)
    res = ge.irwe(karate, dim=16, random_state=5, **{**FAST, "window": 3})
    assert np.array_equal(res.joint, model.embedding_)
    assert np.array_equal(res.identity, model.identity_)
    assert np.array_equal(res.position, model.position_)


def test_same_bytes_for_any_thread_count(karate):
    runs = [ge.irwe(karate, dim=12, num_threads=t, **FAST) for t in (1, 2, 4)]
    for r in runs[1:]:
        assert r.joint.tobytes() == runs[0].joint.tobytes()


def test_identity_transform_reproduces_the_fit_and_is_inductive():
    G = nx.karate_club_graph()
    model = IRWE(16, identity_dim=16, position_dim=0, identity_walks=300).fit(G)
    again = model.transform(G, nodes=[5, 0, 33], part="identity")
    assert np.array_equal(again, model.identity_[[5, 0, 33]])
    # the same graph under other ids and another row order: each node keeps its statistics'
    # distribution, so its inductive vector lands near its fitted one
    perm = np.random.default_rng(0).permutation(34)
    H = nx.relabel_nodes(G, {v: f"n{perm[v]}" for v in G})
    H2 = nx.Graph()
    H2.add_nodes_from(sorted(H.nodes))
    H2.add_edges_from(H.edges)
    Z = model.transform(H2, nodes=[f"n{perm[v]}" for v in range(34)], part="identity")
    X = model.identity_
    d_same = np.linalg.norm(Z - X, axis=1)
    d_other = np.linalg.norm(Z[:, None, :] - X[None, :, :], axis=2)
    # the matching node is among the 3 nearest fitted vectors for most nodes
    rank = (d_other < d_same[:, None]).sum(axis=1)
    assert np.mean(rank < 3) > 0.8


def test_structurally_equivalent_nodes_embed_close():
    # two disjoint copies of a lollipop (clique 0..4, path 5..8 hanging from 4): node v's nearest
    # node in the other copy is its twin (clique nodes 0..3 are automorphic: any of them)
    G = nx.disjoint_union(nx.lollipop_graph(5, 4), nx.lollipop_graph(5, 4))
    X = IRWE(8, identity_dim=8, position_dim=0, identity_walks=2000).fit(G).identity_
    n = 9
    orbit = {v: ({0, 1, 2, 3} if v < 4 else {v}) for v in range(n)}
    for v in range(n):
        nearest = int(np.argmin(np.linalg.norm(X[n:] - X[v], axis=1)))
        assert nearest in orbit[v], (v, nearest)


def test_position_transform_places_new_nodes_in_their_community():
    sizes, probs = [60, 60], [[0.2, 0.01], [0.01, 0.2]]
    G = nx.stochastic_block_model(sizes, probs, seed=3)
    block = np.array([G.nodes[v]["block"] for v in G])
    held = [0, 1, 2, 3, 4, 60, 61, 62, 63, 64]
    old = G.subgraph([v for v in G if v not in held]).copy()
    model = IRWE(16, identity_dim=0, position_dim=16, walks_per_node=10, window=5,
                 walk_length=40).fit(old)
    old_ids = model.node_ids_
    P = model.position_ / np.linalg.norm(model.position_, axis=1, keepdims=True)
    centroids = np.array([P[block[old_ids] == b].mean(axis=0) for b in (0, 1)])
    Z = model.transform(G, nodes=held, part="position")
    Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    predicted = np.argmax(Z @ centroids.T, axis=1)
    assert np.mean(predicted == block[held]) >= 0.9
    # a fitted node transformed on the fitted graph lands near its fitted vector
    again = model.transform(old, nodes=old_ids[:20], part="position")
    cos = np.sum(again * model.position_[:20], axis=1) / (
        np.linalg.norm(again, axis=1) * np.linalg.norm(model.position_[:20], axis=1))
    assert np.median(cos) > 0.8


def test_position_embedding_separates_communities():
    G = nx.stochastic_block_model([40, 40, 40], np.full((3, 3), 0.01) + np.eye(3) * 0.25, seed=1)
    block = np.array([G.nodes[v]["block"] for v in G])
    P = ge.irwe(G, dim=8, identity_dim=0, position_dim=8, walks_per_node=10, window=5,
                walk_length=40).position
    P = P / np.linalg.norm(P, axis=1, keepdims=True)
    S = P @ P.T
    same = S[block[:, None] == block[None, :]].mean()
    diff = S[block[:, None] != block[None, :]].mean()
    assert same - diff > 0.5


@pytest.mark.parametrize("kwargs,match", [
    ({"dim": 0}, "dim must be an integer >= 1"),
    ({"dim": 8, "identity_dim": 9}, "identity_dim must be an integer <= 8"),
    ({"dim": 8, "identity_dim": 0, "position_dim": 40}, "position_dim=40 exceeds the number"),
    ({"dim": 8, "identity_dim": 0, "position_dim": 0}, "identity_dim \\+ position_dim is 0"),
    ({"dim": 8, "negative": 0}, "negative must be > 0"),
    ({"dim": 8, "p": -1}, "p must be > 0"),
    ({"dim": 8, "window": 0}, "window must be an integer >= 1"),
    ({"dim": 8, "random_state": None}, "random_state must be an integer seed"),
])
def test_bad_parameters(karate, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ge.irwe(karate, **{**FAST, **kwargs})


def test_identity_dim_larger_than_features(karate):
    with pytest.raises(ValueError, match="exceeds the .* identity features"):
        ge.irwe(karate, dim=64, identity_dim=64, position_dim=0, steps=(2,), degree_steps=-1,
                identity_walks=50)


def test_statistics_of_chosen_rows_are_those_rows_of_the_full_statistics():
    G = nx.relaxed_caveman_graph(4, 6, 0.2, seed=4)
    model = IRWE(8, identity_walks=50, walks_per_node=3, walk_length=12)
    F, M = model.statistics(G)
    rows = np.array([5, 0, 17, 3])
    Fr, Mr = model.statistics(G, rows)
    assert np.array_equal(Fr, F[rows])
    assert (abs(Mr - M[rows]) > 0).nnz == 0
    perm = np.random.default_rng(0).permutation(len(F))  # every row, another order
    Fp, Mp = model.statistics(G, perm)
    assert np.array_equal(Fp, F[perm]) and (abs(Mp - M[perm]) > 0).nnz == 0
