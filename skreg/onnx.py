"""ONNX export of skreg's estimators, through skl2onnx.

Importing this module registers, for every skreg estimator (the CV
estimators included), a shape calculator and a converter with skl2onnx.
After that, ``skl2onnx.to_onnx(estimator, X)`` works as for scikit-learn's
own models, alone or inside a ``Pipeline``; the classifier goes through
skl2onnx's usual classifier parser, so its ``zipmap`` option means what it
means for scikit-learn's classifiers.  :func:`to_onnx` is the one-call shortcut.

The graph repeats the forward pass of :meth:`predict`: each hidden layer is
``act(X @ W + b)`` (one ``Gemm`` node and the activation's nodes), the output
layer applies ``out_activation_``, after a ``MatMul`` and an ``Add`` for a
skip connection's ``X @ skip_coef_``.  A CV estimator fitted with
``refit='ensemble'`` exports one graph too: each fold network's forward pass
on the same input, and the mean of their outputs (probabilities for the
classifier), which the labels are read from.  A pruned network exports its smaller
weight matrices as they are.  Inputs of type double compute in double;
anything else computes in float.  ONNX's ``ZipMap``, which the classifier's
default ``zipmap`` option adds, takes float probabilities alone: a double
graph chooses its labels from double probabilities and casts them to float
for the ZipMap (``zipmap=False`` or ``"columns"`` keeps them double).  A
DataFrame sample gives the model one input per column, as skl2onnx does for
scikit-learn's models.

Needs the optional dependencies: ``pip install "skreg[onnx]"``.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
import skl2onnx
from onnx import TensorProto
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._classes import RegularizedMLPClassifier, RegularizedMLPRegressor
from ._config import GELU_CUBIC, GELU_SCALE
from ._cv import RegularizedMLPClassifierCV, RegularizedMLPRegressorCV
from ._fold_ensemble import networks
from ._validation import non_numeric_columns
from .feature_selection import StabilitySelection

__all__ = ["to_onnx"]

# Hidden activation name -> function(graph, z, estimator) returning the name
# of act(z).  Every activation the estimators accept needs an entry here
# (a test checks); an activation with a parameter reads it from the estimator.
_HIDDEN_ACTIVATIONS = {
    "identity": lambda graph, z, est: z,
    "logistic": lambda graph, z, est: graph.node("Sigmoid", [z]),
    "tanh": lambda graph, z, est: graph.node("Tanh", [z]),
    "relu": lambda graph, z, est: graph.node("Relu", [z]),
    "leaky_relu": lambda graph, z, est: _leaky_relu(graph, z, float(est.leaky_relu_slope)),
    "elu": lambda graph, z, est: _elu(graph, z),
    "softplus": lambda graph, z, est: _softplus(graph, z),
    "gelu": lambda graph, z, est: _gelu_tanh(graph, z),
}

# onnxruntime runs LeakyRelu, Elu and Softplus in float alone: a double graph
# writes them with elementary nodes that it runs in double from opset 7 on
# (not Where, which needs opset 9, nor Max and Min, whose double kernels start
# at opset 8).


def _leaky_relu(graph, z, slope):
    if graph.float_type == TensorProto.FLOAT:
        return graph.node("LeakyRelu", [z], alpha=slope)
    # relu(z) - slope * relu(-z): exactly z for z > 0 and slope * z otherwise,
    # for any slope.
    negative_side = graph.node("Relu", [graph.node("Neg", [z])])
    scaled = graph.node("Mul", [negative_side, graph.constant("slope", slope)])
    return graph.node("Sub", [graph.node("Relu", [z]), scaled])


def _elu(graph, z):
    if graph.float_type == TensorProto.FLOAT:
        return graph.node("Elu", [z], alpha=1.0)
    # relu(z) + (exp(min(z, 0)) - 1): the second term is exactly 0 for z > 0,
    # so positive z pass unchanged; min(z, 0) is written -relu(-z).
    negative_part = graph.node("Neg", [graph.node("Relu", [graph.node("Neg", [z])])])
    shifted_exp = graph.node(
        "Sub", [graph.node("Exp", [negative_part]), graph.constant("one", 1.0)]
    )
    return graph.node("Add", [graph.node("Relu", [z]), shifted_exp])


def _softplus(graph, z):
    if graph.float_type == TensorProto.FLOAT:
        return graph.node("Softplus", [z])
    # relu(z) + log(1 + exp(-|z|)), the kernels' form, which never overflows.
    decay = graph.node("Exp", [graph.node("Neg", [graph.node("Abs", [z])])])
    log_term = graph.node("Log", [graph.node("Add", [decay, graph.constant("one", 1.0)])])
    return graph.node("Add", [graph.node("Relu", [z]), log_term])


def _gelu_tanh(graph, z):
    """GELU's tanh approximation from elementary nodes: ONNX's own ``Gelu``
    (with ``approximate='tanh'``) needs opset 20, which older runtimes lack."""
    cube = graph.node("Mul", [graph.node("Mul", [z, z]), z])
    inner = graph.node("Add", [z, graph.node("Mul", [cube, graph.constant("cubic", GELU_CUBIC)])])
    t = graph.node("Tanh", [graph.node("Mul", [inner, graph.constant("scale", GELU_SCALE)])])
    half_z = graph.node("Mul", [z, graph.constant("half", 0.5)])
    return graph.node("Mul", [half_z, graph.node("Add", [t, graph.constant("one", 1.0)])])


# out_activation_ -> function(graph, z) returning the name of the output.
_OUTPUT_ACTIVATIONS = {
    "identity": lambda graph, z: z,
    "exp": lambda graph, z: graph.node("Exp", [z]),
    "softmax": lambda graph, z: graph.node("Softmax", [z], axis=1),
    "logistic": lambda graph, z: graph.node("Sigmoid", [z]),
}


class _Graph:
    """Adds nodes and constants to skl2onnx's container under fresh names,
    with every floating-point value in one element type."""

    def __init__(self, scope, container, float_type):
        self.scope = scope
        self.container = container
        self.float_type = float_type
        self.float_dtype = np.float64 if float_type == TensorProto.DOUBLE else np.float32

    def constant(self, hint, values, onnx_type=None):
        """Name of a new initializer holding ``values`` (floats by default)."""
        name = self.scope.get_unique_variable_name(hint)
        if onnx_type is None:
            onnx_type = self.float_type
            values = np.asarray(values, dtype=self.float_dtype)
        self.container.add_initializer(name, onnx_type, list(values.shape), values.ravel())
        return name

    def node(self, op_type, inputs, output=None, **attributes):
        """Add one ``op_type`` node; return the name of its output."""
        if output is None:
            output = self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            inputs,
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output


def _element_type(tensor_type):
    """ONNX element type of a float or double input; None for other inputs."""
    return {FloatTensorType: TensorProto.FLOAT, DoubleTensorType: TensorProto.DOUBLE}.get(
        type(tensor_type)
    )


def _compute_type(operator):
    """Element type the network computes in: double when every input is
    double, float otherwise."""
    input_types = {_element_type(v.type) for v in operator.inputs}
    return TensorProto.DOUBLE if input_types == {TensorProto.DOUBLE} else TensorProto.FLOAT


def _float_tensor_type(element_type):
    return DoubleTensorType if element_type == TensorProto.DOUBLE else FloatTensorType


def _zipmap_follows(scope, est):
    """Whether skl2onnx's classifier parser feeds the probabilities to a
    ``ZipMap`` node: for every ``zipmap`` option but False and "columns",
    tested as the parser tests them."""
    zipmap = scope.get_options(est, dict(zipmap=True))["zipmap"]
    return not (isinstance(zipmap, bool) and not zipmap) and zipmap != "columns"


def _probability_type(operator):
    """Element type of the classifier's probabilities output: the compute
    type, except float when a ``ZipMap`` takes them, as ZipMap is defined for
    float alone (skl2onnx hands it double probabilities from a double input,
    a graph onnxruntime refuses to load)."""
    if _zipmap_follows(operator.scope_inst, operator.raw_operator):
        return TensorProto.FLOAT
    return _compute_type(operator)


def _input_matrix(graph, operator):
    """Name of the (n_samples, n_features) input in the compute type.

    A DataFrame gives skl2onnx one input per column: they are put side by
    side, in the order of the columns."""
    columns = []
    for variable in operator.inputs:
        name = variable.full_name
        if _element_type(variable.type) != graph.float_type:
            name = graph.node("Cast", [name], to=graph.float_type)
        columns.append(name)
    return columns[0] if len(columns) == 1 else graph.node("Concat", columns, axis=1)


def _network_output(graph, operator):
    """Name of the output layer's values (probabilities, means) for the
    operator's input: the same forward pass as the estimators' predict; for
    a fold ensemble (``refit='ensemble'``), the mean of its networks'."""
    x = _input_matrix(graph, operator)
    outputs = [_forward_pass(graph, x, net) for net in networks(operator.raw_operator)]
    if len(outputs) == 1:
        return outputs[0]
    # Add and Div rather than Mean, which onnxruntime has for float alone;
    # summed in order and divided, as NumPy's mean over the networks.
    total = outputs[0]
    for output in outputs[1:]:
        total = graph.node("Add", [total, output])
    return graph.node("Div", [total, graph.constant("n_networks", [len(outputs)])])


