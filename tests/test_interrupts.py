"""Ctrl-C during a path or a CV fit ends the whole call with a KeyboardInterrupt,
folds in worker threads included; Numba's wrapped interrupts surface as themselves."""

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.datasets import make_classification

import skreg._callbacks as callbacks
import skreg._kernels
import skreg._training
from skreg import RegularizedMLPClassifier, RegularizedMLPClassifierCV, regularization_path
from skreg._interrupts import kernel_calls, keyboard_interrupt_behind

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=200, n_features=8, random_state=0)


def slow_cv(**params):
    """A CV fit of 4 folds x 8 rates whose every step would run 200 epochs."""
    return RegularizedMLPClassifierCV(
        **{
            "hidden_layer_sizes": (8,),
            "alphas": 8,
            "cv": 4,
            "n_jobs": 2,
            "max_iter": 200,
            "path_max_iter": 200,
            "tol": 0.0,
            "n_iter_no_change": 1000,
            "random_state": 0,
            **params,
        }
    )


def one_epoch_per_call(*args):
    """For ``skreg._training._in_runs``: every epoch goes through
    ``_Epochs.run``, where these tests raise their interrupts."""
    return False


@pytest.fixture
def epochs_interrupted_at(monkeypatch):
    """``epochs_interrupted_at(n)``: the n-th epoch started (over every thread)
    raises KeyboardInterrupt; returns the list of epochs started, which keeps
    growing if some thread goes on training."""
    run = skreg._training._Epochs.run
    started, lock = [], threading.Lock()

    def arm(n):
        def interrupted_nth(self):
            with lock:
                started.append(threading.get_ident())
                count = len(started)
            if count == n:
                raise KeyboardInterrupt
            return run(self)

        monkeypatch.setattr(skreg._training._Epochs, "run", interrupted_nth)
        monkeypatch.setattr(skreg._training, "_in_runs", one_epoch_per_call)
        return started

    return arm


@pytest.fixture
def wait_for_workers():
    """``wait_for_workers()`` joins the threads started since the test began:
    joblib may leave a worker training after the call has raised."""
    before = set(threading.enumerate())

    def wait():
        for thread in set(threading.enumerate()) - before:
            thread.join(timeout=120)
            assert not thread.is_alive(), f"{thread} still runs"

    return wait


def test_an_interrupt_ends_a_threaded_cv_fit_and_leaves_it_unchanged(
    data, epochs_interrupted_at, wait_for_workers
):
    X, y = data
    started = epochs_interrupted_at(5)
    est = slow_cv()
    with parallel_backend("threading", n_jobs=2), pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    at_raise = len(started)
    wait_for_workers()
    # The other worker finishes at most the epoch it was in (it may have passed
    # its check just before the flag was set), and the call ran a sliver of its
    # 5 paths x 8 rates x 200 epochs.
    assert len(started) - at_raise <= 1
    assert len(started) < 5 * 8 * 200 / 10
    assert not hasattr(est, "coefs_") and not hasattr(est, "alpha_")


def test_an_interrupt_leaves_a_fitted_cv_estimator_as_it_was(
    data, epochs_interrupted_at, wait_for_workers
):
    X, y = data
    est = slow_cv(alphas=2, cv=2, max_iter=5, path_max_iter=5).fit(X, y)
    alpha, coefs = est.alpha_, [W.copy() for W in est.coefs_]
    epochs_interrupted_at(3)
    with parallel_backend("threading", n_jobs=2), pytest.raises(KeyboardInterrupt):
        est.fit(X[::-1], y[::-1])
    wait_for_workers()
    assert est.alpha_ == alpha
    for a, b in zip(est.coefs_, coefs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not callbacks.AVAILABLE, reason="needs scikit-learn's callback API")
def test_an_interrupt_raised_by_a_callback_ends_a_threaded_cv_fit(data, wait_for_workers):
    X, y = data
    ends, lock = [], threading.Lock()

    class InterruptAtEpoch:
        max_propagation_depth = None

        def setup(self, estimator, context):
            pass

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
            pass

        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            with lock:
                ends.append(context.task_name)
                if ends.count("epoch") == 5 and context.task_name == "epoch":
                    raise KeyboardInterrupt
            return False

    est = slow_cv().set_callbacks(InterruptAtEpoch())
    with parallel_backend("threading", n_jobs=2), pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    at_raise = ends.count("epoch")
    wait_for_workers()
    assert ends.count("epoch") - at_raise <= 1
    assert ends.count("epoch") < 5 * 8 * 200 / 10
    assert not hasattr(est, "coefs_")


def test_an_interrupt_ends_a_path(data, epochs_interrupted_at):
    X, y = data
    started = epochs_interrupted_at(3)
    estimator = RegularizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        regularization_path(X, y, estimator=estimator, n_alphas=5)
    assert len(started) == 3


def test_an_interrupt_ends_an_lbfgs_path(data, monkeypatch):
    X, y = data
    evaluate, calls = skreg._kernels.objective_and_gradient, []

    def interrupted_fifth(*args):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return evaluate(*args)

    monkeypatch.setattr(skreg._kernels, "objective_and_gradient", interrupted_fifth)
    estimator = RegularizedMLPClassifier(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20, random_state=0
    )
    with pytest.raises(KeyboardInterrupt):
        regularization_path(X, y, estimator=estimator, alphas=[1e-3, 1e-2, 1e-1])
    assert len(calls) == 5


