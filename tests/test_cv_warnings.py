"""What a CV fit or a path tells its user: capped steps once, l1_ratio only
where the penalty uses it, a chosen rate at the edge of its grid, features on
different scales, a chosen model that ignores its input."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.preprocessing import StandardScaler

from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressorCV,
    regularization_path,
)
from skreg._search_warnings import LARGEST_SCALE_RATIO, feature_scale_ratio
from skreg.exceptions import (
    ConstantModelWarning,
    FeatureScaleWarning,
    RateAtGridEdgeWarning,
    SearchWarning,
)

CV_ESTIMATORS = [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV]


@pytest.fixture(scope="module")
def tables():
    """A small standardized classification table and a regression one."""
    X, y = make_classification(
        n_samples=120, n_features=5, n_informative=3, n_redundant=0, random_state=0
    )
    Xr, yr = make_regression(n_samples=120, n_features=5, n_informative=3, random_state=0)
    scale = StandardScaler()
    return {
        RegularizedMLPClassifierCV: (scale.fit_transform(X), y),
        RegularizedMLPRegressorCV: (scale.fit_transform(Xr), yr / yr.std()),
    }


def small(Est, **params):
    defaults = dict(
        hidden_layer_sizes=(4,), random_state=0, max_iter=30, path_max_iter=5, alphas=3, cv=2
    )
    return Est(**{**defaults, **params})


def fit_recording(est, X, y):
    """The estimator fitted, and every warning of the fit."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    return est, caught


def of_category(caught, category):
    return [w for w in caught if issubclass(w.category, category)]


def rate_scorer(direction):
    """A scorer that ranks the rates themselves: 'low' prefers the smallest,
    'high' the largest, 'mid' the one nearest 1e-2 (on a log scale)."""

    def score(est, X, y):
        rate = float(np.max(est.alpha))
        if direction == "low":
            return -rate
        if direction == "high":
            return rate
        return -abs(np.log10(rate) + 2)

    return score


# --------------------------------------------------------------------------
# Steps at their epoch cap: one warning, and counts
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_one_convergence_warning_per_cv_fit_naming_path_max_iter(tables, Est):
    X, y = tables[Est]
    est = small(Est)
    for _ in range(2):  # fresh, then refitted
        est, caught = fit_recording(est, X, y)
        convergence = of_category(caught, ConvergenceWarning)
        assert len(convergence) == 1
        message = str(convergence[0].message)
        assert f"later step(s) at path_max_iter={est.path_max_iter} " in message
        assert "Maximum iterations" not in message
        counts = est.cv_results_["n_capped_steps"]
        assert counts.dtype.kind == "i" and counts.shape == (3,)
        assert np.all((0 <= counts) & (counts <= 2))
        n_capped = int(message.split(" of the ")[0])
        # the folds' capped steps, and those of the final path (3 at most)
        assert counts.sum() <= n_capped <= counts.sum() + 3
        est.set_params(path_max_iter=6)


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
@pytest.mark.parametrize(
    "params, named",
    [({"solver": "lbfgs"}, "path_max_iter=5"), ({"path_warm_start": False}, "max_iter=30")],
)
def test_one_convergence_warning_with_lbfgs_or_cold_steps(tables, Est, params, named):
    X, y = tables[Est]
    est, caught = fit_recording(small(Est, **params), X, y)
    (convergence,) = of_category(caught, ConvergenceWarning)
    assert named in str(convergence.message)
    if not params.get("path_warm_start", True):  # every step is a plain fit
        assert "later step" not in str(convergence.message)


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_no_convergence_warning_when_no_step_is_capped(tables, Est):
    X, y = tables[Est]
    # a stopping rule that ends every step after a few epochs
    est = small(Est, tol=1e6, n_iter_no_change=2, max_iter=100, path_max_iter=100)
    est, caught = fit_recording(est, X, y)
    assert of_category(caught, ConvergenceWarning) == []
    np.testing.assert_array_equal(est.cv_results_["n_capped_steps"], 0)


