"""Hyper-parameter search on validation splits — the test part of a split is never read.

For every candidate parameter set the method embeds the graph (the graph has no labels, so this
is fair) and :func:`~graphembed.evaluation.node_classification` scores it in *validation mode*:
repeat r shuffles the labelled nodes with seed ``random_state + r`` exactly as the test protocol
does, keeps only the training part of that shuffle and splits it again into fitting and
validation nodes.

Two answers come back:

* ``best_params`` — the candidate with the best validation score averaged over the repeats
  (what to ship as defaults);
* with ``test=True``, a nested estimate: for each repeat r the candidate that won on repeat r's
  validation nodes alone is scored once on repeat r's test part. No test score ever takes part in
  a choice, and no repeat's choice sees another repeat's test nodes.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_choice, check_int, check_seed
from .node_classification import node_classification
from .splits import check_ratio

__all__ = ["tune", "TuneResult", "FASTRP_SPACE"]

#: The search space of :func:`tune` for FastRP: the iteration weights and the degree exponent β
#: (the two knobs the FastRP authors tuned), plus sparsity and the final standardisation.
FASTRP_SPACE = {
    "iteration_weights": [
        (0.0, 0.0, 1.0, 6.67), (0.0, 0.0, 1.0, 1.0), (0.0, 0.0, 1.0, 3.0), (0.0, 0.0, 1.0, 12.0),
        (0.0, 1.0, 1.0, 1.0), (0.0, 1.0, 3.0, 9.0), (1.0, 1.0, 1.0, 1.0), (0.0, 0.0, 1.0),
        (0.0, 1.0, 4.0), (0.0, 0.0, 1.0, 6.67, 20.0), (0.0, 0.0, 1.0, 4.0, 16.0),
        (0.0, 1.0, 2.0, 4.0, 8.0),
    ],
    "normalization_strength": [-1.0, -0.9, -0.8, -0.7, -0.64, -0.5, -0.3, 0.0],
}


@dataclass
class TuneResult:
    """Trials of a search and its answers (see the module docstring)."""

    trials: list
    best_params: dict
    best_score: float
    metric: str
    params: dict
    nested: dict | None = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def table(self, top=10):
        ranked = sorted(self.trials, key=lambda t: -t["validation_mean"])[:top]
        lines = [f"{'validation ' + self.metric:>24}  params"]
        for t in ranked:
            lines.append(f"{t['validation_mean']:.4f} ± {t['validation_std']:.4f}       "
                         f"{_fmt(t['params'])}")
        if self.nested:
            lines.append(f"nested test {self.metric}: {self.nested['mean']:.4f} ± "
                         f"{self.nested['std']:.4f} over {len(self.nested['values'])} repeats")
        return "\n".join(lines)

    def __repr__(self):
        return self.table()


def _fmt(params):
    return ", ".join(f"{k}={v}" for k, v in params.items())


def _candidates(space, budget, seed):
    names = list(space)
    for name in names:
        if not isinstance(space[name], (list, tuple)) or not space[name]:
            raise ValueError(f"space[{name!r}] must be a non-empty list of candidate values")
    grid = list(itertools.product(*(range(len(space[k])) for k in names)))
    if len(grid) > budget:
        rng = np.random.default_rng([seed, 2])
        grid = [grid[i] for i in np.sort(rng.choice(len(grid), size=budget, replace=False))]
    return [{k: space[k][i] for k, i in zip(names, combo)} for combo in grid]


def tune(
    graph,
    labels,
    embed,
    space,
    *,
    train_ratio=0.5,
    validation_fraction=0.2,
    repeats=3,
    random_state=0,
    budget=40,
    metric="micro_f1",
    C=1.0,
    normalize="none",
    n_jobs=None,
    solver=None,
    test=False,
    progress=False,
    log=None,
) -> TuneResult:
    """Search ``space`` for the parameters of ``embed`` with the best validation score.

    Parameters
    ----------
    graph
        Passed to ``embed`` unchanged.
    labels
        As for :func:`~graphembed.evaluation.node_classification`.
    embed : callable
        ``embed(graph, **params) -> (n, dim) array`` (rows in the labels' order).
    space : dict
        Parameter name → list of candidate values. The full grid is tried if it has at most
        ``budget`` points, else ``budget`` points drawn from it with ``random_state``.
    train_ratio, validation_fraction, repeats, random_state
        The validation protocol (see the module docstring).
    metric : {"micro_f1", "macro_f1"}
    C, normalize, n_jobs, solver
        Passed to the classifier protocol (``solver=None``: node_classification's default).
    test : bool
        Also compute the nested test estimate (one look at each repeat's test part, after the
        choice).
    log : callable or None
        Called with one line of text per trial (e.g. ``print``).

    Returns
    -------
    TuneResult

    Cost: ``budget`` embeddings plus ``budget * repeats`` validation scorings (each
    ``n_labels`` logistic-regression fits on ``(1 - validation_fraction) * train_ratio`` of the
    labelled nodes).

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]] * 10)
    >>> y = np.array([0, 0, 1, 1] * 10)
    >>> res = tune(None, y, lambda g, scale: X * scale, {"scale": [0.01, 1.0]}, repeats=2, C=10.0)
    >>> res.best_params
    {'scale': 1.0}
    """
    train_ratio = check_ratio("train_ratio", train_ratio)
    repeats = check_int("repeats", repeats, minimum=1)
    random_state = check_seed("random_state", random_state)
    budget = check_int("budget", budget, minimum=1)
    metric = check_choice("metric", metric, ("micro_f1", "macro_f1"))
    if not isinstance(space, dict) or not space:
        raise ValueError("space must be a non-empty dict: parameter name -> list of values")
    candidates = _candidates(space, budget, random_state)
    classifier = dict(C=C, normalize=normalize, n_jobs=n_jobs,
                      **({} if solver is None else {"solver": solver}))
    common = dict(train_ratios=[train_ratio], repeats=repeats, random_state=random_state,
                  **classifier)
    protocol = {}
    t_start = time.perf_counter()
    trials = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(candidates), desc="tune", unit="trial")
    for params in candidates:
        t0 = time.perf_counter()
        X = embed(graph, **params)
        t_embed = time.perf_counter() - t0
        res = node_classification(X, labels, validation=True,
                                  validation_fraction=validation_fraction, **common)
        protocol = res.params
        values = [float(v) for v in res.scores[(train_ratio, metric)]]
        trial = {"params": params, "validation_mean": float(np.mean(values)),
                 "validation_std": float(np.std(values)), "validation_values": values,
                 "validation_macro_f1" if metric == "micro_f1" else "validation_micro_f1":
                     res.mean(train_ratio, "macro_f1" if metric == "micro_f1" else "micro_f1"),
                 "embed_seconds": t_embed, "scoring_seconds": res.seconds}
        trials.append(trial)
        if log is not None:
            log(f"{trial['validation_mean']:.4f} ± {trial['validation_std']:.4f}  {_fmt(params)}")
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    best = max(trials, key=lambda t: t["validation_mean"])  # first of equals: deterministic

    nested = None
    if test:
        values, chosen = [], []
        for r in range(repeats):
            winner = max(trials, key=lambda t: t["validation_values"][r])
            X = embed(graph, **winner["params"])
            res = node_classification(X, labels, train_ratios=[train_ratio], repeats=1,
                                      random_state=random_state + r, **classifier)
            values.append(res.mean(train_ratio, metric))
            chosen.append(winner["params"])
        nested = {"mean": float(np.mean(values)), "std": float(np.std(values)),
                  "values": values, "chosen": chosen}

    params = {"train_ratio": train_ratio, "validation_fraction": validation_fraction,
              "repeats": repeats, "random_state": random_state, "budget": budget,
              "candidates": len(candidates), "metric": metric, "C": C, "normalize": normalize,
              "n_jobs": n_jobs,
              "classifier": {k: protocol.get(k) for k in ("classifier", "solver", "penalty",
                                                          "max_iter", "tol", "prediction")
                             if k in protocol},
              "space": {k: [list(v) if isinstance(v, tuple) else v for v in vals]
                        for k, vals in space.items()}}
    return TuneResult(trials, best["params"], best["validation_mean"], metric, params, nested,
                      time.perf_counter() - t_start)