def _forward_pass(graph, x, est):
    """Name of the output layer's values of one network for the input ``x``."""
    hidden_activation = _HIDDEN_ACTIVATIONS[est.activation]
    n_layers = len(est.coefs_)
    inputs = x
    for layer, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        z = graph.node(
            "Gemm", [x, graph.constant("coefficient", W), graph.constant("intercept", b)]
        )
        if layer < n_layers - 1:
            x = hidden_activation(graph, z, est)
    skip = getattr(est, "skip_coef_", None)
    if skip is not None:
        # the skip connection: X @ skip_coef_ added to the output's pre-activation
        linear = graph.node("MatMul", [inputs, graph.constant("skip_coefficient", skip)])
        z = graph.node("Add", [z, linear])
    return _OUTPUT_ACTIVATIONS[est.out_activation_](graph, z)


def _is_multilabel(est):
    # One logistic output per label; binary targets have a single output.
    return est.out_activation_ == "logistic" and est.n_outputs_ > 1


def _onnx_labels(scope, est):
    """The labels the graph outputs and their ONNX type: int64 for numbers
    (booleans and floats included: scikit-learn refuses non-integral float
    labels, and skl2onnx casts the rest to int64 for its own classifiers) or
    strings; with the ``nocl`` option, the class indices."""
    if scope.get_options(est, dict(nocl=False))["nocl"]:
        return np.arange(len(est.classes_), dtype=np.int64), TensorProto.INT64
    classes = np.asarray(est.classes_)
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64), TensorProto.INT64
    return np.array([str(c).encode("utf-8") for c in classes], dtype=object), TensorProto.STRING


