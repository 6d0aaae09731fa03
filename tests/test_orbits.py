"""Orbit adjacency matrices and orbit counts against fixtures and a brute-force enumerator."""

import itertools
import os
import json
from collections import deque
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import all_graphs, random_graphs
from hypothesis import given, settings
from hypothesis import strategies as st

import graphembed as ge
from graphembed.orbits import KEYS, MULTIPLICITY, OrbitAdjacency

FIXTURES = sorted((Path(__file__).parent / "data" / "orbit_adjacency").glob("*.json"))


# ----------------------------------------------------------------------------- brute force
def _orbits_of(nodes, adj):
    """Orbit of each node of the connected induced subgraph on ``nodes`` (Pržulj numbering)."""
    deg = {u: sum(1 for v in nodes if v in adj[u]) for u in nodes}
    edges = sum(deg.values()) // 2
    k = len(nodes)
    if k == 2:
        return {u: 0 for u in nodes}
    if k == 3:
        return {u: (3 if edges == 3 else (2 if deg[u] == 2 else 1)) for u in nodes}
    if edges == 3:
        if max(deg.values()) == 3:  # star
            return {u: 7 if deg[u] == 3 else 6 for u in nodes}
        return {u: 4 if deg[u] == 1 else 5 for u in nodes}  # path
    if edges == 4:
        if all(d == 2 for d in deg.values()):  # 4-cycle
            return {u: 8 for u in nodes}
        return {u: {1: 9, 2: 10, 3: 11}[deg[u]] for u in nodes}  # paw
    if edges == 5:  # diamond
        return {u: 12 if deg[u] == 2 else 13 for u in nodes}
    return {u: 14 for u in nodes}


def _distances(src, nodes, adj):
    dist = {src: 0}
    queue = deque([src])
    while queue:
        x = queue.popleft()
        for y in adj[x]:
            if y in nodes and y not in dist:
                dist[y] = dist[x] + 1
                queue.append(y)
    return dist


def connected_sets(n, adj):
    """Every connected node set of size 2-4, by growing connected sets one neighbour at a time
    (every connected set arises that way: removing a leaf of a spanning tree keeps it connected)."""
    level = {frozenset((u, v)) for u in range(n) for v in adj[u]}
    found = set(level)
    for _ in range(2):
        level = {s | {y} for s in level for x in s for y in adj[x] if y not in s}
        found |= level
    return found


def brute_force(n, edges):
    """(dict key -> dense (n, n) int64 matrix, GDV (n, 15)) by enumerating graphlet instances."""
    adj = [set() for _ in range(n)]
    for u, v in edges:
        if u != v:
            adj[u].add(v)
            adj[v].add(u)
    mats = {key: np.zeros((n, n), np.int64) for key in KEYS}
    gdv = np.zeros((n, 15), np.int64)
    for nodes in connected_sets(n, adj):
        orbit = _orbits_of(nodes, adj)
        for u in nodes:
            gdv[u, orbit[u]] += 1
            for v, h in _distances(u, nodes, adj).items():
                if v != u:
                    mats[(h, orbit[u], orbit[v])][u, v] += 1
    return mats, gdv


def _dense(M):
    return {key: m.toarray() for key, m in M.items()}


def _check_against_brute(G):
    n = G.number_of_nodes()
    G = nx.convert_node_labels_to_integers(G)
    mats, gdv = brute_force(n, list(G.edges))
    M = ge.orbit_adjacency(G, include_hop3=True)
    assert set(M) == set(KEYS)
    for key in KEYS:
        got = M[key]
        assert got.dtype == np.int64
        assert got.has_sorted_indices and np.all(got.data != 0)
        np.testing.assert_array_equal(got.toarray(), mats[key], err_msg=f"key {key}")
    np.testing.assert_array_equal(ge.orbit_counts(G), gdv)


# ----------------------------------------------------------------------------- fixtures
def _load_fixture(path):
    d = json.loads(path.read_text())
    G = nx.Graph()
    G.add_nodes_from(range(d["n"]))
    G.add_edges_from(map(tuple, d["edges"]))
    mats = {}
    for key, entries in d["matrices"].items():
        m = np.zeros((d["n"], d["n"]), np.int64)
        for u, v, c in entries:
            m[u, v] = c
        mats[tuple(int(x) for x in key.split(","))] = m
    return d, G, mats


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_matrices_and_gdv_match_exactly(path):
    d, G, mats = _load_fixture(path)
    assert set(mats) == set(KEYS)
    M = ge.orbit_adjacency(G, include_hop3=True)
    assert list(M.node_ids) == list(range(d["n"]))
    for key in KEYS:
        np.testing.assert_array_equal(M[key].toarray(), mats[key], err_msg=f"{path.stem} {key}")
    np.testing.assert_array_equal(ge.orbit_counts(G), np.array(d["gdv"], dtype=np.int64))


