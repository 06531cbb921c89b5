"""Every Numba-compiled function of skreg.

All ``@njit`` code lives in this one module because Numba's on-disk cache
(``cache=True``) does not notice when a callee defined in another file changes
(docs/design.rst, "Kernels").

Conventions
-----------
* The network's parameters live in one flat vector ``params``: first every
  weight matrix ``W_l`` (row-major, shape ``(units[l], units[l + 1])``), then
  every intercept ``b_l``.  The same layout is used for gradients and optimizer
  state, so an optimizer step is one loop and L-BFGS works on ``params`` as is.
  ``layer_offsets`` gives where each block starts.  A network with a skip
  connection (the output layer's pre-activation gets ``X @ Theta`` added)
  keeps Theta, ``(units[0], units[-1])`` row-major, after the intercepts
  (``skip_matrix``).
* Kernels take arrays, integer codes and the named records below, never
  strings or estimators.  ``skreg._config`` is the one place that builds the
  records from parameter values.
* An *input matrix* is a tuple ``(dense, data, indices, indptr)``: either a
  C-contiguous dense matrix with the three CSR arrays empty, or a CSR matrix
  (``data``, int64 ``indices`` and ``indptr``) with ``dense`` of shape
  ``(0, n_features)``.  Both kinds share one compiled specialization per
  dtype; only the first layer's products look at which kind it is, and the
  sparse kind is multiplied without densifying it.
* ``step_sizes`` are per-coordinate step sizes (what the proximal steps scale
  their thresholds by), empty in an epoch without proximal steps, where the
  optimizer stores none; ``t`` counts the optimizer updates taken so far
  (Adam's time step).
* ``extra`` is the ``Regularization`` record again when a fit uses a
  regularizer other than L2, weight decay and a proximal L1 term (group
  lasso, max-norm, dropout, input noise, L1 as a subgradient) or a skip
  connection, and None otherwise.  Numba removes a branch that tests
  ``extra is not None`` when it is None, so a default fit compiles a plain
  kernel without the code of those regularizers (a separate argument: Numba
  cannot prune on a None field of a record).  The plain kernel takes the
  proximal L1 step itself, at the place the full one takes it (the group
  step, the hierarchy and max-norm after it change nothing when unused), so
  an L1 fit runs the default fit's compiled kernel, with the same result
  bit for bit: L1 is the most common term after L2, and its step is a few
  lines where the other terms' code costs seconds of compiling.
* The building blocks of an epoch that the kernels call from one or two
  places (``forward_train``, ``backward``, ``optimizer_step``, ...) are
  ``inline="always"``, compiled inside their caller: each separately compiled
  function is its own LLVM module, optimized and turned into machine code for
  itself and again inside every caller, so a deep call tree compiles several
  times over.  Small helpers called from many places stay separate (inlining
  them at every call site costs more than it saves).  Kernels never assign an
  array to a slice: that compiles Numba's string formatting for its
  shape-mismatch message, seconds of compile time.
* Nothing here uses ``parallel=True``: an outer ``n_jobs`` search already
  runs whole fits in parallel, one per core.
"""

from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import overload

from ._numba_cache import (
    announce_first_compile,
    pause_collector_while_compiling,
    prepare_disk_cache,
)

# Before any @njit: where Numba may cache these kernels (False: nowhere safe,
# so no disk cache), a word to the user when their slow first compile starts,
# and the garbage collector kept off the older objects while it runs.
DISK_CACHE = prepare_disk_cache(__file__)
announce_first_compile(__name__, DISK_CACHE)
pause_collector_while_compiling(__name__)

# Hidden activations.
ACT_IDENTITY, ACT_LOGISTIC, ACT_TANH, ACT_RELU = 0, 1, 2, 3
ACT_LEAKY_RELU, ACT_ELU, ACT_SOFTPLUS, ACT_GELU = 4, 5, 6, 7
# GELU's tanh approximation: 0.5 z (1 + tanh(sqrt(2 / pi) (z + 0.044715 z^3)))
GELU_SCALE = 0.7978845608028654
GELU_CUBIC = 0.044715
# The unit roundoff of float64, for bounds on the rounding of sums.
EPSILON64 = 2.0**-53

# Loss codes; each implies its output activation (the canonical link).
LOSS_SQUARED = 0  # identity output, half squared error averaged over outputs
LOSS_POISSON = 1  # exp output, half Poisson deviance averaged over outputs
LOSS_MULTINOMIAL = 2  # softmax output, log loss
LOSS_BINARY = 3  # one logistic output per label, log loss summed over labels

SOLVER_SGD, SOLVER_ADAM = 0, 1
# L-BFGS's settings reach only the full-batch kernels, which read no solver code.
SOLVER_LBFGS = 2


class Regularization(NamedTuple):
    """What regularizes a fit.  The arrays hold one float64 per weight
    matrix ``l``; every field has one fixed type, so that the record adds no
    specialization."""

    l1: np.ndarray  # alpha_l * rho
    l2: np.ndarray  # alpha_l * (1 - rho)
    group: np.ndarray  # group_alpha_l
    # Multiplier of each block's group term on W_1 (a block per input feature
    # without group_blocks); empty: 1 for every block (the estimators'
    # group_weights).
    group_factors: np.ndarray
    # The block (0, 1, ...) of each input feature's row of W_1, the rows of a
    # block under one norm (the estimators' feature_groups); empty: each row
    # its own block, so that fits without blocks compile nothing more.
    group_blocks: np.ndarray
    dropout: np.ndarray  # dropout rate of weight layer l's *input* units
    max_norm: np.ndarray  # bound on each column norm of W_l (0: none)
    weight_decay: float  # decoupled decay of the weights, per unit of learning rate
    input_noise: float  # standard deviation of the noise added to the inputs
    l1_subgradient: bool  # L1 as a subgradient term instead of a proximal step
    # The skip connection's matrix Theta, when the network has one (its
    # entries follow the intercepts in params, see ``skip_matrix``): its L1
    # and L2 rates, the rate of the group term on its rows (one per input
    # feature) and the hierarchy's M (0: none), which ties each feature's
    # row of W_1 to its row of Theta (``prox_hierarchy``).
    skip: bool
    skip_l1: float
    skip_l2: float
    skip_group: float
    hierarchy: float


class Settings(NamedTuple):
    """Network and solver settings, fixed for a whole fit."""

    activation: int  # ACT_* of the hidden layers
    activation_slope: float  # leaky_relu's slope for negative inputs
    loss: int  # LOSS_*, which also fixes the output activation
    solver: int  # SOLVER_*
    nesterov: bool
    batch_size: int
    momentum: float
    beta_1: float
    beta_2: float
    epsilon: float


class Epoch(NamedTuple):
    """What changes from one epoch to the next."""

    learning_rate: float  # the schedule's current rate
    seed: int  # seed of Numba's generator (dropout masks, input noise)


class EpochRun(NamedTuple):
    """A run of epochs in one call of ``train_epochs``: what the epochs
    share, the stopping rule's settings and state at the start, and where
    the objectives go."""

    learning_rate: float  # constant over the run
    t: int  # optimizer updates taken before the run
    sw_total: float  # the sample weights' sum, which divides the data loss
    limit: float  # the largest objective that is not divergence
    tol: float
    n_iter_no_change: float
    best_loss: float
    no_improvement_count: int
    unsettled: int  # epochs left whose objective the rule does not count
    curve: np.ndarray  # float64, receives each epoch's objective


# Why ``train_epochs`` returned: its epochs ran out, the stopping rule
# fired, or the objective diverged.
STOP_NONE, STOP_CONVERGED, STOP_DIVERGED = 0, 1, 2


class RemovedUnits(NamedTuple):
    """The hidden units a fit has left out, for ``removed_rows_gradient``:
    for each hidden layer l (``counts[l]`` units; entry 0 is unused), their
    incoming weights from the units kept in layer l - 1, a row-major
    (kept units of l - 1) x counts[l] block of ``weights``, and their
    intercepts, ``counts[l]`` entries of ``intercepts``; layer after layer."""

    weights: np.ndarray
    intercepts: np.ndarray
    counts: np.ndarray  # int64, one per weight layer


class ActiveSetChecks(NamedTuple):
    """The outputs of ``removed_rows_gradient``, arrays of the parameters'
    dtype."""

    inputs_gradient: np.ndarray  # (removed features, units[1])
    inputs_scatter: np.ndarray  # (removed features,)
    # each removed hidden unit's outgoing row, layer after layer: a
    # counts[l] x units[l + 1] row-major block per hidden layer l
    units_gradient: np.ndarray
    units_scatter: np.ndarray  # one per removed hidden unit


