"""graphembed.distributed without Spark: partitioning, exact partitioned FastRP, alignment."""

import functools

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import graphembed as ge
from graphembed import distributed as D
from graphembed._kernels import rng
from graphembed.methods import METHODS, Method, embed

from conftest import random_graphs


# ------------------------------------------------------------------ hashing and partitioning
def test_priority_is_the_rng_stream_key():
    keys = np.array([0, 1, 2, 2**63 + 5, 2**64 - 1], dtype=np.uint64)
    for seed in (0, 7, 2**64 - 1):
        want = [np.int64(np.uint64(rng.stream_key(np.uint64(seed), k)).view(np.int64))
                for k in keys]
        assert D.node_priority(keys, seed).tolist() == [int(w) for w in want]


def test_hash_partition_is_balanced_and_depends_on_the_key_only():
    keys = np.arange(20000, dtype=np.uint64)
    parts = D.hash_partition(keys, 8, seed=1)
    counts = np.bincount(parts, minlength=8)
    assert counts.min() > 2300 and counts.max() < 2700
    assert np.array_equal(D.hash_partition(keys[::-1], 8, seed=1), parts[::-1])
    assert not np.array_equal(D.hash_partition(keys, 8, seed=2), parts)


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_hash_partition_rejects_bad_counts(bad):
    with pytest.raises((ValueError, TypeError), match="num_partitions"):
        D.hash_partition(np.arange(3, dtype=np.uint64), bad)


def _grow_reference(adj, keys, max_arcs, seed, slack=1.25, max_waves=3):
    """The growth rule written plainly with Python sets and dicts (slow, obviously correct)."""
    n = len(adj)
    deg = [len(a) for a in adj]
    pri = D.node_priority(keys, seed).tolist()
    part = [-1] * n
    label = 0
    for _ in range(max_waves):
        if all(p >= 0 for p in part):
            break
        free = [v for v in range(n) if part[v] < 0]
        pool = [v for v in free if deg[v] > 0] or free
        k = max(1, int(np.ceil(slack * sum(deg[v] for v in free) / max_arcs)))
        seeds = sorted(pool, key=lambda v: pri[v])[:k]
        load = {}
        lo = label
        for s in seeds:
            part[s] = label
            load[label] = deg[s]
            label += 1
        while True:
            votes = {}
            for u in range(n):
                if part[u] >= lo:
                    for v in adj[u]:
                        if part[v] < 0:
                            votes.setdefault(v, {}).setdefault(part[u], 0)
                            votes[v][part[u]] += 1
            if not votes:
                break
            proposals = {}
            for v, c in votes.items():
                best = min(c, key=lambda p: (-c[p], p))
                proposals.setdefault(best, []).append(v)
            admitted = 0
            for p, vs in proposals.items():
                for v in sorted(vs, key=lambda v: pri[v]):
                    if load[p] + deg[v] > max_arcs:
                        break
                    part[v] = p
                    load[p] += deg[v]
                    admitted += 1
            if not admitted:
                break
    rest = [v for v in range(n) if part[v] < 0]
    if rest:
        k = max(1, int(np.ceil(slack * sum(deg[v] for v in rest) / max_arcs)))
        extra = D.hash_partition(np.asarray(keys)[rest], k, seed)
        for v, e in zip(rest, extra):
            part[v] = label + int(e)
    return part


@pytest.mark.parametrize("cap", [4, 10, 40])
@pytest.mark.parametrize("waves", [1, 3, 50])
def test_grow_partitions_matches_the_plain_rule(cap, waves):
    for G in random_graphs(25, max_nodes=40, seed=cap):
        g = ge.as_csr(G)
        adj = [g.indices[g.indptr[u]:g.indptr[u + 1]].tolist() for u in range(g.n)]
        want = _grow_reference(adj, g.node_keys(), cap, seed=3, max_waves=waves)
        got = D.grow_partitions(g.indptr, g.indices, g.node_keys(), max_arcs=cap, seed=3,
                                max_waves=waves)
        assert got.tolist() == want


