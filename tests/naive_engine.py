"""A second engine: the functions of ``skreg._engine`` in plain NumPy.

Built on the references of ``naive.py`` (activations, losses and their
output deltas, the penalty's value and gradient, the SGD and Adam steps, the
L1 and group proxes, the max-norm projection), with the arguments and results
of the real engine (docs/design.rst, "Adding a backend"): the flat parameter
vector and optimizer moments updated in place, the records of
``skreg._config`` read field by field.  Slow, float64 inside; it exists to
show that everything above the engine (estimators, trainer, paths, CV)
reaches the kernels only through it: ``tests/test_engine_seam.py`` trains
through both engines and compares the weights.

The forward and backward passes are written here (a few lines on top of
``naive.py``'s activations and losses) because they carry what the
references' passes do not: leaky_relu's slope and dropout masks.  Dropout
and input noise draw from ``np.random.RandomState(seed)`` in the kernels'
order (per batch: the gathered inputs' entries row by row, a normal draw
then a uniform draw each, then each hidden layer's units row by row), the
Mersenne Twister that Numba's ``np.random`` runs too.

The active set's kernels (``coast``, ``removed_rows_gradient``) are not
implemented: they raise NotImplementedError, and a fit that reaches them
(L1 or group lasso removing a quarter of a layer) fails loudly.

``install(monkeypatch)`` swaps the engine's functions for these (every
caller looks them up on the module ``skreg._engine`` at call time);
``CALLS`` counts the calls, by function name.
"""

from collections import Counter
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

import skreg._config as C
import skreg._engine as E

import naive as N

ACTIVATION_NAMES = {code: name for name, code in C.ACTIVATIONS.items()}
LOSS_NAMES = {code: name for name, code in C.OUTPUT_LOSSES.items()}
SOLVER_NAMES = {row.code: name for name, row in C.SOLVERS.items()}

CALLS = Counter()


# --------------------------------------------------------------------------
# Plain values from the engine's arguments
# --------------------------------------------------------------------------


def dense_inputs(inputs):
    """The kernels' input-matrix tuple ``(dense, data, indices, indptr)`` as
    a float64 array."""
    dense, data, indices, indptr = inputs
    if indptr.shape[0] == 0:
        return np.asarray(dense, dtype=np.float64)
    shape = (indptr.shape[0] - 1, dense.shape[1])
    return sp.csr_matrix((data, indices, indptr), shape=shape).toarray().astype(np.float64)


def stored_entries(inputs):
    """Where the input matrix stores an entry: everywhere for a dense one, the
    CSR structure's entries otherwise (explicit zeros included)."""
    dense, data, indices, indptr = inputs
    if indptr.shape[0] == 0:
        return np.ones(dense.shape, dtype=bool)
    ones = np.ones(data.shape[0])
    shape = (indptr.shape[0] - 1, dense.shape[1])
    return sp.csr_matrix((ones, indices, indptr), shape=shape).toarray() > 0


def network(params, units):
    """``(coefs, intercepts)`` of the flat vector, float64 copies."""
    return N.unpack(params, units)


def write(flat, pair):
    """Write a ``(coefs, intercepts)`` pair back into a flat vector, in place."""
    flat[:] = N.pack(*pair, dtype=flat.dtype)


def group_factors(reg):
    return reg.group_factors if reg.group_factors.shape[0] else None


def activation_of(settings):
    return ACTIVATION_NAMES[settings.activation], settings.activation_slope


# --------------------------------------------------------------------------
# Forward and backward passes (dropout masks optional)
# --------------------------------------------------------------------------


def forward(X, coefs, intercepts, settings, draw=None, rates=None):
    """Hidden activations and derivatives, and the output logits (intercept
    included).  With ``draw`` (a RandomState) hidden layer l's activations and
    derivatives are multiplied by an inverted-dropout mask of rate ``rates[l]``,
    drawn row by row after the layer is computed."""
    name, slope = activation_of(settings)
    A = X
    acts, derivs = [], []
    for l, (W, b) in enumerate(zip(coefs[:-1], intercepts[:-1])):
        Z = A @ W + b
        A = N.naive_activate(Z, name, slope)
        D = N.naive_activation_derivative(Z, name, slope)
        rate = 0.0 if rates is None else rates[l + 1]
        if rate > 0:
            keep = 1.0 - rate
            mask = np.where(draw.random_sample(A.shape) < keep, 1.0 / keep, 0.0)
            A, D = A * mask, D * mask
        acts.append(A)
        derivs.append(D)
    return acts, derivs, A @ coefs[-1] + intercepts[-1]