def test_brute_force_agrees_with_fixtures():
    # the test's own enumerator is checked against the independently computed fixtures
    for path in FIXTURES[:6]:
        d, G, mats = _load_fixture(path)
        bmats, bgdv = brute_force(d["n"], d["edges"])
        for key in KEYS:
            np.testing.assert_array_equal(bmats[key], mats[key])
        np.testing.assert_array_equal(bgdv, np.array(d["gdv"]))


# ----------------------------------------------------------------------------- brute force
def test_all_labelled_graphs_up_to_5_nodes():
    count = 0
    for G in all_graphs(5):
        _check_against_brute(G)
        count += 1
    assert count == 1 + 2 + 8 + 64 + 1024


def test_random_small_graphs():
    for G in random_graphs(250, max_nodes=14, seed=7):
        _check_against_brute(G)


def test_random_sparse_graphs_with_long_rows():
    # larger sparse graphs take the kernels' sort path (few pairs per row) rather than the
    # dense read-back used when a row touches many nodes
    rng = np.random.default_rng(3)
    for k in range(6):
        n = int(rng.integers(120, 200))
        G = nx.gnm_random_graph(n, int(n * rng.uniform(1.0, 2.5)), seed=int(rng.integers(2**31)))
        # a few hubs
        for hub in rng.choice(n, 3, replace=False):
            for v in rng.choice(n, 25, replace=False):
                if v != hub:
                    G.add_edge(int(hub), int(v))
        _check_against_brute(G)
    # rows with very few pairs (every row of a long cycle or grid)
    _check_against_brute(nx.cycle_graph(300))
    _check_against_brute(nx.grid_2d_graph(12, 14))


# ----------------------------------------------------------------------------- identities
def _w(G):
    return nx.to_scipy_sparse_array(G, dtype=np.int64, format="csr")


@pytest.mark.parametrize("seed", range(4))
def test_row_sum_identity_and_closed_forms(seed):
    G = nx.powerlaw_cluster_graph(80, 4, 0.5, seed=seed)
    M = _dense(ge.orbit_adjacency(G, include_hop3=True))
    gdv = ge.orbit_counts(G)
    for (h, i, j), m in MULTIPLICITY.items():
        np.testing.assert_array_equal(M[h, i, j].sum(axis=1), m * gdv[:, i], err_msg=str((h, i, j)))
        np.testing.assert_array_equal(M[h, i, j].T, M[h, j, i])
        assert np.all(np.diag(M[h, i, j]) == 0)
    A = nx.to_numpy_array(G, dtype=np.int64)
    n = len(A)
    W = A @ A
    N = 1 - A - np.eye(n, dtype=np.int64)
    # E[u, v] = edges among the common neighbours of u and v
    E = np.einsum("ux,xy,yv,uy,xv->uv", A, A, A, A, A) // 2
    C2 = W * (W - 1) // 2
    deg = A.sum(axis=1)
    np.testing.assert_array_equal(M[1, 0, 0], A)
    np.testing.assert_array_equal(M[1, 3, 3], A * W)
    np.testing.assert_array_equal(M[2, 1, 1], N * W)
    np.testing.assert_array_equal(M[1, 1, 2], A * (deg[None, :] - 1 - W))
    np.testing.assert_array_equal(M[1, 14, 14], A * E)
    np.testing.assert_array_equal(M[1, 13, 13], A * (C2 - E))
    np.testing.assert_array_equal(M[2, 12, 12], N * E)
    np.testing.assert_array_equal(M[2, 8, 8], N * (C2 - E))
    np.testing.assert_array_equal(
        M[3, 4, 4], M[2, 1, 1] @ A - M[1, 1, 2] - M[1, 8, 8] - M[2, 9, 10] - M[1, 12, 13])


