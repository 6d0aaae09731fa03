"""Exact distributed FastRP whose steps exchange vectors through files, not Spark's shuffle.

The arcs are laid down once per partition, sorted by target key (:func:`write_arc_files`), with
each partition's fan-out (which of its owned rows every other partition holds as a ghost). A
step is then one task per partition that

1. reads the vectors it needs — its owned rows and its ghosts, as the previous step's tasks wrote
   them, each source's rows for this partition one sorted section of that source's file — range
   by range of keys, each range one contiguous run per source merged by one sort
   (:func:`read_merged`), so a task holds one range, not its ~30 bytes per row read,
2. feeds them, in increasing key order, with its arc file to the kernel
   :func:`graphembed._kernels.fastrp.merge_accumulate`: every arc right after its target's
   vector, the float32 operations and their order of graphembed.fastrp, so the bits are the
   same as one machine's before standardisation, and
3. writes the next step's vectors: one raw file per source partition (:func:`write_vectors`),
   a section per destination sorted by key, keys, row indices and vectors each contiguous, so
   that each destination reads exactly its rows in a few large reads (a Parquet reader's fixed
   cost per batch and per footer was most of a task's time when 200 sources each sent a few
   hundred rows). The fan-out file is already in the order the sections are written
   (destination, key), so the writer streams it, one section at a time.

Nothing of a step passes through Spark's shuffle and sort (each row there costs a serialisation,
a sort record and two Arrow conversions); the tasks' files are written under a temporary name
and renamed, so a retried task writes the same bytes and a reader never sees half a file. The
driver collects each step's section index (one row per source and destination: byte offset,
rows, file size) and hands it to the next step. Layout under the job's work directory:
``owned/`` (each partition's ``node, ukey, degree`` in row order, Parquet), ``vec{s}/`` (what
step ``s`` reads), ``E{s}/`` (the owned rows' embedding after step ``s``, Parquet).
"""

from __future__ import annotations

import numpy as np

from .arrow import _np
from .fastrp_merge import _ArcCursor, _filesystem, _open_input, part_file
from .fastrp_stream import (
    _add_normalized,
    _initial_rows,
    stream_batch_rows,
    stream_sort_key,
    vectors_from_binary,
    vectors_to_binary,
)

#: What a task yields for the vector file it wrote: one row per destination partition (``src``
#: wrote ``rows`` rows for ``dest`` as the section at byte ``offset`` of its file, which holds
#: ``file_bytes`` bytes in all).
EXCHANGE_INDEX_SCHEMA = "src int, dest int, offset long, rows long, file_bytes long"


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


_NOT_WRITTEN = "an earlier stage did not write it (a stale work directory?)"


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


def _read_file(directory, part, *, rows=None, batch_rows):
    """Batches of partition ``part``'s Parquet file under ``directory``, checked to hold
    ``rows`` rows."""
    import pyarrow.parquet as pq

    fs, root = _filesystem(directory)
    path = part_file(root, part)
    f = pq.ParquetFile(_open_input(fs, path, part, _NOT_WRITTEN), pre_buffer=False)
    if rows is not None:
        have = f.metadata.num_rows
        if have != rows:
            raise ValueError(f"partition {part}: {path} holds {have} rows where {rows} were "
                             "written (a stale or partial file)")
    return f.iter_batches(batch_size=max(1, int(batch_rows)), use_threads=False)


#: The first bytes of a vector file: magic, format version, source partition, dim (int32 each).
VECTOR_MAGIC = 0x31564547  # b"GEV1" little-endian
_HEADER_BYTES = 16

#: Bytes of a section's row before its vector: the int64 key and the int32 row index (a
#: section is ``ukey`` int64[m], ``li`` int32[m], ``P`` float32[m, dim]).
_KEY_ROW_BYTES = 12


def vector_file(directory, part):
    """Path of partition ``part``'s vector file under ``directory``."""
    return f"{str(directory).rstrip('/')}/part-{int(part):05d}.vec"


