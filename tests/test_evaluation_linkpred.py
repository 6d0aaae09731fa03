"""Link prediction: the edge split, negatives, heuristics, metrics and bad input."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import random_graphs

import graphembed as ge
from graphembed.evaluation import EdgeSplit, edge_split, heuristic_scores, link_prediction
from graphembed.evaluation.link_prediction import edge_features, ranking_metrics


def _keys(pairs, n):
    pairs = np.asarray(pairs)
    return set((np.minimum(pairs[:, 0], pairs[:, 1]) * n + np.maximum(pairs[:, 0], pairs[:, 1])).tolist())


def _components(g):
    return sp.csgraph.connected_components(g.to_scipy(), directed=False)[1]


def _same_partition(a, b):
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def _splittable_graphs():
    for G in random_graphs(40, max_nodes=40, seed=11):
        if G.number_of_edges() - G.number_of_nodes() + nx.number_connected_components(G) >= 2:
            yield G
    G = nx.disjoint_union(nx.complete_graph(6), nx.cycle_graph(5))
    G.add_nodes_from([100, 101])  # isolated nodes
    yield G


def check_split(G, s):
    g = ge.as_csr(G)
    n = g.n
    edges = {tuple(sorted((g.index_of([u])[0], g.index_of([v])[0]))) for u, v in G.edges if u != v}
    edge_keys = {u * n + v for u, v in edges}
    train, test = _keys(s.train_edges, n), _keys(s.test_pos, n)
    assert train | test == edge_keys and not train & test
    # residual graph: no test edge in either direction, components as in the full graph
    residual = s.train_graph()
    A = residual.to_scipy().tocsr()
    for u, v in s.test_pos:
        assert A[u, v] == 0 and A[v, u] == 0
    assert residual.nnz == 2 * len(s.train_edges)
    assert _same_partition(_components(g), _components(residual))
    # negatives: true non-edges, no self-loops, distinct, train/test disjoint, sized like positives
    for neg in (s.train_neg, s.test_neg):
        assert (neg[:, 0] != neg[:, 1]).all()
        assert len(_keys(neg, n)) == len(neg)
        assert not _keys(neg, n) & edge_keys
    assert not _keys(s.train_neg, n) & _keys(s.test_neg, n)
    assert len(s.test_neg) == len(s.test_pos) and len(s.train_neg) == len(s.train_edges)
    assert list(s.node_ids) == list(g.node_ids)


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5])
def test_split_invariants_on_many_graphs(fraction):
    checked = 0
    for G in _splittable_graphs():
        m, forest = G.number_of_edges(), G.number_of_nodes() - nx.number_connected_components(G)
        k = round(fraction * m)
        n = G.number_of_nodes()
        if m > n * (n - 1) // 2 - m and not (k < 1 or k > m - forest):
            with pytest.raises(ValueError, match="too dense"):
                edge_split(G, test_fraction=fraction)
            continue
        if k < 1 or k > m - forest:
            with pytest.raises(ValueError, match="too small or too sparse"):
                edge_split(G, test_fraction=fraction)
            continue
        check_split(G, edge_split(G, test_fraction=fraction, random_state=checked))
        checked += 1
    assert checked >= 10


def test_reversed_duplicates_never_leak():
    rng = np.random.default_rng(0)
    G = nx.gnm_random_graph(60, 300, seed=1)
    u, v = np.array(G.edges).T
    # list every edge in both directions, some twice, plus self-loops
    src = np.concatenate([u, v, u[:50], np.arange(5)])
    dst = np.concatenate([v, u, v[:50], np.arange(5)])
    perm = rng.permutation(len(src))
    s = edge_split((src[perm], dst[perm]), test_fraction=0.5, random_state=3)
    assert len(s.test_pos) + len(s.train_edges) == 300
    residual = s.train_graph().to_scipy().tocsr()
    for a, b in s.test_pos:
        assert residual[a, b] == 0 and residual[b, a] == 0
    # a directed input is taken as undirected too
    sd = edge_split(ge.as_csr((src, dst), directed=True), test_fraction=0.5, random_state=3)
    assert len(sd.test_pos) + len(sd.train_edges) == 300


def test_large_sparse_graph_uses_rejection_sampling():
    G = nx.gnm_random_graph(3000, 9000, seed=2)  # 4.5e6 pairs: the sampling branch
    s = edge_split(G, test_fraction=0.3, random_state=1)
    check_split(G, s)


def test_dense_small_graph_enumerates_non_edges():
    G = nx.gnm_random_graph(12, 30, seed=0)  # 66 pairs, 36 non-edges, needs 30
    check_split(G, edge_split(G, test_fraction=0.3, random_state=0))
    with pytest.raises(ValueError, match="too dense"):
        edge_split(nx.gnm_random_graph(10, 30, seed=0), test_fraction=0.3)


def test_same_seed_same_split():
    G = nx.connected_caveman_graph(8, 6)
    a, b = edge_split(G, random_state=4), edge_split(G, random_state=4)
    c = edge_split(G, random_state=5)
    for name in ("train_edges", "test_pos", "train_neg", "test_neg"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.test_pos, c.test_pos)


def test_split_save_and_reload(tmp_path):
    G = nx.relabel_nodes(nx.connected_caveman_graph(6, 5), lambda x: f"n{x}")
    s = edge_split(G, test_fraction=0.3, random_state=2)
    path = s.save(tmp_path / "split.npz")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        s.save(path)
    t = EdgeSplit.load(path)
    for name in ("train_edges", "test_pos", "train_neg", "test_neg", "node_ids"):
        assert np.array_equal(getattr(s, name), getattr(t, name))
    assert t.random_state == 2 and t.test_fraction == 0.3

    def embed(g):
        return ge.fastrp(g, dim=16, random_state=0)

    r1 = link_prediction(G, embed, split=s, scorer=["cosine", "hadamard"])
    r2 = link_prediction(G, embed, split=t, scorer=["cosine", "hadamard"])
    assert r1.rows == r2.rows
    r3 = link_prediction(G, embed, test_fraction=0.3, random_state=2, scorer=["cosine", "hadamard"])
    assert r3.rows == r1.rows
    with pytest.raises(ValueError, match="not the edges of the given graph"):
        link_prediction(_without_one_edge(G), embed, split=t)


def _without_one_edge(G):
    H = G.copy()
    H.remove_edge(*next(iter(H.edges)))
    return H


def test_embedding_sees_only_the_residual_graph():
    G = nx.connected_caveman_graph(6, 6)
    seen = {}

    def embed(g):
        seen["graph"] = g
        return np.random.default_rng(0).normal(size=(g.n, 4))

    res = link_prediction(G, embed, test_fraction=0.3, scorer="dot")
    s = edge_split(G, test_fraction=0.3)
    A = seen["graph"].to_scipy().tocsr()
    assert all(A[u, v] == 0 for u, v in s.test_pos)
    assert res.embed_seconds is not None and res.scoring_seconds > 0


# ----------------------------------------------------------------------- heuristics, metrics


def test_heuristics_match_networkx():
    for G in list(random_graphs(15, max_nodes=25, seed=5)):
        g = ge.as_csr(G)
        pairs = np.array([(u, v) for u in range(g.n) for v in range(u + 1, g.n)])
        if not len(pairs):
            continue
        h = heuristic_scores(g, pairs)
        ebunch = [tuple(p) for p in pairs.tolist()]
        cn = [len(list(nx.common_neighbors(G, u, v))) for u, v in ebunch]
        assert h["common_neighbours"].tolist() == cn
        aa = [s for _, _, s in nx.adamic_adar_index(G, ebunch)]
        np.testing.assert_allclose(h["adamic_adar"], aa, rtol=1e-12)
        pa = [s for _, _, s in nx.preferential_attachment(G, ebunch)]
        assert h["preferential_attachment"].tolist() == pa
        jc = [s for _, _, s in nx.jaccard_coefficient(G, ebunch)]
        np.testing.assert_allclose(h["jaccard"], jc, rtol=1e-12)


def test_ranking_metrics_hand_checked():
    pos = np.array([0.9, 0.5, 0.3, 0.3])
    neg = np.array([0.8, 0.3, 0.1])
    m = ranking_metrics(pos, neg, hits_k=(1, 2, 5))
    # AUC: pairs pos > neg: 0.9:3, 0.5:2, 0.3:1+0.5 tie, 0.3:1+0.5 -> (3+2+1.5+1.5)/12
    assert m["roc_auc"] == pytest.approx(8 / 12)
    assert m["hits@1"] == 0.25          # only 0.9 is strictly above 0.8
    assert m["hits@2"] == 0.5           # 2nd best negative 0.3: 0.9, 0.5 strictly above; ties not
    assert m["hits@5"] == 1.0           # fewer negatives than K
    # ranks: 1, 2, 1 + 1 + 0.5 = 2.5 (one tie), 2.5
    assert m["mrr"] == pytest.approx(np.mean([1, 1 / 2, 1 / 2.5, 1 / 2.5]))
    from sklearn.metrics import average_precision_score

    assert m["average_precision"] == pytest.approx(
        average_precision_score([1, 1, 1, 1, 0, 0, 0], np.concatenate([pos, neg])))


def test_edge_operators():
    X = np.array([[1.0, -2.0], [3.0, 4.0]])
    p = np.array([[0, 1]])
    assert edge_features(X, p, "hadamard").tolist() == [[3.0, -8.0]]
    assert edge_features(X, p, "average").tolist() == [[2.0, 1.0]]
    assert edge_features(X, p, "l1").tolist() == [[2.0, 6.0]]
    assert edge_features(X, p, "l2").tolist() == [[4.0, 36.0]]


def test_fastrp_beats_random_and_reports_every_scorer():
    G = nx.connected_caveman_graph(12, 8)
    res = link_prediction(G, lambda g: ge.fastrp(g, dim=32, random_state=0),
                          test_fraction=0.2, scorer=["cosine", "dot", "hadamard", "average",
                                                     "l1", "l2"])
    names = [r["scorer"] for r in res.rows]
    assert names[:4] == ["common_neighbours", "adamic_adar", "preferential_attachment", "jaccard"]
    assert names[4:] == ["cosine", "dot", "hadamard", "average", "l1", "l2"]
    by = {r["scorer"]: r for r in res.rows}
    assert by["common_neighbours"]["roc_auc"] > 0.85
    # every scorer that compares the two ends sees the caves (average, a sum, cannot); their
    # exact values are checked against scikit-learn in test_every_scorer_matches_...
    for s in ("cosine", "dot", "hadamard", "l1", "l2"):
        assert by[s]["roc_auc"] > 0.9 and by[s]["average_precision"] > 0.9, s
    rand = link_prediction(G, lambda g: np.random.default_rng(0).normal(size=(g.n, 32)),
                           test_fraction=0.2, scorer="cosine", heuristics=False)
    assert 0.35 < rand.rows[0]["roc_auc"] < 0.65
    assert "cosine" in res.table()


# ----------------------------------------------------------------------- bad input


def test_graph_too_small_to_split():
    with pytest.raises(ValueError, match="too small or too sparse"):
        edge_split(nx.path_graph(10))  # a tree: every edge is in the forest
    with pytest.raises(ValueError, match="too small or too sparse"):
        edge_split(nx.Graph([(0, 1)]))
    with pytest.raises(ValueError, match="test_fraction must be strictly between 0 and 1"):
        edge_split(nx.complete_graph(5), test_fraction=1.0)


def test_bad_embed_output_and_scorer():
    G = nx.connected_caveman_graph(5, 5)
    with pytest.raises(ValueError, match="embed returned 3 rows for a residual graph of 25"):
        link_prediction(G, lambda g: np.zeros((3, 2)), test_fraction=0.2)
    with pytest.raises(ValueError, match="NaN"):
        link_prediction(G, lambda g: np.full((g.n, 2), np.nan), test_fraction=0.2)
    with pytest.raises(ValueError, match="scorer must be one of"):
        link_prediction(G, None, scorer="euclid")
    with pytest.raises(TypeError, match="split must be an EdgeSplit"):
        link_prediction(G, None, split="split.npz")


# ----------------------------------------------------------------------- every scorer vs sklearn


def _reference_rows(split, X, scorers, hits_k, C=1.0, max_iter=1000, use="decision_function"):
    """Every embedding scorer recomputed from scratch with scikit-learn on the same split and
    features: operator by hand, StandardScaler + LogisticRegression, roc_auc_score,
    average_precision_score; Hits@K and MRR by counting."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.metrics.pairwise import paired_cosine_distances
    from sklearn.preprocessing import StandardScaler

    ops = {"hadamard": lambda a, b: a * b, "average": lambda a, b: (a + b) / 2,
           "l1": lambda a, b: np.abs(a - b), "l2": lambda a, b: (a - b) ** 2}
    test = np.concatenate([split.test_pos, split.test_neg])
    train = np.concatenate([split.train_edges, split.train_neg])
    y_train = np.r_[np.ones(len(split.train_edges)), np.zeros(len(split.train_neg))]
    y_test = np.r_[np.ones(len(split.test_pos)), np.zeros(len(split.test_neg))]
    rows = {}
    for s in scorers:
        a, b = X[test[:, 0]], X[test[:, 1]]
        if s == "cosine":
            scores = 1.0 - paired_cosine_distances(a.astype(np.float64), b.astype(np.float64))
        elif s == "dot":
            scores = (a.astype(np.float64) * b.astype(np.float64)).sum(axis=1)
        else:
            scaler = StandardScaler().fit(ops[s](X[train[:, 0]], X[train[:, 1]]))
            clf = LogisticRegression(C=C, max_iter=max_iter, random_state=0)
            clf.fit(scaler.transform(ops[s](X[train[:, 0]], X[train[:, 1]])), y_train)
            scores = getattr(clf, use)(scaler.transform(ops[s](a, b)))
        pos, neg = scores[y_test == 1], scores[y_test == 0]
        row = {"roc_auc": roc_auc_score(y_test, scores),
               "average_precision": average_precision_score(y_test, scores)}
        for k in hits_k:
            kth = np.sort(neg)[::-1][k - 1] if len(neg) >= k else -np.inf
            row[f"hits@{k}"] = float(np.mean([p > kth for p in pos]))
        row["mrr"] = float(np.mean([1 / (1 + np.sum(neg > p) + np.sum(neg == p) / 2)
                                    for p in pos]))
        rows[s] = row
    return rows


