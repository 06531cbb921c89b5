"""
=====================
Where the weights go
=====================

L2, L1 and elastic net can reach the same test accuracy and still leave
very different networks behind. This example trains the same network on
500 handwritten digits under each penalty, at rates where the three score
alike on the test set, and draws the histogram of the 4096 weights of its
first layer (64 pixels to 64 hidden units). L2 shrinks every weight a
little; L1 and elastic net set most of them to exactly zero. It then shows
why the zeros are exact -- the proximal step -- and how the share of zeros
moves between the two penalties as elastic net's ``l1_ratio`` goes from 0
(L2) to 1 (L1).
"""

# %%
# Digits, and three penalties at matched accuracy
# -----------------------------------------------
# The rates below were picked so that the three models score within half a
# point of each other on the test set; L1 needs a rate thirty times smaller
# than L2 for that, because it penalizes small weights much harder (see
# the objective in :ref:`objective`).

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

network = dict(
    hidden_layer_sizes=(64,),
    learning_rate_init=0.01,
    batch_size=50,
    max_iter=150,
    random_state=0,
)


def fit(**penalty):
    """The network trained with the given penalty settings."""
    model = RegularizedMLPClassifier(**network, **penalty)
    with warnings.catch_warnings():
        # 150 epochs are enough for the picture; some fits would run longer.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X_train, y_train)


penalties = {
    "L2": dict(penalty="l2", alpha=1e-2),
    "L1": dict(penalty="l1", alpha=3e-4),
    "elastic net": dict(penalty="elasticnet", alpha=3e-3, l1_ratio=0.5),
}
models = {name: fit(**settings) for name, settings in penalties.items()}

# Some border pixels are blank in every training image: after scaling they
# are constant zeros, and the data never asks anything of their weights.
constant_pixels = np.all(X_train == X_train[0], axis=0)
print(f"{constant_pixels.sum()} of 64 pixels are constant on the training set")

print(f"{'penalty':<14}{'test acc':>9}{'zeros':>8}{'zeros, constant pixels':>24}")
for name, model in models.items():
    W = model.coefs_[0]
    print(
        f"{name:<14}{model.score(X_test, y_test):9.3f}{np.mean(W == 0):8.1%}"
        f"{np.mean(W[constant_pixels] == 0):24.1%}"
    )

# %%
# The histograms
# --------------
# The grey bars count the non-zero weights; the red bar at 0 counts the
# weights that are *exactly* zero. The vertical axis is logarithmic, so that
# both show.

bins = np.linspace(-1.5, 1.5, 61)
width = bins[1] - bins[0]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
for ax, (name, model) in zip(axes, models.items()):
    w = model.coefs_[0].ravel()
    n_zero = np.sum(w == 0)
    ax.hist(w[w != 0], bins=bins, color="0.5", label="non-zero")
    label = f"exactly 0: {n_zero / w.size:.0%}"
    ax.bar(0, n_zero, width=width, color="C3", label=label)
    ax.set_yscale("log")
    ax.set_ylim(0.8, w.size)
    ax.set_title(f"{name}: test accuracy {model.score(X_test, y_test):.3f}")
    ax.set_xlabel("first-layer weight")
    ax.legend(loc="upper right", fontsize=9)
axes[0].set_ylabel("number of weights (log scale)")
fig.tight_layout()

# %%
# L2 leaves a bell of small weights: every weight is shrunk towards zero in
# proportion to its size, so none gets there. L1 and elastic net put most
# weights at exactly zero -- among them all the weights of the pixels that
# never vary on the training set, at the border of the image (last column of
# the table) -- and let the few weights the data needs grow larger than L2
# allows.
#
# Why the zeros are exact: the proximal step
# ------------------------------------------
# The L1 term :math:`\alpha |w|` has no gradient at zero. skreg handles it
# with a *proximal step*: after each optimizer step, every weight is
# soft-thresholded,
#
# .. math::
#
#    w \leftarrow \operatorname{sign}(w) \, \max(|w| - \tau\alpha, \; 0),
#
# with :math:`\tau` the step the optimizer just took for that weight. The
# whole interval :math:`[-\tau\alpha, \tau\alpha]` is mapped to exactly 0,
# so a weight whose data gradient is too weak to carry it out of that
# interval lands on zero and is put back there at every step.
#
# The other way, ``l1_method="subgradient"`` (what Keras does), adds
# :math:`\alpha \operatorname{sign}(w)` to the gradient instead. Both
# minimize the same objective, but a subgradient step moves a small weight
# by a fixed amount towards zero and, unless it lands on zero by chance,
# across it: the weight ends up oscillating around zero, small but never
# zero. The two histograms below, of :math:`|w|` on a logarithmic axis, show
# it for the L1 model above.

