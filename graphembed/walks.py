"""Random walks and the IRWE-style embeddings built from their statistics.

Three layers, each usable alone:

* **The sampler** — :func:`random_walks` / :func:`iter_random_walks`: uniform, weighted
  (probability proportional to the edge weight) and node2vec second-order walks (return
  parameter ``p``, in-out parameter ``q``) by rejection sampling, with O(edges) memory and one
  counter-based random stream per walk, so the walks are the same bytes for any thread count.
* **Statistics** — :func:`walk_statistics` (anonymous-walk histograms for several lengths,
  return and first-return probabilities, degrees met along the walk; one fused pass, no walk
  matrix stored) and :func:`cooccurrence` / :func:`ppmi` (windowed co-occurrence, the matrix
  DeepWalk factorises implicitly).
* **Embeddings** — :func:`irwe` and the :class:`IRWE` estimator: an *identity* embedding (PCA of
  Hellinger-transformed anonymous-walk and degree statistics: structural role, comparable across
  graphs), a *position* embedding (randomized SVD of the PPMI co-occurrence: community and
  proximity, a DeepWalk equivalent without skip-gram training) and their *joint* concatenation.
  New nodes are embedded with the fitted transforms (:meth:`IRWE.transform`).

The identity/position split follows Qin & Yeung, "IRWE: Inductive Random Walk for Joint
Inference of Identity and Position Network Embedding" (arXiv 2401.00651). Their learned attention
model is not implemented here; the embeddings come from the walk statistics and fixed linear
maps, hence "IRWE-style". Anonymous walks: Ivanov & Burnaev, ICML 2018. Co-occurrence PPMI and
its link to DeepWalk: Levy & Goldberg, NIPS 2014; Qiu et al. (NetMF), WSDM 2018.

Walk conventions
----------------
``walk_length`` counts *steps*: a walk has up to ``walk_length + 1`` nodes, the start node first.
A walk that reaches a node without out-edges (a dead end of a directed graph, or an isolated start
node) stops there: the rest of its row is ``-1`` and its length (number of nodes) is recorded.
Walk ``w = r * len(start_nodes) + i`` is the ``r``-th walk from the ``i``-th start node, and all of
its random numbers come from ``(random_state, w)``.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._kernels import walks as _k
from ._validation import check_float, check_int, check_seed, threads
from .graph import as_csr

__all__ = [
    "random_walks",
    "iter_random_walks",
    "WalkBlock",
    "walk_node_ids",
    "anonymous_walk_vocabulary",
    "anonymous_walk_vocabulary_size",
    "anonymous_walks",
    "walk_statistics",
    "WalkStatistics",
    "cooccurrence",
    "ppmi",
    "irwe",
    "IRWEResult",
    "IRWE",
]

WalkBlock = namedtuple("WalkBlock", ["walks", "lengths", "first_walk"])
WalkBlock.__doc__ = """A block of consecutive walks from :func:`iter_random_walks`.

