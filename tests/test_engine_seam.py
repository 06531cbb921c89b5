"""The engine is the seam: estimators, paths and CV estimators trained
through a second engine (``naive_engine.py``, plain NumPy on ``naive.py``'s
references) give the weights the real engine (the Numba kernels) gives.

Each test runs the same estimator code twice, first on the real engine, then
with the naive engine installed and every compiled kernel made to raise, so
that a comparison cannot pass because the kernels were reached some other
way.  Settings stay off the active set (small penalties, a few epochs: no
quarter of a layer is removed), which the naive engine does not implement.
"""

import ast
import pathlib

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler

import skreg
import skreg._kernels as K
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
    regularization_path,
)

import naive_engine

ATOL = 1e-10


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(
        n_samples=60, n_features=4, n_informative=3, n_redundant=0, random_state=0
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=60, n_features=4, n_targets=2, noise=0.5, random_state=0)
    return StandardScaler().fit_transform(X), y / np.std(y)


def kernels_refuse(monkeypatch):
    """Every compiled kernel raises from now on (for the rest of the context)."""

    def refuse(name):
        def kernel(*args, **kwargs):
            raise AssertionError(f"the kernel {name} was called with the naive engine installed")

        return kernel

    for name, value in vars(K).items():
        if hasattr(value, "py_func"):  # a Numba dispatcher
            monkeypatch.setattr(K, name, refuse(name))


def through_both(monkeypatch, train):
    """``train()`` on the real engine, then on the naive one."""
    real = train()
    with monkeypatch.context() as m:
        naive_engine.install(m)
        kernels_refuse(m)
        naive = train()
        calls = dict(naive_engine.CALLS)
    assert calls.get("train_epoch", 0) + calls.get("objective_and_gradient", 0) > 0, calls
    return real, naive, calls


def assert_same_network(real, naive, request):
    """The same ``(coefs, intercepts)`` to ATOL; prints the largest difference."""
    largest = 0.0
    for a, b in zip(real[0] + real[1], naive[0] + naive[1]):
        np.testing.assert_allclose(b, a, rtol=0, atol=ATOL)
        largest = max(largest, float(np.max(np.abs(a - b))))
    print(f"{request.node.name}: largest difference {largest:.3g}")


SMALL = dict(hidden_layer_sizes=(5,), random_state=0, max_iter=8, tol=0.0)
ESTIMATOR_CASES = [
    pytest.param(RegularizedMLPClassifier, dict(solver="adam", alpha=1e-3), id="clf-adam-l2"),
    pytest.param(
        RegularizedMLPClassifier,
        dict(solver="adam", penalty="l1", alpha=1e-3, batch_size=16),
        id="clf-adam-l1-batches",
    ),
    pytest.param(
        RegularizedMLPClassifier,
        dict(solver="sgd", penalty="l1", alpha=1e-3, learning_rate_init=0.05, batch_size=16),
        id="clf-sgd-l1-nesterov",
    ),
    pytest.param(
        RegularizedMLPClassifier,
        dict(solver="lbfgs", alpha=1e-3, max_iter=15),
        id="clf-lbfgs-l2",
    ),
    pytest.param(
        RegularizedMLPRegressor,
        dict(solver="adam", penalty="elasticnet", alpha=1e-3, activation="tanh", batch_size=20),
        id="reg-adam-elasticnet",
    ),
    pytest.param(
        RegularizedMLPRegressor,
        dict(
            solver="sgd",
            alpha=1e-3,
            momentum=0.5,
            nesterovs_momentum=False,
            learning_rate="invscaling",
            learning_rate_init=0.01,
            weight_decay=0.1,
        ),
        id="reg-sgd-l2-decay",
    ),
    pytest.param(
        RegularizedMLPRegressor,
        dict(solver="lbfgs", alpha=1e-2, activation="leaky_relu", max_iter=15),
        id="reg-lbfgs-leaky",
    ),
    pytest.param(
        RegularizedMLPRegressor,
        dict(solver="adam", group_alpha=1e-3, max_norm=1.0, l1_method="subgradient"),
        id="reg-adam-group-maxnorm",
    ),
    pytest.param(
        RegularizedMLPClassifier,
        dict(solver="adam", dropout=0.2, input_dropout=0.1, batch_size=16),
        id="clf-adam-dropout",
    ),
    pytest.param(
        RegularizedMLPRegressor,
        dict(solver="sgd", input_noise=0.1, learning_rate_init=0.01, batch_size=16),
        id="reg-sgd-input-noise",
    ),
]


