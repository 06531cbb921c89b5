"""Bad input to fit and predict: validation data, scorers,
solvers, parameters changed after a fit, callbacks and DataFrames.  Each error
names the input or parameter at fault, and a failed fit leaves the estimator
as it was."""

import copy

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

import skreg._callbacks as callbacks
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)
from skreg._training import TrainingDiverged

CLF, REG = RegularizedMLPClassifier, RegularizedMLPRegressor
BOTH = (CLF, REG)
SMALL = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=40, n_features=4, n_informative=2, random_state=0)
    return X, y


def targets(Est, y, n_outputs):
    """Targets with ``n_outputs`` columns for ``Est`` (1: a plain 1-D y)."""
    if n_outputs == 1:
        return y if Est is CLF else y * 1.0
    Y = np.column_stack([y, 1 - y])
    return Y if Est is CLF else Y * 1.0


def fitted_state(est):
    return copy.deepcopy(callbacks.fitted_attributes(est))


def assert_unchanged(est, before):
    """The fitted state is what ``fitted_state`` saw (no attribute more or
    less, the same weights and loss curve)."""
    after = callbacks.fitted_attributes(est)
    assert after.keys() == before.keys()
    for W, W0 in zip(after.get("coefs_", []), before.get("coefs_", [])):
        np.testing.assert_array_equal(W, W0)
    assert after.get("loss_curve_") == before.get("loss_curve_")


# -- 1. validation data on a fresh estimator and on a refit -------------------


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("Est", BOTH)
def test_validation_data_on_a_fresh_fit(Est, n_outputs, solver, data):
    X, y = data
    Y = targets(Est, y, n_outputs)
    est = Est(solver=solver, **SMALL).fit(X, Y, X_val=X[:10], y_val=Y[:10])
    assert len(est.validation_scores_) == est.n_iter_
    assert est.n_outputs_ == (n_outputs if Est is REG or n_outputs == 2 else 1)


@pytest.mark.parametrize("first, second", [(1, 2), (2, 1)])
@pytest.mark.parametrize("Est", BOTH)
def test_a_refit_checks_validation_data_against_its_own_targets(Est, first, second, data):
    X, y = data
    est = Est(**SMALL).fit(X, targets(Est, y, first))
    Y = targets(Est, y, second)
    est.fit(X, Y, X_val=X[:10], y_val=Y[:10])
    assert len(est.validation_scores_) == est.n_iter_
    with pytest.raises(ValueError, match="y_val"):
        est.fit(X, Y, X_val=X[:10], y_val=targets(Est, y, first)[:10])


# -- 2. errors about the validation data name them ----------------------------


def _nan_at_start(A):
    A = A.copy()
    A[0, 0] = np.nan
    return A


VALIDATION_CASES = [
    ("narrow", lambda X, y: dict(X_val=X[:10, :3], y_val=y[:10]), r"X_val has 3 features"),
    ("nan", lambda X, y: dict(X_val=_nan_at_start(X[:10]), y_val=y[:10]), "Input X_val contains"),
    ("1d", lambda X, y: dict(X_val=X[0], y_val=y[:1]), "X_val"),
    (
        "weights_length",
        lambda X, y: dict(X_val=X[:10], y_val=y[:10], sample_weight_val=np.ones(5)),
        r"sample_weight_val.shape == \(5,\)",
    ),
    (
        "weights_negative",
        lambda X, y: dict(X_val=X[:10], y_val=y[:10], sample_weight_val=-np.ones(10)),
        "sample_weight_val",
    ),
    (
        "weights_zero",
        lambda X, y: dict(X_val=X[:10], y_val=y[:10], sample_weight_val=np.zeros(10)),
        "sample_weight_val",
    ),
    ("rows", lambda X, y: dict(X_val=X[:10], y_val=y[:9]), "y_val"),
    ("y_3d", lambda X, y: dict(X_val=X[:10], y_val=y[:10, None, None]), "y_val: Found array"),
    ("y_nan", lambda X, y: dict(X_val=X[:10], y_val=np.full(10, np.nan)), "y_val"),
]


@pytest.mark.parametrize("refit", [False, True])
@pytest.mark.parametrize("case, make, pattern", VALIDATION_CASES, ids=lambda c: str(c)[:20])
@pytest.mark.parametrize("Est", BOTH)
def test_bad_validation_data_are_named(Est, case, make, pattern, refit, data):
    X, y = data
    est = Est(**SMALL)
    if refit:
        est.fit(X[:20], y[:20])
    before = fitted_state(est)
    with pytest.raises(ValueError, match=pattern) as info:
        est.fit(X, y, **make(X, y))
    assert not any(
        f"{name} " in str(info.value) for name in ("Input X ", "X has", "sample_weight.shape")
    )
    assert_unchanged(est, before)


