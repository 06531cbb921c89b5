"""The CV estimators and ``regularization_path`` on bad input and edge cases:
a clear error naming the culprit, or a model that agrees with its own
cross-validation."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GroupKFold

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
    est = tiny(RegularizedMLPClassifierCV, penalty="l1", max_iter=20, alphas=[1e8, 1e9, 1e10]).fit(
        X, y
    )
    assert est.n_features_selected_ == 0
    np.testing.assert_allclose(est.predict_proba(X), np.tile([0.9, 0.1], (len(X), 1)), atol=1e-6)
    # the refit scores as its folds did: the majority rate
    assert est.score(X, y) == pytest.approx(est.cv_results_["mean_test_score"].max())


def test_a_featureless_regressor_predicts_the_weighted_mean(unscaled_imbalanced):
    X, _ = unscaled_imbalanced
    y = 5.0 + X[:, 0] / 1e6
    weights = np.linspace(0.5, 2.0, len(y))
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(4, 3), penalty="l1", max_iter=5, random_state=0
    )
    path = regularization_path(X, y, estimator=est, alphas=[1e15], sample_weight=weights)
    assert path.n_features_selected[0] == 0
    est.coefs_, est.intercepts_ = path.coefs[0], path.intercepts[0]
    est.n_features_in_, est.out_activation_ = X.shape[1], "identity"
    np.testing.assert_allclose(est.predict(X[:3]), np.average(y, weights=weights), rtol=1e-9)


def test_a_featureless_multiclass_path_predicts_the_class_frequencies(unscaled_imbalanced):
    X, _ = unscaled_imbalanced
    y = np.r_[[0] * 100, [1] * 60, [2] * 40]
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(4,), penalty="l1", max_iter=5, random_state=0
    )
    path = regularization_path(X, y, estimator=est, alphas=[1e15])
    assert path.n_features_selected[0] == 0
    logits = path.intercepts[0][-1] + np.maximum(path.intercepts[0][0], 0) @ path.coefs[0][1]
    probabilities = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(probabilities, [0.5, 0.3, 0.2], rtol=1e-9)


# --------------------------------------------------------------------------
# The CV estimators: parameters that cannot work together, folds, scorers
# --------------------------------------------------------------------------


def fit(est, X, y, **kwargs):
    return est.fit(X, y, **kwargs)


def halves(n=60):
    """Two folds: each half trains once and tests once."""
    first, second = np.arange(n // 2), np.arange(n // 2, n)
    return [(first, second), (second, first)]


def weights_zero_on_first_half(est, X, y):
    return est.fit(X, y, sample_weight=np.r_[np.zeros(30), np.ones(30)])


def scorer_returning(value):
    def scorer(est, X, y):
        return value

    return scorer


def first_class_only(est, X, y):
    # fold 0 trains on class 0 alone
    est.set_params(cv=[(np.flatnonzero(y == 0), np.flatnonzero(y == 1)), *halves()[1:]])
    return est.fit(X, y)


# (id, parameters, call, exception, message pattern); each runs on both CV estimators
BAD_CV = [
    ("alpha_path_without_penalty", dict(penalty=None), fit, ValueError, "penalty=None"),
    (
        "adaptive_weights_on_an_alpha_path",
        dict(group_weights="adaptive"),
        fit,
        ValueError,
        "group_weights='adaptive'.*group_alpha",
    ),
    (
        "l1_ratio_list_with_l2",
        dict(l1_ratio=[0.2, 0.8]),
        fit,
        ValueError,
        "'l1_ratio' parameter .*penalty='l2'",
    ),
    (
        "l1_ratio_list_with_l1",
        dict(penalty="l1", l1_ratio=[0.2, 0.8]),
        fit,
        ValueError,
        "'l1_ratio' parameter .*penalty='l1'",
    ),
    (
        "l1_ratio_nan_in_list",
        dict(penalty="elasticnet", l1_ratio=[0.5, np.nan]),
        fit,
        ValueError,
        "'l1_ratio' parameter",
    ),
    (
        "l1_ratio_above_one_in_list",
        dict(penalty="elasticnet", l1_ratio=[0.5, 1.5]),
        fit,
        ValueError,
        "'l1_ratio' parameter",
    ),
    (
        "l1_ratio_empty_list",
        dict(penalty="elasticnet", l1_ratio=[]),
        fit,
        ValueError,
        "'l1_ratio' parameter",
    ),
    (
        "alphas_rows_against_l1_ratios",
        dict(penalty="elasticnet", l1_ratio=[0.2, 0.8], alphas=[[1e-3, 1e-2]] * 3),
        fit,
        ValueError,
        "'alphas' parameter .*3 rows.*2 l1_ratio",
    ),
    ("alphas_true", dict(alphas=True), fit, ValueError, "'alphas' parameter"),
    ("alphas_booleans", dict(alphas=[True, False]), fit, ValueError, "'alphas' parameter"),
    (
        "l1_ratio_booleans",
        dict(penalty="elasticnet", l1_ratio=[True, False]),
        fit,
        ValueError,
        "'l1_ratio' parameter",
    ),
    ("cv_without_folds", dict(cv=[]), fit, ValueError, "cv gave no folds"),
    ("alphas_one", dict(alphas=1), fit, ValueError, "'alphas' parameter .*\\[2, inf\\)"),
    ("alphas_nan", dict(alphas=[1e-3, np.nan]), fit, ValueError, "'alphas' parameter"),
    ("alphas_negative", dict(alphas=[-1e-3, 1e-3]), fit, ValueError, "'alphas' parameter"),
    ("alphas_empty", dict(alphas=[]), fit, ValueError, "'alphas' parameter"),
    ("alphas_strings", dict(alphas=["a", "b"]), fit, ValueError, "'alphas' parameter"),
    ("alphas_numeric_strings", dict(alphas=["1e-3", "1e-2"]), fit, ValueError, "'alphas'"),
    ("alphas_3d", dict(alphas=np.ones((1, 1, 2))), fit, ValueError, "'alphas' parameter"),
    ("path_max_iter_true", dict(path_max_iter=True), fit, ValueError, "'path_max_iter'"),
    (
        "scorer_returns_none",
        dict(scoring=scorer_returning(None)),
        fit,
        ValueError,
        "scoring=.*returned None .* on fold 0",
    ),
    (
        "scorer_returns_a_string",
        dict(scoring=scorer_returning("good")),
        fit,
        ValueError,
        "scoring=.*returned 'good'",
    ),
    (
        "scorer_raises",
        dict(scoring=lambda est, X, y: {}["missing"]),
        fit,
        ValueError,
        "scoring=.* failed on fold 0 at alpha=.*KeyError",
    ),
    (
        "scorer_returns_nan",
        dict(scoring=scorer_returning(np.nan)),
        fit,
        ValueError,
        "scoring=.*returned NaN",
    ),
    (
        "empty_test_fold",
        dict(cv=[halves()[0], (np.arange(60), np.array([], dtype=int))]),
        fit,
        ValueError,
        "Fold 1 of cv has an empty test set",
    ),
    (
        "empty_training_fold",
        dict(cv=[(np.array([], dtype=int), np.arange(60)), halves()[1]]),
        fit,
        ValueError,
        "Fold 0 of cv has an empty training set",
    ),
    (
        "fold_not_a_pair",
        dict(cv=[(np.arange(30),), halves()[1]]),
        fit,
        ValueError,
        "Fold 0 of cv is not a .* pair",
    ),
    (
        "fold_negative_indices",
        dict(cv=[(np.arange(-30, 0), np.arange(30)), halves()[1]]),
        fit,
        ValueError,
        "Fold 0 of cv has training indices .*from -30 to -1",
    ),
    (
        "fold_float_indices",
        dict(cv=[(np.arange(30.0), np.arange(30, 60)), halves()[1]]),
        fit,
        ValueError,
        "Fold 0 of cv has training indices that are not integers",
    ),
    (
        "fold_index_out_of_range",
        dict(cv=[(np.arange(30), np.arange(30, 61)), halves()[1]]),
        fit,
        ValueError,
        "Fold 0 of cv has test indices",
    ),
    (
        "groups_length",
        dict(cv=GroupKFold(n_splits=2)),
        lambda est, X, y: est.fit(X, y, groups=np.arange(5)),
        ValueError,
        "groups must hold one label per sample",
    ),
    (
        "groups_nan",
        dict(cv=GroupKFold(n_splits=2)),
        lambda est, X, y: est.fit(X, y, groups=np.r_[np.nan, np.arange(59.0)]),
        ValueError,
        "groups",
    ),
    ("n_jobs_zero", dict(n_jobs=0), fit, ValueError, "'n_jobs' parameter"),
    (
        "sample_weight_sum_overflows",
        {},
        lambda est, X, y: est.fit(X, y, sample_weight=np.full(len(y), 1e308)),
        ValueError,
        "The sum of sample_weight overflows",
    ),
    (
        "training_fold_weights_zero",
        dict(cv=halves()),
        weights_zero_on_first_half,
        ValueError,
        "fold 0's training set sum to zero",
    ),
]


def _cv_cases():
    for case_id, params, call, error, pattern in BAD_CV:
        for Est in CV_BOTH:
            kind = Est.__name__.removeprefix("RegularizedMLP")
            yield pytest.param(Est, params, call, error, pattern, id=f"{case_id}-{kind}")


@pytest.mark.parametrize("Est, params, call, error, pattern", list(_cv_cases()))
def test_cv_estimator_refuses_with_a_clear_error(Est, params, call, error, pattern, data):
    X, y = data
    est = tiny(Est, **params)
    with pytest.raises(error, match=pattern):
        call(est, X, targets(Est, y))
    assert not hasattr(est, "alpha_")  # a failed fit leaves the estimator unfitted


@pytest.mark.parametrize("scale_target", [True, False])
def test_a_target_whose_squares_overflow_is_refused_by_name(scale_target, data):
    X, y = data
    est = tiny(RegularizedMLPRegressorCV, scale_target=scale_target)
    with pytest.raises(ValueError, match="y holds values up to 1e.*squared errors overflow"):
        est.fit(X, y * 1e160)
    assert not hasattr(est, "alpha_")
    # A fitted estimator keeps its model.
    before = est.fit(X, y * 1.0).predict(X)
    with pytest.raises(ValueError, match="squared errors overflow"):
        est.fit(X, y * 1e160)
    np.testing.assert_array_equal(est.predict(X), before)


def test_a_large_target_that_can_be_scored_is_fitted(data):
    # 1e120: its squares are finite (each fold's R² can be computed); the
    # scale is taken as for any target.
    X, y = data
    est = tiny(RegularizedMLPRegressorCV).fit(X, y * 1e120)
    assert np.isfinite(est.predict(X)).all()


@pytest.mark.parametrize("scoring", ["neg_log_loss", "accuracy"])
def test_a_class_missing_from_a_training_fold_is_named(scoring, data):
    X, y = data
    est = tiny(RegularizedMLPClassifierCV, scoring=scoring)
    with pytest.raises(
        ValueError, match=r"Fold 0's training set has no sample of class\(es\) \[1\]"
    ):
        first_class_only(est, X, y)


class RecordingGroupKFold(GroupKFold):
    """GroupKFold that keeps the groups of each test fold it made."""

    def split(self, X, y=None, groups=None):
        self.test_groups = []
        for train, test in super().split(X, y, groups):
            self.test_groups.append(set(groups[test]))
            assert not set(groups[train]) & set(groups[test])
            yield train, test


@pytest.mark.parametrize("refit", [False, True])
@pytest.mark.parametrize("Est", CV_BOTH)
def test_groups_reach_the_splitter(Est, refit, data):
    X, y = data
    if refit:  # other groups the second time: the splitter must see the new ones
        est = tiny(Est, cv=RecordingGroupKFold(n_splits=2))
        est.fit(X, targets(Est, y), groups=np.arange(len(y)) % 6)
    else:
        est = tiny(Est, cv=RecordingGroupKFold(n_splits=2))
    groups = np.arange(len(y)) % 4
    est.fit(X, targets(Est, y), groups=groups)
    assert len([key for key in est.cv_results_ if key.startswith("split")]) == 2
    first, second = est.cv.test_groups  # this fit's groups, split whole between the folds
    assert first | second == {0, 1, 2, 3} and not first & second
    with pytest.raises(ValueError, match="'groups' parameter should not be None"):
        tiny(Est, cv=GroupKFold(n_splits=2)).fit(X, targets(Est, y))


@pytest.mark.parametrize("Est", CV_BOTH)
def test_a_2d_alphas_gives_each_l1_ratio_its_row(Est, data):
    X, y = data
    rows = [[1e-4, 1e-3], [1e-3, 1e-2]]
    est = tiny(Est, penalty="elasticnet", l1_ratio=[0.2, 0.8], alphas=rows)
    est.fit(X, targets(Est, y))
    np.testing.assert_array_equal(est.alphas_, rows)
    results = est.cv_results_
    np.testing.assert_array_equal(results["param_alpha"], [1e-4, 1e-3, 1e-3, 1e-2])
    np.testing.assert_array_equal(results["param_l1_ratio"], [0.2, 0.2, 0.8, 0.8])


@pytest.mark.parametrize("Est", CV_BOTH)
def test_some_nan_scores_leave_those_rates_unchosen(Est, data):
    X, y = data
    calls = []

    def nan_at_the_smallest_rate(est, X, y):
        calls.append(None)
        return np.nan if len(calls) % 3 == 1 else -float(np.ravel(est.alpha)[0])

    est = tiny(Est, alphas=[1e-4, 1e-3, 1e-2], scoring=nan_at_the_smallest_rate)
    est.fit(X, targets(Est, y))
    assert np.isnan(est.cv_results_["mean_test_score"][0])
    assert est.alpha_ == pytest.approx(1e-3)


# --------------------------------------------------------------------------
# regularization_path checks its arguments as the estimators do theirs
# --------------------------------------------------------------------------


def path_with(**kwargs):
    def call(X, y):
        return regularization_path(X, y, **{"path_max_iter": 2, "n_alphas": 2, **kwargs})

    return call


def path_on(transform, **kwargs):
    def call(X, y):
        return path_with(**kwargs)(*transform(X, y))

    return call


TINY_CLASSIFIER = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)

BAD_PATH = [
    ("alphas_scalar", path_with(alphas=0.05), "'alphas' parameter of regularization_path"),
    ("alphas_zero", path_with(alphas=0), "'alphas' parameter of regularization_path"),
    ("alphas_nan", path_with(alphas=[np.nan]), "'alphas' parameter of regularization_path"),
    ("alphas_negative", path_with(alphas=[-1.0]), "'alphas' parameter of regularization_path"),
    ("alphas_empty", path_with(alphas=[]), "'alphas' parameter of regularization_path"),
    ("alphas_2d", path_with(alphas=[[1e-3], [1e-2]]), "'alphas' parameter of regularization_path"),
    ("n_alphas_zero", path_with(n_alphas=0), "'n_alphas' parameter of regularization_path"),
    ("n_alphas_negative", path_with(n_alphas=-2), "'n_alphas' parameter"),
    ("n_alphas_float", path_with(n_alphas=2.5), "'n_alphas' parameter"),
    ("n_alphas_true", path_with(n_alphas=True), "'n_alphas' parameter"),
    ("alphas_booleans", path_with(alphas=[True]), "'alphas' parameter of regularization_path"),
    ("eps_zero", path_with(eps=0), "'eps' parameter of regularization_path"),
    ("eps_one", path_with(eps=1), "'eps' parameter of regularization_path"),
    ("eps_ten", path_with(eps=10), "'eps' parameter of regularization_path"),
    ("path_max_iter_zero", path_with(path_max_iter=0), "'path_max_iter' parameter"),
    ("path_max_iter_negative", path_with(path_max_iter=-5), "'path_max_iter' parameter"),
    ("warm_start_str", path_with(warm_start="yes"), "'warm_start' parameter"),
    ("group_weights_array", path_with(group_weights=np.ones(5)), "'group_weights' parameter"),
    ("path_param_beta", path_with(path_param="beta"), "'path_param' parameter"),
    ("estimator_other_library", path_with(estimator="LogisticRegression"), "'estimator'"),
    ("estimator_class", path_with(estimator=RegularizedMLPClassifier), "'estimator' parameter"),
    (
        "estimator_cv",
        path_with(estimator=RegularizedMLPClassifierCV()),
        "'estimator' parameter of regularization_path",
    ),
    (
        "estimator_bad_parameter",
        path_with(estimator=RegularizedMLPClassifier(alpha=-1.0)),
        "'alpha' parameter of RegularizedMLPClassifier",
    ),
    (
        "alpha_path_without_penalty",
        path_with(estimator=RegularizedMLPClassifier(penalty=None, **TINY_CLASSIFIER)),
        "penalty=None",
    ),
    (
        "adaptive_weights_on_an_alpha_path",
        path_with(group_weights="adaptive", estimator=RegularizedMLPClassifier(**TINY_CLASSIFIER)),
        "group_weights='adaptive'",
    ),
    (
        "y_one_class",
        path_on(lambda X, y: (X, np.zeros_like(y))),
        "at least 2 classes in the data, but y contains only one class: 0",
    ),
    (
        "y_one_class_given_estimator_and_alphas",
        path_on(
            lambda X, y: (X, np.full(len(y), "a")),
            estimator=RegularizedMLPClassifier(**TINY_CLASSIFIER),
            alphas=[1e-3],
        ),
        "only one class: 'a'",
    ),
    ("X_nan", path_on(lambda X, y: (np.where(X > 1, np.nan, X), y)), "X"),
    ("X_1d", path_on(lambda X, y: (X[:, 0], y)), "X"),
    ("y_nan", path_on(lambda X, y: (X, np.where(y > 0, np.nan, 1.0))), "y"),
    ("X_y_lengths", path_on(lambda X, y: (X, y[:50])), "samples"),
    ("sample_weight_length", path_with(sample_weight=np.ones(3)), "sample_weight"),
    (
        "sample_weight_nan_given_alphas",
        path_with(sample_weight=np.r_[np.nan, np.ones(59)], alphas=[1e-3]),
        "sample_weight",
    ),
]


@pytest.mark.parametrize("call, pattern", [pytest.param(c, p, id=i) for i, c, p in BAD_PATH])
def test_regularization_path_refuses_with_a_clear_error(call, pattern, data):
    X, y = data
    with pytest.raises(ValueError, match=pattern):
        call(X, y)


def test_log_loss_scores_a_test_fold_holding_one_class(data):
    X, y = data
    zero, one = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    folds = [(np.r_[zero[:20], one], zero[20:]), (np.r_[zero, one[:20]], one[20:])]
    est = tiny(RegularizedMLPClassifierCV, cv=folds, scoring="neg_log_loss").fit(X, y)
    scores = est.cv_results_["split0_test_score"]
    assert np.all(np.isfinite(scores)) and np.all(scores < 0)


def score_by_rate(scores):
    """A scorer whose score depends on the model's rate alone: ``scores``
    maps a rate's rank among the grid's (0: the weakest) to its score."""

    def scorer(est, X, y):
        rate = float(np.ravel(est.alpha)[0])
        return scores[int(np.argmin(np.abs(np.log(GRID) - np.log(rate))))]

    return scorer


GRID = np.array([1e-4, 1e-3, 1e-2])


@pytest.mark.parametrize("Est", CV_BOTH)
def test_tied_scores_share_their_rank_as_in_a_grid_search(Est, data):
    X, y = data
    est = tiny(Est, alphas=GRID, scoring=score_by_rate([0.5, 0.5, 0.25])).fit(X, targets(Est, y))
    np.testing.assert_array_equal(est.cv_results_["rank_test_score"], [1, 1, 3])
    # The tie goes to the larger rate, which is ranked first too.
    assert est.alpha_ == 1e-3
    chosen = est.cv_results_["param_alpha"] == est.alpha_
    np.testing.assert_array_equal(est.cv_results_["rank_test_score"][chosen], [1])


@pytest.mark.parametrize("Est", CV_BOTH)
def test_the_1se_rule_takes_a_row_whose_score_is_infinite(Est, data):
    # The best mean is +inf and its spread NaN: the rows reaching +inf qualify.
    X, y = data
    scorer = score_by_rate([np.inf, 0.5, 0.25])
    est = tiny(Est, alphas=GRID, scoring=scorer, selection_rule="1se").fit(X, targets(Est, y))
    assert est.alpha_ == 1e-4
