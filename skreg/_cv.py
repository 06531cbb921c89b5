"""The CV estimators: the regularization rate chosen along warm-started paths.

``RegularizedMLPClassifierCV`` and ``RegularizedMLPRegressorCV`` work as
scikit-learn's ``ElasticNetCV`` and ``LogisticRegressionCV`` do: a grid of
rates (given, or built from the data), a path over the grid on each
cross-validation fold, the rate with the best held-out score (or the sparsest
within one standard error of it), then the model at that rate.  That model is
the same path run on all the data, stopped at the chosen rate, so that the
refit is trained the way the folds were; it runs as one more task beside the
folds.  Each path is one joblib task: threads by default (the kernels release
the GIL), any joblib backend works, Dask's included.
"""

import time
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context, clone, is_classifier
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import _callbacks as callbacks
from . import _feature_groups as feature_blocks
from . import _fold_ensemble as ensembles
from . import _interrupts as interrupts
from . import _network
from ._base import unchanged_on_error
from ._classes import RegularizedMLPClassifier, RegularizedMLPRegressor
from ._cv_checks import (
    N_JOBS,
    CountInterval,
    check_folds,
    check_groups,
    check_l1_ratios,
    check_mean_scores,
    check_path_settings,
    check_rates,
    listed_folds,
)
from ._cv_search import (
    N_ROW_COLUMNS,
    SELECTION_RULES,
    base_parameters,
    choose,
    cv_results,
    fold_scorer,
    full_path,
    path_history,
    path_importances,
    scored_path,
    search_defaults,
    step_caps,
)
from ._docstrings import fill_cv_docstring
from ._path import rate_grid
from ._search_warnings import (
    capped_steps_quiet,
    feature_scale_ratio,
    tell_about_search,
    warn_feature_scales,
)
from ._side_by_side import run_side_by_side
from ._target import scaled_target
from ._validation import (
    check_sample_weight_sum,
    check_sparse_structure,
    check_target_magnitude,
    column_vector_flattened,
)

# --------------------------------------------------------------------------
# What both CV estimators add to their base estimator
# --------------------------------------------------------------------------


def _store_parameters(estimator, values):
    """Set every constructor parameter of ``estimator`` from ``values`` (the
    constructor's ``locals()``), as scikit-learn asks of ``__init__``: the
    CV estimators take every parameter of their base estimator and their own."""
    for name in type(estimator)._get_param_names():
        setattr(estimator, name, values[name])


