"""ONNX export: onnxruntime must predict what skreg predicts."""

import warnings

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skreg._config as C
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)

NEEDS_EXTRA = "needs the onnx extra: pip install 'skreg[onnx]'"
skl2onnx = pytest.importorskip("skl2onnx", reason=NEEDS_EXTRA)
onnxruntime = pytest.importorskip("onnxruntime", reason=NEEDS_EXTRA)
skreg_onnx = pytest.importorskip("skreg.onnx", reason=NEEDS_EXTRA)

# float32 graphs against skreg's float32 predictions; double graphs against float64.
RTOL = {np.float32: 1e-5, np.float64: 1e-10}
# Probabilities lie in [0, 1], and near 0 they carry the absolute rounding of
# values near 1 (the binary complement 1 - p, onnxruntime's vectorized
# sigmoid): a few units in the last place of 1.0.
PROBA_ATOL = {np.float32: 4 * np.finfo(np.float32).eps, np.float64: 4 * np.finfo(np.float64).eps}
# Labels must match exactly unless the top two probabilities nearly tie.
TIE_MARGIN = 1e-4
ACTIVATIONS = list(C.ACTIVATIONS)  # every hidden activation the package knows


@pytest.fixture(autouse=True)
def _quiet_convergence():
    # Short fits: the weights only need to be non-trivial, not converged.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        yield


def run(onx, X):
    """onnxruntime's outputs for X (an array, or a dict of inputs by name),
    by output name."""
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    if not isinstance(X, dict):
        (input_name,) = [i.name for i in session.get_inputs()]
        X = {input_name: X}
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, X)))


def classification_data(kind, dtype=np.float32, n_samples=150, n_features=6):
    if kind == "multilabel":
        X, y = make_multilabel_classification(n_samples, n_features, n_classes=3, random_state=0)
        X = StandardScaler().fit_transform(X)
    else:
        X, y = make_classification(
            n_samples,
            n_features,
            n_informative=4,
            n_redundant=0,
            n_classes=2 if kind == "binary" else 3,
            random_state=0,
        )
    return X.astype(dtype), y


def classifier(**params):
    """A small network; lbfgs for a few iterations gives non-trivial weights fast."""
    params = {
        "hidden_layer_sizes": (7, 5),
        "solver": "lbfgs",
        "max_iter": 40,
        "random_state": 0,
        **params,
    }
    return RegularizedMLPClassifier(**params)


def fitted_classifier(X, y, **params):
    return classifier(**params).fit(X, y)


def small_cv(Est, **params):
    """A small CV estimator of class ``Est``: a few rates, folds and epochs."""
    params = {
        "hidden_layer_sizes": (7,),
        "alphas": 3,
        "cv": 3,
        "max_iter": 30,
        "path_max_iter": 5,
        "random_state": 0,
        **params,
    }
    return Est(**params)


def fitted_regressor(loss, n_outputs, dtype=np.float32, **params):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 6)).astype(dtype)
    mean = np.exp(0.5 * X[:, :n_outputs] + 0.2 * X[:, 1 : n_outputs + 1])
    y = rng.poisson(mean) if loss == "poisson" else mean + rng.normal(size=mean.shape)
    y = y.ravel() if n_outputs == 1 else y
    params = {
        "hidden_layer_sizes": (7, 5),
        "solver": "lbfgs",
        "max_iter": 40,
        "random_state": 0,
        **params,
    }
    return RegularizedMLPRegressor(loss=loss, **params).fit(X, y), X


def assert_labels_match(onnx_labels, skreg_labels, proba, multilabel=False):
    """Exact labels wherever the decision is not a near tie."""
    if multilabel:
        clear = np.abs(proba - 0.5) > TIE_MARGIN / 2
        np.testing.assert_array_equal(onnx_labels[clear], skreg_labels[clear])
        return
    top_two = np.sort(proba, axis=1)[:, -2:]
    clear = top_two[:, 1] - top_two[:, 0] > TIE_MARGIN
    assert clear.mean() > 0.9, "the test data should give clear decisions"
    np.testing.assert_array_equal(onnx_labels[clear], skreg_labels[clear])


