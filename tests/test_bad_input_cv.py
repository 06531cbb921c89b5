"""The CV estimators and ``regularization_path`` on bad input and edge cases:
a clear error naming the culprit, or a model that agrees with its own
cross-validation."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
    regularization_path,
)

CV_BOTH = (RegularizedMLPClassifierCV, RegularizedMLPRegressorCV)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    return X, y


def tiny(Est, **params):
    """A CV estimator small enough for a test."""
    defaults = dict(hidden_layer_sizes=(4,), max_iter=5, path_max_iter=2, alphas=3, cv=2)
    return Est(**{**defaults, "random_state": 0, **params})


def targets(Est, y):
    return y * 1.0 if Est is RegularizedMLPRegressorCV else y


# --------------------------------------------------------------------------
# A network with no input left predicts the best constant
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unscaled_imbalanced():
    """Unscaled columns (the path's rates are huge) and a 9:1 class balance."""
    X, y = make_classification(
        n_samples=200, n_features=6, weights=[0.9, 0.1], flip_y=0, random_state=0
    )
    return X * 1e6, y


def test_a_featureless_classifier_predicts_the_class_frequencies(unscaled_imbalanced):
    X, y = unscaled_imbalanced
    est = tiny(
        RegularizedMLPClassifierCV, penalty="l1", max_iter=20, alphas=[1e8, 1e9, 1e10]
    ).fit(X, y)
    assert est.n_features_selected_ == 0
    np.testing.assert_allclose(est.predict_proba(X), np.tile([0.9, 0.1], (len(X), 1)), atol=1e-6)
    # the refit scores as its folds did: the majority rate
    assert est.score(X, y) == pytest.approx(est.cv_results_["mean_test_score"].max())


def test_a_featureless_regressor_predicts_the_weighted_mean(unscaled_imbalanced):
    X, _ = unscaled_imbalanced
    y = 5.0 + X[:, 0] / 1e6
    weights = np.linspace(0.5, 2.0, len(y))
    est = RegularizedMLPRegressor(hidden_layer_sizes=(4, 3), penalty="l1", max_iter=5)
    path = regularization_path(X, y, estimator=est, alphas=[1e12], sample_weight=weights)
    assert path.n_features_selected[0] == 0
    est.coefs_, est.intercepts_ = path.coefs[0], path.intercepts[0]
    est.n_features_in_, est.out_activation_ = X.shape[1], "identity"
    np.testing.assert_allclose(est.predict(X[:3]), np.average(y, weights=weights), rtol=1e-9)


def test_a_featureless_multiclass_path_predicts_the_class_frequencies(unscaled_imbalanced):
    X, _ = unscaled_imbalanced
    y = np.r_[[0] * 100, [1] * 60, [2] * 40]
    est = RegularizedMLPClassifier(hidden_layer_sizes=(4,), penalty="l1", max_iter=5)
    path = regularization_path(X, y, estimator=est, alphas=[1e12])
    assert path.n_features_selected[0] == 0
    logits = path.intercepts[0][-1] + np.maximum(path.intercepts[0][0], 0) @ path.coefs[0][1]
    probabilities = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(probabilities, [0.5, 0.3, 0.2], rtol=1e-9)
