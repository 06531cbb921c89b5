"""Every Numba-compiled function of skreg.

All ``@njit`` code lives in this one module because Numba's on-disk cache
(``cache=True``) does not notice when a callee defined in another file changes.

Conventions
-----------
* The network's parameters live in one flat vector ``params``: first every
  weight matrix ``W_l`` (row-major, shape ``(units[l], units[l + 1])``), then
  every intercept ``b_l``.  The same layout is used for gradients and optimizer
  state, so an optimizer step is one loop and L-BFGS works on ``params`` as is.
  ``layer_offsets`` gives where each block starts.
* Kernels take arrays and integer codes, never strings or estimators.  The
  codes and the slots of the small configuration arrays are the module-level
  constants below.
* An *input matrix* is a tuple ``(dense, data, indices, indptr)``: either a
  C-contiguous dense matrix with the three CSR arrays empty, or a CSR matrix
  (``data``, int64 ``indices`` and ``indptr``) with ``dense`` of shape
  ``(0, n_features)``.  Both kinds share one compiled specialization per
  dtype; only the first layer's products look at which kind it is, and the
  sparse kind is multiplied without densifying it.
* ``layer_reg`` holds one row per weight matrix with the regularization
  strengths of that layer (columns ``REG_*``).
* Nothing here uses ``parallel=True``: an outer ``n_jobs`` search already
  runs fits in parallel on this machine's cores.
"""

import os

import numpy as np
from numba import njit

from ._numba_cache import ensure_cache_location

# Before any @njit(cache=True): make sure Numba has somewhere to cache.
ensure_cache_location(os.path.dirname(os.path.abspath(__file__)))

# Hidden activations.
ACT_IDENTITY, ACT_LOGISTIC, ACT_TANH, ACT_RELU = 0, 1, 2, 3

# Loss codes; each implies its output activation (the canonical link).
LOSS_SQUARED = 0  # identity output, half squared error averaged over outputs
LOSS_POISSON = 1  # exp output, half Poisson deviance averaged over outputs
LOSS_MULTINOMIAL = 2  # softmax output, log loss
LOSS_BINARY = 3  # one logistic output per label, log loss summed over labels

SOLVER_SGD, SOLVER_ADAM = 0, 1
L1_PROXIMAL, L1_SUBGRADIENT = 0, 1

# Columns of ``layer_reg`` (one row per weight matrix).
REG_L1 = 0  # alpha_l * rho
REG_L2 = 1  # alpha_l * (1 - rho)
REG_GROUP = 2  # group_alpha_l
REG_DROPOUT = 3  # dropout rate applied to this layer's *input* units
REG_MAX_NORM = 4  # bound on each column norm of W_l (0 means none)
N_REG = 5

# Slots of the integer configuration array ``icfg``.
CFG_ACTIVATION = 0
CFG_LOSS = 1
CFG_SOLVER = 2
CFG_NESTEROV = 3
CFG_L1_METHOD = 4
CFG_BATCH_SIZE = 5
CFG_SEED = 6
N_ICFG = 7

# Slots of the float configuration array ``fcfg``.
FCFG_LR = 0
FCFG_MOMENTUM = 1
FCFG_BETA1 = 2
FCFG_BETA2 = 3
FCFG_EPSILON = 4
FCFG_WEIGHT_DECAY = 5
FCFG_INPUT_NOISE = 6
N_FCFG = 7

# Rows processed at once by the prediction and full-batch kernels, so that no
# buffer grows with n_samples.
BLOCK_ROWS = 1024


# --------------------------------------------------------------------------
# Parameter layout
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def layer_offsets(units):
    """Start of each weight block and each intercept block in ``params``.

    Returns ``(coef_start, intercept_start)``, each of length ``n_layers``;
    block ``l`` spans ``[start[l], start[l + 1])``.
    """
    n_weights = units.shape[0] - 1
    coef_start = np.zeros(n_weights + 1, np.int64)
    for l in range(n_weights):
        coef_start[l + 1] = coef_start[l] + units[l] * units[l + 1]
    intercept_start = np.zeros(n_weights + 1, np.int64)
    intercept_start[0] = coef_start[n_weights]
    for l in range(n_weights):
        intercept_start[l + 1] = intercept_start[l] + units[l + 1]
    return coef_start, intercept_start


@njit(cache=True, nogil=True, error_model="numpy")
def weight_matrix(flat, units, coef_start, l):
    """View of ``W_l`` (or of its gradient) inside a flat vector."""
    return flat[coef_start[l] : coef_start[l + 1]].reshape((units[l], units[l + 1]))


