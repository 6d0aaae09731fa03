"""Tables, result files and plots for evaluation runs.

A run writes into one folder (by default ``./graphembed-results/<name>``) and never overwrites
an existing, non-empty folder unless asked to:

* ``node_classification.csv`` — one row per method × ratio × metric (mean, std, repeats, the
  per-repeat values) with the run's parameters, after ``#`` comment lines that hold every
  effective setting as one-line JSON (read it with :func:`read_csv`, or pandas'
  ``read_csv(path, comment="#")``);
* ``node_classification.json`` — the same rows plus every parameter, timings and versions;
* ``node_classification.png`` — Micro- and Macro-F1 against the training ratio, one line per
  method (error bars: std over repeats);
* ``link_prediction.csv`` / ``.json`` for link prediction (the CSV with the same comments).
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import numpy as np

__all__ = ["results_dir", "results_path", "check_results_dir", "read_csv", "comparison_table", "write_node_classification",
           "write_link_prediction", "plot_f1"]


def results_path(path=None, *, name=None, root="graphembed-results") -> Path:
    """Where a run's files go: ``path`` if given, else ``<root>/<name>``, ``name`` defaulting
    to a UTC timestamp. Nothing is created."""
    if path is None:
        name = name or time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        path = Path(root) / name
    return Path(path)


def check_results_dir(path, *, overwrite=False) -> Path:
    """Check, without creating anything, that ``path`` can become a run's results folder: not a
    file, not a folder that already holds files (unless ``overwrite``), and creatable and
    writable (a probe file is created in the nearest existing folder and removed).

    Raises FileExistsError or PermissionError/NotADirectoryError naming the path and the fix.
    """
    import tempfile

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{path} exists and is not a folder; choose another --out")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise FileExistsError(
            f"the results folder {path} already holds files; pass --overwrite (overwrite=True) "
            "to replace them or choose another --out/--name"
        )
    base = path.absolute()
    while not base.exists():
        base = base.parent
    if not base.is_dir():
        raise NotADirectoryError(
            f"cannot create the results folder {path}: {base} is a file, not a folder; choose "
            "another --out"
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".graphembed-probe-", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise PermissionError(
            f"cannot write the results folder {path}: {base} is not writable ({e.strerror}); "
            "choose another --out"
        ) from None
    return path


def results_dir(path=None, *, name=None, overwrite=False, root="graphembed-results") -> Path:
    """The folder for a run's files, created; FileExistsError if it exists and is not empty.

    ``path`` wins if given; else ``<root>/<name>``, ``name`` defaulting to a UTC timestamp.
    """
    path = check_results_dir(results_path(path, name=name, root=root), overwrite=overwrite)
    path.mkdir(parents=True, exist_ok=True)
    return path


def comparison_table(results, metric_names=("micro_f1", "macro_f1")):
    """One text table for several NodeClassificationResult: a line per ratio, columns per method.

    >>> from graphembed.evaluation.node_classification import NodeClassificationResult as R
    >>> r = R({(0.5, "micro_f1"): [0.5, 0.7], (0.5, "macro_f1"): [0.2, 0.2]}, {}, 0.0, "m")
    >>> print(comparison_table([r]))
     ratio     m Micro-F1     m Macro-F1
      0.50  0.600 ± 0.100  0.200 ± 0.000
    """
    pretty = {"micro_f1": "Micro-F1", "macro_f1": "Macro-F1"}
    cols = [(res, m) for res in results for m in metric_names]
    width = max([15] + [len(res.method) + 11 for res, _ in cols])
    head = f"{'ratio':>6}" + "".join(f"{res.method + ' ' + pretty[m]:>{width}}" for res, m in cols)
    lines = [head]
    ratios = sorted({r for res in results for r in res.ratios})
    for ratio in ratios:
        cells = []
        for res, m in cols:
            if (ratio, m) in res.scores:
                cells.append(f"{res.mean(ratio, m):.3f} ± {res.std(ratio, m):.3f}")
            else:
                cells.append("-")
        lines.append(f"{ratio:>6.2f}" + "".join(f"{c:>{width}}" for c in cells))
    return "\n".join(lines)


def _write_json(path, obj):
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")
    os.replace(tmp, path)


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (tuple, set)):
        return list(o)
    return str(o)


def _settings_comments(task, run, per_result):
    """``#`` lines: what wrote the file, then every setting as one-line JSON.

    ``per_result`` is a list of (label, dict) written one line each.
    """
    run = run or {}
    lines = [f"# graphembed {task}" + (f", {run['utc']}" if run.get("utc") else "")]
    if run.get("command"):
        lines.append(f"# command: {run['command']}")
    for key in ("settings", "methods", "dim", "seed", "source", "graph", "versions"):
        if key in run:
            lines.append(f"# {key}: {json.dumps(run[key], default=_json_default)}")
    for label, d in per_result:
        lines.append(f"# {label}: {json.dumps(d, default=_json_default)}")
    return [ln.replace("\n", " ").replace("\r", " ") + "\n" for ln in lines]


def read_csv(path):
    """The rows of a results CSV (dicts of strings), its ``#`` setting lines skipped."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def write_node_classification(folder, results, *, run=None, plot=True):
    """Write the CSV, JSON and (if ``plot``) PNG of node-classification ``results``.

    ``run`` is a dict of run-level facts (data set, command, versions, per-method embedding
    parameters and times) stored in the JSON. Returns the list of written paths.
    """
    folder = Path(folder)
    run = dict(run or {})
    rows = []
    for res in results:
        for row in res.rows():
            rows.append({**row, "values": " ".join(f"{v:.6f}" for v in row["values"]),
                         "C": res.params.get("C"), "normalize": res.params.get("normalize"),
                         "protocol": res.params.get("protocol"),
                         "random_state": res.params.get("random_state")})
    csv_path = folder / "node_classification.csv"
    with open(csv_path, "w", newline="") as fh:
        fh.writelines(_settings_comments("node classification", run, [
            (f"protocol {res.method}", res.params) for res in results]))
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    payload = {
        "task": "node_classification",
        "run": run,
        "results": [
            {"method": res.method, "protocol": res.params, "scoring_seconds": res.seconds,
             **{k: v for k, v in res.extra.items() if k != "label_names"},
             "rows": res.rows()}
            for res in results
        ],
    }
    json_path = folder / "node_classification.json"
    _write_json(json_path, payload)
    paths = [csv_path, json_path]
    if plot:
        paths.append(plot_f1(results, folder / "node_classification.png",
                             title=run.get("title")))
    return paths


