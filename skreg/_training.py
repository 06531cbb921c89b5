"""Training a network's flat parameter vector by SGD or Adam; no estimator in sight.

In: the parameters (one flat vector, see ``skreg._network``), the data as
the engine takes it (``skreg._engine.TrainingData``), the regularization and
settings records of ``skreg._config``, a learning-rate schedule, a stopping
rule and the optimizer state, all plain values.  Out: epochs, each reported
to whoever listens, and the parameters updated in place.  Every epoch and
every objective evaluation is a call into ``skreg._engine``.  The
estimators, and anything else that trains networks (a path over
regularization rates, say), call ``train_stochastic``, or for L-BFGS
``skreg._lbfgs.train_lbfgs``, which shares the records, listeners and
divergence rule defined here.

The stochastic solvers follow scikit-learn's MLP exactly (same stopping
rules, schedules, verbose messages and warnings), so that the same settings
give the same path.  Where nothing in Python needs to see the epochs one by
one, several run in one kernel call (``_train_in_runs``).
"""

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _config as C
from . import _engine as engine
from . import _interrupts as interrupts
from ._active_set import MIN_CHECK_ROWS, ActiveSet, applies
from ._engine import OptimizerState, TrainingData  # noqa: F401 (the trainer's values)

# Seeds handed to Numba's generator (dropout masks, input noise) must fit in 32 bits.
_MAX_SEED = 2**31 - 1

# A fit has diverged when its objective is not finite, or more than this many
# times the objective's scale: the data loss of the all-zero network plus the
# penalty at the start of the call (docs/design.rst, "Training").
EXPLOSION_FACTOR = 1e4

# Epochs that nothing in Python needs to see one by one run in one kernel
# call (``_in_runs``): on small tables the Python around a lone epoch costs
# several times its arithmetic.  A run holds at most this many epochs, and
# at most this many rows over its epochs (one epoch at least): an interrupt
# waits for the run to end, and the run's row orders (8 bytes a row) stay
# small.  Past a few thousand rows an epoch's arithmetic dwarfs its Python.
MAX_RUN_EPOCHS = 50
MAX_RUN_ROWS = 2**17

# The active set (``skreg._active_set``) trains on fewer rows than this
# never: its check of the removed rows before each epoch then reads more than
# a quarter of the rows, and costs about what the reduced epoch saves.  At
# 1000 x 750 (hidden 100, L1 removing 60% of the features) an epoch took 11%
# longer with it, at 150 x 750 twice as long.
ACTIVE_SET_MIN_ROWS = 4 * MIN_CHECK_ROWS


class TrainingDiverged(ValueError):
    """The objective became non-finite or exploded during training."""


@dataclass
class Schedule:
    """The learning rate over epochs.  As in scikit-learn, only SGD follows
    a schedule (``scheduled``, from the solver table ``skreg._config.SOLVERS``):
    Adam keeps ``learning_rate_init``."""

    learning_rate_init: float = 0.001
    kind: str = "constant"  # "constant", "invscaling" or "adaptive"
    power_t: float = 0.5
    scheduled: bool = False

    @property
    def adaptive(self):
        return self.scheduled and self.kind == "adaptive"

    @property
    def fixed(self):
        """Whether the rate stays as it is over a call's epochs."""
        return not self.scheduled or self.kind == "constant"

    def after_epoch(self, samples_seen):
        """The rate after an epoch, for 'invscaling'; None keeps the rate."""
        if self.scheduled and self.kind == "invscaling":
            return self.learning_rate_init / (samples_seen + 1) ** self.power_t
        return None


class Validation(NamedTuple):
    """The current parameters on held-out data."""

    score: float  # higher is better
    loss: float  # the objective J on the held-out data


@dataclass
class StoppingRule:
    """When to stop: after ``max_iter`` epochs, or when the training
    objective (or, with ``stop_on_validation``, the validation score) has not
    improved by ``tol`` for more than ``n_iter_no_change`` epochs in a row.

    ``validation``, when given, measures the current parameters on held-out
    data after every epoch (a ``Validation``).  With ``stop_on_validation``
    (early stopping) its score decides, and the best parameters seen are
    restored at the end; without, it is only recorded."""

    max_iter: int = 200
    tol: float = 1e-4
    n_iter_no_change: float = 10
    validation: Callable[[], Validation] | None = None
    stop_on_validation: bool = True

    @property
    def early_stopping(self):
        return self.validation is not None and self.stop_on_validation


