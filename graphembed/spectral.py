"""Spectral embeddings at FastRP's cost: Chebyshev-filtered subspace iteration.

:func:`spectral` returns the leading eigenvectors of the regularised, normalised adjacency
(those of the random-walk matrix, as spectral embedding uses them), weighted by a power of their
eigenvalues, computed with the kernel FastRP propagates with: sparse matrix × dense block
products, plus small ``b × b`` eigenproblems.

The maths
---------
For an undirected graph with adjacency ``A`` (weights > 0), degrees ``deg = A·1`` and
regularisation ``α >= 0``:

1. ``S = D_r^{-1/2} (A + α·11ᵀ/n) D_r^{-1/2}``, ``D_r = diag(deg + α)`` — the normalised
   adjacency of the graph plus a complete graph of total weight ``α`` per node (scikit-network's
   regularisation; it ties small components and leaves to the rest). Applied implicitly: a
   sparse product plus a rank-one term, never a dense n × n matrix. Its eigenvalues lie in
   [-1, 1]; the largest is 1, eigenvector ``D_r^{1/2}·1``.
2. Start block ``X`` (n × b, ``b = dim + 1 + oversampling``): random signs, row ``v`` from
   ``(random_state, id of v)`` only.
3. ``rounds`` times: ``X ← T_m((S − c)/e)·X``, the Chebyshev polynomial of degree ``m``
   (``degree``) that stays within [-1, 1] on ``[-1, cut]`` and grows fast above it (``c, e`` the
   centre and half-width of that interval); then Rayleigh–Ritz on the span of ``X``:
   ``G = XᵀX``, ``B = Xᵀ(S·X)``, the eigenpairs of ``G^{-1/2} B G^{-1/2}`` give the Ritz values
   ``λ`` (decreasing) and the Ritz vectors, which replace ``X``. ``cut`` is 0 for the first
   round and the smallest Ritz value of the previous round after it (at least -0.9) (Zhou & Saad's
   Chebyshev-filtered subspace iteration).
4. Drop the leading (trivial) Ritz vector, keep the next ``dim``: ``U``, ``λ``. The embedding is
   ``E = D_r^{-1/2}·U·diag(max(λ, 0)^p)`` (``p = eigenvalue_power``; p = 0: plain spectral
   embedding), every column's sign fixed so that its sum of cubes is positive, and rows scaled to
   unit L2 norm when ``normalize``.
5. The degree channel (``degree_share`` > 0; :mod:`graphembed._finish`): every node of degree
   > 0 gets ``c·z_v·u`` added (``z`` its standardised log-degree, ``u`` a seeded unit vector,
   ``c² = degree_share · V``, ``V`` the total column variance of the rows of step 4).

Determinism: same seed, same bytes for every thread count (row kernels in CSR order; the
``b × b`` reductions are sums over fixed blocks of rows in block order, each by single-threaded
BLAS). Permuting the nodes permutes the rows, up to float rounding (the block sums change order)
and up to the choice of basis inside eigenspaces of repeated eigenvalues.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _finish
from ._estimator import ParamsMixin
from ._kernels import fastrp as _kf
from ._kernels import spectral as _ks
from ._validation import check_float, check_int, check_memory, check_seed, check_threads, threads
from .fastrp import _CHUNK_TARGET, _summation_rows, _threads_for
from .graph import as_csr

__all__ = ["spectral", "Spectral"]

#: Defaults chosen on validation splits of the bundled labelled graphs (``python
#: bench/spectral.py --validation``, bench/results/spectral_validation.md; every training part
#: split again, test parts never read): power 0/1/2/3 x alpha 0.3/1/3 x rounds 2/3 (degree 4)
#: at dim 128, ranked by mean rank over BlogCatalog, Cora, Wiki and email-Eu-core. Power 2,
#: alpha 3, 3 rounds won (mean rank 5.25 of 24; validation Micro-F1 0.404 / 0.733 / 0.672 /
#: 0.695). Power 0 (plain spectral embedding) ranks last on every graph but BlogCatalog; a third
#: round adds 0.01-0.015 on BlogCatalog, where the leading eigenvalues are clustered.
#: ProNE's spectral propagation on top (:func:`graphembed.spectral_propagation`, five filter
#: settings) ranked below these defaults on the same kind of validation splits (``python
#: bench/spectral.py --propagation-validation``, bench/results/spectral_propagation_validation.md:
#: mean rank 3.75-5.25 against 1.50): the filter is not part of ``spectral``.
#: The power was then chosen again alone with 30 shuffles (``python bench/spectral.py
#: --power-validation --shuffles 30``, bench/results/spectral_power_validation.md; 3 shuffles
#: moved email-Eu-core's scores by 0.01): p = 1.5 ranks first of 1 / 1.25 / 1.5 / 1.75 / 2 / 2.5
#: both at 50 and 90 % (the ratios the quality targets are stated at; mean rank 2.50 against
#: 3.75 for 2) and over the mean of the three ratios (2.75 against 3.25). It gains at 50 / 90 %
#: on BlogCatalog and email-Eu-core (+0.011 / +0.013) and gives up 0.017-0.019 at 10 % on Cora
#: and Wiki, where more smoothing (p = 2) helps the scarce labels.
DEFAULT_DIM = 128
DEFAULT_EIGENVALUE_POWER = 1.5
DEFAULT_REGULARIZATION = 3.0
DEFAULT_ROUNDS = 3
DEFAULT_DEGREE = 4
DEFAULT_OVERSAMPLING = 16
#: The degree channel's share (graphembed._finish), chosen on validation splits of every bundled
#: labelled graph: bench/fastrp_degree.py --method spectral.
DEFAULT_DEGREE_SHARE = 0.01

_MIN_CUT = -0.9  # the damped interval [-1, cut] keeps a width >= 0.1 (cut near -1: the block
#                 already spans almost the whole spectrum, and (S - c)/e would blow up)
_BLOCK_ROWS = 8192  # rows per block of the b × b reductions (fixed: never the thread count)


def spectral(
    adjacency,
    *,
    dim=DEFAULT_DIM,
    eigenvalue_power=DEFAULT_EIGENVALUE_POWER,
    regularization=DEFAULT_REGULARIZATION,
    rounds=DEFAULT_ROUNDS,
    degree=DEFAULT_DEGREE,
    oversampling=DEFAULT_OVERSAMPLING,
    normalize=True,
    degree_share=DEFAULT_DEGREE_SHARE,
    random_state=0,
    num_threads=None,
    return_eigenvalues=False,
):
    """Spectral node embeddings by Chebyshev-filtered subspace iteration.

    The ``dim`` leading non-trivial eigenvectors of the regularised normalised adjacency
    ``D_r^{-1/2}(A + α·11ᵀ/n)D_r^{-1/2}``, mapped to the random-walk matrix's eigenvectors
    (``D_r^{-1/2}·U``) and weighted by ``max(λ, 0)^eigenvalue_power`` — computed approximately,
    with ``rounds · (degree + 1)`` sparse products of an n × b block; see the module docstring
    for every step.

    Parameters
    ----------
    adjacency
        Anything :func:`graphembed.as_csr` accepts. A directed graph is symmetrised (as
        ``as_csr(..., directed=False)``); weights enter ``A`` and the degrees.
    dim : int
        Embedding dimension, ``1 <= dim <= n - 1`` (the trivial leading eigenvector is dropped).
    eigenvalue_power : float >= 0
        ``p``: column ``i`` is weighted by ``max(λ_i, 0)^p``. 0 gives the plain (unweighted)
        spectral embedding; larger values favour the smooth, slowly mixing directions
        (``p = t`` is the spectral form of ``t`` random-walk steps).
    regularization : float >= 0
        ``α``, the total weight of the implicit complete graph added to every node. 0 uses the
        graph as it is (each component then has its own eigenvalue 1).
    rounds : int >= 1
        Filter-and-Rayleigh–Ritz rounds. More rounds: better converged eigenvectors, at
        ``degree + 1`` sparse products (plus two b × b reductions) each.
    degree : int >= 1
        Degree of the Chebyshev filter applied per round (sparse products per round, plus one).
    oversampling : int >= 0
        Extra columns carried along (``b = dim + 1 + oversampling``, at most n) so that the
        kept ``dim`` converge faster. Costs time and memory in proportion to ``b``.
    normalize : bool
        Scale every row to unit L2 norm (zero rows stay zero); the degree channel then moves
        each row a little (``degree_share=0`` keeps them unit).
    degree_share : float in [0, 1]
        The degree channel, as in :func:`graphembed.fastrp`: every node of degree > 0 gets its
        standardised log-degree added along one seeded unit direction, holding this share of
        the embedding's variance (after the row scaling). 0 turns it off. Cost O(n·dim).
    random_state : int
        Seed of the start block; row ``v`` depends only on it and the id of ``v``.
    num_threads : int, optional
        Threads (numba kernels and the block reductions). The result is byte-identical for every
        thread count.
    return_eigenvalues : bool
        Also return the ``dim`` Ritz values ``λ`` (decreasing) that the columns belong to.

    Returns
    -------
    ndarray of float32, shape (n, dim)
        Row ``i`` belongs to the ``i``-th node of the input (``as_csr(adjacency).node_ids``).
        With ``return_eigenvalues``: ``(E, eigenvalues)``.

    Notes
    -----
    Time O(rounds · (degree + 1) · nnz · b + rounds · n · b²) with ``b = dim + 1 +
    oversampling``; memory the CSR graph, one float32 weight per stored entry, and two n × b
    float32 buffers plus the n × dim result. Never anything n × n. Measured at the defaults on
    1e6-node / 1e7-edge graphs at dim 128 on a 2-core machine at load 1.2–1.7
    (bench/spectral.py): 4.1× (R-MAT) and 4.8× (Erdős–Rényi) the time of
    :func:`graphembed.fastrp` at the same dim (its 15 sparse products of b columns against
    FastRP's 5 of dim), 1.6 GiB extra memory.

    See also :func:`graphembed.spectral_propagation` (ProNE's band-pass filter), which takes this
    embedding or any other as its input. ``spark_jobs/embed.py --method spectral`` runs this
    iteration on a partitioned graph, each sparse product one exchange of boundary rows, and
    equals this function up to the rounding of its global sums (the b-vectors, the ``b × b``
    Gram matrices and the column cubes, added per partition).

    Examples
    --------
    >>> import networkx as nx, graphembed as ge
    >>> E = ge.spectral(nx.karate_club_graph(), dim=4)
    >>> E.shape, E.dtype.name
    ((34, 4), 'float32')
    """
    out = _spectral(as_csr(adjacency), dim=dim, eigenvalue_power=eigenvalue_power,
                    regularization=regularization, rounds=rounds, degree=degree,
                    oversampling=oversampling, normalize=normalize, degree_share=degree_share,
                    random_state=random_state, num_threads=num_threads)
    return out if return_eigenvalues else out[0]


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _spectral(graph, *, dim, eigenvalue_power, regularization, rounds, degree, oversampling,
              normalize, degree_share, random_state, num_threads):
    """The computation behind :func:`spectral`; returns ``(E, eigenvalues)``."""
    dim = check_int("dim", dim, minimum=1)
    p = check_float("eigenvalue_power", eigenvalue_power, minimum=0.0)
    alpha = check_float("regularization", regularization, minimum=0.0)
    rounds = check_int("rounds", rounds, minimum=1)
    degree = check_int("degree", degree, minimum=1)
    oversampling = check_int("oversampling", oversampling, minimum=0)
    normalize = _check_bool("normalize", normalize)
    share = check_float("degree_share", degree_share, minimum=0.0, maximum=1.0)
    seed = check_seed("random_state", random_state)
    nthreads = check_threads(num_threads)
    if graph.directed:
        graph = as_csr(graph, directed=False)
    n = graph.n
    if dim > n - 1:
        raise ValueError(
            f"dim must be at most n - 1 = {n - 1} for a graph of {n} nodes (the trivial leading "
            f"eigenvector is dropped), got dim={dim}; lower dim"
        )
    b = min(dim + 1 + oversampling, n)
    check_memory(f"spectral on a graph of {n:,} nodes and {graph.nnz:,} stored entries",
                 12 * (n + 1) + 8 * graph.nnz + 4 * n * (2 * b + dim), dim=dim)

    with threads(_threads_for((graph.nnz + n) * b, nthreads)) as nt:
        indptr, indices, w = graph.indptr, graph.indices, graph.weights
        indptr, indices, w, keys, degrees, order, _ = _summation_rows(
            indptr, indices, w, graph.node_keys())
        deg = degrees[order]
        chunks = _kf.row_chunks(indptr, _CHUNK_TARGET)
        dr = deg + alpha
        dih = np.zeros(n, dtype=np.float32)
        dih[dr > 0] = (1.0 / np.sqrt(dr[dr > 0])).astype(np.float32)
        weighted = w is not None
        nw = _ks.normalized_weights(indptr, indices, w if weighted else np.empty(0, np.float32),
                                    weighted, dih, chunks)
        ratio = alpha / n

        sums_out = np.zeros((len(chunks) - 1, b), dtype=np.float64)

        def apply(X, sx, a, bb, g, out):
            """out = a·S·X + bb·X + g·out, where ``sx`` holds the per-chunk sums of dih·X;
            returns those of ``out``."""
            t = (ratio * sx.sum(axis=0)).astype(np.float32)
            _ks.affine_step(indptr, indices, nw, X, dih, t, float(a), float(bb), float(g), out,
                            chunks, sums_out)
            return sums_out.copy()

        X = np.empty((n, b), dtype=np.float32)
        _kf.fill_signs(keys, np.uint64(seed), 1.0, X, np.float32(1.0 / np.sqrt(n)))
        Y = np.empty_like(X)
        blocks = list(range(0, n, _BLOCK_ROWS)) + [n]
        cut = 0.0
        with _blas_single(), ThreadPoolExecutor(max_workers=nt) as pool:
            for _ in range(rounds):
                sx = _ks.weighted_column_sums(X, dih, chunks)
                # Chebyshev filter T_m((S - c)/e): damps [-1, cut], amplifies (cut, 1]
                e = (cut + 1.0) / 2.0
                c = (cut - 1.0) / 2.0
                sy = apply(X, sx, 1.0 / e, -c / e, 0.0, Y)  # Y = T_1 X
                for _k in range(2, degree + 1):
                    # X = T_k = 2(S - c)/e · T_{k-1} - T_{k-2}, in the buffer of T_{k-2}
                    sx = apply(Y, sy, 2.0 / e, -2.0 * c / e, -1.0, X)
                    X, Y, sx, sy = Y, X, sy, sx
                X, Y, sx = Y, X, sy  # X holds T_m X_0
                # Rayleigh-Ritz on span(X)
                apply(X, sx, 1.0, 0.0, 0.0, Y)  # Y = S X
                G = _block_gram(pool, X, X, blocks)
                B = _block_gram(pool, X, Y, blocks)
                lam, M = _ritz(G, B)
                _block_right_multiply(pool, X, M.astype(np.float32), blocks)
                cut = max(float(lam[-1]), _MIN_CUT)
        lam_all = lam
        keep = slice(1, dim + 1)
        lam = lam_all[keep]
        signs = np.sign(_ks.column_cube_sums(X, chunks).sum(axis=0)[keep])
        signs[signs == 0] = 1.0
        weights = np.power(np.maximum(lam, 0.0), p) if p > 0 else np.ones(dim)
        col_scale = (signs * weights).astype(np.float32)
        E = np.empty((n, dim), dtype=np.float32)
        _ks.finish_rows(X, 1, dim, dih, col_scale, normalize, E, order, chunks)
        finite = np.isfinite(lam_all).all() and bool(_kf.all_finite(E, chunks))
        if finite and share:  # the degree channel, on the rows in the caller's order
            e_chunks = _kf.row_chunks(graph.indptr, _CHUNK_TARGET)
            var = _finish.column_stats(E, degrees > 0, e_chunks)[2]
            _finish.add(E, degrees, _finish.channel_of(share, dim, seed, degrees, var, False))
    if not finite:
        raise FloatingPointError(
            "the spectral iteration produced non-finite values; raise regularization or lower "
            "degree"
        )
    return E, lam.astype(np.float64)


class _blas_single:
    """Single-threaded BLAS inside (the block reductions run their own threads, and a BLAS
    call's own thread split could change its rounding)."""

    def __enter__(self):
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(limits=1, user_api="blas")
        return self

    def __exit__(self, *exc):
        self._limits.restore_original_limits()
        return False


def _block_gram(pool, X, Y, blocks):
    """``XᵀY`` in float64: float32 products over fixed blocks of rows, summed in block order."""
    def one(i):
        lo, hi = blocks[i], blocks[i + 1]
        return X[lo:hi].T @ Y[lo:hi]

    parts = list(pool.map(one, range(len(blocks) - 1)))
    G = np.zeros((X.shape[1], Y.shape[1]), dtype=np.float64)
    for part in parts:
        G += part
    return G


def _block_right_multiply(pool, X, M, blocks):
    """``X ← X·M`` in place, block of rows by block of rows."""
    def one(i):
        lo, hi = blocks[i], blocks[i + 1]
        X[lo:hi] = X[lo:hi] @ M

    list(pool.map(one, range(len(blocks) - 1)))


def _ritz(G, B):
    """Ritz values (decreasing) and the b × b matrix mapping X to its Ritz vectors, from
    ``G = XᵀX`` and ``B = XᵀSX``: the eigenpairs of ``G^{-1/2} B G^{-1/2}``. Directions of X
    with a Gram eigenvalue below ``1e-8`` of the largest are dropped (their columns become 0)."""
    G = (G + G.T) / 2
    g, W = np.linalg.eigh(G)
    floor = max(g[-1], 0.0) * 1e-8
    ok = g > floor
    inv_sqrt = np.zeros_like(g)
    inv_sqrt[ok] = 1.0 / np.sqrt(g[ok])
    Gm = W * inv_sqrt  # G^{-1/2} in the eigenbasis of G (dropped directions: 0)
    C = Gm.T @ B @ Gm
    C = (C + C.T) / 2
    lam, Z = np.linalg.eigh(C)
    lam = lam[::-1]
    Z = Z[:, ::-1]
    return lam, Gm @ Z


class Spectral(ParamsMixin):
    """:func:`spectral` as a scikit-learn style estimator.

    Parameters are those of :func:`spectral`. ``fit(adjacency)`` sets ``embedding_`` (rows in
    ``node_ids_`` order) and ``eigenvalues_`` (the Ritz values of its columns). Cost: that of
    :func:`spectral`.

    Examples
    --------
    >>> import networkx as nx, graphembed as ge
    >>> ge.Spectral(dim=4).fit(nx.karate_club_graph()).embedding_.shape
    (34, 4)
    """

    def __init__(self, dim=DEFAULT_DIM, *, eigenvalue_power=DEFAULT_EIGENVALUE_POWER,
                 regularization=DEFAULT_REGULARIZATION, rounds=DEFAULT_ROUNDS,
                 degree=DEFAULT_DEGREE, oversampling=DEFAULT_OVERSAMPLING, normalize=True,
                 degree_share=DEFAULT_DEGREE_SHARE, random_state=0, num_threads=None):
        self.dim = dim
        self.eigenvalue_power = eigenvalue_power
        self.regularization = regularization
        self.rounds = rounds
        self.degree = degree
        self.oversampling = oversampling
        self.normalize = normalize
        self.degree_share = degree_share
        self.random_state = random_state
        self.num_threads = num_threads

    def fit(self, adjacency, y=None):
        """Embed the graph (anything :func:`graphembed.as_csr` takes). Returns self."""
        graph = as_csr(adjacency)
        E, lam = _spectral(graph, dim=self.dim, eigenvalue_power=self.eigenvalue_power,
                           regularization=self.regularization, rounds=self.rounds,
                           degree=self.degree, oversampling=self.oversampling,
                           normalize=self.normalize, degree_share=self.degree_share,
                           random_state=self.random_state, num_threads=self.num_threads)
        self.embedding_ = E
        self.eigenvalues_ = lam
        self.node_ids_ = graph.node_ids
        return self

    def fit_transform(self, adjacency, y=None):
        """``fit(adjacency)`` and return ``embedding_``."""
        return self.fit(adjacency).embedding_

