"""graphembed.spectral_propagation against a slow dense NumPy formulation of the same maths
(the exact filter from an eigendecomposition, no Chebyshev terms), plus its invariants (thread
counts, node order, isolated nodes) and input checks."""

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphembed as ge
from graphembed.propagation import bessel_coefficients, spectral_propagation

from conftest import random_graphs

# ---------------------------------------------------------------------------------------------
# the reference: dense float64, the filter evaluated on the exact spectrum


def reference(G, X, *, order=10, mu=0.2, theta=0.5, orthogonalize=True, normalize=True,
              exact=False):
    """``P(X - g(L)X)``, then ``UΣ^{1/2}`` and unit rows; ``g`` from the eigenvalues of the
    symmetric form of ``L`` — exactly when ``exact``, else as the ``order``-term Chebyshev
    polynomial of ``t = (λ-μ)²/2 - 1`` evaluated on those eigenvalues."""
    g = G if isinstance(G, ge.CSRGraph) else ge.as_csr(G)
    if g.directed:
        g = ge.as_csr(g, directed=False)
    A = g.to_scipy().toarray().astype(np.float64)
    n = A.shape[0]
    At = A + np.eye(n)
    d = At.sum(axis=1)
    P = At / d[:, None]
    S = At / np.sqrt(np.outer(d, d))
    lam, U = np.linalg.eigh(np.eye(n) - S)  # L = D^-1/2 (I - S) D^1/2
    if exact:
        gl = np.exp(-theta / 2 * ((lam - mu) ** 2 - 1))
    else:
        t = (lam - mu) ** 2 / 2 - 1
        gl = np.exp(-theta / 2) * np.polynomial.chebyshev.chebval(
            t, bessel_coefficients(order, theta))
    gL = (U * gl) @ U.T
    gL = gL / np.sqrt(d)[:, None] * np.sqrt(d)[None, :]
    X = np.asarray(X, dtype=np.float64)
    Y = P @ (X - gL @ X)
    if orthogonalize:
        Us, s, _ = np.linalg.svd(Y, full_matrices=False)
        Y = Us * np.sqrt(s)
        sign = np.sign((Y ** 3).sum(axis=0))
        sign[sign == 0] = 1
        Y = Y * sign
    if normalize:
        norms = np.linalg.norm(Y, axis=1)
        Y = Y / np.where(norms > 0, norms, 1)[:, None]
    return Y, (s if orthogonalize else None)


def separated(s, gap=1e-3):
    """True if the singular values are pairwise at least ``gap`` (relative) apart, so that the
    SVD basis is determined up to signs."""
    s = np.sort(s)
    return bool(np.all(np.diff(s) > gap * s[-1])) and s[0] > gap * s[-1]


def test_bessel_series_is_the_exponential():
    t = np.linspace(-1, 1, 101)
    for theta in (0.1, 0.5, 2.0):
        c = bessel_coefficients(25, theta)
        np.testing.assert_allclose(np.polynomial.chebyshev.chebval(t, c), np.exp(-theta * t),
                                   rtol=1e-12)


OPTIONS = [
    dict(order=o, mu=m, theta=th, orthogonalize=orth, normalize=nz)
    for o, (m, th), (orth, nz) in itertools.product(
        (1, 2, 3, 10), ((0.0, 2.0), (0.2, 0.5), (1.5, 0.5), (2.0, 1.0)),
        ((True, True), (False, False), (True, False), (False, True)))
    if (o + int(m * 10) + orth + nz + int(th * 2)) % 2 == 0
]


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: "-".join(f"{k[:3]}{v}" for k, v in o.items()))
def test_matches_dense_reference(opts):
    compared = 0
    rng = np.random.default_rng(7)
    for G in random_graphs(10, max_nodes=40, seed=11):
        n = G.number_of_nodes()
        if n < 6:
            continue
        d = int(rng.integers(1, min(n, 12)))
        X = rng.standard_normal((n, d))
        ref, s = reference(G, X, **opts)
        if opts["orthogonalize"] and not separated(s):
            continue
        E = spectral_propagation(G, X, **opts)
        assert E.dtype == np.float32 and E.shape == (n, d)
        scale = max(1.0, float(np.abs(ref).max()))
        np.testing.assert_allclose(E, ref, atol=2e-4 * scale)
        compared += 1
    assert compared >= 4  # the comparison did happen


