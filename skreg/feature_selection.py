"""Stability selection: the features a regularization path keeps on most half-samples of the data.

One path's selected set changes from one sample of the data to the next.
``StabilitySelection`` runs the path on many half-samples, drawn as
complementary pairs (two disjoint halves at a time: Shah and Samworth 2013,
after Meinshausen and Bühlmann 2010), counts how often each feature is
selected at each rate, and keeps the features selected in a large share of
them.  The rates are computed once, on all the data, and shared by every
half, so that the probabilities of one rate line up across halves.  Each
half's path is one joblib task, as the CV estimators' folds are.  An
automatic grid whose top is too weak for the bound goes on upward, each
half's path warm from where it stopped.
"""

import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone, is_classifier
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _interrupts as interrupts
from ._base import unchanged_on_error
from ._cv_checks import N_JOBS, CountInterval, PathEstimator, check_rates
from ._feature_groups import block_codes, input_groups
from ._path import PathTrainer, checked_path_estimator, path_bunch
from ._rate_grid import rate_grid
from ._search_warnings import capped_steps_quiet, warn_capped_steps
from ._side_by_side import run_side_by_side
from ._target import scaled_target
from ._validation import check_sparse_structure, column_vector_flattened

__all__ = ["StabilitySelection"]

# On one row every column is constant: any feature's effect on the target is
# the intercept's, so a half that small selects at random.
MIN_HALF_ROWS = 2