def _classifier_shapes(operator):
    """Types of the two outputs: labels (N,) -- (N, n_labels) indicators for
    multilabel targets -- and probabilities (N, n_classes)."""
    est = operator.raw_operator
    if len(est.classes_) < _n_probability_columns(est) and _zipmap_follows(
        operator.scope_inst, est
    ):
        raise ValueError(
            f"{type(est).__name__} was fitted on one class, {est.classes_[0]!r}: its "
            "predict_proba has two columns for one class label, which ONNX's ZipMap "
            "cannot map. Export it with zipmap=False or zipmap='columns'."
        )
    n_rows = operator.inputs[0].get_first_dimension()
    if _is_multilabel(est):
        operator.outputs[0].type = Int64TensorType([n_rows, est.n_outputs_])
    else:
        _, label_type = _onnx_labels(operator.scope_inst, est)
        tensor_type = Int64TensorType if label_type == TensorProto.INT64 else StringTensorType
        operator.outputs[0].type = tensor_type([n_rows])
    probability_type = _float_tensor_type(_probability_type(operator))
    operator.outputs[1].type = probability_type([n_rows, _n_probability_columns(est)])


def _n_probability_columns(est):
    """Columns of predict_proba: one per output, two for a single output
    (a binary target, or one class alone, whose model scikit-learn's
    binarizer also gives two columns)."""
    return max(est.n_outputs_, 2)


