"""Evaluation benchmarks on the bundled BlogCatalog graph.

    python bench/evaluation.py paper       # FastRP with the paper's settings vs the published numbers
    python bench/evaluation.py defaults    # graphembed's FastRP defaults, full protocol, jobs 1 vs 2
    python bench/evaluation.py linkpred    # link prediction: cosine / hadamard vs heuristics
    python bench/evaluation.py validation --C 0.1         # choosing defaults on validation
    python bench/evaluation.py validation --C 0.1 --fine  #   splits only (three stages)
    python bench/evaluation.py validation --C 0.1 --self-influence
    python bench/evaluation.py ablation    # per-iteration L2 / standardise / beta / s, one at a time
    python bench/evaluation.py tune        # autotuned FastRP, nested (validation-chosen) test scores
    python bench/evaluation.py tuned --ratios 0.9   # the tuned winners at dims 128 and 512
    python bench/evaluation.py parallel    # classifier threads 1 vs 2 (medians of 3)
    python bench/evaluation.py solver      # batched logistic regression vs liblinear, same run:
                                           # every bundled labelled graph, the main job, and
                                           # the full protocol at dim 512 on BlogCatalog
    add --quick for a short run (fewer ratios/repeats/candidates)

Every mode prints a table and writes bench/results/evaluation_<mode>.json (+ .md; node
classification modes also a .png): embedding time and scoring time apart, peak memory, thread
counts, versions, and a baseline measured in the same run (the degree-only embedding for node
classification, the neighbourhood heuristics for link prediction).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

import graphembed as ge
from graphembed.datasets import load
from graphembed.evaluation import link_prediction, node_classification, tune
from graphembed.evaluation.baselines import degree_embedding
from graphembed.evaluation.report import comparison_table, plot_f1
from graphembed.evaluation.tune import FASTRP_SPACE
from graphembed.fastrp import DEFAULT_DIM
from graphembed.methods import versions

RESULTS = Path(__file__).resolve().parent / "results"
FULL_RATIOS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
PAPER = dict(dim=512, iteration_weights=(0.0, 0.0, 1.0, 6.67), normalization_strength=-0.64,
             sparsity=3, transition="mean", normalize=True, standardize=True)
PUBLISHED = {  # FastRP authors' run, Micro/Macro-F1 (specs: evaluation)
    0.1: (0.372, 0.228), 0.3: (0.400, 0.259), 0.5: (0.412, 0.275), 0.7: (0.420, 0.280),
    0.9: (0.426, 0.280)}
NODE2VEC = {0.1: (0.359, 0.212), 0.9: (0.443, 0.302)}


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def facts():
    import numba

    return {"versions": versions(), "cpu_count": os.cpu_count(),
            "numba_threads": numba.get_num_threads(),
            "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine_note": "2-core machine shared with other jobs during the run; timings "
                            "are indicative (medians where repeated)"}


def timed(fn, *a, **k):
    t0 = time.perf_counter()
    out = fn(*a, **k)
    return out, time.perf_counter() - t0


def embed_fastrp(graph, **params):
    ge.fastrp(graph, **{**params, "dim": 8})  # warm-up: compile time kept apart
    return timed(ge.fastrp, graph, random_state=0, **params)


def write(name, payload, md_lines):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"evaluation_{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    (RESULTS / f"evaluation_{name}.md").write_text("\n".join(md_lines) + "\n")
    print("\n".join(md_lines))
    print(f"wrote {RESULTS / f'evaluation_{name}.json'}")


def nc_payload(res, embed_seconds, params):
    return {"method": res.method, "embedding_params": params, "embed_seconds": embed_seconds,
            "scoring_seconds": res.seconds, "protocol": res.params, "rows": res.rows()}


def md_nc(results, title, embed_times, reference=None):
    lines = [f"# {title}", "", "Machine: 2 cores shared with other jobs; times indicative.", ""]
    head = "| ratio | " + " | ".join(f"{r.method} Micro | {r.method} Macro" for r in results)
    if reference:
        head += " | published Micro | published Macro"
    lines += [head + " |", "|" + "---|" * (1 + 2 * len(results) + (2 if reference else 0))]
    for ratio in results[0].ratios:
        cells = [f"{r.mean(ratio):.3f} ± {r.std(ratio):.3f} | "
                 f"{r.mean(ratio, 'macro_f1'):.3f} ± {r.std(ratio, 'macro_f1'):.3f}" for r in results]
        row = f"| {ratio:.1f} | " + " | ".join(cells)
        if reference:
            ref = reference.get(round(ratio, 1))
            row += " | " + (f"{ref[0]:.3f} | {ref[1]:.3f}" if ref else "- | -")
        lines.append(row + " |")
    lines += ["", "| method | embed s | scoring s |", "|---|---:|---:|"]
    for r in results:
        lines.append(f"| {r.method} | {embed_times[r.method]:.2f} | {r.seconds:.1f} |")
    return lines


# --------------------------------------------------------------------------- modes


def mode_paper(args, ds):
    ratios = (0.1, 0.5, 0.9) if args.quick else tuple(args.ratios)
    repeats = args.repeats or (2 if args.quick else 5)
    X, t_emb = embed_fastrp(ds.graph, **PAPER)
    D = degree_embedding(ds.graph, dim=16)
    res = base = None
    for ratio in ratios:  # one ratio at a time, results written after each
        kw = dict(train_ratios=[ratio], repeats=repeats, C=0.1, n_jobs=args.jobs)
        r = node_classification(X, ds.labels, progress=True, method="fastrp_paper", **kw)
        b = node_classification(D, ds.labels, method="degree", **kw)
        if res is None:
            res, base = r, b
        else:
            res.scores.update(r.scores)
            base.scores.update(b.scores)
            res.seconds += r.seconds
            base.seconds += b.seconds
            res.params["train_ratios"] += [ratio]
            base.params["train_ratios"] += [ratio]
        times = {"fastrp_paper": t_emb, "degree": 0.0}
        done = res.ratios
        gaps = {str(x): res.mean(x) - PUBLISHED[x][0] for x in done if x in PUBLISHED}
        lines = md_nc([res, base], "BlogCatalog, FastRP with the paper's settings (dim 512, "
                      "weights 0,0,1,6.67, β −0.64, per-iteration L2, standardise, C = 0.1), "
                      f"{repeats} shuffles", times, PUBLISHED)
        lines += ["", "Micro-F1 minus published: "
                  + ", ".join(f"{k}: {v:+.4f}" for k, v in gaps.items())]
        plot_f1([res, base], RESULTS / "evaluation_paper.png",
                title="BlogCatalog, FastRP paper settings")
        write("paper", {"mode": "paper", "settings": {**PAPER, "C": 0.1}, "published": PUBLISHED,
                        "micro_minus_published": gaps, "peak_mb": peak_mb(), **facts(),
                        "results": [nc_payload(res, t_emb, PAPER),
                                    nc_payload(base, 0.0, {"dim": 16})]}, lines)


def mode_defaults(args, ds):
    """FastRP exactly as shipped (no parameter passed unless --dim is), scored on the test parts."""
    ratios = (0.1, 0.5, 0.9) if args.quick else (tuple(args.ratios) if args.ratios else FULL_RATIOS)
    repeats = 3 if args.quick else (args.repeats or 10)
    dim = args.dim or DEFAULT_DIM
    X, t_emb = embed_fastrp(ds.graph, **({} if args.dim is None else {"dim": args.dim}))
    res, wall = timed(node_classification, X, ds.labels, train_ratios=ratios, repeats=repeats,
                      C=args.C, n_jobs=2, progress=True, method="fastrp")
    # threads 1 vs 2 on a slice of the protocol (same scores required)
    parallel = {}
    for jobs in (1, 2):
        r, parallel[jobs] = timed(node_classification, X, ds.labels, train_ratios=[0.5],
                                  repeats=2, C=args.C, n_jobs=jobs, method="fastrp")
        if r.scores[(0.5, "micro_f1")] != res.scores[(0.5, "micro_f1")][:2]:
            raise SystemExit("n_jobs changed the scores: determinism bug")
    D = degree_embedding(ds.graph, dim=16)
    base = node_classification(D, ds.labels, train_ratios=ratios, repeats=repeats, C=args.C,
                               n_jobs=2, method="degree")
    times = {"fastrp": t_emb, "degree": 0.0}
    lines = md_nc([res, base], f"BlogCatalog, FastRP with graphembed's defaults (dim {dim}), "
                  f"C = {args.C}, {len(ratios)} ratios × {repeats} repeats", times, PUBLISHED)
    lines += ["", f"Full protocol scoring wall time with n_jobs=2: {wall:.1f} s.",
              "Slice (ratio 0.5 × 2 repeats) by classifier threads: "
              + ", ".join(f"n_jobs={j}: {s:.1f} s" for j, s in parallel.items())
              + f" (speed-up {parallel[1] / parallel[2]:.2f}×; identical scores)."]
    plot_f1([res, base], RESULTS / "evaluation_defaults.png",
            title=f"BlogCatalog, FastRP defaults (dim {dim})")
    write("defaults", {"mode": "defaults", "dim": dim, "C": args.C, "published": PUBLISHED,
                       "scoring_wall_seconds": wall,
                       "slice_wall_seconds_by_jobs": parallel, "peak_mb": peak_mb(), **facts(),
                       "results": [nc_payload(res, t_emb, {"dim": dim, "defaults": True}),
                                   nc_payload(base, 0.0, {"dim": 16})]}, lines)


def mode_linkpred(args, ds):
    fraction = 0.5
    params = dict(dim=args.dim)

    def embed(g):
        return ge.fastrp(g, random_state=0, **params)

    ge.fastrp(ds.graph, dim=8)  # warm-up
    res = link_prediction(ds.graph, embed, test_fraction=fraction, random_state=0,
                          scorer=("cosine", "dot", "hadamard", "l2"),
                          method="fastrp")
    params_sum = dict(dim=args.dim, iteration_weights=(1.0, 0.01), normalization_strength=0.3,
                      transition="sum")
    res_sum = link_prediction(ds.graph, lambda g: ge.fastrp(g, random_state=0, **params_sum),
                              test_fraction=fraction, random_state=0, heuristics=False,
                              scorer=("cosine", "hadamard"), method="fastrp_lp")
    lines = [f"# BlogCatalog link prediction ({int(fraction * 100)} % of edges held out, "
             "spanning forest kept)", "", "Machine: 2 cores shared; times indicative.", "",
             "| method | scorer | ROC-AUC | AP | Hits@10 | Hits@50 | Hits@100 | MRR |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in res.rows + res_sum.rows:
        lines.append(f"| {r['method']} | {r['scorer']} | {r['roc_auc']:.4f} | "
                     f"{r['average_precision']:.4f} | {r['hits@10']:.4f} | {r['hits@50']:.4f} | "
                     f"{r['hits@100']:.4f} | {r['mrr']:.5f} |")
    lines += ["", f"fastrp = graphembed defaults (dim {args.dim}); fastrp_lp = the paper's "
              "link-prediction settings (weights 1, 0.01; β 0.3; transition sum).",
              f"Embedding {res.embed_seconds:.2f} s / {res_sum.embed_seconds:.2f} s; scoring "
              f"(all scorers + heuristics) {res.scoring_seconds:.1f} s / "
              f"{res_sum.scoring_seconds:.1f} s."]
    write("linkpred", {"mode": "linkpred", "split": res.split, "peak_mb": peak_mb(), **facts(),
                       "results": [{"method": x.method, "params": p, "embed_seconds": x.embed_seconds,
                                    "scoring_seconds": x.scoring_seconds, "rows": x.rows,
                                    "protocol": x.params}
                                   for x, p in ((res, params), (res_sum, params_sum))]}, lines)


VALIDATION_SPACE = {  # what the shipped defaults are chosen from (dim included: it is a default)
    "dim": [128, 256, 512],
    "sparsity": [3, "sqrt"],
    "weights_beta": [((0.0, 0.0, 1.0, 6.67), -0.64), ((0.0, 0.0, 1.0, 3.0), 0.0),
                     ((0.0, 0.0, 1.0, 6.67, 20.0), -0.5)],
}


#: Second stage: with dim and sparsity fixed by the first (s = 3: rows that depend on (seed, id)
#: only, as the determinism contract requires), a finer search over weights and β.
VALIDATION_SPACE_FINE = {
    "dim": [512],
    "sparsity": [3],
    "weights_beta": [((0.0, 0.0, 1.0, 6.67), -0.64), ((0.0, 0.0, 1.0, 6.67), -0.8),
                     ((0.0, 0.0, 1.0, 6.67), -0.5), ((0.0, 0.0, 1.0, 6.67, 20.0), -0.5),
                     ((0.0, 0.0, 1.0, 6.67, 20.0), -0.64), ((0.0, 0.0, 1.0, 6.67, 20.0), 0.0),
                     ((0.0, 1.0, 2.0, 4.0, 8.0), -0.8), ((0.0, 1.0, 2.0, 4.0, 8.0), -0.64),
                     ((0.0, 0.0, 1.0, 4.0, 16.0), -0.64), ((0.0, 0.0, 1.0, 12.0), -0.64)],
}


#: Third stage: the self-influence α0 (weight of the node's own random row) at the stage-2 winner.
VALIDATION_SPACE_SELF = {
    "dim": [512],
    "sparsity": [3],
    "weights_beta": [((0.0, 0.0, 1.0, 6.67), -0.5)],
    "self_influence": [0.0, 0.5, 1.0, 3.0],
}


#: Fourth stage: dim past 512 (the first stage's trend: +0.01 per doubling) at the stage-2/3
#: winner.
VALIDATION_SPACE_DIM = {
    "dim": [512, 768, 1024],
    "sparsity": [3],
    "weights_beta": [((0.0, 0.0, 1.0, 6.67), -0.5)],
}


#: Sixth stage: past the stage-5 winner (0, 0, 1, 6.67, 20), β 0 — the winners so far gained
#: from longer reach (a fifth step) and a larger β: a sixth step, other last weights, β ± 0.25.
VALIDATION_SPACE_LONGER = {
    "dim": [512],
    "sparsity": [3],
    "weights_beta": [((0.0, 0.0, 1.0, 6.67, 20.0), 0.0), ((0.0, 0.0, 1.0, 6.67, 20.0, 60.0), 0.0),
                     ((0.0, 0.0, 1.0, 6.67, 20.0, 40.0), 0.0), ((0.0, 0.0, 1.0, 6.67, 30.0), 0.0),
                     ((0.0, 0.0, 1.0, 6.67, 20.0), -0.25), ((0.0, 0.0, 1.0, 6.67, 20.0), 0.25),
                     ((0.0, 0.0, 1.0, 6.67, 20.0, 60.0), -0.25)],
}


def mode_validation(args, ds):
    """Choose FastRP's shipped defaults (dim, sparsity, weights, β) on validation splits only.

    ``--ratios`` validates at several training ratios (default 0.5 alone) and ranks the
    settings by their mean validation Micro-F1 over those ratios."""
    space = (VALIDATION_SPACE_LONGER if args.longer else
             VALIDATION_SPACE_SELF if args.self_influence else
             VALIDATION_SPACE_FINE if args.fine else
             VALIDATION_SPACE_DIM if args.wide else VALIDATION_SPACE)
    ratios = args.ratios or [0.5]
    repeats = args.repeats or (2 if args.quick else 3)
    ge.fastrp(ds.graph, dim=8)

    def embed(g, dim, sparsity, weights_beta, self_influence=0.0):
        w, beta = weights_beta
        return ge.fastrp(g, dim=dim, sparsity=sparsity, iteration_weights=w,
                         normalization_strength=beta, normalize=True, standardize=True,
                         self_influence=self_influence, random_state=0)

    per_ratio = {}
    for ratio in ratios:
        res = tune(ds.graph, ds.labels, embed, space, train_ratio=ratio, repeats=repeats,
                   random_state=0, budget=100, C=args.C, n_jobs=args.jobs, test=False, log=print)
        per_ratio[ratio] = res.trials
    trials = []
    for i, t in enumerate(per_ratio[ratios[0]]):
        rows = [per_ratio[r][i] for r in ratios]
        assert all(x["params"] == t["params"] for x in rows)
        trials.append({"params": t["params"],
                       "by_ratio": {str(r): {k: x[k] for k in ("validation_mean",
                                                             "validation_std",
                                                             "validation_macro_f1",
                                                             "embed_seconds",
                                                             "scoring_seconds")}
                                    for r, x in zip(ratios, rows)},
                       "validation_mean": float(np.mean([x["validation_mean"] for x in rows])),
                       "validation_std": float(np.mean([x["validation_std"] for x in rows])),
                       "validation_macro_f1": float(np.mean([x["validation_macro_f1"]
                                                             for x in rows])),
                       "embed_seconds": float(np.mean([x["embed_seconds"] for x in rows])),
                       "scoring_seconds": float(sum(x["scoring_seconds"] for x in rows))})
    best = max(trials, key=lambda t: t["validation_mean"])  # first of equals
    where = (f"ratio {ratios[0]}" if len(ratios) == 1 else
             "ratios " + " / ".join(f"{r:g}" for r in ratios) + " (ranked by the mean)")
    lines = [f"# Choosing FastRP defaults on validation splits (BlogCatalog, C = {args.C})", "",
             f"Validation mode: {where}, {repeats} repeats; each training part split 80/20 "
             "into fit/validation; test parts never read. Grid: dim × sparsity × "
             "(iteration weights, β); per-iteration L2 and standardisation on.", ""]
    head = "| dim | sparsity | weights | β | α0 |"
    rule = "|---:|---|---|---:|---:|"
    if len(ratios) > 1:
        head += "".join(f" val Micro-F1 @ {r:g} |" for r in ratios)
        rule += "---:|" * len(ratios)
    lines += [head + " val Micro-F1 | val Macro-F1 | embed s | score s |",
              rule + "---:|---:|---:|---:|"]
    for t in sorted(trials, key=lambda t: -t["validation_mean"]):
        p = t["params"]
        w, beta = p["weights_beta"]
        cells = ""
        if len(ratios) > 1:
            cells = "".join(f" {t['by_ratio'][str(r)]['validation_mean']:.4f} |" for r in ratios)
        lines.append(f"| {p['dim']} | {p['sparsity']} | {w} | {beta} | "
                     f"{p.get('self_influence', 0.0)} |{cells} "
                     f"{t['validation_mean']:.4f} ± {t['validation_std']:.4f} | "
                     f"{t['validation_macro_f1']:.4f} | {t['embed_seconds']:.2f} | "
                     f"{t['scoring_seconds']:.1f} |")
    lines += ["", f"Best: {best['params']} ({best['validation_mean']:.4f})."]
    suffix = ("_longer" if args.longer else "_self" if args.self_influence else
              "_fine" if args.fine else
              "_dim" if args.wide else "") + \
        ("" if len(ratios) == 1 else "_ratios") + ("" if args.C == 1.0 else f"_C{args.C:g}")
    write("validation" + suffix,
          {"mode": "validation", "ratios": ratios, "repeats": repeats, "C": args.C,
           "best_params": best["params"], "best_validation": best["validation_mean"],
           "trials": trials, "peak_mb": peak_mb(), **facts()}, lines)


def mode_ablation(args, ds):
    """Choose sparsity / normalize / standardize and dim-free settings on validation splits."""
    ratio, repeats = 0.5, (2 if args.quick else 3)
    grid = [
        {"sparsity": 3}, {"sparsity": "sqrt"},
        {"normalize": False}, {"standardize": False},
        {"normalization_strength": -0.8}, {"normalization_strength": -0.5},
        {"normalization_strength": 0.0},
    ]
    base = dict(iteration_weights=(0.0, 0.0, 1.0, 6.67), normalization_strength=-0.64,
                sparsity=3, normalize=True, standardize=True)
    ge.fastrp(ds.graph, dim=8)
    rows = []
    for change in grid:
        params = {**base, **change}
        X, t_emb = timed(ge.fastrp, ds.graph, dim=args.dim, random_state=0, **params)
        for C in (args.C,) if args.quick else (0.1, 1.0):
            res = node_classification(X, ds.labels, train_ratios=[ratio], repeats=repeats, C=C,
                                      n_jobs=args.jobs, validation=True, method="fastrp")
            rows.append({"change": change, "C": C, "params": params,
                         "validation_micro": res.mean(ratio), "validation_micro_std": res.std(ratio),
                         "validation_macro": res.mean(ratio, "macro_f1"),
                         "embed_seconds": t_emb, "scoring_seconds": res.seconds})
            print(f"{res.mean(ratio):.4f} {res.mean(ratio, 'macro_f1'):.4f} C={C} {change}")
    lines = [f"# Choosing FastRP defaults on validation splits (BlogCatalog, dim {args.dim})", "",
             f"Validation mode: ratio {ratio}, {repeats} repeats; each training part split 80/20 "
             "into fit/validation; test parts never read. Base: weights 0,0,1,6.67, β −0.64, "
             "s = 3, per-iteration L2, standardise.", "",
             "| change from base | C | val Micro-F1 | val Macro-F1 |", "|---|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: -r["validation_micro"]):
        lines.append(f"| {r['change']} | {r['C']} | {r['validation_micro']:.4f} ± "
                     f"{r['validation_micro_std']:.4f} | {r['validation_macro']:.4f} |")
    write("validation_ablation", {"mode": "ablation", "ratio": ratio, "repeats": repeats,
                         "dim": args.dim, "rows": rows, "peak_mb": peak_mb(), **facts()}, lines)


def mode_tune(args, ds):
    ratio = args.ratio
    repeats = args.repeats or (2 if args.quick else 3)
    budget = 8 if args.quick else args.budget
    ge.fastrp(ds.graph, dim=8)
    fixed = dict(sparsity=3, normalize=True, standardize=True)

    def embed(g, **params):
        return ge.fastrp(g, dim=args.dim, random_state=0, **fixed, **params)

    res = tune(ds.graph, ds.labels, embed, FASTRP_SPACE, train_ratio=ratio, repeats=repeats,
               random_state=0, budget=budget, C=args.C, n_jobs=args.jobs, test=True, log=print)
    lines = [f"# Autotuned FastRP on BlogCatalog (dim {args.dim}, C = {args.C})", "",
             f"Search: {res.params['candidates']} candidates of weights × β, each scored in "
             f"validation mode (training part of ratio {ratio} split 80/20, {repeats} repeats). "
             "Nested estimate: each repeat's validation winner scored once on that repeat's "
             "test part.", "", "```", res.table(), "```", "",
             f"Best by mean validation Micro-F1: {res.best_params} ({res.best_score:.4f}).",
             f"Nested test Micro-F1 at {ratio}: {res.nested['mean']:.4f} ± {res.nested['std']:.4f} "
             f"(node2vec, published: 0.443 at 0.9)."]
    write("tune", {"mode": "tune", "dim": args.dim, "fixed": fixed, "best_params": res.best_params,
                   "best_validation": res.best_score, "nested_test": res.nested,
                   "protocol": res.params, "trials": res.trials, "seconds": res.seconds,
                   "peak_mb": peak_mb(), **facts()}, lines)


def mode_tuned(args, ds):
    """Score each repeat's validation winner (from evaluation_tune.json) on that repeat's test
    part at ratios >= the tuning ratio: the test part of seed r at ratio q >= p lies inside the
    test part of seed r at p, which the validation of seed r never read."""
    tuned = json.loads((RESULTS / "evaluation_tune.json").read_text())
    p_ratio = tuned["protocol"]["train_ratio"]
    ratios = [r for r in args.ratios if r >= p_ratio]
    fixed = tuned["fixed"]
    rows = []
    ge.fastrp(ds.graph, dim=8)
    for dim in args.dims:
        per_ratio = {r: [] for r in ratios}
        emb_s = []
        for r, params in enumerate(tuned["nested_test"]["chosen"]):
            params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
            X, t = timed(ge.fastrp, ds.graph, dim=dim, random_state=0, **fixed, **params)
            emb_s.append(t)
            res = node_classification(X, ds.labels, train_ratios=ratios, repeats=1,
                                      random_state=r, C=tuned["protocol"]["C"], n_jobs=args.jobs,
                                      progress=True, method=f"fastrp_tuned_{dim}")
            for q in ratios:
                per_ratio[q].append({"seed": r, "params": params,
                                     "micro_f1": res.mean(q), "macro_f1": res.mean(q, "macro_f1"),
                                     "scoring_seconds": res.seconds})
        for q in ratios:
            mi = [x["micro_f1"] for x in per_ratio[q]]
            ma = [x["macro_f1"] for x in per_ratio[q]]
            rows.append({"dim": dim, "ratio": q, "micro_mean": float(np.mean(mi)),
                         "micro_std": float(np.std(mi)), "macro_mean": float(np.mean(ma)),
                         "macro_std": float(np.std(ma)), "per_seed": per_ratio[q],
                         "embed_seconds": emb_s})
    lines = ["# Autotuned FastRP, nested test scores (BlogCatalog)", "",
             f"Parameters chosen per shuffle on validation nodes inside the training part at "
             f"ratio {p_ratio} (dim {tuned['dim']}); each shuffle's winner scored once on its own "
             f"test part. C = {tuned['protocol']['C']}. Machine: 2 shared cores.", "",
             "| dim | ratio | Micro-F1 | Macro-F1 | node2vec (published) |", "|---:|---:|---:|---:|---|"]
    for x in rows:
        ref = NODE2VEC.get(x["ratio"])
        lines.append(f"| {x['dim']} | {x['ratio']} | {x['micro_mean']:.3f} ± {x['micro_std']:.3f} | "
                     f"{x['macro_mean']:.3f} ± {x['macro_std']:.3f} | "
                     + (f"{ref[0]:.3f} / {ref[1]:.3f}" if ref else "-") + " |")
    name = "tuned" if args.dims == [128] else "tuned_" + "_".join(map(str, args.dims))
    write(name, {"mode": "tuned", "from": "evaluation_tune.json", "rows": rows,
                    "peak_mb": peak_mb(), **facts()}, lines)


def mode_parallel(args, ds):
    """Classifier threads 1 vs 2 on a slice (ratio 0.5 × 2 shuffles), alternated, medians."""
    X, t_emb = embed_fastrp(ds.graph, dim=args.dim)
    times = {1: [], 2: []}
    scores = {}
    for _ in range(3):
        for jobs in (1, 2):
            r, t = timed(node_classification, X, ds.labels, train_ratios=[0.5], repeats=2,
                         C=args.C, n_jobs=jobs)
            times[jobs].append(t)
            scores.setdefault(jobs, r.scores)
    if scores[1] != scores[2]:
        raise SystemExit("n_jobs changed the scores: determinism bug")
    med = {j: float(np.median(v)) for j, v in times.items()}
    lines = [f"# Classifier threads on BlogCatalog (dim {args.dim}, ratio 0.5 × 2 shuffles, "
             "78 liblinear fits)", "", "Machine: 2 cores shared with other jobs.", "",
             "| n_jobs | median s | runs |", "|---:|---:|---|"]
    for j in (1, 2):
        lines.append(f"| {j} | {med[j]:.2f} | {', '.join(f'{t:.2f}' for t in times[j])} |")
    lines += ["", f"Speed-up: {med[1] / med[2]:.2f}× (identical scores); embedding {t_emb:.2f} s."]
    write("parallel", {"mode": "parallel", "dim": args.dim, "seconds": times, "median": med,
                       "speedup": med[1] / med[2], "embed_seconds": t_emb, "peak_mb": peak_mb(),
                       **facts()}, lines)


SOLVER_GRAPHS = ("airports_usa", "email_eu_core", "wiki_openne", "cora", "blogcatalog")
QUICK_RATIOS, QUICK_REPEATS = (0.1, 0.5, 0.9), 2   # `graphembed evaluate` without --full


def _solver_run(X, labels, solver, ratios, repeats, **kw):
    res, wall = timed(node_classification, X, labels, train_ratios=ratios, repeats=repeats,
                      C=1.0, n_jobs=2, solver=solver, method=solver, **kw)
    return res, wall


def _f1_gaps(a, b):
    """Per ratio: largest |difference| of the mean and of any single split, Micro and Macro."""
    out = {}
    for r in a.ratios:
        out[str(r)] = {m: {"mean": abs(a.mean(r, m) - b.mean(r, m)),
                           "split_max": float(np.max(np.abs(np.subtract(a.scores[(r, m)],
                                                                        b.scores[(r, m)]))))}
                       for m in ("micro_f1", "macro_f1")}
    return out


def mode_solver(args, ds):
    """Batched logistic regression against scikit-learn's liblinear, in the same process.

    1. Every bundled labelled graph, FastRP defaults, the quick protocol (ratios 0.1/0.5/0.9 x 2
       shuffles, C = 1): scoring seconds (medians of --runs, solvers alternated), Micro/Macro-F1
       differences; on the small graphs also liblinear run to its optimum (tol 1e-10), which
       separates liblinear's own stopping error from any difference of the optimum.
    2. BlogCatalog full protocol (9 ratios x 10 shuffles, dim 512), batched solver; liblinear's
       time estimated from its per-split seconds per ratio measured in part 1 (a line through
       the three quick ratios), unless --full-liblinear runs it.
    Threads: NUMBA 2, classifier n_jobs 2 (batched: 2 splits at once, BLAS 1 thread each)."""
    import numba

    numba.set_num_threads(2)
    runs = args.runs
    graphs = args.graphs or SOLVER_GRAPHS
    out = {"mode": "solver", "C": 1.0, "quick_ratios": QUICK_RATIOS,
           "quick_repeats": QUICK_REPEATS, "runs": runs, "n_jobs": 2, "graphs": {},
           **facts()}
    name = "solver" + ("" if args.graphs is None else "_" + "_".join(graphs))

    def report():
        lines = ["# Node-classification scoring: batched logistic regression vs liblinear", "",
                 "Same process, same embeddings (FastRP defaults, dim 512), C = 1, n_jobs = 2, "
                 "NUMBA threads 2. Quick protocol = `graphembed evaluate` without --full: ratios "
                 "0.1 / 0.5 / 0.9 x 2 shuffles. Seconds: medians over runs (solvers alternated); "
                 "load average recorded per run (2 shared cores).", "",
                 "| graph | nodes | labels | batched s | liblinear s | speed-up | "
                 "max abs ΔMicro (mean / split) | max abs ΔMacro (mean / split) | "
                 "Δ vs liblinear tol 1e-10 (Micro / Macro, split max) | load |",
                 "|---|---:|---:|---:|---:|---:|---|---|---|---|"]
        for g, v in out["graphs"].items():
            gaps = v["f1_gap_vs_liblinear"]
            mi = max(x["micro_f1"]["mean"] for x in gaps.values())
            mis = max(x["micro_f1"]["split_max"] for x in gaps.values())
            ma = max(x["macro_f1"]["mean"] for x in gaps.values())
            mas = max(x["macro_f1"]["split_max"] for x in gaps.values())
            conv = v.get("f1_gap_vs_liblinear_converged")
            cv = "-" if conv is None else "{:.4f} / {:.4f}".format(
                max(x["micro_f1"]["split_max"] for x in conv.values()),
                max(x["macro_f1"]["split_max"] for x in conv.values()))
            lines.append(
                f"| {g} | {v['labelled_nodes']} | {v['labels']} | {v['batched_median_s']:.2f} | "
                f"{v['liblinear_median_s']:.2f} | {v['speedup']:.1f}x | {mi:.4f} / {mis:.4f} | "
                f"{ma:.4f} / {mas:.4f} | {cv} | "
                + ", ".join(f"{x:.1f}" for x in v["load_average_1min"]) + " |")
        if "per_ratio_blogcatalog" in out:
            lines += ["", "BlogCatalog per ratio (quick protocol, mean of 2 shuffles):", "",
                      "| ratio | batched Micro | liblinear Micro | batched Macro | "
                      "liblinear Macro | batched s/split | liblinear s/split |",
                      "|---:|---:|---:|---:|---:|---:|---:|"]
            for r, x in out["per_ratio_blogcatalog"].items():
                lines.append(f"| {r} | {x['batched_micro']:.4f} | {x['liblinear_micro']:.4f} | "
                             f"{x['batched_macro']:.4f} | {x['liblinear_macro']:.4f} | "
                             f"{x['batched_s_per_split']:.2f} | "
                             f"{x['liblinear_s_per_split']:.2f} |")
        if "full" in out:
            f = out["full"]
            lines += ["", f"BlogCatalog full protocol (9 ratios x 10 shuffles, dim 512): batched "
                      f"{f['batched_s']:.0f} s ({f.get('batched_how', 'measured')}); liblinear "
                      f"{f['liblinear_s']:.0f} s "
                      f"({f['liblinear_how']}); speed-up {f['speedup']:.1f}x; load "
                      f"{f['load_average_1min']:.1f}."]
        return lines

    if args.full_only:  # the full protocol alone, added to the results of an earlier run
        out = json.loads((RESULTS / f"evaluation_{name}.json").read_text())
        graphs = ()
    for g in graphs:
        d = load(g)
        X, t_emb = embed_fastrp(d.graph)
        X = np.asarray(X)
        times = {"batched": [], "liblinear": []}
        loads = []
        per_ratio_s = {"batched": {}, "liblinear": {}}
        results = {}
        for run in range(runs if g != "blogcatalog" else args.blog_runs):
            loads.append(os.getloadavg()[0])
            for solver in ("batched", "liblinear") if run % 2 == 0 else ("liblinear", "batched"):
                if g == "blogcatalog" and run >= args.blog_liblinear_runs and \
                        solver == "liblinear":
                    continue
                if g == "blogcatalog":  # one call per ratio: liblinear's per-split seconds
                    total, parts = 0.0, []
                    for r in QUICK_RATIOS:
                        res, wall = _solver_run(X, d.labels, solver, [r], QUICK_REPEATS)
                        per_ratio_s[solver].setdefault(r, []).append(wall / QUICK_REPEATS)
                        total += wall
                        parts.append(res)
                    res = parts[0]
                    for p_ in parts[1:]:
                        res.scores.update(p_.scores)
                else:
                    res, total = _solver_run(X, d.labels, solver, list(QUICK_RATIOS),
                                             QUICK_REPEATS)
                times[solver].append(total)
                results.setdefault(solver, res)
                print(f"{g} run {run} {solver}: {total:.2f} s (load {loads[-1]:.1f}); Micro-F1 "
                      + " / ".join(f"{res.mean(r):.4f}" for r in QUICK_RATIOS), flush=True)
        entry = {"labelled_nodes": results["batched"].params["labelled_nodes"],
                 "labels": results["batched"].params["labels"],
                 "dim": int(X.shape[1]), "embed_seconds": t_emb,
                 "batched_seconds": times["batched"], "liblinear_seconds": times["liblinear"],
                 "batched_median_s": float(np.median(times["batched"])),
                 "liblinear_median_s": float(np.median(times["liblinear"])),
                 "load_average_1min": loads,
                 "batched_params": results["batched"].params,
                 "f1_gap_vs_liblinear": _f1_gaps(results["batched"], results["liblinear"]),
                 "rows": {s: r.rows() for s, r in results.items()}}
        entry["speedup"] = entry["liblinear_median_s"] / entry["batched_median_s"]
        if g != "blogcatalog":
            conv, _ = _solver_run(X, d.labels, "liblinear", list(QUICK_RATIOS), QUICK_REPEATS,
                                  tol=1e-10, max_iter=100_000)
            entry["f1_gap_vs_liblinear_converged"] = _f1_gaps(results["batched"], conv)
            entry["f1_gap_liblinear_default_vs_converged"] = _f1_gaps(results["liblinear"], conv)
        else:
            out["per_ratio_blogcatalog"] = {
                str(r): {"batched_micro": results["batched"].mean(r),
                         "liblinear_micro": results["liblinear"].mean(r),
                         "batched_macro": results["batched"].mean(r, "macro_f1"),
                         "liblinear_macro": results["liblinear"].mean(r, "macro_f1"),
                         "batched_s_per_split": float(np.median(per_ratio_s["batched"][r])),
                         "liblinear_s_per_split": float(np.median(per_ratio_s["liblinear"][r]))}
                for r in QUICK_RATIOS}
        out["graphs"][g] = entry
        out["peak_mb"] = peak_mb()
        write(name, out, report())

    if args.full_only or ("blogcatalog" in graphs and not args.no_full):
        d = load("blogcatalog")
        X = np.asarray(ge.fastrp(d.graph, random_state=0))
        load_full = os.getloadavg()[0]
        reps = args.full_repeats
        res, wall = _solver_run(X, d.labels, "batched", list(FULL_RATIOS), reps)
        measured = wall
        wall = wall * 10 / reps
        per = out["per_ratio_blogcatalog"]
        xs = np.array(QUICK_RATIOS)
        ys = np.array([per[str(r)]["liblinear_s_per_split"] for r in QUICK_RATIOS])
        slope, icept = np.polyfit(xs, ys, 1)
        est = float(sum(slope * r + icept for r in FULL_RATIOS) * 10)
        how = ("estimated: 10 x the sum over the 9 ratios of a line through liblinear's "
               "seconds per split at 0.1 / 0.5 / 0.9 measured above (n_jobs 2)")
        if args.full_liblinear:  # the same shuffles as batched, right after it
            _, lib = _solver_run(X, d.labels, "liblinear", list(FULL_RATIOS), reps)
            est = lib * 10 / reps
            how = ("measured" if reps == 10 else
                   f"measured on {reps} shuffles x 9 ratios ({lib:.0f} s), x {10 / reps:g}")
        out["full"] = {"batched_s": wall, "batched_measured_s": measured,
                       "batched_how": "measured" if reps == 10 else
                       f"measured on {reps} shuffles x 9 ratios ({measured:.0f} s), x {10 / reps:g}",
                       "liblinear_s": est, "liblinear_how": how,
                       "speedup": est / wall, "load_average_1min": load_full,
                       "rows": res.rows(), "params": res.params}
        out["peak_mb"] = peak_mb()
        write(name, out, report())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("mode", choices=["paper", "defaults", "linkpred", "validation", "ablation",
                                      "tune", "tuned",
                                      "parallel", "solver"])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--self-influence", action="store_true",
                   help="validation: the third stage (self_influence at the stage-2 winner)")
    p.add_argument("--fine", action="store_true",
                   help="validation: the second stage (dim 512, s = 3, more weights × β)")
    p.add_argument("--longer", action="store_true",
                   help="validation: stage 6, a sixth step and β around the stage-5 winner")
    p.add_argument("--wide", action="store_true",
                   help="validation: the fourth stage (dim 512 / 768 / 1024 at the winner)")
    p.add_argument("--dim", type=int, default=None,
                   help="defaults: FastRP's own default; other modes: 128")
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--budget", type=int, default=40)
    p.add_argument("--ratio", type=float, default=0.9, help="tune: training ratio")
    p.add_argument("--repeats", type=int, default=None, help="tune/paper: repeats")
    p.add_argument("--dims", type=int, nargs="+", default=[128, 512], help="tuned: dims")
    p.add_argument("--ratios", type=float, nargs="+", default=None,
                   help="paper: training ratios (default 0.1 0.3 0.5 0.7 0.9); defaults: "
                   "(default all nine)")
    p.add_argument("--runs", type=int, default=3, help="solver: timing runs per small graph")
    p.add_argument("--blog-runs", type=int, default=2, help="solver: BlogCatalog batched runs")
    p.add_argument("--blog-liblinear-runs", type=int, default=1,
                   help="solver: BlogCatalog liblinear runs (~5 min each on 2 shared cores)")
    p.add_argument("--graphs", nargs="+", default=None, choices=SOLVER_GRAPHS,
                   help="solver: graphs (default all bundled labelled graphs)")
    p.add_argument("--no-full", action="store_true", help="solver: skip the full protocol")
    p.add_argument("--full-only", action="store_true",
                   help="solver: only the full protocol, added to evaluation_solver.json")
    p.add_argument("--full-repeats", type=int, default=10,
                   help="solver: shuffles measured in the full protocol (time scaled to 10)")
    p.add_argument("--full-liblinear", action="store_true",
                   help="solver: also run liblinear on the full protocol, on the same "
                   "--full-repeats shuffles (about an hour for 10)")
    args = p.parse_args(argv)
    if args.mode in ("paper", "tuned") and args.ratios is None:
        args.ratios = [0.1, 0.3, 0.5, 0.7, 0.9]
    if args.mode not in ("defaults",) and args.dim is None:
        args.dim = 128
    ds = None if args.mode == "solver" else load("blogcatalog")
    globals()[f"mode_{args.mode}"](args, ds)


if __name__ == "__main__":
    sys.exit(main())
