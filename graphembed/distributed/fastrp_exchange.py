"""Exact distributed FastRP whose steps exchange vectors through files, not Spark's shuffle.

The arcs are laid down once per partition, sorted by target key (:func:`write_arc_files`), with
each partition's fan-out (which of its owned rows every other partition holds as a ghost). A
step is then one task per partition that

1. reads the vectors it needs — its owned rows and its ghosts, as the previous step's tasks wrote
   them, each source's rows for this partition sorted by key — merging the sorted runs of every
   source as they stream (:func:`merge_runs`, a window of a few thousand rows per source),
2. feeds them, in increasing key order, with its arc file to the kernel
   :func:`graphembed._kernels.fastrp.merge_accumulate`: every arc right after its target's
   vector, the float32 operations and their order of graphembed.fastrp, so the bits are the
   same as one machine's before standardisation, and
3. writes the next step's vectors: one Parquet file per source partition, ``dest, ukey, li, P``
   sorted by ``(dest, ukey)``, one row group or more per destination, never two destinations
   in one group, so that each destination reads exactly its rows.

Nothing of a step passes through Spark's shuffle and sort (each row there costs a serialisation,
a sort record and two Arrow conversions); the tasks' files are written under a temporary name
and renamed, so a retried task writes the same bytes and a reader never sees half a file. The
driver collects each step's row-group index (one row per source and destination) and hands it
to the next step. Layout under the job's work directory: ``owned/`` (each partition's ``node,
ukey, degree`` in row order), ``vec{s}/`` (what step ``s`` reads), ``E{s}/`` (the owned rows'
embedding after step ``s``).
"""

from __future__ import annotations

import numpy as np

from .arrow import _np
from .fastrp_merge import _ArcCursor, _filesystem, part_file
from .fastrp_stream import (
    _add_normalized,
    _binary_buffers,
    _initial_rows,
    stream_batch_rows,
    stream_sort_key,
    vectors_from_binary,
    vectors_to_binary,
)

#: What a task yields for each file of vectors it wrote: one row per destination partition
#: (``src`` wrote ``rows`` rows for ``dest`` as row groups ``rg0 .. rg0 + nrg − 1``).
EXCHANGE_INDEX_SCHEMA = "src int, dest int, rg0 int, nrg int, rows long"


class ExchangeLayout:
    """Where a job's exchange files live (picklable; ships to the tasks)."""

    def __init__(self, directory):
        self.directory = str(directory).rstrip("/")

    def owned(self):
        return f"{self.directory}/owned"

    def vectors(self, step):
        """The vectors step ``step`` reads (written by step ``step − 1``; 1: the initial)."""
        return f"{self.directory}/vec{int(step)}"

    def embedding(self, step):
        return f"{self.directory}/E{int(step)}"


def _write_file(directory, part, tables):
    """Write ``tables`` (an iterable of Arrow tables, one row group each) to partition
    ``part``'s file under ``directory``, under a temporary name renamed at the end; returns the
    row count of every row group written."""
    import uuid

    import pyarrow.parquet as pq

    fs, root = _filesystem(directory)
    fs.create_dir(root, recursive=True)
    temp = f"{root}/.part-{int(part):05d}.{uuid.uuid4().hex}.tmp"
    writer = None
    groups = []
    try:
        for t in tables:
            if writer is None:
                writer = pq.ParquetWriter(temp, t.schema, filesystem=fs, compression="none",
                                          use_dictionary=False, write_statistics=False)
            if t.num_rows:
                writer.write_table(t, row_group_size=t.num_rows)
                groups.append(t.num_rows)
        if writer is None:
            return groups
        writer.close()
        writer = None
        if pq.read_metadata(fs.open_input_file(temp)).num_row_groups != len(groups):
            raise RuntimeError(f"partition {part}: the row groups of {temp} are not the "
                               "tables written")
        fs.move(temp, part_file(root, part))
    except BaseException:
        if writer is not None:
            writer.close()
        try:
            fs.delete_file(temp)
        except OSError:
            pass
        raise
    return groups


