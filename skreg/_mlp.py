"""The estimators: validation, fit / partial_fit / predict and the epoch loop.

The numerical work happens in ``skreg._kernels``; this module turns the
estimator's parameters into the arrays and integer codes the kernels take,
runs the epoch loop (stopping rules, learning-rate schedules, early stopping,
verbose output) and keeps scikit-learn's public behaviour.

Parameters live in one flat vector during a fit (see ``_kernels``);
``coefs_`` and ``intercepts_`` are views into it, and every fit or
prediction repacks whatever those attributes hold, so setting them by hand
works as in scikit-learn.
"""

import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _kernels as K
from ._pruning import prune_network
from ._penalties import layer_regularization, non_smooth_terms, stochastic_terms

_STOCHASTIC_SOLVERS = ("sgd", "adam")
_ACTIVATION_CODES = {
    "identity": K.ACT_IDENTITY,
    "logistic": K.ACT_LOGISTIC,
    "tanh": K.ACT_TANH,
    "relu": K.ACT_RELU,
}
# out_activation_ -> the loss it is paired with
_LOSS_CODES = {
    "identity": K.LOSS_SQUARED,
    "exp": K.LOSS_POISSON,
    "softmax": K.LOSS_MULTINOMIAL,
    "logistic": K.LOSS_BINARY,
}
# Seeds handed to Numba's generator (dropout masks, input noise) must fit in 32 bits.
_MAX_SEED = 2**31 - 1


def _per_layer_or_float(low, high=None, closed="left"):
    return [Interval(Real, low, high, closed=closed), "array-like"]


class _OptimizerState:
    """What the stochastic solvers carry from one epoch (or partial_fit) to
    the next: the moments (SGD's velocity in row 0; Adam's first and second
    moments in rows 0 and 1), the number of steps taken (Adam's time step)
    and the current learning rate of the schedule."""

    def __init__(self, params, learning_rate):
        self.moments = np.zeros((2, params.shape[0]), dtype=params.dtype)
        self.steps = 0
        self.learning_rate = float(learning_rate)


