"""Which compiled kernels a fit runs, on real tables (scikit-learn's breast
cancer and diabetes), for both estimators, fresh and refitted.

A fit whose only term beyond L2 is a proximal L1 penalty runs the plain
epoch (``extra`` None), which takes the L1 step itself; a CV fit takes its
automatic grid's gradient with the epoch kernel, not with L-BFGS's
full-batch kernel (docs/design.rst, "Kernels" and "The automatic grid").
Both give what the other kernels give.
"""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.preprocessing import StandardScaler

import skreg._config as C
import skreg._engine as E
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)


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
