"""Kernels of spectral propagation: the shifted random-walk Laplacian and its recurrence.

The operator is ``M = (1 - μ)·I - P`` with ``P = D̃^{-1}(A + I)``, ``D̃ = diag(deg + 1)`` (the
random-walk matrix of the graph with a unit self-loop on every node), so that ``M = L - μ·I``
for the Laplacian ``L = I - P``. Every output row is computed by one thread from a fixed sequence
of float32 operations (neighbours in the order of the CSR rows), so results are byte-identical
whatever the number of threads.
"""

import numpy as np
from numba import njit, prange

from .fastrp import PREFETCH_DISTANCE, prefetch_row


@njit(cache=True, parallel=True, nogil=True)
def walk_weights(indptr, weights, weighted, inv_deg, chunks):
    """``w_uv / d̃_u`` for every stored entry (float32, computed in float64 and rounded once):
    the off-diagonal entries of ``P``."""
    out = np.empty(indptr[-1], dtype=np.float32)
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            iu = inv_deg[u]
            for p in range(indptr[u], indptr[u + 1]):
                w = np.float64(weights[p]) if weighted else 1.0
                out[p] = np.float32(w * iu)
    return out


@njit(cache=True, parallel=True, nogil=True)
def laplacian_step(indptr, indices, pw, selfw, shift, X, a, Y, b, W, g, out, acc, c_acc,
                   chunks):
    """One step of a three-term recurrence on ``M = shift·I - P``, written into ``out``:

    ``out[u] = a·(M·X)[u] + b·Y[u] + g·W[u]`` with
    ``(M·X)[u] = shift·X[u] - selfw[u]·X[u] - Σ_p pw[p]·X[indices[p]]``;
    then ``acc[u] += c_acc·out[u]`` when ``c_acc != 0``.

    ``out`` must not be ``X``; it may be ``Y`` or ``W`` (each row is read before it is written).
    The
    neighbour sum runs in CSR order in a private float32 accumulator; the rows of upcoming
    neighbours are prefetched.
    """
    dim = X.shape[1]
    nnz = indices.shape[0]
    nchunks = chunks.shape[0] - 1
    a32 = np.float32(a)
    b32 = np.float32(b)
    g32 = np.float32(g)
    c32 = np.float32(c_acc)
    s32 = np.float32(shift)
    for c in prange(nchunks):
        nb = np.empty(dim, dtype=np.float32)
        for u in range(chunks[c], chunks[c + 1]):
            for j in range(dim):
                nb[j] = 0.0
            for p in range(indptr[u], indptr[u + 1]):
                q = p + PREFETCH_DISTANCE
                if q < nnz:
                    ahead = indices[q]
                    for j in range(0, dim, 16):
                        prefetch_row(X, ahead, j)
                v = indices[p]
                w = pw[p]
                for j in range(dim):
                    nb[j] += w * X[v, j]
            diag = s32 - selfw[u]
            for j in range(dim):
                y = a32 * (diag * X[u, j] - nb[j])
                if b32 != 0.0:
                    y += b32 * Y[u, j]
                if g32 != 0.0:
                    y += g32 * W[u, j]
                out[u, j] = y
            if c32 != 0.0:
                for j in range(dim):
                    acc[u, j] += c32 * out[u, j]


@njit(cache=True, parallel=True, nogil=True)
def gather_rows(X, rows, scale, out, chunks):
    """``out[u] = scale · X[rows[u]]`` as float32 (the input in the kernels' row order)."""
    dim = X.shape[1]
    s = np.float32(scale)
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            r = rows[u]
            for j in range(dim):
                out[u, j] = s * np.float32(X[r, j])


@njit(cache=True, parallel=True, nogil=True)
def combine(X, a, Y, b, out, chunks):
    """``out[u] = a·X[u] + b·Y[u]`` (float32; ``out`` may be ``X`` or ``Y``)."""
    dim = X.shape[1]
    a32 = np.float32(a)
    b32 = np.float32(b)
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            for j in range(dim):
                out[u, j] = a32 * X[u, j] + b32 * Y[u, j]


@njit(cache=True, parallel=True, nogil=True)
def finish_rows(X, col_scale, normalize, out, out_rows, chunks):
    """``out[out_rows[u]] = rownorm(X[u] · col_scale)`` (row norm in float64, zero rows stay
    zero, only when ``normalize``)."""
    dim = X.shape[1]
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            e = out_rows[u]
            sq = 0.0
            for j in range(dim):
                y = X[u, j] * col_scale[j]
                out[e, j] = y
                sq += np.float64(y) * np.float64(y)
            if normalize:
                f = np.float32(1.0 / np.sqrt(sq)) if sq > 0.0 else np.float32(0.0)
                for j in range(dim):
                    out[e, j] *= f
