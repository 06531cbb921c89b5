r"""
==================================
Weight decay is not L2 under Adam
==================================

Two ways to pull the weights towards zero at a rate ``c``:

* ``penalty="l2", alpha=c`` adds :math:`\frac{c}{2}\lVert W\rVert^2` to
  the objective, so its gradient :math:`c\,w` joins the data gradient
  :math:`g` and goes through the optimizer;
* ``penalty=None, weight_decay=c`` leaves the objective alone and, at every
  step, multiplies the weights by :math:`1 - \eta c` (:math:`\eta` the
  learning rate) before the optimizer's update: *decoupled* weight decay,
  as in AdamW.

Under plain gradient descent these are the same update. Under Adam they are
not, and this example shows both facts on the same network, then how far
apart the two regularizers are.
"""

# %%
# The same network, trained both ways
# -----------------------------------
# 500 handwritten digits, one hidden layer of 64 units, 150 epochs, the
# same seed for both models (same initial weights, same batches).
#
# ``n_iter_no_change=np.inf`` makes every fit run its 150 epochs: the
# stopping rule watches the objective, which includes the L2 penalty but
# not weight decay, so otherwise the two models could stop at different
# epochs and differ for that reason alone.

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

optimizers = {
    "SGD, momentum=0": dict(solver="sgd", momentum=0.0, learning_rate_init=0.1),
    "SGD, momentum=0.9": dict(solver="sgd", momentum=0.9, learning_rate_init=0.01),
    "Adam": dict(solver="adam", learning_rate_init=0.01),
}


def fit(optimizer, **shrinkage):
    """The network trained with one optimizer and one way of shrinking."""
    model = RegularizedMLPClassifier(
        hidden_layer_sizes=(64,),
        batch_size=50,
        max_iter=150,
        n_iter_no_change=np.inf,
        random_state=0,
        **optimizers[optimizer],
        **shrinkage,
    )
    with warnings.catch_warnings():
        # Running out of epochs is the plan here, not a problem.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X_train, y_train)


def max_difference(model_a, model_b):
    """Largest absolute difference between the two models' parameters."""
    params_a = model_a.coefs_ + model_a.intercepts_
    params_b = model_b.coefs_ + model_b.intercepts_
    return max(np.max(np.abs(a - b)) for a, b in zip(params_a, params_b))


c = 0.01
pairs = {
    name: (fit(name, penalty="l2", alpha=c), fit(name, penalty=None, weight_decay=c))
    for name in optimizers
}

print(f"c = {c}; |W1| is the norm of the first-layer weights")
print(
    f"{'optimizer':<20}{'max |difference|':>18}{'|W1|, L2':>10}{'|W1|, decay':>13}"
    f"{'acc, L2':>9}{'acc, decay':>12}"
)
for name, (l2, decay) in pairs.items():
    print(
        f"{name:<20}{max_difference(l2, decay):18.1e}"
        f"{np.linalg.norm(l2.coefs_[0]):10.2f}{np.linalg.norm(decay.coefs_[0]):13.2f}"
        f"{l2.score(X_test, y_test):9.3f}{decay.score(X_test, y_test):12.3f}"
    )

# %%
# Under plain SGD the two models agree to rounding error (about 1e-15):
# they are one model. With momentum they already differ, because the L2
# gradient accumulates in the velocity and the decay does not; under Adam
# the weights differ by as much as their own size.
#
# Weight by weight
# ----------------
# Each point is one of the 4096 first-layer weights: its value under L2
# against its value under weight decay. The red points are the weights of
# the pixels that are blank in every training image (constant zeros after
# scaling): the data gradient of those weights is zero, and only the
# shrinkage acts on them.

constant_pixels = np.all(X_train == X_train[0], axis=0)
print(f"{constant_pixels.sum()} of 64 pixels are constant on the training set")

fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
for ax, name in zip(axes, ["SGD, momentum=0", "Adam"]):
    l2, decay = pairs[name]
    w_l2, w_decay = l2.coefs_[0], decay.coefs_[0]
    ax.scatter(
        w_l2[~constant_pixels],
        w_decay[~constant_pixels],
        s=3,
        alpha=0.4,
        label="weights of varying pixels",
    )
    ax.scatter(
        w_l2[constant_pixels],
        w_decay[constant_pixels],
        s=6,
        color="C3",
        label="weights of constant pixels",
    )
    limit = 1.05 * max(np.abs(w_l2).max(), np.abs(w_decay).max())
    ax.plot([-limit, limit], [-limit, limit], color="k", lw=0.8, ls="--")
    ax.set(
        xlim=(-limit, limit),
        ylim=(-limit, limit),
        aspect="equal",
        xlabel=f"weight, penalty='l2', alpha={c}",
        ylabel=f"weight, weight_decay={c}",
        title=f"{name}: max |difference| {max_difference(l2, decay):.1e}",
    )
    ax.legend(loc="upper left", fontsize=8, markerscale=3)