def data_for(Est, classification, regression):
    return classification if Est is RegularizedMLPClassifier else regression


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Est, params", ESTIMATOR_CASES)
def test_estimator_trains_the_same_network(
    Est, params, classification, regression, monkeypatch, request
):
    X, y = data_for(Est, classification, regression)

    def train():
        est = Est(**{**SMALL, **params}).fit(X, y)
        return est, (est.coefs_, est.intercepts_), est.predict(X)

    (real, real_net, real_pred), (naive, naive_net, naive_pred), calls = through_both(
        monkeypatch, train
    )
    assert_same_network(real_net, naive_net, request)
    assert naive.n_iter_ == real.n_iter_
    np.testing.assert_allclose(naive.loss_curve_, real.loss_curve_, rtol=1e-10, atol=0)
    if Est is RegularizedMLPClassifier:
        np.testing.assert_array_equal(naive_pred, real_pred)
    else:
        np.testing.assert_allclose(naive_pred, real_pred, rtol=0, atol=ATOL)
    assert calls["predict"] == 1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "params",
    [
        pytest.param(dict(solver="adam", penalty="l1"), id="adam-l1"),
        pytest.param(dict(solver="sgd", learning_rate_init=0.05), id="sgd-l2"),
        pytest.param(dict(solver="lbfgs", max_iter=15), id="lbfgs-l2"),
    ],
)
def test_path_trains_the_same_networks(params, classification, monkeypatch, request):
    X, y = classification
    estimator = RegularizedMLPClassifier(**{**SMALL, **params})

    def train():
        return regularization_path(
            X, y, estimator=estimator, alphas=[1e-4, 1e-3, 1e-2], path_max_iter=5
        )

    real, naive, _ = through_both(monkeypatch, train)
    np.testing.assert_array_equal(naive.n_iter, real.n_iter)
    for k in range(3):
        assert_same_network(
            (real.coefs[k], real.intercepts[k]), (naive.coefs[k], naive.intercepts[k]), request
        )
    np.testing.assert_allclose(naive.objective, real.objective, rtol=1e-10, atol=0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "Est, params",
    [
        pytest.param(RegularizedMLPClassifierCV, dict(solver="adam", penalty="l1"), id="clf-adam"),
        pytest.param(RegularizedMLPRegressorCV, dict(solver="lbfgs", max_iter=15), id="reg-lbfgs"),
    ],
)
def test_cv_estimator_picks_and_trains_the_same_network(
    Est, params, classification, regression, monkeypatch, request
):
    X, y = classification if Est is RegularizedMLPClassifierCV else regression

    def train():
        return Est(alphas=3, cv=2, path_max_iter=5, **{**SMALL, **params}).fit(X, y)

    real, naive, calls = through_both(monkeypatch, train)
    # The automatic grid's gradient, the folds' paths (their strong rates
    # constant networks) and the refit went through the naive engine; only
    # L-BFGS calls the full-batch kernel.
    if params["solver"] != "lbfgs":
        assert "objective_and_gradient" not in calls
    np.testing.assert_allclose(naive.alphas_, real.alphas_, rtol=1e-10)
    assert naive.alpha_ == real.alpha_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_allclose(naive.cv_results_[key], real.cv_results_[key], rtol=1e-10)
    assert_same_network((real.coefs_, real.intercepts_), (naive.coefs_, naive.intercepts_), request)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "params",
    [
        pytest.param(dict(solver="adam", penalty="l1", alpha=1e-3), id="adam-l1"),
        pytest.param(dict(solver="sgd", input_dropout=0.2, learning_rate_init=0.05), id="sgd-drop"),
    ],
)
def test_sparse_inputs_train_the_same_network(params, classification, monkeypatch, request):
    """A CSR matrix: the naive engine gets the kernels' input tuple, and input
    dropout draws over the stored entries only."""
    X, y = classification
    X = sp.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))

    def train():
        est = RegularizedMLPClassifier(**{**SMALL, "batch_size": 16, **params}).fit(X, y)
        return est.coefs_, est.intercepts_

    real, naive, _ = through_both(monkeypatch, train)
    assert_same_network(real, naive, request)


