"""Defer the one costly import in Jupyter's dependency tree: ``rfc3987_syntax``, until it is first used.

``jsonschema`` (which nbformat, and so papermill and nbconvert, import) imports ``rfc3987_syntax`` when it is
installed, to check the ``iri`` formats, and ``rfc3987_syntax`` compiles its lark grammars at import: about 1,5-4 s
in every process (upstream: jsonschema issue 1428), although nbformat never checks formats.
:func:`defer_rfc3987_syntax` puts a stand-in module in its place that imports the real one on first use, so that
a format check still works (it then pays the compilation) and a process that never checks one never pays it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

__all__ = ["defer_rfc3987_syntax"]

_NAME = "rfc3987_syntax"


def _load_real() -> types.ModuleType:
    """Import the real module in place of the stand-in and return it."""
    if isinstance(sys.modules.get(_NAME), _StandIn):
        del sys.modules[_NAME]
    return importlib.import_module(_NAME)


class _StandIn(types.ModuleType):
    """``rfc3987_syntax`` until first used: ``is_valid_syntax`` and every other attribute load the real module."""

    def __getattr__(self, name: str):
        if name.startswith("__"):  # e.g. __path__, which the import system looks up: not a reason to load
            raise AttributeError(name)
        return getattr(_load_real(), name)

    @staticmethod
    def is_valid_syntax(*args, **kwargs):
        """The real ``rfc3987_syntax.is_valid_syntax`` (imported on the first call)."""
        return _load_real().is_valid_syntax(*args, **kwargs)


def defer_rfc3987_syntax() -> bool:
    """Make ``import rfc3987_syntax`` cheap in this process until the module is used; True when deferred.

    Does nothing when the module is not installed or already imported (then there is nothing to save).
    """
    if _NAME in sys.modules:
        return isinstance(sys.modules[_NAME], _StandIn)
    try:
        if importlib.util.find_spec(_NAME) is None:
            return False
    except (ImportError, ValueError):
        return False
    sys.modules[_NAME] = _StandIn(_NAME, __doc__)
    return True
