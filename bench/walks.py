"""Random-walk throughput: graphembed.random_walks against PecanPy, in the same run.

    python bench/walks.py [--quick] [--threads N]          # speed against PecanPy
    python bench/walks.py --quality [--quick]              # node classification (README figures)

Two generated undirected graphs of 100,000 nodes and about 1,000,000 edges — "uniform" (G(n, m):
every node has about the same degree) and "heavy-tailed" (Chung-Lu with power-law expected degrees,
exponent 2.5) — and walks of 80 steps from every node:

* uniform first-order walks: graphembed vs PecanPy's ``FirstOrderUnweighted`` mode;
* node2vec walks (p = 0.5, q = 2): graphembed vs PecanPy's default mode ``SparseOTF``.

Both sides produce integer index arrays: PecanPy's walks are taken from its internal numba routine
``Base._random_walks`` (the array ``simulate_walks`` builds before converting every walk to a list
of node-id strings), so its string conversion is *not* in its time. Compile time is excluded for
both: each engine is warmed up on the same graph with a few walks first, and that warm-up is
reported apart. PecanPy's on-the-fly node2vec costs O(deg(c) + deg(t)) per step, so it walks
from a seeded random sample of ``--pecanpy-n2v-starts`` nodes only (the rate is per step, and
a walk forgets its start within a few steps). Each (graph, walk type) runs in a child process
that builds the graph (seeded), warms both engines up, then alternates their timed runs so that
load from other jobs on a shared machine hits both alike; the peak resident memory each run adds
(output included) is read from /proc (VmHWM, reset before each run). Steps per second =
(nodes visited - 1) summed over walks / wall time; median of the repeats.

Writes bench/results/walks.json and bench/results/walks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N_NODES = 100_000
N_EDGES = 1_000_000
WALK_LENGTH = 80


def make_graph(kind, n=N_NODES, m=N_EDGES, seed=0):
    """Undirected simple graph as sorted CSR (indptr int64, indices int32), about m edges."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    if kind == "uniform":
        weights = np.ones(n)
    elif kind == "heavy":
        gamma = 2.5
        weights = (np.arange(1, n + 1, dtype=np.float64)) ** (-1.0 / (gamma - 1.0))
    else:
        raise ValueError(kind)
    prob = weights / weights.sum()
    src = np.empty(0, np.int64)
    dst = np.empty(0, np.int64)
    need = m
    keys = np.empty(0, np.int64)
    while need > 0:
        k = int(need * 1.3) + 1000
        s = rng.choice(n, size=k, p=prob)
        d = rng.choice(n, size=k, p=prob)
        lo, hi = np.minimum(s, d), np.maximum(s, d)
        ok = lo != hi
        keys = np.unique(np.concatenate([keys, lo[ok] * n + hi[ok]]))
        need = m - len(keys)
    keys = rng.permutation(keys)[:m]
    src, dst = keys // n, keys % n
    A = sp.coo_array((np.ones(2 * m, np.float32), (np.r_[src, dst], np.r_[dst, src])),
                     shape=(n, n)).tocsr()
    A.sort_indices()
    return A.indptr.astype(np.int64), A.indices.astype(np.int32)


def _pecanpy():
    # PecanPy 2.0.9 imports nptyping, which still reads numpy aliases removed in numpy 2; give
    # it those names (types only, no behaviour) so it runs on the same numpy/numba as graphembed.
    aliases = {"bool8": "bool_", "object0": "object_", "int0": "intp", "uint0": "uintp",
               "void0": "void", "str0": "str_", "bytes0": "bytes_", "float_": "float64",
               "complex_": "complex128", "longfloat": "longdouble", "singlecomplex": "complex64",
               "cfloat": "complex128", "longcomplex": "clongdouble", "clongfloat": "clongdouble",
               "string_": "bytes_", "unicode_": "str_"}
    for old, new in aliases.items():
        if not hasattr(np, old):
            setattr(np, old, getattr(np, new))
    import pecanpy
    from numba_progress import ProgressBar
    from pecanpy import pecanpy as pp

    return pecanpy, pp, ProgressBar


