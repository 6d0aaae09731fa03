"""FastRP against a dense NumPy formulation of the spec, plus invariants and bad input."""

import importlib

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

import graphembed as ge
from graphembed._finish import direction as degree_direction
from graphembed.fastrp import (
    DEFAULT_DEGREE_SHARE,
    DEFAULT_ITERATION_WEIGHTS,
    DEFAULT_NORMALIZATION_STRENGTH,
    FastRP,
    fastrp,
    propagate,
    random_rows,
)

from conftest import all_graphs, random_graphs

# ---------------------------------------------------------------------------------------------
# the slow, obviously-correct reference (dense float64, straight from the spec)


def dense_fastrp(G, X0, *, iteration_weights=DEFAULT_ITERATION_WEIGHTS,
                 beta=DEFAULT_NORMALIZATION_STRENGTH,
                 transition="mean", normalize=True, standardize=True, self_influence=0.0,
                 direction="out", degree_share=DEFAULT_DEGREE_SHARE, seed=0):
    """The spec, step by step, on the dense adjacency of a networkx graph (node order G.nodes)."""
    nodes = list(G.nodes)
    S = nx.to_numpy_array(G, nodelist=nodes, weight="weight", dtype=np.float64)
    np.fill_diagonal(S, 0.0)
    if G.is_directed():
        if direction == "in":
            S = S.T
        elif direction == "both":
            S = np.maximum(S, S.T)
    deg = S.sum(axis=1)
    L = np.where(deg > 0, np.power(np.where(deg > 0, deg, 1.0), beta), 0.0)
    if transition == "mean":
        A = S / np.where(deg > 0, deg, 1.0)[:, None]
    else:
        A = S

    def norm(M):
        if not normalize:
            return M
        r = np.linalg.norm(M, axis=1, keepdims=True)
        return np.divide(M, r, out=np.zeros_like(M), where=r > 0)

    N = L[:, None] * np.asarray(X0, dtype=np.float64)
    E = self_influence * norm(N)
    for a in iteration_weights:
        N = A @ N
        E = E + a * norm(N)
    if standardize:
        keep = deg > 0
        if keep.any():
            mu = E[keep].mean(axis=0)
            sd = E[keep].std(axis=0)
            sd[~(sd > 0)] = 1.0
            E[keep] = (E[keep] - mu) / sd
    keep = deg > 0
    if degree_share and keep.any():  # the degree channel: standardised log-degree along u
        var = E[keep].var(axis=0)
        V = np.count_nonzero(var > 0) if standardize else var.sum()
        z = np.log(deg[keep])
        if np.ptp(z) > 0 and V > 0:  # equal degrees: no channel
            z = (z - z.mean()) / z.std()
            u = degree_direction(E.shape[1], seed)
            E[keep] += np.sqrt(degree_share * V) * np.outer(z, u)
    return E


def close(E, ref, rtol=2e-4):
    """Elementwise agreement relative to the scale of the reference."""
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(E, ref, rtol=rtol, atol=rtol * scale)


def close_standardized(E, G, X0, **opts):
    """``E`` against the dense reference, first unstandardised (float32 rounding only), then
    standardised with a tolerance that grows with the conditioning of the standardisation:
    a column whose spread is a small fraction of its values (several mean-transition steps on
    a tiny graph) turns float32 rounding of the values into larger errors of the z-scores."""
    raw = dense_fastrp(G, X0, standardize=False, **opts)
    close(fastrp(G, projection=X0, standardize=False, dim=X0.shape[1], **opts), raw)
    keep = raw.any(axis=1)
    spread = raw[keep].std(axis=0) if keep.any() else np.ones(1)
    cond = float(np.abs(raw).max() / max(spread.min(), 1e-30))
    ref = dense_fastrp(G, X0, **opts)
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(E, ref, rtol=2e-4, atol=2e-4 * scale + 1e-6 * cond)


