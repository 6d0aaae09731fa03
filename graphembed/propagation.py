"""Spectral propagation: a band-pass graph filter applied to any node embedding (ProNE's
enhancement step), in the numba core.

The maths
---------
For an undirected graph with adjacency ``A`` (weights > 0) and degrees ``deg = A·1``:

1. ``Ã = A + I`` (a unit self-loop on every node), ``D̃ = diag(deg + 1)``, ``P = D̃^{-1}Ã`` and
   ``L = I - P``, the random-walk Laplacian of ``Ã``; its eigenvalues ``λ`` lie in ``[0, 2)``.
2. The band-pass filter of Zhang et al. (ProNE, IJCAI 2019), for ``μ`` in ``[0, 2]`` and
   ``θ > 0``::

       g(λ) = exp(-θ/2 · ((λ - μ)² - 1)),

   applied to the columns of the embedding ``X`` as ``g(L)·X``. With ``t = (λ - μ)²/2 - 1``
   (in ``[-1, 1]`` for these ``λ`` and ``μ``), ``g = e^{-θ/2}·e^{-θt}``, and the generating
   function of the modified Bessel functions ``I_k`` gives the Chebyshev expansion
   ``e^{-θt} = I_0(θ) + 2·Σ_{k>=1} (-1)^k I_k(θ) T_k(t)``, cut after ``order`` terms
   (``k < order``). ``T_k(t)·X`` follows the three-term recurrence on the sparse matrix
   ``M = L - μI``: ``T_0 X = X``, ``T_1 X = M²X/2 - X``, ``T_{k+1} X = M(M·T_k X) - 2·T_k X -
   T_{k-1} X`` — two sparse products per term.
3. ``Y = P·(X - g(L)·X)``: the directions the filter keeps, smoothed once more by the walk.
4. With ``orthogonalize`` (ProNE's last step): ``Y = UΣVᵀ`` (thin SVD) and the result is
   ``U·Σ^{1/2}``, computed from the ``d × d`` Gram matrix ``YᵀY = VΣ²Vᵀ`` as ``Y·V·Σ^{-1/2}``
   (directions with ``σ² <= 1e-12·σ²_max`` are set to zero); columns in decreasing ``σ``, each
   column's sign fixed so that its sum of cubes is positive. Rows are then scaled to unit L2
   norm when ``normalize``.

The input may be any embedding with one row per node (FastRP, :func:`graphembed.spectral`,
...). Isolated nodes have ``L``'s row zero: their rows come out finite.

Determinism: the same input gives the same bytes for every thread count (row kernels over the
neighbours in a canonical order; the ``d × d`` Gram matrix is a sum over fixed blocks of rows in
block order, each by single-threaded BLAS). Permuting the nodes (and the rows of the input)
permutes the rows of the output, up to float rounding in the Gram matrix.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._kernels import fastrp as _kf
from ._kernels import propagation as _kp
from ._kernels import spectral as _ks
from ._validation import check_float, check_int, check_memory, check_threads, threads
from .fastrp import _CHUNK_TARGET, _summation_rows, _threads_for
from .graph import as_csr

__all__ = ["spectral_propagation"]

#: ProNE's published settings (Zhang et al. 2019, and its reference implementation).
DEFAULT_ORDER = 10
DEFAULT_MU = 0.2
DEFAULT_THETA = 0.5

_BLOCK_ROWS = 8192  # rows per block of the Gram reduction (fixed: never the thread count)


def spectral_propagation(adjacency, embedding, *, order=DEFAULT_ORDER, mu=DEFAULT_MU,
                         theta=DEFAULT_THETA, orthogonalize=True, normalize=True,
                         num_threads=None):
    """Filter an embedding with ProNE's band-pass spectral propagation on the graph.

    ``P·(X - g(L)·X)`` with ``g(λ) = exp(-θ/2·((λ - μ)² - 1))`` on the random-walk Laplacian
    ``L`` of the graph plus self-loops, ``g(L)`` expanded in ``order`` Chebyshev terms with
    Bessel coefficients; then (``orthogonalize``) ``U·Σ^{1/2}`` of its thin SVD. See the module
    docstring for every step.

    Parameters
    ----------
    adjacency
        Anything :func:`graphembed.as_csr` accepts. A directed graph is symmetrised (as
        ``as_csr(..., directed=False)``); weights enter ``A`` and the degrees.
    embedding : array-like, shape (n, d)
        Real, finite; row ``i`` belongs to the ``i``-th node of ``as_csr(adjacency).node_ids``
        (the order :func:`graphembed.fastrp` and :func:`graphembed.spectral` return).
    order : int >= 1
        Chebyshev terms of the filter (``2·order - 1`` sparse products in all). ProNE: 10.
    mu : float in [0, 2]
        Centre of the pass band on the Laplacian's spectrum ``[0, 2)``. ProNE: 0.2.
    theta : float > 0
        Sharpness of the filter (larger: narrower band). ProNE: 0.5.
    orthogonalize : bool
        Replace ``Y`` by ``U·Σ^{1/2}`` of its thin SVD (``d`` orthogonal columns weighted by
        the square root of their singular values).
    normalize : bool
        Scale every row to unit L2 norm (zero rows stay zero).
    num_threads : int, optional
        Threads of the numba kernels and the Gram reduction. The result is byte-identical for
        every thread count.

    Returns
    -------
    ndarray of float32, shape (n, d)

    Notes
    -----
    Time O(order · nnz · d + n · d²) (``2·order - 1`` sparse products of an n × d block, plus
    the Gram matrix and one ``d × d`` product per row when orthogonalising); memory the CSR
    graph, one float32 weight per stored entry, and five n × d float32 buffers (input copy, two
    recurrence terms, one product, the filter sum) plus the n × d result. Never anything n × n.
    Measured at the defaults and d = 128 on 1e5-node / 1e6-edge graphs (bench/spectral.py
    --quick --propagation, a loaded 2-core machine): about the time of
    :func:`graphembed.spectral` (4.1–4.5× :func:`graphembed.fastrp`'s), 244 MiB extra memory
    (five buffers of 49 MiB).

    Examples
    --------
    >>> import networkx as nx, graphembed as ge
    >>> G = nx.karate_club_graph()
    >>> E = ge.spectral_propagation(G, ge.fastrp(G, dim=8))
    >>> E.shape, E.dtype.name
    ((34, 8), 'float32')
    """
    graph = as_csr(adjacency)
    return _propagate(graph, embedding, order=order, mu=mu, theta=theta,
                      orthogonalize=orthogonalize, normalize=normalize, num_threads=num_threads)


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_params(order, mu, theta):
    """Validate the filter's parameters (also used by :func:`graphembed.spectral`)."""
    order = check_int("order", order, minimum=1)
    mu = check_float("mu", mu, minimum=0.0, maximum=2.0)
    theta = check_float("theta", theta, minimum=0.0, strict_min=True)
    return order, mu, theta


def _check_embedding(embedding, n):
    X = np.asarray(embedding)
    if X.ndim != 2:
        raise ValueError(
            f"embedding must be a 2-D array (one row per node), got shape {X.shape}; pass the "
            "(n, d) array an embedding method returned"
        )
    if X.shape[0] != n:
        raise ValueError(
            f"embedding must have one row per node of the graph ({n} rows), got {X.shape[0]} "
            "rows; embed the same graph (rows in as_csr(adjacency).node_ids order)"
        )
    if X.shape[1] < 1:
        raise ValueError(f"embedding must have at least one column, got shape {X.shape}")
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
        raise TypeError(f"embedding must hold real numbers, got dtype {X.dtype}")
    if not np.isfinite(X).all():
        bad = int((~np.isfinite(X)).any(axis=1).sum())
        raise ValueError(
            f"embedding must be finite, got NaN or infinite values in {bad} rows; replace them "
            "(e.g. with 0) before propagating"
        )
    if X.dtype not in (np.float32, np.float64) or not X.flags.c_contiguous:
        X = np.ascontiguousarray(X, dtype=np.float64)
    return X


def bessel_coefficients(order, theta):
    """``c_k`` with ``e^{-θt} ≈ Σ_{k<order} c_k T_k(t)``: ``I_0(θ)``, then ``2(-1)^k I_k(θ)``."""
    from scipy.special import iv

    k = np.arange(order)
    c = 2.0 * iv(k, theta) * np.where(k % 2 == 0, 1.0, -1.0)
    c[0] = iv(0, theta)
    return c


def _propagate(graph, embedding, *, order, mu, theta, orthogonalize, normalize, num_threads):
    order, mu, theta = check_params(order, mu, theta)
    orthogonalize = _check_bool("orthogonalize", orthogonalize)
    normalize = _check_bool("normalize", normalize)
    nthreads = check_threads(num_threads)
    if graph.directed:
        graph = as_csr(graph, directed=False)
    n = graph.n
    X0 = _check_embedding(embedding, n)
    d = X0.shape[1]
    check_memory(f"spectral_propagation on a graph of {n:,} nodes and {graph.nnz:,} stored "
                 "entries", 12 * (n + 1) + 8 * graph.nnz + 4 * n * d * 6, dim=d)
    coef = bessel_coefficients(order, theta) * np.exp(-theta / 2.0)
    with threads(_threads_for((graph.nnz + n) * d, nthreads)) as nt:
        indptr, indices, w, _keys, deg, order_rows, _ = _summation_rows(
            graph.indptr, graph.indices, graph.weights, graph.node_keys())
        inv_deg = 1.0 / (deg[order_rows] + 1.0)  # float64, the self-loop counted
        chunks = _kf.row_chunks(indptr, _CHUNK_TARGET)
        weighted = w is not None
        pw = _kp.walk_weights(indptr, w if weighted else np.empty(0, np.float32), weighted,
                              inv_deg, chunks)
        selfw = inv_deg.astype(np.float32)
        shift = 1.0 - mu

        def step(X, a, Y, b, W, g, out, c_acc, s=shift):
            _kp.laplacian_step(indptr, indices, pw, selfw, float(s), X, float(a), Y, float(b),
                               W, float(g), out, acc, float(c_acc), chunks)

        X = np.empty((n, d), dtype=np.float32)
        _kp.gather_rows(X0, order_rows, 1.0, X, chunks)
        acc = np.empty((n, d), dtype=np.float32)
        _kp.gather_rows(X0, order_rows, coef[0], acc, chunks)  # c_0 T_0 X
        if order >= 2:
            Z = np.empty_like(X)
            cur = np.empty_like(X)
            step(X, 1.0, X, 0.0, X, 0.0, Z, 0.0)  # Z = M X
            step(Z, 0.5, X, -1.0, X, 0.0, cur, coef[1])  # T_1 X = M Z / 2 - X
            prev = X  # T_0 X, the input: kept, never written
            spare = np.empty_like(X) if order >= 3 else None
            for k in range(2, order):
                step(cur, 1.0, cur, 0.0, cur, 0.0, Z, 0.0)  # Z = M T_k
                # T_{k+1} = M Z - 2 T_k - T_{k-1}, into T_{k-1}'s buffer (the spare one first)
                out = spare if prev is X else prev
                step(Z, 1.0, cur, -2.0, prev, -1.0, out, coef[k])
                prev, cur = cur, out
            del Z, cur, spare, prev
        # R = X - g(L) X, then Y = P R (P = shift 0, a = -1: -(0·R - P R))
        _kp.combine(X, 1.0, acc, -1.0, acc, chunks)
        Y = X  # the input copy is no longer needed
        step(acc, -1.0, acc, 0.0, acc, 0.0, Y, 0.0, s=0.0)
        del acc
        col_scale = np.ones(d, dtype=np.float32)
        if orthogonalize:
            from .spectral import _blas_single, _block_gram, _block_right_multiply

            blocks = list(range(0, n, _BLOCK_ROWS)) + [n]
            with _blas_single(), ThreadPoolExecutor(max_workers=nt) as pool:
                G = _block_gram(pool, Y, Y, blocks)
                W = _sqrt_svd_map(G)
                _block_right_multiply(pool, Y, W.astype(np.float32), blocks)
            signs = np.sign(_ks.column_cube_sums(Y, chunks).sum(axis=0))
            signs[signs == 0] = 1.0
            col_scale = signs.astype(np.float32)
        E = np.empty((n, d), dtype=np.float32)
        _kp.finish_rows(Y, col_scale, normalize, E, order_rows, chunks)
    if not bool(_kf.all_finite(E, chunks)):
        raise FloatingPointError(
            "spectral propagation produced non-finite values; scale the embedding down or "
            "lower order"
        )
    return E


def _sqrt_svd_map(G):
    """The ``d × d`` matrix ``V·Σ^{-1/2}`` (columns in decreasing ``σ``) that maps ``Y`` to
    ``U·Σ^{1/2}``, from ``G = YᵀY = VΣ²Vᵀ``; directions with ``σ² <= 1e-12·σ²_max`` map to 0."""
    G = (G + G.T) / 2
    s2, V = np.linalg.eigh(G)
    s2 = s2[::-1]
    V = V[:, ::-1]
    ok = s2 > max(s2[0], 0.0) * 1e-12
    f = np.zeros_like(s2)
    f[ok] = s2[ok] ** -0.25
    return V * f
