"""Blocks of input columns under one group norm (``feature_groups``)."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectFromModel
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, OneHotEncoder, StandardScaler

import skreg._active_set as A
import skreg._config as C
import skreg._training
from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
    feature_groups_from,
    regularization_path,
)
from skreg._feature_groups import groups_from_names
from skreg._rate_grid import largest_rate

# Three blocks of three columns, then three columns of their own; block "a"
# holds the two informative columns (and one of noise, which stays with it).
GROUPS = ["a", "a", "a", "b", "b", "b", "c", "c", "c", 9, 10, 11]
BLOCK_OF = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 4, 5])


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 12)
    score = X[:, 0] + X[:, 1]
    return X, (score > 0).astype(int), score


def targets(data, Est):
    X, labels, score = data
    return X, labels if Est is RegularizedMLPClassifier else score


def small(Est, **params):
    settings = dict(
        hidden_layer_sizes=(8,),
        feature_groups=GROUPS,
        random_state=0,
        max_iter=80,
        learning_rate_init=0.01,
    )
    return Est(**{**settings, **params})


def assert_whole_blocks(W, block_of=BLOCK_OF):
    """Every block's rows of W are all zero or all non-zero."""
    zero = ~np.any(W != 0, axis=1)
    for b in np.unique(block_of):
        assert zero[block_of == b].all() or not zero[block_of == b].any(), (b, zero)
    return zero


ESTIMATORS = [RegularizedMLPClassifier, RegularizedMLPRegressor]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_blocks_are_kept_or_removed_whole_fresh_and_refitted(data, Est, solver):
    X, y = targets(data, Est)
    est = small(Est, solver=solver, group_alpha=[0.02, 0.0], penalty="l1", alpha=1e-3)
    for refit in (False, True):
        if refit:  # a warm refit at a stronger rate
            est.set_params(warm_start=True, group_alpha=[0.04, 0.0])
        est.fit(X, y)
        zero = assert_whole_blocks(est.coefs_[0])
        assert not zero[0] and zero.sum() >= 3, zero  # block "a" kept, some removed


