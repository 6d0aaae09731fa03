"""FastRP with the arcs laid down once: the merged step against the one-stream step (vectors and
arcs sorted together, the previous design and the obvious reference), the arc and fan-out files,
and the Spark job's retries of the stages that write them.

The unit tests need only pyarrow; the Spark ones are marked ``spark``.
"""

import os

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest

import graphembed as ge
from graphembed import distributed as D


def _graphs():
    rng = np.random.default_rng(5)
    out = [nx.karate_club_graph(), nx.star_graph(12), nx.path_graph(9)]
    for i in range(4):
        G = nx.gnm_random_graph(30, 80, seed=i)
        for u, v in G.edges:
            G[u][v]["weight"] = float(rng.uniform(0.5, 3.0))
        out.append(nx.relabel_nodes(G, lambda v: f"s{v}") if i % 2 else G)  # hashed keys too
    return out


def _partitions(g, parts, settings):
    """Per partition: the one-stream input (vectors and arcs, the reference), the vector stream
    and the sorted arc table of the merged step, as the Spark job builds them."""
    nodes, arcs = D._graph_tables(g, parts)
    parts = D._np(nodes, "part", np.int64)
    keys = D._np(nodes, "key", np.int64)
    order = np.lexsort((np.arange(g.n), parts))
    first = np.searchsorted(parts[order], parts[order], side="left")
    li = np.empty(g.n, np.int32)
    li[order] = np.arange(g.n) - first
    nodes = nodes.append_column("li", pa.array(li))
    state = D.fastrp_initial(nodes, settings=settings)
    src, dst = D._np(arcs, "src"), D._np(arcs, "dst")
    arcs = arcs.append_column("si", pa.array(li[src])).append_column("dkey", pa.array(keys[dst]))
    g_node, g_part = D.ghost_pairs(D._np(arcs, "part"), dst, parts[dst])
    counts = {int(p): int(c) for p, c in zip(*np.unique(parts, return_counts=True))}
    arc_part = D._np(arcs, "part", np.int64)
    dim = settings["dim"]
    out = []
    for p in counts:
        own = state.filter(pa.array(parts == p))
        gh = g_node[g_part == p]
        ghosts = state.take(pa.array(gh)).select(["node", "key", "P"])
        part_arcs = arcs.filter(pa.array(arc_part == p))
        reference = D.fastrp_stream_table(own, ghosts, part_arcs)
        vec = pa.table({
            "part": np.full(own.num_rows + len(gh), p, np.int32),
            "ukey": D.stream_sort_key(np.r_[D._np(own, "key"), keys[gh]]),
            "li": np.r_[D._np(own, "li", np.int32), np.full(len(gh), -1, np.int32)],
            "node": np.r_[D._np(own, "node"), gh], "degree": np.r_[D._np(own, "degree"),
                                                                  np.zeros(len(gh))],
            "P": D.vectors_to_binary(np.r_[D.vectors_from_arrow(own.column("P"), dim),
                                           D.vectors_from_arrow(ghosts.column("P"), dim)]),
            "E": pa.concat_arrays([D.vectors_to_binary(D.vectors_from_arrow(own.column("E"),
                                                                            dim)),
                                   pa.nulls(len(gh), pa.binary())])})
        vec = vec.take(pa.array(np.argsort(D._np(vec, "ukey"))))
        w = (D._np(part_arcs, "weight", np.float32) if "weight" in part_arcs.column_names
             else np.ones(part_arcs.num_rows, np.float32))
        arc_t = pa.table({"ukey": D.stream_sort_key(D._np(part_arcs, "dkey")),
                          "si": D._np(part_arcs, "si", np.int32), "w": w})
        arc_t = arc_t.take(pa.array(np.argsort(D._np(arc_t, "ukey"), kind="stable")))
        out.append((p, reference, vec, arc_t, counts))
    return out


@pytest.mark.parametrize("vec_rows,arc_rows", [(1, 1), (3, 2), (7, 1000), (1000, 3)])
def test_merged_step_has_the_bits_of_the_one_stream_step(vec_rows, arc_rows):
    """However vectors and arcs are cut into batches, the merged step feeds every arc, in key
    order, to the same float32 operations as the step that reads vectors and arcs as one sorted
    stream: same bits (the planted bugs — an arc dropped at each chunk's start, or rows merged
    before all their arcs were read — fail here)."""
    for i, G in enumerate(_graphs()):
        for weight in ("weight", None):
            g = ge.as_csr(G, weight=weight)
            parts = D.hash_partition(g.node_keys(), 1 + i % 4, seed=1)
            settings = D.fastrp_settings({"iteration_weights": "0.5,2"}, dim=8, random_state=i)
            weighted = g.weights is not None
            for p, reference, vec, arc_t, counts in _partitions(g, parts, settings):
                for step in (1, 2):
                    want = pa.Table.from_batches(list(D.fastrp_stream_step(
                        reference.to_batches(max_chunksize=vec_rows), settings=settings,
                        step=step, owned_counts=counts, weighted=weighted)))
                    kw = dict(settings=settings, step=step, owned_counts=counts,
                              arcs=D.TableReader({p: arc_t}, arc_rows), weighted=weighted,
                              batch_rows=vec_rows)
                    final = pa.Table.from_batches(list(D.fastrp_merge_step(
                        vec.to_batches(max_chunksize=vec_rows), last=True, **kw)))
                    assert final.schema.names == ["part", "li", "node", "key", "degree", "E"]
                    for c in ("part", "li", "node", "key", "degree"):
                        assert D._np(final, c).tobytes() == D._np(want, c).tobytes(), c
                    # the next step's owned rows carry N (as P) and E
                    nxt = pa.Table.from_batches(list(D.fastrp_merge_step(
                        vec.to_batches(max_chunksize=vec_rows), **kw)))
                    assert D._np(nxt, "li").tolist() == D._np(want, "li").tolist()
                    for got, c in ((final, "E"), (nxt, "E"), (nxt, "P")):
                        assert (D.vectors_from_binary(got.column(c), 8).tobytes()
                                == D.vectors_from_arrow(want.column(c), 8).tobytes()), c


