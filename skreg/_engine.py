"""The engine: every call into the compiled kernels, on plain arrays and records.

Estimators, the trainer, paths, held-out scoring, pruning and the active set
reach the kernels of ``skreg._kernels`` only through the functions below.
They take the flat parameter vector (``skreg._network``), the layer widths,
the input matrices, 2-D targets and sample weights as arrays, and the
``Regularization`` and ``Settings`` records built by ``skreg._config``; the
optimizer state goes in as an ``OptimizerState`` value and comes back as
one.  The engine also sets the BLAS threads around its calls
(``skreg._threads``).  A second backend (a GPU, another set of CPU kernels)
implements these functions with the same arguments; see docs/design.rst,
"Adding a backend".
"""

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from . import _config as C
from . import _kernels as K
from . import _network
from ._threads import BlasThreads, threads_for_prediction

# Rows a full-batch call (objective, prediction) handles at once: its buffers
# do not grow with the number of samples.
BLOCK_ROWS = K.BLOCK_ROWS


class TrainingData(NamedTuple):
    """Rows to train on: an input matrix as the kernels take it, the 2-D
    targets and the sample weights, all in the parameters' dtype."""

    inputs: tuple
    Y: np.ndarray
    sample_weight: np.ndarray

    @property
    def n_samples(self):
        return self.Y.shape[0]


def training_data(X, Y, sample_weight, dtype):
    """``TrainingData`` of X (dense or CSR/CSC), Y and the weights, in ``dtype``."""
    return TrainingData(
        C.input_matrix(X, dtype), C.writeable(Y, dtype), C.writeable(sample_weight, dtype)
    )


@dataclass
class OptimizerState:
    """What a stochastic solver carries from one epoch (or call) to the next:
    the moments (SGD's velocity in row 0; Adam's first and second moments in
    rows 0 and 1), the number of updates taken (Adam's time step) and the
    schedule's current learning rate."""

    moments: np.ndarray
    n_updates: int
    learning_rate: float

    @classmethod
    def fresh(cls, params, learning_rate, n_moments):
        """Zero moments (``n_moments`` arrays, from the solver table), no update yet."""
        moments = np.zeros((n_moments, params.shape[0]), dtype=params.dtype)
        return cls(moments, 0, float(learning_rate))


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def train_epoch(data, order, params, units, reg, settings, state, seed=0):
    """One epoch of minibatch updates over the rows of ``data`` in ``order``.

    ``params`` and ``state.moments`` are updated in place; returns the data
    loss summed over the epoch's batches (weighted, not yet divided by the
    weights' sum) and the state after the epoch (its update count advanced).
    ``seed`` seeds the epoch's dropout masks and input noise."""
    loss, n_updates = K.train_epoch(
        data.inputs,
        data.Y,
        data.sample_weight,
        order,
        params,
        state.moments,
        units,
        reg,
        C.extra_terms(reg),
        settings,
        C.epoch(state.learning_rate, seed),
        state.n_updates,
    )
    return loss, replace(state, n_updates=n_updates)


class EpochsEnd(NamedTuple):
    """How a run of ``train_epochs`` ended."""

    curve: np.ndarray  # the objective J after each epoch run
    reason: str  # "ran out" (every epoch ran), "converged" or "diverged"
    best_loss: float  # the stopping rule's state after the last epoch run
    no_improvement_count: int
    unsettled_epochs: int


STOP_REASONS = {K.STOP_NONE: "ran out", K.STOP_CONVERGED: "converged", K.STOP_DIVERGED: "diverged"}