def test_blocks_of_one_column_are_the_plain_group_term(data):
    X, y = targets(data, RegularizedMLPRegressor)
    est = small(RegularizedMLPRegressor, group_alpha=[0.02, 0.0], max_iter=20)
    plain = clone(est).set_params(feature_groups=None).fit(X, y)
    singles = clone(est).set_params(feature_groups=[f"x{j}" for j in range(12)]).fit(X, y)
    for a, b in zip(plain.coefs_, singles.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(plain.loss_curve_, singles.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_group_weights_give_one_factor_per_block(data, Est):
    X, y = targets(data, Est)
    weights = np.ones(6)
    weights[0] = 1e4  # block "a" goes however informative it is
    est = small(Est, group_alpha=[0.01, 0.0], group_weights=weights).fit(X, y)
    zero = assert_whole_blocks(est.coefs_[0])
    assert zero[:3].all() and not zero.all()
    message = "group_weights has 12 values, but feature_groups has 6 blocks: it needs one per block"
    with pytest.raises(ValueError, match=message):
        small(Est, group_alpha=[0.01, 0.0], group_weights=np.ones(12)).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_selection_attributes_count_whole_blocks(data, Est):
    X, y = targets(data, Est)
    est = small(Est, group_alpha=[0.04, 0.0]).fit(X, y)
    zero = assert_whole_blocks(est.coefs_[0])
    kept = np.flatnonzero(~zero)
    assert 0 < kept.size < 12
    assert est.n_features_selected_ == kept.size
    np.testing.assert_array_equal(est.selected_features_, [f"x{j}" for j in kept])
    labels = np.array(GROUPS, dtype=object)
    expected = [labels[j] for j in kept if j == np.flatnonzero(BLOCK_OF == BLOCK_OF[j])[0]]
    assert list(est.selected_groups_) == expected
    importances = est.feature_importances_
    W = est.coefs_[0]
    for b in range(6):
        rows = BLOCK_OF == b
        np.testing.assert_allclose(importances[rows], np.linalg.norm(W[rows]))
    # Without blocks, the groups are the columns.
    plain = clone(est).set_params(feature_groups=None).fit(X, y)
    np.testing.assert_array_equal(plain.selected_groups_, plain.selected_features_)


def test_select_from_model_keeps_whole_blocks_by_name_in_a_pipeline(data):
    X, y = targets(data, RegularizedMLPClassifier)
    names = [f"f{j}" for j in range(12)]
    frame = pd.DataFrame(X, columns=names)
    est = small(RegularizedMLPClassifier, group_alpha=[0.01, 0.0])
    pipe = make_pipeline(StandardScaler().set_output(transform="pandas"), SelectFromModel(est))
    kept = pipe.fit(frame, y).get_feature_names_out()
    fitted = pipe[-1].estimator_
    np.testing.assert_array_equal(fitted.feature_names_in_, names)
    kept_blocks = {BLOCK_OF[names.index(name)] for name in kept}
    assert 0 < len(kept_blocks) < 6
    assert sorted(kept) == sorted(n for n, b in zip(names, BLOCK_OF) if b in kept_blocks)


# --------------------------------------------------------------------------
# Paths, the grid, CV estimators, the active set
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_paths_keep_or_remove_blocks_whole(data, Est):
    X, y = targets(data, Est)
    est = small(Est, max_iter=60)
    path = regularization_path(
        X, y, estimator=est, path_param="group_alpha", n_alphas=5, path_max_iter=20
    )
    removed = [assert_whole_blocks(coefs[0]).sum() for coefs in path.coefs]
    assert removed[0] < removed[-1]


def test_the_grids_top_rate_follows_the_blocks(data):
    """A block's threshold grows as the square root of its rows: the top
    rate with blocks is not the one without, and at it every block goes."""
    X, y = targets(data, RegularizedMLPRegressor)
    est = small(RegularizedMLPRegressor, max_iter=200)
    with_blocks = largest_rate(est, X, y, path_param="group_alpha")
    without = clone(est).set_params(feature_groups=None)
    without = largest_rate(without, X, y, path_param="group_alpha")
    assert not np.isclose(with_blocks, without, rtol=0.05)
    top = clone(est).set_params(group_alpha=[with_blocks, 0.0]).fit(X, y)
    assert top.n_features_selected_ <= 3  # (nearly) every block


@pytest.mark.parametrize("Est", [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV])
def test_cv_estimators_keep_or_remove_blocks_whole(data, Est):
    X, y = targets(data, Est._base_class)
    cv = small(Est, path_param="group_alpha", alphas=4, cv=3, path_max_iter=10, max_iter=40)
    cv.fit(X, y)
    assert cv.group_weights_.shape == (6,)  # adaptive: one factor per block
    assert_whole_blocks(cv.coefs_[0])
    assert set(cv.selected_groups_) <= set(GROUPS)
    cv.fit(X[:200], y[:200])  # refitted
    assert_whole_blocks(cv.coefs_[0])


# Six blocks of two columns: a model using k blocks uses 2k columns.
PAIRS = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


@pytest.mark.parametrize("Est", [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV])
def test_cv_results_count_the_blocks_in_use(data, Est):
    X, y = targets(data, Est._base_class)
    cv = small(Est, feature_groups=PAIRS, path_param="group_alpha", alphas=4, cv=3)
    cv.set_params(path_max_iter=10, max_iter=40)
    for rows in (300, 200):  # fresh, then refitted
        results = cv.fit(X[:rows], y[:rows]).cv_results_
        blocks, columns = results["mean_n_groups_selected"], results["mean_n_features_selected"]
        np.testing.assert_allclose(columns, 2 * blocks)
        np.testing.assert_allclose(
            results["std_n_features_selected"], 2 * results["std_n_groups_selected"]
        )
        assert blocks[0] > blocks[-1]  # the largest rate removes blocks
    cv.set_params(feature_groups=None).fit(X, y)
    assert "mean_n_groups_selected" not in cv.cv_results_


@pytest.mark.parametrize("Est", [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV])
def test_the_path_display_counts_blocks(data, Est):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skreg.inspection import RegularizationPathDisplay

    X, y = targets(data, Est._base_class)
    cv = small(Est, feature_groups=PAIRS, path_param="group_alpha")
    cv.set_params(alphas=4, cv=3, path_max_iter=10, max_iter=40)
    for rows in (300, 200):  # fresh, then refitted
        display = RegularizationPathDisplay.from_estimator(cv.fit(X[:rows], y[:rows]))
        (count,) = display.features_lines_
        np.testing.assert_array_equal(count.get_ydata(), cv.cv_results_["mean_n_groups_selected"])
        assert count.get_label() == "blocks selected"
        assert display.ax2_.get_ylabel() == "mean number of blocks selected"
        plt.close("all")
    with pytest.raises(ValueError, match="counted must be a non-empty str"):
        RegularizationPathDisplay(
            alphas=[1.0], mean_test_score=[0.5], std_test_score=[0.0], counted=3
        ).plot()


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_the_active_set_skips_whole_blocks_and_trains_as_without(data, monkeypatch, Est):
    monkeypatch.setattr(skreg._training, "ACTIVE_SET_MIN_ROWS", 0)
    widths = []
    problem = A.ActiveSet.problem

    def record(self, order, moments, learning_rate):
        reduced = problem(self, order, moments, learning_rate)
        if reduced is not None:
            widths.append(reduced.units[0])
        return reduced

    monkeypatch.setattr(A.ActiveSet, "problem", record)
    X, y = targets(data, Est)
    weights = np.full(6, 300.0)
    weights[0] = 1.0  # every block but "a" goes in the first epochs
    est = small(
        Est,
        group_alpha=[2e-3, 0.0],
        group_weights=weights,
        penalty="l1",
        alpha=1e-4,
        max_iter=30,
        tol=0.0,
        n_iter_no_change=10**6,
    )
    skipping = clone(est).fit(X, y)
    assert widths and min(widths) == 3  # block "a" alone
    widths.clear()
    skipping.set_params(warm_start=True, max_iter=10).fit(X, y)  # refitted
    assert widths and max(widths) == 3
    with monkeypatch.context() as patch:
        patch.setattr(A, "MIN_REMOVED_SHARE", 2.0)
        full = clone(est).fit(X, y)
        full.set_params(warm_start=True, max_iter=10).fit(X, y)
    assert skipping.n_features_selected_ == full.n_features_selected_ == 3
    for a, b in zip(skipping.coefs_ + skipping.intercepts_, full.coefs_ + full.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_prune_keeps_the_blocks(data):
    X, y = targets(data, RegularizedMLPRegressor)
    est = small(RegularizedMLPRegressor, group_alpha=[0.04, 0.03]).fit(X, y)
    before = est.predict(X)
    selected = list(est.selected_groups_)
    est.prune()
    np.testing.assert_allclose(est.predict(X), before, rtol=1e-6, atol=1e-6)
    assert list(est.selected_groups_) == selected


# --------------------------------------------------------------------------
# Blocks from a ColumnTransformer
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table():
    rng = np.random.RandomState(1)
    n = 240
    frame = pd.DataFrame(
        {
            "age": rng.randn(n),
            "body_mass": rng.randn(n),
            "colour": rng.choice(["red", "dark_blue", "green"], n),
            "pet_type": rng.choice(["cat", "dog"], n),
        }
    )
    y = (frame["colour"] == "red").astype(int) + frame["age"]
    return frame, y


def transformer():
    return ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "body_mass"]),
            ("cat", OneHotEncoder(sparse_output=False), ["colour", "pet_type"]),
        ]
    ).set_output(transform="pandas")


