"""Finite-difference checks of the gradient of the objective J.

``K.objective_and_gradient`` returns J (weighted mean data loss plus every
penalty term, docs/design.rst "The objective") and a gradient: the data loss plus the L2 part,
plus ``alpha * rho * sign(w)`` in L1-subgradient mode.  Central differences
of J (or of J minus its non-smooth terms, in proximal mode) must match that
gradient for every parameter, every loss and every hidden activation.  The
same check runs on networks fitted by the public estimators, with J
recomputed by the NumPy references from ``coefs_`` / ``intercepts_``.

Everything here is float64; points are chosen away from the kinks (relu at
0, |w| at 0) so that J is differentiable where it is differenced.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import skreg._config as C
import skreg._kernels as K
from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor, _base, _engine, _recipe

import naive as N
from conftest import reg_record, settings_record

EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-8
KINK_MARGIN = 1e-4  # no relu pre-activation and no |w| closer than this to 0
KINKED = ("relu", "leaky_relu")  # activations whose derivative jumps at 0

ACTIVATIONS, LOSSES = N.ACTIVATION_PARAMS, N.LOSS_PARAMS
N_OUTPUTS = {"identity": 2, "exp": 2, "softmax": 3, "logistic": 2}

# Regularization cases: (alpha per layer, rho, group_alpha per layer, l1_method)
REGS = {
    "l2": dict(alpha=[0.3, 0.1, 0.05], rho=0.0, group_alpha=[0.0, 0.0, 0.0], l1_method="proximal"),
    "enet_subgradient": dict(
        alpha=[0.2, 0.4, 0.1], rho=0.4, group_alpha=[0.0, 0.0, 0.0], l1_method="subgradient"
    ),
    # proximal mode: the gradient is that of J minus its L1 and group terms
    "enet_group_proximal": dict(
        alpha=[0.2, 0.4, 0.1], rho=0.4, group_alpha=[0.15, 0.05, 0.3], l1_method="proximal"
    ),
}


def dense(X):
    return C.input_matrix(np.asarray(X, dtype=np.float64), np.float64)


def central_differences(f, x, eps=EPS):
    g = np.empty_like(x)
    for k in range(x.size):
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        g[k] = (f(up) - f(down)) / (2 * eps)
    return g


def kernel_objective(inputs, Y, sw, units, reg, settings):
    """x -> (J, gradient) from the kernel, on a copy of x."""

    def f(x):
        grads = np.full_like(x, np.nan)
        J = K.objective_and_gradient(inputs, Y, sw, x.copy(), units, reg, settings, grads)
        return J, grads

    return f


def non_smooth_part(coefs, reg):
    """The L1 and group terms of J (what proximal steps handle)."""
    l1 = [a * reg["rho"] for a in reg["alpha"]]
    return N.naive_penalty_value(coefs, l1, 1.0) + N.naive_penalty_value(
        coefs, 0.0, 0.0, reg["group_alpha"]
    )


def hidden_pre_activations(X, coefs, intercepts, activation):
    pre, _ = N.naive_hidden_layers(X, coefs, intercepts, activation)
    return np.concatenate([Z.ravel() for Z in pre]) if pre else np.array([1.0])


def make_case(seed, loss, activation, hidden, n=6):
    """Random data and a network whose weights are all at least 0.1 in
    absolute value, and (relu, leaky_relu) whose pre-activations avoid 0."""
    for attempt in range(200):
        rng = np.random.default_rng([seed, attempt])
        units = np.array([3, *hidden, N_OUTPUTS[loss]], dtype=np.int64)
        coefs = [
            rng.choice([-1.0, 1.0], (a, b)) * rng.uniform(0.1, 1.0, (a, b))
            for a, b in zip(units[:-1], units[1:])
        ]
        intercepts = [rng.uniform(-0.5, 0.5, b) for b in units[1:]]
        X = rng.normal(size=(n, 3))
        if activation in KINKED:
            pre = hidden_pre_activations(X, coefs, intercepts, activation)
            if np.min(np.abs(pre)) < KINK_MARGIN * 100:  # margin >> eps * |x|
                continue
            if np.mean(pre > 0) < 0.3:  # mostly dead units: a weak check
                continue
        break
    else:
        raise AssertionError(f"no point away from {activation}'s kink")
    if loss == "identity":
        Y = rng.normal(size=(n, units[-1]))
    elif loss == "exp":
        Y = rng.poisson(1.0, size=(n, units[-1])).astype(float)
        Y[0, 0] = 0.0
    elif loss == "softmax":
        Y = np.eye(units[-1])[rng.integers(0, units[-1], n)]
    else:
        Y = rng.integers(0, 2, size=(n, units[-1])).astype(float)
    sw = rng.uniform(0.2, 3.0, n)
    return units, coefs, intercepts, X, Y, sw


def check_gradient(units, coefs, intercepts, X, Y, sw, activation, loss, reg):
    L = len(units) - 1
    reg = {k: (v[:L] if isinstance(v, list) else v) for k, v in reg.items()}
    reg_rec = reg_record(
        L, reg["alpha"], reg["rho"], reg["group_alpha"], l1_method=reg["l1_method"]
    )
    settings = settings_record(activation, loss, batch_size=X.shape[0])
    f = kernel_objective(dense(X), Y, sw, units, reg_rec, settings)
    params = N.pack(coefs, intercepts)
    J, grads = f(params)

    naive_J = lambda x: N.naive_objective(  # noqa: E731
        X,
        Y,
        sw,
        *N.unpack(x, units),
        activation,
        loss,
        reg["alpha"],
        reg["rho"],
        reg["group_alpha"],
    )
    np.testing.assert_allclose(J, naive_J(params), rtol=1e-10)

    if reg["l1_method"] == "subgradient":
        target = lambda x: f(x)[0]  # noqa: E731
    else:
        target = lambda x: f(x)[0] - non_smooth_part(N.unpack(x, units)[0], reg)  # noqa: E731
    fd = central_differences(target, params)
    np.testing.assert_allclose(grads, fd, rtol=RTOL, atol=ATOL)
    # the gradient is not trivially zero, and the reference agrees too
    assert np.max(np.abs(grads[: int(K.layer_offsets(units)[0][1])])) > 1e-3
    gc, gi = N.naive_objective_gradient(
        X,
        Y,
        sw,
        coefs,
        intercepts,
        activation,
        loss,
        reg["alpha"],
        reg["rho"],
        reg["l1_method"] == "subgradient",
    )
    np.testing.assert_allclose(N.pack(gc, gi), fd, rtol=RTOL, atol=ATOL)
    return grads, fd


@pytest.mark.parametrize("reg_name", list(REGS))
@pytest.mark.parametrize("hidden", [(4,), (4, 3)], ids=["1hidden", "2hidden"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_objective_gradient_finite_differences(reg_name, hidden, loss, activation):
    units, coefs, intercepts, X, Y, sw = make_case(1, loss, activation, hidden)
    check_gradient(units, coefs, intercepts, X, Y, sw, activation, loss, REGS[reg_name])


@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_without_hidden_layer_and_with_zero_weights(loss):
    """No hidden layer; a third of the samples weigh nothing."""
    units, coefs, intercepts, X, Y, sw = make_case(2, loss, "tanh", (), n=9)
    sw[::3] = 0.0
    check_gradient(units, coefs, intercepts, X, Y, sw, "tanh", loss, REGS["enet_subgradient"])


@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_over_several_row_blocks(loss):
    """More rows than ``K.BLOCK_ROWS``: the blocks' gradients add up."""
    units, coefs, intercepts, X, Y, sw = make_case(3, loss, "tanh", (3,), n=K.BLOCK_ROWS + 29)
    check_gradient(units, coefs, intercepts, X, Y, sw, "tanh", loss, REGS["l2"])


