"""The Spark FastRP pipeline on R-MAT graphs at a fixed per-partition size: per-stage time,
per-task CPU and peak memory, and a fitted cost per edge per stage.

    python bench/spark/pipeline.py [--sizes 1e6,1e7] [--arcs-per-task 1e6] [--master local[2]]

Runs ``spark_jobs/embed.py``'s ``run`` (clean, hash partition, ghost table, 4 FastRP steps,
standardisation, output) on bench/spark/rmat.py graphs with partitions = arcs / arcs-per-task,
in one SparkSession. Stage seconds come from the job's _meta.json; per-task CPU seconds, peak
Python memory (tracemalloc) and the Python workers' peak RSS and Arrow pool from the job's
task-metrics hook. Fits seconds = a + b·edges per
stage (least squares over the sizes run). Writes bench/spark/results/NAME.json and .md
(``--name``, default ``pipeline``).
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

    work = Path(args.data) / "pipeline"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    t0 = time.perf_counter()
    spark = common.session("graphembed-bench", master=args.master, conf={
        "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "16",
        "spark.executorEnv.NUMBA_NUM_THREADS": "1",
        # drop the shuffle files of finished steps soon (each step shuffles its ghost vectors)
        "spark.cleaner.periodicGC.interval": "1min",
        "spark.local.dir": str(work / "spark-local")})
    spark.sparkContext.setLogLevel("ERROR")
    session_s = time.perf_counter() - t0
    rows = []
    for tag in args.sizes.split(","):
        edges = int(float(tag))
        path = Path(args.data) / f"rmat-{tag}"
        if not path.exists():
            print(f"skip {tag}: generate it with bench/spark/rmat.py --edges {tag} --out {path}")
            continue
        P = max(1, int(round(2 * edges / args.arcs_per_task)))
        metrics = work / f"metrics-{tag}"
        spark.conf.set(embed.METRICS_CONF, str(metrics))
        t0 = time.perf_counter()
        meta = embed.run(spark, str(path), str(work / f"emb-{tag}"), method="fastrp",
                         partitions=P, dim=args.dim, seed=0,
                         params={"iteration_weights": "0,0,1,6.67"})
        wall = time.perf_counter() - t0
        spark.conf.unset(embed.METRICS_CONF)
        tasks = []
        for f in metrics.glob("*.jsonl"):
            tasks += [json.loads(line) for line in f.read_text().splitlines()]
        prop = [t for t in tasks if t["stage"] == "propagate" and t["input_rows"]]
        row = {"edges": edges, "arcs": meta["graph"]["arcs"], "nodes": meta["graph"]["nodes"],
               "partitions": P, "wall_s": wall, "stages_s": meta["seconds"],
               "ghost_pairs": meta["stats"]["ghost_pairs"],
               "task_propagate_cpu_s_median": float(np.median([t["cpu_s"] for t in prop])),
               "task_propagate_cpu_s_max": float(max(t["cpu_s"] for t in prop)),
               "task_peak_mb_median": float(np.median([t["peak_mb"] for t in prop])),
               "task_peak_mb_max": float(max(t["peak_mb"] for t in prop)),
               "worker_maxrss_mb_max": float(max(t.get("worker_maxrss_mb", 0) for t in prop)),
               "worker_arrow_peak_mb_max": float(max(t.get("worker_arrow_peak_mb", 0)
                                                     for t in prop)),
               "tasks_measured": len(tasks)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        shutil.rmtree(work / f"emb-{tag}", ignore_errors=True)
    spark.stop()
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
    (HERE / "results" / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