def data_gradient(X, Y, sw, coefs, intercepts, settings, draw=None, rates=None):
    """``(sum_i s_i loss_i, (grad_coefs, grad_intercepts))``: the weighted
    loss summed over the rows, and the gradient of the weighted mean loss."""
    loss = LOSS_NAMES[settings.loss]
    acts, derivs, logits = forward(X, coefs, intercepts, settings, draw, rates)
    total = float(np.sum(sw * N.naive_sample_losses(logits, Y, loss)))
    delta = N.naive_output_delta(logits, Y, sw, loss)
    inputs = [X] + acts
    grad_coefs, grad_intercepts = [None] * len(coefs), [None] * len(coefs)
    for l in range(len(coefs) - 1, -1, -1):
        grad_coefs[l] = inputs[l].T @ delta
        grad_intercepts[l] = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ coefs[l].T) * derivs[l - 1]
    return total, (grad_coefs, grad_intercepts)


def perturb(X, draw, drop_rate, noise_std, stored):
    """Input noise, then inverted input dropout, entry by entry in row-major
    order; ``stored`` marks the entries the input matrix stores (all of a
    dense one), the only ones that draw."""
    X = X.copy()
    keep = 1.0 - drop_rate
    for i, j in zip(*np.nonzero(stored)):
        x = X[i, j]
        if noise_std > 0:
            x += noise_std * draw.standard_normal()
        if drop_rate > 0:
            x = x / keep if draw.random_sample() < keep else 0.0 * x
        X[i, j] = x
    return X


def penalty_gradient(coefs, reg, subgradient):
    """The L2 part's gradient, plus the L1 subgradient when asked."""
    grads, _ = N.naive_penalty_gradient(coefs, alpha=reg.l2, rho=0.0)
    if subgradient:
        l1, _ = N.naive_penalty_gradient(coefs, alpha=reg.l1, rho=1.0, subgradient=True)
        grads = [a + b for a, b in zip(grads, l1)]
    return grads


# --------------------------------------------------------------------------
# The engine's functions
# --------------------------------------------------------------------------


def train_epoch(data, order, params, units, reg, settings, state, seed=0):
    CALLS["train_epoch"] += 1
    X, Y, sw = dense_inputs(data.inputs), data.Y.astype(np.float64), data.sample_weight
    sw = sw.astype(np.float64)
    stored = stored_entries(data.inputs)
    solver = SOLVER_NAMES[settings.solver]
    rates = reg.dropout
    draw = np.random.RandomState(seed) if C.needs_randomness(reg) else None
    pair = network(params, units)
    moments = [network(row, units) for row in state.moments]
    lr, t, total = state.learning_rate, state.n_updates, 0.0
    batch = min(settings.batch_size, order.shape[0])
    for start in range(0, order.shape[0], batch):
        rows = order[start : start + batch]
        Xb = X[rows]
        if draw is not None:
            Xb = perturb(Xb, draw, rates[0], reg.input_noise, stored[rows])
        loss, (gc, gi) = data_gradient(Xb, Y[rows], sw[rows], *pair, settings, draw, rates)
        total += loss
        gc = [g + p for g, p in zip(gc, penalty_gradient(pair[0], reg, reg.l1_subgradient))]
        t += 1
        if solver == "adam":
            pair, m, v, steps = N.naive_adam_step(
                pair,
                (gc, gi),
                moments[0],
                moments[1],
                t,
                lr,
                settings.beta_1,
                settings.beta_2,
                settings.epsilon,
                reg.weight_decay,
            )
            moments = [m, v]
        else:
            pair, velocity, steps = N.naive_sgd_step(
                pair,
                (gc, gi),
                moments[0],
                lr,
                settings.momentum,
                settings.nesterov,
                reg.weight_decay,
            )
            moments = [velocity]
        coefs, intercepts = pair
        if not reg.l1_subgradient:
            coefs = N.naive_prox_l1(coefs, steps, alpha=reg.l1, rho=1.0)
        coefs = N.naive_prox_group(coefs, steps, reg.group, group_factors(reg))
        coefs = N.naive_apply_max_norm(coefs, reg.max_norm)
        pair = (coefs, intercepts)
    write(params, pair)
    for row, moment in zip(state.moments, moments):
        write(row, moment)
    return total, replace(state, n_updates=t)


