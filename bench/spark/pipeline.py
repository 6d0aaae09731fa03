"""The Spark FastRP pipeline on R-MAT graphs at a fixed per-partition size: per-stage time,
per-task CPU and peak memory, and a fitted cost per edge per stage.

    python bench/spark/pipeline.py [--sizes 1e6,1e7] [--arcs-per-task 1e6] [--master local[2]]

Runs ``spark_jobs/embed.py``'s ``run`` (clean, hash partition, ghost table, 4 FastRP steps,
standardisation, output) on bench/spark/rmat.py graphs with partitions = arcs / arcs-per-task,
in one SparkSession. Stage seconds come from the job's _meta.json; per-task CPU seconds, peak
Python memory (tracemalloc) and the Python workers' peak RSS and Arrow pool from the job's
task-metrics hook. Shuffle bytes come from Spark's event log (``spark.eventLog.enabled``, in the
work folder): the bench labels every Spark job with the table the job writes (it wraps
``embed._write``, which every stage of the FastRP job ends with, so that ``fastrp/step2`` is the
second propagation step) and sums the tasks' "Shuffle Bytes Written" per label. Fits seconds =
a + b·edges per stage (least squares over the sizes run). Writes bench/spark/results/NAME.json
and .md (``--name``, default ``pipeline``); the machine's load average is recorded before and
after every size. The code measured is the checkout the script lies in (its ``graphembed`` and
``spark_jobs``; the Python workers' ``graphembed`` path is recorded to show it).
"""

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import rmat  # noqa: E402  (bench/spark/rmat.py: the R-MAT graphs and their sizes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1e6,1e7")
    ap.add_argument("--arcs-per-task", type=float, default=1e6)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--data", default=str(HERE.parent / "results" / "tmp"))
    ap.add_argument("--name", default="pipeline",
                    help="results/NAME.json and .md (e.g. pipeline_dim32 for a --dim 32 series)")
    args = ap.parse_args()

    import pyspark

    from graphembed.methods import versions
    from spark_jobs import common, embed

    args.data = str(Path(args.data).resolve())  # Spark needs absolute paths (file URIs)
    work = Path(args.data) / "pipeline"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    events = work / "events"
    events.mkdir()
    t0 = time.perf_counter()
    spark = common.session("graphembed-bench", master=args.master, conf={
        "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "16",
        "spark.executorEnv.NUMBA_NUM_THREADS": "1",
        # drop the shuffle files of finished steps soon (each step shuffles its ghost vectors)
        "spark.cleaner.periodicGC.interval": "1min",
        "spark.local.dir": str(work / "spark-local"),
        "spark.eventLog.enabled": "true", "spark.eventLog.dir": events.as_uri(),
        "spark.eventLog.compress": "false"})
    spark.sparkContext.setLogLevel("ERROR")
    session_s = time.perf_counter() - t0
    # which checkout the Python workers ran, relative to the working directory (no machine path)
    worker_graphembed = os.path.relpath(spark.sparkContext.parallelize([0], 1).map(
        lambda _: __import__("graphembed").__file__).collect()[0])
    label = {"tag": ""}

    def labelled(original):
        """``embed._write`` / ``embed._collect`` naming the jobs they start: every job from
        here to the next such call carries the table's name (and its CPU seconds are counted
        under it)."""
        def run(df, path):
            name = "/".join(str(path).rstrip("/").split("/")[-2:])
            df.sparkSession.sparkContext.setJobDescription(f"{label['tag']}|{name}")
            label["cpu"].append((name, tree_cpu_s()))
            return original(df, path)
        return run

    embed._write = labelled(embed._write)
    embed._collect = labelled(embed._collect)
    rows = []
    for tag, edges, path, P in rmat.sized_graphs(args.sizes, args.data, args.arcs_per_task):
        metrics = work / f"metrics-{tag}"
        spark.conf.set(embed.METRICS_CONF, str(metrics))
        label["tag"] = tag
        label["cpu"] = [("clean", tree_cpu_s())]
        spark.sparkContext.setJobDescription(f"{tag}|clean")
        load_before = os.getloadavg()
        t0 = time.perf_counter()
        meta = embed.run(spark, str(path), str(work / f"emb-{tag}"), method="fastrp",
                         partitions=P, dim=args.dim, seed=0,
                         params={"iteration_weights": "0,0,1,6.67"})
        wall = time.perf_counter() - t0
        load_after = os.getloadavg()
        label["cpu"].append(("end", tree_cpu_s()))
        cpu_by_label = {}
        for (name, c0), (_, c1) in zip(label["cpu"], label["cpu"][1:]):
            cpu_by_label[name] = cpu_by_label.get(name, 0.0) + c1 - c0
        spark.sparkContext.setJobDescription(None)
        spark.conf.unset(embed.METRICS_CONF)
        tasks = []
        for f in metrics.glob("*.jsonl"):
            tasks += [json.loads(line) for line in f.read_text().splitlines()]
        prop = [t for t in tasks if t["stage"] == "propagate" and t["input_rows"]]
        row = {"edges": edges, "arcs": meta["graph"]["arcs"], "nodes": meta["graph"]["nodes"],
               "partitions": P, "wall_s": wall, "stages_s": meta["seconds"],
               "ghost_pairs": meta["stats"]["ghost_pairs"],
               # what each step wrote for the next (vectors per destination and E files)
               "exchange_bytes_written": meta["stats"].get("exchange_bytes", {}),
               "task_propagate_cpu_s_median": float(np.median([t["cpu_s"] for t in prop])),
               "task_propagate_cpu_s_max": float(max(t["cpu_s"] for t in prop)),
               "task_peak_mb_median": float(np.median([t["peak_mb"] for t in prop])),
               "task_peak_mb_max": float(max(t["peak_mb"] for t in prop)),
               "worker_maxrss_mb_max": float(max(t.get("worker_maxrss_mb", 0) for t in prop)),
               "worker_arrow_peak_mb_max": float(max(t.get("worker_arrow_peak_mb", 0)
                                                     for t in prop)),
               "tasks_measured": len(tasks),
               "loadavg_before": list(load_before), "loadavg_after": list(load_after),
               # CPU seconds of the driver, the JVM and the Python workers (all processes of
               # the run) from one labelled write to the next: what a stage cost, much less
               # distorted by other jobs on the machine than its wall time
               "cpu_s_by_table": cpu_by_label}
        rows.append(row)
        print(json.dumps(row), flush=True)
        shutil.rmtree(work / f"emb-{tag}", ignore_errors=True)
    spark.stop()
    shuffle = shuffle_bytes(events)
    for row in rows:
        tag = next(t for t in args.sizes.split(",") if int(float(t)) == row["edges"])
        row["shuffle_bytes_written"] = shuffle.get(tag, {})
    fits = {}
    if len(rows) >= 2:
        x = np.array([r["edges"] for r in rows], float)
        for stage in rows[0]["stages_s"]:
            y = np.array([r["stages_s"].get(stage, np.nan) for r in rows], float)
            b, a = np.polyfit(x, y, 1)
            fits[stage] = {"fixed_s": a, "s_per_million_edges": b * 1e6}
    out = {"benchmark": "spark_pipeline", "master": args.master, "session_start_s": session_s,
           "arcs_per_task": args.arcs_per_task, "dim": args.dim, "rows": rows, "fits": fits,
           "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared with other jobs",
           "worker_graphembed": worker_graphembed,
           "versions": {**versions(), "pyspark": pyspark.__version__}}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"{args.name}.json").write_text(json.dumps(out, indent=2))
    stages = list(rows[0]["stages_s"]) if rows else []
    lines = ["| stage | " + " | ".join(f"{r['edges']:.0e} edges ({r['partitions']} parts)"
                                       for r in rows) + " | fit s per 10⁶ edges |",
             "|---|" + "---|" * (len(rows) + 1)]
    for st in stages:
        fit = fits.get(st, {}).get("s_per_million_edges")
        cells = " | ".join(f"{r['stages_s'].get(st, float('nan')):.1f}" for r in rows)
        lines.append(f"| {st} | {cells} | " + (f"{fit:.2f} |" if fit is not None else " |"))
    lines.append("| task CPU s (propagate, median / max) | " + " | ".join(
        f"{r['task_propagate_cpu_s_median']:.2f} / {r['task_propagate_cpu_s_max']:.2f}"
        for r in rows) + " | |")
    lines.append("| task peak MB (propagate, median / max) | " + " | ".join(
        f"{r['task_peak_mb_median']:.0f} / {r['task_peak_mb_max']:.0f}" for r in rows) + " | |")
    lines.append("| Python worker peak RSS MB / Arrow pool peak MB (max) | " + " | ".join(
        f"{r['worker_maxrss_mb_max']:.0f} / {r['worker_arrow_peak_mb_max']:.0f}" for r in rows)
        + " | |")
    steps = sorted({k for r in rows for k in r["shuffle_bytes_written"]
                    if k.startswith("fastrp/step") and k != "fastrp/step0"})
    for st in steps:
        lines.append(f"| shuffle MB written, {st} | " + " | ".join(
            f"{r['shuffle_bytes_written'].get(st, 0) / 2**20:.0f}" for r in rows) + " | |")
    steps = sorted({k for r in rows for k in r.get("exchange_bytes_written", {})})
    for st in steps:
        lines.append(f"| exchange MB written (files), {st} | " + " | ".join(
            f"{r['exchange_bytes_written'].get(st, 0) / 2**20:.0f}" for r in rows) + " | |")
    names = [k for k in rows[0]["cpu_s_by_table"]] if rows else []
    for nm in names:
        lines.append(f"| CPU s (all processes), {nm} | " + " | ".join(
            f"{r['cpu_s_by_table'].get(nm, 0):.1f}" for r in rows) + " | |")
    lines.append("| CPU s (all processes), whole job | " + " | ".join(
        f"{sum(r['cpu_s_by_table'].values()):.1f}" for r in rows) + " | |")
    lines.append("| shuffle MB written, whole job | " + " | ".join(
        f"{sum(r['shuffle_bytes_written'].values()) / 2**20:.0f}" for r in rows) + " | |")
    lines.append("| load average (1 min) before / after | " + " | ".join(
        f"{r['loadavg_before'][0]:.1f} / {r['loadavg_after'][0]:.1f}" for r in rows) + " | |")
    (HERE / "results" / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def tree_cpu_s(root=None):
    """User + system CPU seconds of process ``root`` (default: this one) and all processes
    below it, from /proc (reaped children included); 0 where /proc is missing."""
    tick = os.sysconf("SC_CLK_TCK")
    root = os.getpid() if root is None else root
    stats = {}
    for d in Path("/proc").glob("[0-9]*"):
        try:
            text = (d / "stat").read_text()
        except OSError:
            continue
        rest = text[text.rfind(")") + 2:].split()
        stats[int(d.name)] = (int(rest[1]), sum(int(x) for x in rest[11:15]) / tick)
    kids = {}
    for pid, (ppid, _) in stats.items():
        kids.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        todo += kids.get(pid, [])
    return total


def shuffle_bytes(events):
    """{size tag: {table label: shuffle bytes written}} from the event logs in ``events``: each
    task's "Shuffle Bytes Written", credited to the first job that lists the task's stage (its
    description is ``tag|label``)."""
    stage_job, job_desc, written = {}, {}, {}
    for f in sorted(Path(events).rglob("*")):  # Spark 4 writes rolling logs in folders
        if not f.is_file() or f.name.startswith((".", "appstatus")):
            continue
        for line in f.read_text().splitlines():
            ev = json.loads(line)
            kind = ev.get("Event")
            if kind == "SparkListenerJobStart":
                desc = (ev.get("Properties") or {}).get("spark.job.description") or "|other"
                job_desc[ev["Job ID"]] = desc
                for sid in ev.get("Stage IDs", []):
                    stage_job.setdefault(sid, ev["Job ID"])
            elif kind == "SparkListenerTaskEnd":
                m = (ev.get("Task Metrics") or {}).get("Shuffle Write Metrics") or {}
                sid = ev["Stage ID"]
                written[sid] = written.get(sid, 0) + int(m.get("Shuffle Bytes Written", 0))
    out = {}
    for sid, b in written.items():
        tag, _, name = job_desc.get(stage_job.get(sid), "|other").partition("|")
        out.setdefault(tag, {})
        out[tag][name] = out[tag].get(name, 0) + b
    return out


def compare(pairs, out):
    """A before/after table from pairs of result files (the same size, measured one after the
    other): ``pairs`` = [(label, before.json, after.json)], written to ``out`` (.md)."""
    lines = []
    for label, b_path, a_path in pairs:
        b, a = (json.loads(Path(x).read_text())["rows"][0] for x in (b_path, a_path))
        lines += [f"### {label}: {b['edges']:.0e} edges, {b['partitions']} partitions", "",
                  "| | before | after | before / after |", "|---|---|---|---|"]

        def row(name, x, y, fmt="{:.1f}"):
            ratio = f"{x / y:.2f}" if y else ""
            lines.append(f"| {name} | {fmt.format(x)} | {fmt.format(y)} | {ratio} |")

        for st in b["stages_s"]:
            row(f"{st} s", b["stages_s"][st], a["stages_s"].get(st, float("nan")))
        steps = [k for k in b["stages_s"] if k.startswith("fastrp_step")]
        row("steps, mean s", np.mean([b["stages_s"][k] for k in steps]),
            np.mean([a["stages_s"][k] for k in steps]))
        fastrp = [k for k in b["stages_s"] if k.startswith("fastrp_")]
        row("FastRP stages (ghosts … standardize) s", sum(b["stages_s"][k] for k in fastrp),
            sum(a["stages_s"][k] for k in fastrp))
        for side in (b, a):
            side["_cpu_steps"] = [v for k, v in side["cpu_s_by_table"].items()
                                  if k.startswith("fastrp/step") and k != "fastrp/step0"]
        row("CPU s, steps 1…k-1 (mean; the last step also holds the standardisation)",
            np.mean(b["_cpu_steps"][:-1]), np.mean(a["_cpu_steps"][:-1]))
        row("CPU s, whole job (all processes)", sum(b["cpu_s_by_table"].values()),
            sum(a["cpu_s_by_table"].values()))
        for k in sorted(b["shuffle_bytes_written"]):
            if k.startswith("fastrp/step") and k != "fastrp/step0":
                row(f"shuffle MB written, {k}", b["shuffle_bytes_written"][k] / 2**20,
                    a["shuffle_bytes_written"].get(k, 0) / 2**20, "{:.0f}")
        row("shuffle MB written, whole job", sum(b["shuffle_bytes_written"].values()) / 2**20,
            sum(a["shuffle_bytes_written"].values()) / 2**20, "{:.0f}")
        row("task peak MB (propagate, median)", b["task_peak_mb_median"],
            a["task_peak_mb_median"], "{:.0f}")
        row("task peak MB (propagate, max)", b["task_peak_mb_max"], a["task_peak_mb_max"],
            "{:.0f}")
        lines.append(f"| load average (1 min) at start / end | {b['loadavg_before'][0]:.1f} / "
                     f"{b['loadavg_after'][0]:.1f} | {a['loadavg_before'][0]:.1f} / "
                     f"{a['loadavg_after'][0]:.1f} | |")
        lines.append("")
    Path(out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--compare":
        # --compare OUT.md LABEL BEFORE.json AFTER.json [LABEL BEFORE.json AFTER.json ...]
        rest = sys.argv[3:]
        compare([tuple(rest[i:i + 3]) for i in range(0, len(rest), 3)], sys.argv[2])
    else:
        main()