def test_weighted_and_directed_match_reference():
    rng = np.random.default_rng(3)
    for G in itertools.chain(random_graphs(6, max_nodes=30, seed=5, weighted=True),
                             random_graphs(6, max_nodes=30, seed=6, directed=True)):
        n = G.number_of_nodes()
        g = ge.as_csr(G)
        X = rng.standard_normal((n, 3))
        ref, _ = reference(g, X, orthogonalize=False, normalize=False)
        np.testing.assert_allclose(spectral_propagation(g, X, orthogonalize=False,
                                                        normalize=False), ref, atol=2e-5)


def test_enough_terms_give_the_exact_filter():
    G = nx.karate_club_graph()
    X = np.random.default_rng(0).standard_normal((34, 5))
    for theta in (0.5, 2.0):
        ref, _ = reference(G, X, theta=theta, exact=True, orthogonalize=False, normalize=False)
        E = spectral_propagation(G, X, order=20, theta=theta, orthogonalize=False,
                                 normalize=False)
        np.testing.assert_allclose(E, ref, atol=1e-5 * np.abs(ref).max())


def test_orthogonalized_columns_are_orthogonal_with_decreasing_norms():
    G = nx.karate_club_graph()
    X = np.random.default_rng(1).standard_normal((34, 6))
    E = spectral_propagation(G, X, normalize=False).astype(np.float64)
    gram = E.T @ E
    norms = np.diag(gram)
    assert np.all(np.diff(norms) <= 1e-6)
    off = gram - np.diag(norms)
    assert np.abs(off).max() < 1e-5 * norms.max()
    assert np.all((E ** 3).sum(axis=0) > 0)


# ---------------------------------------------------------------------------------------------
# determinism and invariants


def test_byte_identical_across_thread_counts():
    rng = np.random.default_rng(0)
    n = 9000  # more rows than one Gram block (8192), enough work for the threads
    src = rng.integers(0, n, 27000)
    dst = rng.integers(0, n, 27000)
    w = rng.uniform(0.1, 3, 27000)
    X = rng.standard_normal((n, 24))
    for g in (ge.as_csr((src, dst), num_nodes=n), ge.as_csr((src, dst, w), num_nodes=n)):
        for orth in (True, False):
            outs = [spectral_propagation(g, X, orthogonalize=orth, num_threads=t).tobytes()
                    for t in (1, 2, 4)]
            assert outs[0] == outs[1] == outs[2]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(8, 40), p=st.floats(0.05, 0.5), seed=st.integers(0, 2**16),
       orth=st.booleans())
