"""graphembed: fast, deterministic graph embeddings for large networks.

``import graphembed`` loads numpy, scipy and numba only; kernels compile on first use and are
cached on disk.
"""

from .graph import CSRGraph, as_csr

__version__ = "0.1.0"

__all__ = [
    "CSRGraph",
    "as_csr",
    "__version__",
]
