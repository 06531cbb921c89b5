"""The validation data a stochastic fit measures its epochs on: the data given
to ``fit`` (``X_val``, ``y_val``, ``sample_weight_val``) or, with early
stopping and none given, the share ``validation_fraction`` split off the
training data.  What is measured is the estimator's ``scoring`` score and the
objective J on those data (``skreg._training.Validation``)."""

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
    check_validation_split,
    naming_the_input,
    renamed,
)


def held_out_data(est, X_val, y_val, sample_weight_val, dtype, n_outputs):
    """``(X_val, y_val, Y_val, sample_weight_val)`` checked against the
    training data of this fit (features, classes, ``n_outputs`` outputs),
    or None when no validation data were given.  Errors name ``X_val``,
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
        y_val, Y_val = est._validation_targets(y_val, dtype, n_outputs)
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
    """``progress``, with empty validation records when validation data join
    a warm start that had none."""
    if validation is not None and progress.validation_scores is None:
        progress.validation_scores, progress.validation_loss_curve = [], []
        progress.best_validation_score = -np.inf
    return progress


def train_validation_split(est, X, Y, sample_weight, held_out, params, units, reg):
    """``(X_train, Y_train, sw_train, validation)``: ``validation``
    measures the network being trained (``params``) on the validation data
    given to fit, or else, with early stopping, on the split of
    ``validation_fraction`` (stratified for single-output classification);
    None when there is neither."""
    if held_out is not None:
        return X, Y, sample_weight, validation_measure(est, *held_out, params, units, reg)
    if not est.early_stopping:
        return X, Y, sample_weight, None
    stratify = est._stratification_labels(Y)
    check_validation_split(
        X.shape[0],
        est.validation_fraction,
        None if stratify is None else np.unique(stratify, return_counts=True)[1],
    )
    X_train, X_val, Y_train, Y_val, sw_train, sw_val = train_test_split(
        X,
        Y,
        sample_weight,
        random_state=est._random_state,
        test_size=est.validation_fraction,
        stratify=stratify,
    )
    validation = validation_measure(
        est, X_val, est._targets_for_scoring(Y_val), Y_val, sw_val, params, units, reg
    )
    return (
        X_train,
        C.writeable(Y_train, Y.dtype),
        C.writeable(sw_train, sample_weight.dtype),
        validation,
    )


def validation_measure(est, X_val, y_val, Y_val, sw_val, params, units, reg):
    """The function that measures the network being trained on the
    validation data: ``est``'s ``scoring`` score and the objective J there."""
    data = engine.training_data(X_val, Y_val, sw_val, params.dtype)
    sw_val = data.sample_weight
    settings = est._settings(1)
    scorer = None
    if est.scoring not in (None, "loss"):
        scorer = check_scoring(est, scoring=est.scoring)

    def measure():
        loss = engine.data_loss(data, params, units, settings)
        loss += engine.penalty_value(params, units, reg)
        if est.scoring == "loss":
            score = -loss
        elif scorer is None:
            score = est._score(X_val, y_val, sample_weight=sw_val)
        else:
            score = scorer(est, X_val, y_val, sample_weight=sw_val)
        return Validation(_checked_score(score, est.scoring, loss), float(loss))

    return measure


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
