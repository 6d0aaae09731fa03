"""graphembed beside its peers on every bundled labelled graph, one protocol.

Install (the peers live in the benchmark's own environment, never as graphembed dependencies;
``--no-deps`` where a peer's pins would replace graphembed's numpy / scipy / networkx)::

    python -m venv bench/.venv-peers
    bench/.venv-peers/bin/pip install -e . scikit-learn pandas tqdm gensim six decorator
    bench/.venv-peers/bin/pip install scikit-network==0.33.5
    bench/.venv-peers/bin/pip install --no-deps nodevectors==0.1.23 csrgraph==0.1.28 \
        fastrp==0.1.1 karateclub==1.3.3 python-louvain pygsp

(nodevectors 0.2.0 needs Python >= 3.12; 0.1.23 has the same ProNE. karateclub 1.3.3 pins
numpy < 1.23 and networkx < 2.7: it is installed without them and RandNE runs on the current
ones.) Then::

    bench/.venv-peers/bin/python bench/peers.py                       # everything
    bench/.venv-peers/bin/python bench/peers.py --datasets cora wiki_openne --only fastrp prone

Protocol (every method, every graph): dim 128, each library at its own documented defaults
otherwise; ``graphembed.evaluation.node_classification(X, labels, train_ratios=(0.1, 0.5, 0.9),
repeats=10, random_state=0, C=1.0, normalize="l2")`` with its default solver; Micro/Macro-F1
at 10 / 50 / 90 %. Embed time: wall seconds in this (warm) process, the median of ``--repeats``
runs after one untimed warm-up run (JIT compilation, imports and caches excluded). A method
that is missing from the environment is reported as skipped, not as a failure.

Writes a table to stdout and ``bench/results/peers[_TAG].json`` / ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

# bench/ holds a fastrp.py that would shadow the PyPI ``fastrp`` package: drop the script's folder
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATASETS = ("blogcatalog", "cora", "wiki_openne", "email_eu_core", "airports_usa")
RATIOS = (0.1, 0.5, 0.9)
DIM = 128


# ------------------------------------------------------------------------------- methods
# Each takes (graph: CSRGraph, A: symmetric scipy CSR float64, dim, seed) -> (n, dim) array.


def ge_fastrp(g, A, dim, seed):
    import graphembed as ge

    return ge.fastrp(g, dim=dim, random_state=seed)


def ge_spectral(g, A, dim, seed):
    from graphembed.spectral import spectral

    return spectral(g, dim=dim, random_state=seed)


def ge_spectral_prop(g, A, dim, seed):
    import graphembed as ge

    return ge.spectral_propagation(g, ge.spectral(g, dim=dim, random_state=seed))


def ge_fastrp_prop(g, A, dim, seed):
    import graphembed as ge

    return ge.spectral_propagation(g, ge.fastrp(g, dim=dim, random_state=seed))


def ge_irwe_position(g, A, dim, seed):
    from graphembed.walks import irwe_position

    return irwe_position(g, dim=dim, random_state=seed, num_threads=None)


def ge_irwe_identity(g, A, dim, seed):
    from graphembed.walks import irwe_identity

    return irwe_identity(g, dim=dim, random_state=seed, num_threads=None)


def ge_orbits(g, A, dim, seed):
    import graphembed as ge

    return ge.orbit_embedding(g, dim=dim, random_state=seed)


def skn_spectral(g, A, dim, seed):
    from sknetwork.embedding import Spectral

    return Spectral(n_components=dim).fit_transform(A)


def skn_svd(g, A, dim, seed):
    from sknetwork.embedding import SVD

    return SVD(n_components=dim).fit_transform(A)


def skn_random_projection(g, A, dim, seed):
    from sknetwork.embedding import RandomProjection

    return RandomProjection(n_components=dim, random_state=seed).fit_transform(A)


def nv_prone(g, A, dim, seed):
    from nodevectors import ProNE

    np.random.seed(seed)  # its randomized SVD draws from numpy's global state
    return ProNE(n_components=dim).fit_transform(A)


def pypi_fastrp(g, A, dim, seed):
    from fastrp import FastRP

    model = FastRP(dim, seed=seed)
    model.fit(A)
    return np.asarray(model.embeddings_)


def kc_randne(g, A, dim, seed):
    import networkx as nx
    from karateclub import RandNE

    G = nx.from_scipy_sparse_array(A)
    model = RandNE(dimensions=dim, seed=seed)
    model.fit(G)
    return model.get_embedding()


METHODS = {
    "fastrp": ("graphembed fastrp (defaults, dim 128)", ge_fastrp, "graphembed"),
    "spectral": ("graphembed spectral (defaults)", ge_spectral, "graphembed"),
    "spectral_prop": ("graphembed spectral + spectral_propagation", ge_spectral_prop,
                      "graphembed"),
    "fastrp_prop": ("graphembed fastrp + spectral_propagation", ge_fastrp_prop, "graphembed"),
    "irwe_position": ("graphembed irwe_position", ge_irwe_position, "graphembed"),
    "irwe_identity": ("graphembed irwe_identity", ge_irwe_identity, "graphembed"),
    "orbits": ("graphembed orbit_embedding (roles)", ge_orbits, "graphembed"),
    "skn_spectral": ("scikit-network Spectral", skn_spectral, "sknetwork"),
    "skn_svd": ("scikit-network SVD", skn_svd, "sknetwork"),
    "skn_rp": ("scikit-network RandomProjection", skn_random_projection, "sknetwork"),
    "prone": ("nodevectors ProNE", nv_prone, "nodevectors"),
    "pypi_fastrp": ("fastrp (PyPI, Rust)", pypi_fastrp, "fastrp"),
    "randne": ("karateclub RandNE", kc_randne, "karateclub"),
}
#: Methods run by default (irwe_* are slower and opt-in with --only).
DEFAULT_METHODS = ("fastrp", "spectral", "spectral_prop", "fastrp_prop", "skn_spectral",
                   "skn_svd", "skn_rp", "prone", "pypi_fastrp", "randne")
PEERS = ("skn_spectral", "skn_svd", "skn_rp", "prone", "pypi_fastrp", "randne")


def available(module):
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def versions():
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in ("graphembed", "numpy", "scipy", "numba", "scikit-learn", "networkx",
                "scikit-network", "nodevectors", "csrgraph", "fastrp", "karateclub", "gensim"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


# ------------------------------------------------------------------------------- running


def effective_rank(X, share=0.9):
    """Directions holding ``share`` of the (centred) variance: how many the embedding uses."""
    Xc = np.asarray(X, dtype=np.float64)
    Xc = Xc - Xc.mean(axis=0)
    s = np.linalg.svd(Xc, compute_uv=False) ** 2
    if s.sum() == 0:
        return 0
    return int(np.searchsorted(np.cumsum(s) / s.sum(), share) + 1)


def embed_timed(fn, g, A, dim, seed, repeats):
    """One untimed warm-up run, then the median of ``repeats`` timed runs (a run longer than
    ``SLOW`` seconds is timed once only)."""
    t0 = time.perf_counter()
    X = fn(g, A, dim, seed)
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats if first < SLOW else 1):
        t0 = time.perf_counter()
        X = fn(g, A, dim, seed)
        times.append(time.perf_counter() - t0)
    return np.asarray(X), statistics.median(times), times, first


SLOW = 20.0


def run(args):
    from graphembed import datasets
    from graphembed.evaluation import node_classification

    methods = args.only or list(DEFAULT_METHODS)
    for m in methods:
        if m not in METHODS:
            raise SystemExit(f"--only: unknown method {m!r}; known: {', '.join(METHODS)}")
    names = args.datasets or list(DATASETS)
    for d in names:
        if d not in datasets.available():
            raise SystemExit(f"--datasets: unknown data set {d!r}; bundled: "
                             f"{', '.join(datasets.available())}")
    tag = f"_{args.tag}" if args.tag else ""
    out_json = RESULTS / f"peers{tag}.json"
    out_md = RESULTS / f"peers{tag}.md"
    RESULTS.mkdir(parents=True, exist_ok=True)
    import numba

    record = {"protocol": {"dim": args.dim, "train_ratios": RATIOS, "repeats": args.shuffles,
                           "random_state": 0, "C": 1.0, "normalize": "l2",
                           "timing": f"median of {args.repeats} warm runs"},
              "versions": versions(), "numba_threads": numba.get_num_threads(),
              "cpu_count": os.cpu_count(), "load_average_start": os.getloadavg(),
              "results": []}
    for dname in names:
        ds = datasets.load(dname)
        g = ds.graph
        A = g.to_scipy()
        A = sp.csr_matrix(((A + A.T) > 0).astype(np.float64))  # the symmetric 0/1 adjacency
        A.setdiag(0)
        A.eliminate_zeros()
        for m in methods:
            label, fn, module = METHODS[m]
            row = {"dataset": dname, "method": m, "label": label, "nodes": g.n,
                   "edges": int(A.nnz // 2)}
            if not available(module):
                row["skipped"] = f"{module} not installed"
                print(f"{dname:14s} {m:14s} skipped ({module} not installed)", flush=True)
                record["results"].append(row)
                continue
            try:
                X, sec, times, first = embed_timed(fn, g, A, args.dim, 0, args.repeats)
            except Exception as e:  # a peer failing on a graph is a result, not a crash
                row["error"] = f"{type(e).__name__}: {e}"
                print(f"{dname:14s} {m:14s} error {row['error']}", flush=True)
                record["results"].append(row)
                continue
            finite = np.isfinite(X).all(axis=1)
            if not finite.all():
                row["nonfinite_rows"] = int((~finite).sum())
                X = np.where(np.isfinite(X), X, 0.0)
            t0 = time.perf_counter()
            res = node_classification(X, ds.labels, train_ratios=RATIOS, repeats=args.shuffles,
                                      random_state=0, C=1.0, normalize="l2", method=m)
            row.update({
                "embed_seconds": sec, "embed_times": times, "first_run_seconds": first,
                "score_seconds": time.perf_counter() - t0, "dim": int(X.shape[1]),
                "effective_rank_90": effective_rank(X),
                "micro_f1": {str(r): res.mean(r, "micro_f1") for r in RATIOS},
                "micro_f1_std": {str(r): res.std(r, "micro_f1") for r in RATIOS},
                "macro_f1": {str(r): res.mean(r, "macro_f1") for r in RATIOS},
                "solver": res.params.get("solver") if hasattr(res, "params") else None,
            })
            record["results"].append(row)
            mi = row["micro_f1"]
            print(f"{dname:14s} {m:14s} " + " ".join(f"{mi[str(r)]:.4f}" for r in RATIOS)
                  + f"  {sec:8.3f} s  rank90 {row['effective_rank_90']}", flush=True)
            out_json.write_text(json.dumps(record, indent=1))
    record["load_average_end"] = os.getloadavg()
    out_json.write_text(json.dumps(record, indent=1))
    text = table(record)
    out_md.write_text(text)
    print()
    print(text)
    print(f"wrote {out_json.relative_to(ROOT)} and {out_md.relative_to(ROOT)}")


def table(record):
    lines = ["# graphembed and its peers, node classification (bench/peers.py)", "",
             f"dim {record['protocol']['dim']}, C = 1, l2-normalised rows, "
             f"{record['protocol']['repeats']} shuffles; embed time = "
             f"{record['protocol']['timing']}; numba threads {record['numba_threads']}, "
             f"load average {record['load_average_start'][0]:.2f} at the start.", "",
             "| data set | method | Micro 10 % | Micro 50 % | Micro 90 % | Macro 10 % | "
             "Macro 50 % | Macro 90 % | embed s | rank90 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in record["results"]:
        if "micro_f1" not in r:
            why = r.get("skipped") or r.get("error")
            lines.append(f"| {r['dataset']} | {r['label']} | {why} | | | | | | | |")
            continue
        mi, ma = r["micro_f1"], r["macro_f1"]
        lines.append(f"| {r['dataset']} | {r['label']} | "
                     + " | ".join(f"{mi[str(x)]:.4f}" for x in RATIOS) + " | "
                     + " | ".join(f"{ma[str(x)]:.4f}" for x in RATIOS)
                     + f" | {r['embed_seconds']:.3f} | {r['effective_rank_90']} |")
    lines += ["", "rank90: directions holding 90 % of the embedding's centred variance.",
              "", "Versions: " + ", ".join(f"{k} {v}" for k, v in record["versions"].items())]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", help=f"subset of {', '.join(DATASETS)}")
    p.add_argument("--only", nargs="+", help=f"methods to run: {', '.join(METHODS)}")
    p.add_argument("--dim", type=int, default=DIM)
    p.add_argument("--shuffles", type=int, default=10, help="node_classification repeats")
    p.add_argument("--repeats", type=int, default=3, help="timed embedding runs (median)")
    p.add_argument("--tag", default="", help="suffix of the result files")
    run(p.parse_args(argv))


if __name__ == "__main__":
    main()