def check_skip_gradient(units, coefs, intercepts, X, Y, sw, activation, loss, reg, sparse=False):
    """The kernel's J and gradient of a network with a skip connection
    (its matrix after the intercepts) against the NumPy reference and
    central differences, every parameter included."""
    L = len(units) - 1
    reg = {k: (v[:L] if isinstance(v, list) else v) for k, v in reg.items()}
    reg_rec = reg_record(
        L,
        reg["alpha"],
        reg["rho"],
        reg["group_alpha"],
        l1_method=reg["l1_method"],
        skip_connection=True,
    )
    rng = np.random.default_rng(7)
    skip = rng.choice([-1.0, 1.0], (units[0], units[-1])) * rng.uniform(
        0.1, 1.0, (units[0], units[-1])
    )
    settings = settings_record(activation, loss, batch_size=X.shape[0])
    inputs = C.input_matrix(sp.csr_matrix(X), np.float64) if sparse else dense(X)
    f = kernel_objective(inputs, Y, sw, units, reg_rec, settings)
    params = np.concatenate([N.pack(coefs, intercepts), skip.ravel()])
    J, grads = f(params)
    network = params.size - skip.size

    def naive_J(x):
        c, b = N.unpack(x[:network], units)
        S = x[network:].reshape(skip.shape)
        return N.naive_skip_objective(
            X, Y, sw, c, b, S, activation, loss, reg["alpha"], reg["rho"], reg["group_alpha"]
        )

    np.testing.assert_allclose(J, naive_J(params), rtol=1e-10)
    subgradient = reg["l1_method"] == "subgradient"
    first_l1 = reg["alpha"][0] * reg["rho"]

    def target(x):
        if subgradient:
            return f(x)[0]
        c = N.unpack(x[:network], units)[0]
        return f(x)[0] - non_smooth_part(c, reg) - first_l1 * np.abs(x[network:]).sum()

    fd = central_differences(target, params)
    np.testing.assert_allclose(grads, fd, rtol=RTOL, atol=ATOL)
    expected = N.naive_skip_gradient(
        X, Y, sw, coefs, intercepts, skip, activation, loss, reg["alpha"], reg["rho"]
    )
    if subgradient:
        expected = expected + first_l1 * np.sign(skip)
    np.testing.assert_allclose(grads[network:], expected.ravel(), rtol=RTOL, atol=ATOL)
    assert np.max(np.abs(grads[network:])) > 1e-3