def gaussian(n, dim, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# against the reference


def test_all_graphs_up_to_five_nodes():
    dim = 6
    for k, G in enumerate(all_graphs(5)):
        X0 = gaussian(G.number_of_nodes(), dim, seed=k)
        E = fastrp(G, dim=dim, projection=X0, standardize=False)
        close(E, dense_fastrp(G, X0, standardize=False))


OPTIONS = [
    {},
    {"self_influence": 0.7},
    {"normalize": False},
    {"standardize": False},
    {"transition": "sum", "normalize": False, "standardize": False},
    {"transition": "sum"},
    {"beta": 0.0},
    {"beta": 0.3, "iteration_weights": (1.0, 0.01)},
    {"beta": -1.0, "iteration_weights": (2.0,), "self_influence": -1.0},
    {"iteration_weights": (0.5, -1.0, 2.0, 0.0, 3.0, 1.0)},
    {"degree_share": 0.0},
    {"degree_share": 0.3},
    {"degree_share": 0.05, "standardize": False},
    {"degree_share": 1.0, "transition": "sum", "normalize": False},
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_random_graphs_every_option(opts, weighted):
    dim = 8
    for k, G in enumerate(random_graphs(12, max_nodes=25, seed=3, weighted=weighted)):
        G.add_node(1000 + k)  # an isolated node
        X0 = gaussian(G.number_of_nodes(), dim, seed=k)
        kwargs = dict(opts)
        beta = kwargs.pop("beta", -0.64)
        E = fastrp(G, dim=dim, projection=X0, normalization_strength=beta, **kwargs)
        close(E, dense_fastrp(G, X0, beta=beta, **kwargs))


@pytest.mark.parametrize("direction", ["out", "in", "both"])
@pytest.mark.parametrize("weighted", [False, True])
def test_directed_graphs(direction, weighted):
    dim = 8
    for k, G in enumerate(random_graphs(12, max_nodes=25, seed=5, directed=True,
                                        weighted=weighted)):
        X0 = gaussian(G.number_of_nodes(), dim, seed=k)
        E = fastrp(G, dim=dim, projection=X0, direction=direction)
        close_standardized(E, G, X0, direction=direction)
        opts = {"transition": "sum", "standardize": False, "self_influence": 1.0}
        E = fastrp(G, dim=dim, projection=X0, direction=direction, **opts)
        close(E, dense_fastrp(G, X0, direction=direction, **opts))


def test_direction_is_ignored_for_undirected_graphs():
    G = nx.karate_club_graph()
    outs = [fastrp(G, dim=16, direction=d) for d in ("out", "in", "both")]
    assert outs[0].tobytes() == outs[1].tobytes() == outs[2].tobytes()


def test_random_initial_vectors_are_random_rows_of_node_keys():
    """Without projection, the initial matrix is random_rows(node_keys) (string ids here)."""
    G = nx.les_miserables_graph()
    H = nx.Graph()
    H.add_nodes_from(G.nodes)
    H.add_edges_from(G.edges())  # unweighted copy, same node order
    g = ge.as_csr(H)
    for sparsity, seed in ((3, 0), (1, 5), ("sqrt", 11)):
        s = np.sqrt(g.n) if sparsity == "sqrt" else sparsity
        R = random_rows(g.node_keys(), 32, sparsity=s, random_state=seed)
        E = fastrp(H, dim=32, sparsity=sparsity, random_state=seed, self_influence=0.5)
        close(E, dense_fastrp(H, R, self_influence=0.5, seed=seed))


def test_features():
    G = nx.karate_club_graph()
    n, dim, f = G.number_of_nodes(), 16, 5
    F = np.random.default_rng(1).standard_normal((n, f))
    g = ge.as_csr(G, weight=None)
    for ratio in (0.25, 0.5, 1.0):
        d_f = round(ratio * dim)
        E = fastrp(g, dim=dim, features=F, feature_ratio=ratio, random_state=3,
                   self_influence=0.5, sparsity=3)
        X0 = np.zeros((n, dim))
        if d_f < dim:
            X0[:, : dim - d_f] = random_rows(g.node_keys(), dim - d_f, sparsity=3, random_state=3)
        P = FastRPFeatureMatrix(f, d_f, 3)
        X0[:, dim - d_f:] = F @ P
        H = nx.Graph()
        H.add_nodes_from(range(n))
        H.add_edges_from(G.edges)
        close(E, dense_fastrp(H, X0, self_influence=0.5, seed=3))
        # sparse features give the same bytes
        E2 = fastrp(g, dim=dim, features=sp.csr_array(F), feature_ratio=ratio, random_state=3,
                    self_influence=0.5, sparsity=3)
        assert E.tobytes() == E2.tobytes()


def FastRPFeatureMatrix(f, d_f, seed):
    """The dense ±1/sqrt(d_f) feature projection: random rows with s = 1, keyed by feature."""
    _feature_seed = importlib.import_module("graphembed.fastrp")._feature_seed

    P = random_rows(np.arange(f, dtype=np.uint64), d_f, sparsity=1,
                    random_state=_feature_seed(seed))
    assert np.all(np.abs(np.abs(P) - 1 / np.sqrt(d_f)) < 1e-6)
    return P.astype(np.float64)


def test_features_change_the_embedding_and_seed_matters():
    G = nx.karate_club_graph()
    F = np.eye(34)[:, :4]
    a = fastrp(G, dim=16, features=F, feature_ratio=0.5)
    b = fastrp(G, dim=16, features=F * 2 + 1, feature_ratio=0.5)
    c = fastrp(G, dim=16, features=F, feature_ratio=0.5, random_state=1)
    assert not np.allclose(a, b) and not np.allclose(a, c)


# ---------------------------------------------------------------------------------------------
# building blocks


def test_random_rows_statistics():
    keys = np.arange(20000, dtype=np.uint64)
    for s, dim in ((1.0, 64), (3.0, 128), (10.0, 64), (100.0, 32)):
        R = random_rows(keys, dim, sparsity=s, random_state=42)
        nz = R != 0
        assert abs(nz.mean() - 1 / s) < 5 * np.sqrt(1 / s / R.size) + 1e-4
        np.testing.assert_array_equal(np.abs(R[nz]), np.float32(np.sqrt(s / dim)))
        pos = (R > 0).sum() / nz.sum()
        assert abs(pos - 0.5) < 5 * np.sqrt(0.25 / nz.sum())
        # columns independent-looking: mean squared row norm ~ 1
        assert abs((R.astype(np.float64) ** 2).sum(axis=1).mean() - 1.0) < 0.02


def test_random_rows_depend_on_key_and_seed_only():
    keys = np.array([5, 17, 2**40, 3], dtype=np.uint64)
    R = random_rows(keys, 64, sparsity=3, random_state=7)
    R2 = random_rows(keys[[3, 1]], 64, sparsity=3, random_state=7)
    assert R2.tobytes() == R[[3, 1]].tobytes()
    assert not np.array_equal(R, random_rows(keys, 64, sparsity=3, random_state=8))
    # integer keys of any width give the same rows
    assert random_rows(np.array([5, 17]), 64, sparsity=3, random_state=7).tobytes() == \
        R[:2].tobytes()


def test_adding_a_node_does_not_change_other_random_rows():
    G = nx.path_graph(6)
    g = ge.as_csr(G)
    R = random_rows(g.node_keys(), 16, sparsity=3, random_state=0)
    G.add_edge(5, 6)
    g2 = ge.as_csr(G)
    R2 = random_rows(g2.node_keys(), 16, sparsity=3, random_state=0)
    assert R2[:6].tobytes() == R.tobytes()
    # and the self-influence term of an untouched far node is unchanged
    G3 = nx.path_graph(6)
    G3.add_edge(100, 101)
    a = fastrp(nx.path_graph(6), dim=16, self_influence=1, iteration_weights=(0.0,),
               standardize=False, degree_share=0.0)
    b = fastrp(G3, dim=16, self_influence=1, iteration_weights=(0.0,), standardize=False,
               degree_share=0.0)
    assert a.tobytes() == b[:6].tobytes()


def test_propagate_matches_dense_and_ghost_rows():
    rng = np.random.default_rng(0)
    A = sp.random_array((7, 11), density=0.4, random_state=1, format="csr")
    A.data = rng.uniform(0.5, 2, A.nnz)
    X = rng.standard_normal((11, 5)).astype(np.float32)
    Ad = A.toarray()
    deg = Ad.sum(1)
    out = propagate(A.indptr, A.indices, A.data, X)
    np.testing.assert_allclose(out, (Ad / np.where(deg > 0, deg, 1)[:, None]) @ X, rtol=1e-5,
                               atol=1e-6)
    out = propagate(A.indptr, A.indices, A.data, X, transition="sum")
    np.testing.assert_allclose(out, Ad @ X, rtol=1e-5, atol=1e-5)
    out = propagate(A.indptr, A.indices, None, X, degrees=np.full(7, 2.0))
    np.testing.assert_allclose(out, ((Ad > 0) @ X) / 2, rtol=1e-5, atol=1e-6)


def test_propagate_reproduces_fastrp_iterations():
    """fastrp = random_rows + propagate: a partitioned run can recompute it bit for bit."""
    G = nx.gnp_random_graph(40, 0.15, seed=2)
    g = ge.as_csr(G)
    R = random_rows(g.node_keys(), 16, sparsity=3, random_state=0)
    deg = g.degrees()
    L = np.where(deg > 0, np.power(np.maximum(deg, 1), -0.64), 0).astype(np.float32)
    N = R * L[:, None]
    Ns = []
    for _ in range(3):
        N = propagate(g.indptr, g.indices, None, N)
        Ns.append(N)
    E = fastrp(g, dim=16, iteration_weights=(0, 0, 1), normalize=False, standardize=False,
               normalization_strength=-0.64, sparsity=3, degree_share=0.0)
    assert E.tobytes() == Ns[2].tobytes()


# ---------------------------------------------------------------------------------------------
# determinism and invariants


def test_byte_identical_across_thread_counts():
    rng = np.random.default_rng(0)
    n = 3000
    src = rng.integers(0, n, 30000)
    dst = rng.integers(0, n, 30000)
    w = rng.uniform(0.1, 3, 30000)
    for g in (ge.as_csr((src, dst), num_nodes=n), ge.as_csr((src, dst, w), num_nodes=n),
              ge.as_csr((src.astype(str), dst.astype(str)))):
        outs = [fastrp(g, dim=64, num_threads=t, self_influence=0.3, degree_share=0.05).tobytes()
                for t in (1, 2, 4)]
        assert outs[0] == outs[1] == outs[2]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 30), p=st.floats(0.05, 0.7), seed=st.integers(0, 2**16),
       weighted=st.booleans(), directed=st.booleans())
