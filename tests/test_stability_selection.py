"""StabilitySelection: the half-samples, the probabilities, the bound, the selector's API."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skreg import RegularizedMLPClassifier, RegularizedMLPClassifierCV, RegularizedMLPRegressor
from skreg.feature_selection import StabilitySelection, complementary_halves, stable_set
from skreg.inspection import StabilityPathDisplay

N_INFORMATIVE = {"classifier": 2, "regressor": 3}


def make_data(kind, n_samples=300, n_features=12, seed=0):
    """Features 0 and 1 act linearly on the target, feature 2 through a
    sine (weak for the classes), the others are noise."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features)
    z = 2 * X[:, 0] - 2 * X[:, 1] + 2 * np.sin(2 * X[:, 2]) + 0.3 * rng.randn(n_samples)
    return X, (z > 0).astype(int) if kind == "classifier" else z


def network(kind):
    cls = RegularizedMLPClassifier if kind == "classifier" else RegularizedMLPRegressor
    return cls(hidden_layer_sizes=(8,), max_iter=60, learning_rate_init=0.01)


def selector(kind, **params):
    settings = dict(alphas=5, n_resamples=4, max_false_selections=2.0, random_state=0)
    return StabilitySelection(network(kind), **{**settings, **params})


def quiet_fit(model, X, y, **fit_params):
    """Fit without the capped steps' warning (the tiny paths are capped on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


@pytest.fixture(scope="module", params=["classifier", "regressor"])
def fitted(request):
    kind = request.param
    X, y = make_data(kind)
    return kind, X, y, quiet_fit(selector(kind), X, y)


# --------------------------------------------------------------------------
# What a fit finds
# --------------------------------------------------------------------------


def test_informative_features_are_selected_and_noise_is_not(fitted):
    kind, _, _, model = fitted
    informative = N_INFORMATIVE[kind]
    assert model.support_[:informative].all()
    assert not model.support_[3:].any()
    assert model.stability_scores_[3:].mean() < 0.2


def test_attributes_have_their_shapes_and_ranges(fitted):
    _, X, _, model = fitted
    n_halves = 2 * model.n_resamples
    probabilities = model.selection_probabilities_
    assert probabilities.shape == (X.shape[1], len(model.alphas_))
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    # A share of the halves: a multiple of 1 / n_halves.
    np.testing.assert_allclose(probabilities * n_halves, np.round(probabilities * n_halves))
    assert np.all(np.diff(model.alphas_) > 0)
    assert model.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(model.support_, model.stability_scores_ >= model.threshold)
    # The bound for fewer (larger) rates is no larger; the one kept is within the limit.
    assert np.all(np.diff(model.false_selection_bounds_) <= 1e-12)
    assert model.expected_false_selections_ <= model.max_false_selections * (1 + 1e-9)
    assert model.alpha_min_ in model.alphas_
    considered = model.alphas_ >= model.alpha_min_
    np.testing.assert_array_equal(model.stability_scores_, probabilities[:, considered].max(axis=1))


def test_result_does_not_depend_on_n_jobs():
    X, y = make_data("classifier")
    one = quiet_fit(selector("classifier", n_jobs=1), X, y)
    two = quiet_fit(selector("classifier", n_jobs=2), X, y)
    np.testing.assert_array_equal(one.alphas_, two.alphas_)
    np.testing.assert_array_equal(one.selection_probabilities_, two.selection_probabilities_)


@pytest.mark.parametrize(
    "first, second", [("classifier", "regressor"), ("regressor", "classifier")]
)
def test_refit_replaces_every_attribute(first, second):
    pd = pytest.importorskip("pandas")
    X_1, y_1 = make_data(first)
    model = StabilitySelection(alphas=3, n_resamples=2, max_false_selections=None, random_state=0)
    model.set_params(estimator=network(first))
    frame = pd.DataFrame(X_1, columns=[f"f{j}" for j in range(X_1.shape[1])])
    quiet_fit(model, frame, y_1)
    assert list(model.feature_names_in_) == list(frame.columns)
    # Refitted as the other kind on fewer features, without names.
    X_2, y_2 = make_data(second, n_features=7)
    quiet_fit(model.set_params(estimator=network(second)), X_2, y_2)
    assert not hasattr(model, "feature_names_in_")
    assert model.n_features_in_ == 7
    assert model.selection_probabilities_.shape == (7, 3)
    fresh = quiet_fit(clone(model), X_2, y_2)
    np.testing.assert_array_equal(model.selection_probabilities_, fresh.selection_probabilities_)
    np.testing.assert_array_equal(model.support_, fresh.support_)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_default_estimator_follows_the_target(kind):
    X, y = make_data(kind, n_samples=80, n_features=4)
    model = StabilitySelection(alphas=2, n_resamples=1, max_false_selections=None, random_state=0)
    quiet_fit(model, X, y)
    assert model.selection_probabilities_.shape == (4, 2)


def test_regressor_target_unit_does_not_move_the_automatic_grid():
    X, y = make_data("regressor", n_samples=120, n_features=5)
    small = quiet_fit(selector("regressor", n_resamples=1), X, y)
    large = quiet_fit(selector("regressor", n_resamples=1), X, 1000 * y + 5)
    np.testing.assert_allclose(small.alphas_, large.alphas_, rtol=1e-6)


@pytest.mark.filterwarnings("ignore:No features were selected")  # transform's, expected
def test_no_rate_within_the_bound_selects_nothing_and_warns():
    X, y = make_data("regressor", n_samples=120, n_features=5)
    # Given rates so small that every half keeps every feature (no extension).
    model = selector("regressor", alphas=[1e-6, 1e-5], n_resamples=1, max_false_selections=1e-6)
    with pytest.warns(UserWarning, match="no feature is selected"):
        quiet_fit(model, X, y)
    assert model.alpha_min_ is None
    assert not model.support_.any()
    assert model.transform(X).shape == (120, 0)


# --------------------------------------------------------------------------
# The automatic grid extended upward
# --------------------------------------------------------------------------


def wide_selector(kind, **params):
    """A wider network, whose paths keep too many features at the top of
    the automatic grid for the default bound (it is above 1 there)."""
    model = selector(kind, **{"max_false_selections": 1.0, **params})
    return model.set_params(estimator=network(kind).set_params(hidden_layer_sizes=(64,)))


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_automatic_grid_is_extended_until_the_bound_is_met(kind):
    X, y = make_data(kind)
    unextended = quiet_fit(wide_selector(kind, max_false_selections=None), X, y)
    assert unextended.false_selection_bounds_[-1] > 1  # the first top is too weak
    model = quiet_fit(wide_selector(kind), X, y)
    n_rates = len(unextended.alphas_)
    assert n_rates < len(model.alphas_) <= 2 * n_rates
    # The extension goes on at the grid's log step, from the same paths.
    np.testing.assert_allclose(model.alphas_[:n_rates], unextended.alphas_)
    steps = np.diff(np.log(model.alphas_))
    np.testing.assert_allclose(steps, steps[0])
    np.testing.assert_array_equal(
        model.selection_probabilities_[:, :n_rates], unextended.selection_probabilities_
    )
    assert model.expected_false_selections_ <= 1
    assert model.support_[:2].all() and not model.support_[3:].any()
    # Refitted (after a fit on other data), it gives the same selection.
    fresh = model.alphas_, model.selection_probabilities_, model.support_
    quiet_fit(model, *make_data(kind, n_features=7, seed=1))
    quiet_fit(model, X, y)
    for refitted, first in zip(
        (model.alphas_, model.selection_probabilities_, model.support_), fresh
    ):
        np.testing.assert_array_equal(refitted, first)


@pytest.mark.filterwarnings("ignore:No features were selected")  # transform's, expected
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_extension_counts_blocks(kind):
    X, y = make_data(kind)
    model = wide_selector(kind)
    blocks = ["a", "b", "c"] + [f"noise{j // 3}" for j in range(9)]
    model.estimator.set_params(feature_groups=blocks)
    quiet_fit(model, X, y)
    # It stops at the first rate whose bound, with p = 6 blocks, is within 1.
    assert len(model.alphas_) > 5
    assert model.false_selection_bounds_[-1] <= 1 < model.false_selection_bounds_[-2]
    q = model.group_selection_probabilities_[:, -1].sum()  # one rate: the mean count
    assert model.false_selection_bounds_[-1] == pytest.approx(q**2 / (0.5 * 6))


@pytest.mark.filterwarnings("ignore:No features were selected")  # transform's, expected
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_given_rates_are_not_extended(kind):
    X, y = make_data(kind)
    grid = quiet_fit(wide_selector(kind, max_false_selections=None), X, y).alphas_
    model = wide_selector(kind, alphas=list(grid))
    with pytest.warns(UserWarning, match="no feature is selected"):
        quiet_fit(model, X, y)
    np.testing.assert_array_equal(model.alphas_, grid)
    assert model.alpha_min_ is None


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_extended_grid_does_not_depend_on_n_jobs(kind):
    X, y = make_data(kind)
    one = quiet_fit(wide_selector(kind, n_jobs=1), X, y)
    two = quiet_fit(wide_selector(kind, n_jobs=2), X, y)
    assert len(one.alphas_) > 5
    np.testing.assert_array_equal(one.alphas_, two.alphas_)
    np.testing.assert_array_equal(one.selection_probabilities_, two.selection_probabilities_)


# --------------------------------------------------------------------------
# The halves and the selection rule
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_samples", [40, 41])
def test_halves_are_complementary_stratified_pairs(n_samples):
    y = np.array([0] * 2 + [1] * 11 + [2] * (n_samples - 13))
    # Enough pairs that a row of the class of 2 comes first in some draw.
    halves = complementary_halves(y, 100, np.random.RandomState(0), classifier=True)
    assert len(halves) == 200
    for first, second in zip(halves[0::2], halves[1::2]):
        assert len(first) == len(second) == n_samples // 2
        assert not np.intersect1d(first, second).size
        for label in range(3):
            count_first, count_second = np.sum(y[first] == label), np.sum(y[second] == label)
            assert abs(count_first - count_second) <= 1
            assert count_first >= 1 and count_second >= 1


@pytest.mark.parametrize("n_samples", [40, 41])
def test_a_column_vector_class_target_is_stratified_as_a_1d_one(n_samples):
    # A rare class: unstratified halves miss it. The column (n, 1), which the
    # estimators take flattened with a warning, selects as the 1-D target.
    X, _ = make_data("classifier", n_samples=n_samples, n_features=4)
    y = (X[:, 0] > 0.8).astype(int)
    model = selector("classifier", alphas=3, n_resamples=3)
    flat = quiet_fit(clone(model), X, y)
    with pytest.warns(DataConversionWarning, match="column-vector y") as record:
        column = quiet_fit(model, X, y[:, None])
    assert sum(w.category is DataConversionWarning for w in record) == 1
    np.testing.assert_array_equal(column.selection_probabilities_, flat.selection_probabilities_)


def test_selection_rule_against_loops():
    rng = np.random.RandomState(0)
    active = rng.rand(6, 5, 7) < np.linspace(0.9, 0.1, 5)[None, :, None]
    threshold, limit = 0.75, 1.5
    chosen = stable_set(active, threshold, limit, np.arange(1.0, 6.0))
    n_halves, n_rates, n_features = active.shape
    bounds = []
    for k in range(n_rates):
        q = np.mean([active[h, k:].any(axis=0).sum() for h in range(n_halves)])
        bounds.append(q**2 / ((2 * threshold - 1) * n_features))
    np.testing.assert_allclose(chosen["false_selection_bounds_"], bounds)
    first = next(k for k in range(n_rates) if bounds[k] <= limit)
    assert chosen["alpha_min_"] == first + 1.0
    scores = active[:, first:].mean(axis=0).max(axis=0)
    np.testing.assert_allclose(chosen["stability_scores_"], scores)
    # A looser limit considers more rates: no score goes down.
    looser = stable_set(active, threshold, None, np.arange(1.0, 6.0))
    assert np.all(looser["stability_scores_"] >= chosen["stability_scores_"])


# --------------------------------------------------------------------------
# The selector in scikit-learn
# --------------------------------------------------------------------------


def test_pipeline_gives_the_selected_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = make_data("regressor")
    frame = pd.DataFrame(X, columns=[f"col_{j}" for j in range(X.shape[1])])
    pipe = make_pipeline(selector("regressor"), RegularizedMLPRegressor(max_iter=20))
    quiet_fit(pipe, frame, y)
    selected = pipe[0].get_feature_names_out()
    assert list(selected) == ["col_0", "col_1", "col_2"]
    assert pipe[-1].n_features_in_ == 3
    assert pipe.predict(frame).shape == (X.shape[0],)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(threshold=0.5), "'threshold' parameter"),
        (dict(threshold=1.2), "'threshold' parameter"),
        (dict(n_resamples=0), "'n_resamples' parameter"),
        (dict(n_resamples=True), "'n_resamples' parameter"),
        (dict(max_false_selections=0), "'max_false_selections' parameter"),
        (dict(alphas=0), "'alphas' parameter"),
        (dict(alphas=[-1.0, 1.0]), "'alphas' parameter"),
        (dict(eps=1.0), "'eps' parameter"),
        (dict(n_jobs=0), "'n_jobs' parameter"),
        (dict(path_param="dropout"), "'path_param' parameter"),
        (dict(estimator=LogisticRegression()), "'estimator' parameter"),
        (dict(estimator=RegularizedMLPClassifierCV()), "'estimator' parameter"),
        (dict(estimator=RegularizedMLPClassifier(early_stopping=True)), "early_stopping"),
        (dict(estimator=RegularizedMLPClassifier(solver="nope")), "'solver' parameter"),
        (
            dict(estimator=RegularizedMLPClassifier(penalty=None), path_param="alpha"),
            "penalty=None",
        ),
    ],
)
def test_bad_parameters_are_refused_and_leave_the_selector_as_it_was(params, message):
    X, y = make_data("classifier", n_samples=60, n_features=4)
    model = StabilitySelection(**params)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        model.transform(X)
    # A fitted selector keeps its fit when a refit fails.
    fitted = quiet_fit(selector("classifier", n_resamples=1, alphas=2), X, y)
    before = fitted.selection_probabilities_.copy()
    with pytest.raises(ValueError, match=message):
        fitted.set_params(**params).fit(X, y)
    np.testing.assert_array_equal(fitted.selection_probabilities_, before)


def test_a_class_too_small_for_both_halves_is_refused():
    X, y = make_data("classifier", n_samples=60, n_features=4)
    y[0] = 2  # one sample of class 2
    model = selector("classifier", n_resamples=1, alphas=2)
    with pytest.raises(ValueError, match=r"no sample of class\(es\) \[2\].*at least 2 samples"):
        model.fit(X, y)
    assert not hasattr(model, "support_")


def test_a_target_of_one_class_is_refused_fresh_and_refitted():
    X, y = make_data("classifier", n_samples=60, n_features=4)
    one_class = np.zeros_like(y)
    message = "at least 2 classes in the data, but y contains only one class: 0"
    model = selector("classifier", n_resamples=1, alphas=2)
    with pytest.raises(ValueError, match=message):
        model.fit(X, one_class)
    assert not hasattr(model, "support_")
    before = quiet_fit(model, X, y).selection_probabilities_.copy()
    with pytest.raises(ValueError, match=message):
        model.fit(X, one_class)
    np.testing.assert_array_equal(model.selection_probabilities_, before)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_halves_of_one_row_are_refused(kind):
    X, y = make_data(kind, n_samples=3, n_features=4)
    y[:] = [0, 1, 1] if kind == "classifier" else [0.0, 1.0, 2.0]
    with pytest.raises(
        ValueError, match=r"n_samples // 2 = 1 row.*at least 4 samples, got n_samples = 3"
    ):
        selector(kind, n_resamples=1, alphas=2).fit(X, y)


def test_zero_weights_on_a_half_are_refused():
    X, y = make_data("regressor", n_samples=60, n_features=4)
    weights = np.zeros(60)
    weights[0] = 1.0
    with pytest.raises(ValueError, match="sample weights of half-sample"):
        selector("regressor", n_resamples=1, alphas=2).fit(X, y, sample_weight=weights)


# --------------------------------------------------------------------------
# The display
# --------------------------------------------------------------------------


@pytest.fixture
def pyplot():
    """matplotlib's pyplot on the Agg backend; the figures closed after the test."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_display_draws_probabilities_threshold_and_selected(fitted, pyplot):
    _, _, _, model = fitted
    display = StabilityPathDisplay.from_estimator(model)
    assert len(display.lines_) == model.n_features_in_
    for line, row in zip(display.lines_, model.selection_probabilities_):
        np.testing.assert_array_equal(line.get_ydata(), row)
    assert display.threshold_line_.get_ydata()[0] == model.threshold
    assert display.alpha_min_line_.get_xdata()[0] == model.alpha_min_
    assert display.ax_.get_xscale() == "log"
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert [f"x{j}" for j in np.flatnonzero(model.support_)] == legend[: model.support_.sum()]
    with pytest.raises(TypeError, match="StabilitySelection"):
        StabilityPathDisplay.from_estimator(LogisticRegression())


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_display_finds_the_selector_among_a_pipelines_steps(kind, pyplot):
    # scikit-learn's real tables (breast cancer, diabetes) in the user
    # guide's pipeline: scaler, selector, network; fitted, then refitted.
    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.preprocessing import StandardScaler

    classify = kind == "classifier"
    X, y = (load_breast_cancer if classify else load_diabetes)(return_X_y=True)
    y = y if classify else y / y.std()
    net = (RegularizedMLPClassifier if classify else RegularizedMLPRegressor)(
        hidden_layer_sizes=(5,), max_iter=20, random_state=0
    )
    bound = 5 if classify else 10  # false selections allowed: a few columns kept
    selector = StabilitySelection(
        net, alphas=6, n_resamples=2, path_max_iter=5, max_false_selections=bound, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), selector, net)
    for rows in (slice(None), slice(0, 3 * len(y) // 4)):
        quiet_fit(pipe, X[rows], y[rows])
        display = StabilityPathDisplay.from_estimator(pipe)
        probabilities = selector.selection_probabilities_
        np.testing.assert_array_equal(display.selection_probabilities, probabilities)
        np.testing.assert_array_equal(display.support, selector.support_)
        assert 0 < selector.support_.sum() < X.shape[1]
    for steps, found in (((StandardScaler(),), 0), ((selector, selector), 2)):
        with pytest.raises(TypeError, match=f"the pipeline has {found} among its steps"):
            StabilityPathDisplay.from_estimator(make_pipeline(*steps))


def test_display_draws_the_fit_not_parameters_set_since(fitted, pyplot):
    _, X, y, model = fitted
    model = quiet_fit(clone(model), X, y)
    threshold, path_param = model.threshold, model.path_param
    model.set_params(threshold=0.95 if threshold != 0.95 else 0.9, path_param="alpha")
    display = StabilityPathDisplay.from_estimator(model)
    assert display.threshold == threshold and display.path_param == path_param
    assert display.threshold_line_.get_ydata()[0] == threshold


@pytest.mark.parametrize(
    "marks, message",
    [
        (dict(threshold="a"), "'threshold' parameter of StabilityPathDisplay"),
        (dict(threshold=0.5), "'threshold' parameter of StabilityPathDisplay"),
        (dict(threshold=None), "'threshold' parameter of StabilityPathDisplay"),
        (dict(alpha_min="a"), "'alpha_min' parameter of StabilityPathDisplay"),
    ],
)
def test_display_refuses_marks_it_cannot_draw(marks, message, pyplot):
    arrays = dict(alphas=[1.0, 2.0], selection_probabilities=[[0.1, 0.2]], threshold=0.75)
    with pytest.raises(ValueError, match=message):
        StabilityPathDisplay(**{**arrays, **marks}).plot()
