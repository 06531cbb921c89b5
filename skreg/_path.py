"""Regularization paths: one network trained along a sequence of rates.

The first rate is trained as a plain ``fit`` would train it.  Each later rate
starts from the previous rate's weights and optimizer moments, with a fresh
stopping rule and at most ``path_max_iter`` epochs: most of what the network
learned at one rate still holds at the next, so a step costs a fraction of a
fit.  Rates go up, from the dense network to the sparse one: an all-zero
network is a stationary point that gradients cannot leave, so a path going
down from it would stay dead (docs/design.rst, "Paths").  A step that ends
with a network ignoring its input gets the output intercept of the best
constant prediction (``skreg._constant_model``).

The rate moves one parameter, ``alpha`` or ``group_alpha``, times a per-layer
pattern: the estimator's own value of that parameter when it is a sequence
(relative strengths per weight matrix), else every layer for ``alpha`` and the
input layer alone for ``group_alpha`` (feature selection).
"""

import time
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.utils import Bunch
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array

from . import _base as base
from . import _callbacks as callbacks
from . import _config as C
from . import _engine as engine
from . import _interrupts as interrupts
from . import _network
from . import _recipe as recipes
from ._constant_model import best_constant_intercepts, constant_output, is_constant
from ._cv_checks import CountInterval, PathEstimator, check_path_settings, check_rates
from ._engine import OptimizerState
from ._exit_order import exit_rates
from ._feature_groups import fitted_groups, group_norms
from ._rate_grid import largest_rate, layer_pattern, rate_grid  # noqa: F401 (the path's grid)
from ._search_warnings import capped_steps_quiet, warn_capped_steps
from ._training import Progress
from ._validation import (
    check_finite_weights,
    check_hidden_layer_sizes,
    check_noise_input,
    column_vector_flattened,
)

PATH_PARAMS = ("alpha", "group_alpha", "skip_alpha")
# Adaptive group weights: the exponent of the norm ratio, and the factor of
# a row that is zero after the first step.
ADAPTIVE_EXPONENT = 2.0
LARGEST_FACTOR = 1e6
# Fewest optimizer updates a warm step of a stochastic solver gets: on small
# data an epoch is one or two mini-batches, and ``path_max_iter`` epochs alone
# would leave too few updates for weights to reach zero at the larger rates.
# Without it a group path on 300 samples (3 informative features of 8)
# removed no feature at any rate, against 4 or 5 (docs/design.rst, "Paths").
MIN_WARM_UPDATES = 100
EARLY_STOPPING_REFUSED = (
    "A path trains each rate on all the data it is given (cross-validation "
    "does the validating): set early_stopping=False."
)


# --------------------------------------------------------------------------
# Training along the rates
# --------------------------------------------------------------------------


@dataclass
class Step:
    """One rate of a path: the weights there (a flat vector, see
    ``skreg._network``) and how the step went."""

    rate: float
    params: np.ndarray
    units: np.ndarray
    objective: float
    n_iter: int  # epochs of this step (L-BFGS: iterations)
    seconds: float
    loss_curve: list = field(default_factory=list)
    # Which cap stopped the step: "first" (a plain fit, at max_iter), "later"
    # (a warm step, at its share of path_max_iter), or "" (it stopped itself).
    capped: str = ""

    def weights(self):
        """The step's network by fitted attribute name (views; see
        ``_network.fitted_weights``)."""
        return _network.fitted_weights(self.params, self.units)


# What regularization_path takes, as scikit-learn's constraints.
_PATH_CONSTRAINTS = {
    "X": ["array-like", "sparse matrix"],
    "y": ["array-like"],
    "estimator": [PathEstimator(), None],
    "path_param": [StrOptions(set(PATH_PARAMS))],
    "alphas": ["array-like", None],
    "n_alphas": [CountInterval(1, None)],
    "eps": [Interval(Real, 0, 1, closed="neither")],
    "path_max_iter": [CountInterval(1, None)],
    "warm_start": ["boolean"],
    "group_weights": [StrOptions({"adaptive"}), None],
    "sample_weight": ["array-like", Real, None],  # a number weighs every sample alike
}


