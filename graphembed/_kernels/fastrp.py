"""FastRP kernels: very sparse random rows and the fused propagation step.

All functions take plain arrays. Every row of an output is computed by one thread from a fixed
sequence of operations (neighbours in CSR order), so results are byte-identical whatever the
number of threads. Work is split into row ranges of about equal stored-entry count (``chunks``),
computed once from ``indptr`` alone — never from the thread count.
"""

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from .rng import draw, stream_key, to_unit

#: Neighbours ahead whose rows are prefetched (random row fetches are latency-bound).
PREFETCH_DISTANCE = 8

if numba.config.DISABLE_JIT:

    def prefetch_row(X, i, j):
        """No-op stand-in when numba is disabled."""

else:

    @intrinsic
    def prefetch_row(typingctx, X, i, j):
        """Hint the CPU to fetch the cache line holding ``X[i, j]`` (LLVM's prefetch, read)."""
        sig = types.void(X, i, j)

        def codegen(context, builder, signature, args):
            aryty = signature.args[0]
            ary = context.make_array(aryty)(context, builder, args[0])
            ii = context.cast(builder, args[1], signature.args[1], types.intp)
            jj = context.cast(builder, args[2], signature.args[2], types.intp)
            ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [ii, jj])
            i8p = ir.PointerType(ir.IntType(8))
            i32 = ir.IntType(32)
            fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
            fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
            # read, high temporal locality, data cache
            builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                              ir.Constant(i32, 1)])
            return context.get_dummy_value()

        return sig, codegen


@njit(cache=True, parallel=True, nogil=True)
def fill_signs(keys, seed, sparsity, out, plus):
    """Entry (i, j) of ``out`` = ``plus`` with probability 1/(2s), ``-plus`` with probability
    1/(2s) and 0 otherwise, from the ``j``-th draw of the stream ``(seed, keys[i])``."""
    m, dim = out.shape
    half = 0.5 / sparsity
    full = 1.0 / sparsity
    useed = np.uint64(seed)
    for i in prange(m):
        state = stream_key(useed, np.uint64(keys[i]))
        for j in range(dim):
            u = to_unit(draw(state, np.uint64(j)))
            if u < half:
                out[i, j] = plus
            elif u < full:
                out[i, j] = -plus
            else:
                out[i, j] = 0


def random_rows(keys, seed, sparsity, out):
    """Fill ``out`` (m × dim float32) with the very sparse random rows of the nodes ``keys``:
    ``±sqrt(s/dim)`` or 0 (:func:`fill_signs`)."""
    fill_signs(keys, seed, sparsity, out, np.float32(np.sqrt(sparsity / out.shape[1])))


def random_signs(keys, seed, sparsity, out):
    """The signs (int8: +1, -1, 0) of :func:`random_rows`, drawn from the same streams:
    ``random_rows`` equals ``sqrt(s/dim) · random_signs`` entry for entry, at a quarter of the
    memory; the first propagation step reads these instead of the float rows."""
    fill_signs(keys, seed, sparsity, out, np.int8(1))


