"""The checks the ``graphembed`` command line runs before any work: argument ranges, output
files and folders (free, writable), optional packages, the graph source and the memory the
embedding will need. Each failure is a :class:`CLIError`: one line on stderr naming the flag,
the value and the fix, exit status 2, nothing written."""

from __future__ import annotations

import sys


class CLIError(Exception):
    """An error worth one line on stderr and exit status 2 (no traceback)."""


def _checked(flag, check, *a, **kw):
    """Run a library check, turning its TypeError/ValueError into a CLIError naming ``flag``."""
    try:
        return check(*a, **kw)
    except (TypeError, ValueError) as e:
        raise CLIError(f"{flag}: {e}") from None


def _check_dim_arg(dim):
    if dim is not None and dim < 1:
        raise CLIError(f"--dim: dim must be a positive integer, got {dim}")
    return dim


def _check_common(args):
    """--dim, --threads, --seed, --jobs, -C where the subcommand has them."""
    from ._validation import check_float, check_seed, check_threads

    if hasattr(args, "dim"):
        _check_dim_arg(args.dim)
    if getattr(args, "threads", None) is not None:
        _checked("--threads", check_threads, args.threads)
    if hasattr(args, "seed"):
        _checked("--seed", check_seed, "random_state", args.seed)
    jobs = getattr(args, "jobs", None)
    if jobs is not None and jobs < 1 and jobs != -1:
        raise CLIError(f"--jobs must be -1 (all cores) or a number of threads >= 1, got {jobs}")
    if hasattr(args, "C"):
        _checked("-C", check_float, "C", args.C, minimum=0.0, strict_min=True)


def _check_writable(path, flag):
    """The folder that will hold ``path`` exists or can be created, and can be written: a probe
    file is created in the nearest existing folder above it and removed."""
    import os
    import tempfile
    from pathlib import Path

    base = Path(path).absolute().parent
    while not base.exists():
        base = base.parent
    if not base.is_dir():
        raise CLIError(f"{flag}: cannot write {path}: {base} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".graphembed-probe-", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise CLIError(f"{flag}: cannot write {path}: the folder {base} is not writable "
                       f"({e.strerror}); choose another {flag}") from None


def _check_out_file(path, overwrite, flag="--out", extra=()):
    """An output file (and its side files ``extra``): free unless ``overwrite``, writable."""
    from pathlib import Path

    for p in [Path(path), *extra]:
        if p.is_dir():
            raise CLIError(f"{flag}: {p} is a folder; give a file name")
        if p.exists() and not overwrite:
            raise CLIError(f"{p} already exists; pass --overwrite to replace it")
    _check_writable(path, flag)


def _check_results_folder(args):
    """The run's results folder (``--out`` or graphembed-results/<--name or timestamp>),
    checked -- not a file, empty unless --overwrite, writable -- but not created."""
    from .evaluation.report import check_results_dir, results_path

    path = results_path(args.out, name=args.name)
    try:
        return check_results_dir(path, overwrite=args.overwrite)
    except OSError as e:
        raise CLIError(str(e)) from None


_EXTRAS = {"tqdm": "eval", "matplotlib": "eval", "pyarrow": "parquet"}


def _has_module(name):
    import importlib.util

    if name in sys.modules:
        return sys.modules[name] is not None
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _require(module, what, instead=None):
    """CLIError naming the extra to install when ``module`` is missing (checked up front)."""
    if not _has_module(module):
        raise CLIError(f"{what} needs {module}, which is not installed: pip install "
                       f"'graphembed[{_EXTRAS[module]}]'" + (f" (or {instead})" if instead else ""))


def _require_for_file(path, flag):
    from pathlib import Path

    if Path(path).suffix.lower() == ".parquet":
        _require("pyarrow", f"{flag} {path}", "use .npz")


def _check_memory(graph, names, dims, settings, extra_per_entry=0, scoring=None):
    """Each method's memory estimate against the available memory; a CLIError naming --dim and
    the bytes otherwise. The scoring that follows holds the n × dim float32 vectors plus
    ``extra_per_entry`` bytes per n · dim entry, plus ``scoring(dim)`` bytes if given."""
    from ._validation import NotEnoughMemoryError, available_memory, check_memory
    from .methods import get_method

    avail = available_memory()
    for name in names:
        m, dim = get_method(name), dims[name]
        need = m.memory_bytes(graph.n, graph.nnz, dim, settings[name])
        score = (4 + extra_per_entry) * graph.n * dim + (scoring(dim) if scoring else 0)
        need = max(need, score)
        try:
            check_memory(f"{name} on a graph of {graph.n:,} nodes and {graph.nnz:,} stored "
                         "entries" + (" with its scoring" if extra_per_entry or scoring else ""),
                         need,
                         dim=dim, available=avail)
        except NotEnoughMemoryError as e:
            raise CLIError(f"--dim: {e}") from None


def _check_graph_source(args):
    """--dataset names a bundled data set; --graph names an existing file."""
    from pathlib import Path

    if getattr(args, "dataset", None):
        from .datasets import available

        if args.dataset not in available():
            raise CLIError(f"--dataset: no bundled data set {args.dataset!r}; available: "
                           f"{', '.join(available())}")
    edges = getattr(args, "edges", None)
    if edges and not Path(edges).exists():
        raise CLIError(f"--graph: edge-list file {edges} does not exist")


def _load_graph(args):
    from .graph import as_csr

    if getattr(args, "dataset", None):
        from .datasets import load

        return load(args.dataset).graph
    if not getattr(args, "edges", None):
        raise CLIError(f"{args.command} needs --graph EDGES or --dataset NAME")
    delimiter = getattr(args, "delimiter", None)
    if delimiter is not None:  # let shells pass a tab as the two characters \t
        delimiter = delimiter.replace("\\t", "\t")
    return as_csr(
        args.edges,
        directed=True if getattr(args, "directed", False) else None,
        delimiter=delimiter,
        header=getattr(args, "header", False),
    )
