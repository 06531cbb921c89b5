"""Documentation shared by the estimators: their common parameters and
fitted attributes, filled into each class docstring by ``fill_docstring``."""

import re

PARAMETERS = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', \
            'elu', 'softplus', 'gelu'}, default='relu'
        Activation of the hidden layers: scikit-learn's four, and

        - 'leaky_relu', ``z`` for ``z > 0`` and ``leaky_relu_slope * z``
          otherwise;
        - 'elu', ``z`` for ``z > 0`` and ``exp(z) - 1`` otherwise;
        - 'softplus', ``log(1 + exp(z))``;
        - 'gelu', in its tanh approximation
          ``0.5 z (1 + tanh(sqrt(2 / pi) (z + 0.044715 z^3)))`` (what
          PyTorch computes with ``approximate='tanh'``; within about 1e-3 of
          the exact ``z * Phi(z)``).

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        'adam' and 'sgd' train in minibatches with a proximal step for the
        non-smooth penalties; 'lbfgs' (scipy's L-BFGS-B, full batch) supports
        only smooth, deterministic objectives (``penalty`` 'l2' or None, no
        ``group_alpha``, dropout, noise, max-norm or weight decay).

    alpha : float or array-like of shape (n_layers - 1,), default=0.0001
        Strength of the penalty, one value per weight matrix if a sequence.
        Unlike scikit-learn's MLP, the penalty is not divided by the batch
        size: scikit-learn's ``alpha_sk`` with batch size ``B`` is
        ``alpha = alpha_sk / B`` here (``B = n_samples`` for lbfgs).

    batch_size : int, 'auto' or 'quarter', default='auto'
        Minibatch size of the stochastic solvers. 'auto' is
        ``min(200, n_samples)``, as in scikit-learn. 'quarter' is 200 rows,
        or on fewer than 800 samples a quarter of them (at least 32, at most
        ``n_samples``), so that an epoch makes at least four updates; it is
        the CV estimators' default.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule of solver='sgd', as in scikit-learn.

    learning_rate_init : float, default=0.001
        Initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle the samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, the early-stopping split,
        dropout masks and input noise. The same seed gives the same model.

    tol : float, default=1e-4
        Tolerance of the stopping rule: training stops when the loss (or the
        validation score) does not improve by ``tol`` for
        ``n_iter_no_change`` consecutive epochs.

    verbose : bool, default=False
        Print the objective after every epoch.

    warm_start : bool, default=False
        Continue from the current ``coefs_`` and ``intercepts_``.

    momentum : float, default=0.9
        Momentum of solver='sgd'.

    nesterovs_momentum : bool, default=True
        Whether solver='sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for
        single-output classification), stop when its score stalls and restore
        the best weights.

    validation_fraction : float, default=0.1
        Share of the data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate.

    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate.

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int, default=10
        Epochs without improvement before stopping (``np.inf`` never stops).

    max_fun : int, default=15000
        Maximum number of objective evaluations of solver='lbfgs'.

    penalty : {'l2', 'l1', 'elasticnet'} or None, default='l2'
        Norm penalized with strength ``alpha``: ``rho * ||W||_1 +
        (1 - rho) / 2 * ||W||_2^2`` with rho 0 for 'l2', 1 for 'l1' and
        ``l1_ratio`` for 'elasticnet'. None switches the term off.
        Intercepts are never penalized.

    l1_ratio : float, default=0.15
        The L1 share rho of 'elasticnet'.

    l1_method : {'proximal', 'subgradient'}, default='proximal'
        'proximal' soft-thresholds the weights after each step, so that they
        reach exact zeros (per coordinate with Adam); 'subgradient' adds
        ``alpha * rho * sign(w)`` to the gradient, as Keras does.

    group_alpha : float or array-like of shape (n_layers - 1,), default=0.0
        Group-lasso strength on the rows of each weight matrix (all outgoing
        weights of an input feature or a hidden unit): the term of a row
        ``g`` is ``group_alpha * sqrt(len(g)) * ||g||_2``, applied by block
        soft-thresholding: a row driven to zero removes that unit.

    group_weights : array-like of shape (n_features,) or None, default=None
        A positive factor per input feature that multiplies its group term
        (the input layer's row): a larger factor removes that feature at a
        smaller ``group_alpha``, as glmnet's penalty factors do. None is 1
        for every feature. With ``feature_groups``, one factor per block, in
        the order in which the blocks' labels first appear among the columns.

    feature_groups : array-like of shape (n_features,), 'auto' or None, default=None
        One label (int or str) per input column: the columns that share a
        label form a block, and the group term on the input layer takes one
        norm over all of the block's rows, weighted by the square root of the
        block's number of weights (its columns times the width of
        ``coefs_[0]``, as a lone row is weighted by the square root of its
        length), so that a block is kept or removed whole
        (a categorical feature's one-hot columns, say). 'auto' reads the
        blocks from column names written as scikit-learn's
        ``get_feature_names_out`` writes a one-hot encoder's
        (``transformer__feature_category``; X must be a DataFrame), confirmed
        by the values: columns whose names share a stem before a ``_`` form
        a block when they are one-hot columns (two values each, never the
        larger in the same row; scaled ones too), so numeric columns that
        share a stem stay apart. The blocks read are ``feature_groups_``.
        ``skreg.feature_groups_from(fitted_transformer)`` gives the exact
        labels from the transformer itself. None: each column its own group.

    weight_decay : float, default=0.0
        Decoupled weight decay: each step first multiplies the weights by
        ``1 - lr * weight_decay``, with ``lr`` the schedule's current learning
        rate (not Adam's bias-corrected step), then adds the optimizer's
        update. With plain SGD (``momentum=0``) this equals ``penalty='l2'``
        with ``alpha=weight_decay``; with Adam it is AdamW. It is not part of
        the objective recorded in ``loss_curve_``.

    dropout : float or array-like of shape (n_layers - 2,), default=0.0
        Fraction of hidden units dropped during training (inverted dropout),
        one rate per hidden layer if a sequence.

    input_dropout : float, default=0.0
        Fraction of input features dropped during training.

    input_noise : float, default=0.0
        Standard deviation of Gaussian noise added to the inputs of every
        training batch.

    max_norm : float or None, default=None
        After every step, each unit's incoming weight vector (a column of a
        weight matrix) is rescaled to norm at most ``max_norm``.

    skip_connection : bool, default=False
        Add a linear term ``X @ skip_coef_`` to the output layer's
        pre-activation, trained with the network. ``alpha`` penalizes
        ``skip_coef_`` as a weight matrix at the input layer's rate (the
        first value of an ``alpha`` list); ``weight_decay`` decays it;
        ``group_alpha`` and ``max_norm`` leave it alone. A warm start cannot
        switch it on or off.

    hierarchy : float or None, default=None
        With ``skip_connection=True``, a positive M: after every step of sgd
        or adam, each input feature's first-layer weights are held within M
        times the norm of its skip weights, ``|coefs_[0][j, k]| <= M
        ||skip_coef_[j]||`` (LassoNet's hierarchical proximal step), so that
        a feature reaches the hidden units only as far as it is used
        linearly, and leaves the network with its skip weights. The skip
        weights then get the penalty of ``skip_alpha`` instead of
        ``alpha``'s. Not with ``solver='lbfgs'``.

    skip_alpha : float, default=0.0
        With ``hierarchy``, the rate of the penalty ``skip_alpha * sum_j
        ||skip_coef_[j]||`` on the skip weights (a group lasso on their rows,
        one per input feature), applied in the hierarchical proximal step
        with the mean step size of the feature's skip weights: raising it
        removes features from the whole network.

    leaky_relu_slope : float, default=0.01
        Slope of the 'leaky_relu' activation for negative inputs (ignored by
        the other activations). Above 1 each hidden layer amplifies its
        negative inputs; a fit that diverges then names this parameter first.

    scoring : str, callable or None, default=None
        The score of the validation data (early stopping's split, or
        ``X_val``) after every epoch, recorded in ``validation_scores_``; with
        early stopping, training stops when it stalls. None is accuracy for
        the classifier and R^2 for the regressor, as in scikit-learn; 'loss'
        is minus the objective J on the validation data; any scorer name or
        callable ``scorer(estimator, X, y)`` works. A score of NaN is an
        error.
"""

ATTRIBUTES = """\
    loss_ : float
        The objective J (data loss plus penalty) of the last epoch, the last
        entry of ``loss_curve_``. For sgd and adam its data part is measured
        during the epoch, as scikit-learn's MLP measures it: the weighted mean
        of each minibatch's loss before that batch's update (with dropout
        and noise), plus the penalty of the weights at the epoch's end; for
        lbfgs it is J at the solution.

    best_loss_ : float or None
        The smallest J reached; None with early stopping.

    loss_curve_ : list of float
        J after each epoch (each iteration for lbfgs), measured as ``loss_``
        is.

    validation_scores_ : list of float or None
        Score (``scoring``) on the validation data after each epoch (each
        iteration for 'lbfgs'), with early stopping or ``X_val``: one entry
        per entry of ``loss_curve_``. A warm start or ``partial_fit`` without
        validation data sets it (and the other validation attributes) to
        None; one with validation data after calls without gives their
        epochs NaN.

    best_validation_score_ : float or None
        Best validation score, with early stopping or ``X_val``.

    validation_loss_curve_ : list of float or None
        The objective J on the validation data after each epoch (each
        iteration for 'lbfgs'), with early stopping or ``X_val``.

    t_ : int
        Number of training samples seen by the stochastic solver.

    coefs_ : list of ndarray of shape (n_units_in, n_units_out)
        Weight matrix of each layer.

    intercepts_ : list of ndarray of shape (n_units_out,)
        Intercept vector of each layer.

    skip_coef_ : ndarray of shape (`n_features_in_`, `n_outputs_`)
        The skip connection's matrix: the output layer's pre-activation gets
        ``X @ skip_coef_`` added. Only with ``skip_connection=True``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_groups_ : list or None
        The block label of each input column the fit used: ``feature_groups``
        as given, or with 'auto' the blocks read from the names and values
        of the data the fit saw (a later ``partial_fit`` or warm start keeps
        them).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    n_iter_ : int
        Number of epochs (iterations for lbfgs) run by the last call to fit
        (1 after partial_fit), as in scikit-learn.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Output activation: 'identity', 'exp', 'softmax' or 'logistic'.

    sparsity_ : list of float
        Fraction of exactly-zero weights in each weight matrix.

    active_units_ : list of ndarray of bool
        For each layer but the output (inputs first), which units have a
        non-zero outgoing weight.

    n_features_selected_ : int
        Number of active input features: a non-zero weight in its row of
        ``coefs_[0]`` (or, with a skip connection, of ``skip_coef_``); with
        ``feature_groups``, the columns of the blocks in use.

    feature_importances_ : ndarray of shape (`n_features_in_`,)
        The norm of each input feature's outgoing first-layer weights (and
        skip weights), zero for a removed feature (``SelectFromModel`` reads
        it); with ``feature_groups``, the norm of its block's rows, the same
        for every column of a block, so that ``SelectFromModel``'s
        ``threshold`` keeps or drops a block whole (its ``max_features``
        counts columns and can cut a block).

    selected_groups_ : ndarray of objects
        The labels of the blocks of ``feature_groups`` in use, in the order
        of their first column; without ``feature_groups``, the names of
        ``selected_features_``.

    selected_features_ : ndarray of str objects of shape (`n_features_selected_`,)
        The names of the active input features, in the order of the
        columns: from ``feature_names_in_`` when fit saw named columns, else
        ``x0``, ``x1``, ... (as ``get_feature_names_out`` names unnamed
        columns). ``SelectFromModel(est, threshold=np.finfo(float).tiny,
        prefit=True)`` keeps the same features.
