"""Following a fit and deciding when it stops: scikit-learn's callbacks,
validation data given to fit, the early-stopping score, interrupts."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, make_scorer
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skreg._callbacks as callbacks
import skreg._training
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    regularization_path,
)

import naive as N

ROOT = Path(__file__).resolve().parents[1]

needs_callbacks = pytest.mark.skipif(
    not callbacks.AVAILABLE, reason="scikit-learn's callback API needs scikit-learn >= 1.9"
)


@pytest.fixture(scope="module")
def noisy():
    """A small problem with label noise that a wide network overfits:
    its validation score rises, peaks and falls."""
    X, y = make_classification(
        n_samples=400, n_features=20, n_informative=4, flip_y=0.25, random_state=3
    )
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.5, random_state=0)


def wide(**params):
    return RegularizedMLPClassifier(
        **{
            "hidden_layer_sizes": (256,),
            "learning_rate_init": 0.01,
            "penalty": None,
            "random_state": 0,
            "max_iter": 60,
            **params,
        }
    )


class Recorder:
    """A callback that records every task it hears of, and keeps the
    network of each epoch it sees end."""

    max_propagation_depth = None  # auto-propagated: hears sub-estimators too

    def __init__(self):
        self.begun, self.ended, self.models = [], [], []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        self.begun.append(context.task_name)

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.ended.append(context.task_name)
        if context.task_name == "epoch" and fitted_estimator is not None:
            self.models.append([W.copy() for W in fitted_estimator.coefs_])

    def count(self, name):
        assert self.begun.count(name) == self.ended.count(name)
        return self.begun.count(name)


class ActsAtEpoch(Recorder):
    """A Recorder that, when epoch ``n`` ends, returns what ``action()``
    returns (True asks to stop) or lets it raise."""

    def __init__(self, n, action):
        super().__init__()
        self.n, self.action = n, action

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        super().on_fit_task_end(estimator, context, fitted_estimator=fitted_estimator)
        if context.task_name == "epoch" and self.ended.count("epoch") == self.n:
            return self.action()
        return False


# --------------------------------------------------------------------------
# Callbacks
# --------------------------------------------------------------------------


@needs_callbacks
def test_a_fit_is_a_task_and_each_epoch_a_subtask(noisy):
    X, _, y, _ = noisy
    recorder = Recorder()
    est = wide(max_iter=7, n_iter_no_change=100).set_callbacks(recorder).fit(X, y)
    assert recorder.count("fit") == 1
    assert recorder.count("epoch") == est.n_iter_ == 7
    # each epoch's network, as the callback saw it, is the network then: the last is the final
    for a, b in zip(recorder.models[-1], est.coefs_):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(recorder.models[0][0], recorder.models[-1][0])


@needs_callbacks
def test_lbfgs_iterations_and_partial_fit_are_reported(noisy):
    X, _, y, _ = noisy
    recorder = Recorder()
    est = (
        RegularizedMLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5, random_state=0)
        .set_callbacks(recorder)
        .fit(X, y * 1.0)
    )
    assert recorder.count("epoch") >= est.n_iter_
    recorder = Recorder()
    est = wide().set_callbacks(recorder)
    est.partial_fit(X, y, classes=[0, 1]).partial_fit(X, y)
    assert recorder.count("fit") == 2 and recorder.count("epoch") == 2


@needs_callbacks
def test_a_callback_can_stop_training(noisy):
    X, _, y, _ = noisy

    stop_at_three = ActsAtEpoch(3, lambda: True)
    est = wide(n_iter_no_change=100).set_callbacks(stop_at_three).fit(X, y)
    assert est.n_iter_ == 3


@needs_callbacks
def test_cv_estimator_reports_paths_rates_and_epochs(noisy):
    X, _, y, _ = noisy
    recorder = Recorder()
    est = (
        RegularizedMLPClassifierCV(
            hidden_layer_sizes=(8,),
            penalty="l1",
            alphas=4,
            cv=3,
            max_iter=10,
            path_max_iter=3,
            batch_size=4,  # 33 or more updates an epoch: path_max_iter binds
            n_iter_no_change=100,
            random_state=0,
            n_jobs=2,
        )
        .set_callbacks(recorder)
        .fit(X, y)
    )
    assert recorder.count("fit") == 1 + 4  # the CV fit, and each path's first step
    assert recorder.count("path") == 3 + 1  # a path per fold, and the one on all the data
    assert recorder.count("rate") == 4 * 3  # the later steps (the first is its fit)
    epochs_per_path = 10 + 3 * 3
    assert recorder.count("epoch") == 4 * epochs_per_path
    assert est.n_iter_ <= epochs_per_path


@needs_callbacks
def test_a_path_reports_its_rates(noisy):
    X, _, y, _ = noisy
    recorder = Recorder()
    # batches of 4: 50 updates an epoch, and path_max_iter binds
    est = wide(
        hidden_layer_sizes=(8,), max_iter=5, n_iter_no_change=100, batch_size=4, penalty="l2"
    )
    est.set_callbacks(recorder)
    regularization_path(X, y, estimator=est, alphas=[1e-4, 1e-3, 1e-2], path_max_iter=2)
    assert recorder.count("path") == 1 and recorder.count("rate") == 2
    assert recorder.count("fit") == 1  # the first step
    assert recorder.count("epoch") == 5 + 2 + 2


@needs_callbacks
def test_grid_search_propagates_to_skreg(noisy):
    X, _, y, _ = noisy
    recorder = Recorder()
    search = GridSearchCV(
        wide(hidden_layer_sizes=(8,), max_iter=4, n_iter_no_change=100),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
    ).set_callbacks(recorder)
    search.fit(X, y)
    assert recorder.count("epoch") == (2 * 2 + 1) * 4  # every fit, the refit too


def logged(monitor, task_name):
    """The rows a ScoringMonitor logged for tasks of that name, over every run."""
    return [
        row
        for log in monitor.get_logs(select="all")
        for row in log.data
        if row["task_name"] == task_name
    ]


@needs_callbacks
def test_scoring_monitor_on_a_cv_estimator_scores_its_own_tasks(noisy):
    """A callback that is not auto-propagated hears the CV estimator's own
    tasks: every rate of every path, the warm steps' epochs (a path's first
    step is a fit of the base estimator, heard by auto-propagated callbacks
    only), and the whole fit."""
    from sklearn.callback import ScoringMonitor

    X, _, y, _ = noisy
    monitor = ScoringMonitor(scoring="accuracy")
    est = RegularizedMLPClassifierCV(
        hidden_layer_sizes=(8,),
        penalty="l1",
        alphas=3,
        cv=2,
        max_iter=4,
        path_max_iter=2,
        batch_size=1,  # 100 updates an epoch: path_max_iter binds
        n_iter_no_change=100,
        random_state=0,
    )
    est.set_callbacks(monitor).fit(X, y)
    epochs, rates = logged(monitor, "epoch"), logged(monitor, "rate")
    n_paths = 2 + 1  # a path per fold and the final one
    assert len(epochs) == n_paths * 2 * 2  # two warm steps of two epochs
    assert len(rates) == n_paths * 3
    assert all(0 <= r["accuracy"] <= 1 for r in epochs + rates)
    (whole,) = logged(monitor, "fit")
    assert whole["accuracy"] == pytest.approx(est.score(X, y))


@needs_callbacks
def test_scoring_monitor_on_a_path_scores_each_rate(noisy):
    from sklearn.callback import ScoringMonitor

    X, _, y, _ = noisy
    monitor = ScoringMonitor(scoring="accuracy")
    # an alpha path needs a penalty for its rates to act on
    est = wide(
        hidden_layer_sizes=(8,), max_iter=3, n_iter_no_change=100, batch_size=2, penalty="l2"
    )
    path = regularization_path(
        X, y, estimator=est.set_callbacks(monitor), alphas=[1e-4, 1e-3, 1e-2], path_max_iter=2
    )
    rates = [r["accuracy"] for r in logged(monitor, "rate")]
    assert len(rates) == 3 and len(logged(monitor, "epoch")) == 2 * 2
    # a fitted classifier of the same shape, given the path's weights at each rate
    network = wide(hidden_layer_sizes=(8,), max_iter=1).fit(X, y)
    for score, coefs, intercepts in zip(rates, path.coefs, path.intercepts):
        network.coefs_, network.intercepts_ = coefs, intercepts
        assert score == pytest.approx(network.score(X, y))


@needs_callbacks
def test_callbacks_on_the_estimator_inside_a_grid_search(noisy):
    pytest.importorskip("rich", reason="ProgressBar needs rich")
    from sklearn.callback import ProgressBar, ScoringMonitor

    X, _, y, _ = noisy
    monitor = ScoringMonitor(scoring="accuracy")
    inner = wide(hidden_layer_sizes=(8,), max_iter=3, n_iter_no_change=100)
    search = GridSearchCV(inner.set_callbacks(monitor), {"alpha": [1e-4, 1e-2]}, cv=2)
    search.set_callbacks(ProgressBar()).fit(X, y)
    assert len(logged(monitor, "epoch")) == (2 * 2 + 1) * 3  # every fit, the refit too


@needs_callbacks
def test_progress_bar_on_a_path(noisy):
    pytest.importorskip("rich", reason="ProgressBar needs rich")
    from sklearn.callback import ProgressBar

    X, _, y, _ = noisy
    est = wide(hidden_layer_sizes=(8,), max_iter=3, penalty="l2").set_callbacks(ProgressBar())
    path = regularization_path(X, y, estimator=est, alphas=[1e-4, 1e-2], path_max_iter=2)
    assert len(path.alphas) == 2


@needs_callbacks
def test_progress_bar_and_scoring_monitor_run(noisy):
    pytest.importorskip("rich", reason="ProgressBar needs rich")
    from sklearn.callback import ProgressBar, ScoringMonitor

    X, _, y, _ = noisy
    monitor = ScoringMonitor(scoring="accuracy")
    est = wide(max_iter=5, n_iter_no_change=100).set_callbacks(ProgressBar(), monitor)
    est.fit(X, y)
    epochs = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(epochs) == 5
    assert all(0 <= row["accuracy"] <= 1 for row in epochs)
    assert epochs[-1]["accuracy"] == pytest.approx(est.score(X, y))
    cv = RegularizedMLPClassifierCV(
        hidden_layer_sizes=(8,), alphas=3, cv=2, max_iter=3, path_max_iter=2, random_state=0
    ).set_callbacks(ProgressBar())
    cv.fit(X, y)


@needs_callbacks
def test_progress_bar_of_a_cv_estimator_fits_80_columns(noisy, monkeypatch, capsys):
    """What docs/watching.rst advises for a log or an 80-column terminal: with
    max_propagation_depth=0 the bars keep to the CV estimator's own tasks,
    whose names leave room for every bar."""
    rich = pytest.importorskip("rich", reason="ProgressBar needs rich")
    from sklearn.callback import ProgressBar

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(rich, "_console", None)  # a console made now, on captured stdout
    X, _, y, _ = noisy
    RegularizedMLPClassifierCV(
        hidden_layer_sizes=(8,), alphas=3, cv=2, max_iter=3, path_max_iter=2, random_state=0
    ).set_callbacks(ProgressBar(max_propagation_depth=0)).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 3 * (1 + 2)  # the fit, each path, its warm steps
    for line in lines:
        label = line.split("━")[0].rstrip()
        assert len(label) <= 40 and line.count("━") >= 20, line


@needs_callbacks
@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_progress_bar_of_a_path_fits_80_columns(noisy, monkeypatch, capsys, Est):
    """As for a CV estimator: with max_propagation_depth=0 a path shows a bar
    for itself and one for each warm step, in 80 columns, run after run."""
    rich = pytest.importorskip("rich", reason="ProgressBar needs rich")
    from sklearn.callback import ProgressBar

    monkeypatch.setenv("COLUMNS", "80")
    X, _, y, _ = noisy
    y = y if Est is RegularizedMLPClassifier else y * 1.0
    est = Est(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    est.set_callbacks(ProgressBar(max_propagation_depth=0))
    for _ in range(2):  # a fresh estimator, then the same one again
        monkeypatch.setattr(rich, "_console", None)  # a console made now, on captured stdout
        regularization_path(X, y, estimator=est, alphas=[1e-4, 1e-3, 1e-2], path_max_iter=2)
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1 + 2  # the path and its warm steps
        for line in lines:
            label = line.split("━")[0].rstrip()
            assert len(line) <= 80 and len(label) <= 40 and line.count("━") >= 20, line


def test_without_callback_support_nothing_changes(noisy, monkeypatch):
    """With an older scikit-learn the bridge does nothing: contexts are None."""
    monkeypatch.setattr(callbacks, "AVAILABLE", False)
    assert callbacks.fit_context(wide(), 5) is None
    assert callbacks.epoch_listeners(wide(), None, None, None, None) == ()
    X, _, y, _ = noisy
    assert wide(max_iter=3).fit(X, y).n_iter_ == 3


def test_callback_api_by_version(monkeypatch):
    assert callbacks.version_tuple("1.10.dev0") == (1, 10)
    assert callbacks.version_tuple("1.8.2") == (1, 8)
    assert callbacks.callback_api("1.8.2") is None
    monkeypatch.setitem(sys.modules, "sklearn.callback", None)  # a scikit-learn without it
    assert callbacks.callback_api("1.9.0") is None


def test_callbacks_are_on_where_scikit_learn_has_them():
    """Not a skip: a scikit-learn >= 1.9 whose callback internals skreg can no
    longer find fails here."""
    has_api = callbacks.version_tuple(sklearn.__version__) >= callbacks.FIRST_VERSION
    assert callbacks.AVAILABLE == has_api


def test_with_an_older_scikit_learn_the_estimators_have_no_callbacks():
    """skreg imported under a scikit-learn that says it is 1.8: no
    set_callbacks, and fits and paths work as before."""
    code = textwrap.dedent(
        """
        import sklearn
        sklearn.__version__ = "1.8.0"
        import numpy as np
        from skreg import RegularizedMLPClassifier, regularization_path
        from skreg import _callbacks
        assert not _callbacks.AVAILABLE
        X = np.random.RandomState(0).normal(size=(40, 3))
        y = (X[:, 0] > 0).astype(int)
        est = RegularizedMLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
        assert not hasattr(est, "set_callbacks")
        assert est.fit(X, y).n_iter_ == 3
        path = regularization_path(X, y, estimator=est, alphas=[1e-3, 1e-2], path_max_iter=2)
        print(len(path.alphas))
        """
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"


# --------------------------------------------------------------------------
# Validation data given to fit
# --------------------------------------------------------------------------


def epoch_networks(monkeypatch):
    """Record every epoch's weights (through the trainer, without callbacks)."""
    networks = []
    run = skreg._training._Epochs.run

    def recording(self):
        objective = run(self)
        networks.append(self.params.copy())
        return objective

    monkeypatch.setattr(skreg._training._Epochs, "run", recording)
    return networks


