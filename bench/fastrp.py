"""FastRP benchmark: graphembed.fastrp against the plain scipy formulation, in the same run.

    python bench/fastrp.py            # 1e5 and 1e6 nodes (ER and R-MAT), dim 128 and 256, plus
                                      # a WWW-200K-sized graph (2e5 nodes, 3e7 edges, dim 512)
    python bench/fastrp.py --quick    # 1e5 nodes only, one repeat
    python bench/fastrp.py --only-www # the WWW-200K-sized run alone (results/fastrp_www.*)
    python bench/fastrp.py --target --front-door --repeat 5   # as_csr's toll alone: fastrp of
                                      # the CSRGraph vs end to end from the scipy matrix

Graphs are generated with vectorised NumPy and turned into a canonical CSR directly (not timed).
Every configuration runs 4 iterations (iteration_weights of length 4, the paper's BlogCatalog
settings otherwise). Timings exclude graph generation; numba compile time is measured apart on
a tiny graph first. Each timing is the median of ``--repeat`` runs, and every ratio compares
numbers measured in the same process, one right after the other.

"End to end from scipy CSR": ``fastrp`` of the same graph as a canonical scipy ``csr_array``
(int32 indices, float32 ones), so ``as_csr``'s check of the matrix is included, beside the
CSRGraph time ("graphembed wall", the kernels alone) measured just before; the ratio of the
two and ``as_csr`` of the matrix alone are in brackets.

Baseline ("scipy"): the spec written with scipy — ``A = D⁻¹S`` as a float32 CSR array,
``N_i = A @ N_{i-1}`` (scipy's single-threaded CSR × dense product), numpy row normalisation
and weighted sum, numpy column standardisation — starting from the same ``L·R`` (whose
generation is not charged to the baseline). "scipy SpMM" is the 4 products alone.

Peak memory: the resident set size (``/proc/self/statm``) sampled every millisecond by a
background thread during one extra, untimed run, minus the resident size just before the call: the extra
memory the call needs on top of the graph. (tracemalloc cannot see numba's allocations, and
``ru_maxrss`` only knows the peak of the whole process, which graph generation dominates.) It is
compared with the budget "three n × dim float32 buffers", plus the CSR itself for the total.

"Row fetches alone": the same 4 steps reduced to reading the neighbours' rows (3 float32 steps
and the int8 first step, prefetched, hub-sorted like the library, nothing written) — a floor
set by this machine's memory system, which no kernel that reads the rows can beat.

Results go to bench/results/fastrp.json (and a markdown table, bench/results/fastrp.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import graphembed as ge  # noqa: E402
from graphembed.fastrp import random_rows  # noqa: E402
from graphembed.graph import CSRGraph  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


# ------------------------------------------------------------------------------- graphs


def _csr_from_pairs(src, dst, n):
    """Undirected simple graph (no self-loops, no duplicates) from int arrays, as a CSRGraph.

    Two sorts of int64 keys (``row * n + col``): one to drop repeated edges, one for the CSR.
    """
    keep = src != dst
    src, dst = src[keep], dst[keep]
    lo = np.minimum(src, dst).astype(np.int64)
    hi = np.maximum(src, dst).astype(np.int64)
    del src, dst, keep
    lo *= n
    lo += hi
    del hi
    key = np.unique(lo)  # distinct undirected edges {lo, hi} as lo * n + hi
    del lo
    both = np.empty(2 * len(key), dtype=np.int64)
    both[: len(key)] = key
    np.multiply(key % n, n, out=both[len(key):])
    both[len(key):] += key // n
    del key
    both.sort()
    indices = (both % n).astype(np.int32)
    counts = np.bincount(both // n, minlength=n)
    del both
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return CSRGraph(indptr, indices, None, np.arange(n, dtype=np.int64), False)


def erdos_renyi(n, m, seed=0):
    """G(n, m)-like: m uniformly random pairs (self-loops and repeats dropped)."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m, dtype=np.int32)
    dst = rng.integers(0, n, m, dtype=np.int32)
    return _csr_from_pairs(src, dst, n)