"""


def fill_docstring(cls):
    """Put the shared sections in place of ``{params}`` and ``{attributes}``
    (each on a line of its own, however indented) in ``cls.__doc__``;
    returns ``cls``."""
    cls.__doc__ = _fill(cls.__doc__, params=PARAMETERS, attributes=ATTRIBUTES)
    return cls


def _fill(doc, **sections):
    for name, text in sections.items():
        doc = re.sub(rf"^[ \t]*\{{{name}\}}[ \t]*\n", lambda _, text=text: text, doc, flags=re.M)
    return doc


CV_PARAMETERS = """\
    alphas : int or array-like, default=10
        The rates the path moves through: an int (at least 2) builds that many
        from the data, log-spaced from ``eps`` times the rate at which the
        penalty removes (nearly) everything up to that rate; an array gives
        them (finite, non-negative): 1-D, the same rates for every
        ``l1_ratio``, or 2-D with one row per ``l1_ratio``.

    eps : float, default=1e-3
        Smallest rate of the automatic grid, as a fraction of the largest.

    path_param : {'alpha', 'group_alpha', 'skip_alpha'}, default='alpha'
        The parameter the path moves. Its value in the parameters above is
        used only as a pattern: a sequence gives the relative strength on each
        weight matrix; a float means every layer for ``alpha`` and the input
        layer alone for ``group_alpha`` (feature selection). An ``alpha`` path
        needs a penalty (not ``penalty=None``), and ``group_weights='adaptive'``
        a group term (``path_param='group_alpha'`` or ``group_alpha`` above 0).
        A ``skip_alpha`` path moves the hierarchy's rate (it needs
        ``skip_connection=True`` and ``hierarchy``): it selects features for
        the whole network, from the rate at which every feature's skip and
        first-layer gradients at the start stay within the hierarchy's
        threshold down; 'auto' means the 'best' rule there.
        A ``group_alpha`` path at the defaults is the feature-selection
        recipe: adaptive group weights and the '1se' rule (see
        ``group_weights`` and ``selection_rule``).

    l1_ratio : float or array-like, default=0.15
        As above (``penalty='elasticnet'``); a list is searched too, one path
        per value. A list of more than one value needs
        ``penalty='elasticnet'``: the other penalties do not use it.

    cv : int, cross-validation generator or iterable, default=None
        Folds, as in scikit-learn: None is 5-fold (stratified for
        classifiers). ``fit(..., groups=...)`` hands group labels to the
        splitter (``GroupKFold``). Every fold needs samples on both sides, a
        training part whose sample weights do not all vanish and, for a
        classifier, every class in its training part.

    scoring : str, callable or None, default=None
        How a fold's held-out part is scored; None uses ``score`` (accuracy
        or R^2). A scorer must return a number; a rate with a NaN score on
        some fold is never chosen. ``'neg_log_loss'`` is given every class of
        y, so that a test fold holding fewer classes is scored.

    n_jobs : int or None, default=None
        Paths run in parallel: one joblib task per fold and l1_ratio, plus one
        for the final model on all the data (none with ``refit='ensemble'``).
        Threads unless a joblib backend is set (the kernels release the GIL;
        each task gets one BLAS thread).

    selection_rule : {'auto', 'best', '1se'}, default='auto'
        'best' takes the rate with the best mean score; '1se' the sparsest
        model whose mean score is within one standard error of the best
        (sparsest: the fewest input features on a ``group_alpha`` path, the
        largest fraction of exact-zero weights on an ``alpha`` path). Ties go
        to the larger rate. 'auto' is '1se' on a ``group_alpha`` path, which
        selects features, and 'best' on an ``alpha`` path; the rule used is
        ``selection_rule_``.

    path_max_iter : int, default=20
        Most epochs of each path step after the first (which trains up to
        ``max_iter``, as a plain fit); never more than ``max_iter``. The
        stochastic solvers train more epochs on small data, so that each
        step makes at least 100 updates.

    path_warm_start : bool, default=True
        Whether each step of a path starts from the previous one. False fits
        every rate from scratch, as ``cross_val_score`` of the base estimator
        would: slower, for comparison.

    refit : True or 'ensemble', default=True
        What the model is once the rate is chosen, named as
        ``GridSearchCV``'s ``refit``, which says what follows its search.
        True: the path on all the data, stopped at the chosen rate (one more
        path to train). 'ensemble': in place of that refit, an ensemble of
        the folds' networks at the chosen rate, trained already and kept in
        ``estimators_``; the model is their mean (of ``predict_proba`` for a
        classifier, whose ``predict`` is the class of highest mean
        probability, of ``predict`` for a regressor). It trains no final
        path but keeps one network per fold, and while fitting, one per fold
        and rate. See the user guide, "A fold ensemble instead of the
        refit".
