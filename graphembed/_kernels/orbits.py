"""Numba kernels for graphlet orbit adjacencies and orbit counts (graphlets of 2-4 nodes).

All kernels take the CSR pattern of a *simple undirected* graph (sorted ``indices``, no
self-loops, both directions stored) and work row by row: the thread that owns row ``u`` writes
every output entry of row ``u`` and nothing else, so there are no atomics and no duplicates, and
the result does not depend on the thread count. Row ranges (``bounds``) are chosen by the caller
to balance the work; each range gets its own scratch arrays.

The counting rests on one observation. For a pair ``(u, v)`` every other node ``x`` has a *type*:
adjacent to ``u`` only (U), to ``v`` only (V), to both (B), or to neither (0). A 4-node set
``{u, v, x, y}`` is then classified by ``A[u, v]``, the two types and whether ``x ~ y``; so every
key ``(h, i, j)`` is a count of node pairs or edges between two type classes, e.g. for an edge
``u ~ v`` the key (1, 8, 8) counts the edges between U and V (the 4-cycles through ``uv``). The
edge counts between classes follow from a few sums accumulated over the 2-paths ``u - x - v``:

* ``w``   = |B|, the common neighbours (triangles on the edge when ``u ~ v``),
* ``E``   = edges inside B,
* ``stu`` = sum over x in B of t(u, x), ``stv`` = sum over x in B of t(v, x)
  (t = triangles on an edge),
* ``sd``  = sum over x in B of deg(x),

plus node triangle counts, the degree sums of neighbourhoods and, for edges, the number of
3-paths ``u - x - y - v``. See ``_edge_keys`` and ``_pair_keys`` for the equations.
"""

import numpy as np
from numba import njit, prange

from .rng import draw, stream_key

# h = 1 keys in the order _edge_keys returns them; h = 2 keys in the order of _pair_keys.
H1_KEYS = (
    (1, 0, 0), (1, 1, 2), (1, 2, 1), (1, 3, 3), (1, 4, 5), (1, 5, 4), (1, 5, 5), (1, 6, 7),
    (1, 7, 6), (1, 8, 8), (1, 9, 11), (1, 11, 9), (1, 10, 10), (1, 10, 11), (1, 11, 10),
    (1, 12, 13), (1, 13, 12), (1, 13, 13), (1, 14, 14),
)
H2_KEYS = ((2, 1, 1), (2, 4, 5), (2, 5, 4), (2, 6, 6), (2, 8, 8), (2, 9, 10), (2, 10, 9),
           (2, 12, 12))
H3_KEY = (3, 4, 4)

# Orbit i of the graphlet degree vector = (row sum of the h = 1 key GDV_FROM[i]) / GDV_DIV[i].
GDV_FROM = np.array([0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 11, 15, 16, 18], dtype=np.int64)
GDV_DIV = np.array([1, 1, 2, 2, 1, 1, 1, 3, 2, 1, 1, 1, 2, 2, 3], dtype=np.int64)


@njit(cache=True, inline="always")
def _contains(indices, lo, hi, value):
    """Binary search for ``value`` in the sorted slice ``indices[lo:hi]``."""
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo < end and indices[lo] == value


@njit(cache=True, inline="always")
def _edge_keys(du, dv, w, e, stu, stv, sd, tu, tv, d1u, d1v, p3):
    """The 19 h = 1 counts of an edge ``u ~ v`` (order of ``H1_KEYS``).

    du, dv: degrees; w: common neighbours; e: edges among them; stu, stv, sd: sums over the
    common neighbours x of t(u, x), t(v, x), deg(x); tu, tv: triangles at u and v; d1u, d1v: sum
    of the degrees of the neighbours of u and v; p3: paths u - x - y - v with x, y not in {u, v}.
    """
    nu = du - 1 - w  # |U|: neighbours of u other than v, not adjacent to v
    nv = dv - 1 - w  # |V|
    e_ub = stu - w - 2 * e  # edges between U and B
    e_vb = stv - w - 2 * e
    e_b0 = sd - 2 * w - e_ub - e_vb - 2 * e  # edges from B to nodes adjacent to neither
    e_uu = tu - e_ub - e - w  # edges inside U
    e_vv = tv - e_vb - e - w
    e_uv = p3 - e_ub - e_vb - 2 * e  # edges between U and V: 4-cycles through u ~ v
    e_u0 = (d1u - sd - dv) - nu - 2 * e_uu - e_ub - e_uv
    e_v0 = (d1v - sd - du) - nv - 2 * e_vv - e_vb - e_uv
    return (
        np.int64(1), nv, nu, w, e_v0, e_u0, nu * nv - e_uv,
        nv * (nv - 1) // 2 - e_vv, nu * (nu - 1) // 2 - e_uu, e_uv, e_vv, e_uu, e_b0,
        nv * w - e_vb, nu * w - e_ub, e_vb, e_ub, w * (w - 1) // 2 - e, e,
    )