def test_permutation_equivariance(n, p, seed, orth):
    """Relabelling the input (graph and rows) permutes the output rows: bit for bit without
    orthogonalisation (neighbours are summed in a canonical order), to 1e-4 with it (the Gram
    matrix is summed in row order; singular values closer than 1e-3 skipped)."""
    G = nx.gnp_random_graph(n, p, seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    E = spectral_propagation(G, X, orthogonalize=orth)
    perm = rng.permutation(n)
    H = nx.Graph()
    H.add_nodes_from(perm.tolist())  # same ids, another order
    H.add_edges_from(G.edges)
    row = {v: i for i, v in enumerate(G.nodes)}
    F = spectral_propagation(H, X[[row[v] for v in H.nodes]], orthogonalize=orth)
    pos = {v: i for i, v in enumerate(H.nodes)}
    F_in_G_order = F[[pos[v] for v in G.nodes]]
    if not orth:
        assert F_in_G_order.tobytes() == E.tobytes()
        return
    _, s = reference(G, X)
    if not separated(s):
        return
    np.testing.assert_allclose(F_in_G_order, E, atol=1e-4)


def test_isolated_nodes_and_tiny_components_give_finite_rows():
    G = nx.disjoint_union_all([nx.karate_club_graph(), nx.path_graph(2), nx.path_graph(3),
                               nx.complete_graph(3)])
    G.add_nodes_from([100, 101, 102])  # isolated
    n = G.number_of_nodes()
    X = np.random.default_rng(0).standard_normal((n, 8))
    for orth in (True, False):
        E = spectral_propagation(G, X, orthogonalize=orth)
        assert np.isfinite(E).all()
        norms = np.linalg.norm(E, axis=1)
        assert np.all((np.abs(norms - 1) < 1e-5) | (norms == 0))
    # an isolated node's row is its input row times the filter's value at λ = 0
    E = spectral_propagation(G, X, orthogonalize=False, normalize=False)
    g0 = np.exp(-0.5 / 2 * (0.2 ** 2 - 1))
    np.testing.assert_allclose(E[-3:], (1 - g0) * X[-3:], rtol=1e-4)


def test_small_graphs_all_finite(small_graphs):
    for name, G in small_graphs.items():
        n = G.number_of_nodes()
        X = np.random.default_rng(0).standard_normal((n, max(1, n - 1)))
        assert np.isfinite(spectral_propagation(G, X)).all(), name
        assert np.isfinite(spectral_propagation(G, np.zeros((n, 2)))).all(), name


def test_accepts_any_real_rows():
    G = nx.karate_club_graph()
    X = np.random.default_rng(0).standard_normal((34, 4))
    E = spectral_propagation(G, X)
    assert spectral_propagation(G, X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(spectral_propagation(G, np.asfortranarray(X)), E, atol=1e-6)
    np.testing.assert_allclose(spectral_propagation(G, X.tolist()), E, atol=1e-6)
    F = ge.fastrp(G, dim=8)
    assert spectral_propagation(G, F).shape == (34, 8)


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("kwargs, match", [
    (dict(order=0), "order must be an integer >= 1"),
    (dict(order=2.5), "order must be an integer"),
    (dict(mu=-0.1), "mu must be >= 0"),
    (dict(mu=2.5), "mu must be <= 2"),
    (dict(mu=float("nan")), "mu must be a finite number"),
    (dict(theta=0.0), "theta must be > 0"),
    (dict(theta=float("inf")), "theta must be a finite number"),
    (dict(orthogonalize="yes"), "orthogonalize must be True or False"),
    (dict(normalize=1), "normalize must be True or False"),
    (dict(num_threads=0), "num_threads must be an integer >= 1"),
])
def test_bad_parameters_name_themselves(kwargs, match):
    X = np.zeros((34, 2))
    with pytest.raises((ValueError, TypeError), match=match):
        spectral_propagation(nx.karate_club_graph(), X, **kwargs)


@pytest.mark.parametrize("X, match", [
    (np.zeros(34), "embedding must be a 2-D array"),
    (np.zeros((33, 4)), r"one row per node of the graph \(34 rows\), got 33"),
    (np.zeros((34, 0)), "at least one column"),
    (np.full((34, 2), np.nan), "embedding must be finite.*34 rows"),
    (np.array([["a", "b"]] * 34), "real numbers"),
])
def test_bad_embedding_is_refused(X, match):
    with pytest.raises((ValueError, TypeError), match=match):
        spectral_propagation(nx.karate_club_graph(), X)


def test_non_finite_weights_are_refused_before_work():
    src, dst = np.array([0, 1, 2]), np.array([1, 2, 0])
    with pytest.raises(ValueError, match="weights must be finite"):
        spectral_propagation((src, dst, np.array([1.0, np.nan, 1.0])), np.zeros((3, 2)))
