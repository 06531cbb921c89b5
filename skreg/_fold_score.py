"""A fold model's default score (accuracy or R²), bit for bit scikit-learn's, without its checks.

A CV estimator scores the model of every rate on every fold: 50 scores for
the defaults.  On a table of a few hundred rows scikit-learn's ``score``
spent more time validating the test part, the parameters and the targets
than predicting (about a fifth of a whole CV fit, 263 rows x 22 features).
The test part is a slice of data the CV estimator already validated, and the
fold's models are this package's own, fitted moments before; so the score is
computed here from the prediction, with the same NumPy operations in the same
order as scikit-learn's ``accuracy_score`` and ``r2_score`` (the results are
equal to the last bit).  Where that cannot be promised (several outputs,
float32 targets or predictions, predictions that are not finite, fewer than
two rows for R², weights that are not float64), ``default_score`` returns
None and the caller asks scikit-learn.
"""

import numpy as np


def default_score(estimator, X, y, sample_weight=None, *, classifier):
    """``estimator.score(X, y, sample_weight)`` for a fitted network of this
    package (a classifier or not, as ``classifier`` says: asking scikit-learn
    costs more than the score on small data) and an ``X`` already validated
    (a float array, CSR or CSC, as a CV estimator's ``fit`` leaves it); None
    where this route does not apply."""
    if np.ndim(y) != 1 or not _usable_weights(sample_weight, y):
        return None
    if classifier:
        return _accuracy(y, estimator._predict(X, check_input=False), sample_weight)
    if y.dtype != np.float64 or y.shape[0] < 2:
        return None
    return _r2(y, estimator._predict(X, check_input=False), sample_weight)


def _usable_weights(sample_weight, y):
    """Weights scikit-learn would take as they are: None, or float64 of one
    entry per row."""
    return sample_weight is None or (
        isinstance(sample_weight, np.ndarray)
        and sample_weight.dtype == np.float64
        and sample_weight.shape == y.shape
    )


def _accuracy(y_true, y_pred, sample_weight):
    """The share of rows predicted right (weighted), as ``accuracy_score``:
    its average of the boolean matches."""
    if y_pred.ndim != 1:
        return None
    return float(np.average(y_true == y_pred, weights=sample_weight))


def _r2(y_true, y_pred, sample_weight):
    """R² of one output as ``r2_score`` (``force_finite``): on columns, sums
    over the rows' axis, 1 for a perfect prediction and 0 for a constant
    target that is missed."""
    if y_pred.dtype != np.float64 or y_pred.ndim != 1 or not np.isfinite(y_pred).all():
        return None
    y_true, y_pred = y_true.reshape(-1, 1), y_pred.reshape(-1, 1)
    weight = 1.0 if sample_weight is None else sample_weight[:, None]
    numerator = np.sum(weight * (y_true - y_pred) ** 2, axis=0)
    mean = np.average(y_true, axis=0, weights=sample_weight)
    denominator = np.sum(weight * (y_true - mean) ** 2, axis=0)
    scores = np.ones(1, dtype=numerator.dtype)
    valid = (denominator != 0) & (numerator != 0)
    scores[valid] = 1 - (numerator[valid] / denominator[valid])
    scores[(numerator != 0) & (denominator == 0)] = 0.0
    return float(np.average(scores))