class StabilitySelection(SelectorMixin, BaseEstimator):
    """Select the input features that a group-lasso (or L1) path keeps on
    most half-samples of the data.

    For each of ``n_resamples`` pairs, the rows are split into two disjoint
    halves of ``n_samples // 2`` rows; a regularization path
    (:func:`~skreg.regularization_path`) runs on each half over the same
    rates. A feature's selection probability at a rate is the share of the
    ``2 * n_resamples`` halves whose network uses it there (a non-zero
    outgoing first-layer weight). A feature is selected when its largest
    probability over the rates considered reaches ``threshold``. The rates
    considered are the largest ones, down to where the bound on the expected
    number of falsely selected features reaches ``max_false_selections``: at
    the smallest rates every half keeps nearly every feature, and a maximum
    over them would select everything.

    Parameters
    ----------
    estimator : RegularizedMLPClassifier or RegularizedMLPRegressor, default=None
        The network and its training settings (cloned, not changed); its
        ``random_state`` is replaced by a seed per half drawn from this
        selector's ``random_state``. None takes a classifier for class labels
        and a regressor otherwise, with their defaults.

    path_param : {'alpha', 'group_alpha'}, default='group_alpha'
        The parameter the path moves, as in :func:`~skreg.regularization_path`:
        ``group_alpha`` removes whole input features; ``alpha`` with an L1
        penalty removes them weight by weight.

    alphas : int or array-like, default=10
        An int builds that many rates from all the data, log-spaced from
        ``eps`` times the rate that removes (nearly) every feature up to that
        rate; an array gives the rates. Every half uses the same rates.
        The top of an int's grid removes every feature from the network at
        its start, not always from a trained one: while even the largest rate
        alone has a bound above ``max_false_selections``, the grid goes on
        upward at its own log step (each half's path warm from its last
        rate), for at most as many rates again (an int of 2 or more; about
        28 times the first top at the defaults). Given rates are never
        extended.

    eps : float, default=0.05
        Smallest rate of the automatic grid, as a fraction of the largest;
        in (0, 1). Larger than a path's default (1e-3): the smallest rates
        keep nearly every feature and fall below ``alpha_min_``, so the
        grid's rates are better spent near its top.

    n_resamples : int, default=50
        Number of complementary pairs of halves: ``2 * n_resamples`` paths.

    threshold : float, default=0.75
        Selection probability a feature must reach at some rate to be
        selected, in (0.5, 1]: the bound on falsely selected features
        (``expected_false_selections_``) holds only above 0.5. Meinshausen
        and Bühlmann find results little sensitive to it within 0.6 to 0.9;
        a higher one lets more rates be considered for a given bound. For a
        ranking without a cut, read ``selection_probabilities_``.

    max_false_selections : float or None, default=1.0
        Largest bound on the expected number of falsely selected features
        (see the Notes) the rates considered may have: the smallest rates are
        left out until the bound is at most this. None considers every rate,
        whatever its bound.

    path_max_iter : int, default=20
        Most epochs of each step of a path after the first, as in
        :func:`~skreg.regularization_path`.

    n_jobs : int, default=None
        Number of paths run in parallel (joblib; threads by default, any
        backend works). The result does not depend on it.

    random_state : int, RandomState instance or None, default=None
        Draws the halves and the seed of each half's network. An int gives
        the same probabilities on every run.

    Attributes
    ----------
    alphas_ : ndarray of shape (n_rates,)
        The rates, ascending: with an int ``alphas``, the grid with its
        extension, if any.

    selection_probabilities_ : ndarray of shape (`n_features_in_`, n_rates)
        Share of the halves whose path selects each feature at each rate.

    false_selection_bounds_ : ndarray of shape (n_rates,)
        The bound on the expected number of falsely selected features if the
        rates from ``alphas_[k]`` up were considered, for each ``k``; it does
        not increase with ``k``.

    alpha_min_ : float or None
        The smallest rate considered; None when even the largest rate alone
        (after the extension of an automatic grid) has a bound above
        ``max_false_selections`` (a warning says so, and no feature is
        selected).

    stability_scores_ : ndarray of shape (`n_features_in_`,)
        Largest selection probability of each feature over the rates
        considered (0 when there is none).

    support_ : ndarray of bool of shape (`n_features_in_`,)
        The selected features: ``stability_scores_ >= threshold``.

    mean_n_selected_ : float
        Mean number of features a half's path selects at one rate considered
        or more (the union over those rates): ``q`` of the bound.

    expected_false_selections_ : float
        The bound for the rates considered,
        ``q ** 2 / ((2 * threshold - 1) * n_features_in_)``, at most
        ``max_false_selections``; see the Notes for its assumptions.

    groups_ : ndarray of objects of shape (n_groups,)
        With the estimator's ``feature_groups``: the blocks' labels, in the
        order in which they first appear among the columns. A path keeps or
        removes a block whole, so the selection counts blocks: the
        probabilities, the scores and the support of a column are its
        block's, and the bound's ``p`` and ``q`` count blocks.

    group_selection_probabilities_ : ndarray of shape (n_groups, n_rates)
        With ``feature_groups``: each block's selection probability at each
        rate.

    group_support_ : ndarray of bool of shape (n_groups,)
        With ``feature_groups``: the selected blocks.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when X has string names.

    Notes
    -----
    The halves of a classifier are stratified by class for a single-output
    target (each half holds half of every class, so each half can train on
    every class; a class needs 2 samples), random otherwise. With an odd
    number of samples, one row of each pair is left out; a half needs 2 rows
    or more, so at least 4 samples. A regressor's
    target is scaled on all the data (mean 0 and standard deviation 1; the
    mean for a Poisson loss), as the CV regressor does, so the rates do not
    depend on the target's unit.

    The bound is Meinshausen and Bühlmann's (2010, Theorem 1):
    ``E[V] <= q ** 2 / ((2 * threshold - 1) * p)``, with ``V`` the number
    of noise features selected, ``p`` the number of features and ``q`` the
    expected number of features one half selects over the rates considered
    (estimated by ``mean_n_selected_``). It assumes
    that the noise features are exchangeable (each as likely to be selected
    as another) and that the path selects them no better than at random.
    Complementary pairs (Shah and Samworth 2013) make the first part of the
    argument hold without assumptions, in terms of the features that one
    half selects with low probability; the ``q ** 2 / p`` form still relies
    on the two assumptions. The bound says something only when ``q`` is
    small against ``p``, hence ``max_false_selections``: with ``p = 30`` and
    ``threshold = 0.75``, a bound of 1 allows ``q`` up to
    ``sqrt(0.5 * 30) = 3.9`` features per half; a higher threshold allows
    more (``sqrt(0.8 * 30) = 4.9`` at 0.9), a lower one fewer (2.4 at 0.6).

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import RegularizedMLPRegressor
    >>> from skreg.feature_selection import StabilitySelection
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(300, 8)
    >>> y = 2 * X[:, 0] - 2 * X[:, 1] + 0.3 * rng.randn(300)  # features 2 to 7: noise
    >>> selector = StabilitySelection(
    ...     RegularizedMLPRegressor(hidden_layer_sizes=(8,), max_iter=60, learning_rate_init=0.01),
    ...     alphas=5, n_resamples=4, random_state=0,
    ... ).fit(X, y)
    >>> selector.selection_probabilities_.shape
    (8, 5)
    >>> selector.get_feature_names_out()
    array(['x0', 'x1'], dtype=object)
    >>> bool(selector.expected_false_selections_ <= 1)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [PathEstimator(), None],
        "path_param": [StrOptions({"alpha", "group_alpha"})],
        "alphas": [CountInterval(1, None), "array-like"],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "n_resamples": [CountInterval(1, None)],
        "threshold": [Interval(Real, 0.5, 1, closed="right")],
        "max_false_selections": [Interval(Real, 0, None, closed="neither"), None],
        "path_max_iter": [CountInterval(1, None)],
        "n_jobs": N_JOBS,
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        path_param="group_alpha",
        alphas=10,
        eps=0.05,
        n_resamples=50,
        threshold=0.75,
        max_false_selections=1.0,
        path_max_iter=20,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.path_param = path_param
        self.alphas = alphas
        self.eps = eps
        self.n_resamples = n_resamples
        self.threshold = threshold
        self.max_false_selections = max_false_selections
        self.path_max_iter = path_max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state

    @unchanged_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    @interrupts.surfaces_as_keyboard_interrupt
    def fit(self, X, y, sample_weight=None):
        """Run the paths on the half-samples and select the stable features.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, each half training with its rows' weights.

        Returns
        -------
        self : object
            The fitted selector.
        """
        X, y, sample_weight, estimator = self._checked_data(X, y, sample_weight)
        rng = check_random_state(self.random_state)
        # Every seed is drawn here, before any task runs: the grid's network
        # (the largest rate depends on its initial weights) and each half's.
        grid_seed, *seeds = rng.randint(np.iinfo(np.int32).max, size=2 * self.n_resamples + 1)
        rates = self._rates(estimator.set_params(random_state=int(grid_seed)), X, y, sample_weight)
        halves = complementary_halves(y, self.n_resamples, rng, is_classifier(estimator))
        _check_halves(halves, y, sample_weight, is_classifier(estimator))
        codes, labels = block_codes(estimator.feature_groups, X.shape[1])
        # A block is selected whole: count blocks, not columns.
        firsts = np.unique(codes, return_index=True)[1] if labels is not None else slice(None)
        paths = _HalfPaths(estimator, self.path_param, self.path_max_iter, self.n_jobs)
        active = paths.start(X, y, sample_weight, zip(halves, seeds), rates)
        if isinstance(self.alphas, Integral) and self.max_false_selections is not None:
            rates, active = self._extended(paths, rates, active, firsts)
        paths.warn_capped()

        self.alphas_ = rates
        self._params_at_fit = self.get_params(deep=False)  # what the Display draws by
        for name in ("groups_", "group_selection_probabilities_", "group_support_"):
            vars(self).pop(name, None)  # a previous fit's blocks
        if labels is not None:
            active = active[:, :, firsts]
            self.groups_ = labels
            self.group_selection_probabilities_ = active.mean(axis=0).T
        else:
            codes = np.arange(X.shape[1])
        self.selection_probabilities_ = active.mean(axis=0).T[codes]
        stable = stable_set(active, self.threshold, self.max_false_selections, rates)
        if labels is not None:
            self.group_support_ = stable["support_"]
        stable.update(stability_scores_=stable["stability_scores_"][codes])
        vars(self).update(stable, support_=stable["support_"][codes])
        if self.alpha_min_ is None:
            warnings.warn(
                "Even at the largest rate alone, the bound on false selections is "
                f"{self.false_selection_bounds_[-1]:.3g}, above max_false_selections="
                f"{self.max_false_selections}: no rate is considered and no feature is "
                "selected. Raise max_false_selections or threshold, or add larger rates.",
                UserWarning,
            )
        return self

    def _extended(self, paths, rates, active, firsts):
        """The automatic grid extended upward at its own log step, each half
        going on from its last rate, while even the largest rate alone has a
        bound above ``max_false_selections``: at most as many rates as the
        grid has, so at most that step's power of the number of rates above
        the first top (28 times it at the defaults)."""
        if len(rates) < 2:
            return rates, active  # no step to go on with
        step = rates[-1] / rates[-2]
        for _ in range(len(rates)):
            top = stable_set(active[:, -1:, firsts], self.threshold, self.max_false_selections, [0])
            if top["alpha_min_"] is not None:
                break  # the largest rate is within the bound
            rates = np.append(rates, rates[-1] * step)
            active = np.concatenate([active, paths.go_on(rates[-1:])], axis=1)
        return rates, active

    def _checked_data(self, X, y, sample_weight):
        """X, y (a regressor's scaled, see the Notes) and the weights checked,
        and the network the paths train."""
        check_sparse_structure(X)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
        )
        # One warning here, not one per half; a class column is stratified.
        y = column_vector_flattened(y)
        if X.shape[0] // 2 < MIN_HALF_ROWS:
            raise ValueError(
                f"StabilitySelection trains each path on a half of the samples, "
                f"n_samples // 2 = {X.shape[0] // 2} row(s) here, and a half needs at least "
                f"{MIN_HALF_ROWS} rows to tell a feature's effect from the intercept: it needs "
                f"at least {2 * MIN_HALF_ROWS} samples, got n_samples = {X.shape[0]}."
            )
        estimator = self._checked_estimator(X, y)
        if is_classifier(estimator):
            check_classification_targets(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        y = scaled_target(y, sample_weight, _target_link(estimator))[0]
        return X, y, sample_weight, estimator

    def _checked_estimator(self, X, y):
        """The network to run the paths with, its parameters checked as its
        own fit would check them, and the path's settings against them;
        ``feature_groups="auto"`` read from X once (the halves have no names)."""
        estimator = None if self.estimator is None else clone(self.estimator)
        estimator = checked_path_estimator(estimator, y, self.path_param, adaptive=False)
        names = getattr(self, "feature_names_in_", None)
        return estimator.set_params(feature_groups=input_groups(estimator.feature_groups, X, names))

    def _rates(self, estimator, X, y, sample_weight):
        """The rates shared by every half: built once on all the data for an
        int ``alphas``, else as given (ascending)."""
        if isinstance(self.alphas, Integral):
            return rate_grid(
                estimator,
                X,
                y,
                sample_weight,
                path_param=self.path_param,
                n_alphas=self.alphas,
                eps=self.eps,
            )
        return check_rates(self.alphas, type(self).__name__)

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        return tags


# --------------------------------------------------------------------------
# The halves, one path per half, and the bound
# --------------------------------------------------------------------------


def complementary_halves(y, n_pairs, rng, classifier):
    """``2 * n_pairs`` sorted index arrays of ``len(y) // 2`` rows each,
    drawn as disjoint pairs.  A single-output class target is stratified:
    the rows, shuffled, are grouped by class and dealt out alternately, so
    that each half gets half of each class (up to one row)."""
    n_samples = len(y)
    labels = None
    if classifier and type_of_target(y) in ("binary", "multiclass"):
        labels = np.unique(np.asarray(y), return_inverse=True)[1]
    halves = []
    for _ in range(n_pairs):
        order = rng.permutation(n_samples)
        if n_samples % 2:
            order = np.delete(order, _left_out(order, labels))
        if labels is not None:
            order = order[np.argsort(labels[order], kind="stable")]
        halves += [np.sort(order[0::2]), np.sort(order[1::2])]
    return halves


def _left_out(order, labels):
    """Position in ``order`` of the row a pair leaves out when the number of
    rows is odd: the first one, or with classes the first one of a class
    with more than 2 rows, so that a class of 2 still reaches both halves."""
    if labels is None:
        return 0
    counts = np.bincount(labels)
    spare = np.flatnonzero(counts[labels[order]] > 2)
    return spare[0] if spare.size else 0


def _check_halves(halves, y, sample_weight, classifier):
    """Every half must hold every class of y (a classifier) and a positive
    total weight."""
    columns = np.asarray(y).reshape(len(y), -1)
    kind = type_of_target(y)
    check_classes = classifier and kind in ("binary", "multiclass", "multiclass-multioutput")
    for k, rows in enumerate(halves):
        if sample_weight is not None and not np.sum(sample_weight[rows]) > 0:
            raise ValueError(
                f"The sample weights of half-sample {k} sum to zero: it has nothing to train "
                "on. Give more samples positive weights."
            )
        if not check_classes:
            continue
        for column in columns.T:
            missing = np.setdiff1d(np.unique(column), column[rows])
            if missing.size:
                raise ValueError(
                    f"Half-sample {k} has no sample of class(es) {missing.tolist()} of y: "
                    "each half must hold every class, so StabilitySelection needs at least "
                    "2 samples of each class (more for a multi-output target, whose halves "
                    "are not stratified)."
                )


class _HalfPaths:
    """The halves' paths of one fit, as joblib tasks (one per half): started
    over the grid's rates, then gone on with over larger ones, each half's
    network warm from where it stopped.  Ctrl-C in any path
    ends them all; ``warn_capped`` tells the steps stopped at their epoch
    cap in one warning."""

    def __init__(self, estimator, path_param, path_max_iter, n_jobs):
        self.estimator = estimator
        self.settings = dict(
            path_param=path_param, path_max_iter=path_max_iter, stop=interrupts.StopFlag()
        )
        self.n_jobs = n_jobs
        self.caps = []

    def warn_capped(self):
        """One warning for the steps stopped at their epoch cap, if any."""
        max_iter = self.estimator.max_iter
        path_max_iter = self.settings["path_max_iter"]
        warn_capped_steps(self.caps, path_max_iter, max_iter, "the half-samples' paths")

    def start(self, X, y, sample_weight, halves_and_seeds, rates):
        """Whether each half's path selects each feature at each rate, an
        array (halves, rates, features)."""
        self._data = X, y, sample_weight
        settings = self.estimator, self.settings
        return self._tasks(
            partial(half_path, *settings, X, y, sample_weight, rows, rates, seed)
            for rows, seed in halves_and_seeds
        )

    def go_on(self, rates):
        """As ``start``, over ``rates`` above the last ones."""
        return self._tasks(
            partial(half_path_on, trainer, *self._data, rows, rates)
            for trainer, rows in zip(self._trainers, self._rows)
        )

    def _tasks(self, tasks):
        with interrupts.shared(self.settings["stop"]), capped_steps_quiet():
            results = run_side_by_side(list(tasks), self.n_jobs)
        # A process backend ships the trainers back: the ones to go on with.
        self._trainers = [trainer for _, _, trainer, _ in results]
        self._rows = [rows for _, _, _, rows in results]
        self.caps += [cap for _, caps, _, _ in results for cap in caps]
        return np.array([selected for selected, _, _, _ in results])


def half_path(estimator, settings, X, y, sample_weight, rows, rates, seed):
    """The path over ``rates`` on the rows ``rows``, with the network's seed
    ``seed``: which features it selects at each rate, (n_rates, n_features),
    each step's cap (``Step.capped``), the path's trainer and ``rows`` (to
    go on with, ``half_path_on``).  A module-level function, so that any
    joblib backend can ship it."""
    network = clone(estimator).set_params(random_state=int(seed))
    trainer = PathTrainer(network, **settings)
    return _walk(trainer, X, y, sample_weight, rows, rates, resume=False)


def half_path_on(trainer, X, y, sample_weight, rows, rates):
    """As ``half_path``, going on from the last rate of ``trainer``'s path
    over the larger ``rates``."""
    return _walk(trainer, X, y, sample_weight, rows, rates, resume=True)


def _walk(trainer, X, y, sample_weight, rows, rates, resume):
    X_half, y_half = _safe_indexing(X, rows), _safe_indexing(y, rows)
    weights = None if sample_weight is None else sample_weight[rows]
    steps = trainer.run(X_half, y_half, weights, rates, resume=resume)
    selected = path_bunch(steps, trainer.path_param).active_features
    return selected, [s.capped for s in steps], trainer, rows


def stable_set(active, threshold, max_false_selections, rates):
    """The selection from ``active`` (halves, rates, features), whether each
    half's path selects each feature at each rate: the fitted attributes
    from ``false_selection_bounds_`` to ``support_``.

    The rates considered are the largest ones, down to the smallest rate
    whose bound (for the rates from it up) is at most
    ``max_false_selections`` (every rate when it is None).  The bounds do
    not increase with the rate (a half's union over fewer rates is smaller),
    so those rates are the largest ones."""
    n_rates, n_features = active.shape[1:]
    # Per half, the features selected at this rate or a larger one.
    unions = np.logical_or.accumulate(active[:, ::-1], axis=1)[:, ::-1]
    q = unions.sum(axis=2).mean(axis=0)
    bounds = q**2 / ((2 * threshold - 1) * n_features)
    first = 0
    if max_false_selections is not None:
        # (A relative tolerance: 2 * 0.6 - 1 is not 0.2 in floating point.)
        first = int(np.sum(bounds > max_false_selections * (1 + 1e-9)))
    considered = active[:, first:].mean(axis=0)  # (rates considered, features)
    scores = considered.max(axis=0) if first < n_rates else np.zeros(n_features)
    found = first < n_rates
    return dict(
        false_selection_bounds_=bounds,
        alpha_min_=float(rates[first]) if found else None,
        mean_n_selected_=float(q[first]) if found else 0.0,
        expected_false_selections_=float(bounds[first]) if found else 0.0,
        stability_scores_=scores,
        support_=scores >= threshold,
    )


def _target_link(estimator):
    """The link a regressor's target is scaled for (``skreg._target``);
    None for a classifier."""
    if is_classifier(estimator):
        return None
    return "exp" if estimator.loss == "poisson" else "identity"