walks : (k, walk_length + 1) int array of node indices, -1 after a dead end.
lengths : (k,) int64 number of nodes of each walk.
first_walk : int, the global id of the first walk of the block.
"""

#: Walks advanced together by the sampler (overlaps their memory accesses).
_BATCH = 32

#: Anonymous walks longer than this many steps are hashed into buckets by default.
DENSE_MAX_STEPS = 7


# ----------------------------------------------------------------------------------------------
# The sampler
# ----------------------------------------------------------------------------------------------


class _Sampler:
    """Validated graph arrays and walk parameters, ready for the kernels."""

    def __init__(self, adjacency, p, q, start_nodes, random_state):
        g = _require_edges(as_csr(adjacency))
        self.graph = g
        self.p = check_float("p", p, minimum=0, strict_min=True)
        self.q = check_float("q", q, minimum=0, strict_min=True)
        self.seed = check_seed("random_state", random_state)
        self.weighted = g.weights is not None
        if self.weighted:
            self.cumw = _k.row_cumsum(g.indptr, g.weights)
        else:
            self.cumw = np.zeros(0, dtype=np.float64)
        self.second_order = not (self.p == 1.0 and self.q == 1.0)
        self.inv_p = 1.0 / self.p
        self.inv_q = 1.0 / self.q
        self.max_alpha = max(self.inv_p, 1.0, self.inv_q)
        self.starts = _check_start_nodes(start_nodes, g.n)
        self.dtype = g.indices.dtype

    def args(self):
        return (self.graph.indptr, self.graph.indices, self.cumw, self.weighted,
                self.second_order, self.inv_p, self.inv_q, self.max_alpha)

    def fill(self, out, lengths, first_walk, seed):
        _k.sample_walks(*self.args(), self.starts, first_walk, np.uint64(seed), out, lengths,
                        _BATCH)


def _require_edges(g):
    if g.nnz == 0:
        raise ValueError(
            f"the graph has no edges ({g.n} nodes, 0 edges); random walks need at least one "
            "edge — check the input, or the directed/weight options used to read it"
        )
    return g


def _check_start_nodes(start_nodes, n):
    if start_nodes is None:
        return np.arange(n, dtype=np.int64)
    arr = np.asarray(start_nodes)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise TypeError(
            f"start_nodes must be a 1-D sequence of integer row indices, got {arr.dtype} array of "
            f"shape {arr.shape}; map node ids to rows with graph.index_of(ids)"
        )
    if arr.size == 0:
        raise ValueError("start_nodes is empty; pass at least one row index, or None for all nodes")
    bad = (arr < 0) | (arr >= n)
    if np.any(bad):
        raise ValueError(
            f"start_nodes holds {int(arr[np.argmax(bad)])}, outside the row range 0..{n - 1} of "
            f"this {n}-node graph; pass row indices (graph.index_of(ids) maps node ids to rows)"
        )
    return arr.astype(np.int64)


def random_walks(adjacency, *, walk_length=80, walks_per_node=10, p=1.0, q=1.0, start_nodes=None,
                 random_state=0, num_threads=None, return_lengths=False):
    """Sample random walks: uniform, weighted, or node2vec second-order.

    Parameters
    ----------
    adjacency
        Anything :func:`graphembed.as_csr` accepts. Directed graphs walk along out-edges; edge
        weights, if any, make a step's probability proportional to the weight.
    walk_length : int, default 80
        Steps per walk (each walk has up to ``walk_length + 1`` nodes).
    walks_per_node : int, default 10
        Walks started from each start node.
    p, q : float, default 1.0
        node2vec return and in-out parameters (both > 0). From ``c`` (reached from ``t``), a
        neighbour ``x`` is proposed by the first-order rule and accepted with probability
        ``alpha / max(1/p, 1, 1/q)``, ``alpha = 1/p`` if ``x == t``, ``1`` if ``x`` is a neighbour
        of ``t``, ``1/q`` otherwise. ``p = q = 1`` gives first-order walks.
    start_nodes : sequence of int, optional
        Row indices to start from (default: every node, in row order).
    random_state : int, default 0
        Seed; walk ``w`` uses the random stream ``(random_state, w)``.
    num_threads : int, optional
        numba threads for this call (default: numba's current setting). Does not change the output.
    return_lengths : bool, default False
        Also return the number of nodes of each walk.

    Returns
    -------
    walks : ndarray of int32 (int64 for graphs of 2**31 nodes or more), shape (walks_per_node *
        len(start_nodes), walk_length + 1)
        Row ``r * len(start_nodes) + i`` is the ``r``-th walk from ``start_nodes[i]``, as row
        indices of the graph (map them to ids with :func:`walk_node_ids`); ``-1`` after a dead end.
    lengths : ndarray of int64, only if ``return_lengths``

    Notes
    -----
    Time O(walks · walk_length) for first-order walks (weighted: times log degree for the binary
    search in the row's cumulative weights); node2vec multiplies that by the expected number of
    proposals per step, at most ``max(1/p, 1, 1/q) / min(1/p, 1, 1/q)``, and a
    log-degree search in the previous node's row per proposal. Memory: the output, plus O(edges)
    float64 cumulative weights for weighted graphs; nothing per step. Use
    :func:`iter_random_walks` to stream walks in blocks instead of holding them all.

    Examples
    --------
    >>> import numpy as np, graphembed as ge
    >>> g = ge.as_csr((np.array([0, 1, 2]), np.array([1, 2, 3])))  # a path 0-1-2-3
    >>> W = ge.random_walks(g, walk_length=4, walks_per_node=2, random_state=1)
    >>> W.shape, bool(np.all(np.abs(np.diff(W, axis=1)) == 1))
    ((8, 5), True)
    """
    sampler = _Sampler(adjacency, p, q, start_nodes, random_state)
    walk_length = check_int("walk_length", walk_length, minimum=1)
    walks_per_node = check_int("walks_per_node", walks_per_node, minimum=1)
    n_walks = walks_per_node * len(sampler.starts)
    out = np.empty((n_walks, walk_length + 1), dtype=sampler.dtype)
    lengths = np.empty(n_walks, dtype=np.int64)
    with threads(num_threads):
        sampler.fill(out, lengths, 0, sampler.seed)
    return (out, lengths) if return_lengths else out


def iter_random_walks(adjacency, *, walk_length=80, walks_per_node=10, p=1.0, q=1.0,
                      start_nodes=None, random_state=0, num_threads=None, block_size=65536):
    """Stream the walks of :func:`random_walks` in blocks of ``block_size`` consecutive walks.

    Yields :class:`WalkBlock` ``(walks, lengths, first_walk)``; concatenating the blocks gives
    exactly ``random_walks(...)`` with the same arguments, whatever ``block_size`` and
    ``num_threads``. Arguments are validated before the first block is produced.

    Time: that of :func:`random_walks`. Memory: one block, ``block_size * (walk_length + 1)``
    integers (the array is reused between blocks: copy it to keep it).

    Examples
    --------
    >>> import numpy as np, graphembed as ge
    >>> g = ge.as_csr((np.array([0, 1, 2]), np.array([1, 2, 0])))
    >>> blocks = list(ge.walks.iter_random_walks(g, walk_length=3, walks_per_node=5, block_size=4))
    >>> [b.first_walk for b in blocks], sum(len(b.walks) for b in blocks)
    ([0, 4, 8, 12], 15)
    """
    sampler = _Sampler(adjacency, p, q, start_nodes, random_state)
    walk_length = check_int("walk_length", walk_length, minimum=1)
    walks_per_node = check_int("walks_per_node", walks_per_node, minimum=1)
    block_size = check_int("block_size", block_size, minimum=1)
    n_walks = walks_per_node * len(sampler.starts)
    return _blocks(sampler, n_walks, walk_length, block_size, num_threads)


def _blocks(sampler, n_walks, walk_length, block_size, num_threads, seed=None):
    seed = sampler.seed if seed is None else seed
    size = min(block_size, n_walks)
    buf = np.empty((size, walk_length + 1), dtype=sampler.dtype)
    lbuf = np.empty(size, dtype=np.int64)
    for first in range(0, n_walks, block_size):
        k = min(block_size, n_walks - first)
        out, lengths = buf[:k], lbuf[:k]
        with threads(num_threads):
            sampler.fill(out, lengths, first, seed)
        yield WalkBlock(out, lengths, first)


def walk_node_ids(walks, graph, lengths=None):
    """The walks as lists of node ids (padding dropped). O(total walk length) Python objects.

    >>> import numpy as np, graphembed as ge
    >>> g = ge.as_csr((np.array(["a", "b"]), np.array(["b", "c"])))
    >>> ge.walks.walk_node_ids(np.array([[0, 1, 2], [2, 1, -1]]), g)
    [['a', 'b', 'c'], ['c', 'b']]
    """
    ids = as_csr(graph).node_ids
    walks = np.asarray(walks)
    if lengths is None:
        lengths = (walks >= 0).sum(axis=1)
    return [ids[w[:L]].tolist() for w, L in zip(walks, lengths)]


# ----------------------------------------------------------------------------------------------
# Anonymous walks
# ----------------------------------------------------------------------------------------------


def anonymous_walk_vocabulary(steps, *, self_loops=False):
    """All anonymous walks of ``steps`` steps, in the order of their codes.

    An anonymous walk relabels a walk's nodes by order of first appearance (a→b→c→b becomes
    0,1,2,1). Without self-loops consecutive labels differ and there are B(steps) of them (Bell
    numbers 1, 2, 5, 15, 52, 203, 877, 4140 for 1..8 steps); with self-loops B(steps + 1).
    Time and memory O(vocabulary · steps).

    >>> from graphembed.walks import anonymous_walk_vocabulary
    >>> anonymous_walk_vocabulary(2)
    [(0, 1, 0), (0, 1, 2)]
    """
    steps = check_int("steps", steps, minimum=1, maximum=12)
    out = []

    def extend(prefix, m):
        if len(prefix) == steps + 1:
            out.append(tuple(prefix))
            return
        for a in range(m + 1):
            if a == prefix[-1] and not self_loops:
                continue
            extend(prefix + [a], m + 1 if a == m else m)

    extend([0], 1)
    return out


def anonymous_walk_vocabulary_size(steps, *, self_loops=False):
    """Number of anonymous walks of ``steps`` steps (B(steps), or B(steps + 1) with self-loops).

    >>> [anonymous_walk_vocabulary_size(s) for s in range(1, 9)]
    [1, 2, 5, 15, 52, 203, 877, 4140]
    """
    steps = check_int("steps", steps, minimum=1, maximum=60)
    return int(_k.completion_counts(steps, bool(self_loops))[steps, 1])


def anonymous_walks(walks, steps, *, lengths=None, self_loops=False, buckets=0):
    """Code of the anonymous walk formed by the first ``steps`` steps of each walk.

    Codes index :func:`anonymous_walk_vocabulary` (``buckets=0``), or are hashed into
    ``0..buckets-1``; walks shorter than ``steps`` get -1. Time O(walks · steps²), memory
    O(walks).

    >>> import numpy as np
    >>> from graphembed.walks import anonymous_walks
    >>> anonymous_walks(np.array([[5, 7, 5], [5, 7, 9], [5, -1, -1]]), 2).tolist()
    [0, 1, -1]
    """
    walks = np.ascontiguousarray(walks, dtype=np.int64)
    if walks.ndim != 2:
        raise ValueError(f"walks must be a 2-D array (one walk per row), got shape {walks.shape}")
    steps = check_int("steps", steps, minimum=1, maximum=walks.shape[1] - 1 if walks.size else 1)
    buckets = check_int("buckets", buckets, minimum=0, maximum=2**32 - 1)
    if lengths is None:
        lengths = (walks >= 0).sum(axis=1)
    lengths = np.asarray(lengths, dtype=np.int64)
    D = _k.completion_counts(steps if buckets == 0 else 1, bool(self_loops))
    return _k.anonymous_codes(walks, lengths, steps, D, bool(self_loops), buckets)


@dataclass
class WalkStatistics:
    """Per-start-node statistics of short random walks (see :func:`walk_statistics`).

    anonymous : dict steps -> (n_start, vocabulary or buckets) float32
        Fraction of the node's walks whose first ``steps`` steps form each anonymous walk.
    returns : (n_start, max_steps) float32
        ``returns[i, t - 1]``: fraction of walks at their start node after ``t`` steps.
    first_returns : (n_start, max_steps) float32
        Fraction whose first return happens at step ``t``.
    degrees : (n_start, (degree_steps + 1) * degree_bins) float32
        Fraction of walks at a node of each log-degree bin after 0..degree_steps steps.
    """

    anonymous: dict
    returns: np.ndarray
    first_returns: np.ndarray
    degrees: np.ndarray
    walks_per_node: int
    self_loops: bool

    def features(self):
        """Hellinger (square-root) features, concatenated: (n_start, n_features) float64."""
        parts = [np.sqrt(self.anonymous[s].astype(np.float64)) for s in sorted(self.anonymous)]
        parts += [np.sqrt(self.returns.astype(np.float64)),
                  np.sqrt(self.first_returns.astype(np.float64)),
                  np.sqrt(self.degrees.astype(np.float64))]
        return np.hstack(parts)


def degree_bin(degrees, n_bins):
    """Log-degree bin of each degree: ``floor(2 log2(1 + d))`` capped at ``n_bins - 1``."""
    d = np.asarray(degrees, dtype=np.float64)
    return np.minimum(np.floor(2.0 * np.log2(1.0 + d)), n_bins - 1).astype(np.int64)


def _check_steps(steps):
    """``steps`` (an int or a sequence) as a sorted tuple of distinct ints in 1..64."""
    if isinstance(steps, (int, np.integer)) and not isinstance(steps, bool):
        steps = (int(steps),)
    steps = tuple(sorted({check_int("steps", s, minimum=1, maximum=64) for s in steps}))
    if not steps:
        raise ValueError("steps is empty; pass at least one anonymous-walk length, e.g. (2, 3, 4)")
    return steps


def _has_self_loops(g):
    """Whether the CSR graph ``g`` stores an arc from a node to itself. O(nnz)."""
    return bool(np.any(g.indices == np.repeat(np.arange(g.n), np.diff(g.indptr))))


def _anonymous_layout(steps, dense_max, buckets, self_loops):
    """``D, widths, codes`` of the anonymous-walk histograms of :func:`walk_statistics`: the
    completion counts, each length's number of bins (its whole vocabulary up to ``dense_max``
    steps, else ``buckets``) and its hashing (0: exact rank, else the bucket count)."""
    D = _k.completion_counts(min(steps[-1], dense_max), self_loops)
    widths, codes = [], []
    for s in steps:
        if s <= dense_max:
            widths.append(int(D[s, 1]))
            codes.append(0)
        else:
            widths.append(buckets)
            codes.append(buckets)
    return D, widths, codes


def _features_width(steps, *, self_loops, degree_steps=2, degree_bins=32, dense_max_steps=None,
                    buckets=1024):
    """Columns of :meth:`WalkStatistics.features` for these :func:`walk_statistics` arguments,
    known before any walk (``self_loops``: whether the graph has one). O(max(steps)²)."""
    steps = _check_steps(steps)
    dense_max = DENSE_MAX_STEPS if dense_max_steps is None else dense_max_steps
    _, widths, _ = _anonymous_layout(steps, dense_max, buckets, self_loops)
    return sum(widths) + 2 * steps[-1] + (degree_steps + 1) * degree_bins


def walk_statistics(adjacency, *, steps=(2, 3, 4, 5, 6, 7), walks_per_node=1000, p=1.0, q=1.0,
                    start_nodes=None, random_state=0, num_threads=None, dense_max_steps=None,
                    buckets=1024, degree_steps=2, degree_bins=32, streams="walk"):
    """Anonymous-walk histograms, return probabilities and degree profiles, in one fused pass.

    Each start node runs ``walks_per_node`` walks of ``max(steps)`` steps — exactly the walks of
    :func:`random_walks` with ``walk_length=max(steps)`` — and every prefix of a walk counts
    towards the histogram of its length, so all lengths cost one pass. No walk matrix is stored.

    Parameters
    ----------
    adjacency, p, q, start_nodes, random_state, num_threads
        As in :func:`random_walks`.
    steps : int or sequence of int, default (2, ..., 7)
        Anonymous-walk lengths (in steps) to histogram.
    walks_per_node : int, default 1000
        Walks per start node; a frequency's standard error is about ``sqrt(f (1 - f) / walks)``.
    dense_max_steps : int, default 7
        Lengths up to this are histogrammed over their full vocabulary (B(7) = 877 bins); longer
        ones are hashed into ``buckets`` bins.
    degree_steps, degree_bins : int
        Histogram the log-degree bin (``floor(2 log2(1 + out-degree))``) of the node reached
        after 0..degree_steps steps (``degree_steps=-1`` turns it off).
    streams : {"walk", "node"}
        ``"walk"``: walk ``r * n_start + i`` uses the stream ``(random_state, walk id)``, as in
        :func:`random_walks`. ``"node"``: the ``r``-th walk of a node uses a stream keyed by
        ``(random_state, node id, r)``, so a node's statistics do not depend on the other start
        nodes, the row order or the graph it sits in (what inductive use and partitioning need).

    Returns
    -------
    WalkStatistics

    Notes
    -----
    Time O(n_start · walks_per_node · max_steps²) (labelling and coding each prefix is
    O(max_steps)), plus node2vec rejection costs as in :func:`random_walks`. Memory: the
    returned arrays, O(n_start · total bins) float32.

    Examples
    --------
    >>> import networkx as nx, graphembed as ge
    >>> st = ge.walks.walk_statistics(nx.cycle_graph(5), steps=(2,), walks_per_node=400)
    >>> st.anonymous[2].shape, float(st.returns[0, 1]) == float(st.anonymous[2][0, 0])
    ((5, 2), True)
    """
    sampler = _Sampler(adjacency, p, q, start_nodes, random_state)
    g = sampler.graph
    steps = _check_steps(steps)
    walks_per_node = check_int("walks_per_node", walks_per_node, minimum=1)
    dense_max = DENSE_MAX_STEPS if dense_max_steps is None else dense_max_steps
    dense_max = check_int("dense_max_steps", dense_max, minimum=1, maximum=10)
    buckets = check_int("buckets", buckets, minimum=1, maximum=2**31 - 1)
    degree_steps = check_int("degree_steps", degree_steps, minimum=-1, maximum=64)
    degree_bins = check_int("degree_bins", degree_bins, minimum=1, maximum=1024)
    if streams not in ("walk", "node"):
        raise ValueError(f"streams must be 'walk' or 'node', got {streams!r}")
    keys = g.node_keys()[sampler.starts] if streams == "node" else np.zeros(0, np.uint64)
    self_loops = _has_self_loops(g)
    max_steps = steps[-1]
    D, widths, codes = _anonymous_layout(steps, dense_max, buckets, self_loops)
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    n_start = len(sampler.starts)
    hist = np.zeros((n_start, int(offsets[-1])), dtype=np.int32)
    returns = np.zeros((n_start, max_steps), dtype=np.int32)
    first = np.zeros((n_start, max_steps), dtype=np.int32)
    dbins = degree_bin(np.diff(g.indptr), degree_bins)
    dhist = np.zeros((n_start, (degree_steps + 1) * degree_bins), dtype=np.int32)
    with threads(num_threads):
        _k.walk_statistics(*sampler.args(), sampler.starts, walks_per_node, max_steps,
                           np.uint64(sampler.seed), np.array(steps, dtype=np.int64), offsets,
                           np.array(codes, dtype=np.int64), D, self_loops, hist, returns, first,
                           dbins, degree_bins, dhist, keys)
    scale = np.float32(1.0 / walks_per_node)
    anonymous = {s: hist[:, offsets[k]:offsets[k + 1]] * scale for k, s in enumerate(steps)}
    return WalkStatistics(anonymous, returns * scale, first * scale, dhist * scale,
                          walks_per_node, self_loops)


# ----------------------------------------------------------------------------------------------
# Co-occurrence and PPMI
# ----------------------------------------------------------------------------------------------


def cooccurrence(adjacency, *, window=10, walk_length=80, walks_per_node=10, p=1.0, q=1.0,
                 random_state=0, num_threads=None, block_size=None):
    """Windowed co-occurrence counts of random walks: a symmetric sparse (n, n) matrix.

    Entry (u, v) counts the pairs of positions ``t, t + d`` (``1 <= d <= window``) of a walk
    holding u and v, in either order, over ``walks_per_node`` walks from every node. This is the
    corpus statistic whose shifted PMI skip-gram factorises (Levy & Goldberg 2014; NetMF).

    Walks are streamed in blocks; each block's pairs are listed in walk order (threads fill
    fixed slots) and summed into a sparse matrix; counts are integers held exactly in float64,
    so the result is identical for any thread count.

    Time O(W · L · window) for W walks of L steps (plus sorting each row's pairs); memory
    O(block pairs + nonzeros of the result), never the whole walk set.

    Returns
    -------
    scipy.sparse.csr_array of float64, shape (n, n)

    Examples
    --------
    >>> import networkx as nx, graphembed as ge
    >>> C = ge.walks.cooccurrence(nx.path_graph(3), window=1, walk_length=4, walks_per_node=1)
    >>> float(C.sum()) == 2 * 3 * 4, bool((C != C.T).nnz == 0)
    (True, True)
    """
    sampler = _Sampler(adjacency, p, q, None, random_state)
    window = check_int("window", window, minimum=1)
    walk_length = check_int("walk_length", walk_length, minimum=1)
    walks_per_node = check_int("walks_per_node", walks_per_node, minimum=1)
    n = sampler.graph.n
    n_walks = walks_per_node * n
    if block_size is None:
        block_size = max(1, (1 << 22) // (walk_length * min(window, walk_length)))
    block_size = check_int("block_size", block_size, minimum=1)
    total = sp.csr_array((n, n), dtype=np.float64)
    for block in _blocks(sampler, n_walks, walk_length, block_size, num_threads):
        with threads(num_threads):
            rows, cols = _k.window_pairs(block.walks, block.lengths, window)
        part = sp.coo_array((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
        part.sum_duplicates()
        total = total + part
    total = (total + total.T).tocsr()
    total.sort_indices()
    return total


def ppmi(counts, *, negative=1.0):
    """Positive (shifted) pointwise mutual information of a co-occurrence matrix.

    ``max(0, log(C_uv · T / (C_u · C_v)) - log(negative))`` with ``C_u`` the row sums and ``T``
    the total; zero rows stay zero. Time and memory O(nonzeros).

    >>> import numpy as np, scipy.sparse as sp
    >>> from graphembed.walks import ppmi
    >>> M = ppmi(sp.csr_array(np.array([[0., 2.], [2., 0.]])))
    >>> np.round(M.toarray(), 3).tolist()
    [[0.0, 0.693], [0.693, 0.0]]
    """
    negative = check_float("negative", negative, minimum=0, strict_min=True)
    C = sp.csr_array(counts, dtype=np.float64)
    row = np.asarray(C.sum(axis=1)).ravel()
    col = np.asarray(C.sum(axis=0)).ravel()
    return _ppmi_rows(C, row, col, float(row.sum()), negative)


def _ppmi_rows(C, row, col, total, negative):
    """PPMI of the rows of ``C`` given row sums ``row``, column sums ``col`` and the total."""
    C = C.tocoo()
    r, c, x = C.row, C.col, C.data
    keep = (x > 0) & (col[c] > 0) & (row[r] > 0)
    r, c, x = r[keep], c[keep], x[keep]
    val = np.log(x * total / (row[r] * col[c])) - math.log(negative)
    pos = val > 0
    out = sp.coo_array((val[pos], (r[pos], c[pos])), shape=C.shape).tocsr()
    out.sort_indices()
    return out


# the IRWE embeddings live in graphembed.irwe; their names stay importable from here
from .irwe import (  # noqa: E402,F401
    IRWE,
    IRWEResult,
    _blas_threads,
    _join,
    _lookup,
    _normalize_rows,
    _pca,
    _sub_seed,
    _svd,
    irwe,
    irwe_identity,
    irwe_joint,
    irwe_position,
)
