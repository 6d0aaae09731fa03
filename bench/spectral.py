"""graphembed.spectral against graphembed.fastrp at the same dim, in the same run.

    python bench/spectral.py            # 1e6 nodes / 1e7 edges, Erdős–Rényi and R-MAT, dim 128
    python bench/spectral.py --quick    # 1e5 nodes / 1e6 edges
    python bench/spectral.py --nodes 1000000 --edges 10000000 --dim 128 --repeat 3
    python bench/spectral.py --validation   # choose the defaults on validation splits
    python bench/spectral.py --propagation-validation   # spectral propagation on or off
    python bench/spectral.py --logratio-validation   # ProNE's log-ratio matrix, alone or blended
    python bench/spectral.py --weighting-validation  # other eigenvalue filters than λ^p
    python bench/spectral.py --paired email_eu_core  # per-shuffle differences against spectral
    python bench/spectral.py --power-validation --shuffles 30  # the eigenvalue power, at 50/90 %

Validation mode: a grid of (eigenvalue_power, regularization, rounds x degree) on every bundled
labelled graph, scored by ``node_classification(..., validation=True)`` (every training part
split again, 20 % validates; test parts never read), Micro-F1 averaged over the train ratios
0.1 / 0.5 / 0.9 and 3 shuffles; settings ranked by their mean rank over the community-labelled
graphs (ties: mean score). Writes bench/results/spectral_validation.json and .md.

Propagation validation: whether ``graphembed.spectral_propagation`` (ProNE's band-pass filter)
improves the defaults, decided the same way (the candidates in ``PROPAGATION_GRID``, declared
before any run: spectral and FastRP at their defaults, each with and without the filter, the
filter's settings around ProNE's published ones), scored by ``node_classification(...,
validation=True)`` with 10 shuffles (email-Eu-core's validation parts are ~20-100 nodes), ranked
by the mean rank over the community-labelled graphs. Writes
bench/results/spectral_propagation_validation.json and .md.

Log-ratio validation: whether ProNE's first step (the truncated SVD of its sparse log-ratio
matrix, ``_logratio_matrix``), alone, followed by the band-pass filter, reweighting the graph
for spectral, or concatenated / blended with spectral, beats spectral at its defaults; same
protocol and ranking as the propagation validation (``LOGRATIO_GRID``). The log-ratio candidates
use SciPy's exact leading singular / eigen subspaces (an upper bound on what an iterative kernel
would reach with the same matrix). Writes bench/results/spectral_logratio_validation.json / .md.
Weighting validation: the same eigenvectors under other filters than ``λ^p`` (``WEIGHTING_GRID``:
heat kernel, personalised PageRank, ProNE's band-pass), same protocol and ranking; writes
bench/results/spectral_weighting_validation.json / .md.
Power validation: the eigenvalue power alone (``POWER_GRID``, 1 to 2.5, the other settings at
the defaults), same protocol, ranked by the mean rank over the community-labelled graphs at the
train ratios 0.5 and 0.9 (the ratios the quality targets are stated at; ``--rank-ratios``), each
(graph, ratio) pair ranking the settings once; the three-ratio mean is reported beside it.
Writes bench/results/spectral_power_validation.json / .md.
Paired mode: the same validation splits score spectral, the log-ratio SVD + filter and ProNE
(where installed) on one data set; mean per-shuffle difference and its standard error. Writes
bench/results/spectral_paired_DATASET.json / .md.

Graphs come from bench/fastrp.py's generators (not timed). Each method runs once untimed
(compilation, page faults), then ``--repeat`` timed runs; the table gives the medians and the
ratio spectral / fastrp of medians measured one right after the other, both at their defaults
except ``dim``. Extra memory: the peak growth of the resident set size during one more run
(sampled every millisecond), beside the size of one n × dim float32 buffer.
Writes bench/results/spectral[_TAG].json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))

import numba  # noqa: E402

import graphembed as ge  # noqa: E402
from fastrp import PeakRSS, erdos_renyi, rmat, versions  # noqa: E402  (bench/fastrp.py)
from graphembed.spectral import spectral  # noqa: E402


def measure(fn, repeat):
    fn()  # warm-up
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    with PeakRSS() as peak:
        fn()
    return statistics.median(walls), walls, statistics.median(cpus), peak.extra


VALIDATION_GRAPHS = ("blogcatalog", "cora", "wiki_openne", "email_eu_core")
ROLE_GRAPHS = ("airports_usa",)


def validation(args):
    import itertools

    import numpy as np

    from graphembed import datasets
    from graphembed.evaluation import node_classification

    grid = [dict(eigenvalue_power=pw, regularization=al, rounds=r, degree=d)
            for (r, d), pw, al in itertools.product(((2, 4), (3, 4)), (0.0, 1.0, 2.0, 3.0),
                                                    (0.3, 1.0, 3.0))]
    names = args.datasets or list(VALIDATION_GRAPHS + ROLE_GRAPHS)
    out = os.path.join(HERE, "results", "spectral_validation")
    trials = []
    for name in names:
        ds = datasets.load(name)
        for cfg in grid:
            t0 = time.perf_counter()
            X = spectral(ds.graph, dim=args.dim, **cfg)
            sec = time.perf_counter() - t0
            res = node_classification(X, ds.labels, train_ratios=(0.1, 0.5, 0.9), repeats=3,
                                      random_state=0, C=1.0, normalize="l2", validation=True)
            by = {str(r): res.mean(r, "micro_f1") for r in (0.1, 0.5, 0.9)}
            trials.append({"dataset": name, **cfg, "by_ratio": by,
                           "validation_mean": float(np.mean(list(by.values()))),
                           "embed_seconds": sec})
            print(name, cfg, f"{trials[-1]['validation_mean']:.4f}", flush=True)
            with open(out + ".json", "w") as fh:
                json.dump({"trials": trials, "dim": args.dim}, fh, indent=1)
    keyf = lambda t: (t["eigenvalue_power"], t["regularization"], t["rounds"], t["degree"])  # noqa: E731
    settings = sorted({keyf(t) for t in trials})
    community = [d for d in names if d in VALIDATION_GRAPHS]
    ranks = {k: [] for k in settings}
    scores = {k: {} for k in settings}
    for d in names:
        ts = sorted((t for t in trials if t["dataset"] == d), key=lambda t: -t["validation_mean"])
        for i, t in enumerate(ts):
            scores[keyf(t)][d] = t["validation_mean"]
            if d in community:
                ranks[keyf(t)].append(i + 1)
    summary = sorted(settings, key=lambda k: (np.mean(ranks[k]),
                                              -np.mean([scores[k][d] for d in community])))
    lines = ["# spectral: defaults chosen on validation splits (bench/spectral.py --validation)",
             "", f"dim {args.dim}; validation Micro-F1 (mean over train ratios 0.1/0.5/0.9, 3 "
             "shuffles, 20 % of each training part validates, test parts never read); ranked by "
             "the mean rank over " + ", ".join(community) + ".", "",
             "| power | alpha | rounds | degree | mean rank | " + " | ".join(names) + " |",
             "|---|---|---|---|---|" + "---|" * len(names)]
    for k in summary:
        lines.append(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {np.mean(ranks[k]):.2f} | "
                     + " | ".join(f"{scores[k].get(d, float('nan')):.4f}" for d in names) + " |")
    with open(out + ".json", "w") as fh:
        json.dump({"trials": trials, "dim": args.dim, "ranking": [list(k) for k in summary]},
                  fh, indent=1)
    with open(out + ".md", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


#: (name, embedding, propagation settings or None): declared before any run.
PROPAGATION_GRID = [
    ("spectral", {}, None),
    ("spectral + prop(10, 0.2, 0.5)", {}, dict(order=10, mu=0.2, theta=0.5)),
    ("spectral + prop(10, 0.2, 1.0)", {}, dict(order=10, mu=0.2, theta=1.0)),
    ("spectral + prop(10, 0.5, 0.5)", {}, dict(order=10, mu=0.5, theta=0.5)),
    ("spectral + prop(5, 0.2, 0.5)", {}, dict(order=5, mu=0.2, theta=0.5)),
    ("spectral + prop(10, 0.2, 0.5), not orthogonalised", {},
     dict(order=10, mu=0.2, theta=0.5, orthogonalize=False)),
    ("spectral p=1 + prop(10, 0.2, 0.5)", {"eigenvalue_power": 1.0},
     dict(order=10, mu=0.2, theta=0.5)),
    ("spectral p=0 + prop(10, 0.2, 0.5)", {"eigenvalue_power": 0.0},
     dict(order=10, mu=0.2, theta=0.5)),
    ("fastrp", "fastrp", None),
    ("fastrp + prop(10, 0.2, 0.5)", "fastrp", dict(order=10, mu=0.2, theta=0.5)),
    ("ProNE (nodevectors, reference)", "prone", None),
]


#: Convergence of the defaults (more rounds, more oversampling): declared before any run.
CONVERGENCE_GRID = [
    ("spectral", {}, None),
    ("spectral rounds=4", {"rounds": 4}, None),
    ("spectral rounds=6", {"rounds": 6}, None),
    ("spectral oversampling=48", {"oversampling": 48}, None),
    ("spectral rounds=4, oversampling=48", {"rounds": 4, "oversampling": 48}, None),
]


#: Log-ratio (PMI-like) reweighting, ProNE's first step, and blends with spectral: declared
#: before any run. The log-ratio candidates are computed here with SciPy (exact leading singular /
#: eigen subspaces, ``_logratio_*``): an upper bound on what the deterministic subspace iteration
#: would give with the same matrix, enough to decide whether the option is worth building.
LOGRATIO_GRID = [
    ("spectral", {}, None),
    ("logratio SVD, U sqrt(S)", "lr-svd", None),
    ("logratio SVD, U sqrt(S) + prop(10, 0.2, 0.5)", "lr-svd", dict(order=10, mu=0.2, theta=0.5)),
    ("logratio symmetrised, top absolute eigenvalues", "lr-sym", None),
    ("spectral on positive logratio weights", "lr-ppmi", None),
    ("spectral(dim/2) + logratio SVD(dim/2), concatenated", "lr-concat", None),
    ("spectral + logratio SVD, blended (aligned)", "lr-blend", None),
    # added after the first data set (email-Eu-core) had run: the best log-ratio candidate there
    ("spectral(dim/2) + [logratio SVD + prop](dim/2), concatenated", "lr-concat-prop", None),
    ("ProNE (nodevectors, reference)", "prone", None),
]


#: Other spectral filters than ``λ^p`` on the same eigenvectors: declared before any run. Each
#: column of ``spectral(..., eigenvalue_power=0)`` (the random-walk eigenvectors, unweighted) is
#: scaled by ``w(λ)``: the heat kernel ``exp(-t·(1 - λ))``, personalised PageRank
#: ``a / (1 - (1 - a)·λ)``, and ProNE's band-pass ``exp(-((1 - λ - μ)² - 1)·θ/2)`` times ``λ²``.
WEIGHTING_GRID = [
    ("spectral", {}, None),
    ("λ^1", "w-pow1", None),
    ("λ^3", "w-pow3", None),
    ("heat kernel, t = 5", "w-heat5", None),
    ("personalised PageRank, a = 0.15", "w-ppr", None),
    ("λ² × band-pass (μ 0.2, θ 0.5)", "w-pow2-bandpass", None),
]


#: The eigenvalue power alone, around the defaults' 2: declared before any run.
POWER_GRID = [
    ("p = 2 (the defaults before this validation)", {"eigenvalue_power": 2.0}, None),
    ("p = 1", {"eigenvalue_power": 1.0}, None),
    ("p = 1.25", {"eigenvalue_power": 1.25}, None),
    ("p = 1.5", {"eigenvalue_power": 1.5}, None),
    ("p = 1.75", {"eigenvalue_power": 1.75}, None),
    ("p = 2.5", {"eigenvalue_power": 2.5}, None),
    ("ProNE (nodevectors, reference)", "prone", None),
]


def _weighted_spectral(kind, graph, dim):
    import numpy as np

    E, lam = spectral(graph, dim=dim, eigenvalue_power=0.0, normalize=False,
                      return_eigenvalues=True)
    pos = np.maximum(lam, 0.0)
    w = {"w-pow1": pos, "w-pow3": pos ** 3, "w-heat5": np.exp(-5.0 * (1.0 - lam)),
         "w-ppr": 0.15 / (1.0 - 0.85 * lam),
         "w-pow2-bandpass": pos ** 2 * np.exp(-((1.0 - lam - 0.2) ** 2 - 1.0) * 0.25)}[kind]
    return _row_normalize(E * w[None, :].astype(E.dtype))


def _logratio_matrix(graph):
    """ProNE's sparse log-ratio matrix on the pattern of ``A``: ``M_ij = log(P_ij) -
    log(λ·P_D,j)`` with ``P = D^{-1}A``, ``P_D,j = c_j^{0.75} / Σ_k c_k^{0.75}`` (``c = 1ᵀP``,
    the column sums of P, a negative-sampling distribution) and ``λ = 1``. SciPy, float64."""
    import numpy as np
    import scipy.sparse as sp

    A = sp.csr_matrix(graph.to_scipy(dtype=np.float64))
    deg = np.asarray(A.sum(axis=1)).ravel()
    inv = np.zeros_like(deg)
    inv[deg > 0] = 1.0 / deg[deg > 0]
    P = sp.csr_matrix(sp.diags(inv) @ A)
    c = np.asarray(P.sum(axis=0)).ravel() ** 0.75
    pd = c / c.sum()
    M = P.copy()
    M.data = np.log(P.data) - np.log(pd[P.indices])
    return M


def _row_normalize(X):
    import numpy as np

    nrm = np.linalg.norm(X, axis=1, keepdims=True)
    nrm[nrm == 0] = 1.0
    return (X / nrm).astype(np.float32)


def _logratio_svd(graph, dim):
    """The ``dim`` leading singular triplets of M (ARPACK, fixed start), ``U·sqrt(S)``."""
    import numpy as np
    from scipy.sparse.linalg import svds

    M = _logratio_matrix(graph)
    U, s, _ = svds(M, k=dim, v0=np.ones(min(M.shape)) / np.sqrt(min(M.shape)))
    o = np.argsort(-s)
    return U[:, o] * np.sqrt(s[o])


def _logratio_variant(kind, graph, dim):
    import numpy as np
    import scipy.sparse as sp
    from scipy.sparse.linalg import eigsh

    if kind == "lr-svd":
        return _logratio_svd(graph, dim).astype(np.float32)
    if kind == "lr-sym":
        M = _logratio_matrix(graph)
        S = (M + M.T) / 2
        lam, U = eigsh(S, k=dim, which="LM", v0=np.ones(S.shape[0]) / np.sqrt(S.shape[0]))
        o = np.argsort(-np.abs(lam))
        return (U[:, o] * np.sqrt(np.abs(lam[o]))).astype(np.float32)
    if kind == "lr-ppmi":
        M = _logratio_matrix(graph)
        S = sp.csr_matrix((M + M.T) / 2)
        S.data = np.maximum(S.data, 0.0)
        S.eliminate_zeros()
        return spectral(ge.as_csr(S.astype(np.float32)), dim=dim)
    if kind == "lr-concat":
        h = dim // 2
        return np.hstack([_row_normalize(spectral(graph, dim=h)),
                          _row_normalize(_logratio_svd(graph, dim - h))])
    if kind == "lr-concat-prop":
        h = dim // 2
        L = ge.spectral_propagation(graph, _logratio_svd(graph, dim - h).astype(np.float32),
                                    order=10, mu=0.2, theta=0.5)
        return np.hstack([_row_normalize(spectral(graph, dim=h)), _row_normalize(L)])
    if kind == "lr-blend":
        # both row-normalised; the log-ratio basis rotated onto spectral's (orthogonal
        # Procrustes) before averaging, so that the two sets of columns line up
        E = _row_normalize(spectral(graph, dim=dim))
        L = _row_normalize(_logratio_svd(graph, dim))
        u, _, vt = np.linalg.svd(L.T.astype(np.float64) @ E)
        return _row_normalize(E + L @ (u @ vt))
    raise ValueError(kind)


def _has_nodevectors():
    import importlib.util

    return importlib.util.find_spec("nodevectors") is not None


def _prone(graph, dim):
    """nodevectors' ProNE at its defaults on the symmetric 0/1 adjacency (as bench/peers.py)."""
    import numpy as np
    import scipy.sparse as sp
    from nodevectors import ProNE

    A = graph.to_scipy()
    A = sp.csr_matrix(((A + A.T) > 0).astype(np.float64))
    A.setdiag(0)
    A.eliminate_zeros()
    np.random.seed(0)  # its randomized SVD draws from numpy's global state
    return ProNE(n_components=dim, verbose=False).fit_transform(A)