def _regressor_shapes(operator):
    est = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _float_tensor_type(_compute_type(operator))([n_rows, est.n_outputs_])


def _convert_classifier(scope, operator, container):
    est = operator.raw_operator
    graph = _Graph(scope, container, _compute_type(operator))
    label, probabilities = (v.full_name for v in operator.outputs)
    proba = _class_probabilities(graph, est, _network_output(graph, operator))
    # Labels are read off the probabilities in the compute type, before any
    # cast for a ZipMap, so that a double graph decides as predict does.
    _labels(graph, scope, est, proba, label)
    probability_type = _probability_type(operator)
    if probability_type == graph.float_type:
        graph.node("Identity", [proba], probabilities)
    else:
        graph.node("Cast", [proba], probabilities, to=probability_type)


def _class_probabilities(graph, est, out):
    """Name of the (n_samples, n_classes) probabilities, as predict_proba's,
    from the output layer's values ``out``."""
    if est.n_outputs_ > 1:
        return out  # softmax over the classes, or one logistic per label
    # Binary: the output is P(classes_[1]); the first column is its complement.
    negative = graph.node("Sub", [graph.constant("one", [1.0]), out])
    return graph.node("Concat", [negative, out], axis=1)


def _labels(graph, scope, est, proba, label):
    """Add the nodes that write predict's labels to the output ``label``."""
    if _is_multilabel(est):
        # predict's threshold: a label is on when its probability exceeds 1/2.
        on = graph.node("Greater", [proba, graph.constant("half", [0.5])])
        graph.node("Cast", [on], label, to=TensorProto.INT64)
        return
    # ArgMax picks the first of tied maxima, as predict does.
    best = graph.node("ArgMax", [proba], axis=1, keepdims=0)
    labels, label_type = _onnx_labels(scope, est)
    # One class alone: both probability columns name it, as predict does.
    labels = np.resize(labels, _n_probability_columns(est))
    graph.node("Gather", [graph.constant("classes", labels, label_type), best], label, axis=0)


def _convert_regressor(scope, operator, container):
    graph = _Graph(scope, container, _compute_type(operator))
    out = _network_output(graph, operator)
    graph.node("Identity", [out], operator.outputs[0].full_name)


# The CV estimators hold the refitted network in the same attributes (or
# their fold networks in estimators_), but
# skl2onnx looks converters up by exact class, so each class is registered.
for _classifier in (RegularizedMLPClassifier, RegularizedMLPClassifierCV):
    update_registered_converter(
        _classifier,
        f"Skreg{_classifier.__name__}",
        _classifier_shapes,
        _convert_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [False, True]},
    )
for _regressor in (RegularizedMLPRegressor, RegularizedMLPRegressorCV):
    update_registered_converter(
        _regressor, f"Skreg{_regressor.__name__}", _regressor_shapes, _convert_regressor
    )


def _selector_shapes(operator):
    n_rows = operator.inputs[0].get_first_dimension()
    n_kept = int(np.count_nonzero(operator.raw_operator.get_support()))
    operator.outputs[0].type = _float_tensor_type(_compute_type(operator))([n_rows, n_kept])


def _convert_selector(scope, operator, container):
    """The selected columns of the input, in their order: one Gather."""
    graph = _Graph(scope, container, _compute_type(operator))
    kept = np.flatnonzero(operator.raw_operator.get_support()).astype(np.int64)
    columns = graph.constant("kept_columns", kept, TensorProto.INT64)
    x = _input_matrix(graph, operator)
    graph.node("Gather", [x, columns], operator.outputs[0].full_name, axis=1)