def rmat(n, m, seed=0, a=0.57, b=0.19, c=0.19):
    """R-MAT (Chakrabarti et al. 2004) with Graph500's a, b, c, d = 0.57, 0.19, 0.19, 0.05.

    Drawn on 2**ceil(log2 n) ids, ids >= n rejected, node labels randomly permuted (as Graph500
    does, so that hubs are not conveniently numbered first). About m draws survive.
    """
    rng = np.random.default_rng(seed)
    scale = int(np.ceil(np.log2(n)))
    want = int(m * (2**scale / n) ** 1.2) + 1  # oversample for the rejected ids
    src = np.zeros(want, dtype=np.int32)
    dst = np.zeros(want, dtype=np.int32)
    pa, pab, pabc = round(100 * a), round(100 * (a + b)), round(100 * (a + b + c))
    for level in range(scale):
        r = rng.integers(0, 100, want, dtype=np.uint8)  # quadrant: a | b | c | d, in percent
        bit_src = r >= pab  # quadrants c, d
        bit_dst = ((r >= pa) & (r < pab)) | (r >= pabc)  # quadrants b, d
        src |= bit_src.astype(np.int32) << level
        dst |= bit_dst.astype(np.int32) << level
    keep = (src < n) & (dst < n)
    src, dst = src[keep][:m], dst[keep][:m]
    perm = rng.permutation(n).astype(np.int32)
    return _csr_from_pairs(perm[src], perm[dst], n)


def www_sized(seed=0):
    """An R-MAT graph of WWW-200K's size: 2e5 nodes, about 3e7 distinct undirected edges.

    R-MAT repeats edges between hubs, so 4.6e7 draws are needed for about 3e7 distinct edges.
    """
    return rmat(200_000, 46_000_000, seed=seed)


# ------------------------------------------------------------------------------- measuring


def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


class PeakRSS:
    """Context manager: peak resident-size growth (bytes) over the body, sampled every 1 ms."""

    def __enter__(self):
        self.base = rss()
        self.peak = self.base
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss())
            time.sleep(0.001)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss())
        self.extra = self.peak - self.base


def timed(fn, repeat):
    """(median wall s, wall times, median CPU s of the process, extra RSS bytes).

    The timed runs have no sampler thread beside them (on 2 cores it would take time from a
    2-thread kernel, not from single-threaded scipy); the memory comes from one more run
    under :class:`PeakRSS`.
    """
    times, cpu = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        c0 = time.process_time()
        out = fn()
        cpu.append(time.process_time() - c0)
        times.append(time.perf_counter() - t0)
        del out
    with PeakRSS() as m:
        out = fn()
    del out
    return float(np.median(times)), times, float(np.median(cpu)), int(m.extra)


# ------------------------------------------------------------------------------- the two sides


WEIGHTS = (0.0, 0.0, 1.0, 6.67)
BETA = -0.64


def scipy_fastrp(A, N0, weights=WEIGHTS):
    """The spec in scipy/numpy: A @ X per iteration, row normalisation, weighted sum, scaling."""
    E = np.zeros_like(N0)
    N = N0
    for a in weights:
        N = A @ N
        norms = np.linalg.norm(N, axis=1, keepdims=True)
        norms[norms == 0] = 1
        E += np.float32(a) * (N / norms)
    E -= E.mean(axis=0)
    sd = E.std(axis=0)
    sd[sd == 0] = 1
    E /= sd
    return E


def scipy_spmm(A, N0, k=4):
    N = N0
    for _ in range(k):
        N = A @ N
    return N


def _gather_kernel():
    """A numba kernel that only reads: row u sums its neighbours' rows (prefetched like the
    library's kernel) and keeps one number. No normalisation, no E, no output rows: the time of
    one propagation step's random row fetches alone — a floor for any kernel on this machine."""
    from numba import njit, prange

    from graphembed._kernels.fastrp import PREFETCH_DISTANCE, prefetch_row

    @njit(parallel=True, nogil=True, cache=False)
    def gather(indptr, indices, X, chunks, out):
        dim = X.shape[1]
        nnz = indices.shape[0]
        for c in prange(chunks.shape[0] - 1):
            acc = np.zeros(dim, dtype=X.dtype)
            for u in range(chunks[c], chunks[c + 1]):
                for p in range(indptr[u], indptr[u + 1]):
                    q = p + PREFETCH_DISTANCE
                    if q < nnz:
                        for j in range(0, dim, 16):
                            prefetch_row(X, indices[q], j)
                    v = indices[p]
                    for j in range(dim):
                        acc[j] += X[v, j]
            out[c] = acc.sum()

    return gather


def gather_floor(g, dim, repeat):
    """Median time of 3 float32 gathers + 1 int8 gather (the 4 steps' row fetches), hub-sorted
    like the library when it relabels."""
    import importlib

    fr = importlib.import_module("graphembed.fastrp")
    from graphembed._kernels.fastrp import row_chunks

    indptr, indices = g.indptr, g.indices
    order = fr.locality_order(indptr)
    if order is not None:
        indptr, indices, _ = fr._relabel(indptr, indices, None, order)
    chunks = row_chunks(indptr, fr._CHUNK_TARGET)
    gather = _gather_kernel()
    out = np.zeros(len(chunks), dtype=np.float64)
    Xf = np.ones((g.n, dim), dtype=np.float32)
    Xi = np.ones((g.n, dim), dtype=np.int8)
    gather(indptr, indices, Xf, chunks, out), gather(indptr, indices, Xi, chunks, out)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(3):
            gather(indptr, indices, Xf, chunks, out)
        gather(indptr, indices, Xi, chunks, out)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def scipy_matrix(g):
    """The graph as the scipy csr_array a user would hold: int32 indices, float32 ones."""
    S = sp.csr_array((np.ones(g.nnz, dtype=np.float32), g.indices, g.indptr), shape=(g.n, g.n))
    S.indptr = S.indptr.astype(np.int32)
    S.indices = S.indices.astype(np.int32)
    return S