def test_auto_blocks_match_the_one_hot_output_of_a_column_transformer(table):
    frame, y = table
    ct = transformer().fit(frame)
    exact = feature_groups_from(ct)
    assert exact == ["num__age", "num__body_mass"] + ["cat__colour"] * 3 + ["cat__pet_type"] * 2
    model = RegularizedMLPRegressor(
        hidden_layer_sizes=(8,), feature_groups="auto", group_alpha=[0.01, 0.0], max_iter=30
    )
    pipe = make_pipeline(transformer(), model).fit(frame, y)
    fitted = pipe[-1]
    np.testing.assert_array_equal(fitted.feature_names_in_, ct.get_feature_names_out())
    codes, labels = fitted._input_blocks()
    assert list(labels[codes]) == exact
    plain = ColumnTransformer(
        [("cat", OneHotEncoder(), ["colour"])],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).fit(frame[["colour", "age"]])
    assert feature_groups_from(plain) == ["colour"] * 3 + ["age"]
    one_hot = OneHotEncoder().fit(frame[["colour", "pet_type"]])
    assert feature_groups_from(one_hot) == ["colour"] * 3 + ["pet_type"] * 2
    in_pipeline = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(sparse_output=False)
    ).set_output(transform="pandas")
    assert feature_groups_from(in_pipeline.fit(frame[["pet_type"]])) == ["pet_type"] * 2


