"""Checks for user input at the public boundary.

Every message names the parameter, the value received and what to do instead. Never use
``assert`` for user input: it disappears under ``python -O``.
"""

from __future__ import annotations

import numbers
from contextlib import contextmanager

import numpy as np


def check_int(name, value, *, minimum=None, maximum=None):
    """Return ``value`` as a Python int, or raise a ValueError/TypeError that names ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value}")
    return value


def check_float(name, value, *, minimum=None, maximum=None, strict_min=False, strict_max=False):
    """Return ``value`` as a finite Python float, or raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if minimum is not None and (value <= minimum if strict_min else value < minimum):
        op = ">" if strict_min else ">="
        raise ValueError(f"{name} must be {op} {minimum}, got {value}")
    if maximum is not None and (value >= maximum if strict_max else value > maximum):
        op = "<" if strict_max else "<="
        raise ValueError(f"{name} must be {op} {maximum}, got {value}")
    return value


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise naming the accepted values."""
    if value not in choices:
        accepted = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {accepted}, got {value!r}")
    return value


def check_seed(name, value):
    """Return a seed as a uint64-compatible Python int (non-negative, < 2**64)."""
    if value is None:
        raise TypeError(
            f"{name} must be an integer seed, got None; pass e.g. {name}=0 "
            "(graphembed never draws from global random state)"
        )
    return check_int(name, value, minimum=0, maximum=2**64 - 1)


def check_threads(num_threads):
    """Validate ``num_threads`` (None means numba's current setting)."""
    if num_threads is None:
        return None
    import numba

    return check_int("num_threads", num_threads, minimum=1, maximum=numba.config.NUMBA_NUM_THREADS)


@contextmanager
def threads(num_threads):
    """Run the body with ``num_threads`` numba threads, restoring the previous setting after."""
    import numba

    n = check_threads(num_threads)
    if n is None:
        yield numba.get_num_threads()
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(previous)
