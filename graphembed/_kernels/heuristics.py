"""Neighbourhood link-prediction heuristics over CSR arrays (numba).

For each pair (u, v) the sorted neighbour lists of u and v are merged once, giving the number
of common neighbours and the Adamic–Adar sum ``Σ_w 1 / log(deg w)`` over common neighbours w.
Neighbour lists must be sorted (the canonical CSR form guarantees it).
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def common_neighbour_scores(indptr, indices, inv_log_degree, us, vs, cn_out, aa_out):
    """Fill ``cn_out[i]`` and ``aa_out[i]`` for the pair ``(us[i], vs[i])``. O(deg u + deg v)."""
    for i in prange(us.shape[0]):
        a, a_end = indptr[us[i]], indptr[us[i] + 1]
        b, b_end = indptr[vs[i]], indptr[vs[i] + 1]
        cn = 0
        aa = 0.0
        while a < a_end and b < b_end:
            x = indices[a]
            y = indices[b]
            if x == y:
                cn += 1
                aa += inv_log_degree[x]
                a += 1
                b += 1
            elif x < y:
                a += 1
            else:
                b += 1
        cn_out[i] = cn
        aa_out[i] = aa


def inverse_log_degree(indptr):
    """``1 / log(deg)`` per node; 0 where ``deg < 2`` (a common neighbour of two distinct nodes
    always has degree >= 2, so those entries are never used)."""
    deg = np.diff(indptr).astype(np.float64)
    out = np.zeros_like(deg)
    ok = deg > 1
    out[ok] = 1.0 / np.log(deg[ok])
    return out
