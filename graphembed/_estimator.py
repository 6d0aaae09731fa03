"""The scikit-learn parameter protocol, without importing scikit-learn.

Estimators store every constructor argument under its own name; this mixin derives
``get_params``, ``set_params`` and a ``repr`` showing the non-default parameters from the
constructor's signature, so ``sklearn.base.clone`` and grid searches work on them.
"""

import inspect


class ParamsMixin:
    """``get_params`` / ``set_params`` / ``__repr__`` from ``__init__``'s signature."""

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p for p in sig.parameters if p != "self")

    def get_params(self, deep=True):
        """The constructor parameters as a dict (``deep`` is accepted for compatibility)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor parameters; unknown names raise ValueError. Returns self."""
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"invalid parameter {key!r} for {type(self).__name__}; valid parameters "
                    f"are: {', '.join(valid)}"
                )
            setattr(self, key, value)
        return self

    def __repr__(self):
        params = inspect.signature(type(self).__init__).parameters
        changed = [f"{name}={value!r}" for name, value in self.get_params().items()
                   if not _same(value, params[name].default)]
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(a, b):
    """Whether a parameter value equals its default (tuples and lists alike; arrays never)."""
    try:
        if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
            return tuple(a) == tuple(b)
        return bool(a == b)
    except (TypeError, ValueError):
        return False
