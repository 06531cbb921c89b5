"""The cross-validated search's parts: one joblib task per path (module-level
functions, so that any backend can ship them), the ``cv_results_`` table
built from the folds' scores, and the rule that picks one of its rows."""

from collections import namedtuple

import numpy as np
from scipy.stats import rankdata
from sklearn.base import is_classifier
from sklearn.metrics import check_scoring, log_loss, make_scorer
from sklearn.utils import _safe_indexing

from . import _callbacks as callbacks
from . import _feature_groups as feature_blocks
from ._cv_checks import check_score
from ._exit_order import combined_exit_rates, exit_rates
from ._fold_score import default_score
from ._path import PathTrainer
from ._target import scaled_target
from ._validation import scoring_failed

SELECTION_RULES = ("best", "1se")
# What 'auto' means, by the rate the path moves.  A group_alpha path selects
# features: adaptive weights and the 1se rule kept the informative features
# and dropped far more noise than the plain search (docs/user_guide.rst,
# "Why these defaults").  An alpha path keeps the plain search.
# A skip_alpha path (the hierarchy's rate) keeps the plain search: not measured.
AUTO_SELECTION_RULE = {"alpha": "best", "group_alpha": "1se", "skip_alpha": "best"}
AUTO_GROUP_WEIGHTS = {"alpha": None, "group_alpha": "adaptive", "skip_alpha": None}
# A step's cap (``Step.capped``: none, max_iter, path_max_iter), coded in a
# fold's row by its index here.
CAPS = ("", "first", "later")

# What a fold's path task returns: its rows of scores (``N_ROW_COLUMNS``
# per rate), each feature's exit rate, and the model of each rate (or None).
FoldPath = namedtuple("FoldPath", ["scores", "exit_rates", "models"])


def base_parameters(cv_estimator, cv_only):
    """The parameters of a CV estimator's base estimator: its own but those
    in ``cv_only``, with the blocks its fit read for ``feature_groups="auto"``
    (the folds train on arrays without names)."""
    params = cv_estimator.get_params(deep=False)
    params = {name: value for name, value in params.items() if name not in cv_only}
    params["feature_groups"] = feature_blocks.fitted_groups(cv_estimator)
    return params


def fold_scorer(estimator, scoring, y):
    """The scorer of ``scoring`` for the folds.  Log loss is told every class
    of ``y``: a test fold that holds fewer classes than the model knows would
    make it fail."""
    if scoring == "neg_log_loss" and is_classifier(estimator) and np.ndim(y) == 1:
        return make_scorer(
            log_loss, greater_is_better=False, response_method="predict_proba", labels=np.unique(y)
        )
    return check_scoring(estimator, scoring=scoring)


# --------------------------------------------------------------------------
# Tasks: one path each (module-level functions, so that any joblib backend
# can ship them)
# --------------------------------------------------------------------------


