"""The files distributed FastRP lays down once, before its steps: every partition's arcs sorted
by target key (``ukey, si, w``) and its fan-out (which of its owned rows each other partition
holds as a ghost, ``li, dest``), one Parquet file per partition each, written under a
temporary name and renamed; the reader that checks them; and the cursor that walks a
partition's arcs while its vectors stream past in key order
(:mod:`graphembed.distributed.fastrp_exchange`, whose steps read them).
"""

from __future__ import annotations

import numpy as np

from .arrow import _np

#: Rows :func:`write_arc_files` reads (any order): the arc's partition, its target's sort key
#: (:func:`~graphembed.distributed.fastrp_stream.stream_sort_key` of the target's key), its
#: source row ``si`` among the partition's owned rows and its weight ``w``.
ARC_INPUT_COLUMNS = ("part", "ukey", "si", "w")

#: What :func:`write_arc_files` yields: the distinct targets of each partition's arcs.
TARGETS_SCHEMA = "part int, ukey long"

#: What the last step yields: every owned node's embedding before standardisation, ``E``
#: binary (read by ``moments_batches`` and ``finish_batches``).
FASTRP_FINAL_SCHEMA = "part int, li int, node long, key long, degree double, E binary"

#: What :func:`write_fanout_files` yields: rows written per partition.
PART_FILES_SCHEMA = "part int, rows long"


def _filesystem(directory):
    """(pyarrow FileSystem, path) of a local path or a URI (file:, hdfs:, s3:, ...)."""
    from pyarrow import fs

    return fs.FileSystem.from_uri(str(directory).rstrip("/"))


def part_file(directory, part):
    """Path of partition ``part``'s file under ``directory``."""
    return f"{str(directory).rstrip('/')}/part-{int(part):05d}.parquet"


def _open_input(fs, path, part, why):
    """``fs.open_input_file(path)``, or a ValueError naming the partition, the path and ``why``
    the file should be there (an earlier stage writes it)."""
    try:
        return fs.open_input_file(path)
    except (FileNotFoundError, OSError) as exc:
        raise ValueError(f"partition {part}: no file {path}; {why}") from exc


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
    ``part-NNNNN.parquet`` (``ukey, si, w``, sorted by ``(ukey, si)``) under ``directory``.

    ``batches``: :data:`ARC_INPUT_COLUMNS` in any order (Spark need not sort them: the task sorts
    its arcs itself, one ``lexsort``, cheaper than Spark's row sort and the Arrow round trip of
    sorted rows). Yields :data:`TARGETS_SCHEMA`: the distinct targets of each partition's arcs
    (the ghosts are those owned elsewhere). Time O(a log a) for the task's ``a`` arcs; memory
    about 40 bytes per arc of the task (its columns, the order and one sorted copy) — one
    partition's arcs, which the partitioner bounds (``--arcs-per-task``), not the graph's.
    """
    import pyarrow as pa

    cols = {c: [] for c in ARC_INPUT_COLUMNS}
    for batch in batches:
        if batch.num_rows:
            for c, dtype in zip(ARC_INPUT_COLUMNS, (np.int32, np.int64, np.int32, np.float32)):
                cols[c].append(_np(batch, c, dtype))
    if not cols["part"]:
        return
    part, ukey, si, w = (np.concatenate(cols.pop(c)) for c in ARC_INPUT_COLUMNS)
    order = np.lexsort((si, ukey, part))
    part, ukey, si, w = part[order], ukey[order], si[order], w[order]
    del order
    files = _PartFiles(directory, _arc_file_schema(), "ukey")
    try:
        cuts = np.flatnonzero(np.diff(part)) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(part)]):
            files.open(part[a])
            files.write(pa.table({"ukey": ukey[a:b], "si": si[a:b], "w": w[a:b]}))
            files.close()
            k = ukey[a:b]
            first = k[np.r_[True, k[1:] != k[:-1]]]
            yield pa.RecordBatch.from_arrays(
                [pa.array(np.full(len(first), part[a], np.int32)), pa.array(first)],
                names=["part", "ukey"])
    except BaseException:
        files.abort()
        raise


def write_fanout_files(batches, *, directory):
    """``mapInArrow`` body, run once before the steps: for each partition, which of its owned
    rows every other partition holds as a ghost, as one Parquet file (``li, dest``, sorted by
    ``(dest, li)``) under ``directory``. A partition's rows are numbered in key order, so this
    is the order in which :func:`write_vectors` sends them each step: a step streams the file,
    it does not sort it (and the rows need not carry their key here).

    ``batches``: ``part`` (the owner), ``li`` (the owned row), ``dest`` (the partition holding it
    as a ghost), in any order (the task sorts them). Yields :data:`PART_FILES_SCHEMA`. Time
    O(r log r) for the task's ``r`` rows; memory about 30 bytes per row.
    """
    import pyarrow as pa

    cols = {c: [] for c in ("part", "li", "dest")}
    for batch in batches:
        if batch.num_rows:
            for c in cols:
                cols[c].append(_np(batch, c, np.int32))
    if not cols["part"]:
        return
    part, li, dest = (np.concatenate(cols.pop(c)) for c in ("part", "li", "dest"))
    order = np.lexsort((li, dest, part))
    part, li, dest = part[order], li[order], dest[order]
    del order
    files = _PartFiles(directory, _fanout_file_schema(), "dest")
    done = []
    try:
        cuts = np.flatnonzero(np.diff(part)) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(part)]):
            files.open(part[a])
            files.write(pa.table({"li": li[a:b], "dest": dest[a:b]}))
            done.append(files.close())
    except BaseException:
        files.abort()
        raise
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
        f = pq.ParquetFile(_open_input(fs, path, part, f"{want} rows expected; the files are "
                                       "written before the steps"))
        if f.metadata.num_rows != want:
            raise ValueError(f"partition {part}: {path} holds {f.metadata.num_rows} rows, "
                             f"{want} expected (a stale or partial file)")
        return f.iter_batches(batch_size=self.batch_rows)


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


