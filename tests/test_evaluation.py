"""Node classification protocol: hand-checked cases, references, invariants and bad input."""

import numpy as np
import pytest
import scipy.sparse as sp

from graphembed.embedding import Embedding
from graphembed.evaluation import node_classification, node_split
from graphembed.evaluation.node_classification import (
    as_label_matrix,
    f1_scores,
    top_k_predictions,
)
from graphembed.evaluation.splits import validation_split


def clusters(n_per=20, labels=3, dim=4, seed=0, noise=0.3):
    """Gaussian clusters, one per label; single-label."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(labels, dim)) * 3
    y = np.repeat(np.arange(labels), n_per)
    X = centres[y] + noise * rng.normal(size=(len(y), dim))
    return X, y


def multilabel_data(n=120, labels=5, dim=6, seed=1):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, labels)) < 0.3).astype(np.int8)
    Y[np.arange(n), rng.integers(0, labels, n)] = 1  # every node labelled
    W = rng.normal(size=(labels, dim))
    X = Y @ W + 0.8 * rng.normal(size=(n, dim))
    return X, Y


# ----------------------------------------------------------------------- hand-checked pieces


def test_f1_hand_checked():
    true = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]], bool)
    pred = np.array([[1, 0, 1], [0, 1, 0], [0, 0, 1]], bool)
    # per label: tp = 1, 1, 1; fp = 0, 0, 1; fn = 0, 1, 0
    micro, macro = f1_scores(true, pred)
    assert micro == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))  # 0.75
    assert macro == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)


def test_f1_zero_division_counts_absent_label_as_zero():
    true = np.array([[1, 0], [1, 0]], bool)
    pred = np.array([[1, 0], [1, 0]], bool)
    assert f1_scores(true, pred) == (1.0, 0.5)  # label 1: no true, no predicted -> 0


def test_f1_matches_sklearn_on_random_indicators():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(3)
    for _ in range(30):
        t = rng.random((25, 6)) < 0.3
        p = rng.random((25, 6)) < 0.3
        micro, macro = f1_scores(t, p)
        assert micro == pytest.approx(f1_score(t, p, average="micro", zero_division=0))
        assert macro == pytest.approx(f1_score(t, p, average="macro", zero_division=0))


def test_top_k_predicts_exactly_k_highest():
    rng = np.random.default_rng(0)
    S = rng.normal(size=(50, 7))
    k = rng.integers(1, 5, size=50)
    P = top_k_predictions(S, k)
    assert (P.sum(axis=1) == k).all()
    for i in range(50):  # slow reference: the k largest scores
        expected = set(np.argsort(-S[i])[: k[i]].tolist())
        assert set(np.flatnonzero(P[i]).tolist()) == expected


def test_top_k_ties_and_infinities():
    S = np.array([[1.0, 1.0, -np.inf, np.inf]])
    assert top_k_predictions(S, np.array([2])).tolist() == [[True, False, False, True]]


def test_protocol_known_f1_on_toy_problem():
    # 1-D feature: class 0 at -1, class 1 at +1; "traitor" nodes sit on the other class's side.
    # With a clean majority in training, the classifier predicts sign(x), so test F1 follows
    # from which traitors fall in the test part (computed here by hand from the split).
    n = 40
    y = np.array([0, 1] * (n // 2))
    x = np.where(y == 1, 1.0, -1.0)
    traitors = np.array([3, 8, 17, 22, 31])
    x[traitors] *= -1
    res = node_classification(x[:, None], y, train_ratios=[0.5], repeats=3, C=10.0)
    for r in range(3):
        _, test = node_split(n, 0.5, seed=r)
        pred = (x[test] > 0).astype(int)
        true = y[test]
        acc = np.mean(pred == true)
        f1s = []
        for c in (0, 1):
            tp = np.sum((pred == c) & (true == c))
            fp = np.sum((pred == c) & (true != c))
            fn = np.sum((pred != c) & (true == c))
            f1s.append(2 * tp / (2 * tp + fp + fn))
        assert res.scores[(0.5, "micro_f1")][r] == pytest.approx(acc)
        assert res.scores[(0.5, "macro_f1")][r] == pytest.approx(np.mean(f1s))
    assert res.mean(0.5) < 1.0  # some traitors were tested: the numbers are not trivially 1


def test_split_sizes_and_seeds():
    train, test = node_split(10, 0.35, seed=4)
    assert len(train) == 3 and len(test) == 7
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(10))
    assert np.array_equal(train, np.random.default_rng(4).permutation(10)[:3])
    fit, val = validation_split(train, 0.34, seed=4)
    assert len(val) == 2 and set(fit) | set(val) == set(train) and not set(fit) & set(val)


# ----------------------------------------------------------------------- references


def _reference_scores(X, Y, ratio, seed, C):
    """DeepWalk-style scoring with scikit-learn's OneVsRestClassifier (the usual code)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.multiclass import OneVsRestClassifier

    lab = np.flatnonzero(Y.sum(axis=1) > 0)
    X, Y = X[lab], Y[lab]
    train, test = node_split(len(lab), ratio, seed)
    clf = OneVsRestClassifier(LogisticRegression(C=C, solver="liblinear"))
    clf.fit(X[train], Y[train])
    proba = clf.predict_proba(X[test])
    k = Y[test].sum(axis=1)
    pred = np.zeros_like(Y[test])
    for i in range(len(test)):
        pred[i, np.argsort(-proba[i], kind="stable")[: k[i]]] = 1
    return (f1_score(Y[test], pred, average="micro", zero_division=0),
            f1_score(Y[test], pred, average="macro", zero_division=0))


