"""Link prediction: hold out edges, embed the residual graph, rank held-out edges above non-edges.

The split (see :func:`graphembed.evaluation.splits.edge_split`) keeps a spanning forest in the
residual graph; the embedding is computed on the residual graph only. Pairs are then scored

* without training, by the ``cosine`` or ``dot`` product of the two node vectors;
* with training (node2vec / EvalNE): an edge feature by an operator — ``average`` (a+b)/2,
  ``hadamard`` a·b, ``l1`` |a−b|, ``l2`` (a−b)² — then a logistic regression fitted on the
  training positives (the residual edges) and training negatives, scored on the test pairs;
* by the neighbourhood heuristics on the residual graph: common neighbours, Adamic–Adar,
  preferential attachment and Jaccard.

Every scorer reports ROC-AUC, average precision, Hits@K and MRR on the same test pairs.
Hits@K: the share of test positives scored strictly above the K-th best test negative (1 when
there are fewer than K negatives). MRR: the mean over test positives of 1 / rank among all test
negatives, a tie counting half (rank = 1 + #{neg > pos} + #{neg = pos} / 2).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_float, check_int
from ..graph import CSRGraph, as_csr
from .splits import EdgeSplit, edge_split

__all__ = ["link_prediction", "LinkPredictionResult", "heuristic_scores", "ranking_metrics",
           "edge_features", "SCORERS", "OPERATORS", "HEURISTICS"]

UNSUPERVISED = ("cosine", "dot")
OPERATORS = ("hadamard", "average", "l1", "l2")
SCORERS = UNSUPERVISED + OPERATORS
HEURISTICS = ("common_neighbours", "adamic_adar", "preferential_attachment", "jaccard")


def edge_features(X, pairs, operator):
    """Edge features of ``pairs`` (k × 2 row indices) by a binary operator on node vectors.

    >>> edge_features(np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[0, 1]]), "l1")
    array([[2., 3.]])
    """
    a, b = X[pairs[:, 0]], X[pairs[:, 1]]
    if operator == "hadamard":
        return a * b
    if operator == "average":
        return (a + b) / 2
    if operator == "l1":
        return np.abs(a - b)
    if operator == "l2":
        return (a - b) ** 2
    raise ValueError(f"operator must be one of {', '.join(OPERATORS)}, got {operator!r}")


def _pair_scores(X, pairs, scorer, chunk=65536):
    """Cosine or dot product of each pair, in float64, a chunk of pairs at a time."""
    out = np.empty(len(pairs), dtype=np.float64)
    for start in range(0, len(pairs), chunk):
        p = pairs[start:start + chunk]
        a = X[p[:, 0]].astype(np.float64)
        b = X[p[:, 1]].astype(np.float64)
        dots = np.einsum("ij,ij->i", a, b)
        if scorer == "cosine":
            norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
            dots = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        out[start:start + chunk] = dots
    return out


def heuristic_scores(graph, pairs):
    """Neighbourhood heuristics of ``pairs`` (k × 2 row indices) on ``graph``.

    Returns a dict name → float64 array: ``common_neighbours`` |N(u) ∩ N(v)|, ``adamic_adar``
    Σ 1/log deg(w) over common neighbours w, ``preferential_attachment`` deg(u)·deg(v) and
    ``jaccard`` |N(u) ∩ N(v)| / |N(u) ∪ N(v)| (0 when both are isolated). Edge weights are
    ignored; the graph is taken as undirected. Time O(Σ (deg u + deg v)), memory O(k).

    >>> import networkx as nx
    >>> s = heuristic_scores(nx.path_graph(3), np.array([[0, 2]]))
    >>> s["common_neighbours"].tolist(), s["jaccard"].tolist()
    ([1.0], [1.0])
    """
    from .._kernels.heuristics import common_neighbour_scores, inverse_log_degree

    g = graph if isinstance(graph, CSRGraph) else as_csr(graph)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    us = np.ascontiguousarray(pairs[:, 0])
    vs = np.ascontiguousarray(pairs[:, 1])
    cn = np.zeros(len(pairs), dtype=np.int64)
    aa = np.zeros(len(pairs), dtype=np.float64)
    common_neighbour_scores(g.indptr, g.indices, inverse_log_degree(g.indptr), us, vs, cn, aa)
    deg = np.diff(g.indptr).astype(np.float64)
    union = deg[us] + deg[vs] - cn
    cn = cn.astype(np.float64)
    return {
        "common_neighbours": cn,
        "adamic_adar": aa,
        "preferential_attachment": deg[us] * deg[vs],
        "jaccard": np.divide(cn, union, out=np.zeros_like(cn), where=union > 0),
    }


def ranking_metrics(pos_scores, neg_scores, hits_k=(10, 50, 100)):
    """ROC-AUC, average precision, Hits@K and MRR of positive vs negative scores.

    >>> m = ranking_metrics(np.array([3.0, 1.0]), np.array([2.0, 0.0]), hits_k=(1,))
    >>> m["roc_auc"], m["hits@1"], m["mrr"]
    (0.75, 0.5, 0.75)
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    pos = np.asarray(pos_scores, dtype=np.float64)
    neg = np.asarray(neg_scores, dtype=np.float64)
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    s = np.concatenate([pos, neg])
    out = {"roc_auc": float(roc_auc_score(y, s)),
           "average_precision": float(average_precision_score(y, s))}
    neg_sorted = np.sort(neg)
    for k in hits_k:
        if len(neg) < k:
            out[f"hits@{k}"] = 1.0
        else:
            kth = neg_sorted[len(neg) - k]
            out[f"hits@{k}"] = float(np.mean(pos > kth))
    above = len(neg) - np.searchsorted(neg_sorted, pos, side="right")
    at_or_above = len(neg) - np.searchsorted(neg_sorted, pos, side="left")
    rank = 1.0 + (above + at_or_above) / 2.0
    out["mrr"] = float(np.mean(1.0 / rank))
    return out