def _read_file(directory, part, *, rows=None, row_groups=None, columns=None, batch_rows):
    """Batches of partition ``part``'s file under ``directory`` (only ``row_groups`` if given),
    checked to hold ``rows`` rows there."""
    import pyarrow.parquet as pq

    fs, root = _filesystem(directory)
    path = part_file(root, part)
    try:
        f = pq.ParquetFile(fs.open_input_file(path), pre_buffer=False)
    except (FileNotFoundError, OSError) as exc:
        raise ValueError(f"partition {part}: no file {path}; an earlier stage did not write "
                         "it (a stale work directory?)") from exc
    if rows is not None:
        have = (f.metadata.num_rows if row_groups is None else
                sum(f.metadata.row_group(g).num_rows for g in row_groups))
        if have != rows:
            raise ValueError(f"partition {part}: {path} holds {have} rows where {rows} were "
                             "written (a stale or partial file)")
    return f.iter_batches(batch_size=max(1, int(batch_rows)), row_groups=row_groups,
                          columns=columns, use_threads=False)


def _vector_schema():
    import pyarrow as pa

    return pa.schema([("ukey", pa.int64()), ("li", pa.int32()), ("P", pa.binary())])


def write_vectors(directory, part, N, ukey, fanout, *, rows_per_group):
    """Partition ``part``'s vectors for the next step: its owned rows (``li`` their row) for
    itself and, for every ``(li, dest)`` of ``fanout``, row ``li`` for partition ``dest``
    (``li`` −1 there), sorted by ``(dest, ukey)``, at most ``rows_per_group`` rows per row
    group. Returns :data:`EXCHANGE_INDEX_SCHEMA` rows as tuples. Time O(f log f + (n + f)·dim)
    for ``n`` owned rows and ``f`` fan-out rows; memory O(n + f) indices and one row group."""
    import pyarrow as pa

    n = len(ukey)
    f_li, f_dest = fanout
    li = np.concatenate([np.arange(n, dtype=np.int64), np.asarray(f_li, np.int64)])
    dest = np.concatenate([np.full(n, part, np.int64), np.asarray(f_dest, np.int64)])
    if len(f_li) and (li.min() < 0 or li.max() >= n):
        raise ValueError(f"partition {part}: a fan-out row {int(li.max())} is outside its "
                         f"{n} owned rows")
    order = np.lexsort((ukey[li], dest))
    li, dest = li[order], dest[order]
    own = dest == part
    cuts = np.flatnonzero(np.diff(dest)) + 1
    runs = list(zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(dest)].tolist()))
    schema = _vector_schema()
    step = max(1, int(rows_per_group))

    def tables():
        for a, b in runs:
            for c in range(a, b, step):
                d = min(b, c + step)
                rows = li[c:d]
                yield pa.Table.from_arrays(
                    [pa.array(ukey[rows]), pa.array(np.where(own[c:d], rows, -1), pa.int32()),
                     vectors_to_binary(N[rows])], schema=schema)

    groups = _write_file(directory, part, tables())
    index, g = [], 0
    for a, b in runs:
        k = -(-(b - a) // step)
        if sum(groups[g:g + k]) != b - a:
            raise RuntimeError(f"partition {part}: row groups do not match the rows written")
        index.append((int(part), int(dest[a]), g, k, b - a))
        g += k
    return index


def merge_runs(runs, dim, *, part, budget_rows=65_536):
    """The rows of several runs, each sorted by ``ukey``, as one stream sorted by ``ukey``.

    ``runs``: iterables of Arrow batches (``ukey, li, P``). Yields ``(ukey, li, P)`` numpy
    arrays (``P`` (m, dim) float32) in order. The merge reads the run whose last key read is
    smallest until about ``budget_rows`` rows are buffered, then emits every buffered row up to
    the smallest such key (no later row of any run can come before it) in one sorted chunk:
    O(rows · log rows) numpy work, a pass over the runs per chunk (not per batch), memory about
    ``budget_rows`` rows plus one batch per run. Raises ValueError when a run is out of order or
    a key comes twice."""
    k = len(runs)
    its = [iter(r) for r in runs]
    top = np.iinfo(np.int64).max
    front = np.full(k, np.iinfo(np.int64).min)  # last key read from each run
    started = np.zeros(k, bool)
    done = np.zeros(k, bool)
    win = [None] * k  # per run: [key, li, P, pos] of its unemitted rows
    buffered = 0

    def read(s):
        """The next non-empty batch of run ``s`` into its window; False when the run is done."""
        nonlocal buffered
        for b in its[s]:
            if b.num_rows == 0:
                continue
            key = _np(b, "ukey", np.int64)
            off, vals = _binary_buffers(b.column("P"))
            if np.any(np.diff(off) != dim):
                raise ValueError(f"partition {part}: a vector row does not have dim = {dim} "
                                 "values")
            if np.any(key[1:] <= key[:-1]) or (started[s] and key[0] <= front[s]):
                raise ValueError(f"partition {part}: a run of vectors is not sorted by key")
            li = _np(b, "li", np.int32)
            P = vals[off[0]:off[0] + len(key) * dim].reshape(len(key), dim)
            w = win[s]
            if w is not None and w[3] < len(w[0]):
                a = w[3]
                key, li = np.concatenate([w[0][a:], key]), np.concatenate([w[1][a:], li])
                P = np.concatenate([w[2][a:], P])
                buffered -= len(w[0]) - a
            win[s] = [key, li, P, 0]
            buffered += len(key)
            front[s], started[s] = key[-1], True
            return True
        done[s] = True
        return False

    def lagging():
        return int(np.flatnonzero(~done)[np.argmin(front[~done])])

    prev = None
    while True:
        # fill: read the run that lags most until the budget is buffered (each run read once
        # before anything is emitted: an unread run's front is the smallest key there is)
        while not done.all() and buffered < budget_rows:
            read(lagging())
        live = ~done
        limit = int(front[live].min()) if live.any() else top
        if live.any() and not any(w is not None and w[3] < len(w[0]) and w[0][w[3]] <= limit
                                  for w in win):
            read(lagging())  # nothing safe yet: read on, whatever the budget
            continue
        keys, lis, Ps = [], [], []
        for w in win:
            if w is None or w[3] >= len(w[0]):
                continue
            a = w[3]
            e = (len(w[0]) if not live.any() or w[0][-1] <= limit
                 else int(np.searchsorted(w[0], limit, "right")))
            if e > a:
                keys.append(w[0][a:e])
                lis.append(w[1][a:e])
                Ps.append(w[2][a:e])
                w[3] = e
        if not keys:
            if not live.any():
                return
            continue
        if len(keys) == 1:
            key, li, P = keys[0], lis[0], Ps[0]
        else:
            key = np.concatenate(keys)
            order = np.argsort(key, kind="stable")
            key, li, P = key[order], np.concatenate(lis)[order], np.concatenate(Ps)[order]
        if np.any(key[1:] == key[:-1]) or (prev is not None and key[0] <= prev):
            raise ValueError(f"partition {part}: a node's vector came twice; each node must "
                             "be owned by one partition")
        buffered -= len(key)
        prev = int(key[-1])
        yield key, li, P


def _accumulate(part, stream, n, arcs, acc, weighted):
    """Every vector row of ``stream`` (sorted by key) merged with the partition's arc cursor;
    returns how many owned rows came (each owned row must come once)."""
    from .._kernels.fastrp import merge_accumulate

    dim = acc.shape[1]
    seen = 0
    empty = np.zeros(0, np.float32)
    for ukey, li, P in stream:
        if len(li) and (li.max() >= n or li.min() < -1):
            raise ValueError(f"partition {part}: row index {int(li.max())} outside its {n} "
                             "owned rows")
        seen += int(np.count_nonzero(li >= 0))
        m = len(ukey)
        p_val = np.ascontiguousarray(P).reshape(-1)
        p_off = np.arange(0, (m + 1) * dim, dim, dtype=np.int64)
        r = 0
        while r < m:
            if arcs.done:
                r_end = m
            else:
                r_end = (int(np.searchsorted(ukey, arcs.key[-1], side="left"))
                         if arcs.pos < len(arcs.key) else r)
                if r_end <= r:
                    arcs.read_one()
                    continue
            # li −1 for every row: the kernel copies no E (E lives in its own file)
            got = merge_accumulate(ukey[r:r_end], np.full(r_end - r, -1, np.int32),
                                   p_off[r:r_end + 1], p_val, p_off[r:r_end + 1], empty,
                                   arcs.key, arcs.si, arcs.w, arcs.pos, bool(weighted), acc,
                                   acc[:0])
            if got < 0:
                _unmatched(part, arcs, -got - 1)
            arcs.pos = got
            r = r_end
    while not arcs.done:
        arcs.read_one()
    if arcs.pos < len(arcs.key):
        _unmatched(part, arcs, arcs.pos)
    return seen


def _unmatched(part, arcs, a):
    raise ValueError(f"partition {part}: an arc into the node of sort key {int(arcs.key[a])} "
                     "has no vector row; every owned node and ghost must come once")


def _fanout_arrays(fanout, part):
    li, dest = [], []
    if fanout is not None:
        for chunk in fanout(part):
            li.append(_np(chunk, "li", np.int64))
            dest.append(_np(chunk, "dest", np.int64))
    cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0, np.int64))
    return cat(li), cat(dest)


