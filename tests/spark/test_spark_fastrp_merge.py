"""FastRP with the arcs laid down once and vectors exchanged through files: the merge of sorted
runs, the files each step writes per destination, the arc and fan-out files, the checks that
refuse missing, doubled or stale input, and the Spark job's retries of the stages that write
them. The bits against graphembed.fastrp are tested in tests/test_distributed.py (the
in-process runner runs these functions, cut into batches of 1, 7 and 100,000 rows).

The unit tests need only pyarrow; the Spark ones are marked ``spark``.
"""

import os

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest

import graphembed as ge
from graphembed import distributed as D

from .test_spark_jobs import read_embedding


def _fan(li, dest, ukey, pieces=1):
    """``(li, dest)`` fan-out rows in the fan-out file's order, ``(dest, ukey[li])``, cut into
    ``pieces`` chunks (as :func:`write_vectors` streams them)."""
    li, dest = np.asarray(li, np.int64), np.asarray(dest, np.int64)
    order = np.lexsort((np.asarray(ukey)[li], dest)) if len(li) else np.zeros(0, np.int64)
    cuts = np.linspace(0, len(li), pieces + 1).astype(int)
    return [(li[order][a:b], dest[order][a:b]) for a, b in zip(cuts[:-1], cuts[1:])]


def _sources(rng, directory, n_src, dim, chunk):
    """``n_src`` partitions' vector files (:func:`write_vectors`, ``chunk`` rows per write) for
    random distinct keys, each sending its owned rows to itself and random fan-out rows to
    partitions 0..n_src+1; returns the index and, per destination, the sorted union it must
    read (keys, li — the row for the partition's own rows, −1 for ghosts — and vectors)."""
    keys = rng.permutation(np.unique(rng.integers(-(1 << 40), 1 << 40, rng.integers(1, 200))))
    owner = rng.integers(0, n_src, len(keys))
    index, want = [], {}
    for src in range(n_src):
        mine = np.flatnonzero(owner == src)
        ukey = keys[mine]
        N = rng.standard_normal((len(mine), dim)).astype(np.float32)
        f = rng.integers(0, max(1, 2 * len(mine)))
        fan = np.unique(np.c_[rng.integers(0, max(1, len(mine)), f),
                              rng.integers(0, n_src + 2, f)], axis=0) if len(mine) else \
            np.zeros((0, 2), np.int64)
        fan = fan[fan[:, 1] != src]
        index += D.write_vectors(str(directory), src, N, ukey,
                                 _fan(fan[:, 0], fan[:, 1], ukey, int(rng.integers(1, 4))),
                                 rows_per_chunk=chunk)
        for dest in range(n_src + 2):
            rows = np.arange(len(mine)) if dest == src else fan[fan[:, 1] == dest, 0]
            w = want.setdefault(dest, ([], [], []))
            w[0].append(ukey[rows])
            w[1].append(rows if dest == src else np.full(len(rows), -1))
            w[2].append(N[rows])
    for dest, (k, li, P) in want.items():
        k, li, P = np.concatenate(k), np.concatenate(li), np.concatenate(P)
        order = np.argsort(k)
        want[dest] = (k[order], li[order], P[order])
    return D.index_by_dest(
        [dict(zip(("src", "dest", "offset", "rows", "file_bytes"), r)) for r in index]), want


def test_read_merged_yields_the_sorted_union_however_it_is_chunked(tmp_path):
    """What a partition reads is the sorted union of the rows every source wrote for it — the
    owned rows with their row, the ghosts with −1, never another destination's — whatever the
    write and read chunk sizes (the planted bugs — a source's read position not advanced, the
    chunk's rows not grouped by source in order, a section of the wrong destination — fail
    here)."""
    rng = np.random.default_rng(3)
    for case in range(120):
        n_src, dim = int(rng.integers(1, 7)), int(rng.integers(1, 5))
        d = tmp_path / f"c{case}"
        index, want = _sources(rng, d, n_src, dim, int(rng.integers(1, 9)))
        chunk = int(rng.choice([1, 2, 5, 40, 65_536]))
        for dest, (k, li, P) in want.items():
            got = list(D.read_merged(str(d), dest, index.get(dest, []), dim, chunk_rows=chunk))
            gk = np.concatenate([g[0] for g in got]) if got else np.zeros(0, np.int64)
            assert gk.tolist() == k.tolist(), case
            if got:
                assert np.concatenate([g[1] for g in got]).tolist() == li.tolist()
                assert np.concatenate([g[2] for g in got]).tobytes() == P.tobytes()
            for g in got:  # every chunk is sorted, non-empty and within its size
                assert 0 < len(g[0]) <= chunk and np.all(np.diff(g[0]) > 0)


