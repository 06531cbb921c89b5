"""A CV estimator's fold ensemble (``refit="ensemble"``): the folds' networks
at the chosen rate, averaged, as the model in place of a refit on all the data.

Each fold's path keeps a fitted network per rate (the step's weights are
copies already, so keeping them costs memory, not training); once the rate
is chosen, the networks of the other rates are dropped.  The ensemble's
output is the mean of the networks' outputs: probabilities for a
classifier, predictions for a regressor.  A mixin gives the CV estimators
the ensemble's predictions and what its attributes mean; the rest of their
code sees the usual fitted state.
"""

import numpy as np
from sklearn.utils._param_validation import Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _callbacks as callbacks
from ._validation import check_prediction_input

# The ``refit`` values: True refits on all the data, "ensemble" keeps the folds.
REFIT_CONSTRAINT = [Options(bool, {True}), StrOptions({"ensemble"})]

# Fitted attributes that the ensemble shares with each of its networks: the
# targets' description, the same for every fold (each training part holds
# every class).
SHARED = ("_label_binarizer", "classes_", "n_outputs_", "n_layers_", "out_activation_")

# What one network has and the ensemble has not: its weights and training
# history, and what is read off its weights alone.
PER_NETWORK = (
    "coefs_",
    "intercepts_",
    "skip_coef_",
    "loss_",
    "best_loss_",
    "loss_curve_",
    "loss_curve_rate_starts_",
    "t_",
    "validation_scores_",
    "best_validation_score_",
    "validation_loss_curve_",
    "group_weights_",
    "sparsity_",
    "active_units_",
)


def fold_scores(fold_results):
    """The fold tasks' rows of scores, without the models they kept."""
    return [result.scores for result in fold_results]


def clear_fitted_state(estimator):
    """Remove what the last fit set: a refit's network and a fold ensemble
    have different attributes, and none may outlive the other kind of fit."""
    for name in callbacks.fitted_attributes(estimator):
        delattr(estimator, name)


def take_ensemble(target, fold_results, index):
    """Make ``target`` the ensemble of the folds' models at rate ``index``:
    ``fold_results`` are the chosen l1_ratio's fold tasks (scores and the
    model of each rate), in the order of the folds."""
    members = [result.models[index] for result in fold_results]
    first = vars(members[0])
    for name in SHARED:
        if name in first:
            setattr(target, name, first[name])
    # The folds trained on the validated array: each member takes the names
    # of the columns it was fitted on, so that it checks them, and names its
    # features, as the ensemble does.
    names = getattr(target, "feature_names_in_", None)
    if names is not None:
        for member in members:
            member.feature_names_in_ = names
    target.estimators_ = members
    # Per fold, as LogisticRegressionCV's n_iter_: each network's epochs.
    target.n_iter_ = np.array([member.n_iter_ for member in members])


def networks(estimator):
    """The networks whose mean is ``estimator``'s output: its folds' for a
    fold ensemble, else itself."""
    return list(vars(estimator).get("estimators_", [estimator]))


def is_ensemble(estimator):
    return "estimators_" in vars(estimator)


class FoldEnsembleMixin:
    """Predictions and attributes of a CV estimator fitted as a fold ensemble;
    those of its base estimator otherwise."""

    def _take_chosen(self, results, n_folds, ratio_index, rate_index):
        """This estimator's fitted state at the chosen rate (``rate_index``)
        and l1_ratio (``ratio_index``), from the results of the fit's tasks:
        the fold paths, then (``refit=True``) the final paths."""
        if self.refit == "ensemble":
            chosen = results[ratio_index * n_folds : (ratio_index + 1) * n_folds]
            return take_ensemble(self, chosen, rate_index)
        n_fold_tasks = len(results) // (n_folds + 1) * n_folds  # one final path per l1_ratio
        steps, fitted, target_scale = results[n_fold_tasks + ratio_index]
        self._take_model(fitted, steps, rate_index, target_scale)

    def _forward(self, X, check_input=True):
        if not is_ensemble(self):
            return super()._forward(X, check_input=check_input)
        if check_input:
            X = check_prediction_input(self, X)
        outputs = [member._forward(X, check_input=False) for member in self.estimators_]
        return np.mean(outputs, axis=0, dtype=outputs[0].dtype)

    @property
    def feature_importances_(self):
        """The base estimator's, for a refitted model; for a fold ensemble,
        the mean over its networks."""
        if not is_ensemble(self):
            return super().feature_importances_
        return np.mean([member.feature_importances_ for member in self.estimators_], axis=0)

    def _features_in_use(self):
        """The input features in use: for a fold ensemble, those that any of
        its networks uses (``n_features_selected_``, ``selected_features_``)."""
        if not is_ensemble(self):
            return super()._features_in_use()
        return np.any([member._features_in_use() for member in self.estimators_], axis=0)

    @property
    def sparsity_(self):
        if is_ensemble(self):
            raise AttributeError("sparsity_")  # __getattr__ says why
        return super().sparsity_

    @property
    def active_units_(self):
        if is_ensemble(self):
            raise AttributeError("active_units_")
        return super().active_units_

    def prune(self):
        """Remove the hidden units that cannot change the output: of the
        network, or of each network of a fold ensemble.

        Returns
        -------
        self : object
            The pruned estimator.
        """
        if not is_ensemble(self):
            return super().prune()
        check_is_fitted(self)
        for member in self.estimators_:
            member.prune()
        return self

    def __getattr__(self, name):
        # Reached only when the attribute is missing (or a property refused).
        if name.endswith("_") and not name.startswith("_"):
            # A fitted attribute (or a property that refused) before fit.
            check_is_fitted(self)
        if name in PER_NETWORK and is_ensemble(self):
            raise AttributeError(
                f"{type(self).__name__} fitted with refit='ensemble' has no {name}: its "
                "model is the mean of the fold networks in estimators_, each with its own "
                f"(estimators_[k].{name}). Fit with refit=True for one network."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
