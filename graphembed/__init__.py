"""graphembed: fast, deterministic graph embeddings for large networks.

``import graphembed`` loads numpy, scipy and numba only; kernels compile on first use and are
cached on disk.
"""

from .fastrp import FastRP, fastrp
from .embedding import Embedding
from .graph import CSRGraph, as_csr
from .spectral import Spectral, spectral
from .propagation import spectral_propagation
from .orbits import orbit_adjacency, orbit_counts, orbit_embedding
from . import walks
from .walks import IRWE, irwe, random_walks

__version__ = "0.1.0"

__all__ = [
    "CSRGraph",
    "as_csr",
    "Embedding",
    "random_walks",
    "irwe",
    "IRWE",
    "walks",
    "fastrp",
    "FastRP",
    "spectral",
    "Spectral",
    "spectral_propagation",
    "orbit_adjacency",
    "orbit_counts",
    "orbit_embedding",
    "__version__",
]
