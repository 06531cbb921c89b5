"""Checks of inputs and parameter values beyond scikit-learn's constraints.

scikit-learn's ``_parameter_constraints`` check each parameter on its own;
the checks here look at values together (a per-layer list against the
network's depth, a rate against the learning rate) or at the structure of the
data, and run before any kernel sees an array.  The kernels check nothing
(bounds checks would cost a branch in every inner loop), so these checks are
what keeps them in bounds: each raises a ValueError that names the parameter
or input at fault.
"""

import functools
import re
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import validate_parameter_constraints
from sklearn.utils.validation import check_array, validate_data

from . import _network
from ._config import OUTPUT_LOSSES

# The constructor parameters that prediction reads (the forward pass's
# activation, and the rest of the Settings record it is handed): set_params
# after a fit can change them, so prediction checks them again.
PREDICTION_PARAMETERS = (
    "activation",
    "leaky_relu_slope",
    "solver",
    "momentum",
    "nesterovs_momentum",
    "beta_1",
    "beta_2",
    "epsilon",
)


def check_prediction_parameters(est):
    """Raise scikit-learn's InvalidParameterError for a parameter that
    prediction reads, and ValueError for an ``out_activation_`` it does not
    know, before the kernels see them."""
    values = tuple(getattr(est, name) for name in PREDICTION_PARAMETERS)
    try:
        # Values already found valid for this class are not checked again:
        # scikit-learn's check costs more than a prediction of a few rows.
        # Keyed with their types too, so that 1 does not pass for True.
        key = (type(est), tuple((type(value), value) for value in values))
        hash(key)
    except TypeError:  # an unhashable value: checked, and refused, each time
        key = None
    if key is None or "_parameter_constraints" in vars(est):
        _check_parameters(type(est).__name__, est._parameter_constraints, values)
    else:
        _valid_prediction_parameters(key)
    if est.out_activation_ not in OUTPUT_LOSSES:
        raise ValueError(
            f"out_activation_ must be one of {sorted(OUTPUT_LOSSES)}, got {est.out_activation_!r}."
        )


@functools.lru_cache(maxsize=64)
def _valid_prediction_parameters(key):
    """Check the prediction parameters of ``key``, ``(class, ((type, value),
    ...))``; the cache remembers the keys that passed (an error is not
    cached)."""
    cls, typed_values = key
    _check_parameters(cls.__name__, cls._parameter_constraints, [v for _, v in typed_values])


def _check_parameters(caller_name, constraints, values):
    validate_parameter_constraints(
        {name: constraints[name] for name in PREDICTION_PARAMETERS},
        dict(zip(PREDICTION_PARAMETERS, values)),
        caller_name=caller_name,
    )


def check_prediction_input(est, X):
    """X as prediction takes it, from a fitted ``est``: the parameters
    prediction reads and X's sparse structure checked, then X validated
    against the fit (its features, a float dtype), with errors naming it."""
    check_prediction_parameters(est)
    check_sparse_structure(X)
    try:
        return validate_data(
            est, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False
        )
    except ValueError as error:
        raise naming_the_input(error, X, with_y=False) from error


def check_finite_output(output, X):
    """Refuse a prediction whose values are not finite: they come from rows
    on which the network's arithmetic overflowed (values far beyond the
    training data's, or beyond float32's range for a network fitted on
    float32 data), and would pass for probabilities or labels otherwise."""
    finite = np.isfinite(output).reshape(output.shape[0], -1).all(axis=1)
    if finite.all():
        return
    values = X.data if sp.issparse(X) else X
    largest = float(np.max(np.abs(values), initial=0.0))
    dtype = output.dtype
    beyond = "; float32 ends at 3.4e+38" if dtype == np.float32 else ""
    raise ValueError(
        f"The network's output is not finite for {np.count_nonzero(~finite)} of "
        f"{output.shape[0]} rows of X: its {dtype} arithmetic overflows on them (X holds "
        f"values up to {largest:.3g}{beyond}). Scale X as the training data were scaled."
    )


