"""Random walks: the sampler against exact transition probabilities, determinism, dead ends,
anonymous walks against enumeration, co-occurrence against a plain reference, bad input."""

import itertools
from collections import Counter, defaultdict

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import graphembed as ge
from graphembed.walks import (
    anonymous_walk_vocabulary,
    anonymous_walk_vocabulary_size,
    anonymous_walks,
    cooccurrence,
    iter_random_walks,
    ppmi,
    walk_node_ids,
    walk_statistics,
)

from conftest import random_graphs

BELL = [1, 1, 2, 5, 15, 52, 203, 877, 4140, 21147]


# ---------------------------------------------------------------- reference transition rules


def first_order_probs(g, c):
    """Exact P(next | current c) as {neighbour: probability}."""
    lo, hi = g.indptr[c], g.indptr[c + 1]
    nbrs = g.indices[lo:hi]
    w = np.ones(hi - lo) if g.weights is None else g.weights[lo:hi].astype(np.float64)
    return dict(zip(nbrs.tolist(), (w / w.sum()).tolist()))


def node2vec_probs(g, t, c, p, q):
    """Exact node2vec P(next | previous t, current c) (Grover & Leskovec 2016)."""
    lo, hi = g.indptr[c], g.indptr[c + 1]
    t_nbrs = set(g.indices[g.indptr[t]:g.indptr[t + 1]].tolist())
    out = {}
    for k in range(lo, hi):
        x = int(g.indices[k])
        w = 1.0 if g.weights is None else float(g.weights[k])
        alpha = 1 / p if x == t else (1.0 if x in t_nbrs else 1 / q)
        out[x] = w * alpha
    total = sum(out.values())
    return {x: v / total for x, v in out.items()}


def transition_counts(walks, order):
    counts = defaultdict(Counter)
    for w in walks:
        w = w[w >= 0]
        for i in range(order, len(w)):
            counts[tuple(w[i - order:i].tolist())][int(w[i])] += 1
    return counts


def assert_matches(counts, exact_of, min_total=400, sigmas=5.0):
    checked = 0
    for ctx, ctr in counts.items():
        total = sum(ctr.values())
        if total < min_total:
            continue
        exact = exact_of(ctx)
        assert set(ctr) <= set(exact), f"context {ctx}: moved to a non-neighbour"
        for x, prob in exact.items():
            emp = ctr.get(x, 0) / total
            tol = sigmas * np.sqrt(prob * (1 - prob) / total) + 1e-12
            assert abs(emp - prob) <= tol, (ctx, x, emp, prob, total)
        checked += 1
    assert checked > 0


def follows_edges(g, walks):
    A = g.to_scipy().tocsr()
    for w in walks:
        w = w[w >= 0]
        for a, b in zip(w[:-1], w[1:]):
            if A[a, b] == 0:
                return False
    return True


# ---------------------------------------------------------------- the sampler


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("pq", [(1.0, 1.0), (0.5, 2.0), (4.0, 0.25)])
def test_walks_follow_edges(weighted, directed, pq):
    for G in random_graphs(8, max_nodes=25, seed=3, directed=directed, weighted=weighted):
        g = ge.as_csr(G)
        if g.nnz == 0:
            continue
        W, L = ge.random_walks(g, walk_length=12, walks_per_node=3, p=pq[0], q=pq[1],
                               random_state=5, return_lengths=True)
        assert W.shape == (3 * g.n, 13)
        assert np.array_equal(W[:, 0], np.tile(np.arange(g.n), 3))
        assert follows_edges(g, W)
        assert np.array_equal(L, (W >= 0).sum(axis=1))
        # padding only after the walk ended, and only at dead ends
        for w, length in zip(W, L):
            assert np.all(w[:length] >= 0) and np.all(w[length:] == -1)
            if length < 13:
                assert g.indptr[w[length - 1] + 1] == g.indptr[w[length - 1]]


def test_uniform_first_order_frequencies():
    g = ge.as_csr(nx.karate_club_graph(), weight=None)
    W = ge.random_walks(g, walk_length=60, walks_per_node=60, random_state=11)
    assert_matches(transition_counts(W, 1), lambda ctx: first_order_probs(g, ctx[0]))