def test_early_stopping_on_given_validation_data_restores_the_best_epoch(noisy, monkeypatch):
    X, X_val, y, y_val = noisy
    networks = epoch_networks(monkeypatch)
    est = wide(early_stopping=True, n_iter_no_change=8).fit(X, y, X_val=X_val, y_val=y_val)
    scores = est.validation_scores_
    best = int(np.argmax(scores))
    assert 0 < best < len(scores) - 1  # the score rose, then fell: restoring matters
    assert est.n_iter_ == len(scores) < 60
    np.testing.assert_array_equal(est.coefs_[0].ravel(), networks[best][: est.coefs_[0].size])
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_)
    # validation_fraction played no part: all of X was trained on
    assert est.t_ == est.n_iter_ * len(X)
    # the validation objective of the kept network is the curve's entry at best
    J = N.naive_objective(
        X_val, y_val[:, None], np.ones(len(y_val)), est.coefs_, est.intercepts_, "relu", "logistic"
    )
    assert est.validation_loss_curve_[best] == pytest.approx(J, rel=1e-8)


def test_validation_data_without_early_stopping_is_recorded(noisy):
    X, X_val, y, y_val = noisy
    est = wide(max_iter=6, n_iter_no_change=100).fit(X, y, X_val=X_val, y_val=y_val)
    assert len(est.validation_scores_) == len(est.validation_loss_curve_) == 6
    assert est.best_loss_ == min(est.loss_curve_)  # training loss still stops the fit
    assert est.validation_scores_[-1] == pytest.approx(est.score(X_val, y_val))


