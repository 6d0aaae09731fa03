"""Benchmark of graphembed.as_csr on a large random graph, against sort-based baselines.

    python bench/as_csr.py            # 1e6 nodes, 1e7 edges (R-MAT), 2e6-line edge file
    python bench/as_csr.py --quick    # 1e5 nodes, 1e6 edges, 2e5-line edge file
    python bench/as_csr.py --only csr_fast,csr_general   # some variants only

Each variant runs in its own subprocess (so peak memory is its own), after a warm-up call on a
tiny graph (compile time is reported apart). Variants:

* ``as_csr``: graphembed's counting-sort build (undirected: symmetrise, merge duplicates, drop
  self-loops) from (src, dst) int64 arrays;
* ``lexsort``: the same canonicalisation by two global ``np.lexsort`` passes (graphembed's
  previous implementation), the baseline;
* ``scipy``: ``coo_array((ones, (src, dst))) + transpose``, then ``tocsr()``, ``sum_duplicates()``
  and ``setdiag(0)``-free loop removal: what a scipy user would write (no weights kept);
* ``read_fast`` / ``read_python``: reading an integer TSV edge file with the compiled reader vs a
  line-by-line Python reader (the previous implementation);
* ``text_file_as_csr`` / ``text_python_as_csr``: the same edges with text ids (``v123``):
  ``as_csr(path)`` vs the line-by-line Python reader followed by ``as_csr`` of its arrays;
* ``csr_fast`` / ``csr_general``: ``as_csr`` of the graph already canonical, as a scipy
  ``csr_array`` (int32 indices, float32 ones: what scipy builds for such a graph), through the
  fast path (one parallel check, the matrix's arrays used without a copy) and through the
  general path (the counting-sort build), the baseline; the matrix itself is built untimed
  before (peak memory includes it).

Prints a table and writes bench/results/as_csr.json (and .md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def rmat_edges(scale, m, seed, a=0.57, b=0.19, c=0.19):
    """R-MAT (Chakrabarti et al. 2004) edges on 2**scale nodes, vectorised, int64."""
    rng = np.random.default_rng(seed)
    src = np.zeros(m, dtype=np.int64)
    dst = np.zeros(m, dtype=np.int64)
    for _ in range(scale):
        r = rng.random(m)
        down = r >= a + b  # quadrants c, d
        right = ((r >= a) & (r < a + b)) | (r >= a + b + c)  # quadrants b, d
        src = (src << 1) | down
        dst = (dst << 1) | right
    # scatter ids so that hubs are not all at small ids
    perm = rng.permutation(1 << scale)
    return perm[src], perm[dst]


def lexsort_baseline(rows, cols, n):
    """The previous canonicalisation: drop loops, lexsort, dedupe, mirror, lexsort, dedupe."""
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order]
    new = np.empty(len(rows), dtype=bool)
    new[0] = True
    np.not_equal(rows[1:], rows[:-1], out=new[1:])
    new[1:] |= cols[1:] != cols[:-1]
    starts = np.flatnonzero(new)
    rows, cols = rows[starts], cols[starts]
    r2 = np.concatenate([rows, cols])
    c2 = np.concatenate([cols, rows])
    order = np.lexsort((c2, r2))
    r2, c2 = r2[order], c2[order]
    new = np.empty(len(r2), dtype=bool)
    new[0] = True
    np.not_equal(r2[1:], r2[:-1], out=new[1:])
    new[1:] |= c2[1:] != c2[:-1]
    starts = np.flatnonzero(new)
    rows, cols = r2[starts], c2[starts]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, cols.astype(np.int32)


def scipy_baseline(rows, cols, n):
    import scipy.sparse as sp

    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    ones = np.ones(2 * len(rows), dtype=np.float32)
    m = sp.coo_array((ones, (np.concatenate([rows, cols]), np.concatenate([cols, rows]))),
                     shape=(n, n)).tocsr()
    m.sum_duplicates()
    m.data[:] = 1
    return m.indptr, m.indices


def python_reader(path, dtype=np.int64):
    """The previous edge-file reader: split every line in Python."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    fields = [ln.split() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    src = np.array([f[0] for f in fields], dtype=dtype)
    dst = np.array([f[1] for f in fields], dtype=dtype)
    return src, dst


