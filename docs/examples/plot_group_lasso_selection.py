"""
==================================
Feature selection with group lasso
==================================

Among 50 features, 5 carry the signal and 45 are noise. A network trained
on all 50 fits the training set perfectly and does poorly on new data: it
has learned the noise features' accidents. ``group_alpha`` on the input
layer penalizes, for each feature, the norm of all its outgoing weights at
once, so that a feature the network can do without loses all of them,
exactly, and drops out of the model. This example shows which features
survive, and uses the network as a feature selector in a
:class:`~sklearn.pipeline.Pipeline`.
"""

# %%
# Five informative features among fifty
# -------------------------------------
# With ``shuffle=False``, :func:`~sklearn.datasets.make_classification` puts
# the informative features first: columns 0 to 4 carry the signal, the 45
# others are Gaussian noise. 1000 samples to train on, 2000 to test.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier

n_informative = 5
X, y = make_classification(
    n_samples=3000,
    n_features=50,
    n_informative=n_informative,
    n_redundant=0,
    n_repeated=0,
    n_classes=3,
    n_clusters_per_class=2,
    shuffle=False,
    random_state=0,
)
informative = np.arange(X.shape[1]) < n_informative
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=1000, stratify=y, random_state=0
)

# %%
# The network, with and without the group penalty
# -----------------------------------------------
# ``group_alpha`` takes one strength per weight matrix: ``[0.1, 0.0]``
# penalizes the rows of the input layer's matrix -- one row per feature --
# and leaves the hidden-to-output matrix alone.
#
# The hidden-to-output weights get a small L2 penalty,
# ``alpha=[0.0, 0.01]``. Without it, the group penalty could be dodged: a
# ReLU unit's output grows in proportion to its incoming weights, so the
# network could shrink the first layer at no loss and make up for it with
# larger weights after it.
#
# The solver is Adam, the default, with batches of 100. Its group step is
# taken in Adam's own per-coordinate metric, so a feature's row drops to
# zero once the penalty outweighs what the feature does for the loss, and
# stays there while it does. At this rate that removes every noise feature
# and keeps every informative one, with no solver settings to tune; the
# rate itself is chosen by hand here, and by cross-validation in
# :ref:`sphx_glr_auto_examples_plot_feature_selection_path.py`.

network = dict(
    hidden_layer_sizes=(64,),
    learning_rate_init=0.01,
    batch_size=100,
    max_iter=300,
    random_state=0,
)
group_lasso = dict(
    penalty="l2",
    alpha=[0.0, 0.01],
    group_alpha=[0.02, 0.0],
    n_iter_no_change=30,
)

models = {
    "no penalty": make_pipeline(
        StandardScaler(), RegularizedMLPClassifier(**network, penalty=None)
    ),
    "group_alpha=[0.02, 0.0]": make_pipeline(
        StandardScaler(), RegularizedMLPClassifier(**network, **group_lasso)
    ),
}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for model in models.values():
        model.fit(X_train, y_train)

# %%
# ``feature_importances_`` holds, for each input feature, the norm of its
# outgoing first-layer weights: zero for a feature the network no longer
# uses.

print(f"{'model':<24}{'train':>7}{'test':>7}{'features used':>15}{'informative':>13}")
for name, model in models.items():
    importance = model[-1].feature_importances_
    print(
        f"{name:<24}{model.score(X_train, y_train):7.3f}"
        f"{model.score(X_test, y_test):7.3f}"
        f"{np.sum(importance > 0):15d}{np.sum(importance[informative] > 0):13d}"
    )

# %%
# Which features the network uses
# -------------------------------
# One bar per feature, the informative ones in orange. A cross on the axis
# marks a feature whose outgoing weights are all exactly zero.

fig, axes = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True)
features = np.arange(X.shape[1])
for ax, (name, model) in zip(axes, models.items()):
    importance = model[-1].feature_importances_
    colors = np.where(informative, "C1", "C0")
    ax.bar(features, importance, color=colors)
    removed = importance == 0
    ax.plot(features[removed], np.zeros(removed.sum()), "x", color="k", ms=5)
    ax.set_ylabel("feature_importances_")
    ax.set_title(
        f"{name}: {np.sum(~removed)} of {X.shape[1]} features used, "
        f"test accuracy {model.score(X_test, y_test):.3f}"
    )
axes[1].set_xlabel("feature (0-4 informative, in orange; x: all weights exactly zero)")
fig.tight_layout()

# %%
# Without the penalty, the network spreads its weights over every feature:
# the noise features weigh nearly as much as the informative ones, and the
# test accuracy is far below the training accuracy. With the group penalty,
# every noise feature has lost all its weights, and the five informative
# features are all kept, though feature 3 only just: its weights are a
# fraction of the others'.
#
# The penalty also shrinks the weights it keeps, which is why this network
# scores lower on the training set. The usual cure is to use it only to
# *select* the features, and to refit a network without the penalty on
# those.
#
# The selector in a pipeline
# --------------------------
# :class:`~sklearn.feature_selection.SelectFromModel` fits the group-lasso
# network, reads its ``feature_importances_``, keeps the features whose
# importance is above ``threshold``, and hands them to the next step. The
# threshold, just above zero, keeps exactly the features the network still
# uses. (Left to its default, ``SelectFromModel`` would take the mean
# importance as the threshold, and drop any kept feature whose weights are
# small.)

selector = SelectFromModel(
    RegularizedMLPClassifier(**network, **group_lasso),
    threshold=1e-12,
)
pipeline = Pipeline(
    [
        ("scale", StandardScaler()),
        ("select", selector),
        ("mlp", RegularizedMLPClassifier(**network)),
    ]
)
oracle = make_pipeline(StandardScaler(), RegularizedMLPClassifier(**network))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    pipeline.fit(X_train, y_train)
    oracle.fit(X_train[:, informative], y_train)

selected = np.flatnonzero(pipeline["select"].get_support())
print(f"selected features: {selected}")
print(f"{'network trained on':<40}{'test accuracy':>14}")
scores = {
    "all 50 features (no penalty)": models["no penalty"].score(X_test, y_test),
    f"the {selected.size} selected features": pipeline.score(X_test, y_test),
    "the 5 informative features (known here)": oracle.score(X_test[:, informative], y_test),
}
for trained_on, score in scores.items():
    print(f"{trained_on:<40}{score:14.3f}")

# %%
# The selector kept exactly the five informative features, so the network
# trained on them does as well as one told the answer in advance, and far
# better than the network on all fifty. ``group_alpha``, like every rate, is
# best chosen by cross-validation: in a pipeline it is the parameter
# ``select__estimator__group_alpha`` of a grid search, or
# :class:`~skreg.RegularizedMLPClassifierCV` with ``path_param="group_alpha"``
# finds it along a path
# (:ref:`sphx_glr_auto_examples_plot_feature_selection_path.py`).
plt.show()
