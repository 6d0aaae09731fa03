"""Kernels of the spectral embedding: the normalised operator and its Chebyshev recurrence.

The operator is ``S = D_r^{-1/2} (A + α·11ᵀ/n) D_r^{-1/2}`` with ``D_r = diag(deg + α)``; the
rank-one regularisation is applied implicitly (a column-sum vector per step, never a dense
matrix). Every output row is computed by one thread from a fixed sequence of float operations
(neighbours in CSR order), and the column sums are reduced per fixed chunk in float64 and then in
chunk order, so results are byte-identical whatever the number of threads.
"""

import numpy as np
from numba import njit, prange

from .fastrp import PREFETCH_DISTANCE, prefetch_row


@njit(cache=True, parallel=True, nogil=True)
def normalized_weights(indptr, indices, weights, weighted, dih, chunks):
    """``w_uv · dih[u] · dih[v]`` for every stored entry (float32): the entries of
    ``D_r^{-1/2} A D_r^{-1/2}``, computed in float64 and rounded once."""
    out = np.empty(indices.shape[0], dtype=np.float32)
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            du = np.float64(dih[u])
            for p in range(indptr[u], indptr[u + 1]):
                w = np.float64(weights[p]) if weighted else 1.0
                out[p] = np.float32(w * du * np.float64(dih[indices[p]]))
    return out


@njit(cache=True, parallel=True, nogil=True)
def weighted_column_sums(X, coef, chunks):
    """Per-chunk float64 sums ``Σ_u coef[u] · X[u, :]`` (one row per chunk, reduce in order)."""
    dim = X.shape[1]
    nchunks = chunks.shape[0] - 1
    out = np.zeros((nchunks, dim), dtype=np.float64)
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            f = np.float64(coef[u])
            for j in range(dim):
                out[c, j] += f * np.float64(X[u, j])
    return out


@njit(cache=True, parallel=True, nogil=True)
def affine_step(indptr, indices, nw, X, dih, t, a, b, g, Xprev, chunks, sums):
    """One step of a three-term recurrence on the operator ``S``, written into ``Xprev``:

    ``Xprev[u] = a · (S·X)[u] + b · X[u] + g · Xprev[u]`` with
    ``(S·X)[u] = Σ_p nw[p] · X[indices[p]] + dih[u] · t`` (``t`` = ``(α/n) · Σ_v dih[v] X[v]``,
    the implicit rank-one term; float32 vector of length dim).

    Row ``u`` of ``Xprev`` is read only to compute row ``u``, so the update is in place. The
    neighbour sum runs in CSR order in a private float32 accumulator; the rows of upcoming
    neighbours are prefetched. ``sums[c]`` receives the float64 sums ``Σ dih[u] · Xprev[u]``
    over the rows of chunk ``c`` (the next step's rank-one term, as
    :func:`weighted_column_sums` computes them, without another pass).
    """
    dim = X.shape[1]
    nnz = indices.shape[0]
    nchunks = chunks.shape[0] - 1
    a32 = np.float32(a)
    b32 = np.float32(b)
    g32 = np.float32(g)
    for c in prange(nchunks):
        acc = np.empty(dim, dtype=np.float32)
        for j in range(dim):
            sums[c, j] = 0.0
        for u in range(chunks[c], chunks[c + 1]):
            for j in range(dim):
                acc[j] = 0.0
            for p in range(indptr[u], indptr[u + 1]):
                q = p + PREFETCH_DISTANCE
                if q < nnz:
                    ahead = indices[q]
                    for j in range(0, dim, 16):
                        prefetch_row(X, ahead, j)
                v = indices[p]
                w = nw[p]
                for j in range(dim):
                    acc[j] += w * X[v, j]
            du = dih[u]
            if g32 == 0.0:
                for j in range(dim):
                    Xprev[u, j] = a32 * (acc[j] + du * t[j]) + b32 * X[u, j]
            else:
                for j in range(dim):
                    Xprev[u, j] = a32 * (acc[j] + du * t[j]) + b32 * X[u, j] + g32 * Xprev[u, j]
            f = np.float64(du)
            for j in range(dim):
                sums[c, j] += f * np.float64(Xprev[u, j])


@njit(cache=True, parallel=True, nogil=True)
def column_cube_sums(X, chunks):
    """Per-chunk float64 column sums of ``X**3`` (the canonical sign of each column)."""
    dim = X.shape[1]
    nchunks = chunks.shape[0] - 1
    out = np.zeros((nchunks, dim), dtype=np.float64)
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            for j in range(dim):
                x = np.float64(X[u, j])
                out[c, j] += x * x * x
    return out


@njit(cache=True, parallel=True, nogil=True)
def finish_rows(X, first, dim, dih, col_scale, normalize, out, out_rows, chunks):
    """``out[out_rows[u]] = rownorm(dih[u] · X[u, first:first+dim] · col_scale)``.

    ``col_scale`` (float32, length dim) carries the eigenvalue weights and the canonical signs;
    the row norm is taken in float64 (zero rows stay zero) when ``normalize``.
    """
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            e = out_rows[u]
            du = dih[u]
            sq = 0.0
            for j in range(dim):
                y = du * X[u, first + j] * col_scale[j]
                out[e, j] = y
                sq += np.float64(y) * np.float64(y)
            if normalize:
                f = np.float32(1.0 / np.sqrt(sq)) if sq > 0.0 else np.float32(0.0)
                for j in range(dim):
                    out[e, j] *= f
