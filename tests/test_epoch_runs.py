"""Runs of epochs in one kernel call give the models, loss curves, stopping
points, divergence errors and random streams of one epoch per call.

The trainer runs several epochs per kernel call when nothing in Python
needs to see them one by one (``skreg._training._in_runs``); each test here
trains once that way and once forced onto the one-epoch loop, and compares
bit for bit.  The kernel ``train_epochs`` itself is checked against the
NumPy reference ``naive.naive_train_epochs``.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from test_engine_seam import kernels_refuse
from test_kernels import Problem, check_state, initial_state, kernel_config, split_case

import skreg._active_set as A
import skreg._config as C
import skreg._engine as E
import skreg._kernels as K
import skreg._training as T
from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor, regularization_path
from skreg._training import TrainingDiverged

import naive as N
import naive_engine

ESTIMATORS = [RegularizedMLPClassifier, RegularizedMLPRegressor]
SMALL = dict(hidden_layer_sizes=(8,), batch_size=16, random_state=3)
# Settings that each take a different way through the kernels.  (L1,
# elastic net and group lasso train on the active set, one epoch at a time,
# only on more rows than these tests have.)
CASES = {
    "adam": dict(),
    "sgd": dict(solver="sgd", learning_rate_init=0.05),
    "sgd_nesterov_off": dict(solver="sgd", nesterovs_momentum=False),
    "l1": dict(penalty="l1", alpha=1e-3),
    "elasticnet": dict(penalty="elasticnet", alpha=1e-2, l1_ratio=0.4),
    "group": dict(group_alpha=1e-3),
    "l1_sgd": dict(solver="sgd", penalty="l1", alpha=1e-3),
    "dropout": dict(dropout=0.2, input_dropout=0.1),
    "noise": dict(input_noise=0.1),
    "max_norm": dict(max_norm=0.8),
    "weight_decay": dict(weight_decay=1e-2, penalty=None),
    "no_shuffle": dict(shuffle=False),
    "stops_early": dict(tol=1e-2, n_iter_no_change=3),
}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=90, n_features=6, n_informative=4, random_state=0)
    Xr, yr = make_regression(n_samples=90, n_features=6, noise=1.0, random_state=0)
    return {
        RegularizedMLPClassifier: (StandardScaler().fit_transform(X), y),
        RegularizedMLPRegressor: (StandardScaler().fit_transform(Xr), yr / np.std(yr)),
    }


@pytest.fixture
def runs(monkeypatch):
    """Count the engine's calls of ``train_epochs``."""
    calls = []
    train_epochs = E.train_epochs

    def counted(*args, **kwargs):
        calls.append(args[1].shape[0])
        return train_epochs(*args, **kwargs)

    monkeypatch.setattr(E, "train_epochs", counted)
    return calls


def one_epoch_per_call(monkeypatch):
    monkeypatch.setattr(T, "_in_runs", lambda *args: False)


