"""Score an embedding written by embed.py: node classification against a label file.

    spark-submit spark_jobs/evaluate.py --embedding DIR --labels PATH --out DIR \\
        [--train-ratios 0.1,0.5,0.9 --repeats 5]

``--labels``: a ``node<TAB>label`` text file (one pair per line, ``#`` comments, optionally .gz;
graphembed.datasets.read_labels), or ``--dataset NAME`` for a bundled data set. The embedding is
read with Spark and scored on the driver by graphembed.evaluation (one-vs-rest logistic
regression; the classifier needs the labelled rows in one place, n × dim floats). Output ``DIR``:
``results.json`` and ``_meta.json``, published atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spark_jobs import common  # noqa: E402


def load_embedding(spark, path):
    """(node_ids, vectors float32) of an embed.py output, via Arrow. O(n · dim) on the driver."""
    import numpy as np
    import pyarrow.compute as pc

    table = spark.read.parquet(path).toArrow()
    ids = table.column("node_id").to_numpy(zero_copy_only=False)
    col = table.column("embedding").combine_chunks()
    flat = pc.list_flatten(col).to_numpy(zero_copy_only=False).astype(np.float32)
    X = flat.reshape(len(ids), -1) if len(ids) else np.zeros((0, 0), np.float32)
    return ids, X


def evaluate(spark, embedding, *, labels=None, dataset=None, train_ratios=(0.1, 0.5, 0.9),
             repeats=5, seed=0):
    """Node-classification scores of the embedding at ``embedding`` (a dict)."""
    import numpy as np

    from graphembed import datasets
    from graphembed.evaluation.node_classification import node_classification

    ids, X = load_embedding(spark, embedding)
    if ids.dtype.kind not in "iu":
        ids = ids.astype(str)
    if dataset:
        ds = datasets.load(dataset)
        rows = ds.graph.index_of(ids if ids.dtype.kind in "iu" else ids.astype(str))
        Y = ds.labels[rows]
    elif labels:
        Y, _ = datasets.read_labels(labels, ids)
    else:
        raise ValueError("pass --labels PATH or --dataset NAME")
    res = node_classification(X, Y, train_ratios=list(train_ratios), repeats=repeats,
                              random_state=seed, method=embedding)
    return {
        "nodes": int(len(ids)),
        "dim": int(X.shape[1]) if X.ndim == 2 else 0,
        "scores": {str(r): {m: float(res.mean(r, m)) for m in ("micro_f1", "macro_f1")}
                   for r in train_ratios},
        "labelled_nodes": int(np.count_nonzero(np.asarray(Y.sum(axis=1)).ravel())),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog=Path(__file__).name,
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--embedding", required=True, help="output directory of embed.py")
    parser.add_argument("--labels", default=None, help="node<TAB>label file")
    parser.add_argument("--dataset", default=None, help="a bundled data set name instead")
    parser.add_argument("--out", required=True)
    parser.add_argument("--train-ratios", default="0.1,0.5,0.9")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true")
    common.add_session_arguments(parser)
    args = parser.parse_args(argv)
    with common.user_errors(parser.prog, verbose=args.verbose):
        ratios = [float(x) for x in args.train_ratios.split(",") if x]
        if not args.labels and not args.dataset:
            raise ValueError("pass --labels PATH or --dataset NAME")
        spark = common.session("graphembed-evaluate", master=args.master, verbose=args.verbose)
        common.check_output(spark, args.out, overwrite=args.overwrite)
        common.check_input(spark, args.embedding, "--embedding", "the output folder of embed.py")
        if args.labels:
            common.check_input(spark, args.labels, "--labels", "a node<TAB>label file")
        result = evaluate(spark, args.embedding, labels=args.labels, dataset=args.dataset,
                          train_ratios=ratios, repeats=args.repeats, seed=args.seed)
        with common.atomic_output(spark, args.out, overwrite=args.overwrite) as tmp:
            common.write_text(spark, tmp + "/results.json", json.dumps(result, indent=2))
            common.write_meta(spark, tmp, {"job": "evaluate", "embedding": args.embedding,
                                           "labels": args.labels, "dataset": args.dataset})
    common.log(f"evaluate: {json.dumps(result['scores'])}")


if __name__ == "__main__":
    main()
