"""The hierarchical proximal step (``hier_prox``) against its reference and brute force.

For each feature j the step maps (theta_j, w_j) to

    argmin over (b, u)  1/2 ||b - theta_j||^2 + 1/2 ||u - w_j||^2 + lam ||b||
    subject to          max_i |u_i| <= M ||b||.

The kernel is checked against ``naive_hier_prox`` (a bisection on the
norm of b, not the kernel's closed form), and both against a direct numerical
minimization of that problem from several starting points, which knows
nothing of either.  The feasible set is not convex (b and -b are feasible,
their midpoint is not), hence the several starts.
"""

import numpy as np
import pytest
from scipy.optimize import minimize

import skreg._config as C
import skreg._kernels as K

import naive as N

DTYPES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]
RTOL = {np.float64: 1e-10, np.float32: 1e-5}
ATOL = {np.float64: 1e-12, np.float32: 1e-6}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def run_kernel(theta, W, lam, M):
    """The kernel on copies: the new (theta, W)."""
    theta, W = theta.copy(), W.copy()
    K.hier_prox(theta, W, lam, M)
    return theta, W


def objective(theta_j, w_j, b, u, lam):
    theta_j, w_j, b, u = (np.asarray(x, dtype=np.float64) for x in (theta_j, w_j, b, u))
    return 0.5 * np.sum((b - theta_j) ** 2) + 0.5 * np.sum((u - w_j) ** 2) + lam * np.linalg.norm(b)


def violation(b, u, M):
    """How far (b, u) is outside the constraint (0 when feasible)."""
    b, u = np.asarray(b, np.float64), np.asarray(u, np.float64)
    return max(np.max(np.abs(u), initial=0.0) - M * np.linalg.norm(b), 0.0)


def special_rows(rng, n_outputs, n_hidden):
    """Rows that exercise the corner cases: exact ties among |w| (of both
    signs), theta_j = 0 with w_j large, w_j = 0, both zero, and one |w| far
    above the others."""
    ties = np.resize([1.5, -1.5, 0.5, -0.5], n_hidden) * rng.choice([1.0, 2.0])
    rows = [
        (rng.normal(size=n_outputs), ties),
        (np.zeros(n_outputs), 3.0 * rng.normal(size=n_hidden)),
        (rng.normal(size=n_outputs), np.zeros(n_hidden)),
        (np.zeros(n_outputs), np.zeros(n_hidden)),
        (rng.normal(size=n_outputs), np.r_[20.0, 0.1 * rng.normal(size=n_hidden - 1)]),
    ]
    return np.array([r[0] for r in rows]), np.array([r[1] for r in rows])


def random_case(seed, n_features, n_outputs, n_hidden, dtype):
    """Random features, features of very different scales, and the special rows."""
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.uniform(-2, 1, size=(n_features, 1))
    theta = rng.normal(size=(n_features, n_outputs)) * scale
    W = rng.normal(size=(n_features, n_hidden)) * scale * rng.uniform(0.1, 3.0, (n_features, 1))
    special_theta, special_W = special_rows(rng, n_outputs, n_hidden)
    theta = np.vstack([theta, special_theta]).astype(dtype)
    W = np.vstack([W, special_W]).astype(dtype)
    return theta, W


def brute_force(theta_j, w_j, lam, M, seed):
    """The smallest objective SLSQP reaches from several starts, each answer
    made feasible (u clipped at M ||b||) before it is scored; the point
    (0, 0), always feasible, is a candidate too."""
    theta_j, w_j = np.asarray(theta_j, np.float64), np.asarray(w_j, np.float64)
    k = theta_j.shape[0]
    smooth = 1e-12  # lam ||b|| smoothed at b = 0 by at most lam * 1e-12

    def f(x):
        b, u = x[:k], x[k:]
        return (
            0.5 * np.sum((b - theta_j) ** 2)
            + 0.5 * np.sum((u - w_j) ** 2)
            + lam * np.sqrt(b @ b + smooth**2)
        )

    def f_gradient(x):
        b, u = x[:k], x[k:]
        return np.r_[b - theta_j + lam * b / np.sqrt(b @ b + smooth**2), u - w_j]

    # |u_i| <= M ||b|| squared: differentiable everywhere.  Exact gradients
    # (of the objective and of the constraints) spare SLSQP its finite
    # differences, most of its time.
    def constraint_jacobian(x):
        b, u = x[:k], x[k:]
        return np.hstack([np.tile(2 * M**2 * b, (u.shape[0], 1)), np.diag(-2 * u)])

    constraint = {
        "type": "ineq",
        "fun": lambda x: M**2 * (x[:k] @ x[:k]) - x[k:] ** 2,
        "jac": constraint_jacobian,
    }
    rng = np.random.default_rng(seed)
    t = np.linalg.norm(theta_j)
    radius = max(t, np.max(np.abs(w_j)) / M, 0.1)
    starts = [
        np.r_[theta_j, np.clip(w_j, -M * t, M * t)],
        np.r_[-theta_j, np.clip(w_j, -M * t, M * t)],
        np.r_[theta_j, w_j],
    ]
    starts += [rng.normal(size=k + w_j.shape[0]) * radius for _ in range(6)]
    best = objective(theta_j, w_j, np.zeros(k), np.zeros_like(w_j), lam)
    for x0 in starts:
        res = minimize(f, x0, jac=f_gradient, method="SLSQP", constraints=[constraint], tol=1e-14)
        b = res.x[:k]
        level = M * np.linalg.norm(b)
        u = np.clip(res.x[k:], -level, level)
        best = min(best, objective(theta_j, w_j, b, u, lam))
    return best