def _vector_batch_rows(dim):
    return stream_batch_rows(dim, 8 << 20)


def exchange_initial(batches, *, settings, layout, fanout, batch_rows=None):
    """``mapInArrow`` body before the steps: for each partition in ``batches`` (its owned rows,
    ``part, li, node, key, degree``, any order), ``N_0`` and ``E_0`` of its owned rows; writes
    ``owned/``, ``E0/`` and ``vec1/`` (the vectors the first step reads: owned rows and the
    copies its fan-out names) and yields :data:`EXCHANGE_INDEX_SCHEMA`. Time O((n + f)·dim);
    memory O(n·dim) for the partition's ``n`` owned rows plus its fan-out indices."""
    import pyarrow as pa

    cols = {c: [] for c in ("part", "li", "node", "key", "degree")}
    for b in batches:
        if b.num_rows:
            for c in cols:
                cols[c].append(_np(b, c, np.float64 if c == "degree" else np.int64))
    if not cols["part"]:
        return
    arr = {c: np.concatenate(v) for c, v in cols.items()}
    rows_out = int(batch_rows or _vector_batch_rows(settings["dim"]))
    for p in np.unique(arr["part"]).tolist():
        sel = arr["part"] == p
        n = int(sel.sum())
        li = arr["li"][sel]
        if not np.array_equal(np.sort(li), np.arange(n)):
            raise ValueError(f"partition {p}: its owned rows are not numbered 0..{n - 1}")
        node, key, degree = (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n))
        node[li], key[li], degree[li] = arr["node"][sel], arr["key"][sel], arr["degree"][sel]
        ukey = stream_sort_key(key)
        N = _initial_rows(key, degree, settings)
        E = np.zeros_like(N)
        _add_normalized(E, N, settings["self_influence"], settings["normalize"])
        _write_file(layout.owned(), p, [pa.table({"node": node, "ukey": ukey, "degree": degree})])
        _write_file(layout.embedding(0), p, [pa.table({"E": vectors_to_binary(E)})])
        index = write_vectors(layout.vectors(1), p, N, ukey, _fanout_arrays(fanout, p),
                              rows_per_group=rows_out)
        yield _index_batch(index)


