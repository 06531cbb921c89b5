"""The CV estimators' 'auto' defaults: the feature-selection recipe on a
group_alpha path, the plain search on an alpha path."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)

SMALL = dict(hidden_layer_sizes=(8,), max_iter=30, alphas=4, cv=3, path_max_iter=10)
RECIPE = dict(selection_rule="1se", group_weights="adaptive")
PLAIN = dict(selection_rule="best", group_weights=None)
CV_ESTIMATORS = [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV]


@pytest.fixture(scope="module")
def data():
    """Three informative features first, then seven of noise, standardized;
    a class target and a continuous one."""
    X, y = make_classification(
        n_samples=240,
        n_features=10,
        n_informative=3,
        n_redundant=0,
        shuffle=False,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X)
    target = X[:, 0] - 2 * X[:, 1] + X[:, 2] + 0.1 * np.random.default_rng(0).normal(size=240)
    return X, {RegularizedMLPClassifierCV: y, RegularizedMLPRegressorCV: target}


def fitted(make, data, refitted=False, **params):
    """``make(**SMALL, **params)`` fitted; ``refitted``: first fitted on an
    alpha path with other parameters, then set to ``params`` and fitted again."""
    X, targets = data
    y = targets[make]
    est = make(random_state=0, **SMALL)
    if refitted:
        est.set_params(path_param="alpha", penalty="l1", group_alpha=1e-3).fit(X, y)
        est.set_params(penalty="l2", group_alpha=0.0)
    return est.set_params(**params).fit(X, y)


def assert_same_model(a, b):
    assert a.alpha_ == b.alpha_
    assert a.selection_rule_ == b.selection_rule_
    for W, V in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(W, V)
    if b.group_weights_ is None:
        assert a.group_weights_ is None
    else:
        np.testing.assert_array_equal(a.group_weights_, b.group_weights_)


def assert_same_results(a, b):
    assert a.cv_results_.keys() == b.cv_results_.keys()
    for key, value in a.cv_results_.items():
        if "fit_time" not in key:  # seconds differ from run to run
            np.testing.assert_array_equal(value, b.cv_results_[key], err_msg=key)


@pytest.mark.parametrize("make", CV_ESTIMATORS)
@pytest.mark.parametrize("refitted", [False, True], ids=["fresh", "refitted"])
def test_a_group_alpha_path_at_the_defaults_is_the_recipe(make, refitted, data):
    auto = fitted(make, data, refitted, path_param="group_alpha")
    recipe = fitted(make, data, path_param="group_alpha", **RECIPE)
    assert auto.selection_rule == "auto" and auto.group_weights == "auto"  # left as given
    assert auto.selection_rule_ == "1se"
    assert auto.group_weights_.shape == (10,) and np.min(auto.group_weights_) == 1.0
    assert_same_model(auto, recipe)
    assert_same_results(auto, recipe)
    # and not the plain search: the factors change the models
    plain = fitted(make, data, path_param="group_alpha", **PLAIN)
    assert plain.group_weights_ is None
    assert not np.array_equal(
        plain.cv_results_["mean_test_score"], auto.cv_results_["mean_test_score"]
    )


@pytest.mark.parametrize("make", CV_ESTIMATORS)
@pytest.mark.parametrize("refitted", [False, True], ids=["fresh", "refitted"])
def test_an_alpha_path_at_the_defaults_is_the_plain_search(make, refitted, data):
    # A group term is on, so adaptive factors would be accepted and change the models.
    params = dict(penalty="l1", group_alpha=1e-3)
    auto = fitted(make, data, refitted, **params)
    plain = fitted(make, data, **params, **PLAIN)
    assert auto.selection_rule_ == "best" and auto.group_weights_ is None
    assert_same_model(auto, plain)
    assert_same_results(auto, plain)


@pytest.mark.parametrize("make", CV_ESTIMATORS)
def test_the_defaults_of_a_fold_ensemble(make, data):
    X, _ = data
    auto = fitted(make, data, path_param="group_alpha", refit="ensemble")
    recipe = fitted(make, data, path_param="group_alpha", refit="ensemble", **RECIPE)
    assert auto.selection_rule_ == "1se" and auto.alpha_ == recipe.alpha_
    np.testing.assert_array_equal(auto.predict(X), recipe.predict(X))
    for a, b in zip(auto.estimators_, recipe.estimators_):  # each fold's own factors
        assert a.group_weights is not None
        np.testing.assert_array_equal(a.group_weights, b.group_weights)


@pytest.mark.parametrize("make", CV_ESTIMATORS)
def test_explicit_values_override_the_defaults(make, data):
    plain = fitted(make, data, path_param="group_alpha", **PLAIN)
    assert plain.selection_rule_ == "best" and plain.group_weights_ is None
    one_se = fitted(make, data, path_param="group_alpha", selection_rule="1se", group_weights=None)
    assert one_se.selection_rule_ == "1se" and one_se.group_weights_ is None
    factors = np.linspace(1.0, 2.0, 10)
    fixed = fitted(make, data, path_param="group_alpha", group_weights=factors)
    assert fixed.selection_rule_ == "1se"
    np.testing.assert_array_equal(fixed.group_weights_, factors)
    alpha_path = fitted(make, data, penalty="l1", group_alpha=1e-3, **RECIPE)
    assert alpha_path.selection_rule_ == "1se"
    assert alpha_path.group_weights_.shape == (10,)


@pytest.mark.parametrize("make", CV_ESTIMATORS)
@pytest.mark.parametrize(
    "params, message",
    [
        (dict(selection_rule="worst"), r"'selection_rule' parameter .*'auto'"),
        (dict(group_weights="adaptative"), r"'group_weights' parameter .*'auto'"),
        (dict(selection_rule=None), r"'selection_rule' parameter"),
    ],
)
def test_bad_values_are_refused(make, params, message, data):
    X, targets = data
    with pytest.raises(InvalidParameterError, match=message):
        make(**SMALL, **params).fit(X, targets[make])


@pytest.mark.parametrize("make", [RegularizedMLPClassifier, RegularizedMLPRegressor])
@pytest.mark.parametrize("value", ["auto", "adaptive"])
def test_the_plain_estimators_refuse_the_cv_values(make, value, data):
    X, targets = data
    with pytest.raises(InvalidParameterError, match="'group_weights' parameter"):
        make(group_alpha=1e-3, group_weights=value).fit(X, targets[RegularizedMLPClassifierCV])
