"""Regularization paths, the automatic grid and the CV estimators."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skreg._base
import skreg._path as P
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
    regularization_path,
)


@pytest.fixture(scope="module")
def few_informative():
    """Four informative features first, then eight of noise, standardized."""
    X, y = make_classification(
        n_samples=300,
        n_features=12,
        n_informative=4,
        n_redundant=0,
        shuffle=False,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


def small(Est=RegularizedMLPClassifier, **params):
    return Est(**{"hidden_layer_sizes": (16,), "random_state": 0, "max_iter": 60, **params})


# --------------------------------------------------------------------------
# The path
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path_param", ["alpha", "group_alpha"])
def test_the_first_step_is_a_plain_fit(few_informative, path_param):
    X, y = few_informative
    est = small(penalty="l1")
    rates = [1e-4, 1e-3, 1e-2]
    path = regularization_path(X, y, estimator=est, path_param=path_param, alphas=rates)
    plain = (
        clone(est)
        .set_params(**{path_param: 1e-4} if path_param == "alpha" else {"group_alpha": [1e-4, 0.0]})
        .fit(X, y)
    )
    for a, b in zip(path.coefs[0] + path.intercepts[0], plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert path.n_iter[0] == plain.n_iter_


def test_each_step_starts_from_the_previous_weights(few_informative, monkeypatch):
    X, y = few_informative
    starts = []
    run = skreg._base.BaseRegularizedMLP._run_stochastic

    def record(self, params, *args, **kwargs):
        starts.append(params.copy())
        return run(self, params, *args, **kwargs)

    monkeypatch.setattr(skreg._base.BaseRegularizedMLP, "_run_stochastic", record)
    trainer = P.PathTrainer(small(penalty="l1"), "alpha", path_max_iter=7)
    steps = trainer.run(X, y, None, [1e-4, 1e-3, 3e-3, 1e-2])
    # the first step is a fit (its start is the random initialization); each
    # later one starts exactly where the one before ended
    for start, previous in zip(starts[1:], steps[:-1]):
        np.testing.assert_array_equal(start, previous.params)
    assert all(step.n_iter <= 7 for step in steps[1:])
    assert steps[0].n_iter > 7  # the first step trains as a fit does


def test_a_dead_network_is_not_trained_further(few_informative):
    X, y = few_informative
    path = regularization_path(
        X,
        y,
        estimator=small(),
        path_param="group_alpha",
        alphas=[1e-4, 10.0, 20.0, 40.0],
        path_max_iter=200,
    )
    dead = np.flatnonzero(path.n_features_selected == 0)
    assert dead.size and dead[0] < 3
    assert np.all(path.n_iter[dead[0] + 1 :] == 0)
    for later in path.coefs[dead[0] + 1 :]:
        for a, b in zip(later, path.coefs[dead[0]]):
            np.testing.assert_array_equal(a, b)


def test_path_reports_sparsity_per_rate(few_informative):
    X, y = few_informative
    path = regularization_path(X, y, estimator=small(penalty="l1"), n_alphas=5, path_max_iter=30)
    assert path.alphas.shape == (5,) and np.all(np.diff(path.alphas) > 0)
    for k in range(5):
        zeros = np.mean(np.concatenate([W.ravel() == 0 for W in path.coefs[k]]))
        assert path.sparsity[k] == pytest.approx(zeros)
        np.testing.assert_array_equal(path.active_features[k], np.any(path.coefs[k][0], axis=1))
        assert path.n_features_selected[k] == path.active_features[k].sum()
        assert path.active_hidden_units[k, 0] == np.any(path.coefs[k][1], axis=1).sum()
    assert np.all(np.isfinite(path.objective))
    assert path.sparsity[-1] > path.sparsity[0]


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(early_stopping=True), "early_stopping=False"),
        (dict(group_alpha=[0.0, 0.0]), "group_alpha"),
    ],
)
def test_path_refuses_what_it_cannot_do(few_informative, params, message):
    X, y = few_informative
    with pytest.raises(ValueError, match=message):
        regularization_path(
            X, y, estimator=small(**params), path_param="group_alpha", alphas=[1e-3]
        )


def test_layer_pattern():
    est = small()
    np.testing.assert_array_equal(P.layer_pattern(est, "alpha", 3), [1, 1, 1])
    np.testing.assert_array_equal(P.layer_pattern(est, "group_alpha", 3), [1, 0, 0])
    est.set_params(alpha=[2.0, 1.0, 0.0])
    np.testing.assert_array_equal(P.layer_pattern(est, "alpha", 3), [1.0, 0.5, 0.0])


# --------------------------------------------------------------------------
# The automatic grid
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path_param, penalty", [("alpha", "l1"), ("group_alpha", "l2")])
def test_grid_ends_on_scaled_and_standardized_data(few_informative, path_param, penalty):
    """The grid follows the data's scale, and on either scale its smallest
    rate keeps every feature while its largest removes (nearly) everything."""
    X, y = few_informative
    est = small(penalty=penalty, max_iter=200)
    grids = {}
    for name, data in (("standardized", X), ("scaled", 20 * X + 3)):
        grid = P.rate_grid(est, data, y, path_param=path_param, n_alphas=5, eps=1e-3)
        grids[name] = grid
        assert grid[-1] == pytest.approx(1000 * grid[0])
        fits = [
            clone(est).set_params(**_at(path_param, rate)).fit(data, y) for rate in grid[[0, -1]]
        ]
        assert fits[0].n_features_selected_ == X.shape[1]
        assert fits[1].n_features_selected_ <= X.shape[1] // 6  # "nearly": a sixth at most
        if path_param == "alpha":
            assert np.mean(np.concatenate([W.ravel() == 0 for W in fits[1].coefs_])) > 0.95
    assert not np.allclose(grids["standardized"], grids["scaled"], rtol=0.1)


def _at(path_param, rate):
    return {"alpha": rate} if path_param == "alpha" else {"group_alpha": [rate, 0.0]}


def test_grid_of_a_regressor_and_l2(few_informative):
    X, _ = few_informative
    y = X[:, 0] - 2 * X[:, 1]
    l1 = P.largest_rate(small(RegularizedMLPRegressor, penalty="l1"), X, y)
    l2 = P.largest_rate(small(RegularizedMLPRegressor, penalty="l2"), X, y)
    enet = P.largest_rate(small(RegularizedMLPRegressor, penalty="elasticnet", l1_ratio=0.5), X, y)
    # the L1 share divides the gradient; L2 uses the floor of 1e-3, as glmnet
    assert enet == pytest.approx(2 * l1)
    assert l2 == pytest.approx(1000 * l1)


# --------------------------------------------------------------------------
# The CV estimators
# --------------------------------------------------------------------------


def test_cv_results_agree_with_cross_val_score_without_warm_starts(few_informative):
    X, y = few_informative
    rates = [1e-4, 3e-3, 3e-2]
    cv = StratifiedKFold(3)
    est = RegularizedMLPClassifierCV(
        hidden_layer_sizes=(8,),
        penalty="l1",
        alphas=rates,
        cv=cv,
        max_iter=30,
        random_state=0,
        path_warm_start=False,
    ).fit(X, y)
    for k, rate in enumerate(rates):
        base = RegularizedMLPClassifier(
            hidden_layer_sizes=(8,), penalty="l1", alpha=rate, max_iter=30, random_state=0
        )
        expected = cross_val_score(base, X, y, cv=cv)
        got = [est.cv_results_[f"split{i}_test_score"][k] for i in range(3)]
        np.testing.assert_array_equal(got, expected)


def test_cv_estimator_is_the_full_data_path_at_the_chosen_rate(few_informative):
    X, y = few_informative
    settings = dict(
        hidden_layer_sizes=(8,), penalty="l1", max_iter=40, random_state=0, learning_rate_init=0.01
    )
    est = RegularizedMLPClassifierCV(alphas=4, cv=3, path_max_iter=20, **settings).fit(X, y)
    path = regularization_path(
        X, y, alphas=est.alphas_, path_max_iter=20, estimator=RegularizedMLPClassifier(**settings)
    )
    k = int(np.flatnonzero(est.alphas_ == est.alpha_)[0])
    for a, b in zip(est.coefs_, path.coefs[k]):
        np.testing.assert_array_equal(a, b)
    assert est.n_iter_ == path.n_iter[: k + 1].sum()
    assert len(est.loss_curve_) == est.n_iter_
    # it predicts, scores and prunes itself
    proba = est.predict_proba(X)
    assert est.score(X, y) > 0.8
    assert est.sparsity_[0] == pytest.approx(np.mean(est.coefs_[0] == 0))
    np.testing.assert_allclose(est.prune().predict_proba(X), proba, rtol=1e-10, atol=1e-12)
    assert not hasattr(est, "partial_fit")


def test_cv_results_layout(few_informative):
    X, y = few_informative
    est = RegularizedMLPClassifierCV(
        hidden_layer_sizes=(8,),
        penalty="elasticnet",
        l1_ratio=[0.2, 0.8],
        alphas=3,
        cv=2,
        max_iter=20,
        path_max_iter=5,
        random_state=0,
    ).fit(X, y)
    results = est.cv_results_
    assert est.alphas_.shape == (2, 3)
    assert len(results["params"]) == 6
    np.testing.assert_array_equal(results["param_l1_ratio"], [0.2] * 3 + [0.8] * 3)
    np.testing.assert_array_equal(results["param_alpha"], est.alphas_.ravel())
    splits = np.column_stack([results["split0_test_score"], results["split1_test_score"]])
    np.testing.assert_allclose(results["mean_test_score"], splits.mean(axis=1))
    np.testing.assert_allclose(results["std_test_score"], splits.std(axis=1))
    for name in ("n_features_selected", "sparsity", "fit_time", "n_iter"):
        assert results[f"mean_{name}"].shape == (6,)
    assert results["rank_test_score"][np.argmax(results["mean_test_score"])] == 1
    assert est.l1_ratio_ in (0.2, 0.8)
    assert est.alpha_ in est.alphas_


def test_one_standard_error_rule_picks_the_sparsest_model_within_one_se():
    est = RegularizedMLPClassifierCV(selection_rule="1se")
    results = {
        "param_alpha": np.array([1e-4, 1e-3, 1e-2, 1e-1]),
        "mean_test_score": np.array([0.90, 0.92, 0.905, 0.70]),
        "std_test_score": np.array([0.01, 0.04, 0.01, 0.01]),
        "mean_sparsity": np.array([0.1, 0.3, 0.6, 0.99]),
    }
    # best 0.92 with standard error 0.04 / sqrt(4) = 0.02: rates 0, 1, 2 qualify
    assert est._choose(results, n_folds=4) == 2
    est.set_params(selection_rule="best")
    assert est._choose(results, n_folds=4) == 1


def test_one_se_through_fit_is_never_less_sparse_than_best(few_informative):
    X, y = few_informative
    params = dict(
        hidden_layer_sizes=(8,),
        penalty="l1",
        alphas=5,
        cv=3,
        max_iter=40,
        path_max_iter=15,
        random_state=0,
    )
    best = RegularizedMLPClassifierCV(**params).fit(X, y)
    one_se = RegularizedMLPClassifierCV(selection_rule="1se", **params).fit(X, y)
    results = one_se.cv_results_
    chosen = np.flatnonzero(results["param_alpha"] == one_se.alpha_)[0]
    top = np.argmax(results["mean_test_score"])
    se = results["std_test_score"][top] / np.sqrt(3)
    assert results["mean_test_score"][chosen] >= results["mean_test_score"][top] - se
    assert (
        results["mean_sparsity"][chosen]
        >= results["mean_sparsity"][np.flatnonzero(results["param_alpha"] == best.alpha_)[0]]
    )


def test_same_random_state_same_results_with_one_and_two_jobs(few_informative):
    X, y = few_informative
    params = dict(
        hidden_layer_sizes=(8,),
        penalty="l1",
        alphas=4,
        cv=3,
        max_iter=30,
        path_max_iter=10,
        random_state=0,
    )
    one = RegularizedMLPClassifierCV(n_jobs=1, **params).fit(X, y)
    two = RegularizedMLPClassifierCV(n_jobs=2, **params).fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "mean_sparsity", "mean_n_iter"):
        np.testing.assert_array_equal(one.cv_results_[key], two.cv_results_[key])
    for a, b in zip(one.coefs_, two.coefs_):
        np.testing.assert_array_equal(a, b)


def test_regressor_cv(few_informative):
    X, _ = few_informative
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * np.random.default_rng(0).normal(size=len(X))
    est = RegularizedMLPRegressorCV(
        hidden_layer_sizes=(8,),
        penalty="l1",
        alphas=4,
        cv=3,
        max_iter=60,
        path_max_iter=20,
        random_state=0,
        learning_rate_init=0.01,
        scoring="neg_mean_squared_error",
    ).fit(X, y)
    assert np.all(est.cv_results_["mean_test_score"] <= 0)
    assert est.predict(X).shape == y.shape


def test_cv_estimator_in_pipeline_and_in_a_grid_search(few_informative):
    X, y = few_informative
    pipe = make_pipeline(
        StandardScaler(),
        RegularizedMLPClassifierCV(
            penalty="l1", alphas=3, cv=2, max_iter=20, path_max_iter=5, random_state=0
        ),
    )
    search = GridSearchCV(
        pipe, {"regularizedmlpclassifiercv__hidden_layer_sizes": [(4,), (8,)]}, cv=2
    ).fit(X, y)
    assert search.best_estimator_[-1].coefs_[0].shape[1] in (4, 8)


# --------------------------------------------------------------------------
# Feature importances
# --------------------------------------------------------------------------


def test_feature_importances_and_select_from_model(few_informative):
    X, y = few_informative
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(16,),
        group_alpha=[0.02, 0.0],
        random_state=0,
        max_iter=200,
        learning_rate_init=0.01,
    ).fit(X, y)
    importances = est.feature_importances_
    np.testing.assert_allclose(importances, np.linalg.norm(est.coefs_[0], axis=1))
    assert np.all(importances >= 0)
    np.testing.assert_array_equal(importances == 0, ~est.active_units_[0])
    assert 0 < np.sum(importances == 0) < X.shape[1]
    selector = SelectFromModel(clone(est)).fit(X, y)
    kept = selector.get_support()
    # the default threshold is the mean importance: removed features never pass it
    assert not np.any(kept & (importances == 0))
    assert make_pipeline(SelectFromModel(clone(est)), clone(est)).fit(X, y).score(X, y) > 0.8
    cv = RegularizedMLPClassifierCV(
        hidden_layer_sizes=(8,),
        path_param="group_alpha",
        alphas=3,
        cv=2,
        max_iter=30,
        path_max_iter=10,
        random_state=0,
    )
    assert SelectFromModel(cv).fit(X, y).get_support().sum() >= 1
