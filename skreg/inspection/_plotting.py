"""What the displays share: matplotlib, imported only when a display draws,
and the handling of the style keywords users pass to ``plot``."""

from types import SimpleNamespace

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline


def check_matplotlib(caller):
    """Raise an ImportError naming ``caller`` when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(
            f"{caller} draws with matplotlib, which is not installed. "
            "Install it with `pip install matplotlib`."
        ) from error


def axes_or_new(ax, caller):
    """``ax``, or the axes of a new figure when it is None."""
    check_matplotlib(caller)
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def line_style(defaults, user):
    """``defaults`` updated by the user's keywords for ``Axes.plot``; aliases
    (``c``, ``ls``, ``lw``, ...) are spelled out first, so that a user's
    ``ls`` replaces a default ``linestyle`` instead of clashing with it."""
    from matplotlib.lines import Line2D

    return _merged(defaults, user, Line2D)


def fill_style(defaults, user):
    """As ``line_style``, for ``Axes.fill_between``."""
    from matplotlib.collections import PolyCollection

    return _merged(defaults, user, PolyCollection)


def _merged(defaults, user, artist_class):
    from matplotlib.cbook import normalize_kwargs

    return {
        **normalize_kwargs(defaults, artist_class),
        **normalize_kwargs(user or {}, artist_class),
    }


def set_rate_scale(ax, rates):
    """Log scale for the rates; symmetric log when a rate is zero, linear
    within the smallest positive rate."""
    rates = np.asarray(rates, dtype=np.float64)
    positive = rates[rates > 0]
    if positive.size == rates.size:
        ax.set_xscale("log")
    elif positive.size:
        ax.set_xscale("symlog", linthresh=positive.min())


def final_estimator(estimator):
    """The estimator itself, or a pipeline's last step."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def settings_of_fit(estimator):
    """The fitted estimator's parameters as they were when it was fitted, as
    attributes: a Display draws the fit, whatever ``set_params`` changed since."""
    params = getattr(estimator, "_params_at_fit", None)
    return SimpleNamespace(**(estimator.get_params(deep=False) if params is None else params))


def scoring_name(estimator, scoring):
    """The name of the score that ``scoring`` (a parameter value of
    ``estimator``) gives, for labels."""
    if scoring is None:
        return "accuracy" if is_classifier(estimator) else "R²"
    if scoring == "loss":  # the early-stopping score of skreg's estimators: -J
        return "negative objective"
    if callable(scoring):
        return "score"
    if scoring.startswith("neg_"):
        return "negative " + scoring[4:].replace("_", " ")
    return scoring.replace("_", " ")