@njit(cache=True, nogil=True, error_model="numpy")
def rows_view(buffer, n_rows, n_cols):
    """The first ``n_rows * n_cols`` entries of a 1-D buffer as a matrix."""
    return buffer[: n_rows * n_cols].reshape((n_rows, n_cols))


# --------------------------------------------------------------------------
# Activations, each beside its derivative (written in terms of the output)
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def activate(z, code):
    if code == ACT_RELU:
        return z if z > 0 else 0.0 * z
    if code == ACT_TANH:
        return np.tanh(z)
    if code == ACT_LOGISTIC:
        return logistic(z)
    return z


@njit(cache=True, nogil=True, error_model="numpy")
def activation_derivative(a, code):
    """d activation / dz, from the activation's value ``a``."""
    if code == ACT_RELU:
        return 1.0 if a > 0 else 0.0
    if code == ACT_TANH:
        return 1.0 - a * a
    if code == ACT_LOGISTIC:
        return a * (1.0 - a)
    return 1.0


@njit(cache=True, nogil=True, error_model="numpy")
def logistic(z):
    # Two branches so that exp never overflows.
    if z >= 0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@njit(cache=True, nogil=True, error_model="numpy")
def softplus(z):
    """log(1 + exp(z)) without overflow."""
    return max(z, 0.0) + np.log1p(np.exp(-abs(z)))


# --------------------------------------------------------------------------
# Input matrices (dense or CSR), see the module docstring
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def dense_input(X):
    """Wrap a dense matrix as an input matrix."""
    return (X, np.empty(0, X.dtype), np.empty(0, np.int64), np.empty(0, np.int64))


@njit(cache=True, nogil=True, error_model="numpy")
def is_sparse(inputs):
    return inputs[3].shape[0] > 0


@njit(cache=True, nogil=True, error_model="numpy")
def n_input_rows(inputs):
    return inputs[3].shape[0] - 1 if is_sparse(inputs) else inputs[0].shape[0]


@njit(cache=True, nogil=True, error_model="numpy")
def input_row_block(inputs, start, stop):
    """Rows ``start:stop`` of an input matrix, as an input matrix (views,
    but for a sparse block's re-based ``indptr``)."""
    dense, data, indices, indptr = inputs
    if not is_sparse(inputs):
        return (dense[start:stop], data, indices, indptr)
    lo, hi = indptr[start], indptr[stop]
    return (dense, data[lo:hi], indices[lo:hi], indptr[start : stop + 1] - lo)


@njit(cache=True, nogil=True, error_model="numpy")
def input_times(inputs, W, Z):
    """Z <- X @ W for an input matrix X with Z.shape[0] rows."""
    dense, data, indices, indptr = inputs
    if not is_sparse(inputs):
        np.dot(dense, W, Z)
        return
    Z[:] = 0.0
    for r in range(Z.shape[0]):
        for k in range(indptr[r], indptr[r + 1]):
            x = data[k]
            w_row = W[indices[k]]
            for j in range(Z.shape[1]):
                Z[r, j] += x * w_row[j]


@njit(cache=True, nogil=True, error_model="numpy")
def input_transpose_times(inputs, delta, G):
    """G <- X.T @ delta for an input matrix X with delta.shape[0] rows."""
    dense, data, indices, indptr = inputs
    if not is_sparse(inputs):
        np.dot(dense.T, delta, G)
        return
    G[:] = 0.0
    for r in range(delta.shape[0]):
        for k in range(indptr[r], indptr[r + 1]):
            x = data[k]
            g_row = G[indices[k]]
            for j in range(G.shape[1]):
                g_row[j] += x * delta[r, j]


@njit(cache=True, nogil=True, error_model="numpy")
def max_batch_nnz(indptr, order, batch):
    """Largest number of stored entries among the batches of ``order``."""
    largest = 0
    for start in range(0, order.shape[0], batch):
        total = 0
        for r in range(start, min(start + batch, order.shape[0])):
            total += indptr[order[r] + 1] - indptr[order[r]]
        largest = max(largest, total)
    return largest


