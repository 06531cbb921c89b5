"""The regularizers beyond L1/L2 through the public estimators: group lasso,
sparsity reporting, prune(), dropout, input noise and max-norm."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

import skreg._config as C
import skreg._kernels as K
from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

import naive as N


@pytest.fixture(scope="module")
def few_informative():
    """Six informative features first, then 14 pure-noise features."""
    X, y = make_classification(
        n_samples=400,
        n_features=20,
        n_informative=6,
        n_redundant=0,
        n_repeated=0,
        shuffle=False,
        class_sep=1.5,
        random_state=0,
    )
    return X, y


def test_one_sgd_step_with_group_alpha_is_block_soft_thresholding():
    X, y = make_classification(
        n_samples=40, n_features=5, n_classes=3, n_informative=3, random_state=0
    )
    lr, group_alpha = 0.2, np.array([0.4, 0.1])
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(4,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        batch_size=40,
        shuffle=False,
        learning_rate_init=lr,
        penalty=None,
        group_alpha=group_alpha,
        random_state=0,
    )
    est.partial_fit(X, y, classes=[0, 1, 2])
    rng = np.random.RandomState(0)
    coefs = [rng.normal(size=(5, 4)), rng.normal(size=(4, 3))]
    coefs[0][1] *= 0.01  # a row small enough to be zeroed
    intercepts = [rng.normal(size=4), rng.normal(size=3)]
    est.coefs_ = [W.copy() for W in coefs]
    est.intercepts_ = [b.copy() for b in intercepts]
    est.partial_fit(X, y)

    Y = np.eye(3)[y]
    grads_W, _ = N.naive_data_gradient(X, Y, np.ones(40), coefs, intercepts, "tanh", "softmax")
    for l in range(2):
        stepped = coefs[l] - lr * grads_W[l]
        expected = N.naive_prox_group_rows(stepped, np.full(stepped.shape[0], lr), group_alpha[l])
        np.testing.assert_allclose(est.coefs_[l], expected, rtol=1e-10, atol=1e-13)
    assert np.all(est.coefs_[0][1] == 0)
    assert not est.active_units_[0][1]


def test_large_group_alpha_removes_noise_features_and_units(few_informative):
    X, y = few_informative
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(16,),
        penalty=None,
        group_alpha=3e-2,
        max_iter=300,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    active = est.active_units_[0]
    assert est.score(X, y) > 0.9
    # Every noise feature is switched off, most signal features kept.
    assert not np.any(active[6:])
    assert np.sum(active[:6]) >= 4
    assert est.n_features_selected_ == np.sum(active)
    assert np.sum(est.active_units_[1]) < 16
    assert est.sparsity_[0] == pytest.approx(np.mean(est.coefs_[0] == 0))


def test_prune_keeps_predictions_and_removes_exactly_the_inactive_units(few_informative):
    X, y = few_informative
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(24, 12),
        penalty="l1",
        alpha=3e-3,
        group_alpha=0.01,
        max_iter=200,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    before = est.predict_proba(X)
    inactive = [~mask for mask in est.active_units_[1:]]
    dead_in = [~np.any(W != 0, axis=0) for W in est.coefs_[:-1]]
    assert sum(m.sum() for m in inactive) > 0
    expected_kept = [~(out | dead) for out, dead in zip(inactive, dead_in)]
    est.prune()
    assert [W.shape[1] for W in est.coefs_[:-1]] == [int(k.sum()) for k in expected_kept]
    np.testing.assert_allclose(est.predict_proba(X), before, rtol=1e-10, atol=1e-12)
    assert est.hidden_layer_sizes == (24, 12)
    # Every remaining hidden unit is active.
    assert all(mask.all() for mask in est.active_units_[1:])


@pytest.mark.parametrize("activation", N.ACTIVATION_PARAMS)
def test_prune_folds_constant_units_into_the_next_intercept(activation):
    """For every activation: a unit with no incoming weights outputs
    activation(b) for every row, folded into the next intercept; a unit with
    no outgoing weights is dropped."""
    X, y = make_classification(n_samples=50, n_features=4, random_state=0)
    est = RegularizedMLPClassifier(
        hidden_layer_sizes=(5, 4),
        max_iter=5,
        random_state=0,
        activation=activation,
        leaky_relu_slope=0.3,
    ).fit(X, y)
    est.coefs_[0][:, 2] = 0.0  # unit 2 now outputs activation(b) for every row
    est.intercepts_[0][2] = -0.7  # where every activation differs from relu
    est.coefs_[1][:, 1] = 0.0  # second layer, unit 1: constant too
    est.coefs_[2][3, :] = 0.0  # second layer, unit 3: no outgoing weights
    before = est.predict_proba(X)
    est.prune()
    assert [W.shape for W in est.coefs_] == [(4, 4), (4, 2), (2, 1)]
    np.testing.assert_allclose(est.predict_proba(X), before, rtol=1e-10, atol=1e-12)


def test_partial_fit_goes_on_from_a_pruned_network():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    est = RegularizedMLPClassifier(hidden_layer_sizes=(6,), random_state=0)
    est.partial_fit(X, y, classes=[0, 1])
    est.coefs_[1][0] = 0.0
    est.prune().partial_fit(X, y)
    assert est.coefs_[0].shape == (4, 5)


def test_dropout_predictions_deterministic_fit_differs_seed_reproduces():
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    params = dict(hidden_layer_sizes=(16, 8), max_iter=10, random_state=0)
    plain = RegularizedMLPClassifier(**params).fit(X, y)
    dropped = RegularizedMLPClassifier(dropout=[0.5, 0.2], input_dropout=0.1, **params).fit(X, y)
    again = RegularizedMLPClassifier(dropout=[0.5, 0.2], input_dropout=0.1, **params).fit(X, y)
    assert not np.allclose(plain.coefs_[0], dropped.coefs_[0])
    for a, b in zip(dropped.coefs_, again.coefs_):
        np.testing.assert_array_equal(a, b)
    # Prediction drops nothing: it is the plain forward pass of the weights.
    expected = N.naive_predict(X, dropped.coefs_, dropped.intercepts_, "relu", "logistic")
    np.testing.assert_allclose(dropped.predict_proba(X)[:, 1], expected[:, 0], rtol=1e-12)


def _weights(est):
    return np.concatenate([a.ravel() for a in est.coefs_ + est.intercepts_])


def _update_change(weights):
    """How much the second update differs from the first, relative to it:
    about 1e-6 when both draw the same masks (tiny steps), order 1 otherwise."""
    first, second = np.diff(weights, axis=0)
    return np.linalg.norm(second - first) / np.linalg.norm(first)


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
@pytest.mark.parametrize(
    "noise", [dict(dropout=0.5), dict(input_dropout=0.5), dict(input_noise=1.0)]
)
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_calls_that_go_on_draw_fresh_masks_and_noise(Est, noise, how):
    # Each epoch of a fit draws new masks; so must each call that goes on
    # from the last one (reseeded, every call drew the first call's again).
    X, y = make_classification(n_samples=60, n_features=6, random_state=0)
    y = y if Est is RegularizedMLPClassifier else y * 1.0
    params = dict(
        hidden_layer_sizes=(5,),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=1e-6,
        batch_size=60,
        random_state=0,
        **noise,
    )

    def three_calls():
        if how == "partial_fit":
            est = Est(**params)
            extra = dict(classes=[0, 1]) if Est is RegularizedMLPClassifier else {}
            steps = [lambda: est.partial_fit(X, y, **extra)] + [lambda: est.partial_fit(X, y)] * 2
        else:
            est = Est(warm_start=True, max_iter=1, tol=0.0, **params)
            steps = [lambda: est.fit(X, y)] * 3
        return np.array([_weights(step()) for step in steps])

    weights = three_calls()
    assert _update_change(weights) > 1e-2
    np.testing.assert_array_equal(three_calls(), weights)  # the seed still reproduces them


def test_dropout_keeps_expected_activation():
    """Mean over many masks of the training-mode hidden output equals the
    no-dropout activation (inverted dropout)."""
    rng = np.random.RandomState(0)
    pre = rng.normal(size=(4, 6))
    b = rng.normal(size=6)
    rate, draws = 0.3, 20000
    total = np.zeros_like(pre)
    dropped_share = 0.0
    for seed in range(draws // 100):
        K.seed_generator(seed)
        for _ in range(100):
            Z, D = pre.copy(), np.empty_like(pre)
            K.add_bias_activate(Z, D, b, C.ACTIVATIONS["tanh"], 0.0)
            K.apply_dropout(Z, D, rate)
            total += Z
            dropped_share += np.mean(Z == 0)
    expected = np.tanh(pre + b)
    std_err = np.abs(expected) * np.sqrt(rate / (1 - rate) / draws)
    assert np.all(np.abs(total / draws - expected) < 5 * std_err + 1e-12)
    assert dropped_share / draws == pytest.approx(rate, abs=0.01)


def test_input_noise_changes_the_fit_and_is_reproducible():
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=1)
    plain = RegularizedMLPRegressor(**params).fit(X, y * 1.0)
    noisy = RegularizedMLPRegressor(input_noise=0.5, **params).fit(X, y * 1.0)
    again = RegularizedMLPRegressor(input_noise=0.5, **params).fit(X, y * 1.0)
    assert not np.allclose(plain.coefs_[0], noisy.coefs_[0])
    np.testing.assert_array_equal(noisy.coefs_[0], again.coefs_[0])


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_max_norm_bounds_every_column(solver):
    X, y = make_classification(n_samples=150, n_features=8, random_state=0)
    c = 0.5
    plain = RegularizedMLPClassifier(
        hidden_layer_sizes=(10, 6),
        solver=solver,
        learning_rate_init=0.05,
        max_iter=30,
        random_state=0,
        penalty=None,
    ).fit(X, y)
    bounded = RegularizedMLPClassifier(
        hidden_layer_sizes=(10, 6),
        solver=solver,
        learning_rate_init=0.05,
        max_iter=30,
        random_state=0,
        penalty=None,
        max_norm=c,
    ).fit(X, y)
    assert max(np.linalg.norm(W, axis=0).max() for W in plain.coefs_) > c
    for W in bounded.coefs_:
        assert np.all(np.linalg.norm(W, axis=0) <= c * (1 + 1e-12))


def test_max_norm_that_never_binds_changes_nothing():
    """max_norm draws no random numbers: with a bound no column reaches, the
    model is the one trained without it, shuffling included, bit for bit."""
    X, y = make_classification(n_samples=150, n_features=8, random_state=0)
    params = dict(hidden_layer_sizes=(10,), max_iter=5, random_state=0, shuffle=True)
    plain = RegularizedMLPClassifier(**params).fit(X, y)
    bounded = RegularizedMLPClassifier(max_norm=1e6, **params).fit(X, y)
    for a, b in zip(plain.coefs_ + plain.intercepts_, bounded.coefs_ + bounded.intercepts_):
        np.testing.assert_array_equal(a, b)
