"""Fill numba's on-disk cache with every kernel of graphembed's main paths: :func:`warmup`.

graphembed's kernels are numba functions compiled for the machine on first use and cached on
disk (``__pycache__`` beside the sources, or ``NUMBA_CACHE_DIR``). The first call of each path
therefore pays the compilation (it says so in one line, see :mod:`graphembed._kernels`); running
:func:`warmup` once after installing (``graphembed warmup``) pays it all ahead of time, so that
later calls, in any process, only load the kernels.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np

__all__ = ["warmup"]


def _graphs():
    import scipy.sparse as sp

    import graphembed as ge

    src = np.array([0, 1, 2, 3, 3, 0, 5])
    dst = np.array([1, 2, 3, 0, 0, 2, 4])
    w = np.array([1.0, 2.0, 1.0, 0.5, 0.5, 3.0, 1.0])
    ge.as_csr((src, dst))
    ge.as_csr((src, dst, w), directed=True, duplicates="max")
    ge.as_csr((src.astype(str), dst.astype(str)))
    g = ge.as_csr((src, dst, w))
    # the canonical-matrix check, for int32 and int64 indices, float32 and float64 values
    for index in (np.int32, np.int64):
        for dtype in (np.float32, np.float64):
            m = sp.csr_array(g.to_scipy(dtype))
            m.indptr, m.indices = m.indptr.astype(index), m.indices.astype(index)
            ge.as_csr(m)
    with tempfile.TemporaryDirectory() as d:
        for name, text in (("ints.tsv", "0 1\n1 2 \n2 0\n"), ("text.tsv", "a\tb\t1.5\nb\tc\t2\n")):
            path = os.path.join(d, name)
            with open(path, "w") as fh:
                fh.write(text)
            ge.as_csr(path)
    return g


def _fastrp(g):
    import graphembed as ge

    plain = ge.as_csr((np.arange(6), (np.arange(6) + 1) % 6))
    for graph in (plain, g):
        ge.fastrp(graph, dim=8)
        ge.fastrp(graph, dim=8, standardize=False, iteration_weights=(1.0, 1.0),
                  self_influence=1.0)
    ge.FastRP(dim=8, inductive=True).fit(plain).transform((np.array([99]), np.array([0])))


def _walks(g):
    import graphembed as ge

    plain = ge.as_csr((np.arange(6), (np.arange(6) + 1) % 6))
    for graph in (plain, g):
        ge.random_walks(graph, walk_length=4, walks_per_node=1)
        ge.random_walks(graph, walk_length=4, walks_per_node=1, p=0.5, q=2.0)
    ge.irwe(plain, dim=8, identity_walks=4, walk_length=6, walks_per_node=2)


def _orbits(g):
    import graphembed as ge

    plain = ge.as_csr((np.arange(6), (np.arange(6) + 1) % 6))
    ge.orbit_counts(plain)
    ge.orbit_adjacency(plain, include_hop3=True)
    ge.orbit_embedding(plain, dim=4)


STEPS = (
    ("as_csr: edge arrays, edge-list files, scipy matrices", _graphs),
    ("fastrp / FastRP", _fastrp),
    ("random_walks / irwe", _walks),
    ("orbit_counts / orbit_adjacency / orbit_embedding", _orbits),
)


def warmup(*, verbose=True, file=None):
    """Compile (or load from numba's disk cache) every kernel that graphembed's main paths use.

    Runs :func:`graphembed.as_csr` (edge arrays with integer and text ids, weights, edge-list
    files, scipy matrices), :func:`graphembed.fastrp` and :class:`graphembed.FastRP` (unweighted
    and weighted, with and without standardisation, inductive), :func:`graphembed.random_walks`
    (uniform, weighted, node2vec), :func:`graphembed.irwe` and the orbit functions on tiny
    graphs, so that numba compiles each kernel for this machine and writes it to its cache.
    Later calls in any process then only load them. Run it once after installing (the command
    line: ``graphembed warmup``); a second run takes seconds.

    Parameters
    ----------
    verbose : bool
        Print one line per step, with its time, to ``file`` (default ``sys.stderr``).

    Returns
    -------
    dict
        Seconds spent per step (compiling, or loading from the cache).

    Notes
    -----
    Time: about one to three minutes on 2 cores with an empty cache, seconds with a filled one.
    Memory: that of numba's compiler (a few hundred MB); the graphs are tiny.

    Examples
    --------
    >>> from graphembed._compile import warmup
    >>> sorted(warmup(verbose=False))[0]
    'as_csr: edge arrays, edge-list files, scipy matrices'
    """
    out = sys.stderr if file is None else file
    times = {}
    g = None
    for label, step in STEPS:
        t0 = time.perf_counter()
        if g is None:
            g = step()  # the first step returns a small weighted graph for the others
        else:
            step(g)
        times[label] = time.perf_counter() - t0
        if verbose:
            print(f"graphembed warmup: {label}: {times[label]:.1f} s", file=out, flush=True)
    return times
