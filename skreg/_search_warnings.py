"""What a path or a CV search tells its user about its result: steps stopped
at their epoch cap (one warning per call, not one per step), a chosen rate at
an edge of its grid, features whose scales differ by orders of magnitude, and
a chosen model that ignores its input."""

import warnings
from contextlib import contextmanager
from numbers import Integral

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.sparsefuncs import mean_variance_axis

from ._constant_model import is_constant
from ._fold_ensemble import is_ensemble, networks
from .exceptions import ConstantModelWarning, FeatureScaleWarning, RateAtGridEdgeWarning

# The training loop's warnings for a fit stopped at its cap (stochastic
# solvers; L-BFGS when it used every iteration).  A path counts its capped
# steps itself and says so once.
_CAPPED_MESSAGES = (
    r"(?s)(Stochastic Optimizer: Maximum iterations"
    r"|lbfgs failed to converge after .*Increase max_iter)"
)
# Largest ratio of the features' standard deviations taken as one scale.
# One rate weighs a feature's weight by about 1 / std (L1) or 1 / std**2
# (L2) in standardized units; a 0/1 column present in 0.1 % of the rows has
# a standard deviation of 0.03, so standardized columns beside one-hot ones
# stay below a ratio of 40, and raw columns in units of thousands exceed it.
LARGEST_SCALE_RATIO = 1e3
# Columns whose standard deviations are within this factor of each other
# count as scaled alike (standardized numbers beside one-hot columns of
# categories as rare as one row in a hundred): a rate at the top of the grid
# then says something about the data, not their scale.
ALIKE_SCALE_RATIO = 10.0
# A column whose standard deviation is below this fraction of its root mean
# square is constant (rounding leaves a tiny variance).
_CONSTANT_COLUMN = 1e-7