@njit(cache=True, inline="always")
def _pair_keys(du, dv, w, e, stu, stv, sd):
    """The 8 h = 2 counts of a non-adjacent pair with ``w`` > 0 (order of ``H2_KEYS``)."""
    nu = du - w
    nv = dv - w
    e_ub = stu - 2 * e
    e_vb = stv - 2 * e
    e_b0 = sd - 2 * w - e_ub - e_vb - 2 * e
    return (w, nv * w - e_vb, nu * w - e_ub, e_b0, w * (w - 1) // 2 - e, e_vb, e_ub, e)


@njit(cache=True)
def _far_sorted(touched, k, w, nb, u, n):
    """The touched nodes that are not neighbours of ``u``, in increasing order.

    ``touched[:k]`` lists the nodes with ``w > 0`` (u excluded); ``nb[v] == u`` marks neighbours.
    A long list is read back from the dense array in index order (O(n)), a short one is filtered
    and sorted (O(k log k)); both give the same result.
    """
    if k * 16 > n:
        m = 0
        for v in range(n):
            if w[v] > 0 and nb[v] != u:
                m += 1
        out = np.empty(m, np.int64)
        m = 0
        for v in range(n):
            if w[v] > 0 and nb[v] != u:
                out[m] = v
                m += 1
        return out
    m = 0
    for i in range(k):
        if nb[touched[i]] != u:
            m += 1
    out = np.empty(m, np.int64)
    m = 0
    for i in range(k):
        v = touched[i]
        if nb[v] != u:
            out[m] = v
            m += 1
    out.sort()
    return out


@njit(cache=True, parallel=True)
def edge_triangles(indptr, indices, bounds):
    """Triangles on every edge, aligned to the CSR slots: O(sum over edges of min degree · log)."""
    n = indptr.size - 1
    tri = np.zeros(indices.size, np.int64)
    for c in prange(bounds.size - 1):
        mark = np.full(n, -1, np.int64)
        for u in range(bounds[c], bounds[c + 1]):
            s0 = indptr[u]
            s1 = indptr[u + 1]
            for s in range(s0, s1):
                mark[indices[s]] = u
            du = s1 - s0
            for s in range(s0, s1):
                x = indices[s]
                x0 = indptr[x]
                x1 = indptr[x + 1]
                cnt = 0
                if x1 - x0 <= du:
                    for q in range(x0, x1):
                        if mark[indices[q]] == u:
                            cnt += 1
                else:
                    for q in range(s0, s1):
                        if _contains(indices, x0, x1, indices[q]):
                            cnt += 1
                tri[s] = cnt
    return tri


@njit(cache=True, parallel=True)
def distance2_counts(indptr, indices, bounds):
    """Per row, the number of nodes at distance exactly 2 (the pattern of the h = 2 keys)."""
    n = indptr.size - 1
    counts = np.zeros(n, np.int64)
    for c in prange(bounds.size - 1):
        mark = np.full(n, -1, np.int64)
        for u in range(bounds[c], bounds[c + 1]):
            mark[u] = u
            for s in range(indptr[u], indptr[u + 1]):
                mark[indices[s]] = u
            cnt = 0
            for s in range(indptr[u], indptr[u + 1]):
                x = indices[s]
                for q in range(indptr[x], indptr[x + 1]):
                    v = indices[q]
                    if mark[v] != u:
                        mark[v] = u
                        cnt += 1
            counts[u] = cnt
    return counts


@njit(cache=True)
def _accumulate_row(u, indptr, indices, tri, deg, only_neighbours, nb, mx, w, e, stu, stv, sd,
                    touched, partners):
    """Fill the per-pair sums of row ``u`` over the 2-paths ``u - x - v``; return how many v.

    ``nb[v] == u`` must mark the neighbours of u. With ``only_neighbours`` the sums other than
    ``w`` are kept for the neighbours of u only (all that orbit counts need).
    """
    k = 0
    for s in range(indptr[u], indptr[u + 1]):
        x = indices[s]
        t_ux = tri[s]
        dx = deg[x]
        npart = 0
        for q in range(indptr[x], indptr[x + 1]):
            v = indices[q]
            mx[v] = x
            if v == u:
                continue
            if w[v] == 0:
                touched[k] = v
                k += 1
            w[v] += 1
            if nb[v] == u:
                # v closes a triangle u, x, v; the edge x ~ v is handled once, from its
                # endpoint of higher (degree, id) rank, by scanning the other endpoint's list.
                if deg[v] < dx or (deg[v] == dx and v < x):
                    partners[npart] = v
                    npart += 1
            elif only_neighbours:
                continue
            stu[v] += t_ux
            stv[v] += tri[q]
            sd[v] += dx
        # edges (x, y) inside N(u): every v adjacent to both x and y gets one more edge among
        # its common neighbours with u
        for p in range(npart):
            y = partners[p]
            for q in range(indptr[y], indptr[y + 1]):
                v = indices[q]
                if v != u and mx[v] == x and (not only_neighbours or nb[v] == u):
                    e[v] += 1
    return k


@njit(cache=True)
def _path3(u, v, indptr, indices, w, dv):
    """Paths u - x - y - v with x, y outside {u, v}, for an edge u ~ v (w = row u of A·A)."""
    total = 0
    for q in range(indptr[v], indptr[v + 1]):
        y = indices[q]
        if y != u:
            total += w[y]
    return total - (dv - 1)


@njit(cache=True)
def _row_scratch(n):
    """One thread's O(n) scratch for the row pass: marks (nb, mx), the per-partner sums
    (w, e, stu, stv, sd) and the lists of touched nodes and partners."""
    return (np.full(n, -1, np.int64), np.full(n, -1, np.int64), np.zeros(n, np.int64),
            np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64),
            np.zeros(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64))