def _sections(part, n, ukey, fanout):
    """``(dest, rows)`` of partition ``part``'s sections in increasing ``dest``: its owned rows
    (sorted by key) for itself, and one run of the fan-out rows per other destination, gathered
    from ``fanout`` — ``(li, dest)`` chunks sorted by ``(dest, key)`` — one section at a time."""
    own = np.argsort(ukey, kind="stable")
    own_done = False
    cur, rows = None, []
    for f_li, f_dest in fanout:
        f_li, f_dest = np.asarray(f_li, np.int64), np.asarray(f_dest, np.int64)
        if not len(f_li):
            continue
        if f_li.min() < 0 or f_li.max() >= n or np.any(f_dest == part):
            raise ValueError(f"partition {part}: a fan-out row (row {int(f_li.max())}, "
                             f"destination {int(f_dest.max())}) is outside its {n} owned rows "
                             "or names the partition itself (a stale fan-out file?)")
        if np.any(f_dest[1:] < f_dest[:-1]) or (cur is not None and f_dest[0] < cur):
            raise ValueError(f"partition {part}: its fan-out is not sorted by destination "
                             "(a stale fan-out file?)")
        cuts = np.r_[0, np.flatnonzero(np.diff(f_dest)) + 1, len(f_dest)]
        for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
            d = int(f_dest[a])
            if d != cur:
                if rows:
                    yield cur, np.concatenate(rows)
                rows, cur = [], d
                if not own_done and d > part:
                    own_done = True
                    yield part, own
            rows.append(f_li[a:b])
    if rows:
        yield cur, np.concatenate(rows)
    if not own_done:
        yield part, own


def write_vectors(directory, part, N, ukey, fanout, *, rows_per_chunk):
    """Partition ``part``'s vectors for the next step, one raw little-endian file: a 16-byte
    header, then one section per destination in increasing order — its owned rows (``li`` their
    row) for itself and, for every ``(li, dest)`` of ``fanout``, row ``li`` for partition
    ``dest`` (``li`` −1 there) — each section sorted by ``ukey`` and laid out as ``ukey``
    int64[m], ``li`` int32[m], ``P`` float32[m, dim], so that a destination reads its keys in
    one call and its vectors in as few as it likes. Written under a temporary name and renamed.

    ``fanout``: ``(li, dest)`` array chunks in ``(dest, ukey[li])`` order — the fan-out file's
    order (:func:`write_fanout_files`: ``(dest, li)``, the rows numbered in key order),
    streamed: the writer holds one section's row indices, never the whole fan-out. Returns
    :data:`EXCHANGE_INDEX_SCHEMA` rows as tuples (``src, dest, offset, rows, file_bytes``).
    Raises ValueError when the fan-out is out of order or names rows the partition does not
    own. Time O(n log n + (n + f)·dim) for ``n`` owned rows
    and ``f`` fan-out rows; memory O(n) indices, one section's indices and ``rows_per_chunk``
    vectors."""
    import uuid

    n, dim = N.shape
    step = max(1, int(rows_per_chunk))
    row_bytes = _KEY_ROW_BYTES + 4 * dim
    fs, root = _filesystem(directory)
    fs.create_dir(root, recursive=True)
    temp = f"{root}/.part-{int(part):05d}.{uuid.uuid4().hex}.tmp"
    index, offset = [], _HEADER_BYTES
    try:
        with fs.open_output_stream(temp) as out:
            out.write(np.array([VECTOR_MAGIC, 1, part, dim], "<i4").tobytes())
            for dest, rows in _sections(part, n, ukey, fanout):
                m = len(rows)
                keys = np.ascontiguousarray(ukey[rows], "<i8")
                if np.any(keys[1:] <= keys[:-1]):
                    raise ValueError(f"partition {part}: its rows for partition {dest} are not "
                                     "sorted by key (owned rows not numbered in key order, a "
                                     "stale fan-out file, or a key twice)")
                out.write(keys.tobytes())
                del keys
                out.write((rows if dest == part else np.full(m, -1)).astype("<i4").tobytes())
                for c in range(0, m, step):
                    out.write(np.ascontiguousarray(N[rows[c:c + step]], "<f4").tobytes())
                index.append([int(part), int(dest), offset, m])
                offset += m * row_bytes
        if fs.get_file_info(temp).size != offset:
            raise RuntimeError(f"partition {part}: {temp} is not the {offset} bytes written")
        fs.move(temp, vector_file(root, part))
    except BaseException:
        try:
            fs.delete_file(temp)
        except OSError:
            pass
        raise
    return [tuple(r) + (offset,) for r in index]


