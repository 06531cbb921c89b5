"""The network as one flat parameter vector.

The kernels keep every weight matrix and intercept of a network in one flat
vector (weights first, row-major, then intercepts, then the skip connection's
matrix when there is one; see docs/design.rst, "Kernels").
The estimators show them as scikit-learn does, as the lists ``coefs_`` and
``intercepts_``; during a fit these are views into the vector, so that the
kernels' in-place updates show through them.
"""

import numpy as np


def units_of(coefs):
    """Layer widths, inputs first: ``[n_features, hidden..., n_outputs]``."""
    return np.array([coefs[0].shape[0]] + [W.shape[1] for W in coefs], dtype=np.int64)


def pack(coefs, intercepts, dtype, skip=None):
    """A new flat vector of ``coefs``, ``intercepts`` and the skip
    connection's matrix ``skip`` (None: no skip connection), in ``dtype``."""
    blocks = [np.asarray(W, dtype=dtype).ravel() for W in coefs]
    blocks += [np.asarray(b, dtype=dtype).ravel() for b in intercepts]
    if skip is not None:
        blocks.append(np.asarray(skip, dtype=dtype).ravel())
    return np.concatenate(blocks)


def skip_view(params, units):
    """The skip connection's matrix, ``(units[0], units[-1])``, as a view
    into ``params``; None when ``params`` ends with the intercepts."""
    end = layer_offsets(units)[1][-1]
    if params.shape[0] == end:
        return None
    return params[end:].reshape(units[0], units[-1])


def layer_offsets(units):
    """Start of each weight block and each intercept block in the flat vector:
    ``(coef_start, intercept_start)``, int64 arrays of ``len(units)`` entries;
    block ``l`` spans ``[start[l], start[l + 1])``."""
    # In Python: a few numbers, for which NumPy's calls cost more than the sums.
    units = np.asarray(units, dtype=np.int64).tolist()
    coef_start = [0]
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        coef_start.append(coef_start[-1] + fan_in * fan_out)
    intercept_start = [coef_start[-1]]
    for fan_out in units[1:]:
        intercept_start.append(intercept_start[-1] + fan_out)
    return np.array(coef_start, dtype=np.int64), np.array(intercept_start, dtype=np.int64)


def views(params, units):
    """``(coefs, intercepts)``: lists of views into the flat vector ``params``."""
    coef_start, intercept_start = layer_offsets(units)
    n_weights = len(units) - 1
    coefs = [
        params[coef_start[l] : coef_start[l + 1]].reshape(units[l], units[l + 1])
        for l in range(n_weights)
    ]
    intercepts = [params[intercept_start[l] : intercept_start[l + 1]] for l in range(n_weights)]
    return coefs, intercepts


def fitted_weights(params, units):
    """The network in ``params`` by fitted attribute name, as views:
    ``coefs_``, ``intercepts_``, and ``skip_coef_`` when it has a skip
    connection."""
    coefs, intercepts = views(params, units)
    weights = {"coefs_": coefs, "intercepts_": intercepts}
    skip = skip_view(params, units)
    if skip is not None:
        weights["skip_coef_"] = skip
    return weights


def features_in_use(weights):
    """Boolean mask of the input features a network of ``fitted_weights``
    uses: a non-zero weight in their row of ``coefs_[0]`` or of
    ``skip_coef_``."""
    used = np.any(weights["coefs_"][0] != 0, axis=1)
    if "skip_coef_" in weights:
        used |= np.any(weights["skip_coef_"] != 0, axis=1)
    return used


def copied(weights):
    """Copies of the arrays of ``fitted_weights``."""
    return {
        name: [a.copy() for a in value] if isinstance(value, list) else value.copy()
        for name, value in weights.items()
    }


def glorot_uniform(units, activation, random_state, dtype):
    """Initial ``(coefs, intercepts)``, drawn in the same order and from the
    same ranges as scikit-learn's MLP, so that the same seed gives the same
    start: uniform on +-sqrt(factor / (fan_in + fan_out)), factor 2 for the
    logistic activation and 6 otherwise, weights then intercept per layer."""
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coef = random_state.uniform(-bound, bound, (fan_in, fan_out))
        intercept = random_state.uniform(-bound, bound, fan_out)
        coefs.append(coef.astype(dtype, copy=False))
        intercepts.append(intercept.astype(dtype, copy=False))
    return coefs, intercepts