@pytest.mark.parametrize(
    "after",
    [
        lambda ct: make_pipeline(ct, StandardScaler()),
        lambda ct: make_pipeline(
            make_pipeline(ct, StandardScaler()), "passthrough", MaxAbsScaler()
        ),
    ],
    ids=["scaler", "nested-pipelines"],
)
def test_feature_groups_from_looks_through_scalers_after_a_column_transformer(table, after):
    frame, _ = table
    alone = feature_groups_from(transformer().fit(frame))
    assert feature_groups_from(after(transformer()).fit(frame)) == alone


def test_feature_groups_from_a_step_that_remakes_the_columns_gives_their_names(table):
    frame, _ = table
    # PCA's columns mix every block: each is a block of its own.
    pipe = make_pipeline(transformer(), StandardScaler(), PCA(n_components=2)).fit(frame)
    assert feature_groups_from(pipe) == ["pca0", "pca1"]


@pytest.fixture(scope="module")
def snake_case_table():
    """Names that share stems on both sides: numeric columns with a common
    prefix, a binary flag beside them, and categories that hold ``_`` and
    share a stem of their own (``Sales_...``, as in real HR tables)."""
    rng = np.random.RandomState(2)
    n = 200
    frame = pd.DataFrame(
        {
            "years_at_company": rng.randn(n),
            "years_in_role": rng.randn(n),
            "years_flag": rng.randint(0, 2, n).astype(float),
            "job_role": rng.choice(
                ["Sales_Executive", "Sales_Rep", "Research_Director", "Manager"], n
            ),
            "travel": rng.choice(["Travel_Rarely", "Travel_Frequently", "Non_Travel"], n),
            "years": rng.choice(["few", "many"], n),  # a category named like the stem
        }
    )
    y = (frame["job_role"] == "Manager").astype(int) + frame["years_in_role"]
    return frame, y


def snake_case_transformer(scale_one_hot=False):
    one_hot = OneHotEncoder(sparse_output=False)
    if scale_one_hot:  # scaled after the encoder: two values per column, not 0 and 1
        one_hot = make_pipeline(one_hot, StandardScaler())
    numeric = ["years_at_company", "years_in_role", "years_flag"]
    return ColumnTransformer(
        [("num", StandardScaler(), numeric), ("cat", one_hot, ["job_role", "travel", "years"])]
    ).set_output(transform="pandas")