def test_plain_fits_still_warn_after_a_cv_fit(tables):
    X, y = tables[RegularizedMLPClassifierCV]
    fit_recording(small(RegularizedMLPClassifierCV), X, y)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\)"):
        RegularizedMLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_one_convergence_warning_per_path(tables, Est):
    X, y = tables[Est]
    estimator = Est._base_class(hidden_layer_sizes=(4,), max_iter=30, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = regularization_path(X, y, estimator=estimator, n_alphas=4, path_max_iter=5)
    convergence = of_category(caught, ConvergenceWarning)
    assert len(convergence) == 1
    assert path.capped.dtype == bool and path.capped.shape == (4,)
    assert str(convergence[0].message).startswith(f"{path.capped.sum()} of the 4 steps")
    assert "path_max_iter=5" in str(convergence[0].message)


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
@pytest.mark.parametrize("refit", [True, "ensemble"])
def test_a_column_vector_y_warns_once_and_fits_as_1d(tables, Est, refit):
    X, y = tables[Est]
    flat, _ = fit_recording(small(Est, refit=refit), X, y)
    column, caught = fit_recording(small(Est, refit=refit), X, y[:, None])
    assert len(of_category(caught, DataConversionWarning)) == 1
    assert column.alpha_ == flat.alpha_
    np.testing.assert_array_equal(column.predict(X), flat.predict(X))


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_a_column_vector_y_warns_once_on_a_path(tables, Est):
    X, y = tables[Est]
    estimator = Est._base_class(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    paths = []
    for target in (y, y[:, None]):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            paths.append(regularization_path(X, target, estimator=estimator, n_alphas=3))
    assert len(of_category(caught, DataConversionWarning)) == 1
    np.testing.assert_array_equal(paths[1].alphas, paths[0].alphas)
    np.testing.assert_array_equal(paths[1].objective, paths[0].objective)


# --------------------------------------------------------------------------
# l1_ratio where the penalty uses it
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_l1_ratio_only_for_elastic_net(tables, Est):
    X, y = tables[Est]
    est = small(Est, penalty="elasticnet", l1_ratio=0.5).fit(X, y)
    np.testing.assert_array_equal(est.cv_results_["param_l1_ratio"], 0.5)
    assert est.l1_ratio_ == 0.5
    assert all(params["l1_ratio"] == 0.5 for params in est.cv_results_["params"])
    for params in (
        {"penalty": "l1"},
        {"penalty": "l2"},
        {"penalty": "l2", "path_param": "group_alpha"},
    ):
        est.set_params(**params).fit(X, y)  # refitted
        assert "param_l1_ratio" not in est.cv_results_
        assert all(set(p) == {est.path_param} for p in est.cv_results_["params"])
        assert est.l1_ratio_ is None
    est.set_params(penalty="elasticnet", path_param="alpha").fit(X, y)
    assert "param_l1_ratio" in est.cv_results_ and est.l1_ratio_ == 0.5


# --------------------------------------------------------------------------
# The chosen rate at an edge of the grid
# --------------------------------------------------------------------------


def test_the_categories_can_be_silenced_apart_from_convergence():
    for category in (RateAtGridEdgeWarning, FeatureScaleWarning, ConstantModelWarning):
        assert issubclass(category, SearchWarning) and issubclass(category, UserWarning)
        assert not issubclass(category, ConvergenceWarning)


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_chosen_rate_at_the_edge_warns_and_is_recorded(tables, Est):
    X, y = tables[Est]
    est = small(Est, scoring=rate_scorer("low"))
    est, caught = fit_recording(est, X, y)
    (edge,) = of_category(caught, RateAtGridEdgeWarning)
    assert est.alpha_at_edge_ == "smallest" and est.alpha_ == est.alphas_[0]
    assert "smallest" in str(edge.message) and "eps" in str(edge.message)
    assert f"{est.alpha_:.4g}" in str(edge.message)

    est.set_params(scoring=rate_scorer("high"), alphas=[1e-4, 1e-3, 1e-2])
    est, caught = fit_recording(est, X, y)  # refitted
    (edge,) = of_category(caught, RateAtGridEdgeWarning)
    assert est.alpha_at_edge_ == "largest" and est.alpha_ == 1e-2
    assert "reaching higher" in str(edge.message)

    est.set_params(scoring=rate_scorer("mid"), alphas=[1e-4, 1e-2, 1])
    est, caught = fit_recording(est, X, y)
    assert est.alpha_ == 1e-2 and est.alpha_at_edge_ is None
    assert of_category(caught, RateAtGridEdgeWarning) == []


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_the_top_edge_of_an_automatic_grid_blames_scales_only_when_they_differ(Est):
    # Real tables as they come (columns in their own units: scales differ
    # by 100x and more), then standardized; the same estimator refitted.
    if Est is RegularizedMLPClassifierCV:
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = load_diabetes(scaled=False, return_X_y=True)
        y = y / y.std()
    est = small(Est, scoring=rate_scorer("high"))
    for X_given, blamed in ((X, True), (StandardScaler().fit_transform(X), False)):
        est, caught = fit_recording(est, X_given, y)
        (edge,) = of_category(caught, RateAtGridEdgeWarning)
        assert est.alpha_at_edge_ == "largest"
        assert ("StandardScaler" in str(edge.message)) == blamed
        assert ("scales are alike" in str(edge.message)) != blamed


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
@pytest.mark.parametrize("alphas", [[1e-3], [0.0, 1e-3]])
def test_no_edge_warning_for_one_rate_or_a_rate_of_zero(tables, Est, alphas):
    X, y = tables[Est]
    est, caught = fit_recording(small(Est, alphas=alphas, scoring=rate_scorer("low")), X, y)
    assert est.alpha_ == alphas[0] and est.alpha_at_edge_ is None
    assert of_category(caught, RateAtGridEdgeWarning) == []


# --------------------------------------------------------------------------
# Features on different scales, and a model that ignores its input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("sparse", [False, True])
def test_feature_scale_ratio_skips_constant_columns(sparse):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4))
    X[:, 1] *= 3e3
    X[:, 2] = 4022.0  # constant: no scale
    X[:, 3] = 0.0
    X = sp.csr_matrix(X) if sparse else X
    ratio, widest, narrowest = feature_scale_ratio(X)
    assert (widest, narrowest) == (1, 0)
    assert 1e3 < ratio < 1e4
    assert feature_scale_ratio(X[:, [0, 2, 3]]) is None  # one varying column


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
@pytest.mark.parametrize("sparse", [False, True])
def test_features_on_different_scales_warn(tables, Est, sparse):
    X, y = tables[Est]
    est, caught = fit_recording(small(Est), sp.csr_matrix(X) if sparse else X, y)
    assert of_category(caught, FeatureScaleWarning) == []
    raw = X.copy()
    raw[:, 2] = raw[:, 2] / (2 * LARGEST_SCALE_RATIO)  # large scales may make training diverge
    raw = sp.csr_matrix(raw) if sparse else raw
    est, caught = fit_recording(est, raw, y)  # refitted
    (scale,) = of_category(caught, FeatureScaleWarning)
    assert "column 2" in str(scale.message) and "StandardScaler" in str(scale.message)


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
@pytest.mark.parametrize("sparse", [False, True])
def test_a_chosen_model_that_ignores_its_input_warns(tables, Est, sparse):
    X, y = tables[Est]
    X = sp.csr_matrix(X) if sparse else X
    est, caught = fit_recording(small(Est, penalty="l1"), X, y)
    assert of_category(caught, ConstantModelWarning) == []
    # rates at which the L1 penalty removes every weight
    est, caught = fit_recording(est.set_params(alphas=[10.0, 100.0]), X, y)
    (constant,) = of_category(caught, ConstantModelWarning)
    assert "StandardScaler" in str(constant.message)
    assert np.unique(est.predict(X)).size == 1


