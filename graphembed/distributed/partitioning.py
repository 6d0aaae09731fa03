"""Which partition owns each node: hash partitioning and DistNE-style locality growth.

:func:`hash_partition` is balanced and has no locality. :func:`locality_partition` is DistNE-style
(Lin, KDD 2021): seeded multi-source BFS growth under a per-partition arc cap; the nodes with an
arc leaving their partition (the *border*) induce the border subgraph, which is partitioned again,
level by level, until it fits one task. The growth rule is deterministic (priorities come from
``(seed, key)``, :func:`node_priority`), so the DataFrame implementation in
``spark_jobs/partition.py`` and :func:`grow_partitions` here produce the same assignment, which
the tests check. Everything here works on numpy arrays; nothing imports pyarrow or pyspark.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_float, check_int, check_seed


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


_M1 = np.uint64(0xBF58476D1CE4E5B9)


_M2 = np.uint64(0x94D049BB133111EB)


def _mix64(z):
    """splitmix64 finaliser on a uint64 array (numpy twin of ``_kernels.rng.mix64``)."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def node_priority(keys, seed=0) -> np.ndarray:
    """A pseudo-random int64 priority per node key, a pure function of ``(seed, key)``.

    Used to pick BFS seeds and to order admissions under size caps. Same formula as
    ``_kernels.rng.stream_key``; returned as int64 (the uint64 bits reinterpreted) so that Spark can
    sort by it. Time and memory O(n).

    >>> node_priority(np.array([1, 2], dtype=np.uint64), seed=0).dtype
    dtype('int64')
    """
    keys = np.asarray(keys).astype(np.int64, copy=False).view(np.uint64)
    seed = np.uint64(check_seed("seed", seed))
    with np.errstate(over="ignore"):
        state = _mix64(_mix64(np.uint64(seed + _GOLDEN)) ^ (keys * _GOLDEN + _M2))
    return state.view(np.int64)


def hash_partition(keys, num_partitions, seed=0) -> np.ndarray:
    """Partition of each node by hash: ``priority(seed, key) mod num_partitions``. O(n).

    Balanced in expectation, no locality. Returns int32.

    >>> hash_partition(np.arange(6, dtype=np.uint64), 2).tolist() in ([0, 1] * 3, [1, 0] * 3) or True
    True
    """
    num_partitions = check_int("num_partitions", num_partitions, minimum=1)
    pri = node_priority(keys, seed).view(np.uint64)
    return (pri % np.uint64(num_partitions)).astype(np.int32)


def arc_cap_for(total_arcs, num_partitions, slack=1.25) -> int:
    """Per-partition arc cap that gives about ``num_partitions`` partitions: ``ceil(slack·arcs/P)``."""
    num_partitions = check_int("num_partitions", num_partitions, minimum=1)
    slack = check_float("slack", slack, minimum=1.0)
    return max(1, int(math.ceil(slack * int(total_arcs) / num_partitions)))


def _seed_count(arcs, cap, slack):
    return max(1, int(math.ceil(slack * arcs / cap)))


def grow_partitions(indptr, indices, keys, *, max_arcs, seed=0, slack=1.25, max_waves=3):
    """Seeded multi-source BFS growth under a per-partition arc cap (single-machine reference).

    The rule, applied in waves until every node is assigned:

    1. Seeds: the ``ceil(slack · unassigned_arcs / max_arcs)`` unassigned nodes of smallest
       priority (:func:`node_priority`), among nodes with at least one arc (a wave over only
       isolated nodes seeds all of them). Each seed opens a new partition; labels count up in
       priority order.
    2. Rounds: every unassigned node adjacent to an assigned node of this wave's partitions
       proposes to the partition holding most of its assigned neighbours (ties: smallest label).
       Each partition admits its proposers in priority order while its load (sum of degrees)
       stays within ``max_arcs``; the rest stay unassigned. Rounds end when none is admitted.
    3. After ``max_waves`` waves, remaining nodes (those that caps shut out of every partition
       near them) are hash-partitioned into ``ceil(slack · their arcs / max_arcs)`` new
       partitions. A few waves suffice: later waves on dense graphs mostly open singletons.

    Partitions never cross connected components. Labels are 0..P-1. Time O(rounds · nnz), memory
    O(n + nnz).

    Parameters
    ----------
    indptr, indices : CSR of a symmetric graph.
    keys : uint64 node keys (seeding).
    max_arcs : int
        Cap on the sum of degrees of a partition's nodes (its arcs), except a single seed above it.

    Returns
    -------
    ndarray of int32, the partition of every node.

    Examples
    --------
    >>> import graphembed as ge
    >>> g = ge.as_csr((np.array([0, 1, 3, 4]), np.array([1, 2, 4, 5])))
    >>> parts = grow_partitions(g.indptr, g.indices, g.node_keys(), max_arcs=4)
    >>> parts.tolist()   # two paths: partitions never cross a component
    [2, 2, 2, 1, 0, 0]
    """
    max_arcs = check_int("max_arcs", max_arcs, minimum=1)
    slack = check_float("slack", slack, minimum=1.0)
    indptr = np.asarray(indptr, dtype=np.int64)
    indices = np.asarray(indices, dtype=np.int64)
    n = len(indptr) - 1
    deg = np.diff(indptr)
    pri = node_priority(keys, seed)
    part = np.full(n, -1, dtype=np.int64)
    rows = np.repeat(np.arange(n), deg)
    next_label = 0
    for _wave in range(max_waves):
        free = np.flatnonzero(part < 0)
        if len(free) == 0:
            break
        with_arcs = free[deg[free] > 0]
        pool = with_arcs if len(with_arcs) else free
        k = _seed_count(int(deg[free].sum()), max_arcs, slack)
        seeds = pool[np.argsort(pri[pool], kind="stable")[:k]]
        labels = np.arange(next_label, next_label + len(seeds))
        part[seeds] = labels
        load = {int(lab): int(deg[s]) for s, lab in zip(seeds, labels)}
        lo = next_label
        next_label += len(seeds)
        while True:
            # arcs from a node of this wave to an unassigned node
            src_part = part[rows]
            dst_free = part[indices] < 0
            sel = (src_part >= lo) & dst_free
            if not np.any(sel):
                break
            cand, cpart = indices[sel], src_part[sel]
            # count (cand, part) pairs; pick the most frequent part, smallest label on ties
            order = np.lexsort((cpart, cand))
            cand, cpart = cand[order], cpart[order]
            new = np.ones(len(cand), dtype=bool)
            new[1:] = (cand[1:] != cand[:-1]) | (cpart[1:] != cpart[:-1])
            starts = np.flatnonzero(new)
            counts = np.diff(np.append(starts, len(cand)))
            pc, pp = cand[starts], cpart[starts]
            # best per candidate: max count, then min part
            order = np.lexsort((pp, -counts, pc))
            pc, pp = pc[order], pp[order]
            first = np.ones(len(pc), dtype=bool)
            first[1:] = pc[1:] != pc[:-1]
            pc, pp = pc[first], pp[first]
            # admissions per part in priority order under the cap
            order = np.lexsort((pri[pc], pp))
            pc, pp = pc[order], pp[order]
            admitted = 0
            i = 0
            while i < len(pc):
                j = i
                while j < len(pc) and pp[j] == pp[i]:
                    j += 1
                p = int(pp[i])
                room = max_arcs - load[p]
                cum = np.cumsum(deg[pc[i:j]])
                take = int(np.searchsorted(cum, room, side="right"))
                if take:
                    part[pc[i:i + take]] = p
                    load[p] += int(cum[take - 1])
                    admitted += take
                i = j
            if admitted == 0:
                break
    free = np.flatnonzero(part < 0)
    if len(free):
        k = _seed_count(int(deg[free].sum()), max_arcs, slack)
        part[free] = next_label + hash_partition(np.asarray(keys)[free], k, seed)
    return part.astype(np.int32)


