"""Per-partition adapters for the Spark layer (``spark_jobs/``), and an in-process runner.

Spark moves data; this module computes. Every function here takes plain arrays or Arrow tables
for *one* partition and returns arrays or Arrow tables, calling the same graphembed functions that
run on one machine — there is no second implementation of any algorithm. The module never imports
pyspark: ``spark_jobs/`` wraps these functions in ``applyInArrow`` / ``mapInArrow``, and
:func:`run_partitioned` runs the very same dataflow in one process (tests, benchmarks, and graphs
that fit one machine but should be checked against a partitioned run).

Vocabulary
----------
* A **partition** owns a set of nodes and holds every arc leaving them (``src`` owned).
* A **ghost** of partition ``p`` is a node owned elsewhere that an arc of ``p`` points to. The
  ghost table ``(node, part)`` lists each (ghost, partition) pair once, so a boundary vector is
  shipped once per partition that needs it, never once per arc.
* The **halo** of ``p`` is the set of nodes within 1 hop (2 hops for orbit counts, capped per hub)
  of its owned nodes; **anchors** are a few global nodes (top degree) replicated everywhere.
* A node's **key** is the uint64 that seeds its randomness (:meth:`CSRGraph.node_keys`): its id for
  integer ids, a hash of the original string for string ids. Keys travel with mapped ids, so a node
  draws the same random numbers on every partition and on one machine.

Partitioning
------------
:func:`hash_partition` is balanced and has no locality. :func:`locality_partition` is DistNE-style
(Lin, KDD 2021): seeded multi-source BFS growth under a per-partition arc cap; the nodes with an
arc leaving their partition (the *border*) induce the border subgraph, which is partitioned again,
level by level, until it fits one task. The growth rule is deterministic (priorities come from
``(seed, key)``), so the DataFrame implementation in ``spark_jobs/partition.py`` and
:func:`grow_partitions` here produce the same assignment, which the tests check.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_choice, check_float, check_int, check_seed

__all__ = [
    "node_priority",
    "hash_partition",
    "grow_partitions",
    "border_mask",
    "locality_partition",
    "arc_cap_for",
    "local_csr",
    "procrustes",
    "align_to_targets",
]

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


# ---------------------------------------------------------------------------- local graphs
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


# ---------------------------------------------------------------------------- alignment
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


# ---------------------------------------------------------------------------- Arrow adapters
def keys_batches(batches, *, id_col="id", node_col="node"):
    """``mapInArrow`` body: ``(node, id string)`` batches -> ``(node, key)`` with the seeding key
    of every original id (:func:`graphembed.graph.node_keys`, as int64 bits). O(rows)."""
    import pyarrow as pa

    from ..graph import node_keys

    for batch in batches:
        ids = batch.column(id_col).to_numpy(zero_copy_only=False)
        keys = node_keys(np.asarray(ids, dtype=str)).view(np.int64)
        yield pa.RecordBatch.from_arrays(
            [batch.column(node_col), pa.array(keys, type=pa.int64())], names=["node", "key"])


def partition_batches(batches, *, num_partitions, seed=0):
    """``mapInArrow`` body: ``(node, key)`` batches -> ``(node, part)`` by :func:`hash_partition`."""
    import pyarrow as pa

    for batch in batches:
        keys = batch.column("key").to_numpy(zero_copy_only=False).astype(np.int64)
        parts = hash_partition(keys.view(np.uint64), num_partitions, seed)
        yield pa.RecordBatch.from_arrays(
            [batch.column("node"), pa.array(parts, type=pa.int32())], names=["node", "part"])


def priority_batches(batches, *, seed=0):
    """``mapInArrow`` body: nodes with ``key`` -> the same rows plus ``pri`` (:func:`node_priority`)."""
    import pyarrow as pa

    for batch in batches:
        keys = batch.column("key").to_numpy(zero_copy_only=False).astype(np.int64)
        pri = node_priority(keys.view(np.uint64), seed)
        yield batch.append_column("pri", pa.array(pri, type=pa.int64()))


# ---------------------------------------------------------------------------- vectors in Arrow
def vectors_to_arrow(X):
    """A (m, d) float32 array as an Arrow ``list<float>`` column (Spark's ``array<float>``)."""
    import pyarrow as pa

    X = np.ascontiguousarray(X, dtype=np.float32)
    m, d = X.shape
    offsets = pa.array(np.arange(0, (m + 1) * d, d, dtype=np.int32) if m else np.zeros(1, np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(X.reshape(-1)))


def vectors_from_arrow(column, dim):
    """An Arrow ``list<float>`` column (no nulls, every list of length ``dim``) as (m, dim)."""
    import pyarrow.compute as pc

    column = _chunk(column)
    if column.null_count:
        raise ValueError("a vector column holds nulls where every row needs a vector")
    flat = pc.list_flatten(column).to_numpy(zero_copy_only=False)
    if flat.size != len(column) * dim:
        raise ValueError(f"vectors must all have length {dim}, got {flat.size} values for "
                         f"{len(column)} rows")
    return flat.astype(np.float32, copy=False).reshape(len(column), dim)


def _np(table, name, dtype=None):
    col = table.column(name).to_numpy(zero_copy_only=False)
    return col if dtype is None else col.astype(dtype, copy=False)


# ---------------------------------------------------------------------------- FastRP
def fastrp_settings(params=None, *, dim=128, random_state=0, num_nodes=None, directed=False):
    """FastRP parameters resolved once on the driver: graphembed.fastrp's defaults updated with
    ``params`` (text or values, parsed by the method registry), sparsity "sqrt" made a number
    from the *global* node count. Raises ValueError naming an unusable parameter."""
    import importlib

    F = importlib.import_module("graphembed.fastrp")
    from .._validation import check_int
    from ..methods import get_method

    given = {k: v for k, v in get_method("fastrp").parse_params(params).items() if v is not None}
    unsupported = {"features", "feature_ratio", "projection"} & set(given)
    if unsupported:
        raise ValueError(
            f"distributed FastRP does not take {sorted(unsupported)}; drop them (node features "
            "and user projections are single-machine options of graphembed.fastrp)"
        )
    direction = given.pop("direction", "out")
    if directed and direction != "out":
        raise ValueError(
            f"distributed FastRP propagates along out-arcs only, got direction={direction!r}; "
            "symmetrise the graph (clean without --directed) for 'both'"
        )
    s = given.get("sparsity", F.DEFAULT_SPARSITY)
    if isinstance(s, str):
        if num_nodes is None:
            raise ValueError("sparsity='sqrt' needs the global node count")
        s = F._resolve_sparsity(s, int(num_nodes))
    out = {
        "dim": check_int("dim", dim, minimum=1),
        "random_state": check_seed("random_state", random_state),
        "iteration_weights": F._check_iteration_weights(
            given.get("iteration_weights", F.DEFAULT_ITERATION_WEIGHTS)),
        "normalization_strength": check_float(
            "normalization_strength",
            given.get("normalization_strength", F.DEFAULT_NORMALIZATION_STRENGTH)),
        "sparsity": F._check_sparsity_number(s),
        "transition": check_choice("transition", given.get("transition", "mean"),
                                   ("mean", "sum")),
        "normalize": bool(given.get("normalize", True)),
        "standardize": bool(given.get("standardize", True)),
        "self_influence": check_float("self_influence", given.get("self_influence", 0.0)),
    }
    return out


def _add_normalized(E, X, alpha, normalize, block=8192):
    """``E += alpha · rownorm(X)`` exactly as graphembed.fastrp accumulates (float32 E), a block
    of rows at a time (temporaries of ``block`` rows, not of ``X``'s size)."""
    if alpha == 0.0:
        return
    for a in range(0, len(X), block):
        x = X[a:a + block]
        if normalize:
            x64 = x.astype(np.float64)
            sq = np.einsum("ij,ij->i", x64, x64)
            f = np.zeros(len(x), dtype=np.float32)
            nz = sq > 0
            f[nz] = (alpha / np.sqrt(sq[nz])).astype(np.float32)
        else:
            f = np.full(len(x), np.float32(alpha), dtype=np.float32)
        E[a:a + block] += f[:, None] * x


def fastrp_initial(nodes, *, settings):
    """Per partition: ``N_0 = L·R`` and ``E = α_0·norm(N_0)`` for owned nodes.

    ``nodes``: Arrow table ``part, li, node, key, degree`` (``li``: the node's row among its
    partition's owned nodes, 0..owned−1). Returns :data:`FASTRP_STATE_SCHEMA` (``P`` the vector
    that propagates next). Time O(rows · dim).
    """
    import pyarrow as pa

    from ..fastrp import random_rows

    dim = settings["dim"]
    keys = _np(nodes, "key", np.int64).view(np.uint64)
    deg = _np(nodes, "degree", np.float64)
    P = random_rows(keys, dim, sparsity=settings["sparsity"],
                    random_state=settings["random_state"])
    L = np.zeros(len(deg), dtype=np.float32)
    nz = deg > 0
    L[nz] = np.power(deg[nz], settings["normalization_strength"])
    P *= L[:, None]
    E = np.zeros_like(P)
    _add_normalized(E, P, settings["self_influence"], settings["normalize"])
    return pa.table({
        "part": nodes.column("part"), "li": nodes.column("li"), "node": nodes.column("node"),
        "key": nodes.column("key"), "degree": nodes.column("degree"), "P": vectors_to_arrow(P),
        "E": vectors_to_arrow(E),
    })


FASTRP_STATE_SCHEMA = ("part int, li int, node long, key long, degree double, P array<float>, "
                       "E array<float>")

#: Row kinds of a propagation stream: a node's vector, an arc into it.
VECTOR, ARC = 0, 1

#: Columns of a propagation stream (:func:`fastrp_stream_step`), none null except P and E.
FASTRP_STREAM_COLUMNS = ("part", "ukey", "kind", "li", "w", "node", "key", "degree", "P", "E")


def stream_batch_rows(dim, target_bytes=32 << 20):
    """Rows per Arrow batch of a propagation stream: about ``target_bytes`` of vectors, so a
    task holds one bounded batch whatever the size of its partition."""
    return max(1024, int(target_bytes) // (4 * int(dim)))


def stream_sort_key(keys):
    """int64 whose signed order is the unsigned order of the uint64 ``keys`` (key XOR 2⁶³):
    sorting a stream by it lists neighbours in graphembed.fastrp's summation order."""
    k = np.asarray(keys).astype(np.int64, copy=False).view(np.uint64)
    return (k ^ np.uint64(1 << 63)).view(np.int64)


def fastrp_stream_table(state, ghosts, arcs):
    """One partition's propagation stream as one sorted Arrow table (in-process runs, benchmarks;
    Spark builds the same rows with a union and ``sortWithinPartitions``).

    ``state``: the owned rows (:data:`FASTRP_STATE_SCHEMA`); ``ghosts``: ``node, key, P`` of the
    ghost rows, each once; ``arcs``: ``part, si, dkey[, weight]`` (source row, target key).
    Time O((rows + arcs) log), memory that of the stream.
    """
    import pyarrow as pa

    n_own, n_gh, m = state.num_rows, ghosts.num_rows, arcs.num_rows
    part = _np(state, "part", np.int32)[:1] if n_own else _np(arcs, "part", np.int32)[:1]
    p = int(part[0]) if len(part) else 0
    keys = np.concatenate([_np(state, "key", np.int64), _np(ghosts, "key", np.int64),
                           _np(arcs, "dkey", np.int64)])
    kind = np.concatenate([np.full(n_own + n_gh, VECTOR, np.int32), np.full(m, ARC, np.int32)])
    li = np.concatenate([_np(state, "li", np.int32), np.full(n_gh, -1, np.int32),
                         _np(arcs, "si", np.int32)])
    w = np.ones(n_own + n_gh + m, np.float32)
    if "weight" in arcs.column_names:
        w[n_own + n_gh:] = _np(arcs, "weight", np.float32)
    node = np.concatenate([_np(state, "node", np.int64), _np(ghosts, "node", np.int64),
                           np.zeros(m, np.int64)])
    degree = np.concatenate([_np(state, "degree", np.float64), np.zeros(n_gh + m)])
    ukey = stream_sort_key(keys)
    list_null = pa.nulls(m, pa.list_(pa.float32()))
    P = pa.concat_arrays([_chunk(state.column("P")), _chunk(ghosts.column("P")), list_null])
    E = pa.concat_arrays([_chunk(state.column("E")),
                          pa.nulls(n_gh + m, pa.list_(pa.float32()))])
    order = np.lexsort((kind, ukey))
    table = pa.table({"part": np.full(len(keys), p, np.int32), "ukey": ukey, "kind": kind,
                      "li": li, "w": w, "node": node, "key": keys, "degree": degree,
                      "P": P, "E": E})
    return table.take(pa.array(order))


def _chunk(column):
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        return (column.combine_chunks() if column.num_chunks
                else pa.array([], column.type))
    return column


def _list_buffers(column):
    """(offsets int64, values float32) of an Arrow ``list<float>`` array, offsets absolute into
    the values (nulls have length 0)."""
    off = column.offsets.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    vals = column.values.to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return off, vals


def fastrp_stream_step(batches, *, settings, step, owned_counts, weighted=False):
    """``mapInArrow`` body of one propagation step: ``N_i = A·N_{i-1}``, ``E += α_i·norm(N_i)``.

    ``batches``: a task's propagation stream (:data:`FASTRP_STREAM_COLUMNS`) sorted by
    ``(part, ukey, kind)``: for every node an owned partition reads (its own nodes and its ghosts,
    each once) a vector row, then the arcs of that partition into the node. Each owned row sums
    its neighbours by increasing key with the float32 operations of graphembed.fastrp, so the
    result matches one machine's to the bit before standardisation.
    ``owned_counts``: {part: number of owned nodes}. ``weighted``: use the arcs' ``w``.

    Yields the owned nodes' new state (:data:`FASTRP_STATE_SCHEMA`), one batch per partition.
    Time O(arcs·dim + rows·dim). Memory O(owned·dim) per partition — two owned × dim float32
    buffers and one input batch: ghost rows and arcs stream through and are never held, so a
    task's memory does not grow with its ghosts (the graph's size), only with its owned rows.
    """
    import pyarrow as pa

    from .._kernels.fastrp import stream_accumulate
    from ..fastrp import _inverse

    dim = settings["dim"]
    alpha = settings["iteration_weights"][step - 1]
    cur = np.zeros(dim, np.float32)
    cur_key = np.zeros(2, np.int64)
    st = None

    def start(p):
        if p not in owned_counts:
            raise ValueError(f"partition {p} is in the stream but not in owned_counts")
        n = int(owned_counts[p])
        cur_key[1] = 0
        return {"part": p, "acc": np.zeros((n, dim), np.float32),
                "E": np.zeros((n, dim), np.float32), "node": np.zeros(n, np.int64),
                "key": np.zeros(n, np.int64), "degree": np.zeros(n), "seen": 0}

    def finish(st):
        n = len(st["node"])
        if st["seen"] != n:
            raise ValueError(f"partition {st['part']}: {st['seen']} owned vector rows in the "
                             f"stream, owned_counts says {n}")
        N = st["acc"]
        if settings["transition"] == "mean":
            N *= _inverse(st["degree"])[:, None]
        E = st["E"]
        _add_normalized(E, N, alpha, settings["normalize"])
        return pa.RecordBatch.from_arrays(
            [pa.array(np.full(n, st["part"], np.int32)), pa.array(np.arange(n, dtype=np.int32)),
             pa.array(st["node"]), pa.array(st["key"]), pa.array(st["degree"]),
             vectors_to_arrow(N), vectors_to_arrow(E)],
            names=["part", "li", "node", "key", "degree", "P", "E"])

    for batch in batches:
        if batch.num_rows == 0:
            continue
        missing = [c for c in FASTRP_STREAM_COLUMNS if c not in batch.schema.names]
        if missing:
            raise ValueError(f"the propagation stream lacks the columns {missing}; build it with "
                             "the columns of FASTRP_STREAM_COLUMNS (see fastrp_stream_table)")
        parts = _np(batch, "part", np.int64)
        cuts = np.flatnonzero(np.diff(parts)) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(parts)]):
            p = int(parts[a])
            if st is None or st["part"] != p:
                if st is not None:
                    yield finish(st)
                st = start(p)
            piece = batch.slice(a, b - a)
            kind = _np(piece, "kind", np.int32)
            li = _np(piece, "li", np.int32)
            own = (kind == VECTOR) & (li >= 0)
            n = len(st["node"])
            bad = ((li < 0) | (li >= n)) & (kind == ARC) | own & (li >= n)
            if bad.any():
                raise ValueError(f"partition {p}: row index {li[bad][0]} outside its "
                                 f"{n} owned rows")
            idx = li[own]
            st["node"][idx] = _np(piece, "node", np.int64)[own]
            st["key"][idx] = _np(piece, "key", np.int64)[own]
            st["degree"][idx] = _np(piece, "degree", np.float64)[own]
            st["seen"] += int(own.sum())
            p_off, p_val = _list_buffers(piece.column("P"))
            e_off, e_val = _list_buffers(piece.column("E"))
            vec = kind == VECTOR
            if np.any(np.diff(p_off)[vec] != dim) or np.any(np.diff(e_off)[own] != dim):
                raise ValueError(f"partition {p}: a vector row's P or E does not have "
                                 f"dim = {dim} values")
            ukey = _np(piece, "ukey", np.int64)
            miss = stream_accumulate(ukey, kind, li, _np(piece, "w", np.float32), bool(weighted),
                                     p_off, p_val, e_off, e_val, cur, cur_key, st["acc"], st["E"])
            if miss >= 0:
                raise ValueError(
                    f"partition {p}: an arc into the node of sort key {ukey[miss]} comes "
                    "before any vector row of that node; the stream must hold every ghost "
                    "once and be sorted by (part, ukey, kind)")
    if st is not None:
        yield finish(st)


def column_moments(table, *, dim, center=None):
    """Per partition: float64 column sums of ``E − center`` and of squares over rows of degree > 0.

    Returns a one-row table ``count, sums array<double>, squares array<double>``. O(rows·dim).
    """
    import pyarrow as pa

    E = vectors_from_arrow(table.column("E"), dim).astype(np.float64)
    keep = _np(table, "degree", np.float64) > 0
    E = E[keep]
    if center is not None:
        E -= np.asarray(center, dtype=np.float64)
    return pa.table({
        "count": pa.array([int(keep.sum())], pa.int64()),
        "sums": pa.array([E.sum(axis=0).tolist()], pa.list_(pa.float64())),
        "squares": pa.array([(E * E).sum(axis=0).tolist()], pa.list_(pa.float64())),
    })


MOMENTS_SCHEMA = "count long, sums array<double>, squares array<double>"


def moments_batches(batches, *, dim, center=None):
    """``mapInArrow`` body: :func:`column_moments` of every batch (to be summed)."""
    import pyarrow as pa

    for batch in batches:
        yield from column_moments(pa.Table.from_batches([batch]), dim=dim,
                                  center=center).to_batches()


def standardize_scale(count, sums, squares_about_mean):
    """(mean, scale) from reduced moments, as graphembed.fastrp computes them."""
    dim = len(sums)
    if count == 0:
        return np.zeros(dim), np.ones(dim)
    mean = np.asarray(sums, dtype=np.float64) / count
    scale = np.sqrt(np.asarray(squares_about_mean, dtype=np.float64) / count)
    scale[~(scale > 0)] = 1.0
    return mean, scale


def finish_batches(batches, *, dim, mean=None, scale=None):
    """``mapInArrow`` body: state rows -> ``node, embedding`` (standardised if mean is given)."""
    import pyarrow as pa

    for batch in batches:
        E = vectors_from_arrow(batch.column("E"), dim)
        if mean is not None:
            keep = _np(batch, "degree", np.float64) > 0
            inv = 1.0 / np.asarray(scale, dtype=np.float64)
            E = E.copy()
            E[keep] = ((E[keep].astype(np.float64) - mean) * inv).astype(np.float32)
        yield pa.RecordBatch.from_arrays([batch.column("node"), vectors_to_arrow(E)],
                                         names=["node", "embedding"])


# ---------------------------------------------------------------------------- in-process runner
def _graph_tables(graph, parts):
    """Arrow tables of a CSRGraph split by ``parts``: nodes and arcs (with ``part``)."""
    import pyarrow as pa

    ids = np.arange(graph.n, dtype=np.int64)  # rows stand for node ids inside the runner
    parts = np.asarray(parts, dtype=np.int32)
    deg = graph.degrees()
    nodes = pa.table({"part": parts, "node": ids, "key": graph.node_keys().view(np.int64),
                      "degree": deg})
    src = np.repeat(ids, np.diff(graph.indptr))
    arcs = {"part": parts[src], "src": src, "dst": graph.indices.astype(np.int64)}
    if graph.weights is not None:
        arcs["weight"] = graph.weights
    return nodes, pa.table(arcs)


def _split(table, parts_col="part"):
    """{part: sub-table} (rows keep their order)."""
    p = _np(table, parts_col, np.int64)
    out = {}
    for q in np.unique(p):
        out[int(q)] = table.filter(np.asarray(p == q))
    return out


def ghost_pairs(src_part, dst, dst_part):
    """The ghost table: distinct ``(node, part)`` with an arc from ``part`` to ``node`` owned
    elsewhere. Arrays in, (node, part) arrays out, sorted. O(m log m)."""
    cross = np.asarray(src_part) != np.asarray(dst_part)
    pairs = np.unique(np.stack([np.asarray(dst)[cross].astype(np.int64),
                                np.asarray(src_part)[cross].astype(np.int64)], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def fastrp_partitioned(graph, parts, *, dim=128, random_state=0, params=None, batch_rows=1000):
    """FastRP computed partition by partition with one boundary exchange per step, in-process.

    The same adapters and the same dataflow as ``spark_jobs/embed.py``: random rows from the
    global keys, each ghost vector shipped once per partition that needs it, column moments
    reduced across partitions for the final standardisation; each step streams a partition's
    sorted vector and arc rows through :func:`fastrp_stream_step` in batches of ``batch_rows``.
    Equals :func:`graphembed.fastrp` up to float rounding. Returns (E float32 (n, dim) in row order, stats dict with the number of
    vectors exchanged). Time O(k·(nnz + ghosts)·dim), memory O(n·dim) (one process).

    >>> import networkx as nx, graphembed as ge
    >>> g = ge.as_csr(nx.karate_club_graph())
    >>> E, _ = fastrp_partitioned(g, np.arange(34) % 3, dim=8)
    >>> bool(np.allclose(E, ge.fastrp(g, dim=8), atol=1e-5))
    True
    """
    import pyarrow as pa

    from ..graph import as_csr

    g = as_csr(graph)
    settings = fastrp_settings(params, dim=dim, random_state=random_state, num_nodes=g.n,
                               directed=g.directed)
    nodes, arcs = _graph_tables(g, parts)
    parts = _np(nodes, "part", np.int64)
    keys = _np(nodes, "key", np.int64)
    # li: a node's row among its partition's owned nodes (by id, as the Spark job numbers them)
    order = np.lexsort((np.arange(g.n), parts))
    first = np.searchsorted(parts[order], parts[order], side="left")
    li = np.empty(g.n, np.int32)
    li[order] = np.arange(g.n) - first
    nodes = nodes.append_column("li", pa.array(li))
    src, dst = _np(arcs, "src"), _np(arcs, "dst")
    arcs = arcs.append_column("si", pa.array(li[src])).append_column("dkey", pa.array(keys[dst]))
    g_node, g_part = ghost_pairs(_np(arcs, "part"), dst, parts[dst])
    arcs_by = _split(arcs)
    owned_counts = {int(p): int(c) for p, c in zip(*np.unique(parts, return_counts=True))}
    state = {p: fastrp_initial(t, settings=settings) for p, t in _split(nodes).items()}
    exchanged = 0
    for step in range(1, len(settings["iteration_weights"]) + 1):
        everything = pa.concat_tables(list(state.values()))
        by_node = np.argsort(_np(everything, "node"))
        new = {}
        for p, own in state.items():
            sel = g_node[g_part == p]
            exchanged += len(sel)
            ghosts = everything.take(pa.array(by_node[sel])).select(["node", "key", "P"])
            part_arcs = arcs_by.get(p, arcs.schema.empty_table())
            stream = fastrp_stream_table(own, ghosts, part_arcs)
            # small batches, so that vectors and their arcs straddle batch boundaries
            out = list(fastrp_stream_step(stream.to_batches(max_chunksize=batch_rows),
                                          settings=settings, step=step,
                                          owned_counts=owned_counts,
                                          weighted=g.weights is not None))
            new[p] = pa.Table.from_batches(out)
        state = new
    everything = pa.concat_tables(list(state.values()))
    mean = scale = None
    if settings["standardize"]:
        m1 = [column_moments(t, dim=dim) for t in state.values()]
        count = sum(_np(m, "count")[0] for m in m1)
        sums = np.sum([m.column("sums")[0].as_py() for m in m1], axis=0)
        mean = sums / count if count else np.zeros(dim)
        m2 = [column_moments(t, dim=dim, center=mean) for t in state.values()]
        squares = np.sum([m.column("squares")[0].as_py() for m in m2], axis=0)
        mean, scale = standardize_scale(count, sums, squares)
    out = np.zeros((g.n, dim), dtype=np.float32)
    for batch in finish_batches(everything.to_batches(), dim=dim, mean=mean, scale=scale):
        out[_np(batch, "node")] = vectors_from_arrow(batch.column("embedding"), dim)
    return out, {"vectors_exchanged": int(exchanged), "steps": len(settings["iteration_weights"])}


# ---------------------------------------------------------------------------- walk / orbit family
OWNED, HALO, ANCHOR = 0, 1, 2

SUBGRAPH_SCHEMA = "part int, node long, role int, vec array<float>"


def member_graph(arcs, members):
    """The subgraph of one partition's members: ``(ids, roles, g)``.

    ``ids`` the members' global ids sorted, ``roles`` theirs, ``g`` the directed CSR graph of
    the arcs between members whose node ids are the members' seeding keys (int64 bits) in
    member-id order — so every node draws the random numbers it draws on one machine, in the
    same row order. O(arcs · log members).
    """
    from ..graph import as_csr

    ids = _np(members, "node", np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    key_ids = _np(members, "key", np.int64)[order]
    roles = _np(members, "role", np.int32)[order]
    src, dst = _np(arcs, "src", np.int64), _np(arcs, "dst", np.int64)
    inside = np.isin(src, ids) & np.isin(dst, ids)
    cols = [key_ids[np.searchsorted(ids, src[inside])], key_ids[np.searchsorted(ids, dst[inside])]]
    if "weight" in arcs.column_names:
        cols.append(_np(arcs, "weight", np.float64)[inside])
    return ids, roles, as_csr(tuple(cols), nodes=key_ids, directed=True)


def embed_subgraph(arcs, members, *, method, dim, random_state, params=None, num_threads=1):
    """Per partition: embed the subgraph induced on ``members`` with a registered method.

    Parameters
    ----------
    arcs : Arrow table ``src, dst[, weight]``: arcs between members (others are ignored).
    members : Arrow table ``part, node, key, role``: owned nodes (role 0), halo (1), anchors (2).
    method : str, a name in :mod:`graphembed.methods`.

    Returns Arrow ``part, node, role, vec`` for every member. The subgraph's rows are the members
    sorted by id, and each keeps its global seeding key, so one partition holding the whole graph
    reproduces the single-machine embedding exactly. A subgraph with fewer members than ``dim``
    gets ``len(members)`` columns padded with zeros; one without edges gets zero vectors. Time and memory: those of the method on the
    subgraph.
    """
    import pyarrow as pa

    from ..methods import get_method

    ids, roles, g = member_graph(arcs, members)
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


def embed_partitioned(graph, parts, *, method, dim=128, random_state=0, params=None,
                      mode="aligned", halo_hops=1, halo_cap=64, anchors=64, align_iterations=2,
                      border_dim=None, smooth_steps=3, landmarks=100_000):
    """A walk/orbit-family embedding computed partition by partition, in-process.

    The dataflow of ``spark_jobs/embed.py`` for methods other than FastRP, with the same
    adapters. ``mode``:

    * ``"aligned"``: every partition embeds its owned nodes with their halo (``halo_hops``) and
      ``anchors`` replicated top-degree nodes; partitions are rotated onto a reference partition
      by orthogonal Procrustes — first on the anchors, then ``align_iterations`` rounds on all
      shared nodes (each halo/anchor copy against its owner's rotated vector).
    * ``"distne"``: DistNE-style: each partition's internal embedding (owned nodes only,
      ``dim - border_dim`` columns) beside a border-level embedding (``border_dim`` columns,
      default ``dim // 2``) of the border subgraph, which interior nodes get by
      :func:`smooth_border`.
    * ``"landmarks"`` (IRWE methods): one basis for all partitions. Every partition computes
      the IRWE statistics (identity features, PPMI rows) of its owned nodes on its member
      subgraph; the rows of about ``landmarks`` sampled nodes (a pure function of (seed, id))
      are gathered, the identity PCA and the position SVD are fitted on them once, and every
      partition maps its owned rows with those maps. With every node a landmark and one
      partition this is the single-machine IRWE.
    * ``"none"``: owned rows of independent per-partition embeddings with halos, unaligned.

    Returns (E float32 (n, dim) in row order, stats). Time: the method's on every member set,
    plus O(P·d³) for the rotations (landmarks: plus the fit on the landmark rows).
    """
    from ..graph import as_csr

    check_choice("mode", mode, ("aligned", "distne", "landmarks", "none"))
    g = as_csr(graph)
    if g.directed:
        g = as_csr(g, directed=False)
    parts = np.asarray(parts, dtype=np.int64)
    nodes, arcs = _graph_tables(g, parts)
    keys = g.node_keys().view(np.int64)
    src, dst = _np(arcs, "src"), _np(arcs, "dst")

    def subgraph_table(rows, roles, p, d):
        import pyarrow as pa

        mem = pa.table({"part": np.full(len(rows), p, np.int32), "node": rows, "key": keys[rows],
                        "role": roles})
        sel = np.isin(src, rows)
        return embed_subgraph(arcs.filter(sel), mem, method=method, dim=d,
                              random_state=random_state, params=params)

    E = np.zeros((g.n, dim), dtype=np.float32)
    stats = {"mode": mode, "partitions": int(len(np.unique(parts)))}
    if mode == "distne":
        d_b = dim // 2 if border_dim is None else check_int("border_dim", border_dim, minimum=0,
                                                             maximum=dim)
        d_i = dim - d_b
        border = border_mask(g.indptr, g.indices, parts)
        stats["border_nodes"] = int(border.sum())
        Bvec = np.zeros((g.n, d_b), dtype=np.float32)
        if border.any() and d_b:
            b_rows = np.flatnonzero(border)
            t = subgraph_table(b_rows, np.zeros(len(b_rows), np.int32), 0, d_b)
            Bvec[_np(t, "node")] = vectors_from_arrow(t.column("vec"), d_b)
        import pyarrow as pa

        for p in np.unique(parts):
            rows = np.flatnonzero(parts == p)
            sel = np.isin(src, rows) & np.isin(dst, rows)
            table = pa.table({"part": np.full(len(rows), p, np.int32), "node": rows,
                              "key": keys[rows], "border": border[rows],
                              "bvec": vectors_to_arrow(Bvec[rows])})
            t = distne_partition(arcs.filter(sel), table, method=method, dim_internal=d_i,
                                 dim_border=d_b, random_state=random_state, params=params,
                                 smooth_steps=smooth_steps)
            E[_np(t, "node")] = vectors_from_arrow(t.column("vec"), dim)
        return E, stats
    members = halo_members(g, parts, hops=halo_hops, cap=halo_cap,
                           anchors=0 if mode == "landmarks" else anchors, seed=random_state)
    if mode == "landmarks":
        import pyarrow as pa

        lm = np.flatnonzero(landmark_mask(keys, landmark_threshold(g.n, landmarks),
                                          random_state))
        tabs = {}
        for p, (rows, roles) in members.items():
            tabs[p] = (arcs.filter(np.isin(src, rows)),
                       pa.table({"part": np.full(len(rows), p, np.int32), "node": rows,
                                 "key": keys[rows], "role": roles}))
        kw = dict(method=method, dim=dim, random_state=random_state, params=params)
        pieces = [landmark_statistics(a, m, landmark_ids=lm, **kw) for a, m in tabs.values()]
        model = fit_landmarks([landmark_rows(x, lm) for x in pieces], **kw)
        for ids, F, M in pieces:
            if len(ids) and (F is not None or M is not None):
                E[ids] = model.transform_statistics(F, M, part=landmark_part(method))
        stats["landmarks"] = int(len(lm))
        stats["members"] = int(sum(len(r) for r, _ in members.values()))
        return E, stats
    tables = {p: subgraph_table(rows, roles, p, dim) for p, (rows, roles) in members.items()}
    vecs = {p: (_np(t, "node"), _np(t, "role"), vectors_from_arrow(t.column("vec"), dim))
            for p, t in tables.items()}
    rot = {p: np.eye(dim) for p in vecs}
    if mode == "aligned" and len(vecs) > 1:
        sizes = {p: int((r == OWNED).sum()) for p, (_, r, _) in vecs.items()}
        ref = reference_partition(sizes)
        deg = np.diff(g.indptr)
        pri = node_priority(g.node_keys(), random_state)
        anchor_set = set(np.lexsort((pri, -deg))[:anchors].tolist()) if anchors else set()
        av = {}
        for p, (ids, roles, X) in vecs.items():
            sel = np.array([i in anchor_set for i in ids.tolist()], dtype=bool)
            av[p] = (ids[sel], X[sel].astype(np.float64))
        if anchor_set:
            rot = anchor_rotations(av, ref)
        for _ in range(align_iterations):
            owner_vec = np.zeros((g.n, dim))
            for p, (ids, roles, X) in vecs.items():
                own = roles == OWNED
                owner_vec[ids[own]] = X[own] @ rot[p]
            new = {}
            for p, (ids, roles, X) in vecs.items():
                if p == ref:
                    new[p] = np.eye(dim)
                    continue
                shared = roles != OWNED
                new[p] = align_to_targets(X[shared].astype(np.float64).T @ owner_vec[ids[shared]],
                                          dim) if shared.any() else rot[p]
            rot = new
        stats["reference"] = ref
    for p, (ids, roles, X) in vecs.items():
        own = roles == OWNED
        E[ids[own]] = (X[own].astype(np.float64) @ rot[p]).astype(np.float32)
    stats["members"] = int(sum(len(v[0]) for v in vecs.values()))
    return E, stats


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


# -- landmark mode (IRWE): one basis fitted on a global sample of nodes ------------------------

#: The IRWE split of each registered walk method (the landmark mode fits the IRWE estimator).
_IRWE_SPLITS = {"irwe": {}, "irwe_identity": {"identity_dim": "dim", "position_dim": 0},
                "irwe_position": {"identity_dim": 0, "position_dim": "dim"}}

#: Mixed into the seed of the landmark sample, so that it is independent of hash partitioning.
_LANDMARK_TAG = 0x4C414E444D41524B


def landmark_threshold(num_nodes, num_landmarks):
    """The uint64 priority bound of the landmark sample: a node is a landmark when its
    priority (:func:`landmark_mask`) is below it — about ``num_landmarks`` of ``num_nodes``
    nodes, every node when ``num_landmarks >= num_nodes``. Returned as a Python int."""
    num_nodes = check_int("num_nodes", num_nodes, minimum=1)
    num_landmarks = check_int("landmarks", num_landmarks, minimum=1)
    if num_landmarks >= num_nodes:
        return 2**64
    return int(2**64 * num_landmarks // num_nodes)


def landmark_mask(keys, threshold, seed=0):
    """True for the landmarks among ``keys``: a pure function of (seed, key), decided per node
    without any communication. O(n)."""
    seed = check_seed("seed", seed) ^ _LANDMARK_TAG
    pri = node_priority(keys, seed).view(np.uint64)
    if threshold >= 2**64:
        return np.ones(len(pri), dtype=bool)
    return pri < np.uint64(threshold)


def _irwe_model(method, dim, random_state, params):
    from ..methods import get_method
    from ..walks import IRWE

    if method not in _IRWE_SPLITS:
        raise ValueError(
            f"mode='landmarks' fits the IRWE estimator; method={method!r} is not one of "
            f"{sorted(_IRWE_SPLITS)} (use mode='aligned' for other methods)"
        )
    kwargs = {k: v for k, v in get_method(method).parse_params(params).items() if v is not None}
    for k, v in _IRWE_SPLITS[method].items():
        kwargs[k] = dim if v == "dim" else v
    return IRWE(dim, random_state=random_state, num_threads=1, **kwargs)


def landmark_halves(method, dim, params=None):
    """(has identity half, has position half) of the IRWE model behind ``method``."""
    id_dim, pos_dim = _irwe_model(method, dim, 0, params)._dims(2**62)
    return id_dim > 0, pos_dim > 0


def landmark_part(method):
    """Which IRWE output a registered walk method returns ("joint", "identity", "position")."""
    return {"irwe": "joint", "irwe_identity": "identity", "irwe_position": "position"}[method]


def landmark_statistics(arcs, members, *, method, dim, random_state, params=None,
                        landmark_ids):
    """Per partition: IRWE statistics of its owned nodes on its member subgraph.

    ``members`` as for :func:`embed_subgraph`; ``landmark_ids`` the sorted global ids of the
    landmarks. Rows: the owned nodes. Returns ``(ids, F, M)``: global ids (sorted), identity
    features (or None) and the PPMI rows as CSR whose columns are landmark indices (contexts
    that are not landmarks dropped; the PPMI itself is computed with the subgraph's
    marginals). Time: IRWE's statistics on the subgraph; memory O(rows · F + nnz(PPMI)).
    """
    import scipy.sparse as sp

    ids, roles, g = member_graph(arcs, members)
    rows = np.flatnonzero(roles == OWNED)
    model = _irwe_model(method, dim, random_state, params)
    if len(rows) == 0 or g.nnz == 0:
        return ids[rows], None, None
    F, M = model.statistics(g, rows)
    if M is not None:
        M = M.tocoo()
        col_ids = ids[M.col]
        at = np.searchsorted(landmark_ids, col_ids)
        ok = (at < len(landmark_ids)) & (landmark_ids[np.minimum(at, len(landmark_ids) - 1)]
                                         == col_ids)
        M = sp.csr_array((M.data[ok], (M.row[ok], at[ok])),
                         shape=(len(rows), len(landmark_ids)))
    return ids[rows], F, M


def landmark_rows(piece, landmark_ids):
    """The landmarks' rows of a :func:`landmark_statistics` result (what a partition ships to
    the driver)."""
    ids, F, M = piece
    sel = np.flatnonzero(np.isin(ids, landmark_ids))
    return ids[sel], None if F is None else F[sel], None if M is None else M[sel]


def fit_landmarks(pieces, *, method, dim, random_state, params=None):
    """Driver: fit the IRWE maps on the landmarks' statistics gathered from every partition.

    ``pieces``: :func:`landmark_rows` of every partition's :func:`landmark_statistics`.
    Returns the fitted estimator (identity PCA and position SVD in the landmark basis); every
    partition then embeds its owned nodes with ``transform_statistics``, in one basis, with no
    alignment. Memory O(L·F + nnz of the landmark PPMI block); time that of the PCA and SVD.
    """
    import scipy.sparse as sp

    pieces = [p for p in pieces if len(p[0])]
    model = _irwe_model(method, dim, random_state, params)
    Fs = [p[1] for p in pieces if p[1] is not None]
    Ms = [p[2] for p in pieces if p[2] is not None]
    F = np.vstack(Fs) if Fs else None
    M = sp.vstack(Ms).tocsr() if Ms else None
    count = int(sum(len(p[0]) for p in pieces))
    if (F is None and M is None) or count < dim:
        raise ValueError(
            f"the landmark fit got statistics for {count} landmark nodes, fewer than dim={dim}; "
            "sample more landmarks (landmarks= / --landmarks, at least a few times dim) or "
            "lower dim"
        )
    model.fit_statistics(F, M)
    model.landmarks_ = count
    return model


LANDMARK_SCHEMA = "node long, f array<double>, cols array<int>, vals array<double>"


def landmark_batches(batches, *, threshold, seed):
    """``mapInArrow`` body: ``node, key`` rows -> ``node`` of the landmarks among them."""
    import pyarrow as pa

    for batch in batches:
        keep = landmark_mask(_np(batch, "key", np.int64), threshold, seed)
        yield pa.RecordBatch.from_pydict({"node": pa.array(_np(batch, "node", np.int64)[keep])})


def landmark_rows_table(arcs, members, *, method, dim, random_state, params=None,
                        landmark_ids):
    """Per partition (Spark): the landmarks' statistics among its owned nodes, as Arrow
    ``node, f, cols, vals`` (identity features; the PPMI row's landmark columns and values)."""
    import pyarrow as pa

    ids, F, M = landmark_rows(landmark_statistics(
        arcs, members, method=method, dim=dim, random_state=random_state, params=params,
        landmark_ids=landmark_ids), landmark_ids)
    m = len(ids)
    width = 0 if F is None else F.shape[1]
    f_off = np.arange(m + 1, dtype=np.int32) * width
    f_val = np.zeros(0) if F is None else np.ascontiguousarray(F, dtype=np.float64).ravel()
    m_off = np.zeros(m + 1, np.int32) if M is None else M.indptr.astype(np.int32)
    cols = np.zeros(0, np.int32) if M is None else M.indices.astype(np.int32)
    vals = np.zeros(0) if M is None else M.data.astype(np.float64)
    return pa.table({"node": pa.array(ids, pa.int64()),
                     "f": pa.ListArray.from_arrays(pa.array(f_off), pa.array(f_val)),
                     "cols": pa.ListArray.from_arrays(pa.array(m_off), pa.array(cols)),
                     "vals": pa.ListArray.from_arrays(pa.array(m_off), pa.array(vals))})


def landmark_piece_from_table(table, *, num_landmarks, has_identity, has_position):
    """Driver: a :func:`landmark_rows_table` result (all partitions') back to ``(ids, F, M)``."""
    import pyarrow.compute as pc
    import scipy.sparse as sp

    if has_identity:  # rows of partitions without edges carry no statistics
        table = table.filter(pc.greater(pc.list_value_length(table.column("f")), 0))
    ids = _np(table, "node", np.int64)
    F = M = None
    if has_identity:
        f = table.column("f").combine_chunks()
        F = np.asarray(f.flatten(), dtype=np.float64).reshape(len(ids), -1)
    if has_position:
        cols = table.column("cols").combine_chunks()
        vals = table.column("vals").combine_chunks()
        indptr = np.asarray(cols.offsets, dtype=np.int64)
        M = sp.csr_array((np.asarray(vals.values, dtype=np.float64),
                          np.asarray(cols.values, dtype=np.int64), indptr),
                         shape=(len(ids), num_landmarks))
    return ids, F, M


def landmark_embed_table(arcs, members, *, method, dim, random_state, params=None,
                         landmark_ids, model):
    """Per partition (Spark): its owned nodes embedded with the landmark-fitted ``model`` (an
    IRWE estimator or a Spark broadcast of one). Returns ``part, node, role, vec``."""
    import pyarrow as pa

    model = getattr(model, "value", model)
    ids, F, M = landmark_statistics(arcs, members, method=method, dim=dim,
                                    random_state=random_state, params=params,
                                    landmark_ids=landmark_ids)
    X = np.zeros((len(ids), dim), dtype=np.float32)
    if len(ids) and (F is not None or M is not None):
        X[:] = model.transform_statistics(F, M, part=landmark_part(method))
    part = members.column("part")[0].as_py() if members.num_rows else 0
    return pa.table({"part": pa.array(np.full(len(ids), part, np.int32)), "node": ids,
                     "role": pa.array(np.zeros(len(ids), np.int32)),
                     "vec": vectors_to_arrow(X)})


def table_batches(batches, *, func, **kwargs):
    """``mapInArrow`` body applying a table function to every batch."""
    import pyarrow as pa

    for batch in batches:
        yield from func(pa.Table.from_batches([batch]), **kwargs).to_batches()