@pytest.mark.parametrize("scale_one_hot", [False, True])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_auto_blocks_are_exact_where_names_share_stems(snake_case_table, Est, scale_one_hot):
    """Stems alone would split the job roles (``Sales_``) and join the numeric
    ``years_`` columns; the values tell one-hot columns from the others."""
    frame, y = snake_case_table
    ct = snake_case_transformer(scale_one_hot).fit(frame)
    X = ct.transform(frame)
    numeric = ["num__years_at_company", "num__years_in_role", "num__years_flag"]
    blocks = ["cat__job_role"] * 4 + ["cat__travel"] * 3 + ["cat__years"] * 2
    assert feature_groups_from(ct) == numeric + blocks
    target = (y > y.median()).astype(int) if Est is RegularizedMLPClassifier else y
    est = Est(hidden_layer_sizes=(4,), feature_groups="auto", max_iter=5, random_state=0)
    for refit in (False, True):
        if refit:
            est.set_params(warm_start=True)
        est.fit(X, target)
        assert est.feature_groups_ == feature_groups_from(ct)
        codes, labels = est._input_blocks()
        assert list(labels[codes]) == feature_groups_from(ct)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_partial_fit_keeps_the_auto_blocks_of_the_first_fit(snake_case_table, Est):
    """A one-row batch would read other blocks (every column takes one value
    there, so every shared stem passes as one-hot): partial_fit keeps the
    fit's."""
    frame, y = snake_case_table
    ct = snake_case_transformer().fit(frame)
    X = ct.transform(frame)
    target = (y > y.median()).astype(int) if Est is RegularizedMLPClassifier else y
    est = Est(hidden_layer_sizes=(4,), feature_groups="auto", max_iter=5, random_state=0)
    est.fit(X, target)
    assert groups_from_names(X.columns, X.iloc[:1].to_numpy()) != feature_groups_from(ct)
    est.partial_fit(X.iloc[:1], target[:1])
    assert est.feature_groups_ == feature_groups_from(ct)
    # Labels given after the fit are what the next partial_fit trains with.
    columns = list(X.columns)
    est.set_params(feature_groups=columns).partial_fit(X.iloc[:1], target[:1])
    assert est.feature_groups_ == columns