def scoring_failed(scoring, where, error):
    """The error to raise when the user's ``scoring`` fails ``where`` (on a
    fold, on the validation data): named as the parameter's, the scorer's
    own error kept in the message (scikit-learn's often name neither)."""
    return ValueError(f"scoring={scoring!r} failed {where}: {type(error).__name__}: {error}")


def check_sparse_structure(X, name="X"):
    """Raise ValueError unless the index arrays of a sparse matrix are
    consistent with its shape.

    Runs on the matrix as given, before scipy converts it (scipy's own
    conversions read these indices unchecked too).  O(nnz).
    """
    if not sp.issparse(X):
        return
    n_rows, n_cols = X.shape
    if X.format in ("csr", "csc"):
        n_major, n_minor = (n_rows, n_cols) if X.format == "csr" else (n_cols, n_rows)
        indptr, indices = np.asarray(X.indptr), np.asarray(X.indices)
        if indptr.ndim != 1 or indptr.shape[0] != n_major + 1:
            raise ValueError(
                f"{name} is not a valid {X.format.upper()} matrix: indptr has "
                f"{indptr.shape[0]} entries, expected {n_major + 1}."
            )
        if indptr[0] != 0 or np.any(np.diff(indptr) < 0):
            raise ValueError(
                f"{name} is not a valid {X.format.upper()} matrix: indptr must start "
                "at 0 and never decrease."
            )
        if indptr[-1] > min(indices.shape[0], np.asarray(X.data).shape[0]):
            raise ValueError(
                f"{name} is not a valid {X.format.upper()} matrix: indptr ends at "
                f"{indptr[-1]}, beyond the {indices.shape[0]} stored indices."
            )
        minor = "column" if X.format == "csr" else "row"
        _check_index_range(indices[: indptr[-1]], n_minor, name, minor)
    elif X.format == "coo":
        _check_index_range(np.asarray(X.row), n_rows, name, "row")
        _check_index_range(np.asarray(X.col), n_cols, name, "column")


def _check_index_range(indices, bound, name, what):
    if indices.size and (indices.min() < 0 or indices.max() >= bound):
        raise ValueError(
            f"{name} has a {what} index out of range: every {what} index must lie in "
            f"[0, {bound}), got values from {indices.min()} to {indices.max()}."
        )


def check_hidden_layer_sizes(value):
    """The hidden layer sizes as a list of ints, each at least 1."""
    sizes = list(value) if hasattr(value, "__iter__") else [value]
    for size in sizes:
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, Integral) or size < 1:
            raise ValueError(f"hidden_layer_sizes must hold positive integers, got {value!r}.")
    return [int(size) for size in sizes]


def check_sample_weight_sum(sample_weight, source="sample_weight"):
    """The data loss is divided by the sum of the weights: it must be finite
    and positive.  ``source`` names what made the weights, for the message
    ("sample_weight", or a classifier's class_weight with or without it)."""
    total = np.sum(sample_weight, dtype=np.float64)
    if total == 0:
        raise ValueError(f"{source} sums to zero: at least one sample needs a positive weight.")
    if not np.isfinite(total):
        raise ValueError(
            f"The sum of {source} overflows to infinity. Only the ratios of the "
            "weights matter: divide them by their maximum."
        )


def check_target_magnitude(y):
    """A regression target whose squared errors overflow float64 can be
    neither trained on nor scored (squared error, R²): refuse it by name."""
    largest = float(np.max(np.abs(y), initial=0.0))
    # Differences of two such values, squared and summed over the rows.
    bound = np.sqrt(np.finfo(np.float64).max / max(len(y), 1)) / 2
    if largest > bound:
        raise ValueError(
            f"y holds values up to {largest:.3g} in magnitude: over {len(y)} rows their "
            f"squared errors overflow float64 beyond about {bound:.3g}, so no model can be "
            "trained or scored on it. Divide y by a constant first (its standard "
            "deviation, say): the model is the same up to that scale."
        )


