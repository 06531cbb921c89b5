"""Bad and edge inputs: a clear error naming the culprit, never a crash,
never silently wrong output, and a failed fit leaves the estimator as it was.

Each case of ``BAD`` is ``(id, estimator(s), constructor parameters, call)``
where ``call(est, X, y)`` does the bad thing; the test asserts the exception
type and that the message names the parameter or input at fault.
"""

import copy

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

CLF, REG = RegularizedMLPClassifier, RegularizedMLPRegressor
BOTH = (CLF, REG)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    return X, y


def fit(est, X, y, **kwargs):
    return est.fit(X, y, **kwargs)


def with_X(transform):
    return lambda est, X, y: est.fit(transform(X), y)


def with_y(transform):
    return lambda est, X, y: est.fit(X, transform(y))


def with_weights(weights):
    return lambda est, X, y: est.fit(X, y, sample_weight=weights(len(y)))


def sparse_with(kind, field, position, value):
    """X as a sparse matrix of ``kind``, one entry of an index array broken."""

    def make(X):
        A = getattr(sp, kind)(X)
        getattr(A, field)[position] = value
        return A

    return make


def fitted_then(call):
    """Fit a small model first, then ``call`` it."""

    def run(est, X, y):
        est.set_params(max_iter=2).fit(X, y)
        return call(est, X, y)

    return run


def diverging_fit(est, X, y):
    return est.fit(X, y)


def huge(X):
    """Finite values so large that any product with them overflows."""
    return np.finfo(np.float64).max * np.random.default_rng(0).uniform(size=X.shape)


def predict_with_coefs_changed(change):
    """Fit, replace the first weight matrix by ``change`` of it, predict."""

    def run(est, X, y):
        est.set_params(max_iter=2).fit(X, y)
        est.coefs_[0] = change(est.coefs_[0])
        return est.predict(X)

    return run


def predict_with_bad_intercepts(est, X, y):
    est.intercepts_[0] = np.zeros(est.coefs_[0].shape[1] + 1)
    return est.predict(X)


def change_architecture_then_fit(est, X, y):
    est.set_params(hidden_layer_sizes=(4, 2))
    return est.fit(X, y)


