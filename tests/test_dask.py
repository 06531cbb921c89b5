"""A grid search runs unchanged on a Dask cluster through joblib's dask backend."""

import warnings

import joblib
import numpy as np
import pytest
from numba.core.registry import CPUDispatcher
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import skreg
from skreg import RegularizedMLPClassifier, RegularizedMLPClassifierCV

distributed = pytest.importorskip(
    "dask.distributed", reason="needs the dask extra: pip install 'skreg[dask]'"
)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def small_problem():
    X, y = make_classification(
        n_samples=150, n_features=6, n_informative=4, n_redundant=0, random_state=0
    )
    # A few Adam epochs: enough for the rates to rank differently.
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=15, batch_size=32, random_state=0
    )
    return est, X, y


def grid_search(n_jobs):
    est, X, y = small_problem()
    grid = {"alpha": [1e-4, 1e-2, 1.0], "penalty": ["l2", "l1"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GridSearchCV(est, grid, cv=3, n_jobs=n_jobs).fit(X, y)


def test_grid_search_on_dask_matches_the_default_backend(client):
    expected = grid_search(n_jobs=None)
    with joblib.parallel_backend("dask"):
        got = grid_search(n_jobs=-1)
    score_keys = [key for key in expected.cv_results_ if key.endswith("test_score")]
    assert "split2_test_score" in score_keys
    for key in score_keys:
        np.testing.assert_array_equal(got.cv_results_[key], expected.cv_results_[key], key)
    assert got.best_params_ == expected.best_params_
    assert np.ptp(expected.cv_results_["mean_test_score"]) > 0, "the grid should matter"


def test_cv_estimator_on_dask_matches_threads(client):
    _, X, y = small_problem()
    params = dict(
        hidden_layer_sizes=(8,),
        penalty="l1",
        alphas=4,
        cv=3,
        max_iter=15,
        path_max_iter=5,
        batch_size=32,
        random_state=0,
    )
    expected = RegularizedMLPClassifierCV(n_jobs=2, **params).fit(X, y)
    with joblib.parallel_backend("dask"):
        got = RegularizedMLPClassifierCV(n_jobs=-1, **params).fit(X, y)
    for key in ("split0_test_score", "mean_test_score", "mean_sparsity", "mean_n_iter"):
        np.testing.assert_array_equal(got.cv_results_[key], expected.cv_results_[key], key)
    assert got.alpha_ == expected.alpha_
    for a, b in zip(got.coefs_, expected.coefs_):
        np.testing.assert_array_equal(a, b)


def _fit_and_count_compilations():
    """On a worker: fit once, then count the kernels Numba loaded from its
    disk cache and those it had to compile, over the worker's life."""
    est, X, y = small_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y).predict(X)
    dispatchers = [f for f in vars(skreg._kernels).values() if isinstance(f, CPUDispatcher)]
    loaded = sum(sum(f.stats.cache_hits.values()) for f in dispatchers)
    compiled = sum(sum(f.stats.cache_misses.values()) for f in dispatchers)
    return loaded, compiled


def test_workers_load_the_kernels_from_the_disk_cache(client):
    worker_files = set(client.run(lambda: skreg.__file__).values())
    if worker_files != {skreg.__file__}:
        pytest.skip(
            f"the workers import skreg from {worker_files}, this process from "
            f"{skreg.__file__}: they do not share one cache folder"
        )
    _fit_and_count_compilations()  # compiles here, and writes the cache, if it was cold
    for worker, (loaded, compiled) in client.run(_fit_and_count_compilations).items():
        assert compiled == 0, f"worker {worker} compiled {compiled} kernel(s)"
        assert loaded > 0, f"worker {worker} ran no kernel"
