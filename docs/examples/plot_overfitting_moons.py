"""
============================================
Overfitting and its cure, in two dimensions
============================================

A network with two hidden layers of 120 units has nearly 15 000 weights.
Trained on 150 noisy points, it can draw a boundary around nearly every one
of them: a training error of 1 % and a test error of 20 %. This example
draws that boundary, then the boundaries of the same network under each
remedy of the toolbox -- an L2 penalty at three rates, an L1 penalty,
dropout, noise on the inputs, early stopping -- with the training and test
error in each panel's title, so that the gap between them, and how each
remedy closes it, can be read off the picture.
"""

# %%
# Two noisy half moons
# --------------------
# 150 points to train on, and 2000 more from the same distribution to
# measure the test error. With ``noise=0.4`` the two classes overlap: no
# boundary can classify every point right, and a model that does so on the
# training set has learned its noise.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay

from skreg import RegularizedMLPClassifier
from skreg.inspection import LossCurveDisplay

X, y = make_moons(n_samples=2150, noise=0.4, random_state=0)
X_train, y_train = X[:150], y[:150]
X_test, y_test = X[150:], y[150:]

# %%
# One network, eight ways to train it
# -----------------------------------
# Every model shares the architecture and the optimizer: Adam with a large
# learning rate, small batches and 500 epochs, enough to fit the training
# set as closely as the regularizer lets it. ``n_iter_no_change=500`` keeps
# the stopping rule out of the way, so that every model but the last one
# trains the full 500 epochs; the last one stops early, on purpose. The
# features (about -2 to 3) need no scaling here.
#
# The rates are in skreg's units: ``alpha`` multiplies the penalty added to
# the *mean* loss, whatever the batch size (see :ref:`alpha_conversion`).
# ``dropout=0.2`` drops 20 % of the hidden units at each step, a keep
# probability of 0.8. ``input_noise=0.3`` adds Gaussian noise of standard
# deviation 0.3 to every training batch: a fresh, jittered copy of the data
# at every step.

network = dict(
    hidden_layer_sizes=(120, 120),
    batch_size=16,
    learning_rate_init=0.01,
    max_iter=500,
    n_iter_no_change=500,
    random_state=0,
)
remedies = {
    "no regularization": dict(penalty=None),
    "L2, alpha=0.001": dict(penalty="l2", alpha=1e-3),
    "L2, alpha=0.01": dict(penalty="l2", alpha=1e-2),
    "L2, alpha=0.1": dict(penalty="l2", alpha=1e-1),
    "L1, alpha=0.001": dict(penalty="l1", alpha=1e-3),
    "dropout=0.2": dict(penalty=None, dropout=0.2),
    "input_noise=0.3": dict(penalty=None, input_noise=0.3),
    "early stopping": dict(
        penalty=None, early_stopping=True, validation_fraction=0.2, n_iter_no_change=20
    ),
}

models = {}
for name, settings in remedies.items():
    model = RegularizedMLPClassifier(**{**network, **settings})
    with warnings.catch_warnings():
        # The full 500 epochs end without meeting the stopping rule.
        warnings.simplefilter("ignore", ConvergenceWarning)
        models[name] = model.fit(X_train, y_train)

# %%
# The numbers
# -----------
# Error rates in percent; the gap is the test error minus the training
# error; the last column is the share of the network's weights that are
# exactly zero.

print(f"{'model':<20}{'train':>8}{'test':>8}{'gap':>8}{'epochs':>8}{'zeros':>8}")
errors = {}
for name, model in models.items():
    train = 100 * (1 - model.score(X_train, y_train))
    test = 100 * (1 - model.score(X_test, y_test))
    errors[name] = train, test
    weights = np.concatenate([W.ravel() for W in model.coefs_])
    zeros = np.mean(weights == 0)
    print(f"{name:<20}{train:8.1f}{test:8.1f}{test - train:8.1f}{model.n_iter_:8d}{zeros:8.1%}")
stopped = models["early stopping"]
best_epoch = 1 + np.argmax(stopped.validation_scores_)
print(f"early stopping kept the weights of epoch {best_epoch}")

