"""Compile time of graphembed's kernels on an empty numba cache, per kernel, and the load time
from a filled cache.

    python bench/compile.py                 # ge.fastrp on a 50-node graph (the first call)
    python bench/compile.py --what warmup   # graphembed.warmup(): every main path's kernels
    python bench/compile.py --what fastrp_scipy   # ge.fastrp of a 50-node scipy CSR matrix
    PYTHONPATH=/path/to/other/checkout python bench/compile.py   # another version, same script

Each measurement runs in a fresh subprocess with ``NUMBA_CACHE_DIR`` pointing at a new empty
directory ("cold": everything compiles), then again in a fresh subprocess on the directory the
first one filled ("cached": kernels load from disk). Per kernel: the numba compile time of each
specialisation (numba's own ``compiler_lock`` timer, which includes the kernels it calls), and
how many specialisations were compiled. Prints a table and writes bench/results/compile.json
(and .md) with the thread count, the load average and the versions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _child(what):
    t0 = time.perf_counter()
    import numba
    import numpy as np

    import graphembed as ge

    # which checkout was measured (relative to the working directory, so no machine path is kept)
    print("graphembed from", os.path.relpath(os.path.dirname(ge.__file__)), file=sys.stderr)
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    c0 = time.process_time()
    if what == "fastrp":
        rng = np.random.default_rng(0)
        src = rng.integers(0, 50, 200)
        dst = rng.integers(0, 50, 200)
        ge.fastrp((src, dst), dim=32, random_state=0)
    elif what == "fastrp_scipy":
        import scipy.sparse as sp

        rng = np.random.default_rng(0)
        a = sp.random_array((50, 50), density=0.08, rng=rng, format="csr")
        a = sp.csr_array(sp.triu(a + a.T, k=1))
        a = (a + a.T).tocsr()  # symmetric, sorted, no duplicates, no diagonal: canonical
        a.sort_indices()
        ge.fastrp(a, dim=32, random_state=0)
    elif what == "warmup":
        from graphembed._compile import warmup

        warmup(verbose=False)
    elif what == "as_csr":
        ge.as_csr((np.array([0, 1, 2]), np.array([1, 2, 0])))
    else:
        raise SystemExit(f"unknown --what {what!r}")
    t_call = time.perf_counter() - t0
    cpu_call = time.process_time() - c0
    kernels = {}
    import importlib
    import pkgutil

    import graphembed._kernels as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"graphembed._kernels.{info.name}")
        for name, obj in vars(mod).items():
            if isinstance(obj, numba.core.registry.CPUDispatcher) and obj.__module__ == mod.__name__:
                sigs = obj.overloads
                if not sigs:
                    continue
                secs = []
                for sig, cres in sigs.items():
                    timers = (cres.metadata or {}).get("timers", {})
                    secs.append(float(timers.get("compiler_lock", 0.0)))
                kernels[f"{info.name}.{name}"] = {"specialisations": len(sigs),
                                                   "compile_s": sum(secs),
                                                   "signatures": [str(s) for s in sigs]}
    print(json.dumps({"import_s": t_import, "call_s": t_call, "call_cpu_s": cpu_call,
                      "kernels": kernels,
                      "threads": numba.get_num_threads()}))


def run(what, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", what], env=env, check=True,
                         capture_output=True, text=True)
    wall = time.perf_counter() - t0
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    rec["process_wall_s"] = wall
    rec["stderr"] = out.stderr
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--what", default="fastrp", choices=("fastrp", "fastrp_scipy", "as_csr", "warmup"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "compile"))
    ap.add_argument("--tag", default="", help="suffix of the result files")
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return
    cache = tempfile.mkdtemp(prefix="graphembed-numba-cache-")
    try:
        load_before = os.getloadavg()
        cold = run(args.what, cache)
        cached = run(args.what, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    import numba
    import numpy as np

    rows = ["| kernel | specialisations | compile s (cold) |", "|---|---:|---:|"]
    total_spec = 0
    for name, k in sorted(cold["kernels"].items(), key=lambda kv: -kv[1]["compile_s"]):
        total_spec += k["specialisations"]
        rows.append(f"| {name} | {k['specialisations']} | {k['compile_s']:.2f} |")
    head = (f"{args.what}: cold cache {cold['call_s']:.1f} s wall, {cold['call_cpu_s']:.1f} s CPU "
            f"(process {cold['process_wall_s']:.1f} s, import {cold['import_s']:.2f} s), cached "
            f"{cached['call_s']:.2f} s wall, {cached['call_cpu_s']:.2f} s CPU (process "
            f"{cached['process_wall_s']:.1f} s); {total_spec} specialisations compiled. numba "
            f"{numba.__version__}, numpy {np.__version__}, {cold['threads']} threads, load "
            f"average {load_before[0]:.1f} before / {os.getloadavg()[0]:.1f} after on "
            f"{os.cpu_count()} CPUs. Kernel times include the kernels they call.")
    table = head + "\n\n" + "\n".join(rows)
    print(table)
    print("notice lines (cold):", [ln for ln in cold["stderr"].splitlines() if "graphembed" in ln])
    print("notice lines (cached):",
          [ln for ln in cached["stderr"].splitlines() if "graphembed" in ln])
    record = {"what": args.what, "cold": cold, "cached": cached, "load_average_before": load_before,
              "load_average_after": os.getloadavg(), "python": platform.python_version(),
              "numba": numba.__version__, "numpy": np.__version__}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(f"{args.out}_{args.what}{args.tag}.json", "w") as fh:
        json.dump(record, fh, indent=1)
    with open(f"{args.out}_{args.what}{args.tag}.md", "w") as fh:
        fh.write(table + "\n")


if __name__ == "__main__":
    main()