@njit(cache=True, nogil=True, error_model="numpy")
def gather_batch(inputs, order, start, stop, buffers, drop_rate, noise_std):
    """Rows ``order[start:stop]`` of an input matrix copied into ``buffers``
    (an input matrix of capacity at least that batch), with input noise and
    input dropout (inverted) when they are set.  Returns the batch as an
    input matrix.  Noise is for dense inputs only: it would fill a sparse
    matrix in (the estimator refuses that combination)."""
    dense, data, indices, indptr = inputs
    b_dense, b_data, b_indices, b_indptr = buffers
    n = stop - start
    keep = 1.0 - drop_rate
    if not is_sparse(inputs):
        Xb = b_dense[:n]
        for r in range(n):
            src = order[start + r]
            for j in range(dense.shape[1]):
                x = dense[src, j]
                if noise_std > 0.0:
                    x += noise_std * np.random.standard_normal()
                if drop_rate > 0.0:
                    x = x / keep if np.random.random() < keep else 0.0 * x
                Xb[r, j] = x
        return (Xb, b_data, b_indices, b_indptr)
    nnz = 0
    b_indptr[0] = 0
    for r in range(n):
        src = order[start + r]
        for k in range(indptr[src], indptr[src + 1]):
            x = data[k]
            if drop_rate > 0.0:
                x = x / keep if np.random.random() < keep else 0.0 * x
            b_data[nnz] = x
            b_indices[nnz] = indices[k]
            nnz += 1
        b_indptr[r + 1] = nnz
    return (b_dense, b_data[:nnz], b_indices[:nnz], b_indptr[: n + 1])


@njit(cache=True, nogil=True, error_model="numpy")
def allocate_batch_buffers(inputs, order, batch, n_features):
    """Buffers that ``gather_batch`` fills, sized for the batches of ``order``."""
    dense, data, indices, indptr = inputs
    if not is_sparse(inputs):
        return (np.empty((batch, n_features), dense.dtype), data, indices, indptr)
    capacity = max_batch_nnz(indptr, order, batch)
    return (
        dense,
        np.empty(capacity, data.dtype),
        np.empty(capacity, np.int64),
        np.empty(batch + 1, np.int64),
    )



# --------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def add_bias_and_activate(Z, b, code):
    """Z <- activation(Z + b), in place (prediction: no derivative, no dropout)."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] = activate(Z[i, j] + b[j], code)


@njit(cache=True, nogil=True, error_model="numpy")
def add_bias_activate_dropout(Z, D, b, code, drop_rate):
    """Training forward step of a hidden layer.

    Z <- mask * activation(Z + b) and D <- mask * activation'(Z + b), where
    mask is 0 with probability ``drop_rate`` and ``1 / (1 - drop_rate)``
    otherwise (inverted dropout: each unit keeps its expected value).
    D is what the backward pass multiplies the incoming delta by.
    """
    # One loop per activation, each with a constant code, so that the
    # branches fold away and the loops vectorize.
    if code == ACT_RELU:
        bias_activate_derive(Z, D, b, ACT_RELU)
    elif code == ACT_TANH:
        bias_activate_derive(Z, D, b, ACT_TANH)
    elif code == ACT_LOGISTIC:
        bias_activate_derive(Z, D, b, ACT_LOGISTIC)
    else:
        bias_activate_derive(Z, D, b, ACT_IDENTITY)
    if drop_rate > 0.0:
        apply_dropout(Z, D, drop_rate)


@njit(cache=True, nogil=True, error_model="numpy")
def bias_activate_derive(Z, D, b, code):
    """Z <- activation(Z + b) and D <- activation'(Z + b), elementwise."""
    n, m = Z.shape
    # Two simple passes vectorize better than one that writes both arrays.
    for i in range(n):
        for j in range(m):
            Z[i, j] = activate(Z[i, j] + b[j], code)
    for i in range(n):
        for j in range(m):
            D[i, j] = activation_derivative(Z[i, j], code)


@njit(cache=True, nogil=True, error_model="numpy")
def apply_dropout(Z, D, drop_rate):
    """Multiply Z and D by one inverted-dropout mask, drawn row by row."""
    n, m = Z.shape
    keep = 1.0 - drop_rate
    for i in range(n):
        for j in range(m):
            scale = 1.0 / keep if np.random.random() < keep else 0.0
            Z[i, j] *= scale
            D[i, j] *= scale