def group_soft_threshold(theta, lam):
    norms = np.linalg.norm(theta, axis=1, keepdims=True)
    return theta * np.maximum(1.0 - lam / np.maximum(norms, 1e-300), 0.0)


# --------------------------------------------------------------------------
# Kernel against the reference
# --------------------------------------------------------------------------

SHAPES = [
    pytest.param((30, 1, 4), id="1out_4hidden"),
    pytest.param((30, 3, 7), id="3out_7hidden"),
    pytest.param((12, 2, 1), id="2out_1hidden"),
    pytest.param((50, 1, 64), id="1out_64hidden"),
]
# (lam, M): typical, lam = 0, lam huge (everything removed), M tiny, M huge
SETTINGS = [
    pytest.param((0.3, 1.0), id="typical"),
    pytest.param((2.0, 0.2), id="strong"),
    pytest.param((0.0, 1.0), id="lam0"),
    pytest.param((1e6, 1.0), id="lam_huge"),
    pytest.param((0.1, 1e-8), id="M_tiny"),
    pytest.param((0.1, 1e8), id="M_huge"),
]


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_kernel_matches_reference(shape, setting, dtype):
    (lam, M), (n_features, n_outputs, n_hidden) = setting, shape
    theta, W = random_case(n_features + n_hidden, n_features, n_outputs, n_hidden, dtype)
    got_theta, got_W = run_kernel(theta, W, lam, M)
    assert got_theta.dtype == dtype and got_W.dtype == dtype
    expected_theta, expected_W = N.naive_hier_prox(theta, W, lam, M)
    for got, expected in ((got_theta, expected_theta), (got_W, expected_W)):
        scale = max(1.0, float(np.max(np.abs(expected))))
        np.testing.assert_allclose(got, expected, rtol=RTOL[dtype], atol=ATOL[dtype] * scale)
    # every feature ends feasible (up to the rounding of the stored dtype)
    level = M * np.linalg.norm(got_theta.astype(np.float64), axis=1)
    assert np.all(np.max(np.abs(got_W), axis=1) <= level * (1 + 4 * np.finfo(dtype).eps))
    if lam == 1e6:
        assert np.all(got_theta == 0) and np.all(got_W == 0)


def test_reference_clips_and_shrinks_as_derived():
    """One worked example of the reference: theta = 3, w = (2, 1), lam = 1,
    M = 1.  With one entry clipped, r = (3 + 2 - 1) / 2 = 2 >= 1, so
    b = 2 and u = (2, 1): the first |w| sits exactly on the clip level."""
    theta, W = N.naive_hier_prox(np.array([[3.0]]), np.array([[2.0, -1.0]]), 1.0, 1.0)
    np.testing.assert_allclose(theta, [[2.0]])
    np.testing.assert_allclose(W, [[2.0, -1.0]])
    # w = (4, 1): r = (3 + 4 - 1) / 2 = 3 >= 1, u = (3, -1)
    theta, W = N.naive_hier_prox(np.array([[3.0]]), np.array([[4.0, -1.0]]), 1.0, 1.0)
    np.testing.assert_allclose(theta, [[3.0]])
    np.testing.assert_allclose(W, [[3.0, -1.0]])


