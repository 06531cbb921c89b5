"""How to train, as plain values: an estimator's parameters made into a recipe, and training by it.

A ``Recipe`` holds everything a training run needs beyond the data, the
network, its regularization and its optimizer state: the solver's row of the
table (``skreg._config.SOLVERS``), the settings record, the learning-rate
schedule and the stopping parameters.  It is built from the estimators'
parameter values (``get_params``), never from an estimator, and ``train``
runs the solver it names.  Estimators, paths and CV estimators all train
through ``train``; a path builds one recipe and one regularization record per
rate, so its rate never goes through a public parameter.
"""

import warnings
from typing import NamedTuple

import numpy as np

from . import _config as C
from ._lbfgs import train_lbfgs
from ._training import Schedule, StoppingRule, train_stochastic

# The estimators' parameters that make the Regularization record, by the
# name ``skreg._config.regularization`` gives them (the same as theirs).
REGULARIZATION_PARAMETERS = (
    "penalty",
    "alpha",
    "l1_ratio",
    "l1_method",
    "group_alpha",
    "group_weights",
    "feature_groups",
    "dropout",
    "input_dropout",
    "max_norm",
    "weight_decay",
    "input_noise",
    "skip_connection",
    "hierarchy",
    "skip_alpha",
)


class Recipe(NamedTuple):
    """How a network is trained, but for its data and regularization."""

    solver: C.Solver
    settings: tuple  # the kernels' Settings record, its batch size set
    schedule: Schedule
    tol: float
    n_iter_no_change: float
    max_fun: int
    shuffle: bool
    verbose: bool


# batch_size="quarter" (the CV estimators' default): 200 rows, but at least
# QUARTER_BATCHES minibatches per epoch on small data (never under
# QUARTER_MIN_ROWS rows). scikit-learn's "auto", min(200, n_samples), makes
# an epoch of fewer than 200 rows one update, so ``max_iter`` and the path's
# step caps, counted in epochs, left small tables with a few hundred updates
# in all. Measured with the CV estimators (5 real tables of 263-777 rows, 5
# splits): L2 paths scored +0.000 to +0.022 (mean +0.008) and took 1.0-2.1x
# less time; L1 paths -0.034 to +0.018 (mean -0.005) at 1.1-1.5x less time
# (docs/design.rst, "Minibatches").
QUARTER_BATCHES = 4
QUARTER_MIN_ROWS = 32
AUTO_ROWS = 200


def batch_size(value, n_samples):
    """The minibatch size of ``batch_size=value`` on ``n_samples`` rows,
    with scikit-learn's warning when it is clipped."""
    if value == "auto":
        return min(AUTO_ROWS, n_samples)
    if value == "quarter":
        quarter = -(-n_samples // QUARTER_BATCHES)
        return min(n_samples, max(QUARTER_MIN_ROWS, min(AUTO_ROWS, quarter)))
    if value > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
        )
    return int(np.clip(value, 1, n_samples))


def recipe(params, out_activation, batch_rows):
    """The recipe of the estimators' parameter values ``params`` (a dict, as
    ``get_params`` gives it) for a network whose output activation is
    ``out_activation``, with minibatches of ``batch_rows`` rows."""
    solver = C.SOLVERS[params["solver"]]
    settings = C.settings(
        activation=params["activation"],
        leaky_relu_slope=params["leaky_relu_slope"],
        out_activation=out_activation,
        solver=params["solver"],
        batch_size=batch_rows,
        momentum=params["momentum"],
        nesterovs_momentum=params["nesterovs_momentum"],
        beta_1=params["beta_1"],
        beta_2=params["beta_2"],
        epsilon=params["epsilon"],
    )
    schedule = Schedule(
        learning_rate_init=params["learning_rate_init"],
        kind=params["learning_rate"],
        power_t=params["power_t"],
        scheduled=solver.scheduled,
    )
    return Recipe(
        solver,
        settings,
        schedule,
        tol=params["tol"],
        n_iter_no_change=params["n_iter_no_change"],
        max_fun=params["max_fun"],
        shuffle=params["shuffle"],
        verbose=params["verbose"],
    )


def regularization(params, n_weights, n_features, **overrides):
    """The Regularization record of the parameter values ``params`` (a dict),
    with ``overrides`` (a path's rate, say: ``alpha=rate * pattern``; the
    blocks a fit read for ``feature_groups="auto"``) in place of theirs."""
    values = {name: params[name] for name in REGULARIZATION_PARAMETERS}
    values = {**values, **overrides}
    return C.regularization(n_weights, n_features=n_features, **values)


def train(
    recipe,
    params,
    units,
    data,
    reg,
    optimizer,
    progress,
    random_state,
    *,
    max_iter,
    listeners=(),
    validation=None,
    stop_on_validation=False,
    incremental=False,
):
    """Train ``params`` (in place) on ``data`` under ``reg`` by the recipe's
    solver for at most ``max_iter`` epochs (L-BFGS: iterations), from the
    optimizer state ``optimizer``; returns the state the run ends with
    (L-BFGS keeps none: it hands ``optimizer`` back as it was).
    ``progress`` is updated in place."""
    if not recipe.solver.in_epochs:
        train_lbfgs(
            params,
            units,
            data,
            reg,
            recipe.settings,
            progress,
            max_iter=max_iter,
            max_fun=recipe.max_fun,
            tol=recipe.tol,
            verbose=recipe.verbose,
            listeners=listeners,
            validation=validation,
        )
        return optimizer
    recipe.solver.check_stable_rates(
        reg,
        recipe.schedule.learning_rate_init,
        recipe.settings.momentum,
        recipe.settings.nesterov,
    )
    stopping = StoppingRule(
        max_iter=max_iter,
        tol=recipe.tol,
        n_iter_no_change=recipe.n_iter_no_change,
        validation=validation,
        stop_on_validation=stop_on_validation,
    )
    train_stochastic(
        params,
        units,
        data,
        reg,
        recipe.settings,
        recipe.schedule,
        stopping,
        optimizer,
        progress,
        random_state,
        shuffle=recipe.shuffle,
        incremental=incremental,
        verbose=recipe.verbose,
        listeners=listeners,
    )
    return optimizer
