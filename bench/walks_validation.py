"""Choose the IRWE position defaults on validation splits: the test part is never read.

    python bench/walks_validation.py [--datasets blogcatalog,cora] [--windows 1,2,3,5,10]
                                     [--walks 10,20] [--repeats 3] [--threads N] [--label TEXT]

The committed results come from three runs: ``--datasets blogcatalog``, ``--datasets cora
--repeats 10`` and the BlogCatalog follow-up below.

For every (window, walks_per_node) of the grid, the ``irwe_position`` embedding (dim 128, walk
length 80, seed 0) is computed on the whole graph (no labels involved) and scored by
``graphembed.evaluation.node_classification`` in validation mode: repeat r shuffles the labelled
nodes with seed r exactly as the test protocol does, keeps the training part of the 50 % split,
and fits on 80 % of it and scores the other 20 % (one-vs-rest liblinear logistic regression,
C = 1, L2-normalised vectors, the same splits for every configuration). The choice: the grid on
BlogCatalog with 3 shuffles, then its two best configurations again with 10 shuffles
(``--windows 2,3 --walks 20 --repeats 10 --label "top two, 10 shuffles"``); the better mean
validation Micro-F1 there wins. Cora (10 shuffles) is the second check.

Results are written after every configuration (bench/results/walks_validation.json and .md), so
an interrupted run keeps what it measured; runs for different data sets merge into one file.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT_JSON = HERE / "results" / "walks_validation.json"
OUT_MD = HERE / "results" / "walks_validation.md"
PROTOCOL = {"train_ratio": 0.5, "validation_fraction": 0.2, "C": 1.0, "normalize": "l2",
            "metric for the choice": "micro_f1", "method": "irwe_position", "dim": 128,
            "walk_length": 80, "random_state": 0}


def _ints(text):
    return [int(x) for x in text.split(",") if x]


def _grid(windows, walks):
    """Cheaper configurations first, so that an interrupted run has the informative ones."""
    return sorted(((w, k) for w in windows for k in walks), key=lambda c: (c[0] * c[1], c))


def _save(dataset, entry):
    """Merge ``entry`` (one data set's results) into the JSON file and rewrite the table."""
    OUT_JSON.parent.mkdir(exist_ok=True)
    with open(OUT_JSON.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(OUT_JSON.read_text()) if OUT_JSON.is_file() else {}
        data.setdefault("datasets", {})[dataset] = entry
        data.update({k: v for k, v in entry["header"].items()})
        tmp = OUT_JSON.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, OUT_JSON)
        OUT_MD.write_text(_markdown(data))
    OUT_JSON.with_suffix(".lock").unlink(missing_ok=True)


def _markdown(data):
    lines = ["# IRWE position defaults chosen on validation splits", "",
             f"{data['protocol_text']}", "",
             f"{data['threads']} threads; {data['machine']}; versions: "
             + ", ".join(f"{k} {v}" for k, v in data["versions"].items()) + ".", ""]
    for name, entry in data["datasets"].items():
        shuffles = len(entry["trials"][0]["micro_f1_values"]) if entry["trials"] else 0
        lines += [f"## {name} ({shuffles} shuffles)", "",
                  "| window | walks per node | validation Micro-F1 | validation Macro-F1 | "
                  "embed s | scoring s |", "|---:|---:|---:|---:|---:|---:|"]
        best = max(entry["trials"], key=lambda t: t["micro_f1"]) if entry["trials"] else None
        for t in sorted(entry["trials"], key=lambda t: (t["window"], t["walks_per_node"])):
            mark = "**" if t is best else ""
            lines.append(f"| {t['window']} | {t['walks_per_node']} | "
                         f"{mark}{t['micro_f1']:.4f} ± {t['micro_f1_std']:.4f}{mark} | "
                         f"{t['macro_f1']:.4f} ± {t['macro_f1_std']:.4f} | "
                         f"{t['embed_seconds']:.0f} | {t['scoring_seconds']:.0f} |")
        if best is not None:
            lines += ["", f"Best by validation Micro-F1: window {best['window']}, "
                          f"{best['walks_per_node']} walks per node "
                          f"({len(entry['trials'])} of {entry['grid_size']} configurations run).",
                      ""]
    lines += _choice(data)
    return "\n".join(lines) + "\n"


def _choice(data):
    """The rule of the module docstring, applied to what has been measured."""
    follow = [e for k, e in data["datasets"].items()
              if k.startswith("blogcatalog ") and len(e["trials"]) >= 2]
    if not follow:
        return []
    trials = sorted(follow[-1]["trials"], key=lambda t: -t["micro_f1"])
    best, second = trials[0], trials[1]
    text = [f"Window {best['window']}, {best['walks_per_node']} walks per node: the better mean "
            f"validation Micro-F1 of BlogCatalog's two best grid configurations re-scored on "
            f"{len(best['micro_f1_values'])} shuffles."]
    for metric in ("micro_f1", "macro_f1"):
        d = np.subtract(best[f"{metric}_values"], second[f"{metric}_values"])
        se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
        text.append(f"Paired difference against window {second['window']}, "
                    f"{second['walks_per_node']} walks ({metric.replace('_', '-')}): "
                    f"{d.mean():+.4f} ± {se:.4f} (standard error over the shuffles).")
    check = data["datasets"].get("cora")
    if check and check["trials"]:
        top = max(check["trials"], key=lambda t: t["micro_f1"])
        same = [t for t in check["trials"]
                if (t["window"], t["walks_per_node"]) == (best["window"], best["walks_per_node"])]
        if same:
            text.append(f"Second check, Cora: the choice scores {same[0]['micro_f1']:.4f}; Cora's "
                        f"best is window {top['window']}, {top['walks_per_node']} walks "
                        f"({top['micro_f1']:.4f}).")
    return ["## Choice", "", " ".join(text), ""]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="blogcatalog,cora")
    ap.add_argument("--windows", type=_ints, default=[1, 2, 3, 5, 10])
    ap.add_argument("--walks", type=_ints, default=[10, 20])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--label", default="",
                    help="suffix of the result entry's name (keeps an earlier run of the data set)")
    args = ap.parse_args()

    import numba

    from graphembed.datasets import load
    from graphembed.evaluation import node_classification
    from graphembed.methods import embed, versions

    numba.set_num_threads(args.threads)
    p = PROTOCOL
    header = {
        "benchmark": "IRWE position embedding: window x walks per node, validation scores only",
        "protocol": dict(p),
        "protocol_text": (
            f"irwe_position, dim {p['dim']}, walk length {p['walk_length']}, seed "
            f"{p['random_state']}; node classification in validation mode: the training part of "
            f"the {p['train_ratio']:.0%} split of each seeded shuffle (seeds 0, 1, ...; their "
            f"number is given per table) is split again, {1 - p['validation_fraction']:.0%} "
            f"fits and {p['validation_fraction']:.0%} validates (the test part is never read); "
            f"liblinear one-vs-rest, C = {p['C']}, L2-normalised vectors; mean ± std over the "
            "shuffles"),
        "threads": args.threads, "versions": versions(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared with other jobs",
    }
    grid = _grid(args.windows, args.walks)
    for name in args.datasets.split(","):
        ds = load(name)
        key = f"{name} {args.label}".strip()
        entry = {"header": header, "dataset": name, "repeats": args.repeats,
                 "seeds": list(range(args.repeats)),
                 "grid_size": len(grid), "trials": []}
        for window, walks in grid:
            t0 = time.perf_counter()
            emb = embed(ds.graph, p["method"], dim=p["dim"], random_state=p["random_state"],
                        num_threads=args.threads,
                        params={"window": window, "walks_per_node": walks,
                                "walk_length": p["walk_length"]})
            seconds = time.perf_counter() - t0
            res = node_classification(emb.vectors, ds.labels, train_ratios=[p["train_ratio"]],
                                      repeats=args.repeats, random_state=0, C=p["C"],
                                      normalize=p["normalize"], n_jobs=args.threads,
                                      validation=True,
                                      validation_fraction=p["validation_fraction"])
            r = p["train_ratio"]
            trial = {"window": window, "walks_per_node": walks,
                     "micro_f1": res.mean(r), "micro_f1_std": res.std(r),
                     "macro_f1": res.mean(r, "macro_f1"), "macro_f1_std": res.std(r, "macro_f1"),
                     "micro_f1_values": [float(v) for v in res.scores[(r, "micro_f1")]],
                     "macro_f1_values": [float(v) for v in res.scores[(r, "macro_f1")]],
                     "embed_seconds": seconds, "scoring_seconds": res.seconds,
                     "scoring_params": res.params}
            entry["trials"].append(trial)
            _save(key, entry)
            print(f"{name:>12} window {window:>2} walks {walks:>2}: validation Micro-F1 "
                  f"{trial['micro_f1']:.4f} ± {trial['micro_f1_std']:.4f}, Macro-F1 "
                  f"{trial['macro_f1']:.4f} (embed {seconds:.0f} s, scoring {res.seconds:.0f} s)",
                  flush=True)
    print()
    print(OUT_MD.read_text())


if __name__ == "__main__":
    main()