@njit(cache=True)
def _clear_row(touched, k, w, e, stu, stv, sd):
    """Reset the per-partner sums of the ``k`` nodes a row touched (O(k), not O(n))."""
    for i in range(k):
        v = touched[i]
        w[v] = 0
        e[v] = 0
        stu[v] = 0
        stv[v] = 0
        sd[v] = 0


@njit(cache=True)
def _edge_values(u, v, s, indptr, indices, tri, deg, tnode, d1, w, e, stu, stv, sd):
    """The 19 h = 1 key values of the edge u ~ v stored at CSR slot ``s``."""
    p3 = _path3(u, v, indptr, indices, w, deg[v])
    return _edge_keys(deg[u], deg[v], tri[s], e[v], stu[v], stv[v], sd[v], tnode[u], tnode[v],
                      d1[u], d1[v], p3)


@njit(cache=True, parallel=True)
def orbit_rows(indptr, indices, tri, deg, tnode, d1, bounds, h1_out, h2_out, h2_indptr, h2_idx):
    """The h = 1 and h = 2 orbit adjacencies of every row, written in place.

    ``h1_out`` is a tuple of 19 int64 arrays (order of H1_KEYS), each of length nnz (aligned to
    the slots of A) for a wanted key or 0 for a key left out; ``h2_out`` likewise 8 arrays of
    length nnz2 = h2_indptr[-1] or 0. ``h2_idx`` (length nnz2) receives the distance-2 pattern,
    whose row layout ``h2_indptr`` comes from :func:`distance2_counts`; nnz2 = 0 skips it.
    """
    n = indptr.size - 1
    want1 = np.zeros(19, np.bool_)
    want2 = np.zeros(8, np.bool_)
    for key in range(19):
        want1[key] = h1_out[key].size > 0
    for key in range(8):
        want2[key] = h2_out[key].size > 0
    any1 = want1.any()
    do_h2 = h2_idx.size > 0
    for c in prange(bounds.size - 1):
        nb, mx, w, e, stu, stv, sd, touched, partners = _row_scratch(n)
        for u in range(bounds[c], bounds[c + 1]):
            for s in range(indptr[u], indptr[u + 1]):
                nb[indices[s]] = u
            k = _accumulate_row(u, indptr, indices, tri, deg, not do_h2, nb, mx, w, e, stu, stv,
                                sd, touched, partners)
            du = deg[u]
            if any1:
                for s in range(indptr[u], indptr[u + 1]):
                    v = indices[s]
                    vals = _edge_values(u, v, s, indptr, indices, tri, deg, tnode, d1, w, e, stu,
                                        stv, sd)
                    for key in range(19):
                        if want1[key]:
                            h1_out[key][s] = vals[key]
            if do_h2:
                pos = h2_indptr[u]
                for v in _far_sorted(touched, k, w, nb, u, n):
                    h2_idx[pos] = v
                    vals2 = _pair_keys(du, deg[v], w[v], e[v], stu[v], stv[v], sd[v])
                    for key in range(8):
                        if want2[key]:
                            h2_out[key][pos] = vals2[key]
                    pos += 1
            _clear_row(touched, k, w, e, stu, stv, sd)


