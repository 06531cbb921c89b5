"""The rates of a path: which layers the rate acts on, and the automatic grid of rates.

The rate moves one parameter, ``alpha`` or ``group_alpha`` times a per-layer
pattern (``layer_pattern``), or ``skip_alpha``, the hierarchy's one rate.
The automatic grid runs from the rate at which the penalty removes (nearly)
every weight, the largest data gradient at the start of training
(``largest_rate``), down to a fraction of it
(docs/design.rst, "The automatic grid").
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from . import _base as base
from . import _config as C
from . import _engine as engine
from . import _network
from . import _recipe as recipes
from ._constant_model import best_constant_intercepts
from ._feature_groups import block_codes, block_norms, fitted_groups

# The grid rule divides by the L1 share rho of the rate, at least this much
# (glmnet's floor); a pure L2 path divides by 1 (docs/design.rst, "The
# automatic grid").
_RHO_FLOOR = 1e-3


# --------------------------------------------------------------------------
# Which layers the rate acts on
# --------------------------------------------------------------------------


def layer_pattern(estimator, path_param, n_weights):
    """Relative strength of the path's rate on each weight matrix (max 1);
    for ``skip_alpha``, which acts on the skip weights alone, the number 1."""
    if path_param == "skip_alpha":
        return np.float64(1.0)
    value = getattr(estimator, path_param)
    if np.ndim(value) == 0:
        pattern = np.ones(n_weights)
        if path_param == "group_alpha":
            pattern[1:] = 0.0  # input features only
        return pattern
    pattern = C.per_layer(value, n_weights, path_param)
    if pattern.max() <= 0:
        raise ValueError(
            f"{path_param}={value!r} gives the path no layer to act on: as a sequence it "
            "holds the relative strength per weight matrix, and one must be positive."
        )
    return pattern / pattern.max()


def l1_share_of_rate(estimator, path_param):
    """The share of the rate that acts as an L1-type (sparsifying) term."""
    if path_param == "group_alpha":
        return 1.0
    return C.l1_share(estimator.penalty, estimator.l1_ratio)


# --------------------------------------------------------------------------
# The automatic grid
# --------------------------------------------------------------------------


def largest_rate(estimator, X, y, sample_weight=None, *, path_param="alpha"):
    """The rate at which the penalty removes (nearly) every weight: the
    largest data gradient at a calibrated initial network, per unit of the
    rate's sparsifying share (docs/design.rst, "The automatic grid").

    A weight at zero stays there while its data gradient is below the L1
    threshold (a row of the group term: while its gradient's norm is below
    ``sqrt(len(row))`` times the threshold); gradients are largest at the
    start of training, so above the largest of them the penalty removes
    everything.  The initial network is the one a fit draws, with each input
    feature's outgoing weights divided by the feature's root mean square
    (weighted as the loss weighs the rows), so that its pre-activations have
    the scale the trained network will give them whatever the scale of X.
    """
    probe = clone(estimator)
    start = base.starting_state(probe, X, y, sample_weight)
    params, units = start.params.copy(), start.units
    first_layer = _network.views(params, units)[0][0]
    # Weighted as the data loss weighs the rows (class_weight included).
    scale = _feature_scale(X, start.data.sample_weight)
    first_layer /= scale[:, None].astype(first_layer.dtype)
    settings = recipes.recipe(probe.get_params(deep=False), probe.out_activation_, 1).settings
    if path_param == "skip_alpha":
        return _hierarchy_rate(probe, start, settings)
    grads = engine.data_gradient(start.data, params, units, settings)
    gradients, _ = _network.views(grads, units)
    pattern = layer_pattern(estimator, path_param, len(units) - 1)
    largest = 0.0
    codes, labels = block_codes(fitted_groups(probe), units[0])
    n_groups = units[0] if labels is None else labels.shape[0]
    factors = C.group_factors(estimator.group_weights, n_groups, labels is not None)
    for layer, (G, strength) in enumerate(zip(gradients, pattern)):
        if strength > 0:
            if path_param == "group_alpha":
                norms = np.linalg.norm(G, axis=1) / np.sqrt(G.shape[1])
                if layer == 0 and labels is not None:  # a block's threshold grows as sqrt(rows)
                    sizes = np.bincount(codes, minlength=n_groups)
                    norms = block_norms(G, codes, n_groups) / np.sqrt(sizes * G.shape[1])
                if layer == 0 and factors.size:
                    norms = norms / factors
                size = norms.max()
            else:
                size = np.abs(G).max()
            largest = max(largest, float(size) / strength)
    rho = l1_share_of_rate(estimator, path_param)
    rho = max(rho, _RHO_FLOOR) if rho > 0 else 1.0
    if not largest > 0:
        raise ValueError(
            "The data gradient is zero at the start: every target is predicted "
            "already, and no rate has anything to remove. Pass the rates yourself."
        )
    return largest / rho


def _hierarchy_rate(estimator, start, settings):
    """The hierarchy's rate above which the network with every feature
    removed (skip weights and first layer at zero, the output intercept at
    the best constant) stays so: the hierarchical step of a data gradient
    there zeroes a feature's pair while the rate is at least ||skip row|| +
    M * sum |first-layer row|.  Measured there rather than at the dense start,
    whose gradients fall short of it: a rate just above the dense start's
    kept features of a regressor."""
    params, units, data = start.params.copy(), start.units, start.data
    weights = _network.fitted_weights(params, units)
    weights["coefs_"][0][:] = 0.0
    weights["skip_coef_"][:] = 0.0
    best = best_constant_intercepts(
        weights["coefs_"],
        weights["intercepts_"],
        settings,
        estimator.out_activation_,
        data.Y,
        data.sample_weight,
    )
    weights["intercepts_"][-1][:] = best[-1]
    grads = engine.data_gradient(data, params, units, settings)
    gradients = _network.fitted_weights(grads, units)
    sizes = np.linalg.norm(gradients["skip_coef_"], axis=1)
    sizes += estimator.hierarchy * np.abs(gradients["coefs_"][0]).sum(axis=1)
    if not sizes.max() > 0:
        raise ValueError(
            "The data gradient is zero at the start: every target is predicted "
            "already, and no rate has anything to remove. Pass the rates yourself."
        )
    return float(sizes.max())


def _feature_scale(X, sample_weight):
    """Root mean square of each column of X, weighted by ``sample_weight``
    as the data loss weighs the rows (a row of weight 0 counts as a removed
    row, of weight 2 as a repeated one); 1 where a column is all zero."""
    # Written so that equal weights give the plain mean bit for bit (each
    # row's share first for sparse X, as SciPy's mean multiplies by 1/n).
    if sp.issparse(X):
        share = np.asarray(sample_weight, dtype=np.float64)
        share = share / share.sum()
        weighted = X.multiply(X).multiply(share.astype(X.dtype)[:, None])
        squares = np.asarray(weighted.sum(axis=0)).ravel()
    else:
        squares = np.square(np.asarray(X), dtype=np.float64)  # a DataFrame too
        squares = np.average(squares, axis=0, weights=sample_weight)
    scale = np.sqrt(squares)
    scale[scale == 0] = 1.0
    return scale


def rate_grid(estimator, X, y, sample_weight=None, *, path_param="alpha", n_alphas=10, eps=1e-3):
    """``n_alphas`` rates, log-spaced from ``eps`` times ``largest_rate`` up
    to it, ascending."""
    top = largest_rate(estimator, X, y, sample_weight, path_param=path_param)
    return np.geomspace(eps * top, top, n_alphas)