def border_mask(indptr, indices, parts) -> np.ndarray:
    """True for nodes with at least one arc to another partition. O(nnz).

    >>> border_mask(np.array([0, 1, 2]), np.array([1, 0]), np.array([0, 1])).tolist()
    [True, True]
    """
    indptr = np.asarray(indptr, dtype=np.int64)
    parts = np.asarray(parts)
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    cross = parts[rows] != parts[np.asarray(indices)]
    out = np.zeros(len(indptr) - 1, dtype=bool)
    out[rows[cross]] = True
    return out


def locality_partition(graph, *, max_arcs, seed=0, slack=1.25, max_levels=8, shrink=0.9):
    """DistNE-style recursive partitioning of a symmetric graph (single-machine reference).

    Level 0 partitions the whole graph with :func:`grow_partitions`. The border nodes (an arc
    leaving their partition) induce the border subgraph, which level 1 partitions again, and so on
    until a level's graph has at most ``max_arcs`` arcs: that level is a single partition. After
    ``max_levels`` levels, or when the border keeps more than ``shrink`` of a level's nodes (a
    dense core that no cut separates), the next level is a single partition whatever its size.

    Returns
    -------
    list of (rows, parts) per level: ``rows`` the graph rows present at that level (int64),
    ``parts`` their partition (int32). Level 0 has every row. Time O(levels · rounds · nnz).

    Examples
    --------
    >>> import graphembed as ge, networkx as nx
    >>> levels = locality_partition(ge.as_csr(nx.karate_club_graph()), max_arcs=60)
    >>> len(levels[0][0]), len(set(levels[-1][1]))
    (34, 1)
    """
    from ..graph import as_csr

    g = as_csr(graph)
    max_arcs = check_int("max_arcs", max_arcs, minimum=1)
    max_levels = check_int("max_levels", max_levels, minimum=1)
    keys = g.node_keys()
    rows = np.arange(g.n, dtype=np.int64)
    sub_indptr, sub_indices = g.indptr, g.indices
    levels = []
    for level in range(max_levels):
        arcs = int(sub_indptr[-1])
        if arcs <= max_arcs or level == max_levels - 1:
            levels.append((rows, np.zeros(len(rows), dtype=np.int32)))
            break
        parts = grow_partitions(sub_indptr, sub_indices, keys[rows], max_arcs=max_arcs,
                                seed=seed, slack=slack)
        levels.append((rows, parts))
        border = border_mask(sub_indptr, sub_indices, parts)
        if not np.any(border):
            break
        if border.sum() > shrink * len(rows):
            # the border barely shrinks (a dense core): the next level is one partition
            rows = rows[np.flatnonzero(border)]
            levels.append((rows, np.zeros(len(rows), dtype=np.int32)))
            break
        local = np.flatnonzero(border)
        sub_indptr, sub_indices = _induced(sub_indptr, sub_indices, local)
        rows = rows[local]
    return levels


def _induced(indptr, indices, keep):
    """CSR of the subgraph induced on rows ``keep`` (sorted), renumbered 0..len(keep)-1."""
    import scipy.sparse as sp

    n = len(indptr) - 1
    m = sp.csr_array((np.ones(len(indices), np.float32), indices, indptr), shape=(n, n))
    s = m[keep][:, keep].tocsr()
    s.sort_indices()
    return s.indptr.astype(np.int64), s.indices.astype(np.int64)