# The selector of a pipeline such as the user guide's (scaler, stability
# selection, network).
update_registered_converter(
    StabilitySelection, "SkregStabilitySelection", _selector_shapes, _convert_selector
)


def to_onnx(estimator, X, *, target_opset=None, **options):
    """Convert a fitted skreg estimator to an ONNX model.

    Parameters
    ----------
    estimator : RegularizedMLPClassifier, RegularizedMLPRegressor or Pipeline
        The fitted estimator (or one of their CV estimators, which export
        the network refitted at the chosen rate, or with ``refit='ensemble'``
        the mean of the fold networks' outputs), or a fitted Pipeline that
        ends in one (a ``StabilitySelection`` step in it exports as the
        columns it keeps).

    X : {ndarray, DataFrame} of shape (n_samples, n_features)
        A sample of the input; its dtype sets the model's input type
        (float32, or float64 for a model that computes in double), and its
        width must be the model's.  A DataFrame gives one input per column;
        for a pipeline its columns must share one dtype (skl2onnx's
        converters of the other steps cannot join inputs of different
        types): pass ``X.astype(np.float32)`` and feed float32 columns.

    target_opset : int, default=None
        ONNX opset to target; None lets skl2onnx choose the newest it has
        tested.

    **options
        Converter options for the estimator, as skl2onnx takes them: for the
        classifier, ``zipmap`` (True: probabilities as a list of
        ``{label: probability}`` dictionaries, whose values are float even
        for a float64 sample, since ONNX's ZipMap takes no double; False: as
        a tensor; ``"columns"``: one output per class).

    Raises
    ------
    ValueError
        When ``X`` is not a sample of the model's input: not 2-D, sparse, not
        numbers (or floats other than float32 and float64), another width or
        other column names than the model was fitted on, or, for a pipeline,
        columns of several dtypes; and for a ``target_opset`` below 7.

    TypeError
        For a model that is not a skreg estimator (or a pipeline ending in
        one), a ``target_opset`` that is not an int, and options the
        estimator does not take.

    Returns
    -------
    onx : onnx.ModelProto
        The model.  The classifier's outputs are ``label`` and
        ``probabilities`` (or ``output_label`` and ``output_probability``
        with zipmap); the regressor's is ``variable``, of shape
        (n_samples, n_outputs).

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sklearn.datasets import make_classification
    >>> from skreg import RegularizedMLPClassifier
    >>> from skreg.onnx import to_onnx
    >>> X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    >>> X = X.astype(np.float32)
    >>> clf = RegularizedMLPClassifier(
    ...     hidden_layer_sizes=(8,), solver="lbfgs", alpha=0.01, random_state=0
    ... ).fit(X, y)
    >>> onx = to_onnx(clf, X[:1], zipmap=False)
    >>> [output.name for output in onx.graph.output]
    ['label', 'probabilities']
    >>> session = onnxruntime.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> labels, probabilities = session.run(None, {"X": X})
    >>> np.allclose(probabilities, clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    True
    """
    final = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    if not isinstance(final, (RegularizedMLPClassifier, RegularizedMLPRegressor)):
        raise TypeError(
            "to_onnx converts a RegularizedMLPClassifier or RegularizedMLPRegressor, "
            f"or a Pipeline ending in one; got {type(final).__name__}. For other "
            "models, call skl2onnx.to_onnx after importing skreg.onnx."
        )
    check_is_fitted(estimator)
    X = check_sample(estimator, X)
    _check_target_opset(target_opset)
    _check_options(final, options)
    converter_options = {id(final): options} if options else None
    return skl2onnx.to_onnx(estimator, X, target_opset=target_opset, options=converter_options)


# Below opset 7 onnxruntime has no kernels for the graph's nodes (Gemm with
# broadcast intercepts, the activations), and guarantees nothing.
_MIN_OPSET = 7

# The converter options each estimator registers with skl2onnx (above).
_OPTIONS = {RegularizedMLPClassifier: ("nocl", "zipmap"), RegularizedMLPRegressor: ()}