# (id, estimators, parameters, call, exception, message pattern)
BAD = [
    # -- parameters, each on its own ------------------------------------------
    ("hidden_float", BOTH, dict(hidden_layer_sizes=(8.5,)), fit, ValueError, "hidden_layer_sizes"),
    ("hidden_zero", BOTH, dict(hidden_layer_sizes=(0,)), fit, ValueError, "hidden_layer_sizes"),
    (
        "hidden_negative",
        BOTH,
        dict(hidden_layer_sizes=(5, -3)),
        fit,
        ValueError,
        "hidden_layer_sizes",
    ),
    ("hidden_bool", BOTH, dict(hidden_layer_sizes=(True,)), fit, ValueError, "hidden_layer_sizes"),
    ("hidden_str", BOTH, dict(hidden_layer_sizes="abc"), fit, ValueError, "hidden_layer_sizes"),
    ("activation", BOTH, dict(activation="swish"), fit, ValueError, "activation"),
    ("solver", BOTH, dict(solver="newton"), fit, ValueError, "solver"),
    ("alpha_negative", BOTH, dict(alpha=-1.0), fit, ValueError, "alpha"),
    ("alpha_nan", BOTH, dict(alpha=np.nan), fit, ValueError, "alpha"),
    ("alpha_strings", BOTH, dict(alpha=["a"]), fit, ValueError, "alpha"),
    ("alpha_length", BOTH, dict(alpha=[0.1, 0.2, 0.3]), fit, ValueError, "alpha"),
    ("alpha_inf_in_list", BOTH, dict(alpha=[np.inf, 0.1]), fit, ValueError, "alpha"),
    ("alpha_negative_in_list", BOTH, dict(alpha=[0.1, -0.1]), fit, ValueError, "alpha"),
    ("group_alpha_negative", BOTH, dict(group_alpha=-1.0), fit, ValueError, "group_alpha"),
    ("group_alpha_length", BOTH, dict(group_alpha=[1e-3]), fit, ValueError, "group_alpha"),
    ("l1_ratio", BOTH, dict(penalty="elasticnet", l1_ratio=1.5), fit, ValueError, "l1_ratio"),
    ("penalty", BOTH, dict(penalty="l3"), fit, ValueError, "penalty"),
    ("l1_method", BOTH, dict(l1_method="prox"), fit, ValueError, "l1_method"),
    ("batch_size_zero", BOTH, dict(batch_size=0), fit, ValueError, "batch_size"),
    ("batch_size_str", BOTH, dict(batch_size="big"), fit, ValueError, "batch_size"),
    ("learning_rate", BOTH, dict(learning_rate="cyclic"), fit, ValueError, "learning_rate"),
    (
        "learning_rate_init_zero",
        BOTH,
        dict(learning_rate_init=0),
        fit,
        ValueError,
        "learning_rate_init",
    ),
    (
        "learning_rate_init_inf",
        BOTH,
        dict(learning_rate_init=np.inf),
        fit,
        ValueError,
        "learning_rate_init",
    ),
    ("power_t", BOTH, dict(power_t=-1.0), fit, ValueError, "power_t"),
    ("max_iter", BOTH, dict(max_iter=0), fit, ValueError, "max_iter"),
    ("tol", BOTH, dict(tol=-1.0), fit, ValueError, "tol"),
    ("momentum", BOTH, dict(momentum=1.5), fit, ValueError, "momentum"),
    ("beta_1", BOTH, dict(beta_1=1.0), fit, ValueError, "beta_1"),
    ("beta_2", BOTH, dict(beta_2=-0.1), fit, ValueError, "beta_2"),
    ("epsilon", BOTH, dict(epsilon=0.0), fit, ValueError, "epsilon"),
    ("n_iter_no_change", BOTH, dict(n_iter_no_change=0), fit, ValueError, "n_iter_no_change"),
    (
        "validation_fraction_one",
        BOTH,
        dict(validation_fraction=1.0),
        fit,
        ValueError,
        "validation_fraction",
    ),
    ("max_fun", BOTH, dict(max_fun=0), fit, ValueError, "max_fun"),
    ("verbose", BOTH, dict(verbose="yes"), fit, ValueError, "verbose"),
    ("shuffle", BOTH, dict(shuffle="yes"), fit, ValueError, "shuffle"),
    ("warm_start", BOTH, dict(warm_start=1), fit, ValueError, "warm_start"),
    ("random_state", BOTH, dict(random_state="seed"), fit, ValueError, "random_state"),
    ("weight_decay_negative", BOTH, dict(weight_decay=-1.0), fit, ValueError, "weight_decay"),
    ("dropout_one", BOTH, dict(dropout=1.0), fit, ValueError, "dropout"),
    ("dropout_negative_in_list", BOTH, dict(dropout=[-0.1]), fit, ValueError, "dropout"),
    (
        "dropout_without_hidden",
        BOTH,
        dict(hidden_layer_sizes=(), dropout=[0.5]),
        fit,
        ValueError,
        "dropout",
    ),
    (
        "dropout_length",
        BOTH,
        dict(hidden_layer_sizes=(5,), dropout=[0.1, 0.2]),
        fit,
        ValueError,
        "dropout",
    ),
    ("input_dropout", BOTH, dict(input_dropout=1.0), fit, ValueError, "input_dropout"),
    ("input_noise", BOTH, dict(input_noise=-1.0), fit, ValueError, "input_noise"),
    ("max_norm_zero", BOTH, dict(max_norm=0.0), fit, ValueError, "max_norm"),
    ("max_norm_negative", BOTH, dict(max_norm=-1.0), fit, ValueError, "max_norm"),
    (
        "leaky_relu_slope_negative",
        BOTH,
        dict(activation="leaky_relu", leaky_relu_slope=-0.1),
        fit,
        ValueError,
        "leaky_relu_slope",
    ),
    ("loss", (REG,), dict(loss="hinge"), fit, ValueError, "loss"),
    ("class_weight_str", (CLF,), dict(class_weight="auto"), fit, ValueError, "class_weight"),
    (
        "class_weight_negative",
        (CLF,),
        dict(class_weight={0: -1.0, 1: 1.0}),
        fit,
        ValueError,
        "class_weight",
    ),
    (
        "class_weight_nan",
        (CLF,),
        dict(class_weight={0: np.nan, 1: 1.0}),
        fit,
        ValueError,
        "class_weight",
    ),
    (
        "class_weight_unknown_class",
        (CLF,),
        dict(class_weight={0: 1, 1: 1, 7: 3}),
        fit,
        ValueError,
        "class_weight",
    ),
    (
        "class_weight_all_zero",
        (CLF,),
        dict(class_weight={0: 0.0, 1: 0.0}),
        fit,
        ValueError,
        "^class_weight's weighting of y sums to zero",
    ),
    (
        "class_weight_sum_overflows",
        (CLF,),
        dict(class_weight={0: 1e308, 1: 1e308}),
        fit,
        ValueError,
        "The sum of class_weight's weighting of y overflows",
    ),
    (
        "class_weight_times_sample_weight_overflows",
        (CLF,),
        dict(class_weight={0: 1e300, 1: 1e300}),
        with_weights(lambda n: np.full(n, 1e10)),
        ValueError,
        "The sum of sample_weight times class_weight overflows",
    ),
    (
        # Squared errors beyond float64: named before training diverges.
        "y_whose_squares_overflow",
        (REG,),
        {},
        with_y(lambda y: y * 1e160),
        ValueError,
        "y holds values up to 1e.*squared errors overflow float64",
    ),
    (
        "y_whose_squares_overflow_refitted",
        (REG,),
        {},
        fitted_then(lambda est, X, y: est.fit(X, y * 1e160)),
        ValueError,
        "y holds values up to 1e.*squared errors overflow float64",
    ),
    (
        "y_whose_squares_overflow_partial_fit",
        (REG,),
        {},
        fitted_then(lambda est, X, y: est.partial_fit(X, y * 1e160)),
        ValueError,
        "y holds values up to 1e.*squared errors overflow float64",
    ),
    (
        # Balanced from one call's rows: a call of one class would weigh 1.
        "class_weight_balanced_partial_fit",
        (CLF,),
        dict(class_weight="balanced"),
        lambda est, X, y: est.partial_fit(X, y, classes=[0, 1]),
        ValueError,
        "class_weight='balanced' is not supported for partial_fit",
    ),
    (
        "validation_fraction_leaves_no_training_rows",
        BOTH,
        dict(early_stopping=True, validation_fraction=0.99),
        fit,
        ValueError,
        "The training set is too small.*leaves 0 to train on.*Lower 'validation_fraction'",
    ),
    (
        "class_weight_multilabel",
        (CLF,),
        dict(class_weight="balanced"),
        with_y(lambda y: np.c_[y, 1 - y]),
        ValueError,
        "class_weight",
    ),
    # -- parameters that do not fit together ---------------------------------
    ("lbfgs_l1", BOTH, dict(solver="lbfgs", penalty="l1"), fit, ValueError, "solver='lbfgs'"),
    ("lbfgs_dropout", BOTH, dict(solver="lbfgs", dropout=0.5), fit, ValueError, "dropout"),
    ("lbfgs_group", BOTH, dict(solver="lbfgs", group_alpha=0.1), fit, ValueError, "group_alpha"),
    ("lbfgs_max_norm", BOTH, dict(solver="lbfgs", max_norm=1.0), fit, ValueError, "max_norm"),
    ("weight_decay_unstable", BOTH, dict(weight_decay=1e6), fit, ValueError, "weight_decay"),
    ("weight_decay_at_the_limit", BOTH, dict(weight_decay=1000.0), fit, ValueError, "weight_decay"),
    ("sgd_l2_unstable", BOTH, dict(solver="sgd", alpha=1e4), fit, ValueError, "alpha"),
    (
        "validation_fraction_zero",
        BOTH,
        dict(early_stopping=True, validation_fraction=0.0),
        fit,
        ValueError,
        "validation_fraction",
    ),
    (
        "early_stopping_two_samples",
        (CLF,),
        dict(early_stopping=True),
        lambda est, X, y: est.fit(X[:2], [0, 1]),
        ValueError,
        "validation_fraction",
    ),
    (
        "early_stopping_rare_class",
        (CLF,),
        dict(early_stopping=True),
        lambda est, X, y: est.fit(X[:20], [0] * 19 + [1]),
        ValueError,
        "class",
    ),
    (
        "partial_fit_early_stopping",
        (CLF,),
        dict(early_stopping=True),
        lambda est, X, y: est.partial_fit(X, y, classes=[0, 1]),
        ValueError,
        "early_stopping",
    ),
    (
        "input_noise_sparse",
        BOTH,
        dict(input_noise=0.1),
        with_X(sp.csr_matrix),
        ValueError,
        "input_noise",
    ),
    # -- X --------------------------------------------------------------------
    ("X_nan", BOTH, {}, with_X(lambda X: np.where(X > 1.5, np.nan, X)), ValueError, "X"),
    ("X_inf", BOTH, {}, with_X(lambda X: np.where(X > 1.5, np.inf, X)), ValueError, "X"),
    ("X_empty", BOTH, {}, lambda est, X, y: est.fit(X[:0], y[:0]), ValueError, "sample"),
    ("X_no_features", BOTH, {}, with_X(lambda X: X[:, :0]), ValueError, "feature"),
    ("X_1d", BOTH, {}, with_X(lambda X: X[:, 0]), ValueError, "X"),
    ("X_3d", BOTH, {}, with_X(lambda X: X[:, :, None]), ValueError, "X"),
    ("X_strings", BOTH, {}, with_X(lambda X: np.full(X.shape, "a")), ValueError, "X"),
    ("X_y_lengths", BOTH, {}, lambda est, X, y: est.fit(X, y[:50]), ValueError, "samples"),
    (
        "csr_index_huge",
        BOTH,
        {},
        with_X(sparse_with("csr_matrix", "indices", 3, 10**8)),
        ValueError,
        "X has a column index out of range",
    ),
    (
        "csr_index_negative",
        BOTH,
        {},
        with_X(sparse_with("csr_matrix", "indices", 3, -1)),
        ValueError,
        "X has a column index out of range",
    ),
    (
        "csr_index_n_features",
        BOTH,
        {},
        with_X(sparse_with("csr_matrix", "indices", 3, 5)),
        ValueError,
        "X has a column index out of range",
    ),
    (
        "csr_array_index",
        BOTH,
        {},
        with_X(sparse_with("csr_array", "indices", 0, 99)),
        ValueError,
        "X has a column index out of range",
    ),
    (
        "csr_indptr_decreasing",
        BOTH,
        {},
        with_X(sparse_with("csr_matrix", "indptr", 5, 1000)),
        ValueError,
        "X is not a valid CSR matrix",
    ),
    (
        "csc_index",
        BOTH,
        {},
        with_X(sparse_with("csc_matrix", "indices", 3, 60)),
        ValueError,
        "X has a row index out of range",
    ),
    (
        "coo_col",
        BOTH,
        {},
        with_X(sparse_with("coo_matrix", "col", 3, 5)),
        ValueError,
        "X has a column index out of range",
    ),
    (
        "coo_row",
        BOTH,
        {},
        with_X(sparse_with("coo_matrix", "row", 3, -2)),
        ValueError,
        "X has a row index out of range",
    ),
    # -- y and sample_weight -----------------------------------------------------
    ("y_nan", (REG,), {}, with_y(lambda y: np.where(y > 0, np.nan, 0.0)), ValueError, "y"),
    ("y_inf", (REG,), {}, with_y(lambda y: np.where(y > 0, np.inf, 0.0)), ValueError, "y"),
    ("y_strings_regression", (REG,), {}, with_y(lambda y: np.full(len(y), "a")), ValueError, "y"),
    ("y_continuous_classification", (CLF,), {}, with_y(lambda y: y + 0.5), ValueError, "label"),
    (
        "y_poisson_negative",
        (REG,),
        dict(loss="poisson"),
        with_y(lambda y: -1.0 - y),
        ValueError,
        "y",
    ),
    (
        "sample_weight_nan",
        BOTH,
        {},
        with_weights(lambda n: np.r_[np.nan, np.ones(n - 1)]),
        ValueError,
        "sample_weight",
    ),
    (
        "sample_weight_negative",
        BOTH,
        {},
        with_weights(lambda n: -np.ones(n)),
        ValueError,
        "sample_weight",
    ),
    ("sample_weight_all_zero", BOTH, {}, with_weights(np.zeros), ValueError, "(?i)sample.weight"),
    (
        "sample_weight_length",
        BOTH,
        {},
        with_weights(lambda n: np.ones(n - 1)),
        ValueError,
        "sample_weight",
    ),
    (
        "sample_weight_sum_overflows",
        BOTH,
        {},
        with_weights(lambda n: np.full(n, 1e308)),
        ValueError,
        "sample_weight",
    ),
    # -- calls out of order, and fitted models changed by hand ------------------
    ("predict_unfitted", BOTH, {}, lambda est, X, y: est.predict(X), NotFittedError, "not fitted"),
    (
        "predict_n_features",
        BOTH,
        {},
        fitted_then(lambda est, X, y: est.predict(X[:, :3])),
        ValueError,
        "features",
    ),
    (
        "predict_nan",
        BOTH,
        {},
        fitted_then(lambda est, X, y: est.predict(np.where(X > 1, np.nan, X))),
        ValueError,
        "X",
    ),
    (
        "predict_beyond_float32_of_a_float32_model",
        BOTH,
        {},
        lambda est, X, y: est.fit(X.astype(np.float32), y).predict(X[:4] * 1e39),
        ValueError,
        "output is not finite for 4 of 4 rows of X: its float32 arithmetic overflows",
    ),
    (
        # Finite float32 input, on which the regressor's sums overflow (a
        # classifier's output saturates at 0 and 1 instead).
        "predict_overflowing_in_float32",
        (REG,),
        {},
        lambda est, X, y: est.fit(X.astype(np.float32), y).predict(
            np.full((2, X.shape[1]), 3.4e38, np.float32)
        ),
        ValueError,
        "output is not finite for 2 of 2 rows of X: its float32 arithmetic overflows",
    ),
    (
        "predict_overflowing_in_float64",
        (REG,),
        {},
        fitted_then(lambda est, X, y: est.predict(huge(X[:3]))),
        ValueError,
        r"output is not finite for \d of 3 rows of X: its float64 arithmetic",
    ),
    (
        "predict_csr_index",
        BOTH,
        {},
        fitted_then(lambda est, X, y: est.predict(sparse_with("csr_matrix", "indices", 3, 7)(X))),
        ValueError,
        "X has a column index out of range",
    ),
    (
        "predict_bad_intercepts",
        BOTH,
        {},
        fitted_then(predict_with_bad_intercepts),
        ValueError,
        "intercepts_",
    ),
    (
        "predict_integer_coefs",
        BOTH,
        {},
        predict_with_coefs_changed(lambda W: W.astype(np.int64)),
        ValueError,
        r"coefs_\[0\] is int64; the weights must be NumPy arrays of float64 or float32",
    ),
    (
        "predict_list_coefs",
        BOTH,
        {},
        predict_with_coefs_changed(lambda W: W.tolist()),
        ValueError,
        r"coefs_\[0\] is list",
    ),
    (
        "predict_coefs_of_two_dtypes",
        BOTH,
        {},
        predict_with_coefs_changed(lambda W: W.astype(np.float32)),
        ValueError,
        r"coefs_\[1\] is float64 but coefs_\[0\] is float32",
    ),
    (
        "partial_fit_without_classes",
        (CLF,),
        {},
        lambda est, X, y: est.partial_fit(X, y),
        ValueError,
        "classes",
    ),
    (
        "partial_fit_new_class",
        (CLF,),
        {},
        lambda est, X, y: est.partial_fit(X, y, classes=[0, 1]).partial_fit(X, y + 1),
        ValueError,
        "classes",
    ),
    (
        "warm_start_new_architecture",
        BOTH,
        dict(warm_start=True),
        fitted_then(change_architecture_then_fit),
        ValueError,
        "hidden_layer_sizes",
    ),
    (
        "warm_start_new_features",
        BOTH,
        dict(warm_start=True),
        fitted_then(lambda est, X, y: est.fit(X[:, :4], y)),
        ValueError,
        "features",
    ),
    # -- training that diverges ----------------------------------------------------
    (
        "diverging_sgd",
        BOTH,
        dict(solver="sgd", learning_rate_init=1e6, alpha=0.0),
        diverging_fit,
        ValueError,
        "learning_rate_init",
    ),
    (
        # The yardstick a diverged objective is measured against says what
        # it holds: with a large alpha, mostly the starting weights' penalty.
        "diverging_yardstick_named",
        BOTH,
        dict(learning_rate_init=1e3, alpha=10.0),
        with_X(lambda X: X * 1e3),
        ValueError,
        r"yardstick of .*\(the loss of a network with all weights zero, plus the penalty of "
        "the starting weights",
    ),
    (
        "diverging_adam",
        BOTH,
        dict(learning_rate_init=1e3),
        with_X(lambda X: X * 1e3),
        ValueError,
        "learning_rate_init",
    ),
    (
        "overflowing_X",
        (REG,),
        {},
        with_X(huge),
        ValueError,
        "non-finite",
    ),
]