def test_reordering_permutes_rows_only(n, p, seed, weighted, directed):
    G = nx.gnp_random_graph(n, p, seed=seed, directed=directed)
    rng = np.random.default_rng(seed)
    if weighted:
        for u, v in G.edges:
            G[u][v]["weight"] = float(rng.uniform(0.1, 4))
    perm = rng.permutation(n)
    H = G.__class__()
    H.add_nodes_from(perm.tolist())
    H.add_edges_from(G.edges(data=True))
    opts = dict(dim=8, self_influence=0.4, random_state=seed)
    E = fastrp(G, **opts)
    F = fastrp(H, **opts)
    assert F.tobytes() == E[perm].tobytes()


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 25), p=st.floats(0.1, 0.7), seed=st.integers(0, 2**16))
def test_relabelling_with_matching_projection(n, p, seed):
    """New ids + the same initial vectors (moved along) give the same rows (up to rounding)."""
    G = nx.gnp_random_graph(n, p, seed=seed)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(10 * n)[:n]
    H = nx.relabel_nodes(G, {v: int(labels[v]) for v in G})
    X0 = gaussian(n, 8, seed)
    order = [int(np.flatnonzero(labels == v)[0]) for v in H.nodes]
    # before standardisation: float32 rounding of a different summation order only
    E = fastrp(G, dim=8, projection=X0, standardize=False)
    F = fastrp(H, dim=8, projection=X0[order], standardize=False)
    close(F, E[order])
    # standardised: z-scores amplify that rounding by the conditioning of each column (several
    # mean-transition steps on a dense graph leave columns whose spread is a small fraction of
    # their values: n=16, p=0.7, seed=16 has one entry 6.6e-4 off against a plain 5.1e-4), so
    # both runs are held to the dense reference with close_standardized's tolerance
    E = fastrp(G, dim=8, projection=X0)
    F = fastrp(H, dim=8, projection=X0[order])
    close_standardized(E, G, X0)
    close_standardized(F, H, X0[order])
    np.testing.assert_allclose(dense_fastrp(H, X0[order]), dense_fastrp(G, X0)[order],
                               rtol=1e-9, atol=1e-9)


