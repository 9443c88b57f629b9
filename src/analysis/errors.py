"""The one exception hierarchy of the package.

Every error a user can fix (a bad file, an unknown code, a missing warehouse, a wrong setting) is an
:class:`AnalysisError` of one of three kinds. The command line turns each into one line
``analysis: error: ...`` with exit status 2; anything else is a bug and keeps its traceback.

The kinds also derive from the built-in exception the code raised before the hierarchy existed
(``ValueError`` for bad input and settings, ``RuntimeError`` for unusable data or resources), so that
``except ValueError`` in users' notebooks keeps working.

This module imports nothing of the package: every layer may raise these.
"""

from __future__ import annotations

__all__ = ["AnalysisError", "ConfigurationError", "DataError", "InputError"]


class AnalysisError(Exception):
    """Base of every error the user can act on; the message names the file, row or setting and the cause."""


class InputError(AnalysisError, ValueError):
    """An input file or value is not what was expected (names the file, row, column, expected and found)."""


class DataError(AnalysisError, RuntimeError):
    """The warehouse or another resource cannot be used as it is: missing, locked, corrupt, inconsistent."""


class ConfigurationError(AnalysisError, ValueError):
    """A batch file, a parameter, an option or an environment variable is wrong."""