def checked_path_estimator(estimator, y, path_param, adaptive):
    """The network a path trains (the default for ``y`` when None), checked
    as its own fit would check it, and the path's settings against it."""
    if estimator is None:
        estimator = default_estimator(check_array(y, ensure_2d=False, dtype=None, input_name="y"))
    validate_parameter_constraints(
        type(estimator)._parameter_constraints,
        estimator.get_params(deep=False),
        caller_name=type(estimator).__name__,
    )
    if estimator.early_stopping:
        raise ValueError(EARLY_STOPPING_REFUSED)
    check_path_settings(estimator, path_param, adaptive=adaptive)
    if is_classifier(estimator):
        check_several_classes(y)
    return estimator


def check_several_classes(y):
    """A classifier's path needs two classes or more in y.

    With one class no feature has anything to tell apart, yet a path would
    report every feature in use at every rate: the loss is lowest at an
    infinite intercept, so its gradient, which sizes the rate grid, never
    vanishes and the weights are never all pulled to zero."""
    check_classification_targets(y)
    if type_of_target(y) not in ("binary", "multiclass"):
        return  # a multilabel indicator's columns are labels, each present or not
    classes = np.unique(np.asarray(y))
    if classes.size == 1:
        raise ValueError(
            "A classifier's path needs samples of at least 2 classes in the data, but y "
            f"contains only one class: {classes.tolist()[0]!r}. No feature can tell one "
            "class from another, so none can be selected."
        )


def default_estimator(y):
    """A classifier for class labels, a regressor otherwise."""
    from ._classes import RegularizedMLPClassifier, RegularizedMLPRegressor

    kind = type_of_target(y)
    if kind in ("binary", "multiclass", "multilabel-indicator"):
        return RegularizedMLPClassifier()
    return RegularizedMLPRegressor()


