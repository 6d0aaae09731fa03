"""Projected wall time of distributed FastRP on 10⁹ edges, from the measured costs.

    python bench/spark/projection.py [--executors 100 --cores 4 --bandwidth-gbs 10]

Reads bench/spark/results/task_cost.json (per-task CPU on real-size partitions, including ones
cut from a 10⁹-edge R-MAT graph) and pipeline.json (per-stage seconds of the whole Spark job on
2 local cores; ``--pipeline``), and writes results/projection.json and .md with two estimates:

* bottom-up: tasks = 2·10⁹ arcs / arcs-per-task, each step runs them in waves of
  executors × cores at the measured per-task CPU time, plus the exchange — every ghost row
  (measured ghosts per task × tasks) and owned row is written once and read once per step, one
  dim-float vector each, through the job's storage — at an assumed aggregate bandwidth; the
  arcs move only before the steps (clean, the partition join, the arc pass's join and its
  shuffle to the partition's task: four shuffles of the arcs).
* top-down: the local pipeline's fitted seconds per edge per stage, times 10⁹ edges, divided by
  the core ratio (cluster cores / 2): perfect scaling, so a lower bound on that route.

IRWE (landmark mode) and orbits (aligned mode), from the whole Spark jobs of
bench/spark/methods_scale.py (``--methods-results``: the runs at 10⁶ and 10⁷ edges with the current
halo rules), bottom-up only: per-task CPU seconds as a linear function of the
task's owned nodes and members (IRWE: identity walks from the owned nodes, position walks from
every member; two passes, the landmark rows and the embedding) or of its subgraph arcs (orbits),
fitted on the jobs' median tasks (with the halo-arc budget), at the 10⁹-edge task's size — owned
nodes and halo as measured on the 10⁸-edge hash partitions of task_cost.json (the halo at most
the task's arcs, the upper case) —, in waves of executors × cores, plus the shuffles of the
member arcs at the same bandwidth. Written beside the FastRP figures under ``methods``.
"""

import argparse
import json
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _solve(points, names):
    """Least squares ``cpu = Σ coef·x`` (no intercept) over measured tasks."""
    import numpy as np

    A = np.array([[p[n] for n in names] for p in points], float)
    y = np.array([p["cpu"] for p in points], float)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return dict(zip(names, map(float, coef)))


def _span(lo, hi):
    """``lo–hi`` rounded, or one figure where they round the same."""
    a, b = f"{lo:,.0f}", f"{hi:,.0f}"
    return a if a == b else f"{a}–{b}"