@pytest.mark.parametrize("seed", [0, 1])
def test_multilabel_matches_one_vs_rest_reference(seed):
    X, Y = multilabel_data(seed=seed)
    res = node_classification(X, sp.csr_array(Y), train_ratios=[0.3, 0.7], repeats=2,
                              random_state=seed, C=0.5)
    for ratio in (0.3, 0.7):
        for r in range(2):
            micro, macro = _reference_scores(X, Y, ratio, seed + r, 0.5)
            assert res.scores[(ratio, "micro_f1")][r] == pytest.approx(micro, abs=1e-9)
            assert res.scores[(ratio, "macro_f1")][r] == pytest.approx(macro, abs=1e-9)
    assert res.params["prediction"].startswith("top-k")


def test_single_label_argmax_matches_reference():
    X, y = clusters(noise=2.5)
    Y = np.eye(3, dtype=np.int8)[y]
    res = node_classification(X, y, train_ratios=[0.2], repeats=3, C=1.0)
    for r in range(3):
        micro, macro = _reference_scores(X, Y, 0.2, r, 1.0)
        assert res.scores[(0.2, "micro_f1")][r] == pytest.approx(micro)
        assert res.scores[(0.2, "macro_f1")][r] == pytest.approx(macro)
    assert res.params["prediction"] == "argmax"
    assert 0.3 < res.mean(0.2) < 1.0


@pytest.mark.filterwarnings("ignore:Label not 2 is present:UserWarning")
@pytest.mark.parametrize("solver", ["batched", "liblinear"])
def test_label_absent_from_training_part_is_never_fitted_but_counted(solver):
    """Label 2 is carried by node 0 alone (a node inside cluster 0). When node 0 is tested, label
    2 had no training node: it is never predicted, and node 0 counts as a miss in Micro-F1 and
    label 2 as F1 = 0 in Macro-F1. When node 0 is in training, the test part has no label 2:
    still counted, as 0, in the macro average over all three labels."""
    X, y = clusters(n_per=10, labels=2)
    y = y.copy()
    y[0] = 2
    res = node_classification(X, y, train_ratios=[0.5], repeats=6, C=1.0, solver=solver)
    assert res.params["labels"] == 3
    Y = np.eye(3, dtype=np.int8)[y]
    tested = []
    for r in range(6):
        _, test = node_split(20, 0.5, seed=r)
        micro = res.scores[(0.5, "micro_f1")][r]
        macro = res.scores[(0.5, "macro_f1")][r]
        # the clean clusters are separated: every other test node is right
        if 0 in test:
            tested.append(r)
            a = int(np.sum(y[test] == 0))  # label-0 test nodes; node 0 is predicted 0 too
            f1_0 = 2 * a / (2 * a + 1)
            assert micro == pytest.approx((len(test) - 1) / len(test))
            assert macro == pytest.approx((f1_0 + 1.0 + 0.0) / 3)
        else:
            assert micro == pytest.approx(1.0)
            assert macro == pytest.approx(2 / 3)
        ref_micro, ref_macro = _reference_scores(X, Y, 0.5, r, 1.0)
        assert (micro, macro) == pytest.approx((ref_micro, ref_macro))
    assert 0 < len(tested) < 6, "both cases must occur"