@njit(cache=True, nogil=True, error_model="numpy")
def output_transform(Z, b, loss_code):
    """Z <- output activation(Z + b), in place: identity, exp, softmax, logistic."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] += b[j]
        if loss_code == LOSS_MULTINOMIAL:
            zmax = Z[i, 0]
            for j in range(1, m):
                zmax = max(zmax, Z[i, j])
            total = 0.0
            for j in range(m):
                Z[i, j] = np.exp(Z[i, j] - zmax)
                total += Z[i, j]
            for j in range(m):
                Z[i, j] /= total
        elif loss_code == LOSS_BINARY:
            for j in range(m):
                Z[i, j] = logistic(Z[i, j])
        elif loss_code == LOSS_POISSON:
            for j in range(m):
                Z[i, j] = np.exp(Z[i, j])


@njit(cache=True, nogil=True, error_model="numpy")
def predict_block(inputs, params, units, activation, loss_code, out, buf_a, buf_b):
    """Network output for the rows of an input matrix, written into ``out``.

    ``buf_a`` and ``buf_b`` hold at least ``out.shape[0] * max(hidden units)``
    entries; hidden layers ping-pong between them.
    """
    coef_start, intercept_start = layer_offsets(units)
    n_weights = units.shape[0] - 1
    n = out.shape[0]
    A = out  # typed placeholder; layer 0 reads the inputs instead
    for l in range(n_weights):
        W = weight_matrix(params, units, coef_start, l)
        b = params[intercept_start[l] : intercept_start[l + 1]]
        last = l == n_weights - 1
        Z = out if last else rows_view(buf_a if l % 2 == 0 else buf_b, n, units[l + 1])
        if l == 0:
            input_times(inputs, W, Z)
        else:
            np.dot(A, W, Z)
        if last:
            output_transform(Z, b, loss_code)
        else:
            add_bias_and_activate(Z, b, activation)
            A = Z


@njit(cache=True, nogil=True, error_model="numpy")
def predict(inputs, params, units, activation, loss_code, out):
    """Network output for every row of an input matrix, in blocks of
    ``BLOCK_ROWS`` rows so that no buffer grows with n_samples."""
    n = out.shape[0]
    width = 1
    for l in range(1, units.shape[0] - 1):
        width = max(width, units[l])
    rows = min(n, BLOCK_ROWS)
    buf_a = np.empty(rows * width, out.dtype)
    buf_b = np.empty(rows * width, out.dtype)
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        predict_block(
            input_row_block(inputs, start, stop), params, units, activation,
            loss_code, out[start:stop], buf_a, buf_b,
        )


# --------------------------------------------------------------------------
# Losses: value and delta (gradient with respect to the output pre-activation)
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def loss_and_output_delta(Z, b, Y, sw, sw_total, loss_code, delta):
    """Weighted data loss of a batch and the output layer's delta.

    ``Z`` holds the output layer's pre-activation without its intercept ``b``.
    Returns ``sum_i sw_i * loss_i``; writes ``delta = d(that sum / sw_total)/dz``.
    Every loss here is paired with its canonical link, so ``delta`` is
    ``(output - y) * sw_i / sw_total``, divided by the number of outputs for
    the regression losses, which average over outputs.
    """
    n, m = Z.shape
    total = 0.0
    for i in range(n):
        sample_loss = 0.0
        if loss_code == LOSS_MULTINOMIAL:
            zmax = Z[i, 0] + b[0]
            for j in range(1, m):
                zmax = max(zmax, Z[i, j] + b[j])
            sum_exp = 0.0
            for j in range(m):
                sum_exp += np.exp(Z[i, j] + b[j] - zmax)
            log_norm = zmax + np.log(sum_exp)
            for j in range(m):
                z = Z[i, j] + b[j]
                sample_loss -= Y[i, j] * (z - log_norm)
                delta[i, j] = np.exp(z - log_norm) - Y[i, j]
        elif loss_code == LOSS_BINARY:
            for j in range(m):
                z = Z[i, j] + b[j]
                y = Y[i, j]
                sample_loss += y * softplus(-z) + (1.0 - y) * softplus(z)
                delta[i, j] = logistic(z) - y
        elif loss_code == LOSS_POISSON:
            for j in range(m):
                z = Z[i, j] + b[j]
                y = Y[i, j]
                mu = np.exp(z)
                y_log_y = y * np.log(y) if y > 0 else 0.0
                sample_loss += (y_log_y - y * z - y + mu) / m
                delta[i, j] = (mu - y) / m
        else:
            for j in range(m):
                r = Z[i, j] + b[j] - Y[i, j]
                sample_loss += 0.5 * r * r / m
                delta[i, j] = r / m
        scale = sw[i] / sw_total if sw_total > 0 else 0.0
        for j in range(m):
            delta[i, j] *= scale
        total += sw[i] * sample_loss
    return total


# --------------------------------------------------------------------------
# Backward pass
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def backward(inputs, params, units, acts, derivs, deltas, grads, n):
    """Gradient of the batch's data loss, written into ``grads``.

    ``inputs`` is the batch's input matrix (``n`` rows).
    ``acts[l]``/``derivs[l]`` are flat buffers of hidden layer ``l + 1``'s
    (dropped-out) activations and masked derivatives; ``deltas[l]`` holds the
    delta of weight layer ``l``'s output; the last one must already be set.
    ``n`` is the number of rows in this batch.
    """
    coef_start, intercept_start = layer_offsets(units)
    n_weights = units.shape[0] - 1
    for l in range(n_weights - 1, -1, -1):
        delta = rows_view(deltas[l], n, units[l + 1])
        G = weight_matrix(grads, units, coef_start, l)
        if l == 0:
            input_transpose_times(inputs, delta, G)
        else:
            np.dot(rows_view(acts[l - 1], n, units[l]).T, delta, G)
        g_b = grads[intercept_start[l] : intercept_start[l + 1]]
        g_b[:] = 0.0
        for i in range(n):
            for j in range(units[l + 1]):
                g_b[j] += delta[i, j]
        if l > 0:
            propagate_delta(
                delta,
                weight_matrix(params, units, coef_start, l),
                rows_view(derivs[l - 1], n, units[l]),
                rows_view(deltas[l - 1], n, units[l]),
            )


@njit(cache=True, nogil=True, error_model="numpy")
def propagate_delta(delta, W, D, prev):
    """prev <- (delta @ W.T) * D: the delta of the layer below."""
    np.dot(delta, W.T, prev)
    for i in range(prev.shape[0]):
        for j in range(prev.shape[1]):
            prev[i, j] *= D[i, j]


@njit(cache=True, nogil=True, error_model="numpy")
def forward_train(inputs, params, units, layer_reg, activation, acts, derivs, n):
    """Training forward pass through the hidden layers (with dropout), for
    the batch's input matrix ``inputs`` of ``n`` rows.

    Returns the output layer's pre-activation without intercept, as a view
    into ``acts[-1]``.
    """
    coef_start, intercept_start = layer_offsets(units)
    n_weights = units.shape[0] - 1
    Z = rows_view(acts[0], n, units[1])
    for l in range(n_weights):
        W = weight_matrix(params, units, coef_start, l)
        A = Z
        Z = rows_view(acts[l], n, units[l + 1])
        if l == 0:
            input_times(inputs, W, Z)
        else:
            np.dot(A, W, Z)
        if l < n_weights - 1:
            b = params[intercept_start[l] : intercept_start[l + 1]]
            D = rows_view(derivs[l], n, units[l + 1])
            add_bias_activate_dropout(Z, D, b, activation, layer_reg[l + 1, REG_DROPOUT])
    return Z


# --------------------------------------------------------------------------
# Penalties
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def penalty_value(params, units, layer_reg):
    """The penalty part of the objective J (DESIGN section 1)."""
    coef_start, _ = layer_offsets(units)
    total = 0.0
    for l in range(units.shape[0] - 1):
        W = weight_matrix(params, units, coef_start, l)
        l1 = 0.0
        l2 = 0.0
        group = 0.0
        for i in range(W.shape[0]):
            row_sq = 0.0
            for j in range(W.shape[1]):
                w = W[i, j]
                l1 += abs(w)
                row_sq += w * w
            l2 += row_sq
            group += np.sqrt(row_sq)
        total += layer_reg[l, REG_L1] * l1 + 0.5 * layer_reg[l, REG_L2] * l2
        total += layer_reg[l, REG_GROUP] * np.sqrt(W.shape[1]) * group
    return total


@njit(cache=True, nogil=True, error_model="numpy")
def add_penalty_gradient(params, grads, units, layer_reg, l1_subgradient, with_l2=True):
    """grads += gradient of the smooth penalty part (L2), and the L1
    subgradient ``alpha * rho * sign(w)`` when ``l1_subgradient``.  The
    training loop adds the L2 part inside the optimizer step and passes
    ``with_l2=False``."""
    coef_start, _ = layer_offsets(units)
    for l in range(units.shape[0] - 1):
        l2 = layer_reg[l, REG_L2] if with_l2 else 0.0
        l1 = layer_reg[l, REG_L1] if l1_subgradient else 0.0
        if l2 == 0.0 and l1 == 0.0:
            continue
        for k in range(coef_start[l], coef_start[l + 1]):
            w = params[k]
            grads[k] += l2 * w + l1 * np.sign(w)


# --------------------------------------------------------------------------
# Proximal operators and projections
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def soft_threshold(w, t):
    """sign(w) * max(|w| - t, 0)."""
    if w > t:
        return w - t
    if w < -t:
        return w + t
    return 0.0 * w


@njit(cache=True, nogil=True, error_model="numpy")
def prox_l1(params, steps, units, layer_reg):
    """Soft-threshold every weight by ``steps[k] * alpha_l * rho``."""
    coef_start, _ = layer_offsets(units)
    for l in range(units.shape[0] - 1):
        l1 = layer_reg[l, REG_L1]
        if l1 == 0.0:
            continue
        for k in range(coef_start[l], coef_start[l + 1]):
            params[k] = soft_threshold(params[k], steps[k] * l1)


@njit(cache=True, nogil=True, error_model="numpy")
def prox_group_rows(W, row_steps, strength):
    """Block soft-thresholding of each row g of W:
    g <- max(0, 1 - row_steps[i] * strength * sqrt(len g) / ||g||) * g."""
    scale_len = np.sqrt(W.shape[1])
    for i in range(W.shape[0]):
        norm = 0.0
        for j in range(W.shape[1]):
            norm += W[i, j] * W[i, j]
        norm = np.sqrt(norm)
        threshold = row_steps[i] * strength * scale_len
        factor = 1.0 - threshold / norm if norm > threshold else 0.0
        for j in range(W.shape[1]):
            W[i, j] *= factor


@njit(cache=True, nogil=True, error_model="numpy")
def prox_group(params, steps, units, layer_reg):
    """Group-lasso prox on every weight matrix; a row's step is the mean of its
    coordinates' steps (they are all equal for SGD)."""
    coef_start, _ = layer_offsets(units)
    for l in range(units.shape[0] - 1):
        strength = layer_reg[l, REG_GROUP]
        if strength == 0.0:
            continue
        W = weight_matrix(params, units, coef_start, l)
        S = weight_matrix(steps, units, coef_start, l)
        row_steps = np.empty(W.shape[0])
        for i in range(W.shape[0]):
            row_steps[i] = np.mean(S[i])
        prox_group_rows(W, row_steps, strength)


