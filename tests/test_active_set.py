"""Skipping the input features and hidden units the penalty removed
(skreg._active_set)."""

import copy

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

import skreg._active_set as A
import skreg._config as C
import skreg._engine
import skreg._kernels as K
import skreg._training
from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

import naive as N
from conftest import settings_record


@pytest.fixture(autouse=True)
def active_set_on_small_data(monkeypatch):
    """The tests' 400 rows train on the active set (which the trainer
    keeps for larger data, where it pays)."""
    monkeypatch.setattr(skreg._training, "ACTIVE_SET_MIN_ROWS", 0)


@pytest.fixture(scope="module")
def four_of_forty():
    X, y = make_classification(
        n_samples=400, n_features=40, n_informative=4, n_redundant=0, shuffle=False, random_state=0
    )
    return StandardScaler().fit_transform(X), y


def heavy_on_noise(**params):
    """A network whose group term on the 36 noise features is 300 times
    stronger: they go in the first epochs and their gradients stay far below
    the threshold, so that they never come back."""
    weights = np.full(40, 300.0)
    weights[:4] = 1.0
    settings = dict(
        hidden_layer_sizes=(16,),
        group_alpha=[2e-3, 0.0],
        group_weights=weights,
        max_iter=40,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
    )
    return RegularizedMLPClassifier(**{**settings, **params})


@pytest.fixture
def reduced_epochs(monkeypatch):
    """The layer widths of each epoch run on a reduced problem."""
    widths = []
    problem = A.ActiveSet.problem

    def record(self, order, moments, learning_rate):
        reduced = problem(self, order, moments, learning_rate)
        if reduced is not None:
            widths.append(reduced.units)
        return reduced

    monkeypatch.setattr(A.ActiveSet, "problem", record)
    return widths


