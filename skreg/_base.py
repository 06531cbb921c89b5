"""The estimators' shared base: parameter constraints, validation and the
glue between scikit-learn's fit / partial_fit / predict and the trainer.

A fit validates its input, builds the kernels' arguments (``skreg._config``),
hands the flat parameter vector to ``skreg._training`` and stores what comes
back as scikit-learn's fitted attributes.  ``coefs_`` and ``intercepts_`` are
views into that vector during a fit, and every fit or prediction repacks
whatever those attributes hold, so setting them by hand works as in
scikit-learn.
"""

import copy
import functools
from abc import ABC, abstractmethod
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.metrics import get_scorer_names
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
)

from . import _callbacks as callbacks
from . import _config as C
from . import _engine as engine
from . import _feature_groups as feature_blocks
from . import _interrupts as interrupts
from . import _network
from . import _recipe as recipes
from ._active_set import reduced_network, row_chunks
from ._constant_model import best_constant_intercepts, is_constant
from ._engine import OptimizerState
from ._held_out import (
    Judge,
    Split,
    held_out_data,
    train_validation_split,
    validation_measure,
    with_validation_lists,
)
from ._pruning import SparsityMixin
from ._training import (
    Progress,
)
from ._validation import (
    check_finite_output,
    check_finite_weights,
    check_hidden_layer_sizes,
    check_network_shapes,
    check_noise_input,
    check_prediction_input,
    check_sample_weight_sum,
    check_warm_output,
    check_warm_shapes,
    check_warm_skip,
)