@njit(cache=True, nogil=True, error_model="numpy")
def project_max_norm_columns(W, max_norm):
    """Rescale each column of W (a unit's incoming weights) to norm <= max_norm."""
    n_in, n_out = W.shape
    sq = np.zeros(n_out)
    for i in range(n_in):
        for j in range(n_out):
            sq[j] += W[i, j] * W[i, j]
    for j in range(n_out):
        sq[j] = max_norm / np.sqrt(sq[j]) if sq[j] > max_norm * max_norm else 1.0
    for i in range(n_in):
        for j in range(n_out):
            W[i, j] *= sq[j]


@njit(cache=True, nogil=True, error_model="numpy")
def apply_max_norm(params, units, layer_reg):
    coef_start, _ = layer_offsets(units)
    for l in range(units.shape[0] - 1):
        if layer_reg[l, REG_MAX_NORM] > 0.0:
            W = weight_matrix(params, units, coef_start, l)
            project_max_norm_columns(W, layer_reg[l, REG_MAX_NORM])


# --------------------------------------------------------------------------
# Optimizer steps
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def sgd_step(params, grads, velocity, steps, span, penalty, fcfg, nesterov):
    """One SGD (momentum, Nesterov) update, as scikit-learn's SGDOptimizer,
    of the entries ``span = (start, stop)`` of the flat vectors.

    ``penalty = (l2, shrink)``: the L2 gradient ``l2 * w`` is added here
    (fused, to save a pass over the weights) and the decoupled weight decay
    multiplies the weights by ``shrink`` first; ``(0, 1)`` for intercepts.
    ``steps`` receives each coordinate's step size for the proximal steps.
    """
    # Loops over slices from 0: a non-constant start keeps Numba's
    # negative-index check in the loop, and the loop then does not vectorize.
    lo, hi = span
    p, g_, vel, st = params[lo:hi], grads[lo:hi], velocity[lo:hi], steps[lo:hi]
    lr = fcfg[FCFG_LR]
    momentum = fcfg[FCFG_MOMENTUM]
    l2, shrink = penalty
    tiny = np.finfo(params.dtype).tiny
    for k in range(p.shape[0]):
        g = g_[k] + l2 * p[k]
        v = flush_subnormal(momentum * vel[k] - lr * g, tiny)
        vel[k] = v
        update = momentum * v - lr * g if nesterov else v
        p[k] = p[k] * shrink + update
        st[k] = lr


