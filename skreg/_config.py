"""Parameter values and data -> kernel arguments, in one place.

The kernels of ``skreg._kernels`` see no strings and no estimators: arrays,
integer codes and five named records, ``Regularization`` (what regularizes
a fit), ``Settings`` (network and solver, fixed for a fit), ``Epoch`` (what
changes between epochs), and the active set's ``RemovedUnits`` and
``ActiveSetChecks``.  This module holds the tables from parameter names to
codes (the solver table included), builds the records from plain values and
turns data into the arrays the kernels take; the engine (``skreg._engine``)
and the tests that call kernels directly build kernel arguments here.
"""

from collections.abc import Callable
from numbers import Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from . import _feature_groups as feature_blocks
from . import _kernels as K

# Hidden activations: the one table of their names (the estimators'
# ``activation`` parameter accepts exactly these keys).
ACTIVATIONS = {
    "identity": K.ACT_IDENTITY,
    "logistic": K.ACT_LOGISTIC,
    "tanh": K.ACT_TANH,
    "relu": K.ACT_RELU,
    "leaky_relu": K.ACT_LEAKY_RELU,
    "elu": K.ACT_ELU,
    "softplus": K.ACT_SOFTPLUS,
    "gelu": K.ACT_GELU,
}

# GELU's tanh approximation, as the kernels compute it (the ONNX export
# writes the same formula).
GELU_SCALE, GELU_CUBIC = K.GELU_SCALE, K.GELU_CUBIC

# Losses, each with its output activation (the canonical link), named as
# scikit-learn's ``out_activation_`` names them.
OUTPUT_LOSSES = {
    "identity": K.LOSS_SQUARED,  # half squared error
    "exp": K.LOSS_POISSON,  # half Poisson deviance
    "softmax": K.LOSS_MULTINOMIAL,  # multinomial log loss
    "logistic": K.LOSS_BINARY,  # one binary log loss per label
}

# penalty name -> rho, the L1 share of the alpha term (elasticnet: l1_ratio)
PENALTY_RHO = {"l2": 0.0, "l1": 1.0, None: 0.0}


# --------------------------------------------------------------------------
# Regularization
# --------------------------------------------------------------------------