def test_graphlet_adjacency_sums():
    # summing the keys of one graphlet counts the instances of that graphlet holding u and v
    G = nx.gnp_random_graph(12, 0.45, seed=5)
    M = _dense(ge.orbit_adjacency(G, include_hop3=True))
    adj = [set(G[u]) for u in range(12)]
    orbits_of = {0: (0,), 1: (1, 2), 2: (3,), 3: (4, 5), 4: (6, 7), 5: (8,), 6: (9, 10, 11),
                 7: (12, 13), 8: (14,)}
    expected = {g: np.zeros((12, 12), np.int64) for g in orbits_of}
    for nodes in connected_sets(12, adj):
        orbit = _orbits_of(nodes, adj)
        g = next(g for g, orbs in orbits_of.items() if orbit[next(iter(nodes))] in orbs)
        for u, v in itertools.permutations(nodes, 2):
            expected[g][u, v] += 1
    for g, orbs in orbits_of.items():
        total = sum(m for (h, i, j), m in M.items() if i in orbs)
        np.testing.assert_array_equal(total, expected[g])


# ----------------------------------------------------------------------------- input handling
def test_isolated_nodes_get_empty_rows():
    G = nx.Graph()
    G.add_nodes_from(["a", "b", "c", "d", "iso"])
    G.add_edges_from([("a", "b"), ("b", "c"), ("c", "d")])
    M = ge.orbit_adjacency(G, include_hop3=True)
    assert list(M.node_ids) == ["a", "b", "c", "d", "iso"]
    for m in M.values():
        assert m.shape == (5, 5)
        assert m[[4]].nnz == 0 and m[:, [4]].nnz == 0
    assert M[3, 4, 4][0, 3] == 1
    gdv = ge.orbit_counts(G)
    assert gdv[4].tolist() == [0] * 15
    assert gdv[0].tolist() == [1, 1, 0, 0, 1] + [0] * 10


def test_empty_and_edgeless_graphs():
    G = nx.empty_graph(3)
    M = ge.orbit_adjacency(G, include_hop3=True)
    assert all(m.shape == (3, 3) and m.nnz == 0 for m in M.values())
    assert ge.orbit_counts(G).shape == (3, 15)
    assert ge.orbit_counts(nx.empty_graph(0)).shape == (0, 15)
    assert ge.orbit_adjacency(nx.empty_graph(0))[1, 0, 0].shape == (0, 0)


def _same(M1, M2):
    assert set(M1) == set(M2)
    for key in M1:
        np.testing.assert_array_equal(M1[key].toarray(), M2[key].toarray())


def test_self_loops_duplicates_reversed_directed_and_weighted_input():
    G = nx.gnp_random_graph(15, 0.3, seed=2)
    base = ge.orbit_adjacency(G, include_hop3=True)
    src = np.array([u for u, v in G.edges])
    dst = np.array([v for u, v in G.edges])
    # duplicates, reversed copies and self-loops
    s2 = np.concatenate([src, dst, src, np.arange(5)])
    d2 = np.concatenate([dst, src, dst, np.arange(5)])
    M = ge.orbit_adjacency((s2, d2), include_hop3=True)
    # edge arrays: the nodes are the distinct ids, sorted (isolated nodes of G drop out, and
    # with them nothing else changes)
    ids = sorted(set(s2.tolist()) | set(d2.tolist()))
    assert M.node_ids.tolist() == ids
    assert set(M) == set(base)
    for key in base:
        np.testing.assert_array_equal(M[key].toarray(), base[key].toarray()[np.ix_(ids, ids)])
    _same(base, ge.orbit_adjacency(ge.as_csr((s2, d2), num_nodes=15), include_hop3=True))
    # self-loops kept by as_csr are still ignored
    kept = ge.as_csr((s2, d2), num_nodes=15, self_loops="keep")
    _same(base, ge.orbit_adjacency(kept, include_hop3=True))
    # directed: an arc in either direction is an edge
    D = nx.DiGraph()
    D.add_nodes_from(range(15))
    for u, v in G.edges:
        D.add_edge(*((u, v) if (u + v) % 2 else (v, u)))
    _same(base, ge.orbit_adjacency(D, include_hop3=True))
    np.testing.assert_array_equal(ge.orbit_counts(D), ge.orbit_counts(G))
    # weights are ignored
    Wg = G.copy()
    for k, (u, v) in enumerate(Wg.edges):
        Wg[u][v]["weight"] = 0.5 + k
    _same(base, ge.orbit_adjacency(Wg, include_hop3=True))
    np.testing.assert_array_equal(ge.orbit_counts(Wg), ge.orbit_counts(G))
    # scipy input, not symmetric
    A = sp.triu(nx.to_scipy_sparse_array(G, format="csr"), format="csr") * 3.0
    _same(base, ge.orbit_adjacency(A, include_hop3=True))