def test_isolated_nodes_give_zero_rows():
    G = nx.karate_club_graph()
    G.add_nodes_from(["lonely", "alone"])
    for opts in ({}, {"standardize": False}, {"self_influence": 1.0},
                 {"transition": "sum", "normalization_strength": 0.5}, {"degree_share": 0.5},
                 {"degree_share": 0.5, "standardize": False}):
        E = fastrp(G, dim=16, **opts)
        assert np.all(np.isfinite(E))
        assert not E[-2:].any()
        assert np.abs(E[:-2]).sum(axis=1).min() > 0
    # standardisation ignores isolated rows: the others have column mean 0 and variance 1
    # (the degree channel keeps the means at 0: its z has mean 0 over the same rows)
    E = fastrp(G, dim=16)
    np.testing.assert_allclose(E[:-2].mean(axis=0), 0, atol=1e-5)
    E = fastrp(G, dim=16, degree_share=0.0)
    np.testing.assert_allclose(E[:-2].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(E[:-2].std(axis=0), 1, atol=1e-4)
    # a graph with no edges at all: all zeros
    assert not fastrp(nx.empty_graph(5), dim=4).any()


def test_method_registry_runs_fastrp():
    from graphembed.methods import embed, get_method

    emb = embed(nx.karate_club_graph(), "fastrp", dim=16,
                params={"iteration_weights": "1,2", "normalization_strength": "0",
                        "sparsity": "sqrt",
                        "normalize": "false", "standardize": "true", "transition": "sum",
                        "self_influence": "0.1", "direction": "both"})
    ref = fastrp(nx.karate_club_graph(), dim=16, iteration_weights=(1, 2),
                 normalization_strength=0, sparsity="sqrt", normalize=False, transition="sum",
                 self_influence=0.1)
    assert emb.vectors.tobytes() == ref.tobytes()
    defaults = get_method("fastrp").parse_params({})
    assert defaults["transition"] == "mean" and defaults["direction"] == "out"


# ---------------------------------------------------------------------------------------------
# the estimator


def test_estimator_contract():
    m = FastRP(dim=8, random_state=3)
    params = m.get_params()
    assert params["dim"] == 8 and params["random_state"] == 3 and "inductive" in params
    assert m.set_params(dim=16) is m and m.dim == 16
    with pytest.raises(ValueError, match="invalid parameter 'dims'"):
        m.set_params(dims=3)
    G = nx.karate_club_graph()
    assert m.fit(G) is m
    assert m.embedding_.tobytes() == fastrp(G, dim=16, random_state=3).tobytes()
    assert list(m.node_ids_) == list(G.nodes)
    assert m.fit_transform(G).tobytes() == m.embedding_.tobytes()
    assert "dim=16" in repr(m)
    from sklearn.base import clone

    c = clone(m)
    assert c.get_params() == m.get_params() and not hasattr(c, "embedding_")
    with pytest.raises(RuntimeError, match="inductive=True"):
        m.transform((np.array([99]), np.array([0])))
    with pytest.raises(RuntimeError, match="not fitted"):
        FastRP().transform((np.array([99]), np.array([0])))


@pytest.mark.parametrize("opts", [
    {},
    {"self_influence": 0.5, "transition": "sum", "normalization_strength": 0.3},
    {"normalize": False, "iteration_weights": (1.0, 2.0, 3.0)},
    {"iteration_weights": (1.0,), "self_influence": 2.0},
])
def test_inductive_equals_full_recomputation(opts):
    """A new node x with arcs x → v: transform gives the row fastrp gives x in G + those arcs."""
    rng = np.random.default_rng(0)
    G = nx.gnp_random_graph(60, 0.08, seed=4)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.5, 2))
    opts = dict(opts, degree_share=0.0)  # the channel's own test is below
    model = FastRP(dim=16, inductive=True, standardize=False, random_state=9, **opts).fit(G)
    new = {100: [(3, 1.0), (7, 2.5), (50, 0.5)], 101: [(0, 1.0)], 102: []}
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    D.add_weighted_edges_from([(u, v, d["weight"]) for u, v, d in G.edges(data=True)])
    D.add_weighted_edges_from([(v, u, d["weight"]) for u, v, d in G.edges(data=True)])
    for x, nb in new.items():
        D.add_node(x)
        D.add_weighted_edges_from([(x, v, w) for v, w in nb])
    full = fastrp(D, dim=16, standardize=False, random_state=9, **opts)
    src = np.array([x for x, nb in new.items() for _ in nb])
    dst = np.array([v for nb in new.values() for v, _ in nb])
    w = np.array([w for nb in new.values() for _, w in nb])
    got = model.transform((src, dst, w), node_ids=[100, 101, 102])
    assert got.tobytes() == full[60:].tobytes()
    assert model.embedding_.tobytes() == full[:60].tobytes()
    # the sparse-matrix form of the same edges
    M = sp.csr_array((w, (np.searchsorted([100, 101, 102], src), dst)), shape=(3, 60))
    assert model.transform(M, node_ids=[100, 101, 102]).tobytes() == got.tobytes()