# Rows processed at once by the prediction and full-batch kernels, so that no
# buffer grows with n_samples.
BLOCK_ROWS = 1024


# --------------------------------------------------------------------------
# Parameter layout
# --------------------------------------------------------------------------


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
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


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def weight_matrix(flat, units, coef_start, l):
    """View of ``W_l`` (or of its gradient) inside a flat vector."""
    return flat[coef_start[l] : coef_start[l + 1]].reshape((units[l], units[l + 1]))


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def skip_matrix(flat, units):
    """View of the skip connection's Theta (units[0] x units[-1]) inside a
    flat vector, where it follows the intercepts; a view with no rows when
    the vector ends with the intercepts (no skip connection).  Its presence
    is read from the vector's length, so that it costs the kernels a test,
    not a specialization."""
    n_weights = units.shape[0] - 1
    end = 0
    for l in range(n_weights):
        end += (units[l] + 1) * units[l + 1]
    rows = units[0] if flat.shape[0] > end else 0
    return flat[end : end + rows * units[n_weights]].reshape((rows, units[n_weights]))


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def add_skip(inputs, params, units, Z, scratch):
    """Z += X @ Theta for the rows of an input matrix X, when the network
    has a skip connection; ``scratch`` is a flat buffer of at least Z.size
    entries."""
    S = skip_matrix(params, units)
    if S.shape[0] > 0:
        add_input_product(inputs, S, Z, scratch)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def add_input_product(inputs, S, Z, scratch):
    """Z += X @ S for the rows of an input matrix X (``scratch``: a flat
    buffer of at least Z.size entries)."""
    n, m = Z.shape
    T = rows_view(scratch, n, m)
    input_times(inputs, S, T)
    for i in range(n):
        for j in range(m):
            Z[i, j] += T[i, j]


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def skip_gradient(inputs, grads, units, delta):
    """Theta's block of ``grads`` <- X.T @ delta (delta: the output layer's),
    when the network has a skip connection."""
    G = skip_matrix(grads, units)
    if G.shape[0] > 0:
        input_transpose_times(inputs, delta, G)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def rows_view(buffer, n_rows, n_cols):
    """The first ``n_rows * n_cols`` entries of a 1-D buffer as a matrix."""
    return buffer[: n_rows * n_cols].reshape((n_rows, n_cols))


# --------------------------------------------------------------------------
# Activations, each beside its derivative (written in terms of the output)
# --------------------------------------------------------------------------


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def activate(z, code, slope):
    """activation(z); ``slope`` is leaky_relu's slope for negative z."""
    if code == ACT_RELU:
        return z if z > 0 else 0.0 * z
    if code == ACT_TANH:
        return tanh(z)
    if code == ACT_LOGISTIC:
        return logistic(z)
    if code == ACT_LEAKY_RELU:
        return z if z > 0 else slope * z
    if code == ACT_ELU:
        return z if z > 0 else np.expm1(z)
    if code == ACT_SOFTPLUS:
        return softplus(z)
    if code == ACT_GELU:
        return 0.5 * z * (1.0 + np.tanh(GELU_SCALE * (z + GELU_CUBIC * z * z * z)))
    return z


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def activation_derivative(a, code, slope):
    """d activation / dz, from the activation's value ``a`` (every activation
    but GELU, whose derivative ``gelu_derivative`` needs z)."""
    if code == ACT_RELU:
        return 1.0 if a > 0 else 0.0
    if code == ACT_TANH:
        return 1.0 - a * a
    if code == ACT_LOGISTIC:
        return a * (1.0 - a)
    if code == ACT_LEAKY_RELU:
        return 1.0 if a > 0 else slope
    if code == ACT_ELU:
        return 1.0 if a > 0 else a + 1.0  # exp(z) = elu(z) + 1 for z <= 0
    if code == ACT_SOFTPLUS:
        return -np.expm1(-a)  # logistic(z) = 1 - exp(-softplus(z))
    return 1.0


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def gelu_derivative(z):
    """d GELU / dz of the tanh approximation."""
    t = np.tanh(GELU_SCALE * (z + GELU_CUBIC * z * z * z))
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_SCALE * (1.0 + 3.0 * GELU_CUBIC * z * z)


# tanh's odd Taylor series to z^15, used where |z| < TANH_SERIES_BOUND: there
# the truncation is below 1e-18 of tanh(z), and the formula from exp would lose
# relative accuracy to the cancellation in 1 - exp(-2|z|).
TANH_SERIES_BOUND = 0.125
TANH_SERIES = (
    -1.0 / 3.0,
    2.0 / 15.0,
    -17.0 / 315.0,
    62.0 / 2835.0,
    -1382.0 / 155925.0,
    21844.0 / 6081075.0,
    -929569.0 / 638512875.0,
)


def tanh(z):
    """The hidden layers' tanh (compiled through its overload below)."""
    return np.tanh(z)


@overload(tanh, jit_options={"nogil": True, "error_model": "numpy"})
def _tanh(z):
    # float64: from one exp.  The C library's tanh, which np.tanh compiles
    # to, took 19 ns a value on the benchmark machine against 5 for this: an
    # epoch of a (256,) tanh layer on 20 000 rows spent 97 ms in it.  The
    # result is within an ulp of 1 of the library's (2.2e-16 at most, the
    # series keeping small values' relative accuracy), and loss curves of
    # 200-epoch fits moved by under 6e-16 relative (docs/design.rst).
    # float32 keeps the library's tanhf: in float32 any change of the
    # arithmetic moves a fit by its rounding, 1e-7.
    if z != types.float64:
        return lambda z: np.tanh(z)

    def tanh_from_exp(z):
        a = abs(z)
        if a < TANH_SERIES_BOUND:
            if z == 0.0:
                return z  # -0.0 stays -0.0, as the library gives it
            s = z * z
            c = TANH_SERIES
            series = c[5] + s * c[6]
            series = c[2] + s * (c[3] + s * (c[4] + s * series))
            series = c[0] + s * (c[1] + s * series)
            return z + z * (s * series)
        e = np.exp(-2.0 * a)
        t = (1.0 - e) / (1.0 + e)
        return t if z >= 0.0 else -t

    return tanh_from_exp


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def logistic(z):
    # Two branches so that exp never overflows.
    if z >= 0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def softplus(z):
    """log(1 + exp(z)) without overflow."""
    return max(z, 0.0) + np.log1p(np.exp(-abs(z)))


