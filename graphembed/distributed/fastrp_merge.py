"""Exact distributed FastRP with the arcs laid down once: every partition's arcs written to one
Parquet file sorted by target key before the steps, and each step streaming only vectors (the
partition's owned rows and its ghosts, sorted by key), merged with the arc file as both stream.

A step reads its partition's vector rows by increasing sort key and its arc file sequentially,
and feeds every arc to :func:`graphembed._kernels.fastrp.merge_accumulate` right after its
target's vector: the float32 operations and their order are those of
:func:`~graphembed.distributed.fastrp_stream.fastrp_stream_step` (and graphembed.fastrp), so the
bits are the same, while the shuffle of a step carries vectors only. The step also emits the
vectors the next step needs: each owned row once for its own partition and once per partition
that holds it as a ghost (the partition's fan-out file), so no join is needed between steps.
"""

from __future__ import annotations

import numpy as np

from .arrow import _np, part_runs, vectors_from_arrow
from .fastrp_stream import (
    _add_normalized,
    _binary_buffers,
    _initial_rows,
    stream_batch_rows,
    stream_sort_key,
    vectors_from_binary,
    vectors_to_binary,
)

#: A step's vector stream: every node a partition reads, once — its owned nodes (``li`` ≥ 0,
#: with ``node``, ``degree`` and ``E``) and its ghosts (``li`` −1, ``P`` only, ``E`` null) —
#: sorted by ``(part, ukey)`` (``ukey``: :func:`stream_sort_key` of the node's key). The vectors
#: are ``binary``: ``dim`` little-endian float32 each (:func:`vectors_to_binary`), which Spark
#: shuffles, sorts and stores as one value per row, not ``dim`` array elements.
VECTOR_STREAM_SCHEMA = ("part int, ukey long, li int, node long, degree double, P binary, "
                        "E binary")
VECTOR_STREAM_COLUMNS = ("part", "ukey", "li", "node", "degree", "P", "E")

#: Rows :func:`write_arc_files` reads (sorted by ``(part, ukey)``): the arc's partition, its
#: target's sort key, its source row ``si`` and its weight ``w``.
ARC_INPUT_COLUMNS = ("part", "ukey", "si", "w")

#: What :func:`write_arc_files` yields: the distinct targets of each partition's arcs.
TARGETS_SCHEMA = "part int, ukey long"

#: The ghost table: one row per (partition, node owned elsewhere that an arc of the partition
#: points to), with the node's degree, owning partition and row there.
GHOST_SCHEMA = "part int, ukey long, node long, degree double, owner int, oli int"

#: What the last step yields: every owned node's embedding before standardisation, ``E``
#: binary (read by ``moments_batches`` and ``finish_batches``).
FASTRP_FINAL_SCHEMA = "part int, li int, node long, key long, degree double, E binary"

#: What :func:`write_fanout_files` yields: rows written per partition.
PART_FILES_SCHEMA = "part int, rows long"


def merge_batch_rows(dim, target_bytes=8 << 20):
    """Rows per Arrow batch of a step's vector stream, in and out: about ``target_bytes`` of
    vectors (65,536 rows at dim 32), so that a task's peak stays near its owned rows' buffers
    plus a few such batches, whatever the size of its partition."""
    return stream_batch_rows(dim, target_bytes)


def _filesystem(directory):
    """(pyarrow FileSystem, path) of a local path or a URI (file:, hdfs:, s3:, ...)."""
    from pyarrow import fs

    return fs.FileSystem.from_uri(str(directory).rstrip("/"))


def part_file(directory, part):
    """Path of partition ``part``'s file under ``directory``."""
    return f"{str(directory).rstrip('/')}/part-{int(part):05d}.parquet"


