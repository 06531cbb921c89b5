"""Removing hidden units that cannot change the network's output.

A hidden unit whose outgoing weights (its row in the next weight matrix) are
all zero contributes nothing: it is dropped with its column in the matrix
before it and its intercept.  A unit whose incoming weights (its column) are
all zero outputs the constant ``activation(intercept)``: that constant times
its outgoing row is folded into the next layer's intercept, then the unit is
dropped the same way.  Predictions are unchanged up to rounding.

``SparsityMixin`` gives the estimators ``prune()`` and the properties that
report how sparse the fitted network is and which input features it uses.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _engine as engine
from ._feature_groups import block_codes, block_norms, fitted_groups
from ._validation import check_prediction_parameters


def prune_network(coefs, intercepts, settings):
    """Pruned copies of ``coefs`` and ``intercepts`` of a network whose
    ``Settings`` record (of ``skreg._config.settings``) is ``settings``: its
    hidden activation is what a constant unit outputs.

    Returns ``(coefs, intercepts, kept)`` where ``kept[l]`` is the boolean
    mask of hidden layer ``l + 1``'s units that remain.
    """
    coefs = [W.copy() for W in coefs]
    intercepts = [b.copy() for b in intercepts]
    kept_masks = []
    for l in range(1, len(coefs)):
        incoming, outgoing = coefs[l - 1], coefs[l]
        constant = ~np.any(incoming != 0, axis=0)
        # Fold each constant unit's fixed contribution into the next intercept.
        folded = _activated_constants(intercepts[l - 1][constant], settings) @ outgoing[constant]
        intercepts[l] = (intercepts[l] + folded).astype(intercepts[l].dtype)
        kept = np.any(outgoing != 0, axis=1) & ~constant
        coefs[l - 1] = np.ascontiguousarray(incoming[:, kept])
        intercepts[l - 1] = intercepts[l - 1][kept]
        coefs[l] = np.ascontiguousarray(outgoing[kept])
        kept_masks.append(kept)
    return coefs, intercepts, kept_masks


def _activated_constants(intercepts, settings):
    """activation(intercepts), computed by the prediction kernel itself so
    that pruning knows every activation the network can have."""
    return engine.hidden_activation(intercepts, settings)


class SparsityMixin:
    """What the estimators report of their sparsity, and ``prune``."""

    @property
    def sparsity_(self):
        """Fraction of exactly-zero weights, one float per weight matrix."""
        check_is_fitted(self, "coefs_")
        return [float(np.mean(W == 0)) for W in self.coefs_]

    @property
    def active_units_(self):
        """One boolean mask per layer but the output layer (inputs included):
        a unit is active when any of its outgoing weights is non-zero."""
        check_is_fitted(self, "coefs_")
        return [np.any(W != 0, axis=1) for W in self.coefs_]

    @property
    def n_features_selected_(self):
        """Number of input features with a non-zero outgoing weight (with
        ``feature_groups``: the columns of the blocks in use)."""
        return int(np.sum(self._features_in_use()))

    @property
    def selected_features_(self):
        """Names of the input features with a non-zero outgoing weight (with
        ``feature_groups``: every column of a block in use), in the order of
        the columns: ``feature_names_in_`` where fit saw named columns, else
        ``x0``, ``x1``, ... as ``get_feature_names_out`` names unnamed
        columns; an object array of ``n_features_selected_`` str."""
        used = self._features_in_use()
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = np.asarray([f"x{j}" for j in range(len(used))], dtype=object)
        return names[used]

    @property
    def selected_groups_(self):
        """Labels of the blocks of ``feature_groups`` in use (a block is in
        use when any of its features is, see ``_features_in_use``), in the
        order of their first column; without ``feature_groups``,
        ``selected_features_`` (each column its own block).  An object array."""
        codes, labels = self._input_blocks()
        if labels is None:
            return self.selected_features_
        return labels[np.unique(codes[self._features_in_use()])]

    def _input_blocks(self):
        """``(codes, labels)`` of ``feature_groups`` for the fitted inputs
        (``skreg._feature_groups.block_codes``)."""
        check_is_fitted(self, "n_features_in_")  # a fold ensemble has no coefs_
        return block_codes(fitted_groups(self), self.n_features_in_)

    def _skip_coef(self):
        """The fitted skip connection's matrix, None without one."""
        return getattr(self, "skip_coef_", None)

    def _features_in_use(self):
        """Boolean mask of the input features the fitted model uses: a
        non-zero weight in its row of ``coefs_[0]`` or of ``skip_coef_``, or
        in any row of its block of ``feature_groups``."""
        used = self.active_units_[0]
        skip = self._skip_coef()
        if skip is not None:
            used = used | np.any(skip != 0, axis=1)
        codes, labels = self._input_blocks()
        if labels is None:
            return used
        return np.bincount(codes, weights=used, minlength=labels.shape[0])[codes] > 0

    @property
    def feature_importances_(self):
        """One non-negative number per input feature: the Euclidean norm of its
        outgoing first-layer weights (its row of ``coefs_[0]``), zero for a
        feature the penalty removed; with ``feature_groups``, the norm of its
        block's rows, the same for every column of a block.  It says how
        strongly the network uses the feature at its input, comparable across
        features when they are on one scale (standardize them), not how much
        the prediction depends on it.  ``SelectFromModel`` reads it, and keeps
        or drops a block whole.  With a skip connection, the feature's row of
        ``skip_coef_`` counts as outgoing weights too."""
        check_is_fitted(self, "coefs_")
        rows = [np.asarray(self.coefs_[0], dtype=np.float64)]
        if self._skip_coef() is not None:
            rows.append(np.asarray(self.skip_coef_, dtype=np.float64))
        W = np.hstack(rows)
        codes, labels = self._input_blocks()
        if labels is None:
            return np.linalg.norm(W, axis=1)
        return block_norms(W, codes, labels.shape[0])[codes]

    def prune(self):
        """Remove the hidden units that cannot change the output.

        A unit whose outgoing weights are all zero is removed with its
        incoming weights and intercept; a unit whose incoming weights are all
        zero has a constant output, which is folded into the next layer's
        intercept before the unit is removed.  Predictions stay the same up
        to rounding and get cheaper.  ``hidden_layer_sizes`` keeps the value
        the user set; the pruned sizes are the shapes of ``coefs_``.  The
        optimizer state is dropped, so a later ``partial_fit`` starts it
        afresh.

        Returns
        -------
        self : object
            The pruned estimator.
        """
        check_is_fitted(self, "coefs_")
        # A constant unit's output is folded away with the activation it has now.
        check_prediction_parameters(self)
        self.coefs_, self.intercepts_, _ = prune_network(
            self.coefs_, self.intercepts_, self._settings(batch_size=1)
        )
        vars(self).pop("_optimizer_state", None)
        return self