@dataclass
class Progress:
    """What the stopping rule and the reports remember across epochs and, as
    scikit-learn's MLP does with ``warm_start``, across calls."""

    loss_curve: list = field(default_factory=list)
    best_loss: float | None = np.inf
    no_improvement_count: int = 0
    validation_scores: list | None = None
    best_validation_score: float | None = None
    validation_loss_curve: list | None = None
    samples_seen: int = 0
    n_iter: int = 0  # epochs (iterations for L-BFGS) of the last call
    loss: float | None = None
    # Epochs at the start whose objective the stopping rule does not count:
    # a path step's first epoch measures its data loss partly on the weights
    # of the previous rate, which fit better than any the new rate allows.
    unsettled_epochs: int = 0

    @classmethod
    def fresh(cls, validation=False, early_stopping=False):
        """No validation data, validation data watched, or early stopping
        (then, as in scikit-learn, ``best_loss`` is None)."""
        if not (validation or early_stopping):
            return cls()
        return cls(
            best_loss=None if early_stopping else np.inf,
            validation_scores=[],
            best_validation_score=-np.inf,
            validation_loss_curve=[],
        )


class EpochReport(NamedTuple):
    """What listeners hear after each epoch (each iteration for L-BFGS)."""

    epoch: int  # 1-based, within this call
    objective: float  # J, data loss plus penalty
    validation_score: float | None
    seconds: float


class EpochListener:
    """Hears the epochs of a training run (each iteration, for L-BFGS).
    Override what you need; ``on_epoch_end`` returns True to stop training
    after that epoch."""

    def on_epoch_begin(self, epoch):
        """Called before each epoch (1-based, within this call)."""

    def on_epoch_end(self, report):
        """Called after each epoch with its ``EpochReport``."""
        return False

    def on_training_end(self):
        """Called once, when the run ends for whatever reason."""


def check_shapes(params, units, data, reg):
    """Raise ValueError unless the arrays agree with each other and with the
    layer widths: the kernels index them without checks."""
    units = np.asarray(units)
    n_weights = units.shape[0] - 1
    expected = int(np.sum(units[:-1] * units[1:]) + np.sum(units[1:]))
    expected += int(units[0] * units[-1]) if reg.skip else 0  # Theta, after the intercepts
    dense, values, indices, indptr = data.inputs
    sparse = indptr.shape[0] > 0
    n_rows = indptr.shape[0] - 1 if sparse else dense.shape[0]
    per_layer = (reg.l1, reg.l2, reg.group, reg.dropout, reg.max_norm)
    agreements = [
        (params.ndim == 1 and params.shape[0] == expected, f"params holds {expected} values"),
        (dense.ndim == 2 and dense.shape[1] == units[0], f"the inputs have {units[0]} columns"),
        (data.Y.shape == (n_rows, units[-1]), "Y has one row per sample, one column per output"),
        (data.sample_weight.shape == (n_rows,), "sample_weight has one entry per sample"),
        (all(len(a) == n_weights for a in per_layer), "regularization has a value per layer"),
        (
            reg.group_factors.shape[0] in (0, C.n_groups(reg, units[0])),
            "group_weights has one factor per input feature or block",
        ),
        (
            reg.group_blocks.shape[0] == 0
            or (
                reg.group_blocks.shape[0] == units[0]
                and np.array_equal(np.unique(reg.group_blocks), np.arange(C.n_groups(reg, 0)))
            ),
            "group_blocks numbers the blocks of the input features 0, 1, ...",
        ),
        (
            not sparse or (indices.shape == values.shape and values.shape[0] >= indptr[-1]),
            "the sparse arrays agree",
        ),
    ]
    for agree, what in agreements:
        if not agree:
            raise ValueError(f"Inconsistent arrays for layers {units.tolist()}: {what}.")


def begin_epoch(listeners, epoch):
    for listener in listeners:
        listener.on_epoch_begin(epoch)


def end_epoch(listeners, report):
    """Tell every listener; True when one of them asks to stop."""
    stop = False
    for listener in listeners:
        stop |= bool(listener.on_epoch_end(report))
    return stop


def warn_interrupted():
    warnings.warn("Training interrupted by user.")


# --------------------------------------------------------------------------
# SGD and Adam
# --------------------------------------------------------------------------


