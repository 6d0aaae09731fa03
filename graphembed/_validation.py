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


class NotEnoughMemoryError(MemoryError, ValueError):
    """The memory a computation needs exceeds what the machine has available (raised before
    allocating). A ValueError too, so that callers treating bad parameters alike catch it."""


def available_memory():
    """Bytes of memory available to this process now, or None where it cannot be read.

    ``MemAvailable`` of ``/proc/meminfo`` (Linux), else free physical pages from
    ``os.sysconf``; lowered to the cgroup v2 limit minus its usage where one is set (containers).
    """
    import os

    avail = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        avail = None
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            avail = None
    try:
        with open("/sys/fs/cgroup/memory.max") as fh:
            limit = fh.read().strip()
        if limit != "max":
            with open("/sys/fs/cgroup/memory.current") as fh:
                room = int(limit) - int(fh.read().strip())
            avail = room if avail is None else min(avail, room)
    except (OSError, ValueError):
        pass
    return avail


def format_bytes(b):
    """``1536`` -> ``'1.5 KiB'`` (binary units, three significant digits)."""
    b = float(b)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(b) < 1024 or unit == "PiB":
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.3g} {unit}"
        b /= 1024
    return f"{b:.3g} EiB"  # pragma: no cover


def check_memory(what, needed, *, dim, available=None):
    """Raise :class:`NotEnoughMemoryError` naming ``dim``, the bytes needed and those available
    when ``needed`` exceeds the available memory (:func:`available_memory`). Returns ``needed``.

    Nothing is checked when the available memory cannot be read.
    """
    avail = available_memory() if available is None else available
    if avail is not None and needed > avail:
        raise NotEnoughMemoryError(
            f"{what} at dim={dim} needs about {format_bytes(needed)} ({int(needed):,} bytes) but "
            f"only {format_bytes(avail)} ({int(avail):,} bytes) is available; lower dim (memory "
            "grows linearly with it) or use a machine with more memory"
        )
    return needed
