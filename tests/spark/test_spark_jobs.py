"""The Spark jobs on local[2]: exactness against one machine, ids, retries, atomic output."""

import os

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import graphembed as ge
from graphembed import distributed as D
from graphembed.methods import embed as embed_one

pytestmark = pytest.mark.spark


def read_embedding(path):
    import pyarrow.parquet as pq

    t = pq.read_table(str(path))
    ids = t.column("node_id").to_numpy(zero_copy_only=False)
    X = np.asarray(t.column("embedding").to_pylist(), dtype=np.float32)
    order = np.argsort(ids)
    return ids[order], X[order]


def single(ids, g, X):
    """Rows of a single-machine embedding X (rows in g order) for the given ids."""
    return X[g.index_of(ids)]


# 3 steps keep the test short (any k works the same); the degree channel on, at a share of its own
FAST = {"iteration_weights": "0,1,4", "degree_share": "0.2"}


@pytest.fixture(scope="module")
def fastrp_runs(spark, karate_edges, tmp_path_factory):
    from spark_jobs import embed

    path, _ = karate_edges
    out = tmp_path_factory.mktemp("fastrp")
    metas = {}
    for P in (1, 4, 16):
        metas[P] = embed.run(spark, str(path), str(out / f"P{P}"), method="fastrp",
                             partitions=P, dim=16, seed=3, params=FAST)
    return out, metas


@pytest.mark.parametrize("P", [1, 4, 16])
def test_distributed_fastrp_equals_fastrp(fastrp_runs, karate_edges, P):
    out, metas = fastrp_runs
    _, g = karate_edges
    want = embed_one(g, "fastrp", dim=16, random_state=3, params=FAST).vectors
    ids, X = read_embedding(out / f"P{P}")
    assert ids.tolist() == list(range(34))
    assert np.max(np.abs(X - single(ids, g, want))) <= 1e-5
    meta = metas[P]
    assert meta["partitioning"]["partitions_used"] == min(P, 34) or P == 16
    assert (meta["stats"]["ghost_pairs"] == 0) == (P == 1)
    assert os.path.exists(out / f"P{P}" / "_meta.json")
    assert not any(n.startswith(".") for n in os.listdir(out))  # no temporary left behind


def test_task_failing_once_is_retried_with_identical_output(spark, karate_edges, fastrp_runs,
                                                            tmp_path):
    from spark_jobs import embed

    path, _ = karate_edges
    out, _ = fastrp_runs
    marker = tmp_path / "marker"
    spark.conf.set(embed.FAIL_CONF, "propagate:once")
    spark.conf.set(embed.MARKER_CONF, str(marker))
    try:
        embed.run(spark, str(path), str(tmp_path / "retried"), method="fastrp", partitions=4,
                  dim=16, seed=3, params=FAST)
    finally:
        spark.conf.unset(embed.FAIL_CONF)
        spark.conf.unset(embed.MARKER_CONF)
    assert any("-a0-" in n for n in os.listdir(marker))  # the failure really happened
    ids0, X0 = read_embedding(out / "P4")
    ids1, X1 = read_embedding(tmp_path / "retried")
    assert np.array_equal(ids0, ids1) and X0.tobytes() == X1.tobytes()


def test_failed_job_leaves_no_complete_looking_output(spark, karate_edges, tmp_path):
    from spark_jobs import embed

    path, _ = karate_edges
    spark.conf.set(embed.FAIL_CONF, "initial:always")
    try:
        with pytest.raises(Exception, match="injected failure"):
            embed.run(spark, str(path), str(tmp_path / "out"), method="fastrp", partitions=2,
                      dim=8, seed=0, params=FAST)
    finally:
        spark.conf.unset(embed.FAIL_CONF)
    assert os.listdir(tmp_path) == []  # neither the output nor its temporary sibling


def test_existing_output_and_bad_arguments_are_refused(spark, karate_edges, fastrp_runs):
    from spark_jobs import embed

    path, _ = karate_edges
    out, _ = fastrp_runs
    with pytest.raises(FileExistsError, match="--overwrite"):
        embed.run(spark, str(path), str(out / "P1"), method="fastrp", partitions=1, dim=16)
    with pytest.raises(ValueError, match="unknown method"):
        embed.run(spark, str(path), str(out / "x"), method="deepwalk-ish", partitions=1)
    with pytest.raises(ValueError, match="partitions"):
        embed.run(spark, str(path), str(out / "x"), method="fastrp", partitions=0)
    with pytest.raises(ValueError, match="no parameter"):
        embed.run(spark, str(path), str(out / "x"), method="fastrp", partitions=1,
                  params={"iterations": "3"})
    assert not os.path.exists(out / "x")


