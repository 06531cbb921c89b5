"""Behaviour of the public estimators: the update rule of the objective
(docs/design.rst, "The objective" and "How each regularizer acts") through
the public API, exact zeros, scikit-learn tooling, reproducibility."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)

import naive as N


@pytest.mark.parametrize(
    "penalty, l1_ratio, rho",
    [("l2", 0.5, 0.0), ("l1", 0.5, 1.0), ("elasticnet", 0.3, 0.3)],
)
def test_one_sgd_step_matches_design_update(penalty, l1_ratio, rho):
    """partial_fit with plain SGD on one full batch is the documented update:
    w <- prox_{lr*alpha_l*rho}(w - lr * (grad_data + alpha_l * (1 - rho) * w))."""
    X, y = make_classification(
        n_samples=60, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    sw = np.random.RandomState(1).uniform(0.5, 2.0, size=60)
    lr, alpha = 0.1, np.array([0.5, 0.2])
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(5,),
        solver="sgd",
        momentum=0.0,
        batch_size=60,
        shuffle=False,
        learning_rate_init=lr,
        penalty=penalty,
        l1_ratio=l1_ratio,
        alpha=alpha,
        random_state=0,
    )
    est.partial_fit(X, y, classes=np.unique(y), sample_weight=sw)
    rng = np.random.RandomState(2)
    W1, b1 = rng.normal(size=(6, 5)), rng.normal(size=5)
    W2, b2 = rng.normal(size=(5, 3)) * 0.3, rng.normal(size=3)
    est.coefs_ = [W1.copy(), W2.copy()]
    est.intercepts_ = [b1.copy(), b2.copy()]
    est.partial_fit(X, y, sample_weight=sw)

    Y = np.eye(3)[y]
    (gW1, gW2), (gb1, gb2) = N.naive_data_gradient(X, Y, sw, [W1, W2], [b1, b2], "relu", "softmax")
    expected_W = [
        N.naive_soft_threshold(W - lr * (g + a * (1 - rho) * W), lr * a * rho)
        for W, g, a in ((W1, gW1, alpha[0]), (W2, gW2, alpha[1]))
    ]
    np.testing.assert_allclose(est.coefs_[0], expected_W[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.coefs_[1], expected_W[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.intercepts_[0], b1 - lr * gb1, rtol=1e-10)
    np.testing.assert_allclose(est.intercepts_[1], b2 - lr * gb2, rtol=1e-10)
    if rho > 0:
        # The prox step put exact zeros exactly where the formula does.
        assert np.any(expected_W[0] == 0)
        np.testing.assert_array_equal(est.coefs_[0] == 0, expected_W[0] == 0)


def _fit_digits(digits_split, **params):
    X_train, _, y_train, _ = digits_split
    return RegularizedMLPClassifier(hidden_layer_sizes=(64,), random_state=0, **params).fit(
        X_train, y_train
    )


def test_l1_proximal_reaches_exact_zeros_subgradient_does_not(digits_split):
    _, X_test, _, y_test = digits_split
    prox = _fit_digits(digits_split, penalty="l1", alpha=3e-3, max_iter=150)
    sub = _fit_digits(digits_split, penalty="l1", alpha=3e-3, max_iter=150, l1_method="subgradient")
    zeros_prox = np.mean(np.concatenate([W.ravel() == 0 for W in prox.coefs_]))
    zeros_sub = np.mean(np.concatenate([W.ravel() == 0 for W in sub.coefs_]))
    assert prox.score(X_test, y_test) >= 0.93
    assert zeros_prox > 0.7
    assert zeros_sub < 0.01
    assert prox.sparsity_[0] == pytest.approx(np.mean(prox.coefs_[0] == 0))


def test_digits_accuracy_against_sklearn_defaults(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    ours = RegularizedMLPClassifier(random_state=0).fit(X_train, y_train)
    theirs = MLPClassifier(random_state=0).fit(X_train, y_train)
    ours_acc, theirs_acc = ours.score(X_test, y_test), theirs.score(X_test, y_test)
    assert ours_acc >= 0.95
    assert ours_acc >= theirs_acc - 0.01


def test_grid_search_over_alpha_in_pipeline():
    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    pipe = make_pipeline(
        StandardScaler(),
        RegularizedMLPClassifier(hidden_layer_sizes=(16,), max_iter=30, random_state=0),
    )
    alphas = [1e-4, 1e-2, 1.0]
    search = GridSearchCV(
        pipe,
        {"regularizedmlpclassifier__alpha": alphas},
        cv=3,
        n_jobs=2,
        error_score="raise",
    )
    search.fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # A huge penalty must cost accuracy: the search really varied alpha.
    scores = dict(zip(alphas, search.cv_results_["mean_test_score"]))
    assert scores[1.0] < max(scores.values())
    # ... and the rate reached the network: its weights shrink as alpha grows.
    norms = [
        np.linalg.norm(
            clone(pipe).set_params(regularizedmlpclassifier__alpha=a).fit(X, y)[-1].coefs_[0]
        )
        for a in alphas
    ]
    assert norms[0] > norms[1] > norms[2]


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_clone_pickle_and_reproducibility(Est):
    if Est is RegularizedMLPClassifier:
        X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    else:
        X, y = make_regression(n_samples=120, n_features=5, random_state=0)
        y = y / 100
    est = Est(
        hidden_layer_sizes=(8, 4),
        max_iter=20,
        penalty="elasticnet",
        alpha=1e-3,
        random_state=3,
    )
    first = clone(est).fit(X, y)
    second = clone(est).fit(X, y)
    for a, b in zip(first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_):
        np.testing.assert_array_equal(a, b)
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict(X), first.predict(X))
    assert clone(est).get_params() == est.get_params()


def test_loss_curve_is_the_full_objective():
    """With a learning rate too small to move the weights, loss_ is J at the
    initial weights: mean data loss plus the penalty."""
    X, y = make_regression(n_samples=50, n_features=4, random_state=0)
    y = y / 100
    alpha, rho = 0.7, 0.4
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(6,),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=1e-14,
        max_iter=1,
        penalty="elasticnet",
        l1_ratio=rho,
        alpha=alpha,
        random_state=0,
        activation="tanh",
    )
    est.fit(X, y)
    J = N.naive_objective(
        X,
        y[:, None],
        np.ones(len(y)),
        est.coefs_,
        est.intercepts_,
        "tanh",
        "identity",
        alpha,
        rho,
    )
    assert est.loss_curve_[-1] == pytest.approx(J, rel=1e-8)


def test_lbfgs_loss_is_objective_at_solution():
    X, y = make_regression(n_samples=80, n_features=3, random_state=1)
    y = y / 100
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(5,),
        solver="lbfgs",
        alpha=0.01,
        activation="tanh",
        random_state=0,
        max_iter=50,
    )
    est.fit(X, y)
    J = N.naive_objective(
        X, y[:, None], np.ones(len(y)), est.coefs_, est.intercepts_, "tanh", "identity", 0.01
    )
    assert est.loss_ == pytest.approx(J, rel=1e-10)


def test_weight_decay_equals_l2_under_plain_sgd_not_under_adam():
    X, y = make_classification(n_samples=100, n_features=6, random_state=0)
    common = dict(hidden_layer_sizes=(7,), max_iter=5, random_state=0, shuffle=False)
    sgd = dict(common, solver="sgd", momentum=0.0, learning_rate_init=0.05)
    l2 = RegularizedMLPClassifier(penalty="l2", alpha=0.3, **sgd).fit(X, y)
    wd = RegularizedMLPClassifier(penalty=None, weight_decay=0.3, **sgd).fit(X, y)
    for a, b in zip(l2.coefs_, wd.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    adam = dict(common, solver="adam", learning_rate_init=0.05)
    l2 = RegularizedMLPClassifier(penalty="l2", alpha=0.3, **adam).fit(X, y)
    wd = RegularizedMLPClassifier(penalty=None, weight_decay=0.3, **adam).fit(X, y)
    assert not np.allclose(l2.coefs_[0], wd.coefs_[0], rtol=1e-3)


def test_early_stopping_restores_best_weights(digits_split):
    X_train, _, y_train, _ = digits_split
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(32,),
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=200,
        random_state=0,
        learning_rate_init=0.01,
    ).fit(X_train, y_train)
    # Rebuild the validation split the fit used: the same seed draws the
    # same weights first, then the split.
    rng = np.random.RandomState(0)
    units = [64, 32, 10]
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        rng.uniform(size=(fan_in, fan_out))
        rng.uniform(size=fan_out)
    _, X_val, _, y_val = train_test_split(
        X_train, y_train, test_size=0.1, stratify=y_train, random_state=rng
    )
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_)
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert len(est.validation_scores_) == est.n_iter_ < 200


def test_multilabel_binary_and_multioutput_shapes():
    X, y = make_classification(n_samples=80, n_features=5, random_state=0)
    Ymulti = np.column_stack([y, 1 - y, (X[:, 0] > 0).astype(int)])
    binary = RegularizedMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    multilabel = RegularizedMLPClassifier(max_iter=5, random_state=0).fit(X, Ymulti)
    reg = RegularizedMLPRegressor(max_iter=5, random_state=0).fit(X, Ymulti * 1.0)
    assert binary.predict_proba(X).shape == (80, 2)
    assert binary.out_activation_ == "logistic"
    assert multilabel.predict(X).shape == (80, 3)
    assert multilabel.predict_proba(X).shape == (80, 3)
    assert reg.predict(X).shape == (80, 3)
    np.testing.assert_allclose(
        np.exp(binary.predict_log_proba(X)), binary.predict_proba(X), rtol=1e-12
    )


def test_float32_trains_in_float32():
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    est = RegularizedMLPClassifier(max_iter=3, random_state=0).fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in est.coefs_ + est.intercepts_)
    assert est.predict_proba(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(solver="lbfgs", penalty="l1"), "solver='sgd' or solver='adam'"),
        (dict(solver="lbfgs", dropout=0.5), "dropout"),
        (dict(alpha=[0.1, 0.2, 0.3]), "one value per weight matrix"),
        (dict(alpha=[0.1, -0.2]), "alpha must be non-negative"),
        (dict(dropout=[0.1, 0.2]), "dropout must be a float or a sequence"),
    ],
)
def test_bad_parameters_get_clear_errors(params, message):
    X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    est = RegularizedMLPClassifier(hidden_layer_sizes=(3,), max_iter=2, **params)
    with pytest.raises(ValueError, match=message):
        est.fit(X, y)


@pytest.mark.parametrize("warm_start", [True, False])
def test_fit_with_warm_start_goes_on_from_whatever_coefs_hold(warm_start):
    """With a learning rate too small to move anything, a warm fit ends where
    the weights set by hand were; a cold one starts from fresh random weights."""
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(3,),
        solver="sgd",
        learning_rate_init=1e-12,
        max_iter=2,
        warm_start=warm_start,
        random_state=0,
    ).fit(X, y)
    rng = np.random.default_rng(1)
    set_by_hand = [rng.normal(size=W.shape) for W in est.coefs_]
    est.coefs_ = [W.copy() for W in set_by_hand]
    est.fit(X, y)
    moved = max(np.abs(W - S).max() for W, S in zip(est.coefs_, set_by_hand))
    if warm_start:
        assert moved < 1e-8
    else:
        assert moved > 0.1


def test_partial_fit_switching_float_dtype_keeps_training():
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    est = RegularizedMLPClassifier(hidden_layer_sizes=(3,), random_state=0)
    est.partial_fit(X, y, classes=[0, 1])
    before = est.coefs_[0].astype(np.float32)
    est.partial_fit(X.astype(np.float32), y)
    assert est.coefs_[0].dtype == np.float32
    assert est._optimizer.moments.dtype == np.float32
    assert not np.array_equal(est.coefs_[0], before)


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_an_lbfgs_refit_forgets_the_optimizer_state_of_an_adam_fit(Est):
    """An L-BFGS fit keeps no optimizer state, and leaves none of the previous
    fit's: a later partial_fit starts Adam afresh, as after a fresh L-BFGS fit."""
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    params = dict(hidden_layer_sizes=(3,), max_iter=5, batch_size=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        refitted = Est(**params).fit(X, y).set_params(solver="lbfgs").fit(X, y)
        fresh = Est(**params, solver="lbfgs").fit(X, y)
    assert "_optimizer_state" not in vars(refitted)
    refitted.set_params(solver="adam").partial_fit(X, y)
    fresh.set_params(solver="adam").partial_fit(X, y)
    for W, V in zip(refitted.coefs_, fresh.coefs_):
        np.testing.assert_array_equal(W, V)


def updates_of_two_epochs(Est, n_samples, **params):
    """Optimizer updates of a two-epoch fit on ``n_samples`` rows, fresh and
    refitted."""
    X, y = make_classification(n_samples=n_samples, n_features=4, random_state=0)
    est = Est(hidden_layer_sizes=(3,), max_iter=2, tol=0.0, random_state=0, **params)
    counts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(2):
            counts.append(est.fit(X, y)._optimizer_state["n_updates"])
    return counts


@pytest.mark.parametrize(
    "n_samples, quarter_rows",
    [(20, 20), (100, 32), (150, 38), (500, 125), (799, 200), (800, 200), (3000, 200)],
)
@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_batch_sizes_auto_and_quarter(Est, n_samples, quarter_rows):
    """'auto' is scikit-learn's min(200, n_samples); 'quarter' is 200 rows or
    a quarter of a small table (at least 32 rows, at most all of them)."""
    auto_rows = min(200, n_samples)
    assert updates_of_two_epochs(Est, n_samples) == [2 * -(-n_samples // auto_rows)] * 2
    expected = [2 * -(-n_samples // quarter_rows)] * 2
    assert updates_of_two_epochs(Est, n_samples, batch_size="quarter") == expected


@pytest.mark.parametrize(
    "CV, Est",
    [
        (RegularizedMLPClassifierCV, RegularizedMLPClassifier),
        (RegularizedMLPRegressorCV, RegularizedMLPRegressor),
    ],
)
def test_cv_estimators_train_with_quarter_batches(CV, Est):
    """The CV estimators' default batch_size is 'quarter': with one rate, the
    refitted model is the plain estimator's with batch_size='quarter', not
    with 'auto'; fresh and refitted."""
    X, y = make_classification(n_samples=150, n_features=4, random_state=0)
    settings = dict(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    # the regressor's own target scaling would change the weights
    scaling = {} if CV is RegularizedMLPClassifierCV else {"scale_target": False}
    cv = CV(alphas=[1e-3], cv=2, **settings, **scaling)
    assert cv.batch_size == "quarter"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = {
            b: Est(alpha=1e-3, batch_size=b, **settings).fit(X, y) for b in ("quarter", "auto")
        }
        for _ in range(2):
            cv.fit(X, y)
            same = {
                b: all(np.array_equal(p, q) for p, q in zip(cv.coefs_, est.coefs_))
                for b, est in plain.items()
            }
            assert same == {"quarter": True, "auto": False}
