"""Slow, obviously-correct NumPy references for the kernels of ``skreg._kernels``.

Each ``naive_<kernel>`` is written from the formulas of docs/design.rst ("The
objective", "How each regularizer acts") and from scikit-learn's
optimizers, not from the kernels: whole-array NumPy expressions, float64
throughout (inputs of another dtype are upcast first), and networks stored the
way scikit-learn stores them, as a list of weight matrices ``coefs`` (shape
``(units[l], units[l + 1])``) and a list of intercept vectors ``intercepts``.

A set of parameters is a pair ``(coefs, intercepts)``; gradients and optimizer
states use the same pair-of-lists structure.  ``pack`` / ``unpack`` convert
to and from the flat vector the kernels work on.

Activations are named as the estimators' ``activation`` parameter names them;
losses by their output activation, as scikit-learn's ``out_activation_``
names them: "identity" (half squared error), "exp" (half Poisson deviance),
"softmax" (multinomial log loss), "logistic" (binary log loss per label).
"""

import numpy as np
import pytest

from skreg._config import ACTIVATIONS, OUTPUT_LOSSES

# Every hidden activation and every loss the package knows, as pytest
# parameters: a new entry in the package's tables fails the tests until its
# reference is written here.
ACTIVATION_PARAMS = [pytest.param(name, id=name) for name in ACTIVATIONS]

# leaky_relu's slope in every test that does not set its own: not the
# estimators' default (0.01), so that a kernel ignoring the slope fails.
LEAKY_RELU_SLOPE = 0.2
LOSS_PARAMS = [pytest.param(name, id=name) for name in OUTPUT_LOSSES]

# --------------------------------------------------------------------------
# Flat layout
# --------------------------------------------------------------------------


def units_of(coefs):
    """Layer widths, input first: ``[n_features, hidden..., n_outputs]``."""
    return np.array([coefs[0].shape[0]] + [W.shape[1] for W in coefs], dtype=np.int64)


def naive_layer_offsets(units):
    """Start of every weight block and every intercept block (plus the end)."""
    units = np.asarray(units, dtype=np.int64)
    coef_sizes = units[:-1] * units[1:]
    coef_start = np.concatenate([[0], np.cumsum(coef_sizes)])
    intercept_start = coef_start[-1] + np.concatenate([[0], np.cumsum(units[1:])])
    return coef_start.astype(np.int64), intercept_start.astype(np.int64)


def pack(coefs, intercepts, dtype=np.float64):
    """Weights (row-major), then intercepts, in one flat vector."""
    blocks = [np.asarray(W).reshape(-1) for W in coefs]
    blocks += [np.asarray(b).reshape(-1) for b in intercepts]
    return np.concatenate(blocks).astype(dtype)


def unpack(flat, units):
    """Inverse of ``pack``: float64 copies of the weight matrices and intercepts."""
    flat = np.asarray(flat, dtype=np.float64)
    units = [int(u) for u in units]
    shapes = list(zip(units[:-1], units[1:]))
    sizes = [a * b for a, b in shapes] + units[1:]
    pieces = np.split(flat.copy(), np.cumsum(sizes)[:-1])
    n_layers = len(shapes)
    coefs = [pieces[l].reshape(shapes[l]) for l in range(n_layers)]
    intercepts = [pieces[n_layers + l] for l in range(n_layers)]
    return coefs, intercepts


def as_float64(pair):
    """A (coefs, intercepts) pair as float64 copies."""
    coefs, intercepts = pair
    return (
        [np.array(W, dtype=np.float64) for W in coefs],
        [np.array(b, dtype=np.float64) for b in intercepts],
    )


def zeros_like_pair(pair):
    coefs, intercepts = pair
    return [np.zeros(np.shape(W)) for W in coefs], [np.zeros(np.shape(b)) for b in intercepts]


def per_layer(value, n_layers):
    """A scalar or one value per weight matrix, as a list of floats."""
    if np.ndim(value) == 0:
        return [float(value)] * n_layers
    value = [float(v) for v in value]
    assert len(value) == n_layers
    return value