def test_weighted_first_order_frequencies():
    rng = np.random.default_rng(0)
    G = nx.gnp_random_graph(15, 0.4, seed=4)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.choice([0.1, 1.0, 3.0, 10.0]))
    g = ge.as_csr(G)
    assert g.weighted
    W = ge.random_walks(g, walk_length=60, walks_per_node=200, random_state=2)
    assert_matches(transition_counts(W, 1), lambda ctx: first_order_probs(g, ctx[0]))


def test_triangle_with_a_tail_node2vec_rates():
    """Every second-order context of the triangle 0-1-2 with the tail 2-3, p = 0.5, q = 2
    (return weight 2, shared neighbour 1, away 0.5), computed by hand: the reference
    node2vec_probs gives these numbers, and the sampler's rates match them."""
    g = ge.as_csr((np.array([0, 1, 2, 2]), np.array([1, 2, 0, 3])))
    by_hand = {
        (0, 1): {0: 2 / 3, 2: 1 / 3}, (1, 0): {1: 2 / 3, 2: 1 / 3},
        (2, 0): {2: 2 / 3, 1: 1 / 3}, (2, 1): {2: 2 / 3, 0: 1 / 3},
        (0, 2): {0: 2 / 3.5, 1: 1 / 3.5, 3: 0.5 / 3.5},
        (1, 2): {1: 2 / 3.5, 0: 1 / 3.5, 3: 0.5 / 3.5},
        (3, 2): {3: 2 / 3, 0: 0.5 / 3, 1: 0.5 / 3}, (2, 3): {2: 1.0},
    }
    for (t, c), exact in by_hand.items():
        ref = node2vec_probs(g, t, c, 0.5, 2.0)
        assert set(ref) == set(exact) and all(ref[x] == pytest.approx(v) for x, v in exact.items())
    W = ge.random_walks(g, walk_length=40, walks_per_node=5000, p=0.5, q=2.0, random_state=0)
    counts = transition_counts(W, 2)
    assert set(counts) == set(by_hand)
    assert_matches(counts, lambda ctx: by_hand[ctx], min_total=1000)


@pytest.mark.parametrize("p,q", [(0.5, 2.0), (2.0, 0.5), (1.0, 3.0), (0.25, 1.0)])
@pytest.mark.parametrize("weighted", [False, True])
def test_node2vec_second_order_frequencies(p, q, weighted):
    rng = np.random.default_rng(1)
    G = nx.powerlaw_cluster_graph(14, 3, 0.5, seed=2)
    if weighted:
        for u, v in G.edges:
            G[u][v]["weight"] = float(rng.uniform(0.2, 4.0))
    g = ge.as_csr(G)
    W = ge.random_walks(g, walk_length=80, walks_per_node=150, p=p, q=q, random_state=7)
    assert_matches(transition_counts(W, 2), lambda ctx: node2vec_probs(g, ctx[0], ctx[1], p, q),
                   min_total=300)


def test_directed_node2vec_uses_out_rows():
    G = nx.gnp_random_graph(12, 0.35, seed=8, directed=True)
    g = ge.as_csr(G)
    W = ge.random_walks(g, walk_length=80, walks_per_node=200, p=0.5, q=2.0, random_state=3)
    assert_matches(transition_counts(W, 2),
                   lambda ctx: node2vec_probs(g, ctx[0], ctx[1], 0.5, 2.0), min_total=300)


@pytest.mark.parametrize("pq", [(1.0, 1.0), (0.5, 2.0)])
@pytest.mark.parametrize("weighted", [False, True])
def test_same_bytes_for_any_thread_count(pq, weighted):
    G = nx.gnp_random_graph(300, 0.03, seed=1)
    if weighted:
        for k, (u, v) in enumerate(G.edges):
            G[u][v]["weight"] = 1.0 + (k % 7)
    runs = [ge.random_walks(G, walk_length=30, walks_per_node=4, p=pq[0], q=pq[1],
                            random_state=99, num_threads=t) for t in (1, 2, 4)]
    assert all(np.array_equal(runs[0], r) and runs[0].tobytes() == r.tobytes() for r in runs)


