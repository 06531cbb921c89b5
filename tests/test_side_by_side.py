"""Independent trainings run side by side: skreg's thread pool where joblib
would run threads, joblib's backend anywhere else."""

import threading
import time
from functools import partial

import pytest
from joblib import parallel_config
from sklearn import config_context, get_config

from skreg._side_by_side import run_side_by_side


def _thread_name(value):
    return value, threading.current_thread().name


def _names(n_jobs, n_calls=4):
    results = run_side_by_side([partial(_thread_name, i) for i in range(n_calls)], n_jobs)
    assert [value for value, _ in results] == list(range(n_calls))  # in order
    return {name for _, name in results}


def test_threads_of_its_own_where_joblib_would_run_threads():
    names = _names(n_jobs=2)
    assert all(name.startswith("skreg") for name in names)
    with parallel_config(backend="threading", n_jobs=2):
        assert all(name.startswith("skreg") for name in _names(n_jobs=None))


@pytest.mark.parametrize("n_jobs", [None, 1])
def test_one_job_runs_in_the_calling_thread(n_jobs):
    assert _names(n_jobs) == {threading.current_thread().name}


def test_a_backend_set_by_the_caller_runs_the_calls():
    with parallel_config(backend="sequential"):
        assert _names(n_jobs=2) == {threading.current_thread().name}


def _assume_finite():
    return get_config()["assume_finite"]


def test_the_callers_scikit_learn_configuration_goes_with_each_call():
    with config_context(assume_finite=True):
        assert run_side_by_side([_assume_finite] * 3, n_jobs=2) == [True] * 3
    assert run_side_by_side([_assume_finite] * 3, n_jobs=2) == [False] * 3


def test_the_first_error_is_raised_and_the_calls_not_started_are_dropped():
    # The first call stops with a KeyboardInterrupt once the second has
    # failed, as a training stops at the flag another one set: the error
    # raised is the one that ended the call.
    failed, started = threading.Event(), []

    def stopped_by_the_other():
        started.append(0)
        failed.wait(timeout=10)
        raise KeyboardInterrupt

    def failing():
        started.append(1)
        failed.set()
        raise ValueError("the real error")

    def later():
        started.append(2)
        time.sleep(0.05)

    calls = [stopped_by_the_other, failing] + [later] * 20
    with pytest.raises(ValueError, match="the real error"):
        run_side_by_side(calls, n_jobs=2)
    assert started.count(2) < 20
    # and none of its threads outlives the call
    assert not any(thread.name.startswith("skreg") for thread in threading.enumerate())
