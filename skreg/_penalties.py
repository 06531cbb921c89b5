"""From the estimator's regularization parameters to per-layer strengths.

The kernels see regularization only as ``layer_reg``: one row per weight
matrix, columns ``REG_*`` of ``skreg._kernels``.  This module builds that
array and knows which penalties are smooth (usable by L-BFGS).
"""

from numbers import Real

import numpy as np

from . import _kernels as K

# penalty name -> rho, the L1 share of the alpha term (elasticnet: l1_ratio)
PENALTY_RHO = {"l2": 0.0, "l1": 1.0, None: 0.0}


def per_layer(value, n_layers, name):
    """A float, or one float per layer, as an array of ``n_layers`` floats.

    Raises ValueError naming ``name`` when a sequence has the wrong length.
    """
    if isinstance(value, Real):
        return np.full(n_layers, float(value))
    values = np.asarray(value, dtype=np.float64)
    if values.ndim != 1 or values.shape[0] != n_layers:
        raise ValueError(
            f"{name} must be a float or a sequence with one value per layer "
            f"({n_layers} values), got {value!r}."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    return values


def l1_share(penalty, l1_ratio):
    """rho in DESIGN section 1: 0 for l2, 1 for l1, l1_ratio for elasticnet."""
    if penalty == "elasticnet":
        return float(l1_ratio)
    return PENALTY_RHO[penalty]


def layer_regularization(est, n_weights):
    """The ``layer_reg`` array of estimator ``est`` for ``n_weights`` matrices."""
    reg = np.zeros((n_weights, K.N_REG))
    if est.penalty is not None:
        alpha = per_layer(est.alpha, n_weights, "alpha")
        _check_non_negative(alpha, "alpha")
        rho = l1_share(est.penalty, est.l1_ratio)
        reg[:, K.REG_L1] = alpha * rho
        reg[:, K.REG_L2] = alpha * (1.0 - rho)
    group_alpha = per_layer(est.group_alpha, n_weights, "group_alpha")
    _check_non_negative(group_alpha, "group_alpha")
    reg[:, K.REG_GROUP] = group_alpha

    # Row 0 is the input layer's dropout; row l >= 1 is hidden layer l's.
    reg[0, K.REG_DROPOUT] = est.input_dropout
    if n_weights > 1:
        dropout = per_layer(est.dropout, n_weights - 1, "dropout")
        if np.any((dropout < 0) | (dropout >= 1)):
            raise ValueError(
                f"dropout must be in [0, 1) for every hidden layer, got {est.dropout!r}."
            )
        reg[1:, K.REG_DROPOUT] = dropout
    if est.max_norm is not None:
        reg[:, K.REG_MAX_NORM] = est.max_norm
    return reg


def _check_non_negative(values, name):
    if np.any(values < 0):
        raise ValueError(f"{name} must be non-negative, got {values.tolist()}.")


def non_smooth_terms(layer_reg):
    """Names of the non-smooth terms in use (they need a proximal solver)."""
    names = []
    if np.any(layer_reg[:, K.REG_L1] > 0):
        names.append("the L1 part of the penalty")
    if np.any(layer_reg[:, K.REG_GROUP] > 0):
        names.append("group_alpha")
    return names


def stochastic_terms(layer_reg, input_noise, weight_decay):
    """Names of the regularizers that act only through stochastic steps."""
    names = []
    if np.any(layer_reg[:, K.REG_DROPOUT] > 0):
        names.append("dropout/input_dropout")
    if input_noise > 0:
        names.append("input_noise")
    if np.any(layer_reg[:, K.REG_MAX_NORM] > 0):
        names.append("max_norm")
    if weight_decay > 0:
        names.append("weight_decay")
    return names
