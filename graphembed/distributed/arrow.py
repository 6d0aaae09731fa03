"""Arrow adapters: vectors to and from Arrow list columns, and the small ``mapInArrow`` bodies
that tag nodes with their seeding key, hash partition or priority.

A vector column is Spark's ``array<float>`` (Arrow ``list<float>``), one row per node; these are
the only conversions between it and numpy, so every module reads and writes vectors the same way.
"""

from __future__ import annotations

import numpy as np

from .partitioning import hash_partition, node_priority


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


def part_runs(batch):
    """``(part, piece)`` for each run of equal ``part`` in an Arrow batch, in order (a stream
    sorted by partition holds one run per partition it touches). O(rows); pieces are views."""
    parts = _np(batch, "part", np.int64)
    cuts = np.flatnonzero(np.diff(parts)) + 1
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(parts)]):
        yield int(parts[a]), batch.slice(a, b - a)


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


def table_batches(batches, *, func, **kwargs):
    """``mapInArrow`` body applying a table function to every batch."""
    import pyarrow as pa

    for batch in batches:
        yield from func(pa.Table.from_batches([batch]), **kwargs).to_batches()


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