# --------------------------------------------------------------------------
# Activations and their derivatives (with respect to the pre-activation z)
# --------------------------------------------------------------------------


def naive_logistic(z):
    """1 / (1 + exp(-z)) = exp(-log(1 + exp(-z))), without overflow and with
    full relative accuracy in both tails."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))


def naive_softplus(z):
    """log(1 + exp(z))."""
    return np.logaddexp(0.0, np.asarray(z, dtype=np.float64))


def naive_gelu_tanh(z):
    """GELU's tanh approximation, 0.5 z (1 + tanh(sqrt(2 / pi) (z + 0.044715 z^3)))."""
    return 0.5 * z * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (z + 0.044715 * z**3)))


def naive_activate(z, name, slope=LEAKY_RELU_SLOPE):
    """activation(z); ``slope`` is leaky_relu's for negative z."""
    z = np.asarray(z, dtype=np.float64)
    if name == "identity":
        return z.copy()
    if name == "logistic":
        return naive_logistic(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, slope * z)
    if name == "elu":
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))
    if name == "softplus":
        return naive_softplus(z)
    if name == "gelu":
        return naive_gelu_tanh(z)
    raise ValueError(f"no reference for activation {name!r}")


def naive_activation_derivative(z, name, slope=LEAKY_RELU_SLOPE):
    """d activation(z) / dz (relu, leaky_relu and elu: their right-hand
    derivative at z = 0 is taken from the left)."""
    z = np.asarray(z, dtype=np.float64)
    if name == "identity":
        return np.ones_like(z)
    if name == "logistic":
        s = naive_logistic(z)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 / np.cosh(z) ** 2
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, slope)
    if name == "elu":
        return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))
    if name == "softplus":
        return naive_logistic(z)
    if name == "gelu":
        # product rule on 0.5 z (1 + tanh(u)), u = c (z + a z^3)
        c, a = np.sqrt(2.0 / np.pi), 0.044715
        u = c * (z + a * z**3)
        sech2 = 1.0 / np.cosh(np.clip(u, -350.0, 350.0)) ** 2
        return 0.5 * (1.0 + np.tanh(u)) + 0.5 * z * sech2 * c * (1.0 + 3.0 * a * z**2)
    raise ValueError(f"no reference for activation {name!r}")


# --------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------


def naive_softmax(Z):
    Z = np.asarray(Z, dtype=np.float64)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def naive_log_softmax(Z):
    Z = np.asarray(Z, dtype=np.float64)
    shift = Z.max(axis=1, keepdims=True)
    return Z - shift - np.log(np.exp(Z - shift).sum(axis=1, keepdims=True))


def naive_output_transform(Z, loss):
    """Output activation of each loss (its canonical inverse link)."""
    Z = np.asarray(Z, dtype=np.float64)
    if loss == "identity":
        return Z.copy()
    if loss == "exp":
        return np.exp(Z)
    if loss == "softmax":
        return naive_softmax(Z)
    if loss == "logistic":
        return naive_logistic(Z)
    raise ValueError(loss)


def naive_hidden_layers(X, coefs, intercepts, activation):
    """Pre-activations and activations of every hidden layer (no dropout)."""
    A = np.asarray(X, dtype=np.float64)
    pre, post = [], []
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        Z = A @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        A = naive_activate(Z, activation)
        pre.append(Z)
        post.append(A)
    return pre, post


def naive_logits(X, coefs, intercepts, activation):
    """Output layer's pre-activation, intercept included."""
    _, post = naive_hidden_layers(X, coefs, intercepts, activation)
    A = post[-1] if post else np.asarray(X, dtype=np.float64)
    return A @ np.asarray(coefs[-1], np.float64) + np.asarray(intercepts[-1], np.float64)


def naive_predict(X, coefs, intercepts, activation, loss):
    """Network output: identity, exp, softmax or logistic of the logits."""
    return naive_output_transform(naive_logits(X, coefs, intercepts, activation), loss)


