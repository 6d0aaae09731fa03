"""FastRP's embedding with its principal directions partly whitened, on validation splits.

    python bench/fastrp_whitening.py [--shuffles 10] [--datasets ...]
    python bench/fastrp_whitening.py --dim 512 --normalize none --datasets blogcatalog --shuffles 3
        # the main job's raw-vector protocol
    bench/.venv-peers/bin/python bench/fastrp_whitening.py   # adds the PyPI fastrp reference

FastRP at its defaults (dim 128) collapses on small dense graphs: a few principal directions hold
most of the variance (rank90 11 on email-Eu-core), and a classifier on l2 rows barely sees the
rest. The candidate: centre ``E``, take its SVD ``E = U·S·Vᵀ`` and keep ``U·S^(1−γ)`` (γ = 0:
unchanged up to a rotation; γ = 1: whitened; γ = 0.5: ProNE's ``U·sqrt(S)``) — an O(n·dim²)
step. Each γ of ``GAMMAS`` (declared before any run) on validation splits of every bundled
labelled graph (``node_classification(..., validation=True)``: every training part split again,
20 % validates, test parts never read), Micro-F1 at 10 / 50 / 90 %, with the PyPI ``fastrp``
package's embedding as a reference row where it is installed. ``--dim`` and ``--normalize``
(the classifier's row normalisation: l2, or none as ``graphembed evaluate`` scores) change the
protocol. Writes bench/results/fastrp_whitening[_dimD_NORM].json and .md (the suffix when either
differs from dim 128, l2).
"""

import argparse
import json
import os
import sys
from pathlib import Path

# bench/ holds a fastrp.py that would shadow the PyPI ``fastrp`` package: drop the script's folder
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
GAMMAS = (0.0, 0.5, 0.75, 1.0)
DATASETS = ("blogcatalog", "cora", "wiki_openne", "email_eu_core", "airports_usa")


def whiten(E, gamma):
    """``U·S^(1−γ)`` of the centred ``E`` (float32)."""
    E = np.asarray(E, np.float64)
    U, S, _ = np.linalg.svd(E - E.mean(axis=0), full_matrices=False)
    return (U * S ** (1.0 - gamma)).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shuffles", type=int, default=10)
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS))
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--normalize", default="l2", choices=("l2", "none"))
    args = ap.parse_args()

    import numba
    import scipy.sparse as sp

    import graphembed as ge
    from graphembed import datasets
    from graphembed.evaluation import node_classification
    from graphembed.methods import versions

    try:
        from fastrp import FastRP
    except ImportError:
        FastRP = None
    rows = []
    for name in args.datasets:
        ds = datasets.load(name)
        E = ge.fastrp(ds.graph, dim=args.dim, random_state=0)
        cands = [(f"graphembed fastrp, γ = {g}", whiten(E, g) if g else E) for g in GAMMAS]
        if FastRP is not None:
            model = FastRP(args.dim, seed=0)
            model.fit(sp.csr_matrix(ds.graph.to_scipy().astype(np.float64)))
            cands.append(("PyPI fastrp (reference)", np.asarray(model.embeddings_)))
        for label, X in cands:
            res = node_classification(X, ds.labels, train_ratios=(0.1, 0.5, 0.9),
                                      repeats=args.shuffles, random_state=0, C=1.0,
                                      normalize=args.normalize, validation=True)
            by = [float(res.mean(r, "micro_f1")) for r in (0.1, 0.5, 0.9)]
            rows.append({"dataset": name, "setting": label, "micro_f1": by})
            print(f"{name:14s} {label:32s} " + " ".join(f"{v:.4f}" for v in by), flush=True)
    record = {"rows": rows, "shuffles": args.shuffles, "gammas": GAMMAS, "dim": args.dim,
              "normalize": args.normalize, "versions": versions(),
              "threads": numba.get_num_threads(), "load_average": os.getloadavg()}
    suffix = "" if (args.dim, args.normalize) == (128, "l2") else \
        f"_dim{args.dim}_{args.normalize}"
    out = HERE / "results" / f"fastrp_whitening{suffix}"
    with open(f"{out}.json", "w") as fh:
        json.dump(record, fh, indent=1)
    lines = ["# FastRP, principal directions partly whitened (bench/fastrp_whitening.py)", "",
             f"dim {args.dim}, FastRP defaults, validation Micro-F1 at 10 / 50 / 90 %, "
             f"{args.shuffles} shuffles (test parts never read), rows {args.normalize}, C = 1; "
             f"{record['threads']} threads, load {record['load_average'][0]:.1f}.", "",
             "| data set | setting | 10 % | 50 % | 90 % |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['setting']} | "
                     + " | ".join(f"{v:.4f}" for v in r["micro_f1"]) + " |")
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in record["versions"].items())]
    with open(f"{out}.md", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
