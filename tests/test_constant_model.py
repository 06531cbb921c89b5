"""A network whose penalty removed every input predicts the best constant:
the class frequencies or the mean target, after a plain fit as after a path."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

# A rate that zeroes every weight within a few updates.
DEAD = dict(hidden_layer_sizes=(4,), penalty="l1", alpha=1e4, max_iter=30, random_state=0)


@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(
        n_samples=200, n_features=5, weights=[0.85, 0.15], flip_y=0, random_state=0
    )
    return X, y


@pytest.mark.parametrize("warm", [False, True])
def test_a_featureless_classifier_predicts_the_class_frequencies(imbalanced, warm):
    X, y = imbalanced
    clf = RegularizedMLPClassifier(**DEAD)
    if warm:  # a refit from a trained network, warm-started
        clf.set_params(alpha=1e-4).fit(X, y)
        clf.set_params(alpha=1e4, warm_start=True)
    clf.fit(X, y)
    assert clf.n_features_selected_ == 0
    frequencies = np.bincount(y) / len(y)
    np.testing.assert_allclose(clf.predict_proba(X[:3]), np.tile(frequencies, (3, 1)), atol=1e-9)
    assert np.all(clf.predict(X) == 0)


def test_a_featureless_multiclass_classifier_weights_its_samples():
    X, y = make_classification(
        n_samples=150, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    weights = np.linspace(0.5, 2.0, len(y))
    clf = RegularizedMLPClassifier(**DEAD).fit(X, y, sample_weight=weights)
    frequencies = np.bincount(y, weights=weights) / weights.sum()
    np.testing.assert_allclose(clf.predict_proba(X[:2]), np.tile(frequencies, (2, 1)), atol=1e-9)


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_a_featureless_regressor_predicts_the_mean(imbalanced, n_outputs):
    X, _ = imbalanced
    rng = np.random.default_rng(0)
    y = 100.0 + rng.normal(size=(len(X), n_outputs)) + X[:, :n_outputs]
    y = y.ravel() if n_outputs == 1 else y
    reg = RegularizedMLPRegressor(**DEAD).fit(X, y)
    assert reg.n_features_selected_ == 0
    np.testing.assert_allclose(reg.predict(X[:3]), np.tile(y.mean(axis=0), (3, 1)).squeeze())


def test_a_poisson_regressor_predicts_the_mean_count(imbalanced):
    X, _ = imbalanced
    y = np.random.default_rng(1).poisson(7.0, size=len(X)).astype(float)
    reg = RegularizedMLPRegressor(loss="poisson", **DEAD).fit(X, y)
    np.testing.assert_allclose(reg.predict(X[:3]), np.full(3, y.mean()), rtol=1e-9)


def test_a_pruned_featureless_network_predicts_without_warnings(imbalanced):
    X, y = imbalanced
    clf = RegularizedMLPClassifier(**DEAD).fit(X, y)
    clf.prune()  # every layer emptied
    assert [W.shape[1] for W in clf.coefs_[:-1]] == [0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = clf.predict_proba(X[:3])
    np.testing.assert_allclose(proba[:, 1], np.full(3, np.mean(y)), atol=1e-9)
