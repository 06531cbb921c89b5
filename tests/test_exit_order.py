"""The paths' exit order (``exit_rates``, ``path_importances_``) and the names
of the input features a fitted network uses (``selected_features_``)."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import KFold

from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
    regularization_path,
)
from skreg._exit_order import combined_exit_rates, exit_rates

CV_ESTIMATORS = (RegularizedMLPClassifierCV, RegularizedMLPRegressorCV)
# A short search that still separates the informative features from the
# noise (for every data seed 0-3 and both path parameters when it was written).
SEARCH = dict(
    hidden_layer_sizes=(8,),
    alphas=8,
    max_iter=100,
    path_max_iter=10,
    learning_rate_init=0.01,
    random_state=0,
)
N_INFORMATIVE = 2
# Below any positive importance: SelectFromModel then keeps every feature in use.
TINY = np.finfo(np.float64).tiny


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits do not converge
        yield


def data(Est, seed=0, n_samples=300):
    """Six standard normal features; the target depends on the first two."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_samples, 6))
    signal = X[:, 0] + X[:, 1] ** 2 - 1
    if Est in (RegularizedMLPClassifierCV, RegularizedMLPClassifier):
        return X, (signal > 0).astype(int)
    return X, signal


def search(Est, path_param, **params):
    penalty = dict(penalty="l1") if path_param == "alpha" else {}
    folds = KFold(3, shuffle=True, random_state=0)
    return Est(**{**SEARCH, **penalty, "path_param": path_param, "cv": folds, **params})


# --------------------------------------------------------------------------
# The exit rates of one path, and of several
# --------------------------------------------------------------------------


def test_exit_rates_by_hand():
    rates = [0.1, 1.0, 10.0]
    active = np.array(
        [
            # gone at 10, gone at 1, never used, always used, back at 1 only
            [True, True, False, True, False],
            [True, False, False, True, True],
            [False, False, False, True, False],
        ]
    )
    np.testing.assert_array_equal(exit_rates(rates, active), [10.0, 1.0, 0.1, np.inf, 10.0])


def test_exit_rates_of_a_feature_that_comes_back():
    # Dropped at the second rate, used again at the third: it left for good at the fourth.
    active = np.array([[True], [False], [True], [False], [False]])
    np.testing.assert_array_equal(exit_rates([1, 2, 3, 4, 5], active), [4.0])


def test_combined_exit_rates_are_the_lower_median():
    per_fold = [[1.0, 2.0, np.inf], [3.0, 1.0, np.inf], [2.0, 2.0, 1.0], [np.inf, 1.0, 1.0]]
    # Sorted columns: (1, 2, 3, inf), (1, 1, 2, 2), (1, 1, inf, inf): the second of four.
    np.testing.assert_array_equal(combined_exit_rates(per_fold), [2.0, 1.0, 1.0])
    np.testing.assert_array_equal(combined_exit_rates(per_fold[:3]), [2.0, 2.0, np.inf])


@pytest.mark.parametrize("path_param", ["alpha", "group_alpha"])
def test_path_exit_rates_follow_its_active_features(path_param):
    X, y = data(RegularizedMLPRegressor)
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(8,), penalty="l1", max_iter=100, learning_rate_init=0.01, random_state=0
    )
    path = regularization_path(X, y, estimator=est, path_param=path_param, n_alphas=6)
    assert path.exit_rates.shape == (X.shape[1],)
    for j, rate in enumerate(path.exit_rates):
        later = path.alphas >= rate
        assert not path.active_features[later, j].any()  # gone for good from its exit on
        before = np.flatnonzero(~later)
        if before.size:
            assert path.active_features[before[-1], j]  # used just before it
    # The noise features go first.
    assert path.exit_rates[:N_INFORMATIVE].min() > path.exit_rates[N_INFORMATIVE:].max()


# --------------------------------------------------------------------------
# path_importances_ on the CV estimators
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path_param", ["alpha", "group_alpha"])
@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_informative_features_leave_the_paths_last(Est, path_param):
    X, y = data(Est)
    est = search(Est, path_param).fit(X, y)
    importances = est.path_importances_
    assert importances.shape == (X.shape[1],)
    assert set(importances) <= set(est.alphas_) | {np.inf}  # rates of the grid
    assert importances[:N_INFORMATIVE].min() > importances[N_INFORMATIVE:].max()


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_path_importances_come_from_the_folds(Est):
    # The folds are the same whatever the refit: so are the exit rates.
    X, y = data(Est, n_samples=150)
    refitted = search(Est, "group_alpha").fit(X, y)
    ensemble = search(Est, "group_alpha", refit="ensemble").fit(X, y)
    np.testing.assert_array_equal(refitted.path_importances_, ensemble.path_importances_)


@pytest.mark.parametrize("refit", [True, "ensemble"])
@pytest.mark.parametrize("Est", CV_ESTIMATORS)
def test_a_second_fit_replaces_path_importances(Est, refit):
    X, y = data(Est)
    est = search(Est, "group_alpha", refit=refit).fit(X, y)
    order = [5, 4, 0, 3, 1, 2]  # the informative features now at 2 and 4
    est.fit(X[:, order], y)
    importances = est.path_importances_
    assert importances[[2, 4]].min() > importances[[0, 1, 3, 5]].max()
    est.fit(X[:, :4], y)
    assert est.path_importances_.shape == (4,)