def _check_target_opset(target_opset):
    if target_opset is None:
        return
    if isinstance(target_opset, (bool, np.bool_)) or not isinstance(target_opset, Integral):
        raise TypeError(f"target_opset must be None or an int, got {target_opset!r}.")
    if target_opset < _MIN_OPSET:
        raise ValueError(
            f"target_opset must be at least {_MIN_OPSET} (the oldest opset onnxruntime "
            f"runs the graph's nodes in), got {target_opset}."
        )


def _check_options(final, options):
    allowed = next(names for cls, names in _OPTIONS.items() if isinstance(final, cls))
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        takes = ", ".join(allowed) if allowed else "no options"
        raise TypeError(
            f"to_onnx got unexpected options {unknown} for {type(final).__name__}, "
            f"which takes {takes}."
        )


def check_sample(model, X):
    """``X`` as skl2onnx takes it (an array-like becomes an array); raises
    ValueError unless it can stand for ``model``'s input: the
    graph's input types and width are read off it, and a wrong sample gives a
    graph that onnxruntime refuses only when it loads it.

    ``model`` is a fitted estimator or pipeline (its ``n_features_in_`` and
    ``feature_names_in_``, when it has them, are checked).  A DataFrame must
    hold numbers; a pipeline's DataFrame must hold one dtype, since skl2onnx
    gives each column an input of its own type and most converters (a
    scaler's, a ``ColumnTransformer``'s, scikit-learn's MLP's) cannot join
    inputs of different types: convert with ``X.astype(np.float32)`` and feed
    the session float32 columns.  skreg's estimators themselves cast each
    column.
    """
    name = type(model).__name__
    if hasattr(X, "columns") and hasattr(X, "dtypes"):
        _check_dataframe_sample(model, X, name)
    else:
        X = _array_sample(X)
    shape = X.shape
    if len(shape) != 2:
        raise ValueError(f"X must be 2-D (a sample of rows of the input), got shape {shape}.")
    expected = getattr(model, "n_features_in_", None)
    if expected is not None and shape[1] != expected:
        raise ValueError(
            f"X has {shape[1]} features, but {name} was fitted on {expected}: the sample "
            "sets the width of the ONNX input. Pass rows of the data the model takes."
        )
    return X


def _array_sample(X):
    """``X`` as a NumPy array whose dtype skl2onnx maps to an ONNX input type."""
    if sp.issparse(X):
        raise ValueError(
            "X must be dense: the ONNX model takes a dense input. Pass a dense "
            "sample, such as X[:1].toarray()."
        )
    try:
        X = np.asarray(X)
    except ValueError as error:
        raise ValueError(f"X must be a 2-D array of numbers: {error}") from error
    if X.dtype.kind not in "biuf" or (X.dtype.kind == "f" and X.dtype.itemsize not in (4, 8)):
        raise ValueError(
            f"X must hold numbers to set the ONNX input type (float32 or float64 for "
            f"floats), got {X.dtype}."
        )
    return X


def _check_dataframe_sample(model, X, name):
    non_numeric = non_numeric_columns(X)
    if non_numeric:
        raise ValueError(
            f"X has columns that are not numeric: {', '.join(non_numeric)}. "
            "skreg's converters take numbers only."
        )
    names = getattr(model, "feature_names_in_", None)
    if names is not None and list(X.columns) != list(names):
        raise ValueError(
            f"X's columns {list(X.columns)} are not those {name} was fitted on "
            f"({list(names)}): each column becomes a named input of the ONNX model."
        )
    dtypes = sorted({str(dtype) for dtype in X.dtypes})
    lone = isinstance(model, (RegularizedMLPClassifier, RegularizedMLPRegressor))
    if len(dtypes) > 1 and not lone:
        raise ValueError(
            f"X's columns have several dtypes ({', '.join(dtypes)}); skl2onnx gives "
            "each column an input of its own type, which the converters of a "
            "pipeline's steps cannot join. Convert with one dtype, "
            "X.astype(np.float32), and feed the ONNX session float32 columns."
        )