def test_fastrp_joins_give_the_same_bytes_broadcast_or_shuffled(spark, fastrp_runs,
                                                                 karate_edges, tmp_path,
                                                                 monkeypatch):
    """The arc pass joins the node table by broadcast on graphs up to BROADCAST_NODES nodes and
    by a shuffled hash join beyond: both give the same embedding, byte for byte."""
    from spark_jobs import embed

    out, _ = fastrp_runs
    path, _ = karate_edges
    monkeypatch.setattr(embed, "BROADCAST_NODES", 0)
    embed.run(spark, str(path), str(tmp_path / "shuffled"), method="fastrp", partitions=4,
              dim=16, seed=3, params=FAST)
    ids0, X0 = read_embedding(out / "P4")
    ids1, X1 = read_embedding(tmp_path / "shuffled")
    assert ids0.tolist() == ids1.tolist() and X0.tobytes() == X1.tobytes()


def test_string_ids_round_trip(spark, tmp_path):
    from spark_jobs import embed

    G = nx.les_miserables_graph()
    lines = [f"{u}\t{v}" for u, v in G.edges] + [f"{u}\t{u}" for u in list(G)[:3]]
    lines += [f"{v}\t{u}" for u, v in list(G.edges)[:10]]  # duplicates in both directions
    path = tmp_path / "edges.tsv"
    path.write_text("# characters\n" + "\n".join(lines) + "\n")
    meta = embed.run(spark, str(path), str(tmp_path / "out"), method="fastrp", partitions=3,
                     dim=16, seed=1, params=FAST, delimiter="\t")
    assert meta["graph"]["string_ids"] and meta["columns"]["node_id"] == "string"
    g = ge.as_csr(str(path), delimiter="\t")
    want = embed_one(g, "fastrp", dim=16, random_state=1, params=FAST).vectors
    ids, X = read_embedding(tmp_path / "out")
    assert sorted(ids.tolist()) == sorted(G.nodes)
    assert np.max(np.abs(X - single(ids, g, want))) <= 1e-5
    mapping = pd.read_parquet(tmp_path / "out" / "_mapping")
    assert sorted(mapping["id"]) == sorted(G.nodes)
    assert mapping.sort_values("id")["node"].tolist() == list(range(len(G)))  # rank order


def test_components_partitioned_along_them_equal_separate_runs(spark, tmp_path):
    from spark_jobs import embed

    comps = [nx.karate_club_graph(), nx.les_miserables_graph(), nx.cycle_graph(7)]
    G = nx.disjoint_union_all(comps)
    e = np.array(G.edges, dtype=np.int64)
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(tmp_path / "edges.parquet")
    comp = np.concatenate([np.full(len(c), i) for i, c in enumerate(comps)])
    pd.DataFrame({"node": np.arange(len(G)), "part": comp.astype(np.int32)}).to_parquet(
        tmp_path / "assign.parquet")
    # standardisation and the degree channel use global statistics
    params = {**FAST, "standardize": "false", "degree_share": "0"}
    meta = embed.run(spark, str(tmp_path / "edges.parquet"), str(tmp_path / "out"),
                     method="fastrp", dim=16, seed=2, params=params,
                     assignment=str(tmp_path / "assign.parquet"))
    assert meta["stats"]["ghost_pairs"] == 0
    ids, X = read_embedding(tmp_path / "out")
    g = ge.as_csr((e[:, 0], e[:, 1]))
    start = 0
    for c in comps:
        rows = np.arange(start, start + len(c))
        alone = embed_one(g.subgraph(rows), "fastrp", dim=16, random_state=2,
                          params=params).vectors
        assert np.max(np.abs(X[rows] - alone)) <= 1e-6
        start += len(c)