def test_a_classifier_predicting_one_class_warns_with_l2():
    """An L2 penalty leaves weights near zero, not at it: the classifier
    predicts the majority class for every row all the same."""
    X, y = make_classification(n_samples=120, n_features=5, weights=[0.8], random_state=0)
    est = small(
        RegularizedMLPClassifierCV,
        alphas=[0.1, 100.0],
        scoring=rate_scorer("high"),
        learning_rate_init=0.01,
        max_iter=200,
        path_max_iter=50,
    )
    for _ in range(2):  # fresh, then refitted
        est, caught = fit_recording(est, X, y)
        assert not np.all(est.coefs_[0] == 0)
        assert np.unique(est.predict(X)).size == 1
        assert len(of_category(caught, ConstantModelWarning)) == 1
    est, caught = fit_recording(est.set_params(scoring=rate_scorer("low")), X, y)
    assert of_category(caught, ConstantModelWarning) == []


def test_warnings_name_the_columns_of_a_data_frame(tables):
    pd = pytest.importorskip("pandas")
    X, y = tables[RegularizedMLPClassifierCV]
    frame = pd.DataFrame(X / [1, 1, 1, 1, 2 * LARGEST_SCALE_RATIO], columns=list("abcde"))
    est = small(RegularizedMLPClassifierCV, penalty="l1", alphas=[10.0, 100.0])
    est, caught = fit_recording(est, frame, y)
    (scale,) = of_category(caught, FeatureScaleWarning)
    assert "column 'e'" in str(scale.message)
    assert len(of_category(caught, ConstantModelWarning)) == 1
    assert not any("feature names" in str(w.message) for w in caught)


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_the_edge_warning_names_the_rule_that_chose_the_largest_rate(tables, Est):
    """Every rate scores alike, so both rules take the largest: past it, the
    '1se' rule (a group_alpha path's default) might find a sparser model."""
    X, y = tables[Est]
    est = small(Est, path_param="group_alpha", alphas=[1e-6, 1e-5], scoring=lambda *_: 0.5)
    est, caught = fit_recording(est, X, y)
    (edge,) = of_category(caught, RateAtGridEdgeWarning)
    assert est.selection_rule_ == "1se" and est.alpha_at_edge_ == "largest"
    assert "within one standard error" in str(edge.message)
    est, caught = fit_recording(est.set_params(selection_rule="best"), X, y)  # refitted
    (edge,) = of_category(caught, RateAtGridEdgeWarning)
    assert "might score better" in str(edge.message)