class _VectorFile:
    """A vector file's bytes as numpy arrays, each one positioned read (``read_at``) through the
    file system. (A memory map costs no copy, but at 10⁸ edges, where a step's files outgrow the
    page cache, its page faults cost more CPU than the reads: 0.40 against 0.30 CPU s for a
    step task of 390 k ghost rows from cold files.)"""

    def __init__(self, fs, path, part):
        self.f = _open_input(fs, path, part, _NOT_WRITTEN)
        self.size = self.f.size()

    def array(self, dtype, count, offset):
        """``count`` items of ``dtype`` at byte ``offset``."""
        return np.frombuffer(self.f.read_at(count * np.dtype(dtype).itemsize, offset), dtype,
                             count=count)

    def close(self):
        self.f.close()


def _open_vectors(directory, part, src, offset, rows, file_bytes, dim):
    """Source ``src``'s vector file (:class:`_VectorFile`), checked: it exists, holds
    ``file_bytes`` bytes, its header names ``src`` and ``dim``, and the section of ``rows``
    rows at ``offset`` fits."""
    fs, root = _filesystem(directory)
    path = vector_file(root, src)
    f = _VectorFile(fs, path, part)
    try:
        if f.size != file_bytes:
            raise ValueError(f"partition {part}: {path} holds {f.size} bytes where {file_bytes} "
                             "were written (a stale or partial file)")
        head = f.array("<i4", 4, 0) if f.size >= _HEADER_BYTES else np.zeros(0)
        if head.tolist() != [VECTOR_MAGIC, 1, src, dim]:
            raise ValueError(f"partition {part}: {path} is not a vector file of partition {src} "
                             f"with dim {dim} (a stale or foreign file)")
        if offset < _HEADER_BYTES or offset + rows * (_KEY_ROW_BYTES + 4 * dim) > f.size:
            raise ValueError(f"partition {part}: the section at byte {offset} of {path} "
                             f"({rows} rows) is outside its {f.size} bytes (a stale index)")
    except BaseException:
        f.close()
        raise
    return f


#: Keys a reader holds at once while it scans a section's keys (its memory per source).
_KEY_BLOCK = 1 << 16


def _key_blocks(f, offset, rows, part):
    """``(first row, keys)`` of a section, ``_KEY_BLOCK`` keys at a time, checked to be
    strictly increasing."""
    last = None
    for a in range(0, rows, _KEY_BLOCK):
        m = min(_KEY_BLOCK, rows - a)
        k = f.array("<i8", m, offset + 8 * a)
        if np.any(k[1:] <= k[:-1]) or (last is not None and k[0] <= last):
            raise ValueError(f"partition {part}: a run of vectors is not sorted by key")
        last = int(k[-1])
        yield a, k