@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
@pytest.mark.parametrize("before", [None, "columns"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_auto_set_after_a_fit_reads_the_blocks_when_going_on(snake_case_table, Est, before, method):
    """feature_groups='auto' set after a fit without it: a warm start or a
    partial_fit reads the blocks from its data, as a fresh fit does, rather
    than keeping those of the fit (none, or other labels)."""
    frame, y = snake_case_table
    ct = snake_case_transformer().fit(frame)
    X = ct.transform(frame)
    target = (y > y.median()).astype(int) if Est is RegularizedMLPClassifier else y
    groups = list(X.columns) if before == "columns" else None
    est = Est(hidden_layer_sizes=(4,), feature_groups=groups, max_iter=5, random_state=0)
    est.fit(X, target).set_params(feature_groups="auto", warm_start=method == "warm_start")
    (est.fit if method == "warm_start" else est.partial_fit)(X, target)
    assert est.feature_groups_ == feature_groups_from(ct)


@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_auto_set_after_a_fit_without_names_says_the_fit_had_none(snake_case_table, Est, method):
    """A network fitted on an array keeps no column names to go on with: 'auto'
    set after it refuses a DataFrame by saying so, not by asking for one."""
    frame, y = snake_case_table
    X = snake_case_transformer().fit(frame).transform(frame)
    target = (y > y.median()).astype(int) if Est is RegularizedMLPClassifier else y
    est = Est(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X.to_numpy(), target)
    est.set_params(feature_groups="auto", warm_start=method == "warm_start")
    with pytest.raises(ValueError, match="network was fitted on X without them"):
        (est.fit if method == "warm_start" else est.partial_fit)(X, target)
    assert est.feature_groups_ is None


def auto_group_cv(CV, **params):
    """A CV estimator along group_alpha with blocks read by "auto", small."""
    settings = dict(feature_groups="auto", path_param="group_alpha", cv=2, random_state=0)
    return CV(**{**settings, **params})


@pytest.mark.parametrize("CV", [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV])
def test_cv_estimators_read_auto_blocks_once_fresh_and_refitted(snake_case_table, CV):
    frame, y = snake_case_table
    ct = snake_case_transformer().fit(frame)
    X = ct.transform(frame)
    target = (y > y.median()).astype(int) if CV is RegularizedMLPClassifierCV else y
    exact = feature_groups_from(ct)
    cv = auto_group_cv(CV, hidden_layer_sizes=(4,), alphas=2, max_iter=5, path_max_iter=2)
    for data in (X, X.iloc[:150]):  # fresh, then refitted on other rows
        cv.fit(data, target[: len(data)])
        assert cv.feature_groups_ == exact
        assert set(cv.selected_groups_) <= set(exact)
        assert cv.group_weights_.shape == (len(set(exact)),)


def test_stability_selection_reads_auto_blocks_once(snake_case_table):
    from skreg.feature_selection import StabilitySelection

    frame, y = snake_case_table
    ct = snake_case_transformer().fit(frame)
    model = RegularizedMLPRegressor(hidden_layer_sizes=(4,), feature_groups="auto", max_iter=5)
    selector = StabilitySelection(model, alphas=2, n_resamples=2, path_max_iter=2)
    selector.fit(ct.transform(frame), y)
    assert list(selector.groups_) == list(dict.fromkeys(feature_groups_from(ct)))


def test_names_survive_a_pipeline_with_select_from_model(table):
    frame, y = table
    model = RegularizedMLPRegressor(
        hidden_layer_sizes=(8,),
        feature_groups="auto",
        group_alpha=[0.05, 0.0],
        max_iter=60,
        random_state=0,
        learning_rate_init=0.01,
    )
    pipe = make_pipeline(transformer(), SelectFromModel(model, threshold=1e-12)).fit(frame, y)
    kept = list(pipe.get_feature_names_out())
    fitted = pipe[-1].estimator_
    assert kept == list(fitted.selected_features_)
    for block in ("cat__colour", "cat__pet_type"):
        columns = [c for c in fitted.feature_names_in_ if c.startswith(block)]
        assert set(columns) <= set(kept) or not set(columns) & set(kept)
    assert "cat__colour_red" in kept and "num__age" in kept


def test_a_path_on_a_data_frame_reads_auto_blocks(table):
    """The automatic grid takes a DataFrame, and "auto" reads its names."""
    frame, y = table
    X = transformer().fit_transform(frame)
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(8,), feature_groups="auto", max_iter=100, random_state=0
    )
    path = regularization_path(X, y, estimator=est, path_param="group_alpha", n_alphas=4)
    blocks = np.array([0, 1, 2, 2, 2, 3, 3])
    for coefs in path.coefs:
        assert_whole_blocks(coefs[0], blocks)
    assert path.n_features_selected[-1] < 7


def test_cv_estimator_reads_auto_blocks_from_the_names(table):
    frame, y = table
    X = transformer().fit_transform(frame)
    cv = auto_group_cv(
        RegularizedMLPRegressorCV, hidden_layer_sizes=(8,), alphas=3, max_iter=20, path_max_iter=5
    ).fit(X, y)
    assert cv.group_weights_.shape == (4,)
    blocks = {"num__age", "num__body_mass", "cat__colour", "cat__pet_type"}
    assert set(cv.selected_groups_) <= blocks


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "groups, message",
    [
        (GROUPS[:-1], "feature_groups has 11 labels, but X has 12 features"),
        (GROUPS[:-1] + [np.nan], "feature_groups must hold one int or str label.*nan"),
        (GROUPS[:-1] + [None], "feature_groups must hold one int or str label.*None"),
        (GROUPS[:-1] + [1.5], "feature_groups must hold one int or str label"),
        (GROUPS[:-1] + ["9"], "feature_groups must not use an int and a str"),
        ("columns", "feature_groups"),
        ("auto", "feature_groups='auto' reads the blocks from the column names, but X has none"),
    ],
)
@pytest.mark.parametrize(
    "Est",
    ESTIMATORS + [RegularizedMLPClassifierCV, RegularizedMLPRegressorCV],
)
def test_bad_feature_groups_are_refused(data, Est, groups, message):
    classifier = Est in (RegularizedMLPClassifier, RegularizedMLPClassifierCV)
    X, labels, score = data
    extra = {} if Est in ESTIMATORS else dict(alphas=[0.01], cv=2, path_param="group_alpha")
    est = Est(feature_groups=groups, group_alpha=[0.01, 0.0], max_iter=2, **extra)
    with pytest.raises(ValueError, match=message):
        est.fit(X, labels if classifier else score)


def test_feature_groups_from_needs_a_fitted_transformer():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        feature_groups_from(OneHotEncoder())


