"""How long ``graphembed evaluate`` will take: a cost model printed before the work starts.

Rough by design (a line the user reads before waiting), calibrated on a 2-core machine; the
real figures are measured by bench/evaluation.py.
"""

from __future__ import annotations

from pathlib import Path

# A cost model of the main job (bench/evaluation.py measures the real thing), calibrated on a
# 2-core machine with BlogCatalog at dim 512 (CPU seconds, so that a loaded machine does not
# skew it): FastRP costs about _FASTRP_SECONDS_PER_UPDATE wall seconds per row-entry update,
# (k·nnz + 2n)·dim for k steps, on 2 threads (0.6 CPU s for 1.7e9 updates); imports, reading the
# data and loading the cached kernels about _OVERHEAD_SECONDS; a first run with an empty numba
# cache compiles for about _COMPILE_SECONDS (25 CPU s measured); one-vs-rest logistic regression
# costs about _SCORE_SECONDS[solver] core-seconds per training row × dim × label (batched:
# 23 CPU s for the quick protocol's 6.2e8; liblinear: 271 s on 2 cores, 8.8e-7).
_FASTRP_SECONDS_PER_UPDATE = 5e-10
_OVERHEAD_SECONDS = 5.0
_COMPILE_SECONDS = 25.0
_SCORE_SECONDS = {"batched": 4e-8, "liblinear": 8.8e-7}
_DEFAULT_SCORE_SECONDS = 8.8e-7  # scikit-learn's other solvers: no figure, liblinear's


def _cores():
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _kernels_cached(module):
    """Whether numba's cache holds compiled kernels of graphembed._kernels.<module>."""
    import numba

    if numba.config.CACHE_DIR:  # numba then caches there only
        places = [p for p in Path(numba.config.CACHE_DIR).glob("**/_kernels*") if p.is_dir()]
    else:  # beside the module, or the user-wide cache when that is not writable
        places = [Path(__file__).resolve().parent / "_kernels" / "__pycache__"]
        places += [p for p in (Path.home() / ".cache" / "numba").glob("**/_kernels*")
                   if p.is_dir()]
    return any(any(p.glob(f"{module}.*.nbi")) for p in places if p.is_dir())


def _embed_seconds(name, n, nnz, dim, settings, threads):
    """Estimated seconds of one embedding, or None where the model has no figure."""
    if name == "fastrp":
        k = len(settings.get("iteration_weights") or (1,))
        return _FASTRP_SECONDS_PER_UPDATE * (k * nnz + 2 * n) * dim * 2 / max(threads, 1)
    if name == "degree":
        return 0.0
    return None


def _score_seconds(n_lab, n_labels, dim, ratios, repeats, solver, cores):
    per = _SCORE_SECONDS.get(solver, _DEFAULT_SCORE_SECONDS)
    rows = sum(int(r * n_lab) for r in ratios) * repeats
    return per * rows * dim * n_labels / max(cores, 1)


def _fmt_seconds(t):
    if t < 90:
        return f"{t:.0f} s"
    if t < 5400:
        return f"{t / 60:.0f} min"
    return f"{t / 3600:.1f} h"


def estimate_line(graph, labels, names, dims, settings, ratios, repeats, solver, args, *,
                  full_ratios, full_repeats):
    """One or two lines saying how long the run should take (and the full protocol too, with
    ``full_ratios`` × ``full_repeats``, unless ``args.full``). ``args``: the parsed command line
    (``threads``, ``jobs``, ``full``). Time O(labels' rows); reads nothing but numba's cache
    folder listing."""
    import numpy as np

    cores = _cores()
    threads = args.threads or cores
    jobs = cores if args.jobs in (None, -1) else min(args.jobs, cores)
    n_lab = int(np.count_nonzero(np.diff(labels.indptr))) if hasattr(labels, "indptr") \
        else labels.shape[0]
    n_labels = labels.shape[1]
    embed_t, unknown = 0.0, []
    if graph is not None:
        for name in names:
            t = _embed_seconds(name, graph.n, graph.nnz, dims[name], settings[name], threads)
            if t is None:
                unknown.append(name)
            else:
                embed_t += t
    compile_t = _COMPILE_SECONDS if "fastrp" in names and not _kernels_cached("fastrp") else 0.0

    def score(rs, reps):
        return sum(_score_seconds(n_lab, n_labels, dims[name], rs, reps, solver, jobs)
                   for name in names)

    quick_t = score(ratios, repeats)
    embed_t += _OVERHEAD_SECONDS
    total = embed_t + compile_t + quick_t
    parts = [f"reading and embedding ~{_fmt_seconds(embed_t)}"
             + (f" plus {', '.join(unknown)} (no estimate)" if unknown else ""),
             f"scoring ~{_fmt_seconds(quick_t)}"]
    if compile_t:
        parts.append(f"one-time compilation ~{_fmt_seconds(compile_t)}")
    n_text = f"{graph.n:,} nodes, {graph.num_edges:,} edges, " if graph is not None else ""
    line = (f"estimated time: about {_fmt_seconds(total)} on {cores} cores "
            f"({', '.join(parts)}); a rough estimate from {n_text}dim "
            f"{','.join(str(dims[m]) for m in names)}, {n_labels} labels and "
            f"{len(ratios)} ratios × {repeats} shuffles")
    if not args.full:
        full_t = embed_t + compile_t + score(full_ratios, full_repeats)
        line += (f"\n(the full protocol, --full: {len(full_ratios)} ratios × {full_repeats} "
                 f"shuffles, about {_fmt_seconds(full_t)})")
    return line