"""

CV_ATTRIBUTES = """\
    alpha_ : float
        The chosen rate of ``path_param``.

    selection_rule_ : {'best', '1se'}
        The rule that chose ``alpha_`` (``selection_rule``, 'auto' resolved).

    l1_ratio_ : float or None
        The chosen l1_ratio with ``penalty='elasticnet'``; None with the
        other penalties, which do not use it.

    alpha_at_edge_ : {'smallest', 'largest'} or None
        Whether ``alpha_`` is the smallest or the largest rate of its grid
        (a rate beyond it might score better or, with the '1se' rule at the
        largest, be sparser within one standard error; fit warns with a
        ``skreg.exceptions.RateAtGridEdgeWarning``); None when it lies
        inside, is 0, or is the only rate.

    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratios, n_alphas)
        The rates of the paths: one row per ``l1_ratio`` when there are
        several.

    cv_results_ : dict of ndarray
        One entry per (l1_ratio, rate), as GridSearchCV's: ``param_<path_param>``,
        ``param_l1_ratio`` (with ``penalty='elasticnet'`` only: the other
        penalties do not use it), ``params``, ``split<k>_test_score``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``, the mean
        and standard deviation over the folds of ``n_features_selected``,
        ``sparsity`` (fraction of exact-zero weights), ``fit_time`` (seconds
        of the step) and ``n_iter`` (epochs of the step), with
        ``feature_groups`` also of ``n_groups_selected`` (blocks in use), and
        ``n_capped_steps``, how many of the folds' steps at that rate used
        every epoch they were allowed (``path_max_iter``; ``max_iter`` for
        the first rate) and stopped there before converging.

    loss_curve_rate_starts_ : ndarray of shape (n_rates,)
        Where each rate of the final path, up to ``alpha_``, begins in
        ``loss_curve_`` (an index into it; the first is 0): the objective
        jumps there, as the rate grows. ``LossCurveDisplay`` marks them.

    path_importances_ : ndarray of shape (`n_features_in_`,)
        The exit order of the folds' paths (at the chosen l1_ratio): per
        input feature, the lower median over the folds of the rate from
        which on the fold's path no longer used it at any larger rate (inf
        when the largest rate still uses it, the first rate when no rate
        does); that is, the smallest rate by which at least half of the
        folds had removed it for good. A rate of ``alphas_`` or inf; larger
        means the feature withstood more penalty. It does not depend on the
        scale of the weights, and is the same with ``refit=True`` and
        ``refit='ensemble'``. Ties are common (one value per rate): break
        them with ``feature_importances_``.

    fit_time_ : float
        Seconds the cross-validated paths and the final path took.

    estimators_ : list of estimators
        With ``refit='ensemble'`` only: the fold networks at the chosen rate,
        fitted base estimators, ``estimators_[k]`` trained on the training
        part of fold ``k`` (the ``k``-th split of ``cv``, as in
        ``split<k>_test_score``), with that rate in its parameters and its
        path's history up to it in ``loss_curve_`` and ``n_iter_``; a
        regressor's trained on its fold's scaled target (``scale_target``)
        with the scale folded back in, so that it predicts in the target's
        unit.