# ----------------------------------------------------------------------- invariants


def test_unlabelled_nodes_are_excluded():
    X, Y = multilabel_data(n=80)
    res = node_classification(X, Y, train_ratios=[0.5], repeats=2, C=1.0)
    rng = np.random.default_rng(9)
    # insert 30 unlabelled nodes with wild vectors between the labelled ones
    pos = np.sort(rng.choice(110, size=30, replace=False))
    keep = np.setdiff1d(np.arange(110), pos)
    X2 = rng.normal(size=(110, X.shape[1])) * 100
    X2[keep] = X
    Y2 = np.zeros((110, Y.shape[1]), np.int8)
    Y2[keep] = Y
    res2 = node_classification(X2, Y2, train_ratios=[0.5], repeats=2, C=1.0)
    assert res2.scores == res.scores
    assert res2.params["labelled_nodes"] == 80 and res2.params["nodes"] == 110


def test_label_forms_agree():
    X, Y = multilabel_data(n=60)
    Y[5] = 0  # one unlabelled node
    ids = np.arange(100, 160)
    lists = [list(np.flatnonzero(row)) for row in Y]
    as_dict = {int(i): l for i, l in zip(ids, lists) if l}
    kw = dict(train_ratios=[0.5], repeats=2, C=1.0)
    a = node_classification(X, sp.csr_array(Y), **kw).scores
    b = node_classification(X, lists, **kw).scores
    c = node_classification(Embedding(ids, X), as_dict, **kw).scores
    d = node_classification(X, Y, **kw).scores
    assert a == b == c == d
    y1 = np.array([0, 1, None, 2, 1, 0] * 10, dtype=object)
    Yi, names = as_label_matrix(y1, 60)
    assert Yi.shape == (60, 3) and np.diff(Yi.indptr).tolist()[:3] == [1, 1, 0]
    Yn, _ = as_label_matrix(np.array([0, -1, 2] * 20), 60)
    assert np.diff(Yn.indptr).tolist()[:3] == [1, 0, 1]


def test_same_seed_same_numbers_any_jobs():
    X, Y = multilabel_data()
    kw = dict(train_ratios=[0.2, 0.6], repeats=3, random_state=5, C=1.0)
    a = node_classification(X, Y, n_jobs=1, **kw)
    b = node_classification(X, Y, n_jobs=2, **kw)
    c = node_classification(X, Y, n_jobs=1, **kw)
    assert a.scores == b.scores == c.scores
    assert a.params["seeds"] == [5, 6, 7]
    d = node_classification(X, Y, n_jobs=1, **{**kw, "random_state": 6})
    # repeat r of seed 5 is repeat r-1 of seed 6: the same split, the same number
    assert d.scores[(0.2, "micro_f1")][:2] == a.scores[(0.2, "micro_f1")][1:]
    assert d.scores != a.scores


def test_normalisation_options():
    X, Y = multilabel_data()
    kw = dict(train_ratios=[0.5], repeats=2, C=1.0)
    l2 = X / np.linalg.norm(X, axis=1, keepdims=True)
    a = node_classification(X, Y, normalize="l2", **kw)
    b = node_classification(l2, Y, **kw)
    for key in a.scores:
        assert a.scores[key] == pytest.approx(b.scores[key], abs=1e-6)
    st = (X - X.mean(0)) / X.std(0)
    a = node_classification(X * 7 + 3, Y, normalize="standardize", **kw)
    b = node_classification(st, Y, **kw)
    for key in a.scores:
        assert a.scores[key] == pytest.approx(b.scores[key], abs=1e-6)
    assert a.params["normalize"] == "standardize"


