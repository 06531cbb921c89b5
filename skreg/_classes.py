"""The public estimators: ``RegularizedMLPClassifier`` and
``RegularizedMLPRegressor``.

Each assigns its constructor parameters by name, as scikit-learn's
estimators do, and adds what is particular to its task (targets, output
activation, scoring) to the shared base of ``skreg._base``.
"""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_array, check_is_fitted

from . import _config as C
from . import _interrupts as interrupts
from ._base import BaseRegularizedMLP, unchanged_on_error
from ._docstrings import fill_docstring
from ._validation import (
    check_class_weight,
    check_target_magnitude,
    check_validation_labels,
    validate_X_y,
)


@fill_docstring
class RegularizedMLPClassifier(ClassifierMixin, BaseRegularizedMLP):
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
        ``n_samples / (n_classes * np.bincount(y))``; ``partial_fit``
        refuses it (one call's rows would set it), as scikit-learn's SGD
        classifiers do: pass the balanced weights of all the data as a dict.

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
        **BaseRegularizedMLP._parameter_constraints,
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
        group_weights=None,
        feature_groups=None,
        weight_decay=0.0,
        dropout=0.0,
        input_dropout=0.0,
        input_noise=0.0,
        max_norm=None,
        skip_connection=False,
        hierarchy=None,
        skip_alpha=0.0,
        leaky_relu_slope=0.01,
        scoring=None,
        class_weight=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.l1_method = l1_method
        self.group_alpha = group_alpha
        self.group_weights = group_weights
        self.feature_groups = feature_groups
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.input_noise = input_noise
        self.max_norm = max_norm
        self.skip_connection = skip_connection
        self.hierarchy = hierarchy
        self.skip_alpha = skip_alpha
        self.leaky_relu_slope = leaky_relu_slope
        self.scoring = scoring
        self.class_weight = class_weight

    def _output_activation(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_X_y(self, X, y, reset)
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
        return X, y, C.writeable(Y, X.dtype)

    def _validation_targets(self, y_val, dtype, n_outputs):
        """``(y_val, Y_val)``: the validation labels, which must be classes
        seen in training, in the form of the training targets, and their
        binarized form."""
        y_val = check_array(y_val, ensure_2d=False, dtype=None, input_name="y_val")
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val)
        check_validation_labels(
            y_val, self.classes_, self._label_binarizer.y_type_.startswith("multilabel")
        )
        return y_val, C.writeable(self._label_binarizer.transform(y_val), dtype)

    def _weight_classes(self, Y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError("class_weight is not supported for multilabel targets.")
        check_class_weight(self.class_weight, self.classes_)
        class_index = self._class_indices(Y)
        # Every class's weight, in these rows or not: a partial_fit batch may
        # lack a class a dict names ('balanced' comes from a fit's y, which
        # holds every class, partial_fit refusing it).
        weights = compute_class_weight(
            self.class_weight, classes=self.classes_, y=self.classes_[class_index]
        )
        return sample_weight * weights[class_index].astype(sample_weight.dtype)

    def _weights_source(self, given):
        if self.class_weight is None:
            return "sample_weight"
        return "sample_weight times class_weight" if given else "class_weight's weighting of y"

    def _targets_for_scoring(self, Y):
        return self._label_binarizer.inverse_transform(Y)

    def _stratification_labels(self, Y):
        # scikit-learn's MLP means to stratify single-output targets but tests
        # n_outputs_ == 1, which is False for multiclass (one column per
        # class); here every binary or multiclass target is stratified.
        if self._label_binarizer.y_type_ in ("binary", "multiclass"):
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
    @unchanged_on_error  # outside: the callbacks' teardown can raise too
    @_fit_context(prefer_skip_nested_validation=True)
    @interrupts.surfaces_as_keyboard_interrupt
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
        if self.class_weight == "balanced":
            # Balanced from one call's rows, weights would follow each batch
            # (a call of one class gets weight 1): scikit-learn's SGD
            # classifiers refuse it too.
            raise ValueError(
                "class_weight='balanced' is not supported for partial_fit: each call would "
                "balance its own rows only. Compute the weights over all the data, "
                "compute_class_weight('balanced', classes=classes, y=y), and pass them as a "
                "dict."
            )
        if self._first_partial_fit(classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True)

    def _first_partial_fit(self, classes):
        """Whether this is the first ``partial_fit``, which sets ``classes_``
        from ``classes`` (required then; later, it must name the same classes)."""
        known = getattr(self, "classes_", None)
        if classes is None:
            if known is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            return False
        if known is None:
            self.classes_ = unique_labels(classes)
            return True
        if not np.array_equal(known, unique_labels(classes)):
            raise ValueError(
                f"classes={classes!r} is not the same as on the last call to partial_fit, "
                f"was: {known!r}."
            )
        return False

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


@fill_docstring
class RegularizedMLPRegressor(RegressorMixin, BaseRegularizedMLP):
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
        **BaseRegularizedMLP._parameter_constraints,
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
        group_weights=None,
        feature_groups=None,
        weight_decay=0.0,
        dropout=0.0,
        input_dropout=0.0,
        input_noise=0.0,
        max_norm=None,
        skip_connection=False,
        hierarchy=None,
        skip_alpha=0.0,
        leaky_relu_slope=0.01,
        scoring=None,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.l1_method = l1_method
        self.group_alpha = group_alpha
        self.group_weights = group_weights
        self.feature_groups = feature_groups
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.input_noise = input_noise
        self.max_norm = max_norm
        self.skip_connection = skip_connection
        self.hierarchy = hierarchy
        self.skip_alpha = skip_alpha
        self.leaky_relu_slope = leaky_relu_slope
        self.scoring = scoring

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_X_y(self, X, y, reset, y_numeric=True)
        try:
            y = y.astype(X.dtype, copy=False)
        except ValueError as error:
            raise ValueError(f"y must hold numbers for a regressor: {error}") from error
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative y.")
        check_target_magnitude(y)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return X, y, C.writeable(Y, X.dtype)

    def _validation_targets(self, y_val, dtype, n_outputs):
        """``(y_val, Y_val)``: the validation targets, numbers with as many
        outputs (``n_outputs``) as the training targets of this fit."""
        y_val = check_array(y_val, ensure_2d=False, dtype=dtype, input_name="y_val")
        Y_val = y_val.reshape(-1, 1) if y_val.ndim == 1 else y_val
        if Y_val.shape[1] != n_outputs:
            raise ValueError(
                f"y_val has {Y_val.shape[1]} outputs, the training targets {n_outputs}."
            )
        if self.loss == "poisson" and np.any(Y_val < 0):
            raise ValueError("loss='poisson' requires non-negative y_val.")
        return y_val, C.writeable(Y_val, dtype)

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
    @unchanged_on_error  # outside: the callbacks' teardown can raise too
    @_fit_context(prefer_skip_nested_validation=True)
    @interrupts.surfaces_as_keyboard_interrupt
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