def graph_bytes(g):
    return g.indptr.nbytes + g.indices.nbytes + (0 if g.weights is None else g.weights.nbytes)


def run_case(name, g, dim, repeat, threads, baseline_repeat=None, gather=True):
    n = g.n
    baseline_repeat = repeat if baseline_repeat is None else baseline_repeat
    row = {"graph": name, "nodes": n, "edges": g.num_edges, "stored_entries": g.nnz, "dim": dim,
           "iterations": 4, "threads": threads, "load_average_before": os.getloadavg()[0]}
    opts = dict(dim=dim, iteration_weights=WEIGHTS, normalization_strength=BETA, sparsity=3,
                random_state=0, num_threads=threads)
    med, times, cpu, extra = timed(lambda: ge.fastrp(g, **opts), repeat)
    row.update(graphembed_s=med, graphembed_runs_s=times, graphembed_cpu_s=cpu,
               graphembed_extra_bytes=extra)
    # end to end from the same graph as a canonical scipy matrix (int32 indices, float32 ones):
    # as_csr's check, then the same kernels; timed right after the CSRGraph runs
    S = scipy_matrix(g)
    e2e, e2e_times, _, _ = timed(lambda: ge.fastrp(S, **opts), repeat)
    row.update(end_to_end_s=e2e, end_to_end_runs_s=e2e_times, end_to_end_ratio=e2e / med)
    t_as = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        ge.as_csr(S)
        t_as.append(time.perf_counter() - t0)
    row["as_csr_scipy_s"] = float(np.median(t_as))
    del S
    row.update(buffers_bytes=3 * n * dim * 4, csr_bytes=graph_bytes(g))  # the budget: 3 buffers
    if gather:
        row["gather_floor_s"] = gather_floor(g, dim, repeat)
    if baseline_repeat:
        deg = g.degrees()
        inv = np.zeros(n, dtype=np.float64)
        inv[deg > 0] = 1 / deg[deg > 0]
        S = g.to_scipy(np.float32)
        A = sp.csr_array((S.data * inv[np.repeat(np.arange(n), np.diff(g.indptr))]
                          .astype(np.float32), S.indices, S.indptr), shape=S.shape)
        R = random_rows(g.node_keys(), dim, sparsity=3, random_state=0)
        L = np.where(deg > 0, np.power(np.maximum(deg, 1), BETA), 0).astype(np.float32)
        N0 = R * L[:, None]
        del R
        med_s, times_s, cpu_s, extra_s = timed(lambda: scipy_fastrp(A, N0), baseline_repeat)
        row.update(scipy_s=med_s, scipy_runs_s=times_s, scipy_cpu_s=cpu_s,
                   scipy_extra_bytes=extra_s, speedup=med_s / med, cpu_ratio=cpu_s / cpu)
        if baseline_repeat == repeat:
            row["scipy_spmm_s"] = timed(lambda: scipy_spmm(A, N0), 1)[0]
        del A, N0, S
    row["load_average_after"] = os.getloadavg()[0]
    return row


def fmt_bytes(b):
    return f"{b / 2**20:,.0f} MiB"


def table(rows):
    head = ("| graph | nodes | edges | dim | graphembed wall (s) | end to end from scipy CSR (s) | "
            "scipy wall (s) | speed-up | "
            "CPU s: graphembed / scipy | scipy SpMM only (s) | row fetches alone (s) | "
            "extra memory | 3 n×dim buffers | CSR | load avg |")
    lines = [head, "|" + "---|" * 15]
    for r in rows:
        has = "scipy_s" in r
        e2e = (f"{r['end_to_end_s']:.2f} ({r['end_to_end_ratio']:.2f}×; as_csr "
               f"{r['as_csr_scipy_s']:.2f}) | " if "end_to_end_s" in r else "– | ")
        lines.append(
            f"| {r['graph']} | {r['nodes']:,} | {r['edges']:,} | {r['dim']} | "
            f"{r['graphembed_s']:.2f} | " + e2e
            + (f"{r['scipy_s']:.2f} | {r['speedup']:.1f}× | "
               f"{r['graphembed_cpu_s']:.1f} / {r['scipy_cpu_s']:.1f} | "
               if has else "– | – | – | ")
            + (f"{r['scipy_spmm_s']:.2f} | " if "scipy_spmm_s" in r else "– | ")
            + (f"{r['gather_floor_s']:.2f} | " if "gather_floor_s" in r else "– | ")
            + f"{fmt_bytes(r['graphembed_extra_bytes'])} | {fmt_bytes(r['buffers_bytes'])} | "
            f"{fmt_bytes(r['csr_bytes'])} | {r['load_average_before']:.0f} |"
        )
    return "\n".join(lines)