def unchanged_on_error(method):
    """Decorate a fitting method so that, when it raises, the estimator is
    left as it was before the call: a fresh estimator stays unfitted, a
    fitted one keeps its weights and every other fitted attribute."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        saved = _saved_attributes(callbacks.fitted_attributes(self))
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            for name in callbacks.fitted_attributes(self):
                delattr(self, name)
            vars(self).update(_restored_attributes(saved))
            raise

    return guarded


class _SavedRandomState(NamedTuple):
    state: tuple


def _saved_attributes(attributes):
    """A deep copy of ``attributes`` for ``unchanged_on_error``, made quickly
    where ``copy.deepcopy`` is slow: a RandomState is kept as its state
    (deepcopy pickles it and first seeds a new generator from the operating
    system's entropy, a quarter of a millisecond on every partial_fit call),
    and a list of numbers (``loss_curve_``, which grows by one each call) is
    copied in one step rather than number by number."""
    quick = {}
    for name, value in attributes.items():
        if type(value) is np.random.RandomState:
            quick[name] = _SavedRandomState(value.get_state())
        elif type(value) is list and set(map(type, value)) <= {float, int}:
            quick[name] = list(value)
    copied = copy.deepcopy({name: v for name, v in attributes.items() if name not in quick})
    return {name: quick[name] if name in quick else copied[name] for name in attributes}


def _restored_attributes(saved):
    """The attributes ``_saved_attributes`` saved, RandomStates rebuilt."""
    restored = dict(saved)
    for name, value in saved.items():
        if type(value) is _SavedRandomState:
            restored[name] = np.random.RandomState()
            restored[name].set_state(value.state)
    return restored


def _per_layer_or_float(low, high=None, closed="left"):
    return [Interval(Real, low, high, closed=closed), "array-like"]


class BaseRegularizedMLP(SparsityMixin, callbacks.CallbackSupportMixin, BaseEstimator, ABC):
    """Shared machinery of the two estimators; use one of them instead."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(C.ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": _per_layer_or_float(0),
        "batch_size": [StrOptions({"auto", "quarter"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "l1_method": [StrOptions({"proximal", "subgradient"})],
        "group_alpha": _per_layer_or_float(0),
        "group_weights": ["array-like", None],
        "feature_groups": ["array-like", StrOptions({"auto"}), None],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "dropout": _per_layer_or_float(0, 1),
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "input_noise": [Interval(Real, 0, None, closed="left")],
        "max_norm": [Interval(Real, 0, None, closed="neither"), None],
        "skip_connection": ["boolean"],
        "hierarchy": [Interval(Real, 0, None, closed="neither"), None],
        "skip_alpha": [Interval(Real, 0, None, closed="left")],
        "leaky_relu_slope": [Interval(Real, 0, None, closed="left")],
        "scoring": [StrOptions(set(get_scorer_names()) | {"loss"}), callable, None],
    }

    @classmethod
    def _get_param_names(cls):
        # scikit-learn reads the constructor's signature anew on every
        # get_params, set_params and clone; a CV fit asks hundreds of times
        # (a scored model per fold and rate), a tenth of its time on tables of
        # a few hundred rows, and a class's signature does not change.
        return list(_constructor_parameter_names(cls))

    @abstractmethod
    def __init__(self):
        """Each public class assigns its parameters by name."""

    # ------------------------------------------------------------------
    # Public fitting API
    # ------------------------------------------------------------------

    @unchanged_on_error  # outside: the callbacks' teardown can raise too
    @_fit_context(prefer_skip_nested_validation=True)
    @interrupts.surfaces_as_keyboard_interrupt
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights; each sample's loss is weighted by it and the data
            loss is divided by their sum.

        X_val : {array-like, sparse matrix} of shape (n_val_samples, n_features), default=None
            Validation data. With ``early_stopping=True`` it replaces the split
            of ``validation_fraction``: training stops when the score on it
            (``scoring``) stalls, and the best weights are restored. Without
            early stopping, and with ``solver='lbfgs'`` (one record per
            iteration), its score and objective are only recorded, in
            ``validation_scores_`` and ``validation_loss_curve_``. It must
            have the features, outputs and (for a classifier) only classes
            of this call's training data. Pass it through
            a Pipeline with metadata routing (``set_fit_request``) and the
            Pipeline's ``transform_input``.

        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_outputs), default=None
            The targets of ``X_val``.

        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Sample weights of the validation data.

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ValueError
            For bad input or parameters, and when training diverges (the
            objective becomes non-finite or explodes). A fit that raises leaves
            the estimator as it was before the call.
        """
        return self._fit(
            X, y, sample_weight, incremental=False, held_out=(X_val, y_val, sample_weight_val)
        )

    def _check_solver(self):
        if not C.SOLVERS[self.solver].in_epochs:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, incremental, held_out=(None, None, None)):
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        user_weights = sample_weight
        X, y, Y, sample_weight = self._validated(X, y, sample_weight, incremental, reset=first_pass)
        held_out = held_out_data(
            self, *held_out, dtype=X.dtype, n_outputs=Y.shape[1], targets=self._validation_targets
        )
        if first_pass:
            self._random_state = check_random_state(self.random_state)
            units = np.array([X.shape[1], *hidden, Y.shape[1]], dtype=np.int64)
            self._initialize(Y, units, X.dtype, validation=held_out is not None)
        else:
            # Go on from whatever coefs_ hold (a pruned network included).
            check_warm_shapes(self, hidden, X.shape[1], Y.shape[1])
            check_warm_skip(self)
            check_warm_output(self)
            units = _network.units_of(self.coefs_)
        params = self._pack_params(X.dtype)
        reg = self._regularization(len(units) - 1)
        if not first_pass:
            self._random_state = self._continued_random_state(reg)
        if not incremental:
            # As in scikit-learn, only partial_fit goes on with the optimizer
            # state of the previous call; fit (warm start included) starts
            # afresh, and an L-BFGS fit, which keeps none, leaves none behind.
            vars(self).pop("_optimizer_state", None)
        in_epochs = C.SOLVERS[self.solver].in_epochs
        epochs = 1 if incremental else self.max_iter + (not in_epochs)  # L-BFGS opens one more
        context = callbacks.fit_context(self, max_subtasks=epochs)
        callbacks.begin(context, self, X, y, user_weights)
        listeners = callbacks.epoch_listeners(self, context, X, y, user_weights)
        if not in_epochs:
            self._fit_lbfgs(X, Y, sample_weight, params, units, reg, held_out, listeners)
        else:
            self._fit_stochastic(
                X, y, Y, sample_weight, params, units, reg, incremental, held_out, listeners
            )
        if not incremental and is_constant(self.coefs_, self._skip_coef()):
            # A network that ignores its input learns its output intercept one
            # step per update: set it to the best constant (the class
            # frequencies, the mean target), the exact minimizer of J in it.
            self.intercepts_ = best_constant_intercepts(
                self.coefs_,
                self.intercepts_,
                self._settings(Y.shape[0]),
                self.out_activation_,
                Y,
                sample_weight,
            )
        check_finite_weights(params)
        callbacks.end(context, self, X, y, user_weights, reconstruction_attributes={})
        return self

    def _validated(self, X, y, sample_weight, incremental, reset):
        """``(X, y, Y, sample_weight)`` checked, and in the form the trainer
        takes: Y 2-D in X's dtype (classes binarized), the weights with class
        weights multiplied in; y as checked, for scoring."""
        X, y, Y = self._validate_input(X, y, incremental, reset=reset)
        auto = feature_blocks.is_auto(self.feature_groups)
        if reset or not auto or not getattr(self, "_feature_groups_read", False):
            # "auto" reads the blocks from this data, once: a later
            # partial_fit's batch keeps them.  Given labels are taken as
            # they are now, even when changed since the fit, and "auto" set
            # since the fit reads them from this call's data.
            names = getattr(self, "feature_names_in_", None)
            if auto and names is None and not reset:
                raise ValueError(
                    "feature_groups='auto' reads the blocks from the column names, but the "
                    "network was fitted on X without them: warm_start=True and partial_fit "
                    "keep the features of the fit. Set warm_start=False to train a new "
                    "network on the named columns, or give the labels themselves."
                )
            self.feature_groups_ = feature_blocks.input_groups(self.feature_groups, X, names)
            self._feature_groups_read = auto
        source = self._weights_source(given=sample_weight is not None)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        sample_weight = C.writeable(self._weight_classes(Y, sample_weight), X.dtype)
        check_sample_weight_sum(sample_weight, source)
        return X, y, Y, sample_weight

    def _weight_classes(self, Y, sample_weight):
        """Hook for the classifier's class_weight; regressors weigh nothing."""
        return sample_weight

    def _weights_source(self, given):
        """What the training weights come from, as their errors name it."""
        return "sample_weight"

    def _initialize(self, Y, units, dtype, validation=False):
        """Fresh fitted state and Glorot-uniform weights, drawn as scikit-learn's
        MLP draws them, so that the same seed gives the same start."""
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(units)
        self.out_activation_ = self._output_activation()
        self.coefs_, self.intercepts_ = _network.glorot_uniform(
            units, self.activation, self._random_state, dtype
        )
        # The skip connection starts at zero: the network alone fits first.
        if self.skip_connection:
            self.skip_coef_ = np.zeros((units[0], units[-1]), dtype=dtype)
        else:
            vars(self).pop("skip_coef_", None)
        # What a warm start must find unchanged (prune() changes the shapes of
        # coefs_, not the sizes the user asked for).
        self._initial_hidden_layer_sizes = [int(u) for u in units[1:-1]]
        stochastic = C.SOLVERS[self.solver].in_epochs
        self._store_progress(
            Progress.fresh(
                validation=validation,
                early_stopping=self.early_stopping and stochastic,
            )
        )

    def _progress(self):
        """The trainer's view of the fitted attributes that track progress
        (the validation ones may be missing where code written for
        scikit-learn's MLP set the attributes by hand)."""
        return Progress(
            loss_curve=self.loss_curve_,
            best_loss=self.best_loss_,
            no_improvement_count=self._no_improvement_count,
            validation_scores=getattr(self, "validation_scores_", None),
            best_validation_score=getattr(self, "best_validation_score_", None),
            validation_loss_curve=getattr(self, "validation_loss_curve_", None),
            samples_seen=self.t_,
            n_iter=self.n_iter_,
            loss=getattr(self, "loss_", None),
        )

    def _store_progress(self, progress):
        """scikit-learn's fitted attributes, from the trainer's progress."""
        self.loss_curve_ = progress.loss_curve
        self.best_loss_ = progress.best_loss
        self._no_improvement_count = progress.no_improvement_count
        self.validation_scores_ = progress.validation_scores
        self.best_validation_score_ = progress.best_validation_score
        self.validation_loss_curve_ = progress.validation_loss_curve
        self.t_ = progress.samples_seen
        self.n_iter_ = progress.n_iter
        if progress.loss is not None:
            self.loss_ = progress.loss

    def _pack_params(self, dtype):
        """Copy coefs_ and intercepts_ into one flat vector and make the two
        attributes views into it, so the kernels' in-place updates show."""
        params = _network.pack(self.coefs_, self.intercepts_, dtype, self._skip_coef())
        vars(self).update(_network.fitted_weights(params, _network.units_of(self.coefs_)))
        return params

    def _regularization(self, n_weights):
        n_features = getattr(self, "n_features_in_", None)
        groups = feature_blocks.fitted_groups(self)
        return recipes.regularization(
            self.get_params(deep=False), n_weights, n_features, feature_groups=groups
        )

    def _recipe(self, batch_rows):
        """How this estimator trains (``skreg._recipe``), in minibatches of
        ``batch_rows`` rows."""
        return recipes.recipe(self.get_params(deep=False), self.out_activation_, batch_rows)

    def _settings(self, batch_size):
        return self._recipe(batch_size).settings

    # -- L-BFGS ---------------------------------------------------------

    def _fit_lbfgs(self, X, Y, sample_weight, params, units, reg, held_out, listeners=()):
        data = engine.training_data(X, Y, sample_weight, params.dtype)
        validation = None
        if held_out is not None:
            validation = validation_measure(self._judge(), *held_out, params, units, reg)
        progress = with_validation_lists(self._progress(), validation)
        recipes.train(
            self._recipe(data.n_samples),
            params,
            units,
            data,
            reg,
            None,  # L-BFGS keeps no optimizer state
            progress,
            self._random_state,
            max_iter=self.max_iter,
            listeners=listeners,
            validation=validation,
        )
        self._store_progress(progress)

    def _loss_grad_lbfgs(self, packed_parameters, X, y, sample_weight=None, *buffers):
        """Objective J and its full gradient at a packed parameter vector
        (weights, then intercepts): scikit-learn's private hook, which its own
        test suite calls (``test_gradient``, run on skreg by
        tests/test_sklearn_suite.py).  ``buffers`` (scikit-learn's work
        arrays) are not needed here."""
        dtype = self.coefs_[0].dtype
        params = np.array(packed_parameters, dtype=dtype)
        units = _network.units_of(self.coefs_)
        Y = np.asarray(y).reshape(X.shape[0], -1)
        sw = _check_sample_weight(sample_weight, X, dtype=dtype)
        data = engine.training_data(X, Y, sw, dtype)
        grads = np.empty_like(params)
        reg = self._regularization(len(units) - 1)
        value = engine.objective_and_gradient(data, params, units, reg, self._settings(1), grads)
        return value, grads

    # -- SGD and Adam ---------------------------------------------------

    def _fit_stochastic(
        self, X, y, Y, sample_weight, params, units, reg, incremental, held_out, listeners
    ):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        check_noise_input(X, self.input_noise)

        split = None
        if self.early_stopping:
            split = Split(
                self.validation_fraction,
                self._random_state,
                self._stratification_labels(Y),
                self._targets_for_scoring,
            )
        X_train, Y_train, sw_train, validation = train_validation_split(
            self._judge(), split, X, Y, sample_weight, held_out, params, units, reg
        )
        data = engine.training_data(X_train, Y_train, sw_train, params.dtype)
        progress = with_validation_lists(self._progress(), validation)
        self._run_stochastic(
            params,
            units,
            data,
            reg,
            progress,
            max_iter=self.max_iter,
            validation=validation,
            stop_on_validation=self.early_stopping,
            incremental=incremental,
            listeners=listeners,
        )
        self._store_progress(progress)

    def _run_stochastic(self, params, units, data, reg, progress, **training):
        """``train`` with this estimator's recipe, its optimizer state
        (``_optimizer_state``) and random stream (``_random_state``)."""
        recipe = self._recipe(self._batch_size(data.n_samples))
        optimizer = recipes.train(
            recipe,
            params,
            units,
            data,
            reg,
            self._resumed_optimizer(params),
            progress,
            self._random_state,
            **training,
        )
        # Kept as plain values (an array and two numbers) rather than as the
        # engine's OptimizerState, so that skops loads a fitted estimator
        # without being asked to trust a private type.
        self._optimizer_state = dict(vars(optimizer))

    def _continued_random_state(self, reg):
        """The random stream of a call that goes on from the fitted network
        (``partial_fit``, a warm start).  Where training draws dropout masks
        or input noise, the stream the last call left, copied: reseeded, every
        call would draw the first call's masks and noise again, a fixed
        perturbation instead of fresh ones.  Otherwise reseeded from
        ``random_state``, as scikit-learn's MLP does (its shuffles alone);
        with early stopping too, whose validation split, drawn first from the
        stream, must stay the one the network never trained on."""
        carried = getattr(self, "_random_state", None)
        if (
            not C.needs_randomness(reg)
            or self.early_stopping
            or not isinstance(carried, np.random.RandomState)
        ):
            return check_random_state(self.random_state)
        stream = np.random.RandomState()
        stream.set_state(carried.get_state())
        return stream

    def _resumed_optimizer(self, params):
        """The optimizer state to train ``params`` from: the one the last
        call left (partial_fit, a path's next rate) when it fits ``params``,
        else a fresh one."""
        kept = getattr(self, "_optimizer_state", None)
        n_moments = C.SOLVERS[self.solver].n_moments
        if (
            kept is None
            or kept["moments"].shape[1] != params.shape[0]
            or kept["moments"].shape[0] < n_moments  # the solver changed since
        ):
            return OptimizerState.fresh(params, self.learning_rate_init, n_moments)
        # partial_fit with input of the other float dtype trains in that dtype.
        moments = kept["moments"].astype(params.dtype, copy=False)
        return OptimizerState(**{**kept, "moments": moments})

    @property
    def _optimizer(self):
        """The optimizer state under scikit-learn's private name, kept for
        code written against scikit-learn's MLP (which reads its
        ``learning_rate``).  Built on each access: setting its fields changes
        nothing."""
        return OptimizerState(**self._optimizer_state)

    def _batch_size(self, n_samples):
        return recipes.batch_size(self.batch_size, n_samples)

    def _judge(self):
        """How held-out data judge this estimator's network (``skreg._held_out``)."""
        return Judge(self, self.scoring, self._score, self._settings(1))

    def _targets_for_scoring(self, Y):
        return Y

    def _stratification_labels(self, Y):
        """Labels the early-stopping split is stratified on (None: not)."""
        return None

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    @interrupts.surfaces_as_keyboard_interrupt
    def _forward(self, X, check_input=True):
        """Output-layer values (probabilities, means) for the rows of X;
        with ``check_input`` (a user's call), X is validated and an output
        that is not finite refused.  Without it (scoring inside a fit), a
        diverged model's NaN reaches the scorer, which judges it."""
        if not check_input:
            return self._network_output(X)
        X = check_prediction_input(self, X)
        output = self._network_output(X)
        check_finite_output(output, X)
        return output

    def _network_output(self, X):
        """Output-layer values for a validated X."""
        check_network_shapes(self.coefs_, self.intercepts_)
        dtype = self.coefs_[0].dtype
        units = _network.units_of(self.coefs_)
        if units[0] != X.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, but coefs_[0] takes {units[0]} inputs.")
        settings = self._settings(batch_size=1)
        if is_constant(self.coefs_, self._skip_coef()):
            # No input reaches the output (a weight matrix is all zero, X is
            # finite): every row gets the first row's values.
            params = _network.pack(self.coefs_, self.intercepts_, dtype, self._skip_coef())
            first = engine.predict(row_chunks(X[:1], None), 1, params, units, settings)
            return np.repeat(first, X.shape[0], axis=0)
        # Input features and hidden units the penalty removed are left out.
        columns, coefs, intercepts, skip = reduced_network(
            self.coefs_, self.intercepts_, self._skip_coef()
        )
        units = _network.units_of(coefs)
        params = _network.pack(coefs, intercepts, dtype, skip)
        return engine.predict(row_chunks(X, columns), X.shape[0], params, units, settings)

    def _score_with_function(self, X, y, sample_weight, score_function):
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


# --------------------------------------------------------------------------
# An estimator's training state as plain values: what a path goes on from
# --------------------------------------------------------------------------


@functools.cache
def _constructor_parameter_names(cls):
    """scikit-learn's parameter names of ``cls``, read once per class."""
    return tuple(super(BaseRegularizedMLP, cls)._get_param_names())


class TrainingState(NamedTuple):
    """Where an estimator's training stands, as plain values."""

    data: engine.TrainingData  # the training data as the engine takes it
    params: np.ndarray  # the network, flat; coefs_ and intercepts_ are views into it
    units: np.ndarray
    optimizer: OptimizerState | None  # None: no stochastic solver has trained it
    random_state: np.random.RandomState
    samples_seen: int


def training_state(estimator, X, y, sample_weight):
    """The state of ``estimator``, fitted on (X, y, sample_weight), to go
    on training from."""
    X, _, Y, sample_weight = estimator._validated(
        X, y, sample_weight, incremental=True, reset=False
    )
    params = estimator._pack_params(X.dtype)
    optimizer = None
    if getattr(estimator, "_optimizer_state", None) is not None:
        optimizer = estimator._resumed_optimizer(params)
    return TrainingState(
        engine.training_data(X, Y, sample_weight, X.dtype),
        params,
        _network.units_of(estimator.coefs_),
        optimizer,
        estimator._random_state,
        estimator.t_,
    )


def starting_state(estimator, X, y, sample_weight):
    """The state a fresh fit of ``estimator`` starts from: its data checked
    and its initial network drawn, as ``fit`` does (``estimator`` takes the
    fitted attributes of the data: features, classes, outputs)."""
    return checked_start(estimator, X, y, sample_weight)[2]


def checked_start(estimator, X, y, sample_weight):
    """``(X, y, state)``: X and y as ``fit`` checks them (what its callbacks
    hear) and ``starting_state``."""
    estimator._random_state = check_random_state(estimator.random_state)
    X, y, Y, sample_weight = estimator._validated(
        X, y, sample_weight, incremental=False, reset=True
    )
    hidden = check_hidden_layer_sizes(estimator.hidden_layer_sizes)
    units = np.array([X.shape[1], *hidden, Y.shape[1]], dtype=np.int64)
    estimator._initialize(Y, units, X.dtype)
    state = TrainingState(
        engine.training_data(X, Y, sample_weight, X.dtype),
        estimator._pack_params(X.dtype),
        units,
        None,
        estimator._random_state,
        0,
    )
    return X, y, state


def hold_progress(estimator, progress, optimizer):
    """Record a path step's progress and optimizer state as ``estimator``'s
    fitted attributes, as its own fit would."""
    estimator._store_progress(progress)
    if optimizer is not None:
        estimator._optimizer_state = dict(vars(optimizer))