subgradient = fit(**penalties["L1"], l1_method="subgradient")
pair = {"proximal (default)": models["L1"], "subgradient": subgradient}

print(f"{'l1_method':<20}{'test acc':>9}{'zeros':>8}{'|w| < 1e-3':>12}")
for name, model in pair.items():
    w = np.abs(model.coefs_[0])
    print(
        f"{name:<20}{model.score(X_test, y_test):9.3f}{np.mean(w == 0):8.1%}"
        f"{np.mean(w < 1e-3):12.1%}"
    )

log_bins = np.logspace(-7, 1, 65)
fig, ax = plt.subplots(figsize=(8, 3.8))
for (name, model), color in zip(pair.items(), ["C3", "C0"]):
    w = np.abs(model.coefs_[0]).ravel()
    label = f"{name}: {np.mean(w == 0):.0%} exactly zero (not drawn)"
    ax.hist(w[w > 0], bins=log_bins, color=color, alpha=0.6, label=label)
ax.set_xscale("log")
ax.set(
    xlabel="|w| of the non-zero first-layer weights",
    ylabel="number of weights",
    title="penalty='l1', alpha=3e-4: proximal steps versus subgradient steps",
)
ax.legend(loc="upper left", fontsize=9)
fig.tight_layout()

# %%
# With proximal steps, the weights that are not zero are, with few
# exceptions, well away from it (above 0.01).
# With subgradient steps, not one weight is zero, and about half of them
# form a cloud of tiny values below 1e-3: the weights that proximal steps
# set to zero, still jittering around it. They cost as much to store and to
# multiply as any other weight, which is why only the proximal method makes
# L1 useful to prune a network or select features.
#
# From L2 to L1: elastic net's ``l1_ratio``
# -----------------------------------------
# Elastic net splits one rate ``alpha`` between the two norms: ``l1_ratio``
# of it goes to L1, the rest to L2. At a fixed ``alpha=3e-3``, sweeping
# ``l1_ratio`` from 0 (pure L2) to 1 (pure L1) shows how fast the zeros
# appear and what they cost in accuracy.

l1_ratios = [0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0]
sweep = [fit(penalty="elasticnet", alpha=3e-3, l1_ratio=ratio) for ratio in l1_ratios]
zeros = [np.mean(model.coefs_[0] == 0) for model in sweep]
accuracy = [model.score(X_test, y_test) for model in sweep]

print(f"{'l1_ratio':>9}{'zeros':>8}{'test acc':>9}")
for ratio, zero_share, acc in zip(l1_ratios, zeros, accuracy):
    print(f"{ratio:9.2f}{zero_share:8.1%}{acc:9.3f}")

fig, (ax_zero, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
ax_zero.plot(l1_ratios, zeros, "o-", color="C3")
ax_zero.set(
    xlabel="l1_ratio",
    ylabel="share of first-layer weights == 0",
    ylim=(0, 1),
    title="Exact zeros",
)
ax_acc.plot(l1_ratios, accuracy, "o-", color="C0")
ax_acc.set(xlabel="l1_ratio", ylabel="test accuracy", ylim=(0.9, 1), title="Test accuracy")
for ax in (ax_zero, ax_acc):
    ax.grid(alpha=0.3)
fig.suptitle("penalty='elasticnet', alpha=3e-3")
fig.tight_layout()
plt.show()

# %%
# A small L1 share is enough: with ``l1_ratio=0.1`` about three quarters
# of the first layer is already exactly zero, within a few test images of
# the accuracy of pure L2.
# Beyond that, each step towards pure L1 buys a few more zeros for a little
# accuracy. The share of zeros, ``sparsity_``, is reported per weight
# matrix by every fitted model, and :meth:`~skreg.RegularizedMLPClassifier.prune`
# removes the hidden units that the zeros have cut off.
