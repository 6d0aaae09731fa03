"""Private numba kernels.

Everything here is a module-level ``@njit(cache=True)`` function over plain arrays. Nothing in
this package validates user input: the public modules do that and only call kernels with
canonical arrays. Kernels never print; they return a status that the caller turns into an error.

The first time a process has to compile one of these kernels (none of its specialisations in
numba's on-disk cache: a new install, a new machine, a changed kernel), graphembed says so once,
in one line through the ``graphembed`` logger (shown on stderr at its default WARNING level;
``logging.getLogger("graphembed").setLevel(logging.ERROR)`` silences it). Loading a kernel from
the cache says nothing. ``graphembed warmup`` (:func:`graphembed._compile.warmup`) fills the
cache ahead of time.
"""

import logging
import sys

from numba.core import event as _event

#: Rough compile times (2 cores, empty cache) of the public entry points, for the notice.
COMPILE_ESTIMATES = {
    "fastrp": "15-40 s",
    "FastRP": "15-40 s",
    "as_csr": "5-20 s",
    "read_edgelist": "5-10 s",
    "random_walks": "10-30 s",
    "iter_random_walks": "10-30 s",
    "irwe": "30-90 s",
    "IRWE": "30-90 s",
    "orbit_counts": "10-30 s",
    "orbit_adjacency": "10-30 s",
    "orbit_embedding": "10-40 s",
    "warmup": "1-3 min",
}

_logger = logging.getLogger("graphembed")
_said = []


def _entry_point():
    """The outermost graphembed function on the stack (what the user called), e.g. ``fastrp``."""
    frame = sys._getframe(1)
    found = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if (module == "graphembed" or module.startswith("graphembed.")) and not (
            module.startswith("graphembed._kernels") or module == "graphembed.cli"
        ):
            code = frame.f_code
            found = (module, getattr(code, "co_qualname", code.co_name))
        frame = frame.f_back
    return found


def compile_notice():
    """The one line said before the first compilation: what, why, about how long, once."""
    entry = _entry_point()
    if entry is None:
        name, estimate = "its kernels", "10-60 s"
    else:
        module, qualname = entry
        top = qualname.split(".")[0]
        estimate = COMPILE_ESTIMATES.get(top, "10-60 s")
        package = sys.modules.get("graphembed")
        where = "graphembed" if package is not None and hasattr(package, top) else module
        name = "all its kernels" if top == "warmup" else f"the kernels of {where}.{qualname}"
    return (f"graphembed: compiling {name} for this machine (about {estimate}); this happens "
            "once: later runs load them from numba's disk cache")


class _CompileNotice(_event.Listener):
    """Says :func:`compile_notice` at the first compilation of a graphembed kernel."""

    def on_start(self, ev):
        if _said:
            return
        dispatcher = ev.data.get("dispatcher") if isinstance(ev.data, dict) else None
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if not module.startswith(__name__):
            return
        _said.append(True)
        _logger.warning(compile_notice())

    def on_end(self, ev):
        pass


_event.register("numba:compile", _CompileNotice())
