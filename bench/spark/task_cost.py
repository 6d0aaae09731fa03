"""Per-task cost of distributed FastRP on real-size partitions, as graphs grow to 10⁹ edges.

    NUMBA_NUM_THREADS=1 python bench/spark/task_cost.py [--quick] [--arcs-per-task 1e6]

One Spark task of ``spark_jobs/embed.py --method fastrp`` runs graphembed.distributed's adapters on
one partition: ``fastrp_initial`` once, then ``fastrp_stream_step`` per propagation step on the
partition's stream (its owned rows, its ghost rows and its arcs, sorted by target key — Spark's
shuffle sort builds it). This script runs exactly those calls (Arrow batches of 10,000 rows in,
as Spark hands them over; the sorted stream is built before the measurement, as the JVM's work)
on partitions of a fixed arc budget cut from

* R-MAT graphs of 10⁶ and 10⁷ edges (bench/spark/rmat.py; hash partitions, partition 0), and
* a 10⁹-edge R-MAT graph (scale 26), of which only the chosen partitions' arcs are generated
  (:func:`rmat.block_edges`: id blocks with a fixed prefix — the process restricted to them), so
  the other 10⁹ edges are never drawn. Ghost rows get random vectors (their values do not change
  the cost).

Per task: CPU seconds (time.process_time, one numba thread — the machine is shared, so CPU time is
the fairer clock) and peak memory of the Python side (tracemalloc: numpy arrays and Python
objects; Arrow buffers the call allocates are counted apart, plus one input batch). Compile time
is excluded by a warm-up call. Ghost rows and arcs stream through the step, so the peak should
follow the owned rows (at most the arcs), not the ghosts, which grow with the graph: the fit says.
Writes bench/spark/results/task_cost.json and .md.
"""

import argparse
import json
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import rmat  # noqa: E402


def partition_tables(src, dst, owned_mask_fn, dim, seed=0):
    """(arcs, owned nodes, ghost rows) tables of one partition, with keys = ids."""
    import pyarrow as pa

    from graphembed import distributed as D

    keep = owned_mask_fn(src)
    s, d = src[keep], dst[keep]
    sd = np.unique(np.stack([s, d], 1), axis=0)  # the clean job de-duplicates
    sd = sd[sd[:, 0] != sd[:, 1]]
    s, d = sd[:, 0], sd[:, 1]
    owned = np.unique(s)
    si = np.searchsorted(owned, s)
    deg = np.bincount(si, minlength=len(owned)).astype(np.float64)
    ghosts = np.setdiff1d(np.unique(d), owned)
    nodes = pa.table({"part": np.zeros(len(owned), np.int32),
                      "li": np.arange(len(owned), dtype=np.int32), "node": owned, "key": owned,
                      "degree": deg})
    arcs = pa.table({"part": np.zeros(len(s), np.int32), "si": si.astype(np.int32),
                     "dkey": d})
    rng = np.random.default_rng(seed)
    ghost_rows = pa.table({
        "node": ghosts, "key": ghosts,
        "P": D.vectors_to_arrow(rng.standard_normal((len(ghosts), dim), dtype=np.float32))})
    return arcs, nodes, ghost_rows


BATCH_ROWS = 10_000  # spark.sql.execution.arrow.maxRecordsPerBatch's default


def run_task(arcs, nodes, ghost_rows, settings):
    """The calls of one task's life; returns per-call (cpu s, peak bytes, arrow bytes)."""
    import pyarrow as pa

    from graphembed import distributed as D

    out = {}
    tracemalloc.start()
    t0 = time.process_time()
    before = pa.total_allocated_bytes()
    state = D.fastrp_initial(nodes, settings=settings)
    out["initial"] = (time.process_time() - t0, tracemalloc.get_traced_memory()[1],
                      pa.total_allocated_bytes() - before)
    tracemalloc.stop()
    counts = {0: nodes.num_rows}
    for step in range(1, len(settings["iteration_weights"]) + 1):
        batches = D.fastrp_stream_table(state, ghost_rows, arcs).to_batches(BATCH_ROWS)
        batch_bytes = max(b.nbytes for b in batches)
        del state
        before = pa.total_allocated_bytes()
        tracemalloc.start()
        t0 = time.process_time()
        state = pa.Table.from_batches(list(D.fastrp_stream_step(
            iter(batches), settings=settings, step=step, owned_counts=counts)))
        out[f"step{step}"] = (time.process_time() - t0, tracemalloc.get_traced_memory()[1],
                              pa.total_allocated_bytes() - before + batch_bytes)
        tracemalloc.stop()
        del batches
    return out


def fit_model(rows):
    """Least squares, no intercept. CPU s = b·arcs + c·rows (rows = owned + ghosts): the task
    budget fixes the arcs, so an intercept would be collinear with them; the row count varies
    with the graph the partition is cut from (more distinct neighbours in bigger graphs).
    Peak MB = a + c·owned rows: the streamed step holds owned rows only."""
    fit = {}
    M = np.array([[r["task_arcs"], r["owned"] + r["ghosts"]] for r in rows], float)
    y = np.array([r["cpu_s"] for r in rows], float)
    coef, *_ = np.linalg.lstsq(M, y, rcond=None)
    fit["cpu_s"] = {"per_arc": float(coef[0]), "per_row": float(coef[1]),
                    "max_relative_residual": float(np.max(np.abs(M @ coef - y) / y))}
    M = np.array([[1.0, r["owned"]] for r in rows], float)
    y = np.array([r["peak_tracemalloc_mb"] + r["arrow_mb"] for r in rows], float)
    coef, *_ = np.linalg.lstsq(M, y, rcond=None)
    fit["peak_mb"] = {"fixed": float(coef[0]), "per_owned_row": float(coef[1]),
                      "max_relative_residual": float(np.max(np.abs(M @ coef - y) / y))}
    return fit


