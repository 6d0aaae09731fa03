"""The ``graphembed`` command line.

Subcommands::

    graphembed embed --graph EDGES -o OUT [--method fastrp] [--dim 512] [--seed 0] [-p name=value]
    graphembed evaluate --dataset blogcatalog [--method fastrp] [--full]
    graphembed linkpred | tune | orbits | walks | datasets

Every subcommand reads its graph with ``--graph FILE`` or ``--dataset NAME`` (``embed FILE``
stays as an alias). Each one checks everything it can before the work starts -- every value in
range, method parameters through the registry's parsers, output files and folders writable and
not already there (unless ``--overwrite``), the optional packages it will need, and the memory
the embedding needs against what the machine has -- so that a bad run fails in a second with one
line ``graphembed <command>: error: ...`` (exit status 2) and leaves nothing behind. Results
folders are created only when the results are written.

Each subcommand is a ``_cmd_<name>(args)`` function with its parser built in ``_build_parser``;
the checks live in ``_cli_checks``, the time estimates in ``_estimate``; all computing goes
through the library.
"""

from __future__ import annotations

import argparse
import functools
import sys

from ._cli_checks import (  # noqa: F401  (the checks every subcommand runs first)
    CLIError,
    _checked,
    _check_dim_arg,
    _check_common,
    _check_writable,
    _check_out_file,
    _check_results_folder,
    _EXTRAS,
    _has_module,
    _require,
    _require_for_file,
    _check_memory,
    _check_graph_source,
    _load_graph,
)

__all__ = ["main"]


