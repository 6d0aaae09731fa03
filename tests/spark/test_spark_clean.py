"""clean.py against graphembed.as_csr on messy edge lists: every combination of directed and
weighted, with duplicates, both directions, self-loops, zero weights and isolated-by-cleaning
nodes; edges, node table (ids, keys, arc counts, degrees) and the metadata."""

import numpy as np
import pandas as pd
import pytest

import graphembed as ge

pytestmark = pytest.mark.spark


def messy_edges(seed, n=12, m=60, weighted=False):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    src[:3], dst[:3] = [n, n + 1, 2], [n, 2, n + 1]  # node n has only a self-loop
    src[3], dst[3] = 0, n + 2  # node n + 2 is only ever a target (a sink when directed)
    frame = {"src": src, "dst": dst}
    if weighted:
        w = rng.choice([0.0, 0.5, 1.0, 2.25, 3.0], m)
        w[1:3] = 0.0  # node n + 1: only zero-weight edges
        w[3] = 1.0
        frame["weight"] = w
    return pd.DataFrame(frame)


@pytest.mark.parametrize("directed", [False, True])
# the weighted cases catch a wrong choice of direction and unweighted degrees; the unweighted
# ones add little and are slow
@pytest.mark.parametrize("weighted", [pytest.param(False, marks=pytest.mark.slow), True])
def test_clean_equals_as_csr(spark, tmp_path, directed, weighted):
    from spark_jobs import clean

    for seed in range(2):
        df = messy_edges(seed, weighted=weighted)
        path = tmp_path / f"e{seed}.parquet"
        df.to_parquet(path)
        out = tmp_path / f"clean{seed}"
        meta = clean.run(spark, str(path), str(out), directed=directed)
        cols = (df.src.to_numpy(), df.dst.to_numpy()) + ((df.weight.to_numpy(),) if weighted
                                                         else ())
        g = ge.as_csr(cols, directed=directed)
        coo = g.to_scipy().tocoo()
        want = sorted(zip(g.node_ids[coo.row].tolist(), g.node_ids[coo.col].tolist(),
                          coo.data.tolist()))
        edges = pd.read_parquet(out / "edges")
        assert ("weight" in edges.columns) == weighted
        got = sorted(zip(edges.src, edges.dst, edges.weight if weighted else
                         np.ones(len(edges))))
        assert [(a, b) for a, b, _ in got] == [(a, b) for a, b, _ in want]
        assert np.allclose([w for *_, w in got], [w for *_, w in want], rtol=1e-12)
        nodes = pd.read_parquet(out / "nodes").sort_values("node")
        assert nodes.node.tolist() == g.node_ids.tolist()  # self-loop / zero-weight nodes kept
        assert nodes.key.tolist() == g.node_keys().view(np.int64).tolist()
        assert nodes.arcs.tolist() == np.diff(g.indptr).tolist()
        assert np.allclose(nodes.degree, g.degrees(), rtol=1e-12)
        assert meta["arcs"] == g.nnz and meta["nodes"] == g.n
        assert meta["weighted"] == weighted and meta["directed"] == directed