def _child(variant, npz, path):
    import numba

    import graphembed as ge
    from graphembed.graph import read_edgelist

    data = np.load(npz)
    src, dst, n = data["src"], data["dst"], int(data["n"])
    # warm-up on a tiny input: compile (or load from cache) before timing
    t0 = time.perf_counter()
    tiny = (np.array([0, 1, 2, 2]), np.array([1, 2, 0, 0]))
    ge.as_csr(tiny, num_nodes=3)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.tsv")
        with open(p, "w") as fh:
            fh.write("0\t1\n1\t2\n")
        read_edgelist(p)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    if variant == "as_csr":
        g = ge.as_csr((src, dst), num_nodes=n)
        out = (g.indptr, g.indices)
    elif variant == "lexsort":
        out = lexsort_baseline(src, dst, n)
    elif variant == "scipy":
        out = scipy_baseline(src, dst, n)
    elif variant == "read_fast":
        s, t, _ = read_edgelist(path)
        out = (s, t)
    elif variant == "read_python":
        out = python_reader(path)
    elif variant == "text_file_as_csr":
        g = ge.as_csr(path.replace(".tsv", "_text.tsv"))
        out = (g.indptr, g.indices)
    elif variant == "text_python_as_csr":
        g = ge.as_csr(python_reader(path.replace(".tsv", "_text.tsv"), dtype=str))
        out = (g.indptr, g.indices)
    elif variant in ("csr_fast", "csr_general"):
        import graphembed.graph as graph_mod

        S = _canonical_matrix(src, dst, n)
        ge.as_csr(_canonical_matrix(np.array([0, 1]), np.array([1, 2]), 3))  # compile / load
        graph_mod._FAST_PATH = variant == "csr_fast"
        t0 = time.perf_counter()
        g = ge.as_csr(S)
        out = (g.indptr, g.indices)
    seconds = time.perf_counter() - t0
    last = out[0][-1]
    digest = int(np.asarray(out[1], dtype=np.int64).sum() % (1 << 61)) + len(str(last))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rec = {"variant": variant, "seconds": seconds, "compile_seconds": compile_s,
           "peak_rss_mb": peak_mb, "check": digest, "threads": numba.get_num_threads()}
    if variant in ("csr_fast", "csr_general"):
        rec["shares_memory"] = bool(np.shares_memory(g.indices, S.indices))
    print(json.dumps(rec))