def test_stream_blocks_equal_the_full_matrix():
    G = nx.gnp_random_graph(60, 0.08, seed=2, directed=True)  # with dead ends
    for pq in [(1.0, 1.0), (0.5, 2.0)]:
        full, L = ge.random_walks(G, walk_length=9, walks_per_node=5, p=pq[0], q=pq[1],
                                  random_state=4, return_lengths=True)
        for bs in (1, 7, 64, 10_000):
            blocks = [(b.walks.copy(), b.lengths.copy(), b.first_walk)
                      for b in iter_random_walks(G, walk_length=9, walks_per_node=5, p=pq[0],
                                                 q=pq[1], random_state=4, block_size=bs)]
            assert [f for _, _, f in blocks] == list(range(0, len(full), bs))
            assert np.array_equal(np.vstack([w for w, _, _ in blocks]), full)
            assert np.array_equal(np.concatenate([x for _, x, _ in blocks]), L)


def test_seed_changes_walks_and_start_nodes_order():
    G = nx.karate_club_graph()
    a = ge.random_walks(G, walk_length=10, walks_per_node=2, random_state=0)
    b = ge.random_walks(G, walk_length=10, walks_per_node=2, random_state=1)
    assert not np.array_equal(a, b)
    s = ge.random_walks(G, walk_length=10, walks_per_node=2, start_nodes=[5, 0], random_state=0)
    assert s[:, 0].tolist() == [5, 0, 5, 0]
    assert np.array_equal(ge.random_walks(G, walk_length=10, walks_per_node=2,
                                          random_state=2**64 - 1).shape, (68, 11))


def test_dead_ends_end_the_walk():
    g = ge.as_csr((np.array([0, 1]), np.array([1, 2])), directed=True, num_nodes=4)
    W, L = ge.random_walks(g, walk_length=5, walks_per_node=1, random_state=0,
                           return_lengths=True)
    assert W.tolist() == [[0, 1, 2, -1, -1, -1], [1, 2, -1, -1, -1, -1],
                          [2, -1, -1, -1, -1, -1], [3, -1, -1, -1, -1, -1]]
    assert L.tolist() == [3, 2, 1, 1]
    W2 = ge.random_walks(g, walk_length=5, walks_per_node=1, p=0.5, q=2.0, random_state=0)
    assert np.array_equal(W, W2)
    assert walk_node_ids(W, g) == [[0, 1, 2], [1, 2], [2], [3]]


