"""The linear skip connection (``skip_connection=True``): the output layer's
pre-activation gets ``X @ skip_coef_`` added, trained with the network.

Without hidden layers such a network is a linear model whose coefficients
are ``coefs_[0] + skip_coef_``, both penalized by ``alpha``: with L2 it is
ridge regression at half the rate (the penalty splits the coefficients
evenly between the two matrices), with L1 the lasso at the same rate.
"""

import copy

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.linear_model import Lasso, Ridge

import skreg._config as C
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
    _network,
    regularization_path,
)
from skreg import _engine as engine
from skreg._active_set import applies
from skreg._rate_grid import largest_rate
from skreg.exceptions import SearchWarning

import naive as N

ESTIMATORS = [RegularizedMLPClassifier, RegularizedMLPRegressor]


def linear_data(n=80, n_features=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    coef = np.array([2.0, -1.5, 0.0, 0.0, 1.0, 0.0])[:n_features]
    y = X @ coef + 0.5 + 0.1 * rng.normal(size=n)
    return X, y


def data_for(Estimator, seed=0):
    X, y = linear_data(seed=seed)
    if Estimator is RegularizedMLPClassifier:
        y = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    return X, y


def naive_output(est, X):
    """The reference network's output, skip included, as predict_proba or
    predict returns it."""
    coefs = [np.asarray(W, np.float64) for W in est.coefs_]
    intercepts = [np.asarray(b, np.float64) for b in est.intercepts_]
    logits = N.naive_skip_logits(X, coefs, intercepts, est.skip_coef_, est.activation)
    out = N.naive_output_transform(logits, est.out_activation_)
    if isinstance(est, RegularizedMLPClassifier) and out.shape[1] == 1:
        out = np.hstack([1 - out, out])
    return out if isinstance(est, RegularizedMLPClassifier) else out.ravel()


def network_output(est, X):
    if isinstance(est, RegularizedMLPClassifier):
        return est.predict_proba(X)
    return est.predict(X)


def test_no_hidden_layer_l2_is_ridge():
    """hidden_layer_sizes=() and a skip: J = mean half squared error +
    alpha/2 (|W|^2 + |Theta|^2), whose minimum splits the coefficients evenly,
    so the sum is the ridge solution at alpha / 2 (Ridge's scale: n alpha / 2)."""
    X, y = linear_data()
    alpha = 0.3
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(),
        skip_connection=True,
        solver="lbfgs",
        alpha=alpha,
        tol=0.0,
        max_iter=2000,
        random_state=0,
    ).fit(X, y)
    ridge = Ridge(alpha=X.shape[0] * alpha / 2).fit(X, y)
    coef = est.coefs_[0].ravel() + est.skip_coef_.ravel()
    np.testing.assert_allclose(coef, ridge.coef_, atol=1e-6)
    np.testing.assert_allclose(est.intercepts_[0], ridge.intercept_, atol=1e-6)
    np.testing.assert_allclose(est.coefs_[0].ravel(), est.skip_coef_.ravel(), atol=1e-6)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_no_hidden_layer_l1_has_the_lasso_support(solver):
    """With L1 the sum of the two matrices is the lasso at alpha: the same
    features are kept."""
    X, y = linear_data(n=200)
    alpha = 0.05
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(),
        skip_connection=True,
        solver=solver,
        penalty="l1",
        alpha=alpha,
        learning_rate_init=0.01,
        max_iter=400,
        n_iter_no_change=400,
        random_state=0,
    ).fit(X, y)
    lasso = Lasso(alpha=alpha).fit(X, y)
    coef = est.coefs_[0].ravel() + est.skip_coef_.ravel()
    np.testing.assert_array_equal(coef != 0, lasso.coef_ != 0)
    assert est.n_features_selected_ == np.sum(lasso.coef_ != 0)
    np.testing.assert_allclose(coef, lasso.coef_, atol=0.05)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_prediction_adds_the_linear_term(Estimator, solver):
    """predict / predict_proba are the reference network's output with
    X @ skip_coef_ added, fresh and refitted (a refit starts it afresh)."""
    X, y = data_for(Estimator)
    est = Estimator(
        hidden_layer_sizes=(5,),
        skip_connection=True,
        solver=solver,
        max_iter=30,
        learning_rate_init=0.01,
        random_state=0,
    )
    for _ in range(2):
        est.fit(X, y)
        assert est.skip_coef_.shape == (X.shape[1], est.n_outputs_)
        assert np.any(est.skip_coef_ != 0)
        np.testing.assert_allclose(network_output(est, X), naive_output(est, X), rtol=1e-9)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_without_skip_there_is_no_skip_coef(Estimator):
    X, y = data_for(Estimator)
    est = Estimator(hidden_layer_sizes=(4,), skip_connection=True, max_iter=5, random_state=0)
    est.fit(X, y)
    est.set_params(skip_connection=False).fit(X, y)
    assert not hasattr(est, "skip_coef_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_float32_and_weights(Estimator):
    """Sparse input trains the same network as dense input; float32 trains in
    float32; sample weights change the fit."""
    X, y = data_for(Estimator)
    X[np.abs(X) < 0.5] = 0.0
    params = dict(
        hidden_layer_sizes=(4,),
        skip_connection=True,
        max_iter=20,
        random_state=0,
        penalty="l1",
        alpha=0.01,
    )
    dense = Estimator(**params).fit(X, y)
    sparse = Estimator(**params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.skip_coef_, dense.skip_coef_, rtol=1e-6, atol=1e-9)
    single = Estimator(**params).fit(X.astype(np.float32), y)
    assert single.skip_coef_.dtype == np.float32
    np.testing.assert_allclose(single.skip_coef_, dense.skip_coef_, rtol=1e-2, atol=1e-3)
    sw = np.linspace(0.1, 2.0, X.shape[0])
    weighted = Estimator(**params).fit(X, y, sample_weight=sw)
    assert not np.allclose(weighted.skip_coef_, dense.skip_coef_)


def test_class_weight_changes_the_skip():
    X, y = data_for(RegularizedMLPClassifier)
    params = dict(hidden_layer_sizes=(4,), skip_connection=True, max_iter=20, random_state=0)
    plain = RegularizedMLPClassifier(**params).fit(X, y)
    weighted = RegularizedMLPClassifier(**params, class_weight={0: 5.0}).fit(X, y)
    assert not np.allclose(weighted.skip_coef_, plain.skip_coef_)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_and_warm_start_go_on_from_the_skip(Estimator):
    X, y = data_for(Estimator)
    params = dict(hidden_layer_sizes=(4,), skip_connection=True, random_state=0)
    whole = Estimator(**params, max_iter=6, shuffle=False, n_iter_no_change=100).fit(X, y)
    stepwise = Estimator(**params, max_iter=3, shuffle=False, n_iter_no_change=100)
    stepwise.fit(X, y)
    # a warm fit goes on from the weights (not from the optimizer's moments)
    warm = clone(stepwise).set_params(warm_start=True, max_iter=1)
    warm.fit(X, y)
    first = warm.skip_coef_.copy()
    warm.fit(X, y)
    assert not np.allclose(warm.skip_coef_, first)
    # partial_fit keeps the optimizer state: three more epochs equal six in a row
    classes = {"classes": np.unique(y)} if Estimator is RegularizedMLPClassifier else {}
    for _ in range(3):
        stepwise.partial_fit(X, y, **classes)
    np.testing.assert_allclose(stepwise.skip_coef_, whole.skip_coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_cannot_switch_the_skip(Estimator):
    X, y = data_for(Estimator)
    est = Estimator(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    before = [W.copy() for W in est.coefs_]
    est.set_params(warm_start=True, skip_connection=True)
    with pytest.raises(ValueError, match="skip_connection=True does not match"):
        est.fit(X, y)
    assert not hasattr(est, "skip_coef_")
    np.testing.assert_array_equal(est.coefs_[0], before[0])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_feature_counts_removed_only_when_both_rows_are_zero(Estimator):
    X, y = data_for(Estimator)
    est = Estimator(hidden_layer_sizes=(3,), skip_connection=True, max_iter=3, random_state=0)
    est.fit(X, y)
    est.coefs_[0][1] = 0.0
    est.coefs_[0][2] = 0.0
    est.skip_coef_[2] = 0.0
    used = np.ones(X.shape[1], dtype=bool)
    used[2] = False
    np.testing.assert_array_equal(est._features_in_use(), used)
    assert est.n_features_selected_ == X.shape[1] - 1
    assert est.feature_importances_[1] > 0
    assert est.feature_importances_[2] == 0
    # prediction leaves out the unused features' columns, and only those
    np.testing.assert_allclose(network_output(est, X), naive_output(est, X), rtol=1e-9)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_with_blocks_a_block_is_in_use_through_its_skip_weights(Estimator):
    """feature_groups and the skip together: a block is in use when a row of
    coefs_[0] or of skip_coef_ of any of its columns is non-zero, and its
    importance is the norm of both matrices' rows of the block."""
    X, y = data_for(Estimator)
    blocks = ["a", "a", "b", "b", "c", "c"]
    est = Estimator(
        hidden_layer_sizes=(3,),
        skip_connection=True,
        feature_groups=blocks,
        max_iter=3,
        random_state=0,
    )
    for _ in range(2):  # fresh and refitted
        est.fit(X, y)
        est.coefs_[0][2:] = 0.0  # blocks b and c leave the hidden layer
        est.skip_coef_[2:4] = 0.0  # b leaves the skip too; c stays there
        assert list(est.selected_groups_) == ["a", "c"]
        assert list(est.selected_features_) == ["x0", "x1", "x4", "x5"]
        importance = est.feature_importances_
        both = np.hstack([est.coefs_[0], est.skip_coef_])
        np.testing.assert_allclose(importance[4], np.linalg.norm(both[4:6]))
        np.testing.assert_array_equal(importance[2:4], 0.0)


def test_skip_rate_follows_the_first_layer():
    """A per-layer alpha: the skip matrix gets the first weight matrix's rate."""
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(3,),
        skip_connection=True,
        penalty="elasticnet",
        l1_ratio=0.25,
        alpha=[0.4, 0.1],
    )
    reg = est._regularization(2)
    assert reg.skip and reg.skip_l1 == pytest.approx(0.1) and reg.skip_l2 == pytest.approx(0.3)
    assert not est.set_params(skip_connection=False)._regularization(2).skip


def test_the_active_set_stays_off_with_a_skip():
    """The active set's reduced problem does not carry the skip's rows: a
    network with a skip trains in full."""
    est = RegularizedMLPRegressor(hidden_layer_sizes=(3,), penalty="l1", alpha=0.1)
    assert applies(est._regularization(2))
    assert not applies(est.set_params(skip_connection=True)._regularization(2))


@pytest.mark.parametrize("refit", [True, "ensemble"])
def test_cv_regressor_folds_the_target_scale_into_the_skip(refit):
    """scale_target trains on the standardized target: the chosen model's
    skip weights are put back in the target's unit with the rest."""
    X, y = linear_data(n=120)
    y = 1000.0 * y + 50.0
    est = RegularizedMLPRegressorCV(
        hidden_layer_sizes=(3,),
        skip_connection=True,
        alphas=3,
        cv=2,
        max_iter=200,
        path_max_iter=20,
        learning_rate_init=0.01,
        refit=refit,
        random_state=0,
    ).fit(X, y)
    assert est.score(X, y) > 0.95
    for network in getattr(est, "estimators_", [est]):
        np.testing.assert_allclose(network.predict(X), naive_output(network, X), rtol=1e-9)
        assert np.abs(network.skip_coef_).max() > 100  # in the target's unit


def test_cv_classifier_with_a_skip():
    X, y = data_for(RegularizedMLPClassifier)
    est = RegularizedMLPClassifierCV(
        hidden_layer_sizes=(3,),
        skip_connection=True,
        alphas=3,
        cv=2,
        max_iter=50,
        path_max_iter=10,
        penalty="l1",
        random_state=0,
    ).fit(X, y)
    assert est.skip_coef_.shape == (X.shape[1], 3)
    np.testing.assert_allclose(est.predict_proba(X), naive_output(est, X), rtol=1e-9)


@pytest.mark.parametrize("search", ["cv", "path"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_group_path_beside_a_skip_says_it_removes_no_feature(Estimator, search):
    # The group term leaves skip_coef_ alone: every feature stays in use at
    # every rate, which the search says rather than reporting flat counts.
    X, y = data_for(Estimator)
    params = dict(hidden_layer_sizes=(3,), skip_connection=True, max_iter=5, random_state=0)
    with pytest.warns(SearchWarning, match="removes no input feature"):
        if search == "cv":
            cv = RegularizedMLPClassifierCV if Estimator is RegularizedMLPClassifier else None
            cv = cv or RegularizedMLPRegressorCV
            est = cv(path_param="group_alpha", alphas=[1e-2, 1e3], cv=2, path_max_iter=2, **params)
            est.fit(X, y)
            assert np.all(est.cv_results_["mean_n_features_selected"] == X.shape[1])
        else:
            path = regularization_path(
                X, y, estimator=Estimator(**params), path_param="group_alpha", alphas=[1e-2, 1e3]
            )
            assert np.all(path.n_features_selected == X.shape[1])


# --------------------------------------------------------------------------
# The hierarchy: |coefs_[0][j, k]| <= M ||skip_coef_[j]||
# --------------------------------------------------------------------------


def hierarchy_holds(est):
    """Every feature's first-layer weights within M times its skip norm."""
    reach = est.hierarchy * np.linalg.norm(np.asarray(est.skip_coef_, np.float64), axis=1)
    return bool(np.all(np.abs(est.coefs_[0]).max(axis=1) <= reach + 1e-12))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_hierarchy_holds_after_every_epoch(Estimator, solver):
    """Epoch by epoch (partial_fit), fresh and refitted."""
    X, y = data_for(Estimator)
    est = Estimator(
        hidden_layer_sizes=(6,),
        skip_connection=True,
        hierarchy=0.5,
        skip_alpha=0.01,
        solver=solver,
        learning_rate_init=0.01,
        random_state=0,
    )
    classes = {"classes": np.unique(y)} if Estimator is RegularizedMLPClassifier else {}
    for _ in range(2):
        est.fit(X, y)
        assert hierarchy_holds(est)
        for _ in range(5):
            est.partial_fit(X, y, **classes)
            assert hierarchy_holds(est)
        # the constraint binds: without it some weights would be larger
        assert np.any(np.abs(est.coefs_[0]) > 0)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_hierarchy_removes_features_with_their_skip(Estimator):
    """A large skip_alpha zeroes skip rows, and the hierarchy their
    first-layer rows with them: those features count as removed."""
    X, y = data_for(Estimator)
    est = Estimator(
        hidden_layer_sizes=(6,),
        skip_connection=True,
        hierarchy=1.0,
        skip_alpha=0.3,
        learning_rate_init=0.01,
        max_iter=100,
        random_state=0,
    ).fit(X, y)
    gone = ~np.any(est.skip_coef_ != 0, axis=1)
    assert 0 < gone.sum() < X.shape[1]
    assert not np.any(est.coefs_[0][gone])
    assert est.n_features_selected_ == X.shape[1] - gone.sum()
    np.testing.assert_array_equal(est.feature_importances_ == 0, gone)
    np.testing.assert_allclose(network_output(est, X), naive_output(est, X), rtol=1e-9)


def test_hierarchy_penalty_is_in_the_objective():
    """J holds skip_alpha times the sum of the skip rows' norms, and
    neither alpha term on the skip."""
    rng = np.random.default_rng(3)
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(3,), skip_connection=True, hierarchy=2.0, skip_alpha=0.7, alpha=0.2
    )
    reg = est._regularization(2)
    coefs = [rng.normal(size=(4, 3)), rng.normal(size=(3, 2))]
    skip = rng.normal(size=(4, 2))
    params = _network.pack(coefs, [np.zeros(3), np.zeros(2)], np.float64, skip)
    expected = N.naive_penalty_value(coefs, 0.2) + 0.7 * np.linalg.norm(skip, axis=1).sum()
    np.testing.assert_allclose(engine.penalty_value(params, np.array([4, 3, 2]), reg), expected)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(hierarchy=0.0), "hierarchy"),
        (dict(hierarchy=-1.0), "hierarchy"),
        (dict(hierarchy=np.nan), "hierarchy"),
        (dict(hierarchy=np.inf), "hierarchy"),
        (dict(hierarchy=1.0, skip_connection=False), "needs skip_connection=True"),
        (dict(hierarchy=1.0, solver="lbfgs"), "solver='lbfgs'.*hierarchy"),
        (dict(skip_alpha=0.1), "skip_alpha=0.1 .*needs hierarchy"),
        (dict(skip_alpha=-0.1, hierarchy=1.0), "skip_alpha"),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_bad_hierarchy_names_the_parameter_and_changes_nothing(Estimator, params, message):
    X, y = data_for(Estimator)
    est = Estimator(hidden_layer_sizes=(3,), skip_connection=True, max_iter=3, random_state=0)
    est.fit(X, y)
    before = copy.deepcopy(vars(est))
    with pytest.raises(ValueError, match=message):
        est.set_params(**params).fit(X, y)
    np.testing.assert_array_equal(est.skip_coef_, before["skip_coef_"])
    np.testing.assert_array_equal(est.coefs_[0], before["coefs_"][0])
    assert sorted(vars(est)) == sorted(before)


def test_the_record_refuses_an_infinite_hierarchy():
    """The estimators' constraints refuse inf first; the record's builder too."""
    with pytest.raises(ValueError, match="hierarchy must be None or a positive finite float"):
        C.regularization(2, skip_connection=True, hierarchy=np.inf)


# --------------------------------------------------------------------------
# Paths and CV estimators along the hierarchy's rate
# --------------------------------------------------------------------------

HIERARCHY = dict(
    hidden_layer_sizes=(6,), skip_connection=True, hierarchy=1.0, learning_rate_init=0.01
)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_the_largest_skip_rate_removes_every_feature(Estimator):
    """Above the automatic grid's top rate the network with every feature
    removed is stationary; training gets there from the dense start at
    twice that rate (just above it, adam's per-coordinate steps can keep a
    few features), and well below it some features stay."""
    X, y = data_for(Estimator)
    est = Estimator(**HIERARCHY, max_iter=300, random_state=0)
    top = largest_rate(est, X, y, path_param="skip_alpha")
    assert est.set_params(skip_alpha=2 * top).fit(X, y).n_features_selected_ == 0
    assert est.set_params(skip_alpha=0.2 * top).fit(X, y).n_features_selected_ > 0


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_path_along_the_skip_rate(Estimator):
    X, y = data_for(Estimator)
    est = Estimator(**HIERARCHY, max_iter=100, random_state=0)
    path = regularization_path(X, y, estimator=est, path_param="skip_alpha", n_alphas=4)
    assert path.path_param == "skip_alpha"
    assert np.all(np.diff(path.alphas) > 0)
    assert path.n_features_selected[0] > path.n_features_selected[-1]
    # each step's skip matrix: with its first layer, it tells the features in use
    assert len(path.skip_coefs) == len(path.alphas)
    for coefs, skip, active in zip(path.coefs, path.skip_coefs, path.active_features):
        assert skip.shape == (X.shape[1], coefs[-1].shape[1])
        used = np.any(coefs[0] != 0, axis=1) | np.any(skip != 0, axis=1)
        np.testing.assert_array_equal(used, active)
        # the hierarchy's constraint holds at every step
        bound = HIERARCHY["hierarchy"] * np.linalg.norm(skip, axis=1)
        assert np.all(np.max(np.abs(coefs[0]), axis=1) <= bound + 1e-12)
    plain = regularization_path(X, y, estimator=Estimator(max_iter=20), n_alphas=2)
    assert plain.skip_coefs is None


@pytest.mark.parametrize("Estimator", [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV])
def test_cv_along_the_skip_rate(Estimator):
    X, y = data_for(Estimator._base_class)
    est = Estimator(
        **HIERARCHY,
        path_param="skip_alpha",
        alphas=4,
        cv=2,
        max_iter=60,
        path_max_iter=10,
        random_state=0,
    ).fit(X, y)
    assert est.alpha_ in est.alphas_ and "param_skip_alpha" in est.cv_results_
    assert est.selection_rule_ == "best"
    assert hierarchy_holds(est)
    np.testing.assert_allclose(network_output(est, X), naive_output(est, X), rtol=1e-9)


@pytest.mark.parametrize(
    "params", [dict(skip_connection=False), dict(hierarchy=None)], ids=["no skip", "no hierarchy"]
)
def test_a_skip_rate_path_needs_the_hierarchy(params):
    X, y = data_for(RegularizedMLPRegressor)
    settings = {**HIERARCHY, **params}
    with pytest.raises(ValueError, match="path_param='skip_alpha'"):
        regularization_path(
            X, y, estimator=RegularizedMLPRegressor(**settings), path_param="skip_alpha"
        )
    est = RegularizedMLPRegressorCV(**settings, path_param="skip_alpha", alphas=3, cv=2)
    with pytest.raises(ValueError, match="path_param='skip_alpha'"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")
