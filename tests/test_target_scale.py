"""The CV regressor trains on a scaled target and folds the scale back into
its output layer (``scale_target``): the fitted network predicts in the
target's unit, and the search does not depend on that unit."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skreg import (
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)
from skreg._target import TargetScale, scaled_target

SMALL = dict(hidden_layer_sizes=(8,), alphas=4, cv=3, max_iter=60, path_max_iter=5)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(n_outputs=1):
    X, y = make_friedman1(n_samples=120, n_features=6, noise=0.5, random_state=0)
    if n_outputs == 2:
        y = np.column_stack([y, 2.0 * X[:, 0] - X[:, 1]])
    return X, y


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_folding_gives_the_scaled_networks_predictions_unscaled(n_outputs):
    X, y = _data(n_outputs)
    y = 300.0 * y + 40.0
    w = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    y_scaled, scale = scaled_target(y, w, "identity")
    Y = np.reshape(y_scaled, (len(y), -1))
    assert np.allclose(np.average(Y, axis=0, weights=w), 0, atol=1e-12)
    assert np.allclose(np.average(Y**2, axis=0, weights=w), 1)
    est = RegularizedMLPRegressor(hidden_layer_sizes=(5,), max_iter=30, random_state=0).fit(
        X, y_scaled
    )
    expected = np.reshape(est.predict(X), (len(y), -1)) * scale.scale + scale.shift
    scale.fold_into(est)
    assert np.allclose(np.reshape(est.predict(X), (len(y), -1)), expected, rtol=1e-12)


def test_folding_a_poisson_network_moves_its_output_intercept():
    X, y = _data()
    y = np.round(50.0 * y)
    y_scaled, scale = scaled_target(y, None, "exp")
    assert scale.shift == 0 and np.isclose(np.mean(y_scaled), 1)
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(5,), loss="poisson", max_iter=30, random_state=0
    )
    est.fit(X, y_scaled)
    expected = est.predict(X) * scale.scale
    coefs = [W.copy() for W in est.coefs_]
    scale.fold_into(est)
    assert np.allclose(est.predict(X), expected, rtol=1e-12)
    assert all(np.array_equal(a, b) for a, b in zip(coefs, est.coefs_))


def test_a_constant_target_keeps_scale_one():
    scale = TargetScale.of(np.column_stack([np.full(5, 7.0), np.arange(5.0)]), None, "identity")
    assert scale.scale[0] == 1 and scale.shift[0] == 7
    assert TargetScale.of(np.zeros(4), None, "exp").scale[0] == 1


@pytest.mark.parametrize("link", ["identity", "exp"])
def test_a_target_whose_squares_overflow_has_a_finite_scale(link):
    # Near 1e200 the squares overflow where the values do not: the scale is
    # that of the same target in small units, times the unit.
    y = np.column_stack([np.linspace(1.0, 3.0, 7), np.r_[1.0, 2.0, 2.0, 5.0, 6.0, 6.5, 9.0]])
    weights = np.linspace(0.5, 2.0, 7)
    small = TargetScale.of(y, weights, link)
    large = TargetScale.of(y * 1e200, weights, link)
    np.testing.assert_allclose(large.scale, small.scale * 1e200, rtol=1e-14)
    np.testing.assert_allclose(large.shift, small.shift * 1e200, rtol=1e-14)
    np.testing.assert_allclose(large.transform(y * 1e200), small.transform(y), rtol=1e-13)


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_the_search_does_not_depend_on_the_targets_unit(penalty):
    X, y = _data()
    fits = [
        RegularizedMLPRegressorCV(**SMALL, penalty=penalty, random_state=0).fit(X, a * y + b)
        for a, b in ((1.0, 0.0), (1000.0, -50.0))
    ]
    assert np.isclose(fits[0].alpha_, fits[1].alpha_, rtol=1e-9)
    assert np.allclose(fits[0].alphas_, fits[1].alphas_)
    assert np.allclose(1000.0 * fits[0].predict(X) - 50.0, fits[1].predict(X), rtol=1e-6)
    assert np.allclose(
        fits[0].cv_results_["mean_test_score"], fits[1].cv_results_["mean_test_score"]
    )


def test_without_it_the_unit_moves_the_grid():
    X, y = _data()
    fits = [
        RegularizedMLPRegressorCV(**SMALL, scale_target=False, random_state=0).fit(X, a * y)
        for a in (1.0, 1000.0)
    ]
    assert not np.allclose(fits[0].alphas_, fits[1].alphas_)


def test_fold_scores_are_in_the_targets_unit():
    """The folds score the folded networks: a mean squared error grows with
    the square of the target's unit."""
    X, y = _data()
    fits = [
        RegularizedMLPRegressorCV(**SMALL, scoring="neg_mean_squared_error", random_state=0).fit(
            X, a * y
        )
        for a in (1.0, 100.0)
    ]
    first, second = (f.cv_results_["mean_test_score"] for f in fits)
    assert np.allclose(1e4 * first, second, rtol=1e-6)


def test_a_target_in_the_thousands_is_fitted_as_well_as_a_standardized_one():
    X, y = _data()
    scaled = RegularizedMLPRegressorCV(**SMALL, random_state=0).fit(X, 2000.0 * y)
    raw = RegularizedMLPRegressorCV(**SMALL, scale_target=False, random_state=0).fit(X, 2000.0 * y)
    assert scaled.score(X, 2000.0 * y) > raw.score(X, 2000.0 * y) + 0.1


def test_multi_output_and_sample_weight_and_refit():
    X, y = _data(2)
    w = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    est = RegularizedMLPRegressorCV(**SMALL, random_state=0)
    first = est.fit(X, 10.0 * y, sample_weight=w).predict(X)
    refit = est.fit(X, 1000.0 * y, sample_weight=w).predict(X)
    assert np.allclose(100.0 * first, refit, rtol=1e-6)
    assert refit.shape == y.shape


def test_poisson_search_does_not_depend_on_the_targets_unit():
    X, y = _data()
    counts = np.round(3.0 * y)
    fits = [
        RegularizedMLPRegressorCV(**SMALL, loss="poisson", random_state=0).fit(X, a * counts)
        for a in (1.0, 100.0)
    ]
    assert np.isclose(fits[0].alpha_, fits[1].alpha_, rtol=1e-9)
    assert np.allclose(100.0 * fits[0].predict(X), fits[1].predict(X), rtol=1e-6)


def test_scale_target_is_validated_and_the_classifier_has_none():
    X, y = _data()
    with pytest.raises(InvalidParameterError, match="scale_target"):
        RegularizedMLPRegressorCV(scale_target="yes").fit(X, y)
    assert "scale_target" not in RegularizedMLPClassifierCV().get_params()
    assert "scale_target" not in RegularizedMLPRegressorCV()._base_estimator().get_params()


def test_an_integer_target_is_scaled_in_floats():
    y_scaled, _ = scaled_target(np.array([1, 2, 3, 4]), None, "identity")
    assert y_scaled.dtype == np.float64 and np.allclose(y_scaled.std(), 1)


def test_a_float16_target_is_scaled_without_rounding():
    # The scaled values of a float16 target would keep 3 digits in float16;
    # the plain regressor trains on the target's values exactly.
    y = np.round(3 * np.random.RandomState(0).randn(40) + 100).astype(np.float16)
    scaled, scale = scaled_target(y, None, "identity")
    assert scaled.dtype == np.float64
    np.testing.assert_array_equal(scaled, scaled_target(y.astype(np.float64), None, "identity")[0])
    assert scaled_target(y.astype(np.float32), None, "identity")[0].dtype == np.float32
