"""Projected wall time of distributed FastRP on 10⁹ edges, from the measured costs.

    python bench/spark/projection.py [--executors 100 --cores 4 --bandwidth-gbs 10]

Reads bench/spark/results/task_cost.json (per-task CPU on real-size partitions, including ones
cut from a 10⁹-edge R-MAT graph) and pipeline.json (per-stage seconds of the whole Spark job on
2 local cores), and writes results/projection.json and .md with two estimates:

* bottom-up: tasks = 2·10⁹ arcs / arcs-per-task, each step runs them in waves of
  executors × cores at the measured per-task CPU time, plus the exchange — every ghost row
  (measured ghosts per task × tasks) and owned row ships one dim-float vector per step, and the
  arcs are shuffled again with them (the step streams them in target order) — at an assumed
  aggregate shuffle bandwidth; clean + partition + ghost table as one shuffle of the arcs each.
* top-down: the local pipeline's fitted seconds per edge per stage, times 10⁹ edges, divided by
  the core ratio (cluster cores / 2): perfect scaling, so a lower bound on that route.
"""

import argparse
import json
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--executors", type=int, default=100)
    ap.add_argument("--cores", type=int, default=4)
    ap.add_argument("--bandwidth-gbs", type=float, default=10.0,
                    help="assumed aggregate shuffle bandwidth of the cluster, GB/s")
    ap.add_argument("--edges", type=float, default=1e9)
    args = ap.parse_args()
    res = HERE / "results"
    tc = json.loads((res / "task_cost.json").read_text())
    big = [r for r in tc["rows"] if r["graph_edges"] >= 1e9]
    if not big:
        raise SystemExit("task_cost.json has no partition cut from a 1e9-edge graph")
    arcs = 2 * args.edges
    per_task_arcs = sum(r["task_arcs"] for r in big) / len(big)
    per_task_cpu = sum(r["cpu_s"] for r in big) / len(big)
    per_task_ghosts = sum(r["ghosts"] for r in big) / len(big)
    per_task_peak = max(r["peak_tracemalloc_mb"] + r["arrow_mb"] for r in big)
    dim = tc["dim"]
    tasks = math.ceil(arcs / per_task_arcs)
    slots = args.executors * args.cores
    waves = math.ceil(tasks / slots)
    compute = waves * per_task_cpu  # all steps of a task (initial + 4 propagations)
    steps = tc["iterations"]
    per_task_owned = sum(r["owned"] for r in big) / len(big)
    # every step shuffles each partition's stream: owned and ghost vectors and its arcs
    # (an arc row: part, sort key, kind, source row, weight ≈ 40 bytes in Spark's rows)
    exchange_bytes = tasks * (per_task_ghosts + per_task_owned) * dim * 4 * steps
    exchange_bytes += arcs * 40 * steps
    shuffle_arcs_bytes = arcs * 16 * 3  # clean, partition join, ghost table
    io = (exchange_bytes + shuffle_arcs_bytes) / (args.bandwidth_gbs * 1e9)
    bottom_up = compute + io
    out = {"edges": args.edges, "cluster": f"{args.executors} executors x {args.cores} cores",
           "assumed_shuffle_bandwidth_GBs": args.bandwidth_gbs,
           "arcs_per_task": per_task_arcs, "tasks_per_step": tasks, "waves": waves,
           "task_cpu_s_all_steps": per_task_cpu, "task_peak_mb": per_task_peak,
           "compute_s": compute, "exchange_TB": exchange_bytes / 1e12, "io_s": io,
           "bottom_up_s": bottom_up}
    pl = res / "pipeline.json"
    if pl.exists():
        p = json.loads(pl.read_text())
        fits = p.get("fits", {})
        if "total" in fits:
            local = fits["total"]["fixed_s"] + fits["total"]["s_per_million_edges"] * args.edges / 1e6
            out["top_down_local_2core_s"] = local
            out["top_down_cluster_s"] = local * 2 / slots
    (res / "projection.json").write_text(json.dumps(out, indent=2))
    lines = [f"Projection for {args.edges:.0e} edges on {out['cluster']} "
             f"(assumed shuffle bandwidth {args.bandwidth_gbs} GB/s):", "",
             f"- tasks per step: {tasks:,} of {per_task_arcs:,.0f} arcs ({waves} waves of {slots})",
             f"- per task (measured on 10⁹-graph partitions, all 4 steps): {per_task_cpu:.1f} CPU s, "
             f"peak {per_task_peak:.0f} MB",
             f"- compute: {compute / 60:.1f} min; exchange {exchange_bytes / 1e12:.2f} TB + arc "
             f"shuffles: {io / 60:.1f} min",
             f"- bottom-up total: **{bottom_up / 60:.0f} min**"]
    if "top_down_cluster_s" in out:
        lines.append(f"- top-down (local pipeline fit × 10⁹ edges ÷ {slots // 2}× cores): "
                     f"{out['top_down_cluster_s'] / 60:.0f} min")
    (res / "projection.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
