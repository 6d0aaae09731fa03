"""graphembed.spectral against a slow dense NumPy formulation of the same maths, plus its
invariants (thread counts, node order, isolated nodes) and input checks."""

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import chebyshev

import graphembed as ge
from graphembed._finish import direction as degree_direction
from graphembed.fastrp import random_rows
from graphembed.methods import embed
from graphembed.spectral import DEFAULT_DEGREE_SHARE, Spectral, spectral

from conftest import random_graphs

# ---------------------------------------------------------------------------------------------
# the reference: dense float64, eigendecomposition of S, no shared code with the kernels


def reference(G, *, dim, eigenvalue_power, regularization, rounds, degree, oversampling,
              normalize, random_state=0, degree_share=DEFAULT_DEGREE_SHARE):
    """Returns (E, ritz values of all b columns) computed densely in float64."""
    g = ge.as_csr(G, directed=False) if not isinstance(G, ge.CSRGraph) else G
    if g.directed:
        g = ge.as_csr(g, directed=False)
    A = g.to_scipy().toarray().astype(np.float64)
    n = A.shape[0]
    alpha = regularization
    dr = A.sum(axis=1) + alpha
    dih = np.where(dr > 0, 1 / np.sqrt(np.where(dr > 0, dr, 1)), 0.0)
    S = dih[:, None] * (A + alpha / n) * dih[None, :]
    lam_S, W = np.linalg.eigh(S)
    b = min(dim + 1 + oversampling, n)
    X = random_rows(g.node_keys(), b, sparsity=1.0, random_state=random_state).astype(np.float64)
    X *= np.sqrt(b) / np.sqrt(n)  # entries ±1/sqrt(n)
    cut = 0.0
    for _ in range(rounds):
        c, e = (cut - 1) / 2, (cut + 1) / 2
        f = chebyshev.chebval((lam_S - c) / e, [0] * degree + [1])  # T_degree((λ - c)/e)
        X = W @ (f[:, None] * (W.T @ X))
        U, s, _ = np.linalg.svd(X, full_matrices=False)
        Q = U[:, s > 1e-4 * s[0]]
        mu, Z = np.linalg.eigh(Q.T @ S @ Q)
        mu, Z = mu[::-1], Z[:, ::-1]
        X = Q @ Z
        cut = max(mu[-1], -0.9)
    U = X[:, 1:dim + 1]
    lam = mu[1:dim + 1]
    sign = np.sign((U ** 3).sum(axis=0))
    sign[sign == 0] = 1
    E = dih[:, None] * U * (sign * np.maximum(lam, 0) ** eigenvalue_power)
    if normalize:
        norms = np.linalg.norm(E, axis=1)
        E = E / np.where(norms > 0, norms, 1)[:, None]
    deg = A.sum(axis=1)
    keep = deg > 0
    if degree_share and keep.any():  # the degree channel: standardised log-degree along u
        z, V = np.log(deg[keep]), E[keep].var(axis=0).sum()
        if np.ptp(z) > 0 and V > 0:  # equal degrees: no channel
            u = degree_direction(E.shape[1], random_state)
            E = E.copy()
            E[keep] += np.sqrt(degree_share * V) * np.outer((z - z.mean()) / z.std(), u)
    return E, mu


def separated(mu, count, gap=5e-3):
    """True if the first ``count`` Ritz values are pairwise at least ``gap`` apart."""
    m = np.sort(mu[:count])
    return bool(np.all(np.diff(m) > gap))