def test_validation_data_through_a_pipeline_with_routing(noisy):
    X, X_val, y, y_val = noisy
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline(
            [
                ("scale", StandardScaler()),
                (
                    "mlp",
                    wide(early_stopping=True, n_iter_no_change=8).set_fit_request(
                        X_val=True, y_val=True
                    ),
                ),
            ],
            transform_input=["X_val"],
        )
        pipe.fit(3 * X + 1, y, X_val=3 * X_val + 1, y_val=y_val)
    mlp = pipe[-1]
    assert mlp.best_validation_score_ == pytest.approx(pipe.score(3 * X_val + 1, y_val))


def test_sample_weight_val_weights_the_validation_score_and_loss(noisy):
    X, X_val, y, y_val = noisy
    keep = np.arange(len(y_val)) % 3 > 0
    weighted = wide(max_iter=4).fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=keep * 1.0)
    subset = wide(max_iter=4).fit(X, y, X_val=X_val[keep], y_val=y_val[keep])
    np.testing.assert_allclose(weighted.validation_scores_, subset.validation_scores_)
    np.testing.assert_allclose(weighted.validation_loss_curve_, subset.validation_loss_curve_)
    unweighted = wide(max_iter=4).fit(X, y, X_val=X_val, y_val=y_val)
    assert unweighted.validation_loss_curve_ != pytest.approx(subset.validation_loss_curve_)


