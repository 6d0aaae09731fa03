"""FastRP: fast random-projection node embeddings (Chen et al., CIKM 2019).

:func:`fastrp` embeds every node of a graph; :class:`FastRP` is the scikit-learn style estimator
around it, which can also embed new nodes from their edges to a fitted graph. :func:`random_rows`
and :func:`propagate` are the two building blocks :func:`fastrp` is made of, exposed so that a
partitioned (Spark) run can compute the very same numbers piece by piece.

The maths (spec)
----------------
For a graph with adjacency ``S`` (weights > 0), weighted degrees ``deg = S·1``:

1. ``R`` (n × dim): very sparse random rows, entry ``±sqrt(s/dim)`` with probability ``1/(2s)``
   each and 0 otherwise; row ``v`` depends only on ``(random_state, id of v)``.
2. ``L = diag(deg^β)`` with 0 for nodes of degree 0 (β = ``normalization_strength``).
3. ``A = D⁻¹S`` (``transition="mean"``) or ``A = S`` (``"sum"``); rows of isolated nodes are 0.
4. ``N_0 = L·R``, ``N_i = A·N_{i-1}`` for i = 1..k (never forming ``A^k``).
5. ``E = α_0·norm(N_0) + Σ_i α_i·norm(N_i)``, where ``norm`` divides each row by its L2 norm
   when ``normalize=True`` (zero rows stay zero) and is the identity otherwise. The normalised
   rows only enter the sum: ``N_i`` itself is propagated un-normalised, as in the paper's code.
6. ``standardize=True``: every column of ``E`` is shifted to mean 0 and scaled to variance 1.
7. The degree channel (``degree_share`` > 0): every node of degree > 0 gets ``c·z_v·u`` added,
   ``z`` its standardised log-degree, ``u`` a seeded unit vector, ``c² = degree_share · V``
   with ``V`` E's total column variance (:mod:`graphembed._finish`).
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from . import _finish
from ._estimator import ParamsMixin
from ._kernels import fastrp as _k
from ._memory import fastrp_bytes
from ._validation import check_choice, check_float, check_int, check_memory, check_seed, threads
from ._rows import (  # noqa: F401  (spectral, propagation and the tests read these here)
    _CHUNK_TARGET,
    _inverse,
    _mixed_seed,
    _propagation_matrix,
    _row_sums,
    _summation_rows,
    _threads_for,
    _unpermute,
    _weights_or_empty,
    locality_order,
)
from .graph import CSRGraph, as_csr

__all__ = ["fastrp", "FastRP", "random_rows", "propagate"]

#: Defaults chosen on validation splits of BlogCatalog (test parts never read), in six stages;
#: the stages, their tables and why the cross-graph winner is not the default:
#: bench/README.md, "How the FastRP defaults were chosen" and "FastRP defaults across graphs".
DEFAULT_DIM = 512
DEFAULT_ITERATION_WEIGHTS = (0.0, 0.0, 1.0, 6.67, 20.0)
DEFAULT_NORMALIZATION_STRENGTH = -0.25
DEFAULT_SPARSITY = 3.0
#: Share of the embedding's variance given to the degree channel (:mod:`graphembed._finish`),
#: chosen on validation splits of every bundled labelled graph: bench/fastrp_degree.py.
DEFAULT_DEGREE_SHARE = 0.04


# ---------------------------------------------------------------------------------------------
# building blocks


def random_rows(keys, dim, *, sparsity, random_state):
    """The very sparse random rows ``R`` of the nodes with the given seeding keys.

    Entry ``(i, j)`` is ``+sqrt(s/dim)`` or ``-sqrt(s/dim)`` with probability ``1/(2s)`` each,
    else 0 (Li, Hastie & Church 2006), drawn from a counter-based hash of
    ``(random_state, keys[i], j)``: a row depends on nothing but the seed and the node's key,
    so every partition of a distributed run computes the same row for the same node.

    Parameters
    ----------
    keys : array of uint64 (or integers), shape (m,)
        Seeding keys of the nodes, as given by :meth:`graphembed.CSRGraph.node_keys` (integer
        node ids are their own key).
    dim : int
        Number of columns.
    sparsity : float
        ``s >= 1``, already resolved (for the paper's ``"sqrt"`` setting pass ``sqrt(n)`` of the
        *whole* graph).
    random_state : int
        Seed, ``0 <= random_state < 2**64``.

    Returns
    -------
    ndarray of float32, shape (m, dim)

    Notes
    -----
    Time O(m·dim) hash evaluations, memory the output only.

    Examples
    --------
    >>> import numpy as np
    >>> from graphembed.fastrp import random_rows
    >>> R = random_rows(np.array([7, 8], dtype=np.uint64), 6, sparsity=3, random_state=0)
    >>> R.shape, bool(np.all(np.isin(np.abs(R), [0, np.float32(np.sqrt(3 / 6))])))
    ((2, 6), True)
    """
    dim = check_int("dim", dim, minimum=1)
    s = _check_sparsity_number(sparsity)
    seed = check_seed("random_state", random_state)
    keys = _as_keys(keys)
    check_memory(f"random_rows for {len(keys):,} keys", 4 * len(keys) * dim, dim=dim)
    out = np.empty((len(keys), dim), dtype=np.float32)
    if len(keys):
        _k.random_rows(keys, np.uint64(seed), s, out)
    return out


def propagate(indptr, indices, weights, X, *, transition="mean", degrees=None):
    """One propagation step ``A·X`` over local CSR rows, with ``A = D⁻¹S`` or ``A = S``.

    The CSR rows are the local rows; column indices index rows of ``X``, which may hold more
    rows than the CSR (e.g. ghost rows of neighbours that live in another partition). Each
    output row is the sum over its neighbours in CSR order, so it is bit-for-bit the row that
    :func:`fastrp` computes for the same node.

    Parameters
    ----------
    indptr : array of int, shape (n_rows + 1,)
    indices : array of int, shape (nnz,)
        Row indices into ``X``. Their order within a row is the summation order: to get
        exactly :func:`fastrp`'s bits, list every row's neighbours by increasing node key
        (:meth:`graphembed.CSRGraph.node_keys`), fastrp's canonical order, which does not
        depend on how the rows of ``X`` are numbered.
    weights : array of float, shape (nnz,), or None
        Edge weights (finite, > 0); None means all ones.
    X : array of float32, shape (n_x, dim)
    transition : {"mean", "sum"}
        ``"mean"`` divides row ``u`` by ``degrees[u]``; ``"sum"`` does not.
    degrees : array of float, shape (n_rows,), optional
        Weighted degrees of the local rows for ``"mean"``; default: the row sums of the CSR
        (pass the global degrees if a row's CSR slice is incomplete). Rows of degree 0 are 0.

    Returns
    -------
    ndarray of float32, shape (n_rows, dim)

    Notes
    -----
    Time O(nnz·dim) on all numba threads; memory the output plus O(n_rows).

    Examples
    --------
    >>> import numpy as np
    >>> from graphembed.fastrp import propagate
    >>> X = np.array([[1, 0], [0, 1], [2, 2]], dtype=np.float32)
    >>> propagate(np.array([0, 2]), np.array([1, 2]), None, X).tolist()  # mean of rows 1 and 2
    [[1.0, 1.5]]
    """
    check_choice("transition", transition, ("mean", "sum"))
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    indices = np.asarray(indices)
    if indptr.ndim != 1 or len(indptr) < 1 or indptr[0] != 0 or np.any(np.diff(indptr) < 0):
        raise ValueError("indptr must be a non-decreasing 1-D array starting at 0")
    nnz = int(indptr[-1])
    if indices.ndim != 1 or len(indices) != nnz:
        raise ValueError(
            f"indices must be 1-D with indptr[-1] = {nnz} entries, got shape {indices.shape}"
        )
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (rows × dim), got shape {X.shape}")
    if nnz and (indices.min() < 0 or indices.max() >= X.shape[0]):
        raise ValueError(
            f"indices must lie in 0..{X.shape[0] - 1} (the rows of X), got values in "
            f"{indices.min()}..{indices.max()}"
        )
    indices = np.ascontiguousarray(indices, dtype=np.int64 if X.shape[0] >= 2**31 else np.int32)
    if weights is not None:
        weights = np.ascontiguousarray(weights, dtype=np.float32)
        if weights.shape != (nnz,):
            raise ValueError(f"weights must have shape ({nnz},), got {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("weights must be finite non-negative numbers")
    n_rows = len(indptr) - 1
    if transition == "sum":
        row_scale = np.ones(n_rows, dtype=np.float32)
    else:
        if degrees is None:
            degrees = _row_sums(indptr, weights)
        degrees = np.asarray(degrees, dtype=np.float64)
        if degrees.shape != (n_rows,):
            raise ValueError(f"degrees must have shape ({n_rows},), got {degrees.shape}")
        row_scale = _inverse(degrees)
    out = np.empty((n_rows, X.shape[1]), dtype=np.float32)
    with threads(_threads_for((nnz + n_rows) * X.shape[1], None)):
        _spmm(indptr, indices, weights, row_scale, X, out, None, 0.0, False)
    return out


# ---------------------------------------------------------------------------------------------
# the function


def fastrp(
    adjacency,
    *,
    dim=DEFAULT_DIM,
    iteration_weights=DEFAULT_ITERATION_WEIGHTS,
    normalization_strength=DEFAULT_NORMALIZATION_STRENGTH,
    sparsity=DEFAULT_SPARSITY,
    transition="mean",
    normalize=True,
    standardize=True,
    self_influence=0.0,
    degree_share=DEFAULT_DEGREE_SHARE,
    direction="out",
    features=None,
    feature_ratio=0.0,
    projection=None,
    random_state=0,
    num_threads=None,
):
    """FastRP node embeddings: sparse random projection propagated over the graph.

    Computes ``E = α_0·norm(L·R) + Σ_{i=1..k} α_i·norm(A^i·L·R)`` (then optionally standardises
    the columns), with ``R`` very sparse random rows, ``L = diag(deg^β)`` and ``A`` the transition
    matrix, without ever forming ``A^i`` — see the module docstring for every step.

    The defaults were chosen on validation splits of BlogCatalog (test parts never read): dim
    512, s = 3, k = 5 with weights (0, 0, 1, 6.67, 20), β = −0.25, mean transition,
    per-iteration normalisation and final standardisation — the paper's BlogCatalog weights with
    one more step, and milder degree damping; the degree channel's share 0.04 on validation
    splits of every bundled labelled graph. For large graphs choose ``dim`` by memory (see
    Notes): dim 128 costs a quarter and scores about 0.02–0.035 Micro-F1 lower on BlogCatalog.

    Parameters
    ----------
    adjacency
        Anything :func:`graphembed.as_csr` accepts (scipy sparse, networkx, edge arrays, frames,
        files, a CSRGraph). Weights enter ``S`` and the degrees.
    dim : int
        Embedding dimension.
    iteration_weights : sequence of float
        ``(α_1, ..., α_k)``; k = its length is the number of propagation steps.
    normalization_strength : float
        β, the degree exponent of ``L`` (β < 0 damps hubs). Nodes of degree 0 get 0.
    sparsity : float >= 1 or "sqrt"
        ``s`` of the random rows (3, the default: one third of the entries are nonzero);
        ``"sqrt"`` uses ``sqrt(n)`` as the paper does, so the rows then also depend on n (the
        embedding of a component, or of a graph that grows, changes with the graph's size).
    transition : {"mean", "sum"}
        ``A = D⁻¹S`` (average of the neighbours) or ``A = S`` (their sum).
    normalize : bool
        Divide every row of every ``N_i`` (and of ``L·R``) by its L2 norm before weighting.
    standardize : bool
        Shift and scale every column to mean 0, variance 1 at the end. The statistics are taken
        over the nodes with at least one edge; nodes of degree 0 keep their all-zero row (zero
        is the column mean after standardisation). A constant column is only centred.
    self_influence : float
        α_0, the weight of the node's own (degree-weighted, normalised) random row.
    degree_share : float in [0, 1]
        Share of the embedding's variance given to the degree channel: every node of degree
        > 0 gets its standardised log-degree added along one seeded unit direction (see
        :mod:`graphembed._finish`). Propagation averages a node's own degree away; structural
        roles need it, community labels are indifferent to it (bench/fastrp_degree.py). 0 turns
        it off. Cost O(n·dim): one pass over E (three when ``standardize=False``, which must
        measure the variances).
    direction : {"out", "in", "both"}
        Directed graphs only: propagate along out-edges (node ← its successors), in-edges
        (node ← its predecessors), or both (the graph symmetrised as by
        ``as_csr(..., directed=False)``). The degrees are those of the chosen matrix.
    features : array or scipy sparse matrix, shape (n, f), optional
        Node features (rows in node order). They are projected by a dense seeded random
        ``f × d_f`` matrix with entries ``±1/sqrt(d_f)`` into the last ``d_f =
        round(feature_ratio·dim)`` columns of the initial vectors, which then propagate with the
        rest (the first ``dim - d_f`` columns stay very sparse random).
    feature_ratio : float in [0, 1]
        Share of the columns given to ``features``; must be > 0 exactly when features are given.
    projection : array, shape (n, dim), optional
        Initial vectors to use instead of ``R`` (e.g. another embedding to refine, or a fixed
        matrix in tests). ``L`` still applies. Cannot be combined with ``features``.
    random_state : int
        Seed of ``R`` (and of the feature projection). Row ``v`` of ``R`` depends only on this
        seed and the id of ``v``.
    num_threads : int, optional
        numba threads to use (default: numba's current setting). The result is byte-identical
        for every thread count.

    Returns
    -------
    ndarray of float32, shape (n, dim)
        Row ``i`` belongs to the ``i``-th node of the input (``as_csr(adjacency).node_ids``; for
        networkx input, the order of ``G.nodes``).

    Notes
    -----
    Time O(k·nnz·dim + n·dim); memory the CSR graph plus two n × dim float32 buffers (the
    result is written into one of them) and, during the first step, one n × dim int8 array;
    three float32 buffers when a weight other than the last two is nonzero, or with
    ``self_influence``, ``features`` or ``projection``; O(n) more for the degree channel.
    Never anything n × n.

    Examples
    --------
    >>> import networkx as nx, graphembed as ge
    >>> E = ge.fastrp(nx.karate_club_graph(), dim=16, random_state=0)
    >>> E.shape, E.dtype.name
    ((34, 16), 'float32')
    """
    graph = as_csr(adjacency)
    E, _ = _fastrp(
        graph, dim=dim, iteration_weights=iteration_weights,
        normalization_strength=normalization_strength, sparsity=sparsity,
        transition=transition, normalize=normalize, standardize=standardize,
        self_influence=self_influence, degree_share=degree_share, direction=direction,
        features=features, feature_ratio=feature_ratio, projection=projection,
        random_state=random_state, num_threads=num_threads, keep_iterations=False,
    )
    return E


def _fastrp(graph, *, dim, iteration_weights, normalization_strength, sparsity, transition,
            normalize, standardize, self_influence, degree_share, direction, features,
            feature_ratio, projection, random_state, num_threads, keep_iterations):
    """The computation behind :func:`fastrp` and :class:`FastRP`; returns (E, state)."""
    dim = check_int("dim", dim, minimum=1)
    weights = _check_iteration_weights(iteration_weights)
    beta = check_float("normalization_strength", normalization_strength)
    check_choice("transition", transition, ("mean", "sum"))
    check_choice("direction", direction, ("out", "in", "both"))
    normalize = _check_bool("normalize", normalize)
    standardize = _check_bool("standardize", standardize)
    alpha0 = check_float("self_influence", self_influence)
    share = check_float("degree_share", degree_share, minimum=0.0, maximum=1.0)
    feature_ratio = check_float("feature_ratio", feature_ratio, minimum=0.0, maximum=1.0)
    seed = check_seed("random_state", random_state)
    n = graph.n
    if n == 0:
        raise ValueError(
            "the graph has no nodes; fastrp needs at least one node (check the input, or pass "
            "nodes=[...] to as_csr for graphs whose nodes have no edges)"
        )
    s = _resolve_sparsity(sparsity, n)
    feats, d_f = _check_features(features, feature_ratio, n, dim)
    if projection is not None and feats is not None:
        raise ValueError(
            "pass either projection (the initial vectors themselves) or features (projected "
            "into the initial vectors), not both"
        )
    proj = _check_projection(projection, n, dim)
    check_memory("fastrp on a graph of {:,} nodes and {:,} stored entries".format(n, graph.nnz),
                 fastrp_bytes(n, graph.nnz, dim, {"iteration_weights": weights,
                                                  "self_influence": alpha0,
                                                  "keep_iterations": keep_iterations}),
                 dim=dim)

    with threads(_threads_for((graph.nnz + n) * dim, num_threads)):
        indptr, indices, w = _propagation_matrix(graph, direction)
        # E stays in the caller's node order, row u of the work buffers is node order[u].
        indptr, indices, w, keys, deg, order, relabelled = _summation_rows(
            indptr, indices, w, graph.node_keys())
        if relabelled:
            feats = None if feats is None else feats[order]
            proj = None if proj is None else proj[order]
        d = deg[order]
        row_scale = _inverse(d) if transition == "mean" else np.ones(n, dtype=np.float32)
        L = np.zeros(n, dtype=np.float32)
        L[d > 0] = np.power(d[d > 0], beta)
        chunks = _k.row_chunks(indptr, _CHUNK_TARGET)

        # N_0 = L·R, then E = α_0·norm(N_0), then N_i = A·N_{i-1}, E += α_i·norm(N_i).
        # When only the last two weights are nonzero (the paper's 0, 0, 1, 6.67), E is written
        # once, by the last step, into the buffer N_{k-2} leaves free: two n × dim buffers
        # instead of three.
        k = len(weights)
        pair = alpha0 == 0.0 and not keep_iterations and not any(weights[:-2])
        modes = _e_modes(weights, pair, assign_first=alpha0 == 0.0)
        E = None
        if not pair:
            E = np.empty((n, dim), dtype=np.float32)
            _k.zero_rows(E, chunks)  # touched in parallel: faster than faulting pages in later
        first = 0
        if proj is None and d_f == 0 and alpha0 == 0.0 and not keep_iterations:
            # N_0 is never needed itself: step 1 reads it as coef·signs (same bits, 1/4 the bytes)
            signs = np.empty((n, dim), dtype=np.int8)
            _k.random_signs(keys, np.uint64(seed), s, signs)
            coef = (np.float32(np.sqrt(s / dim)) * L).astype(np.float32)
            P = np.empty((n, dim), dtype=np.float32)
            _k.zero_rows(P, chunks)
            if k == 1 and pair:
                E = P  # the only step writes E, and stores nothing
            _k.spmm_signs_fused(indptr, indices, _weights_or_empty(w), w is not None,
                                row_scale, signs, coef, P if k > 1 else P[:0],
                                E if E is not None else P[:0], order,
                                modes[0], float(weights[0]), bool(normalize), chunks)
            del signs
            first = 1
            kept = []
        else:
            P = _initial_vectors(keys, dim, s, seed, feats, d_f, proj)
            _k.scale_rows_and_add(P, L, E if E is not None else P[:0], order, alpha0, normalize,
                                  chunks)
            kept = [_unpermute(P, order)] if keep_iterations else []  # N_0..N_{k-1}
        Q = np.empty_like(P) if k > first else None
        if Q is not None:
            _k.zero_rows(Q, chunks)  # a step will write it
        for i in range(first, k):
            last = i == k - 1 and not keep_iterations
            target = Q[:0] if last else Q  # the last N_i only feeds E
            if pair and last:
                E = Q
            _spmm(indptr, indices, w, row_scale, P, target, E, weights[i], normalize, chunks,
                  order, mode=modes[i], alpha_prev=weights[i - 1] if i > 0 else 0.0)
            P, Q = Q, P
            if keep_iterations and i < k - 1:
                kept.append(_unpermute(P, order))
        del P, Q
        mean = scale = var = None
        nz = deg > 0
        e_chunks = _k.row_chunks(graph.indptr, _CHUNK_TARGET)
        if standardize:
            mean, scale, var, finite = _finish.standardize(E, nz, e_chunks)
        else:
            finite = _k.all_finite(E, e_chunks)
            if finite and share:
                var = _finish.column_stats(E, nz, e_chunks)[2]
        channel = None
        if finite and share:
            channel = _finish.channel_of(share, dim, seed, deg, var, standardize)
            _finish.add(E, deg, channel)
    if not finite:
        raise FloatingPointError(
            "the embedding overflowed float32 (values grew like degree**k); use "
            "transition='mean', fewer iterations, or a smaller normalization_strength"
        )
    L_orig = np.empty_like(L)
    L_orig[order] = L
    state = {"degrees": deg, "L": L_orig, "mean": mean, "scale": scale, "iterations": kept,
             "sparsity": s, "feature_columns": d_f, "degree_channel": channel}
    return E, state


# ---------------------------------------------------------------------------------------------
# the estimator


class FastRP(ParamsMixin):
    """FastRP as a scikit-learn style estimator (see :func:`fastrp` for every parameter).

    ``fit(adjacency)`` embeds the graph; the result is ``embedding_`` (rows in ``node_ids_``
    order). With ``inductive=True`` the fitted model also keeps the propagated matrices
    ``N_0..N_{k-1}`` (k more n × dim float32 arrays), so that :meth:`transform` can embed new
    nodes from their edges to the fitted graph without recomputing it.

    Parameters
    ----------
    dim, iteration_weights, normalization_strength, sparsity, transition, normalize,
    standardize, self_influence, degree_share, direction, feature_ratio, random_state,
    num_threads
        As in :func:`fastrp`.
    inductive : bool
        Keep what :meth:`transform` needs (memory: k n × dim float32 arrays).

    Attributes
    ----------
    embedding_ : ndarray of float32, shape (n, dim)
    node_ids_ : ndarray, shape (n,)
    degrees_ : ndarray of float64, shape (n,)
        Weighted degrees in the propagation matrix.
    mean_, scale_ : ndarray of float64, shape (dim,), or None
        The column statistics used by ``standardize`` (None without it).
    sparsity_ : float
        The resolved ``s``.

    Notes
    -----
    Cost of ``fit``: that of :func:`fastrp` (plus k n × dim arrays if inductive). Cost of
    ``transform`` for m new nodes with e edges: O(k·e·dim + m·dim).

    Examples
    --------
    >>> import networkx as nx, numpy as np, graphembed as ge
    >>> model = ge.FastRP(dim=8, inductive=True, standardize=False).fit(nx.path_graph(5))
    >>> model.embedding_.shape
    (5, 8)
    >>> model.transform((np.array([99, 99]), np.array([0, 4]))).shape  # new node 99 ~ 0 and 4
    (1, 8)
    """

    def __init__(
        self,
        dim=DEFAULT_DIM,
        *,
        iteration_weights=DEFAULT_ITERATION_WEIGHTS,
        normalization_strength=DEFAULT_NORMALIZATION_STRENGTH,
        sparsity=DEFAULT_SPARSITY,
        transition="mean",
        normalize=True,
        standardize=True,
        self_influence=0.0,
        degree_share=DEFAULT_DEGREE_SHARE,
        direction="out",
        feature_ratio=0.0,
        inductive=False,
        random_state=0,
        num_threads=None,
    ):
        self.dim = dim
        self.iteration_weights = iteration_weights
        self.normalization_strength = normalization_strength
        self.sparsity = sparsity
        self.transition = transition
        self.normalize = normalize
        self.standardize = standardize
        self.self_influence = self_influence
        self.degree_share = degree_share
        self.direction = direction
        self.feature_ratio = feature_ratio
        self.inductive = inductive
        self.random_state = random_state
        self.num_threads = num_threads

    # -- fitting --

    def fit(self, adjacency, y=None, *, features=None, projection=None):
        """Embed the graph (anything :func:`graphembed.as_csr` takes). Returns self.

        ``features`` (n × f) and ``projection`` (n × dim) are as in :func:`fastrp`.
        """
        graph = as_csr(adjacency)
        E, state = _fastrp(
            graph, dim=self.dim, iteration_weights=self.iteration_weights,
            normalization_strength=self.normalization_strength, sparsity=self.sparsity,
            transition=self.transition, normalize=self.normalize, standardize=self.standardize,
            self_influence=self.self_influence, degree_share=self.degree_share,
            direction=self.direction, features=features,
            feature_ratio=self.feature_ratio, projection=projection,
            random_state=self.random_state, num_threads=self.num_threads,
            keep_iterations=_check_bool("inductive", self.inductive),
        )
        self.embedding_ = E
        self.node_ids_ = graph.node_ids
        self.degrees_ = state["degrees"]
        self.mean_ = state["mean"]
        self.scale_ = state["scale"]
        self.sparsity_ = state["sparsity"]
        self._graph = graph
        self._iterations = state["iterations"] if self.inductive else None
        self._feature_columns = state["feature_columns"]
        self._degree_channel = state["degree_channel"]
        self._fit_params = dict(
            dim=int(self.dim), weights=_check_iteration_weights(self.iteration_weights),
            beta=float(self.normalization_strength), transition=self.transition,
            normalize=bool(self.normalize), standardize=bool(self.standardize),
            alpha0=float(self.self_influence), seed=int(self.random_state),
            feature_ratio=float(self.feature_ratio), projected=projection is not None,
        )
        return self

    def fit_transform(self, adjacency, y=None, *, features=None, projection=None):
        """``fit(...)`` and return ``embedding_``."""
        return self.fit(adjacency, features=features, projection=projection).embedding_

    def transform(self, edges, *, node_ids=None, features=None, projection=None):
        """Embed new nodes from their edges to the fitted graph, without recomputing it.

        A new node ``x`` gets exactly the row that :func:`fastrp` would give it in the fitted
        graph plus the arcs ``x → v`` (``v`` fitted nodes): its vector is built from its
        neighbours' stored rows ``N_0..N_{k-1}``, and the fitted nodes are left unchanged
        (their rows do not see ``x``). With ``standardize=True`` the fitted ``mean_`` and
        ``scale_`` are applied, and the degree channel with the fitted graph's statistics.
        Needs ``inductive=True`` at fit time.

        Parameters
        ----------
        edges
            Either a tuple ``(new_ids, fitted_ids)`` or ``(new_ids, fitted_ids, weights)`` of
            1-D arrays (one entry per edge), or a scipy sparse matrix of shape
            (m, n_fitted) whose row r holds the edge weights of new node r to the fitted nodes
            (columns in ``node_ids_`` order; then ``node_ids`` is required).
        node_ids : sequence, optional
            Ids of the new nodes, in the order of the output rows (they seed the nodes' own
            random rows, which matter only when ``self_influence != 0``). Default for tuple
            input: the sorted distinct ``new_ids``.
        features : array, shape (m, f), optional
            Features of the new nodes (required if the model was fitted with features and
            ``self_influence != 0``).
        projection : array, shape (m, dim), optional
            Initial vectors of the new nodes (same rule, for a model fitted with projection).

        Returns
        -------
        ndarray of float32, shape (m, dim)
        """
        if not hasattr(self, "embedding_"):
            raise RuntimeError("this FastRP instance is not fitted yet; call fit(graph) first")
        if self._iterations is None:
            raise RuntimeError(
                "transform needs the propagated matrices; fit with FastRP(..., inductive=True)"
            )
        p = self._fit_params
        g = self._graph
        indptr, indices, w, new_ids = _new_node_csr(edges, node_ids, g)
        m = len(new_ids)
        deg = _row_sums(indptr, w)
        row_scale = _inverse(deg) if p["transition"] == "mean" else np.ones(m, dtype=np.float32)
        L = np.zeros(m, dtype=np.float32)
        L[deg > 0] = np.power(deg[deg > 0], p["beta"])
        E = np.zeros((m, p["dim"]), dtype=np.float32)
        out = np.empty((m, p["dim"]), dtype=np.float32)
        chunks = _k.row_chunks(indptr, _CHUNK_TARGET)
        with threads(_threads_for((len(indices) + m) * p["dim"], self.num_threads)):
            if p["alpha0"] != 0.0:
                feats, d_f = _check_features(features, p["feature_ratio"], m, p["dim"])
                if p["projected"] and projection is None:
                    raise ValueError(
                        "the model was fitted with projection= and self_influence != 0: pass "
                        "projection= rows for the new nodes"
                    )
                proj = _check_projection(projection, m, p["dim"])
                keys = CSRGraph(np.zeros(m + 1, np.int64), np.zeros(0, np.int32), None,
                                new_ids).node_keys()
                X0 = _initial_vectors(keys, p["dim"], self.sparsity_, p["seed"], feats, d_f, proj)
                _k.scale_rows_and_add(X0, L, E, np.arange(m), p["alpha0"], p["normalize"], chunks)
            stored = self._iterations
            for i, alpha in enumerate(p["weights"]):
                _spmm(indptr, indices, w, row_scale, stored[i], out, E, alpha, p["normalize"],
                      chunks)
            if p["standardize"]:
                keep = deg > 0
                _k.standardize_rows(E, keep, self.mean_, 1.0 / self.scale_, chunks)
            _finish.add(E, deg, getattr(self, "_degree_channel", None))  # None: fitted before it
        return E


# ---------------------------------------------------------------------------------------------
# helpers


def _e_modes(weights, pair, assign_first):
    """How each step updates E (the kernels' ``E_*``): with ``pair`` only the last step writes
    it (``E_PAIR``, or ``E_ASSIGN`` for a single step); otherwise steps with a zero weight skip
    it, the first nonzero one assigns (when ``assign_first``: E holds nothing yet) and the
    others add."""
    k = len(weights)
    modes = []
    for i, a in enumerate(weights):
        if pair:
            mode = _k.E_NONE if i < k - 1 else _k.E_ASSIGN if k == 1 else _k.E_PAIR
        elif a == 0.0:
            mode = _k.E_NONE
        else:
            mode = _k.E_ASSIGN if assign_first and not any(weights[:i]) else _k.E_ADD
        modes.append(mode)
    return modes


def _spmm(indptr, indices, weights, row_scale, X, out, E, alpha, normalize, chunks=None,
          e_rows=None, mode=None, alpha_prev=0.0):
    """Run the fused kernel; ``E=None`` only propagates (``out = diag(row_scale)·S·X``).

    ``mode`` (the kernels' ``E_*``) defaults to adding ``alpha``·rownorm(out) to ``E``."""
    if chunks is None:
        chunks = _k.row_chunks(indptr, _CHUNK_TARGET)
    if E is None:
        E = np.empty((0, X.shape[1]), dtype=np.float32)
        mode = _k.E_NONE
    elif mode is None:
        mode = _k.E_ADD if alpha != 0.0 else _k.E_NONE
    if e_rows is None:
        e_rows = np.arange(len(indptr) - 1, dtype=np.int64)
    _k.spmm_fused(indptr, indices, _weights_or_empty(weights), weights is not None, row_scale, X,
                  out, E, e_rows, mode, float(alpha), bool(normalize), float(alpha_prev), chunks)


def _initial_vectors(keys, dim, s, seed, feats, d_f, proj):
    """The n × dim initial matrix (R, [R | F·P] with features, or the given projection)."""
    if proj is not None:
        return proj
    n = len(keys)
    X = np.empty((n, dim), dtype=np.float32)
    d_r = dim - d_f
    if d_r > 0:
        R = np.empty((n, d_r), dtype=np.float32) if d_f else X
        _k.random_rows(keys, np.uint64(seed), s, R)
        if d_f:
            X[:, :d_r] = R
    if d_f:
        f = feats.shape[1]
        P = np.empty((f, d_f), dtype=np.float32)
        _k.random_rows(np.arange(f, dtype=np.uint64), np.uint64(_feature_seed(seed)), 1.0, P)
        FP = np.empty((n, d_f), dtype=np.float32)
        _spmm(feats.indptr.astype(np.int64), feats.indices.astype(np.int32),
              feats.data.astype(np.float32), np.ones(n, dtype=np.float32), P, FP, None, 0.0,
              False)
        X[:, d_r:] = FP
    return X


def _feature_seed(seed):
    """A seed for the feature projection, independent of the node streams of ``seed``."""
    return _mixed_seed(seed, 0x632BE59BD9B4E019)


def _as_keys(keys):
    keys = np.asarray(keys)
    if keys.ndim != 1:
        raise ValueError(f"keys must be a 1-D array of node keys, got shape {keys.shape}")
    if keys.dtype == np.uint64:
        return np.ascontiguousarray(keys)
    if keys.dtype.kind in "iu" or keys.size == 0:
        return keys.astype(np.int64).view(np.uint64)
    raise TypeError(
        f"keys must be uint64 node keys (CSRGraph.node_keys()) or integers, got dtype {keys.dtype}"
    )


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_iteration_weights(value):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(
            f"iteration_weights must be a sequence of numbers (α_1..α_k), got {value!r}; "
            "e.g. iteration_weights=(0, 0, 1, 6.67)"
        )
    out = []
    for x in value:
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
            raise TypeError(f"iteration_weights must hold real numbers, got {x!r} in {value!r}")
        if not np.isfinite(x):
            raise ValueError(f"iteration_weights must be finite numbers, got {x} in {value!r}")
        out.append(float(x))
    if not out:
        raise ValueError(
            "iteration_weights must not be empty (its length is the number of propagation "
            "steps); e.g. iteration_weights=(0, 0, 1, 6.67)"
        )
    return tuple(out)


def _check_sparsity_number(s):
    if isinstance(s, (bool, np.bool_)) or not isinstance(s, numbers.Real):
        raise TypeError(f"sparsity must be a number >= 1 or 'sqrt', got {s!r}")
    s = float(s)
    if not np.isfinite(s) or s < 1:
        raise ValueError(f"sparsity must be a finite number >= 1 (3 is classic) or 'sqrt', got {s}")
    return s


def _resolve_sparsity(sparsity, n):
    if isinstance(sparsity, str):
        if sparsity != "sqrt":
            raise ValueError(f"sparsity must be a number >= 1 or 'sqrt', got {sparsity!r}")
        return max(1.0, float(np.sqrt(n)))
    return _check_sparsity_number(sparsity)


def _check_features(features, feature_ratio, n, dim):
    """Features as float32 CSR (n × f) and the number of feature columns d_f."""
    if features is None:
        if feature_ratio > 0:
            raise ValueError(
                f"feature_ratio={feature_ratio} but no features were given; pass features= "
                "(an n × f array) or leave feature_ratio at 0"
            )
        return None, 0
    if feature_ratio == 0:
        raise ValueError(
            "features were given but feature_ratio=0 would ignore them; pass feature_ratio > 0 "
            "(the share of the dim columns given to features, e.g. 0.25)"
        )
    d_f = int(round(feature_ratio * dim))
    if d_f < 1:
        raise ValueError(
            f"feature_ratio={feature_ratio} × dim={dim} rounds to 0 feature columns; raise "
            "feature_ratio or dim"
        )
    if sp.issparse(features):
        F = sp.csr_array(features)
    else:
        arr = np.asarray(features)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"features must be numeric, got dtype {arr.dtype}")
        if arr.ndim != 2:
            raise ValueError(
                f"features must be a 2-D array (nodes × features), got shape {arr.shape}"
            )
        F = sp.csr_array(arr.astype(np.float64))
    if F.shape[0] != n:
        raise ValueError(
            f"features has {F.shape[0]} rows but the graph has {n} nodes; give one row per node "
            "in node order (as_csr(graph).node_ids)"
        )
    F.sum_duplicates()
    data = np.asarray(F.data, dtype=np.float64)
    if not np.all(np.isfinite(data)):
        raise ValueError("features must be finite numbers; replace NaN/inf entries")
    F = sp.csr_array((data.astype(np.float32), F.indices, F.indptr), shape=F.shape)
    return F, d_f


def _check_projection(projection, n, dim):
    if projection is None:
        return None
    arr = np.asarray(projection)
    if arr.dtype.kind not in "iuf" or arr.dtype == np.bool_:
        raise TypeError(f"projection must be a numeric array, got dtype {arr.dtype}")
    if arr.shape != (n, dim):
        raise ValueError(
            f"projection must have shape (n, dim) = ({n}, {dim}), got {arr.shape}; give one "
            "initial vector per node, in node order"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("projection must hold finite numbers; replace NaN/inf entries")
    return np.array(arr, dtype=np.float32, order="C", copy=True)


def _new_node_csr(edges, node_ids, g):
    """CSR rows of new nodes into the fitted graph's rows: (indptr, indices, weights, ids)."""
    if sp.issparse(edges):
        M = sp.csr_array(edges)
        if M.shape[1] != g.n:
            raise ValueError(
                f"edges has {M.shape[1]} columns but the fitted graph has {g.n} nodes; columns "
                "must follow node_ids_"
            )
        if node_ids is None:
            raise ValueError("node_ids (the ids of the new nodes, one per row) is required")
        new_ids = np.asarray(node_ids)
        if len(new_ids) != M.shape[0]:
            raise ValueError(
                f"node_ids has {len(new_ids)} ids for {M.shape[0]} rows of edges; pass one id per "
                "row of the new nodes' edge matrix"
            )
        M.sum_duplicates()
        M.sort_indices()
        data = np.asarray(M.data, dtype=np.float64)
        if not np.all(np.isfinite(data)) or np.any(data < 0):
            raise ValueError("edge weights must be finite non-negative numbers")
        keep = data != 0
        rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))[keep]
        cols = M.indices[keep].astype(np.int64)
        w = data[keep]
    elif isinstance(edges, (tuple, list)) and len(edges) in (2, 3):
        src = np.asarray(edges[0])
        dst = np.asarray(edges[1])
        if src.ndim != 1 or dst.shape != src.shape:
            raise ValueError(
                "edges must be (new_ids, fitted_ids[, weights]): 1-D arrays of one length"
            )
        cols = g.index_of(dst)
        new_ids = np.unique(src) if node_ids is None else np.asarray(node_ids)
        order = np.argsort(new_ids, kind="stable")
        pos = np.searchsorted(new_ids[order], src)
        pos = np.minimum(pos, len(new_ids) - 1)
        if len(src) and np.any(new_ids[order][pos] != src):
            raise ValueError("edges name a new node that is not in node_ids")
        rows = order[pos].astype(np.int64)
        if len(edges) == 3:
            w = np.asarray(edges[2], dtype=np.float64)
            if w.shape != src.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError("edge weights must be finite non-negative numbers, one per edge")
        else:
            w = np.ones(len(src))
        keep = w != 0
        rows, cols, w = rows[keep], cols[keep], w[keep]
        # canonical CSR order (sorted fitted rows), duplicates summed, like as_csr
        o = np.lexsort((cols, rows))
        rows, cols, w = rows[o], cols[o], w[o]
        if len(rows):
            new = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
            starts = np.flatnonzero(new)
            w = np.add.reduceat(w, starts)
            rows, cols = rows[starts], cols[starts]
    else:
        raise TypeError(
            "edges must be a tuple (new_ids, fitted_ids[, weights]) or a scipy sparse matrix of "
            "shape (new nodes, fitted nodes)"
        )
    # the canonical summation order: neighbours by increasing node key
    o = np.lexsort((g.node_keys()[cols], rows))
    rows, cols, w = rows[o], cols[o], w[o]
    m = len(new_ids)
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=m), out=indptr[1:])
    weights = None if np.all(w == 1.0) else w.astype(np.float32)
    return indptr, cols.astype(g.indices.dtype), weights, new_ids