def test_clean_job_follows_as_csr(spark, tmp_path):
    from spark_jobs import clean

    text = "# weighted, duplicates, self-loop\n1 2 1.5\n2 1 0.5\n1 2 1.0\n2 3 2\n3 3 4\n4 1 0\n"
    (tmp_path / "e.txt").write_text(text)
    meta = clean.run(spark, str(tmp_path / "e.txt"), str(tmp_path / "clean"))
    edges = pd.read_parquet(tmp_path / "clean" / "edges").sort_values(["src", "dst"])
    g = ge.as_csr(str(tmp_path / "e.txt"))
    coo = g.to_scipy().tocoo()
    want = sorted(zip(g.node_ids[coo.row].tolist(), g.node_ids[coo.col].tolist(),
                      coo.data.tolist()))
    got = sorted(zip(edges.src, edges.dst, edges.weight))
    assert [(a, b) for a, b, _ in got] == [(a, b) for a, b, _ in want]
    assert np.allclose([w for *_, w in got], [w for *_, w in want])
    nodes = pd.read_parquet(tmp_path / "clean" / "nodes").sort_values("node")
    assert nodes.node.tolist() == g.node_ids.tolist()  # node 4 kept (zero-weight edge only)
    assert np.allclose(nodes.degree, g.degrees())
    assert meta["arcs"] == g.nnz
    (tmp_path / "bad.txt").write_text("1 2 -1\n")
    with pytest.raises(ValueError, match="non-negative"):
        clean.run(spark, str(tmp_path / "bad.txt"), str(tmp_path / "bad"))
    assert not (tmp_path / "bad").exists()


def test_orbits_one_partition_and_aligned_match_in_process(spark, tmp_path):
    from spark_jobs import embed

    G = nx.les_miserables_graph()
    g0 = ge.as_csr(G, weight=None)
    e = np.array([(g0.index_of([u])[0], g0.index_of([v])[0]) for u, v in G.edges])
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(tmp_path / "edges.parquet")
    g = ge.as_csr((e[:, 0], e[:, 1]))
    embed.run(spark, str(tmp_path / "edges.parquet"), str(tmp_path / "one"), method="orbits",
              partitions=1, dim=12, seed=4)
    ids, X = read_embedding(tmp_path / "one")
    assert np.array_equal(X, embed_one(g, "orbits", dim=12, random_state=4).vectors)
    meta = embed.run(spark, str(tmp_path / "edges.parquet"), str(tmp_path / "three"),
                     method="orbits", partitions=3, dim=12, seed=4, halo_hops=1, anchors=16,
                     keep_work=True)
    ids, X = read_embedding(tmp_path / "three")
    assign = pd.read_parquet(tmp_path / "three" / "_work" / "partition" / "level=0")
    parts = assign.sort_values("node")["part"].to_numpy()
    want, stats = D.embed_partitioned(g, parts, method="orbits", dim=12, random_state=4,
                                      halo_hops=1, anchors=16)
    assert meta["stats"]["reference"] == stats["reference"]
    assert np.max(np.abs(X - want)) <= 1e-4


def test_irwe_landmark_mode_matches_in_process_and_one_machine(spark, tmp_path):
    """IRWE through Spark in one landmark basis: one partition = single-machine IRWE; three
    hash partitions = the in-process twin (same statistics, same fit, same maps)."""
    from spark_jobs import embed

    G = nx.relaxed_caveman_graph(6, 8, 0.15, seed=2)
    e = np.array(G.edges, dtype=np.int64)
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(tmp_path / "edges.parquet")
    g = ge.as_csr((e[:, 0], e[:, 1]))
    params = {"identity_walks": "60", "walks_per_node": "4", "walk_length": "20"}
    meta = embed.run(spark, str(tmp_path / "edges.parquet"), str(tmp_path / "one"),
                     method="irwe", partitions=1, dim=8, seed=5, params=params)
    assert meta["mode"] == "landmarks" and meta["stats"]["landmarks"] == g.n
    ids, X = read_embedding(tmp_path / "one")
    want = embed_one(g, "irwe", dim=8, random_state=5, params=params).vectors
    assert np.max(np.abs(X - single(ids, g, want))) <= 1e-4
    embed.run(spark, str(tmp_path / "edges.parquet"), str(tmp_path / "three"), method="irwe",
              partitions=3, dim=8, seed=5, params=params, keep_work=True)
    ids, X = read_embedding(tmp_path / "three")
    parts = pd.read_parquet(tmp_path / "three" / "_work" / "partition" / "level=0").sort_values(
        "node")["part"].to_numpy()
    assert len(np.unique(parts)) == 3
    twin, stats = D.embed_partitioned(g, parts, method="irwe", dim=8, random_state=5,
                                      params=params, mode="landmarks")
    assert stats["landmarks"] == g.n
    assert np.max(np.abs(X - twin[g.index_of(ids)])) <= 1e-4
    # and it is not the one-partition result: the partitions really saw partial subgraphs
    assert np.max(np.abs(X - single(ids, g, want))) > 1e-2