@pytest.mark.parametrize("reg_name", list(REGS))
@pytest.mark.parametrize("hidden", [(), (4,), (4, 3)], ids=["0hidden", "1hidden", "2hidden"])
@pytest.mark.parametrize("loss", LOSSES)
def test_skip_connection_gradient_finite_differences(reg_name, hidden, loss):
    """The skip matrix's gradient, for every loss and penalty mode."""
    units, coefs, intercepts, X, Y, sw = make_case(4, loss, "tanh", hidden)
    check_skip_gradient(units, coefs, intercepts, X, Y, sw, "tanh", loss, REGS[reg_name])


@pytest.mark.parametrize("loss", LOSSES)
def test_skip_connection_gradient_sparse_and_row_blocks(loss):
    """Sparse input, and more rows than ``K.BLOCK_ROWS``."""
    units, coefs, intercepts, X, Y, sw = make_case(5, loss, "tanh", (3,), n=K.BLOCK_ROWS + 13)
    X[X < 0.3] = 0.0
    check_skip_gradient(units, coefs, intercepts, X, Y, sw, "tanh", loss, REGS["l2"], sparse=True)


# --------------------------------------------------------------------------
# Through the public estimators
# --------------------------------------------------------------------------


def estimator_targets(est, y):
    """The targets the estimator trains on, from the public ``classes_``."""
    if not hasattr(est, "classes_"):
        return np.asarray(y, dtype=float).reshape(len(y), -1)
    if np.ndim(y) == 2:  # multilabel indicator
        return np.asarray(y, dtype=float)
    if len(est.classes_) == 2:
        return (np.asarray(y) == est.classes_[1]).astype(float)[:, None]
    return (np.asarray(y)[:, None] == est.classes_[None, :]).astype(float)


