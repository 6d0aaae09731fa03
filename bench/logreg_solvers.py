"""Why the batched solver is a truncated Newton method: the alternatives, measured in one run.

    python bench/logreg_solvers.py            # BlogCatalog, FastRP defaults (dim 512), C = 1

On one training part (ratio 0.5 and 0.9, seed 0; all 39 labels), single-threaded BLAS:

* batched Newton-CG as shipped (graphembed.evaluation._logreg.fit_ovr_logreg), from zero;
* the same, warm-started at 0.5 / 0.9 from the solution of the smaller ratio of the same
  shuffle (its training part is a prefix of the larger one);
* scipy's L-BFGS-B on the sum of the 39 objectives (one GEMM pair per evaluation), 300
  iterations, reporting how far from the Newton optimum it gets.

Prints a table and writes bench/results/logreg_solvers.json (+ .md) with load average and
versions.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import scipy.optimize as so
from threadpoolctl import threadpool_limits

import graphembed as ge
from graphembed.datasets import load
from graphembed.evaluation._logreg import fit_ovr_logreg
from graphembed.methods import versions

RESULTS = Path(__file__).resolve().parent / "results"


def objective(Xa, S, C, W):
    m = S * (Xa @ W)
    return 0.5 * float((W * W).sum()) + C * float(np.logaddexp(0.0, -m).sum())


def main():
    ds = load("blogcatalog")
    X = np.asarray(ge.fastrp(ds.graph, random_state=0), dtype=np.float64)
    Y = ds.labels.toarray().astype(bool)
    lab = Y.any(axis=1)
    X, Y = X[lab], Y[lab]
    perm = np.random.default_rng(0).permutation(len(X))
    C = 1.0
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        prev = None
        for ratio in (0.1, 0.5, 0.9):
            tr = perm[: int(np.floor(ratio * len(X) + 1e-9))]
            Xt, Yt = X[tr], Y[tr]
            keep = Yt.any(axis=0) & ~Yt.all(axis=0)
            Yt = Yt[:, keep]
            n, d = Xt.shape
            Xa = np.hstack([Xt, np.ones((n, 1))])
            S = np.where(Yt, 1.0, -1.0)
            load_avg = os.getloadavg()[0]
            t0 = time.perf_counter()
            coef, b, info = fit_ovr_logreg(Xt, Yt, C)
            t_cold = time.perf_counter() - t0
            W = np.vstack([coef, b])
            f_star = objective(Xa, S, C, W)
            row = {"ratio": ratio, "n_train": n, "labels": int(Yt.shape[1]), "load_1min": load_avg,
                   "newton_s": t_cold, "newton_steps_max": int(info["newton_steps"].max()),
                   "objective": f_star}
            if prev is not None:
                # warm start: the same solver from the smaller ratio's optimum
                row.update(_warm(Xt, Yt, C, prev, keep))
            if ratio in (0.5,):
                row.update(_lbfgs(Xa, S, C, f_star))
            rows.append(row)
            print(row, flush=True)
            prev = (W, keep)
    lines = ["# Batched logistic regression: Newton-CG vs warm starts vs L-BFGS-B", "",
             "BlogCatalog, FastRP defaults (dim 512), C = 1, seed 0, BLAS 1 thread; 2 shared "
             "cores (load average per row).", "",
             "| ratio | n | Newton-CG s (steps) | warm-started s (steps) | L-BFGS-B 300 it. s | "
             "L-BFGS-B f − f* (relative) | load |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        warm = f"{r['warm_s']:.1f} ({r['warm_steps_max']})" if "warm_s" in r else "-"
        lb = (f"{r['lbfgs_s']:.1f}", f"{r['lbfgs_gap']:.3g} ({r['lbfgs_gap'] / r['objective']:.1e})") \
            if "lbfgs_s" in r else ("-", "-")
        lines.append(f"| {r['ratio']} | {r['n_train']} | {r['newton_s']:.1f} "
                     f"({r['newton_steps_max']}) | {warm} | {lb[0]} | {lb[1]} | "
                     f"{r['load_1min']:.1f} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"rows": rows, "versions": versions(), "cpu_count": os.cpu_count(),
               "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (RESULTS / "logreg_solvers.json").write_text(json.dumps(payload, indent=2) + "\n")
    (RESULTS / "logreg_solvers.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _warm(Xt, Yt, C, prev, keep):
    """Newton-CG started at the previous ratio's solution (labels new at this ratio: zero)."""
    W_prev, keep_prev = prev
    d = Xt.shape[1]
    coef0, b0 = np.zeros((d, Yt.shape[1])), np.zeros(Yt.shape[1])
    cols_prev = {c: i for i, c in enumerate(np.flatnonzero(keep_prev))}
    for j, c in enumerate(np.flatnonzero(keep)):
        if c in cols_prev:
            coef0[:, j], b0[j] = W_prev[:d, cols_prev[c]], W_prev[d, cols_prev[c]]
    t0 = time.perf_counter()
    _, _, info = fit_ovr_logreg(Xt, Yt, C, init=(coef0, b0))
    return {"warm_s": time.perf_counter() - t0,
            "warm_steps_max": int(info["newton_steps"].max())}


def _lbfgs(Xa, S, C, f_star):
    d1, L = Xa.shape[1], S.shape[1]

    def fg(w):
        W = w.reshape(d1, L)
        m = S * (Xa @ W)
        f = 0.5 * (W * W).sum() + C * np.logaddexp(0.0, -m).sum()
        G = W + Xa.T @ (-C * S * np.exp(-np.logaddexp(0.0, m)))
        return f, G.ravel()

    t0 = time.perf_counter()
    r = so.minimize(fg, np.zeros(d1 * L), jac=True, method="L-BFGS-B",
                    options=dict(maxiter=300, maxfun=400, gtol=1e-12, ftol=1e-16))
    return {"lbfgs_s": time.perf_counter() - t0, "lbfgs_iterations": int(r.nit),
            "lbfgs_gap": float(r.fun - f_star)}


if __name__ == "__main__":
    main()
