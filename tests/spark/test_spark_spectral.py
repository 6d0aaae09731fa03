"""``embed.py --method spectral`` on local[2]: the exact distributed subspace iteration equals
graphembed.spectral at 1, 4 and 16 partitions, for every option; reruns and retried tasks give
the same bytes; bad input fails before any work."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import graphembed as ge

from .test_spark_jobs import read_embedding, single

pytestmark = pytest.mark.spark

#: What "equal" means: the distributed job sums the partitions' b-vectors and b × b Gram blocks
#: in partition order where one machine sums fixed row chunks, so the two differ by float
#: rounding, carried through 3 rounds of the iteration (measured: 6e-7 at 1 partition, 6e-6 at
#: 4 and 16 on karate; unit rows).
TOL = 2e-5


@pytest.fixture(scope="module")
def spectral_runs(spark, karate_edges, tmp_path_factory):
    from spark_jobs import embed

    path, _ = karate_edges
    out = tmp_path_factory.mktemp("spectral")
    metas = {P: embed.run(spark, str(path), str(out / f"P{P}"), method="spectral",
                          partitions=P, dim=8, seed=5) for P in (1, 4, 16)}
    return out, metas


@pytest.mark.parametrize("P", [1, 4, 16])
def test_distributed_spectral_equals_spectral(spectral_runs, karate_edges, P):
    out, metas = spectral_runs
    _, g = karate_edges
    want, lam = ge.spectral(g, dim=8, random_state=5, return_eigenvalues=True)
    ids, X = read_embedding(out / f"P{P}")
    assert ids.tolist() == list(range(34))
    assert np.max(np.abs(X - single(ids, g, want))) <= TOL
    meta = metas[P]
    assert meta["mode"] is None and meta["stats"]["products"] == 3 * 5  # rounds·(degree + 1)
    assert np.max(np.abs(np.array(meta["stats"]["eigenvalues"]) - lam)) <= 1e-6
    assert (meta["stats"]["ghost_pairs"] == 0) == (P == 1)
    assert meta["settings"]["eigenvalue_power"] == 1.5  # the resolved defaults are recorded
    assert meta["stats"]["settings"]["eigenvalue_power"] == 1.5  # and the tasks ran with them
    assert meta["stats"]["settings"]["b"] == 8 + 1 + 16


def test_every_option_weighted_components_and_string_ids(spark, tmp_path):
    """Weights, two components (the regularisation ties them), string ids, and every option
    away from its default: still graphembed.spectral's numbers."""
    from spark_jobs import embed

    rng = np.random.default_rng(2)
    G = nx.gnm_random_graph(120, 420, seed=4)
    G.add_edges_from([(200, 201), (201, 202), (202, 200), (202, 203)])  # a small component
    e = np.array(G.edges, dtype=np.int64)
    w = rng.uniform(0.2, 3.0, len(e))
    src = np.array([f"n{u}" for u in e[:, 0]])
    dst = np.array([f"n{v}" for v in e[:, 1]])
    path = tmp_path / "edges.parquet"
    pd.DataFrame({"src": src, "dst": dst, "weight": w}).to_parquet(path)
    params = {"eigenvalue_power": "1", "regularization": "0.5", "rounds": "2", "degree": "3",
              "oversampling": "4", "normalize": "false", "degree_share": "0.3"}
    embed.run(spark, str(path), str(tmp_path / "out"), method="spectral", partitions=4,
              dim=12, seed=9, params=params, weight_col="weight")
    g = ge.as_csr((src, dst, w))
    want = ge.spectral(g, dim=12, random_state=9, eigenvalue_power=1.0, regularization=0.5,
                       rounds=2, degree=3, oversampling=4, normalize=False, degree_share=0.3)
    import pyarrow.parquet as pq

    t = pq.read_table(str(tmp_path / "out"))
    ids = np.asarray(t.column("node_id").to_pylist())
    X = np.asarray(t.column("embedding").to_pylist(), dtype=np.float32)
    assert sorted(ids.tolist()) == sorted(g.node_ids.tolist())
    W = want[g.index_of(ids)]
    assert np.max(np.abs(X - W)) <= TOL * np.max(np.abs(W))


def test_one_round_of_a_degree_one_filter_without_regularisation(spark, karate_edges, tmp_path):
    """The shortest iteration (one product and Rayleigh–Ritz, no previous block to carry, no
    rank-one term) on the connected karate graph."""
    from spark_jobs import embed

    path, g = karate_edges
    params = {"rounds": "1", "degree": "1", "regularization": "0", "oversampling": "2"}
    meta = embed.run(spark, str(path), str(tmp_path / "out"), method="spectral", partitions=4,
                     dim=6, seed=1, params=params)
    want = ge.spectral(g, dim=6, random_state=1, rounds=1, degree=1, regularization=0.0,
                       oversampling=2)
    ids, X = read_embedding(tmp_path / "out")
    assert meta["stats"]["products"] == 2
    assert np.max(np.abs(X - single(ids, g, want))) <= TOL


def test_rerun_and_retried_task_give_the_same_bytes(spark, karate_edges, spectral_runs, tmp_path):
    from spark_jobs import embed

    path, _ = karate_edges
    out, _ = spectral_runs
    spark.conf.set(embed.FAIL_CONF, "ritz:once")  # the stage whose sums feed the driver
    spark.conf.set(embed.MARKER_CONF, str(tmp_path / "marker"))
    try:
        embed.run(spark, str(path), str(tmp_path / "retried"), method="spectral",
                  partitions=4, dim=8, seed=5)
    finally:
        spark.conf.unset(embed.FAIL_CONF)
        spark.conf.unset(embed.MARKER_CONF)
    assert any((tmp_path / "marker").iterdir())  # a Rayleigh–Ritz task did fail once
    _, X = read_embedding(tmp_path / "retried")
    _, Y = read_embedding(out / "P4")
    assert X.tobytes() == Y.tobytes()


@pytest.mark.parametrize("kwargs, message", [
    (dict(directed=True), "symmetrised graph"),
    (dict(dim=40), "dim must be at most n - 1 = 33"),
    (dict(params={"eigenvalue_power": "-1"}), "eigenvalue_power must be >= 0"),
])
def test_bad_input_fails_before_any_output(spark, karate_edges, tmp_path, kwargs, message):
    from spark_jobs import embed

    path, _ = karate_edges
    kwargs = {"dim": 8, **kwargs}
    with pytest.raises(ValueError, match=message):
        embed.run(spark, str(path), str(tmp_path / "out"), method="spectral", partitions=4,
                  **kwargs)
    assert not (tmp_path / "out").exists()