def test_read_merged_cuts_many_large_sections_into_ranges(tmp_path, monkeypatch):
    """Many sources of thousands of rows, read in ranges much smaller than the whole (the key
    scans in blocks of a few keys, so samples and positions cross block boundaries): still the
    sorted union, every row with its own vector, every chunk within its size (planted: a cut's
    position counted in the last key block instead of the whole section fails here)."""
    from graphembed.distributed import fastrp_exchange as X

    rng = np.random.default_rng(8)
    for case in range(6):
        monkeypatch.setattr(X, "_KEY_BLOCK", int(rng.choice([5, 64, 1 << 16])))
        n_src, dim = int(rng.integers(2, 30)), 2
        keys = rng.permutation(np.unique(rng.integers(-(1 << 50), 1 << 50, 20_000)))
        owner = rng.integers(0, n_src, len(keys))
        rank = np.argsort(np.argsort(keys))  # a key's place in the merged stream
        index = []
        for src in range(n_src):  # partition 0's own rows, and every other's ghosts for it
            mine = np.flatnonzero(owner == src)
            N = np.c_[rank[mine], np.full(len(mine), src)].astype(np.float32)
            fan = [] if src == 0 else _fan(np.arange(len(mine)), np.zeros(len(mine)), keys[mine])
            index += [r for r in D.write_vectors(str(tmp_path / f"c{case}"), src, N, keys[mine],
                                                 fan, rows_per_chunk=97) if r[1] == 0]
        sources = [(r[0], r[2], r[3], r[4]) for r in index]
        for chunk in (3, 250, 4096):
            got = list(D.read_merged(str(tmp_path / f"c{case}"), 0, sources, dim,
                                     chunk_rows=chunk))
            k = np.concatenate([g[0] for g in got])
            assert k.tolist() == np.sort(keys).tolist(), (case, chunk)
            assert all(0 < len(g[0]) <= chunk for g in got)
            li = np.concatenate([g[1] for g in got])
            P = np.concatenate([g[2] for g in got])
            assert np.array_equal(P[:, 0], np.arange(len(keys)))  # each row's own vector
            mine = P[:, 1] == 0
            assert np.array_equal(P[:, 1], owner[np.argsort(keys)])
            assert np.array_equal(keys[owner == 0][li[mine]], k[mine]) and (li[~mine] == -1).all()


def test_read_merged_and_write_vectors_hold_one_range_not_the_rows(tmp_path):
    """A reader of 60,000 rows from 50 sources in chunks of 2,000 rows, and a writer of 60,000
    fan-out rows in sections of 1,200, hold a small fraction of the ~30 bytes per row that a
    whole-stream sort holds (tracemalloc peak; planted: the keys of all sources concatenated and
    sorted at once, the fan-out concatenated whole, fail here)."""
    import tracemalloc

    rng = np.random.default_rng(2)
    keys = rng.permutation(np.unique(rng.integers(-(1 << 50), 1 << 50, 62_000)))[:60_000]
    owner = np.arange(len(keys)) % 50
    index = []
    for src in range(50):
        mine = keys[owner == src]
        index += D.write_vectors(str(tmp_path / "r"), src, np.ones((len(mine), 2), np.float32),
                                 mine, [], rows_per_chunk=500)
    sources = [(r[0], r[2], r[3], r[4]) for r in index]
    tracemalloc.start()
    rows = sum(len(g[0]) for g in D.read_merged(str(tmp_path / "r"), 0, sources, 2,
                                                 chunk_rows=2_000))
    read_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert rows == 60_000
    assert read_peak < 0.25 * 30 * rows, read_peak

    ukey = keys[:1_000]
    li = np.repeat(np.arange(1_000), 60)
    dest = np.tile(np.arange(1, 61), 1_000)
    fan = _fan(li, dest, ukey, 120)
    tracemalloc.start()
    tracemalloc.reset_peak()
    D.write_vectors(str(tmp_path / "w"), 0, np.ones((1_000, 2), np.float32), ukey, iter(fan),
                    rows_per_chunk=500)
    write_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert write_peak < 0.25 * 30 * len(li), write_peak


