"""Random-walk kernels: the sampler, fused anonymous-walk statistics and windowed co-occurrence.

Conventions shared by every kernel here:

* ``cumw`` holds per-row cumulative edge weights (float64, ``cumw[indptr[v + 1] - 1]`` is the
  weighted degree of ``v``) when ``weighted`` is true; it is an empty array otherwise.
* Walk ``w`` draws its random numbers from ``stream_key(seed, w)`` only, where the walk id is
  ``w = r * n_start + i`` for the ``r``-th walk from the ``i``-th start node. Results therefore do
  not depend on thread count or on how the walks are split into blocks.
* Second-order (node2vec) steps use rejection sampling against the first-order proposal;
  ``inv_p = 1/p``, ``inv_q = 1/q`` and ``max_alpha = max(1/p, 1, 1/q)``. Unweighted proposals
  take the high 32 bits of a draw and the acceptance test its low 32 bits.
* A walk that reaches a node without out-edges stops; the rest of its row is -1.
"""

import numpy as np
from numba import njit, prange

from .rng import bounded, draw, mix64, stream_key, to_unit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV32 = 1.0 / 4294967296.0


@njit(cache=True, inline="always")
def _has_edge(indptr, indices, u, v):
    """Whether ``v`` is in the sorted row ``u`` (binary search)."""
    lo = indptr[u]
    hi = indptr[u + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        x = indices[mid]
        if x < v:
            lo = mid + 1
        elif x > v:
            hi = mid
        else:
            return True
    return False


@njit(cache=True, inline="always")
def _propose(indptr, indices, cumw, weighted, cur, x):
    """The first-order neighbour of ``cur`` picked by the 64-bit draw ``x`` (non-empty row)."""
    start = indptr[cur]
    deg = indptr[cur + 1] - start
    if not weighted:
        return indices[start + bounded(x, deg)]
    lo = start
    hi = start + deg - 1
    target = to_unit(x) * cumw[hi]
    while lo < hi:  # first position whose cumulative weight exceeds target
        mid = (lo + hi) >> 1
        if cumw[mid] > target:
            hi = mid
        else:
            lo = mid + 1
    return indices[lo]


@njit(cache=True, inline="always")
def _step(indptr, indices, cumw, weighted, second_order, inv_p, inv_q, max_alpha,
          prev, cur, state, counter):
    """One step from ``cur`` (having come from ``prev``, -1 at the start).

    Returns ``(next node or -1 at a dead end, updated counter)``.
    """
    if indptr[cur + 1] == indptr[cur]:
        return -1, counter
    if not second_order or prev < 0:
        x = _propose(indptr, indices, cumw, weighted, cur, draw(state, counter))
        return x, counter + np.uint64(1)
    while True:
        x, counter = _try_node2vec(indptr, indices, cumw, weighted, inv_p, inv_q, max_alpha,
                                   prev, cur, state, counter)
        if x >= 0:
            return x, counter


@njit(cache=True, inline="always")
def _try_node2vec(indptr, indices, cumw, weighted, inv_p, inv_q, max_alpha, prev, cur, state,
                  counter):
    """One node2vec proposal from ``cur`` (non-empty row): ``(x or -1 if rejected, counter)``.

    Accept x with probability alpha(x) / max_alpha by comparing y = u * max_alpha with alpha(x).
    A non-return move has alpha 1 or 1/q, so y below both accepts and y above both rejects
    without the binary search; only y in between needs to know whether x neighbours prev.
    """
    r = draw(state, counter)
    counter += np.uint64(1)
    x = _propose(indptr, indices, cumw, weighted, cur, r)
    if weighted:  # the proposal used the high 53 bits: take a fresh draw
        u = to_unit(draw(state, counter))
        counter += np.uint64(1)
    else:  # the proposal used only the high 32 bits: the low 32 are a free uniform
        u = np.float64(r & _LOW32) * _INV32
    y = u * max_alpha
    if x == prev:
        return (x if y < inv_p else -1), counter
    if y < min(1.0, inv_q):
        return x, counter
    if y >= max(1.0, inv_q):
        return -1, counter
    alpha = 1.0 if _has_edge(indptr, indices, prev, x) else inv_q
    return (x if y < alpha else -1), counter


@njit(cache=True, parallel=True)
def sample_walks(indptr, indices, cumw, weighted, second_order, inv_p, inv_q, max_alpha,
                 starts, first_walk, seed, out, lengths, batch):
    """Fill ``out`` (k, walk_length + 1) with walks ``first_walk .. first_walk + k - 1``.

    Walk ``w`` starts at ``starts[w % len(starts)]``; ``lengths[j]`` receives the number of nodes
    of row ``j`` (at least 1); unused positions are -1. Walks are advanced ``batch`` at a time in
    lockstep: their cache misses (``indptr[c]``, then the neighbour) overlap, which is what bounds
    the speed of walks on large graphs. Each walk still uses its own stream only, so the output
    does not depend on ``batch`` or on the thread count.
    """
    n_walks, width = out.shape
    n_start = starts.shape[0]
    n_batches = (n_walks + batch - 1) // batch
    for bi in prange(n_batches):
        j0 = bi * batch
        k = min(batch, n_walks - j0)
        cur = np.empty(batch, dtype=np.int64)
        prev = np.empty(batch, dtype=np.int64)
        states = np.empty(batch, dtype=np.uint64)
        counters = np.zeros(batch, dtype=np.uint64)
        for b in range(k):
            wid = first_walk + j0 + b
            states[b] = stream_key(seed, np.uint64(wid))
            cur[b] = starts[wid % n_start]
            prev[b] = -1
            out[j0 + b, 0] = cur[b]
            lengths[j0 + b] = width
        todo = np.empty(batch, dtype=np.int64)
        alive = k
        for t in range(1, width):
            if alive == 0:
                break
            pending = 0
            for b in range(k):
                c = cur[b]
                if c < 0:
                    continue
                if indptr[c + 1] == indptr[c]:  # dead end: the walk stops here
                    lengths[j0 + b] = t
                    for r in range(t, width):
                        out[j0 + b, r] = -1
                    cur[b] = -1
                    alive -= 1
                elif second_order and prev[b] >= 0:
                    todo[pending] = b
                    pending += 1
                else:
                    nxt = _propose(indptr, indices, cumw, weighted, c,
                                   draw(states[b], counters[b]))
                    counters[b] += np.uint64(1)
                    out[j0 + b, t] = nxt
                    prev[b] = c
                    cur[b] = nxt
            # node2vec: one proposal per pending walk per round, so that the walks' memory
            # accesses overlap; each walk consumes its own stream exactly as a sequential loop
            while pending > 0:
                kept = 0
                for i in range(pending):
                    b = todo[i]
                    c = cur[b]
                    nxt, counters[b] = _try_node2vec(indptr, indices, cumw, weighted, inv_p,
                                                     inv_q, max_alpha, prev[b], c, states[b],
                                                     counters[b])
                    if nxt >= 0:
                        out[j0 + b, t] = nxt
                        prev[b] = c
                        cur[b] = nxt
                    else:
                        todo[kept] = b
                        kept += 1
                pending = kept


@njit(cache=True)
def completion_counts(max_steps, allow_repeats):
    """``D[k, m]``: restricted-growth completions of ``k`` more labels after ``m`` distinct ones.

    Without repeats the next label differs from the current one: ``D[k, m] = (m - 1) D[k-1, m] +
    D[k-1, m+1]``; with repeats ``m D[k-1, m] + D[k-1, m+1]``. ``D[s, 1]`` is the number of
    anonymous walks of ``s`` steps: the Bell number B(s) without repeats, B(s + 1) with them.
    """
    D = np.zeros((max_steps + 1, max_steps + 2), dtype=np.int64)
    for m in range(max_steps + 2):
        D[0, m] = 1
    for k in range(1, max_steps + 1):
        for m in range(1, max_steps + 2 - k):
            same = m if allow_repeats else m - 1
            D[k, m] = same * D[k - 1, m] + D[k - 1, m + 1]
    return D


@njit(cache=True, inline="always")
def _rank(labels, steps, D, allow_repeats):
    """Lexicographic rank of the anonymous walk ``labels[0 .. steps]`` among all of its length."""
    rank = np.int64(0)
    m = 1
    for t in range(1, steps + 1):
        a = labels[t]
        if a < m:
            below = a
            if not allow_repeats and labels[t - 1] < a:
                below -= 1
        else:
            below = m if allow_repeats else m - 1
        rank += below * D[steps - t, m]
        if a == m:
            m += 1
    return rank


@njit(cache=True, inline="always")
def _hash_labels(labels, steps, n_buckets):
    h = np.uint64(steps) * _GOLDEN
    for t in range(1, steps + 1):
        h = mix64(h ^ (np.uint64(labels[t]) + _GOLDEN))
    return bounded(h, n_buckets)


@njit(cache=True, inline="always")
def _anonymize(walk, length, labels, seen):
    """Write the anonymous labels of ``walk[0 .. length-1]`` into ``labels``."""
    distinct = 0
    for t in range(length):
        v = walk[t]
        lab = -1
        for k in range(distinct):
            if seen[k] == v:
                lab = k
                break
        if lab < 0:
            seen[distinct] = v
            lab = distinct
            distinct += 1
        labels[t] = lab


@njit(cache=True)
def anonymous_codes(walks, lengths, steps, D, allow_repeats, n_buckets):
    """Anonymous-walk code of the first ``steps`` steps of each walk (-1 if it is shorter).

    Dense rank (``n_buckets == 0``) or hashed bucket (``n_buckets > 0``).
    """
    n_walks = walks.shape[0]
    out = np.full(n_walks, -1, dtype=np.int64)
    labels = np.empty(steps + 1, dtype=np.int64)
    seen = np.empty(steps + 1, dtype=np.int64)
    for j in range(n_walks):
        if lengths[j] < steps + 1:
            continue
        _anonymize(walks[j], steps + 1, labels, seen)
        if n_buckets == 0:
            out[j] = _rank(labels, steps, D, allow_repeats)
        else:
            out[j] = _hash_labels(labels, steps, n_buckets)
    return out


@njit(cache=True, parallel=True)
def walk_statistics(indptr, indices, cumw, weighted, second_order, inv_p, inv_q, max_alpha,
                    starts, walks_per_node, max_steps, seed, steps_list, offsets, buckets, D,
                    allow_repeats, hist, returns, first_returns, degree_bins, n_degree_bins,
                    degree_hist, node_keys):
    """Fused pass: per start node, anonymous-walk counts for several lengths and return counts.

    The walks are exactly those of :func:`sample_walks` with ``max_steps + 1`` columns (same ids,
    same streams); no walk matrix is stored. For the ``k``-th requested length
    ``steps_list[k]``, the code of the walk prefix (dense rank if ``buckets[k] == 0``, else a
    hashed bucket) is counted in ``hist[i, offsets[k] + code]``. ``returns[i, t-1]`` counts walks
    at the start node after ``t`` steps, ``first_returns[i, t-1]`` those back for the first time.
    ``degree_hist[i, t * n_degree_bins + degree_bins[v]]`` counts walks at a node ``v`` after
    ``t`` steps, for ``t <= degree_hist.shape[1] // n_degree_bins - 1``.

    If ``node_keys`` is non-empty, the ``r``-th walk from start ``i`` draws from
    ``stream_key(stream_key(seed, node_keys[i]), r)`` instead: a node's statistics then depend
    only on the seed and the node's key, not on which other nodes are processed with it.
    """
    n_start = starts.shape[0]
    n_lengths = steps_list.shape[0]
    seed = np.uint64(seed)
    n_bins = n_degree_bins
    degree_steps = degree_hist.shape[1] // n_bins - 1
    for i in prange(n_start):
        walk = np.empty(max_steps + 1, dtype=np.int64)
        labels = np.empty(max_steps + 1, dtype=np.int64)
        s = starts[i]
        keyed = node_keys.shape[0] > 0
        node_state = stream_key(seed, node_keys[i]) if keyed else seed
        for r in range(walks_per_node):
            if keyed:
                state = stream_key(node_state, np.uint64(r))
            else:
                state = stream_key(seed, np.uint64(r * n_start + i))
            counter = np.uint64(0)
            cur = s
            prev = -1
            walk[0] = s
            labels[0] = 0
            distinct = 1
            length = 1
            returned = False
            if degree_steps >= 0:
                degree_hist[i, degree_bins[s]] += 1
            while length <= max_steps:
                nxt, counter = _step(indptr, indices, cumw, weighted, second_order, inv_p, inv_q,
                                     max_alpha, prev, cur, state, counter)
                if nxt < 0:
                    break
                lab = -1
                for k in range(length):  # label of nxt: its first position's label
                    if walk[k] == nxt:
                        lab = labels[k]
                        break
                if lab < 0:
                    lab = distinct
                    distinct += 1
                walk[length] = nxt
                labels[length] = lab
                if length <= degree_steps:
                    degree_hist[i, length * n_bins + degree_bins[nxt]] += 1
                if nxt == s:
                    returns[i, length - 1] += 1
                    if not returned:
                        first_returns[i, length - 1] += 1
                        returned = True
                length += 1
                prev = cur
                cur = nxt
            for k in range(n_lengths):
                steps = steps_list[k]
                if length < steps + 1:
                    continue
                if buckets[k] == 0:
                    code = _rank(labels, steps, D, allow_repeats)
                else:
                    code = _hash_labels(labels, steps, buckets[k])
                hist[i, offsets[k] + code] += 1


@njit(cache=True)
def row_cumsum(indptr, weights):
    """Per-row cumulative sums of ``weights`` in float64 (restarting at every row)."""
    out = np.empty(weights.shape[0], dtype=np.float64)
    for v in range(indptr.shape[0] - 1):
        acc = 0.0
        for k in range(indptr[v], indptr[v + 1]):
            acc += weights[k]
            out[k] = acc
    return out


@njit(cache=True, parallel=True)
def start_cooccurrence(walks, lengths, window):
    """Co-occurrence counts of each walk's start node with the nodes within ``window`` of it.

    For every position ``t`` where a walk is at its start node ``s = walks[j, 0]``, each node
    ``u`` at distance 1..window (either side) is counted as a pair ``(j, u)``. Returns the pairs
    sorted by ``(walk, u)`` with counts, as ``(walk_index, node, count)`` arrays.
    """
    n_walks = walks.shape[0]
    sizes = np.zeros(n_walks + 1, dtype=np.int64)
    for j in prange(n_walks):
        s = walks[j, 0]
        L = lengths[j]
        total = 0
        for t in range(L):
            if walks[j, t] == s:
                total += min(window, L - 1 - t) + min(window, t)
        sizes[j + 1] = total
    for j in range(n_walks):
        sizes[j + 1] += sizes[j]
    nodes = np.empty(sizes[n_walks], dtype=np.int64)
    for j in prange(n_walks):
        s = walks[j, 0]
        L = lengths[j]
        pos = sizes[j]
        for t in range(L):
            if walks[j, t] == s:
                for d in range(1, min(window, t) + 1):
                    nodes[pos] = walks[j, t - d]
                    pos += 1
                for d in range(1, min(window, L - 1 - t) + 1):
                    nodes[pos] = walks[j, t + d]
                    pos += 1
        nodes[sizes[j]:pos] = np.sort(nodes[sizes[j]:pos])
    n_unique = 0
    for j in range(n_walks):
        for k in range(sizes[j], sizes[j + 1]):
            if k == sizes[j] or nodes[k] != nodes[k - 1]:
                n_unique += 1
    w_out = np.empty(n_unique, dtype=np.int64)
    u_out = np.empty(n_unique, dtype=np.int64)
    c_out = np.zeros(n_unique, dtype=np.int64)
    pos = -1
    for j in range(n_walks):
        for k in range(sizes[j], sizes[j + 1]):
            if k == sizes[j] or nodes[k] != nodes[k - 1]:
                pos += 1
                w_out[pos] = j
                u_out[pos] = nodes[k]
            c_out[pos] += 1
    return w_out, u_out, c_out


@njit(cache=True, parallel=True)
def window_pairs(walks, lengths, window):
    """Every pair (walks[j, t], walks[j, t + d]), 1 <= d <= window, as two int32 arrays.

    Pair order is fixed by the walks (walk by walk, position by position), not by threads.
    """
    n_walks = walks.shape[0]
    offsets = np.zeros(n_walks + 1, dtype=np.int64)
    for j in range(n_walks):
        L = lengths[j]
        total = 0
        for t in range(L - 1):
            total += min(window, L - 1 - t)
        offsets[j + 1] = offsets[j] + total
    rows = np.empty(offsets[n_walks], dtype=np.int32)
    cols = np.empty(offsets[n_walks], dtype=np.int32)
    for j in prange(n_walks):
        L = lengths[j]
        pos = offsets[j]
        for t in range(L - 1):
            u = walks[j, t]
            for d in range(1, min(window, L - 1 - t) + 1):
                rows[pos] = u
                cols[pos] = walks[j, t + d]
                pos += 1
    return rows, cols