def test_validation_mode_never_reads_the_test_part():
    X, Y = multilabel_data(n=100)
    kw = dict(train_ratios=[0.6], repeats=1, random_state=3, C=1.0, validation=True)
    a = node_classification(X, Y, **kw)
    _, test = node_split(100, 0.6, seed=3)
    rng = np.random.default_rng(0)
    X2, Y2 = X.copy(), Y.copy()
    X2[test] = rng.normal(size=(len(test), X.shape[1])) * 50
    Y2[test] = 0
    Y2[test, 0] = 1  # the test nodes keep a label (so the labelled set is unchanged)
    b = node_classification(X2, Y2, **kw)
    assert a.scores == b.scores
    assert a.params["protocol"] == "validation"
    # whereas the test protocol does read them
    t1 = node_classification(X, Y, **{**kw, "validation": False})
    t2 = node_classification(X2, Y2, **{**kw, "validation": False})
    assert t1.scores != t2.scores


def test_result_rows_and_table():
    X, y = clusters()
    res = node_classification(X, y, train_ratios=[0.3, 0.5], repeats=2, method="m")
    rows = res.rows()
    assert len(rows) == 4 and {r["metric"] for r in rows} == {"micro_f1", "macro_f1"}
    assert all(r["repeats"] == 2 and r["method"] == "m" for r in rows)
    assert "0.30" in res.table() and res.params["scikit-learn"]


# ----------------------------------------------------------------------- bad input


def test_embedding_rows_must_match_labels():
    X, y = clusters()
    with pytest.raises(ValueError, match="labels has 59 entries but the embedding has 60"):
        node_classification(X, y[:-1])
    with pytest.raises(ValueError, match="labels has 61 rows but the embedding has 60"):
        node_classification(X, sp.csr_array(np.zeros((61, 3))))


def test_labels_for_unknown_nodes():
    X, _ = clusters()
    emb = Embedding(np.arange(60), X)
    with pytest.raises(ValueError, match="node 999, which is not in the embedding"):
        node_classification(emb, {0: "a", 999: "b"})
    with pytest.raises(ValueError, match="need node ids"):
        node_classification(X, {0: "a"})


@pytest.mark.parametrize("ratio", [0.0, 1.0, 1.5, -0.1])
def test_ratio_outside_unit_interval(ratio):
    X, y = clusters()
    with pytest.raises(ValueError, match=r"train_ratios must be strictly between 0 and 1"):
        node_classification(X, y, train_ratios=[0.5, ratio])


def test_ratio_leaving_an_empty_part():
    X, y = clusters(n_per=3)
    with pytest.raises(ValueError, match="leaves 0 training"):
        node_classification(X, y, train_ratios=[0.01])


