"""The counter-based generator: uniform, deterministic, independent streams per key."""

import numpy as np
import pytest
from numba import njit
from scipy import stats

from graphembed._kernels.rng import bounded, draw, mix64, stream_key, to_unit


@njit(cache=True)
def _bounded_draws(seed, key, count, n):
    state = stream_key(np.uint64(seed), np.uint64(key))
    out = np.empty(count, dtype=np.int64)
    for c in range(count):
        out[c] = bounded(draw(state, np.uint64(c)), n)
    return out


@njit(cache=True)
def _unit_draws(seed, keys, per_key):
    out = np.empty((keys.shape[0], per_key), dtype=np.float64)
    for i in range(keys.shape[0]):
        state = stream_key(np.uint64(seed), np.uint64(keys[i]))
        for c in range(per_key):
            out[i, c] = to_unit(draw(state, np.uint64(c)))
    return out


@njit(cache=True)
def _mix(values):
    out = np.empty_like(values)
    for i in range(values.shape[0]):
        out[i] = mix64(values[i])
    return out


def _mix_reference(z):
    """splitmix64's finaliser in plain Python integers (Steele, Lea & Flood 2014)."""
    mask = (1 << 64) - 1
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


@pytest.mark.nojit
def test_mix64_matches_reference():
    values = np.array([0, 1, 2, 12345, 2**63, 2**64 - 1, 0x9E3779B97F4A7C15], dtype=np.uint64)
    assert _mix(values).tolist() == [_mix_reference(int(v)) for v in values]


@pytest.mark.parametrize("n", [2, 7, 10, 1000])
def test_bounded_is_uniform(n):
    draws = _bounded_draws(42, 7, 200 * n, n)
    assert draws.min() >= 0 and draws.max() < n
    counts = np.bincount(draws, minlength=n)
    p = stats.chisquare(counts).pvalue
    assert p > 1e-4, f"chi-square p = {p}"


def test_unit_is_uniform_and_in_range():
    u = _unit_draws(3, np.arange(100, dtype=np.uint64), 1000).ravel()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    # pairs of consecutive draws show no correlation
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


def test_deterministic_and_streams_differ():
    a = _unit_draws(5, np.array([1, 2, 3], dtype=np.uint64), 64)
    b = _unit_draws(5, np.array([3, 2, 1], dtype=np.uint64), 64)
    np.testing.assert_array_equal(a, b[::-1])  # a stream depends only on (seed, key)
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[1], a[2])
    c = _unit_draws(6, np.array([1, 2, 3], dtype=np.uint64), 64)
    assert np.all(a != c)
    # streams of neighbouring keys and of neighbouring seeds are uncorrelated
    keys = _unit_draws(9, np.arange(200, dtype=np.uint64), 200)
    corr = np.corrcoef(keys)[np.triu_indices(200, 1)]
    assert np.abs(corr).max() < 0.35 and abs(corr.mean()) < 0.01
    seeds = np.stack([_unit_draws(s, np.array([4], dtype=np.uint64), 500)[0] for s in range(50)])
    corr = np.corrcoef(seeds)[np.triu_indices(50, 1)]
    assert np.abs(corr).max() < 0.25


@pytest.mark.nojit
def test_bounded_uses_the_high_bits():
    # Lemire's map takes the top 32 bits: draws differing only in low bits land together
    assert bounded(np.uint64(0xFFFFFFFF00000000), 10) == 9
    assert bounded(np.uint64(0x00000000FFFFFFFF), 10) == 0
    assert bounded(np.uint64(0x8000000000000000), 10) == 5
