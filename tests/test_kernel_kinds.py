"""Which compiled kernels a fit runs, on real tables (scikit-learn's breast
cancer and diabetes), for both estimators, fresh and refitted.

A fit whose only term beyond L2 is a proximal L1 penalty runs the plain
epoch (``extra`` None), which takes the L1 step itself; a CV fit takes its
automatic grid's gradient with the epoch kernel, not with L-BFGS's
full-batch kernel (docs/design.rst, "Kernels" and "The automatic grid").
Both give what the other kernels give.  The group step in Adam's metric,
on the weights and step sizes such fits reach, gives what the slow
reference gives.
"""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.preprocessing import StandardScaler

import skreg._config as C
import skreg._engine as E
import skreg._kernels as K
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)

import naive as N


@pytest.fixture(scope="module")
def tables():
    """Breast cancer (classification) and diabetes (regression), standardized."""
    X_c, y_c = load_breast_cancer(return_X_y=True)
    X_r, y_r = load_diabetes(return_X_y=True)
    return {
        "classifier": (StandardScaler().fit_transform(X_c), y_c),
        "regressor": (StandardScaler().fit_transform(X_r), (y_r - y_r.mean()) / y_r.std()),
    }


def table_of(Est, tables):
    return tables["classifier" if "Classifier" in Est.__name__ else "regressor"]


def recording_extras(monkeypatch):
    """The ``extra`` record of every epoch kernel call from now on."""
    seen = []
    real = E.C.extra_terms

    def extra_terms(reg):
        extra = real(reg)
        seen.append(extra)
        return extra

    monkeypatch.setattr(E.C, "extra_terms", extra_terms)
    return seen


def fit_and_refit(est, X, y):
    """The weights after a fit, and after a refit at another rate."""
    est.fit(X, y)
    fresh = [W.copy() for W in est.coefs_ + est.intercepts_]
    est.set_params(alpha=est.alpha * 3).fit(X, y)
    return fresh, [W.copy() for W in est.coefs_ + est.intercepts_]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_an_l1_fit_runs_the_plain_epoch_and_gets_the_same_weights(
    Est, penalty, tables, monkeypatch
):
    X, y = table_of(Est, tables)

    def est():
        return Est(
            hidden_layer_sizes=(8,), penalty=penalty, alpha=0.05, max_iter=15, random_state=0
        )

    with monkeypatch.context() as m:
        seen = recording_extras(m)
        plain = fit_and_refit(est(), X, y)
    assert seen and all(extra is None for extra in seen)
    with monkeypatch.context() as m:
        m.setattr(E.C, "extra_terms", lambda reg: reg)  # the epoch with every term's code
        full = fit_and_refit(est(), X, y)
    for plain_fit, full_fit in zip(plain, full):  # fresh, then refitted
        assert any(np.any(W == 0) for W in plain_fit)  # the L1 step acted
        for a, b in zip(plain_fit, full_fit):
            np.testing.assert_array_equal(a, b)


def adam_steps_of_first_layer(est):
    """W_1 and its coordinates' Adam step sizes lr_t / (sqrt(v) + eps) at the
    end of a fit (the steps its last group step was taken with)."""
    W = est.coefs_[0]
    state = est._optimizer_state
    t, rate = state["n_updates"], state["learning_rate"]
    v = state["moments"][1][: W.size].reshape(W.shape)
    lr_t = rate * np.sqrt(1.0 - est.beta_2**t) / (1.0 - est.beta_1**t)
    return W, lr_t / (np.sqrt(v) + est.epsilon)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_the_group_step_on_a_real_tables_weights(Est, tables):
    """A group fit on a real table, fresh and refitted at another rate: on
    its W_1 and Adam step sizes, the kernel's group step (one division pass,
    a series for the scaling) equals the reference's bisection to 1e-13, at
    rates that remove nothing and half the rows."""
    X, y = table_of(Est, tables)
    est = Est(hidden_layer_sizes=(16,), group_alpha=1e-3, max_iter=20, random_state=0)
    for group_alpha in (1e-3, 1e-2):  # fresh, then refitted
        W, S = adam_steps_of_first_layer(est.set_params(group_alpha=group_alpha).fit(X, y))
        # each row's rate at which the step zeroes it: their median removes half
        zeroing = np.linalg.norm(W / S, axis=1) / np.sqrt(W.shape[1])
        removed = []
        for strength in (1e-6, group_alpha, np.median(zeroing)):
            got = W.copy()
            K.prox_group_rows(got, S, strength, np.zeros(0))
            expected = N.naive_prox_group_rows(W, S, strength)
            np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15 * np.abs(W).max())
            removed.append(int(np.sum(~got.any(axis=1))))
        assert removed[0] == 0 and 0 < removed[-1] < W.shape[0], removed


def full_batch_gradient(data, params, units, settings):
    """The data gradient as L-BFGS's kernel computes it (the grid's former way)."""
    grads = np.empty_like(params)
    no_penalty = C.regularization(len(units) - 1, penalty=None)
    E.objective_and_gradient(data, params.copy(), units, no_penalty, settings, grads)
    return grads


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::skreg.exceptions.RateAtGridEdgeWarning")
@pytest.mark.parametrize("Est", [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV])
def test_a_cv_fit_takes_its_grid_from_the_epoch_kernel(Est, tables, monkeypatch):
    X, y = table_of(Est, tables)
    settings = dict(hidden_layer_sizes=(8,), alphas=4, cv=3, max_iter=10, path_max_iter=3)

    def fit_and_refit():
        est = Est(penalty="l1", random_state=0, **settings).fit(X, y)
        fresh = est.alphas_.copy()
        return fresh, est.set_params(penalty="l2").fit(X, y).alphas_.copy()

    calls = []
    with monkeypatch.context() as m:
        real = E.objective_and_gradient
        m.setattr(E, "objective_and_gradient", lambda *a: calls.append(1) or real(*a))
        grids = fit_and_refit()
    assert not calls
    with monkeypatch.context() as m:
        m.setattr(E, "data_gradient", full_batch_gradient)
        former = fit_and_refit()
    for grid, former_grid in zip(grids, former):  # fresh, then refitted
        np.testing.assert_allclose(grid, former_grid, rtol=1e-12)