OPTIONS = [
    dict(eigenvalue_power=p, regularization=a, rounds=r, degree=d, oversampling=o, normalize=nz)
    for p, a, (r, d), o, nz in itertools.product((0.0, 2.0), (0.0, 1.0), ((1, 1), (2, 3), (3, 2)),
                                                 (0, 3), (True, False))
] + [dict(eigenvalue_power=1.5, regularization=a, rounds=2, degree=3, oversampling=3,
          normalize=nz, degree_share=share) for a, nz, share in itertools.product(
              (0.0, 3.0), (True, False), (0.04, 0.5))]


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: "-".join(f"{k[:3]}{v}" for k, v in o.items()))
def test_matches_dense_reference(opts):
    compared = 0
    for G in random_graphs(12, max_nodes=40, seed=3):
        n = G.number_of_nodes()
        if n < 12:
            continue
        dim = max(1, n // 4)
        E_ref, mu = reference(G, dim=dim, **opts)
        if not separated(mu, dim + 2):
            continue
        E, lam = spectral(G, dim=dim, return_eigenvalues=True, **opts)
        assert E.dtype == np.float32 and E.shape == (n, dim)
        np.testing.assert_allclose(lam, mu[1:dim + 1], atol=2e-4)
        scale = max(1.0, float(np.abs(E_ref).max()))
        np.testing.assert_allclose(E, E_ref, atol=3e-3 * scale)
        compared += 1
    assert compared >= 3  # the comparison did happen


def test_weighted_and_directed_match_reference():
    for G in itertools.chain(random_graphs(6, max_nodes=30, seed=5, weighted=True),
                             random_graphs(6, max_nodes=30, seed=6, directed=True)):
        n = G.number_of_nodes()
        if n < 12:
            continue
        opts = dict(eigenvalue_power=1.0, regularization=0.5, rounds=2, degree=3, oversampling=2,
                    normalize=False)
        dim = n // 4
        g = ge.as_csr(G)
        E_ref, mu = reference(g, dim=dim, **opts)
        if not separated(mu, dim + 2):
            continue
        np.testing.assert_allclose(spectral(g, dim=dim, **opts), E_ref, atol=3e-3)


def test_many_rounds_converge_to_the_exact_eigenvectors():
    """With enough rounds the columns are the exact eigenvectors of S (scaled by D_r^-1/2)."""
    G = nx.karate_club_graph()
    n = 34
    A = nx.to_numpy_array(G, nodelist=sorted(G))
    alpha = 1.0
    dr = A.sum(1) + alpha
    S = (A + alpha / n) / np.sqrt(np.outer(dr, dr))
    lam, W = np.linalg.eigh(S)
    lam, W = lam[::-1], W[:, ::-1]
    E, mu = spectral(G, dim=4, rounds=30, degree=4, oversampling=4, eigenvalue_power=0.0,
                     regularization=alpha, normalize=False, degree_share=0.0,
                     return_eigenvalues=True)
    np.testing.assert_allclose(mu, lam[1:5], atol=1e-5)
    for j in range(4):
        u = W[:, j + 1] / np.sqrt(dr)
        cos = abs(E[:, j] @ u) / (np.linalg.norm(E[:, j]) * np.linalg.norm(u))
        assert cos > 1 - 1e-5


# ---------------------------------------------------------------------------------------------
# determinism and invariants


def test_byte_identical_across_thread_counts():
    rng = np.random.default_rng(0)
    n = 9000  # more rows than one reduction block (8192), enough work for the threads
    src = rng.integers(0, n, 27000)
    dst = rng.integers(0, n, 27000)
    w = rng.uniform(0.1, 3, 27000)
    for g in (ge.as_csr((src, dst), num_nodes=n), ge.as_csr((src, dst, w), num_nodes=n)):
        outs = [spectral(g, dim=16, oversampling=4, num_threads=t).tobytes() for t in (1, 2, 4)]
        assert outs[0] == outs[1] == outs[2]
    g = ge.as_csr((src[:3000].astype(str), dst[:3000].astype(str)))
    outs = [spectral(g, dim=32, num_threads=t).tobytes() for t in (1, 2, 4)]
    assert outs[0] == outs[1] == outs[2]


def test_same_seed_same_bytes_other_seed_other_start():
    G = nx.karate_club_graph()
    a = spectral(G, dim=4, rounds=1, degree=1)
    assert a.tobytes() == spectral(G, dim=4, rounds=1, degree=1).tobytes()
    assert a.tobytes() != spectral(G, dim=4, rounds=1, degree=1, random_state=1).tobytes()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(14, 40), p=st.floats(0.1, 0.5), seed=st.integers(0, 2**16),
       alpha=st.sampled_from([0.0, 1.0]))