class _BaseRegularizedMLP(BaseEstimator, ABC):
    """Shared machinery of the two estimators; use one of them instead."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": _per_layer_or_float(0),
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
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
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "dropout": _per_layer_or_float(0, 1),
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "input_noise": [Interval(Real, 0, None, closed="left")],
        "max_norm": [Interval(Real, 0, None, closed="neither"), None],
    }

    @abstractmethod
    def __init__(self, **params):
        for name, value in params.items():
            setattr(self, name, value)

    # ------------------------------------------------------------------
    # Public fitting API
    # ------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
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

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    # ------------------------------------------------------------------
    # Sparsity reporting
    # ------------------------------------------------------------------

    @property
    def sparsity_(self):
        """Fraction of exactly-zero weights, one float per weight matrix."""
        check_is_fitted(self, "coefs_")
        return [float(np.mean(W == 0)) for W in self.coefs_]

    @property
    def active_units_(self):
        """One boolean mask per layer but the output layer (inputs included):
        a unit is active when any of its outgoing weights is non-zero."""
        check_is_fitted(self, "coefs_")
        return [np.any(W != 0, axis=1) for W in self.coefs_]

    @property
    def n_features_selected_(self):
        """Number of input features with a non-zero outgoing weight."""
        return int(np.sum(self.active_units_[0]))

    def prune(self):
        """Remove the hidden units that cannot change the output.

        A unit whose outgoing weights are all zero is removed with its
        incoming weights and intercept; a unit whose incoming weights are all
        zero has a constant output, which is folded into the next layer's
        intercept before the unit is removed.  Predictions stay the same up
        to rounding and get cheaper.  ``hidden_layer_sizes`` keeps the value
        the user set; the pruned sizes are the shapes of ``coefs_``.  The
        optimizer state is dropped, so a later ``partial_fit`` starts it
        afresh.

        Returns
        -------
        self : object
            The pruned estimator.
        """
        check_is_fitted(self, "coefs_")
        self.coefs_, self.intercepts_, _ = prune_network(
            self.coefs_, self.intercepts_, self.activation
        )
        if hasattr(self, "_optimizer"):
            del self._optimizer
        return self

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if np.any(np.array(sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return sizes

    def _fit(self, X, y, sample_weight, incremental):
        hidden = self._hidden_layer_sizes()
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        sample_weight = _writeable(self._weight_classes(Y, sample_weight), X.dtype)
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            units = np.array([X.shape[1], *hidden, Y.shape[1]], dtype=np.int64)
            self._initialize(Y, units, X.dtype)
        else:
            # Go on from whatever coefs_ hold (a pruned network included).
            units = self._units_from_coefs()
            self._check_warm_shapes(units, X.shape[1], Y.shape[1])
        params = self._pack_params(X.dtype)
        layer_reg = layer_regularization(self, len(units) - 1)

        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, sample_weight, params, units, layer_reg)
        else:
            self._fit_stochastic(X, Y, sample_weight, params, units, layer_reg, incremental)

        if not np.all(np.isfinite(params)):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

    def _weight_classes(self, Y, sample_weight):
        """Hook for the classifier's class_weight; regressors weigh nothing."""
        return sample_weight

    def _initialize(self, Y, units, dtype):
        """Fresh fitted state and Glorot-uniform weights, drawn in the same
        order as scikit-learn's MLP so that the same seed gives the same start."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(units)
        self.out_activation_ = self._output_activation()
        factor = 2.0 if self.activation == "logistic" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(units[:-1], units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            intercept = self._random_state.uniform(-bound, bound, fan_out)
            self.coefs_.append(coef.astype(dtype, copy=False))
            self.intercepts_.append(intercept.astype(dtype, copy=False))
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping and self.solver in _STOCHASTIC_SOLVERS:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _check_warm_shapes(self, units, n_features, n_outputs):
        if units[0] != n_features or units[-1] != n_outputs:
            raise ValueError(
                f"coefs_ map {units[0]} inputs to {units[-1]} outputs, but the data "
                f"has {n_features} features and {n_outputs} outputs; refit with "
                "warm_start=False."
            )
        if any(b.shape != (W.shape[1],) for W, b in zip(self.coefs_, self.intercepts_)):
            raise ValueError("intercepts_ do not match the shapes of coefs_.")

    def _pack_params(self, dtype):
        """Copy coefs_ and intercepts_ into one flat vector and make the two
        attributes views into it, so the kernels' in-place updates show."""
        params = self._flat_params(dtype)
        units = self._units_from_coefs()
        coef_start, intercept_start = K.layer_offsets(units)
        self.coefs_ = [
            params[coef_start[l] : coef_start[l + 1]].reshape(units[l], units[l + 1])
            for l in range(len(units) - 1)
        ]
        self.intercepts_ = [
            params[intercept_start[l] : intercept_start[l + 1]]
            for l in range(len(units) - 1)
        ]
        return params

    def _flat_params(self, dtype):
        """A new flat vector of coefs_ then intercepts_ (the kernels' layout)."""
        blocks = [np.asarray(W, dtype=dtype).ravel() for W in self.coefs_]
        blocks += [np.asarray(b, dtype=dtype).ravel() for b in self.intercepts_]
        return np.concatenate(blocks)

    def _units_from_coefs(self):
        return np.array(
            [self.coefs_[0].shape[0]] + [W.shape[1] for W in self.coefs_], dtype=np.int64
        )

    def _integer_config(self, batch_size):
        icfg = np.zeros(K.N_ICFG, dtype=np.int64)
        icfg[K.CFG_ACTIVATION] = _ACTIVATION_CODES[self.activation]
        icfg[K.CFG_LOSS] = _LOSS_CODES[self.out_activation_]
        icfg[K.CFG_SOLVER] = K.SOLVER_ADAM if self.solver == "adam" else K.SOLVER_SGD
        icfg[K.CFG_NESTEROV] = int(self.nesterovs_momentum)
        icfg[K.CFG_L1_METHOD] = (
            K.L1_SUBGRADIENT if self.l1_method == "subgradient" else K.L1_PROXIMAL
        )
        icfg[K.CFG_BATCH_SIZE] = batch_size
        return icfg

    def _float_config(self):
        fcfg = np.zeros(K.N_FCFG, dtype=np.float64)
        fcfg[K.FCFG_LR] = self._optimizer.learning_rate
        fcfg[K.FCFG_MOMENTUM] = self.momentum
        fcfg[K.FCFG_BETA1] = self.beta_1
        fcfg[K.FCFG_BETA2] = self.beta_2
        fcfg[K.FCFG_EPSILON] = self.epsilon
        fcfg[K.FCFG_WEIGHT_DECAY] = self.weight_decay
        fcfg[K.FCFG_INPUT_NOISE] = self.input_noise
        return fcfg

    # -- L-BFGS ---------------------------------------------------------

    def _fit_lbfgs(self, X, Y, sample_weight, params, units, layer_reg):
        unsupported = non_smooth_terms(layer_reg) + stochastic_terms(
            layer_reg, self.input_noise, self.weight_decay
        )
        if unsupported:
            raise ValueError(
                f"solver='lbfgs' needs a smooth, deterministic objective; "
                f"{', '.join(unsupported)} need solver='sgd' or solver='adam'."
            )
        icfg = self._integer_config(batch_size=X.shape[0])
        grads = np.empty_like(params)
        inputs = _kernel_input(X, params.dtype)

        def objective(x):
            params[:] = x
            value = K.objective_and_gradient(
                inputs, Y, sample_weight, params, units, layer_reg, icfg, grads
            )
            return value, grads.astype(np.float64)

        def record(intermediate_result):
            self.loss_curve_.append(float(intermediate_result.fun))
            if self.verbose:
                print(f"Iteration {len(self.loss_curve_)}, loss = {self.loss_curve_[-1]:.8f}")

        result = scipy.optimize.minimize(
            objective,
            params.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=record,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
        )
        self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        self.loss_ = float(result.fun)
        self.best_loss_ = min(self.loss_curve_, default=self.loss_)
        params[:] = result.x

    def _loss_grad_lbfgs(self, packed_parameters, X, y, sample_weight=None, *buffers):
        """Objective J and its full gradient at a packed parameter vector
        (weights, then intercepts): scikit-learn's private hook, kept for code
        written against it.  ``buffers`` (scikit-learn's work arrays) are
        not needed here."""
        dtype = self.coefs_[0].dtype
        params = np.array(packed_parameters, dtype=dtype)
        units = self._units_from_coefs()
        Y = _writeable(np.asarray(y).reshape(X.shape[0], -1), dtype)
        sw = _check_sample_weight(sample_weight, X, dtype=dtype)
        grads = np.empty_like(params)
        value = K.objective_and_gradient(
            _kernel_input(X, dtype), Y, _writeable(sw, dtype), params, units,
            layer_regularization(self, len(units) - 1), self._integer_config(1), grads,
        )
        return value, grads

    # -- SGD and Adam ---------------------------------------------------

    def _fit_stochastic(self, X, Y, sample_weight, params, units, layer_reg, incremental):
        fresh = not incremental or not hasattr(self, "_optimizer")
        if fresh or self._optimizer.moments.shape[1] != params.shape[0]:
            self._optimizer = _OptimizerState(params, self.learning_rate_init)
        # partial_fit with input of the other float dtype trains in that dtype.
        self._optimizer.moments = self._optimizer.moments.astype(params.dtype, copy=False)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if sp.issparse(X) and self.input_noise > 0:
            raise ValueError(
                "input_noise would fill sparse input in with noise; pass X as a "
                "dense array to use it."
            )

        split = self._train_validation_split(X, Y, sample_weight)
        X_train, Y_train, sw_train, X_val, y_val, sw_val = split
        n_samples = X_train.shape[0]
        inputs = _kernel_input(X_train, params.dtype)
        batch_size = self._batch_size(n_samples)
        icfg = self._integer_config(batch_size)
        needs_seed = bool(stochastic_terms(layer_reg, self.input_noise, 0.0))
        sw_total = float(np.sum(sw_train, dtype=np.float64))
        if self.early_stopping:
            self._best_params = params.copy()

        order = np.arange(n_samples, dtype=np.int64)
        self.n_iter_ = 0  # as scikit-learn: the epochs of this call
        for _ in range(self.max_iter):
            if self.shuffle:
                self._random_state.shuffle(order)
            if needs_seed:
                icfg[K.CFG_SEED] = self._random_state.randint(_MAX_SEED)
            fcfg = self._float_config()
            opt = self._optimizer
            data_loss, opt.steps = K.train_epoch(
                inputs, Y_train, sw_train, order, params, opt.moments, units,
                layer_reg, icfg, fcfg, opt.steps,
            )
            self.n_iter_ += 1
            self.t_ += n_samples
            data_loss = data_loss / sw_total if sw_total > 0 else 0.0
            self.loss_ = data_loss + K.penalty_value(params, units, layer_reg)
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
            self._update_no_improvement_count(X_val, y_val, sw_val, params)
            self._update_learning_rate()
            if self._no_improvement_count > self.n_iter_no_change:
                if self._should_stop():
                    break
                self._no_improvement_count = 0
            if incremental:
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
        if self.early_stopping:
            params[:] = self._best_params

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _train_validation_split(self, X, Y, sample_weight):
        """(X_train, Y_train, sw_train, X_val, y_val, sw_val); the validation
        part is None without early stopping.  Stratified for single-output
        classification."""
        if not self.early_stopping:
            return X, Y, sample_weight, None, None, None
        X_train, X_val, Y_train, Y_val, sw_train, sw_val = train_test_split(
            X,
            Y,
            sample_weight,
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=self._stratification_labels(Y),
        )
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        y_val = self._targets_for_scoring(Y_val)
        return (
            X_train,
            _writeable(Y_train, Y.dtype),
            _writeable(sw_train, sample_weight.dtype),
            X_val,
            y_val,
            sw_val,
        )

    def _targets_for_scoring(self, Y):
        return Y

    def _stratification_labels(self, Y):
        """Labels the early-stopping split is stratified on (None: not)."""
        return None

    def _update_no_improvement_count(self, X_val, y_val, sw_val, params):
        if self.early_stopping:
            score = self._score(X_val, y_val, sample_weight=sw_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params[:] = params
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])

    def _update_learning_rate(self):
        """End-of-epoch schedule; as in scikit-learn, only SGD has one."""
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            self._optimizer.learning_rate = (
                self.learning_rate_init / (self.t_ + 1) ** self.power_t
            )

    def _should_stop(self):
        """Called when the loss (or validation score) stalled: stop, or for
        SGD with the adaptive schedule, divide the learning rate by 5."""
        what = "Validation score" if self.early_stopping else "Training loss"
        msg = (
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )
        adaptive = self.solver == "sgd" and self.learning_rate == "adaptive"
        if not adaptive:
            if self.verbose:
                print(msg + " Stopping.")
            return True
        if self._optimizer.learning_rate <= 1e-6:
            if self.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self._optimizer.learning_rate /= 5.0
        if self.verbose:
            print(msg + f" Setting learning rate to {self._optimizer.learning_rate:f}")
        return False

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    def _forward(self, X, check_input=True):
        """Output-layer values (probabilities, means) for the rows of X."""
        if check_input:
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32),
                reset=False,
            )
        dtype = self.coefs_[0].dtype
        units = self._units_from_coefs()
        params = self._flat_params(dtype)
        out = np.empty((X.shape[0], units[-1]), dtype=dtype)
        K.predict(
            _kernel_input(X, dtype),
            params,
            units,
            _ACTIVATION_CODES[self.activation],
            _LOSS_CODES[self.out_activation_],
            out,
        )
        return out

    def _score_with_function(self, X, y, sample_weight, score_function):
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _writeable(a, dtype):
    """C-contiguous, writeable array of ``dtype`` (a copy only when needed).

    Numba compiles read-only arrays (joblib's memory maps, for instance) as a
    type of their own; copying them keeps one specialization per dtype."""
    return np.require(a, dtype=dtype, requirements=["C", "W"])


