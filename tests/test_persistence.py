"""Saving and loading fitted estimators (docs/persistence.rst): a pickle,
joblib or skops round trip gives back the same model, bit for bit, that
predicts and goes on training as the original does; skops finds no type in a
saved estimator to distrust but the estimator's own public class."""

import copy
import pickle
import re
from pathlib import Path

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression

import skreg
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)
from skreg.feature_selection import StabilitySelection

NEEDS_SKOPS = "needs skops: pip install 'skreg[skops]'"
DOCS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "persistence.rst"

X, y = make_classification(
    n_samples=90, n_features=6, n_informative=4, n_redundant=0, n_classes=3, random_state=0
)
X_reg, y_reg = make_regression(n_samples=90, n_features=6, random_state=0)
y_reg = y_reg / 100
SMALL = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
SMALL_CV = dict(hidden_layer_sizes=(6,), alphas=3, cv=2, path_max_iter=3, random_state=0)


def _pruned():
    est = RegularizedMLPClassifier(
        **{**SMALL, "max_iter": 30},
        penalty="l1",
        alpha=0.05,
        solver="sgd",
        learning_rate_init=0.1,
    ).fit(X, y)
    est.prune()
    assert est.coefs_[0].shape[1] < SMALL["hidden_layer_sizes"][0]  # units were removed
    return est


# Every kind of fitted state a user can end up with; each must save and load.
FITTED = {
    "sgd": lambda: RegularizedMLPClassifier(solver="sgd", **SMALL).fit(X, y),
    "adam": lambda: RegularizedMLPClassifier(**SMALL).fit(X, y),
    "lbfgs": lambda: RegularizedMLPRegressor(solver="lbfgs", **SMALL).fit(X_reg, y_reg),
    "early_stopping": lambda: RegularizedMLPClassifier(early_stopping=True, **SMALL).fit(X, y),
    "X_val": lambda: RegularizedMLPClassifier(**SMALL).fit(
        X[:60], y[:60], X_val=X[60:], y_val=y[60:]
    ),
    "partial_fit": lambda: (
        RegularizedMLPRegressor(solver="sgd", **SMALL)
        .partial_fit(X_reg, y_reg)
        .partial_fit(X_reg, y_reg)
    ),
    "warm_start": lambda: RegularizedMLPClassifier(warm_start=True, **SMALL).fit(X, y).fit(X, y),
    "pruned": _pruned,
    "float32": lambda: RegularizedMLPClassifier(**SMALL).fit(X.astype(np.float32), y),
    "sparse": lambda: RegularizedMLPClassifier(**SMALL).fit(sp.csr_matrix(X), y),
    "class_weight": lambda: RegularizedMLPClassifier(class_weight="balanced", **SMALL).fit(X, y),
    "dropout": lambda: RegularizedMLPClassifier(dropout=0.2, input_noise=0.1, **SMALL).fit(X, y),
    "multilabel": lambda: RegularizedMLPClassifier(**SMALL).fit(
        X, np.c_[y == 0, y == 1].astype(int)
    ),
    "poisson": lambda: RegularizedMLPRegressor(loss="poisson", **SMALL).fit(X_reg, np.abs(y)),
    "random_state_object": lambda: RegularizedMLPClassifier(
        **{**SMALL, "random_state": np.random.RandomState(0)}
    ).fit(X, y),
    "classifier_cv": lambda: RegularizedMLPClassifierCV(**SMALL_CV).fit(X, y),
    "regressor_cv": lambda: RegularizedMLPRegressorCV(**SMALL_CV).fit(X_reg, y_reg),
    "classifier_cv_ensemble": lambda: RegularizedMLPClassifierCV(**SMALL_CV, refit="ensemble").fit(
        X, y
    ),
    "regressor_cv_ensemble": lambda: RegularizedMLPRegressorCV(**SMALL_CV, refit="ensemble").fit(
        X_reg, y_reg
    ),
    "skip_connection": lambda: RegularizedMLPClassifier(skip_connection=True, **SMALL).fit(X, y),
    "skip_partial_fit": lambda: (
        RegularizedMLPRegressor(solver="sgd", skip_connection=True, **SMALL)
        .partial_fit(X_reg, y_reg)
        .partial_fit(X_reg, y_reg)
    ),
    "skip_regressor_cv": lambda: RegularizedMLPRegressorCV(skip_connection=True, **SMALL_CV).fit(
        X_reg, y_reg
    ),
    "stability_selection": lambda: StabilitySelection(
        RegularizedMLPClassifier(**SMALL), alphas=3, n_resamples=2, path_max_iter=2, random_state=0
    ).fit(X, y),
}
# The public classes a saved estimator of each kind holds, beyond its own.
HELD_CLASSES = {
    "classifier_cv_ensemble": [RegularizedMLPClassifier],  # the fold networks
    "regressor_cv_ensemble": [RegularizedMLPRegressor],
    "stability_selection": [RegularizedMLPClassifier],  # its estimator
}
_fitted_once = {}


def fitted(kind):
    """A fitted estimator of this kind, a copy of the one fitted for the module."""
    if kind not in _fitted_once:
        _fitted_once[kind] = FITTED[kind]()
    return copy.deepcopy(_fitted_once[kind])