def test_grow_partitions_respects_caps_and_components():
    G = nx.disjoint_union_all([nx.connected_watts_strogatz_graph(30, 4, 0.2, seed=s)
                               for s in range(4)])
    g = ge.as_csr(G)
    parts = D.grow_partitions(g.indptr, g.indices, g.node_keys(), max_arcs=50, seed=0,
                              max_waves=100)
    comp = np.array([c for c, nodes in enumerate(nx.connected_components(G)) for _ in nodes])
    comp_of = np.empty(g.n, int)
    for c, nodes in enumerate(nx.connected_components(G)):
        comp_of[list(nodes)] = c
    deg = np.diff(g.indptr)
    for p in np.unique(parts):
        members = parts == p
        assert len(np.unique(comp_of[members])) == 1  # never crosses a component
        assert deg[members].sum() <= 50 or members.sum() == 1
    assert len(comp) == g.n


def test_border_mask_and_levels():
    G = nx.relaxed_caveman_graph(8, 6, 0.15, seed=2)
    g = ge.as_csr(G)
    levels = D.locality_partition(g, max_arcs=40, seed=1)
    rows0, parts0 = levels[0]
    assert np.array_equal(rows0, np.arange(g.n))
    want = np.array([any(parts0[v] != parts0[u] for v in G[u]) for u in range(g.n)])
    assert np.array_equal(D.border_mask(g.indptr, g.indices, parts0), want)
    assert np.array_equal(levels[1][0], np.flatnonzero(want))
    assert len(np.unique(levels[-1][1])) == 1
    for (r_hi, _), (r_lo, _) in zip(levels, levels[1:]):
        assert set(r_lo) <= set(r_hi)


def test_local_csr_matches_scipy():
    rng_ = np.random.default_rng(0)
    src = rng_.integers(0, 10, 60)
    dst = rng_.integers(0, 30, 60)
    keep = np.unique(np.stack([src, dst], 1), axis=0)
    src, dst = keep[:, 0], keep[:, 1]
    w = rng_.uniform(0.5, 2, len(src)).astype(np.float32)
    owned = np.arange(10)[::-1].copy()
    indptr, indices, ww, cols = D.local_csr(src, dst, w, owned)
    got = sp.csr_array((ww, indices, indptr), shape=(10, len(cols))).toarray()
    want = np.zeros((10, len(cols)), np.float32)
    col_of = {c: j for j, c in enumerate(cols.tolist())}
    for s, d, x in zip(src, dst, w):
        want[owned.tolist().index(s), col_of[d]] = x
    assert np.array_equal(got, want)
    with pytest.raises(ValueError, match="source"):
        D.local_csr(np.array([99]), np.array([0]), None, owned)


# ------------------------------------------------------------------ exact FastRP
SETTINGS = [
    {},
    {"iteration_weights": "1,0.5", "normalize": "false", "standardize": "false"},
    {"transition": "sum", "iteration_weights": "0.3,1", "normalization_strength": "0.3",
     "self_influence": "1"},
    {"sparsity": "sqrt"},
    # no per-step normalisation, self-influence and beta: the degree weighting of the initial
    # vectors reaches E directly (with normalize it cancels in the self-influence term)
    {"normalize": "false", "self_influence": "0.7", "normalization_strength": "-0.8",
     "iteration_weights": "1,2"},
    # the degree channel: global log-degree moments, with and without standardisation
    {"degree_share": "0.2"},
    {"degree_share": "0.1", "standardize": "false"},
    {"degree_share": "0"},
]


@pytest.mark.parametrize("params", SETTINGS)
@pytest.mark.parametrize("P", [1, 4, 16])
def test_partitioned_fastrp_equals_fastrp(params, P):
    kwargs = dict(params)
    for G in random_graphs(6, max_nodes=40, seed=P, weighted=bool(P % 2)):
        g = ge.as_csr(G)
        parts = D.hash_partition(g.node_keys(), P, seed=1)
        E, stats = D.fastrp_partitioned(g, parts, dim=24, random_state=9, params=kwargs)
        want = embed(g, "fastrp", dim=24, random_state=9, params=kwargs).vectors
        assert np.max(np.abs(E - want)) <= 1e-5
        if P == 1:
            assert stats["vectors_exchanged"] == 0


