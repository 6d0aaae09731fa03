"""The rows every propagation method sums over (FastRP, spectral, spectral propagation).

Each row's neighbours in increasing node-key order — the canonical summation order, which makes
the output bits independent of the input's node order —, the weighted degrees, hub sorting for
cache locality (rows relabelled internally, bits unchanged), the transposed or symmetrised
matrix for ``direction``, and the thread count a piece of work deserves.
"""

from __future__ import annotations

import numpy as np

from ._kernels import fastrp as _k
from ._validation import check_threads
from .graph import as_csr

_CHUNK_TARGET = 1 << 15  # stored entries per work chunk (load balance only; never the result)
_SERIAL_WORK = 1 << 20  # below this many row-entry × column updates, one thread is faster
_REORDER_MIN_NODES = 1 << 16  # smaller graphs fit in cache anyway
_REORDER_SKEW = 8.0  # relabel when max degree >= this × mean degree


def _mixed_seed(seed, salt):
    """SplitMix64 of ``seed + salt``: a seed for a stream kept apart from the nodes' own."""
    mask = (1 << 64) - 1
    z = (int(seed) + salt) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


def _threads_for(work, num_threads):
    """The caller's thread count, or 1 when the work is too small to repay waking threads up.

    The result never depends on it (every row is computed the same way by any thread).
    """
    num_threads = check_threads(num_threads)
    return 1 if work < _SERIAL_WORK else num_threads


def _weights_or_empty(weights):
    """The kernels' weights argument: the array, or an empty one for an unweighted graph."""
    return weights if weights is not None else np.empty(0, dtype=np.float32)


def _summation_rows(indptr, indices, w, keys):
    """The rows FastRP and spectral propagate over: every row's neighbours in increasing key
    order (the canonical summation order, so the bits do not depend on the input's node order),
    the weighted degrees in the caller's node order, and the rows relabelled for cache locality
    when :func:`locality_order` asks for it (row ``u`` is node ``order[u]``; rows keep their
    summation order, so the bits are the same). Returns ``(indptr, indices, w, keys, deg, order,
    relabelled)``. Time O(nnz log d), memory one copy of the CSR arrays."""
    indices, w = _key_order(indptr, indices, w, keys)
    deg = _row_sums(indptr, w)
    order = locality_order(indptr)
    if order is None:
        return indptr, indices, w, keys, deg, np.arange(len(deg), dtype=np.int64), False
    indptr, indices, w = _relabel(indptr, indices, w, order)
    return indptr, indices, w, keys[order], deg, order, True


def locality_order(indptr):
    """A row order that packs the hubs of a skewed graph together (None: keep the input order).

    "Hub sorting" (Zhang et al. 2017; Balaji & Lucia 2018): nodes whose degree exceeds the
    mean are moved to the front in decreasing degree, the others keep their relative order.
    The rows of the hubs — fetched by most stored entries — then share a small, cache-resident
    block, while any locality already in the numbering of the other nodes is kept. Applied to
    graphs of at least ``_REORDER_MIN_NODES`` nodes whose maximum degree is at least
    ``_REORDER_SKEW`` times the mean. O(n log n).
    """
    n = len(indptr) - 1
    if n < _REORDER_MIN_NODES:
        return None
    deg = np.diff(indptr)
    mean = indptr[-1] / n
    if mean == 0 or deg.max() < _REORDER_SKEW * mean:
        return None
    hubs = np.flatnonzero(deg > mean)
    hubs = hubs[np.argsort(-deg[hubs], kind="stable")]
    rest = np.flatnonzero(deg <= mean)
    return np.concatenate([hubs, rest]).astype(np.int64)


def _relabel(indptr, indices, weights, order):
    counts = np.diff(indptr)[order]
    new_indptr = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(counts, out=new_indptr[1:])
    weighted = weights is not None
    w = weights if weighted else np.empty(0, dtype=np.float32)
    chunks = _k.row_chunks(new_indptr, _CHUNK_TARGET)
    new_indices, new_w = _k.relabel_csr(indptr, indices, w, weighted, order, new_indptr, chunks)
    return new_indptr, new_indices, (new_w if weighted else None)


def _unpermute(P, order):
    out = np.empty_like(P)
    out[order] = P
    return out


def _key_order(indptr, indices, weights, keys):
    """Order every row's neighbours by increasing node key (the canonical summation order).

    Free when the keys increase with the row index (integer ids in order); else O(nnz log d).
    """
    if _k.keys_increasing(keys):
        return indices, weights
    weighted = weights is not None
    w = weights if weighted else np.empty(0, dtype=np.float32)
    chunks = _k.row_chunks(indptr, _CHUNK_TARGET)
    new_indices, new_w = _k.sort_rows_by_key(indptr, indices, w, weighted, keys, chunks)
    return new_indices, (new_w if weighted else None)


def _row_sums(indptr, weights):
    """Weighted row sums (float64) of a CSR matrix."""
    counts = np.diff(indptr)
    if weights is None:
        return counts.astype(np.float64)
    rows = np.repeat(np.arange(len(counts)), counts)
    return np.bincount(rows, weights=weights, minlength=len(counts)).astype(np.float64)


def _inverse(deg):
    out = np.zeros(len(deg), dtype=np.float32)
    nz = deg > 0
    out[nz] = 1.0 / deg[nz]
    return out


def _propagation_matrix(graph, direction):
    """(indptr, indices, weights) of the matrix whose rows are propagated."""
    if not graph.directed or direction == "out":
        return graph.indptr, graph.indices, graph.weights
    if direction == "both":
        sym = as_csr(graph, directed=False)
        return sym.indptr, sym.indices, sym.weights
    t = graph.to_scipy().T.tocsr()
    t.sort_indices()
    indptr = t.indptr.astype(np.int64)
    indices = t.indices.astype(graph.indices.dtype)
    weights = None if graph.weights is None else t.data.astype(np.float32)
    return indptr, indices, weights