fig.tight_layout()

# %%
# Under SGD every point sits on the diagonal. Under Adam the cloud stands
# upright: L2 has pressed most weights into a narrow band around zero,
# while weight decay left them spread out (the norm of the first layer is
# almost three times as large, see the table), and the weights of the
# constant pixels tell why.
#
# Why Adam separates them
# -----------------------
# Adam divides each coordinate's step by :math:`\sqrt{v}`, the running
# root mean square of that coordinate's gradient. With the L2 penalty, the
# gradient is :math:`G = g + c\,w` and the step is about
#
# .. math::
#
#    \eta \, \frac{g + c\,w}{\sqrt{v}} .
#
# For a weight whose data gradient :math:`g` is large, :math:`\sqrt{v}` is
# large too, and the shrinkage :math:`c\,w / \sqrt{v}` is a small fraction
# of what L2 asks for: the weights the data uses most are hardly
# regularized. For a weight with no data gradient -- a constant pixel's --
# :math:`G = c\,w` and :math:`\sqrt{v} \approx c\,|w|`, so the step is
# about :math:`\eta \operatorname{sign}(w)`, the full learning rate
# whatever ``c`` is: those weights are driven to (within about
# :math:`\eta` of) zero in a few dozen steps. Both show above: the red
# points sit on the vertical line near 0 under L2.
#
# Decoupled weight decay skips Adam's rescaling: every weight is multiplied
# by :math:`1 - \eta c` at every step, whatever its gradient history. Here
# that is :math:`1 - 10^{-4}` per step for 1500 steps, a factor of about
# 0.86, so the red points keep most of their initial value, and the other
# weights are shrunk in proportion to their size, as L2 does under SGD.
#
# Not the same rate: sweeping ``c``
# ---------------------------------
# Since the two act differently, the same ``c`` is not the same amount of
# regularization. Sweeping ``c`` under Adam, the first-layer weights'
# norm and the test accuracy, with the unregularized network as the grey
# line:

unregularized = fit("Adam", penalty=None)
print(
    f"no shrinkage: |W1| {np.linalg.norm(unregularized.coefs_[0]):.2f}, "
    f"accuracy {unregularized.score(X_test, y_test):.3f}"
)

rates = np.logspace(-4, 0, 9)
sweep = {
    "penalty='l2', alpha=c": [fit("Adam", penalty="l2", alpha=rate) for rate in rates],
    "weight_decay=c": [fit("Adam", penalty=None, weight_decay=rate) for rate in rates],
}

print(f"{'c':>8}" + "".join(f"{'|W1|, ' + n:>28}{'acc':>7}" for n in sweep))
for i, rate in enumerate(rates):
    row = f"{rate:8.0e}"
    for models in sweep.values():
        row += f"{np.linalg.norm(models[i].coefs_[0]):28.2f}"
        row += f"{models[i].score(X_test, y_test):7.3f}"
    print(row)

fig, (ax_norm, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
for (name, models), color in zip(sweep.items(), ["C0", "C1"]):
    norms = [np.linalg.norm(model.coefs_[0]) for model in models]
    accuracy = [model.score(X_test, y_test) for model in models]
    ax_norm.semilogx(rates, norms, "o-", color=color, label=name)
    ax_acc.semilogx(rates, accuracy, "o-", color=color, label=name)
ax_norm.axhline(np.linalg.norm(unregularized.coefs_[0]), color="grey", ls="--")
ax_acc.axhline(unregularized.score(X_test, y_test), color="grey", ls="--")
ax_norm.set(xlabel="c", ylabel="norm of the first-layer weights", title="Adam: weight norm")
ax_acc.set(xlabel="c", ylabel="test accuracy", title="Adam: test accuracy")
for ax in (ax_norm, ax_acc):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
fig.tight_layout()
plt.show()

# %%
# Under Adam the L2 penalty bites at rates where weight decay hardly acts:
# at ``c=1e-4`` it already takes more than a third off the norm. That is
# the rescaling again: once the training set is fit, the data gradients
# fade, :math:`\sqrt{v}` shrinks with them, and Adam's division by it
# magnifies even a tiny :math:`c\,w` into a steady pull towards zero. The
# accuracy under L2 falls from ``c=0.03`` on and is that of chance at
# ``c=1``, where weight decay is still harmless. The value tuned for one is
# no guide to the other. Tune ``weight_decay`` by cross-validation, as any
# other rate (:ref:`tuning`), and use ``penalty="l2"`` when the
# objective itself should be the penalized one -- for instance to compare
# ``loss_curve_`` between models, or to carry a rate over to the ``"lbfgs"``
# solver, which supports L2 but not weight decay.