def _canonical_matrix(src, dst, n):
    """The undirected simple graph of the edges as a canonical scipy csr_array (int32 indices,
    float32 ones), as a user holding such a matrix would pass it."""
    import scipy.sparse as sp

    import graphembed as ge

    g = ge.as_csr((src, dst), num_nodes=n)
    S = sp.csr_array((np.ones(g.nnz, dtype=np.float32), g.indices, g.indptr), shape=(n, n))
    S.indptr = S.indptr.astype(np.int32)
    S.indices = S.indices.astype(np.int32)
    return S


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10x smaller graph")
    ap.add_argument("--repeats", type=int, default=3, help="runs per variant (median reported)")
    ap.add_argument("--only", help="comma-separated variants (default: all)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    scale, m, file_m = (17, 10**6, 2 * 10**5) if args.quick else (20, 10**7, 2 * 10**6)
    n = 1 << scale
    src, dst = rmat_edges(scale, m, seed=1)
    tmp = tempfile.mkdtemp(prefix="bench-as-csr-")
    npz = os.path.join(tmp, "edges.npz")
    np.savez(npz, src=src, dst=dst, n=n)
    path = os.path.join(tmp, "edges.tsv")
    np.savetxt(path, np.stack([src[:file_m], dst[:file_m]], axis=1), fmt="%d", delimiter="\t")
    with open(path.replace(".tsv", "_text.tsv"), "w") as fh:
        fh.writelines(f"v{u}\tv{v}\n" for u, v in zip(src[:file_m].tolist(), dst[:file_m].tolist()))
    file_mb = os.path.getsize(path) / 2**20
    results = {}
    ap_variants = ("as_csr", "lexsort", "scipy", "read_fast", "read_python", "text_file_as_csr",
                   "text_python_as_csr", "csr_fast", "csr_general")
    for variant in (args.only.split(",") if args.only else ap_variants):
        runs = []
        for _ in range(args.repeats):
            out = subprocess.run([sys.executable, __file__, "--child", variant, npz, path],
                                 check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        results[variant] = {
            "median_seconds": float(np.median([r["seconds"] for r in runs])),
            "seconds": [r["seconds"] for r in runs],
            "compile_seconds": float(np.median([r["compile_seconds"] for r in runs])),
            "peak_rss_mb": float(np.median([r["peak_rss_mb"] for r in runs])),
            "threads": runs[0]["threads"],
            "check": runs[0]["check"],
        }
        if "shares_memory" in runs[0]:
            results[variant]["shares_memory"] = runs[0]["shares_memory"]
    shutil.rmtree(tmp, ignore_errors=True)
    pairs = (("as_csr", "lexsort", "speedup_vs_lexsort", ("as_csr", "lexsort", "scipy")),
             ("read_fast", "read_python", "speedup_vs_python_reader", ("read_fast", "read_python")),
             ("text_file_as_csr", "text_python_as_csr", "speedup_vs_python_reader",
              ("text_file_as_csr", "text_python_as_csr")),
             ("csr_fast", "csr_general", "speedup_vs_general_path", ("csr_fast", "csr_general")))
    for new_, base_, key, members in pairs:
        if new_ not in results or base_ not in results:
            continue
        if "read" not in new_ and results[new_]["check"] != results[base_]["check"]:
            raise SystemExit(f"{new_} and {base_} disagree")
        base = results[base_]["median_seconds"]
        for v in members:
            if v in results:
                results[v][key] = base / results[v]["median_seconds"]
    import numba
    import scipy

    record = {
        "graph": {"generator": "R-MAT(0.57, 0.19, 0.19), seed 1", "nodes": n, "edges_in": m,
                  "file_lines": file_m, "file_mb": file_mb},
        "results": results,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__, "scipy": scipy.__version__,
                    "numba": numba.__version__, "platform": platform.platform()},
        "repeats": args.repeats,
        "load_average_1_5_15min_at_end": list(os.getloadavg()),
    }
    rows = ["| variant | median s | speedup | peak RSS MB | compile s |",
            "|---|---:|---:|---:|---:|"]
    for v, r in results.items():
        sp_ = r.get("speedup_vs_lexsort", r.get("speedup_vs_python_reader",
                                                r.get("speedup_vs_general_path")))
        sp_ = "–" if sp_ is None else f"{sp_:.2f}x"
        rows.append(f"| {v} | {r['median_seconds']:.3f} | {sp_} | {r['peak_rss_mb']:.0f} | "
                    f"{r['compile_seconds']:.2f} |")
    threads = next(iter(results.values()))["threads"]
    header = (f"as_csr on R-MAT, {n} nodes, {m} input edges (undirected, threads "
              f"{threads}); file: {file_m} lines, {file_mb:.0f} MB. "
              "Speedups: build vs lexsort, readers vs the Python reader, canonical scipy "
              "matrix: fast path vs general path.")
    if "csr_fast" in results:
        header += (" Fast path shares the matrix's index array: "
                   f"{results['csr_fast'].get('shares_memory')}.")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    header += f" Load average at the end (1/5/15 min): {load} on {os.cpu_count()} CPUs."
    table = header + "\n\n" + "\n".join(rows)
    print(table)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    name = "as_csr_quick" if args.quick else "as_csr"
    if args.only:  # a partial run never overwrites the full table
        name += "_" + "_".join(args.only.split(","))
    with open(os.path.join(HERE, "results", name + ".json"), "w") as fh:
        json.dump(record, fh, indent=1)
    with open(os.path.join(HERE, "results", name + ".md"), "w") as fh:
        fh.write(table + "\n")


if __name__ == "__main__":
    main()