def train_stochastic(
    params,
    units,
    data,
    reg,
    settings,
    schedule,
    stopping,
    optimizer,
    progress,
    random_state,
    *,
    shuffle=True,
    incremental=False,
    verbose=False,
    listeners=(),
):
    """Minibatch epochs over ``data`` until the stopping rule fires.

    ``params`` is updated in place, and so are ``optimizer`` and
    ``progress``.  ``random_state`` (a NumPy RandomState) shuffles the rows
    and seeds dropout masks and input noise.  ``incremental`` runs a single
    epoch (``partial_fit``).  ``listeners`` (``EpochListener``) hear every
    epoch and may ask to stop.  An interrupt (Ctrl-C) stops after the
    current epoch, with a warning, and leaves a usable model, as scikit-learn's
    MLP does; within a path or a CV fit it ends the call instead
    (``skreg._interrupts``).
    """
    check_shapes(params, units, data, reg)
    blas = engine.blas_threads(units, settings.batch_size)
    epochs = _Epochs(params, units, data, reg, settings, optimizer, random_state, shuffle, blas)
    best_params = params.copy() if stopping.early_stopping else None
    scale = objective_scale(params, units, data, reg, settings)

    progress.n_iter = 0  # as scikit-learn: the epochs of this call
    if not stopping.early_stopping and progress.best_loss is None:
        # A warm start after a fit that stopped early: that fit ranked its
        # epochs by validation score and kept no best loss (None, as in
        # scikit-learn); the loss rule starts afresh.
        progress.best_loss = np.inf
    in_runs = _in_runs(
        reg, data.n_samples, schedule, stopping, progress, incremental, verbose, listeners, blas
    )
    try:
        with blas, interrupts.kernel_calls():
            if in_runs:
                _train_in_runs(epochs, progress, stopping, scale, remedies(settings, reg, schedule))
            else:
                for _ in range(stopping.max_iter):
                    interrupts.check()
                    started = time.perf_counter()
                    begin_epoch(listeners, progress.n_iter + 1)
                    progress.loss = epochs.run()
                    progress.n_iter += 1
                    progress.samples_seen += data.n_samples
                    check_divergence(
                        progress.loss,
                        scale,
                        f"epoch {progress.n_iter}",
                        remedies(settings, reg, schedule),
                    )
                    progress.loss_curve.append(progress.loss)
                    if verbose:
                        print(f"Iteration {progress.n_iter}, loss = {progress.loss:.8f}")
                    score = _update_no_improvement_count(
                        progress, stopping, params, best_params, verbose
                    )
                    seconds = time.perf_counter() - started
                    asked = end_epoch(
                        listeners, EpochReport(progress.n_iter, progress.loss, score, seconds)
                    )
                    if asked or _stop_after_epoch(progress, stopping, schedule, optimizer, verbose):
                        break
                    if incremental:
                        break
                    if progress.n_iter == stopping.max_iter:
                        warnings.warn(
                            f"Stochastic Optimizer: Maximum iterations ({stopping.max_iter}) "
                            "reached and the optimization hasn't converged yet.",
                            ConvergenceWarning,
                        )
    except KeyboardInterrupt:
        if not interrupts.absorbed():
            raise
        warn_interrupted()
    finally:
        for listener in listeners:
            listener.on_training_end()
    if best_params is not None:
        params[:] = best_params


def _in_runs(reg, n_samples, schedule, stopping, progress, incremental, verbose, listeners, blas):
    """Whether the epochs may run several to a kernel call: nothing sees
    them one by one (listeners, validation, verbose output, the active set's
    checks, ``partial_fit``'s single epoch, the BLAS thread policy where the
    products are large enough for a second thread: it watches the machine's
    load epoch by epoch, and such epochs dwarf their Python anyway), and the
    rate stays put."""
    alone = listeners or incremental or verbose or stopping.validation is not None
    return (
        not alone
        and not getattr(blas, "large", False)
        and schedule.fixed
        and progress.best_loss is not None
        and not _uses_active_set(reg, n_samples)
    )


def _uses_active_set(reg, n_samples):
    """Whether a fit on ``n_samples`` rows trains on the active set."""
    return n_samples >= ACTIVE_SET_MIN_ROWS and applies(reg)