def _cases():
    for case_id, estimators, params, call, error, pattern in BAD:
        for Est in estimators:
            yield pytest.param(
                Est,
                params,
                call,
                error,
                pattern,
                id=f"{case_id}-{Est.__name__.removeprefix('RegularizedMLP')}",
            )


def test_the_table_holds_at_least_sixty_cases():
    assert len(BAD) >= 60


@pytest.mark.parametrize("Est, params, call, error, pattern", list(_cases()))
def test_bad_input_raises_a_clear_error(Est, params, call, error, pattern, data):
    X, y = data
    est = Est(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    est.set_params(**params)
    with pytest.raises(error, match=pattern):
        call(est, X, y * 1.0 if Est is REG else y)


# --------------------------------------------------------------------------
# A failed fit leaves the estimator as it was
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Est", BOTH)
def test_a_fresh_estimator_stays_unfitted_after_a_failed_fit(Est, data):
    X, y = data
    est = Est(solver="sgd", learning_rate_init=1e6, alpha=0.0, max_iter=50, random_state=0)
    with pytest.raises(ValueError, match="learning_rate_init"):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]


@pytest.mark.parametrize("Est", BOTH)
def test_a_warm_started_estimator_keeps_its_model_after_a_failed_fit(Est, data):
    X, y = data
    est = Est(hidden_layer_sizes=(4,), warm_start=True, max_iter=5, random_state=0).fit(X, y)
    before = copy.deepcopy(vars(est))
    prediction = est.predict(X)
    est.set_params(solver="sgd", learning_rate_init=1e6, alpha=0.0, max_iter=50)
    with pytest.raises(ValueError, match="Training diverged"):
        est.fit(X * 1e3, y)
    np.testing.assert_array_equal(est.predict(X), prediction)
    for W, W0 in zip(est.coefs_ + est.intercepts_, before["coefs_"] + before["intercepts_"]):
        assert np.all(np.isfinite(W))
        np.testing.assert_array_equal(W, W0)
    assert est.loss_curve_ == before["loss_curve_"]
    assert est.n_iter_ == before["n_iter_"]