def test_irwe_landmark_mode_with_a_binding_halo_budget_matches_in_process(spark, tmp_path):
    """A hub-heavy graph whose halo-arc budget binds: the arcs Spark sends each partition (the
    global level cut) and the task's own cut give the in-process twin's embedding (planted: the
    cut counted per partition in Spark, the twin's levels ranked within a partition — fail)."""
    from spark_jobs import embed

    G = nx.barabasi_albert_graph(90, 4, seed=3)
    e = np.array(G.edges, dtype=np.int64)
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(tmp_path / "edges.parquet")
    g = ge.as_csr((e[:, 0], e[:, 1]))
    params = {"identity_walks": "40", "walks_per_node": "3", "walk_length": "12"}
    runs = {}
    for budget in (0.3, None):
        out = tmp_path / f"b{budget}"
        embed.run(spark, str(tmp_path / "edges.parquet"), str(out), method="irwe", partitions=4,
                  dim=8, seed=2, params=params, halo_arcs=budget, keep_work=True)
        ids, X = read_embedding(out)
        parts = pd.read_parquet(out / "_work" / "partition" / "level=0").sort_values(
            "node")["part"].to_numpy()
        twin, _ = D.embed_partitioned(g, parts, method="irwe", dim=8, random_state=2,
                                      params=params, mode="landmarks", halo_arcs=budget)
        assert np.max(np.abs(X - twin[g.index_of(ids)])) <= 1e-4, budget
        sent = pd.read_parquet(out / "_work" / "sub" / "arcs")
        runs[budget] = (X, len(sent))
    assert runs[0.3][1] < runs[None][1]  # the budget bound: fewer arcs were sent
    assert np.max(np.abs(runs[0.3][0] - runs[None][0])) > 1e-3


@pytest.mark.slow
def test_locality_partition_spark_growth_equals_reference(spark, tmp_path):
    from spark_jobs import clean, partition

    G = nx.connected_caveman_graph(6, 6)
    e = np.array(G.edges, dtype=np.int64)
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(tmp_path / "edges.parquet")
    clean.run(spark, str(tmp_path / "edges.parquet"), str(tmp_path / "clean"))
    meta = partition.run(spark, str(tmp_path / "clean"), str(tmp_path / "part"),
                         method="locality", max_arcs=70, seed=3)
    levels = D.locality_partition(ge.as_csr((e[:, 0], e[:, 1])), max_arcs=70, seed=3)
    assert len(meta["levels"]) == len(levels)
    for lv, (rows, parts) in enumerate(levels):
        df = pd.read_parquet(tmp_path / "part" / f"level={lv}").sort_values("node")
        assert df.node.tolist() == rows.tolist()
        assert df.part.tolist() == parts.tolist()


@pytest.mark.slow
def test_distne_mode_matches_in_process(spark, tmp_path):
    from spark_jobs import embed

    G = nx.relaxed_caveman_graph(5, 8, 0.1, seed=1)
    e = np.array(G.edges, dtype=np.int64)
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(tmp_path / "edges.parquet")
    g = ge.as_csr((e[:, 0], e[:, 1]))
    embed.run(spark, str(tmp_path / "edges.parquet"), str(tmp_path / "out"), method="orbits",
              partitions=3, dim=12, seed=0, mode="distne", partitioner="locality",
              growth="driver", keep_work=True)
    ids, X = read_embedding(tmp_path / "out")
    parts = pd.read_parquet(tmp_path / "out" / "_work" / "partition" / "level=0").sort_values(
        "node")["part"].to_numpy()
    want, _ = D.embed_partitioned(g, parts, method="orbits", dim=12, mode="distne")
    assert np.max(np.abs(X - want[g.index_of(ids)])) <= 1e-5