@njit(cache=True, parallel=True)
def orbit_count_rows(indptr, indices, tri, deg, tnode, d1, bounds):
    """The graphlet degree vectors (n, 15): row sums of the h = 1 keys divided by m(h, i, j)."""
    n = indptr.size - 1
    gdv = np.zeros((n, 15), np.int64)
    for c in prange(bounds.size - 1):
        nb, mx, w, e, stu, stv, sd, touched, partners = _row_scratch(n)
        sums = np.zeros(19, np.int64)
        for u in range(bounds[c], bounds[c + 1]):
            for s in range(indptr[u], indptr[u + 1]):
                nb[indices[s]] = u
            # n >= 0 is True, typed bool like the other call's flag (a literal True would
            # compile a second _accumulate_row)
            k = _accumulate_row(u, indptr, indices, tri, deg, n >= 0, nb, mx, w, e, stu, stv, sd,
                                touched, partners)
            sums[:] = 0
            for s in range(indptr[u], indptr[u + 1]):
                v = indices[s]
                vals = _edge_values(u, v, s, indptr, indices, tri, deg, tnode, d1, w, e, stu, stv,
                                    sd)
                for key in range(19):
                    sums[key] += vals[key]
            for i in range(15):
                gdv[u, i] = sums[GDV_FROM[i]] // GDV_DIV[i]
            _clear_row(touched, k, w, e, stu, stv, sd)
    return gdv


_FAR = np.int64(-(2**62))  # marks u and its neighbours in the accumulator: never positive


@njit(cache=True)
def _hop3_row(u, indptr, indices, h2_indptr, h2_idx, w211, e910, acc, touched):
    """Row u of (3, 4, 4) into ``acc`` (positive entries are the non-zeros); returns how many
    nodes were touched. The caller resets ``acc`` with :func:`_hop3_reset`.

    (3, 4, 4)[u, v] counts the edges x ~ y with x adjacent to u only and y adjacent to v only,
    for u, v not adjacent: the 3-paths u - x - y - v whose middle node x is at distance 2 from u
    (that is ((2,1,1) · A)[u, v]), less those where y is also adjacent to u ((2, 9, 10)[u, v]).
    u and its neighbours are set to a large negative value first, so they never count.
    """
    acc[u] = _FAR
    for s in range(indptr[u], indptr[u + 1]):
        acc[indices[s]] = _FAR
    k = 0
    for p in range(h2_indptr[u], h2_indptr[u + 1]):
        y = h2_idx[p]
        wy = w211[p]
        for q in range(indptr[y], indptr[y + 1]):
            v = indices[q]
            if acc[v] == 0:
                touched[k] = v
                k += 1
            acc[v] += wy
    for p in range(h2_indptr[u], h2_indptr[u + 1]):
        acc[h2_idx[p]] -= e910[p]
    return k