def naive_forward_train(X, coefs, intercepts, activation):
    """Training forward pass without dropout.

    Returns ``(hidden activations, hidden derivatives d act / dz, output
    pre-activation without the output intercept)``.
    """
    pre, post = naive_hidden_layers(X, coefs, intercepts, activation)
    derivs = [naive_activation_derivative(Z, activation) for Z in pre]
    A = post[-1] if post else np.asarray(X, dtype=np.float64)
    return post, derivs, A @ np.asarray(coefs[-1], np.float64)


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------


def naive_sample_losses(logits, Y, loss):
    """Loss of each row, from the output pre-activations (intercept included).

    "identity": half squared error averaged over outputs; "exp": half Poisson
    deviance y log(y / mu) - y + mu averaged over outputs (0 log 0 = 0);
    "softmax": -sum_k y_k log softmax_k; "logistic": log loss summed over labels.
    """
    Z = np.asarray(logits, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if loss == "identity":
        return np.mean(0.5 * (Y - Z) ** 2, axis=1)
    if loss == "exp":
        mu = np.exp(Z)
        positive = Y > 0
        y_log_y_over_mu = np.where(positive, Y * np.log(np.where(positive, Y, 1.0) / mu), 0.0)
        return np.mean(y_log_y_over_mu - Y + mu, axis=1)
    if loss == "softmax":
        return -np.sum(Y * naive_log_softmax(Z), axis=1)
    if loss == "logistic":
        log_p = -naive_softplus(-Z)  # log sigmoid(z)
        log_1mp = -naive_softplus(Z)  # log (1 - sigmoid(z))
        return -np.sum(Y * log_p + (1.0 - Y) * log_1mp, axis=1)
    raise ValueError(loss)


def naive_weighted_loss(logits, Y, sw, loss):
    """sum_i s_i loss_i / sum_i s_i."""
    sw = np.asarray(sw, dtype=np.float64)
    return float(np.sum(sw * naive_sample_losses(logits, Y, loss)) / np.sum(sw))


def naive_output_delta(logits, Y, sw, loss):
    """Gradient of the weighted mean loss with respect to the logits.

    Derived per loss: d/dz of 0.5 (z - y)^2 / m is (z - y) / m; of
    (exp(z) - y z) / m is (exp(z) - y) / m; of -sum_k y_k log softmax_k(z) is
    softmax(z) * sum_k y_k - y; of the binary log loss is sigmoid(z) - y.
    """
    Z = np.asarray(logits, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    m = Z.shape[1]
    if loss == "identity":
        G = (Z - Y) / m
    elif loss == "exp":
        G = (np.exp(Z) - Y) / m
    elif loss == "softmax":
        G = naive_softmax(Z) * Y.sum(axis=1, keepdims=True) - Y
    elif loss == "logistic":
        G = naive_logistic(Z) - Y
    else:
        raise ValueError(loss)
    sw = np.asarray(sw, dtype=np.float64)
    total = np.sum(sw)
    weights = sw / total if total > 0 else np.zeros_like(sw)
    return G * weights[:, None]


def naive_loss(X, Y, sw, coefs, intercepts, activation, loss):
    """Weighted mean data loss of the network on (X, Y)."""
    return naive_weighted_loss(naive_logits(X, coefs, intercepts, activation), Y, sw, loss)


# --------------------------------------------------------------------------
# Backward pass
# --------------------------------------------------------------------------


def naive_backward(X, coefs, intercepts, activation, delta_out):
    """Chain rule from the gradient ``delta_out`` with respect to the logits.

    Returns ``(grad_coefs, grad_intercepts, deltas)``; ``deltas[l]`` is the
    gradient with respect to the pre-activation of weight layer ``l``'s output.
    """
    pre, post = naive_hidden_layers(X, coefs, intercepts, activation)
    inputs = [np.asarray(X, dtype=np.float64)] + post
    n_layers = len(coefs)
    deltas = [None] * n_layers
    deltas[-1] = np.asarray(delta_out, dtype=np.float64)
    for l in range(n_layers - 1, 0, -1):
        upstream = deltas[l] @ np.asarray(coefs[l], np.float64).T  # d/d a_l
        deltas[l - 1] = upstream * naive_activation_derivative(pre[l - 1], activation)
    grad_coefs = [inputs[l].T @ deltas[l] for l in range(n_layers)]
    grad_intercepts = [deltas[l].sum(axis=0) for l in range(n_layers)]
    return grad_coefs, grad_intercepts, deltas


def naive_data_gradient(X, Y, sw, coefs, intercepts, activation, loss):
    """Gradient of the weighted mean data loss: (grad_coefs, grad_intercepts)."""
    logits = naive_logits(X, coefs, intercepts, activation)
    delta = naive_output_delta(logits, Y, sw, loss)
    grad_coefs, grad_intercepts, _ = naive_backward(X, coefs, intercepts, activation, delta)
    return grad_coefs, grad_intercepts


# --------------------------------------------------------------------------
# Penalty
# --------------------------------------------------------------------------


def naive_penalty_value(
    coefs, alpha=0.0, rho=0.0, group_alpha=0.0, group_factors=None, group_blocks=None
):
    """sum_l alpha_l (rho |W_l|_1 + (1 - rho) / 2 |W_l|_2^2)
    + sum_l group_alpha_l sum_rows c_row sqrt(len row) |row|_2 (intercepts
    free), where c_row is ``group_factors[row]`` for the rows of W_1 (the
    input features) and 1 otherwise.  With ``group_blocks`` (the block of
    each row of W_1), W_1's term is sum_b c_b sqrt(len b) |rows of b|_2 instead,
    len b the number of weights of the block's rows."""
    alpha = per_layer(alpha, len(coefs))
    group_alpha = per_layer(group_alpha, len(coefs))
    total = 0.0
    for l, (W, a, g) in enumerate(zip(coefs, alpha, group_alpha)):
        W = np.asarray(W, dtype=np.float64)
        total += a * (rho * np.abs(W).sum() + 0.5 * (1.0 - rho) * (W**2).sum())
        if l == 0 and group_blocks is not None:
            blocks = np.asarray(group_blocks)
            n_blocks = blocks.max() + 1
            factors = np.ones(n_blocks) if group_factors is None else group_factors
            for b in range(n_blocks):
                rows = W[blocks == b]
                total += g * factors[b] * np.sqrt(rows.size) * np.linalg.norm(rows)
            continue
        factors = np.ones(W.shape[0]) if l > 0 or group_factors is None else group_factors
        total += g * np.sqrt(W.shape[1]) * np.sum(factors * np.linalg.norm(W, axis=1))
    return float(total)


def naive_penalty_gradient(coefs, alpha=0.0, rho=0.0, subgradient=False):
    """Gradient of the L2 part, plus alpha * rho * sign(w) in subgradient mode.

    Returns ``(grad_coefs, grad_intercepts)``; the intercepts' part is zero.
    """
    alpha = per_layer(alpha, len(coefs))
    grad_coefs = []
    for W, a in zip(coefs, alpha):
        W = np.asarray(W, dtype=np.float64)
        G = a * (1.0 - rho) * W
        if subgradient:
            G = G + a * rho * np.sign(W)
        grad_coefs.append(G)
    grad_intercepts = [np.zeros(W.shape[1]) for W in coefs]
    return grad_coefs, grad_intercepts


def naive_objective(
    X, Y, sw, coefs, intercepts, activation, loss, alpha=0.0, rho=0.0, group_alpha=0.0
):
    """J of docs/design.rst, "The objective": weighted mean data loss plus the
    whole penalty."""
    return naive_loss(X, Y, sw, coefs, intercepts, activation, loss) + naive_penalty_value(
        coefs, alpha, rho, group_alpha
    )


def naive_objective_gradient(
    X, Y, sw, coefs, intercepts, activation, loss, alpha=0.0, rho=0.0, subgradient=False
):
    """Data gradient plus the penalty gradient (smooth part, and the L1
    subgradient when asked): what the kernels call the gradient."""
    gc, gi = naive_data_gradient(X, Y, sw, coefs, intercepts, activation, loss)
    pc, _ = naive_penalty_gradient(coefs, alpha, rho, subgradient)
    return [a + b for a, b in zip(gc, pc)], gi


# --------------------------------------------------------------------------
# Skip connection: the output layer's pre-activation gets X @ skip added
# --------------------------------------------------------------------------


def naive_skip_logits(X, coefs, intercepts, skip, activation):
    """The network's logits plus the linear term X @ skip."""
    X = np.asarray(X, dtype=np.float64)
    return naive_logits(X, coefs, intercepts, activation) + X @ np.asarray(skip, np.float64)


def naive_skip_objective(
    X, Y, sw, coefs, intercepts, skip, activation, loss, alpha=0.0, rho=0.0, group_alpha=0.0
):
    """J of a network with a skip connection: the weighted mean data loss of
    its logits, the network's penalty, and the skip matrix penalized as a
    weight matrix at the first layer's rate alpha_1."""
    logits = naive_skip_logits(X, coefs, intercepts, skip, activation)
    first = per_layer(alpha, len(coefs))[0]
    return (
        naive_weighted_loss(logits, Y, sw, loss)
        + naive_penalty_value(coefs, alpha, rho, group_alpha)
        + naive_penalty_value([skip], first, rho)
    )


def naive_skip_gradient(X, Y, sw, coefs, intercepts, skip, activation, loss, alpha=0.0, rho=0.0):
    """The gradient of J (data loss and L2 part) in the skip matrix:
    X.T @ delta_out + alpha_1 (1 - rho) skip."""
    X = np.asarray(X, dtype=np.float64)
    delta = naive_output_delta(
        naive_skip_logits(X, coefs, intercepts, skip, activation), Y, sw, loss
    )
    first = per_layer(alpha, len(coefs))[0]
    return X.T @ delta + first * (1.0 - rho) * np.asarray(skip, np.float64)


# --------------------------------------------------------------------------
# Proximal operators and projections
# --------------------------------------------------------------------------


def naive_soft_threshold(w, t):
    """sign(w) max(|w| - t, 0)."""
    w = np.asarray(w, dtype=np.float64)
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)


def naive_prox_l1(coefs, step_coefs, alpha=0.0, rho=1.0):
    """Soft-threshold every weight by its own step times alpha_l * rho."""
    alpha = per_layer(alpha, len(coefs))
    return [
        naive_soft_threshold(W, np.asarray(S, np.float64) * a * rho)
        for W, S, a in zip(coefs, step_coefs, alpha)
    ]


def naive_prox_group_rows(W, steps, strength, factors=None):
    """The group-lasso prox of each row g in the metric of its coordinates'
    steps s (a scalar, one per row, or one per coordinate):

        argmin_x  sum_j (x_j - g_j)^2 / (2 s_j) + t ||x||,
        t = strength * factors[row] * sqrt(len g)   (factors None: 1).

    Zero when ||g / s|| <= t; otherwise x_j = g_j r / (r + s_j t) where
    r = ||x|| solves sum_j g_j^2 / (r + s_j t)^2 = 1, found here by bisection
    (the left side decreases in r).  With equal steps this is block
    soft-thresholding, g <- max(0, 1 - s t / ||g||) g.
    """
    W = np.asarray(W, dtype=np.float64)
    steps = np.asarray(steps, dtype=np.float64)
    if steps.ndim == 1:
        steps = steps[:, None]
    S = np.broadcast_to(steps, W.shape)
    factors = np.ones(W.shape[0]) if factors is None else np.asarray(factors, np.float64)
    out = np.zeros_like(W)
    for i, (g, s) in enumerate(zip(W, S)):
        t = strength * factors[i] * np.sqrt(W.shape[1])
        if np.linalg.norm(g / s) <= t:
            continue
        low, high = 0.0, np.linalg.norm(g)
        for _ in range(200):
            mid = 0.5 * (low + high)
            if np.sum(g**2 / (mid + s * t) ** 2) > 1.0:
                low = mid
            else:
                high = mid
        r = 0.5 * (low + high)
        out[i] = g * r / (r + s * t)
    return out


def naive_prox_group(coefs, step_coefs, group_alpha=0.0, group_factors=None, group_blocks=None):
    """Group prox of every weight matrix, each row in the metric of its
    coordinates' steps; the rows of W_1 with their ``group_factors``, or,
    with ``group_blocks``, W_1's blocks of rows (``naive_prox_group_blocks``)."""
    group_alpha = per_layer(group_alpha, len(coefs))
    out = []
    for l, (W, S, g) in enumerate(zip(coefs, step_coefs, group_alpha)):
        if g == 0:
            out.append(np.array(W, dtype=np.float64))
        elif l == 0 and group_blocks is not None:
            out.append(naive_prox_group_blocks(W, S, g, group_factors, group_blocks))
        else:
            out.append(naive_prox_group_rows(W, S, g, group_factors if l == 0 else None))
    return out


def naive_prox_group_blocks(W, S, strength, factors, blocks):
    """The group prox of each block b of rows of W (``blocks[i]``: row i's),
    its weights taken as one vector g: ``naive_prox_group_rows`` on g with
    t = strength * factors[b] * sqrt(len g)."""
    W = np.asarray(W, dtype=np.float64)
    S = np.broadcast_to(np.asarray(S, dtype=np.float64), W.shape)
    blocks = np.asarray(blocks)
    out = np.zeros_like(W)
    for b in range(blocks.max() + 1):
        rows = blocks == b
        factor = [1.0 if factors is None else factors[b]]
        g, s = W[rows].reshape(1, -1), S[rows].reshape(1, -1)
        out[rows] = naive_prox_group_rows(g, s, strength, factor).reshape(-1, W.shape[1])
    return out


def naive_hier_prox(theta, W, lam, M):
    """The hierarchical proximal step of every feature j, on float64 copies:

        argmin over (b, u)  1/2 ||b - theta_j||^2 + 1/2 ||u - w_j||^2 + lam ||b||
        subject to          max_i |u_i| <= M ||b||.

    For a fixed radius r = ||b|| the best b is r theta_j / ||theta_j|| and the
    best u clips w_j at M r, which leaves the convex function of r

        f(r) = 1/2 (r - ||theta_j||)^2 + lam r + 1/2 sum_i max(|w_ji| - M r, 0)^2.

    Its minimizer over r >= 0 is 0 when f'(0) >= 0, else the root of the
    increasing f', found here by bisection.  When theta_j = 0 every direction
    of b is optimal; b then has equal entries (the kernel's choice).
    Returns ``(theta, W)``.
    """
    theta = np.array(theta, dtype=np.float64)
    W = np.array(W, dtype=np.float64)
    for j in range(theta.shape[0]):
        t = np.linalg.norm(theta[j])
        r = naive_hier_radius(t, np.abs(W[j]), lam, M)
        if t > 0:
            theta[j] *= r / t
        else:
            theta[j] = r / np.sqrt(theta.shape[1])
        W[j] = np.clip(W[j], -M * r, M * r)
    return theta, W


def naive_hier_radius(t, a, lam, M):
    """The minimizer over r >= 0 of f(r) above, t = ||theta_j||, a = |w_j|."""

    def slope(r):
        return r - t + lam - M * np.sum(np.maximum(a - M * r, 0.0))

    if slope(0.0) >= 0.0:
        return 0.0
    low, high = 0.0, max(t, np.max(a, initial=0.0) / M)  # slope(high) >= lam
    for _ in range(300):
        mid = 0.5 * (low + high)
        if slope(mid) < 0.0:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def naive_project_max_norm_columns(W, max_norm):
    """Columns with norm above max_norm rescaled to norm max_norm."""
    W = np.asarray(W, dtype=np.float64)
    norms = np.linalg.norm(W, axis=0)
    with np.errstate(divide="ignore"):
        factors = np.where(norms > max_norm, max_norm / norms, 1.0)
    return W * factors[None, :]


def naive_apply_max_norm(coefs, max_norm):
    """Max-norm projection per layer; a bound of 0 (or None) means none."""
    if max_norm is None:
        return [np.array(W, dtype=np.float64) for W in coefs]
    bounds = per_layer(max_norm, len(coefs))
    return [
        naive_project_max_norm_columns(W, c) if c > 0 else np.array(W, dtype=np.float64)
        for W, c in zip(coefs, bounds)
    ]


# --------------------------------------------------------------------------
# Optimizer steps (on (coefs, intercepts) pairs)
# --------------------------------------------------------------------------


def naive_sgd_step(params, grads, velocity, lr, momentum=0.0, nesterov=False, decay=0.0):
    """scikit-learn's SGDOptimizer step plus decoupled weight decay on weights.

    velocity <- momentum * velocity - lr * grad; the update is the new velocity,
    or momentum * new velocity - lr * grad with Nesterov; weights become
    w * (1 - lr * decay) + update, intercepts b + update.
    Returns ``(new_params, new_velocity, step_coefs)`` where every weight's
    proximal step is ``lr / (1 - momentum)`` (``lr`` for momentum 1): the
    settled velocity's step, so that a fixed point minimizes the whole J.
    """
    params, grads, velocity = as_float64(params), as_float64(grads), as_float64(velocity)
    new_vel, updates = [], []
    for v, g in zip(velocity[0] + velocity[1], grads[0] + grads[1]):
        v_new = momentum * v - lr * g
        new_vel.append(v_new)
        updates.append(momentum * v_new - lr * g if nesterov else v_new)
    n = len(params[0])
    coefs = [W * (1.0 - lr * decay) + u for W, u in zip(params[0], updates[:n])]
    intercepts = [b + u for b, u in zip(params[1], updates[n:])]
    prox_step = lr / (1.0 - momentum) if momentum < 1.0 else lr
    steps = [np.full(W.shape, float(prox_step)) for W in params[0]]
    return (coefs, intercepts), (new_vel[:n], new_vel[n:]), steps


def naive_adam_step(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8, decay=0.0):
    """scikit-learn's AdamOptimizer step (time step t >= 1) plus AdamW decay.

    lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t); update -lr_t m / (sqrt(v) + eps);
    weights become w * (1 - lr * decay) + update.  Returns
    ``(new_params, new_m, new_v, step_coefs)`` with the per-coordinate proximal
    step ``lr_t / (sqrt(v) + eps)``.
    """
    params, grads = as_float64(params), as_float64(grads)
    m, v = as_float64(m), as_float64(v)
    lr_t = lr * np.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
    new_m = [beta1 * a + (1.0 - beta1) * g for a, g in zip(m[0] + m[1], grads[0] + grads[1])]
    new_v = [beta2 * a + (1.0 - beta2) * g**2 for a, g in zip(v[0] + v[1], grads[0] + grads[1])]
    steps = [lr_t / (np.sqrt(b) + eps) for b in new_v]
    updates = [-s * a for s, a in zip(steps, new_m)]
    n = len(params[0])
    coefs = [W * (1.0 - lr * decay) + u for W, u in zip(params[0], updates[:n])]
    intercepts = [b + u for b, u in zip(params[1], updates[n:])]
    return (coefs, intercepts), (new_m[:n], new_m[n:]), (new_v[:n], new_v[n:]), steps[:n]


def naive_optimizer_step(params, grads, state, t, opt, reg):
    """Optimizer update, then L1 prox (proximal mode), group prox, max-norm.

    ``state`` is ``[velocity]`` for SGD and ``[m, v]`` for Adam (pairs);
    ``opt`` holds the solver's settings (``solver``, ``lr``, ``momentum``,
    ``nesterov``, ``beta1``, ``beta2``, ``eps``, ``decay``) and ``reg`` the
    regularization (``alpha``, ``rho``, ``group_alpha``, ``max_norm``,
    ``l1_method``), both plain dicts with the defaults used here.
    Returns ``(new_params, new_state)``.
    """
    if opt["solver"] == "adam":
        params, m, v, steps = naive_adam_step(
            params,
            grads,
            state[0],
            state[1],
            t,
            opt["lr"],
            opt.get("beta1", 0.9),
            opt.get("beta2", 0.999),
            opt.get("eps", 1e-8),
            opt.get("decay", 0.0),
        )
        state = [m, v]
    else:
        params, vel, steps = naive_sgd_step(
            params,
            grads,
            state[0],
            opt["lr"],
            opt.get("momentum", 0.0),
            opt.get("nesterov", False),
            opt.get("decay", 0.0),
        )
        state = [vel]
    coefs, intercepts = params
    n_layers = len(coefs)
    if reg.get("l1_method", "proximal") == "proximal":
        coefs = naive_prox_l1(coefs, steps, reg.get("alpha", 0.0), reg.get("rho", 0.0))
    coefs = naive_prox_group(coefs, steps, reg.get("group_alpha", 0.0))
    coefs = naive_apply_max_norm(coefs, reg.get("max_norm", None))
    assert len(coefs) == n_layers
    return (coefs, intercepts), state


def naive_train_epoch(X, Y, sw, order, params, state, t, batch_size, activation, loss, opt, reg):
    """Sequential minibatch steps over the rows ``order`` (no dropout, no noise).

    Each batch: gradient of the batch's weighted mean data loss (weights
    normalized within the batch) plus the penalty gradient, then
    ``naive_optimizer_step`` with time step t + 1.  Returns
    ``(new_params, new_state, new_t, sum_i s_i loss_i over the epoch)``, each
    loss taken before its batch's step.
    """
    X = np.asarray(X, np.float64)
    Y = np.asarray(Y, np.float64)
    sw = np.asarray(sw, np.float64)
    order = np.asarray(order)
    total = 0.0
    subgradient = reg.get("l1_method", "proximal") == "subgradient"
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        Xb, Yb, sb = X[rows], Y[rows], sw[rows]
        coefs, intercepts = params
        logits = naive_logits(Xb, coefs, intercepts, activation)
        total += float(np.sum(sb * naive_sample_losses(logits, Yb, loss)))
        grads = naive_objective_gradient(
            Xb,
            Yb,
            sb,
            coefs,
            intercepts,
            activation,
            loss,
            reg.get("alpha", 0.0),
            reg.get("rho", 0.0),
            subgradient,
        )
        t += 1
        params, state = naive_optimizer_step(params, grads, state, t, opt, reg)
    return params, state, t, total


def naive_train_epochs(X, Y, sw, orders, params, state, t, config, stopping, limit):
    """``naive_train_epoch`` over each row order of ``orders`` in turn, each
    followed by the trainer's end-of-epoch rules: the objective (the epoch's
    weighted data loss over the weights' sum, plus the penalty), divergence
    (not finite or above ``limit``) and the stopping rule, with ``stopping =
    (tol, n_iter_no_change, best, count, unsettled)``.  ``config`` is
    ``(batch_size, activation, loss, opt, reg)`` as ``naive_train_epoch``
    takes them.  Returns ``(params, state, t, curve, reason, best, count,
    unsettled)``, reason "ran out", "converged" or "diverged"."""
    batch_size, activation, loss, opt, reg = config
    sw_total = float(np.sum(np.asarray(sw, np.float64)))
    curve, reason = [], "ran out"
    for order in orders:
        params, state, t, total = naive_train_epoch(
            X, Y, sw, order, params, state, t, batch_size, activation, loss, opt, reg
        )
        penalty = naive_penalty_value(
            params[0], reg.get("alpha", 0.0), reg.get("rho", 0.0), reg.get("group_alpha", 0.0)
        )
        objective = (total / sw_total if sw_total > 0 else 0.0) + penalty
        curve.append(objective)
        ended, stopping = naive_epoch_end(objective, limit, stopping)
        if ended:
            reason = ended
            break
    return params, state, t, curve, reason, *stopping[2:]


def naive_epoch_end(objective, limit, stopping):
    """The trainer's rules after an epoch whose objective is ``objective``:
    ``("diverged" | "converged" | None, stopping after it)``, ``stopping``
    being ``(tol, n_iter_no_change, best, count, unsettled)``."""
    tol, n_iter_no_change, best, count, unsettled = stopping
    if not np.isfinite(objective) or objective > limit:
        return "diverged", stopping
    if unsettled > 0:
        unsettled -= 1
    else:
        count = count + 1 if objective > best - tol else 0
        best = min(best, objective)
    stopping = (tol, n_iter_no_change, best, count, unsettled)
    return ("converged" if count > n_iter_no_change else None), stopping