def _via_pickle(est, tmp_path):
    return pickle.loads(pickle.dumps(est))


def _via_joblib(est, tmp_path):
    joblib.dump(est, tmp_path / "model.joblib")
    return joblib.load(tmp_path / "model.joblib")


def _via_skops(est, tmp_path):
    sio = pytest.importorskip("skops.io", reason=NEEDS_SKOPS)
    sio.dump(est, tmp_path / "model.skops")
    return sio.load(tmp_path / "model.skops", trusted=skreg.trusted_types())


ROUND_TRIPS = {"pickle": _via_pickle, "joblib": _via_joblib, "skops": _via_skops}


def assert_same_state(a, b, where="estimator"):
    """a and b hold the same values, of the same types, all the way down."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, np.random.RandomState):
        assert_same_state(a.get_state(), b.get_state(), where)
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_same_state(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same_state(u, v, f"{where}[{i}]")
    elif hasattr(a, "__dict__"):
        assert_same_state(vars(a), vars(b), where)
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("kind", FITTED)
def test_round_trip_gives_the_same_model(kind, how, tmp_path):
    est = fitted(kind)
    loaded = ROUND_TRIPS[how](est, tmp_path)
    assert_same_state(est, loaded)
    data = X_reg if isinstance(est, RegularizedMLPRegressor) else X
    if isinstance(est, StabilitySelection):  # a selector: what it keeps
        np.testing.assert_array_equal(loaded.transform(data), est.transform(data))
        return
    np.testing.assert_array_equal(loaded.predict(data), est.predict(data))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(data), est.predict_proba(data))


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("random_state", [0, "object"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_goes_on_after_a_round_trip(solver, random_state, how, tmp_path):
    """The optimizer state (moments, update count, learning rate) and the
    random stream survive: one more call moves both copies alike."""
    seed = np.random.RandomState(0) if random_state == "object" else random_state
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(6,),
        solver=solver,
        learning_rate="invscaling",
        dropout=0.1,
        random_state=seed,
    )
    for _ in range(3):
        est.partial_fit(X, y, classes=[0, 1, 2])
    loaded = ROUND_TRIPS[how](est, tmp_path)
    est.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert_same_state(est, loaded)


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_warm_start_fit_goes_on_after_a_round_trip(how, tmp_path):
    est = RegularizedMLPRegressor(warm_start=True, **SMALL).fit(X_reg, y_reg)
    loaded = ROUND_TRIPS[how](est, tmp_path)
    est.fit(X_reg, y_reg)
    loaded.fit(X_reg, y_reg)
    assert len(est.loss_curve_) == 2 * SMALL["max_iter"]  # the second fit went on
    assert_same_state(est, loaded)


# -- What skops trusts ------------------------------------------------------


def _untrusted_types(est, tmp_path):
    sio = pytest.importorskip("skops.io", reason=NEEDS_SKOPS)
    sio.dump(est, tmp_path / "model.skops")
    return sio.get_untrusted_types(file=tmp_path / "model.skops")


@pytest.mark.parametrize("kind", FITTED)
def test_skops_distrusts_only_the_public_estimator_class(kind, tmp_path):
    """A fitted estimator holds arrays, built-in values and types skops
    trusts; a private object in its state (of any kind of fit) fails here."""
    est = fitted(kind)
    classes = [type(est), *HELD_CLASSES.get(kind, [])]
    public = (skreg, skreg.feature_selection)
    assert all(any(getattr(m, cls.__name__, None) is cls for m in public) for cls in classes)
    expected = sorted(f"{cls.__module__}.{cls.__name__}" for cls in classes)
    assert sorted(_untrusted_types(est, tmp_path)) == expected


def test_trusted_types_are_what_skops_asks_for(tmp_path):
    """Over every kind of fit, skops asks to trust exactly these names."""
    asked = set()
    for kind in FITTED:
        asked.update(_untrusted_types(fitted(kind), tmp_path))
    names = skreg.trusted_types()
    assert sorted(names) == sorted(asked)
    names.clear()
    assert skreg.trusted_types(), "each call returns a list of its own"


def test_skops_refuses_what_is_not_trusted(tmp_path):
    sio = pytest.importorskip("skops.io", reason=NEEDS_SKOPS)
    from skops.io.exceptions import UntrustedTypesFoundException

    est = fitted("adam")
    sio.dump(est, tmp_path / "model.skops")
    for trusted in (None, []):
        with pytest.raises(UntrustedTypesFoundException, match="RegularizedMLPClassifier"):
            sio.load(tmp_path / "model.skops", trusted=trusted)
    loaded = sio.load(tmp_path / "model.skops", trusted=skreg.trusted_types())
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_the_docs_page_examples_run(tmp_path, monkeypatch, capsys):
    """The code of docs/persistence.rst runs as written, block after block."""
    pytest.importorskip("skops.io", reason=NEEDS_SKOPS)
    blocks = re.findall(
        r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", DOCS_PAGE.read_text(), flags=re.M
    )
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)  # the examples write their files here
    namespace = {"__name__": "docs"}
    for block in blocks:
        code = "\n".join(line[3:] for line in block.splitlines())
        exec(compile(code, str(DOCS_PAGE), "exec"), namespace)
    # Each example prints what it checked.
    assert capsys.readouterr().out.strip()