@pytest.mark.parametrize(
    "y_val, pattern",
    [
        (np.full(10, 7), r"y_val has classes not in the training data: .*\[7\]"),
        (np.linspace(0, 1, 10), r"y_val has classes not in the training data: .*0\.1"),
        (np.array(["a"] * 10, dtype=object), r"y_val has classes not in the training data: .*'a'"),
        (np.ones((10, 2), dtype=int), r"y_val must be 1-D"),
    ],
    ids=["unseen", "continuous", "strings", "multilabel"],
)
def test_validation_labels_the_training_never_saw(y_val, pattern, data):
    X, y = data
    est = CLF(**SMALL)
    with pytest.raises(ValueError, match=pattern):
        est.fit(X, y, X_val=X[:10], y_val=y_val)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


def test_regressor_validation_targets_must_be_numbers(data):
    X, y = data
    with pytest.raises(ValueError, match="y_val: could not convert"):
        REG(**SMALL).fit(X, y * 1.0, X_val=X[:10], y_val=np.array(["a"] * 10))


def test_multilabel_validation_targets_must_match(data):
    X, y = data
    Y = np.column_stack([y, 1 - y])
    with pytest.raises(ValueError, match="y_val must be a label indicator matrix with 2"):
        CLF(**SMALL).fit(X, Y, X_val=X[:10], y_val=y[:10])
    with pytest.raises(ValueError, match="y_val must hold only 0 and 1"):
        CLF(**SMALL).fit(X, Y, X_val=X[:10], y_val=2 * Y[:10])


# -- 3. L-BFGS records the validation score of every iteration ----------------


@pytest.mark.parametrize("Est", BOTH)
def test_lbfgs_records_validation_scores(Est, data):
    X, y = data
    X_val, y_val = X[:10], y[:10]
    est = Est(solver="lbfgs", hidden_layer_sizes=(3,), max_iter=15, random_state=0)
    est.fit(X[10:], y[10:], X_val=X_val, y_val=y_val)
    assert len(est.validation_scores_) == est.n_iter_ == len(est.loss_curve_)
    assert len(est.validation_loss_curve_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)
    # the last score is the returned model's
    assert est.validation_scores_[-1] == pytest.approx(est.score(X_val, y_val))
    # a refit without validation data records none
    assert est.fit(X, y).validation_scores_ is None


def _validation_aligned(est):
    """The validation records are one per epoch of loss_curve_, or None."""
    if est.validation_scores_ is None:
        return est.validation_loss_curve_ is None and est.best_validation_score_ is None
    n = len(est.loss_curve_)
    return len(est.validation_scores_) == len(est.validation_loss_curve_) == n


@pytest.mark.parametrize("Est", BOTH)
@pytest.mark.parametrize("first, then", [("val", "none"), ("none", "val"), ("val", "partial")])
def test_validation_records_stay_one_per_epoch_across_calls(Est, first, then, data):
    # A warm start or partial_fit lengthens loss_curve_: the validation
    # records follow it (a call without validation data drops them, one with
    # them marks the epochs before as NaN), and the loss display draws them.
    from skreg.inspection import LossCurveDisplay

    X, y = data
    split = dict(X_val=X[:10], y_val=y[:10])
    est = Est(warm_start=True, **SMALL)
    est.fit(X[10:], y[10:], **(split if first == "val" else {}))
    if then == "partial":
        est.partial_fit(X[10:], y[10:])
    else:
        est.fit(X[10:], y[10:], **(split if then == "val" else {}))
    assert _validation_aligned(est)
    if then == "val":
        n_first = len(est.loss_curve_) - est.n_iter_
        assert np.all(np.isnan(est.validation_scores_[:n_first]))
        assert est.best_validation_score_ == np.nanmax(est.validation_scores_)
    pytest.importorskip("matplotlib").use("Agg")
    LossCurveDisplay.from_estimator(est)


@pytest.mark.parametrize("Est", BOTH)
def test_a_warm_start_after_early_stopping_goes_on_by_the_loss(Est, data):
    # The early-stopped fit kept no best loss (None, as in scikit-learn).
    X, y = data
    est = Est(warm_start=True, early_stopping=True, **SMALL).fit(X, y)
    assert est.best_loss_ is None
    est.set_params(early_stopping=False).fit(X, y)
    assert est.best_loss_ == min(est.loss_curve_[-est.n_iter_ :])


# -- 4. a scorer returning NaN ------------------------------------------------


def nan_scorer(estimator, X, y, sample_weight=None):
    return np.nan