def test_sample_weight_val_through_a_pipeline_with_routing(noisy):
    X, X_val, y, y_val = noisy
    keep = (np.arange(len(y_val)) % 3 > 0) * 1.0
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = wide(max_iter=4).set_fit_request(X_val=True, y_val=True, sample_weight_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)], transform_input=["X_val"])
        pipe.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=keep)
        subset = Pipeline(
            [
                ("scale", StandardScaler()),
                ("mlp", wide(max_iter=4).set_fit_request(X_val=True, y_val=True)),
            ],
            transform_input=["X_val"],
        ).fit(X, y, X_val=X_val[keep > 0], y_val=y_val[keep > 0])
    np.testing.assert_allclose(pipe[-1].validation_scores_, subset[-1].validation_scores_)


@pytest.mark.parametrize(
    "fit_kwargs, message",
    [
        (dict(X_val=np.zeros((5, 20))), "X_val and y_val"),
        (dict(y_val=np.zeros(5)), "X_val and y_val"),
        (dict(X_val=np.zeros((5, 3)), y_val=np.zeros(5)), "features"),
        (dict(X_val=np.zeros((5, 20)), y_val=np.full(5, 7)), "y_val has classes"),
        (dict(X_val=np.zeros((5, 20)), y_val=np.zeros(4)), "y_val"),
        (dict(sample_weight_val=np.ones(5)), "sample_weight_val"),
    ],
)
def test_bad_validation_data(noisy, fit_kwargs, message):
    X, _, y, _ = noisy
    with pytest.raises(ValueError, match=message):
        wide(max_iter=2).fit(X, y, **fit_kwargs)


