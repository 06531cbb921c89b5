"""Checks of what paths and CV estimators are given, taken together: rates,
l1_ratios, the path's settings against the estimator's, folds and scores.

scikit-learn's constraints check each parameter on its own; a path also needs
its values to make sense together (a rate that moves a switched-off penalty
trains the same model at every rate) and its folds to be trainable.  Each
check raises scikit-learn's ``InvalidParameterError`` (a ValueError) or a
ValueError naming the parameter, fold or scorer at fault.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, InvalidParameterError
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array

from .exceptions import SearchWarning

# joblib's n_jobs: -1 for every processor, -2 for all but one and so on, or
# a count; 0 means nothing there, and joblib's refusal would not name it.
N_JOBS = [
    Interval(Integral, None, -1, closed="right"),
    Interval(Integral, 1, None, closed="left"),
    None,
]


class CountInterval(Interval):
    """An interval of integers that refuses booleans (``True`` is an
    ``Integral`` to Python, and would count as 1)."""

    def __init__(self, left, right=None, *, closed="left"):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


class PathEstimator(HasMethods):
    """A constraint: one of the package's two plain estimators, not a class,
    another library's estimator or a CV estimator (which picks its own rate).
    (A ``HasMethods``, one of the kinds scikit-learn's validation takes.)"""

    def __init__(self):
        super().__init__(["fit"])

    def is_satisfied_by(self, val):
        from ._classes import RegularizedMLPClassifier, RegularizedMLPRegressor

        plain = isinstance(val, (RegularizedMLPClassifier, RegularizedMLPRegressor))
        return plain and not hasattr(val, "_cv_only")

    def __str__(self):
        return "an instance of RegularizedMLPClassifier or RegularizedMLPRegressor (not a CV one)"


def _holds_non_numbers(values):
    """Whether ``values`` is or holds a boolean or a string, which NumPy would
    turn into numbers (True into 1.0, "1" into 1.0)."""
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "bUS"
    if isinstance(values, (list, tuple)):
        return any(_holds_non_numbers(value) for value in values)
    return isinstance(values, (bool, np.bool_, str, bytes))


def _invalid(name, caller, what, value):
    """scikit-learn's message for a parameter value outside its constraints."""
    return InvalidParameterError(
        f"The {name!r} parameter of {caller} must be {what}. Got {value!r} instead."
    )


def check_rates(alphas, caller, n_grids=None):
    """The rates given as ``alphas``, ascending.  Without ``n_grids`` (a
    path): 1-D.  With it (a CV estimator with ``n_grids`` l1_ratio values):
    an array of shape (n_grids, n_rates), one grid per l1_ratio; a 1-D
    ``alphas`` is every l1_ratio's grid, a 2-D one holds one row per
    l1_ratio."""
    shapes = "1-D" if n_grids is None else "1-D (or 2-D with one row per l1_ratio)"
    what = f"finite, non-negative numbers, {shapes}, not empty"
    try:
        rates = np.array(alphas, dtype=np.float64)
    except (TypeError, ValueError):
        raise _invalid("alphas", caller, what, alphas) from None
    max_ndim = 1 if n_grids is None else 2
    wrong_kind = _holds_non_numbers(alphas)
    if wrong_kind or not 1 <= rates.ndim <= max_ndim or rates.size == 0:
        raise _invalid("alphas", caller, what, alphas)
    if not np.all(np.isfinite(rates)) or np.any(rates < 0):
        raise _invalid("alphas", caller, what, alphas)
    if n_grids is None:
        return np.sort(rates)
    if rates.ndim == 1:
        rates = np.tile(rates, (n_grids, 1))
    elif rates.shape[0] != n_grids:
        raise InvalidParameterError(
            f"The 'alphas' parameter of {caller} has {rates.shape[0]} rows, but there are "
            f"{n_grids} l1_ratio values: a 2-D alphas holds one row of rates per l1_ratio. "
            "Pass a 1-D alphas to use the same rates for every l1_ratio."
        )
    return np.sort(rates, axis=1)


def check_l1_ratios(l1_ratio, penalty, caller):
    """The l1_ratio values to search, as a 1-D array; more than one only
    where the penalty uses l1_ratio."""
    what = "a float in the range [0, 1] or a non-empty 1-D array-like of such"
    try:
        ratios = np.atleast_1d(np.array(l1_ratio, dtype=np.float64))
    except (TypeError, ValueError):
        raise _invalid("l1_ratio", caller, what, l1_ratio) from None
    wrong_kind = _holds_non_numbers(l1_ratio)
    if wrong_kind or ratios.ndim != 1 or ratios.size == 0:
        raise _invalid("l1_ratio", caller, what, l1_ratio)
    if np.any(np.isnan(ratios)) or np.any((ratios < 0) | (ratios > 1)):
        raise _invalid("l1_ratio", caller, what, l1_ratio)
    if ratios.size > 1 and penalty != "elasticnet":
        raise InvalidParameterError(
            f"The 'l1_ratio' parameter of {caller} holds {ratios.size} values, but "
            f"penalty={penalty!r} does not use l1_ratio: every value would run the same "
            "path. Pass one value, or set penalty='elasticnet' to search l1_ratio."
        )
    return ratios


def check_path_settings(estimator, path_param, adaptive):
    """Refuse a path whose rate, or adaptive weights, would change nothing."""
    if path_param == "skip_alpha" and not (estimator.skip_connection and estimator.hierarchy):
        raise ValueError(
            "path_param='skip_alpha' moves the rate of the hierarchy's penalty on the skip "
            f"weights, but skip_connection={estimator.skip_connection} and "
            f"hierarchy={estimator.hierarchy}: set skip_connection=True and hierarchy to a "
            "positive float, or use path_param='alpha' or 'group_alpha'."
        )
    if path_param == "alpha" and estimator.penalty is None:
        raise ValueError(
            "path_param='alpha' moves the rate of the penalty, but penalty=None switches "
            "it off: every rate would train the same model. Set penalty to 'l2', 'l1' or "
            "'elasticnet', or use path_param='group_alpha'."
        )
    if adaptive and path_param == "alpha" and not np.any(estimator.group_alpha):
        raise ValueError(
            "group_weights='adaptive' weighs the group term, but it is off: the path moves "
            "alpha and group_alpha is 0. Use path_param='group_alpha', or set group_alpha "
            "above 0."
        )
    if path_param == "group_alpha" and estimator.skip_connection and not estimator.hierarchy:
        warnings.warn(
            "A path along group_alpha with skip_connection=True and no hierarchy removes no "
            "input feature: the group term acts on the first layer's rows, and every "
            "feature still reaches the output through skip_coef_, so every rate counts all "
            "of them as selected. To select features with a skip connection, set hierarchy "
            "and use path_param='skip_alpha'.",
            SearchWarning,
            stacklevel=3,
        )
    if estimator.feature_groups is not None and _input_group_term_off(estimator, path_param):
        raise ValueError(
            "feature_groups puts blocks of input columns under the group term, but the path "
            "leaves it off on the input layer (group_alpha is 0 there): no block would be "
            "kept or removed whole. Use path_param='group_alpha' with a group term on the "
            "input layer, or feature_groups=None."
        )


def _input_group_term_off(estimator, path_param):
    """Whether a path trains without a group term on the input layer: a float
    ``group_alpha`` moved by the path acts on the input layer alone; otherwise
    its first value (the input layer's) is the one that counts."""
    if path_param == "group_alpha" and isinstance(estimator.group_alpha, Real):
        return False
    return not np.atleast_1d(np.asarray(estimator.group_alpha, dtype=np.float64))[0] > 0


def listed_folds(cv):
    """A ``cv`` given as an iterable of folds, as a list of checked pairs
    (scikit-learn would fail unpacking them); any other ``cv`` as it is."""
    if cv is None or isinstance(cv, Integral) or hasattr(cv, "split"):
        return cv
    folds = list(cv)
    for k, fold in enumerate(folds):
        if not hasattr(fold, "__len__") or len(fold) != 2:
            raise ValueError(f"Fold {k} of cv is not a (train indices, test indices) pair.")
    return folds


def check_folds(folds, y, sample_weight, classifier):
    """The folds as integer index arrays.  Each must have samples on both
    sides, indices within the data, a training part with positive total
    weight and, for a classifier, every class of ``y`` (a model that never saw
    a class cannot score it)."""
    n_samples = len(y)
    classes = _class_sets(y) if classifier else None
    checked = []
    for k, fold in enumerate(folds):
        train, test = (
            _fold_indices(k, part, indices, n_samples)
            for part, indices in zip(("training", "test"), fold)
        )
        if sample_weight is not None and not np.sum(sample_weight[train]) > 0:
            raise ValueError(
                f"The sample weights of fold {k}'s training set sum to zero: that fold has "
                "nothing to train on. Use other folds (cv) or other weights."
            )
        if classes is not None:
            _check_fold_classes(k, classes, y, train)
        checked.append((train, test))
    if not checked:
        raise ValueError("cv gave no folds: it needs at least one (train, test) split.")
    return checked


def _fold_indices(k, part, indices, n_samples):
    """One side of fold ``k`` as integer indices in [0, n_samples), not empty
    (a boolean mask is turned into its indices)."""
    indices = np.asarray(indices)
    if indices.dtype.kind == "b" and indices.shape == (n_samples,):
        indices = np.flatnonzero(indices)
    if indices.size == 0:
        raise ValueError(f"Fold {k} of cv has an empty {part} set.")
    if (
        indices.ndim != 1
        or indices.dtype.kind not in "iu"
        or indices.min() < 0
        or indices.max() >= n_samples
    ):
        found = (
            f"values from {indices.min()} to {indices.max()}"
            if indices.ndim == 1 and indices.dtype.kind in "iuf"
            else f"an array of dtype {indices.dtype} and shape {indices.shape}"
        )
        raise ValueError(
            f"Fold {k} of cv has {part} indices that are not integers in [0, {n_samples}) "
            f"(the number of samples): {found}."
        )
    return indices


def check_groups(groups, n_samples):
    """Group labels for the splitter: one per sample, 1-D, no NaN."""
    if groups is None:
        return None
    groups = check_array(groups, ensure_2d=False, dtype=None, input_name="groups")
    if groups.ndim != 1 or groups.shape[0] != n_samples:
        raise ValueError(
            f"groups must hold one label per sample: got shape {groups.shape}, and X has "
            f"{n_samples} samples."
        )
    return groups


def _class_sets(y):
    """The labels of each output of a class target (None: nothing to check)."""
    kind = type_of_target(y)
    if kind in ("binary", "multiclass"):
        return [np.unique(y)]
    if kind == "multiclass-multioutput":
        return [np.unique(column) for column in np.asarray(y).T]
    return None


def _check_fold_classes(k, classes, y, train):
    columns = np.asarray(y).reshape(len(y), -1)[train]
    for labels, seen in zip(classes, columns.T):
        missing = np.setdiff1d(labels, seen)
        if missing.size:
            raise ValueError(
                f"Fold {k}'s training set has no sample of class(es) {missing.tolist()} of "
                "y: its model could not predict or score them. Use stratified folds "
                "(StratifiedKFold) or fewer of them."
            )


def check_score(value, scoring, fold, rate_name, rate):
    """A scorer's result as a float; anything but a real number is refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        if not (isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "f"):
            raise ValueError(
                f"scoring={scoring!r} returned {value!r} ({type(value).__name__}) on fold "
                f"{fold} at {rate_name}={rate:g}; a scorer must return a number."
            )
    return float(value)


def check_mean_scores(means, scoring):
    """At least one (l1_ratio, rate) must have a score on every fold."""
    if np.all(np.isnan(means)):
        raise ValueError(
            f"scoring={scoring!r} returned NaN on some fold at every rate, so no rate can "
            "be chosen. Check the scorer, or the data it scores."
        )