@pytest.mark.parametrize("refit", [False, True])
@pytest.mark.parametrize("early_stopping", [True, False])
@pytest.mark.parametrize("Est", BOTH)
def test_a_scorer_returning_nan_is_an_error(Est, early_stopping, refit, data):
    X, y = data
    est = Est(early_stopping=early_stopping, **SMALL)
    if refit:
        est.fit(X[:20], y[:20])
    before = fitted_state(est)
    est.set_params(scoring=nan_scorer)
    with pytest.raises(ValueError, match="scoring=<function nan_scorer.*returned nan"):
        est.fit(X, y, **({} if early_stopping else dict(X_val=X[:10], y_val=y[:10])))
    assert_unchanged(est, before)


@pytest.mark.parametrize("refit", [False, True])
@pytest.mark.parametrize(
    "Est, scoring, target",
    [(REG, "accuracy", lambda y: y * 1.0), (CLF, "roc_auc", lambda y: np.arange(len(y)) % 3)],
    ids=["regressor-accuracy", "classifier-roc_auc-3-classes"],
)
def test_a_scorer_that_cannot_score_the_target_is_named(Est, scoring, target, refit, data):
    X, y = data
    est = Est(early_stopping=True, **SMALL)
    if refit:
        est.fit(X, target(y))
    before = fitted_state(est)
    est.set_params(scoring=scoring)
    with pytest.raises(ValueError, match=f"scoring='{scoring}' failed on the validation data"):
        est.fit(X, target(y))
    assert_unchanged(est, before)


# (The classifier's accuracy stays a number: saturated probabilities still give labels.)
@pytest.mark.parametrize("Est, scoring", [(REG, None), (REG, "loss"), (CLF, "loss")])
def test_validation_data_that_overflow_the_network_are_named(Est, scoring, data):
    X, y = data
    est = Est(scoring=scoring, early_stopping=True, **SMALL)
    huge = np.full((10, X.shape[1]), np.finfo(np.float64).max)
    with pytest.raises(ValueError, match="outputs on the validation data are not finite.*X_val"):
        est.fit(X, y, X_val=huge, y_val=y[:10])


@pytest.mark.parametrize("Est", BOTH)
def test_an_early_stopping_split_with_no_weight_on_one_side_is_named(Est, data):
    # Zero-weight rows (sparse weights, a bootstrap's counts as BaggingClassifier
    # passes them) can all fall on one side of the split; one positive weight
    # moved over every row puts it on each side in turn.
    X, y = data
    sides = set()
    for row in range(len(y)):
        sample_weight = np.zeros(len(y))
        sample_weight[row] = 1.0
        est = Est(early_stopping=True, **SMALL)
        pattern = "every sample_weight on the .* side of the split"
        with pytest.raises(ValueError, match=pattern) as info:
            est.fit(X, targets(Est, y, 1), sample_weight=sample_weight)
        side = str(info.value).split(" side of the split")[0].rsplit(" ", 1)[-1]
        change = {"validation": "raise", "training": "lower"}[side]
        assert f"{change} validation_fraction" in str(info.value)
        sides.add(side)
        assert not hasattr(est, "coefs_")
    assert sides == {"validation", "training"}


# -- 5. L-BFGS diverging on unscaled data --------------------------------------


@pytest.mark.parametrize("refit", [False, True])
def test_lbfgs_on_unscaled_data_raises_like_adam(refit, data):
    X, y = data
    est = REG(solver="lbfgs", hidden_layer_sizes=(20,), max_iter=200, random_state=0)
    before = fitted_state(est.fit(X, y * 1.0) if refit else est)
    with pytest.raises(TrainingDiverged, match="after the last iteration.*standardize"):
        est.fit(X * 1e6, y * 1.0)
    assert_unchanged(est, before)


# -- 6. parameters that prediction reads, changed after the fit ----------------


@pytest.mark.parametrize(
    "params, pattern",
    [
        (dict(leaky_relu_slope=np.nan), "leaky_relu_slope"),
        (dict(leaky_relu_slope=-1.0), "leaky_relu_slope"),
        (dict(activation="swish"), "activation"),
        (dict(momentum=None), "momentum"),
        (dict(epsilon="small"), "epsilon"),
    ],
)
@pytest.mark.parametrize("Est", BOTH)
def test_prediction_checks_the_parameters_it_reads(Est, params, pattern, data):
    X, y = data
    est = Est(activation="leaky_relu", **SMALL).fit(X, y)
    est.set_params(**params)
    methods = ["predict", "score", "prune"]
    methods += ["predict_proba", "predict_log_proba"] if Est is CLF else []
    for method in methods:
        args = {"score": (X, y), "prune": ()}.get(method, (X,))
        with pytest.raises(InvalidParameterError, match=pattern):
            getattr(est, method)(*args)


def test_prediction_checks_out_activation(data):
    X, y = data
    est = REG(**SMALL).fit(X, y * 1.0)
    est.out_activation_ = "swish"
    with pytest.raises(ValueError, match="out_activation_"):
        est.predict(X)