def test_nan_in_embedding():
    X, y = clusters()
    X[7, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite values .first in row 7"):
        node_classification(X, y)


def test_other_bad_parameters():
    X, y = clusters()
    with pytest.raises(ValueError, match="repeats must be an integer >= 1"):
        node_classification(X, y, repeats=0)
    with pytest.raises(ValueError, match="normalize must be one of"):
        node_classification(X, y, normalize="max")
    with pytest.raises(ValueError, match="C must be > 0"):
        node_classification(X, y, C=0.0)
    with pytest.raises(ValueError, match="no node has a label"):
        node_classification(X, [None] * 60)
    with pytest.raises(ValueError, match="2-D"):
        node_classification(X[:, 0], y)


# ----------------------------------------------------------------------- tuner


def test_tune_chooses_on_validation_only():
    from graphembed.evaluation import tune

    X, Y = multilabel_data(n=100)
    noise = np.random.default_rng(1).normal(size=X.shape)

    def embed(graph, mix):
        return (1 - mix) * X + mix * noise * 3

    space = {"mix": [0.0, 0.5, 1.0]}
    kw = dict(train_ratio=0.6, repeats=2, random_state=0, C=1.0)
    a = tune(None, Y, embed, space, **kw)
    assert a.best_params == {"mix": 0.0}
    assert [t["params"]["mix"] for t in a.trials] == [0.0, 0.5, 1.0]
    # scrambling the labels of nodes that are test nodes in every repeat changes no score
    # (a node tested in one repeat may train in another, so only those are never read)
    tested = np.intersect1d(node_split(100, 0.6, seed=0)[1], node_split(100, 0.6, seed=1)[1])
    assert len(tested) > 5
    Y2 = Y.copy()
    Y2[tested] = 0
    Y2[tested, -1] = 1
    b = tune(None, Y2, embed, space, **kw)
    assert [t["validation_values"] for t in a.trials] == [t["validation_values"] for t in b.trials]
    # the nested estimate looks at each repeat's test part once, after the choice
    c = tune(None, Y, embed, space, test=True, **kw)
    assert c.nested["chosen"] == [{"mix": 0.0}, {"mix": 0.0}]
    direct = node_classification(X, Y, train_ratios=[0.6], repeats=2, C=1.0)
    assert c.nested["values"] == pytest.approx(direct.scores[(0.6, "micro_f1")])


def test_tune_budget_draws_a_seeded_subset():
    from graphembed.evaluation import tune

    X, y = clusters()
    space = {"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, 2.0, 3.0]}

    def embed(graph, a, b):
        return X * a + b

    r1 = tune(None, y, embed, space, budget=5, repeats=1)
    r2 = tune(None, y, embed, space, budget=5, repeats=1)
    assert len(r1.trials) == 5 and [t["params"] for t in r1.trials] == [t["params"] for t in r2.trials]
    with pytest.raises(ValueError, match="space must be a non-empty dict"):
        tune(None, y, embed, {})
    with pytest.raises(ValueError, match="train_ratio must be strictly between 0 and 1"):
        tune(None, y, embed, space, train_ratio=1.0)


# ----------------------------------------------------------------------- degree baseline


def test_degree_baseline_is_a_function_of_degree_only():
    import networkx as nx

    from graphembed.evaluation.baselines import degree_embedding
    from graphembed.methods import embed

    G = nx.barabasi_albert_graph(60, 2, seed=0)
    X = degree_embedding(G, dim=6)
    deg = np.array([d for _, d in G.degree])
    assert X.dtype == np.float32 and X.shape == (60, 6)
    assert (X[:, 1:].sum(axis=1) == 1).all()
    for d in np.unique(deg):  # equal degree, equal row
        rows = X[deg == d]
        assert (rows == rows[0]).all()
    # buckets are ordered by degree
    bucket = X[:, 1:].argmax(axis=1)
    assert (np.diff(bucket[np.argsort(deg, kind="stable")]) >= 0).all()
    e = embed(G, "degree", dim=6)
    assert np.array_equal(e.vectors, X) and e.meta["method"] == "degree"
    with pytest.raises(ValueError, match="dim must be an integer >= 1"):
        degree_embedding(G, dim=0)


def test_l1_penalty_fits_an_l1_model_without_deprecation_warnings():
    """penalty='l1' with a scikit-learn solver must fit the L1 problem (sparse coefficients),
    through whichever argument the installed scikit-learn takes, and warn about nothing."""
    import warnings

    from graphembed.evaluation.node_classification import _fit_one

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 30))
    y = (X[:, 0] + rng.normal(size=200) > 0).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w1, _ = _fit_one(X, y, 0.1, "l1", "liblinear", 1000, 0)
        w2, _ = _fit_one(X, y, 0.1, "l2", "liblinear", 1000, 0)
    assert np.count_nonzero(w1 == 0) >= 20 and abs(w1[0]) > 0.1  # one informative feature
    assert np.count_nonzero(w2 == 0) == 0