def check_class_weight(class_weight, classes):
    """A class_weight dict may only name classes of y, with finite,
    non-negative weights."""
    if not isinstance(class_weight, dict):
        return
    known = set(classes.tolist())
    for key, weight in class_weight.items():
        if key not in known:
            raise ValueError(
                f"class_weight has the key {key!r}, which is not a class of y "
                f"(classes: {sorted(known, key=str)})."
            )
        if not isinstance(weight, Real) or not np.isfinite(weight) or weight < 0:
            raise ValueError(
                f"class_weight must map classes to finite, non-negative numbers, got "
                f"{weight!r} for class {key!r}."
            )


def check_validation_split(n_samples, validation_fraction, class_counts=None):
    """Early stopping needs at least two validation samples and a training
    part; a stratified split (``class_counts`` given, one count per class)
    also needs every class twice and room for each class on both sides."""
    if validation_fraction <= 0:
        raise ValueError(
            "early_stopping=True needs a validation set: validation_fraction must be "
            f"above 0, got {validation_fraction}."
        )
    n_classes = 0 if class_counts is None else len(class_counts)
    n_validation = int(np.ceil(validation_fraction * n_samples))
    per_class = f" and one per class ({n_classes} classes)" if n_classes else ""
    held_out = (
        f"early_stopping=True holds out validation_fraction={validation_fraction} of "
        f"{n_samples} samples, {n_validation} of them,"
    )
    if n_validation < max(2, n_classes):
        raise ValueError(
            f"The validation set is too small: {held_out} and needs at least 2{per_class} "
            "there and the rest to train on. Increase 'validation_fraction' or the size of "
            "your dataset."
        )
    if n_samples - n_validation < max(1, n_classes):
        raise ValueError(
            f"The training set is too small: {held_out} and leaves "
            f"{n_samples - n_validation} to train on, where it needs at least "
            f"{max(1, n_classes)}{' (one per class)' if n_classes else ''}. Lower "
            "'validation_fraction' or add samples."
        )
    if n_classes and min(class_counts) < 2:
        raise ValueError(
            "early_stopping=True splits off a validation set stratified by class, which "
            "needs at least 2 samples of every class; the rarest class of y has "
            f"{min(class_counts)}. Provide more samples or set early_stopping=False."
        )


def check_split_weights(sw_train, sw_val, validation_fraction):
    """Each side of early stopping's split needs a positive total weight:
    zero-weight rows (sparse weights, a bootstrap's counts) can all fall on
    one side, where the score or the loss would divide by zero."""
    sides = (
        ("validation", sw_val, "score", "raise"),
        ("training", sw_train, "train on", "lower"),
    )
    for side, weights, task, change in sides:
        if np.sum(weights, dtype=np.float64) == 0:
            raise ValueError(
                f"early_stopping=True split off validation_fraction={validation_fraction} "
                f"of the samples, and every sample_weight on the {side} side of the split "
                f"is zero ({len(weights)} rows), so there is nothing to {task} there. Pass "
                f"X_val and y_val, {change} validation_fraction, or drop the zero-weight "
                "rows before fitting."
            )


def check_network_shapes(coefs, intercepts):
    """``coefs_`` and ``intercepts_`` must describe one chain of layers
    (they can be set by hand, as in scikit-learn)."""
    if len(coefs) == 0 or len(coefs) != len(intercepts):
        raise ValueError(
            f"coefs_ and intercepts_ must be lists of the same, non-zero length, got "
            f"{len(coefs)} and {len(intercepts)}."
        )
    check_network_dtypes(coefs, intercepts)
    for l, (W, b) in enumerate(zip(coefs, intercepts)):
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(
                f"coefs_[{l}] has shape {W.shape} and intercepts_[{l}] shape {b.shape}; "
                "each weight matrix must be 2-D with one intercept per column."
            )
        if l > 0 and W.shape[0] != np.shape(coefs[l - 1])[1]:
            raise ValueError(
                f"coefs_[{l}] has {W.shape[0]} rows but coefs_[{l - 1}] has "
                f"{np.shape(coefs[l - 1])[1]} columns; consecutive layers must match."
            )