def test_partitioned_fastrp_regular_graph_has_no_degree_channel():
    """Equal degrees: the exact range of the log-degrees (min and max, not a rounded σ) turns
    the channel off in the partitioned run as on one machine."""
    g = ge.as_csr(nx.cycle_graph(30))
    for P in (1, 4):
        E, _ = D.fastrp_partitioned(g, D.hash_partition(g.node_keys(), P, seed=1), dim=8,
                                    params={"degree_share": "0.5"})
        assert np.max(np.abs(E - ge.fastrp(g, dim=8, degree_share=0.0))) <= 1e-5


def test_partitioned_fastrp_string_ids():
    G = nx.relabel_nodes(nx.les_miserables_graph(), lambda s: s + "!")
    g = ge.as_csr(G, weight=None)
    E, _ = D.fastrp_partitioned(g, D.hash_partition(g.node_keys(), 5), dim=16)
    assert np.max(np.abs(E - ge.fastrp(g, dim=16))) <= 1e-5


def test_exchange_ships_each_vector_once_per_partition():
    G = nx.star_graph(20)  # the hub's vector is needed by every other partition once
    g = ge.as_csr(G)
    parts = np.arange(21) % 7
    _, stats = D.fastrp_partitioned(g, parts, dim=8, params={"iteration_weights": "1"})
    node, part = D.ghost_pairs(parts[np.repeat(np.arange(21), np.diff(g.indptr))], g.indices,
                               parts[g.indices])
    # hub (node 0, part 0) is a ghost of parts 1..6; leaves of other parts are ghosts of part 0
    assert sorted(zip(node.tolist(), part.tolist())) == sorted(
        [(0, p) for p in range(1, 7)] + [(v, 0) for v in range(1, 21) if v % 7])
    assert stats["vectors_exchanged"] == len(node)


def test_fastrp_on_components_equals_separate_runs():
    comps = [nx.karate_club_graph(), nx.cycle_graph(9), nx.complete_graph(5)]
    G = nx.disjoint_union_all(comps)
    g = ge.as_csr(G, weight=None)
    parts = np.concatenate([np.full(len(c), i) for i, c in enumerate(comps)])
    # standardisation and the degree channel use global statistics
    params = {"standardize": "false", "degree_share": "0"}
    E, stats = D.fastrp_partitioned(g, parts, dim=16, params=params)
    assert stats["vectors_exchanged"] == 0
    start = 0
    for c in comps:
        rows = np.arange(start, start + len(c))
        sub = ge.as_csr((g.subgraph(rows)), weight=None)
        alone = embed(sub, "fastrp", dim=16, params=params).vectors
        assert np.max(np.abs(E[rows] - alone)) <= 1e-6
        start += len(c)


def test_fastrp_settings_errors():
    with pytest.raises(ValueError, match="no parameter"):
        D.fastrp_settings({"iterations": 3})
    with pytest.raises(ValueError, match="direction"):
        D.fastrp_settings({"direction": "in"}, directed=True)


# ------------------------------------------------------------------ alignment
def test_procrustes_recovers_a_rotation_and_rejects_shapes():
    r = np.random.default_rng(1)
    X = r.normal(size=(50, 6))
    Q, _ = np.linalg.qr(r.normal(size=(6, 6)))
    assert np.allclose(D.procrustes(X @ Q, X), Q.T, atol=1e-10)
    with pytest.raises(ValueError, match="same shape"):
        D.procrustes(X, X[:3])


