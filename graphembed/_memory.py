"""How many bytes an embedding needs, estimated from the graph's size before anything is allocated.

One estimator per method, each ``f(n, nnz, dim, params) -> int`` with ``params`` the method's
resolved keyword arguments. They count the arrays that scale with ``n · dim`` (the buffers the
method allocates, the result included) and the working copies of the graph (``nnz`` stored
entries); small or constant terms are ignored. The methods check them against the available
memory (:func:`graphembed._validation.check_memory`) before allocating, and the command line
does so before it starts any work.

>>> from graphembed._memory import fastrp_bytes
>>> fastrp_bytes(10, 40, 8, {"iteration_weights": (0, 0, 1, 6.67)})  # 2 · 4 · 10 · 8 + graph
2160
"""

from __future__ import annotations

import math

# CSR working copies: int64 indices + float32 weights, copied twice (canonical key order and
# the locality relabelling), plus an int64 indptr and a few per-node float arrays.
_CSR_BYTES_PER_ENTRY = 2 * (8 + 4)
_BYTES_PER_NODE = 8 + 6 * 8


def _graph_bytes(n, nnz):
    return _CSR_BYTES_PER_ENTRY * int(nnz) + _BYTES_PER_NODE * int(n)


def fastrp_bytes(n, nnz, dim, params):
    """FastRP: two n × dim float32 buffers (the result is written into one), a third when a
    weight before the last two is nonzero or ``self_influence`` is set, and with
    ``keep_iterations`` (the inductive estimator) one more per step; plus the graph copies."""
    weights = tuple(params.get("iteration_weights") or (0.0, 0.0, 1.0))
    alpha0 = params.get("self_influence") or 0.0
    buffers = 2
    if alpha0 != 0.0 or any(weights[:-2]) or params.get("keep_iterations"):
        buffers = 3
    if params.get("keep_iterations"):
        buffers += len(weights)
    return 4 * int(n) * int(dim) * buffers + _graph_bytes(n, nnz)


def orbits_bytes(n, nnz, dim, params):
    """Orbit embedding: the n × dim float32 result and, per block of c columns, the randomized
    SVD's float64 work arrays (about 4 · n · (c + 8)); the orbit matrices themselves grow with
    the number of 3- and 4-node patterns and are not counted."""
    keys = params.get("keys")
    n_keys = len(keys) if keys else 27
    cols = math.ceil(int(dim) / n_keys)
    return 4 * int(n) * int(dim) + 4 * 8 * int(n) * (cols + 8) + _graph_bytes(n, nnz)


def irwe_bytes(n, nnz, dim, params, *, identity_dim=None, position_dim=None):
    """IRWE: identity features (n × F float64, F the anonymous-walk vocabulary plus the degree
    profile, with the Hellinger copy), the position SVD's float64 work arrays and the float32
    results (identity, position and the joint copy). The PPMI matrix is not counted."""
    dim = int(dim)
    id_dim = params.get("identity_dim") if identity_dim is None else identity_dim
    id_dim = dim // 2 if id_dim is None else int(id_dim)
    pos_dim = params.get("position_dim") if position_dim is None else position_dim
    pos_dim = dim - id_dim if pos_dim is None else int(pos_dim)
    total = 4 * int(n) * (id_dim + pos_dim) * 2 + _graph_bytes(n, nnz)
    if id_dim:
        steps = params.get("steps") or (2, 3, 4, 5, 6, 7)
        features = sum(_bell(int(s)) for s in steps) + 3 * (int(params.get("degree_steps") or 0) + 1)
        total += 2 * 8 * int(n) * features
    if pos_dim:
        total += 4 * 8 * int(n) * (pos_dim + 10)
    return total


def irwe_identity_bytes(n, nnz, dim, params):
    return irwe_bytes(n, nnz, dim, params, identity_dim=dim, position_dim=0)


def irwe_position_bytes(n, nnz, dim, params):
    return irwe_bytes(n, nnz, dim, params, identity_dim=0, position_dim=dim)


def dense_bytes(n, nnz, dim, params):
    """A method whose only large array is its n × dim float32 result (e.g. the degree baseline)."""
    return 4 * int(n) * int(dim) + _graph_bytes(n, nnz)


def _bell(k):
    """Bell number B(k) (number of anonymous walks of k steps), by the Bell triangle."""
    row = [1]
    for _ in range(max(k - 1, 0)):
        nxt = [row[-1]]
        for x in row:
            nxt.append(nxt[-1] + x)
        row = nxt
    return row[-1]