@njit(cache=True, nogil=True, error_model="numpy")
def adam_step(params, grads, m, v, steps, span, penalty, fcfg, t):
    """One Adam update, as scikit-learn's AdamOptimizer (time step ``t`` >=
    1), of the entries ``span = (start, stop)``; ``penalty`` as in
    ``sgd_step`` (weight decay as AdamW: the schedule's rate, not ``lr_t``).
    ``steps[k]`` is the per-coordinate step ``lr_t / (sqrt(v_k) + eps)`` for
    the proximal steps."""
    lo, hi = span  # slices from 0, as in sgd_step, so that the loop vectorizes
    p, g_, m_, v_, st = params[lo:hi], grads[lo:hi], m[lo:hi], v[lo:hi], steps[lo:hi]
    lr = fcfg[FCFG_LR]
    beta1, beta2, eps = fcfg[FCFG_BETA1], fcfg[FCFG_BETA2], fcfg[FCFG_EPSILON]
    lr_t = lr * np.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
    l2, shrink = penalty
    tiny = np.finfo(params.dtype).tiny
    for k in range(p.shape[0]):
        g = g_[k] + l2 * p[k]
        m_k = flush_subnormal(beta1 * m_[k] + (1.0 - beta1) * g, tiny)
        v_k = flush_subnormal(beta2 * v_[k] + (1.0 - beta2) * g * g, tiny)
        m_[k] = m_k
        v_[k] = v_k
        step = lr_t / (np.sqrt(v_k) + eps)
        st[k] = step
        p[k] = p[k] * shrink - step * m_k