class _PartFiles:
    """One Parquet file per partition, written as its sorted rows stream through a task.

    Each file is written under a temporary name and renamed when its partition ends, so a
    reader sees a whole file or none; a retried task writes the same bytes again. ``key`` must
    not decrease within a partition (checked), so the files are sorted however Spark cut the
    stream into batches.
    """

    def __init__(self, directory, schema, key):
        self.fs, self.root = _filesystem(directory)
        self.fs.create_dir(self.root, recursive=True)
        self.directory, self.schema, self.key = str(directory), schema, key
        self.part = self.writer = self.temp = None
        self.rows = 0

    def open(self, part):
        import uuid

        import pyarrow.parquet as pq

        self.close()
        self.part, self.rows, self.last = int(part), 0, None
        self.temp = f"{self.root}/.part-{self.part:05d}.{uuid.uuid4().hex}.tmp"
        self.writer = pq.ParquetWriter(self.temp, self.schema, filesystem=self.fs)

    def write(self, table):
        k = _np(table, self.key, np.int64)
        if len(k) and (np.any(k[1:] < k[:-1]) or (self.last is not None and k[0] < self.last)):
            raise ValueError(f"partition {self.part}: rows not sorted by {self.key!r}; sort "
                             f"each partition's rows by (part, {self.key}) before writing")
        if len(k):
            self.last = int(k[-1])
        self.writer.write_table(table.select(self.schema.names).cast(self.schema))
        self.rows += table.num_rows

    def close(self):
        """Finish the open file (rename it to its final name); returns (part, rows) or None."""
        if self.writer is None:
            return None
        self.writer.close()
        final = part_file(self.root, self.part)
        self.fs.move(self.temp, final)
        self.writer = self.temp = None
        return self.part, self.rows

    def abort(self):
        if self.writer is not None:
            try:
                self.writer.close()
            finally:
                self.writer = None
                try:
                    self.fs.delete_file(self.temp)
                except OSError:
                    pass


def _arc_file_schema():
    import pyarrow as pa

    return pa.schema([("ukey", pa.int64()), ("si", pa.int32()), ("w", pa.float32())])


def _fanout_file_schema():
    import pyarrow as pa

    return pa.schema([("li", pa.int32()), ("dest", pa.int32())])


def write_arc_files(batches, *, directory):
    """``mapInArrow`` body, run once before the steps: each partition's arcs to one Parquet file
    ``part-NNNNN.parquet`` (``ukey, si, w``) under ``directory``.

    ``batches``: :data:`ARC_INPUT_COLUMNS` sorted by ``(part, ukey)``. Yields
    :data:`TARGETS_SCHEMA`: the distinct targets of each partition's arcs (consecutive in key
    order, so found as the rows stream; the ghosts are those owned elsewhere). Time O(arcs);
    memory one input batch (the file is written as the rows arrive).
    """
    import pyarrow as pa

    files = _PartFiles(directory, _arc_file_schema(), "ukey")
    prev = [None, None]  # (part, ukey) of the last row seen
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            for p, piece in part_runs(batch):
                if prev[0] != p:
                    files.close()
                    files.open(p)
                    prev[1] = None
                files.write(pa.Table.from_batches([piece]))
                ukey = _np(piece, "ukey", np.int64)
                first = np.r_[True, ukey[1:] != ukey[:-1]]
                if prev[1] is not None and ukey[0] == prev[1]:
                    first[0] = False
                prev[0], prev[1] = p, int(ukey[-1])
                yield pa.RecordBatch.from_arrays(
                    [pa.array(np.full(int(first.sum()), p, np.int32)), pa.array(ukey[first])],
                    names=["part", "ukey"])
        files.close()
    except BaseException:
        files.abort()
        raise


def write_fanout_files(batches, *, directory):
    """``mapInArrow`` body, run once before the steps: for each partition, which of its owned
    rows every other partition holds as a ghost, as one Parquet file (``li, dest``, sorted by
    ``li``) under ``directory``.

    ``batches``: ``part`` (the owner), ``li`` (the owned row), ``dest`` (the partition holding it
    as a ghost), sorted by ``(part, li)``. Yields :data:`PART_FILES_SCHEMA`. Time O(rows);
    memory one input batch.
    """
    import pyarrow as pa

    files = _PartFiles(directory, _fanout_file_schema(), "li")
    done = []
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            for p, piece in part_runs(batch):
                if files.part != p:
                    done.append(files.close())
                    files.open(p)
                files.write(pa.Table.from_batches([piece]))
        done.append(files.close())
    except BaseException:
        files.abort()
        raise
    done = [d for d in done if d is not None]
    if done:
        yield pa.RecordBatch.from_arrays(
            [pa.array([d[0] for d in done], pa.int32()),
             pa.array([d[1] for d in done], pa.int64())],
            names=["part", "rows"])