@pytest.mark.parametrize("given", ["colour", None, LinearRegression().fit([[0.0], [1.0]], [0, 1])])
def test_feature_groups_from_refuses_what_is_not_a_transformer(given):
    with pytest.raises(TypeError, match="feature_groups_from takes a fitted transformer"):
        feature_groups_from(given)


def test_the_active_sets_check_takes_one_norm_per_block():
    """A removed block stays out while the norm of its rows' gradient is
    within its threshold, sqrt(rows) times a row's: the rows of a block come
    back together, or not at all."""
    reg = C.regularization(2, group_alpha=[1.0, 0.0], feature_groups=["a", "a", "b"], n_features=3)
    checker = SimpleNamespace(reg=reg, units=np.array([3, 4, 1]))
    threshold = np.sqrt(4)  # group_alpha * sqrt(width of the row)
    gradient = np.zeros((3, 4))
    gradient[0, 0] = 1.2 * threshold  # beyond a row's threshold, within the block's
    gradient[2, 0] = 1.2 * threshold  # a block of one row: beyond
    stays = A.ActiveSet._stays_zero(checker, 0, np.arange(3), gradient, np.zeros(3))
    np.testing.assert_array_equal(stays, [True, True, False])
    gradient[1, 0] = 1.2 * threshold  # the block's norm: 1.2 sqrt(2) > sqrt(2)
    stays = A.ActiveSet._stays_zero(checker, 0, np.arange(3), gradient, np.zeros(3))
    np.testing.assert_array_equal(stays, [False, False, False])


# --------------------------------------------------------------------------
# Stability selection and its display
# --------------------------------------------------------------------------


def test_stability_selection_gives_probabilities_per_block(data):
    from skreg.feature_selection import StabilitySelection

    X, y = targets(data, RegularizedMLPRegressor)
    selector = StabilitySelection(
        small(RegularizedMLPRegressor, max_iter=40),
        alphas=4,
        n_resamples=2,
        max_false_selections=None,
        random_state=0,
    ).fit(X, y)
    assert list(selector.groups_) == ["a", "b", "c", 9, 10, 11]
    assert selector.group_selection_probabilities_.shape == (6, 4)
    first = [0, 3, 6, 9, 10, 11]
    np.testing.assert_array_equal(
        selector.selection_probabilities_,
        selector.group_selection_probabilities_[BLOCK_OF],
    )
    np.testing.assert_array_equal(selector.support_, selector.group_support_[BLOCK_OF])
    assert selector.group_support_[0]  # block "a"
    # The bound counts blocks: p = 6.
    q = selector.mean_n_selected_
    assert selector.expected_false_selections_ == pytest.approx(
        q**2 / ((2 * selector.threshold - 1) * 6)
    )
    assert np.all(
        selector.selection_probabilities_[first] == selector.group_selection_probabilities_
    )
    # A refit without blocks forgets them.
    selector.set_params(estimator=small(RegularizedMLPRegressor, max_iter=40, feature_groups=None))
    assert not hasattr(selector.fit(X, y), "groups_")


def test_stability_display_draws_one_line_per_block(data):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from skreg.feature_selection import StabilitySelection
    from skreg.inspection import StabilityPathDisplay

    X, y = targets(data, RegularizedMLPRegressor)
    selector = StabilitySelection(
        small(RegularizedMLPRegressor, max_iter=30),
        alphas=3,
        n_resamples=1,
        max_false_selections=None,
        random_state=0,
    ).fit(X, y)
    display = StabilityPathDisplay.from_estimator(selector)
    assert display.selection_probabilities.shape == (6, 3)
    assert list(display.feature_names) == ["a", "b", "c", 9, 10, 11]


