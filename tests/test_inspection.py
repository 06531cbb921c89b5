"""The displays of skreg.inspection draw what they claim to draw."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip(
    "matplotlib", reason="skreg.inspection draws with matplotlib, which is not installed"
)
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.metrics import log_loss, make_scorer  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skreg import (  # noqa: E402
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressorCV,
    regularization_path,
)
from skreg.exceptions import SearchWarning  # noqa: E402
from skreg.inspection import LossCurveDisplay, RegularizationPathDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    """Three informative features, then five of noise, standardized."""
    X, y = make_classification(
        n_samples=240, n_features=8, n_informative=3, n_redundant=0, shuffle=False, random_state=0
    )
    return StandardScaler().fit_transform(X), y


def small(Est=RegularizedMLPClassifier, **params):
    return Est(**{"hidden_layer_sizes": (8,), "random_state": 0, "max_iter": 60, **params})


@pytest.fixture(scope="module")
def group_cv(data):
    return small(
        RegularizedMLPClassifierCV,
        path_param="group_alpha",
        selection_rule="1se",
        alphas=5,
        cv=3,
        path_max_iter=20,
    ).fit(*data)


@pytest.fixture(scope="module")
def elasticnet_cv(data):
    return small(
        RegularizedMLPClassifierCV,
        penalty="elasticnet",
        l1_ratio=[0.2, 0.9],
        alphas=4,
        cv=3,
        path_max_iter=20,
    ).fit(*data)


# --------------------------------------------------------------------------
# RegularizationPathDisplay
# --------------------------------------------------------------------------


def test_path_display_draws_cv_results(group_cv):
    display = RegularizationPathDisplay.from_estimator(group_cv)
    results = group_cv.cv_results_
    rates = results["param_group_alpha"]

    (line,) = display.lines_
    np.testing.assert_array_equal(line.get_xdata(), rates)
    np.testing.assert_array_equal(line.get_ydata(), results["mean_test_score"])
    (count,) = display.features_lines_
    np.testing.assert_array_equal(count.get_xdata(), rates)
    np.testing.assert_array_equal(count.get_ydata(), results["mean_n_features_selected"])
    assert count.axes is display.ax2_

    # the band spans mean - std to mean + std at every rate
    (band,) = display.fill_between_
    vertices = band.get_paths()[0].vertices
    low = results["mean_test_score"] - results["std_test_score"]
    high = results["mean_test_score"] + results["std_test_score"]
    for rate, lo, hi in zip(rates, low, high):
        at_rate = vertices[np.isclose(vertices[:, 0], rate), 1]
        assert at_rate.min() == pytest.approx(lo) and at_rate.max() == pytest.approx(hi)

    np.testing.assert_array_equal(display.chosen_line_.get_xdata(), [group_cv.alpha_] * 2)
    assert display.ax_.get_xscale() == "log"
    assert display.ax_.get_xlabel() == "group_alpha"
    assert display.ax_.get_ylabel() == "accuracy"
    assert display.ax2_.get_shared_x_axes().joined(display.ax_, display.ax2_)
    assert display.figure_ is display.ax_.figure


def test_path_display_one_curve_per_l1_ratio(elasticnet_cv):
    est = elasticnet_cv
    display = RegularizationPathDisplay.from_estimator(est)
    assert est.alphas_.shape == (2, 4)
    assert len(display.lines_) == len(display.features_lines_) == len(display.fill_between_) == 2
    for k, (line, ratio) in enumerate(zip(display.lines_, [0.2, 0.9])):
        np.testing.assert_array_equal(line.get_xdata(), est.alphas_[k])
        rows = est.cv_results_["param_l1_ratio"] == ratio
        np.testing.assert_array_equal(line.get_ydata(), est.cv_results_["mean_test_score"][rows])
        assert f"l1_ratio = {ratio:g}" in line.get_label()
    # the chosen rate lies on the chosen l1_ratio's curve, which the label names
    chosen = [0.2, 0.9].index(est.l1_ratio_)
    assert est.alpha_ in display.lines_[chosen].get_xdata()
    assert display.chosen_line_.get_xdata()[0] == est.alpha_
    assert f"l1_ratio = {est.l1_ratio_:g}" in display.chosen_line_.get_label()


def test_path_display_from_pipeline_on_given_axes(data):
    pipe = make_pipeline(
        StandardScaler(), small(RegularizedMLPClassifierCV, alphas=3, cv=3, path_max_iter=10)
    ).fit(*data)
    fig, ax = plt.subplots()
    display = RegularizationPathDisplay.from_estimator(pipe, ax=ax, score_name="my score")
    assert display.ax_ is ax and display.figure_ is fig
    assert ax.get_ylabel() == "my score"
    assert display.chosen_line_.get_xdata()[0] == pipe[-1].alpha_


def legend_labels(display):
    legend = (display.ax2_ or display.ax_).get_legend()
    return [text.get_text() for text in legend.get_texts()]


def test_path_display_legend_names_every_artist(group_cv, elasticnet_cv):
    display = RegularizationPathDisplay.from_estimator(group_cv)
    assert legend_labels(display) == [
        "mean CV score",
        "± 1 std over folds",
        display.chosen_line_.get_label(),
        "features selected",
    ]
    labels = legend_labels(RegularizationPathDisplay.from_estimator(elasticnet_cv))
    for ratio in (0.2, 0.9):
        assert f"± 1 std over folds (l1_ratio = {ratio:g})" in labels
    # an artist the user leaves out of the legend stays out
    display = RegularizationPathDisplay.from_estimator(
        group_cv, fill_between_kw={"label": "_nolegend_"}
    )
    assert "± 1 std over folds" not in legend_labels(display)
    assert len(legend_labels(display)) == 3


def test_path_display_style_keywords_override_defaults(group_cv):
    # aliases ('c', 'ls') replace the defaults spelled out ('color', 'linestyle')
    display = RegularizationPathDisplay.from_estimator(
        group_cv, line_kw={"c": "red"}, chosen_line_kw={"ls": "-"}
    )
    assert display.lines_[0].get_color() == "red"
    assert display.chosen_line_.get_linestyle() == "-"


def test_path_display_from_arrays():
    display = RegularizationPathDisplay(
        alphas=[1e-3, 1e-2, 1e-1],
        mean_test_score=[0.8, 0.9, 0.7],
        std_test_score=[0.01, 0.02, 0.03],
    ).plot()
    assert display.ax2_ is None and display.features_lines_ == []
    assert display.chosen_line_ is None
    np.testing.assert_array_equal(display.lines_[0].get_ydata(), [0.8, 0.9, 0.7])
    assert display.ax_.get_ylabel() == "Score"


def test_path_display_rate_zero_uses_symlog():
    display = RegularizationPathDisplay(
        alphas=[0.0, 1e-3, 1e-2], mean_test_score=[1, 2, 3], std_test_score=[0, 0, 0]
    ).plot()
    assert display.ax_.get_xscale() == "symlog"


@pytest.mark.parametrize(
    "arrays, message",
    [
        (dict(mean_test_score=[0.8, 0.9]), "mean_test_score has shape"),
        (dict(mean_n_features_selected=[3, 2]), "mean_n_features_selected has shape"),
        (dict(alphas=[]), "alphas must be a non-empty"),
        (dict(l1_ratios=[0.1, 0.5, 0.9]), "l1_ratios gives 3 values for 1 curve"),
    ],
)
def test_path_display_refuses_arrays_that_disagree(arrays, message):
    values = dict(alphas=[1e-3, 1e-2, 1e-1], mean_test_score=[0.8, 0.9, 0.7])
    values["std_test_score"] = [0.0, 0.0, 0.0]
    values.update(arrays)
    with pytest.raises(ValueError, match=message):
        RegularizationPathDisplay(**values).plot()


@pytest.mark.parametrize(
    "values, message",
    [
        (dict(chosen_alpha="best"), "'chosen_alpha' parameter of RegularizationPathDisplay"),
        (dict(chosen_l1_ratio="a"), "'chosen_l1_ratio' parameter of RegularizationPathDisplay"),
        (dict(chosen_l1_ratio=2.0), "'chosen_l1_ratio' parameter of RegularizationPathDisplay"),
        (dict(l1_ratios=["a", "b"]), "l1_ratios must be a 1-D sequence of numbers in"),
        (dict(l1_ratios=[0.5, 1.5]), "l1_ratios must be a 1-D sequence of numbers in"),
    ],
)
def test_path_display_refuses_what_its_legend_cannot_print(values, message):
    curves = dict(alphas=[[1e-3, 1e-2]] * 2, mean_test_score=[[0.8, 0.9]] * 2)
    curves.update(std_test_score=[[0.0, 0.0]] * 2, l1_ratios=[0.2, 0.9], chosen_alpha=1e-2)
    with pytest.raises(ValueError, match=message):
        RegularizationPathDisplay(**{**curves, **values}).plot()


def test_path_display_needs_a_fitted_cv_estimator(data):
    with pytest.raises(TypeError, match="RegularizedMLPClassifierCV"):
        RegularizationPathDisplay.from_estimator(small().fit(*data))
    with pytest.raises(NotFittedError):
        RegularizationPathDisplay.from_estimator(small(RegularizedMLPClassifierCV))


# --------------------------------------------------------------------------
# LossCurveDisplay
# --------------------------------------------------------------------------


def test_loss_curve_display_without_early_stopping(data):
    clf = small().fit(*data)
    display = LossCurveDisplay.from_estimator(clf)
    np.testing.assert_array_equal(display.line_.get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(display.line_.get_xdata(), np.arange(1, clf.n_iter_ + 1))
    assert display.validation_line_ is None and display.best_line_ is None
    assert display.ax2_ is None
    assert display.ax_.get_xlabel() == "epoch"
    assert display.figure_ is display.ax_.figure


def test_loss_curve_display_with_early_stopping(data):
    clf = small(early_stopping=True, max_iter=200, n_iter_no_change=5).fit(*data)
    display = LossCurveDisplay.from_estimator(clf)
    np.testing.assert_array_equal(display.line_.get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(display.validation_line_.get_ydata(), clf.validation_scores_)
    assert display.validation_line_.axes is display.ax2_
    assert display.ax2_.get_ylabel() == "validation accuracy"
    # the marked epoch is the one whose weights early stopping kept: the
    # first to reach the best score (epochs count from 1)
    best_epoch = display.best_line_.get_xdata()[0]
    assert best_epoch == 1 + clf.validation_scores_.index(clf.best_validation_score_)
    assert best_epoch < clf.n_iter_


@pytest.mark.parametrize(
    "scoring, name",
    [
        ("neg_log_loss", "validation negative log loss"),
        ("balanced_accuracy", "validation balanced accuracy"),
        ("loss", "validation negative objective"),
        (
            make_scorer(log_loss, greater_is_better=False, response_method="predict_proba"),
            "validation score",
        ),
    ],
)
def test_loss_curve_display_names_the_score_by_scoring(data, scoring, name):
    clf = small(early_stopping=True, max_iter=20, scoring=scoring).fit(*data)
    display = LossCurveDisplay.from_estimator(clf)
    assert display.ax2_.get_ylabel() == name
    assert display.validation_line_.get_label() == name
    assert display.best_line_.get_label().startswith(f"best {name}: epoch ")


def test_loss_curve_display_lbfgs_counts_iterations(data):
    display = LossCurveDisplay.from_estimator(small(solver="lbfgs").fit(*data))
    assert display.ax_.get_xlabel() == "iteration"


def test_loss_curve_display_of_a_cv_estimator(group_cv):
    display = LossCurveDisplay.from_estimator(group_cv)
    np.testing.assert_array_equal(display.line_.get_ydata(), group_cv.loss_curve_)
    assert len(group_cv.loss_curve_) == group_cv.n_iter_


def test_loss_curve_display_refuses(data):
    sk = MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20).fit(*data)
    with pytest.raises(ValueError, match="no loss_curve_"):
        LossCurveDisplay.from_estimator(sk)
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(small())
    with pytest.raises(ValueError, match="validation_scores has shape"):
        LossCurveDisplay(loss_curve=[3.0, 2.0, 1.0], validation_scores=[0.5, 0.6]).plot()


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=120, n_features=6, n_informative=3, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


def cv_case(Est, data, regression):
    """A small CV estimator of class ``Est`` and the table it fits."""
    table = data if Est is RegularizedMLPClassifierCV else regression
    est = small(Est, alphas=4, cv=2, path_max_iter=5, max_iter=30, learning_rate_init=0.01)
    return est, table


@pytest.mark.parametrize("Est", [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV])
def test_loss_curve_display_marks_where_each_rate_begins(Est, data, regression):
    est, (X, y) = cv_case(Est, data, regression)
    if Est is RegularizedMLPRegressorCV:  # trained on y as given, as the path below
        est.set_params(scale_target=False)
    for alphas in (4, [1e-4, 1e-3, 1e-2, 1e-1, 1.0]):  # fresh, then refitted
        est.set_params(alphas=alphas).fit(X, y)
        starts = est.loss_curve_rate_starts_
        n_rates = list(est.alphas_).index(est.alpha_) + 1
        assert starts.shape == (n_rates,) and starts[0] == 0
        assert np.all(np.diff(starts) >= 0) and starts[-1] <= len(est.loss_curve_)
        # the final path is regularization_path on all the data, cut at alpha_
        shared = {k: est.get_params()[k] for k in Est._base_class().get_params()}
        # the factors the fit used: the CV default 'auto' means none on an alpha path
        base = Est._base_class(**{**shared, "group_weights": est.group_weights_})
        path = regularization_path(
            X, y, estimator=base, alphas=est.alphas_, path_max_iter=est.path_max_iter
        )
        np.testing.assert_array_equal(starts, path.loss_curve_rate_starts[:n_rates])
        np.testing.assert_allclose(est.loss_curve_, path.loss_curve[: len(est.loss_curve_)])

        display = LossCurveDisplay.from_estimator(est)
        marks = [line.get_xdata()[0] for line in display.rate_lines_]
        np.testing.assert_array_equal(marks, np.unique(starts[starts > 0]) + 0.5)
        legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
        assert sum("next rate" in text for text in legend) == (len(marks) > 0)
        plt.close("all")


def test_loss_curve_display_of_a_path_and_of_a_plain_fit(data):
    path = regularization_path(*data, estimator=small(max_iter=20), n_alphas=3, path_max_iter=5)
    assert len(path.loss_curve) == path.n_iter.sum()
    np.testing.assert_array_equal(path.loss_curve_rate_starts, np.cumsum([0, *path.n_iter[:-1]]))
    display = LossCurveDisplay(loss_curve=path.loss_curve, rate_starts=path.loss_curve_rate_starts)
    assert len(display.plot().rate_lines_) == 2
    assert LossCurveDisplay.from_estimator(small().fit(*data)).rate_lines_ == []
    with pytest.raises(ValueError, match="rate_starts must be"):
        LossCurveDisplay(loss_curve=[3.0, 2.0], rate_starts=[0, 5]).plot()


@pytest.mark.parametrize("Est", [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV])
def test_path_display_counts_features_only_where_they_can_be_removed(Est, data, regression):
    est, (X, y) = cv_case(Est, data, regression)
    for params, drawn in (
        ({"penalty": "l2"}, False),
        ({"penalty": "l1"}, True),  # refitted from here on
        ({"penalty": "elasticnet", "l1_ratio": 0.0}, False),
        ({"penalty": "elasticnet", "l1_ratio": 0.5}, True),
        ({"penalty": "l2", "path_param": "group_alpha"}, True),
        ({"penalty": "l2", "path_param": "alpha", "group_alpha": 1e-3}, True),
        # The hierarchy's skip rate removes features; beside a skip
        # connection without it, a group term does not.
        ({"skip_connection": True, "hierarchy": 1.0, "path_param": "skip_alpha"}, True),
        ({"skip_connection": True, "hierarchy": None, "path_param": "group_alpha"}, False),
        ({"skip_connection": True, "path_param": "alpha", "penalty": "l1"}, True),
    ):
        reset = {"skip_connection": False, "hierarchy": None, "group_alpha": 0.0}
        est.set_params(**{**reset, **params})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SearchWarning)  # the skip's group path says so
            est.fit(X, y)
        display = RegularizationPathDisplay.from_estimator(est)
        assert len(display.features_lines_) == drawn and (display.ax2_ is not None) == drawn
        legend = [t.get_text() for t in display.ax_.figure.legends or ()]
        legend += [t.get_text() for t in (display.ax2_ or display.ax_).get_legend().get_texts()]
        assert any("features selected" in text for text in legend) == drawn
        plt.close("all")


@pytest.mark.parametrize("Est", [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV])
def test_path_display_draws_the_fit_not_parameters_set_since(Est, data, regression):
    est, (X, y) = cv_case(Est, data, regression)
    est.set_params(penalty="l2", path_param="alpha").fit(X, y)
    expected = RegularizationPathDisplay.from_estimator(est)
    plt.close("all")
    # set_params without a refit: the picture is the fit's still.
    est.set_params(penalty="l1", path_param="group_alpha", scoring="r2")
    display = RegularizationPathDisplay.from_estimator(est)
    assert display.path_param == "alpha" and display.ax_.get_xlabel() == "alpha"
    assert display.features_lines_ == [] and display.ax2_ is None
    assert display.score_name == expected.score_name
    np.testing.assert_array_equal(display.alphas, expected.alphas)


# --------------------------------------------------------------------------
# matplotlib is optional
# --------------------------------------------------------------------------


def test_importing_the_displays_does_not_import_matplotlib():
    code = "import sys, skreg.inspection; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_drawing_without_matplotlib_says_so(group_cv, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ImportError, match="RegularizationPathDisplay.from_estimator.*matplotlib"):
        RegularizationPathDisplay.from_estimator(group_cv)
    with pytest.raises(ImportError, match="LossCurveDisplay.plot.*pip install matplotlib"):
        LossCurveDisplay(loss_curve=[1.0]).plot()