@pytest.mark.parametrize("case", range(4))
def test_every_scorer_matches_a_scikit_learn_reference(case):
    """Each scorer's row equals the same computation done directly with scikit-learn, on graphs
    hard enough that the scores' ranking matters (AUC < 1): scoring with predict instead of
    decision_function, dropping the scaler, or swapping operators changes the row."""
    G = [nx.gnp_random_graph(70, 0.08, seed=1),
         nx.stochastic_block_model([20, 20, 20], [[0.3, 0.05, 0.05], [0.05, 0.3, 0.05],
                                                   [0.05, 0.05, 0.3]], seed=2),
         nx.barabasi_albert_graph(80, 3, seed=3),
         nx.relabel_nodes(nx.powerlaw_cluster_graph(60, 3, 0.3, seed=4), lambda v: f"n{v}")][case]
    scorers = ["cosine", "dot", "hadamard", "average", "l1", "l2"]
    hits_k = (1, 5, 20)
    split = edge_split(G, test_fraction=0.3, random_state=case)
    vectors = {}

    def embed(g):
        vectors["X"] = ge.fastrp(g, dim=16, random_state=case, iteration_weights=(1.0, 1.0))
        return vectors["X"]

    res = link_prediction(G, embed, split=split, scorer=scorers, heuristics=False, hits_k=hits_k,
                          C=0.5)
    X = vectors["X"]
    np.testing.assert_array_equal(X, ge.fastrp(split.train_graph(), dim=16, random_state=case,
                                               iteration_weights=(1.0, 1.0)))
    ref = _reference_rows(split, X, scorers, hits_k, C=0.5)
    got = {r["scorer"]: r for r in res.rows}
    assert list(got) == scorers
    for s in scorers:
        assert got[s]["kind"] == ("unsupervised" if s in ("cosine", "dot") else "supervised")
        for key, value in ref[s].items():
            assert got[s][key] == pytest.approx(value, rel=1e-9, abs=1e-12), (s, key)
    # the graph is hard enough to tell decision_function from predict for every operator
    wrong = _reference_rows(split, X, scorers[2:], hits_k, C=0.5, use="predict")
    for s in scorers[2:]:
        assert ref[s]["roc_auc"] < 1.0
        assert wrong[s] != ref[s], s