def per_layer(value, n_layers, name, what="weight matrix"):
    """A float, or one float per layer, as a float64 array of ``n_layers``.

    Raises ValueError naming ``name`` when a sequence has the wrong length
    (one value per ``what`` is expected) or holds anything but finite numbers.
    """
    if isinstance(value, Real):
        return np.full(n_layers, float(value))
    try:
        values = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a float or a sequence of floats, got {value!r}."
        ) from None
    if values.ndim != 1 or values.shape[0] != n_layers:
        raise ValueError(
            f"{name} must be a float or a sequence with one value per {what} "
            f"({n_layers} values), got {value!r}."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    return values


def l1_share(penalty, l1_ratio):
    """rho of the objective: 0 for l2, 1 for l1, l1_ratio for elasticnet."""
    if penalty == "elasticnet":
        return float(l1_ratio)
    return PENALTY_RHO[penalty]


def regularization(
    n_weights,
    *,
    penalty="l2",
    alpha=0.0,
    l1_ratio=0.15,
    l1_method="proximal",
    group_alpha=0.0,
    group_weights=None,
    feature_groups=None,
    n_features=None,
    dropout=0.0,
    input_dropout=0.0,
    max_norm=None,
    weight_decay=0.0,
    input_noise=0.0,
    skip_connection=False,
    hierarchy=None,
    skip_alpha=0.0,
):
    """The ``Regularization`` record of a network with ``n_weights`` weight
    matrices, from the estimators' parameters (same names and meanings).

    ``alpha`` and ``group_alpha`` are a float or one value per weight matrix;
    ``dropout`` a float or one rate per hidden layer; ``feature_groups`` None
    or one block label per input feature (of which there are ``n_features``;
    ``skreg._feature_groups``, where ``"auto"`` is read from the data first);
    ``group_weights`` None or one positive factor per block (per input
    feature without blocks).  With ``skip_connection``, the skip's matrix
    Theta gets the L1 and L2 rates of the first weight matrix, the other
    matrix that reads the inputs; with ``hierarchy`` (M) as well, the group
    term of rate ``skip_alpha`` on its rows instead, and the hierarchy's
    constraint.
    """
    l1 = np.zeros(n_weights)
    l2 = np.zeros(n_weights)
    if penalty is not None:
        strength = per_layer(alpha, n_weights, "alpha")
        _check_non_negative(strength, "alpha")
        rho = l1_share(penalty, l1_ratio)
        l1 = strength * rho
        l2 = strength * (1.0 - rho)
    group = per_layer(group_alpha, n_weights, "group_alpha")
    _check_non_negative(group, "group_alpha")
    blocks, labels = feature_blocks.block_codes(feature_groups, n_features)
    n_blocks = n_features if labels is None else labels.shape[0]
    factors = group_factors(group_weights, n_blocks, blocks_given=labels is not None)

    # Entry 0 is the inputs' dropout; entry l >= 1 is hidden layer l's.
    rates = np.zeros(n_weights)
    rates[0] = input_dropout
    hidden_rates = per_layer(dropout, n_weights - 1, "dropout", "hidden layer")
    if np.any((hidden_rates < 0) | (hidden_rates >= 1)):
        raise ValueError(f"dropout must be in [0, 1) for every hidden layer, got {dropout!r}.")
    rates[1:] = hidden_rates
    bounds = np.zeros(n_weights) if max_norm is None else np.full(n_weights, float(max_norm))
    return K.Regularization(
        l1=l1,
        l2=l2,
        group=group,
        group_factors=factors,
        group_blocks=blocks,
        dropout=rates,
        max_norm=bounds,
        weight_decay=float(weight_decay),
        input_noise=float(input_noise),
        l1_subgradient=l1_method == "subgradient",
        skip=bool(skip_connection),
        skip_l1=0.0 if hierarchy is not None else float(l1[0]),
        skip_l2=0.0 if hierarchy is not None else float(l2[0]),
        skip_group=_checked_skip_alpha(skip_alpha, hierarchy),
        hierarchy=_checked_hierarchy(hierarchy, skip_connection),
    )


def _checked_hierarchy(hierarchy, skip_connection):
    """The hierarchy's M as the kernels take it (0: none)."""
    if hierarchy is None:
        return 0.0
    if isinstance(hierarchy, bool) or not isinstance(hierarchy, Real):
        raise ValueError(f"hierarchy must be None or a positive float, got {hierarchy!r}.")
    if not (np.isfinite(hierarchy) and hierarchy > 0):
        raise ValueError(
            f"hierarchy must be None or a positive finite float, got {hierarchy!r}: it is "
            "the factor M of the constraint |coefs_[0][j, k]| <= M ||skip_coef_[j]||."
        )
    if not skip_connection:
        raise ValueError(
            f"hierarchy={hierarchy!r} ties each feature's first-layer weights to its skip "
            "weights, and needs skip_connection=True."
        )
    return float(hierarchy)


def _checked_skip_alpha(skip_alpha, hierarchy):
    """The group rate on the skip's rows: ``skip_alpha``, which acts
    through the hierarchy's proximal step only."""
    rate = float(skip_alpha)
    if not (np.isfinite(rate) and rate >= 0):
        raise ValueError(f"skip_alpha must be a non-negative finite float, got {skip_alpha!r}.")
    if rate > 0 and hierarchy is None:
        raise ValueError(
            f"skip_alpha={skip_alpha!r} is the rate of the hierarchy's penalty on the skip "
            "weights and needs hierarchy (and skip_connection=True); without a hierarchy, "
            "alpha penalizes the skip weights."
        )
    return rate


def group_factors(group_weights, n_features, blocks_given=False):
    """The kernels' factors of the group term: an empty array for None, else
    ``group_weights`` checked to hold ``n_features`` positive finite numbers
    (one per block when ``blocks_given``: then ``n_features`` counts blocks)."""
    what = "block of feature_groups" if blocks_given else "input feature"
    counted = f"feature_groups has {n_features} blocks" if blocks_given else None
    if group_weights is None:
        return np.zeros(0)
    try:
        factors = np.asarray(group_weights, dtype=np.float64)
    except (TypeError, ValueError):
        factors = None
    if factors is None or factors.ndim != 1 or not np.all(np.isfinite(factors)):
        raise ValueError(
            f"group_weights must be None or a sequence of finite numbers, one per {what}, "
            f"got {group_weights!r}."
        )
    if factors.shape[0] != n_features:
        raise ValueError(
            f"group_weights has {factors.shape[0]} values, but "
            f"{counted or f'X has {n_features} features'}: it needs one per {what}."
        )
    if np.any(factors <= 0):
        raise ValueError(f"group_weights must be positive, got {factors.tolist()}.")
    return factors


def n_groups(reg, n_features):
    """The number of groups of the group term on the input features' rows:
    the blocks of ``reg.group_blocks``, else one per feature."""
    blocks = reg.group_blocks
    return int(blocks.max()) + 1 if blocks.shape[0] else int(n_features)


def _check_non_negative(values, name):
    if np.any(values < 0):
        raise ValueError(f"{name} must be non-negative, got {values.tolist()}.")


def needs_randomness(reg):
    """Whether training draws random numbers beyond the shuffling: dropout
    masks or input noise (a seed per epoch is drawn only then, so that
    switching on a deterministic term does not change the shuffling)."""
    return bool(np.any(reg.dropout > 0) or reg.input_noise > 0)


def extra_terms(reg):
    """``reg`` when a fit uses a regularizer beyond L2, weight decay and a
    proximal L1 term (group lasso, max-norm, dropout, input noise, L1 as a
    subgradient) or a skip connection, else None: the epoch kernel takes it
    as its ``extra`` argument, and compiles a plain kernel without the code
    of those terms when it is None (see ``skreg._kernels``).  The plain
    kernel takes the proximal L1 step itself, so that an L1 fit, the usual
    second kind after the default one, compiles nothing more."""
    used = (
        reg.skip
        or (reg.l1_subgradient and np.any(reg.l1 > 0))
        or np.any(reg.group > 0)
        or np.any(reg.max_norm > 0)
        or needs_randomness(reg)
    )
    return reg if used else None


def terms_lbfgs_cannot_handle(reg):
    """Names of the regularizers in use that L-BFGS cannot handle: the
    non-smooth terms (they need proximal steps) and those that act only
    through stochastic steps."""
    names = []
    if np.any(reg.l1 > 0):
        names.append("the L1 part of the penalty")
    if np.any(reg.group > 0):
        names.append("group_alpha")
    if np.any(reg.dropout > 0):
        names.append("dropout/input_dropout")
    if reg.input_noise > 0:
        names.append("input_noise")
    if np.any(reg.max_norm > 0):
        names.append("max_norm")
    if reg.weight_decay > 0:
        names.append("weight_decay")
    if reg.hierarchy > 0:
        names.append("hierarchy")
    return names


# --------------------------------------------------------------------------
# Solvers: one row each, the only place that tells them apart by name
# --------------------------------------------------------------------------


class Solver(NamedTuple):
    """What the rest of the package needs to know of a solver."""

    name: str  # the estimators' ``solver`` value
    code: int  # the kernels' ``Settings.solver``
    n_moments: int  # arrays of optimizer moments it keeps, one value per parameter each
    in_epochs: bool  # trains in minibatch epochs (partial_fit, early stopping, validation split)
    scheduled: bool  # follows ``learning_rate`` ('invscaling', 'adaptive'); else a constant rate
    velocity: bool  # its first moment is a step (SGD's velocity), not an average gradient
    check_stable_rates: Callable  # (reg, learning_rate_init, momentum, nesterovs_momentum)
    refused_terms: Callable  # reg -> names of the regularizers in use it cannot train


# Decoupled weight decay multiplies the weights by 1 - learning_rate_init *
# weight_decay at every step: at or above this step the factor is not positive.
_MAX_DECAY_STEP = 1.0


def _check_decay_step(reg, learning_rate_init, momentum, nesterovs_momentum):
    """Reject a weight decay that multiplies the weights by a factor <= 0.

    The schedules only lower the learning rate, so ``learning_rate_init`` is
    the rate to check; Adam rescales the gradient step, so no other bound
    applies to it."""
    decay_step = learning_rate_init * reg.weight_decay
    if decay_step >= _MAX_DECAY_STEP:
        raise ValueError(
            f"weight_decay={reg.weight_decay:g} with learning_rate_init={learning_rate_init:g} "
            f"multiplies the weights by {1 - decay_step:g} at every step; "
            "learning_rate_init * weight_decay must be below 1. Lower weight_decay "
            "or learning_rate_init."
        )


def _check_sgd_steps(reg, learning_rate_init, momentum, nesterovs_momentum):
    """The weight decay's check, then SGD's L2 step: the L2 term alone is a
    linear recurrence in the weights, stable while ``learning_rate_init *
    alpha * (1 - rho)`` is below ``2 (1 + momentum)``, or ``2 (1 + momentum)
    / (1 + 2 momentum)`` with Nesterov's momentum."""
    _check_decay_step(reg, learning_rate_init, momentum, nesterovs_momentum)
    if not np.any(reg.l2 > 0):
        return
    bound = 2.0 * (1.0 + momentum)
    if nesterovs_momentum:
        bound /= 1.0 + 2.0 * momentum
    step = learning_rate_init * float(np.max(reg.l2))
    if step >= bound:
        raise ValueError(
            f"With solver='sgd', the L2 part of alpha ({np.max(reg.l2):g}) times "
            f"learning_rate_init ({learning_rate_init:g}) is {step:g}, at or above "
            f"{bound:g}, where its updates make the weights grow instead of shrink. "
            "Lower alpha or learning_rate_init."
        )


def _no_rate_check(reg, learning_rate_init, momentum, nesterovs_momentum):
    """L-BFGS chooses its own steps."""


def _refuses_nothing(reg):
    return []


SOLVERS = {
    "sgd": Solver(
        name="sgd",
        code=K.SOLVER_SGD,
        n_moments=1,
        in_epochs=True,
        scheduled=True,
        velocity=True,
        check_stable_rates=_check_sgd_steps,
        refused_terms=_refuses_nothing,
    ),
    "adam": Solver(
        name="adam",
        code=K.SOLVER_ADAM,
        n_moments=2,
        in_epochs=True,
        scheduled=False,
        velocity=False,
        check_stable_rates=_check_decay_step,
        refused_terms=_refuses_nothing,
    ),
    "lbfgs": Solver(
        name="lbfgs",
        code=K.SOLVER_LBFGS,
        n_moments=0,
        in_epochs=False,
        scheduled=False,
        velocity=False,
        check_stable_rates=_no_rate_check,
        refused_terms=terms_lbfgs_cannot_handle,
    ),
}
# The same rows by the kernels' code, for code that holds a Settings record.
SOLVERS_BY_CODE = {row.code: row for row in SOLVERS.values()}


# --------------------------------------------------------------------------
# Network and solver settings, and the per-epoch record
# --------------------------------------------------------------------------


def settings(
    *,
    activation="relu",
    leaky_relu_slope=0.01,
    out_activation="identity",
    solver="adam",
    batch_size=200,
    momentum=0.9,
    nesterovs_momentum=True,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-8,
):
    """The ``Settings`` record, from the estimators' parameters (same names;
    ``out_activation`` is the fitted ``out_activation_``, which fixes the
    loss).  L-BFGS uses only the network part."""
    return K.Settings(
        activation=ACTIVATIONS[activation],
        activation_slope=float(leaky_relu_slope),
        loss=OUTPUT_LOSSES[out_activation],
        solver=SOLVERS[solver].code,
        nesterov=bool(nesterovs_momentum),
        batch_size=int(batch_size),
        momentum=float(momentum),
        beta_1=float(beta_1),
        beta_2=float(beta_2),
        epsilon=float(epsilon),
    )


def removed_units(weights, intercepts, counts):
    """The active set's ``RemovedUnits`` record: the left-out hidden units'
    incoming weights and intercepts, layer after layer, and how many units
    each layer left out (see ``skreg._kernels``)."""
    return K.RemovedUnits(weights=weights, intercepts=intercepts, counts=counts)


def epoch(learning_rate, seed=0):
    """The ``Epoch`` record: the schedule's learning rate and the seed of
    Numba's generator for this epoch."""
    return K.Epoch(learning_rate=float(learning_rate), seed=int(seed))


def epoch_run(learning_rate, t, sw_total, limit, stopping, n_epochs):
    """The ``EpochRun`` record of ``n_epochs`` epochs at ``learning_rate``
    from update ``t``: ``stopping`` is ``(tol, n_iter_no_change, best_loss,
    no_improvement_count, unsettled_epochs)``, the stopping rule's settings
    and state at the start; ``limit`` the largest objective that is not
    divergence."""
    tol, n_iter_no_change, best_loss, count, unsettled = stopping
    return K.EpochRun(
        learning_rate=float(learning_rate),
        t=int(t),
        sw_total=float(sw_total),
        limit=float(limit),
        tol=float(tol),
        n_iter_no_change=float(n_iter_no_change),
        best_loss=float(best_loss),
        no_improvement_count=int(count),
        unsettled=int(unsettled),
        curve=np.empty(n_epochs, dtype=np.float64),
    )


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def writeable(a, dtype):
    """C-contiguous, writeable array of ``dtype`` (a copy only when needed).

    Numba compiles read-only arrays (joblib's memory maps, for instance) as a
    type of their own; copying them keeps one specialization per dtype."""
    return np.require(a, dtype=dtype, requirements=["C", "W"])


def input_matrix(X, dtype):
    """X (dense, or scipy CSR/CSC) as the kernels' input-matrix tuple
    ``(dense, data, indices, indptr)`` (see ``skreg._kernels``)."""
    if sp.issparse(X):
        X = X.tocsr()
        return (
            np.empty((0, X.shape[1]), dtype),
            writeable(X.data, dtype),
            writeable(X.indices, np.int64),
            writeable(X.indptr, np.int64),
        )
    return (
        writeable(X, dtype),
        np.empty(0, dtype),
        np.empty(0, np.int64),
        np.empty(0, np.int64),
    )
