"""The project's own errors: the CLI turns each into one ``Error: ...`` line."""


class DropoutLabError(Exception):
    """Base class of every error the CLI reports without a traceback."""


class ConfigError(DropoutLabError):
    """A config file, an ``extends`` chain or a ``--set`` override is invalid."""


class DataError(DropoutLabError):
    """A dataset is missing, malformed, or failed verification."""


class ResultsError(DropoutLabError):
    """Results cannot be written where they were asked for, or a run directory cannot be read."""


class StatsError(DropoutLabError, ValueError):
    """A statistic cannot be computed from what it was given: too few values, or runs not
    evaluated on the same folds.  Also a ``ValueError``, for callers of the pure functions."""


class CheckError(DropoutLabError):
    """A run cannot be checked against a reference: another config, other data or other folds."""


def listing(items, limit: int = 8, sep: str = ", ") -> str:
    """``items`` joined for a one-line message, the first ``limit`` of them and a count of
    the rest: ``a, b, c ... and 204 more``."""
    items = [str(item) for item in items]
    rest = len(items) - limit
    return sep.join(items[:limit]) + (f" ... and {rest} more" if rest > 0 else "")