def test_evaluate_job_scores_an_embedding(spark, fastrp_runs, tmp_path):
    from spark_jobs import evaluate

    out, _ = fastrp_runs
    G = nx.karate_club_graph()
    labels = tmp_path / "labels.tsv"
    labels.write_text("".join(f"{v}\t{G.nodes[v]['club']}\n" for v in G))
    res = evaluate.evaluate(spark, str(out / "P4"), labels=str(labels), train_ratios=[0.5],
                            repeats=3)
    assert res["nodes"] == 34 and res["dim"] == 16 and res["labelled_nodes"] == 34
    assert 0.6 < res["scores"]["0.5"]["micro_f1"] <= 1.0  # two clubs: better than chance


@pytest.mark.parametrize("parts", [[0, 1, 2, 3], list(range(0, 40, 2)), [5]])
def test_task_slots_give_every_partition_a_task_of_its_own(spark, parts):
    """Repartitioning the FastRP stream by slot puts each graph partition alone in one task (by
    ``part`` itself Murmur3 would pile several into one task and leave others empty)."""
    from pyspark.sql import functions as F

    from spark_jobs import embed

    slots = embed._task_slots(spark, parts)
    placed = (slots.repartition(len(parts), "slot")
              .select("part", F.spark_partition_id().alias("task")).collect())
    assert sorted(r["part"] for r in placed) == sorted(parts)
    assert sorted(r["task"] for r in placed) == list(range(len(parts)))


def _assert_every_setting_recorded(out_dir, method, given, derived):
    """Each keyword parameter of ``method``'s function (and of the function its registry entry
    takes defaults from) is in ``out_dir/_meta.json`` with the value it ran with: ``given``
    (parsed), else ``derived`` (defaults that depend on dim), else the signature's default;
    ``dim``, ``random_state`` and ``num_threads`` beside the settings."""
    import importlib
    import inspect
    import json

    from graphembed.methods import get_method

    meta = json.loads((out_dir / "_meta.json").read_text())
    spec = get_method(method)
    functions = [spec.function()]
    if spec.defaults_from:
        module, name = spec.defaults_from.split(":")
        functions.append(getattr(importlib.import_module(module), name))
    beside = {"dim": meta["dim"], "random_state": meta["random_state"], "num_threads": 1}
    seen = set()
    for function in functions:
        for name, p in inspect.signature(function).parameters.items():
            if p.kind is not p.KEYWORD_ONLY:
                continue
            seen.add(name)
            if name in beside:
                assert meta[name] == beside[name], name
                continue
            assert name in meta["settings"], f"{method}: {name} missing from _meta.json"
            want = given.get(name, derived.get(name, p.default))
            assert meta["settings"][name] == json.loads(json.dumps(want)), name
    assert set(meta["settings"]) <= seen  # nothing recorded that the function does not take
    return meta


def test_meta_records_every_effective_setting(spark, fastrp_runs, tmp_path):
    """_meta.json holds every keyword argument of the method with its resolved value (defaults
    included), for FastRP (the shared runs) and IRWE (derived widths from dim)."""
    from spark_jobs import embed

    out, _ = fastrp_runs
    meta = _assert_every_setting_recorded(out / "P4", "fastrp",
                                          {"iteration_weights": (0.0, 1.0, 4.0),
                                           "degree_share": 0.2}, {})
    assert meta["params"] == FAST  # the parameters as given are kept too
    G = nx.karate_club_graph()
    e = np.array(G.edges, dtype=np.int64)
    pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]}).to_parquet(tmp_path / "edges.parquet")
    params = {"identity_walks": "20", "walks_per_node": "2", "walk_length": "10", "q": "0.5"}
    embed.run(spark, str(tmp_path / "edges.parquet"), str(tmp_path / "irwe"), method="irwe",
              partitions=1, dim=7, seed=2, params=params)
    _assert_every_setting_recorded(
        tmp_path / "irwe", "irwe",
        {"identity_walks": 20, "walks_per_node": 2, "walk_length": 10, "q": 0.5},
        {"identity_dim": 3, "position_dim": 4})