def test_key_selection():
    G = nx.karate_club_graph()
    full = ge.orbit_adjacency(G, include_hop3=True)
    assert len(full) == 28 and list(full) == list(KEYS)
    default = ge.orbit_adjacency(G)
    assert len(default) == 27 and (3, 4, 4) not in default
    some = ge.orbit_adjacency(G, keys=[(2, 9, 10), "1,11,10", (3, 4, 4), [1, 0, 0]])
    assert list(some) == [(1, 0, 0), (1, 11, 10), (2, 9, 10), (3, 4, 4)]
    for key, m in some.items():
        np.testing.assert_array_equal(m.toarray(), full[key].toarray())
    only3 = ge.orbit_adjacency(G, keys=[(3, 4, 4)])
    assert list(only3) == [(3, 4, 4)]
    np.testing.assert_array_equal(only3[3, 4, 4].toarray(), full[3, 4, 4].toarray())
    single = ge.orbit_adjacency(G, keys=(1, 8, 8))
    assert list(single) == [(1, 8, 8)]


@pytest.mark.parametrize("kwargs, match", [
    ({"keys": [(1, 2, 3)]}, "not an orbit adjacency key"),
    ({"keys": ["x"]}, "not an orbit adjacency key"),
    ({"keys": []}, "at least one key"),
    ({"keys": [(1, 0, 0)], "include_hop3": True}, "include_hop3=True only applies"),
    ({"include_hop3": "yes"}, "include_hop3 must be True or False"),
    ({"num_threads": 0}, "num_threads"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ge.orbit_adjacency(nx.path_graph(4), **kwargs)


def test_bad_graph_input():
    with pytest.raises(TypeError):
        ge.orbit_counts(object())
    with pytest.raises((ValueError, TypeError), match="num_threads"):
        ge.orbit_counts(nx.path_graph(3), num_threads=-1)


# ----------------------------------------------------------------------------- invariants
def test_same_bytes_for_any_thread_count():
    G = nx.barabasi_albert_graph(400, 4, seed=1)
    ref = ge.orbit_adjacency(G, include_hop3=True, num_threads=1)
    gdv = ge.orbit_counts(G, num_threads=1)
    for t in (2, 4):
        M = ge.orbit_adjacency(G, include_hop3=True, num_threads=t)
        for key in KEYS:
            m, r = M[key], ref[key]
            assert np.array_equal(m.indptr, r.indptr) and np.array_equal(m.indices, r.indices)
            assert np.array_equal(m.data, r.data)
        np.testing.assert_array_equal(ge.orbit_counts(G, num_threads=t), gdv)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 16), st.floats(0.1, 0.7), st.integers(0, 2**31 - 1))
def test_permutation_equivariance(n, p, seed):
    G = nx.gnp_random_graph(n, p, seed=seed)
    perm = np.random.default_rng(seed).permutation(n)
    H = nx.relabel_nodes(G, {u: int(perm[u]) for u in range(n)})
    H = nx.Graph(sorted(H.edges)) if H.number_of_edges() else H
    Hs = nx.Graph()
    Hs.add_nodes_from(range(n))
    Hs.add_edges_from(H.edges)
    MG = ge.orbit_adjacency(G, include_hop3=True)
    MH = ge.orbit_adjacency(Hs, include_hop3=True)
    P = np.zeros((n, n), np.int64)
    P[np.arange(n), perm] = 1  # node u of G is node perm[u] of H
    for key in KEYS:
        np.testing.assert_array_equal(P.T @ MG[key].toarray() @ P, MH[key].toarray())
    np.testing.assert_array_equal(ge.orbit_counts(G)[np.argsort(perm)], ge.orbit_counts(Hs))


def test_save_and_load_round_trip(tmp_path):
    G = nx.relabel_nodes(nx.karate_club_graph(), lambda u: f"n{u}")
    M = ge.orbit_adjacency(G, keys=[(1, 0, 0), (2, 8, 8), (3, 4, 4)])
    path = M.save(tmp_path / "orbits.npz")
    back = OrbitAdjacency.load(path)
    assert list(back.node_ids) == list(M.node_ids)
    _same(M, back)
    with pytest.raises(FileExistsError, match="overwrite"):
        M.save(path)
    M.save(path, overwrite=True)
    with pytest.raises(ValueError, match=".npz"):
        M.save(tmp_path / "orbits.txt")


# ----------------------------------------------------------------------------- embedding, CLI
def test_orbit_embedding_is_deterministic_and_seeded():
    G = nx.karate_club_graph()
    X = ge.orbit_embedding(G, dim=32, random_state=3, num_threads=1)
    assert X.shape == (34, 32) and X.dtype == np.float32 and np.isfinite(X).all()
    assert np.array_equal(X, ge.orbit_embedding(G, dim=32, random_state=3, num_threads=2))
    Y = ge.orbit_embedding(G, dim=32, random_state=3, reduction="random_projection")
    assert not np.array_equal(Y, ge.orbit_embedding(G, dim=32, random_state=4,
                                                    reduction="random_projection"))
    # a node's random rows follow its id, not its row: relabelled rows give the same vectors
    order = np.random.default_rng(0).permutation(34)
    H = nx.Graph()
    H.add_nodes_from(order.tolist())
    H.add_edges_from(G.edges)
    Yh = ge.orbit_embedding(H, dim=32, random_state=3, reduction="random_projection")
    np.testing.assert_allclose(Yh[np.argsort(order)], Y, rtol=1e-5, atol=1e-5)


def test_orbit_embedding_blocks_follow_the_keys():
    G = nx.les_miserables_graph()
    X = ge.orbit_embedding(G, dim=6, keys=[(1, 0, 0), (1, 3, 3)], transform="none",
                           reduction="svd")
    # block 1 holds the top singular directions of the adjacency (U·sqrt(S))
    A = nx.to_numpy_array(G, weight=None)
    s = np.linalg.svd(A, compute_uv=False)
    np.testing.assert_allclose(np.sort(np.linalg.norm(X[:, :3], axis=0) ** 2)[::-1], s[:3],
                               rtol=1e-3)


@pytest.mark.parametrize("transform", ["none", "log", "degree", "ppmi"])
def test_orbit_embedding_transforms_match_a_dense_reference(transform):
    """Each transform, entry by entry on the dense count matrix (here the edge orbit, the
    adjacency with multiplicities 1), then U·sqrt(S) of its top singular triplets: the block's
    squared column norms are the top singular values of the transformed matrix."""
    G = nx.karate_club_graph()  # hub-to-hub edges: PMI < 0 for 4 of them, clipped by PPMI
    A = nx.to_numpy_array(G, weight=None)
    r, c, total = A.sum(axis=1, keepdims=True), A.sum(axis=0, keepdims=True), A.sum()
    with np.errstate(divide="ignore"):
        T = {"none": A, "log": np.log1p(A),
             "degree": np.where(A > 0, A / np.sqrt(r * c), 0.0),
             "ppmi": np.where(A > 0, np.maximum(np.log(A * total / (r * c)), 0.0), 0.0)}[transform]
    S = np.linalg.svd(T, compute_uv=False)
    k = 3
    X = ge.orbit_embedding(G, dim=k, keys=[(1, 0, 0)], transform=transform, reduction="svd")
    # the randomized SVD is within 1 % here; a wrong transform moves them by more (log1p(1) =
    # 0.69; the clipping of PPMI moves the third by 1.9 %)
    np.testing.assert_allclose(np.sort(np.linalg.norm(X, axis=0) ** 2)[::-1], S[:k], rtol=1e-2)


@pytest.mark.parametrize("kwargs, match", [
    ({"dim": 0}, "dim"),
    ({"transform": "pmi2"}, "transform"),
    ({"reduction": "pca"}, "reduction"),
    ({"random_state": None}, "random_state"),
    ({"keys": [(4, 0, 0)]}, "not an orbit adjacency key"),
])
def test_orbit_embedding_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ge.orbit_embedding(nx.path_graph(5), **kwargs)


def test_method_registry_entry():
    from graphembed.methods import embed, get_method

    m = get_method("orbits")
    params = m.parse_params({"keys": "1,0,0;2,1,1", "transform": "log"})
    assert params["keys"] == ["1,0,0", "2,1,1"]
    e = embed(nx.karate_club_graph(), "orbits", dim=8, random_state=0, params=params)
    direct = ge.orbit_embedding(nx.karate_club_graph(), dim=8, random_state=0,
                                keys=["1,0,0", "2,1,1"], transform="log")
    assert np.array_equal(e.vectors, direct)


def test_cli_orbits(tmp_path, capsys):
    from graphembed.cli import main

    edges = tmp_path / "g.tsv"
    edges.write_text("a\tb\nb\tc\nc\td\nd\ta\na\tc\nx\ty\n")
    out = tmp_path / "orbits.npz"
    assert main(["orbits", "--graph", str(edges), "-o", str(out), "--hop3"]) == 0
    M = OrbitAdjacency.load(out)
    assert len(M) == 28 and list(M.node_ids) == ["a", "b", "c", "d", "x", "y"]
    _same(M, ge.orbit_adjacency(ge.as_csr(str(edges)), include_hop3=True))
    assert main(["orbits", "--graph", str(edges), "-o", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["orbits", "--graph", str(edges), "-o", str(out), "--overwrite",
                 "--key", "1,8,8", "--key", "2,1,1"]) == 0
    assert list(OrbitAdjacency.load(out)) == [(1, 8, 8), (2, 1, 1)]
    counts = tmp_path / "gdv.npz"
    assert main(["orbits", "--graph", str(edges), "-o", str(counts), "--counts"]) == 0
    with np.load(counts) as z:
        assert z["node_ids"].tolist() == ["a", "b", "c", "d", "x", "y"]
        np.testing.assert_array_equal(z["counts"], ge.orbit_counts(ge.as_csr(str(edges))))
    assert main(["orbits", "--graph", str(edges), "-o", str(tmp_path / "o.txt")]) == 2
    assert main(["orbits", "--graph", str(edges), "-o", str(tmp_path / "o2.npz"),
                 "--key", "9,9,9"]) == 2


def test_kernels_without_jit_on_small_graphs():
    # the kernels run as plain Python (NUMBA_DISABLE_JIT=1), so an out-of-range index raises
    # instead of reading garbage; the results must still match the brute force
    import subprocess
    import sys

    code = (
        "import sys, networkx as nx, numpy as np\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from test_orbits import _check_against_brute\n"
        "for G in [nx.karate_club_graph(), nx.cycle_graph(40), nx.star_graph(6),\n"
        "          nx.gnp_random_graph(12, 0.4, seed=1), nx.complete_graph(5)]:\n"
        "    _check_against_brute(G)\n"
        "print('ok')\n"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")


def test_matrices_own_their_arrays():
    # changing one matrix in place must not touch another matrix or the input graph
    g = ge.as_csr(nx.karate_club_graph())
    before = g.indices.copy()
    M = ge.orbit_adjacency(g)
    ref = {key: m.toarray() for key, m in M.items()}
    for key in [(1, 0, 0), (2, 1, 1), (1, 3, 3)]:
        M[key].data[::2] = 0
        M[key].eliminate_zeros()
    for key, m in M.items():
        if key not in [(1, 0, 0), (2, 1, 1), (1, 3, 3)]:
            np.testing.assert_array_equal(m.toarray(), ref[key])
    np.testing.assert_array_equal(g.indices, before)


def test_counts_beyond_32_bits_on_a_large_star():
    # the centre of a star with k leaves is on orbit 7 of C(k, 3) stars: past 2**31 for k = 3000
    k = 3000
    G = nx.star_graph(k)
    gdv = ge.orbit_counts(G)
    assert gdv.dtype == np.int64
    assert gdv[0, 7] == k * (k - 1) * (k - 2) // 6 > 2**31
    assert gdv[0].tolist() == [k, 0, k * (k - 1) // 2, 0, 0, 0, 0, k * (k - 1) * (k - 2) // 6]\
        + [0] * 7
    assert gdv[1].tolist() == [1, k - 1, 0, 0, 0, 0, (k - 1) * (k - 2) // 2] + [0] * 8
    M = ge.orbit_adjacency(G, keys=[(1, 7, 6), (2, 6, 6), (1, 6, 7)])
    assert M[1, 7, 6][0, 5] == (k - 1) * (k - 2) // 2
    assert M[1, 7, 6].sum() == 3 * gdv[0, 7]
    assert M[2, 6, 6].nnz == k * (k - 1) and M[2, 6, 6][1, 2] == k - 2