def test_merged_step_emits_each_owned_row_and_its_ghost_copies():
    g = ge.as_csr(nx.karate_club_graph())
    parts = D.hash_partition(g.node_keys(), 3, seed=1)
    settings = D.fastrp_settings({"iteration_weights": "1,1"}, dim=4, random_state=0)
    fan = {0: pa.table({"li": np.array([0, 0, 2], np.int32), "dest": np.array([1, 2, 1],
                                                                            np.int32)})}
    p, _, vec, arc_t, counts = _partitions(g, parts, settings)[0]
    assert p == 0
    out = pa.Table.from_batches(list(D.fastrp_merge_step(
        vec.to_batches(), settings=settings, step=1, owned_counts=counts,
        arcs=D.TableReader({0: arc_t}), fanout=D.TableReader(fan), batch_rows=2)))
    assert out.schema.names == list(D.VECTOR_STREAM_COLUMNS)
    li, part = D._np(out, "li"), D._np(out, "part")
    own = li >= 0
    assert sorted(li[own].tolist()) == list(range(counts[0])) and set(part[own]) == {0}
    assert part[~own].tolist() == [1, 2, 1]
    P = D.vectors_from_binary(out.column("P"), 4)
    rows = {int(v): P[i] for i, v in enumerate(li) if v >= 0}
    for j, src in enumerate([0, 0, 2]):
        assert P[np.flatnonzero(~own)[j]].tobytes() == rows[src].tobytes()
    assert out.column("E").null_count == 3


def test_merged_step_rejects_missing_vectors_and_unsorted_input():
    g = ge.as_csr(nx.path_graph(6))
    settings = D.fastrp_settings(None, dim=4, random_state=0)
    p, _, vec, arc_t, counts = _partitions(g, np.zeros(6, np.int64), settings)[0]
    no5 = vec.filter(pa.array(D._np(vec, "node") != 5))
    shuffled = arc_t.take(pa.array(np.r_[1, 0, np.arange(2, arc_t.num_rows)]))
    cases = [  # (vectors, arcs, error)
        (no5, arc_t, "has no vector row"),  # the arc 4 -> 5, last in key order
        (vec.filter(pa.array(D._np(vec, "node") != 0)), arc_t, "has no vector row"),
        (vec, shuffled, "not sorted by target key"),
        (vec.take(pa.array(np.r_[1, 0, np.arange(2, 6)])), arc_t, "not sorted by"),
    ]
    for vectors, arcs, error in cases:
        with pytest.raises(ValueError, match=error):
            list(D.fastrp_merge_step(vectors.to_batches(max_chunksize=2), settings=settings,
                                     step=1, owned_counts=counts,
                                     arcs=D.TableReader({0: arcs}, 2), last=True))


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


def test_arc_writer_refuses_unsorted_rows_and_leaves_no_file(tmp_path):
    g = ge.as_csr(nx.karate_club_graph())
    rows = _arc_input(g, np.zeros(34, np.int64))
    rows = rows.take(pa.array(np.r_[np.arange(10, rows.num_rows), np.arange(10)]))
    with pytest.raises(ValueError, match="not sorted by 'ukey'"):
        list(D.write_arc_files(rows.to_batches(max_chunksize=8), directory=str(tmp_path / "a")))
    assert os.listdir(tmp_path / "a") == []


# ------------------------------------------------------------------------------ Spark
FAST = {"iteration_weights": "0,1,4"}


def _read(path):
    import pyarrow.parquet as pq

    t = pq.read_table(str(path))
    ids = t.column("node_id").to_numpy()
    X = np.asarray(t.column("embedding").to_pylist(), dtype=np.float32)
    order = np.argsort(ids)
    return ids[order], X[order]


@pytest.fixture(scope="module")
def karate(tmp_path_factory):
    import pandas as pd

    e = np.array(nx.karate_club_graph().edges, dtype=np.int64)
    path = tmp_path_factory.mktemp("karate_merge") / "edges.parquet"
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(path)
    return path, ge.as_csr((e[:, 0], e[:, 1]))


@pytest.mark.spark
@pytest.mark.parametrize("stage", [
    "arcs",
    pytest.param("fanout", marks=pytest.mark.slow),
    pytest.param("propagate", marks=pytest.mark.slow),
])
def test_task_killed_mid_write_is_retried_with_identical_output(spark, karate, tmp_path, stage):
    """A task of the stage that writes the arc files (or the fan-out files, or a step) fails
    half way through its first attempt, its file half written; Spark retries it, and the output
    is bit for bit that of an undisturbed run, with no temporary file left behind."""
    from spark_jobs import embed

    path, g = karate
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
    ids0, X0 = _read(tmp_path / "clean")
    ids1, X1 = _read(tmp_path / "retried")
    assert np.array_equal(ids0, ids1) and X0.tobytes() == X1.tobytes()
    want = ge.fastrp(g, dim=16, random_state=3, iteration_weights=(0, 1, 4))
    assert np.max(np.abs(X1 - want[g.index_of(ids1)])) <= 1e-5
    assert clean["stats"]["ghost_pairs"] > 0
    for sub in ("arc_files", "fanout_files"):
        names = os.listdir(tmp_path / "retried" / "_work" / "fastrp" / sub)
        assert names and not [n for n in names if n.startswith(".")], names