def train_epochs(data, orders, seeds, params, units, reg, settings, state, stopping, limit):
    """``train_epoch`` epoch after epoch, each followed by the objective,
    the divergence check and the stopping rule, written out in full."""
    sw_total = float(np.sum(data.sample_weight, dtype=np.float64))
    curve, reason = [], "ran out"
    for order, seed in zip(orders, seeds):
        loss, state = train_epoch(data, order, params, units, reg, settings, state, seed)
        objective = (loss / sw_total if sw_total > 0 else 0.0) + penalty_value(params, units, reg)
        curve.append(objective)
        ended, stopping = N.naive_epoch_end(objective, limit, stopping)
        if ended:
            reason = ended
            break
    _, _, best, count, unsettled = stopping
    return E.EpochsEnd(np.array(curve), reason, best, count, unsettled), state


def objective_and_gradient(data, params, units, reg, settings, grads):
    CALLS["objective_and_gradient"] += 1
    X, Y = dense_inputs(data.inputs), data.Y.astype(np.float64)
    sw = data.sample_weight.astype(np.float64)
    coefs, intercepts = network(params, units)
    loss, (gc, gi) = data_gradient(X, Y, sw, coefs, intercepts, settings)
    gc = [g + p for g, p in zip(gc, penalty_gradient(coefs, reg, reg.l1_subgradient))]
    write(grads, (gc, gi))
    sw_total = float(np.sum(sw))
    mean_loss = loss / sw_total if sw_total > 0 else 0.0
    return mean_loss + penalty_value(params, units, reg, count=False)


def objective(data, params, units, reg, settings):
    CALLS["objective"] += 1
    grads = np.empty_like(params)
    return float(objective_and_gradient(data, params.copy(), units, reg, settings, grads))


def data_loss(data, params, units, settings):
    CALLS["data_loss"] += 1
    sw = data.sample_weight.astype(np.float64)
    if not np.sum(sw) > 0:
        return 0.0
    coefs, intercepts = network(params, units)
    _, _, logits = forward(dense_inputs(data.inputs), coefs, intercepts, settings)
    return N.naive_weighted_loss(logits, data.Y, sw, LOSS_NAMES[settings.loss])


def penalty_value(params, units, reg, count=True):
    if count:
        CALLS["penalty_value"] += 1
    coefs, _ = network(params, units)
    return N.naive_penalty_value(coefs, alpha=reg.l1, rho=1.0) + N.naive_penalty_value(
        coefs, alpha=reg.l2, rho=0.0, group_alpha=reg.group, group_factors=group_factors(reg)
    )


def zero_network_loss(data, settings, output=None):
    CALLS["zero_network_loss"] += 1
    sw = data.sample_weight.astype(np.float64)
    if not np.sum(sw) > 0:
        return 0.0
    Z = np.zeros(data.Y.shape)
    if output is not None:
        Z += np.asarray(output, dtype=np.float64)
    return N.naive_weighted_loss(Z, data.Y, sw, LOSS_NAMES[settings.loss])


def predict(row_chunks, n_rows, params, units, settings):
    CALLS["predict"] += 1
    out = np.empty((n_rows, units[-1]), dtype=params.dtype)
    coefs, intercepts = network(params, units)
    for rows, X_rows in row_chunks:
        X = X_rows.toarray() if sp.issparse(X_rows) else np.asarray(X_rows)
        _, _, logits = forward(X.astype(np.float64), coefs, intercepts, settings)
        out[rows] = N.naive_output_transform(logits, LOSS_NAMES[settings.loss])
    return out


def hidden_activation(values, settings):
    CALLS["hidden_activation"] += 1
    name, slope = activation_of(settings)
    values = np.asarray(values)
    return N.naive_activate(values, name, slope).astype(values.dtype)


class NoThreads:
    """``blas_threads``: a context that leaves the BLAS threads alone."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, units=None):
        pass


def blas_threads(units, batch_rows):
    return NoThreads()


def coast(*args, **kwargs):
    raise NotImplementedError("the naive engine has no active set: coast")


def removed_rows_gradient(*args, **kwargs):
    raise NotImplementedError("the naive engine has no active set: removed_rows_gradient")


FUNCTIONS = (
    "train_epoch",
    "train_epochs",
    "objective_and_gradient",
    "objective",
    "data_loss",
    "penalty_value",
    "zero_network_loss",
    "predict",
    "hidden_activation",
    "blas_threads",
    "coast",
    "removed_rows_gradient",
)


def install(monkeypatch):
    """Swap every function of ``skreg._engine`` for this module's, for the
    rest of the test (``monkeypatch`` undoes it), and reset ``CALLS``."""
    CALLS.clear()
    module = globals()
    for name in FUNCTIONS:
        monkeypatch.setattr(E, name, module[name])