def _kernel_input(X, dtype):
    """X (dense, or scipy CSR/CSC) as the kernels' input-matrix tuple."""
    if sp.issparse(X):
        X = X.tocsr()
        return (
            np.empty((0, X.shape[1]), dtype),
            _writeable(X.data, dtype),
            _writeable(X.indices, np.int64),
            _writeable(X.indptr, np.int64),
        )
    return (
        _writeable(X, dtype), np.empty(0, dtype), np.empty(0, np.int64),
        np.empty(0, np.int64),
    )


def _validate_X_y(est, X, y, reset, **kwargs):
    X, y = validate_data(
        est,
        X,
        y,
        accept_sparse=["csr", "csc"],
        multi_output=True,
        dtype=(np.float64, np.float32),
        order="C",
        reset=reset,
        **kwargs,
    )
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    return X, y


_COMMON_PARAMETERS_DOC = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        'adam' and 'sgd' train in minibatches with a proximal step for the
        non-smooth penalties; 'lbfgs' (scipy's L-BFGS-B, full batch) supports
        only smooth, deterministic objectives (``penalty`` 'l2' or None, no
        ``group_alpha``, dropout, noise, max-norm or weight decay).

    alpha : float or array-like of shape (n_layers - 1,), default=0.0001
        Strength of the penalty, one value per weight matrix if a sequence.
        Unlike scikit-learn's MLP, the penalty is not divided by the batch
        size: scikit-learn's ``alpha_sk`` with batch size ``B`` is
        ``alpha = alpha_sk / B`` here (``B = n_samples`` for lbfgs).

    batch_size : int or 'auto', default='auto'
        Minibatch size of the stochastic solvers; 'auto' is
        ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule of solver='sgd', as in scikit-learn.

    learning_rate_init : float, default=0.001
        Initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle the samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, the early-stopping split,
        dropout masks and input noise. The same seed gives the same model.

    tol : float, default=1e-4
        Tolerance of the stopping rule: training stops when the loss (or the
        validation score) does not improve by ``tol`` for
        ``n_iter_no_change`` consecutive epochs.

    verbose : bool, default=False
        Print the objective after every epoch.

    warm_start : bool, default=False
        Continue from the current ``coefs_`` and ``intercepts_``.

    momentum : float, default=0.9
        Momentum of solver='sgd'.

    nesterovs_momentum : bool, default=True
        Whether solver='sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for
        single-output classification), stop when its score stalls and restore
        the best weights.

    validation_fraction : float, default=0.1
        Share of the data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate.

    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate.

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int, default=10
        Epochs without improvement before stopping (``np.inf`` never stops).

    max_fun : int, default=15000
        Maximum number of objective evaluations of solver='lbfgs'.

    penalty : {'l2', 'l1', 'elasticnet'} or None, default='l2'
        Norm penalized with strength ``alpha``: ``rho * ||W||_1 +
        (1 - rho) / 2 * ||W||_2^2`` with rho 0 for 'l2', 1 for 'l1' and
        ``l1_ratio`` for 'elasticnet'. None switches the term off.
        Intercepts are never penalized.

    l1_ratio : float, default=0.15
        The L1 share rho of 'elasticnet'.

    l1_method : {'proximal', 'subgradient'}, default='proximal'
        'proximal' soft-thresholds the weights after each step, so that they
        reach exact zeros (per coordinate with Adam); 'subgradient' adds
        ``alpha * rho * sign(w)`` to the gradient, as Keras does.

    group_alpha : float or array-like of shape (n_layers - 1,), default=0.0
        Group-lasso strength on the rows of each weight matrix (all outgoing
        weights of an input feature or a hidden unit), applied by block
        soft-thresholding: a row driven to zero removes that unit.

    weight_decay : float, default=0.0
        Decoupled weight decay: each step first multiplies the weights by
        ``1 - lr * weight_decay``, with ``lr`` the schedule's current learning
        rate (not Adam's bias-corrected step), then adds the optimizer's
        update. With plain SGD (``momentum=0``) this equals ``penalty='l2'``
        with ``alpha=weight_decay``; with Adam it is AdamW. It is not part of
        the objective recorded in ``loss_curve_``.

    dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Fraction of hidden units dropped during training (inverted dropout),
        one rate per hidden layer if a sequence.

    input_dropout : float, default=0.0
        Fraction of input features dropped during training.

    input_noise : float, default=0.0
        Standard deviation of Gaussian noise added to the inputs of every
        training batch.

    max_norm : float or None, default=None
        After every step, each unit's incoming weight vector (a column of a
        weight matrix) is rescaled to norm at most ``max_norm``.