def check_classifier(est, X, **options):
    """Convert with zipmap off, run, compare labels and probabilities."""
    out = run(skreg_onnx.to_onnx(est, X[:1], zipmap=False, **options), X)
    proba = est.predict_proba(X)
    assert out["probabilities"].dtype == X.dtype
    np.testing.assert_allclose(
        out["probabilities"], proba, rtol=RTOL[X.dtype.type], atol=PROBA_ATOL[X.dtype.type]
    )
    multilabel = est.n_outputs_ > 1 and est.out_activation_ == "logistic"
    assert_labels_match(out["label"], est.predict(X), proba, multilabel)
    return out


# ----------------------------------------------------------------------
# Every activation has an ONNX form
# ----------------------------------------------------------------------


@pytest.mark.parametrize("cls", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_every_accepted_activation_has_an_onnx_form(cls):
    (constraint,) = cls._parameter_constraints["activation"]
    missing = set(constraint.options) - set(skreg_onnx._HIDDEN_ACTIVATIONS)
    assert not missing, f"no ONNX nodes for hidden activation(s) {sorted(missing)}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_hidden_activation(activation, dtype):
    X, y = classification_data("multiclass", dtype)
    # a slope other than the default, which the export must carry
    check_classifier(fitted_classifier(X, y, activation=activation, leaky_relu_slope=0.3), X)


@pytest.mark.parametrize("target_opset", [None, 7])
@pytest.mark.parametrize(
    "activation, slope", [(a, 0.3) for a in ACTIVATIONS] + [("leaky_relu", 2.5)]
)
def test_hidden_activation_runs_in_double(activation, slope, target_opset):
    """onnxruntime has some activations' nodes for float alone: a double
    graph must run, at the oldest opset too, and for a slope above 1."""
    est, X = fitted_regressor(
        "squared_error", 2, np.float64, activation=activation, leaky_relu_slope=slope
    )
    out = run(skreg_onnx.to_onnx(est, X[:1], target_opset=target_opset), X)["variable"]
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, est.predict(X), rtol=RTOL[np.float64], atol=0)


# ----------------------------------------------------------------------
# Classifiers
# ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_classifier_targets(kind):
    X, y = classification_data(kind)
    est = fitted_classifier(X, y)
    out = check_classifier(est, X)
    expected_shape = (len(X), 3) if kind == "multilabel" else (len(X),)
    assert out["label"].shape == expected_shape


@pytest.mark.parametrize(
    "names",
    [np.array(["no", "yes", "maybe"]), np.array([-1, 4, 7]), np.array([1.0, 2.0, 3.0])],
    ids=["str", "int", "integral-float"],
)
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_class_label_types(names, kind):
    X, y = classification_data(kind)
    est = fitted_classifier(X, names[y])
    out = check_classifier(est, X)
    assert set(out["label"]) <= set(est.classes_)


def test_boolean_labels():
    X, y = classification_data("binary")
    est = fitted_classifier(X, y.astype(bool))
    out = check_classifier(est, X)
    assert set(out["label"]) == {0, 1}


def test_nocl_outputs_class_indices():
    X, y = classification_data("multiclass")
    est = fitted_classifier(X, np.array(["a", "b", "c"])[y])
    out = run(skreg_onnx.to_onnx(est, X[:1], zipmap=False, nocl=True), X)
    proba = est.predict_proba(X)
    expected = np.searchsorted(est.classes_, est.predict(X))
    assert_labels_match(out["label"], expected, proba)


