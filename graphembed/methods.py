"""The one registry of embedding methods, shared by the CLI, the evaluation script and Spark.

Each :class:`Method` names a function ``f(graph: CSRGraph, *, dim, random_state, num_threads,
**params) -> ndarray (n, dim)`` by import path (so the registry imports nothing heavy) and lists
its parameters with defaults and parsers, so that ``-p name=value`` on the command line and the
``params`` dict of a Spark job are checked the same way.

>>> from graphembed.methods import get_method
>>> get_method("fastrp").parse_params({"iteration_weights": "0,0,1,6.67"})["iteration_weights"]
(0.0, 0.0, 1.0, 6.67)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Method", "Param", "METHODS", "get_method", "method_names", "embed"]


def _floats(text):
    if isinstance(text, (list, tuple)):
        return tuple(float(x) for x in text)
    return tuple(float(x) for x in str(text).replace(" ", "").split(",") if x)


def _bool(text):
    if isinstance(text, bool):
        return text
    t = str(text).strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true/false, got {text!r}")


def _choice(*options):
    def parse(text):
        value = str(text).strip()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {text!r}")
        return value
    parse.__name__ = f"one of {', '.join(options)}"
    return parse


def _number(minimum=None, strict=False, kind=float):
    """A parser of a finite number (``kind``) >= ``minimum`` (> when ``strict``)."""
    import math
    import numbers

    def parse(text):
        if kind is int:
            if isinstance(text, bool):
                raise ValueError(f"expected an integer, got {text!r}")
            value = int(text) if isinstance(text, numbers.Integral) else int(str(text).strip())
        else:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError(f"expected a finite number, got {text!r}")
        if minimum is not None and (value <= minimum if strict else value < minimum):
            raise ValueError(f"expected a number {'>' if strict else '>='} {minimum}, got {value}")
        return value
    return parse


def _weights(text):
    import math

    values = _floats(text)
    if not values or not all(math.isfinite(v) for v in values):
        raise ValueError(f"expected one or more finite numbers, got {text!r}")
    return values


def _sparsity(text):
    if str(text).strip() == "sqrt":
        return "sqrt"
    value = float(text)
    if not value >= 1 or value == float("inf"):
        raise ValueError(f"expected a number >= 1 or 'sqrt', got {text!r}")
    return value


@dataclass(frozen=True)
class Param:
    """One method parameter: its default, a parser from text, and a help line."""

    default: Any
    parse: Callable[[Any], Any]
    help: str = ""


@dataclass(frozen=True)
class Method:
    """A registered embedding method (see the module docstring)."""

    name: str
    target: str  # "module:function"
    description: str
    params: dict = field(default_factory=dict)
    dim: int = 128  # the dimension used when the caller gives none
    # "module:function" f(n, nnz, dim, settings) -> bytes the embedding needs (graphembed._memory)
    memory: str = "graphembed._memory:dense_bytes"
    # "module:function" whose signature holds the defaults of parameters the target takes
    # through **params (registry adapters); None: the target's own signature
    defaults_from: str | None = None
    # settings whose default depends on dim: name -> f(settings, dim) -> value
    derived: dict = field(default_factory=dict)

    def function(self):
        return _resolve(self.target)

    def settings(self, given: dict | None = None, *, dim: int | None = None) -> dict:
        """Every effective keyword argument of the method, resolved defaults included.

        ``given`` values (text or values) are parsed as by :meth:`parse_params`; a parameter
        left at None takes the default of the function's signature (or of ``defaults_from``),
        then the ``derived`` rule if it still has none. Every keyword parameter of the
        function's signature appears, except ``dim``, ``random_state`` and ``num_threads``,
        which are recorded beside the settings. Arrays (``features``, ``projection``) are
        recorded as None when not given. Cost: an import of the method's module.
        """
        import inspect

        dim = self.dim if dim is None else dim
        parsed = self.parse_params(given)
        defaults = {}
        for target in filter(None, (self.defaults_from, self.target)):
            for k, (name, p) in enumerate(inspect.signature(_resolve(target)).parameters.items()):
                if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
                    continue
                if k == 0 and p.kind == p.POSITIONAL_OR_KEYWORD and p.default is p.empty:
                    continue  # the graph
                defaults.setdefault(name, None if p.default is p.empty else p.default)
        out = {}
        for name in list(defaults) + [k for k in parsed if k not in defaults]:
            if name in _RECORDED_APART:
                continue
            value = parsed.get(name)
            if value is None:
                value = defaults.get(name)
            out[name] = value
        for name, rule in self.derived.items():
            if out.get(name) is None:
                out[name] = rule(out, dim)
        return out

    def memory_bytes(self, n: int, nnz: int, dim: int | None = None, settings=None) -> int:
        """Bytes an embedding of a graph with ``n`` nodes and ``nnz`` stored entries needs
        (an estimate of the arrays that grow with n · dim and nnz; see graphembed._memory)."""
        dim = self.dim if dim is None else dim
        settings = self.settings(dim=dim) if settings is None else settings
        return int(_resolve(self.memory)(n, nnz, dim, settings))

    def check_memory(self, n: int, nnz: int, dim: int | None = None, settings=None) -> int:
        """:meth:`memory_bytes`, or NotEnoughMemoryError naming dim and the bytes needed and
        available when the machine has less."""
        from ._validation import check_memory

        dim = self.dim if dim is None else dim
        return check_memory(f"{self.name} on a graph of {n:,} nodes and {nnz:,} stored entries",
                            self.memory_bytes(n, nnz, dim, settings), dim=dim)

    def parse_params(self, given: dict | None) -> dict:
        """Defaults updated with ``given`` (text or values), each parsed; unknown names raise."""
        out = {k: p.default for k, p in self.params.items()}
        for key, value in (given or {}).items():
            if key not in self.params:
                known = ", ".join(sorted(self.params)) or "(none)"
                raise ValueError(
                    f"method {self.name!r} has no parameter {key!r}; its parameters are: {known}"
                )
            try:
                out[key] = self.params[key].parse(value) if value is not None else None
            except (TypeError, ValueError) as e:
                raise ValueError(
                    f"parameter {key!r} of method {self.name!r}: cannot read {value!r} ({e}); "
                    f"{self.params[key].help}"
                ) from None
        return out


_RECORDED_APART = ("dim", "random_state", "num_threads")


def _resolve(target):
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    METHODS[method.name] = method
    return method


register(Method(
    "fastrp",
    "graphembed.fastrp:fastrp",
    "FastRP: very sparse random projection propagated over the graph (Chen et al., CIKM 2019)",
    {
        "iteration_weights": Param(None, _weights, "comma-separated weights α1..αk, e.g. 0,0,1,6.67"),
        "normalization_strength": Param(None, _number(), "degree exponent β, e.g. -0.64"),
        "sparsity": Param(None, _sparsity, "3, any s >= 1, or 'sqrt'"),
        "transition": Param("mean", _choice("mean", "sum"), "'mean' (D^-1 S) or 'sum' (S)"),
        "normalize": Param(None, _bool, "row L2 normalisation of every iteration: true/false"),
        "standardize": Param(None, _bool, "final column standardisation: true/false"),
        "self_influence": Param(0.0, _number(), "weight α0 of the initial random vectors"),
        "degree_share": Param(None, _number(), "variance share of the log-degree channel, e.g. "
                              "0.04 (the default); 0 turns it off"),
        "direction": Param("out", _choice("out", "in", "both"), "directed graphs: out, in or both"),
    },
    dim=512,  # graphembed.fastrp.DEFAULT_DIM (a test keeps the two equal)
    memory="graphembed._memory:fastrp_bytes",
))


register(Method(
    "spectral",
    "graphembed.spectral:spectral",
    "spectral embedding by Chebyshev-filtered subspace iteration on the regularised normalised "
    "adjacency, columns weighted by eigenvalue power (FastRP's kernel, a few block products)",
    {
        "eigenvalue_power": Param(None, float, "weight max(lambda, 0)^p of each column, e.g. 1.5"),
        "regularization": Param(None, float, "alpha of the implicit alpha 11^T/n term, e.g. 1"),
        "rounds": Param(None, int, "filter + Rayleigh-Ritz rounds, e.g. 2"),
        "degree": Param(None, int, "Chebyshev filter degree per round, e.g. 4"),
        "oversampling": Param(None, int, "extra columns carried along, e.g. 16"),
        "normalize": Param(None, _bool, "unit L2 rows: true/false"),
        "degree_share": Param(None, _number(), "variance share of the log-degree channel, e.g. "
                              "0.01 (the default); 0 turns it off"),
    },
))


register(Method(
    "degree",
    "graphembed.evaluation.baselines:degree_embedding",
    "baseline: log-degree and a one-hot degree bucket (a method should beat it)",
    {},
))


def _orbit_keys(text):
    if isinstance(text, (list, tuple)):
        return list(text)
    return [k for k in str(text).replace(" ", "").split(";") if k]


register(Method(
    "orbits",
    "graphembed.orbits:orbit_embedding",
    "graphlet orbit adjacencies (2-4 nodes), each transformed and reduced, blocks concatenated",
    {
        "keys": Param(None, _orbit_keys, "';'-separated keys h,i,j, e.g. 1,0,0;2,1,1 "
                      "(default: the 27 keys with h <= 2)"),
        "transform": Param("ppmi", _choice("ppmi", "degree", "log", "none"),
                           "ppmi, degree, log or none"),
        "reduction": Param("svd", _choice("svd", "random_projection"), "svd or random_projection"),
    },
    memory="graphembed._memory:orbits_bytes",
    derived={"keys": lambda settings, dim: [list(k) for k in _orbit_default_keys()]},
))


def _orbit_default_keys():
    from .orbits import KEYS

    return KEYS[:-1]  # the 27 keys with h <= 2 (orbit_embedding's default)


def _ints(text):
    if isinstance(text, (list, tuple)):
        return tuple(int(x) for x in text)
    return tuple(int(x) for x in str(text).replace(" ", "").split(",") if x)


def _steps(text):
    values = _ints(text)
    if not values or not all(1 <= v <= 12 for v in values):
        raise ValueError(f"expected walk lengths between 1 and 12, got {text!r}")
    return values


_WALK_PARAMS = {
    "walk_length": Param(80, _number(1, kind=int), "steps per position walk"),
    "walks_per_node": Param(20, _number(1, kind=int), "position walks per node"),
    "window": Param(2, _number(1, kind=int), "co-occurrence window (steps)"),
    "negative": Param(1.0, _number(0, strict=True), "PMI shift log(negative)"),
    "p": Param(1.0, _number(0, strict=True), "node2vec return parameter (> 0)"),
    "q": Param(1.0, _number(0, strict=True), "node2vec in-out parameter (> 0)"),
}
_IDENTITY_PARAMS = {
    "steps": Param((2, 3, 4, 5, 6, 7), _steps, "comma-separated anonymous-walk lengths, e.g. 2,3,4,5"),
    "identity_walks": Param(1000, _number(1, kind=int),
                            "short walks per node for the identity statistics"),
    "degree_steps": Param(2, _number(-1, kind=int), "log-degree profile after 0..k steps (-1: off)"),
    "p": _WALK_PARAMS["p"],
    "q": _WALK_PARAMS["q"],
}

register(Method(
    "irwe",
    "graphembed.walks:irwe_joint",
    "IRWE-style joint embedding: identity (anonymous walks) + position (walk PPMI), dim/2 each",
    {**_IDENTITY_PARAMS, **_WALK_PARAMS,
     "identity_dim": Param(None, _number(0, kind=int), "identity width (default dim // 2)"),
     "position_dim": Param(None, _number(0, kind=int),
                           "position width (default dim - identity_dim)")},
    memory="graphembed._memory:irwe_bytes",
    defaults_from="graphembed.walks:irwe",
    derived={"identity_dim": lambda s, dim: dim // 2,
             "position_dim": lambda s, dim: dim - s["identity_dim"]},
))

register(Method(
    "irwe_identity",
    "graphembed.walks:irwe_identity",
    "IRWE-style identity (structural role): PCA of anonymous-walk and degree statistics",
    dict(_IDENTITY_PARAMS),
    memory="graphembed._memory:irwe_identity_bytes",
    derived={"identity_dim": lambda s, dim: dim, "position_dim": lambda s, dim: 0},
))

register(Method(
    "irwe_position",
    "graphembed.walks:irwe_position",
    "IRWE-style position: randomized SVD of the walk co-occurrence PPMI (DeepWalk equivalent)",
    dict(_WALK_PARAMS),
    memory="graphembed._memory:irwe_position_bytes",
    derived={"identity_dim": lambda s, dim: 0, "position_dim": lambda s, dim: dim},
))


def get_method(name: str) -> Method:
    """The registered method called ``name``; ValueError listing the names otherwise."""
    if name not in METHODS:
        raise ValueError(
            f"unknown method {name!r}; available methods: {', '.join(method_names())}"
        )
    return METHODS[name]


def method_names() -> list[str]:
    return sorted(METHODS)


def embed(graph, method: str, *, dim=None, random_state=0, num_threads=None, params=None):
    """Embed ``graph`` (anything :func:`graphembed.as_csr` takes) with a registered method.

    ``dim=None`` uses the method's default dimension (``get_method(method).dim``).

    Returns an :class:`~graphembed.embedding.Embedding` whose meta records the method, every
    effective parameter (``params``: :meth:`Method.settings`, resolved defaults included), the
    dimension, seed and thread count, the graph's size and the package versions. Before any
    work the memory the method needs is checked against what the machine has
    (:meth:`Method.check_memory`). Cost: that of the method.
    """
    import time

    import numba

    from . import __version__
    from ._validation import check_threads
    from .embedding import Embedding
    from .graph import as_csr

    m = get_method(method)
    kwargs = {k: v for k, v in m.parse_params(params).items() if v is not None}
    dim = _check_dim(m.dim if dim is None else dim)
    threads = check_threads(num_threads)
    settings = m.settings(params, dim=dim)
    g = as_csr(graph)
    m.check_memory(g.n, g.nnz, dim, settings)
    t0 = time.perf_counter()
    vectors = m.function()(g, dim=dim, random_state=random_state, num_threads=num_threads, **kwargs)
    seconds = time.perf_counter() - t0
    meta = {
        "method": method,
        "dim": int(dim),
        "random_state": int(random_state),
        "num_threads": int(numba.get_num_threads() if threads is None else threads),
        "params": settings,
        "graph": {"nodes": g.n, "edges": g.num_edges, "directed": g.directed,
                  "weighted": g.weighted},
        "seconds": seconds,
        "versions": versions(),
        "graphembed": __version__,
    }
    return Embedding(g.node_ids, vectors, meta)


def _check_dim(dim):
    """``dim`` as an int >= 1, else a ValueError/TypeError naming it (the message of every
    method's own check, so callers see the same words before and during the work)."""
    import numbers

    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"dim must be a positive integer, got {dim!r}")
    if dim < 1:
        raise ValueError(f"dim must be a positive integer, got {dim}")
    return int(dim)


def versions() -> dict:
    """Versions of graphembed's main dependencies (those importable without side effects)."""
    import sys
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in ("graphembed", "numpy", "scipy", "numba", "scikit-learn", "networkx"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out