def test_inductive_with_standardize_uses_fitted_statistics():
    G = nx.karate_club_graph()
    model = FastRP(dim=16, inductive=True, degree_share=0.0).fit(G)
    raw = FastRP(dim=16, inductive=True, standardize=False, degree_share=0.0).fit(G)
    edges = (np.array([99, 99, 99]), np.array([0, 5, 33]))
    z = model.transform(edges)
    r = raw.transform(edges)
    np.testing.assert_allclose(z, (r - model.mean_) / model.scale_, rtol=1e-5, atol=1e-5)
    # a fitted node re-entered by its own edges gets its fitted row back
    nb = list(G.neighbors(5))
    again = raw.transform((np.full(len(nb), -1), np.array(nb),
                           np.array([G[5][v]["weight"] for v in nb], dtype=float)))
    close(again[0], raw.embedding_[5], rtol=1e-6)


@pytest.mark.parametrize("standardize", [True, False])
def test_inductive_degree_channel_uses_fitted_statistics(standardize):
    """A new node gets c·z·u with the fitted graph's μ, σ and c, and its own degree."""
    G = nx.karate_club_graph()
    share, dim = 0.05, 16
    model = FastRP(dim=dim, inductive=True, degree_share=share, standardize=standardize,
                   random_state=4).fit(G)
    plain = FastRP(dim=dim, inductive=True, degree_share=0.0, standardize=standardize,
                   random_state=4).fit(G)
    deg = np.array([d for _, d in G.degree(weight="weight")], dtype=float)
    ld = np.log(deg)
    V = dim if standardize else plain.embedding_.astype(float).var(axis=0).sum()
    c = np.sqrt(share * V)
    u = degree_direction(dim, 4)
    close(model.embedding_, plain.embedding_ + c * np.outer((ld - ld.mean()) / ld.std(), u),
          rtol=1e-5)
    edges = (np.array([99, 99, 99, 98]), np.array([0, 5, 33, 2]),
             np.array([1.0, 2.0, 4.0, 0.5]))
    z = (np.log([7.0, 0.5]) - ld.mean()) / ld.std()
    close(model.transform(edges, node_ids=[99, 98]),
          plain.transform(edges, node_ids=[99, 98]) + c * np.outer(z, u), rtol=1e-5)
    # a node without edges gets no channel (its row stays zero)
    assert not model.transform((np.array([99]), np.array([0]), np.array([0.0])),
                               node_ids=[99]).any()


def test_degree_direction_is_a_seeded_unit_sign_vector():
    for dim in (1, 2, 7, 128):
        us = [degree_direction(dim, seed) for seed in range(40)]
        for u in us:
            np.testing.assert_allclose(np.abs(u), 1 / np.sqrt(dim))
        assert degree_direction(dim, 3).tobytes() == us[3].tobytes()
        if dim >= 32:  # 2**dim sign patterns: 40 seeds cannot collide by chance
            assert len({u.tobytes() for u in us}) == 40
    # balanced signs over many seeds, and not the nodes' own random rows (a separate stream)
    signs = np.array([degree_direction(64, s) for s in range(200)]) > 0
    assert 0.45 < signs.mean() < 0.55
    rows = random_rows(np.arange(200, dtype=np.uint64), 64, sparsity=1.0, random_state=0)
    assert not any((r > 0).tolist() == signs[0].tolist() for r in rows)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(3, 40), p=st.floats(0.05, 0.6), seed=st.integers(0, 2**16),
       share=st.sampled_from([0.01, 0.2, 1.0]), standardize=st.booleans(),
       weighted=st.booleans())
def test_degree_channel_is_one_standardised_direction(n, p, seed, share, standardize, weighted):
    """E(share) − E(0) = c·z·u: rank one along u, z the standardised log-degree (mean 0,
    variance 1 over the nodes with edges), c² = share·V; zero on isolated nodes and on graphs
    whose degrees are all equal."""
    rng = np.random.default_rng(seed)
    G = nx.gnp_random_graph(n, p, seed=seed)
    for a, b in G.edges:
        G[a][b]["weight"] = float(rng.uniform(0.2, 5)) if weighted else 1.0
    dim = 12
    E0 = fastrp(G, dim=dim, degree_share=0.0, standardize=standardize, random_state=seed)
    E1 = fastrp(G, dim=dim, degree_share=share, standardize=standardize, random_state=seed)
    D = E1.astype(float) - E0
    deg = np.array([d for _, d in G.degree(weight="weight")], dtype=float)
    keep = deg > 0
    assert not D[~keep].any()
    ld = np.log(deg[keep]) if keep.any() else np.zeros(0)
    if len(ld) == 0 or np.ptp(ld) == 0:
        np.testing.assert_allclose(D, 0, atol=1e-5)  # equal degrees carry nothing
        return
    u = degree_direction(dim, seed)
    along = D @ u
    np.testing.assert_allclose(D, np.outer(along, u), atol=1e-4 * max(1.0, np.abs(D).max()))
    var0 = E0[keep].astype(float).var(axis=0)
    V = np.count_nonzero(var0 > 1e-12) if standardize else var0.sum()
    c = np.sqrt(share * V)
    np.testing.assert_allclose(along[keep], c * (ld - ld.mean()) / ld.std(),
                               rtol=1e-4, atol=1e-4 * max(1.0, c))


