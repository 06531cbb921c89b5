"""
===================
Choosing the rate
===================

Too little regularization leaves the gap between training and test error
open; too much closes it by making both errors large. The rate in between
is chosen on the training data alone, by cross-validation: this example
computes the validation curve of ``alpha`` with scikit-learn's
:func:`~sklearn.model_selection.validation_curve`, draws it with
:class:`~sklearn.model_selection.ValidationCurveDisplay`, picks a rate from
it in two ways, runs the same search along regularization paths with
:class:`~skreg.RegularizedMLPClassifierCV`, and checks the choices on a test
set that neither search saw.
"""

# %%
# A small training set
# --------------------
# 500 handwritten digits to train on, the other 1297 to test. The scaler
# sits in the pipeline, so that each cross-validation fold fits it on its
# own training part.

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from joblib import parallel_config
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ValidationCurveDisplay, train_test_split, validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier, RegularizedMLPClassifierCV
from skreg.inspection import RegularizationPathDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=500, stratify=y, random_state=0
)

network = dict(
    hidden_layer_sizes=(64,),
    penalty="l2",
    learning_rate_init=0.01,
    batch_size=50,
    max_iter=150,
    random_state=0,
)
model = make_pipeline(StandardScaler(), RegularizedMLPClassifier(**network))

# %%
# The validation curve
# --------------------
# Eleven rates, from ``1e-5`` to ``1``, a factor of about 3 apart; for each,
# 5-fold cross-validation: 55 fits. The kernels release the GIL, so the
# folds run in two threads (joblib's default, worker processes, would spend
# longer starting than fitting here). The scores are drawn below, once the
# rates to mark on the curve are known.

alphas = np.logspace(-5, 0, 11)
start = time.perf_counter()
with warnings.catch_warnings(), parallel_config(backend="threading", n_jobs=2):
    # Some fits stop at max_iter; the curve is what matters here.
    warnings.simplefilter("ignore", ConvergenceWarning)
    train_scores, test_scores = validation_curve(
        model,
        X_train,
        y_train,
        param_name="regularizedmlpclassifier__alpha",
        param_range=alphas,
        cv=5,
    )
grid_seconds = time.perf_counter() - start
print(f"55 fits in {grid_seconds:.1f} s")
display = ValidationCurveDisplay(
    param_name="alpha",
    param_range=alphas,
    train_scores=train_scores,
    test_scores=test_scores,
    score_name="accuracy",
)

# %%
# Two rules to pick a rate from it
# --------------------------------
# * **best**: the rate with the highest mean validation accuracy;
# * **one standard error**: the *largest* rate whose mean validation
#   accuracy is within one standard error of the best one. The five folds'
#   scores are noisy, and between rates that score alike within that noise,
#   this rule takes the most regularized, simplest model.

mean_score = display.test_scores.mean(axis=1)
standard_error = display.test_scores.std(axis=1) / np.sqrt(display.test_scores.shape[1])
best = np.argmax(mean_score)
within_one_se = mean_score >= mean_score[best] - standard_error[best]
one_se = np.flatnonzero(within_one_se).max()

print(f"{'alpha':>8}{'train':>8}{'valid':>8}{'+- SE':>8}")
for i, alpha in enumerate(alphas):
    mark = " <- best" if i == best else " <- one standard error" if i == one_se else ""
    print(
        f"{alpha:8.0e}{display.train_scores[i].mean():8.3f}{mean_score[i]:8.3f}"
        f"{standard_error[i]:8.3f}{mark}"
    )

# The same curves twice: every rate on the left, the top of the accuracy
# scale on the right. The shaded bands are one standard deviation of the
# five folds' scores.
fig, (ax_all, ax_top) = plt.subplots(1, 2, figsize=(11, 4.2))
for ax in (ax_all, ax_top):
    display.plot(ax=ax, std_display_style="fill_between")
    ax.axvline(alphas[best], color="C2", ls="--", label=f"best: {alphas[best]:.0e}")
    ax.axvline(alphas[one_se], color="C3", ls=":", label=f"one SE: {alphas[one_se]:.0e}")
    ax.set_xlabel("alpha")
    handles, _ = ax.get_legend_handles_labels()
    lines = [h.get_label() for h in handles[2:]]
    labels = ["training folds", "validation folds"] + lines
    ax.legend(handles, labels, loc="lower left", fontsize=9)
ax_top.set_ylim(0.9, 1.005)
ax_all.set_title("every rate")
ax_top.set_title("zoom on the top")
fig.suptitle(f"5-fold validation curve of alpha: 55 fits in {grid_seconds:.1f} s")
fig.tight_layout()
plt.show()