def test_a_plain_fit_still_keeps_its_model(data, epochs_interrupted_at):
    X, y = data
    epochs_interrupted_at(3)
    est = RegularizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    with pytest.warns(UserWarning, match="interrupted"):
        est.fit(X, y)
    assert est.n_iter_ == 2


# A process started in the background by a shell without job control inherits
# SIGINT ignored, and Python then installs no handler for it: the scripts put
# Python's own handler back first, so that they test skreg, not how the tests
# were started.
RESTORE_SIGINT = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"


def run_script(source, timeout=300):
    """Run ``source`` in a fresh interpreter from the repository root, with
    Python's SIGINT handler in place."""
    return subprocess.run(
        [sys.executable, "-c", RESTORE_SIGINT + textwrap.dedent(source)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_sigint_ends_a_threaded_cv_fit_promptly():
    # The signal is sent once the paths train (after the kernels compiled);
    # the whole fit would take minutes, the script must end within seconds of it.
    result = run_script(
        """
        import os, signal, threading, time
        from joblib import parallel_backend
        from sklearn.datasets import make_classification
        import skreg._training
        from skreg import RegularizedMLPClassifierCV

        run, sent, epochs = skreg._training._Epochs.run, [], []

        def first_epoch_sends_sigint(self):
            epochs.append(1)
            if not sent:
                sent.append(time.perf_counter())
                threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
            return run(self)

        skreg._training._Epochs.run = first_epoch_sends_sigint
        skreg._training._in_runs = lambda *args: False  # every epoch through run
        X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
        est = RegularizedMLPClassifierCV(
            hidden_layer_sizes=(64,), alphas=20, cv=5, max_iter=500, path_max_iter=500,
            tol=0.0, n_iter_no_change=1000, n_jobs=2, random_state=0,
        )
        try:
            with parallel_backend("threading", n_jobs=2):
                est.fit(X, y)
        except KeyboardInterrupt:
            print("KeyboardInterrupt after", round(time.perf_counter() - sent[0], 1), "s")
        # The workers quit too: they start no new epoch, and their threads end.
        seen = len(epochs)
        for thread in threading.enumerate():
            if thread is not threading.current_thread():
                thread.join(timeout=60)
        print("epochs started later:", len(epochs) - seen)
        print("threads left:", threading.active_count() - 1)
        """
    )
    assert "KeyboardInterrupt after" in result.stdout, result.stderr[-3000:]
    seconds = float(result.stdout.split("after")[1].split()[0])
    assert seconds < 60, result.stdout
    # a worker may have passed its check just before the flag was set
    assert int(result.stdout.split("started later:")[1].split()[0]) <= 2, result.stdout
    assert "threads left: 0" in result.stdout, result.stdout


def test_an_interrupt_numba_wraps_in_a_system_error_surfaces_as_itself():
    # Numba 0.6x: SIGINT while a nogil kernel boxes a tuple of arrays gives
    # "SystemError: CPUDispatcher(...) returned a result with an exception set".
    result = run_script(
        """
        import os, signal, threading
        import numpy as np
        import skreg._kernels as K
        from skreg._interrupts import kernel_calls

        units = np.array([4, 3, 2], dtype=np.int64)
        K.layer_offsets(units)
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            with kernel_calls():
                while True:
                    K.layer_offsets(units)
        except BaseException as error:
            print("surfaced:", type(error).__name__)
        """,
        timeout=120,
    )
    assert "surfaced: KeyboardInterrupt" in result.stdout, result.stdout + result.stderr[-3000:]


def test_only_a_system_error_caused_by_an_interrupt_is_unwrapped():
    interrupt = KeyboardInterrupt()
    inner = SystemError("inner")
    inner.__cause__ = interrupt
    outer = SystemError("outer")
    outer.__cause__ = inner
    assert keyboard_interrupt_behind(outer) is interrupt
    assert keyboard_interrupt_behind(SystemError("no cause")) is None
    with pytest.raises(KeyboardInterrupt), kernel_calls():
        raise outer
    with pytest.raises(SystemError), kernel_calls():
        raise SystemError("unrelated")


def wrapped_interrupt():
    """What Numba raises for Ctrl-C while it boxes a kernel's tuple of arrays."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as interrupt:
        error = SystemError("CPUDispatcher(...) returned a result with an exception set")
        error.__cause__ = interrupt
        return error


def test_a_wrapped_interrupt_in_a_fit_is_an_interrupt(data, monkeypatch):
    X, y = data
    run, calls = skreg._training._Epochs.run, []

    def wrapped_at_third(self):
        calls.append(1)
        if len(calls) == 3:
            raise wrapped_interrupt()
        return run(self)

    monkeypatch.setattr(skreg._training._Epochs, "run", wrapped_at_third)
    monkeypatch.setattr(skreg._training, "_in_runs", one_epoch_per_call)
    est = RegularizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    with pytest.warns(UserWarning, match="interrupted"):
        est.fit(X, y)
    assert est.n_iter_ == 2


def test_a_wrapped_interrupt_in_a_prediction_is_an_interrupt(data, monkeypatch):
    X, y = data
    est = RegularizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)

    def interrupted(*args):
        raise wrapped_interrupt()

    monkeypatch.setattr(skreg._kernels, "predict", interrupted)
    with pytest.raises(KeyboardInterrupt):
        est.predict(X)