# --------------------------------------------------------------------------
# The early-stopping score
# --------------------------------------------------------------------------


def test_scoring_decides_which_epoch_is_kept(noisy, monkeypatch):
    X, X_val, y, y_val = noisy
    networks = epoch_networks(monkeypatch)
    kept = {}
    neg_log_loss = make_scorer(log_loss, greater_is_better=False, response_method="predict_proba")
    for name, scoring in (("accuracy", None), ("loss", "loss"), ("log loss", neg_log_loss)):
        networks.clear()
        est = wide(early_stopping=True, n_iter_no_change=15, scoring=scoring)
        est.fit(X, y, X_val=X_val, y_val=y_val)
        best = int(np.argmax(est.validation_scores_))
        np.testing.assert_array_equal(est.coefs_[0].ravel(), networks[best][: est.coefs_[0].size])
        kept[name] = best
        if scoring == "loss":
            np.testing.assert_allclose(
                est.validation_scores_, -np.array(est.validation_loss_curve_)
            )
        if scoring is neg_log_loss:
            assert est.best_validation_score_ == pytest.approx(
                -log_loss(y_val, est.predict_proba(X_val))
            )
    assert len(set(kept.values())) > 1, kept  # the metric changed the epoch kept


def test_lbfgs_stopped_by_max_iter_warns_and_says_so(noisy):
    X, _, y, _ = noisy
    est = wide(solver="lbfgs", max_iter=3)
    with pytest.warns(ConvergenceWarning, match=r"lbfgs failed to converge after 3 iter") as got:
        est.fit(X, y)
    assert "Increase max_iter (max_iter=3)" in str(got[0].message)
    assert est.n_iter_ == 3


