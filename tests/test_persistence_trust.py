"""What skops asks about beyond ``skreg.trusted_types()``: exactly the types
of the user's own objects that ``trusted_types`` documents (a splitter given
as ``cv``, a scorer object given as ``scoring``, callbacks)."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import make_scorer, mean_absolute_error
from sklearn.model_selection import KFold

import skreg._callbacks as callbacks
from skreg import RegularizedMLPRegressor, RegularizedMLPRegressorCV, trusted_types

sio = pytest.importorskip("skops.io", reason="needs skops: pip install 'skreg[skops]'")

SMALL = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0)


def untrusted_beyond_skreg(est):
    """Names skops asks about that ``trusted_types()`` does not give; the
    estimator loads with them added."""
    data = sio.dumps(est)
    extra = set(sio.get_untrusted_types(data=data)) - set(trusted_types())
    sio.loads(data, trusted=trusted_types() + sorted(extra))
    return extra


@pytest.fixture(scope="module")
def data():
    X = np.random.default_rng(0).normal(size=(40, 3))
    return X, X[:, 0] + 0.1 * X[:, 1]


def fitted(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def monitored(data):
    from sklearn.callback import ScoringMonitor

    return fitted(
        RegularizedMLPRegressor(**SMALL).set_callbacks(ScoringMonitor(scoring="r2")), *data
    )


def test_plain_parameters_need_nothing_more(data):
    est = RegularizedMLPRegressorCV(alphas=2, cv=2, scoring="r2", **SMALL)
    assert untrusted_beyond_skreg(fitted(est, *data)) == set()


def test_a_splitter_object_brings_its_class(data):
    est = fitted(RegularizedMLPRegressorCV(alphas=2, cv=KFold(2), **SMALL), *data)
    assert untrusted_beyond_skreg(est) == {"sklearn.model_selection._split.KFold"}


def test_a_scorer_object_brings_its_class_and_metric(data):
    scorer = make_scorer(mean_absolute_error, greater_is_better=False)
    est = fitted(RegularizedMLPRegressorCV(alphas=2, cv=2, scoring=scorer, **SMALL), *data)
    metric = f"{mean_absolute_error.__module__}.{mean_absolute_error.__name__}"
    assert untrusted_beyond_skreg(est) == {f"{type(scorer).__module__}._Scorer", metric}


@pytest.mark.skipif(not callbacks.AVAILABLE, reason="needs scikit-learn's callback API")
def test_callbacks_bring_theirs_until_removed(data):
    est = monitored(data)
    extra = untrusted_beyond_skreg(est)
    assert "sklearn.callback._scoring_monitor.ScoringMonitor" in extra
    assert "uuid.UUID" in extra
    assert untrusted_beyond_skreg(est.set_callbacks()) == set()


def test_trusted_types_documents_the_users_objects():
    doc = trusted_types.__doc__
    for what in ("cv", "scoring", "set_callbacks", "ScoringMonitor", "_Scorer"):
        assert what in doc