def versions():
    import numba
    import scipy

    return {"python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__,
            "numba": numba.__version__, "graphembed": ge.__version__,
            "machine": platform.machine(), "cpus": os.cpu_count()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="1e5-node graphs only, one repeat")
    p.add_argument("--repeat", type=int, default=None, help="runs per timing (median); default 3")
    p.add_argument("--threads", type=int, default=None, help="numba threads (default: all)")
    p.add_argument("--no-www", action="store_true", help="skip the WWW-200K-sized run")
    p.add_argument("--only-www", action="store_true", help="only the WWW-200K-sized run")
    p.add_argument("--target", action="store_true",
                   help="only the issue's target case: the 1e6-node graphs at dim 128 "
                   "(use with --repeat 5: the scipy baseline varies by tens of percent)")
    p.add_argument("--front-door", action="store_true",
                   help="only graphembed on the CSRGraph and end to end from the scipy matrix "
                   "(no scipy baseline, no row-fetch floor): as_csr's toll, quickly")
    p.add_argument("--out", default=os.path.join(HERE, "results", "fastrp"))
    args = p.parse_args(argv)
    import numba

    threads = args.threads or numba.config.NUMBA_NUM_THREADS
    repeat = args.repeat or (1 if args.quick else 3)

    # compile time, apart
    t0 = time.perf_counter()
    tiny = erdos_renyi(200, 1000, seed=1)
    ge.fastrp(tiny, dim=8, num_threads=threads)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ge.fastrp(tiny, dim=8, num_threads=threads)
    print(f"first call (compile or load from cache) {compile_s:.2f} s; "
          f"second call {time.perf_counter() - t0:.4f} s")

    sizes = [(100_000, 1_000_000)] if args.quick else [(100_000, 1_000_000),
                                                        (1_000_000, 10_000_000)]
    if args.only_www:
        sizes = []
    if args.target:
        sizes = [(1_000_000, 10_000_000)]
    dims = (128,) if args.target else (128, 256)
    rows = []
    suffix = ("_quick" if args.quick else "_www" if args.only_www else
              "_target" if args.target else "")
    suffix += "_front_door" if args.front_door else ""

    def save():
        """Write what has been measured so far (a long run keeps its finished rows)."""
        result = {"benchmark": "fastrp", "compile_s": compile_s, "threads": threads,
                  "repeat": repeat, "quick": args.quick, "versions": versions(),
                  "load_average_now": os.getloadavg(), "rows": rows,
                  "note": "2-core machine shared with other jobs (see load averages); "
                          "wall times are medians of repeat runs; CPU s is process time"}
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out + suffix + ".json", "w") as fh:
            json.dump(result, fh, indent=2)
        with open(args.out + suffix + ".md", "w") as fh:
            fh.write(f"FastRP, 4 iterations, {threads} threads, median of {repeat} runs; "
                     f"compile {compile_s:.1f} s apart. Machine shared with other jobs: "
                     f"see the load average column (2 cores).\n\n{table(rows)}\n")

    for n, m in sizes:
        for gname, gen in (("Erdős–Rényi", erdos_renyi), ("R-MAT", rmat)):
            t0 = time.perf_counter()
            g = gen(n, m, seed=0)
            print(f"\n{gname} {g} generated in {time.perf_counter() - t0:.1f} s (not timed)")
            for dim in dims:
                if args.front_door:
                    r = run_case(gname, g, dim, repeat, threads, baseline_repeat=0, gather=False)
                else:
                    r = run_case(gname, g, dim, repeat, threads)
                rows.append(r)
                save()
                print(table([r]).splitlines()[-1], flush=True)
            del g
    if not args.quick and not args.no_www and not args.target and not args.front_door:
        t0 = time.perf_counter()
        g = www_sized(seed=0)
        print(f"\nWWW-200K-sized R-MAT {g} generated in {time.perf_counter() - t0:.1f} s")
        r = run_case("R-MAT (WWW-200K size)", g, 512, repeat, threads, baseline_repeat=1)
        r["paper_fastrp_cpu_s"] = 136.0
        rows.append(r)
        save()
        print(table([r]).splitlines()[-1], flush=True)
        del g
    print("\n" + table(rows))


if __name__ == "__main__":
    main()