def fit_and_refit(Est, X, y, params):
    """A fit, then a warm-started refit; the estimator, and the fitted state
    after each call."""
    est = Est(**{**SMALL, **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = fitted_state(est.fit(X, y))
        est.set_params(warm_start=True, max_iter=max(params.get("max_iter", 60) // 2, 1))
        second = fitted_state(est.fit(X, y))
    return est, first, second


def fitted_state(est):
    return dict(
        weights=[a.copy() for a in est.coefs_ + est.intercepts_],
        loss_curve=list(est.loss_curve_),
        n_iter=est.n_iter_,
        t=est.t_,
        loss=est.loss_,
        best_loss=est.best_loss_,
        random_state=est._random_state.get_state()[1].copy(),
        moments=est._optimizer_state["moments"].copy(),
        updates=est._optimizer_state["n_updates"],
        no_improvement=est._no_improvement_count,
    )


def assert_identical(a, b):
    assert a["n_iter"] == b["n_iter"]
    assert a["t"] == b["t"] and a["updates"] == b["updates"]
    assert a["no_improvement"] == b["no_improvement"]
    assert a["loss_curve"] == b["loss_curve"]
    assert a["loss"] == b["loss"] and a["best_loss"] == b["best_loss"]
    for x, y in zip(a["weights"], b["weights"]):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a["moments"], b["moments"])
    np.testing.assert_array_equal(a["random_state"], b["random_state"])


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_runs_train_the_models_of_one_epoch_per_call(Est, case, data, runs, monkeypatch):
    """Fresh and warm-started, bit for bit: weights, optimizer moments, loss
    curve, n_iter_, t_, best_loss_ and the random stream that goes on to the
    next fit."""
    X, y = data[Est]
    params = dict(CASES[case], max_iter=120 if case == "stops_early" else 60)
    _, *in_runs = fit_and_refit(Est, X, y, params)
    assert runs and max(runs) > 1  # several epochs went to one kernel call
    with monkeypatch.context() as patch:
        one_epoch_per_call(patch)
        runs.clear()
        _, *one_by_one = fit_and_refit(Est, X, y, params)
        assert not runs
    for a, b in zip(in_runs, one_by_one):
        assert_identical(a, b)
    if case == "stops_early":  # the rule fired inside a run, in both fits
        assert in_runs[0]["n_iter"] < params["max_iter"]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_a_run_is_split_by_its_budget_of_rows(Est, data, runs, monkeypatch):
    """Runs longer than their budget of rows are cut into several kernel
    calls, with the same model."""
    X, y = data[Est]
    monkeypatch.setattr(T, "MAX_RUN_ROWS", X.shape[0] * 7 + 5)
    _, in_runs, _ = fit_and_refit(Est, X, y, dict(max_iter=30))
    assert runs[:5] == [7, 7, 7, 7, 2]
    with monkeypatch.context() as patch:
        one_epoch_per_call(patch)
        _, one_by_one, _ = fit_and_refit(Est, X, y, dict(max_iter=30))
    assert_identical(in_runs, one_by_one)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_max_iter_warns_once_as_one_epoch_per_call(Est, data):
    X, y = data[Est]
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(70\)") as record:
        Est(**SMALL, max_iter=70, tol=0.0).fit(X, y)
    assert sum(issubclass(w.category, ConvergenceWarning) for w in record) == 1


# Settings under which each estimator diverges a few epochs in (the sixth to
# the tenth), in the middle of a run.
DIVERGING = {
    RegularizedMLPClassifier: dict(solver="sgd", learning_rate_init=1.0, momentum=0.99),
    RegularizedMLPRegressor: dict(solver="sgd", learning_rate_init=0.06, momentum=0.99),
}


@pytest.fixture(scope="module")
def diverging_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 5))
    y = X @ rng.standard_normal(5)
    return {RegularizedMLPClassifier: (X, (y > 0).astype(int)), RegularizedMLPRegressor: (X, y)}


@pytest.mark.parametrize("refit", [False, True])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_divergence_inside_a_run(Est, refit, diverging_data, runs, monkeypatch):
    """A fit that diverges in the middle of a run raises the one-epoch
    loop's TrainingDiverged, naming the same epoch, and leaves the estimator
    as it was."""
    X, y = diverging_data[Est]
    settings = dict(hidden_layer_sizes=(20,), batch_size=10, max_iter=100, random_state=0)

    def diverge():
        est = Est(**settings)
        if refit:
            est.fit(X, y)
        before = fitted_state(est) if refit else None
        est.set_params(**DIVERGING[Est])
        with pytest.raises(TrainingDiverged) as error:
            est.fit(X, y)
        if refit:
            assert_identical(fitted_state(est), before)
        else:
            assert not hasattr(est, "coefs_")
        return str(error.value)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        runs.clear()
        message = diverge()
        assert runs and runs[-1] > 1
        with monkeypatch.context() as patch:
            one_epoch_per_call(patch)
            assert diverge() == message
    epoch = int(message.split("after epoch ")[1].split(",")[0])
    assert 1 < epoch < T.MAX_RUN_EPOCHS


@pytest.mark.parametrize(
    "params",
    [
        dict(verbose=True),
        dict(early_stopping=True),
        dict(solver="sgd", learning_rate="invscaling"),
        dict(solver="sgd", learning_rate="adaptive"),
    ],
)
def test_one_epoch_per_call_where_python_sees_each_epoch(params, data, runs, capsys):
    X, y = data[RegularizedMLPClassifier]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        RegularizedMLPClassifier(**SMALL, max_iter=5, **params).fit(X, y)
        RegularizedMLPClassifier(**SMALL, max_iter=5).partial_fit(X, y, classes=[0, 1])
    assert not runs


def test_the_naive_engine_runs_the_same_epochs(data, monkeypatch):
    """``train_epochs`` is part of the engine's seam: the naive engine's
    trains the network the kernels train."""
    X, y = data[RegularizedMLPClassifier]
    params = dict(SMALL, max_iter=12, tol=1e-2, n_iter_no_change=2)
    real = RegularizedMLPClassifier(**params).fit(X, y)
    with monkeypatch.context() as patch:
        naive_engine.install(patch)
        kernels_refuse(patch)
        naive = RegularizedMLPClassifier(**params).fit(X, y)
        assert naive_engine.CALLS["train_epoch"] == naive.n_iter_ == real.n_iter_ < 12
    for a, b in zip(real.coefs_ + real.intercepts_, naive.coefs_ + naive.intercepts_):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-10)
    np.testing.assert_allclose(naive.loss_curve_, real.loss_curve_, rtol=1e-10)