@pytest.fixture
def planted(monkeypatch):
    """A registered method returning a known embedding, rotated by a per-partition rotation."""
    r = np.random.default_rng(5)
    n, dim = 60, 6
    truth = r.normal(size=(n, dim)).astype(np.float32)

    def rotation(seed):
        q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
        return q

    def planted_method(graph, *, dim, random_state, num_threads, noise=0.0):
        ids = graph.node_ids.astype(np.int64)  # the keys = the global ids here
        Q = rotation(int(ids.min()) * 7 + len(ids))
        noise_rng = np.random.default_rng(len(ids))
        return (truth[ids] @ Q + noise * noise_rng.normal(size=(len(ids), dim))).astype(
            np.float32)

    import sys
    import types

    mod = types.ModuleType("graphembed_planted_method")
    mod.planted = planted_method
    mod.planted_noisy = functools.partial(planted_method, noise=0.01)
    monkeypatch.setitem(sys.modules, "graphembed_planted_method", mod)
    for name in ("planted", "planted_noisy"):
        monkeypatch.setitem(METHODS, name, Method(name, f"graphembed_planted_method:{name}", ""))
    G = nx.connected_watts_strogatz_graph(n, 6, 0.3, seed=1)
    return ge.as_csr(G), truth


@pytest.mark.parametrize("anchors, iterations", [(8, 2), (6, 0), (20, 1)])
def test_alignment_recovers_planted_rotations(planted, anchors, iterations):
    g, truth = planted
    parts = D.hash_partition(g.node_keys(), 4, seed=2)
    E, stats = D.embed_partitioned(g, parts, method="planted", dim=6, anchors=anchors,
                                   align_iterations=iterations)
    ref = stats["reference"]
    own = parts == ref
    Q = D.procrustes(truth[own], E[own])  # the reference's frame
    assert np.allclose(truth @ Q, E, atol=1e-4)
    raw, _ = D.embed_partitioned(g, parts, method="planted", dim=6, mode="none")
    assert not np.allclose(truth @ Q, raw, atol=1e-2)  # unaligned copies really were rotated


def test_alignment_tolerates_noise(planted):
    g, truth = planted
    parts = D.hash_partition(g.node_keys(), 4, seed=2)
    E, stats = D.embed_partitioned(g, parts, method="planted_noisy", dim=6, anchors=8)
    own = parts == stats["reference"]
    Q = D.procrustes(truth[own], E[own])
    err = np.linalg.norm(truth @ Q - E) / np.linalg.norm(truth)
    assert err < 0.03


# ------------------------------------------------------------------ walk / orbit family
def test_one_partition_equals_single_machine_orbits():
    G = nx.les_miserables_graph()
    g = ge.as_csr(G, weight=None)
    E, _ = D.embed_partitioned(g, np.zeros(g.n, int), method="orbits", dim=16)
    want = embed(g, "orbits", dim=16).vectors
    assert np.array_equal(E, want)


def test_components_partitioned_along_them_equal_separate_runs():
    comps = [nx.karate_club_graph(), nx.les_miserables_graph()]
    G = nx.disjoint_union_all(comps)
    g = ge.as_csr(G, weight=None)
    parts = np.concatenate([np.full(len(c), i) for i, c in enumerate(comps)])
    E, _ = D.embed_partitioned(g, parts, method="orbits", dim=12, mode="none", anchors=0)
    start = 0
    for c in comps:
        rows = np.arange(start, start + len(c))
        alone = embed(g.subgraph(rows), "orbits", dim=12).vectors
        assert np.array_equal(E[rows], alone)
        start += len(c)


def test_halo_members():
    G = nx.path_graph(8)
    g = ge.as_csr(G)
    parts = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    m1 = D.halo_members(g, parts, hops=1)
    assert m1[0][0].tolist() == [0, 1, 2, 3, 4] and m1[0][1].tolist() == [0, 0, 0, 0, 1]
    rows, roles = D.halo_members(g, parts, hops=2, cap=2)[1]
    assert rows.tolist() == [2, 3, 4, 5, 6, 7]  # 2 hops
    assert roles.tolist() == [1, 1, 0, 0, 0, 0]
    rows, roles = D.halo_members(g, parts, hops=2, cap=1, anchors=1)[1]
    assert set(rows.tolist()) - {2} == {3, 4, 5, 6, 7}  # cap=1: 3 brings 2 or 4, not both
    assert (roles == D.ANCHOR).sum() <= 1


