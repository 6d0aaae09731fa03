"""The ``graphembed`` command line.

Subcommands::

    graphembed embed EDGES -o OUT [--method fastrp] [--dim 128] [--seed 0] [-p name=value ...]
    graphembed datasets

Each subcommand is a ``_cmd_<name>(args)`` function with its parser built in ``_build_parser``;
all computing goes through the library.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


class CLIError(Exception):
    """An error worth one line on stderr and exit status 2 (no traceback)."""


def _params(pairs):
    out = {}
    for item in pairs or []:
        if "=" not in item:
            raise CLIError(f"-p/--param expects name=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip().replace("-", "_")] = v.strip()
    return out


def _load_graph(args):
    from .graph import as_csr

    if getattr(args, "dataset", None):
        from .datasets import load

        return load(args.dataset).graph
    return as_csr(
        args.edges,
        directed=True if getattr(args, "directed", False) else None,
        delimiter=getattr(args, "delimiter", None),
        header=getattr(args, "header", False),
    )


def _cmd_embed(args):
    from .methods import embed

    graph = _load_graph(args)
    emb = embed(graph, args.method, dim=args.dim, random_state=args.seed,
                num_threads=args.threads, params=_params(args.param))
    path = emb.save(args.out, overwrite=args.overwrite)
    print(f"wrote {len(emb)} × {emb.dim} {args.method} embedding to {path} "
          f"({emb.meta['seconds']:.2f} s)")


def _cmd_datasets(args):
    from .datasets import available, load

    names = available()
    if not names:
        print("no bundled data sets found (set GRAPHEMBED_DATA to the data/ folder)")
        return
    print(f"{'name':<16}{'nodes':>9}{'edges':>10}{'labels':>8}  kind")
    for name in names:
        ds = load(name)
        kind = "multi-label" if ds.multilabel else "single-label"
        print(f"{name:<16}{ds.graph.n:>9}{ds.graph.num_edges:>10}{ds.labels.shape[1]:>8}  {kind}")


def _add_graph_input(p, required=True):
    src = p.add_mutually_exclusive_group(required=required)
    src.add_argument("--graph", dest="edges", help="edge-list file (.tsv/.csv/.txt[.gz])")
    src.add_argument("--dataset", help="a bundled data set (see `graphembed datasets`)")
    p.add_argument("--directed", action="store_true", help="keep arcs as given (default: undirected)")
    p.add_argument("--delimiter", default=None, help="field separator of the edge file")
    p.add_argument("--header", action="store_true", help="skip the first data line of the edge file")


def _build_parser():
    from .methods import method_names

    parser = argparse.ArgumentParser(prog="graphembed", description="Fast graph embeddings.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"graphembed {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("embed", help="embed a graph and write the vectors with their node ids")
    p.add_argument("edges", nargs="?", help="edge-list file (.tsv/.csv/.txt[.gz])")
    p.add_argument("-o", "--out", required=True,
                   help="output file: .npz, .npy, .parquet or .txt (word2vec)")
    p.add_argument("--dataset", help="embed a bundled data set instead of a file")
    p.add_argument("--method", default="fastrp", choices=method_names())
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("-p", "--param", action="append", metavar="NAME=VALUE",
                   help="method parameter, repeatable (e.g. -p iteration_weights=0,0,1,6.67)")
    p.add_argument("--directed", action="store_true")
    p.add_argument("--delimiter", default=None)
    p.add_argument("--header", action="store_true")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(func=_cmd_embed)

    p = sub.add_parser("datasets", help="list the bundled data sets")
    p.set_defaults(func=_cmd_datasets)
    return parser


def main(argv=None):
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "embed" and not (args.edges or args.dataset):
        parser.error("embed needs an edge-list file or --dataset NAME")
    try:
        args.func(args)
    except (CLIError, ValueError, TypeError, FileNotFoundError, FileExistsError, KeyError) as e:
        print(f"graphembed {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