def test_write_vectors_refuses_a_fan_out_out_of_order_or_outside_its_rows(tmp_path):
    ukey = np.array([5, 1, 9, 3], np.int64)
    N = np.zeros((4, 2), np.float32)

    def write(chunks):
        return D.write_vectors(str(tmp_path / "v"), 1, N, ukey, chunks, rows_per_chunk=2)

    good = [(np.array([1, 3, 0]), np.array([0, 0, 0])), (np.array([2]), np.array([3]))]
    assert [r[1:4] for r in write(good)] == [(0, 16, 3), (1, 16 + 3 * 20, 4),
                                             (3, 16 + 7 * 20, 1)]
    for bad, error in (([(np.array([3, 1]), np.array([0, 0]))], "not sorted by key"),
                       ([(np.array([2]), np.array([3])), (np.array([0]), np.array([0]))],
                        "not sorted by destination"),
                       ([(np.array([2, 0]), np.array([3, 2]))], "not sorted by destination"),
                       ([(np.array([4]), np.array([0]))], "outside its 4 owned rows"),
                       ([(np.array([0]), np.array([1]))], "names the partition itself")):
        with pytest.raises(ValueError, match=error):
            write(bad)
    assert os.listdir(tmp_path / "v") == ["part-00001.vec"]  # the good file, never a partial


def test_read_merged_refuses_a_key_twice_unsorted_missing_stale_and_foreign_files(tmp_path):
    from graphembed.distributed import fastrp_exchange as X

    ukey = np.array([3, 8, 11], np.int64)
    N = np.arange(6, dtype=np.float32).reshape(3, 2)
    none = []
    (a,) = D.write_vectors(str(tmp_path / "v"), 0, N, ukey, none, rows_per_chunk=2)
    (b,) = D.write_vectors(str(tmp_path / "v"), 1, N, ukey + 1, none, rows_per_chunk=2)
    (c,) = D.write_vectors(str(tmp_path / "v"), 2, N, ukey, none, rows_per_chunk=2)

    def read(sources, dim=2, part=0):
        return list(D.read_merged(str(tmp_path / "v"), part, [s[:1] + s[2:] for s in sources],
                                  dim, chunk_rows=2))

    assert np.concatenate([g[0] for g in read([a, b])]).tolist() == [3, 4, 8, 9, 11, 12]
    with pytest.raises(ValueError, match="came twice"):
        read([a, c])
    with pytest.raises(ValueError, match="dim 3"):
        read([a], dim=3)
    with pytest.raises(ValueError, match="stale or partial"):
        read([a[:4] + (a[4] + 1,)])
    with pytest.raises(ValueError, match="no file"):
        read([(5,) + a[1:]])
    os.rename(tmp_path / "v" / "part-00001.vec", tmp_path / "v" / "part-00003.vec")
    with pytest.raises(ValueError, match="not a vector file of partition 3"):
        read([(3,) + b[1:]])  # partition 1's file under partition 3's name
    # a section whose keys are out of order (written by hand, the header right)
    path = X.vector_file(str(tmp_path / "v"), 2)
    with open(path, "r+b") as f:
        f.seek(X._HEADER_BYTES)
        f.write(np.array([11, 8, 3], "<i8").tobytes())
    with pytest.raises(ValueError, match="not sorted"):
        read([c])


