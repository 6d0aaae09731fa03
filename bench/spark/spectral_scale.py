"""Exact spectral through the Spark job on R-MAT graphs: time beside FastRP's job on the same
graph in the same session, per-task CPU and memory, and the distance to one machine.

    python bench/spark/spectral_scale.py [--sizes 1e6,1e7] [--dim 128] [--master local[2]]

For every R-MAT graph of bench/spark/rmat.py (``--data``; partitions = 2·edges /
``--arcs-per-task``, hash partitioning, as bench/spark/pipeline.py): ``spark_jobs/embed.py``'s
``run`` with ``--method fastrp`` (its defaults, the baseline) and then ``--method spectral`` (its
defaults: 3 rounds of a degree-4 filter, b = dim + 17 columns), both at ``--dim``. Whole-job and
stage seconds from the job's ``_meta.json``; per-task CPU seconds and tracemalloc peaks of the
product stages from the job's task-metrics hook (``spark.graphembed.taskMetrics``). Then
``graphembed.spectral`` on one machine on the same graph (read with graphembed.as_csr from the
same Parquet) and the largest and median absolute difference of the unit rows, and of the
eigenvalues. Writes bench/spark/results/NAME.json and .md (``--name``, default spectral_scale).
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


def _tasks(metrics, stage):
    rows = []
    for f in Path(metrics).glob("*.jsonl"):
        rows += [json.loads(line) for line in f.read_text().splitlines()]
    return [t for t in rows if t["stage"] == stage and t["input_rows"]]


def _summary(tasks):
    if not tasks:
        return {}
    cpu = [t["cpu_s"] for t in tasks]
    peak = [t["peak_mb"] for t in tasks]
    return {"tasks": len(tasks), "cpu_s_median": float(np.median(cpu)),
            "cpu_s_max": float(max(cpu)), "peak_mb_median": float(np.median(peak)),
            "peak_mb_max": float(max(peak)),
            "worker_maxrss_mb_max": float(max(t.get("worker_maxrss_mb", 0) for t in tasks))}


def _read(out):
    import pyarrow.parquet as pq

    t = pq.read_table(str(out))
    ids = t.column("node_id").to_numpy()
    X = np.asarray(t.column("embedding").to_pylist(), dtype=np.float32)
    order = np.argsort(ids)
    return ids[order], X[order]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e6,1e7")
    ap.add_argument("--arcs-per-task", type=float, default=1e6)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--data", default=str(ROOT / "bench" / "results" / "tmp"))
    ap.add_argument("--name", default="spectral_scale")
    args = ap.parse_args()

    import graphembed as ge
    from graphembed.methods import versions
    from spark_jobs import common, embed

    args.data = str(Path(args.data).resolve())
    work = Path(args.data) / args.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    spark = common.session("graphembed-bench", master=args.master, conf={
        "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "16",
        "spark.executorEnv.NUMBA_NUM_THREADS": "1",
        "spark.local.dir": str(work / "spark-local")})
    spark.sparkContext.setLogLevel("ERROR")
    rows = []
    for tag, edges, path, P in rmat.sized_graphs(args.sizes, args.data, args.arcs_per_task):
        row = {"edges": edges, "partitions": P}
        for method in ("fastrp", "spectral"):
            metrics = work / f"metrics-{tag}-{method}"
            spark.conf.set(embed.METRICS_CONF, str(metrics))
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            meta = embed.run(spark, str(path), str(work / f"emb-{tag}-{method}"),
                             method=method, partitions=P, dim=args.dim, seed=0)
            wall = time.perf_counter() - t0
            spark.conf.unset(embed.METRICS_CONF)
            stage = "propagate" if method == "fastrp" else "product"
            row[method] = {"wall_s": wall, "stages_s": meta["seconds"], "load_before": load,
                           "load_after": os.getloadavg()[0],
                           "tasks": _summary(_tasks(metrics, stage)),
                           "ritz_tasks": _summary(_tasks(metrics, "ritz")),
                           "ghost_pairs": meta["stats"]["ghost_pairs"]}
            row["nodes"], row["arcs"] = meta["graph"]["nodes"], meta["graph"]["arcs"]
            if method == "spectral":
                row["eigenvalues_spark"] = meta["stats"]["eigenvalues"]
            print(f"{tag} {method}: {wall:.1f} s, {P} partitions, product tasks "
                  f"{row[method]['tasks']}", flush=True)
        # one machine on the same graph
        import pyarrow.parquet as pq

        t = pq.read_table(str(path), columns=["src", "dst"])
        g = ge.as_csr((t.column("src").to_numpy(), t.column("dst").to_numpy()))
        del t
        t0 = time.perf_counter()
        want, lam = ge.spectral(g, dim=args.dim, random_state=0, return_eigenvalues=True)
        row["one_machine_s"] = time.perf_counter() - t0
        ids, X = _read(work / f"emb-{tag}-spectral")
        diff = np.abs(X - want[g.index_of(ids)])
        row["max_abs_diff"] = float(diff.max())
        row["median_abs_diff"] = float(np.median(diff))
        row["rows_over_1e-4"] = int((diff.max(axis=1) > 1e-4).sum())
        row["max_eigenvalue_diff"] = float(np.max(np.abs(np.array(row["eigenvalues_spark"])
                                                         - lam)))
        print(f"{tag}: one machine {row['one_machine_s']:.1f} s; max |diff| "
              f"{row['max_abs_diff']:.2e}, eigenvalues {row['max_eigenvalue_diff']:.2e}",
              flush=True)
        rows.append(row)
        shutil.rmtree(work / f"emb-{tag}-fastrp", ignore_errors=True)
        shutil.rmtree(work / f"emb-{tag}-spectral", ignore_errors=True)
    spark.stop()
    record = {"rows": rows, "master": args.master, "dim": args.dim,
              "arcs_per_task": args.arcs_per_task, "versions": versions(),
              "cpu_count": os.cpu_count(), "machine": platform.machine()}
    out = HERE / "results" / args.name
    out.parent.mkdir(exist_ok=True)
    with open(f"{out}.json", "w") as fh:
        json.dump(record, fh, indent=1)
    lines = ["# Exact spectral through Spark beside FastRP (bench/spark/spectral_scale.py)", "",
             f"R-MAT (bench/spark/rmat.py), hash partitions of ~{args.arcs_per_task:.0e} arcs, "
             f"{args.master}, dim {args.dim}, both methods at their defaults, one session; "
             "task figures: the product stages (spectral) and propagation steps (FastRP).", "",
             "| edges | partitions | FastRP job | spectral job | ratio | spectral product tasks: "
             "CPU s median / max, peak MB median / max | one machine spectral | max / median "
             "abs diff (unit rows) | eigenvalue diff | load |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        f, s = r["fastrp"], r["spectral"]
        tk = s["tasks"]
        lines.append(
            f"| {r['edges']:.0e} | {r['partitions']} | {f['wall_s']:.1f} s | {s['wall_s']:.1f} s "
            f"| {s['wall_s'] / f['wall_s']:.2f} | {tk.get('cpu_s_median', 0):.2f} / "
            f"{tk.get('cpu_s_max', 0):.2f}, {tk.get('peak_mb_median', 0):.0f} / "
            f"{tk.get('peak_mb_max', 0):.0f} | {r['one_machine_s']:.1f} s | "
            f"{r['max_abs_diff']:.1e} / {r['median_abs_diff']:.1e} | "
            f"{r['max_eigenvalue_diff']:.1e} | {f['load_before']:.1f}–{s['load_after']:.1f} |")
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in record["versions"].items())]
    with open(f"{out}.md", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