def _index_batch(index):
    import pyarrow as pa

    cols = list(zip(*index)) if index else [[], [], [], [], []]
    return pa.RecordBatch.from_arrays(
        [pa.array(cols[0], pa.int32()), pa.array(cols[1], pa.int32()),
         pa.array(cols[2], pa.int32()), pa.array(cols[3], pa.int32()),
         pa.array(cols[4], pa.int64())], names=["src", "dest", "rg0", "nrg", "rows"])


def index_by_dest(rows):
    """A step's collected :data:`EXCHANGE_INDEX_SCHEMA` rows as {dest: [(src, rg0, nrg, rows),
    ...]} sorted by source (what :func:`exchange_step` reads)."""
    out = {}
    for r in rows:
        out.setdefault(int(r["dest"]), []).append(
            (int(r["src"]), int(r["rg0"]), int(r["nrg"]), int(r["rows"])))
    return {d: sorted(v) for d, v in out.items()}


def exchange_step(batches, *, settings, step, layout, index, owned_counts, arcs, fanout=None,
                  weighted=False, last=False, batch_rows=None):
    """``mapInArrow`` body of propagation step ``step``: ``N_s = A·N_{s−1}``,
    ``E_s = E_{s−1} + α_s·norm(N_s)`` for each partition in ``batches`` (``part``).

    Reads ``vec{step}/`` (the rows ``index`` — {dest: [(src, rg0, nrg, rows)]} or a Spark
    broadcast of it — lists for the partition, merged by key, :func:`merge_runs`), the
    partition's arc file (``arcs(part)``, sorted by key), ``owned/`` and ``E{step−1}/``; writes
    ``vec{step+1}/`` and ``E{step}/`` and yields :data:`EXCHANGE_INDEX_SCHEMA`, or with ``last``
    yields the owned rows' embeddings (``FASTRP_FINAL_SCHEMA``) and writes nothing. Raises
    ValueError when an arc's target has no vector, a node comes twice, files are missing or
    stale. Time O(arcs·dim + (rows in + rows out)·dim + rows in · log(sources));
    memory three owned × dim float32 buffers, one batch per source and the fan-out indices.
    """
    import pyarrow as pa

    from ..fastrp import _inverse

    dim = settings["dim"]
    alpha = settings["iteration_weights"][step - 1]
    rows_out = int(batch_rows or _vector_batch_rows(dim))
    if hasattr(index, "value"):
        index = index.value
    parts = [np.unique(_np(b, "part", np.int64)) for b in batches if b.num_rows]
    for p in (np.unique(np.concatenate(parts)).tolist() if parts else []):
        if p not in owned_counts:
            raise ValueError(f"partition {p} is not in owned_counts")
        n = int(owned_counts[p])
        owned = pa.Table.from_batches(list(_read_file(layout.owned(), p, rows=n,
                                                      batch_rows=max(n, 1))))
        ukey, degree = _np(owned, "ukey", np.int64), _np(owned, "degree", np.float64)
        sources = index.get(p, [])
        # the merge buffers about rows_out rows; each run is read a quarter of its share at a time
        per_run = max(1, rows_out // (4 * max(1, len(sources))))
        runs = [_read_file(layout.vectors(step), q, rows=rows, columns=["ukey", "li", "P"],
                           row_groups=list(range(g0, g0 + k)), batch_rows=per_run)
                for q, g0, k, rows in sources]
        acc = np.zeros((n, dim), np.float32)
        seen = _accumulate(p, merge_runs(runs, dim, part=p, budget_rows=rows_out), n,
                           _ArcCursor(arcs(p), p, n),
                           acc, weighted)
        if seen != n:
            raise ValueError(f"partition {p}: {seen} owned vector rows came, it owns {n}")
        E = np.zeros((n, dim), np.float32)
        g = 0
        for b in _read_file(layout.embedding(step - 1), p, rows=n, batch_rows=rows_out):
            e = vectors_from_binary(b.column("E"), dim)
            E[g:g + len(e)] = e
            g += len(e)
        if settings["transition"] == "mean":
            acc *= _inverse(degree)[:, None]
        _add_normalized(E, acc, alpha, settings["normalize"])
        if last:
            node = _np(owned, "node", np.int64)
            for a in range(0, n, rows_out):
                b = min(n, a + rows_out)
                yield pa.RecordBatch.from_arrays(
                    [pa.array(np.full(b - a, p, np.int32)),
                     pa.array(np.arange(a, b, dtype=np.int32)), pa.array(node[a:b]),
                     pa.array(stream_sort_key(ukey[a:b])), pa.array(degree[a:b]),
                     vectors_to_binary(E[a:b])],
                    names=["part", "li", "node", "key", "degree", "E"])
            continue
        _write_file(layout.embedding(step), p,
                    (pa.table({"E": vectors_to_binary(E[a:a + rows_out])})
                     for a in range(0, n, rows_out)))
        index_out = write_vectors(layout.vectors(step + 1), p, acc, ukey,
                                  _fanout_arrays(fanout, p), rows_per_group=rows_out)
        yield _index_batch(index_out)