def _params(pairs):
    out = {}
    for item in pairs or []:
        if "=" not in item:
            raise CLIError(f"-p/--param expects name=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip().replace("-", "_")] = v.strip()
    return out


def _cmd_embed(args):
    from pathlib import Path

    from .embedding import _format_of, _sidecar
    from .methods import embed, get_method

    if args.edges and args.graph and args.edges != args.graph:
        raise CLIError("give the edge-list file once: EDGES or --graph EDGES")
    args.edges = args.graph or args.edges
    if args.edges and args.dataset:
        raise CLIError("give an edge-list file or --dataset NAME, not both")
    _check_common(args)
    fmt = _format_of(args.out, None)  # fail before computing: unknown suffix
    out = Path(args.out)
    sides = [_sidecar(out, ".ids.npy"), _sidecar(out, ".meta.json")] if fmt == "npy" else []
    _check_out_file(out, args.overwrite, "--out", sides)
    _require_for_file(out, "--out")
    method = get_method(args.method)
    params = _params(args.param)
    dim = method.dim if args.dim is None else args.dim
    settings = method.settings(params, dim=dim)  # parameter errors before any work
    _check_graph_source(args)
    graph = _load_graph(args)
    _check_memory(graph, [args.method], {args.method: dim}, {args.method: settings})
    emb = embed(graph, args.method, dim=dim, random_state=args.seed,
                num_threads=args.threads, params=params)
    path = emb.save(args.out, overwrite=args.overwrite)
    print(f"wrote {len(emb)} × {emb.dim} {args.method} embedding to {path} "
          f"({emb.meta['seconds']:.2f} s)")


def _cmd_orbits(args):
    from pathlib import Path

    from .orbits import _save_npz, orbit_adjacency, orbit_counts

    if Path(args.out).suffix.lower() != ".npz":
        raise CLIError(f"--out must name a .npz file, got {args.out!r}")
    if Path(args.out).exists() and not args.overwrite:
        raise CLIError(f"{args.out} already exists; pass --overwrite to replace it")
    if args.counts and (args.key or args.hop3):
        raise CLIError("--counts writes orbit counts; --key and --hop3 are for the matrices")
    _check_common(args)
    _check_out_file(args.out, args.overwrite)
    if args.key:
        from .orbits import _keys

        _checked("--key", _keys, args.key, args.hop3)
    _check_graph_source(args)
    graph = _load_graph(args)
    if args.counts:
        counts = orbit_counts(graph, num_threads=args.threads)
        path = _save_npz(args.out, {"node_ids": graph.node_ids, "counts": counts},
                         args.overwrite)
        print(f"wrote orbit counts ({counts.shape[0]} nodes × 15 orbits) to {path}")
        return
    mats = orbit_adjacency(graph, keys=args.key or None, include_hop3=args.hop3,
                           num_threads=args.threads)
    path = mats.save(args.out, overwrite=args.overwrite)
    total = sum(m.nnz for m in mats.values())
    print(f"wrote {len(mats)} orbit adjacency matrices ({total} non-zeros, {graph.n} nodes) "
          f"to {path}")


def _cmd_walks(args):
    """Sample walks and write them: .npz (walks as row indices, lengths, node_ids) or text."""
    from pathlib import Path

    from .embedding import _atomic_write
    from .walks import iter_random_walks

    out = Path(args.out)
    suffixes = "".join(out.suffixes[-2:]).lower()
    text = suffixes.endswith((".txt", ".txt.gz"))
    if not (text or out.suffix.lower() == ".npz"):
        raise CLIError(f"--out must end in .npz or .txt (or .txt.gz), got {args.out!r}")
    _check_common(args)
    _check_out_file(out, args.overwrite)
    from ._validation import check_float, check_int

    _checked("--walk-length", check_int, "walk_length", args.walk_length, minimum=1)
    _checked("--walks-per-node", check_int, "walks_per_node", args.walks_per_node, minimum=1)
    _checked("-p", check_float, "p", args.p, minimum=0.0, strict_min=True)
    _checked("-q", check_float, "q", args.q, minimum=0.0, strict_min=True)
    _check_graph_source(args)
    graph = _load_graph(args)
    start = None if not args.start else graph.index_of(_start_ids(args.start, graph))
    blocks = iter_random_walks(graph, walk_length=args.walk_length,
                               walks_per_node=args.walks_per_node, p=args.p, q=args.q,
                               start_nodes=start, random_state=args.seed,
                               num_threads=args.threads)
    count = [0]

    def write_text(tmp):
        import gzip

        ids = graph.node_ids.astype(str)
        opener = gzip.open if suffixes.endswith(".gz") else open
        with opener(tmp, "wt", encoding="utf-8") as fh:
            for b in blocks:
                for w, length in zip(b.walks, b.lengths):
                    fh.write(" ".join(ids[w[:length]].tolist()))
                    fh.write("\n")
                count[0] += len(b.walks)

    def write_npz(tmp):
        import numpy as np

        parts = [(b.walks.copy(), b.lengths.copy()) for b in blocks]
        walks = np.vstack([w for w, _ in parts])
        count[0] = len(walks)
        with open(tmp, "wb") as fh:
            np.savez(fh, walks=walks, lengths=np.concatenate([x for _, x in parts]),
                     node_ids=graph.node_ids)

    _atomic_write([(out, write_text if text else write_npz)], args.overwrite)
    kind = "node2vec" if (args.p, args.q) != (1.0, 1.0) else "first-order"
    print(f"wrote {count[0]} {kind} walks of up to {args.walk_length} steps to {out}")


def _start_ids(items, graph):
    """--start values as node ids of the graph's id type."""
    import numpy as np

    if graph.node_ids.dtype.kind in "iu":
        try:
            return np.array([int(x) for x in items])
        except ValueError:
            raise CLIError(f"--start expects integer node ids for this graph, got {items}") from None
    return np.array(items)


def _cmd_warmup(args):
    import time

    from ._compile import warmup

    t0 = time.perf_counter()
    warmup(verbose=True, file=sys.stdout)
    print(f"graphembed warmup: done in {time.perf_counter() - t0:.1f} s; the kernels are cached")


def _cmd_datasets(args):
    import json

    from .datasets import available, data_dir, load

    names = available()
    if not names:
        print("no bundled data sets found (set GRAPHEMBED_DATA to the data/ folder)")
        return
    print(f"{'name':<16}{'nodes':>9}{'edges':>10}{'labels':>8}  kind")
    for name in names:
        stats_file = data_dir() / name / "stats.json"
        if stats_file.is_file():  # the counts are recorded beside the data (checked by the tests)
            st = json.loads(stats_file.read_text())
            n, m, labels, multi = st["nodes"], st["edges_undirected"], st["labels"], st["multi_label"]
        else:
            ds = load(name)
            n, m, labels, multi = ds.graph.n, ds.graph.num_edges, ds.labels.shape[1], ds.multilabel
        kind = "multi-label" if multi else "single-label"
        print(f"{name:<16}{n:>9}{m:>10}{labels:>8}  {kind}")


# ------------------------------------------------------------------ evaluation subcommands

_QUICK_RATIOS, _QUICK_REPEATS = "0.1,0.5,0.9", 2
_FULL_RATIOS, _FULL_REPEATS = "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", 10


def _dim_of(method, dim):
    """The dimension a run of ``method`` uses: ``--dim`` if given, else the method's default."""
    from .methods import get_method

    return get_method(method).dim if dim is None else dim


def _method_list(values):
    names = [m.strip() for v in (values or ["fastrp"]) for m in v.split(",") if m.strip()]
    from .methods import get_method

    for name in names:
        get_method(name)  # ValueError listing the registered methods
    if len(set(names)) != len(names):
        raise CLIError(f"--method lists a method twice: {','.join(names)}")
    return names


def _method_params(names, pairs):
    """-p name=value goes to every listed method that has the parameter; -p method:name=value
    to one method. A name no listed method knows is an error."""
    from .methods import get_method

    per = {m: {} for m in names}
    for key, value in _params(pairs).items():
        target, _, pname = key.rpartition(":")
        targets = [target] if target else [m for m in names if pname in get_method(m).params]
        if target and target not in per:
            raise CLIError(f"-p {key}=...: method {target!r} is not among --method {','.join(names)}")
        if not targets:
            raise CLIError(f"-p {key}=...: no method among {','.join(names)} has a parameter "
                           f"{pname!r}")
        for m in targets:
            per[m][pname] = value
    for m in names:
        get_method(m).parse_params(per[m])  # parameter errors before any work
    return per


def _floats_arg(text, name):
    try:
        return [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise CLIError(f"{name} expects comma-separated numbers, got {text!r}") from None


def _ratios_arg(text, flag):
    """Comma-separated training ratios, each strictly inside (0, 1), at least one."""
    from .evaluation.splits import check_ratio

    ratios = [_checked(flag, check_ratio, "train_ratios", r) for r in _floats_arg(text, flag)]
    if not ratios:
        raise CLIError(f"{flag} needs at least one ratio strictly between 0 and 1, got {text!r}")
    return ratios


def _check_eval_sources(args):
    """Which inputs were given, before reading any of them."""
    from pathlib import Path

    if not (args.embedding or args.dataset or args.edges):
        raise CLIError(f"{args.command} needs --dataset NAME, --graph EDGES --labels LABELS, or "
                       "--embedding FILE --labels LABELS")
    if args.embedding and (args.dataset or args.edges):
        raise CLIError("--embedding scores a saved embedding; give it without --graph/--dataset")
    if args.embedding and not args.labels:
        raise CLIError("--embedding needs --labels FILE (node<TAB>label lines)")
    if args.edges and not args.labels:
        raise CLIError("--graph needs --labels FILE (node<TAB>label lines)")
    _check_graph_source(args)
    for flag, path in (("--embedding", args.embedding), ("--labels", args.labels)):
        if path and not Path(path).exists():
            raise CLIError(f"{flag}: {path} does not exist")
    if args.embedding:
        from .embedding import _format_of

        _format_of(args.embedding, None)
        _require_for_file(args.embedding, "--embedding")


def _eval_inputs(args):
    """(graph or None, labels indicator or None, embedding or None, description)."""
    from .datasets import load, read_labels

    _check_eval_sources(args)
    if args.embedding:
        from .embedding import Embedding

        emb = Embedding.load(args.embedding)
        labels, _ = read_labels(args.labels, emb.node_ids)
        return None, labels, emb, f"embedding {args.embedding}"
    if args.dataset:
        ds = load(args.dataset)
        labels = ds.labels
        if args.labels:
            labels, _ = read_labels(args.labels, ds.graph.node_ids)
        return ds.graph, labels, None, f"data set {args.dataset}"
    graph = _load_graph(args)
    labels, _ = read_labels(args.labels, graph.node_ids)
    return graph, labels, None, f"graph {args.edges}"


# the cost model behind the line printed before the work (the tests read these two)
from ._estimate import _embed_seconds, _score_seconds, estimate_line  # noqa: E402,F401


def _run_facts(args, extra):
    from . import __version__
    from .methods import versions

    return {"command": "graphembed " + " ".join(sys.argv[1:]) if args.argv is None
            else "graphembed " + " ".join(args.argv), "graphembed": __version__,
            "versions": versions(), "utc": _utc_now(), **extra}


def _utc_now():
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _cmd_evaluate(args):
    from .evaluation import node_classification
    from .evaluation.report import comparison_table, results_dir, write_node_classification
    from .methods import embed, get_method

    # every check before any work: values, methods and their parameters, inputs named,
    # the results folder, the extras, then (with the graph read) the memory
    full = args.full
    ratios = _ratios_arg(args.ratios or (_FULL_RATIOS if full else _QUICK_RATIOS), "--ratios")
    repeats = args.repeats if args.repeats is not None else (_FULL_REPEATS if full else _QUICK_REPEATS)
    if repeats < 1:
        raise CLIError(f"--repeats must be an integer >= 1, got {repeats}")
    _check_common(args)
    _check_solver(args)
    _check_eval_sources(args)
    names = ["embedding"] if args.embedding else _method_list(args.method)
    per = {} if args.embedding else _method_params(names, args.param)
    dims = {m: _dim_of(m, args.dim) for m in names if m != "embedding"}
    settings = {m: get_method(m).settings(per[m], dim=dims[m]) for m in dims}
    folder = _check_results_folder(args)
    if not args.quiet:
        _require("tqdm", "the progress bar", "pass --quiet")
    if not args.no_plot:
        _require("matplotlib", "the plot", "pass --no-plot")
    graph, labels, emb, source = _eval_inputs(args)
    if emb is not None:
        dims = {"embedding": emb.dim}
    else:
        # the scoring keeps the vectors and about three float32 copies of them
        _check_memory(graph, names, dims, settings, extra_per_entry=12)
    print(f"node classification on {source}: ratios {ratios}, {repeats} repeats, C={args.C}, "
          f"normalize={args.normalize}, seed {args.seed}; results in {folder}")
    print(estimate_line(graph, labels, names, dims, settings, ratios, repeats,
                        args.solver or _default_solver(), args,
                        full_ratios=[float(x) for x in _FULL_RATIOS.split(",")],
                        full_repeats=_FULL_REPEATS), flush=True)
    results, methods_run = [], {}
    for name in names:
        if emb is None:
            e = embed(graph, name, dim=dims[name], random_state=args.seed,
                      num_threads=args.threads, params=per[name])
            print(f"{name}: embedded {len(e)} nodes × {e.dim} in {e.meta['seconds']:.2f} s")
            methods_run[name] = {"params": e.meta["params"], "dim": e.dim,
                                 "random_state": e.meta["random_state"],
                                 "num_threads": e.meta["num_threads"],
                                 "embed_seconds": e.meta["seconds"],
                                 "description": get_method(name).description}
        else:
            e = emb
            methods_run[name] = {"file": args.embedding, "meta": e.meta, "dim": e.dim}
        res = node_classification(e, labels, train_ratios=ratios, repeats=repeats,
                                  random_state=args.seed, C=args.C, normalize=args.normalize,
                                  n_jobs=args.jobs, validation=args.validation,
                                  progress=not args.quiet, method=name, **_solver_kw(args))
        methods_run[name]["scoring_seconds"] = res.seconds
        print(f"{name}: scored in {res.seconds:.1f} s")
        results.append(res)
    print(comparison_table(results))
    run = _run_facts(args, {"source": source, "methods": methods_run, "seed": args.seed,
                            "settings": {"ratios": ratios, "repeats": repeats, "full": full,
                                         "C": args.C, "normalize": args.normalize,
                                         "solver": results[0].params.get("solver"),
                                         "jobs": args.jobs, "validation": args.validation,
                                         "seed": args.seed, "threads": args.threads},
                            "title": f"node classification, {source}"})
    folder = results_dir(folder, overwrite=args.overwrite)
    paths = write_node_classification(folder, results, run=run, plot=not args.no_plot)
    print("wrote " + ", ".join(str(p) for p in paths))


def _solver_kw(args):
    """``solver=`` for node_classification when --solver was given (else the library's)."""
    solver = getattr(args, "solver", None)
    return {} if solver is None else {"solver": solver}


def _nc_module():
    import importlib

    return importlib.import_module("graphembed.evaluation.node_classification")


def _check_solver(args):
    """--solver among node_classification's solvers (checked before any work)."""
    solvers = getattr(_nc_module(), "SOLVERS", ("liblinear",))
    if args.solver is not None and args.solver not in solvers:
        raise CLIError(f"--solver must be one of {', '.join(solvers)}, got {args.solver!r}")


def _default_solver():
    import inspect

    fn = _nc_module().node_classification
    return inspect.signature(fn).parameters["solver"].default


def _cmd_linkpred(args):
    from pathlib import Path

    from .evaluation import EdgeSplit, edge_split, link_prediction
    from .evaluation.link_prediction import SCORERS
    from .evaluation.report import results_dir, write_link_prediction
    from .evaluation.splits import check_ratio
    from .methods import embed, get_method

    _check_common(args)
    _checked("--test-fraction", check_ratio, "test_fraction", args.test_fraction)
    names = _method_list(args.method) if args.method != ["none"] else []
    per = _method_params(names, args.param)
    dims = {m: _dim_of(m, args.dim) for m in names}
    settings = {m: get_method(m).settings(per[m], dim=dims[m]) for m in names}
    scorers = [s.strip() for s in args.scorer.split(",") if s.strip()]
    for s in scorers:
        if s not in SCORERS:
            raise CLIError(f"--scorer: {s!r} is not a scorer; choose among {', '.join(SCORERS)}")
    if args.split and not Path(args.split).exists():
        raise CLIError(f"--split: {args.split} does not exist")
    _check_graph_source(args)
    folder = _check_results_folder(args)
    graph = _load_graph(args)
    # edge features of one operator for the scored pairs (the edges and as many non-edges,
    # training and test), float64 with a scaled copy: 16 bytes per pair and dimension
    pairs = 2 * graph.num_edges
    _check_memory(graph, names, dims, settings, scoring=lambda dim: 16 * pairs * dim)
    if args.split:
        split = EdgeSplit.load(args.split)
    else:
        split = edge_split(graph, test_fraction=args.test_fraction, random_state=args.seed)
    print(f"link prediction: {split.summary()}; results in {folder}")
    results = []
    for k, name in enumerate(names or [None]):
        fn = None if name is None else functools.partial(
            embed, method=name, dim=dims[name], random_state=args.seed,
            num_threads=args.threads, params=per[name])
        res = link_prediction(graph, fn, split=split, scorer=scorers,
                              heuristics=(k == 0 and not args.no_heuristics),
                              C=args.C, method=name or "heuristic")
        if res.embed_seconds is not None:
            print(f"{name}: embedded the residual graph in {res.embed_seconds:.2f} s, "
                  f"scored in {res.scoring_seconds:.1f} s")
        results.append(res)
    print(results[0].table() if len(results) == 1 else "\n".join(
        r.table() if i == 0 else "\n".join(r.table().splitlines()[1:])
        for i, r in enumerate(results)))
    run = _run_facts(args, {"graph": args.dataset or args.edges, "seed": args.seed,
                            "methods": {n: settings[n] for n in names},
                            "given_params": {n: per[n] for n in names},
                            "dim": dims,
                            "settings": {"test_fraction": split.test_fraction,
                                         "split": args.split, "scorers": scorers,
                                         "heuristics": not args.no_heuristics, "C": args.C,
                                         "seed": args.seed, "threads": args.threads}})
    folder = results_dir(folder, overwrite=args.overwrite)
    split.save(folder / "split.npz", overwrite=args.overwrite)
    paths = write_link_prediction(folder, results, run=run)
    print("wrote " + ", ".join(str(p) for p in paths + [folder / "split.npz"]))


def _cmd_tune(args):
    import json

    from .evaluation import tune
    from .evaluation.report import results_dir
    from .evaluation.tune import FASTRP_SPACE
    from .methods import embed, get_method

    from .evaluation.splits import check_ratio

    _check_common(args)
    _checked("--ratio", check_ratio, "train_ratio", args.ratio)
    if args.repeats < 1:
        raise CLIError(f"--repeats must be an integer >= 1, got {args.repeats}")
    if args.budget < 1:
        raise CLIError(f"--budget must be an integer >= 1, got {args.budget}")
    _check_solver(args)
    if args.embedding:
        raise CLIError("tune embeds the graph for every candidate; give --graph or --dataset")
    (name,) = _method_list([args.method])
    method = get_method(name)
    fixed = _method_params([name], args.param)[name]
    dim = _dim_of(name, args.dim)
    if args.space:
        space = {}
        for item in args.space:
            if "=" not in item:
                raise CLIError(f"--space expects name=v1;v2;..., got {item!r}")
            key, values = item.split("=", 1)
            key = key.strip().replace("-", "_")
            if key not in method.params:
                raise CLIError(f"--space {key}: method {name!r} has no such parameter")
            space[key] = [method.parse_params({key: v})[key] for v in values.split(";") if v]
    elif name == "fastrp":
        space = FASTRP_SPACE
    else:
        raise CLIError(f"no default search space for {name!r}; give --space name=v1;v2;...")
    folder = _check_results_folder(args)
    graph, labels, _, source = _eval_inputs(args)
    settings = method.settings(fixed, dim=dim)
    _check_memory(graph, [name], {name: dim}, {name: settings}, extra_per_entry=12)

    def run_embed(g, **params):
        return embed(g, name, dim=dim, random_state=args.seed, num_threads=args.threads,
                     params={**fixed, **params}).vectors

    print(f"tuning {name} on {source} (validation inside the training part of ratio "
          f"{args.ratio}; the test part is never read); results in {folder}")
    res = tune(graph, labels, run_embed, space, train_ratio=args.ratio, repeats=args.repeats,
               random_state=args.seed, budget=args.budget, C=args.C, normalize=args.normalize,
               n_jobs=args.jobs, test=args.test, log=None if args.quiet else print,
               **_solver_kw(args))
    print(res.table())
    print(f"best by validation {res.metric}: {res.best_params} ({res.best_score:.4f})")
    payload = {"task": "tune", "method": name, "dim": dim,
               "fixed_params": fixed, "settings": settings,
               "best_params": res.best_params, "best_validation": res.best_score,
               "nested_test": res.nested, "protocol": res.params, "trials": res.trials,
               "seconds": res.seconds,
               "run": _run_facts(args, {"source": source, "seed": args.seed})}
    folder = results_dir(folder, overwrite=args.overwrite)
    path = folder / "tune.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"wrote {path}")


def _add_protocol_args(p):
    p.add_argument("-C", "--C", type=float, default=1.0, help="inverse regularisation (default 1.0)")
    p.add_argument("--solver", default=None,
                   help="logistic-regression solver: batched (the default, all labels of a split "
                   "at once) or liblinear (one scikit-learn fit per label, reproduces earlier "
                   "results exactly) or another scikit-learn solver")
    p.add_argument("--normalize", default="none", choices=["none", "l2", "standardize"],
                   help="vector normalisation before the classifier (default none)")
    p.add_argument("--jobs", type=int, default=-1, help="threads for the classifier fits "
                   "(default -1: all cores)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the embedding and of the shuffles (repeat r uses seed+r)")


def _add_output_args(p):
    p.add_argument("--out", default=None, help="results folder (default "
                   "./graphembed-results/<--name or a UTC timestamp>)")
    p.add_argument("--name", default=None, help="name of the run's folder under graphembed-results")
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty results folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar or per-trial lines")


def _add_method_args(p, multiple=True):
    p.add_argument("--method", action="append" if multiple else "store",
                   default=None if multiple else "fastrp",
                   help="embedding method (repeatable or comma list: --method fastrp,degree)")
    p.add_argument("--dim", type=int, default=None,
                   help="embedding dimension (default: the method's: 512 for fastrp, 128 for "
                   "the others)")
    p.add_argument("--threads", type=int, default=None, help="numba threads for the embedding")
    p.add_argument("-p", "--param", action="append", metavar="NAME=VALUE",
                   help="method parameter, repeatable; METHOD:NAME=VALUE for one method only")


def _add_evaluation_parsers(sub):
    p = sub.add_parser("evaluate", help="node classification: embed, score, write CSV/JSON/PNG",
                       description="Node classification with the DeepWalk/node2vec/FastRP "
                       f"protocol. Quick by default (ratios {_QUICK_RATIOS} × {_QUICK_REPEATS} "
                       f"repeats); --full runs 9 ratios × {_FULL_REPEATS} repeats.")
    _add_graph_input(p, required=False)
    p.add_argument("--labels", help="node<TAB>label file (one pair per line; .gz allowed)")
    p.add_argument("--embedding", help="score a saved embedding file instead of embedding a graph")
    _add_method_args(p)
    p.add_argument("--ratios", default=None, help=f"training ratios (default {_QUICK_RATIOS})")
    p.add_argument("--repeats", type=int, default=None,
                   help=f"shuffles per ratio (default {_QUICK_REPEATS})")
    p.add_argument("--full", action="store_true",
                   help=f"the full protocol: ratios 0.1..0.9 × {_FULL_REPEATS} repeats")
    p.add_argument("--validation", action="store_true",
                   help="score on validation nodes split from each training part (test never read)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    _add_protocol_args(p)
    _add_output_args(p)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("linkpred", help="link prediction: split edges, embed the residual graph, "
                       "score against heuristics")
    _add_graph_input(p)
    _add_method_args(p)
    p.add_argument("--scorer", default="cosine,hadamard",
                   help="comma list of cosine, dot, hadamard, average, l1, l2")
    p.add_argument("--test-fraction", type=float, default=0.5)
    p.add_argument("--split", default=None, help="reuse a split saved by an earlier run (.npz)")
    p.add_argument("--no-heuristics", action="store_true")
    p.add_argument("-C", "--C", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    _add_output_args(p)
    p.set_defaults(func=_cmd_linkpred)

    p = sub.add_parser("tune", help="search method parameters on validation splits")
    _add_graph_input(p, required=False)
    p.add_argument("--labels", help="node<TAB>label file")
    p.add_argument("--embedding", help=argparse.SUPPRESS)
    _add_method_args(p, multiple=False)
    p.add_argument("--space", action="append", metavar="NAME=V1;V2;...",
                   help="candidate values of one parameter (default for fastrp: iteration "
                   "weights and normalization_strength)")
    p.add_argument("--ratio", type=float, default=0.5, help="training ratio whose training part "
                   "is split for validation (default 0.5)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--budget", type=int, default=40, help="most candidates tried")
    p.add_argument("--test", action="store_true",
                   help="after choosing, score each repeat's winner once on its test part")
    _add_protocol_args(p)
    _add_output_args(p)
    p.set_defaults(func=_cmd_tune)


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
    p.add_argument("edges", nargs="?", metavar="EDGES",
                   help="edge-list file (.tsv/.csv/.txt[.gz]); same as --graph EDGES")
    p.add_argument("--graph", default=None, metavar="EDGES",
                   help="edge-list file (.tsv/.csv/.txt[.gz])")
    p.add_argument("-o", "--out", required=True,
                   help="output file: .npz, .npy, .parquet or .txt (word2vec)")
    p.add_argument("--dataset", help="embed a bundled data set instead of a file")
    p.add_argument("--method", default="fastrp", choices=method_names(),
                   help="embedding method (default: fastrp)")
    p.add_argument("--dim", type=int, default=None,
                   help="embedding dimension (default: the method's: 512 for fastrp, 128 for "
                   "the others)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed; the same seed gives the same bytes (default: 0)")
    p.add_argument("--threads", type=int, default=None,
                   help="numba threads (default: all); the result does not depend on it")
    p.add_argument("-p", "--param", action="append", metavar="NAME=VALUE",
                   help="method parameter, repeatable (e.g. -p iteration_weights=0,0,1,6.67)")
    p.add_argument("--directed", action="store_true", help="keep arcs as given (default: undirected)")
    p.add_argument("--delimiter", default=None, help="field separator of the edge file (default: "
                   "',' for .csv, blanks otherwise)")
    p.add_argument("--header", action="store_true", help="skip the first data line of the edge file")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(func=_cmd_embed)

    p = sub.add_parser("datasets", help="list the bundled data sets")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("warmup", help="compile every kernel once for this machine (fills numba's "
                       "cache: later runs start at once); 1-3 min the first time")
    p.set_defaults(func=_cmd_warmup)

    p = sub.add_parser("orbits", help="graphlet orbit adjacency matrices (or orbit counts) to .npz")
    _add_graph_input(p)
    p.add_argument("-o", "--out", required=True, help="output .npz: node_ids, keys and per key "
                   "h_i_j.indptr/.indices/.data (CSR); with --counts: node_ids and counts")
    p.add_argument("--key", action="append", metavar="H,I,J",
                   help="a key to compute, repeatable (default: the 27 keys with h <= 2)")
    p.add_argument("--hop3", action="store_true", help="also compute (3,4,4), nearly dense")
    p.add_argument("--counts", action="store_true", help="write the (n, 15) orbit counts instead")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(func=_cmd_orbits)

    p = sub.add_parser("walks", help="random walks (uniform, weighted or node2vec) to a file")
    _add_graph_input(p)
    p.add_argument("-o", "--out", required=True, help="output: .npz (walks as row indices, "
                   "-1 padded; lengths; node_ids) or .txt[.gz] (one walk of node ids per line)")
    p.add_argument("--walk-length", type=int, default=80, help="steps per walk (default 80)")
    p.add_argument("--walks-per-node", type=int, default=10, help="walks per start node")
    p.add_argument("-p", type=float, default=1.0, help="node2vec return parameter (default 1)")
    p.add_argument("-q", type=float, default=1.0, help="node2vec in-out parameter (default 1)")
    p.add_argument("--start", action="append", metavar="NODE_ID",
                   help="start node id, repeatable (default: every node)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(func=_cmd_walks)

    _add_evaluation_parsers(sub)
    return parser


def main(argv=None):
    parser = _build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command == "embed" and not (args.edges or args.graph or args.dataset):
        parser.error("embed needs an edge-list file or --dataset NAME (EDGES or --graph EDGES)")
    try:
        args.func(args)
    except (CLIError, ValueError, TypeError, OSError, KeyError, ImportError, MemoryError,
            ArithmeticError) as e:
        print(f"graphembed {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
