"""Benchmark: graphlet orbit adjacencies and orbit counts on Barabási–Albert graphs (m = 5).

    python bench/orbits.py [--quick] [--threads 2] [--repeats 3]

Cases (``--quick`` shrinks every graph by 10x):

* BA 10,000 nodes: all 28 matrices            target <= 7 s, <= 1 GB
* BA 20,000 nodes: the 27 keys with h <= 2    target <= 5 s
* BA 20,000 nodes: all 28 matrices            target <= 30 s, <= 3 GB
* BA 100,000 nodes: orbit counts (GDV)        target <= 2x ORCA (5.5 s quoted for this graph)

Method. The parent process generates each graph once with networkx's seeded
``barabasi_albert_graph`` (timed apart) and saves the edge list. Every measurement runs in a
fresh subprocess that imports graphembed, warms the kernels up on a tiny graph (compile or
cache-load time, reported apart), loads the edges, and then runs the case ``--repeats`` times:
the time is the median of the repeats; memory is the process's peak resident set size
(``getrusage(RUSAGE_SELF).ru_maxrss``, a kernel-kept high-water mark, so no sampling can miss a
spike), reported in full (interpreter and libraries included) and above the RSS just before the
first run. Per stage, the first run records its seconds and the peak RSS reached by the end of
that stage. The yardstick measured in the same run is scipy's ``A @ A`` on the same graph (in
its own fresh subprocess, median of the repeats): the product every distance-2 method needs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

CASES = [
    # name, nodes, what, target seconds, target GB, reference
    ("ba10k_all28", 10_000, "all28", 7.0, 1.0, "reference GRADCO build: 146 s, 7.6 GB"),
    ("ba20k_h12", 20_000, "h12", 5.0, None, "reference GRADCO: ~10 min, ~30 GB extrapolated"),
    ("ba20k_all28", 20_000, "all28", 30.0, 3.0, "reference GRADCO: ~10 min, ~30 GB extrapolated"),
    ("ba100k_counts", 100_000, "counts", 11.0, None, "ORCA: 5.5 s (quoted; target 2x = 11 s)"),
]


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_seconds():
    """User + system CPU time of this process (all threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def worker(spec):
    """Run one measurement in this (fresh) process and print its JSON result."""
    import numpy as np

    edges = np.load(spec["edges"])
    n = spec["nodes"]
    out = {"case": spec["name"], "what": spec["what"]}
    if spec["what"] == "matmul":
        import scipy.sparse as sp

        ones = np.ones(len(edges), np.float64)
        a = sp.csr_array((ones, (edges[:, 0], edges[:, 1])), shape=(n, n))
        a = (a + a.T).tocsr()
        a.data[:] = 1.0
        base = _rss_mb()
        times, cpu = [], []
        for _ in range(spec["repeats"]):
            c0 = _cpu_seconds()
            t = time.perf_counter()
            w = a @ a
            times.append(time.perf_counter() - t)
            cpu.append(_cpu_seconds() - c0)
            nnz = w.nnz
            del w
        out.update(times=times, seconds=float(np.median(times)), nnz=int(nnz),
                   cpu_seconds=float(np.median(cpu)),
                   rss_before_mb=base, peak_rss_mb=_peak_mb())
        print(json.dumps(out))
        return

    import networkx as nx

    import graphembed as ge
    from graphembed import orbits as O

    with_hop3 = spec["what"] == "all28"
    t = time.perf_counter()
    tiny = nx.path_graph(6)
    with ge._validation.threads(spec["threads"]):
        ge.orbit_adjacency(tiny, include_hop3=True)
        ge.orbit_counts(tiny)
    out["warmup_seconds"] = time.perf_counter() - t  # compile or load from the numba cache
    g = ge.as_csr((edges[:, 0], edges[:, 1]), num_nodes=n)
    out["rss_before_mb"] = _rss_mb()
    times, cpu, stages = [], [], None
    for r in range(spec["repeats"]):
        timings = {}
        c0 = _cpu_seconds()
        t = time.perf_counter()
        with ge._validation.threads(spec["threads"]) as nt:
            prep = O._Prepared(g, nt, timings)
            if spec["what"] == "counts":
                t_count = time.perf_counter()
                result = O._k.orbit_count_rows(prep.indptr, prep.indices, prep.tri, prep.deg,
                                               prep.tnode, prep.d1, prep.bounds)
                timings["orbit counts"] = {"seconds": time.perf_counter() - t_count,
                                           "peak_rss_mb": _peak_mb(), "rss_mb": _rss_mb()}
            else:
                keys = O.KEYS if with_hop3 else O.KEYS[:-1]
                result = O._orbit_matrices(prep, keys, timings)
        times.append(time.perf_counter() - t)
        cpu.append(_cpu_seconds() - c0)
        if r == 0:
            stages = timings
            out["peak_rss_mb"] = _peak_mb()
            if spec["what"] == "counts":
                out["gdv_total"] = int(result.sum())
            else:
                out["nnz"] = {",".join(map(str, k)): int(m.nnz) for k, m in result.items()}
                out["output_mb"] = sum(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes
                                       for m in result.values()) / 2**20
        del result, prep
    out.update(times=times, seconds=float(np.median(times)), stages=stages,
               cpu_seconds=float(np.median(cpu)), threads=spec["threads"])
    print(json.dumps(out))


def _run(spec):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(max(spec["threads"], 1)))
    proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"case {spec['name']} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