def test_distne_mode_shape_and_internal_block():
    G = nx.relaxed_caveman_graph(4, 10, 0.1, seed=3)
    g = ge.as_csr(G)
    parts = D.grow_partitions(g.indptr, g.indices, g.node_keys(), max_arcs=120, seed=0)
    E, stats = D.embed_partitioned(g, parts, method="orbits", dim=16, mode="distne")
    assert E.shape == (g.n, 16) and np.all(np.isfinite(E))
    # the internal block of a partition is the method on that partition's subgraph alone
    p = parts[0]
    rows = np.flatnonzero(parts == p)
    alone = embed(g.subgraph(rows), "orbits", dim=8).vectors
    assert np.array_equal(E[rows, :8], alone)
    # the border block, from scratch: border nodes (a neighbour in another partition) carry the
    # method on the border subgraph alone; every other node the mean of its partition
    # neighbours, three times over with the border held fixed; a row still zero then gets the
    # mean of its partition's border rows
    border = np.array([any(parts[v] != parts[u] for v in G[u]) for u in G.nodes])
    assert stats["border_nodes"] == int(border.sum()) and 0 < border.sum() < g.n
    b_rows = np.flatnonzero(border)
    Bvec = np.zeros((g.n, 8))
    Bvec[b_rows] = embed(g.subgraph(b_rows), "orbits", dim=8).vectors
    A = nx.to_numpy_array(G, nodelist=list(G.nodes))
    smoothed_interior = 0
    for p in np.unique(parts):
        rows = np.flatnonzero(parts == p)
        Ap = A[np.ix_(rows, rows)]
        deg = Ap.sum(axis=1)
        fixed = Bvec[rows] * border[rows][:, None]
        X = fixed.copy()
        for _ in range(3):
            Y = np.divide(Ap @ X, deg[:, None], out=np.zeros_like(X), where=deg[:, None] > 0)
            X = np.where(border[rows][:, None], fixed, Y)
        zero = ~X.any(axis=1)
        if zero.any() and border[rows].any():
            X[zero] = fixed[border[rows]].mean(axis=0)
        np.testing.assert_allclose(E[rows, 8:], X, rtol=1e-5, atol=1e-6)
        smoothed_interior += int((~border[rows] & X.any(axis=1)).sum())
    assert smoothed_interior > 0


def test_smooth_border_keeps_border_rows_and_averages_inside():
    g = ge.as_csr(nx.path_graph(4))
    B = np.array([[1.0, 0], [0, 0], [0, 0], [0, 2.0]], np.float32)
    X = D.smooth_border(g.indptr, g.indices, B, np.array([True, False, False, True]), steps=20)
    assert np.allclose(X[[0, 3]], B[[0, 3]])
    assert np.allclose(X[1], [2 / 3, 2 / 3], atol=1e-3) and np.allclose(X[2], [1 / 3, 4 / 3],
                                                                        atol=1e-3)
    # rows the smoothing does not reach get the mean of the border rows
    g = ge.as_csr(nx.path_graph(6))
    B = np.zeros((6, 2), np.float32)
    B[0], B[5] = [1.0, 2.0], [3.0, 0.0]
    has = np.array([True, False, False, False, False, True])
    X = D.smooth_border(g.indptr, g.indices, B, has, steps=1)
    assert X.tolist() == [[1, 2], [0.5, 1], [2, 1], [2, 1], [1.5, 0], [3, 0]]


def test_mode_is_checked():
    g = ge.as_csr(nx.path_graph(3))
    with pytest.raises(ValueError, match="mode"):
        D.embed_partitioned(g, np.zeros(3, int), method="orbits", mode="fused")