def train_epochs(data, orders, seeds, params, units, reg, settings, state, stopping, limit):
    """Epochs of ``train_epoch`` in one call, epoch e over the rows
    ``orders[e]`` (a 2-D int64 array) with the seed ``seeds[e]``, at the
    constant ``state.learning_rate``, each followed by the trainer's
    end-of-epoch rules: the objective J (the epoch's mean data loss plus the
    penalty at its end), the divergence check (J not finite or above
    ``limit``) and the stopping rule, whose settings and state at the start
    ``stopping`` gives as ``(tol, n_iter_no_change, best_loss,
    no_improvement_count, unsettled_epochs)`` (see ``skreg._training``).
    The first epoch that diverges or fires the rule is the last one run.

    ``params`` and ``state.moments`` are updated in place; returns an
    ``EpochsEnd`` and the state after the last epoch run."""
    sw_total = float(np.sum(data.sample_weight, dtype=np.float64))
    run = C.epoch_run(
        state.learning_rate, state.n_updates, sw_total, limit, stopping, orders.shape[0]
    )
    n_run, n_updates, reason, best, count, unsettled = K.train_epochs(
        data.inputs,
        data.Y,
        data.sample_weight,
        orders,
        seeds,
        params,
        state.moments,
        units,
        reg,
        C.extra_terms(reg),
        settings,
        run,
    )
    end = EpochsEnd(run.curve[:n_run], STOP_REASONS[reason], best, count, unsettled)
    return end, replace(state, n_updates=n_updates)


def objective_and_gradient(data, params, units, reg, settings, grads):
    """The objective J (mean data loss plus penalty) at ``params``, with its
    gradient written into ``grads``."""
    return K.objective_and_gradient(
        data.inputs, data.Y, data.sample_weight, params, units, reg, settings, grads
    )


def objective(data, params, units, reg, settings):
    """The objective J at ``params`` (left unchanged)."""
    grads = np.empty_like(params)
    return float(objective_and_gradient(data, params.copy(), units, reg, settings, grads))


def data_gradient(data, params, units, settings):
    """The gradient of the mean data loss (no penalty) at ``params`` (left
    unchanged), over every row of ``data``, in ``params``' layout and dtype.

    Taken with the epoch kernel, which every fit compiles anyway, rather than
    with ``objective_and_gradient``, which only L-BFGS needs: a first CV fit
    in a fresh environment would compile that kernel (about 3 s) for the one
    gradient its automatic grid starts from.  One update of plain SGD (no
    momentum, no penalty, learning rate 1) over a batch moves the parameters
    by minus the batch's gradient, so the gradient is what the update
    subtracted, up to rounding of about ``eps * |params|``.  Rows go in
    blocks of ``BLOCK_ROWS`` (one batch each, so that no buffer grows with
    the number of samples), weighted by their share of the sample weights.
    Built on ``train_epochs``: not a function a backend implements."""
    n_weights = len(units) - 1
    skip = _network.skip_view(params, units) is not None
    reg = C.regularization(n_weights, penalty=None, skip_connection=skip)
    sw = data.sample_weight
    sw_total = float(np.sum(sw, dtype=np.float64))
    # One epoch of one batch per block (a shorter last block is a batch of
    # its own length), each from a fresh optimizer state.
    sgd = settings._replace(
        solver=K.SOLVER_SGD, momentum=0.0, nesterov=False, batch_size=BLOCK_ROWS
    )
    seeds = np.zeros(1, dtype=np.int64)
    no_stopping = (0.0, np.inf, np.inf, 0, 0)
    gradient = np.zeros(params.shape[0], dtype=np.float64)
    for start in range(0, data.n_samples, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, data.n_samples)
        share = float(np.sum(sw[start:stop], dtype=np.float64)) / sw_total if sw_total else 0.0
        if share == 0.0:
            continue  # rows that weigh nothing add nothing (and their batch steps 0)
        moved = params.copy()
        orders = np.arange(start, stop, dtype=np.int64)[None, :]
        state = OptimizerState.fresh(params, 1.0, 1)
        train_epochs(data, orders, seeds, moved, units, reg, sgd, state, no_stopping, np.inf)
        gradient += share * (params - moved)
    return gradient.astype(params.dtype, copy=False)


def data_loss(data, params, units, settings):
    """The mean data loss of the network on ``data``."""
    return K.data_loss(data.inputs, data.Y, data.sample_weight, params, units, settings)


