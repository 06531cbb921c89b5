"""Every kernel of ``skreg._kernels`` against its NumPy reference in ``naive.py``.

Each test runs in float64 and float32 (the kernels train in the input's
dtype).  The references always compute in float64 from the very same
(rounded) inputs, so the tolerances only absorb the kernels' own rounding:
relative 1e-10 in float64 and 1e-4 in float32, plus an absolute floor of the
same order scaled by the magnitude of the expected array (for entries that
come out near zero through cancellation).

Kernels that read the input matrix run on both of its kinds, a dense matrix
and a CSR matrix (the ``(dense, data, indices, indptr)`` tuple of the
module docstring), on the same data, against the same reference.
"""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from numba import typed

import skreg._config as C
import skreg._kernels as K

import naive as N
from conftest import reg_record, settings_record

DTYPES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]
RTOL = {np.float64: 1e-10, np.float32: 1e-4}
ATOL = {np.float64: 1e-12, np.float32: 1e-5}

ACTIVATIONS, LOSSES = N.ACTIVATION_PARAMS, N.LOSS_PARAMS
# (n_features, hidden_layer_sizes, n_outputs)
SHAPES = [
    pytest.param((3, (), 1), id="no_hidden_1out"),
    pytest.param((4, (), 3), id="no_hidden_3out"),
    pytest.param((4, (5,), 3), id="1hidden_3out"),
    pytest.param((3, (6, 4), 2), id="2hidden_2out"),
]
N_BIG = K.BLOCK_ROWS + 37  # two blocks, the second one partial
KINDS = ("dense", "csr")  # the two kinds of input matrix (module docstring)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def assert_close(got, expected, dtype, err_msg=""):
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(
        got, expected, rtol=RTOL[dtype], atol=ATOL[dtype] * scale, err_msg=err_msg
    )


def assert_pair_close(got_pair, expected_pair, dtype, what=""):
    for l, (g, e) in enumerate(zip(got_pair[0], expected_pair[0])):
        assert_close(g, e, dtype, f"{what} coefs[{l}]")
    for l, (g, e) in enumerate(zip(got_pair[1], expected_pair[1])):
        assert_close(g, e, dtype, f"{what} intercepts[{l}]")


def make_input(X, kind):
    """X as the kernels' input-matrix tuple, built by the package itself."""
    X = np.asarray(X)
    return C.input_matrix(X if kind == "dense" else sp.csr_matrix(X), X.dtype)


def rounded(a, dtype):
    """a rounded to dtype, returned as float64 (the exact kernel input)."""
    return np.asarray(a).astype(dtype).astype(np.float64)


def make_targets(rng, loss, n, m):
    if loss == "identity":
        return rng.normal(size=(n, m))
    if loss == "exp":
        Y = rng.poisson(1.5, size=(n, m)).astype(np.float64)
        Y[0] = 0.0  # y log y = 0 at y = 0
        return Y
    if loss == "softmax":
        return np.eye(m)[rng.integers(0, m, n)]
    return rng.integers(0, 2, size=(n, m)).astype(np.float64)


class Problem:
    """A random network and data set, in ``dtype``, with float64 twins."""

    def __init__(self, seed, shape, loss, n, dtype, weights="varied"):
        rng = np.random.default_rng(seed)
        n_in, hidden, n_out = shape
        if loss == "softmax":
            n_out = max(n_out, 2)  # softmax over one class is constant
        self.units = np.array([n_in, *hidden, n_out], dtype=np.int64)
        self.dtype = dtype
        self.loss = loss
        coefs = [rng.uniform(-1, 1, (a, b)) for a, b in zip(self.units[:-1], self.units[1:])]
        intercepts = [rng.uniform(-0.5, 0.5, b) for b in self.units[1:]]
        self.coefs = [rounded(W, dtype) for W in coefs]
        self.intercepts = [rounded(b, dtype) for b in intercepts]
        self.params = N.pack(self.coefs, self.intercepts, dtype)
        X = rng.normal(size=(n, n_in))
        X[rng.random(X.shape) < 0.3] = 0.0  # zeros, for the sparse kind
        if n >= 3:
            X[n // 2] = 0.0  # an empty row
        self.X = X.astype(dtype)
        self.Y = make_targets(rng, loss, n, n_out).astype(dtype)
        sw = rng.uniform(0.2, 3.0, n)
        if weights == "some_zero":
            sw[::3] = 0.0
        elif weights == "ones":
            sw[:] = 1.0
        self.sw = sw.astype(dtype)
        self.n = n

    def inputs(self, kind="dense"):
        return make_input(self.X, kind)

    @property
    def n_layers(self):
        return len(self.units) - 1

    @property
    def pair(self):
        return self.coefs, self.intercepts


def flat_buffers(units, n, dtype):
    """Typed lists of acts / derivs / deltas buffers, one per weight layer."""

    def make():
        return typed.List([np.full(n * int(u), np.nan, dtype=dtype) for u in units[1:]])

    return make(), make(), make()


def buffer_matrix(buffer, n, m):
    return np.asarray(buffer[: n * m]).reshape(n, m)


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------


@pytest.mark.parametrize("units", [[3, 1], [4, 5, 3], [3, 6, 4, 2], [1, 1, 1]])
def test_layer_offsets(units):
    units = np.array(units, dtype=np.int64)
    coef_start, intercept_start = K.layer_offsets(units)
    exp_coef, exp_int = N.naive_layer_offsets(units)
    np.testing.assert_array_equal(coef_start, exp_coef)
    np.testing.assert_array_equal(intercept_start, exp_int)
    # The intercept blocks end exactly at the end of the parameter vector.
    n_params = sum(a * b + b for a, b in zip(units[:-1], units[1:]))
    assert intercept_start[-1] == n_params


@pytest.mark.parametrize("dtype", DTYPES)
def test_weight_matrix_and_rows_view_are_views(dtype):
    units = np.array([3, 6, 4, 2], dtype=np.int64)
    rng = np.random.default_rng(0)
    flat = rng.normal(size=int(N.naive_layer_offsets(units)[1][-1])).astype(dtype)
    coefs, _ = N.unpack(flat, units)
    coef_start, _ = K.layer_offsets(units)
    for l in range(3):
        W = K.weight_matrix(flat, units, coef_start, l)
        np.testing.assert_array_equal(W, coefs[l])
        W[0, 0] = 123.0  # writes through to the flat vector
        assert flat[coef_start[l]] == 123.0
    buf = np.arange(20, dtype=dtype)
    V = K.rows_view(buf, 3, 4)
    np.testing.assert_array_equal(V, np.arange(12).reshape(3, 4))
    V[2, 3] = -1
    assert buf[11] == -1


# --------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------

Z_GRID = np.array([-60.0, -5.0, -1.3, -0.2, -1e-3, 0.0, 1e-3, 0.4, 1.0, 3.7, 60.0])


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_activate_and_derivative(name, dtype):
    z = Z_GRID.astype(dtype)
    code = C.ACTIVATIONS[name]
    slope = N.LEAKY_RELU_SLOPE
    act = np.array([K.activate(v, code, slope) for v in z])
    assert_close(act, N.naive_activate(z, name), dtype)
    # The derivative kernel takes the activation's value, except GELU's,
    # which takes z.
    if name == "gelu":
        der = np.array([K.gelu_derivative(v) for v in z])
    else:
        der = np.array([K.activation_derivative(dtype(a), code, slope) for a in act])
    assert_close(der, N.naive_activation_derivative(z, name), dtype)


def test_tanh_float64_is_within_ulps_of_the_library():
    """The float64 tanh is computed from one exp (a series near 0): within
    2.2e-16 of NumPy's tanh everywhere and within 4 ulps of it relatively
    (small values included, where a formula from exp alone would lose
    digits), with the special values' signs kept."""
    rng = np.random.default_rng(7)
    z = np.concatenate(
        [
            rng.standard_normal(20_000),
            0.1 * rng.standard_normal(20_000),
            10.0 ** rng.uniform(-310, 3, 20_000) * rng.choice([-1.0, 1.0], 20_000),
            np.nextafter(K.TANH_SERIES_BOUND, [0.0, 1.0]),
            -np.nextafter(K.TANH_SERIES_BOUND, [0.0, 1.0]),
            [0.0, -0.0, np.inf, -np.inf, 20.0, -19.06],
        ]
    )
    got = np.array([K.activate(v, K.ACT_TANH, 0.0) for v in z])
    want = np.tanh(z)
    assert np.max(np.abs(got - want)) <= np.finfo(np.float64).eps
    tiny = np.finfo(np.float64).tiny
    normal = np.abs(want) >= tiny
    relative = np.abs(got[normal] - want[normal]) / np.abs(want[normal])
    assert np.max(relative) <= 4 * np.finfo(np.float64).eps
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    assert np.isnan(K.activate(np.nan, K.ACT_TANH, 0.0))


def test_tanh_float32_is_the_librarys():
    """float32 keeps the C library's tanhf, which np.tanh compiles to in
    Numba: the same values to the last bit."""
    from numba import njit

    library = njit(lambda v: np.tanh(v))
    z = np.random.default_rng(8).standard_normal(2_000).astype(np.float32)
    got = np.array([K.activate(v, K.ACT_TANH, 0.0) for v in z], dtype=np.float32)
    np.testing.assert_array_equal(got, np.array([library(v) for v in z], dtype=np.float32))


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.3, 1.5])
def test_leaky_relu_uses_its_slope(slope):
    z = Z_GRID
    act = np.array([K.activate(v, K.ACT_LEAKY_RELU, slope) for v in z])
    np.testing.assert_array_equal(act, N.naive_activate(z, "leaky_relu", slope))
    der = np.array([K.activation_derivative(a, K.ACT_LEAKY_RELU, slope) for a in act])
    np.testing.assert_array_equal(der, N.naive_activation_derivative(z, "leaky_relu", slope))