def check_fitted_estimator(est, X, y, sw, rho, subgradient):
    coefs = [np.array(W, dtype=np.float64) for W in est.coefs_]
    intercepts = [np.array(b, dtype=np.float64) for b in est.intercepts_]
    units = N.units_of(coefs)
    L = len(coefs)
    activation = est.activation
    loss = est.out_activation_
    alpha = N.per_layer(est.alpha, L)
    group_alpha = N.per_layer(est.group_alpha, L)
    Y = estimator_targets(est, y)
    if activation in KINKED:
        pre = hidden_pre_activations(X, coefs, intercepts, activation)
        assert np.min(np.abs(pre)) > KINK_MARGIN
    if activation == "leaky_relu":  # the references use the tests' slope
        assert est.leaky_relu_slope == N.LEAKY_RELU_SLOPE
    if rho > 0:
        assert min(np.min(np.abs(W)) for W in coefs) > KINK_MARGIN

    # the fitted network predicts what the reference network predicts
    expected = N.naive_predict(X, coefs, intercepts, activation, loss)
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        if proba.shape[1] == 2 and expected.shape[1] == 1:
            expected = np.hstack([1 - expected, expected])
        np.testing.assert_allclose(proba, expected, rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_allclose(
            est.predict(X), expected.reshape(est.predict(X).shape), rtol=1e-10, atol=1e-12
        )

    def naive_J(x):
        c, b = N.unpack(x, units)
        return N.naive_objective(X, Y, sw, c, b, activation, loss, alpha, rho, group_alpha)

    params = N.pack(coefs, intercepts)
    fd = central_differences(naive_J, params)
    # the estimator's own regularization arrays, fed to the kernel
    reg = est._regularization(L)
    assert reg.l1_subgradient == subgradient
    settings = settings_record(activation, loss, batch_size=X.shape[0])
    J, grads = kernel_objective(dense(X), Y, sw, units, reg, settings)(params)
    np.testing.assert_allclose(J, naive_J(params), rtol=1e-10)
    np.testing.assert_allclose(grads, fd, rtol=RTOL, atol=ATOL)
    gc, gi = N.naive_objective_gradient(
        X, Y, sw, coefs, intercepts, activation, loss, alpha, rho, subgradient
    )
    np.testing.assert_allclose(N.pack(gc, gi), fd, rtol=RTOL, atol=ATOL)
    return naive_J(params)


def test_classifier_multiclass_lbfgs():
    rng = np.random.default_rng(10)
    X = rng.normal(size=(40, 4))
    y = np.array(["a", "b", "c"])[
        (X[:, 0] + 0.5 * rng.normal(size=40) > 0).astype(int) + (X[:, 1] > 0.8)
    ]
    sw = rng.uniform(0.2, 2.0, 40)
    clf = RegularizedMLPClassifier(
        hidden_layer_sizes=(5, 3),
        activation="tanh",
        solver="lbfgs",
        alpha=[0.02, 0.05, 0.01],
        max_iter=15,
        random_state=0,
    )
    clf.fit(X, y, sample_weight=sw)
    J = check_fitted_estimator(clf, X, y, sw, rho=0.0, subgradient=False)
    # lbfgs reports J at the returned point: the same J as the reference's
    np.testing.assert_allclose(clf.loss_, J, rtol=1e-8)


def test_classifier_binary_sgd_relu():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(50, 3))
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    sw = rng.uniform(0.5, 3.0, 50)
    clf = RegularizedMLPClassifier(
        hidden_layer_sizes=(6,),
        activation="relu",
        solver="sgd",
        learning_rate_init=0.05,
        alpha=[0.01, 0.03],
        batch_size=10,
        max_iter=4,
        random_state=3,
    )
    clf.fit(X, y, sample_weight=sw)
    check_fitted_estimator(clf, X, y, sw, rho=0.0, subgradient=False)


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "softplus", "gelu"])
def test_regressor_with_the_added_activations(activation):
    rng = np.random.default_rng(14)
    X = rng.normal(size=(50, 3))
    y = X[:, 0] - np.abs(X[:, 1]) + 0.1 * rng.normal(size=50)
    sw = rng.uniform(0.5, 2.0, 50)
    reg = RegularizedMLPRegressor(
        hidden_layer_sizes=(6, 4),
        activation=activation,
        leaky_relu_slope=N.LEAKY_RELU_SLOPE,
        solver="sgd",
        learning_rate_init=0.05,
        alpha=[0.01, 0.03, 0.02],
        batch_size=10,
        max_iter=4,
        random_state=5,
    )
    reg.fit(X, y, sample_weight=sw)
    check_fitted_estimator(reg, X, y, sw, rho=0.0, subgradient=False)


def test_classifier_multilabel_adam_subgradient():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(30, 4))
    y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5]).astype(int)
    sw = rng.uniform(0.2, 2.0, 30)
    clf = RegularizedMLPClassifier(
        hidden_layer_sizes=(4,),
        activation="logistic",
        solver="adam",
        penalty="elasticnet",
        l1_ratio=0.3,
        l1_method="subgradient",
        alpha=[0.02, 0.01],
        learning_rate_init=0.01,
        batch_size=8,
        max_iter=3,
        random_state=1,
    )
    clf.fit(X, y, sample_weight=sw)
    check_fitted_estimator(clf, X, y, sw, rho=0.3, subgradient=True)