@pytest.mark.parametrize("names", [np.array([4]), np.array(["only"])], ids=["int", "str"])
def test_one_class_classifier(names):
    # Its predict_proba has two columns for one label: the graph declares
    # and outputs both, and labels every row with the one class, also where
    # the second column is the larger (an index one past the labels).
    X, _ = classification_data("binary")
    est = classifier(solver="adam", max_iter=3)
    for y in (np.repeat(names, len(X)), np.repeat(names, len(X) // 2)):  # fresh, refitted
        est.fit(X[: len(y)], y)
        proba = est.predict_proba(X)
        assert (proba[:, 1] > 0.5).any() and (proba[:, 0] > 0.5).any()
        onx = skreg_onnx.to_onnx(est, X[:1], zipmap=False)
        assert onx.graph.output[1].type.tensor_type.shape.dim[1].dim_value == 2
        out = run(onx, X)
        np.testing.assert_array_equal(out["label"], est.predict(X))
        np.testing.assert_allclose(
            out["probabilities"], proba, rtol=RTOL[np.float32], atol=PROBA_ATOL[np.float32]
        )
        with pytest.raises(ValueError, match="fitted on one class.*zipmap=False"):
            skreg_onnx.to_onnx(est, X[:1])


@pytest.mark.parametrize(
    "kind, names",
    [
        ("multiclass", ["no", "yes", "maybe"]),
        ("multiclass", [3, 5, 8]),
        ("binary", ["no", "yes"]),
        ("multilabel", None),
    ],
    ids=["multiclass-str", "multiclass-int", "binary-str", "multilabel"],
)
def test_zipmap(kind, names):
    X, y = classification_data(kind)
    est = fitted_classifier(X, y if names is None else np.array(names)[y])
    out = run(skreg_onnx.to_onnx(est, X[:1]), X)
    proba = est.predict_proba(X)
    assert set(out) == {"output_label", "output_probability"}
    assert all(set(row) == set(est.classes_) for row in out["output_probability"])
    zipped = np.array([[row[c] for c in est.classes_] for row in out["output_probability"]])
    np.testing.assert_allclose(zipped, proba, rtol=RTOL[np.float32], atol=PROBA_ATOL[np.float32])
    assert_labels_match(out["output_label"], est.predict(X), proba, kind == "multilabel")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zipmap_columns(dtype):
    # one tensor per class, in the compute type: no ZipMap node to narrow it
    X, y = classification_data("multiclass", dtype)
    est = fitted_classifier(X, y)
    out = run(skreg_onnx.to_onnx(est, X[:1], zipmap="columns"), X)
    proba = est.predict_proba(X)
    for k, c in enumerate(est.classes_):
        assert out[f"i{c}"].dtype == dtype
        np.testing.assert_allclose(
            out[f"i{c}"], proba[:, k], rtol=RTOL[dtype], atol=PROBA_ATOL[dtype]
        )


def check_float64_zipmap(onx, est, X):
    """A graph converted from a float64 sample with the default zipmap
    loads; its ZipMap holds predict_proba in float (the one type ZipMap
    takes) and its labels are predict's."""
    assert onx.graph.input[0].type.tensor_type.elem_type == 11  # DOUBLE
    out = run(onx, X)
    proba = est.predict_proba(X)
    zipped = np.array([[row[c] for c in est.classes_] for row in out["output_probability"]])
    np.testing.assert_allclose(zipped, proba, rtol=RTOL[np.float32], atol=PROBA_ATOL[np.float32])
    labels = est.predict(X)  # one column per label for multilabel targets
    assert_labels_match(out["output_label"], labels, proba, multilabel=labels.ndim == 2)


@pytest.mark.parametrize(
    "kind, names, params",
    [
        ("binary", None, {}),
        ("multiclass", ["no", "yes", "maybe"], {}),
        ("multilabel", None, {}),
        ("binary", None, {"skip_connection": True, "hidden_layer_sizes": (5,)}),
    ],
    ids=["binary", "multiclass-str", "multilabel", "skip-connection"],
)
def test_float64_zipmap(kind, names, params):
    X, y = classification_data(kind, np.float64)
    est = fitted_classifier(X, y if names is None else np.array(names)[y], **params)
    check_float64_zipmap(skreg_onnx.to_onnx(est, X[:1]), est, X)


def test_float64_zipmap_after_a_refit():
    X, y = classification_data("multiclass", np.float64)
    est = fitted_classifier(X, y)
    check_float64_zipmap(skreg_onnx.to_onnx(est, X[:1]), est, X)
    est.fit(X, np.array(["a", "b", "c"])[y])  # labels of another type
    check_float64_zipmap(skreg_onnx.to_onnx(est, X[:1]), est, X)


@pytest.mark.parametrize("refit", [True, "ensemble"])
def test_float64_zipmap_of_a_cv_classifier(refit):
    X, y = classification_data("multiclass", np.float64)
    est = small_cv(RegularizedMLPClassifierCV, alphas=2, cv=2, max_iter=20, refit=refit)
    est.fit(X, y)
    check_float64_zipmap(skreg_onnx.to_onnx(est, X[:1]), est, X)


def test_float64_zipmap_in_a_pipeline_through_skl2onnx():
    X, y = classification_data("multiclass", np.float64)
    pipe = make_pipeline(StandardScaler(), classifier()).fit(X, y)
    check_float64_zipmap(skl2onnx.to_onnx(pipe, X[:1]), pipe, X)


# ----------------------------------------------------------------------
# Regressors
# ----------------------------------------------------------------------


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor(loss, n_outputs):
    est, X = fitted_regressor(loss, n_outputs)
    assert est.out_activation_ == ("exp" if loss == "poisson" else "identity")
    out = run(skreg_onnx.to_onnx(est, X[:1]), X)["variable"]
    assert out.shape == (len(X), n_outputs) and out.dtype == np.float32
    expected = est.predict(X).reshape(len(X), n_outputs)
    np.testing.assert_allclose(out, expected, rtol=RTOL[np.float32], atol=0)


# ----------------------------------------------------------------------
# Pruned networks, input types, pipelines
# ----------------------------------------------------------------------


def test_pruned_classifier():
    X, y = classification_data("multiclass")
    est = fitted_classifier(
        X,
        y,
        hidden_layer_sizes=(30, 20),
        penalty="l1",
        alpha=0.003,
        group_alpha=0.005,  # removes units, but keeps a network that reads its input
        solver="adam",
        learning_rate_init=0.01,
        max_iter=150,
    )
    dense_shapes = [W.shape for W in est.coefs_]
    est.prune()
    assert [W.shape for W in est.coefs_] != dense_shapes, "prune should remove units here"
    check_classifier(est, X)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_pruned_regressor(loss):
    est, X = fitted_regressor(
        loss,
        2,
        hidden_layer_sizes=(30,),
        penalty="l1",
        alpha=0.01,
        group_alpha=0.02,
        solver="adam",
        learning_rate_init=0.01,
        max_iter=150,
    )
    est.prune()
    assert est.coefs_[0].shape[1] < 30, "prune should remove units here"
    out = run(skreg_onnx.to_onnx(est, X[:1]), X)["variable"]
    np.testing.assert_allclose(out, est.predict(X), rtol=RTOL[np.float32], atol=0)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_skip_connection_classifier(kind):
    """The skip's linear term is one more MatMul: probabilities to 1e-5 in float32."""
    X, y = classification_data(kind)
    est = fitted_classifier(X, y, skip_connection=True, hidden_layer_sizes=(5,))
    assert np.any(est.skip_coef_ != 0)
    check_classifier(est, X)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_skip_connection_regressor_pruned_and_refitted(loss):
    """Fresh, pruned (the skip is kept) and refitted."""
    est, X = fitted_regressor(
        loss,
        2,
        skip_connection=True,
        hidden_layer_sizes=(30,),
        penalty="l1",
        alpha=0.01,
        group_alpha=0.02,
        solver="adam",
        learning_rate_init=0.01,
        max_iter=150,
    )
    for _ in range(2):
        out = run(skreg_onnx.to_onnx(est, X[:1]), X)["variable"]
        np.testing.assert_allclose(out, est.predict(X), rtol=RTOL[np.float32], atol=0)
        skip = est.skip_coef_.copy()
        before = est.predict(X)
        est.prune()
        assert est.coefs_[0].shape[1] < 30, "prune should remove units here"
        np.testing.assert_array_equal(est.skip_coef_, skip)
        np.testing.assert_allclose(est.predict(X), before, rtol=1e-5)
        out = run(skreg_onnx.to_onnx(est, X[:1]), X)["variable"]
        np.testing.assert_allclose(out, est.predict(X), rtol=RTOL[np.float32], atol=0)
        est.fit(X, est.predict(X) + 0.1)


def test_cv_classifier_exports_its_refitted_network():
    X, y = classification_data("multiclass")
    est = RegularizedMLPClassifierCV(
        hidden_layer_sizes=(7,), alphas=3, cv=2, solver="lbfgs", max_iter=30, random_state=0
    ).fit(X, y)
    check_classifier(est, X)


def test_cv_regressor_exports_its_refitted_network():
    base, X = fitted_regressor("squared_error", 1)
    est = RegularizedMLPRegressorCV(
        hidden_layer_sizes=(7,), alphas=3, cv=2, solver="lbfgs", max_iter=30, random_state=0
    ).fit(X, base.predict(X))
    out = run(skreg_onnx.to_onnx(est, X[:1]), X)["variable"]
    np.testing.assert_allclose(out.ravel(), est.predict(X), rtol=RTOL[np.float32], atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_cv_classifier_exports_its_fold_ensemble_as_one_graph(kind, dtype):
    X, y = classification_data(kind, dtype)
    est = small_cv(RegularizedMLPClassifierCV, refit="ensemble").fit(X, y)
    onx = skreg_onnx.to_onnx(est, X[:1], zipmap=False)
    assert [node.op_type for node in onx.graph.node].count("Gemm") == 3 * 2  # 3 folds, 2 layers
    assert len(onx.graph.input) == 1
    check_classifier(est, X)


@pytest.mark.parametrize("loss, n_outputs", [("squared_error", 1), ("poisson", 2)])
def test_cv_regressor_exports_its_fold_ensemble_as_one_graph(loss, n_outputs):
    base, X = fitted_regressor(loss, n_outputs)
    est = small_cv(RegularizedMLPRegressorCV, loss=loss, refit="ensemble")
    est.fit(X, base.predict(X))
    out = run(skreg_onnx.to_onnx(est, X[:1]), X)["variable"]
    expected = est.predict(X).reshape(len(X), n_outputs)
    np.testing.assert_allclose(out, expected, rtol=RTOL[np.float32], atol=0)


def test_a_fold_ensemble_in_a_pipeline():
    X, y = classification_data("multiclass", n_features=4)
    pipe = make_pipeline(
        StandardScaler(),
        RegularizedMLPClassifierCV(
            hidden_layer_sizes=(5,),
            alphas=2,
            cv=2,
            max_iter=20,
            random_state=0,
            refit="ensemble",
        ),
    ).fit(X, y)
    out = run(skreg_onnx.to_onnx(pipe, X[:1], zipmap=False), X)
    np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(X), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_stability_selection_in_a_pipeline(Est, dtype):
    # The user guide's pipeline: a scaler, the selector, a network on the
    # selected columns (the classifier's selection keeps some columns; the
    # regressor's, with no bound on false selections, all of them).
    from skreg.feature_selection import StabilitySelection

    if Est is RegularizedMLPClassifier:
        X, y = make_classification(n_samples=60, n_features=6, n_informative=3, random_state=0)
        bound = 5
    else:
        X, y = make_regression(n_samples=60, n_features=6, n_informative=2, random_state=0)
        bound = None
    X = X.astype(dtype)
    net = Est(hidden_layer_sizes=(5,), max_iter=20, random_state=0)
    selector = StabilitySelection(
        net, alphas=3, n_resamples=2, path_max_iter=2, max_false_selections=bound, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), selector, net).fit(X, y)
    kept = selector.get_support().sum()
    assert 0 < kept < X.shape[1] if Est is RegularizedMLPClassifier else kept == X.shape[1]
    check_pipeline_export(pipe, X, RTOL[dtype], proba_atol=1e-6)


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_stability_selection_pipeline_on_a_real_table_fresh_and_refitted(Est):
    # scikit-learn's bundled real tables (breast cancer, diabetes): the
    # selector keeps some columns, the export follows it after a refit too.
    from sklearn.datasets import load_breast_cancer, load_diabetes

    from skreg.feature_selection import StabilitySelection

    classify = Est is RegularizedMLPClassifier
    X, y = (load_breast_cancer if classify else load_diabetes)(return_X_y=True)
    X, y = X.astype(np.float32), (y if classify else (y - y.mean()) / y.std())
    net = Est(hidden_layer_sizes=(5,), max_iter=20, random_state=0)
    selector = StabilitySelection(
        net,
        alphas=6,
        n_resamples=2,
        path_max_iter=5,
        max_false_selections=5 if classify else 10,
        random_state=0,
    )
    pipe = make_pipeline(StandardScaler(), selector, net)
    for rows in (slice(None), slice(0, 3 * len(y) // 4)):  # fresh, then refitted
        pipe.fit(X[rows], y[rows])
        assert 0 < selector.get_support().sum() < X.shape[1]
        check_pipeline_export(pipe, X, RTOL[np.float32])


def check_pipeline_export(pipe, X, rtol, proba_atol=None):
    """The exported pipeline's outputs against its own: labels exactly,
    probabilities or predictions to ``rtol``, with an absolute slack of
    ``proba_atol`` for probabilities when given, else of ``rtol`` times the
    largest value (a value near zero carries the rounding of the sums it
    cancels)."""
    classify = is_classifier(pipe)
    out = run(skreg_onnx.to_onnx(pipe, X[:1], **(dict(zipmap=False) if classify else {})), X)
    if classify:
        np.testing.assert_array_equal(out["label"], pipe.predict(X))
        expected, got = pipe.predict_proba(X), out["probabilities"]
    else:
        expected, got = pipe.predict(X), out["variable"].ravel()
    atol = proba_atol if classify and proba_atol is not None else rtol * np.abs(expected).max()
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def test_network_pruned_to_no_hidden_unit():
    # Every unit constant: prune folds them all into the output intercept.
    X, y = classification_data("binary")
    est = fitted_classifier(X, y, hidden_layer_sizes=(5,))
    est.coefs_[0][:] = 0
    est.prune()
    assert est.coefs_[0].shape == (X.shape[1], 0)
    out = check_classifier(est, X[:5])
    assert np.ptp(out["probabilities"][:, 1]) == 0


def test_float64_classifier():
    X, y = classification_data("multiclass", dtype=np.float64)
    est = fitted_classifier(X, y)
    onx = skreg_onnx.to_onnx(est, X[:1], zipmap=False)
    assert onx.graph.input[0].type.tensor_type.elem_type == 11  # DOUBLE
    check_classifier(est, X)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_float64_regressor(loss):
    est, X = fitted_regressor(loss, 2, dtype=np.float64)
    out = run(skreg_onnx.to_onnx(est, X[:1]), X)["variable"]
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, est.predict(X), rtol=RTOL[np.float64], atol=0)


def test_float32_graph_of_a_float64_model():
    # Weights trained in double, exported for float32 input (the default).
    X, y = classification_data("multiclass", dtype=np.float64)
    est = fitted_classifier(X, y)
    X32 = X.astype(np.float32)
    out = run(skreg_onnx.to_onnx(est, X32[:1], zipmap=False), X32)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(out["probabilities"], proba, rtol=1e-5, atol=1e-6)
    assert_labels_match(out["label"], est.predict(X), proba)


def test_integer_input_is_cast():
    X, y = classification_data("multiclass")
    X_int = np.round(4 * X).astype(np.int64)
    est = fitted_classifier(X_int.astype(np.float32), y)
    out = run(skreg_onnx.to_onnx(est, X_int[:1], zipmap=False), X_int)
    proba = est.predict_proba(X_int.astype(np.float32))
    np.testing.assert_allclose(
        out["probabilities"], proba, rtol=RTOL[np.float32], atol=PROBA_ATOL[np.float32]
    )


def test_dataframe_columns_become_inputs():
    pd = pytest.importorskip("pandas")
    X, y = classification_data("multiclass")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = fitted_classifier(df, y)
    onx = skreg_onnx.to_onnx(est, df[:1], zipmap=False)
    assert [i.name for i in onx.graph.input] == list(df.columns)
    out = run(onx, {c: df[[c]].to_numpy() for c in df.columns})
    proba = est.predict_proba(df)
    np.testing.assert_allclose(
        out["probabilities"], proba, rtol=RTOL[np.float32], atol=PROBA_ATOL[np.float32]
    )
    assert_labels_match(out["label"], est.predict(df), proba)


def test_plain_skl2onnx_in_a_pipeline():
    X, y = classification_data("multiclass")
    pipe = make_pipeline(StandardScaler(), classifier()).fit(X, y)
    onx = skl2onnx.to_onnx(pipe, X[:1], options={RegularizedMLPClassifier: {"zipmap": False}})
    out = run(onx, X)
    proba = pipe.predict_proba(X)
    # The scaler's float32 arithmetic differs slightly from scikit-learn's.
    np.testing.assert_allclose(out["probabilities"], proba, rtol=1e-4, atol=1e-6)
    assert_labels_match(out["label"], pipe.predict(X), proba)


def test_to_onnx_needs_a_fitted_skreg_estimator():
    X, _ = classification_data("binary")
    with pytest.raises(NotFittedError):
        skreg_onnx.to_onnx(RegularizedMLPClassifier(), X[:1])
    with pytest.raises(TypeError, match="skl2onnx.to_onnx"):
        skreg_onnx.to_onnx(StandardScaler().fit(X), X[:1])