"""

_COMMON_ATTRIBUTES_DOC = """\
    loss_ : float
        The objective J (data loss plus penalty) after the last epoch.

    best_loss_ : float or None
        The smallest J reached; None with early stopping.

    loss_curve_ : list of float
        J after each epoch (each iteration for lbfgs).

    validation_scores_ : list of float or None
        Score on the validation set after each epoch, with early stopping.

    best_validation_score_ : float or None
        Best validation score, with early stopping.

    t_ : int
        Number of training samples seen by the stochastic solver.

    coefs_ : list of ndarray of shape (n_units_in, n_units_out)
        Weight matrix of each layer.

    intercepts_ : list of ndarray of shape (n_units_out,)
        Intercept vector of each layer.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    n_iter_ : int
        Number of epochs (iterations for lbfgs) run by the last call to fit
        (1 after partial_fit), as in scikit-learn.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Output activation: 'identity', 'exp', 'softmax' or 'logistic'.

    sparsity_ : list of float
        Fraction of exactly-zero weights in each weight matrix.

    active_units_ : list of ndarray of bool
        For each layer but the output (inputs first), which units have a
        non-zero outgoing weight.

    n_features_selected_ : int
        Number of active input features.
"""


class RegularizedMLPClassifier(ClassifierMixin, _BaseRegularizedMLP):
    """Multilayer perceptron classifier with L1, L2, elastic-net, group-lasso,
    dropout, noise and max-norm regularization, trained by Numba kernels.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    same parameters, methods and fitted attributes, plus the regularization
    parameters below. It minimizes the weighted log loss (softmax output for
    multiclass, one logistic output per label for binary and multilabel)
    plus the penalty, which does not depend on the batch size.

    Parameters
    ----------
{params}
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``
        (single-output classification only). 'balanced' uses
        ``n_samples / (n_classes * np.bincount(y))``.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output.