# --------------------------------------------------------------------------
# Both against brute force
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("n_hidden", [1, 2, 3, 4])
def test_optimal_against_brute_force(n_outputs, n_hidden):
    """The step's point is feasible and no worse than any point SLSQP finds."""
    rng = np.random.default_rng(100 * n_outputs + n_hidden)
    n_features = 8
    theta = rng.normal(size=(n_features, n_outputs))
    W = rng.normal(size=(n_features, n_hidden)) * rng.uniform(0.2, 3.0, (n_features, 1))
    theta[0] = 0.0  # b must leave zero (w large) or stay there
    W[1] = np.resize([1.0, -1.0], n_hidden)  # ties
    for lam, M in [(0.0, 1.0), (0.4, 0.5), (1.0, 2.0), (0.2, 5.0)]:
        got_theta, got_W = run_kernel(theta, W, lam, M)
        ref_theta, ref_W = N.naive_hier_prox(theta, W, lam, M)
        for j in range(n_features):
            best = brute_force(theta[j], W[j], lam, M, seed=j)
            for b, u in ((got_theta[j], got_W[j]), (ref_theta[j], ref_W[j])):
                assert violation(b, u, M) <= 1e-12
                value = objective(theta[j], W[j], b, u, lam)
                assert value <= best + 1e-9 * (1.0 + best), (j, lam, M, value, best)
            # and the search does find the minimum: the comparison has teeth
            assert best <= value + 1e-6, (j, lam, M, value, best)


def test_optimal_against_grid_one_output_one_hidden():
    """With one output and one hidden unit the problem is two-dimensional:
    the step is no worse than the best feasible point of a fine grid."""
    rng = np.random.default_rng(7)
    for _ in range(30):
        theta_j, w_j = rng.normal(size=1) * 2, rng.normal(size=1) * 2
        lam, M = rng.uniform(0, 2), 10 ** rng.uniform(-1, 1)
        theta, W = run_kernel(theta_j[None, :], w_j[None, :], lam, M)
        assert violation(theta[0], W[0], M) <= 1e-12
        value = objective(theta_j, w_j, theta[0], W[0], lam)
        grid = np.linspace(-6.0, 6.0, 1201)
        b, u = np.meshgrid(grid, grid, indexing="ij")
        values = 0.5 * (b - theta_j[0]) ** 2 + 0.5 * (u - w_j[0]) ** 2 + lam * np.abs(b)
        best = np.min(values[np.abs(u) <= M * np.abs(b)])
        assert value <= best + 1e-12


# --------------------------------------------------------------------------
# Limits and invariants
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_huge_M_is_group_soft_thresholding(dtype, n_outputs):
    """M -> inf makes the constraint vacuous as long as b != 0: theta is
    group soft-thresholded and W is unchanged."""
    rng = np.random.default_rng(11)
    theta = rng.normal(size=(40, n_outputs)).astype(dtype)
    W = rng.normal(size=(40, 6)).astype(dtype)
    lam = 0.8
    got_theta, got_W = run_kernel(theta, W, lam, 1e8)
    kept = np.linalg.norm(theta.astype(np.float64), axis=1) > lam
    assert 0 < kept.sum() < len(kept)  # both sides of the threshold occur
    expected = group_soft_threshold(theta.astype(np.float64), lam)
    np.testing.assert_allclose(got_theta[kept], expected[kept], rtol=RTOL[dtype], atol=ATOL[dtype])
    np.testing.assert_array_equal(got_W[kept], W[kept])
    # Soft-thresholded to zero, b keeps just the norm the constraint needs
    # (max |w_j| / M, up to 1 / M^2) and W is clipped by about lam / M.
    assert np.all(np.linalg.norm(got_theta[~kept], axis=1) <= 1.01 * np.abs(W[~kept]).max() / 1e8)
    np.testing.assert_allclose(got_W[~kept], W[~kept], rtol=RTOL[dtype], atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_identity_on_feasible_pairs_without_penalty(dtype, n_outputs):
    """lam = 0 and ||w_j||_inf <= M ||theta_j||: nothing moves, bit for bit."""
    rng = np.random.default_rng(12)
    M = 0.7
    theta = rng.normal(size=(25, n_outputs))
    theta[0] *= 1e-25  # squares below float32's range: the norm must not vanish
    theta = theta.astype(dtype)
    W = rng.uniform(-1, 1, size=(25, 5))
    W *= 0.99 * M * np.linalg.norm(theta.astype(np.float64), axis=1, keepdims=True)
    W = W.astype(dtype)
    got_theta, got_W = run_kernel(theta, W, 0.0, M)
    np.testing.assert_array_equal(got_theta, theta)
    np.testing.assert_array_equal(got_W, W)


@pytest.mark.parametrize("dtype", DTYPES)
def test_removed_feature_loses_its_hidden_weights(dtype):
    """A feature whose theta_j reaches zero keeps no weight in W: exactly
    when lam >= ||theta_j|| + M ||w_j||_1 (the slope of the objective in
    ||b|| at zero)."""
    theta = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 0.0], [3.0, 0.0]], dtype=dtype)
    W = np.array([[0.5, -0.5, 0.0], [0.1, 0.2, -0.3], [0.2, 0.0, 0.1], [0.5, 0.5, 0.5]], dtype)
    M, lam = 2.0, 3.0
    # thresholds ||theta|| + M ||w||_1: 3.0 (at lam: removed), 2.2, 0.6, 6.0 (kept)
    got_theta, got_W = run_kernel(theta, W, lam, M)
    removed = np.array([True, True, True, False])
    assert np.all(got_theta[removed] == 0) and np.all(got_W[removed] == 0)
    assert np.all(np.linalg.norm(got_theta[~removed], axis=1) > 0)
    assert np.all(np.any(got_W[~removed] != 0, axis=1))