@dataclass
class LinkPredictionResult:
    """Rows of scores (one per scorer and heuristic) with the split and the timings."""

    rows: list
    split: dict
    embed_seconds: float | None
    scoring_seconds: float
    params: dict = field(default_factory=dict)
    method: str = "embedding"

    def table(self):
        keys = [k for k in self.rows[0] if k not in ("method", "scorer", "kind")] if self.rows else []
        head = f"{'method':<12}{'scorer':<26}" + "".join(f"{k:>19}" for k in keys)
        lines = [head]
        for row in self.rows:
            lines.append(f"{row['method']:<12}{row['scorer']:<26}"
                         + "".join(f"{row[k]:>19.4f}" for k in keys))
        return "\n".join(lines)

    def __repr__(self):
        return self.table()


def _as_vectors(out, n):
    from ..embedding import Embedding
    from .node_classification import as_feature_matrix

    if isinstance(out, Embedding):
        out = out.vectors
    X, _ = as_feature_matrix(out, "the embedding returned by embed")
    if X.shape[0] != n:
        raise ValueError(
            f"embed returned {X.shape[0]} rows for a residual graph of {n} nodes; it must "
            "return one row per node, in the graph's order"
        )
    return np.asarray(X, dtype=np.float32)


def link_prediction(
    graph,
    embed=None,
    *,
    test_fraction=0.5,
    random_state=0,
    scorer=("cosine", "hadamard"),
    heuristics=True,
    split=None,
    hits_k=(10, 50, 100),
    C=1.0,
    max_iter=1000,
    method="embedding",
) -> LinkPredictionResult:
    """Score link prediction for an embedding method and the neighbourhood heuristics.

    Parameters
    ----------
    graph
        Anything :func:`graphembed.as_csr` accepts (taken as undirected).
    embed : callable or None
        ``embed(residual_graph) -> (n, dim) array or Embedding``, rows in the residual graph's
        order (the input graph's order). It never sees a test edge. None scores the heuristics only.
    test_fraction, random_state
        Passed to :func:`~graphembed.evaluation.splits.edge_split` (ignored if ``split`` given).
    scorer : str or sequence of str
        Any of ``cosine``, ``dot`` (unsupervised) and ``hadamard``, ``average``, ``l1``, ``l2``
        (edge operator + logistic regression); one embedding serves all of them.
    heuristics : bool
        Also score common neighbours, Adamic–Adar, preferential attachment and Jaccard.
    split : EdgeSplit or None
        A split made earlier (e.g. :meth:`EdgeSplit.load`); checked against ``graph``.
    hits_k : sequence of int
    C, max_iter
        Of the logistic regression (lbfgs, on standardised edge features).

    Returns
    -------
    LinkPredictionResult
        ``rows``: method, scorer, kind, roc_auc, average_precision, hits@K…, mrr;
        ``embed_seconds`` (embedding only) apart from ``scoring_seconds``.

    Cost: the split, one embedding of the residual graph, O(m · dim) per scorer for features
    plus the logistic-regression fit, O(Σ deg) for the heuristics; memory O(m · dim) float32 for
    the edge features of one operator (about 8 · m · dim bytes with the scaled copy).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.connected_caveman_graph(6, 6)
    >>> res = link_prediction(G, None, test_fraction=0.2, heuristics=True)
    >>> [r["scorer"] for r in res.rows][:2]
    ['common_neighbours', 'adamic_adar']
    """
    scorers = [scorer] if isinstance(scorer, str) else list(scorer)
    for s in scorers:
        if s not in SCORERS:
            raise ValueError(f"scorer must be one of {', '.join(SCORERS)}, got {s!r}")
    hits_k = tuple(check_int("hits_k", k, minimum=1) for k in hits_k)
    C = check_float("C", C, minimum=0.0, strict_min=True)
    g = graph if isinstance(graph, CSRGraph) else as_csr(graph)
    if split is None:
        split = edge_split(g, test_fraction=test_fraction, random_state=random_state)
    else:
        if not isinstance(split, EdgeSplit):
            raise TypeError(f"split must be an EdgeSplit, got {type(split).__name__}")
        split.check_graph(g)
    residual = split.train_graph()
    test_pairs = np.concatenate([split.test_pos, split.test_neg])
    n_pos = len(split.test_pos)
    rows = []
    embed_seconds = None
    t_score = 0.0

    def add(kind, name, scores, label):
        rows.append({"method": label, "scorer": name, "kind": kind,
                     **ranking_metrics(scores[:n_pos], scores[n_pos:], hits_k)})

    if heuristics:
        t0 = time.perf_counter()
        for name, values in heuristic_scores(residual, test_pairs).items():
            add("heuristic", name, values, "heuristic")
        t_score += time.perf_counter() - t0

    if embed is not None and scorers:
        t0 = time.perf_counter()
        X = _as_vectors(embed(residual), residual.n)
        embed_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        train_pairs = np.concatenate([split.train_edges, split.train_neg])
        y_train = np.concatenate([np.ones(len(split.train_edges)), np.zeros(len(split.train_neg))])
        for s in scorers:
            if s in UNSUPERVISED:
                add("unsupervised", s, _pair_scores(X, test_pairs, s), method)
                continue
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            clf = make_pipeline(StandardScaler(),
                                LogisticRegression(C=C, max_iter=max_iter, random_state=0))
            clf.fit(edge_features(X, train_pairs, s), y_train)
            add("supervised", s, clf.decision_function(edge_features(X, test_pairs, s)), method)
        t_score += time.perf_counter() - t0

    import sklearn

    params = {"test_fraction": split.test_fraction, "random_state": split.random_state,
              "scorers": scorers, "heuristics": bool(heuristics), "hits_k": list(hits_k),
              "C": C, "max_iter": max_iter, "classifier": "StandardScaler + LogisticRegression "
              "(lbfgs) on edge features", "scikit-learn": sklearn.__version__}
    return LinkPredictionResult(rows, split.summary(), embed_seconds, t_score, params, method)
