"""One partition's local graph and its halo: the CSR of its arcs, the ghost table, and the
member sets (owned nodes, halo, anchors) of the subgraph methods.

A partition owns a set of nodes and holds every arc leaving them; a ghost of partition ``p`` is a
node owned elsewhere that an arc of ``p`` points to (listed once per (ghost, partition) pair); the
halo of ``p`` is the set of nodes within 1 hop (2 hops for orbit counts, capped per hub) of its
owned nodes; anchors are a few global nodes (top degree) replicated everywhere.

The halo-arc budget bounds what a partition's task receives: every arc touching an owned node,
and of the arcs between two halo members those of lowest level — a level fixed for the whole
graph (:func:`halo_arc_levels`), cut once for all partitions (:func:`halo_level_cut`,
:func:`budgeted_member_arcs`), then per partition by the task itself (:func:`member_graph`).
"""

from __future__ import annotations

import numpy as np

from .arrow import _np
from .partitioning import node_priority

#: Roles of a partition's members: its own nodes, its halo, the replicated anchors.
OWNED, HALO, ANCHOR = 0, 1, 2


def local_csr(src, dst, weight, owned, *, extra=None, column_keys=None):
    """CSR of one partition's arcs, its rows the owned nodes, its columns owned + other nodes.

    Parameters
    ----------
    src, dst : int64 arrays of arcs; every ``src`` must be in ``owned``.
    weight : float array or None.
    owned : int64 ids of the rows, in the order wanted (sorted ids reproduce one machine's
        neighbour order, hence its float rounding).
    extra : int64 ids that may appear as ``dst`` but are not owned (ghosts), or None to take them
        from ``dst``. Column ``j < len(owned)`` is ``owned[j]``; the rest follow in sorted order.
    column_keys : uint64 or int64 keys of the columns (owned then extra), optional
        Neighbours within a row are listed by increasing key (as unsigned 64-bit), the summation
        order of graphembed.fastrp; default: by increasing id.

    Returns
    -------
    indptr, indices, weights, columns : the CSR and the id of every column (owned first).
    Time O(m log m), memory O(m + n).
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    owned = np.asarray(owned, dtype=np.int64)
    if extra is None:
        extra = np.setdiff1d(np.unique(dst), owned, assume_unique=True)
    columns = np.concatenate([owned, np.asarray(extra, dtype=np.int64)])
    order = np.argsort(columns, kind="stable")
    sorted_cols = columns[order]

    def lookup(ids, what):
        pos = np.searchsorted(sorted_cols, ids)
        pos = np.minimum(pos, max(len(sorted_cols) - 1, 0))
        if len(ids) and (len(sorted_cols) == 0 or np.any(sorted_cols[pos] != ids)):
            bad = ids[sorted_cols[pos] != ids][0] if len(sorted_cols) else ids[0]
            raise ValueError(f"{what} id {bad} of a partition's arc is not among its nodes")
        return order[pos]

    r = lookup(src, "source")
    if len(r) and np.any(r >= len(owned)):
        raise ValueError("every arc's source must be an owned node of the partition")
    c = lookup(dst, "target")
    # sort arcs by (row, key or id of the target)
    if column_keys is None:
        arc_order = np.lexsort((dst, r))
    else:
        ck = np.asarray(column_keys).astype(np.int64, copy=False).view(np.uint64)
        arc_order = np.lexsort((ck[c], r))
    r, c = r[arc_order], c[arc_order]
    w = None if weight is None else np.asarray(weight, dtype=np.float32)[arc_order]
    indptr = np.zeros(len(owned) + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=len(owned)), out=indptr[1:])
    return indptr, c.astype(np.int64), w, columns


def ghost_pairs(src_part, dst, dst_part):
    """The ghost table: distinct ``(node, part)`` with an arc from ``part`` to ``node`` owned
    elsewhere. Arrays in, (node, part) arrays out, sorted. O(m log m)."""
    cross = np.asarray(src_part) != np.asarray(dst_part)
    pairs = np.unique(np.stack([np.asarray(dst)[cross].astype(np.int64),
                                np.asarray(src_part)[cross].astype(np.int64)], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def halo_members(graph, parts, *, hops=1, cap=64, anchors=0, seed=0):
    """Members of every partition: owned nodes, the halo and the anchors (single-machine twin of
    the Spark joins). Returns {part: (rows int64, roles int32)}, rows sorted.

    The halo is every node within 1 hop of an owned node; with ``hops=2`` each 1-hop halo node
    also brings at most ``cap`` of its neighbours (those of smallest priority), so hubs cannot
    pull half the graph in. Anchors: the ``anchors`` nodes of largest degree (ties: priority),
    in every partition. O(nnz) per partition.
    """
    parts = np.asarray(parts, dtype=np.int64)
    indptr, indices = graph.indptr, graph.indices.astype(np.int64)
    pri = node_priority(graph.node_keys(), seed)
    deg = np.diff(indptr)
    anchor_rows = np.lexsort((pri, -deg))[:anchors] if anchors else np.zeros(0, np.int64)
    out = {}
    for p in np.unique(parts):
        owned = np.flatnonzero(parts == p)
        role = {}
        nb = indices[np.concatenate([np.arange(indptr[u], indptr[u + 1]) for u in owned])] \
            if len(owned) else np.zeros(0, np.int64)
        hop1 = np.setdiff1d(np.unique(nb), owned)
        halo = set(hop1.tolist())
        if hops >= 2:
            for h in hop1:
                nbrs = indices[indptr[h]:indptr[h + 1]]
                nbrs = nbrs[np.argsort(pri[nbrs], kind="stable")[:cap]]
                halo.update(nbrs.tolist())
        for a in anchor_rows.tolist():
            role[a] = ANCHOR
        for h in halo:
            role[h] = HALO
        for o in owned.tolist():
            role[o] = OWNED
        rows = np.array(sorted(role), dtype=np.int64)
        out[int(p)] = (rows, np.array([role[r] for r in rows.tolist()], dtype=np.int32))
    return out


def member_graph(arcs, members, *, halo_arcs=2.0):
    """The subgraph of one partition's members: ``(ids, roles, g)``.

    ``ids`` the members' global ids sorted, ``roles`` theirs, ``g`` the directed CSR graph of
    the arcs between members whose node ids are the members' seeding keys (int64 bits) in
    member-id order — so every node draws the random numbers it draws on one machine, in the
    same row order. O(arcs · log arcs) time, O(arcs) memory.

    Halo-arc budget: every arc with an owned endpoint is kept; the arcs between two non-owned
    members (halo arcs) are kept up to ``halo_arcs`` times as many (``None``: all of them;
    default 2: partitions of BlogCatalog (hash, P = 4) have 1.2–1.4 times as many halo arcs as
    arcs touching their owned nodes and keep them all, those of a 10⁷-edge R-MAT graph 7.7).
    A halo arc ``a -> b`` gets the rank ``r`` of ``b`` among ``a``'s halo neighbours by
    priority (:func:`node_priority` of the key, seed 0; ties by id), the pair the smaller of
    its two directions' ranks, ``q = min(r(a->b), r(b->a))``, and the arcs with ``q < c`` are
    kept for the largest ``c`` within the budget: every halo node keeps its ``c`` first halo
    neighbours (low-degree nodes all of them) and both directions of a pair go together. The
    hubs of a heavy-tailed graph, whose arcs among themselves make up most of a large graph,
    then no longer pull it all into every partition: without the budget the 1-hop halo of a
    10⁶-arc partition of a 10⁷-edge R-MAT graph induces 16 M of its 18 M arcs; with it a
    task holds at most (1 + halo_arcs) times the arcs touching its owned nodes.
    """

    def halo_arc_mask(src, dst, owned, priority, budget):
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        keep = np.ones(len(src), dtype=bool)
        if budget is None or len(src) == 0:
            return keep
        owned = np.asarray(owned, dtype=bool)
        halo = ~owned[src] & ~owned[dst]
        limit = int(float(budget) * int(len(src) - halo.sum()))
        if halo.sum() <= limit:
            return keep
        idx = np.flatnonzero(halo)
        hs, hd = src[idx], dst[idx]
        order = np.lexsort((hd, np.asarray(priority, dtype=np.int64)[hd], hs))
        first = np.searchsorted(hs[order], hs[order], side="left")
        rank = np.empty(len(idx), dtype=np.int64)
        rank[order] = np.arange(len(idx)) - first
        n = int(max(src.max(), dst.max())) + 1
        code = hs * n + hd
        by_code = np.argsort(code, kind="stable")
        at = np.searchsorted(code[by_code], hd * n + hs)
        at = np.minimum(at, len(idx) - 1)
        found = code[by_code[at]] == hd * n + hs
        q = np.where(found, np.minimum(rank, rank[by_code[at]]), rank)
        kept_upto = np.cumsum(np.bincount(q))  # kept_upto[c]: arcs with q <= c
        c = int(np.searchsorted(kept_upto, limit, side="right"))  # keep q < c
        keep[idx[q >= c]] = False
        return keep

    from ..graph import as_csr

    if halo_arcs is not None and not (float(halo_arcs) >= 0):
        raise ValueError(f"halo_arcs must be a number >= 0 or None (every arc), got "
                         f"{halo_arcs!r}")
    ids = _np(members, "node", np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    key_ids = _np(members, "key", np.int64)[order]
    roles = _np(members, "role", np.int32)[order]
    src, dst = _np(arcs, "src", np.int64), _np(arcs, "dst", np.int64)
    inside = np.isin(src, ids) & np.isin(dst, ids)
    si, di = np.searchsorted(ids, src[inside]), np.searchsorted(ids, dst[inside])
    keep = halo_arc_mask(si, di, roles == OWNED, node_priority(key_ids), halo_arcs)
    si, di = si[keep], di[keep]
    cols = [key_ids[si], key_ids[di]]
    if "weight" in arcs.column_names:
        cols.append(_np(arcs, "weight", np.float64)[inside][keep])
    return ids, roles, as_csr(tuple(cols), nodes=key_ids, directed=True)


def halo_arc_levels(src, dst, priority):
    """Every arc's level in the whole graph, the same in every partition: ``q = min(r(a->b),
    r(b->a))``, where ``r(a->b)`` is the rank of ``b`` among all of ``a``'s out-neighbours by
    ``priority[b]`` (ties by id) and ``r(b->a)`` the reverse arc's (``r(a->b)`` alone when there
    is none). A node's first neighbours in a fixed random order come first, and a pair's level
    is set by its lower-degree end, so low-degree nodes keep all their arcs at small levels
    while the arcs among hubs come last. ``src``, ``dst``: int64 node ids indexing
    ``priority``. Time O(m log m), memory O(m)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    m = len(src)
    if m == 0:
        return np.zeros(0, np.int64)
    pri = np.asarray(priority, dtype=np.int64)
    order = np.lexsort((dst, pri[dst], src))
    s = src[order]
    rank = np.empty(m, np.int64)
    rank[order] = np.arange(m) - np.searchsorted(s, s, side="left")
    ids, inv = np.unique(np.concatenate([src, dst]), return_inverse=True)
    u = np.int64(len(ids))
    code = inv[:m] * u + inv[m:]
    by_code = np.argsort(code, kind="stable")
    back = inv[m:] * u + inv[:m]
    at = np.minimum(np.searchsorted(code[by_code], back), m - 1)
    found = code[by_code[at]] == back
    return np.where(found, np.minimum(rank, rank[by_code[at]]), rank)