def write_results(out):
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "task_cost.json").write_text(json.dumps(out, indent=2))
    lines = ["| graph | task arcs | owned | ghosts | CPU s | peak MB (numpy) | Arrow MB |",
             "|---|---|---|---|---|---|---|"]
    for r in out["rows"]:
        lines.append(f"| {r['graph']} | {r['task_arcs']:,} | {r['owned']:,} | {r['ghosts']:,} | "
                     f"{r['cpu_s']:.2f} | {r['peak_tracemalloc_mb']:.0f} | {r['arrow_mb']:.0f} |")
    lines.append("")
    f = out["fit"]["cpu_s"]
    lines.append(f"fit: CPU s = {f['per_arc'] * 1e6:.2f} per 10⁶ arcs + {f['per_row'] * 1e6:.2f} "
                 f"per 10⁶ rows (owned + ghost); largest relative residual "
                 f"{f['max_relative_residual']:.1%}")
    f = out["fit"]["peak_mb"]
    lines.append(f"fit: peak MB (numpy + Arrow) = {f['fixed']:.1f} + {f['per_owned_row'] * 1e6:.0f}"
                 f" per 10⁶ owned rows; largest relative residual "
                 f"{f['max_relative_residual']:.1%}")
    (HERE / "results" / "task_cost.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--refit", action="store_true",
                    help="recompute the fit and tables from results/task_cost.json")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--arcs-per-task", type=float, default=1e6)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--data", default=str(HERE.parent / "results" / "tmp"))
    args = ap.parse_args()

    import pyarrow.parquet as pq

    from graphembed import distributed as D
    from graphembed.methods import versions

    if args.refit:
        out = json.loads((HERE / "results" / "task_cost.json").read_text())
        out["fit"] = fit_model(out["rows"])
        write_results(out)
        return
    target = int(args.arcs_per_task)
    settings = D.fastrp_settings({"iteration_weights": "0,0,1,6.67"}, dim=args.dim,
                                 random_state=0)
    rows = []

    def measure(label, total_edges, arcs, nodes, ghosts):
        costs = run_task(arcs, nodes, ghosts, settings)
        cpu = sum(c[0] for c in costs.values())
        peak = max(c[1] for c in costs.values())
        arrow = max(c[2] for c in costs.values())
        row = {"graph": label, "graph_edges": total_edges, "task_arcs": arcs.num_rows,
               "owned": nodes.num_rows, "ghosts": ghosts.num_rows, "cpu_s": cpu,
               "peak_tracemalloc_mb": peak / 2**20, "arrow_mb": arrow / 2**20,
               "per_call": {k: {"cpu_s": v[0], "peak_mb": v[1] / 2**20}
                            for k, v in costs.items()}}
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "per_call"}), flush=True)

    # warm-up: compile the kernels
    a, n, g = partition_tables(np.arange(100) % 10, np.arange(100) // 10, lambda s: s < 5,
                               args.dim)
    run_task(a, n, g, settings)

    sizes = ["1e6", "1e7"] + ([] if args.quick else ["1e8"])
    for tag in sizes:
        path = Path(args.data) / f"rmat-{tag}"
        if not path.exists():
            print(f"skip {tag}: {path} missing (python bench/spark/rmat.py --edges {tag} "
                  f"--out {path})")
            continue
        t = pq.read_table(path)
        src, dst = t.column("src").to_numpy(), t.column("dst").to_numpy()
        both_s = np.concatenate([src, dst])
        both_d = np.concatenate([dst, src])
        P = max(1, int(round(2 * len(src) / target)))
        keys = both_s.astype(np.uint64)
        mask = lambda s, P=P: D.hash_partition(s.astype(np.uint64), P, seed=0) == 0  # noqa
        arcs, nodes, ghosts = partition_tables(both_s, both_d, mask, args.dim)
        edges = len(src)
        del keys, t, src, dst, both_s, both_d  # the whole graph's Arrow buffers are not the task's
        measure(f"R-MAT {tag} (hash, 1 of {P})", edges, arcs, nodes, ghosts)

    # real-size partitions of a 10^9-edge graph (scale 26), generated alone
    total, scale = 10**9, 26
    rng = np.random.default_rng(1)
    chosen = []
    for k in range(6, 20):
        for _ in range(400):
            bits = tuple(int(b) for b in rng.integers(0, 2, k))
            p_src = np.prod([(rmat.A + rmat.B) if b == 0 else (rmat.C + rmat.D) for b in bits])
            p_dst = np.prod([(rmat.A + rmat.C) if b == 0 else (rmat.B + rmat.D) for b in bits])
            expected = total * (p_src + p_dst)
            if 0.6 * target <= expected <= 1.6 * target and bits not in chosen:
                chosen.append(bits)
            if len(chosen) >= (2 if args.quick else 4):
                break
        if len(chosen) >= (2 if args.quick else 4):
            break
    for bits in chosen:
        t0 = time.perf_counter()
        s, d = rmat.block_edges(total, scale, bits, seed=0)
        gen = time.perf_counter() - t0
        arcs, nodes, ghosts = partition_tables(s, d, lambda x: np.ones(len(x), bool), args.dim)
        measure(f"R-MAT 1e9 block {''.join(map(str, bits))} (generated in {gen:.0f} s)", total,
                arcs, nodes, ghosts)

    out = {"benchmark": "task_cost", "arcs_per_task_target": target, "dim": args.dim,
           "iterations": 4, "rows": rows, "fit": fit_model(rows),
           "threads": os.environ.get("NUMBA_NUM_THREADS"),
           "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared with other jobs "
                      "(CPU seconds reported)",
           "versions": versions()}
    write_results(out)


if __name__ == "__main__":
    main()
