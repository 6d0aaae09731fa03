"""FastRP's last stage: column standardisation, then the degree channel.

:func:`standardize` shifts and scales every column of ``E`` to mean 0, variance 1 over the nodes
of degree > 0 (nodes of degree 0 keep their zero row). The degree channel then gives each node
its standardised log-degree along one seeded direction.

Propagation replaces a node's vector by an average over its neighbourhood, so the node's own
degree leaves the embedding (and per-step row normalisation removes what was left in the norms).
Structural-role labels need it. The channel adds, to every node of degree > 0,

    c · z_v · u,   z_v = (log deg_v − μ) / σ,   c = sqrt(share · V),

with μ, σ the mean and standard deviation of ``log deg`` over the nodes of degree > 0 (the
channel is off when all those degrees are equal: they carry nothing), ``u`` a unit vector of ``±1/sqrt(dim)``
entries drawn from the seed alone, and ``V`` the embedding's total column variance over the
same nodes (``dim`` after standardisation, less its constant columns): the channel holds
about ``share`` of the variance, whatever ``dim``. Time O(n·dim), memory O(n + dim).

The one-machine run (:func:`graphembed.fastrp`) and the distributed one
(:mod:`graphembed.distributed.fastrp_stream`) both call :func:`channel` with their own reduced
moments and :func:`add` on their rows.
"""

from __future__ import annotations

import math

import numpy as np

from ._kernels import fastrp as _k
from ._rows import _mixed_seed

_SALT = 0x9E3779B97F4A7C15  # keeps the direction's stream apart from the nodes' and features'


def direction(dim, seed):
    """The unit vector ``u`` (float64, entries ``±1/sqrt(dim)``), a function of the seed only."""
    u = np.empty((1, dim), dtype=np.float32)
    _k.random_rows(np.zeros(1, dtype=np.uint64), np.uint64(_mixed_seed(seed, _SALT)), 1.0, u)
    return np.sign(u[0]).astype(np.float64) / np.sqrt(dim)


def log_degrees(deg):
    """``log deg`` of the nodes of degree > 0 (float64) and the mask of those nodes."""
    deg = np.asarray(deg, dtype=np.float64)
    keep = deg > 0
    return np.log(deg[keep]), keep


def channel(share, dim, seed, count, ld_sum, ld_squares, variance, ld_range):
    """The channel's parameters ``(μ, σ, c, u)`` from reduced moments, or None when it is off.

    ``count``, ``ld_sum``: the number of nodes of degree > 0 and the sum of their ``log deg``;
    ``ld_squares``: the sum of ``(log deg − μ)²`` with ``μ = ld_sum / count``; ``variance``: the
    embedding's total column variance ``V`` over those nodes, as it stands before the channel;
    ``ld_range``: max − min of their ``log deg`` (exact whatever the order of the sums: 0 turns
    the channel off on a graph of equal degrees, where σ would be rounding noise).
    """
    if share == 0.0 or count == 0 or not ld_range > 0:
        return None
    mu = ld_sum / count
    sigma = float(np.sqrt(ld_squares / count))
    if not sigma > 0 or not variance > 0:
        return None
    return float(mu), sigma, float(np.sqrt(share * variance)), direction(dim, seed)


def channel_of(share, dim, seed, deg, var, standardized):
    """:func:`channel` on one machine: the degrees ``deg`` of every node, the column variances
    ``var`` of E over the nodes of degree > 0 (before standardisation if ``standardized``). The
    sums are exactly rounded (``math.fsum``), so they do not depend on the order of the nodes."""
    ld, _ = log_degrees(deg)
    if len(ld) == 0:
        return None
    total = math.fsum(ld)
    mu = total / len(ld)
    return channel(share, dim, seed, len(ld), total, math.fsum((ld - mu) ** 2),
                   total_variance(var, standardized), float(ld.max() - ld.min()))


def add(E, deg, params):
    """``E[v] += c·z_v·u`` for the rows of degree > 0, in place (float64 sum, float32 result);
    ``E`` is returned. O(n·dim) on all numba threads."""
    if params is None:
        return E
    mu, sigma, c, u = params
    ld, keep = log_degrees(deg)
    rows = np.flatnonzero(keep)
    chunks = np.append(np.arange(0, len(rows), 4096, dtype=np.int64), len(rows))
    _k.add_along(E, rows, (ld - mu) * (c / sigma), np.ascontiguousarray(u, np.float64), chunks)
    return E


def column_stats(E, keep, chunks):
    """(count, mean, variance) of the columns of E over the rows ``keep`` (float64)."""
    dim = E.shape[1]
    zero = np.zeros(dim, dtype=np.float64)
    sums, _, counts = _k.column_moments(E, keep, zero, chunks)
    count = int(counts.sum())
    if count == 0:
        return 0, zero, zero
    mean = sums.sum(axis=0) / count
    if not np.isfinite(mean).all():  # an inf or NaN anywhere in a kept row poisons its column
        return count, mean, None
    _, squares, _ = _k.column_moments(E, keep, mean, chunks)
    return count, mean, squares.sum(axis=0) / count


def standardize(E, keep, chunks):
    """Standardise the rows ``keep`` of E column-wise in place; returns (mean, scale, variance
    before, finite)."""
    count, mean, var = column_stats(E, keep, chunks)
    if count == 0:
        return mean, np.ones(E.shape[1]), var, bool(_k.all_finite(E, chunks))
    if var is None:
        return mean, np.ones(E.shape[1]), var, False
    scale = np.sqrt(var)
    scale[~(scale > 0)] = 1.0
    _k.standardize_rows(E, keep, mean, 1.0 / scale, chunks)
    return mean, scale, var, True


def total_variance(var, standardized):
    """The embedding's total column variance after the optional standardisation (the degree
    channel's ``V``): the number of non-constant columns, or the sum of the variances."""
    return float(np.count_nonzero(var > 0)) if standardized else float(np.sum(var))
