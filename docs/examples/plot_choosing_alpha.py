"""
===================
Choosing the rate
===================

Too little regularization leaves the gap between training and test error
open; too much closes it by making both errors large. The rate in between
is chosen on the training data alone, by cross-validation: this example
draws the validation curve of ``alpha`` with scikit-learn's
:class:`~sklearn.model_selection.ValidationCurveDisplay`, picks a rate from
it in two ways, and checks the choice on a test set that the search never
saw.
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
from sklearn.model_selection import ValidationCurveDisplay, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=500, stratify=y, random_state=0
)

model = make_pipeline(
    StandardScaler(),
    RegularizedMLPClassifier(
        hidden_layer_sizes=(64,),
        penalty="l2",
        learning_rate_init=0.01,
        batch_size=50,
        max_iter=150,
        random_state=0,
    ),
)

# %%
# The validation curve
# --------------------
# Eleven rates, from ``1e-5`` to ``1``, a factor of about 3 apart; for each,
# 5-fold cross-validation: 55 fits. The kernels release the GIL, so the
# folds run in two threads (joblib's default, worker processes, would spend
# longer starting than fitting here).

alphas = np.logspace(-5, 0, 11)
fig, (ax_all, ax_top) = plt.subplots(1, 2, figsize=(11, 4.2))
start = time.perf_counter()
with warnings.catch_warnings(), parallel_config(backend="threading", n_jobs=2):
    # Some fits stop at max_iter; the curve is what matters here.
    warnings.simplefilter("ignore", ConvergenceWarning)
    display = ValidationCurveDisplay.from_estimator(
        model,
        X_train,
        y_train,
        param_name="regularizedmlpclassifier__alpha",
        param_range=alphas,
        cv=5,
        score_name="accuracy",
        std_display_style="fill_between",
        ax=ax_all,
    )
seconds = time.perf_counter() - start
print(f"55 fits in {seconds:.1f} s")

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
display.plot(ax=ax_top, std_display_style="fill_between")
ax_top.set_ylim(0.9, 1.005)
for ax in (ax_all, ax_top):
    ax.axvline(alphas[best], color="C2", ls="--", label=f"best: {alphas[best]:.0e}")
    ax.axvline(alphas[one_se], color="C3", ls=":", label=f"one SE: {alphas[one_se]:.0e}")
    ax.set_xlabel("alpha")
    handles, _ = ax.get_legend_handles_labels()
    lines = [h.get_label() for h in handles[2:]]
    labels = ["training folds", "validation folds"] + lines
    ax.legend(handles, labels, loc="lower left", fontsize=9)
ax_all.set_title("every rate")
ax_top.set_title("zoom on the top")
fig.suptitle(f"5-fold validation curve of alpha: 55 fits in {seconds:.1f} s")
fig.tight_layout()
plt.show()

# %%
# To the left, the training accuracy is 100 % and the validation accuracy a
# few points lower: the gap of an overfitting network. As ``alpha`` grows
# the gap narrows; past ``1e-2`` both curves fall together, the network now
# underfits, and at ``alpha=1`` every weight is pulled to zero and the
# model predicts a single class.
#
# Checking the choice on the test set
# -----------------------------------
# Refit on the whole training set at each chosen rate, and at the smallest
# rate of the grid as a baseline:

print(f"{'rate':<28}{'train':>8}{'test':>8}")
for label, i in [("smallest", 0), ("best", best), ("one standard error", one_se)]:
    model.set_params(regularizedmlpclassifier__alpha=alphas[i])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    label = f"{label} ({alphas[i]:.0e})"
    train, test = model.score(X_train, y_train), model.score(X_test, y_test)
    print(f"{label:<28}{train:8.3f}{test:8.3f}")

# %%
# Both chosen rates beat the barely regularized network on the test set, by
# about half a point.
# The grid search behind a validation curve trains every rate from scratch,
# once per fold; :class:`~sklearn.model_selection.GridSearchCV` does the
# same and refits the winner for you (:ref:`tuning`). Because ``alpha``
# here does not depend on the batch size, the rate chosen stays valid if
# ``batch_size`` or the solver changes afterwards.