@contextmanager
def capped_steps_quiet():
    """Within: the training loop's warnings for a capped fit are not shown
    (the caller counts capped steps and warns once).  Threads of a joblib
    backend see the filter; scikit-learn's ``Parallel`` hands it to processes."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_CAPPED_MESSAGES, category=ConvergenceWarning)
        yield


def warn_capped_steps(caps, path_max_iter, max_iter, where):
    """One ConvergenceWarning for the steps of ``where`` (the paths of a
    call) that used every epoch they were allowed; ``caps`` holds each
    step's ``Step.capped``: "first" (a plain fit, capped by ``max_iter``),
    "later" (capped by ``path_max_iter``) or "" (it stopped by itself)."""
    n_first, n_later, n_steps = caps.count("first"), caps.count("later"), len(caps)
    if n_first + n_later == 0:
        return
    parts = []
    if n_later:
        parts.append(
            f"{n_later} later step(s) at path_max_iter={path_max_iter} (sgd and adam get more "
            "epochs on small data, to make 100 updates; never more than max_iter)"
        )
    if n_first:
        parts.append(
            f"{n_first} step(s) fitted from scratch (a path's first; every one with "
            f"path_warm_start=False) at max_iter={max_iter}"
        )
    advice = " and ".join(
        name for name, n in (("path_max_iter", n_later), ("max_iter", n_first)) if n
    )
    warnings.warn(
        f"{n_first + n_later} of the {n_steps} steps of {where} stopped at their epoch cap "
        f"before converging: {' and '.join(parts)}. A capped step is a model partly "
        "trained at its rate; steps are capped on purpose, to keep paths fast. To train "
        f"them further, raise {advice}.",
        ConvergenceWarning,
        stacklevel=3,
    )


def tell_about_search(estimator, X, y, caps, n_paths, chosen, scales):
    """The warnings at the end of a CV fit of ``estimator``: its paths'
    steps stopped at their cap (``caps``, each step's ``Step.capped``), told
    once; the chosen rate (``chosen``: its grid and its index there) at an
    edge of the grid, whose advice depends on X's ``scales``
    (``feature_scale_ratio``); a chosen model that ignores its input.
    Returns which edge (``alpha_at_edge_``), or None."""
    est = estimator
    final = "" if is_ensemble(est) else " and the final one on all the data"
    where = f"this fit's {n_paths} paths (the folds'{final})"
    warn_capped_steps(caps, est.path_max_iter, est.max_iter, where)
    automatic = isinstance(est.alphas, Integral)
    scales_alike = scales is None or scales[0] <= ALIKE_SCALE_RATIO
    edge = warn_rate_at_edge(
        *chosen, est.path_param, automatic, est.eps, est.selection_rule_, scales_alike
    )
    if ignores_input(est, X, y):
        warn_constant_model(est.path_param, est.alpha_, is_classifier(est))
    return edge


def warn_rate_at_edge(grid, index, path_param, automatic, eps, rule="best", scales_alike=False):
    """A RateAtGridEdgeWarning when ``grid[index]`` is the smallest or
    the largest rate of a grid of several; which end it is ('smallest',
    'largest'), or None.  ``rule``: the selection rule that chose it;
    ``scales_alike``: whether X's columns have standard deviations within
    ``ALIKE_SCALE_RATIO`` of each other (then scaling them is no remedy)."""
    if len(grid) < 2 or 0 < index < len(grid) - 1:
        return None
    rate = grid[index]
    if index == 0:
        if rate == 0:  # no rate lies below it
            return None
        end = "smallest"
        advice = (
            f"Lower eps (now {eps:g}) or pass alphas reaching lower."
            if automatic
            else "Pass alphas reaching lower."
        )
    else:
        end = "largest"
        advice = "Pass alphas reaching higher."
        if automatic and scales_alike:
            advice += (
                " The automatic grid ends at the rate estimated to remove (nearly) every "
                "weight; the features' scales are alike, so the data may call for that "
                "much regularization (a table whose target the features barely predict "
                "often does)."
            )
        elif automatic:
            advice += (
                " The automatic grid ends at the rate estimated to remove (nearly) every "
                "weight: a model chosen there may predict a constant, which unscaled "
                "features often cause (scale them with StandardScaler)."
            )
    # The 1se rule takes the largest rate within one standard error of the
    # best score: beyond the top of the grid, a sparser model may be too.
    beyond = (
        "a larger rate might score within one standard error of the best too, and be sparser"
        if rule == "1se" and end == "largest"
        else "a rate beyond it might score better"
    )
    warnings.warn(
        f"The chosen {path_param} ({rate:.4g}) is the {end} rate of the grid (from "
        f"{grid[0]:.4g} to {grid[-1]:.4g}): {beyond}. {advice} "
        "This warning's category is skreg.exceptions.RateAtGridEdgeWarning.",
        RateAtGridEdgeWarning,
        stacklevel=3,
    )
    return end


def feature_scale_ratio(X):
    """``(ratio, widest, narrowest)``: the ratio of the largest to the
    smallest standard deviation of X's non-constant columns, and their
    indices; None when fewer than two columns vary."""
    if hasattr(X, "toarray"):
        means, variances = mean_variance_axis(X, axis=0)
    else:
        means, variances = np.mean(X, axis=0, dtype=np.float64), np.var(X, axis=0, dtype=np.float64)
    stds = np.sqrt(np.asarray(variances, dtype=np.float64))
    rms = np.sqrt(np.asarray(means, dtype=np.float64) ** 2 + stds**2)
    varying = np.flatnonzero(stds > _CONSTANT_COLUMN * rms)
    if varying.size < 2:
        return None
    widest = varying[np.argmax(stds[varying])]
    narrowest = varying[np.argmin(stds[varying])]
    return stds[widest] / stds[narrowest], widest, narrowest


def warn_feature_scales(found, feature_names=None):
    """A FeatureScaleWarning when the standard deviations of X's
    non-constant columns differ by more than ``LARGEST_SCALE_RATIO``
    (``found``: ``feature_scale_ratio(X)``)."""
    if found is None or not found[0] > LARGEST_SCALE_RATIO:
        return
    ratio, widest, narrowest = found

    def name(j):
        return f"column {j}" if feature_names is None else f"column {feature_names[j]!r}"

    warnings.warn(
        f"The features' standard deviations differ by a factor of {ratio:.3g} ({name(widest)} "
        f"against {name(narrowest)}). One rate penalizes every weight alike, so it acts far "
        "more on the features of small scale, and the grid of rates cannot suit them all; a "
        "search on such data may choose a model that predicts a constant. Standardize the "
        "features first: make_pipeline(StandardScaler(), estimator). This warning's "
        "category is skreg.exceptions.FeatureScaleWarning.",
        FeatureScaleWarning,
        stacklevel=3,
    )


def ignores_input(estimator, X, y):
    """Whether the fitted ``estimator`` ignores its input: a weight matrix is
    all zero (``is_constant``; in every network of a fold ensemble), or, for
    a classifier, it predicts one class for every row of X where y holds
    several (an L2 penalty shrinks weights close to zero, never to it)."""
    if all(is_constant(n.coefs_, n._skip_coef()) for n in networks(estimator)):
        return True
    if not is_classifier(estimator):
        return False
    with warnings.catch_warnings():
        # X as fit validated it: a DataFrame's column names are gone by now.
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        predicted = np.asarray(estimator.predict(X)).reshape(X.shape[0], -1)
    targets = np.asarray(y).reshape(X.shape[0], -1)
    return bool(np.all(predicted == predicted[0]) and not np.all(targets == targets[0]))


def warn_constant_model(path_param, rate, classifier):
    """A ConstantModelWarning: the chosen model ignores its input."""
    constant = "class" if classifier else "value"
    warnings.warn(
        f"The chosen model ({path_param}={rate:.4g}) ignores its input: the penalty shrank "
        f"its weights to, or close to, zero, so it predicts the same {constant} for every "
        "row. With features on different scales this is the usual result: standardize them "
        "first, "
        "make_pipeline(StandardScaler(), estimator). Otherwise pass smaller alphas, or the "
        "data may hold little that the network can learn. This warning's category is "
        "skreg.exceptions.ConstantModelWarning.",
        ConstantModelWarning,
        stacklevel=3,
    )