# %%
# To the left, the training accuracy is 100 % and the validation accuracy a
# few points lower: the gap of an overfitting network. As ``alpha`` grows
# the gap narrows; past ``1e-2`` both curves fall together, the network now
# underfits, and at ``alpha=1`` every weight is pulled to zero and the
# model predicts a single class.
#
# The same search along paths
# ---------------------------
# The 55 fits above train every rate from scratch. Neighbouring rates give
# neighbouring networks, so :class:`~skreg.RegularizedMLPClassifierCV`
# trains one network per fold *along* the rates instead, from the smallest
# to the largest: the first rate is a plain fit, and every later rate starts
# from the weights and optimizer state the previous one ended with and trains
# for at most ``path_max_iter`` (20) epochs. It scores each rate on the
# fold's held-out part, as the validation curve does, and chooses with the
# same rule (``selection_rule="1se"``; with L2 no weight is exactly zero, so
# "sparsest" falls back on the larger rate). Its final model is one more
# path, on all the training data, stopped at the chosen rate: six paths in
# all, run in two threads.
#
# It gets the same eleven rates here, to compare like with like; without
# ``alphas`` it would build its own grid from the data.

path_search = make_pipeline(
    StandardScaler(),
    RegularizedMLPClassifierCV(
        **network,
        alphas=alphas,
        cv=5,
        selection_rule="1se",
        n_jobs=2,
    ),
)
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    path_search.fit(X_train, y_train)
path_seconds = time.perf_counter() - start
cv_model = path_search[-1]
results = cv_model.cv_results_
print(f"6 paths of 11 rates, final model included, in {path_seconds:.1f} s")
print(f"epochs per fold and rate: {np.round(results['mean_n_iter']).astype(int)}")
print(f"chosen alpha: {cv_model.alpha_:.0e}")

# %%
# Left, the validation curve of the 55 fits from scratch; right, the held-out
# accuracy along the paths, drawn by
# :class:`~skreg.inspection.RegularizationPathDisplay` from ``cv_results_``.
# (Its ``from_estimator`` would also draw the number of input features the
# network uses; with an L2 penalty that never changes, so the arrays are
# handed to the constructor here and the count is left out.)

fig, (ax_grid, ax_path) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
display.plot(ax=ax_grid, score_type="test", std_display_style="fill_between")
one_se_line = ax_grid.axvline(alphas[one_se], color="k", ls=":")
ax_grid.legend(
    [display.lines_[0], one_se_line],
    ["validation folds", f"one SE: {alphas[one_se]:.0e}"],
    loc="lower left",
)
ax_grid.set_xlabel("alpha")
ax_grid.set_ylabel("accuracy")
ax_grid.set_title(f"55 fits from scratch: {grid_seconds:.1f} s")
path_display = RegularizationPathDisplay(
    alphas=results["param_alpha"],
    mean_test_score=results["mean_test_score"],
    std_test_score=results["std_test_score"],
    chosen_alpha=cv_model.alpha_,
    score_name="accuracy",
).plot(ax=ax_path)
ax_path.set_title(f"6 warm-started paths: {path_seconds:.1f} s")
ax_grid.set_ylim(0.9, 1.0)
fig.tight_layout()
plt.show()

# %%
# The two curves have the same shape, but they are not the same curve. A
# path step starts from the previous rate's network and trains it for at
# most 20 epochs, so the network at a rate is not the one a fit from scratch
# would reach: it still carries some of what the smaller rates allowed. The
# path's curve is flatter, level from ``1e-4`` to ``3e-3``, and stays within
# one standard error of its best up to ``1e-2``, which its rule therefore
# chooses, one rate past ``3e-3``, where the validation curve's rule
# stopped. That is also why the final model is the path on all the data,
# stopped at the chosen rate, rather than a fit from scratch: it is the kind
# of model whose score chose the rate.
#
# Checking the choices on the test set
# ------------------------------------
# Refit on the whole training set at each rate the validation curve chose,
# and at the smallest rate of the grid as a baseline; the path's model needs
# no refit.

print(f"{'rate':<34}{'train':>8}{'test':>8}")
for label, i in [("smallest", 0), ("best", best), ("one standard error", one_se)]:
    model.set_params(regularizedmlpclassifier__alpha=alphas[i])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    label = f"{label} ({alphas[i]:.0e})"
    train, test = model.score(X_train, y_train), model.score(X_test, y_test)
    print(f"{label:<34}{train:8.3f}{test:8.3f}")
label = f"path, one standard error ({cv_model.alpha_:.0e})"
train, test = path_search.score(X_train, y_train), path_search.score(X_test, y_test)
print(f"{label:<34}{train:8.3f}{test:8.3f}")

# %%
# The grid's choices beat the barely regularized network on the test set by
# half a point; the path's model, chosen for sparsity within the noise of
# the folds, matches it: the chosen models are within a few of the 1297
# test digits of each other. The paths took about a third of the time of the 55 fits, with their
# final model included: each of the 55 fits starts from random weights and
# trains until its stopping rule fires, while every path step but the first
# starts from a network that is nearly trained already.
#
# :class:`~sklearn.model_selection.GridSearchCV` remains the tool for
# searching several parameters at once (``penalty`` and ``batch_size``
# alongside ``alpha``, say, :ref:`tuning`); the path estimators search the
# rate, and a list of ``l1_ratio`` values, only. Because ``alpha`` here does
# not depend on the batch size, the rate chosen either way stays valid if
# ``batch_size`` or the solver changes afterwards.