"""

CV_NOTES = """\
    The fitted attributes of the network describe the final model: with
    ``refit=True``, the path on all the data, stopped at ``alpha_``. Its
    ``n_iter_`` and ``loss_curve_`` count every epoch of that path up to
    ``alpha_``.

    With ``refit='ensemble'`` there is no one network: ``coefs_``,
    ``intercepts_``, the training history (``loss_curve_``, ``loss_``, ...),
    ``sparsity_`` and ``active_units_`` raise an AttributeError that points
    to ``estimators_``, where each network has its own; ``n_iter_`` is an
    array of the networks' epochs, one per fold (as ``LogisticRegressionCV``
    gives one per fold); ``feature_importances_`` is the mean of the networks',
    ``n_features_selected_`` counts the features any of them uses (and
    ``selected_features_`` names them), and ``prune()`` prunes each of them.

    What ``fit`` warns about, each at most once per fit (each category can
    be silenced with ``warnings.filterwarnings("ignore", category=...)``):

    - ``ConvergenceWarning``: some path steps stopped at their epoch cap,
      with how many (per rate: ``cv_results_['n_capped_steps']``). Each
      step after the first is capped by ``path_max_iter``, not ``max_iter``.
    - ``skreg.exceptions.RateAtGridEdgeWarning``: ``alpha_`` is the smallest
      or the largest rate of a grid of several (``alpha_at_edge_``); pass
      ``alphas`` reaching further, or a lower ``eps``.
    - ``skreg.exceptions.FeatureScaleWarning``: the standard deviations of
      X's non-constant columns differ by more than a factor of 1000; one
      rate then suits no scale. Standardize X (``StandardScaler``).
    - ``skreg.exceptions.ConstantModelWarning``: the chosen model ignores
      its input (a weight matrix is all zero, or a classifier predicts one
      class for every training row) and predicts a constant.

    ``skreg.exceptions.SearchWarning`` is the base of the last three.

