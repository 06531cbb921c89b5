"""The BLAS thread policy of fits and predictions (docs/design.rst, "Threads
and BLAS"), checked on what it decides, never on timings."""

import threading

import numpy as np
import pytest
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_info, threadpool_limits

import skreg._threads as T
from skreg import RegularizedMLPClassifier


def blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def requested(monkeypatch):
    """The thread counts the policy sets, in order."""
    calls = []
    real = T._set_threads

    def record(n):
        calls.append(n)
        real(n)

    monkeypatch.setattr(T, "_set_threads", record)
    return calls


@pytest.fixture
def machine_load(monkeypatch):
    """Pretend other processes keep ``load["cpus"]`` CPUs busy."""
    load = {"cpus": 0.0}
    monkeypatch.setattr(T._CpuMeter, "others_busy", lambda self: load["cpus"])
    return load


@pytest.fixture
def two_blas_threads():
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_largest_product():
    assert T.largest_product_macs(np.array([50, 1024, 1]), 200) == 200 * 50 * 1024


@pytest.mark.usefixtures("two_blas_threads")
def test_small_networks_train_on_one_thread(requested, machine_load):
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    RegularizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=3).fit(X, y)
    assert requested and set(requested) == {1}  # once per epoch, or per run of epochs
    assert set(blas_threads()) == {2}  # put back after the fit


@pytest.mark.usefixtures("two_blas_threads")
def test_large_products_get_more_threads_on_an_idle_machine(requested, machine_load, monkeypatch):
    monkeypatch.setattr(T, "MIN_MACS_FOR_THREADS", 0)
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    RegularizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=4).fit(X, y)
    # The first epoch measures the machine on one thread, then two.
    assert requested[1:] == [2, 2, 2]
    machine_load["cpus"] = 1.0
    requested.clear()
    RegularizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=4).fit(X, y)
    assert requested == [1, 1, 1, 1]


@pytest.mark.usefixtures("machine_load")
def test_a_limit_set_outside_the_fit_wins(requested, monkeypatch):
    monkeypatch.setattr(T, "MIN_MACS_FOR_THREADS", 0)
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    with threadpool_limits(limits=1, user_api="blas"):
        RegularizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=3).fit(X, y)
        assert set(blas_threads()) == {1}
    assert set(requested) == {1}


@pytest.mark.usefixtures("two_blas_threads", "machine_load")
def test_fits_side_by_side_take_one_thread_each(monkeypatch):
    monkeypatch.setattr(T, "MIN_MACS_FOR_THREADS", 0)
    seen = []
    started = threading.Barrier(2)

    def fit():
        with T.BlasThreads(np.array([5, 8, 1]), 100) as blas:
            started.wait()
            for _ in range(3):
                seen.append(blas.threads())
            started.wait()

    workers = [threading.Thread(target=fit) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert seen == [1] * 6
    assert set(blas_threads()) == {2}


@pytest.mark.usefixtures("two_blas_threads", "machine_load")
def test_a_fit_in_another_thread_sets_the_threads_it_chose():
    # The fixture set the limit from this (the main) thread; threadpoolctl
    # then lets no other thread change a process-wide OpenBLAS pool unless
    # asked to, and a fit in a worker thread (a CV estimator's path, a
    # threaded search) would run on the main thread's count.
    seen = []

    def fit():
        with T.BlasThreads(np.array([5, 8, 1]), 100) as blas:
            blas.update()
            seen.append(blas_threads())

    worker = threading.Thread(target=fit)
    worker.start()
    worker.join()
    assert seen == [[1] * len(blas_threads())]
    assert set(blas_threads()) == {2}


@pytest.mark.usefixtures("two_blas_threads")
def test_predictions_follow_the_same_rules(requested, machine_load, monkeypatch):
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    est = RegularizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=2).fit(X, y)
    monkeypatch.setattr(T, "MAX_MACS_ON_ONE_THREAD", 0)
    requested.clear()
    est.predict(X)
    assert requested == [1]
    monkeypatch.setattr(T, "MIN_MACS_FOR_THREADS", 0)
    monkeypatch.setattr(T, "MIN_MACS_TO_MEASURE_LOAD", 0)
    monkeypatch.setattr(T, "LOAD_SAMPLE_SECONDS", 0.0)
    est.predict(X)
    assert requested[-1] == 2
    machine_load["cpus"] = 1.0
    est.predict(X)
    assert requested[-1] == 1
    assert set(blas_threads()) == {2}


@pytest.mark.usefixtures("two_blas_threads")
def test_a_prediction_of_small_products_leaves_the_threads_alone(requested, monkeypatch):
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    est = RegularizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=2).fit(X, y)
    requested.clear()
    est.predict(X)  # 100 x 5 x 8 multiply-adds
    assert requested == []
    monkeypatch.setattr(T, "MAX_MACS_ON_ONE_THREAD", 100 * 5 * 8 - 1)
    est.predict(X)
    assert requested == [1]
    assert set(blas_threads()) == {2}


@pytest.mark.usefixtures("two_blas_threads", "machine_load")
def test_an_epoch_on_few_remaining_inputs_takes_one_thread(requested, monkeypatch):
    # the fit's products are large enough for two threads; once the active
    # set trains 5 of 400 inputs, the epoch's products are not
    monkeypatch.setattr(T, "MIN_MACS_FOR_THREADS", 200 * 300 * 64)
    with T.BlasThreads(np.array([400, 64, 1]), 200) as blas:
        blas.update()
        blas.update()
        blas.update(np.array([5, 64, 1]))
        blas.update(np.array([400, 64, 1]))
    assert requested[1:] == [2, 1, 2]
