"""The validation data a stochastic fit measures its epochs on: the data given
to ``fit`` (``X_val``, ``y_val``, ``sample_weight_val``) or, with early
stopping and none given, the share ``validation_fraction`` split off the
training data.  What is measured is the estimator's ``scoring`` score and the
objective J on those data (``skreg._training.Validation``)."""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import _config as C
from . import _engine as engine
from ._training import Validation
from ._validation import (
    check_sample_weight_sum,
    check_sparse_structure,
    check_split_weights,
    check_validation_split,
    naming_the_input,
    renamed,
    scoring_failed,
)


class Judge(NamedTuple):
    """How the network being trained is judged on held-out data, as the
    estimator hands it over: plain values and its own scoring function."""

    estimator: object  # what a scorer is called on (its coefs_ are the network trained)
    scoring: object  # the ``scoring`` parameter: None, "loss", a scorer's name or a callable
    own_score: Callable  # (X, y, sample_weight=...) -> the estimator's default score
    settings: tuple  # the network's Settings record (skreg._config)


class Split(NamedTuple):
    """Early stopping's split of the training data, as plain values."""

    fraction: float  # ``validation_fraction``
    random_state: object  # the fit's random stream
    stratify: np.ndarray | None  # the labels to stratify on, or None
    targets_for_scoring: Callable  # Y (2-D, binarized) -> y as scorers take it


def held_out_data(est, X_val, y_val, sample_weight_val, dtype, n_outputs, targets):
    """``(X_val, y_val, Y_val, sample_weight_val)`` checked against the
    training data of this fit (features, classes, ``n_outputs`` outputs),
    or None when no validation data were given.  ``targets(y_val, dtype,
    n_outputs)`` is the estimator's check of the targets.  Errors name ``X_val``,
    ``y_val`` and ``sample_weight_val``, not the training inputs."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val was given without X_val and y_val.")
        return None
    if X_val is None or y_val is None:
        raise ValueError("X_val and y_val go together: pass both or neither.")
    check_sparse_structure(X_val, "X_val")
    try:
        X_checked = validate_data(
            est, X_val, reset=False, accept_sparse=["csr", "csc"], dtype=dtype, order="C"
        )
    except ValueError as error:
        raise renamed(naming_the_input(error, X_val), "X", "X_val") from error
    try:
        y_val, Y_val = targets(y_val, dtype, n_outputs)
    except ValueError as error:
        if "y_val" in str(error):
            raise
        raise renamed(error, "y", "y_val") from error
    if Y_val.shape[0] != X_checked.shape[0]:
        raise ValueError(f"X_val has {X_checked.shape[0]} samples but y_val has {Y_val.shape[0]}.")
    try:
        sample_weight_val = _check_sample_weight(
            sample_weight_val, X_checked, dtype=dtype, ensure_non_negative=True
        )
        check_sample_weight_sum(sample_weight_val)
    except ValueError as error:
        raise renamed(error, "sample_weight", "sample_weight_val") from error
    return X_checked, y_val, Y_val, C.writeable(sample_weight_val, dtype)


def with_validation_lists(progress, validation):
    """``progress``, its validation records kept one per epoch of its loss
    curve across the calls of a warm start or of ``partial_fit``: a call
    without validation data drops them (its epochs have none); validation
    data that join a fit that had none start records with NaN for the
    epochs before them."""
    if validation is None and progress.validation_scores is not None:
        progress.validation_scores = progress.validation_loss_curve = None
        progress.best_validation_score = None
    elif validation is not None and progress.validation_scores is None:
        before = [np.nan] * len(progress.loss_curve)
        progress.validation_scores, progress.validation_loss_curve = list(before), list(before)
        progress.best_validation_score = -np.inf
    return progress


def train_validation_split(judge, split, X, Y, sample_weight, held_out, params, units, reg):
    """``(X_train, Y_train, sw_train, validation)``: ``validation``
    measures the network being trained (``params``) on the validation data
    given to fit, or else, with early stopping (``split``, a ``Split``; None
    without), on the split of ``split.fraction`` (stratified for
    single-output classification); None when there is neither."""
    if held_out is not None:
        return X, Y, sample_weight, validation_measure(judge, *held_out, params, units, reg)
    if split is None:
        return X, Y, sample_weight, None
    stratify = split.stratify
    check_validation_split(
        X.shape[0],
        split.fraction,
        None if stratify is None else np.unique(stratify, return_counts=True)[1],
    )
    X_train, X_val, Y_train, Y_val, sw_train, sw_val = train_test_split(
        X,
        Y,
        sample_weight,
        random_state=split.random_state,
        test_size=split.fraction,
        stratify=stratify,
    )
    check_split_weights(sw_train, sw_val, split.fraction)
    y_val = split.targets_for_scoring(Y_val)
    validation = validation_measure(judge, X_val, y_val, Y_val, sw_val, params, units, reg)
    return (
        X_train,
        C.writeable(Y_train, Y.dtype),
        C.writeable(sw_train, sample_weight.dtype),
        validation,
    )


def validation_measure(judge, X_val, y_val, Y_val, sw_val, params, units, reg):
    """The function that measures the network being trained on the
    validation data: the ``judge``'s score and the objective J there."""
    data = engine.training_data(X_val, Y_val, sw_val, params.dtype)
    sw_val = data.sample_weight
    est, settings = judge.estimator, judge.settings
    scorer = None
    if judge.scoring not in (None, "loss"):
        scorer = check_scoring(est, scoring=judge.scoring)

    def measure():
        loss = engine.data_loss(data, params, units, settings)
        loss += engine.penalty_value(params, units, reg)
        if judge.scoring == "loss":
            score = -loss
        elif scorer is None:
            score = judge.own_score(X_val, y_val, sample_weight=sw_val)
        else:
            score = _user_score(scorer, judge.scoring, est, X_val, y_val, sw_val)
        return Validation(_checked_score(score, judge.scoring, loss), float(loss))

    return measure


def _user_score(scorer, scoring, est, X_val, y_val, sw_val):
    """The ``scoring`` the user chose, on the validation data; its failure
    (a scorer that cannot score this target, say) named as the parameter's."""
    try:
        return scorer(est, X_val, y_val, sample_weight=sw_val)
    except Exception as error:  # any scorer's, as the CV estimators wrap theirs
        raise scoring_failed(scoring, "on the validation data", error) from error


def _checked_score(score, scoring, loss):
    """The score as a float; NaN is refused: early stopping compares scores,
    and no score ranks above NaN, so the untrained weights would win."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        value = np.nan
    if not np.isnan(value):
        return value
    if not np.isfinite(loss):
        raise ValueError(
            f"The network's outputs on the validation data are not finite (the objective "
            f"there is {loss:g}), so scoring={scoring!r} gives {score!r}: X_val may hold "
            "values far outside the range of the training data; scale it as X."
        )
    raise ValueError(
        f"scoring={scoring!r} returned {score!r} on the validation data; it must "
        "return a number (higher is better) to rank the epochs."
    )