def propagation_validation(args, grid=None, stem="spectral_propagation_validation",
                           title="spectral propagation on or off", rank_ratios=None):
    """Score every setting of ``grid`` on the validation splits and rank them: by the mean over
    the three train ratios on each community graph, or, with ``rank_ratios``, once per
    (community graph, ratio) pair on the score at that ratio alone."""
    import numpy as np

    from graphembed import datasets
    from graphembed.evaluation import node_classification

    names = args.datasets or list(VALIDATION_GRAPHS + ROLE_GRAPHS)
    grid = PROPAGATION_GRID if grid is None else grid
    out = os.path.join(HERE, "results", stem)
    trials = []
    if os.path.exists(out + ".json") and args.resume:
        trials = json.load(open(out + ".json"))["trials"]
    done = {(t["dataset"], t["setting"]) for t in trials}
    for name in names:
        ds = datasets.load(name)
        base = {}
        for label, emb, prop in grid:
            if (name, label) in done:
                continue
            key = json.dumps(emb, sort_keys=True)
            t0 = time.perf_counter()
            if emb == "prone":
                if not _has_nodevectors():
                    continue
                base[key] = _prone(ds.graph, args.dim)
            if isinstance(emb, str) and emb.startswith("lr-"):
                base[key] = _logratio_variant(emb, ds.graph, args.dim)
            if isinstance(emb, str) and emb.startswith("w-"):
                base[key] = _weighted_spectral(emb, ds.graph, args.dim)
            if key not in base:
                base[key] = (ge.fastrp(ds.graph, dim=args.dim) if emb == "fastrp"
                             else spectral(ds.graph, dim=args.dim, **emb))
            X = base[key]
            t1 = time.perf_counter()
            if prop is not None:
                X = ge.spectral_propagation(ds.graph, X, **prop)
            t2 = time.perf_counter()
            res = node_classification(X, ds.labels, train_ratios=(0.1, 0.5, 0.9),
                                      repeats=args.shuffles, random_state=0, C=1.0,
                                      normalize="l2", validation=True)
            by = {str(r): res.mean(r, "micro_f1") for r in (0.1, 0.5, 0.9)}
            trials.append({"dataset": name, "setting": label, "by_ratio": by,
                           "validation_mean": float(np.mean(list(by.values()))),
                           "embed_seconds": t1 - t0, "propagation_seconds": t2 - t1,
                           "load_average": os.getloadavg()[0]})
            print(f"{name:14s} {label:50s} " + " ".join(f"{v:.4f}" for v in by.values())
                  + f"  mean {trials[-1]['validation_mean']:.4f}", flush=True)
            with open(out + ".json", "w") as fh:
                json.dump({"trials": trials, "dim": args.dim, "shuffles": args.shuffles}, fh,
                          indent=1)
    labels = [g[0] for g in grid if g[1] != "prone"]  # the reference row does not vote
    refs = [g[0] for g in grid if g[1] == "prone"]
    community = [d for d in names if d in VALIDATION_GRAPHS]
    score = {(t["dataset"], t["setting"]): t for t in trials}
    ranks = {k: [] for k in labels}
    pairs = [(d, None) for d in community] if not rank_ratios else \
        [(d, str(r)) for d in community for r in rank_ratios]

    def value(d, k, r):
        t = score[d, k]
        return t["validation_mean"] if r is None else t["by_ratio"][r]

    for d, r in pairs:
        ordered = sorted(labels, key=lambda k: -value(d, k, r))
        for i, k in enumerate(ordered):
            ranks[k].append(i + 1)
    summary = sorted(labels, key=lambda k: (np.mean(ranks[k]), -np.mean(
        [value(d, k, r) for d, r in pairs])))
    mean_ranks = {k: [] for k in labels}  # the three-ratio rule, shown beside a ratio ranking
    for d in community:
        for i, k in enumerate(sorted(labels, key=lambda k: -value(d, k, None))):
            mean_ranks[k].append(i + 1)
    flag = "--" + stem.removeprefix("spectral_").replace("_", "-")  # the mode's own option
    lines = [f"# {title}: validation splits (bench/spectral.py {flag})", "",
             f"dim {args.dim}; validation Micro-F1, mean over train ratios 0.1 / 0.5 / 0.9 "
             f"(and at 50 % / 90 %), {args.shuffles} shuffles, 20 % of each training part "
             "validates, test parts never read; ranked by the mean rank over "
             + ", ".join(community)
             + (f" at the train ratios {' and '.join(str(r) for r in rank_ratios)} (each "
                "graph and ratio ranks once)" if rank_ratios else "") + ". "
             + ("prop(order, mu, theta) = graphembed.spectral_propagation; "
                if any(prop is not None for _, _, prop in grid)
                else "Other settings at the defaults; ")
             + "load average "
             f"{min(t['load_average'] for t in trials):.1f}-"
             f"{max(t['load_average'] for t in trials):.1f}.", "",
             "| setting | mean rank | " + ("rank, three-ratio mean | " if rank_ratios else "")
             + " | ".join(names) + " |",
             "|---|---|" + ("---|" if rank_ratios else "") + "---|" * len(names)]
    for k in summary:
        cells = []
        for d in names:
            t = score.get((d, k))
            cells.append("" if t is None else f"{t['validation_mean']:.4f} ("
                         f"{t['by_ratio']['0.5']:.4f} / {t['by_ratio']['0.9']:.4f})")
        lines.append(f"| {k} | {np.mean(ranks[k]):.2f} | "
                     + (f"{np.mean(mean_ranks[k]):.2f} | " if rank_ratios else "")
                     + " | ".join(cells) + " |")
    for k in refs:
        if not any((d, k) in score for d in names):
            continue
        cells = []
        for d in names:
            t = score.get((d, k))
            cells.append("" if t is None else f"{t['validation_mean']:.4f} ("
                         f"{t['by_ratio']['0.5']:.4f} / {t['by_ratio']['0.9']:.4f})")
        lines.append(f"| {k} | – | " + ("– | " if rank_ratios else "") + " | ".join(cells)
                     + " |")
    lines += ["", "Cells: mean over the three ratios (50 % / 90 %)."]
    if refs:
        lines += ["The ProNE row (a peer, run where nodevectors is installed: "
                  "bench/.venv-peers, see PEERS.md) is a reference and is not ranked."]
    with open(out + ".json", "w") as fh:
        json.dump({"trials": trials, "dim": args.dim, "shuffles": args.shuffles,
                   "ranking": summary, "rank_ratios": rank_ratios, "versions": versions(),
                   "threads": numba.get_num_threads()}, fh, indent=1)
    with open(out + ".md", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def paired(args):
    """Per-shuffle paired differences against spectral on the validation splits of one data set
    (the same 10 shuffles score every candidate): mean difference and its standard error."""
    import numpy as np

    from graphembed import datasets
    from graphembed.evaluation import node_classification

    ds = datasets.load(args.paired)
    cands = [("spectral", lambda g: spectral(g, dim=args.dim)),
             ("logratio SVD + prop(10, 0.2, 0.5)", lambda g: ge.spectral_propagation(
                 g, _logratio_svd(g, args.dim).astype("float32"), order=10, mu=0.2, theta=0.5))]
    if _has_nodevectors():
        cands.append(("ProNE (nodevectors)", lambda g: _prone(g, args.dim)))
    vals = {}
    for label, fn in cands:
        res = node_classification(fn(ds.graph), ds.labels, train_ratios=(0.1, 0.5, 0.9),
                                  repeats=args.shuffles, random_state=0, C=1.0,
                                  normalize="l2", validation=True)
        vals[label] = {r: np.asarray(res.scores[(r, "micro_f1")]) for r in (0.1, 0.5, 0.9)}
    lines = [f"# paired validation differences against spectral on {args.paired} "
             f"(bench/spectral.py --paired {args.paired})", "",
             f"dim {args.dim}; validation Micro-F1, {args.shuffles} shuffles (the same splits for "
             "every row); cells: mean (standard error of the mean paired difference); load "
             f"average {os.getloadavg()[0]:.1f}.", "",
             "| embedding | 10 % | 50 % | 90 % |", "|---|---|---|---|"]
    for label in vals:
        cells = []
        for r in (0.1, 0.5, 0.9):
            v, d = vals[label][r], vals[label][r] - vals["spectral"][r]
            se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
            cells.append(f"{v.mean():.4f}" if label == "spectral"
                         else f"{v.mean():.4f} ({d.mean():+.4f} ± {se:.4f})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    out = os.path.join(HERE, "results", f"spectral_paired_{args.paired}")
    with open(out + ".json", "w") as fh:
        json.dump({"dim": args.dim, "shuffles": args.shuffles, "versions": versions(),
                   "load_average": os.getloadavg()[0], "threads": numba.get_num_threads(),
                   "values": {k: {str(r): v[r].tolist() for r in v} for k, v in vals.items()}},
                  fh, indent=1)
    with open(out + ".md", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--validation", action="store_true", help="choose defaults (see above)")
    p.add_argument("--propagation-validation", action="store_true",
                   help="spectral propagation on or off (see above)")
    p.add_argument("--convergence-validation", action="store_true",
                   help="more rounds / oversampling than the defaults, on validation splits")
    p.add_argument("--logratio-validation", action="store_true",
                   help="ProNE's log-ratio matrix, alone or beside spectral, on validation splits")
    p.add_argument("--weighting-validation", action="store_true",
                   help="other filters of the eigenvalues than the power, on validation splits")
    p.add_argument("--power-validation", action="store_true",
                   help="the eigenvalue power alone, ranked at 50 / 90 %%, on validation splits")
    p.add_argument("--rank-ratios", type=float, nargs="+", default=[0.5, 0.9],
                   help="power validation: the train ratios that rank the settings")
    p.add_argument("--paired", metavar="DATASET",
                   help="paired per-shuffle differences against spectral on one data set")
    p.add_argument("--shuffles", type=int, default=10, help="propagation validation shuffles")
    p.add_argument("--resume", action="store_true", help="keep finished trials")
    p.add_argument("--datasets", nargs="+", help="validation: data sets to use")
    p.add_argument("--quick", action="store_true", help="1e5 nodes / 1e6 edges")
    p.add_argument("--nodes", type=int)
    p.add_argument("--edges", type=int)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--graphs", nargs="+", default=["er", "rmat"], choices=["er", "rmat"])
    p.add_argument("--tag", default="")
    p.add_argument("--rounds2", action="store_true", help="also time spectral with rounds=2")
    p.add_argument("--propagation", action="store_true",
                   help="also time spectral_propagation of FastRP's embedding (defaults)")
    args = p.parse_args(argv)
    if args.validation:
        return validation(args)
    if args.propagation_validation:
        return propagation_validation(args)
    if args.convergence_validation:
        return propagation_validation(args, CONVERGENCE_GRID, "spectral_convergence_validation",
                                      "spectral: more rounds or columns")
    if args.weighting_validation:
        return propagation_validation(args, WEIGHTING_GRID, "spectral_weighting_validation",
                                      "spectral: other eigenvalue filters")
    if args.power_validation:
        return propagation_validation(args, POWER_GRID, "spectral_power_validation",
                                      "spectral: the eigenvalue power", args.rank_ratios)
    if args.paired:
        return paired(args)
    if args.logratio_validation:
        return propagation_validation(args, LOGRATIO_GRID, "spectral_logratio_validation",
                                      "log-ratio (ProNE) matrix against spectral")
    n = args.nodes or (100_000 if args.quick else 1_000_000)
    m = args.edges or 10 * n
    rows = []
    for kind in args.graphs:
        g = erdos_renyi(n, m) if kind == "er" else rmat(n, m)
        name = "Erdős–Rényi" if kind == "er" else "R-MAT"
        load0 = os.getloadavg()[0]
        f = measure(lambda: ge.fastrp(g, dim=args.dim), args.repeat)
        s = measure(lambda: spectral(g, dim=args.dim), args.repeat)
        s2 = measure(lambda: spectral(g, dim=args.dim, rounds=2), args.repeat) \
            if args.rounds2 else None
        row = {"graph": name, "nodes": g.n, "edges": g.num_edges, "dim": args.dim,
               "fastrp_s": f[0], "fastrp_walls": f[1], "fastrp_cpu_s": f[2],
               "fastrp_extra_bytes": f[3], "spectral_s": s[0], "spectral_walls": s[1],
               "spectral_cpu_s": s[2], "spectral_extra_bytes": s[3], "ratio": s[0] / f[0],
               "buffer_bytes": 4 * g.n * args.dim, "load_average": [load0, os.getloadavg()[0]]}
        if s2:
            row.update({"spectral_rounds2_s": s2[0], "spectral_rounds2_walls": s2[1],
                        "spectral_rounds2_extra_bytes": s2[3], "ratio_rounds2": s2[0] / f[0]})
            print(f"    spectral rounds=2: {s2[0]:.2f} s, ratio {row['ratio_rounds2']:.2f}",
                  flush=True)
        if args.propagation:
            X = ge.fastrp(g, dim=args.dim)
            pr = measure(lambda: ge.spectral_propagation(g, X), args.repeat)
            del X
            row.update({"propagation_s": pr[0], "propagation_walls": pr[1],
                        "propagation_cpu_s": pr[2], "propagation_extra_bytes": pr[3],
                        "ratio_propagation": pr[0] / f[0]})
            print(f"    spectral_propagation: {pr[0]:.2f} s, ratio {pr[0] / f[0]:.2f}, extra "
                  f"memory {pr[3] / 2**20:,.0f} MiB", flush=True)
        rows.append(row)
        print(f"{name:12s} n={g.n:,} edges={g.num_edges:,} dim={args.dim}: fastrp {f[0]:.2f} s, "
              f"spectral {s[0]:.2f} s, ratio {row['ratio']:.2f}, extra memory fastrp "
              f"{f[3] / 2**20:,.0f} MiB spectral {s[3] / 2**20:,.0f} MiB (one n x dim buffer "
              f"{row['buffer_bytes'] / 2**20:,.0f} MiB), load {load0:.1f}", flush=True)
    from graphembed.spectral import (DEFAULT_DEGREE, DEFAULT_OVERSAMPLING, DEFAULT_ROUNDS)

    record = {"rows": rows, "threads": numba.get_num_threads(), "versions": versions(),
              "spectral_defaults": {"rounds": DEFAULT_ROUNDS, "degree": DEFAULT_DEGREE,
                                    "oversampling": DEFAULT_OVERSAMPLING},
              "repeat": args.repeat}
    tag = f"_{args.tag}" if args.tag else ""
    out = os.path.join(HERE, "results", f"spectral{tag}")
    with open(out + ".json", "w") as fh:
        json.dump(record, fh, indent=1)
    lines = ["# spectral vs FastRP, same dim, same run (bench/spectral.py)", "",
             f"{record['threads']} numba threads, median of {args.repeat} warm runs; spectral at "
             f"its defaults (rounds {DEFAULT_ROUNDS}, degree {DEFAULT_DEGREE}, oversampling "
             f"{DEFAULT_OVERSAMPLING}), fastrp at its defaults except dim.", "",
             "| graph | nodes | edges | dim | fastrp s | spectral s | ratio | fastrp extra MiB | "
             "spectral extra MiB | n×dim buffer MiB | load avg |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['graph']} | {r['nodes']:,} | {r['edges']:,} | {r['dim']} | "
                     f"{r['fastrp_s']:.2f} | {r['spectral_s']:.2f} | {r['ratio']:.2f} | "
                     f"{r['fastrp_extra_bytes'] / 2**20:,.0f} | "
                     f"{r['spectral_extra_bytes'] / 2**20:,.0f} | "
                     f"{r['buffer_bytes'] / 2**20:,.0f} | {r['load_average'][0]:.1f} |")
        if "ratio_rounds2" in r:
            lines.append(f"| {r['graph']}, spectral rounds=2 | | | | | "
                         f"{r['spectral_rounds2_s']:.2f} | {r['ratio_rounds2']:.2f} | | "
                         f"{r['spectral_rounds2_extra_bytes'] / 2**20:,.0f} | | |")
        if "ratio_propagation" in r:
            lines.append(f"| {r['graph']}, spectral_propagation of the FastRP embedding | | | "
                         f"| | {r['propagation_s']:.2f} | {r['ratio_propagation']:.2f} | | "
                         f"{r['propagation_extra_bytes'] / 2**20:,.0f} | | |")
    with open(out + ".md", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