def test_path_importances_of_the_chosen_l1_ratio():
    X, y = data(RegularizedMLPRegressorCV, n_samples=150)
    est = search(RegularizedMLPRegressorCV, "alpha", penalty="elasticnet", l1_ratio=[0.5, 1.0])
    est.fit(X, y)
    row = [0.5, 1.0].index(est.l1_ratio_)
    assert not set(est.alphas_[0]) & set(est.alphas_[1])  # each l1_ratio its own grid
    assert set(est.path_importances_) <= set(est.alphas_[row]) | {np.inf}
    assert np.isfinite(est.path_importances_).any()


# --------------------------------------------------------------------------
# selected_features_: the features in use, by name
# --------------------------------------------------------------------------


def sparse_fit(Est, X, y, **params):
    """A fit whose group penalty removes some of the features, not all."""
    if Est in CV_ESTIMATORS:
        est = search(Est, "group_alpha", selection_rule="1se", **params)
    else:
        est = Est(
            hidden_layer_sizes=(8,),
            group_alpha=0.01 if Est is RegularizedMLPClassifier else 0.02,
            learning_rate_init=0.01,
            max_iter=100,
            random_state=0,
            **params,
        )
    est.fit(X, y)
    assert 0 < est.n_features_selected_ < X.shape[1]
    return est


def in_use(est):
    if hasattr(est, "estimators_"):
        return np.any([member.coefs_[0].any(axis=1) for member in est.estimators_], axis=0)
    return est.coefs_[0].any(axis=1)


def selected_by_threshold(est, X):
    """What SelectFromModel keeps of the fitted ``est`` with a tiny threshold
    (its ``fit`` only takes the model and the columns' names, with ``prefit``)."""
    selector = SelectFromModel(est, threshold=TINY, prefit=True).fit(X)
    return selector.get_feature_names_out()


ALL = [
    (RegularizedMLPClassifier, {}),
    (RegularizedMLPRegressor, {}),
    (RegularizedMLPClassifierCV, {}),
    (RegularizedMLPRegressorCV, {}),
    (RegularizedMLPClassifierCV, {"refit": "ensemble"}),
    (RegularizedMLPRegressorCV, {"refit": "ensemble"}),
]


@pytest.mark.parametrize("Est, params", ALL)
def test_selected_features_without_names(Est, params):
    X, y = data(Est)
    est = sparse_fit(Est, X, y, **params)
    names = np.array([f"x{j}" for j in range(X.shape[1])], dtype=object)
    selected = est.selected_features_
    assert selected.dtype == object
    np.testing.assert_array_equal(selected, names[in_use(est)])
    assert len(selected) == est.n_features_selected_
    np.testing.assert_array_equal(selected_by_threshold(est, X), selected)
    # A second fit, on fewer columns, replaces them.
    est.fit(X[:, :5], y)
    assert set(est.selected_features_) <= set(names[:5])


@pytest.mark.parametrize("Est, params", ALL)
def test_selected_features_by_name(Est, params):
    pd = pytest.importorskip("pandas")
    X, y = data(Est)
    columns = ["a", "b", "c", "d", "e", "f"]
    frame = pd.DataFrame(X, columns=columns)
    est = sparse_fit(Est, frame, y, **params)
    np.testing.assert_array_equal(est.selected_features_, np.array(columns)[in_use(est)])
    np.testing.assert_array_equal(selected_by_threshold(est, frame), est.selected_features_)


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressorCV])
def test_selected_features_after_a_column_transformer(Est):
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = data(Est)
    frame = pd.DataFrame(X[:, :4], columns=["a", "b", "c", "d"])
    frame["colour"] = np.array(["red", "green", "blue"])[np.arange(len(frame)) % 3]
    preprocess = ColumnTransformer(
        [
            ("num", StandardScaler(), ["a", "b", "c", "d"]),
            ("cat", OneHotEncoder(sparse_output=False), ["colour"]),
        ]
    )
    est = sparse_fit(Est, preprocess.fit_transform(frame), y)  # which features survive
    pipe = Pipeline([("pre", preprocess), ("net", est)]).set_output(transform="pandas")
    pipe.fit(frame, y)
    net = pipe.named_steps["net"]
    names = pipe[:-1].get_feature_names_out()
    np.testing.assert_array_equal(net.feature_names_in_, names)
    assert 0 < net.n_features_selected_ < len(names)
    np.testing.assert_array_equal(net.selected_features_, names[in_use(net)])
    assert "num__a" in net.selected_features_  # the informative one
    selected = selected_by_threshold(net, pipe[:-1].transform(frame))
    np.testing.assert_array_equal(selected, net.selected_features_)


# --------------------------------------------------------------------------
# Bad use
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Est", CV_ESTIMATORS)
@pytest.mark.parametrize(
    "name", ["path_importances_", "selected_features_", "feature_importances_"]
)
def test_before_fit_the_cv_estimators_say_not_fitted(Est, name):
    with pytest.raises(NotFittedError):
        getattr(Est(), name)
    assert not hasattr(Est(), name)


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_before_fit_the_estimators_say_not_fitted(Est):
    with pytest.raises(NotFittedError):
        _ = Est().selected_features_