def halo_level_cut(levels, counts, touching, budget):
    """The global cut of the halo-arc budget: the largest ``K`` such that the halo arcs of level
    below ``K``, counted once per partition holding both ends in its halo (``counts``, one per
    entry of ``levels``; a level may come several times), number at most ``budget`` ×
    ``touching`` (the arcs with an owned endpoint, summed over the partitions). None when every
    halo arc fits (or ``budget`` is None). Time O(len(levels) + max level)."""
    if budget is None:
        return None
    levels = np.asarray(levels, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    if len(levels) == 0:
        return None
    per_level = np.bincount(levels, weights=counts)  # exact below 2⁵³ arcs
    upto = np.cumsum(per_level).astype(np.int64)  # upto[c]: halo arcs of level <= c
    limit = int(float(budget) * int(touching))
    if upto[-1] <= limit:
        return None
    return int(np.searchsorted(upto, limit, side="right"))  # keep levels < K


def budgeted_member_arcs(src, dst, priority, members, budget):
    """The arcs each partition's task receives under the halo-arc budget (single-machine twin
    of ``_member_arcs`` in spark_jobs/embed.py): {part: indices into the arcs}.

    ``members``: {part: (rows, roles)} (:func:`halo_members`), rows the node ids of ``src`` and
    ``dst``. A partition receives every arc between two of its members with an owned endpoint,
    and the arcs between two of its halo members (anchors count as halo) whose level
    (:func:`halo_arc_levels`) is below the global cut (:func:`halo_level_cut`): one rule for all
    partitions, so the Spark job computes it once for the graph instead of once per partition.
    The task's :func:`member_graph` then applies the budget to its own arcs. ``budget`` None:
    every arc between members. Time O(m log m + P·m), memory O(P·n + m)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    n = int(max(src.max(initial=-1), dst.max(initial=-1),
                max((int(r.max()) for r, _ in members.values() if len(r)), default=-1))) + 1
    role = {}
    for p, (rows, roles) in members.items():
        r = np.full(n, -1, np.int64)
        r[np.asarray(rows, np.int64)] = roles
        role[p] = r
    inside = {p: (r[src] >= 0) & (r[dst] >= 0) for p, r in role.items()}
    touch = {p: inside[p] & ((r[src] == OWNED) | (r[dst] == OWNED)) for p, r in role.items()}
    if budget is None:
        return {p: np.flatnonzero(inside[p]) for p in members}
    shared = sum((inside[p] & ~touch[p]).astype(np.int64) for p in members)
    level = halo_arc_levels(src, dst, priority)
    cut = halo_level_cut(level, shared, sum(int(t.sum()) for t in touch.values()), budget)
    low = np.ones(len(src), bool) if cut is None else level < cut
    return {p: np.flatnonzero(touch[p] | (inside[p] & low)) for p in members}
