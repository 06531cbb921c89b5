"""
==============================================
Finding the informative features along a path
==============================================

Five features carry the signal and 35 are noise. Which are which is not
known to the model, and a network trained on all 40 learns the noise along
with the signal. :class:`~skreg.RegularizedMLPClassifierCV` with
``path_param="group_alpha"`` finds a group-lasso rate on the input layer by
cross-validation: on each fold it trains one network along increasing rates,
each rate starting from the weights of the one before, so that the noise
features drop out one after the other, and it scores every rate on the
held-out part. This example draws that path with
:class:`~skreg.inspection.RegularizationPathDisplay`, compares the features
the chosen network keeps with the truth, and follows its training with
:class:`~skreg.inspection.LossCurveDisplay`.
"""

# %%
# Five informative features among forty
# --------------------------------------
# With ``shuffle=False``, :func:`~sklearn.datasets.make_classification` puts
# the informative features first: columns 0 to 4 carry the signal (two
# clusters per class, so the classes are not linearly separable), the 35
# others are Gaussian noise. 1000 samples to train on, 2000 to test.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier, RegularizedMLPClassifierCV
from skreg.inspection import LossCurveDisplay, RegularizationPathDisplay

n_informative = 5
X, y = make_classification(
    n_samples=3000,
    n_features=40,
    n_informative=n_informative,
    n_redundant=0,
    n_repeated=0,
    n_clusters_per_class=2,
    shuffle=False,
    random_state=0,
)
informative = np.arange(X.shape[1]) < n_informative
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=1000, stratify=y, random_state=0
)

# %%
# The search
# ----------
# The group penalty weighs every feature's outgoing weights on one scale, so
# the features are standardized first. The scaler is fitted on the whole
# training set, before the CV estimator cuts its folds.
#
# ``alphas=15`` builds 15 rates from the data, log-spaced over three decades
# up to a rate at which the penalty's pull exceeds the gradients of a freshly
# initialized network. On each of the 5 folds, the first rate is trained as
# a plain fit (up to ``max_iter`` epochs) and every later one for at most
# ``path_max_iter`` (20) epochs from where the previous one stopped; one more
# path runs on all the training data, and the final model is that path
# stopped at the chosen rate. ``selection_rule="1se"`` takes the sparsest
# model whose mean held-out accuracy is within one standard error of the
# best one. Two threads run the six paths. ``group_weights=None`` asks for
# the plain group lasso: a group path's default adds adaptive weights
# (below).

network = dict(
    hidden_layer_sizes=(32,),
    learning_rate_init=0.01,
    max_iter=200,
    random_state=0,
)
search = make_pipeline(
    StandardScaler(),
    RegularizedMLPClassifierCV(
        **network,
        path_param="group_alpha",
        alphas=15,
        cv=5,
        selection_rule="1se",
        group_weights=None,
        n_jobs=2,
    ),
)
with warnings.catch_warnings():
    # Path steps stop at path_max_iter on purpose.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)
cv_model = search[-1]
results = cv_model.cv_results_
best = np.argmax(results["mean_test_score"])
chosen = np.flatnonzero(results["param_group_alpha"] == cv_model.alpha_)[0]

print(f"6 paths of 15 rates in {cv_model.fit_time_:.1f} s")
print(f"{'group_alpha':>12}{'accuracy':>10}{'+- std':>8}{'features':>10}")
for i, rate in enumerate(results["param_group_alpha"]):
    mark = " <- chosen (1 SE)" if i == chosen else " <- best" if i == best else ""
    print(
        f"{rate:12.2e}{results['mean_test_score'][i]:10.3f}"
        f"{results['std_test_score'][i]:8.3f}"
        f"{results['mean_n_features_selected'][i]:10.1f}{mark}"
    )

# %%
# The path
# --------
# The display draws the mean held-out accuracy with a band of one standard
# deviation over the folds, the mean number of features each fold's network
# still uses (dashed, right axis), and the chosen rate. The grey line is the
# bar the one-standard-error rule sets: the best mean accuracy minus one
# standard error (the standard deviation over the 5 folds divided by
# :math:`\sqrt{5}`).

display = RegularizationPathDisplay.from_estimator(search)
standard_error = results["std_test_score"][best] / np.sqrt(5)
bar = results["mean_test_score"][best] - standard_error
display.ax_.axhline(bar, color="grey", linewidth=0.8)
display.ax_.set_title("Group lasso on the inputs: 5-fold accuracy along the path")
display.figure_.set_size_inches(8, 4.5)
display.figure_.tight_layout()

# %%
# At the small rates on the left, the penalty removes nothing: every fold's
# network uses all 40 features and scores its worst. As the rate grows, the
# noise features lose their weights and the held-out accuracy climbs, until
# the penalty starts to shrink the informative features too and the accuracy
# falls again. The automatic grid stops about there: at its largest rate
# five or six features are left on average, the informative ones among them.
#
# The one-standard-error rule takes the sparsest model whose mean accuracy
# clears the grey bar (the best mean minus one standard error): a model that
# scores within the folds' noise of the best, with fewer features. Where the
# best rate is already the sparsest above the bar, the two rules agree; the
# next rate, sparser still, falls below it. (The exact rates and counts move
# a little from one machine to another: the floating-point rounding of the
# kernels depends on the processor.)
#
# Which features the chosen network uses
# --------------------------------------
# ``feature_importances_`` is the norm of each feature's outgoing weights,
# zero for a feature the penalty removed.