"""


# The shared parameters whose defaults the CV estimators change.
BATCH_SIZE_LINE = "batch_size : int, 'auto' or 'quarter', default="
GROUP_WEIGHTS_LINE = "group_weights : array-like of shape (n_features,) or None, default=None"
CV_GROUP_WEIGHTS_LINE = (
    "group_weights : array-like of shape (n_features,), 'adaptive', 'auto' or None, default='auto'"
)
# Appended to the shared description of group_weights.
CV_GROUP_WEIGHTS = """
        'adaptive' gives each path its own factors after its first step,
        ``(largest row norm / row norm) ** 2`` of the input rows (adaptive
        group lasso): a weak feature is removed at a smaller rate. 'auto' is
        'adaptive' on a ``group_alpha`` path and None on an ``alpha`` path.
        The final model's factors are ``group_weights_``."""


def fill_cv_docstring(cls):
    """``fill_docstring`` for the CV estimators, with their own sections."""
    cls.__doc__ = _fill(
        cls.__doc__, cv_params=CV_PARAMETERS, cv_attributes=CV_ATTRIBUTES, cv_notes=CV_NOTES
    )
    fill_docstring(cls)
    cls.__doc__ = cls.__doc__.replace(BATCH_SIZE_LINE + "'auto'", BATCH_SIZE_LINE + "'quarter'")
    cls.__doc__ = _with_cv_group_weights(cls.__doc__)
    return cls


def _with_cv_group_weights(doc):
    """``doc`` with the CV estimators' entry of group_weights: the shared
    one, its header and its end changed."""
    head, rest = doc.split(GROUP_WEIGHTS_LINE)
    shared, tail = rest.split("\n\n", 1)
    return head + CV_GROUP_WEIGHTS_LINE + shared + CV_GROUP_WEIGHTS + "\n\n" + tail