# --------------------------------------------------------------------------
# The kernel against the NumPy reference
# --------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["ran out", "converged", "unsettled", "diverged"])
@pytest.mark.parametrize("reg_name", ["none", "l2", "l1", "group", "all"])
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_train_epochs_matches_numpy(opt_name, reg_name, ending):
    p = Problem(70, (3, (6, 4), 2), "identity", 9, np.float64)
    opt, reg = split_case(opt_name, reg_name)
    rng = np.random.default_rng(71)
    orders = np.array([rng.permutation(p.n) for _ in range(5)], dtype=np.int64)
    state, exp_state = initial_state(rng, p, opt_name, fresh=False)
    config = (4, "tanh", p.loss, opt, reg)
    stopping = {
        "ran out": (0.0, 100.0, np.inf, 0, 0),
        "converged": (1e9, 1.0, np.inf, 0, 0),  # no epoch improves: stop at the third
        "unsettled": (1e9, 1.0, np.inf, 0, 3),  # three epochs go uncounted first
        "diverged": (0.0, 100.0, np.inf, 0, 0),
    }[ending]
    limit = np.inf
    if ending == "diverged":  # a limit the third epoch's objective crosses
        curve = N.naive_train_epochs(
            p.X, p.Y, p.sw, orders, p.pair, exp_state, 5, config, stopping, np.inf
        )[3]
        limit = 0.5 * (max(curve[:2]) + curve[2]) if curve[2] > max(curve[:2]) else -1.0
    expected = N.naive_train_epochs(
        p.X, p.Y, p.sw, orders, p.pair, exp_state, 5, config, stopping, limit
    )
    exp_params, exp_state, exp_t, exp_curve, exp_reason, *exp_rule = expected
    assert exp_reason == ending.replace("unsettled", "ran out")

    reg_rec, settings, epoch = kernel_config(p.units, opt, reg, "tanh", p.loss, 4)
    params, moments = p.params.copy(), state.copy()
    run = C.epoch_run(epoch.learning_rate, 5, float(np.sum(p.sw)), limit, stopping, 5)
    seeds = np.zeros(5, dtype=np.int64)
    extra = C.extra_terms(reg_rec)
    n_run, t, reason, *rule = K.train_epochs(
        p.inputs("dense"), p.Y, p.sw, orders, seeds, params, moments, p.units, reg_rec, extra,
        settings, run,
    )  # fmt: skip
    assert E.STOP_REASONS[reason] == exp_reason
    assert n_run == len(exp_curve) and t == exp_t
    np.testing.assert_allclose(run.curve[:n_run], exp_curve, rtol=1e-10)
    assert rule[1:] == exp_rule[1:]
    np.testing.assert_allclose(rule[0], exp_rule[0], rtol=1e-10)
    np.testing.assert_allclose(params, N.pack(*exp_params, dtype=np.float64), rtol=1e-9, atol=1e-12)
    check_state(moments, exp_state, p, np.float64)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_an_interrupt_between_runs_keeps_the_model_of_the_runs_done(Est, data, monkeypatch):
    X, y = data[Est]
    monkeypatch.setattr(T, "MAX_RUN_ROWS", X.shape[0] * 4)
    run_many, calls = T._Epochs.run_many, []

    def interrupted_third(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return run_many(self, *args)

    monkeypatch.setattr(T._Epochs, "run_many", interrupted_third)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est = Est(**SMALL, max_iter=40).fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) == 8
    with monkeypatch.context() as patch:
        one_epoch_per_call(patch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            same = Est(**SMALL, max_iter=8).fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, same.coefs_ + same.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("params", [dict(penalty="l1", alpha=1e-2), dict(group_alpha=1e-2)])
def test_the_active_set_only_on_data_where_it_pays(Est, params, data, runs, monkeypatch):
    """On small data its check of the removed rows reads every row before
    each epoch and costs more than it saves: an L1 or group fit trains in
    runs there, and on the active set, one epoch at a time, on larger data."""
    X, y = data[Est]
    built = []
    monkeypatch.setattr(T, "ActiveSet", lambda *args: built.append(1) or A.ActiveSet(*args))
    Est(**SMALL, **params, max_iter=20).fit(X, y)
    assert runs and not built
    monkeypatch.setattr(T, "ACTIVE_SET_MIN_ROWS", X.shape[0])
    runs.clear()
    Est(**SMALL, **params, max_iter=20).fit(X, y)
    assert built and not runs


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_a_path_trains_its_steps_in_runs_to_the_same_networks(Est, penalty, data, runs):
    """A path's warm steps (no listener) train in runs, to the networks of
    one epoch per call."""
    X, y = data[Est]
    estimator = Est(**SMALL, penalty=penalty, max_iter=30, tol=1e-2, n_iter_no_change=2)

    def path():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return regularization_path(
                X, y, estimator=estimator, alphas=[1e-4, 1e-3, 1e-2], path_max_iter=40
            )

    in_runs = path()
    assert len(runs) >= 3  # the first fit, and each warm step
    with pytest.MonkeyPatch.context() as patch:
        one_epoch_per_call(patch)
        one_by_one = path()
    np.testing.assert_array_equal(in_runs.n_iter, one_by_one.n_iter)
    assert np.any(in_runs.n_iter[1:] < 40)  # a step stopped inside its run
    np.testing.assert_array_equal(in_runs.objective, one_by_one.objective)
    for k in range(3):
        for a, b in zip(
            in_runs.coefs[k] + in_runs.intercepts[k], one_by_one.coefs[k] + one_by_one.intercepts[k]
        ):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("case", ["adam", "dropout", "l1_sgd"])
def test_float32_runs_train_the_models_of_one_epoch_per_call(Est, case, data, runs, monkeypatch):
    X, y = data[Est]
    X = X.astype(np.float32)
    params = dict(CASES[case], max_iter=40)
    _, *in_runs = fit_and_refit(Est, X, y, params)
    assert runs
    with monkeypatch.context() as patch:
        one_epoch_per_call(patch)
        _, *one_by_one = fit_and_refit(Est, X, y, params)
    for a, b in zip(in_runs, one_by_one):
        assert a["weights"][0].dtype == np.float32
        assert_identical(a, b)