def test_gelu_is_within_documented_distance_of_the_exact_one():
    """The docstring's claim: the tanh approximation is within about 1e-3 of
    z * Phi(z)."""
    from scipy.special import ndtr

    z = np.linspace(-8, 8, 4001)
    got = np.array([K.activate(v, K.ACT_GELU, 0.0) for v in z])
    assert np.max(np.abs(got - z * ndtr(z))) < 1e-3


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_and_softplus(dtype):
    z = np.concatenate([Z_GRID, [-800.0, 800.0]]).astype(dtype)
    got = np.array([K.logistic(v) for v in z])
    assert np.all(np.isfinite(got))
    assert_close(got, N.naive_logistic(z), dtype)
    # relative accuracy far in the tail, where 1 - sigmoid is not representable
    np.testing.assert_allclose(got[:2], N.naive_logistic(z[:2]), rtol=RTOL[dtype])
    got = np.array([K.softplus(v) for v in z])
    assert np.all(np.isfinite(got))
    assert_close(got, N.naive_softplus(z), dtype)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_add_bias_and_activate(name, dtype):
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(7, 5)).astype(dtype)
    b = rng.normal(size=5).astype(dtype)
    expected = N.naive_activate(Z.astype(np.float64) + b, name)
    K.add_bias_and_activate(Z, b, C.ACTIVATIONS[name], N.LEAKY_RELU_SLOPE)
    assert_close(Z, expected, dtype)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_add_bias_activate(name, dtype):
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(6, 4)).astype(dtype)
    D = np.full_like(Z, np.nan)
    b = rng.normal(size=4).astype(dtype)
    pre = Z.astype(np.float64) + b
    K.add_bias_activate(Z, D, b, C.ACTIVATIONS[name], N.LEAKY_RELU_SLOPE)
    assert_close(Z, N.naive_activate(pre, name), dtype)
    assert_close(D, N.naive_activation_derivative(pre, name), dtype)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_apply_dropout_masks(name):
    """Inverted dropout: each unit is either zero (value and derivative) or
    kept and scaled by 1 / keep; about `rate` of them are dropped."""
    rate, keep = 0.3, 0.7
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(300, 40)) + 0.5
    b = rng.normal(size=40)
    pre = Z + b
    act, der = N.naive_activate(pre, name), N.naive_activation_derivative(pre, name)
    D = np.empty_like(Z)
    K.add_bias_activate(Z, D, b, C.ACTIVATIONS[name], N.LEAKY_RELU_SLOPE)
    K.apply_dropout(Z, D, rate)
    # (tanh's derivative is 1 - a^2 in the kernel, 1 / cosh^2 here: not bitwise)
    kept = np.isclose(Z, act / keep, rtol=1e-10, atol=1e-12) & np.isclose(
        D, der / keep, rtol=1e-10, atol=1e-12
    )
    dropped = (Z == 0) & (D == 0)
    assert np.all(kept | dropped)
    informative = (act != 0) & (der != 0)  # entries where kept/dropped is unambiguous
    frac = np.mean(dropped[informative])
    sigma = np.sqrt(rate * keep / informative.sum())
    assert abs(frac - rate) < 5 * sigma, frac