@njit(cache=True, nogil=True, error_model="numpy")
def flush_subnormal(x, tiny):
    """x, or 0 where |x| < tiny (the smallest normal number of the dtype).

    The moments of a weight whose gradient stays 0 (a dead relu unit) decay
    geometrically into the subnormal range, where arithmetic is ~100x slower;
    float32 gets there within a few epochs.  Zero is what they tend to.
    """
    return x if abs(x) >= tiny else 0.0 * x


@njit(cache=True, nogil=True, error_model="numpy")
def update_span(params, grads, opt_state, steps, span, penalty, icfg, fcfg, t):
    """The solver's update of the entries ``span`` of the flat vectors."""
    if icfg[CFG_SOLVER] == SOLVER_ADAM:
        adam_step(params, grads, opt_state[0], opt_state[1], steps, span, penalty, fcfg, t)
    else:
        sgd_step(
            params, grads, opt_state[0], steps, span, penalty, fcfg, icfg[CFG_NESTEROV] != 0
        )


@njit(cache=True, nogil=True, error_model="numpy")
def optimizer_step(params, grads, opt_state, steps, units, layer_reg, icfg, fcfg, t):
    """Optimizer update with the penalty's smooth gradient (``grads`` holds
    the data loss's only), then the proximal steps and the max-norm
    projection.  Each weight matrix is one span with its own strengths; the
    intercepts are one span, neither penalized nor decayed."""
    coef_start, intercept_start = layer_offsets(units)
    shrink = 1.0 - fcfg[FCFG_LR] * fcfg[FCFG_WEIGHT_DECAY]
    subgradient = icfg[CFG_L1_METHOD] == L1_SUBGRADIENT
    if subgradient:
        add_penalty_gradient(params, grads, units, layer_reg, True, False)
    for l in range(units.shape[0] - 1):
        span = (coef_start[l], coef_start[l + 1])
        penalty = (layer_reg[l, REG_L2], shrink)
        update_span(params, grads, opt_state, steps, span, penalty, icfg, fcfg, t)
    span = (intercept_start[0], intercept_start[-1])
    update_span(params, grads, opt_state, steps, span, (0.0, 1.0), icfg, fcfg, t)
    if not subgradient:
        prox_l1(params, steps, units, layer_reg)
    prox_group(params, steps, units, layer_reg)
    apply_max_norm(params, units, layer_reg)


# --------------------------------------------------------------------------
# Whole epoch and full-batch objective
# --------------------------------------------------------------------------


@njit(cache=True, nogil=True, error_model="numpy")
def allocate_layer_buffers(units, n_rows, dtype_like):
    """One flat buffer per weight layer's output for activations, derivatives
    and deltas, each ``n_rows * units[l + 1]`` long."""
    acts = []
    derivs = []
    deltas = []
    for l in range(units.shape[0] - 1):
        size = n_rows * units[l + 1]
        acts.append(np.empty(size, dtype_like.dtype))
        derivs.append(np.empty(size, dtype_like.dtype))
        deltas.append(np.empty(size, dtype_like.dtype))
    return acts, derivs, deltas


