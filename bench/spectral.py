"""graphembed.spectral against graphembed.fastrp at the same dim, in the same run.

    python bench/spectral.py            # 1e6 nodes / 1e7 edges, Erdős–Rényi and R-MAT, dim 128
    python bench/spectral.py --quick    # 1e5 nodes / 1e6 edges
    python bench/spectral.py --nodes 1000000 --edges 10000000 --dim 128 --repeat 3

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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="1e5 nodes / 1e6 edges")
    p.add_argument("--nodes", type=int)
    p.add_argument("--edges", type=int)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--graphs", nargs="+", default=["er", "rmat"], choices=["er", "rmat"])
    p.add_argument("--tag", default="")
    args = p.parse_args(argv)
    n = args.nodes or (100_000 if args.quick else 1_000_000)
    m = args.edges or 10 * n
    rows = []
    for kind in args.graphs:
        g = erdos_renyi(n, m) if kind == "er" else rmat(n, m)
        name = "Erdős–Rényi" if kind == "er" else "R-MAT"
        load0 = os.getloadavg()[0]
        f = measure(lambda: ge.fastrp(g, dim=args.dim), args.repeat)
        s = measure(lambda: spectral(g, dim=args.dim), args.repeat)
        row = {"graph": name, "nodes": g.n, "edges": g.num_edges, "dim": args.dim,
               "fastrp_s": f[0], "fastrp_walls": f[1], "fastrp_cpu_s": f[2],
               "fastrp_extra_bytes": f[3], "spectral_s": s[0], "spectral_walls": s[1],
               "spectral_cpu_s": s[2], "spectral_extra_bytes": s[3], "ratio": s[0] / f[0],
               "buffer_bytes": 4 * g.n * args.dim, "load_average": [load0, os.getloadavg()[0]]}
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
    with open(out + ".md", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