@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
@pytest.mark.parametrize(
    "first, second", [("squared_error", "poisson"), ("poisson", "squared_error")]
)
def test_going_on_refuses_a_loss_with_another_output_activation(first, second, method, data):
    """The loss sets the output activation (identity, exp) when the network is
    made: going on from it under the other loss would train and predict
    through the first one's."""
    X, _ = data
    y = np.exp(X[:, 0])
    est = REG(hidden_layer_sizes=(3,), loss=first, max_iter=3, random_state=0).fit(X, y)
    before = copy.deepcopy(vars(est))
    est.set_params(loss=second, warm_start=method == "warm_start")
    going_on = est.fit if method == "warm_start" else est.partial_fit
    with pytest.raises(ValueError, match=f"loss='{second}' takes the output activation"):
        going_on(X, y)
    assert est.out_activation_ == before["out_activation_"]
    for W, W0 in zip(est.coefs_, before["coefs_"]):
        np.testing.assert_array_equal(W, W0)


def test_partial_fit_that_fails_keeps_the_optimizer_state(data):
    X, y = data
    est = CLF(hidden_layer_sizes=(4,), random_state=0).partial_fit(X, y, classes=[0, 1])
    moments = est._optimizer.moments.copy()
    coefs = [W.copy() for W in est.coefs_]
    with pytest.raises(ValueError, match="X"):
        est.partial_fit(np.where(X > 1, np.nan, X), y)
    np.testing.assert_array_equal(est._optimizer.moments, moments)
    for W, W0 in zip(est.coefs_, coefs):
        np.testing.assert_array_equal(W, W0)


