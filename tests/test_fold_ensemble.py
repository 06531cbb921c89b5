"""refit="ensemble": the CV estimators' folds' networks at the chosen rate,
averaged, are the model; no attribute of one kind of fit survives the other."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)

SMALL = dict(hidden_layer_sizes=(6,), alphas=3, path_max_iter=3, max_iter=20, random_state=0)
N_FOLDS = 3


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits do not converge
        yield


def data(Est, kind="multiclass"):
    if Est is RegularizedMLPRegressorCV:
        X, y = make_regression(n_samples=90, n_features=5, n_targets=1, random_state=0)
        y = y / 100
        return X, (np.c_[y, -y] if kind == "multioutput" else y)
    X, y = make_classification(
        n_samples=90, n_features=5, n_informative=4, n_redundant=0, n_classes=3, random_state=0
    )
    if kind == "binary":
        y = (y > 0).astype(int)
    elif kind == "multilabel":
        y = np.c_[y == 0, y == 1].astype(int)
    return X, y


def folds(Est, X, y):
    """The folds as fixed index pairs, so that a test knows which is which."""
    splitter = KFold(N_FOLDS, shuffle=True, random_state=1)
    return list(splitter.split(X, y))


def ensemble(Est, X, y, **params):
    return Est(**{**SMALL, "cv": folds(Est, X, y), "refit": "ensemble", **params}).fit(X, y)


def output(est, X):
    """What the ensemble averages: probabilities, or predictions."""
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


def refitted(Est, X, y, first):
    """A CV estimator fitted with refit=``first``, then refitted as an
    ensemble on other data (the first targets scaled or shifted)."""
    est = Est(**{**SMALL, "cv": folds(Est, X, y), "refit": first}).fit(X, y)
    y2 = y * 2 if Est is RegularizedMLPRegressorCV else y
    return est.set_params(refit="ensemble", cv=folds(Est, X[::-1], y2)).fit(X[::-1], y2[::-1])


ESTIMATORS = [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV]
CASES = [
    (RegularizedMLPClassifierCV, "multiclass"),
    (RegularizedMLPClassifierCV, "binary"),
    (RegularizedMLPClassifierCV, "multilabel"),
    (RegularizedMLPRegressorCV, "single"),
    (RegularizedMLPRegressorCV, "multioutput"),
]


@pytest.mark.parametrize("how", ["fresh", "after_refit", "after_ensemble"])
@pytest.mark.parametrize("Est, kind", CASES)
def test_predictions_are_the_mean_of_the_fold_networks(Est, kind, how):
    X, y = data(Est, kind)
    if how == "fresh":
        est = ensemble(Est, X, y)
    else:
        est = refitted(Est, X, y, True if how == "after_refit" else "ensemble")
    members = est.estimators_
    assert len(members) == N_FOLDS
    assert all(type(m) is Est._base_class for m in members)
    mean = np.mean([output(m, X) for m in members], axis=0)
    np.testing.assert_allclose(output(est, X), mean, rtol=1e-12, atol=1e-15)
    if Est is RegularizedMLPClassifierCV and kind != "multilabel":
        np.testing.assert_array_equal(est.predict(X), est.classes_[mean.argmax(axis=1)])
    elif Est is RegularizedMLPClassifierCV:
        np.testing.assert_array_equal(est.predict(X), (mean > 0.5).astype(int))
    else:
        np.testing.assert_allclose(est.score(X, y), _r2(y, mean))


def _r2(y, pred):
    from sklearn.metrics import r2_score

    return r2_score(y, pred)


SEARCHES = {
    "alpha": dict(),
    "l1_ratios": dict(penalty="elasticnet", l1_ratio=[0.2, 0.9], alphas=4),
    "adaptive_group": dict(path_param="group_alpha", group_weights="adaptive"),
}


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_each_fold_network_is_its_folds_at_the_chosen_rate(Est, search):
    """estimators_[k] is fold k's network at the chosen rate and l1_ratio:
    scored on fold k's test part it gives the score that cv_results_
    recorded for that fold."""
    X, y = data(Est)
    est = ensemble(Est, X, y, **SEARCHES[search])
    path_param = est.path_param
    results = est.cv_results_
    chosen = results[f"param_{path_param}"] == est.alpha_
    if est.l1_ratio_ is not None:  # elastic net: one path per l1_ratio
        chosen &= results["param_l1_ratio"] == est.l1_ratio_
    (row,) = np.flatnonzero(chosen)
    for k, ((_, test), member) in enumerate(zip(folds(Est, X, y), est.estimators_)):
        assert member.score(X[test], y[test]) == results[f"split{k}_test_score"][row]
        assert est.l1_ratio_ in (None, member.l1_ratio)
        assert member.n_iter_ == len(member.loss_curve_) > 0
        if path_param == "alpha":
            assert np.allclose(member.alpha, est.alpha_)
        else:
            assert np.allclose(member.group_alpha[0], est.alpha_)
            assert member.group_weights is not None


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_the_choice_is_that_of_the_refit(Est):
    X, y = data(Est)
    refit = Est(**SMALL, cv=folds(Est, X, y)).fit(X, y)
    est = ensemble(Est, X, y)
    assert est.alpha_ == refit.alpha_
    np.testing.assert_array_equal(
        est.cv_results_["mean_test_score"], refit.cv_results_["mean_test_score"]
    )


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_one_networks_attributes_point_to_estimators_(Est):
    X, y = data(Est)
    est = ensemble(Est, X, y)
    np.testing.assert_array_equal(est.n_iter_, [m.n_iter_ for m in est.estimators_])
    for name in ("coefs_", "intercepts_", "loss_curve_", "loss_", "sparsity_", "active_units_"):
        with pytest.raises(AttributeError, match=rf"refit='ensemble' has no {name}.*estimators_"):
            getattr(est, name)
        assert not hasattr(est, name)
    with pytest.raises(AttributeError, match="has no attribute 'nothing_'"):
        _ = est.nothing_
    importances = np.mean([m.feature_importances_ for m in est.estimators_], axis=0)
    np.testing.assert_array_equal(est.feature_importances_, importances)
    used = np.any([m.active_units_[0] for m in est.estimators_], axis=0)
    assert est.n_features_selected_ == used.sum()


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_n_features_selected_counts_the_features_any_network_uses(Est):
    X, y = data(Est)
    est = ensemble(Est, X, y)  # L2: no weight is exactly zero
    # Fold 0 alone drops feature 0, fold 1 alone feature 1: the ensemble uses all.
    for k, feature in ((0, 0), (1, 1)):
        est.estimators_[k].coefs_[0][feature] = 0
    assert [m.n_features_selected_ for m in est.estimators_[:2]] == [4, 4]
    assert est.n_features_selected_ == 5
    for member in est.estimators_:
        member.coefs_[0][0] = 0
    assert est.n_features_selected_ == 4


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_fold_networks_fitted_from_a_dataframe_know_its_columns(Est):
    pd = pytest.importorskip("pandas")
    X, y = data(Est)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    est = ensemble(Est, frame, y)
    for member in est.estimators_:
        np.testing.assert_array_equal(member.feature_names_in_, frame.columns)
        assert set(member.selected_features_) <= set(frame.columns)
        with pytest.raises(ValueError, match="feature names should match"):
            member.predict(frame[["e", "d", "c", "b", "a"]])
    # A refit from an array leaves them without names, as the ensemble.
    est.fit(X, y)
    assert not any(hasattr(member, "feature_names_in_") for member in est.estimators_)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_prune_prunes_every_fold_network(Est):
    X, y = data(Est)
    est = ensemble(Est, X, y)
    before = output(est, X)
    for member in est.estimators_:
        member.coefs_[1][0] = 0  # hidden unit 0 no longer reaches the output
    changed = output(est, X)
    assert est.prune() is est
    assert all(m.coefs_[0].shape[1] == SMALL["hidden_layer_sizes"][0] - 1 for m in est.estimators_)
    np.testing.assert_allclose(output(est, X), changed, rtol=1e-10, atol=1e-12)
    assert before.shape == changed.shape


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_no_attribute_outlives_the_other_kind_of_fit(Est):
    X, y = data(Est)
    est = Est(**SMALL, cv=N_FOLDS)
    single = set(vars(est.fit(X, y)))
    as_ensemble = set(vars(est.set_params(refit="ensemble").fit(X, y)))
    assert "estimators_" in as_ensemble and "coefs_" in single
    assert not {"coefs_", "intercepts_", "loss_curve_", "group_weights_"} & as_ensemble
    assert set(vars(est.set_params(refit=True).fit(X, y))) == single
    assert set(vars(est.set_params(refit="ensemble").fit(X, y))) == as_ensemble
    assert est.estimators_[0].coefs_[0].shape == (X.shape[1], 6)


@pytest.mark.parametrize("refit", [False, "Ensemble", "mean", 1, None, np.array([True])])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_a_bad_refit_is_refused(Est, refit):
    X, y = data(Est)
    with pytest.raises(InvalidParameterError, match=r"'refit' parameter .* among \{'ensemble'\}"):
        Est(**SMALL, refit=refit).fit(X, y)


def _failing_scorer(est, X, y):
    raise RuntimeError("scorer broke")


@pytest.mark.parametrize("first", [True, "ensemble"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_a_failed_fit_leaves_the_estimator_as_it_was(Est, first):
    X, y = data(Est)
    est = Est(**SMALL, cv=N_FOLDS, refit=first).fit(X, y)
    state, before = dict(vars(est)), output(est, X)
    other = "ensemble" if first is True else True
    est.set_params(refit=other, scoring=_failing_scorer)
    with pytest.raises(ValueError, match="scorer broke"):
        est.fit(X, y)
    assert set(vars(est)) == set(state)
    np.testing.assert_array_equal(output(est, X), before)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_an_unfitted_ensemble_says_so(Est):
    from sklearn.exceptions import NotFittedError

    X, _ = data(Est)
    with pytest.raises(NotFittedError):
        Est(refit="ensemble").predict(X)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_in_a_pipeline_and_a_grid_search(Est):
    X, y = data(Est)
    pipe = make_pipeline(StandardScaler(), Est(**SMALL, cv=N_FOLDS))
    name = pipe.steps[-1][0]
    inner = StratifiedKFold if Est is RegularizedMLPClassifierCV else KFold
    search = GridSearchCV(
        pipe, {f"{name}__refit": [True, "ensemble"]}, cv=inner(2), error_score="raise"
    ).fit(X, y)
    assert search.cv_results_["mean_test_score"].shape == (2,)
    pipe.set_params(**{f"{name}__refit": "ensemble"}).fit(X, y)
    model = pipe[-1]
    Xs = pipe[0].transform(X)
    mean = np.mean([output(m, Xs) for m in model.estimators_], axis=0)
    np.testing.assert_allclose(output(pipe, X), mean, rtol=1e-12, atol=1e-15)
    assert isinstance(pipe.score(X, y), float)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_the_fold_networks_are_plain_fitted_estimators(Est):
    X, y = data(Est)
    est = ensemble(Est, X, y)
    for member in est.estimators_:
        assert isinstance(member, (RegularizedMLPClassifier, RegularizedMLPRegressor))
        assert "_optimizer_state" not in vars(member)
        assert member.get_params()["random_state"] == 0


def test_the_regressors_networks_predict_in_the_targets_unit():
    """With scale_target (the default) each path trains on its scaled target;
    the fold networks kept have the scale folded back in."""
    X, y = data(RegularizedMLPRegressorCV)
    y = 1000 * y + 5000
    est = ensemble(RegularizedMLPRegressorCV, X, y)
    for member in est.estimators_:  # unscaled, they would predict near 0
        assert abs(member.predict(X).mean() - y.mean()) < y.std()
    np.testing.assert_allclose(
        est.predict(X), np.mean([m.predict(X) for m in est.estimators_], axis=0)
    )


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_an_ensemble_of_constant_networks_is_told(Est):
    """At rates that zero every network's input layer, the fit warns that the
    chosen model ignores its input, as a refitted one would."""
    from skreg.exceptions import ConstantModelWarning

    X, y = data(Est)
    est = Est(**{**SMALL, "alphas": [1e3, 1e4]}, penalty="l1", cv=N_FOLDS, refit="ensemble")
    with pytest.warns(ConstantModelWarning):
        est.fit(X, y)
    assert all(not m.coefs_[0].any() for m in est.estimators_)