def _train_in_runs(epochs, progress, stopping, scale, fixes):
    """Train as the one-epoch loop of ``train_stochastic`` does, with no
    listener and a fixed rate, a run of epochs per kernel call; the kernel
    applies the divergence check and the stopping rule after each epoch."""
    limit = EXPLOSION_FACTOR * scale if scale > 0 else np.inf
    while progress.n_iter < stopping.max_iter:
        interrupts.check()
        rule = (
            stopping.tol,
            stopping.n_iter_no_change,
            progress.best_loss,
            progress.no_improvement_count,
            progress.unsettled_epochs,
        )
        end = epochs.run_many(stopping.max_iter - progress.n_iter, rule, limit)
        curve = end.curve.tolist()
        progress.n_iter += len(curve)
        progress.samples_seen += epochs.data.n_samples * len(curve)
        progress.loss = curve[-1]
        if end.reason == "diverged":
            progress.loss_curve.extend(curve[:-1])
            check_divergence(progress.loss, scale, f"epoch {progress.n_iter}", fixes)
        progress.loss_curve.extend(curve)
        progress.best_loss = end.best_loss
        progress.no_improvement_count = end.no_improvement_count
        progress.unsettled_epochs = end.unsettled_epochs
        if end.reason == "converged":
            return
        if progress.n_iter == stopping.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({stopping.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )


def _stop_after_epoch(progress, stopping, schedule, optimizer, verbose):
    """The schedule's end-of-epoch step, then the stopping rule."""
    new_rate = schedule.after_epoch(progress.samples_seen)
    if new_rate is not None:
        optimizer.learning_rate = new_rate
    if progress.no_improvement_count > stopping.n_iter_no_change:
        if _should_stop(stopping, schedule, optimizer, verbose):
            return True
        progress.no_improvement_count = 0
    return False


class _Epochs:
    """One epoch at a time: shuffle the rows, draw the epoch's seed when
    dropout or noise need one, run the epoch kernel (on the input features
    and hidden units still in use, when the penalty has removed enough of
    them: see ``skreg._active_set``); ``run()`` returns the objective J at the end of
    the epoch (the data loss accumulated over the epoch's batches plus the
    penalty of the final weights).  ``blas`` (``engine.blas_threads``) sets the
    BLAS threads of each epoch for the problem it trains."""

    def __init__(self, params, units, data, reg, settings, optimizer, random_state, shuffle, blas):
        self.params, self.units, self.data = params, units, data
        self.blas = blas
        self.reg, self.settings, self.optimizer = reg, settings, optimizer
        self.random_state, self.shuffle = random_state, shuffle
        self.order = np.arange(data.n_samples, dtype=np.int64)
        self.needs_seed = C.needs_randomness(reg)
        self.sw_total = float(np.sum(data.sample_weight, dtype=np.float64))
        active = _uses_active_set(reg, data.n_samples)
        self.active_set = ActiveSet(params, units, data, reg, settings) if active else None

    def run(self):
        if self.shuffle:
            self.random_state.shuffle(self.order)
        seed = self.random_state.randint(_MAX_SEED) if self.needs_seed else 0
        opt, data = self.optimizer, self.data
        rate, t_start = opt.learning_rate, opt.n_updates
        reduced = self.active_set and self.active_set.problem(self.order, opt.moments, rate)
        if reduced:
            inputs, params, moments = reduced.inputs, reduced.params, reduced.moments
            units, reg = reduced.units, reduced.reg
        else:
            inputs, params, moments = data.inputs, self.params, opt.moments
            units, reg = self.units, self.reg
        self.blas.update(units)
        state = OptimizerState(moments, t_start, rate)
        data_loss, state = engine.train_epoch(
            data._replace(inputs=inputs), self.order, params, units, reg, self.settings, state, seed
        )
        opt.n_updates = state.n_updates
        if reduced:
            self.active_set.write_back(reduced, opt.moments, rate, t_start, opt.n_updates)
        data_loss = data_loss / self.sw_total if self.sw_total > 0 else 0.0
        return data_loss + engine.penalty_value(self.params, self.units, self.reg)

    def run_many(self, most, rule, limit):
        """Up to ``most`` epochs in one engine call (no active set, a fixed
        rate), with the rows and seeds ``run`` would draw, until the
        divergence check (objective above ``limit``) or the stopping rule
        (``rule``: see ``engine.train_epochs``) ends them.  Returns the
        engine's ``EpochsEnd``."""
        n_epochs = min(most, MAX_RUN_EPOCHS, max(1, MAX_RUN_ROWS // self.order.size))
        drawn_from = self.random_state.get_state()
        orders, seeds = self._draw(n_epochs)
        self.blas.update(self.units)
        opt = self.optimizer
        state = OptimizerState(opt.moments, opt.n_updates, opt.learning_rate)
        end, state = engine.train_epochs(
            self.data,
            orders,
            seeds,
            self.params,
            self.units,
            self.reg,
            self.settings,
            state,
            rule,
            limit,
        )
        opt.n_updates = state.n_updates
        n_run = end.curve.shape[0]
        if n_run < n_epochs:
            # Draw again, only the epochs that ran: the generator goes on as
            # after as many epochs of ``run``.
            self.random_state.set_state(drawn_from)
            orders, _ = self._draw(n_run)
        self.order[:] = orders[n_run - 1]
        return end

    def _draw(self, n_epochs):
        """The rows and seeds of the next ``n_epochs`` epochs, as ``run``
        draws them: a 2-D int64 array of row orders, and the seeds."""
        orders = np.empty((n_epochs, self.order.size), dtype=np.int64)
        seeds = np.zeros(n_epochs, dtype=np.int64)
        order = self.order.copy()
        for e in range(n_epochs):
            if self.shuffle:
                self.random_state.shuffle(order)
            orders[e] = order
            if self.needs_seed:
                seeds[e] = self.random_state.randint(_MAX_SEED)
        return orders, seeds


def objective_scale(params, units, data, reg, settings):
    """What a sane objective stays within a modest multiple of: the data loss
    of the network with every weight and intercept zero, plus the penalty of
    ``params``.  O(n_samples * n_outputs)."""
    return engine.zero_network_loss(data, settings) + engine.penalty_value(params, units, reg)


def check_divergence(objective, scale, epoch, fixes):
    """Raise TrainingDiverged when the objective is not finite or exploded,
    naming the settings that usually cause it (``fixes``, from ``remedies``)."""
    if np.isfinite(objective) and (scale <= 0 or objective <= EXPLOSION_FACTOR * scale):
        return
    # scikit-learn's message for non-finite weights comes first, for code matching it.
    prefix = (
        ""
        if np.isfinite(objective)
        else "Solver produced non-finite parameter weights. The input data may contain "
        "large values and need to be preprocessed. "
    )
    raise TrainingDiverged(
        f"{prefix}Training diverged: the objective is {objective:.3g} after {epoch}, "
        f"against a yardstick of {scale:.3g} (the loss of a network with all weights "
        f"zero, plus the penalty of the starting weights; the limit is "
        f"{EXPLOSION_FACTOR:g} times that). To fix it, " + ", ".join(fixes) + "."
    )


def remedies(settings, reg, schedule=None):
    """What to change when a fit diverges, the likeliest culprit first."""
    found = []
    if settings.activation == C.ACTIVATIONS["leaky_relu"] and settings.activation_slope > 1:
        # Each hidden layer multiplies its negative inputs by the slope.
        found.append(
            f"lower leaky_relu_slope (now {settings.activation_slope:g}; above 1 it "
            "amplifies negative inputs at every layer)"
        )
    if schedule is not None:
        found.append(f"lower learning_rate_init (now {schedule.learning_rate_init:g})")
        if reg.weight_decay > 0:
            found.append(f"lower weight_decay (now {reg.weight_decay:g})")
    found.append("standardize the features (StandardScaler) and scale the targets")
    return found


def _update_no_improvement_count(progress, stopping, params, best_params, verbose):
    """Record the validation score and loss, if any, and count the epochs
    without improvement (of the validation score with early stopping, else of
    the training objective), keeping the best parameters seen.  Returns the
    validation score, or None."""
    score = None
    if stopping.validation is not None:
        score, loss = stopping.validation()
        progress.validation_scores.append(score)
        progress.validation_loss_curve.append(loss)
        if verbose:
            print(f"Validation score: {score:f}")
    if not stopping.early_stopping:
        if progress.unsettled_epochs > 0:
            progress.unsettled_epochs -= 1
            return score
        if progress.loss_curve[-1] > progress.best_loss - stopping.tol:
            progress.no_improvement_count += 1
        else:
            progress.no_improvement_count = 0
        progress.best_loss = min(progress.best_loss, progress.loss_curve[-1])
        if score is not None:
            progress.best_validation_score = max(progress.best_validation_score, score)
        return score
    if score < progress.best_validation_score + stopping.tol:
        progress.no_improvement_count += 1
    else:
        progress.no_improvement_count = 0
    if score > progress.best_validation_score:
        progress.best_validation_score = score
        best_params[:] = params
    return score


def _should_stop(stopping, schedule, optimizer, verbose):
    """Called when the objective (or validation score) stalled: stop, or for
    SGD with the adaptive schedule, divide the learning rate by 5."""
    what = "Validation score" if stopping.early_stopping else "Training loss"
    msg = (
        f"{what} did not improve more than tol={stopping.tol:f} for "
        f"{stopping.n_iter_no_change} consecutive epochs."
    )
    if not schedule.adaptive:
        if verbose:
            print(msg + " Stopping.")
        return True
    if optimizer.learning_rate <= 1e-6:
        if verbose:
            print(msg + " Learning rate too small. Stopping.")
        return True
    optimizer.learning_rate /= 5.0
    if verbose:
        print(msg + f" Setting learning rate to {optimizer.learning_rate:f}")
    return False