class PartFileReader:
    """``reader(part)`` → the batches of partition ``part``'s file under ``directory`` (read
    sequentially, ``batch_rows`` at a time), checked against the expected row count
    (``counts``: {part: rows}; a partition with 0 rows needs no file), so that a stale or partial
    file is an error, not silently different arcs. Picklable (ships to the tasks)."""

    def __init__(self, directory, counts, batch_rows=65_536):
        self.directory = str(directory)
        self.counts = {int(k): int(v) for k, v in counts.items()}
        self.batch_rows = int(batch_rows)

    def __call__(self, part):
        import pyarrow.parquet as pq

        part = int(part)
        want = self.counts.get(part, 0)
        if want == 0:
            return iter(())
        fs, root = _filesystem(self.directory)
        path = part_file(root, part)
        try:
            source = fs.open_input_file(path)
        except (FileNotFoundError, OSError) as exc:
            raise ValueError(f"partition {part}: no file {path} ({want} rows expected); the "
                             "files are written before the steps") from exc
        f = pq.ParquetFile(source)
        if f.metadata.num_rows != want:
            raise ValueError(f"partition {part}: {path} holds {f.metadata.num_rows} rows, "
                             f"{want} expected (a stale or partial file)")
        return f.iter_batches(batch_size=self.batch_rows)


class TableReader:
    """``reader(part)`` → batches of in-memory sorted tables (in-process runs and tests)."""

    def __init__(self, tables, batch_rows=65_536):
        self.tables, self.batch_rows = tables, max(1, int(batch_rows))

    def __call__(self, part):
        t = self.tables.get(int(part))
        return iter(()) if t is None else iter(t.to_batches(max_chunksize=self.batch_rows))


class _ArcCursor:
    """A partition's arcs as a sliding window over its sorted file: the unconsumed arcs of the
    chunks read so far (``pos`` onward), refilled one chunk at a time."""

    def __init__(self, batches, part, n_owned):
        self.it, self.part, self.n_owned = iter(batches), part, n_owned
        self.key = np.zeros(0, np.int64)
        self.si = np.zeros(0, np.int32)
        self.w = np.zeros(0, np.float32)
        self.pos, self.done, self.last = 0, False, None

    def read_one(self):
        try:
            b = next(self.it)
        except StopIteration:
            self.done = True
            return
        k = _np(b, "ukey", np.int64)
        si = _np(b, "si", np.int32)
        if len(k) == 0:
            return
        if np.any(k[1:] < k[:-1]) or (self.last is not None and k[0] < self.last):
            raise ValueError(f"partition {self.part}: its arc file is not sorted by target key")
        if si.min() < 0 or si.max() >= self.n_owned:
            raise ValueError(f"partition {self.part}: an arc's source row {int(si.max())} is "
                             f"outside its {self.n_owned} owned rows")
        self.last = int(k[-1])
        self.key = np.concatenate([self.key[self.pos:], k])
        self.si = np.concatenate([self.si[self.pos:], si])
        self.w = np.concatenate([self.w[self.pos:], _np(b, "w", np.float32)])
        self.pos = 0


def fastrp_initial_stream(batches, *, settings):
    """``mapInArrow`` body: the first step's owned rows, ``N_0`` and ``E`` of every owned node
    (:func:`~graphembed.distributed.fastrp_stream.fastrp_initial`), as
    :data:`VECTOR_STREAM_SCHEMA` rows.

    ``batches``: ``part, li, node, key, degree``. Time O(rows · dim), memory one batch.
    """
    import pyarrow as pa

    from .fastrp_stream import fastrp_initial

    dim = settings["dim"]
    for batch in batches:
        t = fastrp_initial(pa.Table.from_batches([batch]), settings=settings)
        yield pa.RecordBatch.from_arrays(
            [pa.array(_np(t, "part", np.int32)), pa.array(stream_sort_key(_np(t, "key"))),
             pa.array(_np(t, "li", np.int32)), pa.array(_np(t, "node", np.int64)),
             pa.array(_np(t, "degree", np.float64)),
             vectors_to_binary(vectors_from_arrow(t.column("P"), dim)),
             vectors_to_binary(vectors_from_arrow(t.column("E"), dim))],
            names=list(VECTOR_STREAM_COLUMNS))