def scored_path(
    estimator,
    settings,
    X,
    y,
    sample_weight,
    fold,
    rates,
    scorer,
    context,
    target_link=None,
    keep=False,
):
    """The path over ``rates`` on the training part of ``fold`` (its index,
    its training and its test indices); per rate, the test score, the
    sparsity reached and what the step cost.  ``scorer`` is the scorer and
    the ``scoring`` it came from.  ``context`` is the path's callback task,
    or None.  With a ``target_link``, the path trains on the target scaled
    by the training part's own mean and spread (``skreg._target``), and
    each step's model is scored with the scale folded back in.  Returns a
    ``FoldPath``: with ``keep``, the model of each rate as it was scored
    (a fold ensemble is made of them) is in it."""
    k, train, test = fold
    scorer, scoring = scorer
    X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
    X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
    sw_train = None if sample_weight is None else sample_weight[train]
    y_train, target_scale = scaled_target(y_train, sw_train, target_link)
    rows, models, active = [], [], []
    # The fold's blocks of feature_groups, the same at every rate.
    blocks = feature_blocks.block_codes(estimator.feature_groups, X.shape[1])
    # The default score (scoring=None) skips scikit-learn's checks of data it
    # validated already; the value is the same to the last bit.
    classifier = is_classifier(estimator) if scoring is None else None

    def score(est, step):
        if target_scale is not None:
            target_scale.fold_into(est)
        if keep:
            models.append(est)
        used = est._features_in_use()  # once: the counts below come from it
        active.append(used)
        try:
            value = None
            if classifier is not None:
                value = default_score(est, X_test, y_test, classifier=classifier)
            if value is None:
                value = scorer(est, X_test, y_test)
        except Exception as error:
            where = f"on fold {k} at {settings['path_param']}={step.rate:g}"
            raise scoring_failed(scoring, where, error) from error
        rows.append(
            (
                check_score(value, scoring, k, settings["path_param"], step.rate),
                int(used.sum()),
                float(np.mean(np.concatenate([W.ravel() == 0 for W in est.coefs_]))),
                step.seconds,
                step.n_iter,
                n_blocks_in_use(blocks, used),
                CAPS.index(step.capped),
            )
        )

    with callbacks.task(context, estimator, X_train, y_train, sw_train):
        steps = PathTrainer(estimator, **settings).run(
            X_train, y_train, sw_train, rates, score, context=context
        )
    return FoldPath(
        np.array(rows),
        exit_rates(rates, active),
        with_path_history(models, steps) if keep else None,
    )


def path_history(steps, index):
    """The fitted history of a path's model at step ``index``: every epoch of
    the path up to it (``loss_curve_``, where each rate starts in it,
    ``n_iter_``), and its objective; no validation data."""
    step = steps[index]
    loss_curve = [loss for s in steps[: index + 1] for loss in s.loss_curve]
    epochs = [len(s.loss_curve) for s in steps[:index]]
    return dict(
        loss_curve_=loss_curve,
        loss_curve_rate_starts_=np.cumsum([0, *epochs], dtype=np.int64),
        n_iter_=int(sum(s.n_iter for s in steps[: index + 1])),
        loss_=step.objective,
        best_loss_=min(loss_curve, default=step.objective),
        validation_scores_=None,
        best_validation_score_=None,
    )


def with_path_history(models, steps):
    """``models``, the fitted models of a path's ``steps`` (one each), each
    with the path's history up to its step."""
    for index, model in enumerate(models):
        vars(model).update(path_history(steps, index))
    return models


def path_importances(fold_paths, n_folds, ratio_index):
    """``path_importances_``: the exit rates of the chosen l1_ratio's fold
    paths (``fold_paths`` are every ``FoldPath``, by l1_ratio then fold),
    combined per feature (``combined_exit_rates``)."""
    chosen = fold_paths[ratio_index * n_folds : (ratio_index + 1) * n_folds]
    return combined_exit_rates([path.exit_rates for path in chosen])


def full_path(estimator, settings, X, y, sample_weight, rates, context, target_link=None):
    """The path over ``rates`` on all the data: its steps, the fitted
    estimator (at the last rate), from which the chosen step's model is made,
    and the ``TargetScale`` its steps' weights are in (None: the target's
    own unit)."""
    y, target_scale = scaled_target(y, sample_weight, target_link)
    trainer = PathTrainer(estimator, **settings)
    with callbacks.task(context, estimator, X, y, sample_weight):
        steps = trainer.run(X, y, sample_weight, rates, context=context)
    return steps, trainer.estimator, target_scale


# --------------------------------------------------------------------------
# The results and the choice
# --------------------------------------------------------------------------


# The columns of a fold's row per rate (``scored_path``).
N_ROW_COLUMNS = 7


def n_blocks_in_use(blocks, used):
    """How many of the ``blocks`` (``(codes, labels)`` of ``feature_groups``,
    ``skreg._feature_groups.block_codes``) hold the features ``used`` (a mask
    over the inputs); without blocks, the number of features."""
    codes, labels = blocks
    return int(used.sum()) if labels is None else np.unique(codes[used]).size


def step_caps(full_paths, fold_rows):
    """``Step.capped`` of every step of a search: the final paths' (the
    results of ``full_path``) and the folds' (coded in their rows)."""
    caps = [step.capped for steps, *_ in full_paths for step in steps]
    return caps + [CAPS[int(code)] for code in fold_rows[..., N_ROW_COLUMNS - 1].ravel()]