def check_network_dtypes(coefs, intercepts):
    """Every weight matrix and intercept vector a float NumPy array, all of
    the first matrix's dtype: the compiled kernels take nothing else."""
    dtype = getattr(coefs[0], "dtype", None)
    for name, arrays in (("coefs_", coefs), ("intercepts_", intercepts)):
        for l, array in enumerate(arrays):
            if not isinstance(array, np.ndarray) or array.dtype not in (np.float32, np.float64):
                kind = getattr(array, "dtype", type(array).__name__)
                raise ValueError(
                    f"{name}[{l}] is {kind}; the weights must be NumPy arrays of float64 "
                    "or float32, as fit leaves them."
                )
            if array.dtype != dtype:
                raise ValueError(
                    f"{name}[{l}] is {array.dtype} but coefs_[0] is {dtype}; the weights "
                    "must all have one dtype, as fit leaves them."
                )


def check_warm_shapes(est, hidden, n_features, n_outputs):
    """A warm start goes on from ``est``'s fitted network: the data and the
    architecture asked for must fit it."""
    check_network_shapes(est.coefs_, est.intercepts_)
    units = _network.units_of(est.coefs_)
    initial = getattr(est, "_initial_hidden_layer_sizes", None)
    if (initial is not None and hidden != initial) or len(hidden) != len(units) - 2:
        was = initial if initial is not None else [int(u) for u in units[1:-1]]
        raise ValueError(
            f"hidden_layer_sizes={tuple(hidden)} does not match the fitted network "
            f"(hidden layers {tuple(was)}): warm_start=True and partial_fit go on "
            "from the fitted weights and cannot change the architecture. Set "
            "warm_start=False to train a new network."
        )
    if units[0] != n_features or units[-1] != n_outputs:
        raise ValueError(
            f"coefs_ map {units[0]} inputs to {units[-1]} outputs, but the data "
            f"has {n_features} features and {n_outputs} outputs; refit with "
            "warm_start=False."
        )


def validate_X_y(est, X, y, reset, **kwargs):
    """X and y checked as scikit-learn's MLP checks them: dense or CSR/CSC
    float X, one or several outputs, a column y flattened with a warning."""
    check_sparse_structure(X)
    try:
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
    except ValueError as error:
        raise naming_the_input(error, X) from error
    return X, column_vector_flattened(y)


def column_vector_flattened(y):
    """A y of shape (n, 1) as a 1-D array, with scikit-learn's
    DataConversionWarning; any other y as it is.  Called once where a call
    hands y on to many fits (paths, folds, halves), which then do not warn
    again."""
    try:
        shape = np.shape(y)
    except ValueError:  # ragged: the fit's own validation says what is wrong
        return y
    if len(shape) == 2 and shape[1] == 1:
        return column_or_1d(y, warn=True)
    return y


def naming_the_input(error, X, with_y=True):
    """scikit-learn's error, prefixed with the input at fault when its message
    does not say whether X or y is ("could not convert string to float",
    "Expected 2D array" ...; with ``with_y`` False, for a call that takes no
    y, X is); for a DataFrame with columns that are not numbers, an error
    naming those columns."""
    non_numeric = non_numeric_columns(X)
    if non_numeric:
        return ValueError(
            f"X has columns that are not numeric: {', '.join(non_numeric)}. Encode them "
            "(OneHotEncoder, OrdinalEncoder, in a ColumnTransformer) or drop them."
        )
    message = str(error)
    if re.search(r"\b(X|y|sample_weight)\b", message):
        return error
    if not with_y:
        return ValueError(f"X: {message}")
    try:
        check_array(X, accept_sparse=True, dtype=(np.float64, np.float32), ensure_all_finite=False)
    except ValueError:
        return ValueError(f"X: {message}")
    return ValueError(f"y: {message}")