importance = cv_model.feature_importances_
kept = importance > 0
print(
    f"kept {kept.sum()} features: {kept[informative].sum()} of the {n_informative} "
    f"informative ones and {kept[~informative].sum()} of the "
    f"{(~informative).sum()} noise ones"
)
print("kept noise features:", np.flatnonzero(kept & ~informative))
print(
    f"importance: smallest informative {importance[informative].min():.3f}, "
    f"largest noise {importance[~informative].max():.3f}"
)

fig, ax = plt.subplots(figsize=(9, 3.2))
features = np.arange(X.shape[1])
ax.bar(features, importance, color=np.where(informative, "C1", "C0"))
ax.plot(features[~kept], np.zeros((~kept).sum()), "x", color="k", markersize=5)
ax.set_xlabel("feature (0-4 informative, in orange; x: removed)")
ax.set_ylabel("feature_importances_")
ax.set_title(f"The chosen network keeps {kept.sum()} of {X.shape[1]} features")
fig.tight_layout()

# %%
# How the chosen network was trained
# ----------------------------------
# ``loss_curve_`` of a CV estimator runs along the whole path on the training
# data, up to the chosen rate: the first rate's full fit, the long descent on
# the left, then each step. The objective (data loss plus penalty) grows
# along the steps, since each raises the rate: the penalty weighs more, and
# the network it shrinks fits the training data less closely.

loss_display = LossCurveDisplay.from_estimator(search)
title = f"{cv_model.n_iter_} epochs along the path, up to the chosen rate"
loss_display.ax_.set_title(title)
loss_display.figure_.set_size_inches(8, 3.5)
loss_display.figure_.tight_layout()

# %%
# On new data
# -----------
# The test set, 2000 samples the search never saw, against the same network
# trained without a penalty on every feature, on the features the search
# kept, and on the five informative ones (which only the data's maker knows).
# The penalty also shrinks the weights it keeps, which a refit without it on
# the kept features undoes.

plain = dict(network, penalty=None)
candidates = {
    "all 40 features, no penalty": np.ones(X.shape[1], dtype=bool),
    f"the {kept.sum()} kept features, no penalty": kept,
    "the 5 informative features, no penalty": informative,
}
print(f"{'network':<40}{'test accuracy':>14}")
print(f"{'the chosen group-lasso network':<40}{search.score(X_test, y_test):14.3f}")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, columns in candidates.items():
        model = make_pipeline(StandardScaler(), RegularizedMLPClassifier(**plain))
        model.fit(X_train[:, columns], y_train)
        print(f"{name:<40}{model.score(X_test[:, columns], y_test):14.3f}")
plt.show()

# %%
# The search kept all five informative features and dropped most of the 35
# noise ones (the counts are printed above), choosing from the training data
# alone. The noise features
# left hold small weights, several times smaller than any informative
# feature's, so a threshold on ``feature_importances_`` (as
# :class:`~sklearn.feature_selection.SelectFromModel` applies,
# :ref:`sphx_glr_auto_examples_plot_group_lasso_selection.py`) would remove
# them too. Trained on the kept features, a plain network closes part of
# the gap between the network on all 40 features and the one that was told
# the answer; the group-lasso network itself, which keeps the noise
# features' weights small, does better than either refit.

# %%
# Adaptive group weights
# ----------------------
# The penalty shrinks the informative features while it removes the noise,
# so the rate that predicts best stops before the last weak noise features
# go. ``group_weights="adaptive"`` gives each feature its own factor on the
# group term, computed on each fold from the path's first step, the nearly
# unregularized fit: :math:`(\max_k \|w_k\| / \|w_j\|)^2` for a feature whose
# outgoing weights are :math:`w_j` there. The features that network barely
# used are then penalized more, and removed first; the strong ones are
# shrunk less. With the 1se rule, they are a group path's default
# (``group_weights="auto"``, ``selection_rule="auto"``); they are spelled
# out here.

adaptive = make_pipeline(
    StandardScaler(),
    RegularizedMLPClassifierCV(
        **network,
        path_param="group_alpha",
        group_weights="adaptive",
        alphas=15,
        cv=5,
        selection_rule="1se",
        n_jobs=2,
    ),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    adaptive.fit(X_train, y_train)
kept_adaptive = adaptive[-1].feature_importances_ > 0
print(
    f"adaptive weights: kept {kept_adaptive[informative].sum()} of the {n_informative} "
    f"informative features and {kept_adaptive[~informative].sum()} of the "
    f"{(~informative).sum()} noise ones; test accuracy {adaptive.score(X_test, y_test):.3f}"
)

# %%
# With the adaptive weights the search removes nearly all the noise features
# and keeps the five informative ones, and the chosen network scores close
# to the one that was told the answer.