def sorted_scan_radius(t, magnitudes, lam, M):
    """The radius by the closed form's plain scan: the magnitudes sorted,
    largest first, summed one by one (float64, the kernel's operations)."""
    ordered = np.sort(np.asarray(magnitudes, np.float64))[::-1]
    total = 0.0
    for m in range(ordered.size + 1):
        if m > 0:
            total += ordered[m - 1]
        radius = max(t + M * total - lam, 0.0) / (1.0 + m * M * M)
        below = ordered[m] if m < ordered.size else 0.0
        if M * radius >= below:
            return radius
    raise AssertionError("m = n always returns")


def test_kernel_radius_is_the_sorted_scan_bit_for_bit():
    """The kernel finds the radius without sorting every row (a heap, and
    two answers known without ordering): the same radius as the sorted scan,
    to the last bit, on random rows, ties, and lam at and around the point
    where a feature is removed (lam = ||theta_j|| + M ||w_j||_1)."""
    rng = np.random.default_rng(7)
    cases = []
    for _ in range(400):
        n = int(rng.integers(1, 70))
        w = rng.normal(size=n) * 10.0 ** rng.uniform(-3, 1)
        if rng.random() < 0.3:
            w = np.round(w, 1)  # ties
        t = abs(rng.normal()) * 10.0 ** rng.uniform(-3, 1)
        M = float(rng.choice([0.1, 1.0, 3.0, 10.0, 1e4]))
        edge = t + M * np.sum(np.abs(w))
        for lam in (0.0, 0.3 * t, t, 2 * t, edge, np.nextafter(edge, 0), edge * (1 - 1e-13)):
            cases.append((t, w, float(lam), M))
    for t, w, lam, M in cases:
        got_theta, got_W = run_kernel(np.array([[t]]), w[None, :], lam, M)
        radius = sorted_scan_radius(t, np.abs(w), lam, M)
        assert got_theta[0, 0] == t * (radius / t), (t, w, lam, M)  # the kernel's shrink
        np.testing.assert_array_equal(got_W[0], np.clip(w, -M * radius, M * radius))


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_prox_hierarchy_is_hier_prox_per_feature(n_outputs):
    """Each feature's pair gets the reference Hier-Prox at skip_group times
    the mean step size of its skip row."""
    rng = np.random.default_rng(n_outputs)
    units = np.array([5, 4, n_outputs], dtype=np.int64)
    coefs = [rng.normal(size=(5, 4)), rng.normal(size=(4, n_outputs))]
    intercepts = [rng.normal(size=4), rng.normal(size=n_outputs)]
    skip = 0.3 * rng.normal(size=(5, n_outputs))
    params = np.concatenate([N.pack(coefs, intercepts), skip.ravel()])
    steps = rng.uniform(0.01, 0.2, params.size)
    reg = C.regularization(2, skip_connection=True, hierarchy=1.5, skip_alpha=0.4)
    K.prox_hierarchy(params, steps, units, reg)
    network = params.size - skip.size
    step_rows = steps[network:].reshape(skip.shape).mean(axis=1)
    for j in range(5):
        theta, w = N.naive_hier_prox(skip[j : j + 1], coefs[0][j : j + 1], 0.4 * step_rows[j], 1.5)
        np.testing.assert_allclose(params[network:].reshape(skip.shape)[j], theta[0], atol=1e-12)
        np.testing.assert_allclose(N.unpack(params[:network], units)[0][0][j], w[0], atol=1e-12)
    # the rest of the network is untouched
    np.testing.assert_array_equal(N.unpack(params[:network], units)[0][1], coefs[1])