# --------------------------------------------------------------------------
# Input matrices (dense or CSR), see the module docstring
# --------------------------------------------------------------------------


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def is_sparse(inputs):
    return inputs[3].shape[0] > 0


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def n_input_rows(inputs):
    return inputs[3].shape[0] - 1 if is_sparse(inputs) else inputs[0].shape[0]


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def input_row_block(inputs, start, stop):
    """Rows ``start:stop`` of an input matrix, as an input matrix (views,
    but for a sparse block's re-based ``indptr``)."""
    dense, data, indices, indptr = inputs
    if not is_sparse(inputs):
        return (dense[start:stop], data, indices, indptr)
    lo, hi = indptr[start], indptr[stop]
    return (dense, data[lo:hi], indices[lo:hi], indptr[start : stop + 1] - lo)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
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


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
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


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def max_batch_nnz(indptr, order, batch):
    """Largest number of stored entries among the batches of ``order``."""
    largest = 0
    for start in range(0, order.shape[0], batch):
        total = 0
        for r in range(start, min(start + batch, order.shape[0])):
            total += indptr[order[r] + 1] - indptr[order[r]]
        largest = max(largest, total)
    return largest


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def gather_batch(inputs, order, start, stop, buffers):
    """Rows ``order[start:stop]`` of an input matrix copied into ``buffers``
    (an input matrix of capacity at least that batch).  Returns the batch as
    an input matrix."""
    dense, data, indices, indptr = inputs
    b_dense, b_data, b_indices, b_indptr = buffers
    n = stop - start
    if not is_sparse(inputs):
        Xb = b_dense[:n]
        for r in range(n):
            src = order[start + r]
            for j in range(dense.shape[1]):
                Xb[r, j] = dense[src, j]
        return (Xb, b_data, b_indices, b_indptr)
    nnz = 0
    b_indptr[0] = 0
    for r in range(n):
        src = order[start + r]
        for k in range(indptr[src], indptr[src + 1]):
            b_data[nnz] = data[k]
            b_indices[nnz] = indices[k]
            nnz += 1
        b_indptr[r + 1] = nnz
    return (b_dense, b_data[:nnz], b_indices[:nnz], b_indptr[: n + 1])


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def perturb_batch(batch, drop_rate, noise_std):
    """Input noise and input dropout (inverted), in place, on the stored
    entries of a gathered batch.  Noise is for dense inputs only: it would
    fill a sparse matrix in (the estimator refuses that combination)."""
    if drop_rate == 0.0 and noise_std == 0.0:
        return  # the pass would change nothing (every L1, group or max-norm fit paid it)
    dense, data, _, _ = batch
    values = data if is_sparse(batch) else dense.reshape(dense.size)
    keep = 1.0 - drop_rate
    for k in range(values.shape[0]):
        x = values[k]
        if noise_std > 0.0:
            x += noise_std * np.random.standard_normal()
        if drop_rate > 0.0:
            x = x / keep if np.random.random() < keep else 0.0 * x
        values[k] = x


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
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


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def add_bias_and_activate(Z, b, code, slope):
    """Z <- activation(Z + b), in place (prediction: no derivative, no dropout)."""
    # A copy of the loop per activation of scikit-learn's, as in
    # add_bias_activate (``code`` is fixed in each branch).
    if code == ACT_RELU:
        bias_activate(Z, b, code, slope)
    elif code == ACT_TANH:
        bias_activate(Z, b, code, slope)
    elif code == ACT_LOGISTIC:
        bias_activate(Z, b, code, slope)
    elif code == ACT_IDENTITY:
        bias_activate(Z, b, code, slope)
    else:
        bias_activate(Z, b, code, slope)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def bias_activate(Z, b, code, slope):
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] = activate(Z[i, j] + b[j], code, slope)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def add_bias_activate(Z, D, b, code, slope):
    """Training forward step of a hidden layer, before dropout:
    Z <- activation(Z + b) and D <- activation'(Z + b), elementwise.  D is
    what the backward pass multiplies the incoming delta by."""
    # scikit-learn's four activations each get their own copy of the loops:
    # inlined (inline="always") under a branch that fixes ``code``, the
    # branches inside ``activate`` fold away and the loops vectorize.  With
    # one copy for all eight activations they were not unswitched: float32
    # epochs took 1.5x as long with relu and 1.13x with logistic
    # (bench_fit.py --only skreg, pyperf compare_to).  The copies cost about 1.7 s of compile;
    # passing ``code`` as a constant instead compiled a specialization per
    # value and cost 3.2 s.  The later activations share one copy.
    if code == ACT_RELU:  # the same call in each branch: see above
        bias_activate_derive(Z, D, b, code, slope)
    elif code == ACT_TANH:
        bias_activate_derive(Z, D, b, code, slope)
    elif code == ACT_LOGISTIC:
        bias_activate_derive(Z, D, b, code, slope)
    elif code == ACT_IDENTITY:
        bias_activate_derive(Z, D, b, code, slope)
    elif code == ACT_GELU:
        n, m = Z.shape
        for i in range(n):
            for j in range(m):
                z = Z[i, j] + b[j]
                D[i, j] = gelu_derivative(z)
                Z[i, j] = activate(z, code, slope)
    else:
        bias_activate_derive(Z, D, b, code, slope)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def bias_activate_derive(Z, D, b, code, slope):
    """Z <- activation(Z + b) and D <- activation'(Z + b), for an activation
    whose derivative follows from its value."""
    n, m = Z.shape
    # Two simple passes vectorize better than one that writes both arrays.
    for i in range(n):
        for j in range(m):
            Z[i, j] = activate(Z[i, j] + b[j], code, slope)
    for i in range(n):
        for j in range(m):
            D[i, j] = activation_derivative(Z[i, j], code, slope)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def apply_dropout(Z, D, drop_rate):
    """Multiply Z and D by one inverted-dropout mask, drawn row by row: 0
    with probability ``drop_rate``, else ``1 / (1 - drop_rate)`` (each unit
    keeps its expected value)."""
    n, m = Z.shape
    keep = 1.0 - drop_rate
    for i in range(n):
        for j in range(m):
            scale = 1.0 / keep if np.random.random() < keep else 0.0
            Z[i, j] *= scale
            D[i, j] *= scale


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
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


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def predict_block(inputs, params, units, settings, out, buf_a, buf_b, skip, buf_skip):
    """Network output for the rows of an input matrix, written into ``out``.

    ``buf_a`` and ``buf_b`` hold at least ``out.shape[0] * max(hidden units)``
    entries; hidden layers ping-pong between them.  ``skip`` is the skip
    connection's Theta, or None (a prediction without one compiles none of
    its code), and ``buf_skip`` then holds ``out.size`` entries.
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
            if skip is not None:
                add_input_product(inputs, skip, Z, buf_skip)
            output_transform(Z, b, settings.loss)
        else:
            add_bias_and_activate(Z, b, settings.activation, settings.activation_slope)
            A = Z


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def predict(inputs, params, units, settings, out, skip=None):
    """Network output for every row of an input matrix, in blocks of
    ``BLOCK_ROWS`` rows so that no buffer grows with n_samples.

    Nothing here checks shapes or indices (a check in the loops would cost
    speed): the caller guarantees that ``params`` matches ``units``, that the
    input matrix has ``units[0]`` columns (and, if sparse, indices in range)
    and ``out`` one row per input row; see ``skreg._validation``."""
    n = out.shape[0]
    width = 1
    for l in range(1, units.shape[0] - 1):
        width = max(width, units[l])
    rows = min(n, BLOCK_ROWS)
    buf_a = np.empty(rows * width, out.dtype)
    buf_b = np.empty(rows * width, out.dtype)
    buf_skip = np.empty(0 if skip is None else rows * units[-1], out.dtype)
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        predict_block(
            input_row_block(inputs, start, stop),
            params,
            units,
            settings,
            out[start:stop],
            buf_a,
            buf_b,
            skip,
            buf_skip,
        )


# --------------------------------------------------------------------------
# Losses: value and delta (gradient with respect to the output pre-activation)
# --------------------------------------------------------------------------


# Not inlined: the engine calls it from Python (``zero_network_loss``), so it
# compiles on its own in every fit anyway; inlined, each kernel typed and
# lowered it once more.
@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
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


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
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


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def propagate_delta(delta, W, D, prev):
    """prev <- (delta @ W.T) * D: the delta of the layer below."""
    np.dot(delta, W.T, prev)
    for i in range(prev.shape[0]):
        for j in range(prev.shape[1]):
            prev[i, j] *= D[i, j]


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def forward_train(inputs, params, units, settings, extra, acts, derivs, n):
    """Training forward pass through the hidden layers, for the batch's input
    matrix ``inputs`` of ``n`` rows, with the dropout of ``extra`` (rate
    ``extra.dropout[l]`` on weight layer l's input units; entry 0, the
    inputs', is applied to the gathered batch), or none when it is None.

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
            add_bias_activate(Z, D, b, settings.activation, settings.activation_slope)
            if extra is not None and extra.dropout[l + 1] > 0.0:
                apply_dropout(Z, D, extra.dropout[l + 1])
    return Z


# --------------------------------------------------------------------------
# Penalties
# --------------------------------------------------------------------------


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def penalty_sums(W, factors):
    """``(sum |w|, sum w^2, sum_i factors[i] ||row i||)`` over a weight
    matrix (each factor 1 when ``factors`` is empty)."""
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
        group += row_factor(factors, i) * np.sqrt(row_sq)
    return l1, l2, group


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def penalty_value(params, units, reg):
    """The penalty part of the objective J (docs/design.rst, "The objective")."""
    coef_start, _ = layer_offsets(units)
    total = 0.0
    for l in range(units.shape[0] - 1):
        W = weight_matrix(params, units, coef_start, l)
        factors = row_factors(reg, l)
        l1, l2, group = penalty_sums(W, factors)
        if l == 0 and reg.group_blocks.shape[0] > 0:
            group = blocks_group_value(W, factors, reg.group_blocks)
        total += reg.l1[l] * l1 + 0.5 * reg.l2[l] * l2
        total += reg.group[l] * np.sqrt(W.shape[1]) * group
    return total


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def skip_penalty_value(params, units, reg):
    """The penalty terms of the skip connection's Theta (none without one);
    apart from ``penalty_value``, so that a network without a skip compiles
    none of it in its epoch kernel."""
    l1, l2, group = penalty_sums(skip_matrix(params, units), reg.group_factors[:0])
    return reg.skip_l1 * l1 + 0.5 * reg.skip_l2 * l2 + reg.skip_group * group


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def add_penalty_gradient(params, grads, units, reg, with_l2=True):
    """grads += gradient of the smooth penalty part (L2), and the L1
    subgradient ``alpha * rho * sign(w)`` when ``reg.l1_subgradient``.  The
    training loop adds the L2 part inside the optimizer step and passes
    ``with_l2=False``."""
    coef_start, _ = layer_offsets(units)
    for l in range(units.shape[0] - 1):
        l2 = reg.l2[l] if with_l2 else 0.0
        l1 = reg.l1[l] if reg.l1_subgradient else 0.0
        if l2 == 0.0 and l1 == 0.0:
            continue
        # Slices looped from 0, as in sgd_step, so that the loop vectorizes.
        W = params[coef_start[l] : coef_start[l + 1]]
        G = grads[coef_start[l] : coef_start[l + 1]]
        for k in range(W.shape[0]):
            w = W[k]
            G[k] += l2 * w + l1 * np.sign(w)
    S = skip_matrix(params, units)
    G = skip_matrix(grads, units)
    l2 = reg.skip_l2 if with_l2 else 0.0
    l1 = reg.skip_l1 if reg.l1_subgradient else 0.0
    for i in range(S.shape[0]):
        for j in range(S.shape[1]):
            G[i, j] += l2 * S[i, j] + l1 * np.sign(S[i, j])


# --------------------------------------------------------------------------
# Proximal operators and projections
# --------------------------------------------------------------------------


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def soft_threshold(w, t):
    """sign(w) * max(|w| - t, 0)."""
    if w > t:
        return w - t
    if w < -t:
        return w + t
    return 0.0 * w


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def prox_l1(params, step_sizes, units, reg):
    """Soft-threshold every weight by ``step_sizes[k] * alpha_l * rho``."""
    coef_start, _ = layer_offsets(units)
    for l in range(units.shape[0] - 1):
        l1 = reg.l1[l]
        if l1 == 0.0:
            continue
        # Slices looped from 0, as in sgd_step: with an offset start the loop
        # keeps a negative-index check, does not vectorize, and its branches
        # mispredict on weights of both signs (15x slower at 40 000 weights).
        W = params[coef_start[l] : coef_start[l + 1]]
        steps = step_sizes[coef_start[l] : coef_start[l + 1]]
        for k in range(W.shape[0]):
            W[k] = soft_threshold(W[k], steps[k] * l1)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def proximal_l1(reg):
    """Whether ``reg`` has an L1 term taken by proximal steps.  A loop, not
    ``max()``: Numba's ``max`` of an array compiles two functions of its own
    (0.7 s in a fresh environment)."""
    if reg.l1_subgradient:
        return False
    for strength in reg.l1:
        if strength > 0.0:
            return True
    return False


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def prox_skip(params, step_sizes, units, reg):
    """Soft-threshold every entry of Theta by its step size times the skip's
    L1 rate."""
    S = skip_matrix(params, units)
    T = skip_matrix(step_sizes, units)
    for i in range(S.shape[0]):
        for j in range(S.shape[1]):
            S[i, j] = soft_threshold(S[i, j], T[i, j] * reg.skip_l1)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def prox_hierarchy(params, step_sizes, units, reg):
    """The hierarchical proximal step (``hier_prox_feature``) of every input
    feature's pair (its row of Theta, its row of W_1), at the group rate
    ``reg.skip_group`` times the mean step size of the feature's row of
    Theta, with the hierarchy's M: afterwards no weight in the row of W_1
    exceeds M times the norm of the row of Theta."""
    coef_start, _ = layer_offsets(units)
    # np.int64: a literal 0 would compile weight_matrix once more
    W = weight_matrix(params, units, coef_start, np.int64(0))
    S = skip_matrix(params, units)
    T = skip_matrix(step_sizes, units)
    magnitudes = np.empty(W.shape[1], dtype=np.float64)  # reused by every feature
    for j in range(S.shape[0]):
        step = 0.0
        for k in range(S.shape[1]):
            step += T[j, k]
        step /= S.shape[1]
        hier_prox_feature(S[j], W[j], step * reg.skip_group, reg.hierarchy, magnitudes)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def row_factors(reg, l):
    """The group factors of weight matrix l's rows: the input features' for
    l = 0, none (an empty array) for the hidden layers'."""
    return reg.group_factors if l == 0 else reg.group_factors[:0]


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def row_factor(factors, i):
    """Row i's multiplier of the group term (1 without factors)."""
    return factors[i] if factors.shape[0] > 0 else 1.0


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def prox_group_rows(W, S, strength, factors):
    """The group-lasso proximal step of each row g of W, in the metric of the
    step sizes S (same shape as W), with row i's strength multiplied by
    ``factors[i]`` (by 1 when ``factors`` is empty): ``prox_vector`` with
    ``t = strength * factors[i] * sqrt(len g)``."""
    scale_len = np.sqrt(W.shape[1])
    inverses = np.empty(W.shape[1], dtype=np.float64)  # reused by every row
    for i in range(W.shape[0]):
        prox_vector(W[i], S[i], strength * row_factor(factors, i) * scale_len, inverses)


# The group step in Adam's metric (``prox_vector`` and the ``metric_``
# kernels it calls) may sum its rows in any order: its loops then
# vectorize, divisions included, and a group epoch's prox runs 2.3 times
# faster (rows of 128), the weights moving by rounding alone (2.8e-16
# relative).  No other flag: NaN and inf keep their meaning.
REASSOCIATE = {"reassoc"}


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", fastmath=REASSOCIATE)
def prox_vector(g, s, t, inverses):
    """g <- argmin_x  sum_j (x_j - g_j)^2 / (2 s_j) + t ||x||, in place.

    With equal steps s (SGD) this is block soft-thresholding,
    g <- max(0, 1 - s t / ||g||) g.  With Adam's per-coordinate steps it is
    the same step in Adam's metric (docs/design.rst, "How each regularizer
    acts"): g is zero when ||g / s|| <= t; otherwise x_j = g_j r / (r + s_j t),
    where r = ||x|| solves sum_j g_j^2 / (r + s_j t)^2 = 1 (Newton's method).
    ``inverses`` is float64 scratch space at least as long as g.
    """
    if row_steps_equal(s):
        norm = row_norm(g)
        threshold = s[0] * t
        shrink_row(g, 1.0 - threshold / norm if norm > threshold else 0.0)
        return
    # One pass, without a division, for the sums the step needs.
    squares = 0.0
    weighted = 0.0
    weighted_twice = 0.0
    for j in range(g.shape[0]):
        square = g[j] * g[j]
        squares += square
        weighted += square * s[j]
        weighted_twice += square * s[j] * s[j]
    # By Cauchy-Schwarz ||g / s||^2 >= squares^2 / weighted_twice: only a row
    # that fails this bound can be zeroed, and only then is ||g / s|| (a
    # division per weight) computed.
    if squares * squares <= t * t * weighted_twice and metric_norm(g, s) <= t:
        shrink_row(g, 0.0)
        return
    r, lag = metric_prox_norm(g, s, t, np.sqrt(squares), weighted, weighted_twice, inverses)
    metric_shrink(g, s, t, r, lag, inverses)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", fastmath=REASSOCIATE)
def metric_norm(g, s):
    """||g / s||."""
    total = 0.0
    for j in range(g.shape[0]):
        total += (g[j] / s[j]) ** 2
    return np.sqrt(total)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", fastmath=REASSOCIATE)
def metric_shrink(g, s, t, r, lag, inverses):
    """g_j <- g_j r / (r + s_j t), given ``inverses[j]`` = 1 / (r + lag + s_j t)
    from the last Newton pass.  For a small lag the factor is
    r inverses[j] / (1 - e), e = lag inverses[j]: the series to e^3 leaves
    an error of e^4 <= 1e-20, under rounding, and saves a division per weight."""
    if abs(lag) <= 1e-5 * r:
        for j in range(g.shape[0]):
            e = lag * inverses[j]
            g[j] *= r * inverses[j] * (1.0 + e * (1.0 + e * (1.0 + e)))
        return
    for j in range(g.shape[0]):
        g[j] *= r / (r + s[j] * t)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def block_layout(blocks):
    """``(order, starts)``: the rows sorted by block (``blocks[i]`` is row
    i's, 0 ... n_blocks - 1), block b's rows at ``order[starts[b]:starts[b + 1]]``."""
    n_blocks = blocks.max() + 1
    starts = np.zeros(n_blocks + 1, dtype=np.int64)
    for i in range(blocks.shape[0]):
        starts[blocks[i] + 1] += 1
    for b in range(n_blocks):
        starts[b + 1] += starts[b]
    fill = starts[:-1].copy()
    order = np.empty(blocks.shape[0], dtype=np.int64)
    for i in range(blocks.shape[0]):
        order[fill[blocks[i]]] = i
        fill[blocks[i]] += 1
    return order, starts


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def blocks_group_value(W, factors, blocks):
    """sum_b factors[b] sqrt(rows of b) ||W's rows of block b||: the group
    term of W's blocks of rows, but for the factor sqrt(width of W) that
    ``penalty_value`` applies to every row's term."""
    # At most one block per row; sized so, without a call to max, as this
    # code compiles into every fit's objective.
    squares = np.zeros(W.shape[0])
    sizes = np.zeros(W.shape[0])
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            squares[blocks[i]] += W[i, j] * W[i, j]
        sizes[blocks[i]] += 1.0
    total = 0.0
    for b in range(W.shape[0]):
        if sizes[b] > 0.0:
            total += row_factor(factors, b) * np.sqrt(sizes[b] * squares[b])
    return total


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def prox_group_blocks(W, S, strength, factors, blocks):
    """``prox_group_rows`` on blocks of rows: the weights of block b's rows
    (``blocks``, as ``block_layout`` takes it) under one norm, with
    ``t = strength * factors[b] * sqrt(len b)``, len b their number."""
    order, starts = block_layout(blocks)
    width = W.shape[1]
    largest = 0
    for b in range(starts.shape[0] - 1):
        largest = max(largest, starts[b + 1] - starts[b])
    g = np.empty(largest * width, dtype=W.dtype)
    s = np.empty(largest * width, dtype=S.dtype)
    inverses = np.empty(largest * width, dtype=np.float64)
    for b in range(starts.shape[0] - 1):
        n = 0
        for m in range(starts[b], starts[b + 1]):
            for j in range(width):
                g[n], s[n] = W[order[m], j], S[order[m], j]
                n += 1
        prox_vector(g[:n], s[:n], strength * row_factor(factors, b) * np.sqrt(n), inverses)
        n = 0
        for m in range(starts[b], starts[b + 1]):
            for j in range(width):
                W[order[m], j] = g[n]
                n += 1


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def row_steps_equal(s):
    for j in range(1, s.shape[0]):
        if s[j] != s[0]:
            return False
    return True


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def row_norm(g):
    total = 0.0
    for j in range(g.shape[0]):
        total += g[j] * g[j]
    return np.sqrt(total)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def shrink_row(g, factor):
    for j in range(g.shape[0]):
        g[j] *= factor


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", fastmath=REASSOCIATE)
def metric_prox_norm(g, s, t, norm, weighted, weighted_twice, inverses):
    """``(r, lag)``: the root r > 0 of F(r) = 1 / sqrt(q(r)) - 1, where
    q(r) = sum_j g_j^2 / (r + s_j t)^2, given ``norm`` = ||g||,
    ``weighted`` = sum_j g_j^2 s_j and ``weighted_twice`` = sum_j g_j^2 s_j^2;
    ``inverses[j]`` is left holding 1 / (r + lag + s_j t), the last pass's.

    F is increasing, negative at 0 (the row is not zeroed) and positive at
    ||g||, and nearly linear (exactly so for equal steps): Newton's method
    from inside that bracket, falling back to bisection when a step leaves it.
    """
    low, high = 0.0, norm
    # The root's expansion to second order in t: with a_j = s_j t averaged
    # with weights g_j^2 / ||g||^2, r = ||g|| - mean(a) + 1.5 var(a) / ||g||
    # + O(t^3) (exact for equal steps).  One Newton pass from there lands
    # within rounding of the root on rows of 100 with steps over three
    # decades; from the first-order start it took two (the second to see
    # that the first had converged).
    mean = t * weighted / (norm * norm)
    spread = max(t * t * weighted_twice / (norm * norm) - mean * mean, 0.0)
    r = norm - mean + 1.5 * spread / norm
    if not 0.0 < r < norm:
        r = 0.5 * norm
    for _ in range(60):
        at = r  # where ``inverses`` is filled
        q = 0.0
        dq = 0.0
        ddq = 0.0
        for j in range(g.shape[0]):
            inverse = 1.0 / (r + s[j] * t)  # one division per coordinate
            inverses[j] = inverse
            term = g[j] * g[j] * inverse * inverse
            q += term
            dq += term * inverse
            ddq += term * inverse * inverse
        root = np.sqrt(q)
        value = 1.0 / root - 1.0
        if value < 0.0:
            low = r
        else:
            high = r
        step = value * q * root / dq  # F / F', F' = dq / q^1.5
        new_r = r - step
        # Newton's next step would be about |F'' / 2F'| step^2, where
        # F'' / F' = 3 (dq / q - ddq / dq): under a 1e-17 share of r it
        # would not change r in floating point, and no pass is spent to see it.
        converged = 1.5 * (ddq / dq - dq / q) * step * step <= 1e-17 * new_r
        if low < new_r < high and (converged or abs(step) <= 1e-14 * high):
            return new_r, at - new_r
        # A step of rounding size that lands on or past the bracket's end: the
        # root lies within rounding of it (a row the step barely shrinks).
        if abs(step) <= 1e-14 * high:
            return r, 0.0
        if not (low < new_r < high):
            new_r = 0.5 * (low + high)
        r = new_r
    return r, at - r


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def prox_group(params, step_sizes, units, reg):
    """Group-lasso prox on every weight matrix, each row in the metric of its
    coordinates' step sizes (``prox_group_rows``)."""
    coef_start, _ = layer_offsets(units)
    for l in range(units.shape[0] - 1):
        strength = reg.group[l]
        if strength == 0.0:
            continue
        W = weight_matrix(params, units, coef_start, l)
        S = weight_matrix(step_sizes, units, coef_start, l)
        if l == 0 and reg.group_blocks.shape[0] > 0:
            prox_group_blocks(W, S, strength, reg.group_factors, reg.group_blocks)
        else:
            prox_group_rows(W, S, strength, row_factors(reg, l))


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def hier_prox(theta, W, lam, M):
    """The hierarchical proximal step, in place, of every feature j: the pair
    (b, u) = (theta[j], W[j]) becomes

        argmin  1/2 ||b - theta_j||^2 + 1/2 ||u - w_j||^2 + lam ||b||
        subject to  ||u||_inf <= M ||b||

    (docs/design.rst, "How each regularizer acts").  ``theta`` is
    (n_features, n_outputs), ``W`` (n_features, n_hidden), of one dtype;
    ``lam >= 0`` and ``M > 0``.  The arithmetic is float64 whatever the
    arrays' dtype.
    """
    magnitudes = np.empty(W.shape[1], dtype=np.float64)  # reused by every feature
    for j in range(theta.shape[0]):
        hier_prox_feature(theta[j], W[j], lam, M, magnitudes)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def hier_prox_feature(b, w, lam, M, magnitudes):
    """One feature's step, b = theta_j and w = w_j overwritten.  Whatever
    the radius r = ||b||, the best b points along theta_j and the best u is
    w_j clipped at M r; r itself solves a convex problem (``hier_radius``).
    ``magnitudes`` is scratch space of w's length."""
    largest, total = 0.0, 0.0
    for i in range(w.shape[0]):
        magnitudes[i] = abs(w[i])
        largest = max(largest, magnitudes[i])
        total += magnitudes[i]
    t = 0.0
    for k in range(b.shape[0]):
        entry = np.float64(b[k])  # squared in float64: float32 squares underflow
        t += entry * entry
    t = np.sqrt(t)
    radius = max(t - lam, 0.0)  # hier_radius's first candidate, as it computes it
    if M * radius < largest:  # it clips something
        if (t + M * total) * (1.0 + 8.0 * (w.shape[0] + 2) * EPSILON64) < lam:
            # Every candidate is zero (a feature held at zero): known without
            # ordering the magnitudes; the margin covers the order of the sum.
            radius = 0.0
        else:
            radius = hier_radius(t, magnitudes, lam, M)
    if t > 0.0:
        # radius / t, not (M radius) / M / t: exactly 1 when lam = 0 and the
        # pair is feasible, so the step is then the identity bit for bit
        shrink_row(b, radius / t)
    else:
        # Every direction is optimal: the one that treats the outputs alike.
        for k in range(b.shape[0]):
            b[k] = radius / np.sqrt(b.shape[0])
    clip_row(w, M * radius)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def hier_radius(t, magnitudes, lam, M):
    """||b|| at the optimum, from t = ||theta_j|| and the |w_j| (in any
    order; ``magnitudes`` is reordered).

    With m entries of |w_j| above the clip level v = M ||b||, the objective's
    derivative in ||b|| vanishes at ||b|| = max(t + M S_m - lam, 0) / (1 + m M^2),
    S_m being the sum of the m largest magnitudes.  The derivative increases with
    ||b||, so the answer is the first m whose clip level is at least the
    (m + 1)-th largest magnitude (0 past the last); testing that one side alone
    always ends, however rounding falls on ties.

    The magnitudes are taken largest first from a heap: usually only a few
    are clipped, and a heap gives those few without sorting the rest, summed
    in the order a sort would give them.
    """
    n = magnitudes.shape[0]
    for start in range(n // 2 - 1, -1, -1):
        sift_down(magnitudes, start, n)
    total = 0.0
    for m in range(n + 1):
        if m > 0:  # take the largest off the heap (n - m entries left)
            total += magnitudes[0]
            magnitudes[0] = magnitudes[n - m]
            sift_down(magnitudes, 0, n - m)
        radius = max(t + M * total - lam, 0.0) / (1.0 + m * M * M)
        below = magnitudes[0] if m < n else 0.0
        if M * radius >= below:
            return radius
    return 0.0  # not reached: m = n always returns


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def sift_down(heap, start, size):
    """Restore the max-heap order of ``heap[:size]`` below ``start``."""
    i = start
    while True:
        child = 2 * i + 1
        if child >= size:
            return
        if child + 1 < size and heap[child + 1] > heap[child]:
            child += 1
        if heap[child] <= heap[i]:
            return
        heap[i], heap[child] = heap[child], heap[i]
        i = child


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def clip_row(w, level):
    """Clip every entry of w to [-level, level]."""
    for i in range(w.shape[0]):
        if w[i] > level:
            w[i] = level
        elif w[i] < -level:
            w[i] = -level


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def project_max_norm_columns(W, max_norm):
    """Rescale each column of W (a unit's incoming weights) to norm <= max_norm."""
    n_in, n_out = W.shape
    sq = np.zeros(n_out)
    for i in range(n_in):
        for j in range(n_out):
            sq[j] += W[i, j] * W[i, j]
    clipped = False
    for j in range(n_out):
        clipped = clipped or sq[j] > max_norm * max_norm
        sq[j] = max_norm / np.sqrt(sq[j]) if sq[j] > max_norm * max_norm else 1.0
    if not clipped:  # every factor is 1: the usual case, and a pass saved
        return
    for i in range(n_in):
        for j in range(n_out):
            W[i, j] *= sq[j]


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def apply_max_norm(params, units, reg):
    coef_start, _ = layer_offsets(units)
    for l in range(units.shape[0] - 1):
        if reg.max_norm[l] > 0.0:
            W = weight_matrix(params, units, coef_start, l)
            project_max_norm_columns(W, reg.max_norm[l])


# --------------------------------------------------------------------------
# Optimizer steps
# --------------------------------------------------------------------------


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def sgd_step(params, grads, velocity, step_sizes, span, l2, shrink, lr, settings):
    """One SGD (momentum, Nesterov) update, as scikit-learn's SGDOptimizer,
    of the entries ``span = (start, stop)`` of the flat vectors.

    The L2 gradient ``l2 * w`` is added here (fused, to save a pass over the
    weights) and the decoupled weight decay multiplies the weights by
    ``shrink`` first; intercepts pass ``l2 = 0, shrink = 1``.  ``step_sizes``
    receives each coordinate's step size for the proximal steps:
    ``lr / (1 - momentum)``, the step that the velocity takes once it has
    settled (``v = -lr g / (1 - momentum)``, with or without Nesterov).  With
    ``lr`` alone a fixed point would minimize the data loss plus only
    ``(1 - momentum)`` times the L1 and group terms.  Without proximal steps
    it is empty, and nothing is stored (a write per weight saved; one
    signature either way).
    """
    # Loops over slices from 0: a non-constant start keeps Numba's
    # negative-index check in the loop, and the loop then does not vectorize.
    lo, hi = span
    p, g_, vel = params[lo:hi], grads[lo:hi], velocity[lo:hi]
    momentum = settings.momentum
    tiny = np.finfo(params.dtype).tiny
    if step_sizes.shape[0] == 0:
        for k in range(p.shape[0]):
            sgd_coordinate(p, g_, vel, k, l2, shrink, lr, momentum, settings.nesterov, tiny)
        return
    st = step_sizes[lo:hi]
    # momentum = 1 (allowed, as in scikit-learn) never settles: plain lr then.
    prox_step = lr / (1.0 - momentum) if momentum < 1.0 else lr
    for k in range(p.shape[0]):
        sgd_coordinate(p, g_, vel, k, l2, shrink, lr, momentum, settings.nesterov, tiny)
        st[k] = prox_step


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def sgd_coordinate(p, g_, vel, k, l2, shrink, lr, momentum, nesterov, tiny):
    """``sgd_step``'s update of coordinate k."""
    g = g_[k] + l2 * p[k]
    v = flush_subnormal(momentum * vel[k] - lr * g, tiny)
    vel[k] = v
    update = momentum * v - lr * g if nesterov else v
    p[k] = p[k] * shrink + update


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def adam_step(params, grads, m, v, step_sizes, span, l2, shrink, lr, settings, t):
    """One Adam update, as scikit-learn's AdamOptimizer (time step ``t`` >=
    1), of the entries ``span = (start, stop)``; ``l2`` and ``shrink`` as in
    ``sgd_step`` (weight decay as AdamW: the schedule's rate ``lr``, not
    ``lr_t``).  ``step_sizes[k]`` receives the per-coordinate step
    ``lr_t / (sqrt(v_k) + eps)`` for the proximal steps (empty: not stored)."""
    lo, hi = span  # slices from 0, as in sgd_step, so that the loop vectorizes
    p, g_, m_, v_ = params[lo:hi], grads[lo:hi], m[lo:hi], v[lo:hi]
    beta1, beta2, eps = settings.beta_1, settings.beta_2, settings.epsilon
    lr_t = lr * np.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
    tiny = np.finfo(params.dtype).tiny
    if step_sizes.shape[0] == 0:
        for k in range(p.shape[0]):
            adam_coordinate(p, g_, m_, v_, k, l2, shrink, lr_t, beta1, beta2, eps, tiny)
        return
    st = step_sizes[lo:hi]
    for k in range(p.shape[0]):
        st[k] = adam_coordinate(p, g_, m_, v_, k, l2, shrink, lr_t, beta1, beta2, eps, tiny)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def adam_coordinate(p, g_, m_, v_, k, l2, shrink, lr_t, beta1, beta2, eps, tiny):
    """``adam_step``'s update of coordinate k; returns its step size."""
    g = g_[k] + l2 * p[k]
    m_k = flush_subnormal(beta1 * m_[k] + (1.0 - beta1) * g, tiny)
    v_k = flush_subnormal(beta2 * v_[k] + (1.0 - beta2) * g * g, tiny)
    m_[k] = m_k
    v_[k] = v_k
    step = lr_t / (np.sqrt(v_k) + eps)
    p[k] = p[k] * shrink - step * m_k
    return step


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def flush_subnormal(x, tiny):
    """x, or 0 where |x| < tiny (the smallest normal number of the dtype).

    The moments of a weight whose gradient stays 0 (a dead relu unit) decay
    geometrically into the subnormal range, where arithmetic is ~100x slower;
    float32 gets there within a few epochs.  Zero is what they tend to.
    """
    return x if abs(x) >= tiny else 0.0 * x


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def update_span(params, grads, moments, step_sizes, span, l2, shrink, lr, settings, t):
    """The solver's update of the entries ``span`` of the flat vectors;
    ``moments`` is SGD's velocity (row 0) or Adam's two moments (rows 0, 1)."""
    if settings.solver == SOLVER_ADAM:
        adam_step(
            params, grads, moments[0], moments[1], step_sizes, span, l2, shrink, lr, settings, t
        )
    else:
        sgd_step(params, grads, moments[0], step_sizes, span, l2, shrink, lr, settings)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def optimizer_step(params, grads, moments, step_sizes, units, reg, extra, settings, lr, t):
    """Optimizer update with the penalty's smooth gradient (``grads`` holds
    the data loss's only), then the proximal steps and the max-norm
    projection (without ``extra``, the L1 step alone), at learning rate
    ``lr`` and time step ``t``.  Each weight matrix is one span with its own
    strengths; the intercepts are one span, neither penalized nor decayed."""
    coef_start, intercept_start = layer_offsets(units)
    shrink = 1.0 - lr * reg.weight_decay
    if extra is not None and extra.l1_subgradient:
        # np.bool_: a plain bool, where False would be a literal with a
        # compiled signature of its own (objective_and_gradient passes True)
        add_penalty_gradient(params, grads, units, extra, np.bool_(False))
    for l in range(units.shape[0] - 1):
        span = (coef_start[l], coef_start[l + 1])
        update_span(params, grads, moments, step_sizes, span, reg.l2[l], shrink, lr, settings, t)
    span = (intercept_start[0], intercept_start[-1])
    update_span(params, grads, moments, step_sizes, span, 0.0, 1.0, lr, settings, t)
    if extra is not None and extra.skip:
        # Theta, after the intercepts: penalized and decayed as a weight matrix
        span = (intercept_start[-1], params.shape[0])
        update_span(
            params, grads, moments, step_sizes, span, extra.skip_l2, shrink, lr, settings, t
        )
    # Step sizes are stored where a proximal step runs: the L1 step then
    # runs in either epoch (in the plain one it is the only step), unless L1
    # is a subgradient term.
    if step_sizes.shape[0] > 0 and not reg.l1_subgradient:
        prox_l1(params, step_sizes, units, reg)
    if extra is not None:
        if extra.skip and not extra.l1_subgradient:
            prox_skip(params, step_sizes, units, extra)
        prox_group(params, step_sizes, units, extra)
        if extra.hierarchy > 0.0:
            prox_hierarchy(params, step_sizes, units, extra)
        apply_max_norm(params, units, extra)


# --------------------------------------------------------------------------
# Whole epoch and full-batch objective
# --------------------------------------------------------------------------


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
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


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def train_epoch(inputs, Y, sw, order, params, moments, units, reg, extra, settings, epoch, t):
    """One pass of minibatch training over the rows ``order`` of an input
    matrix, its targets Y and sample weights sw, at the learning rate and
    with the seed of ``epoch``.

    ``extra`` is ``reg`` when a regularizer other than L2, weight decay and
    a proximal L1 term is used, else None (see the module docstring).  ``moments`` is the
    optimizer's state (see ``update_span``), updated in place; ``t`` is the
    number of optimizer updates taken so far (Adam's time step).  Returns
    ``(sum_i sw_i * loss_i over the epoch, new t)``; the penalty is not
    included.

    Nothing here checks shapes or indices: ``skreg._training`` checks that
    the arrays agree with ``units`` and with each other before calling, and
    the estimators validate the data (``skreg._validation``) before that.
    """
    return epoch_pass(
        inputs,
        Y,
        sw,
        order,
        params,
        moments,
        units,
        reg,
        extra,
        settings,
        epoch.learning_rate,
        epoch.seed,
        t,
    )


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy", inline="always")
def epoch_pass(inputs, Y, sw, order, params, moments, units, reg, extra, settings, lr, seed, t):
    """The body of ``train_epoch`` (its arguments, the ``Epoch`` record's
    fields apart), shared with ``train_epochs``.  Buffers are allocated once
    here, before the batch loop."""
    n_samples = order.shape[0]
    batch = min(settings.batch_size, n_samples)
    n_weights = units.shape[0] - 1
    n_out = units[n_weights]
    seed_generator(seed)

    batch_buffers = allocate_batch_buffers(inputs, order, batch, units[0])
    acts, derivs, deltas = allocate_layer_buffers(units, batch, params)
    grads = np.empty_like(params)
    # Only the proximal steps read the step sizes: without them the buffer is
    # empty, and the optimizer stores none.
    with_steps = extra is not None or proximal_l1(reg)
    step_sizes = np.empty(params.shape[0] if with_steps else 0, params.dtype)
    sw_flat = np.empty(batch, sw.dtype)
    Y_flat = np.empty(batch * n_out, Y.dtype)
    _, intercept_start = layer_offsets(units)
    b_out = params[intercept_start[n_weights - 1] : intercept_start[n_weights]]

    total_loss = 0.0
    for start in range(0, n_samples, batch):
        stop = min(start + batch, n_samples)
        n = stop - start
        Xb = gather_batch(inputs, order, start, stop, batch_buffers)
        if extra is not None:
            perturb_batch(Xb, extra.dropout[0], extra.input_noise)
        Z_out = forward_train(Xb, params, units, settings, extra, acts, derivs, n)
        if extra is not None and extra.skip:
            add_skip(Xb, params, units, Z_out, deltas[n_weights - 1])
        sw_batch = sw_flat[:n]
        Yb = rows_view(Y_flat, n, n_out)
        sw_total = 0.0
        for r in range(n):
            sw_batch[r] = sw[order[start + r]]
            sw_total += sw_batch[r]
            for j in range(n_out):  # element by element (module docstring)
                Yb[r, j] = Y[order[start + r], j]
        delta_out = rows_view(deltas[n_weights - 1], n, n_out)
        total_loss += loss_and_output_delta(
            Z_out, b_out, Yb, sw_batch, sw_total, settings.loss, delta_out
        )
        backward(Xb, params, units, acts, derivs, deltas, grads, n)
        if extra is not None and extra.skip:
            skip_gradient(Xb, grads, units, delta_out)
        t += 1
        optimizer_step(params, grads, moments, step_sizes, units, reg, extra, settings, lr, t)
    return total_loss, t


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def train_epochs(inputs, Y, sw, orders, seeds, params, moments, units, reg, extra, settings, run):
    """Epoch after epoch of ``train_epoch``, epoch e over the rows
    ``orders[e]`` with the seed ``seeds[e]``, at ``run.learning_rate`` from
    time step ``run.t``, each followed by the trainer's end-of-epoch rules
    (``skreg._training``): the objective J (the epoch's data loss over
    ``run.sw_total``, plus the penalty of the weights at the end) goes into
    ``run.curve[e]``; above ``run.limit`` or not finite, training has
    diverged; else the stopping rule counts the epochs without an
    improvement of ``run.tol`` (``run.unsettled`` epochs first go
    uncounted), and stops when they are more than ``run.n_iter_no_change``.

    Returns ``(epochs run, new t, STOP_*, best objective, epochs without
    improvement, unsettled epochs left)``: what the trainer needs to go on
    as if it had run the epochs one by one.
    """
    t = run.t
    best, count, unsettled = run.best_loss, run.no_improvement_count, run.unsettled
    for e in range(orders.shape[0]):
        loss, t = epoch_pass(
            inputs,
            Y,
            sw,
            orders[e],
            params,
            moments,
            units,
            reg,
            extra,
            settings,
            run.learning_rate,
            seeds[e],
            t,
        )
        objective = loss / run.sw_total if run.sw_total > 0 else 0.0
        objective += penalty_value(params, units, reg)
        if extra is not None:
            objective += skip_penalty_value(params, units, extra)
        run.curve[e] = objective
        if not np.isfinite(objective) or objective > run.limit:
            return e + 1, t, STOP_DIVERGED, best, count, unsettled
        if unsettled > 0:
            unsettled -= 1
        else:
            count = count + 1 if objective > best - run.tol else 0
            best = min(best, objective)
        if count > run.n_iter_no_change:
            return e + 1, t, STOP_CONVERGED, best, count, unsettled
    return orders.shape[0], t, STOP_NONE, best, count, unsettled


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def objective_and_gradient(inputs, Y, sw, params, units, reg, settings, grads):
    """Full-batch objective J and its gradient (smooth part), for L-BFGS and
    for the gradient checks.

    J includes every penalty term; ``grads`` receives the gradient of the data
    loss plus the L2 part (plus the L1 subgradient when
    ``reg.l1_subgradient``).  No dropout or noise is applied.  Rows go in
    blocks of ``BLOCK_ROWS`` so that memory does not grow with n_samples.

    As ``train_epoch``, this trusts its caller for consistent shapes.
    """
    n_samples = Y.shape[0]
    n_weights = units.shape[0] - 1
    n_out = units[n_weights]
    block = min(BLOCK_ROWS, n_samples)
    acts, derivs, deltas = allocate_layer_buffers(units, block, params)
    block_grads = np.empty_like(params)
    sw_total = 0.0
    for i in range(n_samples):
        sw_total += sw[i]

    grads[:] = 0.0
    data_loss = 0.0
    _, intercept_start = layer_offsets(units)
    b_out = params[intercept_start[n_weights - 1] : intercept_start[n_weights]]
    for start in range(0, n_samples, block):
        stop = min(start + block, n_samples)
        n = stop - start
        Xb = input_row_block(inputs, start, stop)
        Z_out = forward_train(Xb, params, units, settings, None, acts, derivs, n)
        add_skip(Xb, params, units, Z_out, deltas[n_weights - 1])
        delta_out = rows_view(deltas[n_weights - 1], n, n_out)
        data_loss += loss_and_output_delta(
            Z_out,
            b_out,
            Y[start:stop],
            sw[start:stop],
            sw_total,
            settings.loss,
            delta_out,
        )
        backward(Xb, params, units, acts, derivs, deltas, block_grads, n)
        skip_gradient(Xb, block_grads, units, delta_out)
        grads += block_grads
    add_penalty_gradient(params, grads, units, reg, np.bool_(True))  # see optimizer_step
    data_loss = data_loss / sw_total if sw_total > 0 else 0.0
    return data_loss + penalty_value(params, units, reg) + skip_penalty_value(params, units, reg)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def removed_rows_gradient(inputs, removed, Y, sw, params, units, settings, left_out, checks):
    """The data gradients that decide whether the weights a fit has left out
    (the rows of W_1 of removed input features, the outgoing rows of removed
    hidden units; all zero) must come back, on every row of the data.

    ``inputs``, ``params`` and ``units`` are the network without what was
    removed, ``removed`` the input matrix of the removed features' columns
    (same rows), ``left_out`` the ``RemovedUnits`` record of the removed
    hidden units.  With delta_l the gradient of the weighted mean data loss
    with respect to weight layer l's output (one row per sample), the
    ``ActiveSetChecks`` record ``checks`` receives:

    * ``inputs_gradient`` <- ``removed.T @ delta_0``, the removed features'
      rows' gradient, and ``inputs_scatter[j]`` <- ``sum_i x_ij^2
      ||delta_0[i]||^2``, what its squared norm owes to sampling;
    * ``units_gradient`` <- ``A.T @ delta_l`` for the removed units of each
      hidden layer l, whose activations A are computed from layer l - 1's
      (they add nothing to layer l + 1: their outgoing rows are zero), and
      ``units_scatter[j]`` <- ``sum_i a_ij^2 ||delta_l[i]||^2``.

    Passes in blocks of ``BLOCK_ROWS`` rows.  For the active set
    (``skreg._active_set``); as ``train_epoch``, this trusts its caller for
    consistent shapes.
    """
    n_samples = Y.shape[0]
    n_weights = units.shape[0] - 1
    n_out = units[n_weights]
    block = min(BLOCK_ROWS, n_samples)
    acts, derivs, deltas = allocate_layer_buffers(units, block, params)
    block_grads = np.empty_like(params)
    inputs_gradient, inputs_scatter = checks.inputs_gradient, checks.inputs_scatter
    units_gradient, units_scatter = checks.units_gradient, checks.units_scatter
    block_out = np.empty_like(inputs_gradient)
    # scratch for the removed units' activations and gradient, per block
    most = max(left_out.counts.max(), 1)
    unit_acts = np.empty(block * most, dtype=params.dtype)
    unit_grads = np.empty(most * units[1:].max(), dtype=params.dtype)
    sw_total = 0.0
    for i in range(n_samples):
        sw_total += sw[i]
    inputs_gradient[:] = 0.0
    inputs_scatter[:] = 0.0
    units_gradient[:] = 0.0
    units_scatter[:] = 0.0
    _, intercept_start = layer_offsets(units)
    b_out = params[intercept_start[n_weights - 1] : intercept_start[n_weights]]
    for start in range(0, n_samples, block):
        stop = min(start + block, n_samples)
        n = stop - start
        Xb = input_row_block(inputs, start, stop)
        Z_out = forward_train(Xb, params, units, settings, None, acts, derivs, n)
        delta_out = rows_view(deltas[n_weights - 1], n, n_out)
        loss_and_output_delta(
            Z_out, b_out, Y[start:stop], sw[start:stop], sw_total, settings.loss, delta_out
        )
        backward(Xb, params, units, acts, derivs, deltas, block_grads, n)
        first_delta = rows_view(deltas[0], n, units[1])
        removed_block = input_row_block(removed, start, stop)
        input_transpose_times(removed_block, first_delta, block_out)
        inputs_gradient += block_out
        add_squared_contributions(removed_block, first_delta, inputs_scatter)
        add_removed_units_rows(
            Xb, acts, deltas, units, settings, left_out, checks, unit_acts, unit_grads, n
        )


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def add_removed_units_rows(inputs, acts, deltas, units, settings, left_out, checks, A_, G_, n):
    """For each hidden layer l's removed units, on a block of n rows: their
    activations A from layer l - 1's (the block's inputs for l = 1), then
    ``A.T @ delta_l`` added to ``checks.units_gradient`` and ``sum_i
    a_ij^2 ||delta_l[i]||^2`` to ``checks.units_scatter``.  ``A_`` and ``G_``
    are scratch, at least n * max(counts) and max(counts) * max(units[1:])
    long."""
    gradient, scatter = checks.units_gradient, checks.units_scatter
    w_at, b_at, g_at = 0, 0, 0
    for l in range(1, units.shape[0] - 1):
        k = left_out.counts[l]
        if k == 0:
            continue
        W = left_out.weights[w_at : w_at + units[l - 1] * k].reshape((units[l - 1], k))
        A = rows_view(A_, n, k)
        if l == 1:
            input_times(inputs, W, A)
        else:
            np.dot(rows_view(acts[l - 2], n, units[l - 1]), W, A)
        b = left_out.intercepts[b_at : b_at + k]
        add_bias_and_activate(A, b, settings.activation, settings.activation_slope)
        delta = rows_view(deltas[l], n, units[l + 1])
        G = rows_view(G_, k, units[l + 1])
        np.dot(A.T, delta, G)
        for e in range(k * units[l + 1]):
            gradient[g_at + e] += G_[e]
        for i in range(n):
            size = 0.0
            for c in range(delta.shape[1]):
                size += delta[i, c] * delta[i, c]
            for j in range(k):
                scatter[b_at + j] += A[i, j] * A[i, j] * size
        w_at += units[l - 1] * k
        b_at += k
        g_at += k * units[l + 1]


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def coast(params, moments, units, reg, settings, lr, n_steps, t):
    """``n_steps`` optimizer steps (``optimizer_step``, with ``reg``'s terms),
    from time step ``t``, with a zero data gradient: what minibatch training
    does to parameters whose data gradient is zero.  For the active set
    (``skreg._active_set``), which passes the incoming weights and the
    intercepts of the hidden units it leaves out as a one-layer network."""
    grads = np.empty_like(params)
    step_sizes = np.empty_like(params)
    for _ in range(n_steps):
        t += 1
        grads[:] = 0.0
        optimizer_step(params, grads, moments, step_sizes, units, reg, reg, settings, lr, t)


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def add_squared_contributions(inputs, delta, noise):
    """noise[j] += sum_i x_ij^2 ||delta[i]||^2 over the rows of an input
    matrix X (delta.shape[0] rows)."""
    dense, data, indices, indptr = inputs
    for i in range(delta.shape[0]):
        size = 0.0
        for k in range(delta.shape[1]):
            size += delta[i, k] * delta[i, k]
        if is_sparse(inputs):
            for p in range(indptr[i], indptr[i + 1]):
                noise[indices[p]] += data[p] * data[p] * size
        else:
            for j in range(dense.shape[1]):
                noise[j] += dense[i, j] * dense[i, j] * size


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def data_loss(inputs, Y, sw, params, units, settings):
    """The weighted mean data loss of the network on every row of an input
    matrix (no penalty, no dropout), for validation data; forward passes only,
    in blocks of ``BLOCK_ROWS`` rows.  As ``train_epoch``, this trusts its
    caller for consistent shapes."""
    n_samples = Y.shape[0]
    n_weights = units.shape[0] - 1
    n_out = units[n_weights]
    block = min(BLOCK_ROWS, n_samples)
    acts, derivs, deltas = allocate_layer_buffers(units, block, params)
    sw_total = 0.0
    for i in range(n_samples):
        sw_total += sw[i]
    total = 0.0
    _, intercept_start = layer_offsets(units)
    b_out = params[intercept_start[n_weights - 1] : intercept_start[n_weights]]
    for start in range(0, n_samples, block):
        stop = min(start + block, n_samples)
        n = stop - start
        Xb = input_row_block(inputs, start, stop)
        Z_out = forward_train(Xb, params, units, settings, None, acts, derivs, n)
        add_skip(Xb, params, units, Z_out, deltas[n_weights - 1])
        scratch = rows_view(deltas[n_weights - 1], n, n_out)
        total += loss_and_output_delta(
            Z_out, b_out, Y[start:stop], sw[start:stop], sw_total, settings.loss, scratch
        )
    return total / sw_total if sw_total > 0 else 0.0


@njit(cache=DISK_CACHE, nogil=True, error_model="numpy")
def seed_generator(seed):
    """Seed Numba's own generator (dropout masks, input noise) in this thread:
    it is per thread, so fits running side by side do not disturb each
    other's draws."""
    np.random.seed(seed)
