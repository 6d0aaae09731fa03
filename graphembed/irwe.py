"""IRWE-style embeddings: identity, position and joint vectors from walk statistics.

:func:`irwe` and the :class:`IRWE` estimator (fit, then ``transform`` for new nodes) build an
*identity* embedding (PCA of Hellinger-transformed anonymous-walk and degree statistics:
structural role) and a *position* embedding (randomized SVD of the PPMI co-occurrence:
community and proximity) from the statistics of :mod:`graphembed.walks`, and their *joint*
concatenation. The maths and the paper are in :mod:`graphembed.walks`' docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._estimator import ParamsMixin
from ._kernels import walks as _k
from ._kernels.rng import mix64
from ._memory import irwe_bytes
from ._validation import check_float, check_int, check_memory, check_seed, threads
from .graph import CSRGraph, as_csr
from .walks import (
    _features_width,
    _has_self_loops,
    _ppmi_rows,
    _require_edges,
    _Sampler,
    cooccurrence,
    ppmi,
    walk_statistics,
)

__all__ = ["irwe", "IRWEResult", "IRWE", "irwe_joint", "irwe_identity", "irwe_position"]


@dataclass
class IRWEResult:
    """Output of :func:`irwe`: three float32 arrays with rows in ``node_ids`` order.

    identity : (n, identity_dim) — structural role (similar local structure, near vectors)
    position : (n, position_dim) — community / proximity
    joint : (n, identity_dim + position_dim) — both halves, each row-L2-normalised
    """

    identity: np.ndarray
    position: np.ndarray
    joint: np.ndarray
    node_ids: np.ndarray


def _sub_seed(seed, tag):
    """An independent uint64 seed for one part of the computation (identity, position, SVD)."""
    return int(mix64(np.uint64(seed) ^ np.uint64(tag * 0x9E3779B97F4A7C15 % 2**64)))


def _normalize_rows(X):
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1).astype(np.float32)


def _pca(F, dim):
    """Centre ``F`` and project onto its top ``dim`` principal axes (exact; sign-fixed)."""
    from scipy.linalg import eigh

    mean = F.mean(axis=0)
    X = F - mean
    n, f = X.shape
    if n < f:  # fewer samples than features: the thin SVD of X is the cheaper route
        comps = np.linalg.svd(X, full_matrices=False)[2][:dim].T
    else:
        comps = eigh(X.T @ X, subset_by_index=(f - dim, f - 1))[1][:, ::-1]
    # fix each axis's sign: its largest-magnitude loading is positive
    signs = np.sign(comps[np.argmax(np.abs(comps), axis=0), np.arange(comps.shape[1])])
    comps = comps * np.where(signs == 0, 1, signs)
    return mean, comps


def _svd(M, dim, seed):
    from sklearn.utils.extmath import randomized_svd

    U, S, Vt = randomized_svd(M, n_components=dim, n_oversamples=20, n_iter=7,
                              random_state=seed % 2**32)
    return U, S, Vt


class IRWE(ParamsMixin):
    """IRWE-style identity + position embedding estimator (see :func:`irwe` for the parameters).

    ``fit(G)`` computes the embeddings of G's nodes and keeps the fitted transforms; then
    ``transform(G2, nodes)`` embeds nodes of a grown or different graph — new nodes included —
    from walks started at them, without refitting. Fitted attributes: ``identity_``,
    ``position_``, ``embedding_`` (joint), ``node_ids_``, ``identity_mean_``,
    ``identity_components_``, ``position_components_``, ``singular_values_``.

    Examples
    --------
    >>> import networkx as nx
    >>> from graphembed import IRWE
    >>> G = nx.barbell_graph(6, 2)
    >>> model = IRWE(dim=8, identity_walks=200, walks_per_node=5, window=3).fit(G)
    >>> model.embedding_.shape, model.transform(G, nodes=[0, 1]).shape
    ((14, 8), (2, 8))
    """

    def __init__(self, dim=128, *, identity_dim=None, position_dim=None,
                 steps=(2, 3, 4, 5, 6, 7), identity_walks=1000, degree_steps=2,
                 walk_length=80, walks_per_node=20, window=2, negative=1.0,
                 p=1.0, q=1.0, random_state=0, num_threads=None):
        self.dim = dim
        self.identity_dim = identity_dim
        self.position_dim = position_dim
        self.steps = steps
        self.identity_walks = identity_walks
        self.degree_steps = degree_steps
        self.walk_length = walk_length
        self.walks_per_node = walks_per_node
        self.window = window
        self.negative = negative
        self.p = p
        self.q = q
        self.random_state = random_state
        self.num_threads = num_threads

    # -- fitting -----------------------------------------------------------------------------
    def _dims(self, n):
        dim = check_int("dim", self.dim, minimum=1)
        if self.identity_dim is None and self.position_dim is not None:
            # only the position width given: the identity half takes the rest of dim
            pos_dim = check_int("position_dim", self.position_dim, minimum=0, maximum=dim)
            id_dim = dim - pos_dim
        else:
            id_dim = dim // 2 if self.identity_dim is None else self.identity_dim
            id_dim = check_int("identity_dim", id_dim, minimum=0, maximum=dim)
            pos_dim = dim - id_dim if self.position_dim is None else self.position_dim
            pos_dim = check_int("position_dim", pos_dim, minimum=0)
        if id_dim + pos_dim == 0:
            raise ValueError("identity_dim + position_dim is 0; ask for at least one dimension")
        if pos_dim > n:
            raise ValueError(
                f"position_dim={pos_dim} exceeds the number of nodes ({n}); lower dim or "
                "position_dim"
            )
        if id_dim + pos_dim != dim:
            raise ValueError(
                f"identity_dim={id_dim} + position_dim={pos_dim} is not dim={dim}: the joint "
                f"embedding is dim wide; give one of the two (the other takes the rest of dim) "
                f"or set dim={id_dim + pos_dim}"
            )
        return id_dim, pos_dim

    def _check_identity_features(self, g, id_dim):
        """Before any walk: ``identity_dim`` against the number of identity features, which
        ``steps``, ``degree_steps`` and whether ``g`` has self-loops fix (the PCA cannot return
        more components than features)."""
        if not id_dim:
            return
        degree_steps = check_int("degree_steps", self.degree_steps, minimum=-1, maximum=64)
        width = _features_width(self.steps, self_loops=_has_self_loops(g),
                                degree_steps=degree_steps)
        if id_dim > width:
            raise ValueError(
                f"identity_dim={id_dim} exceeds the {width} identity features of "
                f"steps={self.steps} and degree_steps={self.degree_steps}; lower identity_dim "
                f"(or dim) to at most {width}, or add longer steps"
            )

    def _identity_stats(self, g, starts):
        return walk_statistics(g, steps=self.steps, walks_per_node=self.identity_walks,
                               p=self.p, q=self.q, start_nodes=starts,
                               random_state=_sub_seed(self._seed, 1),
                               num_threads=self.num_threads, degree_steps=self.degree_steps,
                               streams="node")

    def fit(self, adjacency, y=None):
        """Embed the nodes of ``adjacency`` and keep the fitted transforms. Returns self."""
        with _blas_threads(self.num_threads):
            return self._fit(adjacency)

    def _fit(self, adjacency):
        g = _require_edges(as_csr(adjacency))
        id_dim, pos_dim = self._dims(g.n)
        self._check_identity_features(g, id_dim)
        if id_dim > g.n:
            raise ValueError(
                f"identity_dim={id_dim} exceeds the number of nodes ({g.n}); lower dim or "
                "identity_dim"
            )
        check_memory(f"IRWE on a graph of {g.n:,} nodes", irwe_bytes(
            g.n, g.nnz, id_dim + pos_dim, self.get_params(), identity_dim=id_dim,
            position_dim=pos_dim), dim=self.dim)
        F, M = self.statistics(g)
        identity, position = self.fit_statistics(F, M)
        self.node_ids_ = g.node_ids
        self.identity_ = identity
        self.position_ = position
        self.embedding_ = _join(identity, position)
        return self

    def statistics(self, adjacency, rows=None):
        """The statistics IRWE embeds, for the nodes ``rows`` (default all) of ``adjacency``.

        Returns ``(F, M)``: ``F`` the identity features (``len(rows)`` × about 1,200 float64;
        None when ``identity_dim`` is 0) and ``M`` the PPMI rows of the walk co-occurrences
        (scipy CSR, ``len(rows)`` × n; None when ``position_dim`` is 0). The walks cover the
        whole graph (the co-occurrence marginals need them), so the cost is that of
        :meth:`fit` without the decompositions whatever ``rows`` is. Used by :meth:`fit` and
        by the partitioned landmark mode (:func:`graphembed.distributed.embed_partitioned`),
        which fits on the statistics of a sample of nodes gathered from every partition.
        """
        g = _require_edges(as_csr(adjacency))
        self._seed = check_seed("random_state", self.random_state)
        id_dim, pos_dim = self._dims(2**62)  # which halves; sizes are checked by the fit
        self._check_identity_features(g, id_dim)
        rows = np.arange(g.n) if rows is None else np.asarray(rows, dtype=np.int64)
        every = len(rows) == g.n and np.array_equal(rows, np.arange(g.n))
        F = M = None
        with _blas_threads(self.num_threads):
            if id_dim:
                F = self._identity_stats(g, None if every else rows).features()
            if pos_dim:
                C = cooccurrence(g, window=self.window, walk_length=self.walk_length,
                                 walks_per_node=self.walks_per_node, p=self.p, q=self.q,
                                 random_state=_sub_seed(self._seed, 2),
                                 num_threads=self.num_threads)
                check_float("negative", self.negative, minimum=0, strict_min=True)
                self.context_counts_ = np.asarray(C.sum(axis=0)).ravel()
                self.context_total_ = float(self.context_counts_.sum())
                M = ppmi(C, negative=self.negative)
                if not every:
                    M = M[rows]
        return F, M

    def fit_statistics(self, F, M):
        """Fit the identity PCA on ``F`` and the position SVD on ``M`` (:meth:`statistics`).

        Rows are the fitted nodes; ``M``'s columns are the context nodes (for the landmark
        mode: the landmarks' PPMI restricted to landmark columns). Returns the fitted rows'
        ``(identity, position)``. Time O(m·F² + nnz(M)·position_dim) for m rows.
        """
        self._seed = check_seed("random_state", self.random_state)
        m = (F if F is not None else M).shape[0]
        id_dim, pos_dim = self._dims(m if M is None else min(m, M.shape[1]))
        identity = np.zeros((m, 0), dtype=np.float32)
        position = np.zeros((m, 0), dtype=np.float32)
        with _blas_threads(self.num_threads):
            if id_dim:
                if id_dim > F.shape[1]:
                    raise ValueError(
                        f"identity_dim={id_dim} exceeds the {F.shape[1]} identity features of "
                        f"steps={self.steps}; lower identity_dim or add longer steps"
                    )
                if id_dim > m:
                    raise ValueError(
                        f"identity_dim={id_dim} exceeds the number of nodes ({m}); lower dim "
                        "or identity_dim"
                    )
                self.identity_mean_, self.identity_components_ = _pca(F, id_dim)
                identity = ((F - self.identity_mean_) @ self.identity_components_).astype(
                    np.float32)
            if pos_dim:
                U, S, Vt = _svd(M, pos_dim, _sub_seed(self._seed, 3))
                self.singular_values_ = S.astype(np.float32)
                # M V S^(-1/2) = U S^(1/2): the map that also embeds new PPMI rows
                inv = np.where(S > 0, 1.0 / np.sqrt(np.where(S > 0, S, 1.0)), 0.0)
                self.position_components_ = (Vt.T * inv).astype(np.float64)
                position = (U * np.sqrt(S)).astype(np.float32)
        self.n_features_identity_ = 0 if not id_dim else self.identity_components_.shape[0]
        return identity, position

    def transform_statistics(self, F, M, *, part="joint"):
        """Embed rows from their statistics with the fitted maps: ``(F - mean)·components``
        and ``M·V·S^(-1/2)`` (``M``'s columns those the SVD was fitted on). O(rows·dim·F +
        nnz(M)·position_dim)."""
        m = (F if F is not None else M).shape[0]
        identity = np.zeros((m, 0), dtype=np.float32)
        position = np.zeros((m, 0), dtype=np.float32)
        if getattr(self, "identity_components_", None) is not None and F is not None:
            identity = ((F - self.identity_mean_) @ self.identity_components_).astype(np.float32)
        if getattr(self, "position_components_", None) is not None and M is not None:
            position = np.asarray(M @ self.position_components_, dtype=np.float32)
        return {"identity": identity, "position": position,
                "joint": _join(identity, position)}[part]

    def fit_transform(self, adjacency, y=None):
        """``fit(adjacency).embedding_``."""
        return self.fit(adjacency).embedding_

    def transform(self, adjacency, nodes=None, *, part="joint"):
        """Embed ``nodes`` of ``adjacency`` (a grown or different graph) with the fitted maps.

        Identity: the node's walk statistics on ``adjacency`` through the fitted PCA. Position:
        the co-occurrences of walks started at the node with the *fitted* graph's nodes (matched
        by node id; others count towards the node's total only), turned into a PPMI row with the
        fitted context counts and mapped by ``V S^(-1/2)``. For a fitted node on the fitted
        graph this estimates its fitted vector from fewer walks.

        Parameters
        ----------
        nodes : sequence of node ids, optional
            Default: every node of ``adjacency``.
        part : {"joint", "identity", "position"}

        Time: that of the statistics for ``len(nodes)`` start nodes. Memory O(len(nodes) ·
        features + edges).
        """
        if not hasattr(self, "embedding_"):
            raise ValueError("this IRWE instance is not fitted yet; call fit(graph) first")
        if part not in ("joint", "identity", "position"):
            raise ValueError(f"part must be 'joint', 'identity' or 'position', got {part!r}")
        g = as_csr(adjacency)
        rows = np.arange(g.n) if nodes is None else g.index_of(np.asarray(nodes))
        identity = np.zeros((len(rows), 0), dtype=np.float32)
        position = np.zeros((len(rows), 0), dtype=np.float32)
        if self.identity_.shape[1] and part in ("joint", "identity"):
            F = self._identity_stats(g, rows).features()
            identity = ((F - self.identity_mean_) @ self.identity_components_).astype(np.float32)
        if self.position_.shape[1] and part in ("joint", "position"):
            position = self._position_rows(g, rows)
        if part == "identity":
            return identity
        if part == "position":
            return position
        return _join(identity, position)

    def _position_rows(self, g, rows):
        sampler = _Sampler(g, self.p, self.q, rows, _sub_seed(self._seed, 4))
        n_walks = self.walks_per_node * len(rows)
        walks = np.empty((n_walks, self.walk_length + 1), dtype=sampler.dtype)
        lengths = np.empty(n_walks, dtype=np.int64)
        with threads(self.num_threads):
            sampler.fill(walks, lengths, 0, sampler.seed)
            w, u, c = _k.start_cooccurrence(walks, lengths, self.window)
        k = len(rows)
        start = w % k  # walk w starts at rows[w % k]
        row_total = np.bincount(start, weights=c, minlength=k).astype(np.float64)
        # map context nodes of g to the fitted nodes by id
        fitted = CSRGraph(np.zeros(len(self.node_ids_) + 1, np.int64), np.zeros(0, np.int32),
                          None, self.node_ids_)
        ctx_ids = g.node_ids[u]
        col = _lookup(fitted, ctx_ids)
        ok = col >= 0
        counts = sp.coo_array((c[ok].astype(np.float64), (start[ok], col[ok])),
                              shape=(k, len(self.node_ids_))).tocsr()
        M = _ppmi_rows(counts, row_total, self.context_counts_, self.context_total_,
                       float(self.negative))
        return np.asarray(M @ self.position_components_, dtype=np.float32)


def _blas_threads(num_threads):
    """Hold BLAS to the numba thread count while fitting (PCA, SVD): oversubscribing cores with
    two thread pools slows both down."""
    from threadpoolctl import threadpool_limits

    with threads(num_threads) as n:
        pass
    return threadpool_limits(limits=n, user_api="blas")


def _lookup(fitted, ids):
    """Row of each id in ``fitted`` or -1."""
    lookup = {v: i for i, v in enumerate(fitted.node_ids.tolist())}
    return np.array([lookup.get(v, -1) for v in ids.tolist()], dtype=np.int64)


def _join(identity, position):
    parts = [_normalize_rows(x) for x in (identity, position) if x.shape[1]]
    return np.ascontiguousarray(np.hstack(parts), dtype=np.float32)


def irwe(adjacency, *, dim=128, identity_dim=None, position_dim=None, steps=(2, 3, 4, 5, 6, 7),
         identity_walks=1000, degree_steps=2, walk_length=80, walks_per_node=20, window=2,
         negative=1.0, p=1.0, q=1.0, random_state=0, num_threads=None):
    """IRWE-style identity, position and joint node embeddings from random-walk statistics.

    Parameters
    ----------
    adjacency
        Anything :func:`graphembed.as_csr` accepts.
    dim : int, default 128
        Width of the joint embedding; split as ``identity_dim = dim // 2`` and
        ``position_dim = dim - identity_dim``; give one of the two and the other takes the rest
        of ``dim`` (0 skips a half); both given must add up to ``dim``.
    steps : sequence of int, default (2, ..., 7)
        Anonymous-walk lengths of the identity statistics (see :func:`walk_statistics`).
    identity_walks : int, default 1000
        Short walks per node for the identity statistics.
    degree_steps : int, default 2
        Include the log-degree profile of the nodes reached after 0..degree_steps steps.
    walk_length, walks_per_node, window : int, default 80, 20, 2
        Walks for the position statistics. Chosen on validation splits only (the training
        part of each shuffle split again; test parts never read) among windows 1, 2, 3, 5, 10
        and 10 or 20 walks per node, on BlogCatalog, with Cora as a second check
        (``bench/walks_validation.py``; README, walks section). DeepWalk's window of 10 gives a
        noisier PPMI from sampled walks on BlogCatalog; Cora prefers wider windows.
    negative : float, default 1.0
        PMI shift ``log(negative)`` (skip-gram's number of negative samples).
    p, q : float
        node2vec parameters used by every walk.
    random_state, num_threads
        Seed and numba threads.

    Returns
    -------
    IRWEResult
        ``identity`` = PCA (exact, on the Hellinger-transformed statistics) to ``identity_dim``;
        ``position`` = ``U sqrt(S)`` of a randomized rank-``position_dim`` SVD of the PPMI
        co-occurrence matrix; ``joint`` = both, each row-L2-normalised, side by side.

    Notes
    -----
    Time: identity O(n · identity_walks · max(steps)²) plus O(n · F²) for the PCA of F
    features (about 1,200 by default); position O(n · walks_per_node · walk_length · window ·
    log) for the co-occurrences plus the randomized SVD, O(nnz(PPMI) · position_dim). Memory
    O(n · F + nnz(PPMI)). The learned attention model of the IRWE paper is not implemented.

    Examples
    --------
    >>> import networkx as nx, graphembed as ge
    >>> res = ge.irwe(nx.karate_club_graph(), dim=16, identity_walks=200, walks_per_node=5)
    >>> res.identity.shape, res.position.shape, res.joint.shape
    ((34, 8), (34, 8), (34, 16))
    """
    g = as_csr(adjacency)
    model = IRWE(dim, identity_dim=identity_dim, position_dim=position_dim, steps=steps,
                 identity_walks=identity_walks, degree_steps=degree_steps,
                 walk_length=walk_length, walks_per_node=walks_per_node, window=window,
                 negative=negative, p=p, q=q, random_state=random_state,
                 num_threads=num_threads).fit(g)
    return IRWEResult(model.identity_, model.position_, model.embedding_, g.node_ids)


# -- registry adapters: f(graph, *, dim, random_state, num_threads, **params) -> (n, dim) ----------


def irwe_joint(graph, *, dim, random_state, num_threads, **params):
    """Registry method ``irwe``: the joint embedding of :func:`irwe`."""
    return irwe(graph, dim=dim, random_state=random_state, num_threads=num_threads,
                **params).joint


def irwe_identity(graph, *, dim, random_state, num_threads, **params):
    """Registry method ``irwe_identity``: the identity embedding alone, ``dim`` wide."""
    return irwe(graph, dim=dim, identity_dim=dim, position_dim=0, random_state=random_state,
                num_threads=num_threads, **params).identity


def irwe_position(graph, *, dim, random_state, num_threads, **params):
    """Registry method ``irwe_position``: the position (DeepWalk-equivalent PPMI) embedding."""
    return irwe(graph, dim=dim, identity_dim=0, position_dim=dim, random_state=random_state,
                num_threads=num_threads, **params).position