def test_blocks_add_no_kernel_specialization(data):
    """A fit with blocks runs the kernels a fit of the group term without
    them compiled: the blocks are an array of the record, not a type."""
    from numba.core.dispatcher import Dispatcher

    from skreg import _kernels

    def specializations():
        return {
            (name, str(signature))
            for name, kernel in vars(_kernels).items()
            if isinstance(kernel, Dispatcher)
            for signature in kernel.signatures
        }

    X, y = targets(data, RegularizedMLPRegressor)
    for Est in ESTIMATORS:
        X, y = targets(data, Est)
        small(Est, group_alpha=[0.01, 0.0], feature_groups=None, max_iter=2).fit(X, y)
    before = specializations()
    for Est in ESTIMATORS:
        X, y = targets(data, Est)
        small(Est, group_alpha=[0.01, 0.0], max_iter=2).fit(X, y)
    assert specializations() == before


def test_a_fold_ensemble_names_the_blocks_its_networks_use(data):
    X, y = targets(data, RegularizedMLPRegressor)
    cv = small(
        RegularizedMLPRegressorCV,
        path_param="group_alpha",
        alphas=3,
        cv=2,
        path_max_iter=5,
        max_iter=30,
        refit="ensemble",
    ).fit(X, y)
    used = np.any([m._features_in_use() for m in cv.estimators_], axis=0)
    expected = [
        g for j, g in enumerate(GROUPS) if used[j] and j == list(BLOCK_OF).index(BLOCK_OF[j])
    ]
    assert list(cv.selected_groups_) == expected
    assert cv.n_features_selected_ == used.sum()
    for b in range(6):
        assert np.ptp(cv.feature_importances_[BLOCK_OF == b]) < 1e-12


@pytest.mark.parametrize(
    "settings",
    [
        dict(path_param="alpha", penalty="l1"),  # group_alpha 0
        dict(path_param="group_alpha", group_alpha=[0.0, 1.0]),  # hidden layer only
    ],
)
def test_a_path_without_a_group_term_on_the_inputs_refuses_blocks(data, settings):
    X, labels, score = data
    message = "feature_groups puts blocks of input columns under the group term"
    for Est in (RegularizedMLPClassifierCV, RegularizedMLPRegressorCV):
        est = small(Est, alphas=[0.01], cv=2, **settings)
        with pytest.raises(ValueError, match=message):
            est.fit(X, labels if Est is RegularizedMLPClassifierCV else score)
    est = small(RegularizedMLPRegressor, **{k: v for k, v in settings.items() if k != "path_param"})
    with pytest.raises(ValueError, match=message):
        regularization_path(
            X, score, estimator=est, path_param=settings["path_param"], alphas=[0.1]
        )
    # A plain fit takes them: they still name the blocks in use (selected_groups_).
    assert (
        small(RegularizedMLPRegressor, penalty="l1", alpha=0.01).fit(X, score).selected_groups_.size
    )


def test_a_row_counts_as_removed_only_with_its_whole_block():
    zero_rows = np.array([True, False, True, True])
    blocks = np.array([0, 0, 1, 1], dtype=np.int64)
    np.testing.assert_array_equal(A.whole_blocks(zero_rows, blocks), [False, False, True, True])
    np.testing.assert_array_equal(A.whole_blocks(zero_rows, blocks[:0]), zero_rows)


def _encoded_and_passed_on():
    """A ColumnTransformer without prefixes that one-hot encodes a column and
    passes it on as a number too: its block's label is the column's name."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"bucket": rng.randint(0, 3, 40), "x": rng.randn(40)})
    ct = ColumnTransformer(
        [
            ("ohe", OneHotEncoder(sparse_output=False), ["bucket"]),
            ("num", StandardScaler(), ["bucket", "x"]),
        ],
        verbose_feature_names_out=False,
    )
    return ct.set_output(transform="pandas").fit(frame), frame


def test_a_block_label_that_names_another_column_is_refused():
    ct, _ = _encoded_and_passed_on()
    with pytest.raises(ValueError, match="labelled 'bucket', which is also the name of another"):
        feature_groups_from(ct)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_auto_blocks_refuse_a_label_that_names_another_column(Est):
    ct, frame = _encoded_and_passed_on()
    X, y = ct.transform(frame), (frame["x"] > 0).astype(int).to_numpy()
    est = Est(hidden_layer_sizes=(3,), max_iter=3, group_alpha=1e-3, feature_groups="auto")
    with pytest.raises(ValueError, match="labelled 'bucket', which is also the name of another"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")