def non_numeric_columns(X):
    """The names and dtypes of a DataFrame's columns that do not hold
    numbers (an empty list for anything but a DataFrame)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return []
    return [
        f"{name!r} ({dtype})"
        for name, dtype in dtypes.items()
        if getattr(dtype, "kind", "O") not in "biuf"
    ]


def renamed(error, old, new):
    """``error`` about the input ``old``, retold about ``new`` (the
    validation data are checked by the functions that check the training
    data, whose messages name X, y and sample_weight)."""
    message = str(error)
    pattern = rf"(?<!\w){re.escape(old)}(?!\w)"
    if re.search(pattern, message):
        message = re.sub(pattern, new, message)
    else:
        message = f"{new}: {message}"
    return ValueError(message)


def check_validation_labels(y_val, classes, multilabel):
    """``y_val`` must hold targets of the kind the classifier was trained on
    (a 0/1 indicator matrix with one column per label for multilabel
    targets, else 1-D labels) and only the classes it saw."""
    if multilabel:
        if y_val.ndim != 2 or y_val.shape[1] != len(classes):
            raise ValueError(
                f"y_val must be a label indicator matrix with {len(classes)} columns, "
                f"as the multilabel y of the fit; got shape {y_val.shape}."
            )
        unknown = _sorted({v for v in y_val.ravel().tolist() if v not in (0, 1)})
        if unknown:
            raise ValueError(f"y_val must hold only 0 and 1 for multilabel targets, got {unknown}.")
        return
    if y_val.ndim != 1:
        raise ValueError(f"y_val must be 1-D labels, as the y of the fit; got shape {y_val.shape}.")
    known = set(classes.tolist())
    unknown = _sorted({v for v in y_val.tolist() if v not in known})
    if unknown:
        raise ValueError(
            f"y_val has classes not in the training data: {unknown[:10]}"
            f"{' ...' if len(unknown) > 10 else ''} (classes_: {classes.tolist()})."
        )


def _sorted(values):
    """``values`` sorted, by their text where they do not compare."""
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def check_warm_skip(estimator):
    """A warm start goes on from the fitted network: ``skip_connection``
    must say whether it has a skip connection."""
    fitted = estimator._skip_coef() is not None
    if fitted != bool(estimator.skip_connection):
        raise ValueError(
            f"skip_connection={estimator.skip_connection} does not match the fitted network "
            f"({'with' if fitted else 'without'} a skip connection): warm_start=True and "
            "partial_fit go on from the fitted weights and cannot change the architecture. "
            "Set warm_start=False to train a new network."
        )


def check_warm_output(estimator):
    """A warm start goes on from the fitted network: its output activation
    (``out_activation_``, set by ``loss``) must be the one asked for now."""
    fitted, asked = estimator.out_activation_, estimator._output_activation()
    if fitted != asked:
        asker = f"loss={estimator.loss!r}" if hasattr(estimator, "loss") else "The target"
        raise ValueError(
            f"{asker} takes the output activation {asked!r}, but the fitted "
            f"network's is {fitted!r}: warm_start=True and partial_fit go on from the fitted "
            "weights and cannot change the loss. Set warm_start=False to train a new network."
        )


def check_noise_input(X, input_noise):
    """Refuse input noise on sparse input, which it would fill in."""
    if sp.issparse(X) and input_noise > 0:
        raise ValueError(
            "input_noise would fill sparse input in with noise; pass X as a dense array to use it."
        )


def check_finite_weights(params):
    """Refuse the weights of a training that diverged."""
    if not np.all(np.isfinite(params)):
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may"
            " contain large values and need to be preprocessed."
        )