def plot_f1(results, path, *, title=None):
    """PNG of Micro-F1 and Macro-F1 against the training ratio, one line per method."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, (metric, label) in zip(axes, (("micro_f1", "Micro-F1"), ("macro_f1", "Macro-F1"))):
        for res in results:
            ratios = res.ratios
            means = [res.mean(r, metric) for r in ratios]
            stds = [res.std(r, metric) for r in ratios]
            ax.errorbar(ratios, means, yerr=stds, marker="o", capsize=3, label=res.method)
        ax.set_xlabel("training ratio")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend()
    if title:
        fig.suptitle(title)
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_link_prediction(folder, results, *, run=None):
    """Write ``link_prediction.csv`` and ``.json`` for a list of LinkPredictionResult."""
    folder = Path(folder)
    rows = [{**row, "embed_seconds": res.embed_seconds, "scoring_seconds": res.scoring_seconds,
             **{f"split_{k}": v for k, v in res.split.items()}}
            for res in results for row in res.rows]
    keys = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    csv_path = folder / "link_prediction.csv"
    with open(csv_path, "w", newline="") as fh:
        fh.writelines(_settings_comments("link prediction", run, [
            (f"protocol {res.method}", res.params) for res in results]))
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    json_path = folder / "link_prediction.json"
    _write_json(json_path, {
        "task": "link_prediction", "run": dict(run or {}),
        "results": [{"method": r.method, "params": r.params, "split": r.split,
                     "embed_seconds": r.embed_seconds, "scoring_seconds": r.scoring_seconds,
                     "rows": r.rows} for r in results],
    })
    return [csv_path, json_path]
