"""
===============================================
L1 penalty: proximal steps versus subgradients
===============================================

``penalty="l1"`` can be minimized in two ways:

* ``l1_method="proximal"`` (the default) soft-thresholds every weight after
  each optimizer step, ``w <- sign(w) * max(|w| - step * alpha, 0)``, with
  Adam's per-coordinate step. Weights land on exactly zero and stay there
  while the data does not pull them out.
* ``l1_method="subgradient"`` adds ``alpha * sign(w)`` to the gradient, as
  Keras does. The weights that "should" be zero oscillate around zero
  instead: they become small, never exactly zero.

Both minimize the same objective; this example fits both on digits and
counts the exact zeros.
"""

# %%
# Fit both methods at a few rates
# -------------------------------

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=500, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

alphas = [1e-4, 1e-3, 1e-2]
methods = ["proximal", "subgradient"]
models = {}
for method in methods:
    for alpha in alphas:
        clf = RegularizedMLPClassifier(
            hidden_layer_sizes=(64,),
            penalty="l1",
            alpha=alpha,
            l1_method=method,
            learning_rate_init=0.01,
            batch_size=50,
            max_iter=150,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            clf.fit(X_train, y_train)
        models[method, alpha] = clf

# %%
# Exact zeros, small weights, accuracy
# ------------------------------------
# ``sparsity_`` is the fraction of exactly-zero weights in each weight
# matrix (input-to-hidden, hidden-to-output); ``n_features_selected_`` the
# number of pixels that still have a non-zero outgoing weight. The last
# column counts first-layer weights below ``1e-3`` in magnitude: the
# subgradient method does make many weights small, but not zero.

print(
    f"{'method':<12}{'alpha':>8}{'test acc':>10}{'zeros W1':>10}{'zeros W2':>10}"
    f"{'pixels':>8}{'|w|<1e-3':>10}"
)
for (method, alpha), clf in models.items():
    small = np.mean(np.abs(clf.coefs_[0]) < 1e-3)
    print(
        f"{method:<12}{alpha:8g}{clf.score(X_test, y_test):10.3f}"
        f"{clf.sparsity_[0]:10.1%}{clf.sparsity_[1]:10.1%}"
        f"{clf.n_features_selected_:8d}{small:10.1%}"
    )

# %%
# The distribution of the first layer's weights
# ---------------------------------------------
# Histograms of ``|w|`` on a log scale for ``alpha=1e-3``. The proximal
# method puts most weights at exactly zero (they cannot appear on a log
# axis: their count is in the legend) and leaves the others well away from
# zero; the subgradient method leaves a cloud of tiny non-zero weights.

alpha = 1e-3
bins = np.logspace(-6, 1, 50)
fig, ax = plt.subplots(figsize=(8, 4))
for method, color in zip(methods, ["C1", "C0"]):
    w = np.abs(models[method, alpha].coefs_[0]).ravel()
    label = f"{method}: {np.mean(w == 0):.0%} exactly zero"
    ax.hist(w[w > 0], bins=bins, color=color, alpha=0.6, label=label)
ax.set_xscale("log")
ax.set(
    xlabel="|w| (non-zero weights only)",
    ylabel="number of weights",
    title=f"First-layer weights, penalty='l1', alpha={alpha:g}",
)
ax.legend()
fig.tight_layout()

# %%
# Which pixels are still used
# ---------------------------
# For each of the 8 x 8 input pixels, the fraction of its 64 outgoing
# weights that are non-zero. With proximal steps, the pixels near the border
# (constant or nearly so in digits) are cut off entirely, and the rest use
# only a few hidden units; with subgradients every pixel stays connected to
# every hidden unit.

fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
for ax, method in zip(axes, methods):
    clf = models[method, alpha]
    used = np.mean(clf.coefs_[0] != 0, axis=1).reshape(8, 8)
    image = ax.imshow(used, vmin=0, vmax=1, cmap="viridis")
    ax.set_title(f"{method}\n{clf.n_features_selected_} of 64 pixels used")
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(image, ax=axes, label="fraction of non-zero outgoing weights")
plt.show()

# %%
# Conclusion
# ----------
# Both methods reach similar test accuracy, but only the proximal method
# yields a sparse network: exact zeros are what make L1 useful for pruning
# weights and selecting features. The subgradient method is kept for
# comparison with Keras. For whole features or hidden units, use
# ``group_alpha`` (group lasso), whose block soft-thresholding removes entire
# rows of a weight matrix at once.