def test_regressor_poisson_multioutput_adam_subgradient():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(40, 3))
    Y = rng.poisson(np.exp(0.3 * X[:, :2] + 0.2)).astype(float)
    sw = rng.uniform(0.2, 2.0, 40)
    reg = RegularizedMLPRegressor(
        loss="poisson",
        hidden_layer_sizes=(5,),
        activation="tanh",
        solver="adam",
        penalty="elasticnet",
        l1_ratio=0.4,
        l1_method="subgradient",
        alpha=[0.01, 0.03],
        learning_rate_init=0.01,
        batch_size=10,
        max_iter=3,
        random_state=2,
    )
    reg.fit(X, Y, sample_weight=sw)
    check_fitted_estimator(reg, X, Y, sw, rho=0.4, subgradient=True)


def test_regressor_squared_lbfgs_identity():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(35, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=35)
    sw = rng.uniform(0.2, 2.0, 35)
    reg = RegularizedMLPRegressor(
        hidden_layer_sizes=(4, 4),
        activation="identity",
        solver="lbfgs",
        alpha=[0.1, 0.0, 0.2],
        max_iter=10,
        random_state=4,
    )
    reg.fit(X, y, sample_weight=sw)
    J = check_fitted_estimator(reg, X, y, sw, rho=0.0, subgradient=False)
    np.testing.assert_allclose(reg.loss_, J, rtol=1e-8)


# --------------------------------------------------------------------------
# The automatic grid's gradient, taken with the epoch kernel
# --------------------------------------------------------------------------

GRID_GRADIENT_CASES = [
    pytest.param(RegularizedMLPClassifier, "binary", {}, id="binary"),
    pytest.param(RegularizedMLPClassifier, "multiclass", {}, id="multiclass"),
    pytest.param(RegularizedMLPClassifier, "multilabel", {}, id="multilabel"),
    pytest.param(RegularizedMLPRegressor, "two outputs", {}, id="squared-error"),
    pytest.param(RegularizedMLPRegressor, "counts", {"loss": "poisson"}, id="poisson"),
    pytest.param(
        RegularizedMLPClassifier,
        "binary",
        {"skip_connection": True, "hidden_layer_sizes": (4, 3)},
        id="skip-two-layers",
    ),
    pytest.param(RegularizedMLPRegressor, "two outputs", {"skip_connection": True}, id="skip-reg"),
]


def grid_gradient_problem(y_kind, sparse, dtype, n=2500):
    """2 500 rows (three blocks of ``BLOCK_ROWS``): the second block weighs
    nothing, some rows of the first too."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((n, 6))
    signal = X[:, 0] - X[:, 1] * X[:, 2]
    y = {
        "binary": (signal > 0).astype(int),
        "multiclass": np.digitize(signal, [-0.5, 0.5]),
        "multilabel": np.column_stack([signal > 0, X[:, 3] > 0]).astype(int),
        "two outputs": np.column_stack([signal, X[:, 4]]),
        "counts": rng.poisson(np.exp(0.3 * signal)),
    }[y_kind]
    sw = rng.uniform(0.5, 2.0, n)
    sw[100:200] = 0.0
    sw[K.BLOCK_ROWS : 2 * K.BLOCK_ROWS] = 0.0
    X = X.astype(dtype)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0))
    return X, y, sw


@pytest.mark.parametrize("Est, y_kind, params", GRID_GRADIENT_CASES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_data_gradient_is_the_full_batch_gradient(Est, y_kind, params, sparse, dtype):
    """``engine.data_gradient`` (one SGD update of rate 1 per block of rows,
    on the epoch kernel) is the gradient of the mean data loss that
    ``objective_and_gradient`` gives without a penalty, at the network a fit
    starts from; the network is left as it was."""
    X, y, sw = grid_gradient_problem(y_kind, sparse, dtype)
    est = Est(**{"hidden_layer_sizes": (5,), "random_state": 0, **params})
    start = _base.starting_state(est, X, y, sw)
    params_before = start.params.copy()
    settings = _recipe.recipe(est.get_params(deep=False), est.out_activation_, 1).settings
    got = _engine.data_gradient(start.data, start.params, start.units, settings)

    expected = np.empty_like(start.params)
    no_penalty = C.regularization(len(start.units) - 1, penalty=None)
    _engine.objective_and_gradient(
        start.data, start.params.copy(), start.units, no_penalty, settings, expected
    )
    assert got.dtype == start.params.dtype
    np.testing.assert_array_equal(start.params, params_before)
    scale = np.max(np.abs(expected))
    rtol, atol = (1e-9, 1e-13 * scale) if dtype == np.float64 else (1e-4, 1e-5 * scale)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