EVAL_METHODS = [
    # label, registry method, parameters
    ("degree", "degree", {}),
    ("fastrp", "fastrp", {}),
    ("orbits (ppmi, svd)", "orbits", {}),
    ("orbits (ppmi, random projection)", "orbits", {"reduction": "random_projection"}),
]


def evaluate(args):
    """Node classification of the orbit embedding next to FastRP and a degree-only baseline."""
    from graphembed.datasets import load
    from graphembed.evaluation.node_classification import node_classification
    from graphembed.methods import embed

    ratios = (0.1, 0.5, 0.9) if args.quick else (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    repeats = 2 if args.quick else args.eval_repeats
    rows = []
    for name in ("airports_usa", "cora"):
        ds = load(name)
        for label, method, params in EVAL_METHODS:
            emb = embed(ds.graph, method, dim=128, random_state=0, params=params,
                        num_threads=args.threads)
            t = time.perf_counter()
            res = node_classification(emb, ds.labels, train_ratios=ratios, repeats=repeats,
                                      random_state=0, n_jobs=args.threads)
            score_s = time.perf_counter() - t
            entry = {"dataset": name, "method": label, "registry": method, "params": params,
                     "dim": 128, "embed_seconds": emb.meta["seconds"], "score_seconds": score_s,
                     "ratios": list(ratios), "repeats": repeats}
            for metric in ("micro_f1", "macro_f1"):
                entry[metric] = {f"{r:g}": [res.mean(r, metric), res.std(r, metric)]
                                 for r in ratios}
            rows.append(entry)
            mi = entry["micro_f1"]
            print(f"{name:<13} {label:<34} embed {entry['embed_seconds']:6.2f} s  "
                  + "  ".join(f"{r}: {m:.3f}" for r, (m, _s) in mi.items()), flush=True)
    report = {"benchmark": "orbits node classification", "quick": args.quick,
              "protocol": "one-vs-rest L2 logistic regression (liblinear, C=1), normalize=none, "
                          f"{repeats} seeded shuffles per ratio, Micro/Macro-F1 mean and std",
              "load_average": os.getloadavg(), "versions": _versions(), "results": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (RESULTS / f"orbits_eval{suffix}.json").write_text(json.dumps(report, indent=2))
    lines = ["# orbit embedding, node classification", "",
             f"dim 128, {report['protocol']}. Micro-F1 (Macro-F1) at training ratios "
             f"{', '.join(f'{r:g}' for r in (ratios[0], ratios[len(ratios) // 2], ratios[-1]))}.",
             "", "| data set | method | embed (s) | " + " | ".join(
                 f"{r:g}" for r in (ratios[0], ratios[len(ratios) // 2], ratios[-1])) + " |",
             "|---|---|---:|---:|---:|---:|"]
    for e in rows:
        cells = []
        for r in (ratios[0], ratios[len(ratios) // 2], ratios[-1]):
            mi = e["micro_f1"][f"{r:g}"]
            ma = e["macro_f1"][f"{r:g}"]
            cells.append(f"{mi[0]:.3f} ({ma[0]:.3f})")
        lines.append(f"| {e['dataset']} | {e['method']} | {e['embed_seconds']:.2f} | "
                     + " | ".join(cells) + " |")
    (RESULTS / f"orbits_eval{suffix}.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS / f'orbits_eval{suffix}.json'} and .md")


def _versions():
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for pkg in ("graphembed", "numpy", "scipy", "numba", "networkx"):
        out[pkg] = version(pkg)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="graphs 10x smaller")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="*", help="run only these case names")
    parser.add_argument("--eval", action="store_true",
                        help="score the orbit embedding on airports USA and Cora instead")
    parser.add_argument("--eval-repeats", type=int, default=10)
    args = parser.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return
    if args.eval:
        evaluate(args)
        return

    import networkx as nx
    import numpy as np

    scale = 10 if args.quick else 1
    load_start = os.getloadavg()
    rows, graphs = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, nodes, what, target_s, target_gb, reference in CASES:
            if args.only and name not in args.only:
                continue
            nodes //= scale
            if nodes not in graphs:
                t = time.perf_counter()
                G = nx.barabasi_albert_graph(nodes, 5, seed=42)
                gen = time.perf_counter() - t
                path = os.path.join(tmp, f"ba{nodes}.npy")
                np.save(path, np.array(G.edges, dtype=np.int64))
                edges = G.number_of_edges()
                del G
                base = _run({"name": f"matmul{nodes}", "what": "matmul", "nodes": nodes,
                             "edges": path, "repeats": args.repeats, "threads": 1})
                graphs[nodes] = {"path": path, "generate_seconds": gen, "edges": edges,
                                 "matmul": base}
            info = graphs[nodes]
            res = _run({"name": name, "what": what, "nodes": nodes, "edges": info["path"],
                        "repeats": args.repeats, "threads": args.threads})
            res.update(nodes=nodes, edges=info["edges"], generate_seconds=info["generate_seconds"],
                       baseline_matmul=info["matmul"],
                       ratio_to_matmul=res["seconds"] / info["matmul"]["seconds"],
                       cpu_ratio_to_matmul=res["cpu_seconds"] / info["matmul"]["cpu_seconds"],
                       target_seconds=None if args.quick else target_s,
                       target_gb=None if args.quick else target_gb, reference=reference)
            if not args.quick:
                res["meets_time"] = res["seconds"] <= target_s
                if target_gb is not None:
                    res["meets_memory"] = res["peak_rss_mb"] <= target_gb * 1024
            rows.append(res)
            _print_row(res)
    report = {
        "benchmark": "orbits",
        "quick": args.quick,
        "threads": args.threads,
        "repeats": args.repeats,
        "cpu_count": os.cpu_count(),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "machine": platform.platform(),
        "versions": _versions(),
        "memory_method": "peak RSS = getrusage(RUSAGE_SELF).ru_maxrss of a fresh subprocess per "
                         "case (interpreter and libraries included); rss_before_mb = resident "
                         "set just before the first run",
        "cases": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (RESULTS / f"orbits{suffix}.json").write_text(json.dumps(report, indent=2))
    (RESULTS / f"orbits{suffix}.md").write_text(_markdown(report))
    print(f"wrote {RESULTS / f'orbits{suffix}.json'} and .md")


def _print_row(r):
    base = r["baseline_matmul"]
    print(f"{r['case']:<15}{r['nodes']:>8}{r['edges']:>9}  {r['seconds']:7.2f} s "
          f"(cpu {r['cpu_seconds']:6.2f} s)  peak {r['peak_rss_mb']:7.0f} MB "
          f"(before {r['rss_before_mb']:.0f})  A@A {base['seconds']:.3f} s "
          f"(cpu {base['cpu_seconds']:.3f})  ratio {r['ratio_to_matmul']:.1f} "
          f"(cpu {r['cpu_ratio_to_matmul']:.1f})  gen {r['generate_seconds']:.1f} s", flush=True)
    for stage, v in (r.get("stages") or {}).items():
        print(f"    {stage:<22}{v['seconds']:7.2f} s  peak {v.get('peak_rss_mb', 0):7.0f} MB")


def _markdown(rep):
    lines = [
        f"# orbits benchmark ({'quick' if rep['quick'] else 'full'})",
        "",
        f"{rep['threads']} numba threads, median of {rep['repeats']} runs, {rep['cpu_count']} "
        f"CPUs shared with other jobs (load average {rep['load_average_start'][0]:.1f} at start, "
        f"{rep['load_average_end'][0]:.1f} at end). {rep['memory_method']}.",
        "",
        "| case | nodes | edges | time (s) | CPU (s) | peak RSS (MB) | RSS before (MB) "
        "| scipy A@A (s) | A@A CPU (s) | ratio | CPU ratio | target | reference |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rep["cases"]:
        target = ""
        if r.get("target_seconds"):
            target = f"≤ {r['target_seconds']:g} s" + (
                f", ≤ {r['target_gb']:g} GB" if r.get("target_gb") else "")
            ok = r.get("meets_time", True) and r.get("meets_memory", True)
            target += " ✓" if ok else " ✗"
        lines.append(
            f"| {r['case']} | {r['nodes']} | {r['edges']} | {r['seconds']:.2f} | "
            f"{r['cpu_seconds']:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {r['rss_before_mb']:.0f} | "
            f"{r['baseline_matmul']['seconds']:.3f} | {r['baseline_matmul']['cpu_seconds']:.3f} | "
            f"{r['ratio_to_matmul']:.1f} | {r['cpu_ratio_to_matmul']:.1f} | {target} | "
            f"{r['reference']} |")
    lines += ["", "Stages of the first run (seconds; peak RSS in MB at the end of the stage):", ""]
    for r in rep["cases"]:
        parts = [f"{s} {v['seconds']:.2f} s / {v.get('peak_rss_mb', 0):.0f} MB"
                 for s, v in (r.get("stages") or {}).items()]
        lines.append(f"- {r['case']}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