def test_lbfgs_that_overflows_raises_and_stays_unfitted(data):
    X, y = data
    est = REG(solver="lbfgs", max_iter=20)
    with pytest.raises(ValueError, match="non-finite"):
        est.fit(huge(X), y * 1.0)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


# --------------------------------------------------------------------------
# Valid edge inputs give the model the plain array gives
# --------------------------------------------------------------------------


def _readonly(X):
    X = X.copy()
    X.flags.writeable = False
    return X


def _memmap(X, tmp_path):
    path = tmp_path / "X.dat"
    mm = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    return np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)


def _strided(X):
    wide = np.zeros((X.shape[0], 2 * X.shape[1]))
    wide[:, ::2] = X
    return wide[:, ::2]


DENSE_VARIANTS = {
    "fortran": np.asfortranarray,
    "strided": _strided,
    "readonly": _readonly,
    "memmap": None,  # needs tmp_path
    "list": lambda X: X.tolist(),
}


def _fit_pair(Est, X_plain, X_variant, y):
    params = dict(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    return Est(**params).fit(X_plain, y), Est(**params).fit(X_variant, y)


@pytest.mark.parametrize("variant", list(DENSE_VARIANTS))
@pytest.mark.parametrize("Est", BOTH)
def test_dense_layouts_give_the_same_model(Est, variant, data, tmp_path):
    X, y = data
    X_variant = _memmap(X, tmp_path) if variant == "memmap" else DENSE_VARIANTS[variant](X)
    plain, other = _fit_pair(Est, X, X_variant, y)
    for a, b in zip(plain.coefs_ + plain.intercepts_, other.coefs_ + other.intercepts_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(plain.predict(X), other.predict(X_variant))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float16, np.uint8])
@pytest.mark.parametrize("Est", BOTH)
def test_other_numeric_dtypes_train_as_float64(Est, dtype, data):
    """Integer and float16 X are converted to float64, as scikit-learn does:
    the same model as the float64 array of the same values."""
    X, y = data
    X_other = np.round(np.abs(X) * 10).astype(dtype)
    plain, other = _fit_pair(Est, X_other.astype(np.float64), X_other, y)
    assert other.coefs_[0].dtype == np.float64
    for a, b in zip(plain.coefs_ + plain.intercepts_, other.coefs_ + other.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kind", ["csc_matrix", "coo_matrix", "csr_array", "csc_array", "coo_array"]
)
@pytest.mark.parametrize("Est", BOTH)
def test_sparse_formats_give_the_csr_model(Est, kind, data):
    X, y = data
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    plain, other = _fit_pair(Est, sp.csr_matrix(X), getattr(sp, kind)(X), y)
    for a, b in zip(plain.coefs_ + plain.intercepts_, other.coefs_ + other.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
