"""Counter-based random numbers: splitmix64 over (seed, key, counter).

Every random quantity in graphembed is a pure function of the user's seed and the *global* id of
the item it belongs to (a node, a walk, a column), so results never depend on thread count,
scheduling or partitioning.
"""

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def mix64(z):
    """The splitmix64 finaliser: a bijective avalanche of a 64-bit word."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def stream_key(seed, key):
    """The state of the stream of item ``key`` under ``seed`` (both uint64)."""
    return mix64(mix64(seed + _GOLDEN) ^ (key * _GOLDEN + _M2))


@njit(cache=True, inline="always")
def draw(state, counter):
    """The ``counter``-th 64-bit draw of the stream with state ``state``."""
    return mix64(state + (counter + np.uint64(1)) * _GOLDEN)


@njit(cache=True, inline="always")
def to_unit(x):
    """Map a 64-bit draw to a float64 uniform on [0, 1)."""
    return np.float64(x >> _S11) * _INV53


@njit(cache=True, inline="always")
def bounded(x, n):
    """Map a 64-bit draw to an integer uniform on [0, n) (Lemire's multiply-shift, 32-bit n)."""
    return np.int64(((x >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))