# --------------------------------------------------------------------------
# Forward pass and prediction
# --------------------------------------------------------------------------


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("m", [1, 3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_output_transform(loss, m, dtype):
    rng = np.random.default_rng(4)
    Z = rng.normal(size=(5, m)) * 2
    if loss in ("softmax", "logistic"):
        Z[0] += 500.0  # no overflow
        Z[1] -= 500.0
    Z = Z.astype(dtype)
    b = rng.normal(size=m).astype(dtype)
    expected = N.naive_output_transform(Z.astype(np.float64) + b, loss)
    K.output_transform(Z, b, C.OUTPUT_LOSSES[loss])
    assert np.all(np.isfinite(Z))
    assert_close(Z, expected, dtype)


@pytest.mark.parametrize("n", [1, 7, N_BIG])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_predict(n, shape, loss, act, dtype):
    p = Problem(10, shape, loss, n, dtype)
    expected = N.naive_predict(p.X, p.coefs, p.intercepts, act, loss)
    for kind in KINDS:
        out = np.full((n, p.units[-1]), np.nan, dtype=dtype)
        K.predict(p.inputs(kind), p.params, p.units, settings_record(act, loss), out)
        assert_close(out, expected, dtype, kind)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_predict_block(shape, act, dtype):
    loss = "softmax"
    p = Problem(11, shape, loss, 9, dtype)
    width = max([1] + list(p.units[1:-1]))  # the documented buffer size
    for kind in KINDS:
        buf_a = np.full(9 * width, np.nan, dtype=dtype)
        buf_b = np.full(9 * width, np.nan, dtype=dtype)
        out = np.full((9, p.units[-1]), np.nan, dtype=dtype)
        K.predict_block(
            p.inputs(kind),
            p.params,
            p.units,
            settings_record(act, loss),
            out,
            buf_a,
            buf_b,
            None,  # no skip connection
            np.empty(0, dtype=dtype),
        )
        assert_close(out, N.naive_predict(p.X, p.coefs, p.intercepts, act, loss), dtype, kind)


@pytest.mark.parametrize("dtype", DTYPES)
def test_allocate_layer_buffers(dtype):
    units = np.array([3, 6, 4, 2], dtype=np.int64)
    for bufs in K.allocate_layer_buffers(units, 5, np.zeros(1, dtype)):
        assert [b.shape for b in bufs] == [(30,), (20,), (10,)]
        assert all(b.dtype == dtype for b in bufs)


@pytest.mark.parametrize("n", [1, 7])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_forward_train_and_output_loss(n, shape, loss, act, dtype):
    p = Problem(12, shape, loss, n, dtype)
    settings = settings_record(act, loss)
    exp_acts, exp_derivs, exp_z = N.naive_forward_train(p.X, p.coefs, p.intercepts, act)
    for kind in KINDS:
        acts, derivs, deltas = flat_buffers(p.units, n, dtype)
        Z_out = K.forward_train(p.inputs(kind), p.params, p.units, settings, None, acts, derivs, n)
        assert_close(Z_out, exp_z, dtype, f"output pre-activation, {kind}")
        for l in range(p.n_layers - 1):
            u = p.units[l + 1]
            assert_close(buffer_matrix(acts[l], n, u), exp_acts[l], dtype, f"acts[{l}]")
            assert_close(buffer_matrix(derivs[l], n, u), exp_derivs[l], dtype, f"derivs[{l}]")

    # Output loss and delta on top of the forward pass.
    b_out = p.params[-p.units[-1] :]
    delta = buffer_matrix(deltas[-1], n, p.units[-1])
    total = K.loss_and_output_delta(
        Z_out, b_out, p.Y, p.sw, float(p.sw.sum()), C.OUTPUT_LOSSES[loss], delta
    )
    logits = N.naive_logits(p.X, p.coefs, p.intercepts, act)
    sw = p.sw.astype(np.float64)
    exp_total = np.sum(sw * N.naive_sample_losses(logits, p.Y, loss))
    assert_close(total, exp_total, dtype, "weighted loss sum")
    assert_close(delta, N.naive_output_delta(logits, p.Y, sw, loss), dtype, "output delta")


@pytest.mark.parametrize("weights", ["varied", "some_zero", "all_zero"])
@pytest.mark.parametrize("m", [1, 3])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_and_output_delta(weights, m, loss, dtype):
    rng = np.random.default_rng(5)
    n = 9
    if loss == "softmax":
        m = max(m, 2)
    Z = rng.normal(size=(n, m)) * 1.5
    if loss in ("softmax", "logistic"):
        Z[1] += 40.0  # confident rows: no overflow, accurate logs
        Z[2] -= 40.0
    Z = Z.astype(dtype)
    b = rng.normal(size=m).astype(dtype)
    Y = make_targets(rng, loss, n, m).astype(dtype)
    sw = rng.uniform(0.1, 4.0, n)
    if weights == "some_zero":
        sw[[0, 4, 5]] = 0.0
    elif weights == "all_zero":
        sw[:] = 0.0
    sw = sw.astype(dtype)
    sw_total = float(sw.astype(np.float64).sum())
    delta = np.full((n, m), np.nan, dtype=dtype)
    total = K.loss_and_output_delta(Z, b, Y, sw, sw_total, C.OUTPUT_LOSSES[loss], delta)

    logits = Z.astype(np.float64) + b
    sample = N.naive_sample_losses(logits, Y, loss)
    assert np.all(np.isfinite(sample))
    assert_close(total, np.sum(sw.astype(np.float64) * sample), dtype)
    assert_close(delta, N.naive_output_delta(logits, Y, sw, loss), dtype)


# --------------------------------------------------------------------------
# Backward pass
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_backward(n, shape, loss, act, dtype):
    """Buffers filled by the reference forward pass, so that only the
    backward kernel is under test."""
    p = Problem(13, shape, loss, n, dtype, weights="some_zero" if n > 1 else "varied")
    exp_acts, exp_derivs, _ = N.naive_forward_train(p.X, p.coefs, p.intercepts, act)
    logits = N.naive_logits(p.X, p.coefs, p.intercepts, act)
    delta_out = N.naive_output_delta(logits, p.Y, p.sw, loss)
    acts, derivs, deltas = flat_buffers(p.units, n, dtype)
    for l in range(p.n_layers - 1):
        acts[l][:] = exp_acts[l].ravel()
        derivs[l][:] = exp_derivs[l].ravel()
    deltas[p.n_layers - 1][:] = delta_out.ravel()
    # The reference sees exactly what the kernel sees (rounded to dtype).
    delta_out = rounded(delta_out, dtype)

    exp_gc, exp_gi, exp_deltas = N.naive_backward(p.X, p.coefs, p.intercepts, act, delta_out)
    for kind in KINDS:
        grads = np.full_like(p.params, np.nan)
        K.backward(p.inputs(kind), p.params, p.units, acts, derivs, deltas, grads, n)
        assert_pair_close(N.unpack(grads, p.units), (exp_gc, exp_gi), dtype, f"grad, {kind}")
        for l in range(p.n_layers - 1):
            assert_close(buffer_matrix(deltas[l], n, p.units[l + 1]), exp_deltas[l], dtype)


# --------------------------------------------------------------------------
# Penalties
# --------------------------------------------------------------------------

ALPHAS = {1: [0.7], 2: [0.3, 0.9], 3: [0.25, 0.6, 0.1]}
GROUP_ALPHAS = {1: [0.4], 2: [0.15, 0.0], 3: [0.2, 0.05, 0.3]}


@pytest.mark.parametrize("rho", [0.0, 0.35, 1.0])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_penalty_value(rho, shape, dtype):
    p = Problem(20, shape, "identity", 2, dtype)
    p.coefs[0][1] = 0.0  # a zero row (norm 0) in the group term
    params = N.pack(p.coefs, p.intercepts, dtype)
    params[-1] = 1e3  # intercepts are never penalized
    L = p.n_layers
    reg = reg_record(L, ALPHAS[L], rho, GROUP_ALPHAS[L])
    got = K.penalty_value(params, p.units, reg)
    assert_close(got, N.naive_penalty_value(p.coefs, ALPHAS[L], rho, GROUP_ALPHAS[L]), dtype)
    # Each term alone, so that a mix-up between them cannot cancel out.
    for kw in (dict(alpha=ALPHAS[L], rho=rho), dict(group_alpha=GROUP_ALPHAS[L])):
        got = K.penalty_value(params, p.units, reg_record(L, **kw))
        assert_close(got, N.naive_penalty_value(p.coefs, **kw), dtype, str(kw))
    # Per-feature factors of the group term (input rows only).
    factors = np.linspace(0.5, 3.0, p.units[0])
    kw = dict(group_alpha=GROUP_ALPHAS[L], group_factors=factors)
    got = K.penalty_value(params, p.units, reg_record(L, **kw))
    assert_close(got, N.naive_penalty_value(p.coefs, **kw), dtype, "group factors")
    assert not np.isclose(got, N.naive_penalty_value(p.coefs, GROUP_ALPHAS[L]))


@pytest.mark.parametrize("subgradient", [False, True])
@pytest.mark.parametrize("rho", [0.0, 0.35, 1.0])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_add_penalty_gradient(subgradient, rho, shape, dtype):
    p = Problem(21, shape, "identity", 2, dtype)
    p.coefs[-1][0, 0] = 0.0  # sign(0) = 0
    params = N.pack(p.coefs, p.intercepts, dtype)
    rng = np.random.default_rng(22)
    grads = rng.normal(size=params.shape).astype(dtype)
    start = N.unpack(grads, p.units)
    L = p.n_layers
    l1_method = "subgradient" if subgradient else "proximal"
    reg = reg_record(L, ALPHAS[L], rho, GROUP_ALPHAS[L], l1_method=l1_method)
    K.add_penalty_gradient(params, grads, p.units, reg)
    pc, pi = N.naive_penalty_gradient(p.coefs, ALPHAS[L], rho, subgradient)
    expected = ([a + b for a, b in zip(start[0], pc)], [a + b for a, b in zip(start[1], pi)])
    assert_pair_close(N.unpack(grads, p.units), expected, dtype)


# --------------------------------------------------------------------------
# Proximal operators and projections
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_soft_threshold(dtype):
    t = 0.5
    w = np.array([-2.0, -0.5, -0.49, -1e-9, 0.0, 1e-9, 0.3, 0.5, 0.5000001, 0.75, 3.0])
    w = w.astype(dtype)
    got = np.array([K.soft_threshold(v, dtype(t)) for v in w])
    assert_close(got, N.naive_soft_threshold(w, t), dtype)
    assert np.all(got[np.abs(w) <= t] == 0.0)
    # zero threshold is the identity
    got = np.array([K.soft_threshold(v, dtype(0.0)) for v in w])
    np.testing.assert_array_equal(got, w)


def check_exact_zeros(new, old, thresholds, dtype):
    """|w| <= t gives exactly 0; |w| > t keeps the sign (margin for rounding)."""
    new, old, thresholds = (np.asarray(a, np.float64) for a in (new, old, thresholds))
    margin = 1e-6 if dtype == np.float32 else 1e-12
    below = np.abs(old) < thresholds * (1 - margin)
    above = np.abs(old) > thresholds * (1 + margin)
    assert np.all(new[below] == 0.0)
    assert np.all(np.sign(new[above]) == np.sign(old[above]))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_prox_l1(shape, dtype):
    p = Problem(30, shape, "identity", 2, dtype)
    p.coefs[0][0, 0] = rounded(0.01, dtype)  # under every threshold: must become 0
    p.params = N.pack(p.coefs, p.intercepts, dtype)
    L = p.n_layers
    alpha = [0.4, 0.0, 0.9][:L]  # a layer without L1 stays as it is
    rng = np.random.default_rng(31)
    step_sizes = rng.uniform(0.05, 0.8, p.params.shape).astype(dtype)
    step_coefs, _ = N.unpack(step_sizes, p.units)
    params = p.params.copy()
    K.prox_l1(params, step_sizes, p.units, reg_record(L, alpha, 1.0))
    got = N.unpack(params, p.units)
    expected = N.naive_prox_l1(p.coefs, step_coefs, alpha, 1.0)
    assert_pair_close(got, (expected, p.intercepts), dtype)
    for l in range(L):
        check_exact_zeros(got[0][l], p.coefs[l], step_coefs[l] * alpha[l], dtype)
    assert got[0][0][0, 0] == 0.0
    # elastic net: the threshold is step * alpha * rho
    params = p.params.copy()
    K.prox_l1(params, step_sizes, p.units, reg_record(L, alpha, 0.3))
    expected = N.naive_prox_l1(p.coefs, step_coefs, alpha, 0.3)
    assert_pair_close(N.unpack(params, p.units), (expected, p.intercepts), dtype)


def rows_with_norms(rng, norms, n_cols):
    W = rng.normal(size=(len(norms), n_cols))
    return W / np.linalg.norm(W, axis=1, keepdims=True) * np.asarray(norms)[:, None]


@pytest.mark.parametrize("dtype", DTYPES)
def test_prox_group_rows(dtype):
    rng = np.random.default_rng(32)
    n_cols, strength = 4, 0.5
    row_steps = np.array([0.2, 0.4, 1.0, 0.3, 0.5, 0.1, 0.7])
    thresholds = row_steps * strength * np.sqrt(n_cols)
    # norms below, just above and far above each row's threshold, and a zero row
    norms = thresholds * np.array([0.5, 1.001, 3.0, 0.99, 10.0, 0.0, 1.7])
    W = rows_with_norms(rng, norms, n_cols).astype(dtype)
    old = W.astype(np.float64)
    S = np.repeat(row_steps[:, None], n_cols, axis=1).astype(dtype)  # SGD: equal steps
    K.prox_group_rows(W, S, strength, np.zeros(0))
    assert_close(W, N.naive_prox_group_rows(old, row_steps, strength), dtype)
    # invariants: rows under the threshold vanish exactly, others shrink by it
    old_norms = np.linalg.norm(old, axis=1)
    new_norms = np.linalg.norm(W.astype(np.float64), axis=1)
    under = old_norms <= thresholds
    assert np.all(W[under] == 0.0)
    assert_close(new_norms[~under], old_norms[~under] - thresholds[~under], dtype)
    cos = np.sum(W[~under] * old[~under], axis=1) / (new_norms[~under] * old_norms[~under])
    assert_close(cos, np.ones_like(cos), dtype)


def adam_like_rows(rng, n_rows, n_cols, decades=(-2.0, 1.0)):
    """Rows of weights of unequal norms, and Adam-like steps spread between
    10 ** decades[0] and 10 ** decades[1]."""
    W = rng.normal(size=(n_rows, n_cols)) * rng.uniform(0.05, 2.0, size=(n_rows, 1))
    return W, 10.0 ** rng.uniform(*decades, size=(n_rows, n_cols))


@pytest.mark.parametrize("dtype", DTYPES)
def test_prox_group_rows_in_adams_metric(dtype):
    """Unequal steps per coordinate (Adam's): the kernel's Newton iterations
    agree with the reference's bisection, and the result satisfies the prox's
    optimality conditions."""
    rng = np.random.default_rng(36)
    n_rows, n_cols, strength = 40, 6, 0.3
    # steps spread over more than two decades, as Adam's are next to dead units
    W, S = adam_like_rows(rng, n_rows, n_cols, decades=(-1.0, 1.5))
    W, S = W.astype(dtype), S.astype(dtype)
    old = W.astype(np.float64)
    K.prox_group_rows(W, S, strength, np.zeros(0))
    expected = N.naive_prox_group_rows(old, S, strength)
    assert_close(W, expected, dtype)
    t = strength * np.sqrt(n_cols)
    zero = np.linalg.norm(old / S, axis=1) <= t
    assert 0 < zero.sum() < n_rows  # both cases occur
    assert np.all(W[zero] == 0)
    x = W[~zero].astype(np.float64)
    # d/dx [sum (x - g)^2 / 2s + t ||x||] = 0 at the solution
    residual = (x - old[~zero]) / S[~zero] + t * x / np.linalg.norm(x, axis=1, keepdims=True)
    assert np.max(np.abs(residual)) < (1e-7 if dtype == np.float64 else 1e-2)
    # a large step on one coordinate does not wipe out the row (the mean of
    # the steps would have: 100 * 0.5 * sqrt(2) > 1.3)
    row = np.array([[1.0, 0.3]], dtype=dtype)
    K.prox_group_rows(row, np.array([[0.01, 100.0]], dtype=dtype), 0.5, np.zeros(0))
    assert row[0, 0] > 0.9


@pytest.mark.parametrize("strength", [1e-6, 1e-4, 1e-2, 1.0])
def test_group_step_in_adams_metric_to_rounding(strength):
    """From rates that remove nothing to rates that remove most rows, the
    kernel's step matches the reference's bisection to rounding.  The kernel
    ends after one Newton pass where it can and then shrinks the row by a
    series in the last pass's inverses (``metric_shrink``), which needs the
    last pass's r within 1e-5 r of the root (``metric_prox_norm``'s lag)."""
    rng = np.random.default_rng(37)
    W, S = adam_like_rows(rng, 60, 100)
    old = W.copy()
    K.prox_group_rows(W, S, strength, np.zeros(0))
    expected = N.naive_prox_group_rows(old, S, strength)
    np.testing.assert_allclose(W, expected, rtol=1e-13, atol=1e-15 * np.abs(old).max())
    t = strength * np.sqrt(W.shape[1])
    lags = []
    inverses = np.empty(W.shape[1])
    for g, s in zip(old, S):
        if np.linalg.norm(g / s) > t:
            squares, weighted, twice = np.sum(g * g), np.sum(g * g * s), np.sum(g * g * s * s)
            r, lag = K.metric_prox_norm(g, s, t, np.sqrt(squares), weighted, twice, inverses)
            lags.append(abs(lag) / r)
    assert lags, "every row was removed"
    assert max(lags) <= 1e-5  # every row shrinks by the series


@pytest.mark.parametrize("lag", [0.0, 1e-6, -1e-6, 1e-5, 1e-3, -0.5])
def test_metric_shrink(lag):
    """``metric_shrink`` scales g_j by r / (r + s_j t) whether it sums the
    series in the inverses of a nearby r (|lag| <= 1e-5 r) or divides."""
    rng = np.random.default_rng(39)
    g, s = (row[0] for row in adam_like_rows(rng, 1, 100))
    r, t = 0.7, 0.02
    inverses = 1.0 / (r * (1.0 + lag) + s * t)
    got = g.copy()
    K.metric_shrink(got, s, t, r, r * lag, inverses)
    np.testing.assert_allclose(got, g * r / (r + s * t), rtol=1e-15, atol=0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_group_step_in_adams_metric_at_the_threshold(dtype):
    """Rows just inside ``||g / s|| <= t`` are removed and rows just outside
    kept, both where the steps are equal to within 1e-3 (the kernel's
    Cauchy-Schwarz bound on ||g / s|| is nearly tight) and where they spread
    over three decades (it is loose)."""
    rng = np.random.default_rng(38)
    strength, n_cols = 0.05, 50
    t = strength * np.sqrt(n_cols)
    W, S = adam_like_rows(rng, 40, n_cols)
    S[:20] = 0.3 * (1.0 + 1e-3 * rng.uniform(size=(20, n_cols)))
    margins = np.tile([1.0 - 1e-3, 1.0 + 1e-3], 20)
    W *= (margins * t / np.linalg.norm(W / S, axis=1))[:, None]
    W, S = W.astype(dtype), S.astype(dtype)
    removed = np.linalg.norm(W.astype(np.float64) / S, axis=1) <= t
    assert np.array_equal(removed, margins < 1.0)  # the margins survive the dtype
    K.prox_group_rows(W, S, strength, np.zeros(0))
    assert np.all(W[removed] == 0.0)
    assert np.all(np.abs(W[~removed]).sum(axis=1) > 0.0)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_prox_group(shape, dtype):
    p = Problem(33, shape, "identity", 2, dtype)
    p.coefs[0][-1] *= 0.01  # a row under its threshold: must be removed
    p.params = N.pack(p.coefs, p.intercepts, dtype)
    L = p.n_layers
    group_alpha = [0.3, 0.0, 0.6][:L]
    rng = np.random.default_rng(34)
    # per-coordinate steps, as Adam's
    step_sizes = rng.uniform(0.1, 1.5, p.params.shape).astype(dtype)
    step_coefs, _ = N.unpack(step_sizes, p.units)
    params = p.params.copy()
    K.prox_group(params, step_sizes, p.units, reg_record(L, group_alpha=group_alpha))
    got = N.unpack(params, p.units)
    expected = N.naive_prox_group(p.coefs, step_coefs, group_alpha)
    assert_pair_close(got, (expected, p.intercepts), dtype)
    for l in range(L):
        t = group_alpha[l] * np.sqrt(p.units[l + 1])
        scaled = np.linalg.norm(p.coefs[l] / step_coefs[l], axis=1)
        under = scaled < t * (1 - 1e-6)
        assert np.all(got[0][l][under] == 0.0)
        assert np.all(np.any(got[0][l][scaled > t * (1 + 1e-6)] != 0, axis=1))
    assert np.all(got[0][0][-1] == 0)


@pytest.mark.parametrize("shape", [s for s in SHAPES if len(s.values[0][1]) > 0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_prox_group_with_factors(shape, dtype):
    """Factors multiply the group strength of the input rows only: a row
    kept without factors is removed with a large one, and the hidden layers'
    rows are as without factors."""
    p = Problem(37, shape, "identity", 2, dtype)
    L = p.n_layers
    group_alpha = [0.3, 0.2, 0.6][:L]
    rng = np.random.default_rng(38)
    step_sizes = rng.uniform(0.1, 1.5, p.params.shape).astype(dtype)
    step_coefs, _ = N.unpack(step_sizes, p.units)
    factors = rng.uniform(0.2, 3.0, p.units[0])
    factors[0] = 1e6  # removes row 0 whatever its size
    params = p.params.copy()
    K.prox_group(
        params, step_sizes, p.units, reg_record(L, group_alpha=group_alpha, group_factors=factors)
    )
    got = N.unpack(params, p.units)
    expected = N.naive_prox_group(p.coefs, step_coefs, group_alpha, factors)
    assert_pair_close(got, (expected, p.intercepts), dtype)
    assert np.all(got[0][0][0] == 0) and np.any(p.coefs[0][0] != 0)
    without = N.naive_prox_group(p.coefs, step_coefs, group_alpha)
    assert not np.allclose(got[0][0], without[0])
    for l in range(1, L):
        assert_close(got[0][l], without[l], dtype, f"layer {l}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_project_max_norm_columns(dtype):
    rng = np.random.default_rng(35)
    c = 1.2
    norms = np.array([0.3, 1.2, 1.2000001, 2.0, 15.0, 0.0, 1.19])
    W = rows_with_norms(rng, norms, 5).T.astype(dtype)  # columns with those norms
    old = W.astype(np.float64)
    K.project_max_norm_columns(W, c)
    assert_close(W, N.naive_project_max_norm_columns(old, c), dtype)
    new_norms = np.linalg.norm(W.astype(np.float64), axis=0)
    slack = 1e-6 if dtype == np.float32 else 1e-13
    assert np.all(new_norms <= c * (1 + slack))
    inside = np.linalg.norm(old, axis=0) <= c
    np.testing.assert_array_equal(W[:, inside], old[:, inside].astype(dtype))
    assert_close(new_norms[~inside], np.full((~inside).sum(), c), dtype)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_apply_max_norm(shape, dtype):
    p = Problem(36, shape, "identity", 2, dtype)
    L = p.n_layers
    max_norm = [0.8, 0.0, 0.9][:L]  # 0: no bound on that layer
    params = p.params.copy()
    K.apply_max_norm(params, p.units, reg_record(L, max_norm=max_norm))
    got = N.unpack(params, p.units)
    expected = N.naive_apply_max_norm(p.coefs, max_norm)
    assert_pair_close(got, (expected, p.intercepts), dtype)
    for l in range(L):
        if max_norm[l] > 0:
            assert np.all(np.linalg.norm(got[0][l], axis=0) <= max_norm[l] * (1 + 1e-6))
    assert not np.allclose(got[0][0], p.coefs[0])  # something was projected


# --------------------------------------------------------------------------
# Optimizer steps
# --------------------------------------------------------------------------


def random_pair_like(rng, p, low=-1.0, high=1.0):
    flat = rng.uniform(low, high, p.params.shape).astype(p.dtype)
    return flat, N.unpack(flat, p.units)


SGD_CASES = [
    pytest.param(dict(momentum=0.0, nesterov=False, decay=0.0), id="plain"),
    pytest.param(dict(momentum=0.9, nesterov=False, decay=0.0), id="momentum"),
    pytest.param(dict(momentum=0.9, nesterov=True, decay=0.0), id="nesterov"),
    pytest.param(dict(momentum=0.0, nesterov=False, decay=0.05), id="plain_decay"),
    pytest.param(dict(momentum=0.8, nesterov=True, decay=0.05), id="nesterov_decay"),
]


@pytest.mark.parametrize("case", SGD_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_step(case, dtype):
    p = Problem(40, (3, (6, 4), 2), "identity", 2, dtype)
    rng = np.random.default_rng(41)
    lr = 0.1
    params = p.params.copy()
    vel_flat, vel = random_pair_like(rng, p, -0.2, 0.2)
    grad_flat, grads = random_pair_like(rng, p)
    exp_params, exp_vel, exp_steps = (p.pair, vel, None)
    # two consecutive steps, the velocity carried over
    settings = settings_record(momentum=case["momentum"], nesterov=case["nesterov"])
    for _ in range(2):
        step_sizes = np.full_like(params, np.nan)
        n_coef = int(K.layer_offsets(p.units)[0][-1])
        shrink = 1.0 - lr * case["decay"]
        for span, decay in (((0, n_coef), shrink), ((n_coef, params.size), 1.0)):
            K.sgd_step(params, grad_flat, vel_flat, step_sizes, span, 0.0, decay, lr, settings)
        exp_params, exp_vel, exp_steps = N.naive_sgd_step(
            exp_params, grads, exp_vel, lr, case["momentum"], case["nesterov"], case["decay"]
        )
        assert_pair_close(N.unpack(params, p.units), exp_params, dtype, "params")
        assert_pair_close(N.unpack(vel_flat, p.units), exp_vel, dtype, "velocity")
        assert_close(step_sizes[:n_coef], np.concatenate([s.ravel() for s in exp_steps]), dtype)
        exp_params = N.unpack(params, p.units)  # continue from the kernel's rounding
        exp_vel = N.unpack(vel_flat, p.units)
        grad_flat, grads = random_pair_like(rng, p)


@pytest.mark.parametrize("decay", [0.0, 0.05])
@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_step(decay, dtype):
    p = Problem(42, (3, (6, 4), 2), "identity", 2, dtype)
    rng = np.random.default_rng(43)
    lr, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8
    params = p.params.copy()
    m_flat = np.zeros_like(params)
    v_flat = np.zeros_like(params)
    n_coef = int(K.layer_offsets(p.units)[0][-1])
    exp_params, exp_m, exp_v = p.pair, N.zeros_like_pair(p.pair), N.zeros_like_pair(p.pair)
    for t in (1, 2, 3, 4):
        grad_flat, grads = random_pair_like(rng, p)
        step_sizes = np.full_like(params, np.nan)
        settings = settings_record(solver="adam", beta1=beta1, beta2=beta2, eps=eps)
        for span, shrink in (((0, n_coef), 1.0 - lr * decay), ((n_coef, params.size), 1.0)):
            K.adam_step(
                params, grad_flat, m_flat, v_flat, step_sizes, span, 0.0, shrink, lr, settings, t
            )
        exp_params, exp_m, exp_v, exp_steps = N.naive_adam_step(
            exp_params, grads, exp_m, exp_v, t, lr, beta1, beta2, eps, decay
        )
        assert_pair_close(N.unpack(params, p.units), exp_params, dtype, f"params t={t}")
        assert_pair_close(N.unpack(m_flat, p.units), exp_m, dtype, f"m t={t}")
        assert_pair_close(N.unpack(v_flat, p.units), exp_v, dtype, f"v t={t}")
        assert_close(step_sizes[:n_coef], np.concatenate([s.ravel() for s in exp_steps]), dtype)
        exp_params = N.unpack(params, p.units)
        exp_m, exp_v = N.unpack(m_flat, p.units), N.unpack(v_flat, p.units)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_optimizer_without_step_sizes_updates_the_same(solver, dtype):
    """Where no proximal step reads the per-coordinate step sizes (a fit
    without L1, group, hierarchy or max-norm) the epoch passes an empty
    array, and the optimizer stores none: its weights and moments are those
    of the step that stores them, to the last bit."""
    p = Problem(44, (3, (6, 4), 2), "identity", 2, dtype)
    settings = settings_record(solver=solver, momentum=0.9, nesterov=True)
    states = {}
    for stored in (True, False):
        params = p.params.copy()
        moments = [np.full_like(params, 0.01), np.full_like(params, 0.02)]
        step_sizes = np.full_like(params, np.nan) if stored else np.empty(0, dtype)
        draws = np.random.default_rng(45)
        for t in (1, 2, 3):
            grads = draws.uniform(-1.0, 1.0, params.size).astype(dtype)
            span, l2, shrink, lr = (0, params.size), 0.05, 0.99, 0.01
            if solver == "adam":
                K.adam_step(params, grads, *moments, step_sizes, span, l2, shrink, lr, settings, t)
            else:
                K.sgd_step(params, grads, moments[0], step_sizes, span, l2, shrink, lr, settings)
        states[stored] = (params, *moments)
    assert not np.array_equal(states[True][0], p.params)  # the steps moved the weights
    for with_steps, without in zip(states[True], states[False]):
        np.testing.assert_array_equal(without, with_steps)


# Regularization cases of the optimizer / epoch tests, for the network with
# three weight matrices; strengths are scaled per solver (Adam's proximal
# steps are about lr / |g|, much larger than SGD's lr).
REG_CASES = {
    "none": dict(),
    "l2": dict(alpha=[0.3, 0.6, 0.1], rho=0.0),
    "l1": dict(alpha=[0.8, 0.5, 1.0], rho=1.0),
    "elasticnet": dict(alpha=[0.8, 0.5, 1.0], rho=0.4),
    "l1_subgradient": dict(alpha=[0.8, 0.5, 1.0], rho=1.0, l1_method="subgradient"),
    "elasticnet_subgradient": dict(alpha=[0.8, 0.5, 1.0], rho=0.4, l1_method="subgradient"),
    "group": dict(group_alpha=[0.3, 0.1, 1.5]),
    "max_norm": dict(max_norm=[0.9, 1.1, 0.8]),
    "weight_decay": dict(decay=0.3),
    "all": dict(
        alpha=[0.8, 0.5, 1.0], rho=0.4, group_alpha=[0.3, 0.1, 1.5], max_norm=1.1, decay=0.3
    ),
}
OPT_CASES = {
    "sgd": dict(solver="sgd", lr=0.1, momentum=0.9, nesterov=True),
    "sgd_plain": dict(solver="sgd", lr=0.1, momentum=0.0, nesterov=False),
    "adam": dict(solver="adam", lr=0.02, beta1=0.9, beta2=0.999, eps=1e-8),
}
REG_SCALE = {"sgd": 1.0, "adam": 0.02}


def split_case(opt_name, reg_name):
    opt = dict(OPT_CASES[opt_name])
    reg = dict(REG_CASES[reg_name])
    scale = REG_SCALE[opt["solver"]]
    for key in ("alpha", "group_alpha"):
        if key in reg:
            reg[key] = [scale * a for a in reg[key]]
    if "decay" in reg:
        opt["decay"] = reg.pop("decay")
    return opt, reg


def kernel_config(units, opt, reg, activation="tanh", loss="identity", batch_size=1, seed=0):
    """``(Regularization, Settings, Epoch)`` records of a test case."""
    decay, noise = opt.get("decay", 0.0), opt.get("input_noise", 0.0)
    return (
        reg_record(len(units) - 1, **reg, decay=decay, input_noise=noise),
        settings_record(activation, loss, batch_size=batch_size, **opt),
        C.epoch(opt["lr"], seed),
    )


def initial_state(rng, p, opt_name, fresh):
    """Kernel opt_state (2, n_params) and the reference's list of pairs."""
    state = np.zeros((2, p.params.shape[0]), dtype=p.dtype)
    if not fresh:
        state[0] = rng.uniform(-0.1, 0.1, p.params.shape)
        state[1] = rng.uniform(0.0, 0.05, p.params.shape)
    pairs = [N.unpack(state[0], p.units), N.unpack(state[1], p.units)]
    if OPT_CASES[opt_name]["solver"] == "sgd":
        pairs = pairs[:1]
    return state, pairs


def check_state(state, exp_state, p, dtype):
    for k, exp in enumerate(exp_state):
        assert_pair_close(N.unpack(state[k], p.units), exp, dtype, f"opt_state[{k}]")


@pytest.mark.parametrize("reg_name", list(REG_CASES))
@pytest.mark.parametrize("opt_name", list(OPT_CASES))
@pytest.mark.parametrize("dtype", DTYPES)
def test_optimizer_step(reg_name, opt_name, dtype):
    p = Problem(44, (3, (6, 4), 2), "identity", 2, dtype)
    rng = np.random.default_rng(45)
    opt, reg = split_case(opt_name, reg_name)
    reg_rec, settings, epoch = kernel_config(p.units, opt, reg)
    state, exp_state = initial_state(rng, p, opt_name, fresh=False)
    params = p.params.copy()
    exp_params = p.pair
    t = 3
    for _ in range(2):
        grad_flat, grads = random_pair_like(rng, p)
        step_sizes = np.full_like(params, np.nan)
        t += 1
        # The kernel adds the smooth penalty's gradient itself; the reference
        # takes the whole smooth gradient.
        K.optimizer_step(
            params,
            grad_flat,
            state,
            step_sizes,
            p.units,
            reg_rec,
            C.extra_terms(reg_rec),
            settings,
            epoch.learning_rate,
            t,
        )
        pen_coefs, _ = N.naive_penalty_gradient(
            exp_params[0],
            reg.get("alpha", 0.0),
            reg.get("rho", 0.0),
            reg.get("l1_method", "proximal") == "subgradient",
        )
        full = ([g + q for g, q in zip(grads[0], pen_coefs)], grads[1])
        exp_params, exp_state = N.naive_optimizer_step(exp_params, full, exp_state, t, opt, reg)
        assert_pair_close(N.unpack(params, p.units), exp_params, dtype, "params")
        check_state(state, exp_state, p, dtype)
        exp_params = N.unpack(params, p.units)
        exp_state = [N.unpack(state[k], p.units) for k in range(len(exp_state))]
    if reg_name == "l1" and opt["solver"] == "sgd":
        assert np.any(params[: int(K.layer_offsets(p.units)[0][-1])] == 0)  # not vacuous


# --------------------------------------------------------------------------
# Full-batch objective and gradient
# --------------------------------------------------------------------------

OBJECTIVE_REGS = {
    "l2": dict(alpha=[0.3, 0.05, 0.2], rho=0.0),
    # dropout and max-norm are in layer_reg but must not enter the objective
    "enet_group_proximal": dict(
        alpha=[0.3, 0.05, 0.2],
        rho=0.4,
        group_alpha=[0.1, 0.2, 0.05],
        dropout=[0.0, 0.5, 0.3],
        max_norm=0.1,
    ),
    "enet_group_subgradient": dict(
        alpha=[0.3, 0.05, 0.2], rho=0.4, group_alpha=[0.1, 0.2, 0.05], l1_method="subgradient"
    ),
}


@pytest.mark.parametrize("n", [1, 7, N_BIG])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_objective_and_gradient(n, shape, loss, act, dtype):
    p = Problem(50, shape, loss, n, dtype, weights="some_zero" if n > 1 else "varied")
    p.params[0] = 0.0  # an exact zero weight: sign(0) = 0 in subgradient mode
    p.coefs[0][0, 0] = 0.0
    L = p.n_layers
    for kind, (reg_name, reg) in itertools.product(KINDS, OBJECTIVE_REGS.items()):
        reg = {k: (v[:L] if isinstance(v, list) else v) for k, v in reg.items()}
        reg.setdefault("group_alpha", [0.0] * L)
        subgradient = reg.get("l1_method") == "subgradient"
        reg_rec = reg_record(L, **reg)
        settings = settings_record(act, loss, batch_size=n)
        grads = np.full_like(p.params, np.nan)
        params = p.params.copy()
        J = K.objective_and_gradient(
            p.inputs(kind), p.Y, p.sw, params, p.units, reg_rec, settings, grads
        )
        np.testing.assert_array_equal(params, p.params)  # parameters untouched

        exp_J = N.naive_objective(
            p.X,
            p.Y,
            p.sw,
            p.coefs,
            p.intercepts,
            act,
            loss,
            reg["alpha"],
            reg["rho"],
            reg["group_alpha"],
        )
        exp_grads = N.naive_objective_gradient(
            p.X, p.Y, p.sw, p.coefs, p.intercepts, act, loss, reg["alpha"], reg["rho"], subgradient
        )
        assert_close(J, exp_J, dtype, f"J, {reg_name}, {kind}")
        assert_pair_close(
            N.unpack(grads, p.units), exp_grads, dtype, f"gradient, {reg_name}, {kind}"
        )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_objective_does_not_depend_on_row_blocks(kind, dtype):
    """Three row blocks; zero weights on all but the first block give what
    the first block alone gives: blocks are normalized by the total weight,
    not one by one."""
    p = Problem(51, (4, (5,), 3), "identity", 2 * K.BLOCK_ROWS + 11, dtype)
    reg = reg_record(2, [0.1, 0.2])
    settings = settings_record("tanh", "identity", batch_size=p.n)
    grads = np.empty_like(p.params)
    J = K.objective_and_gradient(p.inputs(kind), p.Y, p.sw, p.params, p.units, reg, settings, grads)
    exp = N.naive_objective(p.X, p.Y, p.sw, p.coefs, p.intercepts, "tanh", "identity", [0.1, 0.2])
    assert_close(J, exp, dtype)
    sw = p.sw.copy()
    sw[K.BLOCK_ROWS :] = 0  # only the first block counts
    grads0 = np.empty_like(p.params)
    J0 = K.objective_and_gradient(p.inputs(kind), p.Y, sw, p.params, p.units, reg, settings, grads0)
    grads1 = np.empty_like(p.params)
    first = slice(0, K.BLOCK_ROWS)
    J1 = K.objective_and_gradient(
        make_input(p.X[first], kind),
        np.ascontiguousarray(p.Y[first]),
        np.ascontiguousarray(p.sw[first]),
        p.params,
        p.units,
        reg,
        settings,
        grads1,
    )
    assert_close(J0, J1, dtype)
    assert_close(grads0, grads1, dtype)


# --------------------------------------------------------------------------
# Whole epochs
# --------------------------------------------------------------------------


def input_to_dense(inputs, n_rows, n_features):
    """An input matrix (dense or CSR tuple) back as a dense float64 array."""
    dense, data, indices, indptr = inputs
    if indptr.shape[0] == 0:
        return np.asarray(dense[:n_rows], dtype=np.float64)
    A = sp.csr_matrix((data, indices, indptr[: n_rows + 1]), shape=(n_rows, n_features))
    return A.toarray().astype(np.float64)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_input_matrix_helpers(kind, dtype):
    rng = np.random.default_rng(61)
    X = rng.normal(size=(9, 4))
    X[rng.random(X.shape) < 0.5] = 0.0
    X[4] = 0.0
    X = X.astype(dtype)
    inputs = make_input(X, kind)
    assert K.is_sparse(inputs) == (kind == "csr")
    assert K.n_input_rows(inputs) == 9
    block = K.input_row_block(inputs, 3, 7)
    assert K.n_input_rows(block) == 4
    np.testing.assert_array_equal(input_to_dense(block, 4, 4), X[3:7])
    # products with the first layer's weights, and with its transpose
    W = rng.normal(size=(4, 3)).astype(dtype)
    Z = np.full((9, 3), np.nan, dtype=dtype)
    K.input_times(inputs, W, Z)
    assert_close(Z, X.astype(np.float64) @ W, dtype)
    delta = rng.normal(size=(4, 3)).astype(dtype)
    G = np.full((4, 3), np.nan, dtype=dtype)
    K.input_transpose_times(block, delta, G)
    assert_close(G, X[3:7].astype(np.float64).T @ delta, dtype)


def test_max_batch_nnz():
    indptr = np.array([0, 2, 2, 5, 6, 10, 11], dtype=np.int64)  # row sizes 2 0 3 1 4 1
    order = np.array([5, 0, 1, 4, 2, 3], dtype=np.int64)
    sizes = np.diff(indptr)[order]
    for batch in (1, 2, 4, 6):
        expected = max(sizes[s : s + batch].sum() for s in range(0, 6, batch))
        assert K.max_batch_nnz(indptr, order, batch) == expected


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_batch(kind, dtype):
    rng = np.random.default_rng(60)
    X = rng.normal(size=(9, 4)) + 3.0
    X[rng.random(X.shape) < 0.3] = 0.0
    X = X.astype(dtype)
    inputs = make_input(X, kind)
    order = rng.permutation(9).astype(np.int64)
    buffers = K.allocate_batch_buffers(inputs, order, 4, 4)
    for start, stop in ((0, 4), (4, 8), (8, 9)):
        Xb = K.gather_batch(inputs, order, start, stop, buffers)
        n = stop - start
        assert K.n_input_rows(Xb) == n
        np.testing.assert_array_equal(input_to_dense(Xb, n, 4), X[order[start:stop]])
    # input dropout: each entry dropped or scaled by 1 / keep
    Xb = K.gather_batch(inputs, order, 3, 7, buffers)
    K.perturb_batch(Xb, 0.5, 0.0)
    got = input_to_dense(Xb, 4, 4)
    src = X[order[3:7]].astype(np.float64)
    assert np.all((got == 0) | np.isclose(got, src / 0.5, rtol=RTOL[dtype], atol=0))


def epoch_case(dtype, loss, n, seed=70, weights="varied", shape=(3, (6, 4), 2)):
    return Problem(seed, shape, loss, n, dtype, weights=weights)


def check_epoch(p, order, t0, batch_size, act, opt, reg, state, exp_state):
    """train_epoch (dense and CSR inputs, each from the same start) against
    naive_train_epoch: parameters, optimizer state, summed loss and t."""
    reg_rec, settings, epoch = kernel_config(p.units, opt, reg, act, p.loss, batch_size)
    exp_params, exp_state, exp_t, exp_total = N.naive_train_epoch(
        p.X, p.Y, p.sw, order, p.pair, exp_state, t0, batch_size, act, p.loss, opt, reg
    )
    assert exp_t == t0 + -(-len(order) // batch_size)
    # The trainer's ``extra`` (None without L1, group lasso, max-norm,
    # dropout and noise), and the whole record, which must change nothing.
    extras = [C.extra_terms(reg_rec)] + ([reg_rec] if C.extra_terms(reg_rec) is None else [])
    for kind, extra in itertools.product(KINDS, extras):
        params = p.params.copy()
        kernel_state = state.copy()
        total, t = K.train_epoch(
            p.inputs(kind),
            p.Y,
            p.sw,
            order,
            params,
            kernel_state,
            p.units,
            reg_rec,
            extra,
            settings,
            epoch,
            t0,
        )
        assert t == exp_t
        assert_close(total, exp_total, p.dtype, f"epoch loss, {kind}")
        assert_pair_close(N.unpack(params, p.units), exp_params, p.dtype, f"params, {kind}")
        check_state(kernel_state, exp_state, p, p.dtype)
    return exp_params


@pytest.mark.parametrize("reg_name", list(REG_CASES))
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_train_epoch_one_full_batch(reg_name, opt_name, loss, dtype):
    """batch_size >= n_samples, no shuffle, no dropout or noise: one step of
    the reference optimizer on the full-batch gradient."""
    p = epoch_case(dtype, loss, 8)
    opt, reg = split_case(opt_name, reg_name)
    state, exp_state = initial_state(np.random.default_rng(71), p, opt_name, fresh=True)
    order = np.arange(p.n, dtype=np.int64)
    # batch_size 50 > n_samples: one batch of all the rows
    reg_rec, settings, epoch = kernel_config(p.units, opt, reg, "tanh", loss, 50)
    params = p.params.copy()
    _, t = K.train_epoch(
        p.inputs(),
        p.Y,
        p.sw,
        order,
        params,
        state.copy(),
        p.units,
        reg_rec,
        C.extra_terms(reg_rec),
        settings,
        epoch,
        0,
    )
    assert t == 1
    exp_params = check_epoch(p, order, 0, p.n, "tanh", opt, reg, state, exp_state)
    assert_pair_close(N.unpack(params, p.units), exp_params, dtype, "batch_size > n")


def test_extra_terms_leaves_a_proximal_l1_to_the_plain_epoch():
    """The plain epoch (``extra`` None) takes a proximal L1 step itself, so
    that an L1 fit compiles no kernel beyond the default fit's; L1 as a
    subgradient, and every other term, needs the record."""
    units = epoch_case(np.float64, "identity", 8).units
    for reg_name in ("none", "l2", "weight_decay", "l1", "elasticnet"):
        opt, reg = split_case("adam", reg_name)
        assert C.extra_terms(kernel_config(units, opt, reg)[0]) is None, reg_name
    for reg_name in ("l1_subgradient", "group", "max_norm", "all"):
        opt, reg = split_case("adam", reg_name)
        reg_rec = kernel_config(units, opt, reg)[0]
        assert C.extra_terms(reg_rec) is reg_rec, reg_name


@pytest.mark.parametrize("opt_name", list(OPT_CASES))
@pytest.mark.parametrize("dtype", DTYPES)
def test_plain_epoch_l1_step_is_the_full_records(opt_name, dtype):
    """An L1 epoch run by the plain kernel equals, bit for bit, the same
    epoch run with the whole record as ``extra``: same arithmetic in the
    same order.  The step must act: some weights end exactly zero."""
    p = epoch_case(dtype, "identity", 8, seed=74)
    order = np.random.default_rng(75).permutation(p.n).astype(np.int64)
    opt, reg = split_case(opt_name, "elasticnet")
    reg["alpha"] = [2.0, 2.0, 2.0]  # strong enough to zero weights in 3 steps
    reg_rec, settings, epoch = kernel_config(p.units, opt, reg, "tanh", "identity", 3)
    state, _ = initial_state(np.random.default_rng(76), p, opt_name, fresh=False)
    results = []
    for extra in (None, reg_rec):
        params, moments = p.params.copy(), state.copy()
        _, t = K.train_epoch(
            p.inputs(), p.Y, p.sw, order, params, moments, p.units, reg_rec, extra,
            settings, epoch, 5,
        )  # fmt: skip
        results.append((params, moments, t))
    (plain, plain_moments, plain_t), (full, full_moments, full_t) = results
    np.testing.assert_array_equal(plain, full)
    np.testing.assert_array_equal(plain_moments, full_moments)
    assert plain_t == full_t
    assert np.any(plain == 0.0) and not np.any(p.params == 0.0)


@pytest.mark.parametrize("reg_name", ["none", "l2", "l1", "l1_subgradient", "group", "all"])
@pytest.mark.parametrize("opt_name", list(OPT_CASES))
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_train_epoch_minibatches(reg_name, opt_name, loss, dtype):
    """Batches of 3 over 8 rows in a permuted order (the last batch has 2
    rows, one batch has only zero weights), starting from a non-zero
    optimizer state at t = 5: sequential reference steps."""
    act = "relu" if loss == "logistic" else "logistic"
    p = epoch_case(dtype, loss, 8, seed=72)
    rng = np.random.default_rng(73)
    order = rng.permutation(p.n).astype(np.int64)
    p.sw[order[3:6]] = 0.0  # the second batch weighs nothing
    opt, reg = split_case(opt_name, reg_name)
    state, exp_state = initial_state(rng, p, opt_name, fresh=False)
    check_epoch(p, order, 5, 3, act, opt, reg, state, exp_state)


@pytest.mark.parametrize("dtype", DTYPES)
def test_train_epoch_single_row_batches_and_no_hidden_layer(dtype):
    """batch_size 1 (one step per row) on a network without hidden layer."""
    p = epoch_case(dtype, "softmax", 5, seed=74, shape=(4, (), 3))
    opt, reg = split_case("sgd", "all")
    for key in ("alpha", "group_alpha"):
        reg[key] = reg[key][:1]
    state, exp_state = initial_state(np.random.default_rng(75), p, "sgd", fresh=False)
    order = np.arange(p.n, dtype=np.int64)[::-1].copy()
    check_epoch(p, order, 0, 1, "tanh", opt, reg, state, exp_state)


@pytest.mark.parametrize("dtype", DTYPES)
def test_train_epoch_order_with_repeats_and_subset(dtype):
    """``order`` may list a subset of the rows, some more than once."""
    p = epoch_case(dtype, "exp", 9, seed=76)
    order = np.array([4, 1, 1, 7, 0, 4, 2], dtype=np.int64)
    opt, reg = split_case("adam", "all")
    state, exp_state = initial_state(np.random.default_rng(77), p, "adam", fresh=True)
    check_epoch(p, order, 0, 3, "tanh", opt, reg, state, exp_state)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_weight_decay_equals_l2(dtype):
    """With plain SGD, weight_decay = c is penalty='l2', alpha = c (docs/design.rst,
    "Weight decay")."""
    p = epoch_case(dtype, "logistic", 8, seed=78)
    c = 0.3
    results = []
    for opt, reg in (
        (dict(solver="sgd", lr=0.1, decay=c), dict()),
        (dict(solver="sgd", lr=0.1), dict(alpha=c, rho=0.0)),
    ):
        reg_rec, settings, epoch = kernel_config(p.units, opt, reg, "tanh", p.loss, 3)
        params = p.params.copy()
        state = np.zeros((2, params.shape[0]), dtype=dtype)
        K.train_epoch(
            p.inputs(),
            p.Y,
            p.sw,
            np.arange(p.n, dtype=np.int64),
            params,
            state,
            p.units,
            reg_rec,
            C.extra_terms(reg_rec),
            settings,
            epoch,
            0,
        )
        results.append(params)
    assert not np.allclose(results[0], p.params)
    assert_close(results[0], results[1], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_forward_train_dropout_goes_to_the_right_layer(dtype):
    """``dropout[l]`` drops the *input* units of weight layer l: entry 0 is
    the inputs' (not used by forward_train), entry 2 the second hidden
    layer's outputs.  Only acts[1] / derivs[1] may be masked."""
    p = Problem(80, (3, (30, 40), 2), "identity", 50, dtype)
    act = "tanh"
    extra = reg_record(3, dropout=[0.9, 0.0, 0.5])
    acts, derivs, _ = flat_buffers(p.units, p.n, dtype)
    settings = settings_record(act)
    K.forward_train(p.inputs(), p.params, p.units, settings, extra, acts, derivs, p.n)
    exp_acts, exp_derivs, _ = N.naive_forward_train(p.X, p.coefs, p.intercepts, act)
    assert_close(buffer_matrix(acts[0], p.n, 30), exp_acts[0], dtype)
    assert_close(buffer_matrix(derivs[0], p.n, 30), exp_derivs[0], dtype)
    A1 = buffer_matrix(acts[1], p.n, 40)
    D1 = buffer_matrix(derivs[1], p.n, 40)
    dropped = (A1 == 0) & (D1 == 0)
    frac = dropped.mean()
    assert abs(frac - 0.5) < 5 * np.sqrt(0.25 / A1.size), frac


def test_gather_batch_noise_and_seed_generator():
    inputs = make_input(np.zeros((4000, 3)), "dense")
    order = np.arange(4000, dtype=np.int64)
    buffers = K.allocate_batch_buffers(inputs, order, 4000, 3)
    draws = []
    for seed in (7, 7, 8):
        K.seed_generator(seed)
        batch = K.gather_batch(inputs, order, 0, 4000, buffers)
        K.perturb_batch(batch, 0.0, 2.0)
        draws.append(batch[0].copy())
    assert abs(draws[0].std() - 2.0) < 0.05
    assert abs(draws[0].mean()) < 0.1
    np.testing.assert_array_equal(draws[0], draws[1])  # same seed, same noise
    assert not np.array_equal(draws[0], draws[2])


@pytest.mark.parametrize("dtype", DTYPES)
def test_train_epoch_seeded_randomness(dtype):
    """With dropout and noise, the same seed gives the same epoch bit for bit,
    another seed another one."""
    p = epoch_case(dtype, "identity", 20, seed=79)
    opt, reg = split_case("adam", "l2")
    reg["dropout"] = [0.2, 0.3, 0.3]
    opt["input_noise"] = 0.1
    results = []
    for seed in (5, 5, 6):
        reg_rec, settings, epoch = kernel_config(p.units, opt, reg, "relu", p.loss, 6, seed)
        params = p.params.copy()
        state = np.zeros((2, params.shape[0]), dtype=dtype)
        K.train_epoch(
            p.inputs(),
            p.Y,
            p.sw,
            np.arange(p.n, dtype=np.int64),
            params,
            state,
            p.units,
            reg_rec,
            C.extra_terms(reg_rec),
            settings,
            epoch,
            0,
        )
        results.append(params)
    np.testing.assert_array_equal(results[0], results[1])
    assert not np.array_equal(results[0], results[2])


# Blocks of input rows under one norm (feature_groups): W_1's first and third
# rows share block 1, the others are blocks of their own; the numbering is
# not in the order of the rows, as the kernels take any.
def blocks_of(n_inputs):
    blocks = np.arange(n_inputs)[::-1].copy()
    blocks[2] = blocks[0]
    return np.unique(blocks, return_inverse=True)[1].astype(np.int64)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_penalty_value_with_blocks(shape, dtype):
    p = Problem(23, shape, "identity", 2, dtype)
    params = N.pack(p.coefs, p.intercepts, dtype)
    L = p.n_layers
    blocks = blocks_of(p.units[0])
    factors = np.linspace(0.5, 3.0, blocks.max() + 1)
    for kw in (dict(group_blocks=blocks), dict(group_blocks=blocks, group_factors=factors)):
        kw = dict(kw, group_alpha=GROUP_ALPHAS[L])
        got = K.penalty_value(params, p.units, reg_record(L, **kw))
        assert_close(got, N.naive_penalty_value(p.coefs, **kw), dtype, str(kw))
    # The blocks change the value: one norm over rows 0 and 2, not two.
    assert not np.isclose(got, N.naive_penalty_value(p.coefs, group_alpha=GROUP_ALPHAS[L]))


@pytest.mark.parametrize("equal_steps", [True, False])
@pytest.mark.parametrize("shape", [s for s in SHAPES if len(s.values[0][1]) > 0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_prox_group_blocks(equal_steps, shape, dtype):
    """The kernel's prox on blocks of input rows against the NumPy reference,
    with SGD's equal steps and with Adam's per-coordinate ones: a block is
    removed or kept whole, and the hidden layers' rows are as without blocks."""
    p = Problem(39, shape, "identity", 2, dtype)
    L = p.n_layers
    group_alpha = [0.3, 0.2, 0.6][:L]
    rng = np.random.default_rng(40)
    if equal_steps:
        step_sizes = np.full(p.params.shape, 0.7, dtype=dtype)
    else:
        step_sizes = rng.uniform(0.1, 1.5, p.params.shape).astype(dtype)
    step_coefs, _ = N.unpack(step_sizes, p.units)
    blocks = blocks_of(p.units[0])
    factors = rng.uniform(0.2, 2.0, blocks.max() + 1)
    factors[blocks[0]] = 1e6  # removes rows 0 and 2 together
    params = p.params.copy()
    reg = reg_record(L, group_alpha=group_alpha, group_factors=factors, group_blocks=blocks)
    K.prox_group(params, step_sizes, p.units, reg)
    got = N.unpack(params, p.units)
    expected = N.naive_prox_group(p.coefs, step_coefs, group_alpha, factors, blocks)
    assert_pair_close(got, (expected, p.intercepts), dtype)
    W = got[0][0]
    assert np.all(W[[0, 2]] == 0) and np.any(p.coefs[0][[0, 2]] != 0)
    for b in range(blocks.max() + 1):  # whole blocks: all rows zero, or none
        zero = ~np.any(W[blocks == b] != 0, axis=1)
        assert zero.all() or not zero.any()
    without = N.naive_prox_group(p.coefs, step_coefs, group_alpha)
    for l in range(1, L):
        assert_close(got[0][l], without[l], dtype, f"layer {l}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_prox_group_one_row_blocks_are_rows(dtype):
    """Blocks of one row each give the rows' prox exactly (no blocks)."""
    p = Problem(41, (4, (5,), 3), "identity", 2, dtype)
    rng = np.random.default_rng(42)
    step_sizes = rng.uniform(0.1, 1.5, p.params.shape).astype(dtype)
    factors = rng.uniform(0.2, 2.0, p.units[0])
    blocks = np.arange(p.units[0], dtype=np.int64)
    rows, in_blocks = p.params.copy(), p.params.copy()
    K.prox_group(rows, step_sizes, p.units, reg_record(2, group_alpha=0.2, group_factors=factors))
    reg = reg_record(2, group_alpha=0.2, group_factors=factors, group_blocks=blocks)
    K.prox_group(in_blocks, step_sizes, p.units, reg)
    assert_close(in_blocks, rows, dtype)