def cv_results(path_param, l1_ratios, grids, fold_rows, blocks=False):
    """GridSearchCV-style results, one row per (l1_ratio, rate).  The
    l1_ratio is a column (and a key of ``params``) only when ``l1_ratios``
    is given: where the penalty uses it (elastic net); the blocks in use
    (``n_groups_selected``) only with ``blocks``: where the inputs have
    ``feature_groups``."""
    n_ratios, n_folds, n_rates, _ = fold_rows.shape
    rows = fold_rows.transpose(0, 2, 1, 3).reshape(n_ratios * n_rates, n_folds, N_ROW_COLUMNS)
    scores = rows[..., 0]
    results = {f"param_{path_param}": np.concatenate(grids)}
    if l1_ratios is None:
        results["params"] = [{path_param: float(a)} for a in results[f"param_{path_param}"]]
    else:
        results["param_l1_ratio"] = np.repeat(l1_ratios, n_rates)
        results["params"] = [
            {path_param: float(a), "l1_ratio": float(r)}
            for a, r in zip(results[f"param_{path_param}"], results["param_l1_ratio"])
        ]
    for k in range(n_folds):
        results[f"split{k}_test_score"] = scores[:, k]
    results["mean_test_score"] = scores.mean(axis=1)
    results["std_test_score"] = scores.std(axis=1)
    results["rank_test_score"] = score_ranks(results["mean_test_score"])
    for column, name in (
        (1, "n_features_selected"),
        (2, "sparsity"),
        (3, "fit_time"),
        (4, "n_iter"),
        *([(5, "n_groups_selected")] if blocks else []),
    ):
        results[f"mean_{name}"] = rows[..., column].mean(axis=1)
        results[f"std_{name}"] = rows[..., column].std(axis=1)
    # How many of the folds' steps at each rate stopped at their epoch cap.
    results["n_capped_steps"] = (rows[..., 6] > 0).sum(axis=1).astype(np.int64)
    return results


def score_ranks(means):
    """Rank 1 for the best mean score, as ``GridSearchCV`` ranks: tied
    scores share the smallest rank, and NaN scores rank last."""
    if np.all(np.isnan(means)):
        return np.ones(len(means), dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    return rankdata(-filled, method="min").astype(np.int32)


def search_defaults(selection_rule, group_weights, path_param):
    """The selection rule and group weights a search uses: each 'auto' made
    into its value for ``path_param``, any other value as given."""
    if selection_rule == "auto":
        selection_rule = AUTO_SELECTION_RULE[path_param]
    if isinstance(group_weights, str) and group_weights == "auto":
        group_weights = AUTO_GROUP_WEIGHTS[path_param]
    return selection_rule, group_weights


def choose(results, n_folds, path_param, selection_rule):
    """Index of the chosen row of ``cv_results_``: the best mean score, or
    (``"1se"``) the sparsest model whose mean score is within one standard
    error of the best; ties go to the larger rate (the sparser model).
    Sparsest: the fewest input features for a ``group_alpha`` or
    ``skip_alpha`` path (what they are for), the largest share of zero
    weights for an ``alpha`` path."""
    means = results["mean_test_score"]
    rates = results[f"param_{path_param}"]
    if selection_rule == "best":
        candidates = np.flatnonzero(means == np.nanmax(means))
    else:
        best = int(np.nanargmax(means))
        # A best mean of +inf has a NaN spread: the rows that reach it qualify.
        standard_error = np.nan_to_num(results["std_test_score"][best] / np.sqrt(n_folds))
        candidates = np.flatnonzero(means >= means[best] - standard_error)
    if path_param in ("group_alpha", "skip_alpha"):
        sparsity = -results["mean_n_features_selected"][candidates]
    else:
        sparsity = results["mean_sparsity"][candidates]
    sparsest = candidates[sparsity == sparsity.max()]
    return int(sparsest[np.argmax(rates[sparsest])])