def test_walk_node_ids_strings():
    g = ge.as_csr((np.array(["x", "y"]), np.array(["y", "z"])))
    W = ge.random_walks(g, walk_length=3, walks_per_node=1, start_nodes=[0])
    assert walk_node_ids(W, g) == [["x", "y", "x" if W[0, 2] == 0 else "z", "y"]]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs,match", [
    ({"p": 0}, "p must be > 0"),
    ({"p": -1.0}, "p must be > 0"),
    ({"q": 0.0}, "q must be > 0"),
    ({"q": float("nan")}, "q must be a finite"),
    ({"walk_length": 0}, "walk_length must be an integer >= 1"),
    ({"walks_per_node": 0}, "walks_per_node must be an integer >= 1"),
    ({"start_nodes": [0, 34]}, "start_nodes holds 34, outside the row range 0..33"),
    ({"start_nodes": [-1]}, "start_nodes holds -1"),
    ({"start_nodes": []}, "start_nodes is empty"),
    ({"random_state": -3}, "random_state must be an integer >= 0"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ge.random_walks(nx.karate_club_graph(), **kwargs)


def test_bad_inputs():
    with pytest.raises(TypeError, match="start_nodes must be a 1-D sequence of integer"):
        ge.random_walks(nx.karate_club_graph(), start_nodes=[0.5])
    with pytest.raises(ValueError, match="weights must be non-negative"):
        ge.random_walks(sp.csr_array(np.array([[0, -1.0], [-1.0, 0]])))
    empty = ge.as_csr((np.array([], dtype=int), np.array([], dtype=int)), num_nodes=5)
    with pytest.raises(ValueError, match="the graph has no edges"):
        ge.random_walks(empty)
    with pytest.raises(ValueError, match="the graph has no edges"):
        ge.irwe(empty)
    with pytest.raises(TypeError, match="walk_length must be an integer"):
        ge.random_walks(nx.karate_club_graph(), walk_length=2.5)


# ---------------------------------------------------------------- anonymous walks


def test_vocabulary_sizes_are_bell_numbers():
    for s in range(1, 9):
        assert anonymous_walk_vocabulary_size(s) == BELL[s]
        assert anonymous_walk_vocabulary_size(s, self_loops=True) == BELL[s + 1]
    for s in range(1, 7):
        vocab = anonymous_walk_vocabulary(s)
        assert len(vocab) == BELL[s] == len(set(vocab))
        assert len(anonymous_walk_vocabulary(s, self_loops=True)) == BELL[s + 1]


def _anon(walk):
    first = {}
    return tuple(first.setdefault(v, len(first)) for v in walk)


@pytest.mark.parametrize("self_loops", [False, True])
def test_codes_index_the_vocabulary(self_loops):
    for s in range(1, 7):
        vocab = anonymous_walk_vocabulary(s, self_loops=self_loops)
        walks = np.array([[v + 10 for v in w] for w in vocab])  # node ids != labels
        codes = anonymous_walks(walks, s, self_loops=self_loops)
        assert codes.tolist() == list(range(len(vocab)))
        hashed = anonymous_walks(walks, s, self_loops=self_loops, buckets=1 << 20)
        assert len(set(hashed.tolist())) >= len(vocab) - 2  # a hash, few collisions
        assert np.all((hashed >= 0) & (hashed < 1 << 20))


def _stats_reference(W, L, steps, max_steps, self_loops=False):
    n_walks = len(W)
    codes = {s: anonymous_walks(W, s, lengths=L, self_loops=self_loops) for s in steps}
    ret = np.zeros((n_walks, max_steps), dtype=np.int64)
    first = np.zeros((n_walks, max_steps), dtype=np.int64)
    for j, (w, length) in enumerate(zip(W, L)):
        back = [t for t in range(1, length) if w[t] == w[0]]
        for t in back:
            ret[j, t - 1] = 1
        if back:
            first[j, back[0] - 1] = 1
    return codes, ret, first


@pytest.mark.parametrize("pq", [(1.0, 1.0), (0.5, 2.0)])
@pytest.mark.parametrize("directed", [False, True])
def test_fused_statistics_equal_the_walks_they_come_from(pq, directed):
    G = nx.gnp_random_graph(40, 0.12, seed=5, directed=directed)
    g = ge.as_csr(G)
    steps, R = (2, 3, 5, 8), 30
    st = walk_statistics(g, steps=steps, walks_per_node=R, p=pq[0], q=pq[1], random_state=3,
                         buckets=64, degree_steps=2, degree_bins=8)
    W, L = ge.random_walks(g, walk_length=8, walks_per_node=R, p=pq[0], q=pq[1],
                           random_state=3, return_lengths=True)
    codes, ret, first = _stats_reference(W, L, steps, 8)
    start = np.tile(np.arange(g.n), R)
    for s in steps:
        width = anonymous_walk_vocabulary_size(s) if s <= 7 else 64
        ref = np.zeros((g.n, width))
        c = codes[s] if s <= 7 else anonymous_walks(W, s, lengths=L, buckets=64)
        ok = c >= 0
        np.add.at(ref, (start[ok], c[ok]), 1.0 / R)
        np.testing.assert_allclose(st.anonymous[s], ref, atol=1e-6)
    ref_ret = np.zeros((g.n, 8))
    ref_first = np.zeros((g.n, 8))
    np.add.at(ref_ret, start, ret / R)
    np.add.at(ref_first, start, first / R)
    np.testing.assert_allclose(st.returns, ref_ret, atol=1e-6)
    np.testing.assert_allclose(st.first_returns, ref_first, atol=1e-6)
    # degree profile: log-degree bin of the node after 0, 1, 2 steps
    from graphembed.walks import degree_bin

    bins = degree_bin(np.diff(g.indptr), 8)
    ref_deg = np.zeros((g.n, 24))
    for t in range(3):
        ok = L > t
        np.add.at(ref_deg, (start[ok], t * 8 + bins[W[ok, t]]), 1.0 / R)
    np.testing.assert_allclose(st.degrees, ref_deg, atol=1e-6)


def exact_anonymous_distribution(G, v, s):
    """Exact distribution of anonymous walks of s steps from v (uniform walk), by enumeration."""
    dist = Counter()

    def go(walk, prob):
        if len(walk) == s + 1:
            dist[_anon(walk)] += prob
            return
        nbrs = list(G.neighbors(walk[-1]))
        for x in nbrs:
            go(walk + [x], prob / len(nbrs))

    go([v], 1.0)
    return dist


def test_histograms_match_exact_enumeration():
    graphs = [nx.path_graph(5), nx.star_graph(4), nx.complete_graph(4), nx.cycle_graph(5),
              nx.lollipop_graph(4, 2), nx.house_graph()]
    R = 20000
    for G in graphs:
        st = walk_statistics(G, steps=(2, 3, 4), walks_per_node=R, random_state=1,
                             degree_steps=-1)
        for s in (2, 3, 4):
            vocab = anonymous_walk_vocabulary(s)
            for v in range(G.number_of_nodes()):
                exact = exact_anonymous_distribution(G, v, s)
                expected = np.array([exact.get(a, 0.0) for a in vocab])
                assert abs(expected.sum() - 1) < 1e-12
                tol = 5 * np.sqrt(expected * (1 - expected) / R) + 1e-6
                assert np.all(np.abs(st.anonymous[s][v] - expected) <= tol), (G, v, s)
                # exact return probability after s steps from the same enumeration
                back = sum(pr for a, pr in exact.items() if a[-1] == 0)
                assert abs(st.returns[v, s - 1] - back) <= 5 * np.sqrt(back * (1 - back) / R) + 1e-6


def test_automorphic_nodes_get_matching_distributions():
    R = 20000
    cases = [
        (nx.cycle_graph(7), [list(range(7))]),
        (nx.star_graph(5), [[1, 2, 3, 4, 5]]),
        (nx.barbell_graph(4, 0), [[0, 1, 2, 5, 6, 7], [3, 4]]),
        (nx.petersen_graph(), [list(range(10))]),
    ]
    for G, orbits in cases:
        st = walk_statistics(G, steps=(2, 3, 4, 5), walks_per_node=R, random_state=3)
        for s in (2, 3, 4, 5):
            H = st.anonymous[s]
            for orbit in orbits:
                mean = H[orbit].mean(axis=0)
                tol = 6 * np.sqrt(mean * (1 - mean) / R) + 1e-6
                assert np.all(np.abs(H[orbit] - mean) <= tol), (G, orbit, s)
        # and distinct orbits differ (barbell: clique nodes vs bridge nodes)
    st = walk_statistics(nx.barbell_graph(4, 0), steps=(3,), walks_per_node=R, random_state=3)
    assert np.abs(st.anonymous[3][0] - st.anonymous[3][3]).max() > 0.02  # ~10 standard errors


def test_statistics_threads_and_node_streams():
    G = nx.powerlaw_cluster_graph(200, 3, 0.3, seed=4)
    runs = [walk_statistics(G, steps=(3, 6, 9), walks_per_node=50, random_state=8,
                            num_threads=t, streams="node") for t in (1, 2, 4)]
    for r in runs[1:]:
        for s in (3, 6, 9):
            assert runs[0].anonymous[s].tobytes() == r.anonymous[s].tobytes()
        assert runs[0].returns.tobytes() == r.returns.tobytes()
    # node streams: a node's statistics do not depend on the other start nodes
    sub = walk_statistics(G, steps=(3, 6, 9), walks_per_node=50, random_state=8,
                          start_nodes=[17, 3], streams="node")
    for s in (3, 6, 9):
        assert np.array_equal(sub.anonymous[s], runs[0].anonymous[s][[17, 3]])


def test_self_loops_use_the_larger_vocabulary():
    g = ge.as_csr((np.array([0, 0, 1]), np.array([0, 1, 2])), self_loops="keep")
    st = walk_statistics(g, steps=(2, 3), walks_per_node=500, degree_steps=-1)
    assert st.self_loops
    assert st.anonymous[2].shape == (3, BELL[3]) and st.anonymous[3].shape == (3, BELL[4])
    np.testing.assert_allclose(st.anonymous[3].sum(axis=1), 1.0, atol=1e-6)


# ---------------------------------------------------------------- co-occurrence and PPMI


def cooc_reference(W, L, window, n):
    C = np.zeros((n, n))
    for w, length in zip(W, L):
        for t in range(length):
            for d in range(1, window + 1):
                if t + d < length:
                    C[w[t], w[t + d]] += 1
                    C[w[t + d], w[t]] += 1
    return C


@pytest.mark.parametrize("directed", [False, True])
def test_cooccurrence_matches_reference(directed):
    G = nx.gnp_random_graph(30, 0.15, seed=9, directed=directed)
    C = cooccurrence(G, window=3, walk_length=12, walks_per_node=4, random_state=6,
                     block_size=17)
    W, L = ge.random_walks(G, walk_length=12, walks_per_node=4, random_state=6,
                           return_lengths=True)
    np.testing.assert_array_equal(C.toarray(), cooc_reference(W, L, 3, 30))
    for t in (1, 2, 4):
        C2 = cooccurrence(G, window=3, walk_length=12, walks_per_node=4, random_state=6,
                          num_threads=t)
        assert (C2 != C).nnz == 0


def test_ppmi_reference():
    rng = np.random.default_rng(0)
    D = rng.integers(0, 5, size=(8, 8)).astype(float)
    D = D + D.T
    D[2] = 0
    D[:, 2] = 0
    for neg in (1.0, 5.0):
        M = ppmi(sp.csr_array(D), negative=neg).toarray()
        ref = np.zeros_like(D)
        T, r = D.sum(), D.sum(axis=1)
        for i, j in itertools.product(range(8), range(8)):
            if D[i, j] > 0:
                ref[i, j] = max(0.0, np.log(D[i, j] * T / (r[i] * r[j])) - np.log(neg))
        np.testing.assert_allclose(M, ref, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="negative must be > 0"):
        ppmi(sp.csr_array(D), negative=0)


# ---------------------------------------------------------------- invariants (hypothesis)


@settings(max_examples=40, deadline=None)
@given(
    edges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), min_size=1, max_size=40),
    directed=st.booleans(),
    pq=st.sampled_from([(1.0, 1.0), (0.5, 2.0), (3.0, 0.3)]),
    seed=st.integers(0, 2**64 - 1),
)
def test_walks_follow_edges_property(edges, directed, pq, seed):
    src, dst = np.array(edges).T
    g = ge.as_csr((src, dst), directed=directed, num_nodes=12)
    if g.nnz == 0:
        with pytest.raises(ValueError, match="no edges"):
            ge.random_walks(g)
        return
    W, L = ge.random_walks(g, walk_length=7, walks_per_node=2, p=pq[0], q=pq[1],
                           random_state=seed, return_lengths=True)
    assert follows_edges(g, W)
    deg = np.diff(g.indptr)
    for w, length in zip(W, L):
        # a walk stops exactly when it reaches a node without out-edges
        assert length == 8 or deg[w[length - 1]] == 0
        assert np.all(deg[w[:length - 1]] > 0)
    again = ge.random_walks(g, walk_length=7, walks_per_node=2, p=pq[0], q=pq[1],
                            random_state=seed, num_threads=1)
    assert np.array_equal(W, again)
