"""The warning categories of skreg's searches, public so that each can be
silenced on its own (``warnings.filterwarnings("ignore", category=...)``).

Steps of a path that stop at their epoch cap give scikit-learn's
``ConvergenceWarning``, once per path or CV fit: that is what a user who
silences convergence warnings expects to silence.  The categories below say
something about the data or the grid of rates instead: they derive from
``UserWarning``, one category per kind, so that silencing convergence
warnings leaves them on.
"""

__all__ = [
    "ConstantModelWarning",
    "FeatureScaleWarning",
    "RateAtGridEdgeWarning",
    "SearchWarning",
]


class SearchWarning(UserWarning):
    """The base of the CV estimators' warnings about their data or their
    grid: silencing it silences all of them."""


class RateAtGridEdgeWarning(SearchWarning):
    """The chosen rate is the smallest or the largest of the grid, so a rate
    beyond it might score better (with the '1se' rule at the largest, be
    sparser within one standard error of the best); the estimator's
    ``alpha_at_edge_`` says which end."""


class FeatureScaleWarning(SearchWarning):
    """The features' standard deviations differ by orders of magnitude: one
    rate penalizes the weights of the small-scale features far more."""


class ConstantModelWarning(SearchWarning):
    """The chosen model ignores its input (a weight matrix is all zero): it
    predicts the same for every row."""
