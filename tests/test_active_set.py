"""Skipping the input features the penalty removed (skreg._active_set)."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

import skreg._active_set as A
import skreg._config as C
import skreg._kernels as K
from skreg import RegularizedMLPClassifier

import naive as N
from conftest import settings_record


@pytest.fixture(scope="module")
def four_of_forty():
    X, y = make_classification(
        n_samples=400, n_features=40, n_informative=4, n_redundant=0, shuffle=False, random_state=0
    )
    return StandardScaler().fit_transform(X), y


def heavy_on_noise(**params):
    """A network whose group term on the 36 noise features is 300 times
    stronger: they go in the first epochs and their gradients stay far below
    the threshold, so that they never come back."""
    weights = np.full(40, 300.0)
    weights[:4] = 1.0
    settings = dict(
        hidden_layer_sizes=(16,),
        group_alpha=[2e-3, 0.0],
        group_weights=weights,
        max_iter=40,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
    )
    return RegularizedMLPClassifier(**{**settings, **params})


@pytest.fixture
def reduced_epochs(monkeypatch):
    """Counts the epochs run on a reduced problem, by active-set size."""
    sizes = []
    problem = A.ActiveInputs.problem

    def record(self, order, moments):
        reduced = problem(self, order, moments)
        if reduced is not None:
            sizes.append(reduced.active.size)
        return reduced

    monkeypatch.setattr(A.ActiveInputs, "problem", record)
    return sizes


def without_skipping(monkeypatch):
    monkeypatch.setattr(A, "MIN_REMOVED_SHARE", 2.0)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_skipping_gives_the_model_training_every_feature_gives(
    four_of_forty, reduced_epochs, monkeypatch, solver, kind
):
    X, y = four_of_forty
    X_fit = sp.csr_matrix(X) if kind == "csr" else X
    params = dict(solver=solver, penalty="l1", alpha=1e-4)
    skipping = heavy_on_noise(**params).fit(X_fit, y)
    # most noise features were skipped (a few removed ones may ride along)
    assert reduced_epochs and min(reduced_epochs) <= 6
    with monkeypatch.context() as patch:
        without_skipping(patch)
        full = heavy_on_noise(**params).fit(X_fit, y)
    assert skipping.n_features_selected_ == full.n_features_selected_ == 4
    for a, b in zip(skipping.coefs_ + skipping.intercepts_, full.coefs_ + full.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(skipping.loss_curve_, full.loss_curve_, rtol=1e-9)


def test_a_removed_feature_comes_back_when_its_gradient_beats_the_threshold(
    four_of_forty, reduced_epochs, monkeypatch
):
    X, y = four_of_forty
    est = heavy_on_noise().fit(X, y)
    est.coefs_[0][0] = 0.0  # remove an informative feature by hand
    est.set_params(warm_start=True, max_iter=5)
    reduced_epochs.clear()
    est.fit(X, y)
    assert reduced_epochs  # trained on reduced problems ...
    assert np.any(est.coefs_[0][0])  # ... and feature 0 came back

    # Without the check the feature would have stayed out.
    monkeypatch.setattr(
        A.ActiveInputs,
        "_still_removed",
        lambda self, candidates, order: np.ones(len(candidates), bool),
    )
    again = heavy_on_noise().fit(X, y)
    again.coefs_[0][0] = 0.0
    again.set_params(warm_start=True, max_iter=5).fit(X, y)
    assert not np.any(again.coefs_[0][0])


def test_no_skipping_with_input_dropout_or_noise_or_without_a_sparsifying_term():
    assert A.applies(C.regularization(2, group_alpha=[1e-3, 0.0]))
    assert A.applies(C.regularization(2, penalty="l1", alpha=1e-3))
    for params in (
        dict(group_alpha=[1e-3, 0.0], input_dropout=0.1),
        dict(group_alpha=[1e-3, 0.0], input_noise=0.1),
        dict(group_alpha=[0.0, 1e-3], penalty="l2", alpha=1e-3),
    ):
        assert not A.applies(C.regularization(2, **params)), params


@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_predict_leaves_removed_features_out(four_of_forty, monkeypatch, kind):
    X, y = four_of_forty
    est = heavy_on_noise().fit(X, y)
    assert est.n_features_selected_ == 4
    columns, coefs = A.reduced_network(est.coefs_)
    np.testing.assert_array_equal(columns, np.arange(4))
    monkeypatch.setattr(A, "PREDICT_CHUNK_ROWS", 150)  # several chunks
    X_pred = sp.csr_matrix(X) if kind == "csr" else X
    expected = N.naive_predict(X, est.coefs_, est.intercepts_, "relu", "logistic")[:, 0]
    np.testing.assert_allclose(est.predict_proba(X_pred)[:, 1], expected, rtol=1e-12)
    with monkeypatch.context() as patch:
        without_skipping(patch)
        assert A.reduced_network(est.coefs_)[0] is None
        np.testing.assert_allclose(est.predict_proba(X_pred)[:, 1], expected, rtol=1e-12)


@pytest.mark.parametrize("kind", ["dense", "csr"])
@pytest.mark.parametrize("loss", ["softmax", "identity"])
def test_removed_inputs_gradient_matches_numpy(kind, loss):
    rng = np.random.default_rng(0)
    n, units = K.BLOCK_ROWS + 37, [10, 6, 5, 3]  # two row blocks, two hidden layers
    X = rng.normal(size=(n, units[0]))
    X[rng.random(X.shape) < 0.3] = 0.0
    Y = np.eye(3)[rng.integers(0, 3, n)] if loss == "softmax" else rng.normal(size=(n, 3))
    sw = rng.uniform(0.5, 2.0, n)
    coefs = [rng.normal(size=(a, b)) for a, b in zip(units[:-1], units[1:])]
    intercepts = [rng.normal(size=b) for b in units[1:]]
    removed = np.array([1, 4, 7])
    kept = np.setdiff1d(np.arange(units[0]), removed)
    coefs[0][removed] = 0.0

    # NumPy: the full network, whose removed rows of W_1 are zero
    logits = N.naive_logits(X, coefs, intercepts, "tanh")
    delta = N.naive_output_delta(logits, Y, sw, loss)
    _, _, deltas = N.naive_backward(X, coefs, intercepts, "tanh", delta)
    expected = X[:, removed].T @ deltas[0]
    expected_noise = (X[:, removed] ** 2).T @ np.sum(deltas[0] ** 2, axis=1)
    full_gradient = N.naive_data_gradient(X, Y, sw, coefs, intercepts, "tanh", loss)[0][0]
    np.testing.assert_allclose(expected, full_gradient[removed], rtol=1e-12)

    as_kind = sp.csr_matrix if kind == "csr" else np.ascontiguousarray
    reduced_units = np.array([kept.size, *units[1:]], dtype=np.int64)
    out = np.empty((removed.size, units[1]))
    noise = np.empty(removed.size)
    K.removed_inputs_gradient(
        C.input_matrix(as_kind(X[:, kept]), np.float64),
        C.input_matrix(as_kind(X[:, removed]), np.float64),
        Y,
        sw,
        N.pack([coefs[0][kept], *coefs[1:]], intercepts),
        reduced_units,
        settings_record(activation="tanh", loss=loss),
        out,
        noise,
    )
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(noise, expected_noise, rtol=1e-10)