def _reset_peak():
    """Reset this process's peak resident set size (Linux: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _peak_mb():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _graphembed_runner(indptr, indices, p, q, walks_per_node):
    import graphembed as ge

    n = len(indptr) - 1
    g = ge.CSRGraph(indptr, indices, None, np.arange(n))

    def run(seed, warm=False):
        W, L = ge.random_walks(g, walk_length=WALK_LENGTH, walks_per_node=1 if warm else
                               walks_per_node, p=p, q=q, random_state=seed, return_lengths=True,
                               start_nodes=np.arange(100) if warm else None)
        return int((L - 1).sum())

    return run, ge.__version__


def _pecanpy_runner(indptr, indices, p, q, walks_per_node, mode, n2v_starts):
    pecanpy, pp, ProgressBar = _pecanpy()
    n = len(indptr) - 1
    cls = pp.FirstOrderUnweighted if mode == "uniform" else pp.SparseOTF
    g = cls(p=p, q=q, random_state=0)
    g.set_node_ids([str(i) for i in range(n)])
    g.indptr = indptr.astype(np.uint32)
    g.indices = indices.astype(np.uint32)
    g.data = np.ones(len(indices), dtype=np.float32)
    g._preprocess_transition_probs()
    move_forward = g.get_move_forward()
    has_nbrs = g.get_has_nbrs()
    nodes = np.arange(n, dtype=np.uint32)
    if mode == "node2vec" and n2v_starts < n:
        nodes = np.sort(np.random.default_rng(7).choice(n, n2v_starts, replace=False))
        nodes = nodes.astype(np.uint32)

    def run(seed, warm=False):
        starts = np.concatenate([nodes] * walks_per_node)
        if warm:
            starts = starts[:100]
        np.random.seed(seed)
        np.random.shuffle(starts)  # as simulate_walks does, for load balance
        with ProgressBar(total=len(starts), disable=True) as progress:
            M = g._random_walks(len(starts), WALK_LENGTH, seed, starts, has_nbrs, move_forward,
                                progress)
        return int((M[:, -1].astype(np.int64) - 1).sum())

    return run, _version("pecanpy")


def child(kind, mode, walks_per_node, repeats, threads, n2v_starts):
    """Both engines on one graph and walk type, runs alternating; print a JSON line per engine."""
    import numba

    numba.set_num_threads(threads)
    indptr, indices = make_graph(kind)
    n = len(indptr) - 1
    p, q = (0.5, 2.0) if mode == "node2vec" else (1.0, 1.0)
    runners = {
        "graphembed": _graphembed_runner(indptr, indices, p, q, walks_per_node),
        "pecanpy": _pecanpy_runner(indptr, indices, p, q, walks_per_node, mode, n2v_starts),
    }
    res = {}
    for engine, (run, version) in runners.items():
        t0 = time.perf_counter()
        run(1, warm=True)
        res[engine] = {"warmup_s": time.perf_counter() - t0, "times_s": [], "version": version,
                       "peak_mb": 0.0}
    for r in range(repeats):
        for engine, (run, _) in runners.items():
            if engine == "pecanpy" and mode == "node2vec" and r >= max(1, repeats // 2):
                continue  # the slow baseline: fewer repeats
            base = _rss_mb()
            _reset_peak()
            t0 = time.perf_counter()
            steps = run(r)
            res[engine]["times_s"].append(time.perf_counter() - t0)
            res[engine]["steps"] = steps
            res[engine]["peak_mb"] = max(res[engine]["peak_mb"], _peak_mb() - base)
    for engine, d in res.items():
        med = float(np.median(d["times_s"]))
        print(json.dumps({
            "engine": engine, "graph": kind, "mode": mode, "nodes": n,
            "edges": len(indices) // 2, "max_degree": int(np.diff(indptr).max()),
            "steps": d["steps"], "times_s": d["times_s"], "median_s": med,
            "steps_per_s": d["steps"] / med, "warmup_s": d["warmup_s"],
            "peak_extra_rss_mb": d["peak_mb"], "threads": threads, "version": d["version"],
        }))


def _version(pkg):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(pkg)
    except PackageNotFoundError:
        return None


def quality(args):
    """Node classification of the IRWE-style embeddings beside baselines (same run, same splits).

    airports USA (identity; labels are activity quartiles): degree-only baseline, FastRP,
    irwe_identity, irwe (joint). BlogCatalog (position): irwe_position, irwe (joint), with
    DeepWalk's published Micro-F1 beside them. Logistic regression on L2-normalised vectors,
    10 seeded splits per training ratio (graphembed.evaluation.node_classification).
    """
    import numba

    import graphembed
    from graphembed.datasets import load
    from graphembed.evaluation.node_classification import node_classification
    from graphembed.methods import embed, versions

    numba.set_num_threads(args.threads)
    ratios = (0.1, 0.5, 0.9)
    repeats = 3 if args.quick else 10
    plan = {
        "airports_usa": [("degree", 16, {}), ("fastrp", 128, {}), ("irwe_identity", 128, {}),
                         ("irwe", 128, {})],
        "blogcatalog": [("irwe_position", 128, {}), ("irwe", 128, {})],
    }
    published = {"blogcatalog": {"method": "DeepWalk (Perozzi et al. 2014, Table 2)",
                                 "micro_f1": {0.1: 0.359, 0.5: 0.415, 0.9: 0.424}}}
    rows = []
    for name, methods in plan.items():
        ds = load(name)
        for method, dim, params in methods:
            t0 = time.perf_counter()
            emb = embed(ds.graph, method, dim=dim, random_state=0, num_threads=args.threads,
                        params=params)
            seconds = time.perf_counter() - t0
            res = node_classification(emb.vectors, ds.labels, train_ratios=ratios,
                                      repeats=repeats, random_state=0, normalize="l2",
                                      n_jobs=args.threads, method=method)
            for ratio in ratios:
                rows.append({"dataset": name, "method": method, "dim": dim, "ratio": ratio,
                             "micro_f1": res.mean(ratio), "micro_f1_std": res.std(ratio),
                             "macro_f1": res.mean(ratio, "macro_f1"),
                             "macro_f1_std": res.std(ratio, "macro_f1"),
                             "embed_seconds": seconds, "repeats": repeats})
            print(f"{name:>13} {method:>14}: embed {seconds:6.1f} s | " + " | ".join(
                f"{r:.0%}: {res.mean(r):.4f}/{res.mean(r, 'macro_f1'):.4f}" for r in ratios),
                flush=True)
    result = {"benchmark": "node classification of IRWE-style embeddings (Micro/Macro-F1)",
              "protocol": f"logistic regression (liblinear, one-vs-rest), L2-normalised vectors, "
                          f"{repeats} seeded splits per training ratio",
              "threads": args.threads, "versions": versions(),
              "graphembed": graphembed.__version__,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared with other jobs",
              "published": published, "rows": rows}
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "walks_quality.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["| data set | method | dim | train ratio | Micro-F1 | Macro-F1 | embed s |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['method']} | {r['dim']} | {r['ratio']:.0%} | "
                     f"{r['micro_f1']:.4f} ± {r['micro_f1_std']:.4f} | "
                     f"{r['macro_f1']:.4f} ± {r['macro_f1_std']:.4f} | "
                     f"{r['embed_seconds']:.1f} |")
    for name, pub in published.items():
        for ratio, v in pub["micro_f1"].items():
            lines.append(f"| {name} | {pub['method']} | 128 | {ratio:.0%} | {v:.3f} | | |")
    md = "\n".join(lines)
    (out_dir / "walks_quality.md").write_text(
        f"# IRWE-style embeddings: node classification\n\n{result['protocol']}; "
        f"{args.threads} threads; {result['machine']}.\n\n{md}\n")
    print(md)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer walks and repeats")
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--child", nargs=2, metavar=("GRAPH", "MODE"), help=argparse.SUPPRESS)
    ap.add_argument("--walks-per-node", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--pecanpy-n2v-starts", type=int, default=None)
    ap.add_argument("--quality", action="store_true",
                    help="node classification of the IRWE-style embeddings instead of speed")
    args = ap.parse_args()
    if args.quality:
        quality(args)
        return
    wpn = args.walks_per_node or (1 if args.quick else 2)
    repeats = args.repeats or (1 if args.quick else 3)
    n2v_starts = args.pecanpy_n2v_starts or (5_000 if args.quick else 20_000)
    if args.child:
        kind, mode = args.child
        child(kind, mode, wpn, repeats, args.threads, n2v_starts)
        return

    rows = []
    for kind in ("uniform", "heavy"):
        for mode in ("uniform", "node2vec"):
            cmd = [sys.executable, __file__, "--child", kind, mode,
                   "--walks-per-node", str(wpn), "--repeats", str(repeats),
                   "--threads", str(args.threads), "--pecanpy-n2v-starts", str(n2v_starts)]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                raise SystemExit(f"child {kind} {mode} failed")
            for line in out.stdout.strip().splitlines():
                row = json.loads(line)
                rows.append(row)
                print(f"{kind:>8} {mode:>9} {row['engine']:>11}: "
                      f"{row['steps_per_s'] / 1e6:7.2f} M steps/s (median {row['median_s']:.2f} s"
                      f" of {len(row['times_s'])}, warm-up {row['warmup_s']:.1f} s, "
                      f"extra peak RSS {row['peak_extra_rss_mb']:.0f} MB)", flush=True)

    table = []
    for kind in ("uniform", "heavy"):
        for mode in ("uniform", "node2vec"):
            base = next(r for r in rows if (r["graph"], r["mode"], r["engine"]) ==
                        (kind, mode, "pecanpy"))
            ours = next(r for r in rows if (r["graph"], r["mode"], r["engine"]) ==
                        (kind, mode, "graphembed"))
            table.append({"graph": kind, "mode": mode,
                          "pecanpy_mode": "FirstOrderUnweighted" if mode == "uniform"
                          else "SparseOTF",
                          "pecanpy_msteps_s": base["steps_per_s"] / 1e6,
                          "graphembed_msteps_s": ours["steps_per_s"] / 1e6,
                          "ratio": ours["steps_per_s"] / base["steps_per_s"],
                          "pecanpy_extra_peak_rss_mb": base["peak_extra_rss_mb"],
                          "graphembed_extra_peak_rss_mb": ours["peak_extra_rss_mb"]})
    import graphembed
    import numba

    result = {
        "benchmark": "random walks, 80 steps from every node, index-array output",
        "graphs": f"{N_NODES} nodes, {N_EDGES} undirected edges: G(n, m) and Chung-Lu power law "
                  "(exponent 2.5)",
        "node2vec": {"p": 0.5, "q": 2.0},
        "walks_per_node": wpn, "repeats": repeats, "threads": args.threads,
        "pecanpy_node2vec_start_nodes": n2v_starts,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared with other jobs",
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "numba": numba.__version__, "graphembed": graphembed.__version__,
                     "pecanpy": _version("pecanpy")},
        "notes": "PecanPy timed on its internal index-array routine (string conversion excluded); "
                 "compile time excluded for both (warm-up reported as warmup_s); PecanPy "
                 "node2vec walks from a seeded random sample of pecanpy_node2vec_start_nodes "
                 "nodes (its per-step cost makes all nodes take minutes).",
        "summary": table,
        "runs": rows,
    }
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "walks.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["| graph | walks | PecanPy mode | PecanPy M steps/s | graphembed M steps/s | ratio |",
             "|---|---|---|---:|---:|---:|"]
    for t in table:
        lines.append(f"| {t['graph']} | {t['mode']} | {t['pecanpy_mode']} | "
                     f"{t['pecanpy_msteps_s']:.2f} | {t['graphembed_msteps_s']:.2f} | "
                     f"{t['ratio']:.1f}× |")
    md = "\n".join(lines)
    (out_dir / "walks.md").write_text(
        f"# Random walks vs PecanPy\n\n{result['graphs']}; walk length {WALK_LENGTH}; "
        f"{wpn} walk(s) per node; {args.threads} threads; median of {repeats} "
        f"(PecanPy node2vec: 1); {result['machine']}.\n{result['notes']}\n\n{md}\n")
    print()
    print(md)


if __name__ == "__main__":
    main()
