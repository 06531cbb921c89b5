"""Drop-in parity with scikit-learn's MLPClassifier and MLPRegressor.

Where the settings coincide (same seed, so the same initial weights; the L2
penalty with alpha converted, or no penalty; no shuffling) the two estimators
must follow the same path: same coefficients, loss curve and epoch count.
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils.class_weight import compute_sample_weight

from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor


def _data(kind, n=200):
    if kind == "regression":
        X, y = make_regression(n_samples=n, n_features=6, n_targets=1, random_state=0)
        return X, y / 100
    if kind == "poisson":
        rng = np.random.RandomState(0)
        X = rng.normal(size=(n, 6))
        return X, rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1])).astype(float)
    n_classes = 3 if kind == "multiclass" else 2
    return make_classification(
        n_samples=n, n_features=6, n_informative=4, n_classes=n_classes, random_state=0
    )


def _pair(kind, **params):
    if kind in ("regression", "poisson"):
        loss = "poisson" if kind == "poisson" else "squared_error"
        return (RegularizedMLPRegressor(loss=loss, **params), MLPRegressor(loss=loss))
    return RegularizedMLPClassifier(**params), MLPClassifier()


def _assert_same_path(ours, theirs, rtol=1e-9):
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=rtol)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


SHARED = dict(
    hidden_layer_sizes=(7, 5),
    shuffle=False,
    random_state=0,
    batch_size=50,
    tol=1e-4,
    max_iter=40,
    n_iter_no_change=3,
)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "regression", "poisson"])
@pytest.mark.parametrize(
    "solver_params",
    [
        dict(solver="adam", learning_rate_init=0.01),
        dict(solver="sgd", learning_rate_init=0.05),
        dict(solver="sgd", learning_rate_init=0.05, nesterovs_momentum=False),
        dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.2, power_t=0.3),
        dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.05),
    ],
    ids=["adam", "sgd", "sgd-momentum", "sgd-invscaling", "sgd-adaptive"],
)
def test_unpenalized_path_matches_sklearn(kind, solver_params):
    X, y = _data(kind)
    ours, theirs = _pair(kind, penalty=None, **SHARED, **solver_params)
    theirs.set_params(alpha=0.0, **SHARED, **solver_params)
    _assert_same_path(ours.fit(X, y), theirs.fit(X, y))


@pytest.mark.parametrize(
    "params",
    [
        dict(activation="logistic"),
        dict(activation="tanh"),
        dict(activation="identity"),
        dict(shuffle=True),
        dict(beta_1=0.8, beta_2=0.99, epsilon=1e-6),
        dict(batch_size=64, validation_fraction=0.3, early_stopping=True),
    ],
    ids=["logistic", "tanh", "identity", "shuffle", "adam-moments", "batch-64-es"],
)
def test_other_settings_follow_sklearns_path(params):
    X, y = _data("binary")
    settings = dict(SHARED, solver="adam", learning_rate_init=0.01, **params)
    ours = RegularizedMLPClassifier(penalty=None, **settings).fit(X, y)
    theirs = MLPClassifier(alpha=0.0, **settings).fit(X, y)
    _assert_same_path(ours, theirs)


def test_max_fun_limits_lbfgs_as_in_sklearn():
    X, y = _data("regression", n=120)
    params = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_fun=7, random_state=0)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        ours = RegularizedMLPRegressor(alpha=0.0, **params).fit(X, y)
    theirs = MLPRegressor(alpha=0.0, **params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ <= 7  # far below max_iter=200
    np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-8)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_l2_with_converted_alpha_matches_sklearn(solver):
    """scikit-learn's alpha_sk with batch size B is alpha_sk / B here."""
    X, y = _data("multiclass")
    params = dict(SHARED, solver=solver, learning_rate_init=0.01, max_iter=5, n_iter_no_change=100)
    ours = RegularizedMLPClassifier(penalty="l2", alpha=0.5 / 50, **params)
    theirs = MLPClassifier(alpha=0.5, **params)
    ours.fit(X, y)
    theirs.fit(X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_lbfgs_matches_sklearn_with_alpha_over_n_samples():
    X, y = _data("regression", n=120)
    params = dict(
        hidden_layer_sizes=(6,), solver="lbfgs", max_iter=15, random_state=0, activation="tanh"
    )
    ours = RegularizedMLPRegressor(alpha=2.0 / 120, **params).fit(X, y)
    theirs = MLPRegressor(alpha=2.0, **params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-8)
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_early_stopping_matches_sklearn_on_binary_targets():
    X, y = _data("binary", n=300)
    params = dict(
        SHARED,
        solver="adam",
        learning_rate_init=0.01,
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=60,
    )
    ours = RegularizedMLPClassifier(penalty=None, **params).fit(X, y)
    theirs = MLPClassifier(alpha=0.0, **params).fit(X, y)
    assert ours.validation_scores_ == theirs.validation_scores_
    assert ours.best_validation_score_ == theirs.best_validation_score_
    _assert_same_path(ours, theirs)


def test_class_weight_equals_the_matching_sample_weight():
    X, y = _data("multiclass")
    y = np.where(np.arange(len(y)) < 150, y, 0)  # imbalance the classes
    params = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    for class_weight in ("balanced", {0: 0.5, 1: 2.0, 2: 3.0}):
        weighted = RegularizedMLPClassifier(class_weight=class_weight, **params).fit(X, y)
        sw = compute_sample_weight(class_weight, y)
        by_sample = RegularizedMLPClassifier(**params).fit(X, y, sample_weight=sw)
        np.testing.assert_allclose(weighted.coefs_[0], by_sample.coefs_[0], rtol=1e-12)
    plain = RegularizedMLPClassifier(**params).fit(X, y)
    assert not np.allclose(plain.coefs_[0], weighted.coefs_[0])


def test_partial_fit_class_weight_dict_on_a_batch_without_a_named_class():
    # The dict names classes 1 and 2, not 0; the batch holds 0 and 1 alone:
    # each row weighs as its class does in the dict (1 when unnamed).
    X, y = _data("multiclass")
    batch = y < 2
    X, y = X[batch], y[batch]
    params = dict(hidden_layer_sizes=(5,), random_state=0)
    weighted = RegularizedMLPClassifier(class_weight={1: 2.0, 2: 5.0}, **params)
    weighted.partial_fit(X, y, classes=[0, 1, 2])
    by_sample = RegularizedMLPClassifier(**params)
    by_sample.partial_fit(X, y, classes=[0, 1, 2], sample_weight=np.where(y == 1, 2.0, 1.0))
    np.testing.assert_allclose(weighted.coefs_[0], by_sample.coefs_[0], rtol=1e-12)


def test_class_weight_rejects_multilabel():
    X, y = _data("binary")
    Y = np.column_stack([y, 1 - y])
    with pytest.raises(ValueError, match="class_weight is not supported for multilabel"):
        RegularizedMLPClassifier(class_weight="balanced", max_iter=2).fit(X, Y)


def test_sample_weight_scale_invariant_and_used_in_early_stopping():
    X, y = _data("binary", n=200)
    params = dict(
        hidden_layer_sizes=(5,),
        max_iter=8,
        random_state=0,
        early_stopping=True,
        n_iter_no_change=100,
    )
    base = RegularizedMLPClassifier(**params).fit(X, y)
    doubled = RegularizedMLPClassifier(**params).fit(X, y, sample_weight=np.full(200, 2.0))
    np.testing.assert_allclose(base.coefs_[0], doubled.coefs_[0], rtol=1e-10)
    assert base.validation_scores_ == doubled.validation_scores_
    sw = np.where(y == 1, 5.0, 0.2)
    skewed = RegularizedMLPClassifier(**params).fit(X, y, sample_weight=sw)
    assert skewed.validation_scores_ != base.validation_scores_


def test_stopping_rules():
    X, y = _data("multiclass")
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        RegularizedMLPClassifier(max_iter=3, random_state=0).fit(X, y)
    never = RegularizedMLPClassifier(
        max_iter=25, n_iter_no_change=np.inf, tol=10.0, random_state=0
    ).fit(X, y)
    assert never.n_iter_ == 25
    stalled = RegularizedMLPClassifier(
        max_iter=200, n_iter_no_change=2, tol=10.0, random_state=0
    ).fit(X, y)
    # Epoch 1 sets best_loss_; epochs 2, 3, 4 fail to improve by tol and the
    # count (3) then exceeds n_iter_no_change (2), as in scikit-learn.
    assert stalled.n_iter_ == 4
    assert stalled.best_loss_ == min(stalled.loss_curve_)


def test_adaptive_learning_rate_divides_by_five(capsys):
    X, y = _data("multiclass")
    RegularizedMLPClassifier(
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.1,
        tol=10.0,
        n_iter_no_change=1,
        max_iter=6,
        verbose=True,
        random_state=0,
    ).fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out
    assert "Setting learning rate to 0.020000" in out


@pytest.mark.parametrize(
    "est, fit, message",
    [
        (
            RegularizedMLPRegressor(early_stopping=True, validation_fraction=0.01),
            "fit",
            "The validation set is too small",
        ),
        (
            RegularizedMLPClassifier(early_stopping=True),
            "partial_fit",
            "partial_fit does not support early_stopping=True",
        ),
    ],
)
def test_errors_scikit_learn_raises(est, fit, message):
    X, y = _data("regression" if isinstance(est, RegularizedMLPRegressor) else "binary")
    X, y = X[:60], y[:60]
    with pytest.raises(ValueError, match=message):
        if fit == "fit":
            est.fit(X, y)
        else:
            est.partial_fit(X, y, classes=[0, 1])


def test_partial_fit_classes_rules():
    X, y = _data("multiclass")
    est = RegularizedMLPClassifier(hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        est.partial_fit(X, y)
    est.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert est.predict_proba(X).shape == (len(y), 3)
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        est.partial_fit(X, np.where(y == 2, 7, y))
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):
        getattr(RegularizedMLPClassifier(solver="lbfgs"), "partial_fit")  # noqa: B009


def test_warm_start_keeps_classes():
    X, y = _data("multiclass")
    est = RegularizedMLPClassifier(max_iter=2, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same"):
        est.fit(X[y < 2], y[y < 2])


def test_feature_names_from_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = _data("binary")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = RegularizedMLPClassifier(max_iter=2).fit(frame, y)
    np.testing.assert_array_equal(est.feature_names_in_, frame.columns)
    assert est.n_features_in_ == 6
    with pytest.warns(UserWarning, match="feature names"):
        est.predict(X)
    with pytest.raises(ValueError, match="X has 5 features"):
        est.predict(X[:, :5])


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_float32_and_float64_fits_agree(Est):
    X, y = _data("multiclass" if Est is RegularizedMLPClassifier else "regression")
    params = dict(
        hidden_layer_sizes=(8,),
        max_iter=10,
        random_state=0,
        shuffle=False,
        penalty="elasticnet",
        alpha=1e-3,
    )
    fit64 = Est(**params).fit(X, y)
    fit32 = Est(**params).fit(X.astype(np.float32), y)
    assert fit32.coefs_[0].dtype == np.float32
    for a, b in zip(fit32.coefs_, fit64.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    pred = fit32.predict(X.astype(np.float32))
    if Est is RegularizedMLPRegressor:
        assert pred.dtype == np.float32
        np.testing.assert_allclose(pred, fit64.predict(X), rtol=1e-3, atol=1e-3)


def test_poisson_requires_non_negative_targets():
    X, y = _data("regression")
    with pytest.raises(ValueError, match="non-negative y"):
        RegularizedMLPRegressor(loss="poisson").fit(X, y)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_sparse_and_dense_inputs_give_the_same_model(fmt, solver):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _data("multiclass")
    X[np.abs(X) < 0.8] = 0.0  # about half the entries are zero
    Xs = sparse.csr_matrix(X) if fmt == "csr" else sparse.csc_matrix(X)
    penalty = "l2" if solver == "lbfgs" else "elasticnet"
    params = dict(
        hidden_layer_sizes=(8,),
        max_iter=8,
        random_state=0,
        solver=solver,
        penalty=penalty,
        alpha=1e-3,
        batch_size=32,
    )
    dense_fit = RegularizedMLPClassifier(**params).fit(X, y)
    sparse_fit = RegularizedMLPClassifier(**params).fit(Xs, y)
    for a, b in zip(
        sparse_fit.coefs_ + sparse_fit.intercepts_, dense_fit.coefs_ + dense_fit.intercepts_
    ):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        sparse_fit.predict_proba(Xs), dense_fit.predict_proba(X), rtol=1e-10, atol=1e-14
    )


def test_sparse_predict_in_blocks_and_noise_refused():
    sparse = pytest.importorskip("scipy.sparse")
    rng = np.random.RandomState(0)
    Xs = sparse.random(2500, 30, density=0.1, format="csr", random_state=rng)
    y = rng.normal(size=2500)
    est = RegularizedMLPRegressor(hidden_layer_sizes=(5,), max_iter=2).fit(Xs, y)
    # More rows than one prediction block: every block must be right.
    np.testing.assert_allclose(est.predict(Xs), est.predict(Xs.toarray()), rtol=1e-10)
    with pytest.raises(ValueError, match="input_noise would fill sparse input"):
        RegularizedMLPRegressor(input_noise=0.1).fit(Xs, y)


@pytest.mark.parametrize(
    "ours, theirs",
    [(RegularizedMLPClassifier, MLPClassifier), (RegularizedMLPRegressor, MLPRegressor)],
)
def test_every_sklearn_parameter_default_and_method_is_there(ours, theirs):
    import inspect

    sk_params, our_params = theirs().get_params(), ours().get_params()
    assert {k: our_params.get(k, "missing") for k in sk_params} == sk_params
    public = [m for m in dir(theirs) if not m.startswith("_") and callable(getattr(theirs, m))]
    for name in public:
        assert hasattr(ours, name), name
        if name in ("fit", "partial_fit", "predict", "predict_proba", "score"):
            our_sig = inspect.signature(getattr(ours, name)).parameters
            their_sig = inspect.signature(getattr(theirs, name)).parameters
            # Every parameter of theirs, in the same place with the same default;
            # anything added is keyword-only and optional.
            assert list(our_sig)[: len(their_sig)] == list(their_sig), name
            for p in their_sig:
                assert our_sig[p].default == their_sig[p].default, (name, p)
                assert our_sig[p].kind == their_sig[p].kind, (name, p)
            for p in list(our_sig)[len(their_sig) :]:
                assert our_sig[p].kind == inspect.Parameter.KEYWORD_ONLY, (name, p)
                assert our_sig[p].default is not inspect.Parameter.empty, (name, p)


# --------------------------------------------------------------------------
# Without a hidden layer, the L1 and group penalties are scikit-learn's Lasso
# and MultiTaskLasso, whatever the solver
# --------------------------------------------------------------------------


def standardized_regression(n_targets):
    X, y = make_regression(
        n_samples=100,
        n_features=10,
        n_informative=4,
        n_targets=n_targets,
        noise=5.0,
        random_state=0,
    )
    X = (X - X.mean(0)) / X.std(0)
    return X, (y - y.mean(0)) / y.std(0)


FULL_BATCH_SGD = [
    dict(momentum=0.0),
    dict(momentum=0.9, nesterovs_momentum=False),
    dict(momentum=0.9, nesterovs_momentum=True),
]


def full_batch_fixed_point(X, y, **params):
    """A network without hidden layer trained by full-batch SGD until its
    iteration has settled: the minimizer of J."""
    return RegularizedMLPRegressor(
        hidden_layer_sizes=(),
        solver="sgd",
        batch_size=len(X),
        learning_rate_init=0.01,
        max_iter=20_000,
        tol=0.0,
        n_iter_no_change=10**9,
        shuffle=False,
        random_state=0,
        **params,
    ).fit(X, y)


@pytest.mark.parametrize("momentum", FULL_BATCH_SGD, ids=["plain", "heavy_ball", "nesterov"])
def test_l1_without_hidden_layer_is_lasso(momentum):
    """J = mean half squared error + alpha * |w|_1 is Lasso's objective: the
    proximal SGD iteration, with momentum too, must settle at its minimizer."""
    from sklearn.linear_model import Lasso

    X, y = standardized_regression(1)
    alpha = 0.05
    expected = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y).coef_
    est = full_batch_fixed_point(X, y, penalty="l1", alpha=alpha, **momentum)
    assert np.sum(expected == 0) >= 3  # the penalty binds
    np.testing.assert_allclose(est.coefs_[0].ravel(), expected, atol=1e-8)
    np.testing.assert_array_equal(est.coefs_[0].ravel() == 0, expected == 0)


@pytest.mark.parametrize("momentum", FULL_BATCH_SGD, ids=["plain", "heavy_ball", "nesterov"])
def test_group_lasso_without_hidden_layer_is_multitask_lasso(momentum):
    """Two outputs: skreg's J = (1 / 2n) ||Y - XW||^2 / 2 + group_alpha *
    sqrt(2) * sum of row norms, MultiTaskLasso's objective with alpha =
    2 sqrt(2) group_alpha, up to a factor 2."""
    from sklearn.linear_model import MultiTaskLasso

    X, Y = standardized_regression(2)
    group_alpha = 0.02
    expected = MultiTaskLasso(alpha=2 * np.sqrt(2) * group_alpha, tol=1e-12, max_iter=100_000)
    expected = expected.fit(X, Y).coef_.T
    est = full_batch_fixed_point(X, Y, penalty=None, group_alpha=group_alpha, **momentum)
    assert np.sum(~expected.any(axis=1)) >= 2  # whole rows removed
    np.testing.assert_allclose(est.coefs_[0], expected, atol=1e-8)
    np.testing.assert_array_equal(~est.coefs_[0].any(axis=1), ~expected.any(axis=1))
