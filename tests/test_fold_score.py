"""The CV estimators' default score of a fold model, computed without
scikit-learn's checks, equals scikit-learn's ``score`` to the last bit."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)
from skreg._fold_score import default_score

NET = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
SMALL_CV = dict(hidden_layer_sizes=(8,), max_iter=30, alphas=4, cv=3, path_max_iter=10)


@pytest.fixture(scope="module")
def data():
    """Standardized features; three classes, their names as strings, and a
    continuous target."""
    X, y = make_classification(
        n_samples=150, n_features=6, n_informative=3, n_classes=3, random_state=0
    )
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    target = X[:, 0] - 2 * X[:, 1] + 0.3 * np.random.default_rng(0).normal(size=150)
    weights = np.random.default_rng(1).uniform(0.2, 3.0, size=150)
    return X, y, target, weights


def targets(data):
    """(estimator class, target) pairs: binary, multiclass and string
    classes, and a continuous target."""
    X, y, target, _ = data
    return [
        (RegularizedMLPClassifier, (y > 0).astype(np.int64)),
        (RegularizedMLPClassifier, y),
        (RegularizedMLPClassifier, np.array(["a", "b", "c"])[y]),
        (RegularizedMLPRegressor, target),
    ]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("refit", [False, True])
def test_equals_sklearn_score(data, weighted, refit):
    X, _, _, weights = data
    sw = weights[100:] if weighted else None
    for cls, y in targets(data):
        est = cls(**NET).fit(X[:100], y[:100])
        if refit:  # refitted on other rows, at another rate
            est.set_params(alpha=0.1).fit(X[50:], y[50:])
        classifier = cls is RegularizedMLPClassifier
        fast = default_score(est, X[100:], y[100:], sw, classifier=classifier)
        assert fast is not None
        assert fast == est.score(X[100:], y[100:], sample_weight=sw)


def test_r2_edge_cases_equal_sklearn(data):
    """A constant test target (R²'s denominator zero), and a model whose
    predictions are that target exactly (numerator zero)."""
    X, _, target, _ = data
    est = RegularizedMLPRegressor(**NET).fit(X, target)
    constant = np.full(20, 0.5)
    assert default_score(est, X[:20], constant, classifier=False) == est.score(X[:20], constant)
    exact = est.predict(X[:20])
    assert default_score(est, X[:20], exact, classifier=False) == est.score(X[:20], exact) == 1.0


def test_declines_what_it_cannot_promise(data):
    X, y, target, weights = data
    reg = RegularizedMLPRegressor(**NET).fit(X, target)
    clf = RegularizedMLPClassifier(**NET).fit(X, y)
    assert default_score(reg, X, np.c_[target, target], classifier=False) is None
    assert default_score(reg, X, target.astype(np.float32), classifier=False) is None
    assert default_score(reg, X[:1], target[:1], classifier=False) is None
    assert default_score(clf, X, y, weights.astype(np.float32), classifier=True) is None
    assert default_score(clf, X, y, [1.0] * len(y), classifier=True) is None


@pytest.mark.parametrize(
    "cv_cls, scoring", [(RegularizedMLPClassifierCV, "accuracy"), (RegularizedMLPRegressorCV, "r2")]
)
@pytest.mark.parametrize("refit", [False, True])
def test_cv_scores_equal_sklearn_scoring(data, cv_cls, scoring, refit, monkeypatch):
    """The default scoring gives the path scores that scikit-learn's scorer
    of the same metric gives, without calling the models' ``score``; with
    sample weights in training."""
    X, y, target, weights = data
    y = y if cv_cls is RegularizedMLPClassifierCV else target
    reference = cv_cls(random_state=0, scoring=scoring, **SMALL_CV).fit(X, y, sample_weight=weights)
    est = cv_cls(random_state=0, **SMALL_CV)
    if refit:
        est.set_params(penalty="l1").fit(X, y).set_params(penalty="l2")
    base = est._base_class

    def refused(*args, **kwargs):
        raise AssertionError("the default scoring called score")

    monkeypatch.setattr(base, "score", refused)
    est.fit(X, y, sample_weight=weights)
    for k in range(3):
        key = f"split{k}_test_score"
        np.testing.assert_array_equal(est.cv_results_[key], reference.cv_results_[key])
    assert est.alpha_ == reference.alpha_
    for W, V in zip(est.coefs_, reference.coefs_):
        np.testing.assert_array_equal(W, V)