def test_degree_channel_is_off_for_regular_graphs():
    """Equal degrees carry nothing: no shift, exactly (the mean of equal log-degrees is not
    exactly their value in float64 for most sizes, e.g. 30 nodes of degree 2)."""
    for G in (nx.cycle_graph(12), nx.cycle_graph(30), nx.complete_graph(6),
              nx.circulant_graph(20, [1, 3]), nx.random_regular_graph(3, 100, seed=1),
              nx.random_regular_graph(4, 1000, seed=2)):
        for standardize in (True, False):
            assert fastrp(G, dim=8, degree_share=0.5, standardize=standardize).tobytes() == \
                fastrp(G, dim=8, degree_share=0.0, standardize=standardize).tobytes()
        model = FastRP(dim=8, degree_share=0.5, inductive=True).fit(G)
        new = model.transform((np.array([7, 7, 7]), np.array([0, 1, 2])), node_ids=[7])
        assert np.isfinite(new).all() and np.abs(new).max() < 100


def test_degree_channel_does_not_depend_on_node_order():
    """The log-degree sums are exactly rounded, so μ and σ (and the bits they feed) are the
    same for any order of the nodes."""
    from graphembed._finish import channel_of

    deg = np.random.default_rng(0).pareto(1.5, 5000) * 10 + 1
    var = np.ones(16)
    ref = channel_of(0.04, 16, 0, deg, var, True)
    for seed in range(5):
        perm = np.random.default_rng(seed).permutation(len(deg))
        mu, sigma, c, u = channel_of(0.04, 16, 0, deg[perm], var, True)
        assert (mu, sigma, c) == ref[:3] and u.tobytes() == ref[3].tobytes()


# ---------------------------------------------------------------------------------------------
# bad input: a clear message naming the parameter and the fix


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"dim": 0}, ValueError, "dim must be an integer >= 1"),
    ({"dim": 2.5}, TypeError, "dim must be an integer"),
    ({"iteration_weights": ()}, ValueError, "iteration_weights must not be empty"),
    ({"iteration_weights": (1.0, float("nan"))}, ValueError, "iteration_weights must be finite"),
    ({"iteration_weights": (1.0, np.inf)}, ValueError, "iteration_weights must be finite"),
    ({"iteration_weights": "1,2"}, TypeError, "iteration_weights must be a sequence"),
    ({"iteration_weights": (1, "a")}, TypeError, "iteration_weights must hold real numbers"),
    ({"sparsity": 0.5}, ValueError, "sparsity must be a finite number >= 1"),
    ({"sparsity": "log"}, ValueError, "sparsity must be a number >= 1 or 'sqrt'"),
    ({"sparsity": np.nan}, ValueError, "sparsity must be a finite number >= 1"),
    ({"transition": "max"}, ValueError, "transition must be one of 'mean', 'sum'"),
    ({"direction": "up"}, ValueError, "direction must be one of"),
    ({"normalization_strength": np.nan}, ValueError, "normalization_strength must be a finite"),
    ({"normalize": "yes"}, TypeError, "normalize must be True or False"),
    ({"self_influence": np.inf}, ValueError, "self_influence must be a finite"),
    ({"random_state": -1}, ValueError, "random_state must be an integer >= 0"),
    ({"random_state": None}, TypeError, "random_state must be an integer seed"),
    ({"projection": np.zeros((5, 4))}, ValueError, r"projection must have shape \(n, dim\)"),
    ({"projection": np.full((34, 8), np.nan)}, ValueError, "projection must hold finite"),
    ({"features": np.zeros((5, 3)), "feature_ratio": 0.5}, ValueError,
     "features has 5 rows but the graph has 34 nodes"),
    ({"features": np.zeros((34, 3))}, ValueError, "feature_ratio=0 would ignore them"),
    ({"feature_ratio": 0.5}, ValueError, "no features were given"),
    ({"features": np.zeros((34, 3)), "feature_ratio": 0.01}, ValueError, "rounds to 0"),
    ({"features": np.full((34, 3), np.inf), "feature_ratio": 0.5}, ValueError,
     "features must be finite"),
    ({"feature_ratio": 1.5}, ValueError, "feature_ratio must be <= 1"),
    ({"degree_share": -0.1}, ValueError, "degree_share must be >= 0"),
    ({"degree_share": 1.5}, ValueError, "degree_share must be <= 1"),
    ({"degree_share": np.nan}, ValueError, "degree_share must be a finite"),
    ({"degree_share": "0.1"}, TypeError, "degree_share must be a real number"),
    ({"features": np.zeros((34, 3)), "feature_ratio": 0.5, "projection": np.zeros((34, 8))},
     ValueError, "either projection"),
])
def test_bad_parameters(kwargs, exc, match):
    kwargs.setdefault("dim", 8)
    with pytest.raises(exc, match=match):
        fastrp(nx.karate_club_graph(), **kwargs)


