"""Walk and orbit methods on a partition's subgraph, and the rotations that bring the
partitions into one coordinate system (orthogonal Procrustes on anchors, then on shared nodes).

Every partition embeds its members (owned nodes, halo, anchors) with a registered method of
graphembed.methods; each member keeps its global seeding key, so one partition holding the whole
graph reproduces the single-machine embedding exactly.
"""

from __future__ import annotations

import numpy as np

from .arrow import _np, vectors_from_arrow, vectors_to_arrow
from .local import member_graph


SUBGRAPH_SCHEMA = "part int, node long, role int, vec array<float>"


def embed_subgraph(arcs, members, *, method, dim, random_state, params=None, num_threads=1,
                   halo_arcs=2.0):
    """Per partition: embed the subgraph induced on ``members`` with a registered method.

    Parameters
    ----------
    arcs : Arrow table ``src, dst[, weight]``: arcs between members (others are ignored).
    members : Arrow table ``part, node, key, role``: owned nodes (role 0), halo (1), anchors (2).
    method : str, a name in :mod:`graphembed.methods`.
    halo_arcs : float or None, the halo-arc budget of :func:`member_graph` (None: every arc).

    Returns Arrow ``part, node, role, vec`` for every member. The subgraph's rows are the members
    sorted by id, and each keeps its global seeding key, so one partition holding the whole graph
    reproduces the single-machine embedding exactly. A subgraph with fewer members than ``dim``
    gets ``len(members)`` columns padded with zeros; one without edges gets zero vectors. Time and memory: those of the method on the
    subgraph.
    """
    import pyarrow as pa

    from ..methods import get_method

    ids, roles, g = member_graph(arcs, members, halo_arcs=halo_arcs)
    m = get_method(method)
    kwargs = {k: v for k, v in m.parse_params(params).items() if v is not None}
    # a partition smaller than dim is embedded in len(ids) columns, padded with zeros (methods
    # built on an SVD cannot have more columns than rows)
    d_eff = max(1, min(dim, len(ids)))
    X = np.zeros((len(ids), dim), dtype=np.float32)
    if g.nnz:  # a subgraph without edges (a lone node) keeps zero vectors
        X[:, :d_eff] = m.function()(g, dim=d_eff, random_state=random_state,
                                    num_threads=num_threads, **kwargs)
    part = members.column("part")[0].as_py() if members.num_rows else 0
    return pa.table({
        "part": pa.array(np.full(len(ids), part, np.int32)), "node": ids,
        "role": pa.array(roles, pa.int32()), "vec": vectors_to_arrow(X),
    })


def procrustes(source, target) -> np.ndarray:
    """Orthogonal Q minimising ``||source · Q − target||_F`` (Schönemann 1966). O(m·d² + d³).

    >>> rng = np.random.default_rng(0); X = rng.normal(size=(20, 3))
    >>> Q0, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    >>> bool(np.allclose(procrustes(X @ Q0, X), Q0.T))
    True
    """
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if source.shape != target.shape or source.ndim != 2:
        raise ValueError(
            f"source and target must be matrices of the same shape, got {source.shape} and "
            f"{target.shape}"
        )
    u, _, vt = np.linalg.svd(source.T @ target)
    return u @ vt


def align_to_targets(cross, dim) -> np.ndarray:
    """Rotation from an accumulated cross-covariance ``Σ sourceᵀ·target`` (d × d). O(d³)."""
    cross = np.asarray(cross, dtype=np.float64).reshape(dim, dim)
    if not np.any(cross):
        return np.eye(dim)
    u, _, vt = np.linalg.svd(cross)
    return u @ vt


def cross_covariance(rows, *, dim):
    """Per partition: ``Σ vecᵀ·target`` over its shared rows (``part, vec, target``), d × d.

    Returns a one-row table ``part, cross array<double>`` (row-major). O(rows·d²).
    """
    import pyarrow as pa

    X = vectors_from_arrow(rows.column("vec"), dim).astype(np.float64)
    T = vectors_from_arrow(rows.column("target"), dim).astype(np.float64)
    part = rows.column("part")[0].as_py() if rows.num_rows else 0
    return pa.table({"part": pa.array([part], pa.int32()),
                     "cross": pa.array([(X.T @ T).reshape(-1).tolist()], pa.list_(pa.float64()))})


CROSS_SCHEMA = "part int, cross array<double>"


def rotate_batches(batches, *, rotations, dim, vec="vec", out=None):
    """``mapInArrow`` body: rows ``part, ..., vec`` -> the same with ``vec·Q[part]``.

    ``rotations``: {part: (d, d) array}; parts without one are left as they are. O(rows·d²).
    """
    import pyarrow as pa

    for batch in batches:
        X = vectors_from_arrow(batch.column(vec), dim)
        parts = _np(batch, "part", np.int64)
        Y = X.copy()
        for p in np.unique(parts):
            Q = rotations.get(int(p))
            if Q is not None:
                sel = parts == p
                Y[sel] = (X[sel].astype(np.float64) @ Q).astype(np.float32)
        name = out or vec
        cols = {c: batch.column(c) for c in batch.schema.names}
        cols[name] = vectors_to_arrow(Y)
        yield pa.RecordBatch.from_pydict(cols)


def reference_partition(sizes):
    """The alignment reference: the partition with most owned nodes (smallest label on ties)."""
    best = max(sizes.items(), key=lambda kv: (kv[1], -kv[0]))
    return int(best[0])


def anchor_rotations(anchor_vectors, reference):
    """First alignment pass: ``{part: Q}`` rotating each partition's anchors onto the reference's.

    ``anchor_vectors``: {part: (node ids, (A, d) vectors)} of the replicated anchors.
    Partitions that share fewer than 2 anchors with the reference keep the identity. O(P·A·d²).
    """
    ref_ids, ref_vec = anchor_vectors[reference]
    lookup = {int(a): i for i, a in enumerate(ref_ids)}
    out = {}
    for p, (ids, vec) in anchor_vectors.items():
        dim = vec.shape[1]
        if p == reference:
            out[p] = np.eye(dim)
            continue
        common = [(i, lookup[int(a)]) for i, a in enumerate(ids) if int(a) in lookup]
        if len(common) < 2:
            out[p] = np.eye(dim)
            continue
        src = vec[[i for i, _ in common]]
        tgt = ref_vec[[j for _, j in common]]
        out[p] = procrustes(src, tgt)
    return out
