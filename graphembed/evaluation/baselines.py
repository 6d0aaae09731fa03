"""Baseline embeddings that an embedding method should beat.

``degree_embedding`` describes a node by its degree only: column 0 is the standardised
``log(1 + degree)``, the other ``dim - 1`` columns one-hot encode the node's bucket among
``dim - 1`` equal-width buckets of ``log(1 + degree)``. A linear classifier on it can learn any
step function of the degree, so a method that does not beat it has learned nothing beyond degree.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int

__all__ = ["degree_embedding"]


def degree_embedding(graph, *, dim=16, random_state=0, num_threads=None):
    """A degree-only embedding (see the module docstring); deterministic, no randomness.

    Parameters
    ----------
    graph
        Anything :func:`graphembed.as_csr` accepts; the (weighted) out-degree is used.
    dim : int
        Number of columns (>= 1).
    random_state, num_threads
        Accepted for the method signature; unused (nothing is random or parallel here).

    Returns
    -------
    ndarray of float32, shape (n, dim). Time O(n + nnz), memory O(n · dim).

    Examples
    --------
    >>> import networkx as nx
    >>> X = degree_embedding(nx.star_graph(3), dim=3)
    >>> X.shape, X[1:, 1:].tolist() == [[1.0, 0.0]] * 3, X[0, 1:].tolist()
    ((4, 3), True, [0.0, 1.0])
    """
    from ..graph import CSRGraph, as_csr

    dim = check_int("dim", dim, minimum=1)
    g = graph if isinstance(graph, CSRGraph) else as_csr(graph)
    x = np.log1p(g.degrees())
    out = np.zeros((g.n, dim), dtype=np.float32)
    std = x.std() if g.n else 0.0
    out[:, 0] = (x - x.mean()) / std if std > 0 else 0.0
    buckets = dim - 1
    if buckets and g.n:
        lo, hi = x.min(), x.max()
        width = (hi - lo) / buckets if hi > lo else 1.0
        b = np.minimum(((x - lo) / width).astype(np.int64), buckets - 1)
        out[np.arange(g.n), 1 + b] = 1.0
    return out
