"""skreg.onnx.to_onnx checks the sample that sets the graph's inputs, and
converts pipelines that end in a skreg estimator."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

NEEDS_EXTRA = "needs the onnx extra: pip install 'skreg[onnx]'"
pytest.importorskip("skl2onnx", reason=NEEDS_EXTRA)
onnxruntime = pytest.importorskip("onnxruntime", reason=NEEDS_EXTRA)
skreg_onnx = pytest.importorskip("skreg.onnx", reason=NEEDS_EXTRA)
pd = pytest.importorskip("pandas")

BOTH = (RegularizedMLPClassifier, RegularizedMLPRegressor)
COLUMNS = [f"f{i}" for i in range(6)]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=60, n_features=6, random_state=0)
    return X.astype(np.float32), y


def fitted(Est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Est(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y)


def session(onx):
    return onnxruntime.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


def mixed_frame(X):
    """A DataFrame whose first column is float64 and the others float32."""
    return pd.DataFrame(X, columns=COLUMNS).astype({"f0": np.float64})


@pytest.mark.parametrize(
    "sample, pattern",
    [
        (lambda X: X[:1, :3], "X has 3 features, but .* was fitted on 6"),
        (lambda X: X[0], "X must be 2-D"),
        (lambda X: X[None, :1], "X must be 2-D"),
        (lambda X: X[:1].astype(str), "X must hold numbers"),
        (lambda X: pd.DataFrame(X[:1], columns=list("abcdef")), "are not those"),
        (lambda X: pd.DataFrame(X[:1], columns=COLUMNS).assign(f1="x"), "not numeric: 'f1'"),
        (lambda X: sp.csr_matrix(X[:1]), "X must be dense"),
        (lambda X: X[:1].astype(np.float16), "float32 or float64"),
    ],
    ids=["narrow", "1d", "3d", "strings", "other_names", "string_column", "sparse", "float16"],
)
@pytest.mark.parametrize("Est", BOTH)
def test_a_bad_sample_is_refused(Est, sample, pattern, data):
    X, y = data
    sample = sample(X)
    # a DataFrame sample goes to a model fitted on a DataFrame
    est = fitted(Est, pd.DataFrame(X, columns=COLUMNS) if hasattr(sample, "columns") else X, y)
    with pytest.raises(ValueError, match=pattern):
        skreg_onnx.to_onnx(est, sample)


@pytest.mark.parametrize("Est", BOTH)
def test_a_pipeline_with_mixed_column_dtypes_is_told_to_cast(Est, data):
    X, y = data
    df = mixed_frame(X)
    pipe = make_pipeline(StandardScaler(), fitted(Est, X, y))
    pipe.fit(df, y)
    with pytest.raises(ValueError, match=r"several dtypes \(float32, float64\).*astype"):
        skreg_onnx.to_onnx(pipe, df[:1])
    # the documented way: one dtype for the sample and for the session's inputs
    single = df.astype(np.float32)
    onx = skreg_onnx.to_onnx(pipe, single[:1], **({"zipmap": False} if Est is BOTH[0] else {}))
    feeds = {c: single[[c]].to_numpy() for c in single.columns}
    outputs = session(onx).run(None, feeds)
    expected = pipe.predict_proba(df) if Est is BOTH[0] else pipe.predict(df).reshape(-1, 1)
    np.testing.assert_allclose(outputs[-1], expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("Est", BOTH)
def test_a_lone_estimator_casts_mixed_columns(Est, data):
    X, y = data
    df = mixed_frame(X)
    est = fitted(Est, df, y)
    onx = skreg_onnx.to_onnx(est, df[:1])
    outputs = session(onx).run(None, {c: df[[c]].to_numpy() for c in df.columns})
    if Est is BOTH[1]:
        np.testing.assert_allclose(outputs[0].ravel(), est.predict(df), rtol=1e-4, atol=1e-5)


def test_a_pipeline_not_ending_in_skreg_is_refused(data):
    X, y = data
    with pytest.raises(TypeError, match="Pipeline ending in one"):
        skreg_onnx.to_onnx(make_pipeline(StandardScaler()).fit(X), X[:1])


@pytest.mark.parametrize("Est", BOTH)
def test_a_list_sample_works(Est, data):
    X, y = data
    est = fitted(Est, X, y)
    assert skreg_onnx.to_onnx(est, X[:1].tolist()).graph.input[0].name == "X"


@pytest.mark.parametrize(
    "target_opset, error, pattern",
    [("13", TypeError, "target_opset must be None or an int"), (5, ValueError, "at least 7")],
)
def test_target_opset_is_checked(target_opset, error, pattern, data):
    X, y = data
    est = fitted(BOTH[0], X, y)
    with pytest.raises(error, match=pattern):
        skreg_onnx.to_onnx(est, X[:1], target_opset=target_opset)


@pytest.mark.parametrize(
    "Est, option, pattern",
    [
        (BOTH[0], "zipmapp", r"unexpected options \['zipmapp'\] .* takes nocl, zipmap"),
        (BOTH[1], "zipmap", r"unexpected options \['zipmap'\] .* takes no options"),
    ],
)
def test_unknown_options_are_named(Est, option, pattern, data):
    X, y = data
    with pytest.raises(TypeError, match=pattern):
        skreg_onnx.to_onnx(fitted(Est, X, y), X[:1], **{option: False})