@njit(cache=True, nogil=True, error_model="numpy")
def train_epoch(inputs, Y, sw, order, params, opt_state, units, layer_reg, icfg, fcfg, t):
    """One pass of minibatch training over the rows ``order`` of an input
    matrix, its targets Y and sample weights sw.

    ``t`` is the number of optimizer steps taken so far (Adam's time step).
    Returns ``(sum_i sw_i * loss_i over the epoch, new t)``; the penalty is
    not included.  Buffers are allocated once here, before the batch loop.
    """
    n_samples = order.shape[0]
    batch = min(icfg[CFG_BATCH_SIZE], n_samples)
    n_weights = units.shape[0] - 1
    n_out = units[n_weights]
    np.random.seed(icfg[CFG_SEED])

    batch_buffers = allocate_batch_buffers(inputs, order, batch, units[0])
    acts, derivs, deltas = allocate_layer_buffers(units, batch, params)
    grads = np.empty_like(params)
    steps = np.empty_like(params)
    sw_flat = np.empty(batch, sw.dtype)
    Y_flat = np.empty(batch * n_out, Y.dtype)
    b_out = params[params.shape[0] - n_out :]

    total_loss = 0.0
    for start in range(0, n_samples, batch):
        stop = min(start + batch, n_samples)
        n = stop - start
        Xb = gather_batch(
            inputs, order, start, stop, batch_buffers, layer_reg[0, REG_DROPOUT],
            fcfg[FCFG_INPUT_NOISE],
        )
        Z_out = forward_train(
            Xb, params, units, layer_reg, icfg[CFG_ACTIVATION], acts, derivs, n
        )
        sw_batch = sw_flat[:n]
        Yb = rows_view(Y_flat, n, n_out)
        sw_total = 0.0
        for r in range(n):
            sw_batch[r] = sw[order[start + r]]
            sw_total += sw_batch[r]
            Yb[r] = Y[order[start + r]]
        delta_out = rows_view(deltas[n_weights - 1], n, n_out)
        total_loss += loss_and_output_delta(
            Z_out, b_out, Yb, sw_batch, sw_total, icfg[CFG_LOSS], delta_out
        )
        backward(Xb, params, units, acts, derivs, deltas, grads, n)
        t += 1
        optimizer_step(params, grads, opt_state, steps, units, layer_reg, icfg, fcfg, t)
    return total_loss, t


@njit(cache=True, nogil=True, error_model="numpy")
def objective_and_gradient(inputs, Y, sw, params, units, layer_reg, icfg, grads):
    """Full-batch objective J and its gradient (smooth part), for L-BFGS and
    for the gradient checks.

    J includes every penalty term; ``grads`` receives the gradient of the data
    loss plus the L2 part (plus the L1 subgradient when ``icfg`` asks for
    it).  No dropout or noise is applied.  Rows go in blocks of
    ``BLOCK_ROWS`` so that memory does not grow with n_samples.
    """
    n_samples = Y.shape[0]
    n_weights = units.shape[0] - 1
    n_out = units[n_weights]
    block = min(BLOCK_ROWS, n_samples)
    acts, derivs, deltas = allocate_layer_buffers(units, block, params)
    block_grads = np.empty_like(params)
    no_dropout = layer_reg.copy()
    no_dropout[:, REG_DROPOUT] = 0.0
    sw_total = 0.0
    for i in range(n_samples):
        sw_total += sw[i]

    grads[:] = 0.0
    data_loss = 0.0
    b_out = params[params.shape[0] - n_out :]
    for start in range(0, n_samples, block):
        stop = min(start + block, n_samples)
        n = stop - start
        Xb = input_row_block(inputs, start, stop)
        Z_out = forward_train(
            Xb, params, units, no_dropout, icfg[CFG_ACTIVATION], acts, derivs, n
        )
        delta_out = rows_view(deltas[n_weights - 1], n, n_out)
        data_loss += loss_and_output_delta(
            Z_out, b_out, Y[start:stop], sw[start:stop], sw_total, icfg[CFG_LOSS],
            delta_out,
        )
        backward(Xb, params, units, acts, derivs, deltas, block_grads, n)
        grads += block_grads
    add_penalty_gradient(
        params, grads, units, layer_reg, icfg[CFG_L1_METHOD] == L1_SUBGRADIENT
    )
    data_loss = data_loss / sw_total if sw_total > 0 else 0.0
    return data_loss + penalty_value(params, units, layer_reg)


@njit(cache=True, nogil=True, error_model="numpy")
def seed_generator(seed):
    """Seed Numba's own generator (dropout masks, input noise) in this thread."""
    np.random.seed(seed)