@pytest.mark.parametrize("data, match", [
    (sp.csr_array(np.ones((3, 4))), "must be square"),
    (sp.csr_array(np.array([[0, -1.0], [1, 0]])), "weights must be non-negative"),
    (sp.csr_array(np.array([[0, np.nan], [1, 0]])), "weights must be finite"),
    (sp.csr_array(np.array([[0, np.inf], [1, 0]])), "weights must be finite"),
    ((np.array([0, 1]), np.array([1, 2]), np.array(["a", "b"])), "weights must be numbers"),
    ((np.array([], dtype=int), np.array([], dtype=int)), "the graph has no nodes"),
])
def test_bad_graphs(data, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fastrp(data, dim=4)


def test_bad_building_block_input():
    with pytest.raises(ValueError, match="sparsity must be a finite number >= 1"):
        random_rows(np.arange(3), 4, sparsity=0, random_state=0)
    with pytest.raises(ValueError, match="dim must be an integer >= 1"):
        random_rows(np.arange(3), 0, sparsity=3, random_state=0)
    with pytest.raises(TypeError, match="keys must be uint64"):
        random_rows(np.array(["a"]), 4, sparsity=3, random_state=0)
    X = np.zeros((3, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="indices must lie in 0..2"):
        propagate(np.array([0, 1]), np.array([3]), None, X)
    with pytest.raises(ValueError, match="transition must be one of"):
        propagate(np.array([0, 1]), np.array([1]), None, X, transition="avg")
    with pytest.raises(ValueError, match="degrees must have shape"):
        propagate(np.array([0, 1]), np.array([1]), None, X, degrees=np.ones(3))
    with pytest.raises(ValueError, match="weights must be finite non-negative"):
        propagate(np.array([0, 1]), np.array([1]), np.array([np.nan]), X)


def test_transform_bad_input():
    model = FastRP(dim=8, inductive=True).fit(nx.path_graph(4))
    with pytest.raises(KeyError, match="node id 9 is not in the graph"):
        model.transform((np.array([10]), np.array([9])))
    with pytest.raises(ValueError, match="columns"):
        model.transform(sp.csr_array(np.ones((1, 3))), node_ids=[10])
    with pytest.raises(ValueError, match="node_ids"):
        model.transform(sp.csr_array(np.ones((1, 4))))
    with pytest.raises(TypeError, match="edges must be a tuple"):
        model.transform("edges")


def test_overflow_is_reported_not_returned():
    G = nx.complete_graph(60)
    with pytest.raises(FloatingPointError, match="transition='mean'"):
        fastrp(G, dim=4, transition="sum", normalization_strength=20.0, standardize=False,
               iteration_weights=(1.0,) * 3, projection=np.full((60, 4), 1e10))


def test_locality_relabelling_changes_no_bits(monkeypatch):
    """Hub sorting relabels the rows internally; the output bytes must not change."""
    F = importlib.import_module("graphembed.fastrp")

    graphs = [nx.barabasi_albert_graph(300, 2, seed=1), nx.star_graph(40)]
    D = nx.gnp_random_graph(120, 0.05, seed=2, directed=True)
    for u, v in D.edges:
        D[u][v]["weight"] = 1.0 + (u * 7 + v) % 5
    graphs.append(D)
    runs = []
    for relabel in (False, True):
        if relabel:
            rows = importlib.import_module("graphembed._rows")
            monkeypatch.setattr(rows, "_REORDER_MIN_NODES", 1)
            monkeypatch.setattr(rows, "_REORDER_SKEW", 1.0)
            assert F.locality_order(ge.as_csr(graphs[0]).indptr) is not None
        out = []
        for G in graphs:
            for opts in ({}, {"self_influence": 0.5, "direction": "in"},
                         {"features": np.arange(3 * len(G)).reshape(-1, 3) % 7,
                          "feature_ratio": 0.25}):
                out.append(fastrp(G, dim=16, **opts).tobytes())
            m = FastRP(dim=16, inductive=True, standardize=False).fit(G)
            out.append(m.transform((np.array([-5, -5]), np.array([0, 3]))).tobytes())
        runs.append(out)
    assert runs[0] == runs[1]


def test_locality_order_is_hub_sorting():
    F = importlib.import_module("graphembed.fastrp")

    indptr = np.zeros(2**16 + 1, dtype=np.int64)
    deg = np.ones(2**16, dtype=np.int64)
    deg[[5, 70, 9]] = [100, 300, 50]
    np.cumsum(deg, out=indptr[1:])
    order = F.locality_order(indptr)
    assert order[:3].tolist() == [70, 5, 9]
    rest = order[3:]
    assert np.all(np.diff(rest) > 0) and len(rest) == 2**16 - 3
    indptr_flat = np.arange(2**16 + 1, dtype=np.int64) * 3
    assert F.locality_order(indptr_flat) is None


@pytest.mark.parametrize("kind", ["plain", "weighted", "directed", "hubs"])
def test_sign_fast_path_has_the_bits_of_the_materialised_rows(kind):
    """Without α_0, features or projection the first step reads int8 signs × per-node
    coefficients instead of the float rows; it must give exactly the same bytes as propagating
    the materialised rows (passed as projection=)."""
    rng = np.random.default_rng(7)
    if kind == "hubs":  # skewed enough to be relabelled for locality
        G = nx.barabasi_albert_graph(70_000, 2, seed=1)
        g = ge.as_csr(G)
    else:
        n, m = 300, 1500
        src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
        keep = src != dst
        src, dst = src[keep], dst[keep]
        w = rng.uniform(0.1, 3.0, len(src)) if kind == "weighted" else None
        edges = (src, dst) if w is None else (src, dst, w)
        g = ge.as_csr(edges, directed=(kind == "directed"))
    cases = ((3, 0, 32, (0.0, 0.0, 1.0, 6.67)), (1, 5, 17, (1.0,)), ("sqrt", 11, 64, (0.5, 2.0)),
             (3, 2, 8, (1.0, 0.0, 0.0)), (3, 4, 16, (0.0, 0.0, 0.0, 2.0)),
             (3, 6, 16, (0.0, 0.0, 3.0, 0.0)))
    for sparsity, seed, dim, weights in cases:
        s = np.sqrt(g.n) if sparsity == "sqrt" else sparsity
        R = random_rows(g.node_keys(), dim, sparsity=s, random_state=seed)
        kw = dict(dim=dim, sparsity=sparsity, random_state=seed, iteration_weights=weights)
        fast = fastrp(g, **kw)
        slow = fastrp(g, projection=R, **kw)
        assert fast.tobytes() == slow.tobytes()
        # the inductive fit takes the general path (E zeroed, then E += α_i·N_i at every step,
        # three n × dim buffers); the defaults' two-buffer path must give the same bytes
        general = FastRP(inductive=True, **kw).fit(g).embedding_
        assert fast.tobytes() == general.tobytes()


# ---------------------------------------------------------------------------------------------
# the inductive path against a full recomputation, over every option combination


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 20), p=st.floats(0.05, 0.6), seed=st.integers(0, 2**16),
       directed=st.booleans(), weighted=st.booleans(),
       normalize=st.booleans(), standardize=st.booleans(), transition=st.sampled_from(
           ["mean", "sum"]),
       self_influence=st.sampled_from([0.0, 0.7, -1.3]),
       beta=st.sampled_from([0.0, -0.64, 0.5, -1.0]),
       weights=st.sampled_from([(1.0,), (0.0, 1.0), (1.0, 2.0, 0.5), (0.0, 0.0, 1.0, 6.67)]),
       init=st.sampled_from(["random", "features", "projection"]),
       direction=st.sampled_from(["out", "in"]), new_count=st.integers(1, 4))