class _PathCVMixin(ensembles.FoldEnsembleMixin):
    """Fit by cross-validated paths; see the module docstring."""

    _cv_parameter_constraints: dict = {
        # An int builds that many rates (one would leave nothing to choose).
        "alphas": [CountInterval(2, None), "array-like"],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
        "path_param": [StrOptions({"alpha", "group_alpha", "skip_alpha"})],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_jobs": N_JOBS,
        "selection_rule": [StrOptions({"auto", *SELECTION_RULES})],
        "path_max_iter": [CountInterval(1, None)],
        "path_warm_start": ["boolean"],
        "refit": ensembles.REFIT_CONSTRAINT,
    }
    # A base parameter that takes more values here (the path computes them).
    _cv_widened_constraints: dict = {
        "group_weights": ["array-like", None, StrOptions({"adaptive", "auto"})],
    }
    _cv_only = tuple(_cv_parameter_constraints)

    def _base_estimator(self):
        """The base estimator with this one's network and training settings."""
        return self._base_class(**base_parameters(self, self._cv_only))

    @unchanged_on_error  # outside: the callbacks' teardown can raise too
    @_fit_context(prefer_skip_nested_validation=True)
    @interrupts.surfaces_as_keyboard_interrupt
    def fit(self, X, y, sample_weight=None, groups=None):
        """Choose the rate by cross-validated paths, then fit at it.

        With scikit-learn's callbacks (``set_callbacks``), the fit is a task,
        each path (one per fold and ``l1_ratio``, and the final one on all the
        data) a subtask, each rate a subtask of its path, and each epoch a
        subtask of its rate.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, used in training (not in scoring).

        groups : array-like of shape (n_samples,), default=None
            Group labels of the samples, handed to the splitter of ``cv``
            (``GroupKFold`` and the like need them).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        ensembles.clear_fitted_state(self)  # a refit's or an ensemble's
        X, y = self._validate_cv_data(X, y)
        names = getattr(self, "feature_names_in_", None)
        scales = feature_scale_ratio(X)  # once: for this warning and the edge warning
        warn_feature_scales(scales, names)
        self.feature_groups_ = feature_blocks.input_groups(self.feature_groups, X, names)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
            check_sample_weight_sum(sample_weight)
        base = self._base_estimator()
        rule, weights = search_defaults(self.selection_rule, self.group_weights, self.path_param)
        adaptive = isinstance(weights, str)  # each path computes its own, after its first step
        base.set_params(group_weights=None if adaptive else weights)
        if isinstance(base.random_state, np.random.RandomState):
            # One seed for every path, so that no path depends on when it ran.
            base.set_params(random_state=int(check_random_state(base.random_state).randint(2**31)))
        check_path_settings(base, self.path_param, adaptive)
        l1_ratios = check_l1_ratios(self.l1_ratio, self.penalty, type(self).__name__)
        estimators = [clone(base).set_params(l1_ratio=float(r)) for r in l1_ratios]
        folds = self._folds(X, y, sample_weight, groups)
        link = self._target_link()
        grids = self._grids(estimators, X, scaled_target(y, sample_weight, link)[0], sample_weight)
        settings = dict(
            path_param=self.path_param,
            path_max_iter=self.path_max_iter,
            warm_start=self.path_warm_start,
            adaptive=adaptive,
            stop=interrupts.StopFlag(),  # Ctrl-C in any path ends them all
        )
        scorer = (fold_scorer(base, self.scoring, y), self.scoring)

        started = time.perf_counter()
        n_tasks = len(estimators) * (len(folds) + (self.refit != "ensemble"))
        contexts = self._path_contexts(X, y, sample_weight, n_tasks, len(grids[0]))
        tasks = [
            partial(
                scored_path,
                est,
                settings,
                X,
                y,
                sample_weight,
                (k, *fold),
                rates,
                scorer,
                next(contexts),
                link,
                keep=self.refit == "ensemble",
            )
            for est, rates in zip(estimators, grids)
            for k, fold in enumerate(folds)
        ]
        tasks += [
            partial(full_path, est, settings, X, y, sample_weight, rates, next(contexts), link)
            for est, rates in zip(estimators, grids)
            if self.refit != "ensemble"  # the folds' networks are the model
        ]
        # The steps' own warnings at their epoch cap are counted, and told once.
        with interrupts.shared(settings["stop"]), capped_steps_quiet():
            results = run_side_by_side(tasks, self.n_jobs)
        n_folds, n_fold_tasks = len(folds), len(estimators) * len(folds)
        fold_rows = np.array(ensembles.fold_scores(results[:n_fold_tasks])).reshape(
            len(estimators), n_folds, -1, N_ROW_COLUMNS
        )
        # l1_ratio is a column, and l1_ratio_ a number, where the penalty uses it.
        elastic = self.penalty == "elasticnet"
        shown_ratios = l1_ratios if elastic else None
        blocks = base.feature_groups is not None
        self.cv_results_ = cv_results(self.path_param, shown_ratios, grids, fold_rows, blocks)
        check_mean_scores(self.cv_results_["mean_test_score"], self.scoring)
        self.selection_rule_ = rule
        choice = choose(self.cv_results_, n_folds, self.path_param, rule)
        ratio_index, rate_index = divmod(choice, len(grids[0]))
        self._take_chosen(results, n_folds, ratio_index, rate_index)
        self.path_importances_ = path_importances(results[:n_fold_tasks], n_folds, ratio_index)
        self.alpha_ = float(grids[ratio_index][rate_index])
        self.l1_ratio_ = float(l1_ratios[ratio_index]) if elastic else None
        self.alphas_ = grids if len(grids) > 1 else grids[0]
        caps = step_caps(results[n_fold_tasks:], fold_rows)
        grid = (grids[ratio_index], rate_index)
        self.alpha_at_edge_ = tell_about_search(self, X, y, caps, n_tasks, grid, scales)
        self.fit_time_ = time.perf_counter() - started
        # The settings the Displays draw by, as they were for this fit
        # (set_params may change them before the next one).
        self._params_at_fit = self.get_params(deep=False)
        callbacks.end(self._root_context, self, X, y, sample_weight, reconstruction_attributes={})
        del self._root_context
        return self

    def _path_contexts(self, X, y, sample_weight, n_tasks, n_rates):
        """The callback tasks of the paths, made before the paths start (they
        may run in other processes), as an iterator; Nones without callbacks."""
        self._root_context = callbacks.fit_context(self, max_subtasks=n_tasks)
        if self._root_context is None:
            return iter([None] * n_tasks)
        callbacks.begin(self._root_context, self, X, y, sample_weight)
        return iter(
            self._root_context.subcontext(task_name="path", max_subtasks=n_rates)
            for _ in range(n_tasks)
        )

    def _validate_cv_data(self, X, y):
        check_sparse_structure(X)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            y_numeric=not is_classifier(self),
        )
        y = column_vector_flattened(y)  # one warning here, not one per path
        if is_classifier(self):
            check_classification_targets(y)
        else:
            check_target_magnitude(y)
        return X, y

    def _folds(self, X, y, sample_weight, groups):
        """The (train, test) index pairs of ``cv``, each checked to be
        trainable and scorable (``check_folds``)."""
        splitter = check_cv(listed_folds(self.cv), y, classifier=is_classifier(self))
        groups = check_groups(groups, X.shape[0])
        return check_folds(
            splitter.split(X, y, groups), y, sample_weight, classifier=is_classifier(self)
        )

    def _grids(self, estimators, X, y, sample_weight):
        """The rates of each estimator's path (one per l1_ratio), an array of
        shape (n_l1_ratios, n_rates): built from the data for an int
        ``alphas``, else as given."""
        if not isinstance(self.alphas, Integral):
            return check_rates(self.alphas, type(self).__name__, n_grids=len(estimators))
        settings = dict(path_param=self.path_param, n_alphas=self.alphas, eps=self.eps)
        return np.array([rate_grid(est, X, y, sample_weight, **settings) for est in estimators])

    def _target_link(self):
        """The output link a scaled target folds into, or None: the target
        is used as given (``skreg._target``)."""
        return None

    def _take_model(self, fitted, steps, index, target_scale=None):
        """This estimator's fitted state: the full path's estimator, with the
        weights of step ``index`` (in the target's own unit) and the history
        of the steps up to it."""
        group_weights = fitted.group_weights
        weights = steps[index].weights()
        if target_scale is not None:
            weights = target_scale.fold_weights(weights)
        callbacks.take_fitted_state(
            self,
            fitted,
            dropped=("_optimizer_state", "_random_state"),  # the path's, not this model's
            group_weights_=None if group_weights is None else np.asarray(group_weights, np.float64),
            **_network.copied(weights),
            **path_history(steps, index),
        )

    @available_if(lambda est: False)
    def partial_fit(self, *args, **kwargs):
        """Not available: the rate is chosen by a whole fit."""


@fill_cv_docstring
class RegularizedMLPClassifierCV(_PathCVMixin, RegularizedMLPClassifier):
    """Multilayer perceptron classifier whose regularization rate is chosen
    by cross-validation along warm-started regularization paths.

    It has every parameter of :class:`RegularizedMLPClassifier` (the rate the
    path moves is set by the path; a sequence value of that parameter gives
    the relative strength on each weight matrix), and after ``fit`` every
    fitted attribute, so it predicts, scores and prunes itself.

    Parameters
    ----------
    {params}
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.

    {cv_params}
    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels for each output.

    {cv_attributes}
    {attributes}
    Notes
    -----
    {cv_notes}
    See Also
    --------
    RegularizedMLPRegressorCV : The regressor.
    regularization_path : One path, without cross-validation.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import RegularizedMLPClassifierCV
    >>> X, y = make_classification(n_samples=300, n_features=10, n_informative=3,
    ...                            n_redundant=0, shuffle=False, random_state=0)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = RegularizedMLPClassifierCV(
    ...     hidden_layer_sizes=(16,), path_param="group_alpha", alphas=6, cv=3,
    ...     random_state=0,
    ... ).fit(X, y)
    >>> clf.alpha_ in clf.alphas_
    True
    >>> clf.score(X, y) > 0.8
    True
    """

    _base_class = RegularizedMLPClassifier
    _parameter_constraints: dict = {
        **RegularizedMLPClassifier._parameter_constraints,
        **_PathCVMixin._cv_parameter_constraints,
        **_PathCVMixin._cv_widened_constraints,
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="quarter",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        penalty="l2",
        l1_ratio=0.15,
        l1_method="proximal",
        group_alpha=0.0,
        group_weights="auto",
        feature_groups=None,
        weight_decay=0.0,
        dropout=0.0,
        input_dropout=0.0,
        input_noise=0.0,
        max_norm=None,
        skip_connection=False,
        hierarchy=None,
        skip_alpha=0.0,
        leaky_relu_slope=0.01,
        class_weight=None,
        alphas=10,
        eps=1e-3,
        path_param="alpha",
        cv=None,
        scoring=None,
        n_jobs=None,
        selection_rule="auto",
        path_max_iter=20,
        path_warm_start=True,
        refit=True,
    ):
        _store_parameters(self, locals())


@fill_cv_docstring
class RegularizedMLPRegressorCV(_PathCVMixin, RegularizedMLPRegressor):
    """Multilayer perceptron regressor whose regularization rate is chosen by
    cross-validation along warm-started regularization paths.

    It has every parameter of :class:`RegularizedMLPRegressor` (the rate the
    path moves is set by the path; a sequence value of that parameter gives
    the relative strength on each weight matrix), and after ``fit`` every
    fitted attribute, so it predicts, scores and prunes itself.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        Half squared error with an identity output, or half Poisson deviance
        with an exponential output.

    {params}
    {cv_params}
    scale_target : bool, default=True
        Train on a scaled target: ``(y - mean) / sd`` per output (``y / mean``
        for ``loss='poisson'``), with the sample-weighted mean and standard
        deviation of each fold's training part (of all the data for the
        automatic grid and the final model). The scale is folded back into the
        output layer, so the fitted network predicts in the target's own unit.
        Without it, the automatic grid and the penalty's strength depend on the
        target's unit: a target in the thousands gets rates a thousand times
        too large. False trains on ``y`` as given.

    Attributes
    ----------
    {cv_attributes}
    {attributes}
    Notes
    -----
    {cv_notes}
    With ``scale_target=True``, ``alpha_``, ``alphas_``, ``loss_`` and
    ``loss_curve_`` are those of the scaled target: the rate a
    :class:`RegularizedMLPRegressor` needs to reproduce the model is
    ``alpha_`` on ``(y - mean) / sd``.  So are the constraints that act on the
    output layer's weights: the scale ``sd`` is folded into ``coefs_[-1]`` and
    ``skip_coef_`` after training, so a ``max_norm`` bound on the output
    layer's columns, and ``hierarchy``'s tie between ``skip_coef_`` and
    ``coefs_[0]``, hold for those weights divided by ``sd``, the network that
    was trained.

    See Also
    --------
    RegularizedMLPClassifierCV : The classifier.
    regularization_path : One path, without cross-validation.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from skreg import RegularizedMLPRegressorCV
    >>> X, y = make_friedman1(n_samples=300, n_features=8, random_state=0)
    >>> reg = RegularizedMLPRegressorCV(
    ...     hidden_layer_sizes=(16,), penalty="l1", alphas=5, cv=3, random_state=0,
    ...     learning_rate_init=0.01,
    ... ).fit(X, y)
    >>> reg.alpha_ in reg.alphas_
    True
    """

    _base_class = RegularizedMLPRegressor
    _parameter_constraints: dict = {
        **RegularizedMLPRegressor._parameter_constraints,
        **_PathCVMixin._cv_parameter_constraints,
        **_PathCVMixin._cv_widened_constraints,
        "scale_target": ["boolean"],
    }
    _cv_only = (*_PathCVMixin._cv_only, "scale_target")

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="quarter",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        penalty="l2",
        l1_ratio=0.15,
        l1_method="proximal",
        group_alpha=0.0,
        group_weights="auto",
        feature_groups=None,
        weight_decay=0.0,
        dropout=0.0,
        input_dropout=0.0,
        input_noise=0.0,
        max_norm=None,
        skip_connection=False,
        hierarchy=None,
        skip_alpha=0.0,
        leaky_relu_slope=0.01,
        alphas=10,
        eps=1e-3,
        path_param="alpha",
        cv=None,
        scoring=None,
        n_jobs=None,
        selection_rule="auto",
        path_max_iter=20,
        path_warm_start=True,
        scale_target=True,
        refit=True,
    ):
        _store_parameters(self, locals())

    def _target_link(self):
        if not self.scale_target:
            return None
        return "exp" if self.loss == "poisson" else "identity"