def test_written_vectors_reach_exactly_their_destinations(tmp_path):
    """Each destination's section holds the owned rows (for the partition itself, with their
    row) or the fan-out copies meant for it (``li`` −1), sorted by key, never another's rows."""
    from graphembed.distributed import fastrp_exchange as X

    rng = np.random.default_rng(1)
    n, dim = 40, 3
    ukey = rng.permutation(1000)[:n].astype(np.int64)
    N = rng.standard_normal((n, dim)).astype(np.float32)
    f_li = rng.integers(0, n, 70)
    f_dest = rng.choice([0, 1, 5, 6], 70)
    keep = np.unique(np.c_[f_li, f_dest], axis=0)
    for chunk in (1, 4, 1000):
        d = tmp_path / f"g{chunk}"
        index = D.write_vectors(str(d), 2, N, ukey, _fan(keep[:, 0], keep[:, 1], ukey, 3),
                                rows_per_chunk=chunk)
        assert [r[1] for r in index] == sorted({2, *keep[:, 1].tolist()})
        assert os.listdir(d) == ["part-00002.vec"]
        for src, dest, offset, rows, size in index:
            assert src == 2 and size == os.path.getsize(d / "part-00002.vec")
            f = X._open_vectors(str(d), dest, src, offset, rows, size, dim)
            k = f.array("<i8", rows, offset)
            got_li = f.array("<i4", rows, offset + 8 * rows)
            P = f.array("<f4", rows * dim, offset + 12 * rows).copy()
            f.close()
            want_li = (np.arange(n) if dest == 2 else np.sort(keep[keep[:, 1] == dest, 0]))
            assert np.all(np.diff(k) > 0)
            li_back = np.argsort(ukey)[np.searchsorted(np.sort(ukey), k)]
            assert sorted(li_back.tolist()) == sorted(want_li.tolist())
            assert (got_li == (li_back if dest == 2 else -1)).all()
            assert P.tobytes() == N[li_back].tobytes()
        # the sections tile the file after its header
        ends = [r[2] + r[3] * (12 + 4 * dim) for r in index]
        assert [r[2] for r in index] == [X._HEADER_BYTES] + ends[:-1] and ends[-1] == index[0][4]


def test_a_task_failing_mid_write_leaves_no_file_and_stale_files_are_refused(tmp_path):
    from graphembed.distributed import fastrp_exchange as X

    def tables(fail):
        for i in range(3):
            if fail and i == 2:
                raise RuntimeError("lost mid-write")
            yield pa.table({"a": np.arange(5) + i})

    with pytest.raises(RuntimeError, match="mid-write"):
        X._write_file(str(tmp_path / "d"), 0, tables(True))
    assert os.listdir(tmp_path / "d") == []
    assert X._write_file(str(tmp_path / "d"), 0, tables(False)) == [5, 5, 5]
    assert os.listdir(tmp_path / "d") == ["part-00000.parquet"]
    with pytest.raises(ValueError, match="stale or partial"):
        list(X._read_file(str(tmp_path / "d"), 0, rows=16, batch_rows=4))
    with pytest.raises(ValueError, match="no file"):
        list(X._read_file(str(tmp_path / "d"), 3, rows=4, batch_rows=4))

    class Failing(np.ndarray):
        """Vectors whose third chunk cannot be read (a task lost while writing)."""
        calls = 0

        def __getitem__(self, rows):
            Failing.calls += 1
            if Failing.calls == 3:
                raise RuntimeError("lost mid-write")
            return np.asarray(self)[rows]

    N = np.ones((10, 2), np.float32).view(Failing)
    with pytest.raises(RuntimeError, match="mid-write"):
        D.write_vectors(str(tmp_path / "v"), 0, N, np.arange(10), [], rows_per_chunk=3)
    assert os.listdir(tmp_path / "v") == []


