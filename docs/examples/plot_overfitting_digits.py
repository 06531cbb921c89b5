"""
=========================================================
Overfitting on a small training set: L2, L1, elastic net
=========================================================

With 200 training images of digits, a network of 64 hidden units fits the
training set perfectly and does noticeably worse on the test set. This
example trains the same network without regularization and with
``penalty="l2"``, ``"l1"`` and ``"elasticnet"`` (``l1_ratio=0.5``) at a few
values of ``alpha``, and reports the train and test accuracy and the
fraction of weights that are exactly zero.

Because ``alpha`` here does not depend on the batch size (see
:ref:`alpha_conversion`), the rates below keep their meaning for any
``batch_size`` or solver. Results are averaged over three random
train/test splits.
"""

# %%
# Data: 200 training images, the rest for testing
# -----------------------------------------------
# The features are standardized inside a pipeline, so that the scaler only
# sees the training part of each split.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier

X, y = load_digits(return_X_y=True)
splits = [
    train_test_split(X, y, train_size=200, stratify=y, random_state=seed) for seed in range(3)
]
print(f"{len(y)} images, 200 for training, {len(y) - 200} for testing")

# %%
# One network per configuration
# -----------------------------
# ``max_iter=150`` keeps the example fast; some fits stop at the iteration
# limit, so their convergence warnings are silenced.

common = dict(
    hidden_layer_sizes=(64,),
    learning_rate_init=0.01,
    batch_size=50,
    max_iter=150,
    random_state=0,
)
alphas = [1e-4, 1e-3, 1e-2, 1e-1]
penalties = ["l2", "l1", "elasticnet"]


def evaluate(**params):
    """Mean train accuracy, test accuracy and fraction of zero weights."""
    scores = []
    for X_train, X_test, y_train, y_test in splits:
        model = make_pipeline(
            StandardScaler(),
            RegularizedMLPClassifier(**common, **params),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            model.fit(X_train, y_train)
        mlp = model[-1]
        n_zero = sum(np.sum(W == 0) for W in mlp.coefs_)
        n_weights = sum(W.size for W in mlp.coefs_)
        scores.append(
            (
                model.score(X_train, y_train),
                model.score(X_test, y_test),
                n_zero / n_weights,
            )
        )
    return np.mean(scores, axis=0)


baseline = evaluate(penalty=None)
results = {
    penalty: np.array([evaluate(penalty=penalty, alpha=alpha, l1_ratio=0.5) for alpha in alphas])
    for penalty in penalties
}

# %%
# The table
# ---------

print(f"{'model':<24}{'train':>8}{'test':>8}{'gap':>8}{'zeros':>8}")
print(
    f"{'no regularization':<24}{baseline[0]:8.3f}{baseline[1]:8.3f}"
    f"{baseline[0] - baseline[1]:8.3f}{baseline[2]:8.1%}"
)
for penalty in penalties:
    for alpha, (train, test, zeros) in zip(alphas, results[penalty]):
        label = f"{penalty} alpha={alpha:g}"
        print(f"{label:<24}{train:8.3f}{test:8.3f}{train - test:8.3f}{zeros:8.1%}")

# %%
# The picture
# -----------
# Left: train (dashed) and test (solid) accuracy against ``alpha``; the grey
# lines are the unregularized network. Right: the fraction of weights that
# are exactly zero. Only the penalties with an L1 part produce zeros, thanks
# to the proximal step applied after each Adam update; L2 only shrinks.

fig, (ax_acc, ax_zero) = plt.subplots(1, 2, figsize=(11, 4.2))
colors = {"l2": "C0", "l1": "C1", "elasticnet": "C2"}
for penalty in penalties:
    res = results[penalty]
    ax_acc.semilogx(alphas, res[:, 1], "o-", color=colors[penalty], label=penalty)
    ax_acc.semilogx(alphas, res[:, 0], "o--", color=colors[penalty], alpha=0.6)
    ax_zero.semilogx(alphas, res[:, 2], "o-", color=colors[penalty], label=penalty)
ax_acc.axhline(baseline[1], color="grey", label="no regularization")
ax_acc.axhline(baseline[0], color="grey", linestyle="--")
ax_acc.set(xlabel="alpha", ylabel="accuracy", title="Train (dashed) and test (solid)")
ax_acc.set_ylim(0, 1.02)
ax_acc.legend(loc="lower left")
ax_zero.set(xlabel="alpha", ylabel="fraction of weights == 0", title="Exact zeros", ylim=(0, 1))
ax_zero.legend(loc="upper left")
fig.tight_layout()
plt.show()

# %%
# Reading the results
# -------------------
# * Without regularization the network reaches 100 % training accuracy, and
#   the test accuracy is several points lower: it overfits the 200 images.
# * A moderate L2 rate (``1e-3`` to ``1e-2``) raises the test accuracy by a
#   point or two and narrows the gap; at ``alpha=0.1`` the training
#   accuracy starts to drop, the first sign of underfitting.
# * L1 and elastic net at small rates keep the test accuracy of the
#   unregularized network or improve on it, while most weights are exactly
#   zero: a much smaller network for the same accuracy. As ``alpha`` grows,
#   more weights vanish, until at ``alpha=0.1`` (nearly) every weight is
#   zero and the model predicts a single class (chance accuracy).
# * The right ``alpha`` depends on the data and on the penalty: choose it by
#   cross-validation (:ref:`tuning`).