@njit(cache=True)
def row_chunks(indptr, target):
    """Boundaries of consecutive row ranges of about ``target`` stored entries (+ rows) each."""
    n = indptr.shape[0] - 1
    total = indptr[n] + n
    count = max(np.int64(1), min(np.int64(n), (total + target - 1) // target))
    bounds = np.empty(count + 1, dtype=np.int64)
    bounds[0] = 0
    k = 1
    r = np.int64(0)
    for c in range(1, count):
        goal = total * c // count
        while r < n and indptr[r] + r < goal:
            r += 1
        if r > bounds[k - 1]:
            bounds[k] = r
            k += 1
    bounds[k] = n
    return bounds[: k + 1].copy()


#: What a propagation step does with ``E`` (the embedding): nothing, ``E = a·N``, ``E += a·N``,
#: or ``E = a'·N_prev + a·N`` (the last step when only the last two weights are nonzero: ``E``
#: is then written once, into the buffer of ``N_{k-2}``, and never needs a third n × dim buffer).
E_NONE, E_ASSIGN, E_ADD, E_PAIR = 0, 1, 2, 3


@njit(inline="always", nogil=True)
def _weight(alpha, row, normalize):
    """``alpha`` as float32, divided by the float64 L2 norm of ``row`` when ``normalize`` (0 for a
    zero row)."""
    if not normalize:
        return np.float32(alpha)
    sq = 0.0
    for j in range(row.shape[0]):
        sq += np.float64(row[j]) * np.float64(row[j])
    return np.float32(alpha / np.sqrt(sq)) if sq > 0.0 else np.float32(0.0)


@njit(inline="always", nogil=True)
def _finish_row(acc, s, out, u, store, E, e, mode, alpha, normalize, prev, alpha_prev):
    """The end of row ``u`` of a propagation step: ``acc *= s``; ``out[u] = acc`` when
    ``store``; then row ``e`` of ``E`` as ``mode`` says (``E_NONE`` … ``E_PAIR``) with
    ``a = alpha`` and ``a' = alpha_prev``, each divided by its row's L2 norm when ``normalize``.
    ``E_PAIR`` reads ``prev[u]`` (this step's input row of node ``u``: ``N_{k-1}``)."""
    dim = acc.shape[0]
    for j in range(dim):
        acc[j] *= s
    if store:
        for j in range(dim):
            out[u, j] = acc[j]
    if mode == E_ASSIGN:
        f = _weight(alpha, acc, normalize)
        for j in range(dim):
            E[e, j] = f * acc[j]
    elif mode == E_ADD:
        f = _weight(alpha, acc, normalize)
        for j in range(dim):
            E[e, j] += f * acc[j]
    elif mode == E_PAIR:
        g = _weight(alpha_prev, prev[u], normalize)
        f = _weight(alpha, acc, normalize)
        for j in range(dim):
            E[e, j] = g * prev[u, j] + f * acc[j]


@njit(cache=True, parallel=True, nogil=True)
def spmm_fused(indptr, indices, weights, weighted, row_scale, X, out, E, e_rows, mode, alpha,
               normalize, alpha_prev, chunks):
    """``out = diag(row_scale) · S · X`` and ``E[e_rows] += alpha · rownorm(out)`` in one pass.

    ``S`` is the CSR matrix (indptr, indices, weights; all ones when ``weighted`` is False).
    Row ``u`` sums its neighbours' rows of ``X`` in CSR order into a private float32
    accumulator, multiplies by ``row_scale[u]`` and stores the row in ``out[u]``. When ``alpha``
    is not 0 the row is also added, times ``alpha`` (divided by its L2 norm, computed in float64,
    when ``normalize``; zero rows stay zero), to row ``e_rows[u]`` of ``E`` — so ``E`` can keep
    the caller's node order while the graph is relabelled for locality. ``mode`` (``E_NONE``,
    ``E_ASSIGN``, ``E_ADD``, ``E_PAIR``: :func:`_finish_row`) says how ``E`` is updated; with
    ``E_PAIR`` the row is ``alpha_prev · rownorm(X[u]) + alpha · rownorm(out[u])``, the same
    float32 operations as an ``E_ASSIGN`` of ``X`` followed by an ``E_ADD``. An ``out`` with no
    rows is not written (the last step only feeds ``E``).
    The rows of upcoming neighbours are prefetched ``PREFETCH_DISTANCE`` entries ahead.
    """
    dim = X.shape[1]
    nnz = indices.shape[0]
    nchunks = chunks.shape[0] - 1
    store = out.shape[0] != 0
    for c in prange(nchunks):
        acc = np.empty(dim, dtype=np.float32)
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
                if weighted:
                    w = weights[p]
                    for j in range(dim):
                        acc[j] += w * X[v, j]
                else:
                    for j in range(dim):
                        acc[j] += X[v, j]
            _finish_row(acc, row_scale[u], out, u, store, E, e_rows[u], mode, alpha, normalize,
                        X, alpha_prev)


@njit(cache=True, parallel=True, nogil=True)
def spmm_signs_fused(indptr, indices, weights, weighted, row_scale, signs, coef, out, E, e_rows,
                     mode, alpha, normalize, chunks):
    """:func:`spmm_fused` with ``X = diag(coef) · signs``, never forming ``X``.

    ``coef[v] * signs[v, j]`` is exactly the float32 ``X[v, j]`` (a product with +1, -1 or 0),
    and it enters the accumulator in the same order, so the result has the same bits as
    :func:`spmm_fused` on the materialised ``X`` — while each stored entry fetches ``dim`` bytes
    instead of ``4·dim``. ``mode`` is ``E_NONE``, ``E_ASSIGN`` or ``E_ADD`` (no ``E_PAIR``: the
    previous matrix is never materialised).
    """
    dim = signs.shape[1]
    nnz = indices.shape[0]
    nchunks = chunks.shape[0] - 1
    store = out.shape[0] != 0
    for c in prange(nchunks):
        acc = np.empty(dim, dtype=np.float32)
        for u in range(chunks[c], chunks[c + 1]):
            for j in range(dim):
                acc[j] = 0.0
            for p in range(indptr[u], indptr[u + 1]):
                q = p + PREFETCH_DISTANCE
                if q < nnz:
                    ahead = indices[q]
                    for j in range(0, dim, 64):
                        prefetch_row(signs, ahead, j)
                v = indices[p]
                cv = coef[v]
                if weighted:
                    w = weights[p]
                    for j in range(dim):
                        acc[j] += w * (cv * np.float32(signs[v, j]))
                else:
                    for j in range(dim):
                        acc[j] += cv * np.float32(signs[v, j])
            _finish_row(acc, row_scale[u], out, u, store, E, e_rows[u], mode, alpha, normalize,
                        out, 0.0)


@njit(cache=True, parallel=True, nogil=True)
def zero_rows(X, chunks):
    """``X[:] = 0`` with the rows split over threads (the pages land near the threads using them)."""
    dim = X.shape[1]
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            for j in range(dim):
                X[u, j] = 0.0


@njit(cache=True, parallel=True, nogil=True)
def relabel_csr(indptr, indices, weights, weighted, order, new_indptr, chunks):
    """The CSR of the graph whose row ``u`` is old row ``order[u]``, columns renumbered to match.

    ``new_indptr`` is the prefix sum of the reordered row lengths and ``chunks`` splits the new
    rows. Each row keeps its entries in the same order, so the summation order — and every bit
    of the result — is unchanged.
    """
    n = order.shape[0]
    new_id = np.empty(n, dtype=indices.dtype)
    for u in range(n):
        new_id[order[u]] = u
    new_indices = np.empty_like(indices)
    new_weights = np.empty_like(weights)
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            o = order[u]
            shift = new_indptr[u] - indptr[o]
            for p in range(indptr[o], indptr[o + 1]):
                new_indices[p + shift] = new_id[indices[p]]
                if weighted:
                    new_weights[p + shift] = weights[p]
    return new_indices, new_weights


@njit(cache=True, parallel=True, nogil=True)
def scale_rows_and_add(X, row_scale, E, e_rows, alpha, normalize, chunks):
    """``X = diag(row_scale) · X`` in place, then ``E[e_rows] += alpha · rownorm(X)``.

    ``alpha == 0`` skips the update of ``E``; the norm is computed as in :func:`spmm_fused`.
    """
    dim = X.shape[1]
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            s = row_scale[u]
            for j in range(dim):
                X[u, j] *= s
            if alpha != 0.0:
                f = _weight(alpha, X[u], normalize)
                e = e_rows[u]
                for j in range(dim):
                    E[e, j] += f * X[u, j]


@njit(cache=True, parallel=True, nogil=True)
def column_moments(E, keep, center, chunks):
    """Per-chunk float64 column sums of ``E - center`` and of its squares, over rows with ``keep``.

    Returns ``(sums, squares, counts)`` with one row per chunk, to be reduced in chunk order.
    """
    dim = E.shape[1]
    nchunks = chunks.shape[0] - 1
    sums = np.zeros((nchunks, dim), dtype=np.float64)
    squares = np.zeros((nchunks, dim), dtype=np.float64)
    counts = np.zeros(nchunks, dtype=np.int64)
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            if keep[u]:
                counts[c] += 1
                for j in range(dim):
                    x = np.float64(E[u, j]) - center[j]
                    sums[c, j] += x
                    squares[c, j] += x * x
    return sums, squares, counts


@njit(cache=True, parallel=True, nogil=True)
def standardize_rows(E, keep, mean, inv_scale, chunks):
    """``E[u] = (E[u] - mean) * inv_scale`` for the rows where ``keep`` is True, in place."""
    dim = E.shape[1]
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            if keep[u]:
                for j in range(dim):
                    E[u, j] = np.float32((np.float64(E[u, j]) - mean[j]) * inv_scale[j])


@njit(cache=True, parallel=True, nogil=True)
def add_along(E, rows, coef, u, chunks):
    """``E[rows[i]] += coef[i] · u`` (float64 sum, float32 result), in place; ``chunks`` splits
    ``range(len(rows))``."""
    dim = E.shape[1]
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for i in range(chunks[c], chunks[c + 1]):
            r = rows[i]
            for j in range(dim):
                E[r, j] = np.float32(np.float64(E[r, j]) + coef[i] * u[j])


@njit(cache=True)
def keys_increasing(keys):
    """True if ``keys`` (uint64) is strictly increasing: CSR order is then key order."""
    for i in range(1, keys.shape[0]):
        if keys[i] <= keys[i - 1]:
            return False
    return True


@njit(cache=True, parallel=True, nogil=True)
def sort_rows_by_key(indptr, indices, weights, weighted, keys, chunks):
    """Copies of ``indices`` (and ``weights``) with every row ordered by increasing neighbour key.

    This is the canonical summation order: it depends on the node ids only, not on where the
    nodes sit in the input, so reordering the input only permutes the output rows.
    """
    new_indices = np.empty_like(indices)
    new_weights = np.empty_like(weights)
    nchunks = chunks.shape[0] - 1
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            lo = indptr[u]
            hi = indptr[u + 1]
            row_keys = np.empty(hi - lo, dtype=np.uint64)
            for p in range(lo, hi):
                row_keys[p - lo] = keys[indices[p]]
            order = np.argsort(row_keys)
            for q in range(hi - lo):
                new_indices[lo + q] = indices[lo + order[q]]
                if weighted:
                    new_weights[lo + q] = weights[lo + order[q]]
    return new_indices, new_weights


@njit(cache=True, parallel=True, nogil=True)
def all_finite(E, chunks):
    """True if every entry of ``E`` is finite (no n × dim temporary, unlike NumPy's isfinite)."""
    dim = E.shape[1]
    nchunks = chunks.shape[0] - 1
    ok = np.ones(nchunks, dtype=np.bool_)
    for c in prange(nchunks):
        for u in range(chunks[c], chunks[c + 1]):
            for j in range(dim):
                if not np.isfinite(E[u, j]):
                    ok[c] = False
    return ok.all()


@njit(cache=True, nogil=True)
def stream_accumulate(ukey, kind, li, w, weighted, p_off, p_val, e_off, e_val, cur, cur_key,
                      acc, E):
    """One batch of a partition's propagation stream (distributed FastRP), in stream order.

    The stream lists, by increasing sort key of the target node, each node's vector row
    (``kind`` 0: its ``P``; ``li >= 0`` for an owned node, whose ``E`` row is copied to
    ``E[li]``) followed by the arcs into it (``kind`` 1: ``acc[li] += w · P``, ``w`` 1 when not
    ``weighted``). So every owned row sums its neighbours by increasing key, the order of
    graphembed.fastrp, with the same float32 operations. ``cur`` and ``cur_key`` (its sort key,
    and 1 once a vector was seen) carry the last vector across batches. Returns the index of the
    first arc whose target has no vector row before it (−1 if none).
    """
    dim = cur.shape[0]
    for r in range(kind.shape[0]):
        if kind[r] == 0:
            o = p_off[r]
            for j in range(dim):
                cur[j] = p_val[o + j]
            cur_key[0] = ukey[r]
            cur_key[1] = 1
            u = li[r]
            if u >= 0:
                o = e_off[r]
                for j in range(dim):
                    E[u, j] = e_val[o + j]
        else:
            if cur_key[1] == 0 or ukey[r] != cur_key[0]:
                return r
            s = li[r]
            if weighted:
                x = w[r]
                for j in range(dim):
                    acc[s, j] += x * cur[j]
            else:
                for j in range(dim):
                    acc[s, j] += cur[j]
    return -1


@njit(cache=True, nogil=True)
def merge_accumulate(vkey, vli, p_off, p_val, e_off, e_val, akey, asi, aw, a0, weighted, acc,
                     E):
    """One batch of a partition's vector rows merged with its arcs (distributed FastRP).

    ``vkey``: the vector rows' sort keys, strictly increasing; ``akey, asi, aw``: arcs (target's
    sort key, source row, weight) sorted by ``akey``, read from position ``a0``. For every vector
    row in order, its ``E`` row is copied to ``E[li]`` if it is owned (``vli >= 0``), then every
    arc into it adds its ``P``: ``acc[si] += w · P`` (``w`` 1 when not ``weighted``). So each owned
    row sums its neighbours by increasing key with the float32 operations of
    :func:`stream_accumulate` (and graphembed.fastrp). Returns the position of the first arc not
    consumed (all arcs with keys up to the batch's last are), or ``-(a + 1)`` when arc ``a``'s
    target has no vector row (its key falls between two vector rows).
    """
    dim = acc.shape[1]
    m = akey.shape[0]
    a = a0
    for r in range(vkey.shape[0]):
        k = vkey[r]
        if a < m and akey[a] < k:
            return -a - 1
        u = vli[r]
        if u >= 0:
            o = e_off[r]
            for j in range(dim):
                E[u, j] = e_val[o + j]
        o = p_off[r]
        while a < m and akey[a] == k:
            s = asi[a]
            if weighted:
                x = aw[a]
                for j in range(dim):
                    acc[s, j] += x * p_val[o + j]
            else:
                for j in range(dim):
                    acc[s, j] += p_val[o + j]
            a += 1
    return a
