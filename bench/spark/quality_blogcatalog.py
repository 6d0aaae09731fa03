"""Node classification on BlogCatalog: single machine vs 4 partitions (landmarks, aligned,
DistNE mode).

    python bench/spark/quality_blogcatalog.py [--quick] [--methods irwe,orbits] [--partitions 4]

The partitioned embeddings are computed by graphembed.distributed.embed_partitioned, the
in-process twin of spark_jobs/embed.py (same per-partition adapters, same halo, anchors and
Procrustes rounds, same landmark fit; the Spark job only moves the tables). Partitions:
DistNE-style locality growth (graphembed.distributed.grow_partitions) with the arc cap that
gives about P partitions, and hash partitioning for comparison. Micro/Macro-F1 of one-vs-rest
logistic regression (graphembed.evaluation) at several training ratios; the same splits for
every embedding. Orbits use the 19 keys of adjacent pairs by default (--orbit-keys).
Writes bench/spark/results/quality_blogcatalog.json and .md.
"""

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--methods", default="irwe,orbits")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--ratios", default="0.1,0.5,0.9")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--runs", default="single,aligned-locality,aligned-hash,distne-locality,"
                    "distne-hash,landmarks-hash,landmarks-locality",
                    help="which runs (comma-separated)")
    ap.add_argument("--orbit-keys", default="h1", choices=("h1", "all"),
                    help="orbits: the 19 keys of adjacent pairs (default) or all 27 h <= 2")
    ap.add_argument("--append", action="store_true",
                    help="add the rows to an existing results/quality_blogcatalog.json")
    args = ap.parse_args()

    from graphembed import datasets
    from graphembed import distributed as D
    from graphembed.evaluation.node_classification import node_classification
    from graphembed.methods import embed, versions

    ds = datasets.load("blogcatalog")
    g = ds.graph
    ratios = [float(r) for r in args.ratios.split(",")]
    P = args.partitions
    cap = D.arc_cap_for(g.nnz, P)
    parts_loc = D.grow_partitions(g.indptr, g.indices, g.node_keys(), max_arcs=cap, seed=0)
    parts_hash = D.hash_partition(g.node_keys(), P, seed=0)
    border = D.border_mask(g.indptr, g.indices, parts_loc)
    info = {"nodes": g.n, "edges": g.num_edges, "partitions": P, "arc_cap": cap,
            "locality_partitions": int(parts_loc.max() + 1),
            "locality_sizes": np.bincount(parts_loc).tolist(),
            "locality_border_nodes": int(border.sum())}
    print(json.dumps(info), flush=True)

    def score(X, name):
        res = node_classification(X, ds.labels, train_ratios=ratios, repeats=args.repeats,
                                  random_state=0, method=name)
        return {str(r): {"micro_f1": float(res.mean(r, "micro_f1")),
                         "macro_f1": float(res.mean(r, "macro_f1"))} for r in ratios}

    rows = []
    for method in args.methods.split(","):
        params = {}
        if args.quick and method == "irwe":
            params = {"identity_walks": "200", "walks_per_node": "5"}
        if method == "orbits" and args.orbit_keys == "h1":
            # the 19 keys of adjacent pairs: on BlogCatalog A² is 62 % dense, so each of the 8
            # distance-2 orbit matrices would hold ~65 M entries
            from graphembed.orbits import KEYS

            params = {"keys": ";".join(",".join(map(str, k)) for k in KEYS if k[0] == 1)}
        hops = 2 if method.startswith("orbit") else 1
        every = {"single": ("single machine", None, None),
                 "aligned-locality": (f"aligned, locality cap for P={P}", parts_loc, "aligned"),
                 "aligned-hash": (f"aligned, hash P={P}", parts_hash, "aligned"),
                 "distne-locality": (f"DistNE mode, locality cap for P={P}", parts_loc, "distne"),
                 "distne-hash": (f"DistNE mode, hash P={P}", parts_hash, "distne"),
                 "landmarks-hash": (f"landmarks, hash P={P}", parts_hash, "landmarks"),
                 "landmarks-locality": (f"landmarks, locality cap for P={P}", parts_loc,
                                        "landmarks")}
        runs = [every[r] for r in args.runs.split(",")]
        for name, parts, mode in runs:
            t0 = time.perf_counter()
            if parts is None:
                X = embed(g, method, dim=args.dim, random_state=0, params=params).vectors
                stats = {}
            else:
                X, stats = D.embed_partitioned(g, parts, method=method, dim=args.dim,
                                               random_state=0, params=params, mode=mode,
                                               halo_hops=hops, anchors=args.dim)
            seconds = time.perf_counter() - t0
            s = score(X, f"{method} {name}")
            row = {"method": method, "run": name, "params": params, "seconds": seconds,
                   "scores": s, "stats": {k: v for k, v in stats.items() if k != "mode"}}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.append:
        old = json.loads((HERE / "results" / "quality_blogcatalog.json").read_text())
        rows = old["rows"] + rows
    out = {
        "benchmark": "quality_blogcatalog",
        "dataset": info,
        "dim": args.dim,
        "train_ratios": ratios,
        "repeats": args.repeats,
        "quick": args.quick,
        "rows": rows,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": os.environ.get("NUMBA_NUM_THREADS"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared with other jobs",
        "versions": versions(),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "quality_blogcatalog.json").write_text(json.dumps(out, indent=2))
    lines = ["| method | run | " + " | ".join(f"Micro-F1 @{r}" for r in ratios)
             + " | Δ vs single @0.5 | seconds |", "|---|---|" + "---|" * (len(ratios) + 2)]
    base = {}
    for row in rows:
        m = row["method"]
        mid = row["scores"][str(0.5 if 0.5 in ratios else ratios[0])]["micro_f1"]
        base.setdefault(m, mid)
        lines.append(f"| {m} | {row['run']} | "
                     + " | ".join(f"{row['scores'][str(r)]['micro_f1']:.4f}" for r in ratios)
                     + f" | {mid - base[m]:+.4f} | {row['seconds']:.0f} |")
    (HERE / "results" / "quality_blogcatalog.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