class PathTrainer:
    """Trains ``estimator`` (a fresh clone is taken) along ascending rates.

    ``run`` returns one ``Step`` per rate and leaves ``self.estimator`` fitted
    at the last rate; ``resume=True`` goes on from there, warm, over larger
    rates (the same data).  Ctrl-C, or ``stop`` set by another path, ends it
    with a KeyboardInterrupt.  ``on_step(model, step)``, when given, is called
    after each step with the model of that step (``model_at``).  With a
    callback ``context`` (scikit-learn's callback API), each step is a subtask
    of it: the first a fit (its epochs below it), each later one its epochs.
    """

    def __init__(
        self,
        estimator,
        path_param="alpha",
        *,
        path_max_iter=20,
        warm_start=True,
        adaptive=False,
        stop=None,
    ):
        if path_param not in PATH_PARAMS:
            raise ValueError(f"path_param must be one of {PATH_PARAMS}, got {path_param!r}.")
        if estimator.early_stopping:
            raise ValueError(EARLY_STOPPING_REFUSED)
        # Without callbacks of its own: the path's task hands them on.  Its
        # own warm start has no part: the path decides where each step starts.
        self.estimator = clone(estimator).set_params(warm_start=False)
        self.adaptive = adaptive
        if adaptive:  # the first step has none; the later ones those it gives
            self.estimator.set_params(group_weights=None)
        if callbacks.AVAILABLE:
            self.estimator.set_callbacks()
        self.path_param = path_param
        self.path_max_iter = path_max_iter
        self.warm_start = warm_start
        n_weights = len(check_hidden_layer_sizes(estimator.hidden_layer_sizes)) + 1
        self.pattern = layer_pattern(estimator, path_param, n_weights)
        # Shared by the paths of one call (a CV fit): an interrupt ends them all.
        self.stop = interrupts.StopFlag() if stop is None else stop

    def run(self, X, y, sample_weight, rates, on_step=None, context=None, resume=False):
        rates = np.asarray(rates, dtype=np.float64)
        if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates >= 0)):
            raise ValueError(f"The rates of a path must be finite and non-negative, got {rates!r}.")
        if resume and not hasattr(self, "_state"):
            raise ValueError("A path can resume only after a run.")
        self._context = context
        # A step's fit must not absorb Ctrl-C: the next rate would go on.
        with interrupts.propagating(self.stop):
            return self._run(X, y, sample_weight, rates, on_step, resume)

    def _run(self, X, y, sample_weight, rates, on_step, resume):
        steps = []
        for index, rate in enumerate(rates):
            started = time.perf_counter()
            cold = (index == 0 and not resume) or not self.warm_start
            step_context = self._step_context(cold)
            if cold:
                with callbacks.fit_as_task(step_context, self.estimator, X, y, sample_weight):
                    self._fit_cold(X, y, sample_weight, rate)
                if self.adaptive and index == 0:
                    self.estimator.set_params(group_weights=adaptive_group_weights(self.estimator))
            else:
                with callbacks.task(step_context, self.estimator, X, y, sample_weight):
                    if self._dead():
                        self._reg = self._regularization(rate)  # the network stays
                        self._progress = Progress(loss_curve=[], n_iter=0)
                    else:
                        listeners = callbacks.epoch_listeners(
                            self.estimator, step_context, X, y, sample_weight
                        )
                        self._fit_warm(rate, listeners)
            capped = self._capped(cold)
            if is_constant(self.estimator.coefs_, self.estimator._skip_coef()):
                self._predict_best_constant()
            step = self._snapshot(rate, time.perf_counter() - started, capped)
            steps.append(step)
            if on_step is not None:
                on_step(self.model_at(step), step)
        return steps

    def model_at(self, step):
        """A fitted estimator of ``step``: the path's, with the step's rate
        in ``path_param`` and the step's weights (the path's own estimator
        keeps the parameters it was given)."""
        model = clone(self.estimator).set_params(
            **{self.path_param: (step.rate * self.pattern).tolist()}
        )
        callbacks.take_fitted_state(
            model,
            self.estimator,
            dropped=("_optimizer_state", "_random_state"),  # the path's training goes on
            **step.weights(),
        )
        return model

    # -- the steps ---------------------------------------------------------

    def _step_context(self, cold):
        """The callback task of the next step: a leaf that the fit of a cold
        step merges with, or a task with one subtask per epoch."""
        if self._context is None:
            return None
        in_epochs = C.SOLVERS[self.estimator.solver].in_epochs
        epochs = 0 if cold else self._warm_epochs() + (not in_epochs)  # L-BFGS opens one more
        return self._context.subcontext(task_name="rate", max_subtasks=epochs)

    def _regularization(self, rate):
        """The Regularization record of this path at ``rate``: the
        estimator's, with the path's parameter at ``rate`` times the layer
        pattern (and the adaptive group weights, once the first step gave them)."""
        changed = {self.path_param: rate * self.pattern}
        if self.adaptive:
            changed["group_weights"] = self.estimator.group_weights
        changed["feature_groups"] = fitted_groups(self.estimator)
        units = self._state.units
        return recipes.regularization(self._parameters, len(units) - 1, units[0], **changed)

    def _fit_cold(self, X, y, sample_weight, rate):
        """Train this rate from a fresh network as a plain fit would: the
        data checked and the network drawn by the fit's own code
        (``starting_state``), a fresh optimizer state, the fit's stopping
        rule and ``max_iter``; the rate reaches the training as a
        regularization record, never through a public parameter."""
        est = self.estimator
        X, y, state = base.checked_start(est, X, y, sample_weight)
        self._state = state
        self._parameters = est.get_params(deep=False)
        solver = C.SOLVERS[est.solver]
        n_samples = state.data.n_samples
        batch_rows = (
            recipes.batch_size(est.batch_size, n_samples) if solver.in_epochs else n_samples
        )
        self._recipe = recipes.recipe(self._parameters, est.out_activation_, batch_rows)
        self._reg = self._regularization(rate)
        optimizer = None
        if solver.in_epochs:
            optimizer = OptimizerState.fresh(state.params, est.learning_rate_init, solver.n_moments)
        progress = Progress()  # a plain fit's, without validation data (a path has none)
        max_iter = self._parameters["max_iter"]
        epochs = max_iter + (not solver.in_epochs)  # L-BFGS opens one more
        with callbacks.fitting(est, epochs, X, y, sample_weight) as context:
            if solver.in_epochs:
                check_noise_input(X, est.input_noise)
            listeners = callbacks.epoch_listeners(est, context, X, y, sample_weight)
            optimizer = self._train(optimizer, progress, max_iter, listeners)
            check_finite_weights(state.params)
        self._keep(optimizer, progress)
        if is_constant(est.coefs_, est._skip_coef()):
            # As a plain fit does; ``_run`` sets it again after every step,
            # which moves it by rounding alone: the first step stays the fit.
            self._predict_best_constant()

    def _fit_warm(self, rate, listeners=()):
        """At most ``path_max_iter`` epochs from the current weights and
        optimizer state, with a fresh stopping rule."""
        state = self._state
        self._reg = self._regularization(rate)
        progress = Progress(samples_seen=state.samples_seen, unsettled_epochs=1)
        optimizer = state.optimizer
        if self._recipe.solver.in_epochs and optimizer is None:
            n_moments = self._recipe.solver.n_moments
            optimizer = OptimizerState.fresh(
                state.params, self._recipe.schedule.learning_rate_init, n_moments
            )
        self._keep(self._train(optimizer, progress, self._warm_epochs(), listeners), progress)

    def _train(self, optimizer, progress, max_iter, listeners):
        """Train the path's network at the current rate (``self._reg``);
        returns the optimizer state after it."""
        state = self._state
        return recipes.train(
            self._recipe,
            state.params,
            state.units,
            state.data,
            self._reg,
            optimizer,
            progress,
            state.random_state,
            max_iter=max_iter,
            listeners=listeners,
        )

    def _keep(self, optimizer, progress):
        """Record a step's end: the optimizer state and samples seen in the
        training state, the progress as the path's estimator's own."""
        self._state = self._state._replace(optimizer=optimizer, samples_seen=progress.samples_seen)
        base.hold_progress(self.estimator, progress, optimizer)
        self._progress = progress

    def _warm_epochs(self):
        """Most epochs of a warm step: ``path_max_iter``, or for the
        stochastic solvers on small data enough epochs for
        ``MIN_WARM_UPDATES`` updates; never more than a plain fit's
        ``max_iter``."""
        epochs = self.path_max_iter
        if self._recipe.solver.in_epochs:
            n_samples = self._state.data.n_samples
            updates_per_epoch = -(-n_samples // self._recipe.settings.batch_size)
            epochs = max(epochs, -(-MIN_WARM_UPDATES // updates_per_epoch))
        return min(epochs, self._parameters["max_iter"])

    def _predict_best_constant(self):
        """A network that ignores its input (a weight matrix all zero) gets
        the output intercept of the best constant prediction, the class
        frequencies or the mean target (``skreg._constant_model``): training
        would move it too slowly, and a dead path trains no more."""
        state, est = self._state, self.estimator
        coefs, intercepts = _network.views(state.params, state.units)
        best = best_constant_intercepts(
            coefs,
            intercepts,
            self._recipe.settings,
            est.out_activation_,
            state.data.Y,
            state.data.sample_weight,
        )
        for b, value in zip(intercepts, best):
            b[:] = value
        # J from the one output every row gets: the full-batch kernel
        # (engine.objective) would compile in a fresh environment for this
        # alone, where only L-BFGS needs it.
        output = constant_output(coefs, intercepts, self._recipe.settings)
        data_loss = engine.zero_network_loss(state.data, self._recipe.settings, output)
        self._progress.loss = data_loss + engine.penalty_value(state.params, state.units, self._reg)

    def _dead(self):
        """Whether the input layer has no weight left: larger rates cannot
        bring one back (docs/design.rst, "Paths")."""
        return not (np.any(self.estimator.coefs_[0]) or np.any(self.estimator._skip_coef()))

    def _objective(self):
        """J of the current network at the current rate."""
        state = self._state
        return engine.objective(
            state.data, state.params, state.units, self._reg, self._recipe.settings
        )

    def _capped(self, cold):
        """Which cap the step just trained reached, if it used every epoch
        it was allowed (``Step.capped``)."""
        if cold:
            return "first" if self.estimator.n_iter_ >= self.estimator.max_iter else ""
        if self._progress.n_iter > 0 and self._progress.n_iter >= self._warm_epochs():
            return "later"
        return ""

    def _snapshot(self, rate, seconds, capped=""):
        if self._progress.n_iter == 0 and self._progress.loss is None:
            objective = self._objective()
        else:
            objective = float(self._progress.loss)
        return Step(
            rate=float(rate),
            params=self._state.params.copy(),
            units=self._state.units,
            objective=objective,
            n_iter=int(self._progress.n_iter),
            seconds=seconds,
            loss_curve=list(self._progress.loss_curve),
            capped=capped,
        )


def adaptive_group_weights(estimator):
    """The adaptive group factors of a fitted network: ``(largest norm /
    group j's norm) ** ADAPTIVE_EXPONENT`` for each input feature's row of
    ``coefs_[0]``, or block (``group_norms``), 1 for the strongest, larger
    for weaker ones, at most ``LARGEST_FACTOR``, which a zero group gets;
    None when every row is zero (docs/design.rst, "Adaptive group weights")."""
    norms = group_norms(estimator)
    largest = norms.max()
    if not largest > 0:
        return None
    with np.errstate(divide="ignore"):
        factors = (largest / norms) ** ADAPTIVE_EXPONENT
    return np.minimum(factors, LARGEST_FACTOR)


# --------------------------------------------------------------------------
# The public function
# --------------------------------------------------------------------------


@interrupts.surfaces_as_keyboard_interrupt
def regularization_path(
    X,
    y,
    *,
    estimator=None,
    path_param="alpha",
    alphas=None,
    n_alphas=10,
    eps=1e-3,
    path_max_iter=20,
    warm_start=True,
    group_weights=None,
    sample_weight=None,
):
    """Train one network along a sequence of regularization rates.

    The first rate is trained as ``estimator.fit`` would; each later rate
    starts from the previous weights and optimizer state and trains at most
    ``path_max_iter`` epochs, with a fresh stopping rule. Rates are taken in
    increasing order, from the dense network to the sparse one.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The input data.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The targets.

    estimator : RegularizedMLPClassifier or RegularizedMLPRegressor, default=None
        The network and its settings (it is cloned, not changed). None takes
        a classifier for class labels and a regressor otherwise, with their
        defaults.

    path_param : {'alpha', 'group_alpha', 'skip_alpha'}, default='alpha'
        The parameter the path moves. If the estimator's value of it is a
        sequence, it gives the relative strength on each weight matrix;
        otherwise ``alpha`` acts on every layer and ``group_alpha`` on the
        input layer alone (feature selection). ``skip_alpha`` (the
        hierarchy's rate; needs ``skip_connection=True`` and ``hierarchy``)
        selects features for the whole network.

    alphas : array-like, default=None
        The rates, finite and non-negative, 1-D; sorted in increasing
        order. None builds ``n_alphas`` rates from the data, log-spaced from
        ``eps`` times the rate at which the penalty removes (nearly)
        everything up to that rate.

    n_alphas : int, default=10
        Number of rates of the automatic grid, at least 1.

    eps : float, default=1e-3
        Smallest rate of the automatic grid, as a fraction of the largest;
        in (0, 1).

    path_max_iter : int, default=20
        Most epochs (L-BFGS iterations) of each step after the first; never
        more than the estimator's ``max_iter``. The stochastic solvers train
        more epochs on small data, so that each step makes at least 100
        updates.

    warm_start : bool, default=True
        Whether each step starts from the previous one. False fits every rate
        from scratch, as ``estimator.fit`` would: slower, for comparison.

    group_weights : None or 'adaptive', default=None
        None trains with the estimator's own ``group_weights``. 'adaptive'
        computes them after the first step from its input rows, ``(largest
        row norm / row norm) ** 2`` per feature, and trains every later step
        with them: weak features then go first and strong ones are shrunk
        less (adaptive group lasso, see the user guide). Refused when the
        group term is off (``path_param='alpha'`` with ``group_alpha=0``).

    sample_weight : array-like of shape (n_samples,) or float, default=None
        Sample weights (a float weighs every sample alike).

    Returns
    -------
    path : Bunch
        ``alphas`` (n_alphas,), the rates; ``coefs`` and ``intercepts``, the
        network's ``coefs_`` and ``intercepts_`` at each rate; ``skip_coefs``,
        its ``skip_coef_`` at each rate (None without a skip connection);
        ``objective``, the training objective J; ``n_iter``, the epochs of each step;
        ``sparsity``, the fraction of exact-zero weights; ``n_features_selected``
        and ``active_features`` (n_alphas, n_features), the input features
        with a non-zero outgoing weight; ``exit_rates`` (n_features,), the
        rate from which on each feature is unused at every later rate (inf
        if the largest rate uses it, the first rate if none does): the
        order in which the path removed the features; ``active_hidden_units``
        (n_alphas, n_hidden_layers), how many units of each hidden layer are
        active; ``group_weights``, the factors the steps after the first
        trained with (None for none); ``path_param``; ``capped``
        (n_alphas,), whether the step used every epoch it was allowed
        (``max_iter`` for the first, ``path_max_iter`` for the later ones);
        ``loss_curve``, the objective after each epoch along the whole path,
        and ``loss_curve_rate_starts`` (n_alphas,), where each rate begins in
        it (for ``skreg.inspection.LossCurveDisplay``).

    Warns
    -----
    ConvergenceWarning
        Once per call when some steps stopped at their epoch cap, with how
        many (``capped`` says which); not once per step.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import RegularizedMLPClassifier, regularization_path
    >>> X, y = make_classification(n_samples=300, n_features=8, n_informative=3,
    ...                            n_redundant=0, shuffle=False, random_state=0)
    >>> X = StandardScaler().fit_transform(X)
    >>> path = regularization_path(
    ...     X, y, estimator=RegularizedMLPClassifier(hidden_layer_sizes=(16,), random_state=0),
    ...     path_param="group_alpha", n_alphas=5,
    ... )
    >>> int(path.n_features_selected[0])  # the smallest rate keeps every feature
    8
    >>> bool(path.n_features_selected[-1] < 8)  # larger rates remove some
    True
    """
    # Not the validate_params decorator: it would report the estimator's own
    # parameters as regularization_path's.
    validate_parameter_constraints(
        _PATH_CONSTRAINTS, dict(locals()), caller_name="regularization_path"
    )
    y = column_vector_flattened(y)  # one warning here, not from the grid and the path
    estimator = checked_path_estimator(
        estimator, y, path_param, adaptive=group_weights == "adaptive"
    )
    if alphas is None:
        alphas = rate_grid(
            estimator, X, y, sample_weight, path_param=path_param, n_alphas=n_alphas, eps=eps
        )
    else:
        alphas = check_rates(alphas, "regularization_path")
    trainer = PathTrainer(
        estimator,
        path_param,
        path_max_iter=path_max_iter,
        warm_start=warm_start,
        adaptive=group_weights == "adaptive",
    )
    with callbacks.managed(estimator):
        context = callbacks.path_context(estimator, len(alphas))
        with callbacks.task(context, estimator, X, y, sample_weight), capped_steps_quiet():
            steps = trainer.run(X, y, sample_weight, alphas, context=context)
    warn_capped_steps(
        [step.capped for step in steps],
        path_max_iter,
        estimator.max_iter,
        "the path",
    )
    return path_bunch(steps, path_param, trainer.estimator.group_weights)


def path_bunch(steps, path_param, group_weights=None):
    """The public description of a path's steps."""
    weights = [step.weights() for step in steps]
    coefs = [[W.copy() for W in w["coefs_"]] for w in weights]
    active = np.array([_network.features_in_use(w) for w in weights])
    skip = "skip_coef_" in weights[0]
    hidden = np.array(
        [[int(np.any(W != 0, axis=1).sum()) for W in c[1:]] for c in coefs], dtype=np.int64
    ).reshape(len(steps), -1)
    return Bunch(
        alphas=np.array([step.rate for step in steps]),
        coefs=coefs,
        intercepts=[[b.copy() for b in w["intercepts_"]] for w in weights],
        skip_coefs=[w["skip_coef_"].copy() for w in weights] if skip else None,
        objective=np.array([step.objective for step in steps]),
        n_iter=np.array([step.n_iter for step in steps]),
        sparsity=np.array([np.mean(np.concatenate([W.ravel() == 0 for W in c])) for c in coefs]),
        n_features_selected=active.sum(axis=1),
        active_features=active,
        exit_rates=exit_rates([step.rate for step in steps], active),
        active_hidden_units=hidden,
        group_weights=None if group_weights is None else np.asarray(group_weights, dtype=float),
        path_param=path_param,
        capped=np.array([bool(step.capped) for step in steps]),
        loss_curve=np.array([loss for step in steps for loss in step.loss_curve]),
        loss_curve_rate_starts=np.cumsum([0] + [len(step.loss_curve) for step in steps[:-1]]),
    )
