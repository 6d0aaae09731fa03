"""DistNE border levels: each partition's internal embedding beside a border-level embedding
(of the subgraph induced on the nodes with an arc leaving their partition), which interior nodes
receive by smoothing from the border.
"""

from __future__ import annotations

import numpy as np

from .arrow import _np, vectors_from_arrow, vectors_to_arrow
from .local import local_csr
from .subgraph import embed_subgraph


def smooth_border(indptr, indices, border_vectors, has_border, *, steps=3):
    """DistNE mode: border-level vectors for a partition's interior nodes.

    Border nodes keep their border-level vector; the others get the mean of their neighbours'
    vectors, repeated ``steps`` times within the partition (a harmonic extension from the border),
    and any still-zero row the mean of the border rows. O(steps·nnz·d).
    """
    from ..fastrp import propagate

    X = np.where(has_border[:, None], border_vectors, 0).astype(np.float32)
    fixed = X.copy()
    for _ in range(steps):
        Y = propagate(indptr, indices, None, X)
        X = np.where(has_border[:, None], fixed, Y).astype(np.float32)
    zero = ~np.any(X, axis=1)
    if np.any(zero) and np.any(has_border):
        X[zero] = fixed[has_border].mean(axis=0)
    return X


def distne_partition(arcs, rows, *, method, dim_internal, dim_border, random_state, params=None,
                     smooth_steps=3):
    """Per partition, DistNE mode: internal embedding beside the smoothed border-level vectors.

    ``arcs``: ``src, dst[, weight]`` inside the partition; ``rows``: ``part, node, key, border,
    bvec`` (``bvec`` the border-level vector of border nodes, zeros elsewhere). Returns
    ``part, node, role, vec`` (role 0, ``vec`` of width ``dim_internal + dim_border``).
    Time: the method on the partition plus O(smooth_steps·arcs·dim_border).
    """
    import pyarrow as pa

    ids = _np(rows, "node", np.int64)
    order = np.argsort(ids, kind="stable")
    rows = rows.take(pa.array(order))
    ids = ids[order]
    n = len(ids)
    parts = []
    if dim_internal:
        mem = pa.table({"part": rows.column("part"), "node": rows.column("node"),
                        "key": rows.column("key"),
                        "role": pa.array(np.zeros(n, np.int32))})
        t = embed_subgraph(arcs, mem, method=method, dim=dim_internal, random_state=random_state,
                           params=params)
        parts.append(vectors_from_arrow(t.column("vec"), dim_internal))
    if dim_border:
        src, dst = _np(arcs, "src", np.int64), _np(arcs, "dst", np.int64)
        inside = np.isin(dst, ids) & np.isin(src, ids)
        indptr, indices, _, _ = local_csr(src[inside], dst[inside], None, ids,
                                          extra=np.zeros(0, np.int64))
        B = vectors_from_arrow(rows.column("bvec"), dim_border)
        parts.append(smooth_border(indptr, indices, B, _np(rows, "border", bool),
                                   steps=smooth_steps))
    X = np.hstack(parts) if parts else np.zeros((n, 0), np.float32)
    return pa.table({"part": rows.column("part"), "node": pa.array(ids),
                     "role": pa.array(np.zeros(n, np.int32)), "vec": vectors_to_arrow(X)})