@example(n=12, p=0.3, seed=5, directed=False, weighted=True, normalize=False, standardize=False,
         transition="mean", self_influence=0.7, beta=-0.64, weights=(1.0, 2.0, 0.5),
         init="random", direction="out", new_count=3)  # the combination no test had before
def test_inductive_property_every_option(n, p, seed, directed, weighted, normalize, standardize,
                                         transition, self_influence, beta, weights, init,
                                         direction, new_count):
    """transform(x's arcs) is the row fastrp gives x in the fitted graph + those arcs, for every
    combination of normalize, self_influence, β, transition, weights, initial vectors and
    direction (with normalize=False and self_influence != 0 the degree weighting L = deg**β of
    the new node's own row does not cancel, so a wrong β there shows)."""
    rng = np.random.default_rng(seed)
    G = nx.gnp_random_graph(n, p, seed=seed, directed=directed)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.3, 3.0)) if weighted else 1.0
    if not directed:
        direction = "out"
    dim, f = 8, 3
    # new nodes with random arcs into the fitted graph (duplicates allowed: they add up)
    new_ids = [1000 + i for i in range(new_count)]
    arcs = []
    for x in new_ids:
        for _ in range(int(rng.integers(0, 5))):
            arcs.append((x, int(rng.integers(0, n)), float(rng.uniform(0.3, 3.0)) if weighted
                         else 1.0))
    opts = dict(dim=dim, iteration_weights=weights, normalization_strength=beta,
                transition=transition, normalize=normalize, self_influence=self_influence,
                direction=direction, random_state=seed % 97, degree_share=0.0)
    fit_kw, new_kw, full_kw = {}, {}, {}
    if init == "features":
        F = rng.standard_normal((n + new_count, f))
        opts["feature_ratio"] = 0.5
        fit_kw, new_kw, full_kw = {"features": F[:n]}, {"features": F[n:]}, {"features": F}
    elif init == "projection":
        X0 = gaussian(n + new_count, dim, seed)
        fit_kw, new_kw, full_kw = ({"projection": X0[:n]}, {"projection": X0[n:]},
                                   {"projection": X0})
    model = FastRP(inductive=True, standardize=standardize, **opts).fit(G, **fit_kw)
    src = np.array([a[0] for a in arcs], dtype=np.int64)
    dst = np.array([a[1] for a in arcs], dtype=np.int64)
    w = np.array([a[2] for a in arcs], dtype=np.float64)
    got = model.transform((src, dst, w), node_ids=new_ids, **new_kw)

    # the full graph: the fitted arcs, and x's arcs placed so that they are x's row of the
    # propagation matrix (x → v for direction='out', v → x for direction='in')
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    D.add_nodes_from(new_ids)
    for u, v, d in G.edges(data=True):
        D.add_edge(u, v, weight=d["weight"])
        if not directed:
            D.add_edge(v, u, weight=d["weight"])
    for x, v, wt in arcs:
        a, b = (x, v) if direction == "out" else (v, x)
        D.add_edge(a, b, weight=D[a][b]["weight"] + wt if D.has_edge(a, b) else wt)
    full = fastrp(D, standardize=False, **opts, **full_kw)
    raw = FastRP(inductive=True, standardize=False, **opts).fit(G, **fit_kw)
    assert raw.embedding_.tobytes() == full[:n].tobytes()
    assert raw.transform((src, dst, w), node_ids=new_ids, **new_kw).tobytes() == \
        full[n:].tobytes()
    if standardize:
        deg = np.zeros(new_count)
        np.add.at(deg, np.searchsorted(new_ids, src), w)
        ref = np.where(deg[:, None] > 0, (full[n:] - model.mean_) / model.scale_, 0.0)
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    else:
        assert got.tobytes() == full[n:].tobytes()
