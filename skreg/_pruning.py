"""Removing hidden units that cannot change the network's output.

A hidden unit whose outgoing weights (its row in the next weight matrix) are
all zero contributes nothing: it is dropped with its column in the matrix
before it and its intercept.  A unit whose incoming weights (its column) are
all zero outputs the constant ``activation(intercept)``: that constant times
its outgoing row is folded into the next layer's intercept, then the unit is
dropped the same way.  Predictions are unchanged up to rounding.
"""

import numpy as np

from . import _kernels as K


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
    b = np.ascontiguousarray(intercepts)
    values = np.zeros((1, b.shape[0]), dtype=b.dtype)
    if b.shape[0]:
        K.add_bias_and_activate(values, b, settings.activation, settings.activation_slope)
    return values[0]