def test_exchange_step_refuses_missing_vectors_and_a_node_owned_twice(tmp_path):
    """A step whose index leaves out a source (a ghost's vector never arrives) or lists one
    twice fails with the partition and the cause, never a wrong row."""
    g = ge.as_csr(nx.karate_club_graph())
    parts = D.hash_partition(g.node_keys(), 3, seed=1)
    settings = D.fastrp_settings({"iteration_weights": "1,1"}, dim=4, random_state=0)
    nodes, arcs = D._graph_tables(g, parts)
    part = D._np(nodes, "part", np.int64)
    ukey = D.stream_sort_key(D._np(nodes, "key"))
    li = np.zeros(g.n, np.int32)
    for p in range(3):  # rows numbered in key order, as the job numbers them
        mine = np.flatnonzero(part == p)
        li[mine[np.argsort(ukey[mine])]] = np.arange(len(mine))
    src, dst = D._np(arcs, "src"), D._np(arcs, "dst")
    list(D.write_arc_files(pa.table({"part": D._np(arcs, "part", np.int32), "ukey": ukey[dst],
                                     "si": li[src], "w": np.ones(len(src), np.float32)}
                                    ).to_batches(), directory=str(tmp_path / "arcs")))
    node, gpart = D.ghost_pairs(D._np(arcs, "part"), dst, part[dst])
    fan = list(D.write_fanout_files(pa.table({"part": part[node].astype(np.int32),
                                              "li": li[node], "dest": gpart.astype(np.int32)}
                                             ).to_batches(), directory=str(tmp_path / "fan")))
    counts = {p: int(np.sum(part == p)) for p in range(3)}
    arc_counts = {p: int(np.sum(D._np(arcs, "part") == p)) for p in range(3)}
    fan_counts = dict(zip(D._np(fan[0], "part").tolist(), D._np(fan[0], "rows").tolist()))
    layout = D.ExchangeLayout(str(tmp_path / "x"))
    t = nodes.append_column("li", pa.array(li)).select(["part", "li", "node", "key", "degree"])
    index = D.index_by_dest(pa.Table.from_batches(list(D.exchange_initial(
        t.to_batches(), settings=settings, layout=layout,
        fanout=D.PartFileReader(str(tmp_path / "fan"), fan_counts)))).to_pylist())
    kw = dict(settings=settings, step=1, layout=layout, owned_counts=counts,
              arcs=D.PartFileReader(str(tmp_path / "arcs"), arc_counts), last=True)
    one = [pa.record_batch({"part": pa.array([0], pa.int32())})]
    assert len(list(D.exchange_step(one, index=index, **kw))) == 1
    others = [r for r in index[0] if r[0] != 0]
    assert others  # partition 0 has ghosts
    for bad, error in (({0: [r for r in index[0] if r[0] == 0]}, "has no vector row"),
                       ({0: index[0] + others[:1]}, "came twice"),
                       ({0: [r for r in index[0] if r[0] != 0]}, "no vector row")):
        with pytest.raises(ValueError, match=error):
            list(D.exchange_step(one, index=bad, **kw))
    with pytest.raises(ValueError, match="not in owned_counts"):
        list(D.exchange_step([pa.record_batch({"part": pa.array([7], pa.int32())})],
                             index=index, **kw))


def _arc_input(g, parts):
    """:data:`ARC_INPUT_COLUMNS` rows of a graph, sorted by (part, ukey)."""
    nodes, arcs = D._graph_tables(g, parts)
    parts = D._np(nodes, "part", np.int64)
    src, dst = D._np(arcs, "src"), D._np(arcs, "dst")
    ukey = D.stream_sort_key(D._np(nodes, "key"))[dst]
    t = pa.table({"part": parts[src].astype(np.int32), "ukey": ukey,
                  "si": src.astype(np.int32), "w": np.arange(len(src), dtype=np.float32)})
    return t.take(pa.array(np.lexsort((ukey, parts[src]))))


def test_arc_files_round_trip_and_targets(tmp_path):
    g = ge.as_csr(nx.les_miserables_graph(), weight=None)
    parts = D.hash_partition(g.node_keys(), 4, seed=0)
    rows = _arc_input(g, parts)
    targets = pa.Table.from_batches(list(D.write_arc_files(
        rows.to_batches(max_chunksize=5), directory=str(tmp_path / "arcs"))))
    part = D._np(rows, "part")
    counts = {int(p): int(c) for p, c in zip(*np.unique(part, return_counts=True))}
    reader = D.PartFileReader(str(tmp_path / "arcs"), counts, batch_rows=7)
    for p in counts:
        back = pa.Table.from_batches(list(reader(p)))
        want = rows.filter(pa.array(part == p))
        for c in ("ukey", "si", "w"):
            assert D._np(back, c).tolist() == D._np(want, c).tolist()
    pairs = list(zip(D._np(targets, "part").tolist(), D._np(targets, "ukey").tolist()))
    assert pairs == sorted(set(zip(part.tolist(), D._np(rows, "ukey").tolist())))
    assert not [n for n in os.listdir(tmp_path / "arcs") if n.startswith(".")]
    # a stale or missing file is an error, not other arcs
    with pytest.raises(ValueError, match="stale or partial"):
        D.PartFileReader(str(tmp_path / "arcs"), {0: counts[0] + 1})(0)
    with pytest.raises(ValueError, match="no file"):
        D.PartFileReader(str(tmp_path / "arcs"), {9: 1})(9)