def read_merged(directory, part, sources, dim, *, chunk_rows):
    """The vectors partition ``part`` reads, from every source's section, as one stream sorted
    by ``ukey``: yields ``(ukey, li, P)`` numpy chunks of at most ``chunk_rows`` rows (``P``
    (m, dim) float32).

    ``sources``: ``(src, offset, rows, file_bytes)`` of each section (:func:`write_vectors`'
    index rows). The key space is cut into ranges of about ``chunk_rows`` rows in all: the
    sections' keys are scanned once for a sample (every ``t``-th key of each, ``t`` about
    ``chunk_rows`` / (4 · sources)), the cuts taken from the sorted sample, and scanned once
    more for each cut's position in each section. Each range then takes one contiguous run of
    keys and vectors per source (and row indices from the partition's own section; another
    partition's rows are ghosts, −1) and merges them with one sort. So the reader holds one
    range, the sample and the positions — flat in the rows it reads. Each run is one read. Time
    O(R log(chunk) + R·dim) for ``R`` rows in all; memory O(chunk_rows · dim + R / t + sources
    · ranges). Raises ValueError when a file is missing, stale or foreign, a section is out of
    order or a key comes twice."""
    files = []
    try:
        for src, offset, rows, file_bytes in sources:
            files.append(_open_vectors(directory, part, src, offset, rows, file_bytes, dim))
        rows = np.array([s[2] for s in sources], np.int64)
        if rows.sum() == 0:
            return
        chunk = max(1, int(chunk_rows))
        n_src = len(files)
        stride = max(1, chunk // (4 * n_src))
        sample = []
        for f, (_, offset, m, _) in zip(files, sources):
            for a, k in _key_blocks(f, offset, m, part):
                sample.append(np.array(k[(-a) % stride::stride]))  # a copy, not a view
        sample = np.sort(np.concatenate(sample))
        # a range: at most t samples and one part-stride per source, so ≤ chunk rows
        t = max(1, chunk // stride - n_src)
        cuts = np.unique(sample[t::t])
        del sample
        # at[s, j]: rows of source s with a key below cuts[j]; the ranges are [cuts[j-1], cuts[j])
        at = np.zeros((n_src, len(cuts) + 2), np.int64)
        for s, (f, (_, offset, m, _)) in enumerate(zip(files, sources)):
            for a, k in _key_blocks(f, offset, m, part):
                at[s, 1:-1] += np.searchsorted(k, cuts, side="left")
            at[s, -1] = m
        for j in range(len(cuts) + 1):
            lo, hi = at[:, j], at[:, j + 1]
            got = np.flatnonzero(hi > lo).tolist()
            if not got:
                continue
            keys, vecs, own, r = [], [], None, 0
            for s in got:
                src, offset, m, _ = sources[s]
                a, c = int(lo[s]), int(hi[s] - lo[s])
                keys.append(files[s].array("<i8", c, offset + 8 * a))
                vecs.append(files[s].array("<f4", c * dim, offset + _KEY_ROW_BYTES * m
                                           + 4 * dim * a))
                if src == part:  # the partition's own rows carry their row; ghosts −1
                    own = (r, files[s].array("<i4", c, offset + 8 * m + 4 * a))
                r += c
            key = np.concatenate(keys)
            order = np.argsort(key, kind="stable")
            key = key[order]
            if np.any(key[1:] == key[:-1]):
                raise ValueError(f"partition {part}: a node's vector came twice; each node must "
                                 "be owned by one partition")
            li = np.full(len(key), -1, np.int32)
            if own is not None:
                li[own[0]:own[0] + len(own[1])] = own[1]
            li = li[order]
            P = np.concatenate(vecs).reshape(-1, dim)[order]
            del keys, vecs, own, order
            for a in range(0, len(key), chunk):
                yield key[a:a + chunk], li[a:a + chunk], P[a:a + chunk]
    finally:
        for f in files:
            f.close()


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


def _fanout_chunks(fanout, part):
    """Partition ``part``'s fan-out file as ``(li, dest)`` chunks, as the file orders them."""
    if fanout is not None:
        for chunk in fanout(part):
            yield _np(chunk, "li", np.int64), _np(chunk, "dest", np.int64)


def _vector_batch_rows(dim):
    return stream_batch_rows(dim, 6 << 20)


def owned_partitions(batches):
    """``(part, node, key, degree)`` of each partition in ``batches`` (its owned rows ``part, li,
    node, key, degree``, any order), each array in row (``li``) order. Raises ValueError when a
    partition's rows are not numbered 0..n−1."""
    cols = {c: [] for c in ("part", "li", "node", "key", "degree")}
    for b in batches:
        if b.num_rows:
            for c in cols:
                cols[c].append(_np(b, c, np.float64 if c == "degree" else np.int64))
    if not cols["part"]:
        return
    arr = {c: np.concatenate(v) for c, v in cols.items()}
    for p in np.unique(arr["part"]).tolist():
        sel = arr["part"] == p
        n = int(sel.sum())
        li = arr["li"][sel]
        if not np.array_equal(np.sort(li), np.arange(n)):
            raise ValueError(f"partition {p}: its owned rows are not numbered 0..{n - 1}")
        node, key, degree = (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n))
        node[li], key[li], degree[li] = arr["node"][sel], arr["key"][sel], arr["degree"][sel]
        yield p, node, key, degree


def batch_parts(batches):
    """The partitions a step's ``batches`` (``part``) name, in increasing order."""
    got = [np.unique(_np(b, "part", np.int64)) for b in batches if b.num_rows]
    return np.unique(np.concatenate(got)).tolist() if got else []


def read_owned(layout, part, n):
    """``(node, ukey, degree)`` of partition ``part``'s ``n`` owned rows, from ``owned/``."""
    import pyarrow as pa

    t = pa.Table.from_batches(list(_read_file(layout.owned(), part, rows=n,
                                              batch_rows=max(n, 1))))
    return _np(t, "node", np.int64), _np(t, "ukey", np.int64), _np(t, "degree", np.float64)


def exchange_initial(batches, *, settings, layout, fanout, batch_rows=None):
    """``mapInArrow`` body before the steps: for each partition in ``batches`` (its owned rows,
    ``part, li, node, key, degree``, any order), ``N_0`` and ``E_0`` of its owned rows; writes
    ``owned/``, ``E0/`` and ``vec1/`` (the vectors the first step reads: owned rows and the
    copies its fan-out names) and yields :data:`EXCHANGE_INDEX_SCHEMA`. Time O((n + f)·dim);
    memory O(n·dim) for the partition's ``n`` owned rows plus one section of its fan-out."""
    import pyarrow as pa

    rows_out = int(batch_rows or _vector_batch_rows(settings["dim"]))
    for p, node, key, degree in owned_partitions(batches):
        ukey = stream_sort_key(key)
        N = _initial_rows(key, degree, settings)
        E = np.zeros_like(N)
        _add_normalized(E, N, settings["self_influence"], settings["normalize"])
        _write_file(layout.owned(), p, [pa.table({"node": node, "ukey": ukey, "degree": degree})])
        _write_file(layout.embedding(0), p, [pa.table({"E": vectors_to_binary(E)})])
        index = write_vectors(layout.vectors(1), p, N, ukey, _fanout_chunks(fanout, p),
                              rows_per_chunk=rows_out)
        yield _index_batch(index)


def _index_batch(index):
    import pyarrow as pa

    cols = list(zip(*index)) if index else [[], [], [], [], []]
    return pa.RecordBatch.from_arrays(
        [pa.array(cols[0], pa.int32()), pa.array(cols[1], pa.int32())]
        + [pa.array(c, pa.int64()) for c in cols[2:]],
        names=["src", "dest", "offset", "rows", "file_bytes"])


def index_by_dest(rows):
    """A step's collected :data:`EXCHANGE_INDEX_SCHEMA` rows as {dest: [(src, offset, rows,
    file_bytes), ...]} sorted by source (what :func:`exchange_step` reads)."""
    out = {}
    for r in rows:
        out.setdefault(int(r["dest"]), []).append(
            (int(r["src"]), int(r["offset"]), int(r["rows"]), int(r["file_bytes"])))
    return {d: sorted(v) for d, v in out.items()}


def exchange_step(batches, *, settings, step, layout, index, owned_counts, arcs, fanout=None,
                  weighted=False, last=False, batch_rows=None):
    """``mapInArrow`` body of propagation step ``step``: ``N_s = A·N_{s−1}``,
    ``E_s = E_{s−1} + α_s·norm(N_s)`` for each partition in ``batches`` (``part``).

    Reads ``vec{step}/`` (the sections ``index`` — {dest: [(src, offset, rows, file_bytes)]}
    or a Spark broadcast of it — lists for the partition, merged by key, :func:`read_merged`), the
    partition's arc file (``arcs(part)``, sorted by key), ``owned/`` and ``E{step−1}/``; writes
    ``vec{step+1}/`` and ``E{step}/`` and yields :data:`EXCHANGE_INDEX_SCHEMA`, or with ``last``
    yields the owned rows' embeddings (``FASTRP_FINAL_SCHEMA``) and writes nothing. Raises
    ValueError when an arc's target has no vector, a node comes twice, files are missing or
    stale. Time O(arcs·dim + (rows in + rows out)·dim + rows in · log(chunk)); memory three
    owned × dim float32 buffers and about 24 bytes per owned row, two chunks of vectors (6 MB
    each) with their keys, one section's fan-out indices, the reader's key sample (8 bytes per
    ~chunk / (4 · sources) rows read) and one batch of arcs — flat in the ghosts it reads and
    sends.
    """
    import pyarrow as pa

    from ..fastrp import _inverse

    dim = settings["dim"]
    alpha = settings["iteration_weights"][step - 1]
    rows_out = int(batch_rows or _vector_batch_rows(dim))
    if hasattr(index, "value"):
        index = index.value
    for p in batch_parts(batches):
        if p not in owned_counts:
            raise ValueError(f"partition {p} is not in owned_counts")
        n = int(owned_counts[p])
        node, ukey, degree = read_owned(layout, p, n)
        acc = np.zeros((n, dim), np.float32)
        stream = read_merged(layout.vectors(step), p, index.get(p, []), dim,
                             chunk_rows=rows_out)
        seen = _accumulate(p, stream, n, _ArcCursor(arcs(p), p, n), acc, weighted)
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
                                  _fanout_chunks(fanout, p), rows_per_chunk=rows_out)
        yield _index_batch(index_out)
