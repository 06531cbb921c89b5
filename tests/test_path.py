"""Regularization paths, the automatic grid and the CV estimators."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import skreg._base
import skreg._path as P
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
    regularization_path,
)
from skreg._cv_search import choose


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


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
@pytest.mark.parametrize("warm_start", [True, False])
def test_steps_train_on_plain_values_not_through_fit(few_informative, monkeypatch, Est, warm_start):
    """Every step, the first one too, is trained from the path's own values:
    the estimator's fit is never called and no rate is written into the
    path's estimator, yet the first step is a plain fit's model, fresh and
    when the path runs again."""
    X, y = few_informative
    y = y if Est is RegularizedMLPClassifier else y - y.mean()
    est = small(Est, penalty="l1", alpha=0.5, max_iter=15)
    plain = clone(est).set_params(alpha=1e-3).fit(X, y)

    def refused(self, *args, **kwargs):
        raise AssertionError("a path step called fit")

    monkeypatch.setattr(skreg._base.BaseRegularizedMLP, "fit", refused)
    trainer = P.PathTrainer(est, "alpha", path_max_iter=3, warm_start=warm_start)
    for _ in range(2):  # fresh, then again on the fitted estimator
        steps = trainer.run(X, y, None, [1e-3, 1e-2])
        assert trainer.estimator.alpha == 0.5
        np.testing.assert_array_equal(steps[0].params, plain._pack_params(plain.coefs_[0].dtype))
        assert steps[0].n_iter == plain.n_iter_
        model = trainer.model_at(steps[1])
        assert model.alpha == [1e-2] * 2  # the model says its rate


def test_each_step_starts_from_the_previous_weights(few_informative, monkeypatch):
    X, y = few_informative
    starts = []
    run = skreg._recipe.train

    def record(recipe, params, *args, **kwargs):
        starts.append(params.copy())
        return run(recipe, params, *args, **kwargs)

    monkeypatch.setattr(skreg._recipe, "train", record)
    # 30 updates an epoch: path_max_iter binds, not MIN_WARM_UPDATES
    trainer = P.PathTrainer(small(penalty="l1", batch_size=10), "alpha", path_max_iter=7)
    steps = trainer.run(X, y, None, [1e-4, 1e-3, 3e-3, 1e-2])
    # the first step is a fit (its start is the random initialization); each
    # later one starts exactly where the one before ended
    for start, previous in zip(starts[1:], steps[:-1]):
        np.testing.assert_array_equal(start, previous.params)
    assert all(step.n_iter <= 7 for step in steps[1:])
    assert steps[0].n_iter > 7  # the first step trains as a fit does


@pytest.mark.parametrize("batch_size, warm_epochs", [(10, 7), (200, 50), (300, 60)])
def test_warm_steps_make_enough_updates_on_small_data(few_informative, batch_size, warm_epochs):
    # 300 samples: with batches of 200 an epoch is 2 updates, and 7 epochs
    # would be 14; a warm step trains 50 epochs to make 100 updates (60 with
    # one batch: capped by max_iter)
    X, y = few_informative
    est = small(penalty="l1", batch_size=batch_size, n_iter_no_change=10_000)
    steps = P.PathTrainer(est, "alpha", path_max_iter=7).run(X, y, None, [1e-4, 1e-3])
    assert steps[1].n_iter == warm_epochs


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
    # the L1 share divides the gradient; a pure L2 path divides by 1 (its
    # grid then spans the rates that matter: docs/design.rst)
    assert enet == pytest.approx(2 * l1)
    assert l2 == pytest.approx(l1)
    tiny_share = P.largest_rate(
        small(RegularizedMLPRegressor, penalty="elasticnet", l1_ratio=1e-6), X, y
    )
    assert tiny_share == pytest.approx(1000 * l1)  # glmnet's floor of 1e-3


@pytest.mark.parametrize("sparse", [False, True])
def test_grid_of_integer_weights_is_the_grid_of_repeated_rows(few_informative, sparse):
    """The grid weighs the rows as the loss does: a weight of 0 is a removed
    row, a weight of 3 a row repeated three times (the feature scales too)."""
    X, y = few_informative
    X = X[:80] * np.linspace(1, 5, X.shape[1])  # unequal, non-unit scales
    y = y[:80]
    weights = np.random.RandomState(0).randint(0, 4, len(y))
    repeated = np.repeat(np.arange(len(y)), weights)
    if sparse:
        X = sp.csr_matrix(X)
    est = small(penalty="l1")
    weighted = P.rate_grid(est, X, y, weights.astype(float), n_alphas=3)
    np.testing.assert_allclose(weighted, P.rate_grid(est, X[repeated], y[repeated], n_alphas=3))


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
            hidden_layer_sizes=(8,),
            penalty="l1",
            alpha=rate,
            max_iter=30,
            random_state=0,
            batch_size="quarter",  # the CV estimators' default
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
    plain = RegularizedMLPClassifier(batch_size="quarter", **settings)  # the CV's default
    path = regularization_path(X, y, alphas=est.alphas_, path_max_iter=20, estimator=plain)
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
    results = {
        "param_alpha": np.array([1e-4, 1e-3, 1e-2, 1e-1]),
        "mean_test_score": np.array([0.90, 0.92, 0.905, 0.70]),
        "std_test_score": np.array([0.01, 0.04, 0.01, 0.01]),
        "mean_sparsity": np.array([0.1, 0.3, 0.6, 0.99]),
    }
    # best 0.92 with standard error 0.04 / sqrt(4) = 0.02: rates 0, 1, 2 qualify
    assert choose(results, 4, "alpha", "1se") == 2
    assert choose(results, 4, "alpha", "best") == 1


def test_one_standard_error_rule_counts_features_on_a_group_path():
    """On a group_alpha path the sparsest model is the one with the fewest
    input features, whatever its share of zero weights."""
    results = {
        "param_group_alpha": np.array([1e-4, 1e-3, 1e-2]),
        "mean_test_score": np.array([0.90, 0.91, 0.905]),
        "std_test_score": np.array([0.02, 0.02, 0.02]),
        "mean_sparsity": np.array([0.1, 0.5, 0.3]),
        "mean_n_features_selected": np.array([12.0, 9.0, 6.0]),
    }
    assert choose(results, 4, "group_alpha", "1se") == 2
    results["param_alpha"] = results.pop("param_group_alpha")
    assert choose(results, 4, "alpha", "1se") == 1


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


# --------------------------------------------------------------------------
# Group weights: fixed, and adaptive along a path
# --------------------------------------------------------------------------


def test_group_weights_multiply_each_features_group_term(few_informative):
    X, y = few_informative
    params = dict(group_alpha=[3e-3, 0.0], max_iter=40)
    plain = small(**params).fit(X, y)
    ones = small(group_weights=np.ones(12), **params).fit(X, y)
    for a, b in zip(plain.coefs_, ones.coefs_):
        np.testing.assert_array_equal(a, b)
    # a huge factor removes a feature the plain fit keeps (feature 0 is
    # informative); the others are still there
    weights = np.ones(12)
    weights[0] = 1e4
    heavy = small(group_weights=weights, **params).fit(X, y)
    assert np.any(plain.coefs_[0][0]) and not np.any(heavy.coefs_[0][0])
    assert heavy.n_features_selected_ > 1
    # and loss_ is J with the factors in it
    reg = heavy._regularization(2)
    np.testing.assert_array_equal(reg.group_factors, weights)


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(5), "group_weights has 5 values, but X has 12 features"),
        (-np.ones(12), "group_weights must be positive"),
        (np.full(12, np.nan), "group_weights must be None or a sequence of finite numbers"),
        ([["a"] * 12], "group_weights must be None or a sequence of finite numbers"),
    ],
)
def test_group_weights_refused(few_informative, weights, message):
    X, y = few_informative
    est = small(group_alpha=1e-3, group_weights=weights)
    with pytest.raises(ValueError, match=message):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


def test_adaptive_group_weights_come_from_the_first_step(few_informative):
    X, y = few_informative
    est = small(max_iter=40)
    rates = [1e-4, 3e-3, 1e-2]
    plain = regularization_path(X, y, estimator=est, path_param="group_alpha", alphas=rates)
    adaptive = regularization_path(
        X, y, estimator=est, path_param="group_alpha", alphas=rates, group_weights="adaptive"
    )
    # the first step is the same plain fit; its input rows give the factors
    for a, b in zip(plain.coefs[0], adaptive.coefs[0]):
        np.testing.assert_array_equal(a, b)
    norms = np.linalg.norm(adaptive.coefs[0][0], axis=1)
    np.testing.assert_allclose(adaptive.group_weights, (norms.max() / norms) ** 2)
    assert plain.group_weights is None
    # the later steps train with them: weak features go first
    assert not np.array_equal(plain.coefs[1][0], adaptive.coefs[1][0])
    assert adaptive.n_features_selected[-1] <= plain.n_features_selected[-1]
    with pytest.raises(ValueError, match="'group_weights' parameter of regularization_path"):
        regularization_path(X, y, estimator=est, alphas=rates, group_weights=[1.0] * 12)


def test_cv_estimator_with_adaptive_group_weights(few_informative):
    X, y = few_informative
    network = dict(hidden_layer_sizes=(8,), max_iter=40, random_state=0)
    cv = RegularizedMLPClassifierCV(
        path_param="group_alpha",
        group_weights="adaptive",
        alphas=4,
        cv=3,
        path_max_iter=10,
        **network,
    ).fit(X, y)
    assert cv.group_weights == "adaptive"  # the parameter is left as given
    assert cv.group_weights_.shape == (12,) and np.min(cv.group_weights_) == 1.0
    # the final model is the full-data path's, with that path's factors
    path = regularization_path(
        X,
        y,
        estimator=RegularizedMLPClassifier(batch_size="quarter", **network),  # the CV's default
        path_param="group_alpha",
        alphas=cv.alphas_,
        path_max_iter=10,
        group_weights="adaptive",
    )
    np.testing.assert_array_equal(cv.group_weights_, path.group_weights)
    # the base estimator does not know 'adaptive'
    with pytest.raises(ValueError, match="group_weights"):
        RegularizedMLPClassifier(group_weights="adaptive").fit(X, y)


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


def test_a_warm_steps_first_epoch_does_not_count_for_stopping():
    """The first epoch of a path step is measured partly on the previous
    rate's weights: an objective below any the new rate reaches must not make
    every later epoch look like no improvement."""
    from skreg._training import Progress, StoppingRule, _update_no_improvement_count

    stopping = StoppingRule(tol=1e-4, n_iter_no_change=2, validation=None)
    for unsettled, expected_counts in ((0, [0, 1, 2, 3]), (1, [0, 0, 0, 0])):
        progress = Progress(unsettled_epochs=unsettled)
        counts = []
        for loss in (0.10, 0.50, 0.40, 0.30):  # a low first epoch, then improving
            progress.loss_curve.append(loss)
            _update_no_improvement_count(progress, stopping, None, None, verbose=False)
            counts.append(progress.no_improvement_count)
        assert counts == expected_counts


def test_warm_steps_train_no_longer_than_max_iter(few_informative):
    X, y = few_informative
    path = regularization_path(
        X,
        y,
        estimator=small(penalty="l1", max_iter=6, tol=0.0),
        alphas=[1e-4, 1e-3],
        path_max_iter=20,
    )
    assert path.n_iter.tolist() == [6, 6]


@pytest.mark.parametrize("make", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_regularization_path_checks_its_estimator_without_its_private_methods(make, monkeypatch):
    """The estimator's own constraints are checked, by the public function of
    scikit-learn, not by the estimator's private ``_validate_params``."""

    def refuse(self):
        raise AssertionError("regularization_path called _validate_params")

    monkeypatch.setattr(make, "_validate_params", refuse)
    X = np.random.RandomState(0).rand(30, 3)
    y = np.arange(30) % 2
    with pytest.raises(InvalidParameterError, match=f"'max_iter' parameter of {make.__name__}"):
        regularization_path(X, y, estimator=make(max_iter=-1))