def project_methods(results, tc, args, slots):
    """Bottom-up 10⁹-edge estimates of IRWE and orbits from the measured jobs' tasks (see the
    module docstring). ``results``: the methods_scale JSON files read. Returns (dict, markdown
    lines)."""
    arcs = 2 * args.edges
    ms = {"arcs_per_task": results[0].get("arcs_per_task"),
          "rows": [r for res in results for r in res.get("rows", [])],
          "sampled_tasks": [t for res in results for t in res.get("sampled_tasks", [])],
          "halos": {k: v for res in results for k, v in res.get("halos", {}).items()}}
    per_task_arcs = ms["arcs_per_task"] or results[0]["runs"][0]["arcs_per_task"]
    tasks = math.ceil(arcs / per_task_arcs)
    waves = math.ceil(tasks / slots)
    ref = [r for r in tc["rows"] if 1e8 <= r["graph_edges"] < 1e9]
    owned = ref[0]["owned"] * per_task_arcs / ref[0]["task_arcs"] if ref else 21_000
    halo_lo = ref[0]["ghosts"] * per_task_arcs / ref[0]["task_arcs"] if ref else 4e5
    halo_hi = per_task_arcs  # every arc of the task to a different remote node
    out, lines = {}, ["", f"IRWE and orbits, {tasks:,} tasks of {per_task_arcs:,.0f} arcs "
                      f"({waves} waves of {slots}); a task's owned nodes {owned:,.0f}, halo "
                      f"{halo_lo:,.0f} (10⁸-edge hash partitions) to {halo_hi:,.0f} (its arcs):"]
    halos = ms.get("halos", {})
    for method in ("irwe", "orbits"):
        pts = []
        hops = 1 if method == "irwe" else 2
        for t in ms.get("sampled_tasks", []):
            if t["method"] != method or t["variant"] in ("legacy", "none") or "error" in t:
                continue
            tag = f"{t['edges']:.0e}".replace("+0", "")
            per = halos.get(tag, {}).get(f"hops{hops}", [])
            h = next((x for x in per if x["part"] == t["part"]), None)
            if h is None:
                continue
            pts.append({"edges": t["edges"],
                        "cpu": t.get("rows_cpu_s", 0) + t["embed_cpu_s"],
                        "owned": h["owned"], "members": h["owned"] + h["halo_nodes"],
                        "arcs": t["subgraph_arcs"],
                        "peak": max(t.get("rows_peak_mb", 0), t["embed_peak_mb"]),
                        "rss": t.get("maxrss_mb", 0)})
        for r in ms.get("rows", []):  # the Spark tasks (task-metrics hook), medians
            if r["method"] != method or "task" not in r or "halo_summary" not in r:
                continue
            hs = r["halo_summary"]
            # IRWE runs the statistics twice (landmark rows, then embedding); the hook measures
            # the second pass
            pts.append({"edges": r["edges"],
                        "cpu": r["task"]["cpu_s"]["median"] * (2 if method == "irwe" else 1),
                        "owned": hs["owned"]["median"],
                        "members": hs["owned"]["median"] + hs["halo_nodes"]["median"],
                        "arcs": hs["member_arcs"]["median"],
                        "peak": r["task"]["peak_mb"]["max"],
                        "rss": r["task"]["worker_maxrss_mb_max"]})
        if not pts:
            continue
        names = ("owned", "members") if method == "irwe" and len(pts) >= 2 else ("arcs",)
        coef = _solve(pts, names)
        # the task's subgraph: at most (1 + budget) × the arcs touching its owned nodes, which
        # are its own arcs and their reverses: 2 × 2 × arcs per task with the default budget
        sub_arcs = 4 * per_task_arcs
        est = {}
        for label, halo in (("halo_measured_1e8", halo_lo), ("halo_bound", halo_hi)):
            x = {"owned": owned, "members": owned + halo, "arcs": sub_arcs}
            cpu = sum(coef[n] * x[n] for n in names)
            # shuffles: the member arcs (written once, read by the passes) at ~24 bytes a row
            io = tasks * sub_arcs * 24 * 3 / (args.bandwidth_gbs * 1e9)
            est[label] = {"task_cpu_s": cpu, "compute_s": waves * cpu, "io_s": io,
                          "total_s": waves * cpu + io}
        out[method] = {"coefficients_cpu_s_per_unit": coef, "measured_tasks": pts,
                       "fitted_on": sorted({p["edges"] for p in pts}),
                       "estimates": est}
        lo, hi = est["halo_measured_1e8"], est["halo_bound"]
        lines.append(f"- {method}: task CPU s = " + " + ".join(
            f"{coef[n] * 1e6:.1f}·{n}/10⁶" for n in names)
            + " (fitted on the median tasks of the jobs at "
            + ", ".join(f"{e:.0e}" for e in sorted({p["edges"] for p in pts}))
            + f" edges); per task {_span(lo['task_cpu_s'], hi['task_cpu_s'])} CPU s → compute "
            f"{_span(lo['compute_s'] / 60, hi['compute_s'] / 60)} min, member-arc shuffles "
            f"{lo['io_s'] / 60:.1f} min: **≈ {_span(lo['total_s'] / 60, hi['total_s'] / 60)} "
            "min**; measured task peaks "
            f"{max(p['peak'] for p in pts):.0f} MB (tracemalloc), "
            f"{max(p['rss'] for p in pts):.0f} MB RSS")
    return out, lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--executors", type=int, default=100)
    ap.add_argument("--cores", type=int, default=4)
    ap.add_argument("--bandwidth-gbs", type=float, default=10.0,
                    help="assumed aggregate shuffle bandwidth of the cluster, GB/s")
    ap.add_argument("--edges", type=float, default=1e9)
    ap.add_argument("--methods-results", default="methods_scale_1e6,methods_scale_1e7_irwe,"
                    "methods_scale_1e7_orbits_full",
                    help="results/NAME.json files of bench/spark/methods_scale.py (comma "
                    "separated) whose whole jobs' tasks fit the IRWE and orbit estimates")
    ap.add_argument("--pipeline", default="pipeline_dim32_flatmem_6mb",
                    help="results/NAME.json of bench/spark/pipeline.py for the top-down fit")
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
    # every step: each partition writes its owned rows and the ghost copies the others need
    # (dim float32 values plus 12 bytes of key and row each) to the job's storage, and each is
    # read back once by the partition it is for; the arcs never move after the arc pass
    exchange_bytes = tasks * (per_task_ghosts + per_task_owned) * (dim * 4 + 12) * steps * 2
    # the arcs, ~16 bytes a row: clean, the partition join, the arc pass (join by source, then
    # to their partition's task)
    shuffle_arcs_bytes = arcs * 16 * 4
    io = (exchange_bytes + shuffle_arcs_bytes) / (args.bandwidth_gbs * 1e9)
    bottom_up = compute + io
    out = {"edges": args.edges, "cluster": f"{args.executors} executors x {args.cores} cores",
           "assumed_shuffle_bandwidth_GBs": args.bandwidth_gbs,
           "arcs_per_task": per_task_arcs, "tasks_per_step": tasks, "waves": waves,
           "task_cpu_s_all_steps": per_task_cpu, "task_peak_mb": per_task_peak,
           "compute_s": compute, "exchange_TB": exchange_bytes / 1e12, "io_s": io,
           "bottom_up_s": bottom_up}
    pl = res / f"{args.pipeline}.json"
    if pl.exists():
        p = json.loads(pl.read_text())
        fits = p.get("fits", {})
        if "total" in fits:
            local = fits["total"]["fixed_s"] + fits["total"]["s_per_million_edges"] * args.edges / 1e6
            out["top_down_local_2core_s"] = local
            out["top_down_cluster_s"] = local * 2 / slots
            out["top_down_from"] = {"pipeline": pl.name, "dim": p.get("dim"),
                                    "sizes": [r["edges"] for r in p.get("rows", [])]}
    methods_lines = []
    found = [res / f"{n}.json" for n in args.methods_results.split(",") if n]
    found = [f for f in found if f.exists()]
    if found:
        out["methods"], methods_lines = project_methods(
            [json.loads(f.read_text()) for f in found], tc, args, slots)
        out["methods_from"] = [f.name for f in found]
    (res / "projection.json").write_text(json.dumps(out, indent=2))
    lines = [f"Projection for {args.edges:.0e} edges on {out['cluster']} "
             f"(assumed shuffle bandwidth {args.bandwidth_gbs} GB/s):", "",
             f"- tasks per step: {tasks:,} of {per_task_arcs:,.0f} arcs ({waves} waves of {slots})",
             f"- per task (measured on 10⁹-graph partitions, all 4 steps): {per_task_cpu:.1f} CPU s, "
             f"peak {per_task_peak:.0f} MB",
             f"- compute: {compute / 60:.1f} min; vector exchange through storage "
             f"{exchange_bytes / 1e12:.2f} TB (written and read) + arc shuffles: "
             f"{io / 60:.1f} min",
             f"- bottom-up total: **{bottom_up / 60:.0f} min**"]
    if "top_down_cluster_s" in out:
        src = out["top_down_from"]
        lines.append(f"- top-down ({src['pipeline']}: the local[2] job's fitted seconds over "
                     f"{', '.join(f'{e:.0e}' for e in src['sizes'])} edges at dim {src['dim']}, "
                     f"× {args.edges:.0e} edges ÷ {slots // 2}× cores): "
                     f"{out['top_down_cluster_s'] / 60:.1f} min")
    lines += methods_lines
    (res / "projection.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