def test_arc_writer_sorts_its_rows_whatever_order_they_come_in(tmp_path):
    """Spark hands the writer its arcs unsorted: any order and batch cut gives the files and
    targets of the sorted input, byte for byte."""
    import pyarrow.parquet as pq

    g = ge.as_csr(nx.les_miserables_graph(), weight=None)
    rows = _arc_input(g, D.hash_partition(g.node_keys(), 3, seed=0))

    def written(table, name, chunk):
        targets = pa.Table.from_batches(list(D.write_arc_files(
            table.to_batches(max_chunksize=chunk), directory=str(tmp_path / name))))
        files = {f: pq.read_table(str(tmp_path / name / f))
                 for f in sorted(os.listdir(tmp_path / name))}
        return targets, files

    want_targets, want_files = written(rows, "sorted", 1000)
    assert len(want_files) == 3
    rng = np.random.default_rng(0)
    for i, chunk in enumerate((1, 7, 1000)):
        shuffled = rows.take(pa.array(rng.permutation(rows.num_rows)))
        targets, files = written(shuffled, f"shuffled{i}", chunk)
        assert targets.equals(want_targets)
        assert files.keys() == want_files.keys()
        for f in files:
            assert files[f].equals(want_files[f])


# ------------------------------------------------------------------------------ Spark
FAST = {"iteration_weights": "0,1,4"}


@pytest.mark.spark
@pytest.mark.parametrize("stage", [
    "arcs",
    pytest.param("fanout", marks=pytest.mark.slow),
    pytest.param("propagate", marks=pytest.mark.slow),
])
def test_task_killed_mid_write_is_retried_with_identical_output(spark, karate_edges, tmp_path,
                                                                stage):
    """A task of the stage that writes the arc files (or the fan-out files, or a step) fails
    half way through its first attempt, its file half written; Spark retries it, and the output
    is bit for bit that of an undisturbed run, with no temporary file left behind."""
    from spark_jobs import embed

    path, g = karate_edges
    clean = embed.run(spark, str(path), str(tmp_path / "clean"), method="fastrp", partitions=4,
                      dim=16, seed=3, params=FAST)
    marker = tmp_path / "marker"
    spark.conf.set(embed.FAIL_CONF, f"{stage}:mid")
    spark.conf.set(embed.MARKER_CONF, str(marker))
    try:
        embed.run(spark, str(path), str(tmp_path / "retried"), method="fastrp", partitions=4,
                  dim=16, seed=3, params=FAST, keep_work=True)
    finally:
        spark.conf.unset(embed.FAIL_CONF)
        spark.conf.unset(embed.MARKER_CONF)
    assert any(n.startswith(f"{stage}-") and "-a0-mid-" in n for n in os.listdir(marker))
    ids0, X0 = read_embedding(tmp_path / "clean")
    ids1, X1 = read_embedding(tmp_path / "retried")
    assert np.array_equal(ids0, ids1) and X0.tobytes() == X1.tobytes()
    want = ge.fastrp(g, dim=16, random_state=3, iteration_weights=(0, 1, 4))
    assert np.max(np.abs(X1 - want[g.index_of(ids1)])) <= 1e-5
    assert clean["stats"]["ghost_pairs"] > 0
    for sub in ("arc_files", "fanout_files"):
        names = os.listdir(tmp_path / "retried" / "_work" / "fastrp" / sub)
        assert names and not [n for n in names if n.startswith(".")], names