{attributes}
    See Also
    --------
    RegularizedMLPRegressor : The regressor.
    sklearn.neural_network.MLPClassifier : The estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skreg import RegularizedMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = RegularizedMLPClassifier(
    ...     hidden_layer_sizes=(64,), penalty="l1", alpha=1e-4,
    ...     max_iter=300, random_state=0,
    ... ).fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.9
    True
    >>> clf.sparsity_[0] > 0.2
    True
    """

    _parameter_constraints: dict = {
        **_BaseRegularizedMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        penalty="l2",
        l1_ratio=0.15,
        l1_method="proximal",
        group_alpha=0.0,
        weight_decay=0.0,
        dropout=0.0,
        input_dropout=0.0,
        input_noise=0.0,
        max_norm=None,
        class_weight=None,
    ):
        super().__init__(**_arguments(locals()))

    def _output_activation(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _validate_input(self, X, y, incremental, reset):
        X, y = _validate_X_y(self, X, y, reset)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        Y = self._label_binarizer.transform(y)
        return X, _writeable(Y, X.dtype)

    def _weight_classes(self, Y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError("class_weight is not supported for multilabel targets.")
        class_index = self._class_indices(Y)
        y_index = self.classes_[class_index]
        present = np.unique(class_index)
        weights = np.ones(len(self.classes_))
        weights[present] = compute_class_weight(
            self.class_weight, classes=self.classes_[present], y=y_index
        )
        return sample_weight * weights[class_index].astype(sample_weight.dtype)

    def _targets_for_scoring(self, Y):
        return self._label_binarizer.inverse_transform(Y)

    def _stratification_labels(self, Y):
        # scikit-learn's MLP means to stratify single-output targets but tests
        # n_outputs_ == 1, which is False for multiclass (one column per
        # class); here every binary or multiclass target is stratified.
        if self._label_binarizer.y_type_ == "binary":
            return Y.astype(bool)  # what scikit-learn passes (and names in errors)
        if self._label_binarizer.y_type_ == "multiclass":
            return self._class_indices(Y)
        return None

    @staticmethod
    def _class_indices(Y):
        """Index into classes_ of each row of the binarized targets."""
        return Y[:, 0].astype(np.int64) if Y.shape[1] == 1 else Y.argmax(axis=1)

    def predict(self, X):
        """Predict using the multilayer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward(X, check_input=check_input)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, accuracy_score)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first
            call.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True)

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        y_pred = self._forward(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class RegularizedMLPRegressor(RegressorMixin, _BaseRegularizedMLP):
    """Multilayer perceptron regressor with L1, L2, elastic-net, group-lasso,
    dropout, noise and max-norm regularization, trained by Numba kernels.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    same parameters, methods and fitted attributes, plus the regularization
    parameters below. It minimizes the weighted half squared error (or half
    Poisson deviance), averaged over the outputs, plus the penalty, which
    does not depend on the batch size.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        Half squared error with an identity output, or half Poisson deviance
        with an exponential output (targets must be non-negative).

{params}
    Attributes
    ----------
{attributes}
    See Also
    --------
    RegularizedMLPClassifier : The classifier.
    sklearn.neural_network.MLPRegressor : The estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skreg import RegularizedMLPRegressor
    >>> X, y = make_regression(n_samples=300, n_features=10, noise=1.0, random_state=0)
    >>> reg = RegularizedMLPRegressor(
    ...     hidden_layer_sizes=(32,), solver="lbfgs", alpha=1e-3, max_iter=500,
    ...     random_state=0,
    ... ).fit(X / 2, y / 100)
    >>> reg.score(X / 2, y / 100) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **_BaseRegularizedMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        penalty="l2",
        l1_ratio=0.15,
        l1_method="proximal",
        group_alpha=0.0,
        weight_decay=0.0,
        dropout=0.0,
        input_dropout=0.0,
        input_noise=0.0,
        max_norm=None,
    ):
        super().__init__(**_arguments(locals()))

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _validate_input(self, X, y, incremental, reset):
        X, y = _validate_X_y(self, X, y, reset, y_numeric=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative y.")
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return X, _writeable(Y, X.dtype)

    def predict(self, X):
        """Predict using the multilayer perceptron regressor.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward(X, check_input=check_input)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, r2_score)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)


def _arguments(local_vars):
    """The constructor's arguments, from its ``locals()``."""
    return {k: v for k, v in local_vars.items() if k not in ("self", "__class__")}


def _fill_docstring(cls):
    cls.__doc__ = cls.__doc__.replace("{params}", _COMMON_PARAMETERS_DOC).replace(
        "{attributes}", _COMMON_ATTRIBUTES_DOC
    )


_fill_docstring(RegularizedMLPClassifier)
_fill_docstring(RegularizedMLPRegressor)