# %%
# The picture
# -----------
# Each panel shades the predicted probability of the red class over the
# plane, draws the decision boundary (probability 0.5) in black, and shows
# the 150 training points.

class_colors = ListedColormap(["#2166ac", "#b2182b"])


def plot_boundary(model, ax, title):
    """Shade ``model``'s probability of class 1, draw its decision boundary
    and the training points."""
    display = DecisionBoundaryDisplay.from_estimator(
        model,
        X_train,
        response_method="predict_proba",
        grid_resolution=250,
        eps=0.3,
        cmap="RdBu_r",
        vmin=0,
        vmax=1,
        alpha=0.45,
        ax=ax,
        xlabel="",
        ylabel="",
    )
    grid = display.xx0, display.xx1, display.response
    ax.contour(*grid, levels=[0.5], colors="k", linewidths=1.2)
    ax.scatter(*X_train.T, c=y_train, cmap=class_colors, edgecolor="w", s=22, lw=0.6)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


fig, axes = plt.subplots(2, 4, figsize=(13, 6.8))
for ax, (name, model) in zip(axes.ravel(), models.items()):
    train, test = errors[name]
    plot_boundary(model, ax, f"{name}\ntrain {train:.1f} %, test {test:.1f} %")
fig.suptitle("Training and test error of the same network under each remedy")
fig.tight_layout()
plt.show()

# %%
# Reading the picture
# -------------------
# * **No regularization**: the boundary winds between the training points,
#   sends out arms to enclose single points of the other class, and even
#   leaves an island around one. The training error is 1 %, the test error
#   20 %: the wiggles are noise, learned.
# * **L2 at three rates**: ``alpha=0.001`` still reaches for single points;
#   ``alpha=0.01`` gives a smooth bend that follows the two moons, the
#   training error rises to 13 % and the test error falls to 13 %: the gap
#   closes. ``alpha=0.1`` is too much: the boundary is a straight line and
#   both errors are high -- underfitting. The rate matters, and is chosen by
#   cross-validation (:ref:`sphx_glr_auto_examples_plot_choosing_alpha.py`).
# * **L1** sets all but 0.3 % of the weights to exactly zero (the proximal
#   step, see :ref:`sphx_glr_auto_examples_plot_weight_distributions.py`);
#   the few that remain draw a boundary of a few straight pieces, as good on
#   the test set as the best L2 rate.
# * **Dropout 0.2** (keep probability 0.8) helps only a little on this
#   problem: a network this wide has units to spare, and losing a fifth of
#   them at each step still lets it memorize.
# * **Input noise** is data augmentation: the network never sees the same
#   point twice, so it cannot draw an island around one. It does nearly as
#   well as the best L2 rate.
# * **Early stopping** holds out 20 % of the training set (30 points),
#   stops when the score on them has not improved for 20 epochs -- here
#   after 23 -- and keeps the weights of the best epoch, the second: a
#   network that has barely begun to learn the moons, let alone the noise.
#   The gap is closed, but the boundary is flatter than the best L2 one; 30
#   held-out points make a coarse judge.

# %%
# Early stopping, epoch by epoch
# ------------------------------
# :class:`~skreg.inspection.LossCurveDisplay` draws a fitted network's
# ``loss_curve_``, the training objective after each epoch, and, when early
# stopping ran, its ``validation_scores_`` on a second axis, with the epoch
# whose weights were kept. Left, the network without regularization: the
# objective keeps falling, by an order of magnitude over the 500 epochs,
# which is the network learning the training points one by one. Right, the
# early-stopped one: the accuracy on the 30 held-out points, which moves in
# steps of one point (3.3 %), peaks at the second epoch and never beats that
# peak again, so training stops 20 epochs later and the weights of the
# second epoch are put back.

fig, (ax_plain, ax_stopped) = plt.subplots(1, 2, figsize=(11, 3.6))
LossCurveDisplay.from_estimator(models["no regularization"], ax=ax_plain)
ax_plain.set_yscale("log")
ax_plain.set_title("no regularization: 500 epochs")
LossCurveDisplay.from_estimator(stopped, ax=ax_stopped)
ax_stopped.set_title(f"early stopping: {stopped.n_iter_} epochs")
fig.tight_layout()
plt.show()