def without_skipping(monkeypatch):
    monkeypatch.setattr(A, "MIN_REMOVED_SHARE", 2.0)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_skipping_gives_the_model_training_every_feature_gives(
    four_of_forty, reduced_epochs, monkeypatch, solver, kind
):
    X, y = four_of_forty
    X_fit = sp.csr_matrix(X) if kind == "csr" else X
    params = dict(solver=solver, penalty="l1", alpha=1e-4)
    skipping = heavy_on_noise(**params).fit(X_fit, y)
    # most noise features were skipped (a few removed ones may ride along)
    assert reduced_epochs and min(units[0] for units in reduced_epochs) <= 6
    with monkeypatch.context() as patch:
        without_skipping(patch)
        full = heavy_on_noise(**params).fit(X_fit, y)
    assert skipping.n_features_selected_ == full.n_features_selected_ == 4
    for a, b in zip(skipping.coefs_ + skipping.intercepts_, full.coefs_ + full.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(skipping.loss_curve_, full.loss_curve_, rtol=1e-9)


def test_a_removed_feature_comes_back_when_its_gradient_beats_the_threshold(
    four_of_forty, reduced_epochs, monkeypatch
):
    X, y = four_of_forty
    est = heavy_on_noise().fit(X, y)
    est.coefs_[0][0] = 0.0  # remove an informative feature by hand
    est.set_params(warm_start=True, max_iter=5)
    reduced_epochs.clear()
    est.fit(X, y)
    assert reduced_epochs  # trained on reduced problems ...
    assert np.any(est.coefs_[0][0])  # ... and feature 0 came back

    # Without the check the feature would have stayed out.
    monkeypatch.setattr(
        A.ActiveSet,
        "_still_removed",
        lambda self, removed, order: removed,
    )
    again = heavy_on_noise().fit(X, y)
    again.coefs_[0][0] = 0.0
    again.set_params(warm_start=True, max_iter=5).fit(X, y)
    assert not np.any(again.coefs_[0][0])


@pytest.mark.parametrize("params", [{}, dict(penalty="l1", alpha=1e-4)], ids=["group", "l1"])
def test_a_stable_active_set_is_checked_less_often(
    four_of_forty, reduced_epochs, monkeypatch, params
):
    """Once the removed features keep passing their check, it runs every
    second epoch, then every fourth (``MAX_CHECK_INTERVAL``), never less
    often; the model is the one training every feature gives.  With L1 the
    hidden layer has removed units too, too few to skip: they do not count
    as a change."""
    X, y = four_of_forty
    checked = []
    still_removed = A.ActiveSet._still_removed

    def record(self, removed, order):
        checked.append(len(reduced_epochs))  # the reduced epochs before this one
        return still_removed(self, removed, order)

    monkeypatch.setattr(A.ActiveSet, "_still_removed", record)
    skipping = heavy_on_noise(**params).fit(X, y)
    assert len(reduced_epochs) > 20
    gaps = np.diff(checked + [len(reduced_epochs)])
    assert gaps.max() == A.MAX_CHECK_INTERVAL
    assert len(checked) < len(reduced_epochs) / 2
    with monkeypatch.context() as patch:
        without_skipping(patch)
        full = heavy_on_noise(**params).fit(X, y)
    for a, b in zip(skipping.coefs_, full.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_the_check_comes_sooner_after_any_change():
    """The schedule: checks 2, then 4 epochs apart while nothing comes back; the
    next epoch again when a row came back, or when the removed rows are not
    those the last check left."""
    removed = [np.array([True, True, False]), None]
    schedule = A.CheckSchedule()
    due = []
    for _ in range(12):
        due.append(schedule.due(removed))
        if due[-1]:
            schedule.checked(removed, removed)
    assert due == [True, False, True, False, False, False, True, False, False, False, True, False]
    came_back = [np.array([True, False, False]), None]
    schedule.checked(removed, came_back)  # one row came back
    assert schedule.due(came_back)
    schedule.checked(came_back, came_back)
    assert not schedule.due(came_back)
    assert schedule.due(removed)  # one more removed: checked at once


def all_removed(Est, **params):
    """``heavy_on_noise`` with every feature's group term 300 times stronger:
    all 40 go in the first epochs and the network becomes a constant one."""
    settings = heavy_on_noise(group_weights=np.full(40, 300.0), **params).get_params()
    return Est(**{k: v for k, v in settings.items() if k in Est().get_params()})


def fit_both_ways(Est, X, y, monkeypatch, est=None, full=None, **params):
    """The same fit with the active set and without it (fresh, or going on
    from ``est`` and ``full`` with ``warm_start``)."""
    est = all_removed(Est, **params) if est is None else est.set_params(**params)
    est.fit(X, y)
    with monkeypatch.context() as patch:
        without_skipping(patch)
        full = all_removed(Est, **params) if full is None else full.set_params(**params)
        full.fit(X, y)
    return est, full


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
def test_a_network_without_inputs_trains_on_one_column_to_the_same_model(
    four_of_forty, reduced_epochs, monkeypatch, Est
):
    X, labels = four_of_forty
    y = labels if Est is RegularizedMLPClassifier else X[:, :4].sum(axis=1)
    est, full = fit_both_ways(Est, X, y, monkeypatch)
    assert est.n_features_selected_ == full.n_features_selected_ == 0
    assert reduced_epochs and min(units[0] for units in reduced_epochs) == 1
    for a, b in zip(est.coefs_ + est.intercepts_, full.coefs_ + full.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(est.loss_curve_, full.loss_curve_, rtol=1e-9)

    reduced_epochs.clear()  # refitted: it goes on from the constant network
    est, full = fit_both_ways(Est, X, y, monkeypatch, est, full, warm_start=True, max_iter=5)
    assert len(reduced_epochs) == 5 and all(units[0] == 1 for units in reduced_epochs)
    for a, b in zip(est.coefs_ + est.intercepts_, full.coefs_ + full.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_a_removed_block_of_a_network_without_inputs_is_kept_whole():
    blocks = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    everything = np.ones(8, dtype=bool)
    np.testing.assert_array_equal(
        A.keep_one_block(everything, blocks), [True, True, True, False, False, True, True, True]
    )
    np.testing.assert_array_equal(
        A.keep_one_block(everything, np.zeros(0, dtype=np.int64)), [False] + [True] * 7
    )
    some = np.array([True, False] * 4)
    assert A.keep_one_block(some, blocks) is some


@pytest.mark.parametrize("Est", [RegularizedMLPClassifier, RegularizedMLPRegressor])
@pytest.mark.parametrize("kind", ["dense", "csr"])
@pytest.mark.parametrize("layer", [0, 1])
def test_a_constant_network_predicts_from_one_row(four_of_forty, monkeypatch, Est, kind, layer):
    X, labels = four_of_forty
    y = labels if Est is RegularizedMLPClassifier else X[:, 0]
    est = Est(hidden_layer_sizes=(16, 8), max_iter=5, random_state=0).fit(X, y)
    est.coefs_[layer][:] = 0.0  # no input reaches the output
    out = "logistic" if Est is RegularizedMLPClassifier else "identity"
    expected = N.naive_predict(X, est.coefs_, est.intercepts_, "relu", out)
    rows = []
    predict = skreg._engine.predict

    def record(chunks, n_rows, *args):
        rows.append(n_rows)
        return predict(chunks, n_rows, *args)

    monkeypatch.setattr(skreg._engine, "predict", record)
    X_pred = sp.csr_matrix(X) if kind == "csr" else X
    got = est.predict_proba(X_pred)[:, 1:] if out == "logistic" else est.predict(X_pred)[:, None]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert rows == [1]


def test_no_skipping_with_input_dropout_or_noise_or_without_a_sparsifying_term():
    assert A.applies(C.regularization(2, group_alpha=[1e-3, 0.0]))
    assert A.applies(C.regularization(2, penalty="l1", alpha=1e-3))
    assert A.applies(C.regularization(2, group_alpha=[0.0, 1e-3], penalty="l2", alpha=1e-3))
    for params in (
        dict(group_alpha=[1e-3, 0.0], input_dropout=0.1),
        dict(group_alpha=[1e-3, 0.0], input_noise=0.1),
        dict(group_alpha=[0.0, 1e-3], penalty="l2", alpha=1e-3, dropout=0.1),
        dict(penalty="l2", alpha=1e-3),
    ):
        assert not A.applies(C.regularization(2, **params)), params


@pytest.mark.parametrize(
    "params, expected",
    [
        (dict(penalty="l1", alpha=1e-3), [True, True, True]),
        (dict(penalty="l1", alpha=[0.0, 1e-3, 1e-3]), [False, True, True]),
        # a group term on the incoming weights' rows asks for L1 there too
        (dict(penalty="l2", alpha=1e-3, group_alpha=[0.0, 1e-3, 1e-3]), [False, True, False]),
        (dict(penalty="l2", alpha=1e-3, group_alpha=1e-3), [True, False, False]),
        (dict(penalty="l1", alpha=[1e-3, 0.0, 0.0], group_alpha=1e-3), [True, True, False]),
        (dict(penalty="l1", alpha=1e-3, dropout=[0.0, 0.2]), [True, True, False]),
        (dict(penalty="l1", alpha=1e-3, input_dropout=0.2), [False, True, True]),
        (dict(penalty="l1", alpha=1e-3, l1_method="subgradient"), [True, False, False]),
    ],
)
def test_which_layers_may_leave_units_out(params, expected):
    np.testing.assert_array_equal(A.skippable_layers(C.regularization(3, **params)), expected)


@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_predict_leaves_removed_features_out(four_of_forty, monkeypatch, kind):
    X, y = four_of_forty
    est = heavy_on_noise().fit(X, y)
    assert est.n_features_selected_ == 4
    columns, coefs, intercepts, _ = A.reduced_network(est.coefs_, est.intercepts_)
    np.testing.assert_array_equal(columns, np.arange(4))
    monkeypatch.setattr(A, "PREDICT_CHUNK_ROWS", 150)  # several chunks
    X_pred = sp.csr_matrix(X) if kind == "csr" else X
    expected = N.naive_predict(X, est.coefs_, est.intercepts_, "relu", "logistic")[:, 0]
    np.testing.assert_allclose(est.predict_proba(X_pred)[:, 1], expected, rtol=1e-12)
    with monkeypatch.context() as patch:
        without_skipping(patch)
        assert A.reduced_network(est.coefs_, est.intercepts_)[0] is None
        np.testing.assert_allclose(est.predict_proba(X_pred)[:, 1], expected, rtol=1e-12)


@pytest.mark.parametrize("kind", ["dense", "csr"])
@pytest.mark.parametrize("loss", ["softmax", "identity"])
def test_removed_rows_gradient_matches_numpy(kind, loss):
    rng = np.random.default_rng(0)
    n, units = K.BLOCK_ROWS + 37, [10, 6, 5, 3]  # two row blocks, two hidden layers
    X = rng.normal(size=(n, units[0]))
    X[rng.random(X.shape) < 0.3] = 0.0
    Y = np.eye(3)[rng.integers(0, 3, n)] if loss == "softmax" else rng.normal(size=(n, 3))
    sw = rng.uniform(0.5, 2.0, n)
    coefs = [rng.normal(size=(a, b)) for a, b in zip(units[:-1], units[1:])]
    intercepts = [rng.normal(size=b) for b in units[1:]]
    removed = np.array([1, 4, 7])
    kept = np.setdiff1d(np.arange(units[0]), removed)
    coefs[0][removed] = 0.0

    # and the first hidden layer's units 0 and 2: their outgoing rows are
    # zero, their incoming weights not
    units_out = np.array([0, 2])
    coefs[1][units_out] = 0.0

    # NumPy: the full network, whose removed rows are zero
    logits = N.naive_logits(X, coefs, intercepts, "tanh")
    delta = N.naive_output_delta(logits, Y, sw, loss)
    _, _, deltas = N.naive_backward(X, coefs, intercepts, "tanh", delta)
    full_gradient = N.naive_data_gradient(X, Y, sw, coefs, intercepts, "tanh", loss)[0]
    expected = X[:, removed].T @ deltas[0]
    np.testing.assert_allclose(expected, full_gradient[0][removed], rtol=1e-12)
    activations = np.tanh(X @ coefs[0] + intercepts[0])[:, units_out]
    np.testing.assert_allclose(full_gradient[1][units_out], activations.T @ deltas[1], rtol=1e-12)

    kept_units = np.setdiff1d(np.arange(units[1]), units_out)
    as_kind = sp.csr_matrix if kind == "csr" else np.ascontiguousarray
    reduced_units = np.array([kept.size, kept_units.size, *units[2:]], dtype=np.int64)
    checks = K.ActiveSetChecks(
        inputs_gradient=np.empty((removed.size, kept_units.size)),
        inputs_scatter=np.empty(removed.size),
        units_gradient=np.empty(units_out.size * units[2]),
        units_scatter=np.empty(units_out.size),
    )
    left_out = K.RemovedUnits(
        weights=np.ascontiguousarray(coefs[0][np.ix_(kept, units_out)]).ravel(),
        intercepts=intercepts[0][units_out],
        counts=np.array([0, units_out.size, 0], dtype=np.int64),
    )
    reduced_coefs = [coefs[0][np.ix_(kept, kept_units)], coefs[1][kept_units], coefs[2]]
    K.removed_rows_gradient(
        C.input_matrix(as_kind(X[:, kept]), np.float64),
        C.input_matrix(as_kind(X[:, removed]), np.float64),
        Y,
        sw,
        N.pack(reduced_coefs, [intercepts[0][kept_units], *intercepts[1:]]),
        reduced_units,
        settings_record(activation="tanh", loss=loss),
        left_out,
        checks,
    )
    np.testing.assert_allclose(
        checks.inputs_gradient, expected[:, kept_units], rtol=1e-10, atol=1e-14
    )
    expected_noise = (X[:, removed] ** 2).T @ np.sum(deltas[0][:, kept_units] ** 2, axis=1)
    np.testing.assert_allclose(checks.inputs_scatter, expected_noise, rtol=1e-10)
    np.testing.assert_allclose(
        checks.units_gradient.reshape(units_out.size, units[2]),
        full_gradient[1][units_out],
        rtol=1e-10,
    )
    expected_scatter = (activations**2).T @ np.sum(deltas[1] ** 2, axis=1)
    np.testing.assert_allclose(checks.units_scatter, expected_scatter, rtol=1e-10)


# -- hidden units -------------------------------------------------------------


LEAN = {
    # L1 on the incoming weights zeroes the columns of hidden units whose
    # outgoing weights the heavier terms of the output layer zeroed
    "adam": dict(alpha=[0.01, 0.03], group_alpha=[0.01, 0.03], max_iter=40),
    "sgd": dict(
        alpha=[0.02, 0.01],
        group_alpha=[0.01, 0.03],
        learning_rate_init=0.05,
        momentum=0.5,
        max_iter=45,
    ),
}


def lean_network(solver="adam", **params):
    """A network whose L1 and group terms remove most noise features and
    more than a quarter of its 32 hidden units (incoming and outgoing
    weights zero) while training, and keep a quarter or more of them."""
    settings = dict(
        hidden_layer_sizes=(32,),
        solver=solver,
        penalty="l1",
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
        **LEAN[solver],
    )
    return RegularizedMLPClassifier(**{**settings, **params})


def removed_units(est):
    """The hidden units whose incoming and outgoing weights are all zero."""
    W_in, W_out = est.coefs_
    return np.flatnonzero(~np.any(W_in != 0, axis=0) & ~np.any(W_out != 0, axis=1))


def assert_same_model(a, b):
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(p, q, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_leaving_hidden_units_out_gives_the_model_training_every_unit_gives(
    four_of_forty, reduced_epochs, monkeypatch, solver
):
    X, y = four_of_forty
    lean = lean_network(solver=solver).fit(X, y)
    # epochs ran without a quarter or more of the hidden units
    assert sum(units[1] <= 24 for units in reduced_epochs) >= 3
    assert removed_units(lean).size >= 8
    assert np.sum(np.any(lean.coefs_[1] != 0, axis=1)) >= 8
    with monkeypatch.context() as patch:
        without_skipping(patch)
        full = lean_network(solver=solver).fit(X, y)
    # The left-out units' intercepts (moved by momentum alone in full
    # training) are replayed, and the group threshold of the rows that lost
    # columns is kept: both are checked here.
    assert_same_model(lean, full)
    np.testing.assert_allclose(lean.loss_curve_, full.loss_curve_, rtol=1e-9)


def one_more_epoch(est, X, y):
    """A copy of ``est`` trained one more epoch (``partial_fit``: it goes on
    with the optimizer's moments, where ``fit`` with ``warm_start`` starts a
    new optimizer, as scikit-learn's does)."""
    return copy.deepcopy(est).partial_fit(X, y)


def test_a_unit_whose_momentum_would_move_its_incoming_weights_is_trained(
    four_of_forty, monkeypatch
):
    X, y = four_of_forty
    est = lean_network().fit(X, y)
    unit = removed_units(est)[0]
    # Adam's first moment of the unit's incoming weights, above the L1
    # strength (0.01): the next step takes them off zero in full training.
    first_moment = est._optimizer_state["moments"][0]
    first_moment[np.arange(40) * 32 + unit] = 0.05
    with monkeypatch.context() as patch:
        without_skipping(patch)
        full = one_more_epoch(est, X, y)
    assert np.any(full.coefs_[0][:, unit])
    assert_same_model(one_more_epoch(est, X, y), full)
    # Without the moment condition the unit would have been left out, and
    # its incoming weights would have missed the group term of their rows.
    monkeypatch.setattr(A, "MOMENT_MARGIN", np.inf)
    left_out = one_more_epoch(est, X, y)
    assert not np.allclose(left_out.coefs_[0][:, unit], full.coefs_[0][:, unit], rtol=1e-3)


def test_a_removed_unit_comes_back_when_its_gradient_beats_the_threshold(
    four_of_forty, monkeypatch
):
    X, y = four_of_forty
    est = lean_network(activation="tanh").fit(X, y)
    removed = removed_units(est)
    assert removed.size >= 8
    # a removed unit outputs tanh(b); the one with the largest |tanh(b)|
    unit = removed[np.argmax(np.abs(np.tanh(est.intercepts_[0][removed])))]
    # With the output intercept far off, the mean output delta is large, and
    # so is the gradient of the unit's outgoing weight, tanh(b) times it.
    # Adam's moment takes a few epochs (two batches each) to carry the
    # weight past the L1 threshold.
    est.intercepts_[1] += 3.0
    est.set_params(warm_start=True, max_iter=10)
    assert np.any(copy.deepcopy(est).fit(X, y).coefs_[1][unit])
    # Without the check the unit would have stayed out.
    monkeypatch.setattr(A.ActiveSet, "_still_removed", lambda self, removed, order: removed)
    assert not np.any(copy.deepcopy(est).fit(X, y).coefs_[1][unit])


@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_predict_leaves_removed_hidden_units_out(four_of_forty, kind):
    X, y = four_of_forty
    est = lean_network().fit(X, y)
    columns, coefs, intercepts, _ = A.reduced_network(est.coefs_, est.intercepts_)
    kept_units = np.flatnonzero(np.any(est.coefs_[1] != 0, axis=1))
    assert coefs[1].shape[0] == kept_units.size <= 24
    np.testing.assert_array_equal(intercepts[0], est.intercepts_[0][kept_units])
    X_pred = sp.csr_matrix(X) if kind == "csr" else X
    expected = N.naive_predict(X, est.coefs_, est.intercepts_, "relu", "logistic")[:, 0]
    np.testing.assert_allclose(est.predict_proba(X_pred)[:, 1], expected, rtol=1e-12)


GROUP_PRUNING = {
    "adam": dict(solver="adam", group_alpha=[0.0, 0.1]),
    "adam, max-norm, decay": dict(
        solver="adam", group_alpha=[0.0, 0.1], max_norm=1.0, weight_decay=0.01
    ),
    # one batch per epoch: the sampled check then sees the whole gradient
    # (with several, SGD's minibatch gradients let units back for single
    # steps in full training: docs/design.rst, "Active set")
    "sgd": dict(solver="sgd", group_alpha=[0.0, 0.03], learning_rate_init=0.05, batch_size=400),
    "sgd, elastic net, max-norm, decay": dict(
        solver="sgd",
        group_alpha=[0.0, 0.03],
        learning_rate_init=0.05,
        batch_size=400,
        penalty="elasticnet",
        alpha=1e-3,
        max_norm=1.0,
        weight_decay=0.01,
    ),
}


@pytest.mark.parametrize("case", list(GROUP_PRUNING))
def test_units_pruned_by_group_lasso_alone_are_left_out_with_the_same_model(
    four_of_forty, reduced_epochs, monkeypatch, case
):
    """The group term on the hidden layer's outgoing rows zeroes them, while
    the units' incoming weights stay non-zero: left out, those weights are
    updated by ``K.coast`` as full training updates them."""
    X, y = four_of_forty
    settings = dict(
        hidden_layer_sizes=(32,), max_iter=40, tol=0.0, n_iter_no_change=10**6, random_state=0
    )
    settings.update(GROUP_PRUNING[case])
    pruned = RegularizedMLPClassifier(**settings).fit(X, y)
    assert sum(units[1] <= 24 for units in reduced_epochs) >= 10
    dead = ~np.any(pruned.coefs_[1] != 0, axis=1)
    assert np.sum(np.any(pruned.coefs_[0][:, dead] != 0, axis=0)) >= 8
    with monkeypatch.context() as patch:
        without_skipping(patch)
        full = RegularizedMLPClassifier(**settings).fit(X, y)
    assert_same_model(pruned, full)
    np.testing.assert_allclose(pruned.loss_curve_, full.loss_curve_, rtol=1e-9)