@njit(cache=True)
def _hop3_reset(u, indptr, indices, acc, touched, k):
    acc[u] = 0
    for s in range(indptr[u], indptr[u + 1]):
        acc[indices[s]] = 0
    for i in range(k):
        acc[touched[i]] = 0


@njit(cache=True, parallel=True)
def hop3_counts(indptr, indices, h2_indptr, h2_idx, w211, e910, bounds):
    """Per row, the number of non-zeros of (3, 4, 4)."""
    n = indptr.size - 1
    counts = np.zeros(n, np.int64)
    for c in prange(bounds.size - 1):
        acc = np.zeros(n, np.int64)
        touched = np.empty(n, np.int64)
        for u in range(bounds[c], bounds[c + 1]):
            k = _hop3_row(u, indptr, indices, h2_indptr, h2_idx, w211, e910, acc, touched)
            cnt = 0
            for i in range(k):
                cnt += acc[touched[i]] > 0
            counts[u] = cnt
            _hop3_reset(u, indptr, indices, acc, touched, k)
    return counts


@njit(cache=True, parallel=True)
def hop3_fill(indptr, indices, h2_indptr, h2_idx, w211, e910, bounds, out_indptr):
    """The (3, 4, 4) matrix on the row layout ``out_indptr`` from :func:`hop3_counts`."""
    n = indptr.size - 1
    out_idx = np.empty(out_indptr[-1], indices.dtype)
    out_val = np.empty(out_indptr[-1], np.int64)
    for c in prange(bounds.size - 1):
        acc = np.zeros(n, np.int64)
        touched = np.empty(n, np.int64)
        for u in range(bounds[c], bounds[c + 1]):
            k = _hop3_row(u, indptr, indices, h2_indptr, h2_idx, w211, e910, acc, touched)
            pos = out_indptr[u]
            end = out_indptr[u + 1]
            if k * 16 > n:
                # read the row back in index order; the write is unconditional and the
                # position advances only on a positive value (no unpredictable branch), the
                # last slot of the row standing guard against the overrun
                for v in range(n):
                    a = acc[v]
                    if pos < end:
                        out_idx[pos] = v
                        out_val[pos] = a
                    pos += a > 0
                    acc[v] = 0
            else:
                order = np.sort(touched[:k])
                for v in order:
                    if acc[v] > 0:
                        out_idx[pos] = v
                        out_val[pos] = acc[v]
                        pos += 1
                _hop3_reset(u, indptr, indices, acc, touched, k)
    return out_idx, out_val


@njit(cache=True, parallel=True)
def rademacher(node_keys, seed, salt, cols):
    """A (n, cols) matrix of ±1 whose row r depends only on (seed, salt, node_keys[r])."""
    n = node_keys.size
    out = np.empty((n, cols), np.float64)
    for r in prange(n):
        state = stream_key(seed, node_keys[r] ^ salt)
        for c in range(cols):
            out[r, c] = 1.0 if draw(state, np.uint64(c)) >> np.uint64(63) else -1.0
    return out


@njit(cache=True)
def compact_rows(values, indptr, indices):
    """The non-zeros of ``values`` laid out on the CSR pattern (indptr, indices), as CSR.

    Sequential on purpose: it is memory-bound, and one thread avoids a parallel launch per key.
    Returns ``(indptr, indices, values)`` unchanged (the same objects) when nothing is zero.
    """
    n = indptr.size - 1
    new_indptr = np.zeros(n + 1, np.int64)
    for u in range(n):
        cnt = 0
        for s in range(indptr[u], indptr[u + 1]):
            if values[s] != 0:
                cnt += 1
        new_indptr[u + 1] = new_indptr[u] + cnt
    if new_indptr[n] == values.size:
        return indptr, indices, values
    new_indices = np.empty(new_indptr[n], indices.dtype)
    new_values = np.empty(new_indptr[n], values.dtype)
    pos = 0
    for s in range(values.size):
        if values[s] != 0:
            new_indices[pos] = indices[s]
            new_values[pos] = values[s]
            pos += 1
    return new_indptr, new_indices, new_values