def test_the_naive_engine_is_the_one_used(classification, monkeypatch):
    """With the naive engine installed, a fit, a prediction and pruning call
    its functions (and a changed naive function changes the result), while
    every compiled kernel refuses to run."""
    X, y = classification
    naive_engine.install(monkeypatch)
    kernels_refuse(monkeypatch)
    est = RegularizedMLPClassifier(**SMALL).fit(X, y)
    est.predict(X)
    est.prune()
    calls = naive_engine.CALLS
    assert calls["train_epoch"] == est.n_iter_ == SMALL["max_iter"]
    assert calls["penalty_value"] >= est.n_iter_
    assert calls["zero_network_loss"] == 1
    assert calls["predict"] == 1
    assert calls["hidden_activation"] >= 1
    with pytest.raises(AssertionError, match="the kernel train_epoch was called"):
        K.train_epoch()
    # an engine that trains differently trains a different network
    monkeypatch.setattr(naive_engine.N, "naive_adam_step", halved(naive_engine.N.naive_adam_step))
    other = RegularizedMLPClassifier(**SMALL).fit(X, y)
    assert not np.allclose(other.coefs_[0], est.coefs_[0], rtol=0, atol=1e-6)


def halved(adam_step):
    def step(params, grads, m, v, t, lr, *args):
        return adam_step(params, grads, m, v, t, lr / 2, *args)

    return step


def test_the_naive_engine_refuses_the_active_set():
    with pytest.raises(NotImplementedError, match="coast"):
        naive_engine.coast()
    with pytest.raises(NotImplementedError, match="removed_rows_gradient"):
        naive_engine.removed_rows_gradient()


def test_no_module_holds_on_to_an_engine_function():
    """The swap works because every caller looks the engine's functions up on
    the module at call time: no module of the package imports one by name."""
    for path in pathlib.Path(skreg.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("_engine"):
                names = {alias.name for alias in node.names}
                assert not names & set(naive_engine.FUNCTIONS), (path.name, names)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_path_whose_network_dies(classification, monkeypatch, request):
    """At rates that remove every input the path's network is constant: its
    objective comes from its constant output, without the full-batch kernel,
    the same in both engines, and it is J as L-BFGS's hook computes it in
    full."""
    X, y = classification
    estimator = RegularizedMLPClassifier(**{**SMALL, "penalty": "l1", "max_iter": 30})

    def train():
        return regularization_path(
            X, y, estimator=estimator, alphas=[1e-3, 0.3, 1.0], path_max_iter=30
        )

    real, naive, calls = through_both(monkeypatch, train)
    dead = np.flatnonzero(real.n_features_selected == 0)
    assert dead.size >= 1
    assert "objective_and_gradient" not in calls
    np.testing.assert_allclose(naive.objective, real.objective, rtol=1e-10, atol=0)
    for k in dead:
        model = RegularizedMLPClassifier(**{**SMALL, "penalty": "l1", "alpha": real.alphas[k]})
        model.fit(X, y)
        packed = np.concatenate([W.ravel() for W in real.coefs[k] + real.intercepts[k]])
        full, _ = model._loss_grad_lbfgs(packed, X, y.reshape(-1, 1))
        np.testing.assert_allclose(real.objective[k], full, rtol=1e-12)