def penalty_value(params, units, reg):
    """The value of the penalty terms of ``reg`` at ``params``."""
    value = K.penalty_value(params, units, reg)
    return value + K.skip_penalty_value(params, units, reg) if reg.skip else value


def zero_network_loss(data, settings, output=None):
    """The mean data loss of the network whose every weight is zero and whose
    output layer's intercept is ``output`` (one value per output; None: zero,
    and every intercept is), so that its outputs are the link of ``output``
    for every row: a constant network's loss (``skreg._constant_model``).
    O(n_samples * n_outputs)."""
    n, m = data.Y.shape
    zeros = np.zeros((n, m), dtype=data.Y.dtype)
    intercept = zeros[0] if output is None else np.asarray(output, dtype=data.Y.dtype)
    sw_total = float(np.sum(data.sample_weight, dtype=np.float64))
    weighted = K.loss_and_output_delta(
        zeros, intercept, data.Y, data.sample_weight, sw_total, settings.loss, np.empty_like(zeros)
    )
    return weighted / sw_total if sw_total > 0 else 0.0


def blas_threads(units, batch_rows):
    """The BLAS thread policy of a training run over products of
    ``batch_rows`` rows (a ``BlasThreads`` context, updated each epoch)."""
    return BlasThreads(units, batch_rows)


# --------------------------------------------------------------------------
# Prediction and activations
# --------------------------------------------------------------------------


def predict(row_chunks, n_rows, params, units, settings):
    """The output layer's values for ``n_rows`` rows, handed over as
    ``(rows, X_rows)`` chunks (dense or CSR/CSC ``X_rows``)."""
    out = np.empty((n_rows, units[-1]), dtype=params.dtype)
    skip = _network.skip_view(params, units)  # None: the kernel compiled without it
    with threads_for_prediction(units, n_rows, BLOCK_ROWS):
        for rows, X_rows in row_chunks:
            inputs = C.input_matrix(X_rows, params.dtype)
            K.predict(inputs, params, units, settings, out[rows], skip)
    return out


def hidden_activation(values, settings):
    """The hidden activation of ``settings`` applied to a 1-D array."""
    b = np.ascontiguousarray(values)
    out = np.zeros((1, b.shape[0]), dtype=b.dtype)
    if b.shape[0]:
        K.add_bias_and_activate(out, b, settings.activation, settings.activation_slope)
    return out[0]


# --------------------------------------------------------------------------
# The active set's kernels (skreg._active_set)
# --------------------------------------------------------------------------


def coast(params, moments, units, reg, settings, learning_rate, n_steps, n_updates):
    """Replay ``n_steps`` optimizer updates with a zero data gradient on a
    one-layer network (``params`` and ``moments`` updated in place), from
    update ``n_updates`` on."""
    K.coast(params, moments, units, reg, settings, learning_rate, n_steps, n_updates)


def removed_rows_gradient(kept, removed, Y, sample_weight, params, units, settings, left_out):
    """The data gradient of the rows the active set left out, and its
    scatter, on a sample: ``kept`` and ``removed`` are that sample's input
    columns kept and removed (arrays or CSR), ``params`` the network without
    the left-out units, ``left_out`` their ``RemovedUnits`` record
    (``skreg._config.removed_units``).  Returns an ``ActiveSetChecks``."""
    dtype = params.dtype
    n_removed_inputs = removed.shape[1]
    checks = K.ActiveSetChecks(
        inputs_gradient=np.empty((n_removed_inputs, units[1]), dtype=dtype),
        inputs_scatter=np.empty(n_removed_inputs, dtype=dtype),
        units_gradient=np.empty(int(np.sum(left_out.counts[1:] * units[2:])), dtype=dtype),
        units_scatter=np.empty(left_out.intercepts.size, dtype=dtype),
    )
    K.removed_rows_gradient(
        C.input_matrix(kept, dtype),
        C.input_matrix(removed, dtype),
        C.writeable(Y, dtype),
        C.writeable(sample_weight, dtype),
        params,
        units,
        settings,
        left_out,
        checks,
    )
    return checks