def test_partitions_smaller_than_dim_are_padded():
    G = nx.disjoint_union(nx.path_graph(3), nx.karate_club_graph())
    g = ge.as_csr(G)
    parts = np.array([0] * 3 + [1] * 34)
    E, _ = D.embed_partitioned(g, parts, method="irwe", dim=8, mode="none", anchors=0,
                               params={"identity_walks": 20, "walks_per_node": 2})
    assert np.all(E[:3, 3:] == 0) and np.any(E[:3, :3])
    alone = embed(g.subgraph(np.arange(3)), "irwe", dim=3, params={"identity_walks": 20,
                                                                   "walks_per_node": 2}).vectors
    assert np.array_equal(E[:3, :3], alone)


def test_a_partition_without_edges_gets_zero_vectors():
    g = ge.as_csr((np.array([0, 1]), np.array([1, 2])), nodes=[0, 1, 2, 3])  # node 3 alone
    E, _ = D.embed_partitioned(g, np.array([0, 0, 0, 1]), method="irwe", dim=4, mode="none",
                               anchors=0, params={"identity_walks": 10, "walks_per_node": 2})
    assert np.all(E[3] == 0) and np.any(E[:3])


# -- landmark mode (IRWE in one basis) -----------------------------------------------------------

LM_PARAMS = {"irwe": {"identity_walks": "60", "walks_per_node": "4", "walk_length": "20"},
             "irwe_identity": {"identity_walks": "60"},
             "irwe_position": {"walks_per_node": "4", "walk_length": "20"}}


@pytest.mark.parametrize("method", sorted(LM_PARAMS))
def test_landmark_mode_on_one_partition_is_the_single_machine_irwe(method):
    g = ge.as_csr(nx.relaxed_caveman_graph(5, 7, 0.2, seed=3))
    want = embed(g, method, dim=8, random_state=2, params=LM_PARAMS[method]).vectors
    got, stats = D.embed_partitioned(g, np.zeros(g.n, int), method=method, dim=8,
                                     random_state=2, params=LM_PARAMS[method], mode="landmarks")
    assert stats["landmarks"] == g.n
    assert np.max(np.abs(got - want)) <= 1e-4 * max(1.0, np.abs(want).max())


def test_landmark_mode_shares_one_basis_across_partitions():
    """With every node a landmark, the partitions' rows come from one fit: a node's vector is
    the fitted map of its own statistics, so nodes whose member subgraph is the whole graph get
    exactly their single-machine rows, whichever partition owns them."""
    G = nx.disjoint_union(nx.relaxed_caveman_graph(4, 6, 0.2, seed=1),
                          nx.relaxed_caveman_graph(4, 6, 0.2, seed=2))
    g = ge.as_csr(G)
    parts = np.zeros(g.n, int)
    parts[24:] = 1  # one component per partition: each member subgraph is its component
    p = LM_PARAMS["irwe_identity"]
    got, _ = D.embed_partitioned(g, parts, method="irwe_identity", dim=6, random_state=0,
                                 params=p, mode="landmarks")
    want = embed(g, "irwe_identity", dim=6, random_state=0, params=p).vectors
    assert np.max(np.abs(got - want)) <= 1e-4 * np.abs(want).max()


def test_landmark_sample_is_a_pure_function_of_seed_and_key():
    keys = np.arange(20_000, dtype=np.uint64)
    t = D.landmark_threshold(len(keys), 2_000)
    m = D.landmark_mask(keys, t, seed=1)
    assert 1_800 < m.sum() < 2_200
    assert np.array_equal(D.landmark_mask(keys[::-1], t, seed=1), m[::-1])  # order-free
    assert not np.array_equal(D.landmark_mask(keys, t, seed=2), m)
    assert D.landmark_mask(keys, D.landmark_threshold(len(keys), 10**6), seed=1).all()
    # independent of hash partitioning with the same seed
    parts = D.hash_partition(keys, 4, seed=1)
    assert all(0.2 < np.mean(parts[m] == p) < 0.3 for p in range(4))


