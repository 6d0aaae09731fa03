"""Graphlet orbit adjacency matrices, graphlet degree vectors and an embedding built on them.

For graphlets on 2-4 nodes (Pržulj's numbering of graphlets G0-G8 and orbits 0-14, the one ORCA
uses) and an ordered key ``(h, i, j)``::

    A[h,i,j][u, v] = number of node sets S, 2 <= |S| <= 4, with G[S] connected, u and v in S,
                     u on orbit i of G[S], v on orbit j of G[S], and distance(u, v) inside G[S] = h.

There are 28 keys: 19 with h = 1 (non-zero only on edges of G), 8 with h = 2 (non-zero only on
pairs at distance 2 in G) and (3, 4, 4) (pairs at distance 2 or 3; nearly dense on hub-heavy
graphs, hence optional). ``A[h,j,i]`` is the transpose of ``A[h,i,j]``; the diagonal is zero.
Summing row u of a key gives ``m(h,i,j) · GDV[u, i]``, where GDV is the graphlet degree vector
(:func:`orbit_counts`) and m is :data:`MULTIPLICITY`.

Graph model
-----------
The graph is taken as *simple and undirected*: every input goes through
:func:`graphembed.as_csr`; directed graphs are symmetrised (an arc in either direction is an
edge), weights are ignored (any stored entry with a non-zero weight is an edge), self-loops and
duplicate edges are dropped. Isolated nodes get empty rows and zero orbit counts.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ._kernels import orbits as _k
from ._memory import orbits_bytes
from ._validation import check_choice, check_int, check_memory, check_seed, threads
from .graph import as_csr

__all__ = ["KEYS", "MULTIPLICITY", "OrbitAdjacency", "orbit_adjacency", "orbit_counts",
           "orbit_embedding"]

KEYS = _k.H1_KEYS + _k.H2_KEYS + (_k.H3_KEY,)
"""All 28 keys (h, i, j): the 19 with h = 1, the 8 with h = 2, then (3, 4, 4)."""

MULTIPLICITY = {
    (1, 0, 0): 1, (1, 1, 2): 1, (1, 2, 1): 2, (2, 1, 1): 1, (1, 3, 3): 2,
    (1, 4, 5): 1, (1, 5, 4): 1, (1, 5, 5): 1, (2, 4, 5): 1, (2, 5, 4): 1, (3, 4, 4): 1,
    (1, 6, 7): 1, (1, 7, 6): 3, (2, 6, 6): 2, (1, 8, 8): 2, (2, 8, 8): 1,
    (1, 9, 11): 1, (1, 11, 9): 1, (1, 10, 10): 1, (1, 10, 11): 1, (1, 11, 10): 2,
    (2, 9, 10): 2, (2, 10, 9): 1, (1, 12, 13): 2, (1, 13, 12): 2, (1, 13, 13): 1,
    (2, 12, 12): 1, (1, 14, 14): 3,
}
"""m(h, i, j): how many j-partners at distance h one orbit-i node has in one graphlet."""

_KEY_SET = frozenset(KEYS)


def _parse_key(key):
    if isinstance(key, str):
        parts = key.replace("(", "").replace(")", "").replace(" ", "").split(",")
        try:
            key = tuple(int(p) for p in parts)
        except ValueError:
            key = None
    else:
        try:
            key = tuple(int(p) for p in key)
        except (TypeError, ValueError):
            key = None
    return key


def _keys(keys, include_hop3):
    """The requested keys in canonical order (a tuple of (h, i, j))."""
    if not isinstance(include_hop3, (bool, np.bool_)):
        raise TypeError(f"include_hop3 must be True or False, got {include_hop3!r}")
    if keys is None:
        return KEYS if include_hop3 else KEYS[:-1]
    if include_hop3:
        raise ValueError(
            "include_hop3=True only applies when keys=None; list (3, 4, 4) in keys instead"
        )
    if isinstance(keys, (str, tuple)) and _parse_key(keys) in _KEY_SET:
        keys = [keys]
    wanted = set()
    for key in keys:
        parsed = _parse_key(key)
        if parsed not in _KEY_SET:
            raise ValueError(
                f"keys holds {key!r}, which is not an orbit adjacency key; keys are (h, i, j) "
                f"tuples or 'h,i,j' strings from graphembed.orbits.KEYS, e.g. (1, 1, 2)"
            )
        wanted.add(parsed)
    if not wanted:
        raise ValueError("keys must name at least one key, got an empty list; pass keys=None "
                         "for all of them")
    return tuple(k for k in KEYS if k in wanted)


def _simple_pattern(adjacency):
    """(graph, indptr int64, indices) of the simple undirected graph underlying ``adjacency``."""
    g = as_csr(adjacency)
    n = g.n
    indptr, indices = g.indptr, g.indices
    rows = np.repeat(np.arange(n, dtype=indices.dtype), np.diff(indptr))
    loops = indices == rows
    if g.directed or loops.any():
        keep = ~loops
        r = np.concatenate([rows[keep], indices[keep]])
        c = np.concatenate([indices[keep], rows[keep]])
        s = sp.csr_array((np.ones(r.size, np.int8), (r, c)), shape=(n, n))
        s.sum_duplicates()
        s.sort_indices()
        indptr = s.indptr.astype(np.int64)
        indices = s.indices.astype(g.indices.dtype)
    return g, np.ascontiguousarray(indptr), np.ascontiguousarray(indices)


def _bounds(indptr, indices, deg, parts):
    """Row ranges of roughly equal work (sum of the neighbours' degrees), ``parts`` of them."""
    n = indptr.size - 1
    if n == 0:
        return np.zeros(1, np.int64)
    work = (deg + 1 + _row_sums(indptr, deg[indices])).astype(np.float64)
    cum = np.cumsum(work)
    parts = max(1, min(parts, n))
    targets = cum[-1] * np.arange(1, parts) / parts
    cuts = np.searchsorted(cum, targets, side="left") + 1
    bounds = np.unique(np.concatenate([[0], np.clip(cuts, 0, n), [n]]))
    return bounds.astype(np.int64)


def _row_sums(indptr, values):
    """Per-row sums of ``values`` aligned to the slots of a CSR pattern (int64)."""
    csum = np.zeros(values.size + 1, np.int64)
    np.cumsum(values, out=csum[1:])
    return csum[indptr[1:]] - csum[indptr[:-1]]


class _Prepared:
    """The simple graph with its per-edge and per-node quantities (shared by every stage)."""

    def __init__(self, adjacency, nthreads, timings=None):
        clock = _Clock(timings)
        self.graph, self.indptr, self.indices = _simple_pattern(adjacency)
        clock("simple graph")
        self.n = self.indptr.size - 1
        self.deg = np.diff(self.indptr).astype(np.int64)
        # several row ranges per thread balance the load; each range clears O(n) scratch, so
        # their number stays below the average degree (scratch work <= a pass over the edges)
        parts = max(nthreads, min(8 * nthreads, self.indices.size // max(self.n, 1)))
        self.bounds = _bounds(self.indptr, self.indices, self.deg, parts)
        self.tri = _k.edge_triangles(self.indptr, self.indices, self.bounds)
        self.tnode = _row_sums(self.indptr, self.tri) // 2
        self.d1 = _row_sums(self.indptr, self.deg[self.indices])
        clock("triangles")


def _csr(values, indices, indptr, n):
    """A csr_array over the given arrays without copying the big ones.

    scipy gives ``indices`` and ``indptr`` one common dtype; int32 ``indptr`` keeps int32
    ``indices`` as they are (int64 only when the non-zeros or nodes need it).
    """
    if indptr[-1] < 2**31 - 1 and indices.dtype == np.int32:
        indptr = indptr.astype(np.int32)
    else:
        indices = indices.astype(np.int64, copy=False)
    return sp.csr_array((values, indices, indptr), shape=(n, n))


def _compact(values, indptr, indices, n):
    """A CSR array holding only the non-zeros of ``values`` laid out on (indptr, indices).

    Without zeros, ``values`` itself becomes the data; the index arrays are always the matrix's
    own (a shared one would let an in-place change to one matrix corrupt the others).
    """
    new_indptr, new_indices, new_values = _k.compact_rows(values, indptr, indices)
    if new_indices is indices:
        new_indptr, new_indices = indptr.copy(), indices.copy()
    return _csr(new_values, new_indices, new_indptr, n)


def _save_npz(path, arrays, overwrite):
    """Write ``arrays`` (``node_ids`` among them) to a compressed .npz: a temporary file beside
    the target renamed into place, never replacing an existing file unless ``overwrite``."""
    import tempfile

    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise ValueError(f"orbit files are .npz, got {os.fspath(path)!r}; use a name ending "
                         "in .npz")
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{path} already exists; pass overwrite=True (CLI: --overwrite) to replace it")
    ids = np.asarray(arrays["node_ids"])
    if ids.dtype.kind not in "iuU":
        ids = np.array([str(v) for v in ids.tolist()], dtype=str)
    arrays = dict(arrays, node_ids=ids)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


class OrbitAdjacency(dict):
    """A dict ``{(h, i, j): scipy.sparse.csr_array of int64}`` with the graph's ``node_ids``.

    Row and column ``r`` of every matrix is the node ``node_ids[r]``.
    """

    def __init__(self, matrices, node_ids):
        super().__init__(matrices)
        self.node_ids = node_ids

    def save(self, path, *, overwrite=False):
        """Write every matrix and the node ids to one compressed ``.npz`` file, atomically.

        Arrays: ``node_ids``, ``keys`` (k, 3), and per key ``"h_i_j.indptr"``, ``.indices``,
        ``.data``. Raises FileExistsError unless ``overwrite``. O(total non-zeros).
        """
        arrays = {"node_ids": self.node_ids,
                  "keys": np.array(sorted(self), dtype=np.int64).reshape(-1, 3)}
        for key, m in self.items():
            name = "_".join(map(str, key))
            arrays[f"{name}.indptr"] = m.indptr
            arrays[f"{name}.indices"] = m.indices
            arrays[f"{name}.data"] = m.data
        return _save_npz(path, arrays, overwrite)

    @classmethod
    def load(cls, path):
        """Read a file written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            ids = z["node_ids"]
            n = len(ids)
            out = {}
            for key in z["keys"]:
                key = tuple(int(x) for x in key)
                name = "_".join(map(str, key))
                out[key] = sp.csr_array(
                    (z[f"{name}.data"], z[f"{name}.indices"], z[f"{name}.indptr"]), shape=(n, n))
        return cls(out, ids)


def orbit_adjacency(adjacency, *, keys=None, include_hop3=False, num_threads=None):
    """Graphlet orbit adjacency matrices of a graph (graphlets on 2-4 nodes).

    Parameters
    ----------
    adjacency : graph
        Anything :func:`graphembed.as_csr` accepts. Taken as simple and undirected: arcs are
        symmetrised, weights ignored, self-loops and duplicates dropped.
    keys : iterable of (h, i, j), optional
        The keys to compute (tuples or ``"h,i,j"`` strings from :data:`KEYS`). Default: the 27
        keys with h <= 2, plus (3, 4, 4) if ``include_hop3``.
    include_hop3 : bool, default False
        With ``keys=None``, also compute (3, 4, 4). Off by default because that matrix lives on
        the pairs at distance 2 and 3, which is nearly all pairs on hub-heavy graphs.
    num_threads : int, optional
        numba threads (default: numba's current setting). The result does not depend on it.

    Returns
    -------
    OrbitAdjacency
        A dict from key to an (n, n) ``scipy.sparse.csr_array`` of int64 counts with sorted
        indices and no explicit zeros, rows in the order of ``.node_ids``.

    Notes
    -----
    Time: O(Σ_u deg(u)² + T) for the h <= 2 keys: one pass over the 2-paths out of each node,
    plus T, the sum over the triangles at each node of the smaller degree of the other two
    (small on sparse graphs, the 4-clique cost on dense ones); and O(Σ_u Σ_{y at distance 2}
    deg(y)) twice more for (3, 4, 4).
    Memory: the output (h = 1 keys hold one value per edge, h = 2 keys one per pair at distance
    2) plus O(n) scratch per thread; never an n × n array.

    Examples
    --------
    >>> import networkx as nx
    >>> M = orbit_adjacency(nx.path_graph(4))
    >>> M[1, 4, 5].toarray().tolist()   # end node -> its inner neighbour, in a 4-node path
    [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]]
    >>> int(M[2, 1, 1].sum())             # 2 paths of 3 nodes, each counted from both ends
    4
    """
    wanted = _keys(keys, include_hop3)
    with threads(num_threads) as nt:
        prep = _Prepared(adjacency, nt)
        return _orbit_matrices(prep, wanted)


def _orbit_matrices(prep, wanted, timings=None):
    """The matrices of ``wanted`` keys; ``timings`` (a dict) receives seconds per stage."""
    clock = _Clock(timings)
    n, indptr, indices = prep.n, prep.indptr, prep.indices
    hop3 = _k.H3_KEY in wanted
    h1_keys = [k for k in _k.H1_KEYS if k in wanted]
    h2_keys = [k for k in _k.H2_KEYS if k in wanted]
    if hop3:  # (3, 4, 4) is built from (2, 1, 1) and (2, 9, 10)
        h2_keys = [k for k in _k.H2_KEYS if k in wanted or k in ((2, 1, 1), (2, 9, 10))]
    h2_indptr = np.zeros(n + 1 if h2_keys else 1, np.int64)
    if h2_keys:
        np.cumsum(_k.distance2_counts(indptr, indices, prep.bounds), out=h2_indptr[1:])
        clock("distance-2 pattern")
    nnz2 = int(h2_indptr[-1])
    h2_idx = np.empty(nnz2 if h2_keys else 0, indices.dtype)
    # one array per key (length 0 for keys left out), so each can be freed on its own
    empty = np.zeros(0, np.int64)
    h1 = [np.empty(indices.size, np.int64) if k in h1_keys else empty for k in _k.H1_KEYS]
    h2 = [np.empty(nnz2, np.int64) if k in h2_keys else empty for k in _k.H2_KEYS]
    _k.orbit_rows(indptr, indices, prep.tri, prep.deg, prep.tnode, prep.d1, prep.bounds,
                  tuple(h1), tuple(h2), h2_indptr, h2_idx)
    clock("h<=2 counts")
    out = {}
    for r, key in enumerate(_k.H1_KEYS):
        if key in h1_keys:
            out[key] = _compact(h1[r], indptr, indices, n)
        h1[r] = None
    if hop3:
        w211 = h2[_k.H2_KEYS.index((2, 1, 1))]
        e910 = h2[_k.H2_KEYS.index((2, 9, 10))]
    for r, key in enumerate(_k.H2_KEYS):
        if key in wanted:
            out[key] = _compact(h2[r], h2_indptr, h2_idx, n)
        h2[r] = None
    clock("sparse arrays h<=2")
    if hop3:
        counts = _k.hop3_counts(indptr, indices, h2_indptr, h2_idx, w211, e910, prep.bounds)
        h3_indptr = np.zeros(n + 1, np.int64)
        np.cumsum(counts, out=h3_indptr[1:])
        del counts
        clock("h=3 pattern")
        h3_idx, h3_val = _k.hop3_fill(indptr, indices, h2_indptr, h2_idx, w211, e910,
                                      prep.bounds, h3_indptr)
        out[_k.H3_KEY] = _csr(h3_val, h3_idx, h3_indptr, n)
        clock("h=3 counts")
    return OrbitAdjacency({k: out[k] for k in wanted}, prep.graph.node_ids)


class _Clock:
    """Records seconds since the previous call, and the peak RSS so far, per stage name.

    A no-op without a dict. ``timings[stage] = {"seconds": s, "peak_rss_mb": p, "rss_mb": r}``:
    the process's resident-set high-water mark so far (``getrusage``) and its current resident
    set (``/proc/self/statm``), where the platform has them.
    """

    def __init__(self, timings):
        import time

        self.timings = timings
        self.now = time.perf_counter
        self.last = self.now()

    def __call__(self, stage):
        if self.timings is None:
            return
        t = self.now()
        entry = self.timings.setdefault(stage, {"seconds": 0.0})
        entry["seconds"] += t - self.last
        try:
            import resource
            import sys

            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            entry["peak_rss_mb"] = rss / (2**20 if sys.platform == "darwin" else 2**10)
        except ImportError:  # pragma: no cover - not on Unix
            pass
        try:
            with open("/proc/self/statm") as fh:
                entry["rss_mb"] = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError, AttributeError):  # pragma: no cover - not on Linux
            pass
        self.last = self.now()


def orbit_counts(adjacency, *, num_threads=None):
    """Graphlet degree vectors: for every node, how often it sits on each orbit 0-14.

    Parameters
    ----------
    adjacency : graph
        Anything :func:`graphembed.as_csr` accepts, taken as simple and undirected (see
        :func:`orbit_adjacency`).
    num_threads : int, optional
        numba threads; the result does not depend on it.

    Returns
    -------
    ndarray of int64, shape (n, 15)
        Column i counts the graphlet instances (connected induced subgraphs on 2-4 nodes) in
        which the node is on orbit i (Pržulj / ORCA numbering), rows in ``as_csr`` order.

    Notes
    -----
    The counts are the row sums of the h = 1 orbit adjacencies divided by their multiplicity,
    computed without storing the matrices. Time O(Σ_u deg(u)² + T) as for
    :func:`orbit_adjacency`; memory O(n + edges) plus O(n) scratch per thread.

    Examples
    --------
    >>> import networkx as nx
    >>> orbit_counts(nx.complete_graph(4))[0].tolist()   # 3 edges, 3 triangles, 1 four-clique
    [3, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    """
    with threads(num_threads) as nt:
        prep = _Prepared(adjacency, nt)
        return _k.orbit_count_rows(prep.indptr, prep.indices, prep.tri, prep.deg, prep.tnode,
                                   prep.d1, prep.bounds)


_TRANSFORMS = ("ppmi", "degree", "log", "none")
_REDUCTIONS = ("svd", "random_projection")


def _transform(m, how):
    """A float64 copy of the count matrix ``m`` transformed entry by entry (zeros stay zero)."""
    m = m.astype(np.float64)
    if how == "none" or m.nnz == 0:
        return m
    if how == "log":
        m.data = np.log1p(m.data)
        return m
    rows = np.asarray(m.sum(axis=1)).ravel()
    cols = np.asarray(m.sum(axis=0)).ravel()
    r = np.repeat(rows, np.diff(m.indptr))
    c = cols[m.indices]
    if how == "degree":
        m.data = m.data / np.sqrt(r * c)
        return m
    # positive pointwise mutual information of the pair (u, v) under the joint law M / sum(M)
    m.data = np.maximum(np.log(m.data * rows.sum() / (r * c)), 0.0)
    m.eliminate_zeros()
    return m


def _salt(key):
    h, i, j = key
    return np.uint64(((h * 256 + i * 16 + j + 1) * 0x9E3779B97F4A7C15) % 2**64)


def _svd_block(t, cols, node_keys, seed, salt, power_iterations=2, oversample=8):
    """U·sqrt(S) of a seeded randomized truncated SVD (Halko et al. 2011), signs fixed."""
    n = t.shape[0]
    k = min(cols + oversample, n)
    omega = _k.rademacher(node_keys, seed, salt, k)
    y = t @ omega
    tt = t.T.tocsr()
    for _ in range(power_iterations):
        q, _r = np.linalg.qr(y)
        q, _r = np.linalg.qr(tt @ q)
        y = t @ q
    q, _r = np.linalg.qr(y)
    b = np.asarray((tt @ q).T)  # (k, n) = Q^T T
    ub, s, _vt = np.linalg.svd(b, full_matrices=False)
    u = (q @ ub)[:, :cols] * np.sqrt(s[:cols])
    # make each column's largest-magnitude entry positive, so the sign is reproducible
    flip = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
    flip[flip == 0] = 1.0
    return u * flip


def orbit_embedding(adjacency, *, dim=128, random_state=0, keys=None, transform="ppmi",
                    reduction="svd", num_threads=None):
    """Node embedding from graphlet orbit adjacencies: transform each matrix, reduce, concatenate.

    For every key (h, i, j), the orbit adjacency matrix is transformed entry by entry
    (``transform``), reduced to a block of columns (``reduction``), and the blocks are
    concatenated: ``dim`` columns split as evenly as possible over the keys (keys beyond
    ``dim`` get none), in the order of :data:`KEYS`.

    Parameters
    ----------
    adjacency : graph
        Anything :func:`graphembed.as_csr` accepts, taken as simple and undirected.
    dim : int, default 128
        Embedding dimension.
    random_state : int, default 0
        Seed. The random matrices are drawn per node id, so the result does not depend on the
        thread count or on the order of the rows.
    keys : iterable of (h, i, j), optional
        Keys to use (default: the 27 keys with h <= 2; (3, 4, 4) is allowed but dense).
    transform : {"ppmi", "degree", "log", "none"}, default "ppmi"
        ``ppmi``: max(0, log(M[u,v] · Σ M / (Σ_v M[u,·] · Σ_u M[·,v]))) (a pointwise mutual
        information of the pair under the law M / Σ M); ``degree``: M[u,v] / sqrt(row sum ·
        column sum); ``log``: log(1 + M); ``none``: raw counts.
    reduction : {"svd", "random_projection"}, default "svd"
        ``svd``: U·sqrt(S) of a seeded randomized truncated SVD of each transformed matrix;
        ``random_projection``: the transformed matrix times a ±1/sqrt(columns) random matrix.
    num_threads : int, optional
        numba threads for the counting; the result does not depend on it.

    Returns
    -------
    ndarray of float32, shape (n, dim)
        Rows in the order of ``as_csr(adjacency).node_ids``.

    Notes
    -----
    Time: that of :func:`orbit_adjacency` plus, per key, O(q · nnz · c) for a block of c
    columns (q = 6 sparse products for ``svd``, 1 for ``random_projection``) and O(n c²) for
    the orthogonalisations. Memory: the orbit matrices plus O(n · c) per block.

    Examples
    --------
    >>> import networkx as nx
    >>> X = orbit_embedding(nx.karate_club_graph(), dim=16, random_state=0)
    >>> X.shape, X.dtype.name
    ((34, 16), 'float32')
    """
    dim = check_int("dim", dim, minimum=1)
    seed = np.uint64(check_seed("random_state", random_state))
    transform = check_choice("transform", transform, _TRANSFORMS)
    reduction = check_choice("reduction", reduction, _REDUCTIONS)
    wanted = _keys(keys, False)
    graph = as_csr(adjacency)
    check_memory(f"orbit_embedding on a graph of {graph.n:,} nodes",
                 orbits_bytes(graph.n, graph.nnz, dim, {"keys": wanted}), dim=dim)
    with threads(num_threads) as nt:
        prep = _Prepared(graph, nt)
        mats = _orbit_matrices(prep, wanted)
    n = prep.n
    node_keys = prep.graph.node_keys()
    sizes = [dim // len(wanted) + (1 if r < dim % len(wanted) else 0) for r in range(len(wanted))]
    out = np.zeros((n, dim), np.float32)
    col = 0
    with _single_threaded_blas():
        for key, cols in zip(wanted, sizes):
            if cols == 0:
                continue
            t = _transform(mats.pop(key), transform)
            if t.nnz and n:
                if reduction == "svd":
                    block = _svd_block(t, cols, node_keys, seed, _salt(key))
                else:
                    block = t @ (_k.rademacher(node_keys, seed, _salt(key), cols) / np.sqrt(cols))
                out[:, col:col + block.shape[1]] = block
            col += cols
    return out


def _single_threaded_blas():
    """One BLAS thread for the many small QR/SVD calls of the reduction (threaded BLAS on
    n × ~10 matrices spends far more time synchronising than computing)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