def test_permutation_equivariance(n, p, seed, alpha):
    """Relabelling the input permutes the rows: equal to 1e-3 (float rounding of the block
    reductions changes with the order; Ritz values closer than 5e-3 skipped, since a basis inside
    a near-repeated eigenvalue is not determined by the maths)."""
    G = nx.gnp_random_graph(n, p, seed=seed)
    dim = n // 4
    # few rounds and columns, so that the result still depends on the start block
    opts = dict(dim=dim, regularization=alpha, eigenvalue_power=1.0, normalize=False, rounds=1,
                degree=2, oversampling=2, degree_share=0.3)
    E, mu = spectral(G, return_eigenvalues=True, **opts)
    _, mu_all = reference(G, **{**opts, "dim": dim})
    if not separated(mu_all, dim + 2):
        return
    perm = np.random.default_rng(seed).permutation(n)
    H = nx.Graph()
    H.add_nodes_from(perm.tolist())  # same ids, another order
    H.add_edges_from(G.edges)
    F = spectral(H, **opts)
    pos = {v: i for i, v in enumerate(H.nodes)}
    F_in_G_order = F[[pos[v] for v in G.nodes]]
    np.testing.assert_allclose(F_in_G_order, E, atol=1e-3 * max(1.0, float(np.abs(E).max())))


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_isolated_nodes_and_tiny_components_give_finite_rows(alpha):
    G = nx.disjoint_union_all([nx.karate_club_graph(), nx.path_graph(2), nx.path_graph(3),
                               nx.complete_graph(3)])
    G.add_nodes_from([100, 101, 102])  # isolated
    E = spectral(G, dim=8, regularization=alpha)
    assert np.isfinite(E).all()
    if alpha == 0:
        assert not E[-3:].any()  # isolated rows stay zero without regularisation
    E = spectral(G, dim=8, regularization=alpha, degree_share=0.0)
    norms = np.linalg.norm(E, axis=1)
    # every row is unit length or (an isolated node without regularisation) zero
    assert np.all((np.abs(norms - 1) < 1e-5) | (norms == 0))
    if alpha > 0:
        assert np.all(np.abs(norms - 1) < 1e-5)


def test_small_graphs_all_finite(small_graphs):
    for name, G in small_graphs.items():
        n = G.number_of_nodes()
        for alpha in (0.0, 1.0):
            E = spectral(G, dim=n - 1, regularization=alpha)
            assert np.isfinite(E).all(), name


def test_registered_method_and_estimator_equal_the_function():
    G = nx.karate_club_graph()
    E = spectral(G, dim=8)
    assert embed(G, "spectral", dim=8).vectors.tobytes() == E.tobytes()
    model = Spectral(dim=8).fit(G)
    assert model.embedding_.tobytes() == E.tobytes()
    assert model.eigenvalues_.shape == (8,) and np.all(np.diff(model.eigenvalues_) <= 0)
    assert embed(G, "spectral", dim=8, params={"eigenvalue_power": "0"}).vectors.tobytes() == \
        spectral(G, dim=8, eigenvalue_power=0.0).tobytes()


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("kwargs, match", [
    (dict(dim=0), "dim must be an integer >= 1"),
    (dict(dim=-3), "dim must be an integer >= 1"),
    (dict(dim=34), r"dim must be at most n - 1 = 33.*lower dim"),
    (dict(dim=2.5), "dim must be an integer"),
    (dict(eigenvalue_power=-1), "eigenvalue_power must be >= 0"),
    (dict(eigenvalue_power=float("nan")), "eigenvalue_power must be a finite number"),
    (dict(regularization=-0.1), "regularization must be >= 0"),
    (dict(regularization=float("inf")), "regularization must be a finite number"),
    (dict(rounds=0), "rounds must be an integer >= 1"),
    (dict(degree=0), "degree must be an integer >= 1"),
    (dict(oversampling=-1), "oversampling must be an integer >= 0"),
    (dict(normalize="yes"), "normalize must be True or False"),
    (dict(degree_share=-0.1), "degree_share must be >= 0"),
    (dict(degree_share=2.0), "degree_share must be <= 1"),
    (dict(degree_share=float("nan")), "degree_share must be a finite number"),
    (dict(random_state=-1), "random_state must be an integer >= 0"),
    (dict(random_state=None), "random_state must be an integer seed"),
])
def test_bad_parameters_name_themselves(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        spectral(nx.karate_club_graph(), **kwargs)


def test_non_finite_or_negative_weights_are_refused_before_work():
    src, dst = np.array([0, 1, 2]), np.array([1, 2, 0])
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError, match="weights must be finite"):
            spectral((src, dst, np.array([1.0, bad, 1.0])), dim=1)
    with pytest.raises(ValueError, match="weights must be non-negative"):
        spectral((src, dst, np.array([1.0, -2.0, 1.0])), dim=1)
