"""Write a bundled data set's edges as one Parquet file: the input of the Spark example.

    python spark_jobs/example_edges.py --dataset blogcatalog --out edges.parquet

The file has columns ``src long, dst long`` (``weight double`` too for a weighted data set), one
row per edge as the data set lists it (``embed.py`` symmetrises and de-duplicates). The ids are
the data set's, so the embedding's ``node_id`` column matches ``graphembed.datasets.load(name)``
and its labels. No Spark is needed: numpy and pyarrow read and write it, in O(edges) time and
memory. An existing ``--out`` is refused unless ``--overwrite``; the file appears complete or not
at all (written beside it, then renamed).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spark_jobs import common  # noqa: E402


def write_edges(dataset, out, *, overwrite=False):
    """Write ``dataset``'s edges to the Parquet file ``out``; returns the number of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from graphembed import datasets
    from graphembed.graph import read_edgelist

    names = datasets.available()
    if dataset not in names:
        raise ValueError(f"--dataset {dataset!r} is not a bundled data set; choose one of "
                         f"{', '.join(names)}")
    out = Path(out)
    if out.is_dir():
        raise FileExistsError(f"--out {out} is a folder; give the path of a file to write, e.g. "
                              f"{out / 'edges.parquet'}")
    if out.exists() and not overwrite:
        raise FileExistsError(f"--out {out} already exists; pass --overwrite to replace it or "
                              "choose another --out")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"--out {out}: the folder {out.parent} does not exist; create it "
                                "or choose another --out")
    src, dst, weight = read_edgelist(datasets.data_dir() / dataset / "edges.tsv.gz")
    columns = {"src": pa.array(src), "dst": pa.array(dst)}  # int64, or strings
    if weight is not None:
        columns["weight"] = pa.array(weight, pa.float64())
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        pq.write_table(pa.table(columns), tmp)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(src)


def main(argv=None):
    parser = argparse.ArgumentParser(prog=Path(__file__).name,
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="blogcatalog",
                        help="a bundled data set (graphembed datasets lists them)")
    parser.add_argument("--out", default="edges.parquet", help="the Parquet file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    args = parser.parse_args(argv)
    with common.user_errors(parser.prog):
        rows = write_edges(args.dataset, args.out, overwrite=args.overwrite)
    common.log(f"example_edges: {rows} edges of {args.dataset} -> {args.out}")


if __name__ == "__main__":
    main()
