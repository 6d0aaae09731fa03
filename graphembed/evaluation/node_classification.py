"""Node classification, scored as DeepWalk, node2vec and FastRP score it.

For each training ratio and each of ``repeats`` seeded shuffles of the *labelled* nodes, a
one-vs-rest L2 logistic regression is fitted on the first ``floor(ratio * n)`` nodes and predicts
the rest: for a test node with k true labels, its k highest-scoring labels (single-label data:
the argmax). Micro- and Macro-F1 are computed against the full label list with
``zero_division=0`` and reported as mean ± std over the repeats.

The classifier is scikit-learn's ``LogisticRegression(solver="liblinear", C=C)`` per label, or
the same optimum reached faster:

* ``solver="batched"`` (default): all labels of a training part solved together as one matrix
  problem (truncated Newton, :mod:`graphembed.evaluation._logreg`), to a 100× tighter tolerance
  than scikit-learn gives liblinear. Splits run on ``n_jobs`` threads with single-threaded BLAS
  each (so the bytes do not depend on ``n_jobs``; fewer splits than threads leave threads idle).
* ``solver="liblinear"`` (and scikit-learn's other solvers): one scikit-learn fit per label, on
  ``n_jobs`` threads (liblinear releases the GIL, so threads share the features instead of
  copying them to worker processes). For exact reproduction of earlier results.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .._validation import check_choice, check_float, check_int, check_seed
from .splits import check_ratio, node_split, validation_split

__all__ = ["node_classification", "NodeClassificationResult", "as_label_matrix",
           "as_feature_matrix", "f1_scores", "top_k_predictions", "DEFAULT_RATIOS"]

DEFAULT_RATIOS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
NORMALIZATIONS = ("none", "l2", "standardize")
#: ``solver=`` values: graphembed's batched solver, then scikit-learn's LogisticRegression solvers.
SOLVERS = ("batched", "liblinear", "lbfgs", "newton-cg", "newton-cholesky", "sag", "saga")
#: Tolerance each solver gets when ``tol=None`` (scikit-learn's default for its own solvers).
DEFAULT_TOLS = {"batched": 1e-6}
SKLEARN_TOL = 1e-4


# --------------------------------------------------------------------------- inputs


def as_feature_matrix(embedding, name="embedding"):
    """``(vectors, node_ids or None)`` from an ndarray or an :class:`~graphembed.Embedding`.

    Raises ValueError for a non-2-D array, an empty one or non-finite values (naming the row).
    """
    from ..embedding import Embedding

    node_ids = None
    if isinstance(embedding, Embedding):
        node_ids, X = embedding.node_ids, embedding.vectors
    else:
        X = np.asarray(embedding)
    if X.dtype.kind not in "iuf" or X.dtype == np.bool_:
        raise TypeError(f"{name} must hold numbers, got dtype {X.dtype}")
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (nodes × dim), got shape {X.shape}")
    finite = np.isfinite(X).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise ValueError(
            f"{name} has NaN or infinite values (first in row {row}); fix the embedding "
            "before scoring it"
        )
    return X, node_ids


def as_label_matrix(labels, n, node_ids=None):
    """Labels in any accepted form → ``(indicator (n × L) CSR int8, label_names)``.

    Accepted forms:

    * a scipy sparse or dense 2-D 0/1 array (n × L), row i for node i;
    * a 1-D array of one label per node; ``None``/NaN, or a negative integer in an integer
      array, marks an unlabelled node;
    * a list of n label collections (list, tuple, set; empty or ``None`` for unlabelled);
    * a dict ``{node_id: label or collection of labels}`` (needs the node ids, e.g. from an
      :class:`~graphembed.Embedding`); nodes missing from the dict are unlabelled.

    Raises ValueError when the number of rows differs from ``n`` or a dict names an unknown node.
    Time and memory O(n + number of (node, label) pairs).
    """
    if sp.issparse(labels) or (isinstance(labels, np.ndarray) and labels.ndim == 2):
        Y = sp.csr_array(labels)
        if Y.shape[0] != n:
            raise ValueError(
                f"labels has {Y.shape[0]} rows but the embedding has {n}; row i of the label "
                "matrix must belong to row i of the embedding"
            )
        Y = sp.csr_array((Y != 0).astype(np.int8))
        Y.eliminate_zeros()
        return Y, np.arange(Y.shape[1])
    if isinstance(labels, dict):
        if node_ids is None:
            raise ValueError(
                "labels given as a dict {node_id: labels} need node ids: pass an Embedding "
                "(or node_ids=...) rather than a bare array"
            )
        index = {v: i for i, v in enumerate(np.asarray(node_ids).tolist())}
        per_row = [None] * n
        for node, labs in labels.items():
            key = node.item() if isinstance(node, np.generic) else node
            if key not in index:
                raise ValueError(
                    f"labels given for node {node!r}, which is not in the embedding; drop it or "
                    "embed a graph that contains it"
                )
            per_row[index[key]] = labs
        return _from_rows(per_row, n, nested=None)
    if isinstance(labels, np.ndarray) and labels.ndim == 1:
        if len(labels) != n:
            raise ValueError(
                f"labels has {len(labels)} entries but the embedding has {n} rows; give one "
                "label (or None for unlabelled) per node"
            )
        if labels.dtype.kind in "iu":
            return _from_rows([int(x) if x >= 0 else None for x in labels], n, nested=False)
        return _from_rows(labels.tolist(), n, nested=False)
    if isinstance(labels, (list, tuple)):
        if len(labels) != n:
            raise ValueError(
                f"labels has {len(labels)} entries but the embedding has {n} rows; give one "
                "entry (a label, a list of labels, or None) per node"
            )
        return _from_rows(list(labels), n, nested=None)
    raise TypeError(
        "labels must be a sparse or dense (n × L) indicator matrix, a 1-D label array, a list "
        f"of label lists or a dict {{node_id: labels}}, got {type(labels).__name__}"
    )


def _is_missing(x):
    return x is None or (isinstance(x, float) and math.isnan(x))


def _from_rows(rows, n, nested):
    pairs_row, pairs_label = [], []
    for i, entry in enumerate(rows):
        if _is_missing(entry):
            continue
        many = isinstance(entry, (list, tuple, set, frozenset, np.ndarray)) if nested is None \
            else nested
        for lab in (entry if many else [entry]):
            if _is_missing(lab):
                continue
            pairs_row.append(i)
            pairs_label.append(lab.item() if isinstance(lab, np.generic) else lab)
    if not pairs_label:
        raise ValueError("labels: no node has a label; nothing to classify")
    try:
        values = np.array(pairs_label)
        names, cols = np.unique(values, return_inverse=True)
    except TypeError:
        values = np.array([str(v) for v in pairs_label])
        names, cols = np.unique(values, return_inverse=True)
    Y = sp.csr_array((np.ones(len(cols), np.int8), (np.array(pairs_row), cols.ravel())),
                     shape=(n, len(names)))
    Y.sum_duplicates()
    Y.data[:] = 1
    return Y, names


def _normalize(X, how):
    X = np.asarray(X, dtype=np.float64)
    if how == "l2":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        return X / np.where(norms > 0, norms, 1.0)
    if how == "standardize":
        std = X.std(axis=0)
        return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return X


# --------------------------------------------------------------------------- scoring pieces


def top_k_predictions(scores, k):
    """Indicator of each row's ``k[i]`` highest scores (ties: lower label index first).

    >>> top_k_predictions(np.array([[0.1, 0.9, 0.5], [3.0, 1.0, 2.0]]), np.array([2, 1]))
    array([[False,  True,  True],
           [ True, False, False]])
    """
    scores = np.asarray(scores)
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(scores.shape[1])[None, :]
    return ranks < np.asarray(k)[:, None]


def f1_scores(Y_true, Y_pred):
    """(Micro-F1, Macro-F1) of two boolean indicator arrays over all their columns.

    A label with no true and no predicted node scores 0 in the macro average (scikit-learn's
    ``zero_division=0``).

    >>> f1_scores(np.array([[1, 0], [0, 1]], bool), np.array([[1, 0], [1, 0]], bool))
    (0.5, 0.3333333333333333)
    """
    Y_true = np.asarray(Y_true, dtype=bool)
    Y_pred = np.asarray(Y_pred, dtype=bool)
    tp = (Y_true & Y_pred).sum(axis=0).astype(np.float64)
    fp = (~Y_true & Y_pred).sum(axis=0).astype(np.float64)
    fn = (Y_true & ~Y_pred).sum(axis=0).astype(np.float64)
    denom = 2 * tp.sum() + fp.sum() + fn.sum()
    micro = 2 * tp.sum() / denom if denom > 0 else 0.0
    d = 2 * tp + fp + fn
    per_label = np.divide(2 * tp, d, out=np.zeros_like(tp), where=d > 0)
    return float(micro), float(per_label.mean()) if len(per_label) else 0.0


def _fit_one(X_fit, y, C, penalty, solver, max_iter, seed, tol=SKLEARN_TOL):
    """Coefficients and intercept of one binary logistic regression (constant y handled)."""
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        # scikit-learn cannot fit one class; the label's score is then a constant
        return np.zeros(X_fit.shape[1]), (np.inf if positives else -np.inf)
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, solver=solver, max_iter=max_iter, random_state=seed, tol=tol,
                             **_penalty_kwargs(penalty))
    clf.fit(X_fit, y)
    return clf.coef_[0], float(clf.intercept_[0])


def _penalty_kwargs(penalty):
    """LogisticRegression's arguments for ``penalty``: from scikit-learn 1.8 on, an L1 penalty is
    ``l1_ratio=1`` (``penalty=`` is deprecated there, removed in 1.10); before, ``penalty``."""
    if penalty == "l2":
        return {}  # the default in every version
    import sklearn

    version = tuple(int(x) for x in sklearn.__version__.split(".")[:2])
    if penalty == "l1" and version >= (1, 8):
        return {"l1_ratio": 1.0}
    return {"penalty": penalty}


def _split_scores(X_test, W, intercepts, Y_test, k):
    """(Micro-F1, Macro-F1) of top-k prediction from linear scores (±inf intercept = constant)."""
    with np.errstate(invalid="ignore"):
        S = X_test @ W + intercepts[None, :]
    S = np.where(np.isposinf(intercepts)[None, :], np.inf, S)
    S = np.where(np.isneginf(intercepts)[None, :], -np.inf, S)
    return f1_scores(Y_test, top_k_predictions(S, k))


def _thread_plan(n_jobs, n_splits):
    """(split workers, BLAS threads per worker) for ``n_jobs`` threads in all.

    BLAS stays single-threaded: a BLAS product's bytes can change with its thread count, and
    the scores must not (same seed, same bytes, whatever ``n_jobs``)."""
    from joblib import effective_n_jobs

    total = max(1, effective_n_jobs(1 if n_jobs is None else n_jobs))
    return max(1, min(total, n_splits)), 1


def _run_per_label(Xl, Yl, k_true, splits, scores, C, penalty, solver, max_iter, tol, n_jobs,
                   progress, method):
    """Score every split with one scikit-learn fit per label; append to ``scores``."""
    L = Yl.shape[1]
    fits = [(s, j) for s in range(len(splits)) for j in range(L)]

    def tasks():
        current = None
        for s, j in fits:
            if current is None or current[0] != s:
                train = splits[s][3]
                current = (s, np.ascontiguousarray(Xl[train]), Yl[train])
            _, X_fit, Y_fit = current
            yield s, j, X_fit, Y_fit[:, j]

    from joblib import Parallel, delayed

    def run(s, j, X_fit, y):
        return s, j, _fit_one(X_fit, y.astype(np.int64), C, penalty, solver, max_iter,
                              splits[s][2], tol)

    parallel = Parallel(n_jobs=n_jobs, backend="threading", return_as="generator")
    results = parallel(delayed(run)(*t) for t in tasks())
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(fits), desc=f"{method}: fits", unit="fit", leave=False)
    coefs = {}
    pending = {s: L for s in range(len(splits))}
    for s, j, (w, b) in results:
        coefs.setdefault(s, [None] * L)[j] = (w, b)
        pending[s] -= 1
        if bar is not None:
            bar.update(1)
        if pending[s] == 0:
            ratio, _, _, _, test = splits[s]
            W = np.stack([c[0] for c in coefs[s]], axis=1)
            intercepts = np.array([c[1] for c in coefs[s]])
            micro, macro = _split_scores(Xl[test], W, intercepts, Yl[test], k_true[test])
            scores[(ratio, "micro_f1")].append(micro)
            scores[(ratio, "macro_f1")].append(macro)
            del coefs[s]
    if bar is not None:
        bar.close()


def _run_batched(Xl, Yl, k_true, splits, scores, C, tol, max_iter, n_jobs, progress, method):
    """Score every split with the batched solver; append to ``scores`` in split order."""
    from joblib import Parallel, delayed
    from threadpoolctl import threadpool_limits

    from ._logreg import fit_ovr_logreg

    workers, blas = _thread_plan(n_jobs, len(splits))

    def run(s):
        _, _, _, train, test = splits[s]
        W, b, info = fit_ovr_logreg(Xl[train], Yl[train], C, tol=tol, max_iter=max_iter)
        micro, macro = _split_scores(Xl[test], W, b, Yl[test], k_true[test])
        return s, micro, macro, int(info["newton_steps"].max()), \
            float(info["gradient_norm"].max())

    # largest training parts first, so that the threads finish together
    order = sorted(range(len(splits)), key=lambda s: -len(splits[s][3]))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(splits), desc=f"{method}: splits", unit="split", leave=False)
    done = {}
    with threadpool_limits(limits=blas, user_api="blas"):
        parallel = Parallel(n_jobs=workers, backend="threading", return_as="generator_unordered")
        for s, micro, macro, steps, gmax in parallel(delayed(run)(s) for s in order):
            done[s] = (micro, macro, steps, gmax)
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    for s, (ratio, *_rest) in enumerate(splits):
        scores[(ratio, "micro_f1")].append(done[s][0])
        scores[(ratio, "macro_f1")].append(done[s][1])
    return {"split_threads": workers, "blas_threads": blas,
            "newton_steps_max": max(v[2] for v in done.values()),
            "gradient_norm_max": max(v[3] for v in done.values())}


# --------------------------------------------------------------------------- result


@dataclass
class NodeClassificationResult:
    """Scores of one embedding: ``scores[(ratio, metric)]`` holds one value per repeat.

    ``metric`` is ``"micro_f1"`` or ``"macro_f1"``. ``params`` records every setting of the
    protocol (with the scikit-learn version); ``seconds`` is the scoring time.
    """

    scores: dict
    params: dict
    seconds: float
    method: str = "embedding"
    extra: dict = field(default_factory=dict)

    @property
    def ratios(self):
        return sorted({r for r, _ in self.scores})

    def mean(self, ratio, metric="micro_f1"):
        return float(np.mean(self.scores[(ratio, metric)]))

    def std(self, ratio, metric="micro_f1"):
        return float(np.std(self.scores[(ratio, metric)]))

    def rows(self):
        """One dict per ratio × metric: method, ratio, metric, mean, std, repeats, values."""
        out = []
        for ratio in self.ratios:
            for metric in ("micro_f1", "macro_f1"):
                vals = self.scores[(ratio, metric)]
                out.append({"method": self.method, "ratio": ratio, "metric": metric,
                            "mean": float(np.mean(vals)), "std": float(np.std(vals)),
                            "repeats": len(vals), "values": [float(v) for v in vals]})
        return out

    def table(self):
        """A printable table: one line per ratio with Micro/Macro-F1 mean ± std."""
        lines = [f"{'ratio':>6}  {'Micro-F1':>15}  {'Macro-F1':>15}  ({self.method})"]
        for r in self.ratios:
            lines.append(
                f"{r:>6.2f}  {self.mean(r):.4f} ± {self.std(r):.4f}  "
                f"{self.mean(r, 'macro_f1'):.4f} ± {self.std(r, 'macro_f1'):.4f}"
            )
        return "\n".join(lines)

    def __repr__(self):
        return self.table()


# --------------------------------------------------------------------------- protocol


def node_classification(
    embedding,
    labels,
    *,
    train_ratios=DEFAULT_RATIOS,
    repeats=10,
    random_state=0,
    C=1.0,
    normalize="none",
    n_jobs=None,
    solver="batched",
    penalty="l2",
    max_iter=100,
    tol=None,
    validation=False,
    validation_fraction=0.2,
    node_ids=None,
    progress=False,
    method="embedding",
) -> NodeClassificationResult:
    """Score an embedding by multi-label (or single-label) node classification.

    Parameters
    ----------
    embedding : ndarray (n, dim) or Embedding
        Row i is node i. No NaN or infinite values.
    labels
        An (n × L) indicator matrix (sparse or dense), a 1-D label array (None/NaN or a
        negative integer = unlabelled), a list of label lists, or a dict {node_id: labels} (with
        an Embedding or ``node_ids``); see :func:`as_label_matrix`. Unlabelled nodes are left out.
    train_ratios : sequence of floats in (0, 1)
        Share of the labelled nodes that trains, per ratio.
    repeats : int
        Seeded shuffles per ratio; repeat r uses seed ``random_state + r`` for every ratio.
    C : float > 0
        Inverse regularisation of every per-label L2 logistic regression (scikit-learn's ``C``;
        the intercept is a feature of value 1 and regularised, as liblinear does).
    solver : {"batched", "liblinear", "lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"}
        ``"batched"`` (default): all labels of a split solved together (same optimum as
        liblinear, reached to ``tol=1e-6`` instead of liblinear's ``1e-4``; at dim 512 about
        6× faster with 4–7 labels, 14–18× with 17–42, measured by bench/evaluation.py solver). ``"liblinear"``: scikit-learn's liblinear, one fit per label, as in earlier
        results; the other names are scikit-learn's LogisticRegression solvers.
    penalty : str
        ``"l2"``; other penalties (e.g. ``"l1"``) only with scikit-learn's solvers.
    max_iter : int
        Newton steps (batched) or the scikit-learn solver's iterations, at most.
    tol : float or None
        Stopping tolerance; None = 1e-6 for ``"batched"`` (liblinear's relative gradient test),
        scikit-learn's 1e-4 for the others.
    normalize : {"none", "l2", "standardize"}
        Applied to the vectors before the classifier (standardize uses all rows, no labels).
    n_jobs : int or None
        Threads (None = 1, -1 = all cores): for ``"batched"`` the splits run in parallel,
        single-threaded BLAS each; for scikit-learn's solvers the per-label fits do.
    validation : bool
        Validation mode: split every training part again (``validation_fraction`` validates)
        and score on the validation nodes; the test part is never read.
    progress : bool
        Show a tqdm progress bar over the fits.
    method : str
        A name for the result rows.

    Returns
    -------
    NodeClassificationResult

    Cost: ``"batched"``: per split O(n_train · dim² + dim³) for a rotation plus O(n_train · dim · L)
    per conjugate-gradient step (typically 10–15 Newton steps of 5–20 steps each, all labels at
    once); memory O(n · dim) for a float64 copy of the vectors plus, per running split, O(n_train ·
    dim) (float64 and float32 copies of the training part) and O(n_train · L).
    ``"liblinear"``: ``len(train_ratios) * repeats * L`` fits, each about O(iterations · n_train ·
    dim); memory O(n · dim) plus liblinear's copy of one training part per running fit.

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]] * 5)
    >>> y = np.array([0, 0, 0, 1, 1, 1] * 5)
    >>> res = node_classification(X, y, train_ratios=[0.5], repeats=2, C=100.0)
    >>> res.mean(0.5, "micro_f1")
    1.0
    """
    X, emb_ids = as_feature_matrix(embedding)
    n = X.shape[0]
    if node_ids is not None:
        node_ids = np.asarray(node_ids)
        if len(node_ids) != n:
            raise ValueError(
                f"node_ids has {len(node_ids)} entries but the embedding has {n} rows; pass one id "
                "per embedding row, in row order"
            )
    else:
        node_ids = emb_ids
    Y, label_names = as_label_matrix(labels, n, node_ids)
    ratios = [check_ratio("train_ratios", r) for r in np.atleast_1d(train_ratios).tolist()]
    if not ratios:
        raise ValueError("train_ratios must hold at least one ratio in (0, 1)")
    repeats = check_int("repeats", repeats, minimum=1)
    random_state = check_seed("random_state", random_state)
    C = check_float("C", C, minimum=0.0, strict_min=True)
    normalize = check_choice("normalize", normalize, NORMALIZATIONS)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    solver = check_choice("solver", solver, SOLVERS)
    if solver == "batched" and penalty != "l2":
        raise ValueError(
            f"penalty={penalty!r} needs one of scikit-learn's solvers (e.g. solver='liblinear'); "
            "solver='batched' fits the L2 penalty only"
        )
    tol = DEFAULT_TOLS.get(solver, SKLEARN_TOL) if tol is None else \
        check_float("tol", tol, minimum=0.0, strict_min=True)
    if n_jobs is not None:
        n_jobs = check_int("n_jobs", n_jobs)
        if n_jobs == 0:
            raise ValueError("n_jobs must be a positive number of threads or negative (-1 = all "
                             "cores), got 0")
    if validation:
        validation_fraction = check_ratio("validation_fraction", validation_fraction)

    labelled = np.flatnonzero(np.diff(Y.indptr) > 0)
    Xl = _normalize(X[labelled], normalize)
    Yl = Y[labelled].toarray().astype(bool)
    k_true = Yl.sum(axis=1)
    multilabel = bool(k_true.max() > 1)
    n_lab, L = Yl.shape

    # every split, made up front so that errors surface before any fit
    splits = []
    for ratio in ratios:
        for r in range(repeats):
            seed = random_state + r
            train, test = node_split(n_lab, ratio, seed)
            if validation:
                train, test = validation_split(train, validation_fraction, seed)
            splits.append((ratio, r, seed, train, test))

    t0 = time.perf_counter()
    scores = {(ratio, m): [] for ratio in ratios for m in ("micro_f1", "macro_f1")}
    solver_info = {}
    if solver == "batched":
        solver_info = _run_batched(Xl, Yl, k_true, splits, scores, C, tol, max_iter, n_jobs,
                                   progress, method)
    else:
        _run_per_label(Xl, Yl, k_true, splits, scores, C, penalty, solver, max_iter, tol,
                       n_jobs, progress, method)
    seconds = time.perf_counter() - t0

    import sklearn

    params = {
        "protocol": "validation" if validation else "test",
        "train_ratios": ratios,
        "repeats": repeats,
        "seeds": [random_state + r for r in range(repeats)],
        "random_state": random_state,
        "classifier": "one-vs-rest LogisticRegression",
        "C": C, "penalty": penalty, "solver": solver, "max_iter": max_iter, "tol": tol,
        "normalize": normalize,
        "prediction": "top-k (k = number of true labels)" if multilabel else "argmax",
        "zero_division": 0,
        "labelled_nodes": int(n_lab),
        "nodes": int(n),
        "labels": int(L),
        "dim": int(X.shape[1]),
        "n_jobs": n_jobs,
        "scikit-learn": sklearn.__version__,
    }
    if solver == "batched":
        params["solver_detail"] = (
            "all labels of a split at once: truncated Newton-CG on liblinear's objective "
            "(C · logistic loss + ½‖w‖², intercept a regularised feature of value 1), stopping "
            "at ‖∇f‖ ≤ tol · max(min(pos, neg), 1) / n · ‖∇f(0)‖ per label")
        params.update(solver_info)
    if validation:
        params["validation_fraction"] = validation_fraction
    return NodeClassificationResult(scores, params, seconds, method,
                                    {"label_names": [str(x) for x in label_names]})
