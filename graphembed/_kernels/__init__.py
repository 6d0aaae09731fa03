"""Private numba kernels.

Everything here is a module-level ``@njit(cache=True)`` function over plain arrays. Nothing in
this package validates user input: the public modules do that and only call kernels with
canonical arrays. Kernels never print; they return a status that the caller turns into an error.
"""
