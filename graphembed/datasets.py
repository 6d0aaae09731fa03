"""The small labelled graphs bundled in the repository's ``data/`` folder.

>>> from graphembed import datasets
>>> ds = datasets.load("cora")
>>> ds.graph.n, ds.labels.shape
(2708, (2708, 7))
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .graph import CSRGraph, _lookup, as_csr, read_edgelist

__all__ = ["Dataset", "available", "load", "data_dir", "read_labels"]


def data_dir() -> Path:
    """Where the bundled data lives: ``$GRAPHEMBED_DATA`` if set, else the repository's
    ``data/``."""
    env = os.environ.get("GRAPHEMBED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, eq=False)
class Dataset:
    """A bundled graph with its labels.

    ``labels`` is a (n, n_labels) scipy CSR indicator array (int8) whose row i belongs to graph
    row i; a node without labels has an empty row. ``multilabel`` says whether any node has more
    than one label. ``original_ids[i]`` is node i's id in the published data where the bundled
    copy renumbered the nodes (``nodes.tsv.gz``), else None.
    """

    name: str
    graph: CSRGraph
    labels: sp.csr_array
    label_names: np.ndarray
    multilabel: bool
    stats: dict = field(default_factory=dict)
    original_ids: np.ndarray | None = None

    def __repr__(self):
        return (
            f"Dataset({self.name!r}: {self.graph.n} nodes, {self.graph.num_edges} edges, "
            f"{self.labels.shape[1]} labels{', multi-label' if self.multilabel else ''})"
        )


def available() -> list[str]:
    """Names of the bundled data sets (folders of ``data/`` with an ``edges.tsv.gz``)."""
    root = data_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "edges.tsv.gz").is_file())


def read_labels(path, node_ids) -> tuple[sp.csr_array, np.ndarray]:
    """Read a ``node<TAB>label`` file (one pair per line, ``#`` comments, optionally .gz).

    Returns the (n, n_labels) int8 indicator aligned to ``node_ids`` and the sorted label names.
    Raises ValueError naming the line of a malformed line or of a node not in ``node_ids``.
    Time and memory O(lines + n).
    """
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    pairs_node, pairs_label, linenos = [], [], []
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            parts = s.split()
            if len(parts) < 2:
                raise ValueError(
                    f"{path}, line {lineno}: expected 'node label [label ...]', got "
                    f"{line.rstrip()!r}"
                )
            for lab in parts[1:]:
                pairs_node.append(parts[0])
                pairs_label.append(lab)
                linenos.append(lineno)
    node_ids = np.asarray(node_ids)
    if node_ids.dtype.kind in "iu":
        keys = []
        for value, lineno in zip(pairs_node, linenos):
            try:
                keys.append(int(value))
            except ValueError:
                raise ValueError(
                    f"{path}, line {lineno}: node {value!r} is not an id of the graph (its ids "
                    "are integers)"
                ) from None
        keys = np.array(keys, dtype=np.int64)
    else:
        keys = np.array(pairs_node, dtype=str)
    try:
        rows = _lookup(node_ids, keys)
    except KeyError:
        known = set(node_ids.tolist())
        bad = next(i for i, v in enumerate(keys.tolist()) if v not in known)
        raise ValueError(
            f"{path}, line {linenos[bad]}: labels given for node {pairs_node[bad]!r}, which is not "
            "in the graph; drop the line or add the node to the graph"
        ) from None
    try:
        lab_values = np.array(pairs_label, dtype=np.int64)
    except ValueError:
        lab_values = np.array(pairs_label, dtype=str)
    names, cols = np.unique(lab_values, return_inverse=True)
    ind = sp.csr_array(
        (np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(len(node_ids), len(names))
    )
    ind.sum_duplicates()
    ind.data[:] = 1
    return ind, names


def load(name: str) -> Dataset:
    """Load a bundled data set by name (see :func:`available`). Time and memory O(edges)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a data set name (str), got {name!r}")
    names = available()
    if name not in names:
        listed = ", ".join(names) if names else f"(none found in {data_dir()})"
        raise ValueError(f"unknown data set {name!r}; bundled data sets are: {listed}")
    folder = data_dir() / name
    stats_file = folder / "stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.is_file() else {}
    n = stats.get("nodes")
    graph = as_csr(folder / "edges.tsv.gz", num_nodes=n)
    labels, label_names = read_labels(folder / "labels.tsv.gz", graph.node_ids)
    multilabel = bool(labels.sum(axis=1).max() > 1) if labels.nnz else False
    original = None
    if (folder / "nodes.tsv.gz").is_file():
        new_ids, old_ids, _ = read_edgelist(folder / "nodes.tsv.gz")
        if len(new_ids) != graph.n or len(np.unique(new_ids)) != graph.n:
            raise ValueError(
                f"{folder / 'nodes.tsv.gz'} must map each of the {graph.n} nodes once, "
                f"got {len(new_ids)} lines"
            )
        original = np.empty(graph.n, dtype=old_ids.dtype)
        original[graph.index_of(new_ids)] = old_ids
    return Dataset(name, graph, labels, label_names, multilabel, stats, original)