def fastrp_initial_ghosts(batches, *, settings):
    """``mapInArrow`` body: the first step's ghost rows, ``N_0`` of every ghost from its key and
    degree (the owner computes the same bits), as :data:`VECTOR_STREAM_SCHEMA` rows.

    ``batches``: :data:`GHOST_SCHEMA`. Time O(rows · dim), memory one batch.
    """
    import pyarrow as pa

    for batch in batches:
        n = batch.num_rows
        keys = stream_sort_key(_np(batch, "ukey", np.int64))  # the map is its own inverse
        P = _initial_rows(keys, _np(batch, "degree", np.float64), settings)
        yield pa.RecordBatch.from_arrays(
            [batch.column("part"), batch.column("ukey"), pa.array(np.full(n, -1, np.int32)),
             batch.column("node"), pa.array(np.zeros(n)), vectors_to_binary(P),
             pa.nulls(n, pa.binary())], names=list(VECTOR_STREAM_COLUMNS))


def fastrp_merge_step(batches, *, settings, step, owned_counts, arcs, fanout=None,
                      weighted=False, last=False, batch_rows=None):
    """``mapInArrow`` body of one propagation step with the arcs read from their files:
    ``N_i = A·N_{i-1}``, ``E += α_i·norm(N_i)``.

    ``batches``: a task's vector stream (:data:`VECTOR_STREAM_COLUMNS`) sorted by
    ``(part, ukey)``, each node at most once per partition. ``arcs(part)``: the partition's arcs
    (``ukey, si, w``) sorted by ``ukey`` (:class:`PartFileReader`, :class:`TableReader`);
    ``fanout(part)``: its ``li, dest`` rows sorted by ``li``. ``owned_counts``: {part: owned
    nodes}. Each owned row sums its neighbours by increasing key with the float32 operations of
    graphembed.fastrp, so the result matches one machine's to the bit before standardisation.

    Yields, per partition, the next step's vector stream (:data:`VECTOR_STREAM_SCHEMA`: the
    owned rows, then one row per ``fanout`` entry), or with ``last`` only the owned rows'
    embeddings, :data:`FASTRP_FINAL_SCHEMA`. Raises ValueError when an
    arc's target has no vector row, the stream or the arcs are out of order, or counts differ.
    Output batches hold at most ``batch_rows`` rows (default :func:`merge_batch_rows`).
    Time O(arcs·dim + rows·dim); memory two owned × dim float32 buffers, one vector batch and
    about one arc chunk (plus the in-arcs of one target), whatever the partition's ghosts.
    """
    import pyarrow as pa

    from .._kernels.fastrp import merge_accumulate
    from ..fastrp import _inverse

    dim = settings["dim"]
    alpha = settings["iteration_weights"][step - 1]
    rows_out = int(batch_rows or merge_batch_rows(dim))
    st = None

    def start(p):
        if p not in owned_counts:
            raise ValueError(f"partition {p} is in the stream but not in owned_counts")
        n = int(owned_counts[p])
        return {"part": p, "acc": np.zeros((n, dim), np.float32),
                "E": np.zeros((n, dim), np.float32), "node": np.zeros(n, np.int64),
                "ukey": np.zeros(n, np.int64), "degree": np.zeros(n), "seen": 0,
                "last": None, "arcs": _ArcCursor(arcs(p), p, n)}

    def unmatched(st, a):
        c = st["arcs"]
        raise ValueError(f"partition {st['part']}: an arc into the node of sort key "
                         f"{int(c.key[a])} has no vector row; the stream must hold every owned "
                         "node and ghost once, sorted by (part, ukey)")

    def finish(st):
        p, n = st["part"], len(st["node"])
        c = st["arcs"]
        while not c.done:
            c.read_one()
        if c.pos < len(c.key):
            unmatched(st, c.pos)
        if st["seen"] != n:
            raise ValueError(f"partition {p}: {st['seen']} owned vector rows in the stream, "
                             f"owned_counts says {n}")
        N = st["acc"]
        if settings["transition"] == "mean":
            N *= _inverse(st["degree"])[:, None]
        E = st["E"]
        _add_normalized(E, N, alpha, settings["normalize"])
        for a in range(0, n, rows_out):
            b = min(n, a + rows_out)
            m = b - a
            if last:
                cols = [pa.array(np.full(m, p, np.int32)),
                        pa.array(np.arange(a, b, dtype=np.int32)),
                        pa.array(st["node"][a:b]), pa.array(stream_sort_key(st["ukey"][a:b])),
                        pa.array(st["degree"][a:b]), vectors_to_binary(E[a:b])]
                names = ["part", "li", "node", "key", "degree", "E"]
            else:
                cols = [pa.array(np.full(m, p, np.int32)), pa.array(st["ukey"][a:b]),
                        pa.array(np.arange(a, b, dtype=np.int32)), pa.array(st["node"][a:b]),
                        pa.array(st["degree"][a:b]), vectors_to_binary(N[a:b]),
                        vectors_to_binary(E[a:b])]
                names = list(VECTOR_STREAM_COLUMNS)
            yield pa.RecordBatch.from_arrays(cols, names=names)
        if last or fanout is None:
            return
        for chunk in fanout(p):
            li = _np(chunk, "li", np.int64)
            for a in range(0, len(li), rows_out):
                idx = li[a:a + rows_out]
                m = len(idx)
                if m and (idx.min() < 0 or idx.max() >= n):
                    raise ValueError(f"partition {p}: a fan-out row {int(idx.max())} is outside "
                                     f"its {n} owned rows")
                yield pa.RecordBatch.from_arrays(
                    [chunk.column("dest").slice(a, m).cast(pa.int32()), pa.array(st["ukey"][idx]),
                     pa.array(np.full(m, -1, np.int32)), pa.array(st["node"][idx]),
                     pa.array(np.zeros(m)), vectors_to_binary(N[idx]),
                     pa.nulls(m, pa.binary())], names=list(VECTOR_STREAM_COLUMNS))

    for batch in batches:
        if batch.num_rows == 0:
            continue
        missing = [c for c in ("part", "ukey", "li", "node", "degree", "P", "E")
                   if c not in batch.schema.names]
        if missing:
            raise ValueError(f"the vector stream lacks the columns {missing}; build it with the "
                             "columns of VECTOR_STREAM_COLUMNS")
        for p, piece in part_runs(batch):
            if st is None or st["part"] != p:
                if st is not None:
                    yield from finish(st)
                st = start(p)
            ukey = _np(piece, "ukey", np.int64)
            if np.any(ukey[1:] <= ukey[:-1]) or (st["last"] is not None and ukey[0] <= st["last"]):
                raise ValueError(f"partition {p}: the vector stream is not sorted by (part, "
                                 "ukey) with each node once")
            st["last"] = int(ukey[-1])
            li = _np(piece, "li", np.int32)
            n = len(st["node"])
            if np.any(li >= n) or np.any(li < -1):
                raise ValueError(f"partition {p}: row index {int(li.max())} outside its "
                                 f"{n} owned rows")
            own = li >= 0
            idx = li[own]
            st["node"][idx] = _np(piece, "node", np.int64)[own]
            st["ukey"][idx] = ukey[own]
            st["degree"][idx] = _np(piece, "degree", np.float64)[own]
            st["seen"] += int(own.sum())
            p_off, p_val = _binary_buffers(piece.column("P"))
            e_off, e_val = _binary_buffers(piece.column("E"))
            if np.any(np.diff(p_off) != dim) or np.any(np.diff(e_off)[own] != dim):
                raise ValueError(f"partition {p}: a vector row's P or E does not have "
                                 f"dim = {dim} values")
            c = st["arcs"]
            r = 0
            while r < len(ukey):
                if c.done:
                    r_end = len(ukey)
                else:
                    # rows whose key is below the last arc read have all their arcs in the window
                    r_end = (int(np.searchsorted(ukey, c.key[-1], side="left"))
                             if c.pos < len(c.key) else r)
                    if r_end <= r:
                        c.read_one()
                        continue
                got = merge_accumulate(ukey[r:r_end], li[r:r_end], p_off[r:r_end + 1],
                                       p_val, e_off[r:r_end + 1], e_val, c.key, c.si, c.w,
                                       c.pos, bool(weighted), st["acc"], st["E"])
                if got < 0:
                    unmatched(st, -got - 1)
                c.pos = got
                r = r_end
    if st is not None:
        yield from finish(st)