# -- 7. a huge leaky_relu_slope ----------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("Est", BOTH)
def test_divergence_from_a_huge_slope_names_it(Est, solver, data):
    X, y = data
    est = Est(
        activation="leaky_relu",
        leaky_relu_slope=1e6,
        hidden_layer_sizes=(4, 4),
        solver=solver,
        max_iter=20,
        random_state=0,
    )
    with pytest.raises(ValueError, match=r"To fix it, lower leaky_relu_slope \(now 1e\+06"):
        est.fit(X, y)


# -- 9. a callback whose teardown raises ---------------------------------------


class TeardownFails:
    max_propagation_depth = None

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        raise RuntimeError("teardown failed")

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        pass


@pytest.mark.skipif(not callbacks.AVAILABLE, reason="needs scikit-learn's callback API")
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("refit", [False, True])
@pytest.mark.parametrize("Est", BOTH)
def test_a_failing_teardown_leaves_the_estimator_as_it_was(Est, refit, method, data):
    X, y = data
    est = Est(**SMALL)
    if refit:
        est.fit(X[:20], y[:20])  # other data: the call under test would change the weights
    before = fitted_state(est)
    est.set_callbacks(TeardownFails())
    kwargs = dict(classes=np.unique(y)) if method == "partial_fit" and Est is CLF else {}
    with pytest.raises(RuntimeError, match="teardown failed"):
        getattr(est, method)(X, y, **kwargs)
    assert_unchanged(est, before)
    if not refit:
        with pytest.raises(NotFittedError):
            check_is_fitted(est)


@pytest.mark.skipif(not callbacks.AVAILABLE, reason="needs scikit-learn's callback API")
@pytest.mark.parametrize("Est", BOTH)
def test_a_failed_partial_fit_gives_back_the_random_stream_and_loss_curve(Est, data):
    """The saved state is a copy: the random stream that dropout carries from
    call to call draws on from where it was, and the loss curve is the one
    from before the call, not the list the failed call appended to."""
    X, y = data
    est = Est(dropout=0.5, **SMALL)
    kwargs = dict(classes=np.unique(y)) if Est is CLF else {}
    est.partial_fit(X, y, **kwargs)
    stream_before = est._random_state.get_state()
    curve_before = est.loss_curve_
    expected_draws = copy.deepcopy(est._random_state).random_sample(5)
    est.set_callbacks(TeardownFails())
    with pytest.raises(RuntimeError, match="teardown failed"):
        est.partial_fit(X, y, **kwargs)
    assert est.loss_curve_ == curve_before[:1] and len(curve_before) == 2
    assert est.loss_curve_ is not curve_before
    np.testing.assert_array_equal(est._random_state.get_state()[1], stream_before[1])
    np.testing.assert_array_equal(est._random_state.random_sample(5), expected_draws)


# -- 10. DataFrames with columns that are not numbers ---------------------------


@pytest.mark.parametrize("where", ["fit", "X_val", "predict"])
@pytest.mark.parametrize("Est", BOTH)
def test_non_numeric_dataframe_columns_are_named(Est, where, data):
    pd = pytest.importorskip("pandas")
    X, y = data
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    bad = df.assign(b=np.where(X[:, 1] > 0, "yes", "no"), d=pd.Categorical(["u"] * len(X)))
    est = Est(**SMALL)
    with pytest.raises(ValueError, match=r"X(_val)? has columns that are not numeric: 'b'.*'d'"):
        if where == "fit":
            est.fit(bad, y)
        elif where == "X_val":
            est.fit(df, y, X_val=bad, y_val=y)
        else:
            est.fit(df, y).predict(bad)


@pytest.mark.parametrize("method", ["predict", "score"])
@pytest.mark.parametrize("Est", BOTH)
def test_columns_renamed_after_fit_are_blamed_on_X(Est, method, data):
    # A call without y must not name y: the feature names are X's.
    pd = pytest.importorskip("pandas")
    X, y = data
    est = Est(**SMALL).fit(pd.DataFrame(X, columns=["a", "b", "c", "d"]), y)
    shuffled = pd.DataFrame(X, columns=["d", "c", "b", "a"])
    with pytest.raises(ValueError, match="^X: The feature names should match"):
        getattr(est, method)(*([shuffled, y] if method == "score" else [shuffled]))


@pytest.mark.skipif(not callbacks.AVAILABLE, reason="needs scikit-learn's callback API")
@pytest.mark.parametrize("refit", [False, True])
@pytest.mark.parametrize("Est", [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV])
def test_a_failing_teardown_leaves_a_cv_estimator_as_it_was(Est, refit, data):
    X, y = data
    est = Est(**SMALL, alphas=2, cv=2)
    if refit:
        est.fit(X[:20], y[:20])
    before = fitted_state(est)
    est.set_callbacks(TeardownFails())
    with pytest.raises(RuntimeError, match="teardown failed"):
        est.fit(X, y)
    assert_unchanged(est, before)
    if not refit:
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