def test_landmark_mode_rejects_methods_it_cannot_fit():
    g = ge.as_csr(nx.karate_club_graph())
    with pytest.raises(ValueError, match="fewer than dim=8.*--landmarks"):
        D.embed_partitioned(g, np.zeros(g.n, int), method="irwe", dim=8, mode="landmarks",
                            landmarks=3, params=LM_PARAMS["irwe"])
    with pytest.raises(ValueError, match="mode='aligned'"):
        D.embed_partitioned(g, np.zeros(g.n, int), method="orbits", dim=8, mode="landmarks")
    with pytest.raises(ValueError, match="landmarks"):
        D.landmark_threshold(10, 0)


@pytest.mark.parametrize("batch_rows", [1, 7, 100_000])
def test_streamed_steps_have_the_bits_of_fastrp(batch_rows):
    """Before standardisation the streamed step is graphembed.fastrp's float32 arithmetic in its
    order (neighbours by increasing key, hashed keys of string ids included), however the
    stream is cut into batches."""
    params = {"standardize": "false", "iteration_weights": "0.5,1,2"}
    for i, G in enumerate(random_graphs(5, max_nodes=40, seed=batch_rows, weighted=True)):
        G = nx.relabel_nodes(G, lambda v: f"n{v}") if i % 2 else G
        for weight in ("weight", None):
            g = ge.as_csr(G, weight=weight)
            parts = D.hash_partition(g.node_keys(), 1 + i % 4, seed=2)
            E, _ = D.fastrp_partitioned(g, parts, dim=12, random_state=3, params=params,
                                        batch_rows=batch_rows)
            want = ge.fastrp(g, dim=12, random_state=3, standardize=False,
                             iteration_weights=(0.5, 1, 2))
            assert np.array_equal(E, want)


def _one_stream(g, parts, settings):
    import pyarrow as pa

    nodes, arcs = D._graph_tables(g, parts)
    li = np.arange(g.n, dtype=np.int32)
    nodes = nodes.append_column("li", pa.array(li))
    state = D.fastrp_initial(nodes, settings=settings)
    arcs = arcs.append_column("si", pa.array(li[D._np(arcs, "src")])).append_column(
        "dkey", pa.array(g.node_keys().view(np.int64)[D._np(arcs, "dst")]))
    return state, arcs


def test_stream_step_rejects_a_missing_ghost_and_wrong_counts():
    import pyarrow as pa

    g = ge.as_csr(nx.path_graph(6))
    settings = D.fastrp_settings(None, dim=4, random_state=0)
    state, arcs = _one_stream(g, np.zeros(6, np.int64), settings)
    full = D.fastrp_stream_table(state, state.schema.empty_table().select(["node", "key", "P"]),
                                 arcs)
    out = list(D.fastrp_stream_step(full.to_batches(), settings=settings, step=1,
                                    owned_counts={0: 6}))
    assert D._np(pa.Table.from_batches(out), "li").tolist() == list(range(6))
    # node 5's vector row dropped: the arc 4 -> 5 has no vector to read
    keep = ~((D._np(full, "kind") == D.VECTOR) & (D._np(full, "node") == 5))
    settings8 = D.fastrp_settings(None, dim=8, random_state=0)  # the stream holds 4 values
    cases = [  # (stream, settings, owned_counts, error)
        (full.filter(pa.array(keep)), settings, {0: 6}, "comes before any vector row"),
        (full, settings, {0: 7}, "owned_counts says 7"),
        (full, settings, {0: 5}, "outside its 5 owned rows"),
        (full, settings8, {0: 6}, "does not have dim = 8 values"),
        (full, settings, {1: 6}, "not in owned_counts"),
        (full.drop_columns(["w"]), settings, {0: 6}, r"lacks the columns \['w'\]"),
    ]
    for stream, s, counts, error in cases:
        with pytest.raises(ValueError, match=error):
            list(D.fastrp_stream_step(stream.to_batches(), settings=s, step=1,
                                      owned_counts=counts))