# --------------------------------------------------------------------------
# Interrupts
# --------------------------------------------------------------------------


def test_an_interrupt_stops_after_the_epoch_and_keeps_the_model(noisy, monkeypatch):
    X, X_val, y, y_val = noisy
    run = skreg._training._Epochs.run
    calls = []

    def interrupted_third(self):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return run(self)

    monkeypatch.setattr(skreg._training._Epochs, "run", interrupted_third)
    monkeypatch.setattr(skreg._training, "_in_runs", lambda *args: False)  # through run
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est = wide(n_iter_no_change=100).fit(X, y)
    assert est.n_iter_ == 2 and len(est.loss_curve_) == 2
    assert np.all(np.isfinite(est.coefs_[0]))
    assert est.predict(X_val).shape == y_val.shape


def test_an_interrupt_with_early_stopping_keeps_the_best_epoch(noisy, monkeypatch):
    X, X_val, y, y_val = noisy
    run = skreg._training._Epochs.run
    calls = []

    def interrupted_tenth(self):
        calls.append(1)
        if len(calls) == 10:
            raise KeyboardInterrupt
        return run(self)

    monkeypatch.setattr(skreg._training._Epochs, "run", interrupted_tenth)
    with pytest.warns(UserWarning, match="interrupted"):
        est = wide(early_stopping=True, n_iter_no_change=100).fit(X, y, X_val=X_val, y_val=y_val)
    assert est.n_iter_ == 9
    assert est.score(X_val, y_val) == pytest.approx(max(est.validation_scores_))


@needs_callbacks
def test_an_interrupt_raised_in_a_callback_keeps_the_model(noisy):
    X, X_val, y, y_val = noisy

    def interrupt():
        raise KeyboardInterrupt

    interrupt_at_three = ActsAtEpoch(3, interrupt)
    est = wide(n_iter_no_change=100).set_callbacks(interrupt_at_three)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, y)
    # the third epoch had finished when the callback raised: its network is kept
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3
    for a, b in zip(interrupt_at_three.models[-1], est.coefs_):
        np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(est.coefs_[0]))
    assert est.predict(X_val).shape == y_val.shape
