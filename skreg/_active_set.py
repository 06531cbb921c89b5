"""Training and predicting without the input features and hidden units the
penalty removed.

Once L1 or group lasso has set every outgoing weight of an input feature to
zero (its row of W_1), an epoch that keeps the feature multiplies its column
of X by zeros in the forward pass, and computes a gradient for its row that
the proximal step throws away again.  The same holds for a hidden unit whose
outgoing weights are all zero: the next layer multiplies its activation by
zeros, and its incoming weights and intercept get no data gradient.
``ActiveSet`` runs such epochs on a reduced problem instead, as glmnet does
for linear models: the rows and columns of the weight matrices still in
use, the matching columns of X, the rest of the network as it is.

Before an epoch it checks every removed row's optimality condition on a
sample of rows, the condition under which the proximal steps keep it at
zero, and brings back any feature or unit that fails it: at every epoch
after a change of the removed rows, less often while none comes back
(``MAX_CHECK_INTERVAL``).  As long as none comes back, training gives the
weights that training without skipping gives, up to rounding (the matrix
products sum in another order).  A removed unit's incoming weights and
intercept still change in full training (the
penalty, the decay and the optimizer's momentum act on them with a zero data
gradient): the kernel ``coast`` replays those updates after the epoch.  The
moments of the removed rows stay as they were when they were removed.  See
docs/design.rst, "Active set".
"""

import numpy as np
import scipy.sparse as sp

from . import _config as C
from . import _engine as engine
from . import _network

# Skip a layer's removed units only when they are at least this share of
# the layer: below it, building the reduced problem costs about what the
# skipped products save (benchmarks/bench_sparse.py).
MIN_REMOVED_SHARE = 0.25
# The removed rows' condition is checked each epoch on a twentieth of the
# rows, at least this many (all of them when there are fewer): its cost
# (forward passes on those rows, and the removed rows' gradient) then stays a
# few percent of a full epoch, at a noise in the gradient like two or three
# minibatches'.
MIN_CHECK_ROWS = 500
# The reduced problem's input columns are kept from epoch to epoch while they
# hold every feature in use and at most this share of removed ones: copying
# the columns of X anew each time a feature flickers out costs more than the
# products of a few zero rows.
MAX_IDLE_SHARE = 0.25
# While the removed rows keep passing their check with none coming back, it
# runs every second epoch, then every fourth, and so on up to this interval;
# any change of the removed rows (one more removed, one back) makes it run at
# the next epoch again.  A row whose condition fails between two checks comes
# back at the next one instead of at once: a delay of at most this many
# epochs minus one, in exchange for most of the check's cost (a tenth of an
# epoch on 8 000 x 400 with 80 % of the inputs removed).
MAX_CHECK_INTERVAL = 4
# Under a group term on their rows, a removed unit's incoming weights must be
# zero and stay there: they do in full training while the step their
# momentum alone takes is within the L1 threshold.  Leaving the unit out asks
# for half of it: a margin over the rounding of the two sides.
MOMENT_MARGIN = 0.5


def skippable_layers(reg):
    """For the inputs (entry 0) and each hidden layer l (entry l), whether a
    fit may leave out the units it removed: weight matrix l, which holds
    their outgoing weights, has an L1 or group term (which zero rows
    exactly), and the layer has no dropout (its random draws run over every
    unit, and skipping some would change the others), nor, for the inputs,
    input noise.

    A hidden unit's incoming weights (a column of weight matrix l - 1) keep
    changing while it is left out, under the penalty and the momentum
    (``engine.coast`` replays that).  A group term on weight matrix l - 1 would
    tie them to the rest of their rows, so there the unit is left out only
    when they are zero and stay so, which takes a proximal L1 term there.
    Subgradient L1 is not replayed."""
    layers = ((reg.l1 > 0) | (reg.group > 0)) & (reg.dropout == 0)
    layers[0] &= reg.input_noise == 0
    layers[1:] &= ((reg.group[:-1] == 0) | (reg.l1[:-1] > 0)) & (not reg.l1_subgradient)
    return layers


def applies(reg):
    """Whether a fit may skip any removed inputs or hidden units.  Not with
    a skip connection: its reduced problem would have to carry Theta's rows
    too (a feature is unused only when its rows of W_1 and of Theta are both
    zero), which it does not."""
    return not reg.skip and bool(skippable_layers(reg).any())


def worth_skipping(removed):
    """Whether a layer's mask of removed units (or None) is worth a reduced
    problem: at least ``MIN_REMOVED_SHARE`` of the layer, and not all of it
    (a layer that ``prune()`` emptied has no unit to skip)."""
    if removed is None or removed.size == 0:
        return False
    n_removed = np.count_nonzero(removed)  # a count, not mean(): a call per prediction
    return n_removed / removed.size >= MIN_REMOVED_SHARE and n_removed < removed.size


def same_masks(masks, others):
    """Whether two lists of masks (None: a layer not skipped) are equal."""
    if others is None or len(masks) != len(others):
        return False
    for mask, other in zip(masks, others):
        if (mask is None) != (other is None):
            return False
        if mask is not None and not np.array_equal(mask, other):
            return False
    return True


def zero_rows(W):
    """The rows of W that are all zero."""
    return ~np.any(W != 0, axis=1)


def keep_one_block(mask, blocks):
    """The input layer's mask of removed rows, but when it holds every row,
    without its smallest block (``Regularization.group_blocks``; empty: each
    row its own, and the first is kept).  A network whose inputs are all
    removed, a constant one, would otherwise not skip any (the reduced
    problem needs an input column); a zero row trained with the rest gets
    what full training gives it."""
    if mask.size == 0 or not mask.all():
        return mask
    if not blocks.size:
        return np.arange(mask.size) != 0
    smallest = np.argmin(np.bincount(blocks))  # the fewest columns to train
    return blocks != smallest


def whole_blocks(mask, blocks):
    """``mask`` of rows where every row of the row's block is in it (the
    blocks of ``Regularization.group_blocks``; empty: each row its own)."""
    if blocks.size == 0:
        return mask
    return np.bincount(blocks, weights=~mask)[blocks] == 0


class CheckSchedule:
    """When the removed rows are checked: every epoch at first, then two and
    four epochs apart while no row comes back (``MAX_CHECK_INTERVAL``), and
    at the next epoch after any change of the removed rows."""

    def __init__(self):
        self.last = None  # the removed masks the last check left
        self.interval = 1  # epochs from one check to the next
        self.wait = 0  # epochs before the next check is due

    def due(self, removed):
        """Whether this epoch checks the masks ``removed``: at its turn, or
        when they are not those the last check left."""
        self.wait -= 1
        return self.wait < 0 or not same_masks(removed, self.last)

    def checked(self, removed, still):
        """After a check of ``removed`` that left ``still``: the next one
        twice as far off (at most ``MAX_CHECK_INTERVAL``) when no row came
        back, else at the next epoch."""
        quiet = same_masks(removed, still)
        self.interval = min(2 * self.interval, MAX_CHECK_INTERVAL) if quiet else 1
        self.wait = self.interval - 1
        self.last = still


class ReducedProblem:
    """An epoch's problem restricted to the ``kept`` units of each layer
    (inputs, hidden layers, outputs; None: the whole layer): the input
    matrix, flat parameters, optimizer moments, layer widths and
    regularization the kernels take."""

    def __init__(self, kept, inputs, params, moments, units, reg):
        self.kept, self.inputs = kept, inputs
        self.params, self.moments, self.units, self.reg = params, moments, units, reg


class ActiveSet:
    """Reduced epochs for one training run; ``problem(order, moments,
    learning_rate)`` gives the next epoch's, or None when the full problem is
    better, and ``write_back`` copies its results into the full parameters
    and moments."""

    def __init__(self, params, units, data, reg, settings):
        self.params, self.units, self.data = params, units, data
        self.reg, self.settings = reg, settings
        self.layers = skippable_layers(reg)
        self._cached_active = None  # the input columns of the last reduced problem
        self._cached_matrix = None  # X restricted to them (array or CSR)
        self._cached_inputs = None  # the same, as the kernels take it
        self._checks = CheckSchedule()  # when the removed rows are checked

    def problem(self, order, moments, learning_rate):
        # A layer with too few units removed is trained whole: no mask.
        removed = [m if worth_skipping(m) else None for m in self._removed(moments, learning_rate)]
        if not any(mask is not None for mask in removed):
            return None
        if self._checks.due(removed):
            still = self._still_removed(removed, order)
            self._checks.checked(removed, still)
            removed = still
        if not any(worth_skipping(mask) for mask in removed):
            return None
        kept = [None if not worth_skipping(mask) else np.flatnonzero(~mask) for mask in removed]
        if kept[0] is not None:
            kept[0] = self._columns_for(kept[0])
        kept.append(None)  # the outputs
        return ReducedProblem(
            kept,
            self._inputs(kept[0]),
            reduce_flat(self.params, self.units, kept),
            np.stack([reduce_flat(row, self.units, kept) for row in moments]),
            reduced_units(self.units, kept),
            self._reduced_reg(kept),
        )

    def write_back(self, problem, moments, learning_rate, t_start, t_end):
        """The reduced epoch's parameters and moments into the full ones, and
        the left-out units' updates replayed (``engine.coast``) for the steps
        ``t_start + 1 ... t_end``."""
        expand_flat(problem.params, self.params, self.units, problem.kept)
        for reduced, full in zip(problem.moments, moments):
            expand_flat(reduced, full, self.units, problem.kept)
        for l in range(1, len(self.units) - 1):  # the hidden layers
            if problem.kept[l] is not None:
                out = np.setdiff1d(np.arange(self.units[l]), problem.kept[l])
                self._coast(l, out, moments, learning_rate, t_end - t_start, t_start)

    def _coast(self, l, out, moments, learning_rate, n_steps, t_start):
        """Replay ``n_steps`` updates of full training on the incoming weights
        and intercepts of the units ``out`` of hidden layer l (their data
        gradient is zero): ``engine.coast`` on them as a one-layer network, with
        weight matrix l - 1's terms.  Its group term is left out: under one,
        the weights are zero and stay so (``_incoming_stay_zero``)."""
        columns, intercepts = self._unit_indices(l, out)
        where = np.concatenate([columns.ravel(), intercepts])
        params = self.params[where]
        state = np.ascontiguousarray(moments[:, where])
        units = np.array([self.units[l - 1], out.size], dtype=np.int64)
        engine.coast(
            params,
            state,
            units,
            self._layer_reg(l - 1),
            self.settings,
            learning_rate,
            n_steps,
            t_start,
        )
        self.params[where] = params
        moments[:, where] = state

    def _layer_reg(self, l):
        """``reg`` for weight matrix l alone, without its group term."""
        reg = self.reg
        return reg._replace(
            l1=reg.l1[l : l + 1],
            l2=reg.l2[l : l + 1],
            group=np.zeros(1),
            group_factors=np.zeros(0),
            group_blocks=np.zeros(0, dtype=np.int64),
            dropout=np.zeros(1),
            max_norm=reg.max_norm[l : l + 1],
        )

    def _unit_indices(self, l, units):
        """The flat indices of the incoming weights (n_{l-1} x len(units),
        row-major) and of the intercepts of ``units`` of hidden layer l."""
        coef_start, intercept_start = _network.layer_offsets(self.units)
        rows = np.arange(self.units[l - 1])
        columns = coef_start[l - 1] + rows[:, None] * self.units[l] + units
        return columns, intercept_start[l - 1] + units

    # -- which units are removed -------------------------------------------

    def _removed(self, moments, learning_rate):
        """Per layer (None where skipping does not apply): the units whose
        outgoing weights are zero; for hidden units under a group term on
        their incoming weights' rows, also those weights, which their
        momentum does not move off zero."""
        coefs, _ = _network.views(self.params, self.units)
        masks = []
        for l, skippable in enumerate(self.layers):
            if not skippable:
                masks.append(None)
                continue
            mask = zero_rows(coefs[l])
            if l == 0:
                blocks = self.reg.group_blocks
                mask = keep_one_block(whole_blocks(mask, blocks), blocks)
            if l > 0 and self.reg.group[l - 1] > 0:
                mask &= zero_rows(coefs[l - 1].T)
                mask &= self._incoming_stay_zero(l, moments, learning_rate)
            masks.append(mask)
        return masks

    def _incoming_stay_zero(self, l, moments, learning_rate):
        """Which units of hidden layer l keep their incoming weights at zero
        while their gradient is zero: the step the first moment alone takes,
        at most ``MOMENT_MARGIN`` of the L1 proximal threshold for each
        weight.  Both scale with Adam's per-coordinate step, which cancels;
        SGD's velocity is in units of the learning rate, and the threshold
        in units of the proximal step lr / (1 - momentum).  The moments only
        shrink from here on, so the condition holds for the whole epoch."""
        coef_start, _ = _network.layer_offsets(self.units)
        first = moments[0][coef_start[l - 1] : coef_start[l]]
        first = first.reshape(self.units[l - 1], self.units[l])
        limit = 0.0 if self.reg.l1_subgradient else self.reg.l1[l - 1]
        if C.SOLVERS_BY_CODE[self.settings.solver].velocity:
            momentum = self.settings.momentum
            limit *= learning_rate / (1.0 - momentum) if momentum < 1.0 else learning_rate
        return np.all(np.abs(first) <= MOMENT_MARGIN * limit, axis=0)

    # -- the removed rows' condition -----------------------------------------

    def _still_removed(self, removed, order):
        """The masks ``removed`` without the units that fail the condition that
        keeps their outgoing row at zero: the row's data gradient g,
        soft-thresholded by the L1 strength, has a norm of at most the row's
        group threshold.

        g is estimated on a sample of rows, and the squared norm of a mean
        over a sample exceeds the squared norm of the mean by what the
        samples scatter (in every one of the row's dimensions, here hundreds):
        that excess, estimated from the sample itself, is taken off, so that
        the check is not noisier than the optimizer's own averages.  Only the
        layers worth skipping are checked."""
        candidates = [mask if worth_skipping(mask) else None for mask in removed]
        checks, check_units = self._removed_rows_gradient(candidates, order)
        still = []
        gradient_at, unit_at = 0, 0  # where each hidden layer's units start
        for l, mask in enumerate(candidates):
            if mask is None:
                still.append(None)
                continue
            which = np.flatnonzero(mask)
            if l == 0:
                gradient, scatter = checks.inputs_gradient, checks.inputs_scatter
            else:
                size = which.size * check_units[l + 1]
                gradient = checks.units_gradient[gradient_at : gradient_at + size]
                gradient = gradient.reshape(which.size, check_units[l + 1])
                scatter = checks.units_scatter[unit_at : unit_at + which.size]
                gradient_at, unit_at = gradient_at + size, unit_at + which.size
            mask = mask.copy()
            mask[which] = self._stays_zero(l, which, gradient, scatter)
            still.append(mask)
        return still

    def _stays_zero(self, l, which, gradient, scatter):
        """Whether the rows ``which`` of weight matrix l, at zero with the
        data gradient ``gradient`` (sampling scatter ``scatter``), stay
        there."""
        l1 = 0.0 if self.reg.l1_subgradient else self.reg.l1[l]
        excess = np.maximum(np.abs(gradient) - l1, 0.0)
        squared = np.sum(excess**2, axis=1) - scatter
        threshold = self.reg.group[l] * np.sqrt(self.units[l + 1])
        blocks, factors = self.reg.group_blocks, self.reg.group_factors
        groups = blocks[which] if l == 0 and blocks.size else which
        if l == 0 and blocks.size:  # a block's rows under one norm, sqrt(rows) times the threshold
            squared = np.bincount(groups, weights=squared)[groups]
            threshold = threshold * np.sqrt(np.bincount(groups)[groups])
        if l == 0 and factors.size:
            threshold = threshold * factors[groups]
        return np.sqrt(np.maximum(squared, 0.0)) <= threshold

    def _removed_rows_gradient(self, candidates, order):
        """``engine.removed_rows_gradient`` on the first rows of this epoch's order,
        run on the network without the ``candidates``; returns its
        ``ActiveSetChecks`` and the widths of that network."""
        n = self.data.n_samples
        rows = np.sort(order[: min(n, max(MIN_CHECK_ROWS, n // 20))])
        kept = [None if mask is None else np.flatnonzero(~mask) for mask in candidates] + [None]
        units = reduced_units(self.units, kept)
        sample = _matrix(self.data.inputs, self.units[0])[rows]
        inputs_removed = np.flatnonzero(candidates[0]) if candidates[0] is not None else []
        left_out = self._left_out_units(candidates, kept)
        kept_inputs = kept[0] if kept[0] is not None else np.arange(self.units[0])
        checks = engine.removed_rows_gradient(
            _columns(sample, kept_inputs),
            _columns(sample, np.asarray(inputs_removed, dtype=np.int64)),
            self.data.Y[rows],
            self.data.sample_weight[rows],
            reduce_flat(self.params, self.units, kept),
            units,
            self.settings,
            left_out,
        )
        return checks, units

    def _left_out_units(self, candidates, kept):
        """The ``RemovedUnits`` record of the hidden ``candidates``: their
        incoming weights from the units ``kept`` in the layer below, and their
        intercepts."""
        coefs, intercepts = _network.views(self.params, self.units)
        counts = np.zeros(len(coefs), dtype=np.int64)
        weights, biases = [], []
        for l in range(1, len(coefs)):
            if candidates[l] is None:
                continue
            which = np.flatnonzero(candidates[l])
            counts[l] = which.size
            weights.append(_block(coefs[l - 1], kept[l - 1], which).ravel())
            biases.append(intercepts[l - 1][which])
        empty = np.zeros(0, dtype=self.params.dtype)
        return C.removed_units(
            weights=np.concatenate(weights) if weights else empty,
            intercepts=np.concatenate(biases) if biases else empty,
            counts=counts,
        )

    # -- the reduced problem -----------------------------------------------

    def _reduced_reg(self, kept):
        """The regularization of the reduced problem: the kept features'
        group factors, and each group strength scaled so that a row that
        lost columns keeps its threshold ``strength * sqrt(full width)``."""
        group = self.reg.group.copy()
        for l in range(1, len(kept) - 1):
            if kept[l] is not None:
                group[l - 1] *= np.sqrt(self.units[l] / kept[l].size)
        factors, blocks = self.reg.group_factors, self.reg.group_blocks
        if kept[0] is not None and blocks.size:  # the kept blocks, numbered 0, 1, ...
            kept_blocks, blocks = np.unique(blocks[kept[0]], return_inverse=True)
            factors = factors[kept_blocks] if factors.size else factors
        elif kept[0] is not None and factors.size:
            factors = factors[kept[0]]
        blocks = blocks.astype(np.int64).ravel()
        return self.reg._replace(group=group, group_factors=factors, group_blocks=blocks)

    def _columns_for(self, active):
        """The features the reduced problem trains, in the order of its
        columns: the last epoch's, followed by any feature of ``active`` that
        came back, unless that leaves more than ``MAX_IDLE_SHARE`` of them
        removed; then ``active`` itself."""
        cached = self._cached_active
        if cached is None:
            return active
        columns = np.concatenate([cached, active[~np.isin(active, cached)]])
        if columns.size - active.size > MAX_IDLE_SHARE * columns.size:
            return active
        return columns

    def _inputs(self, columns):
        """The input matrix of ``columns`` (None: all of X): the last one as
        it is, or with columns appended (a copy of the small matrix rather
        than a gather from the whole of X), or built anew."""
        if columns is None:
            return self.data.inputs
        cached = self._cached_active
        if cached is not None and np.array_equal(columns, cached):
            return self._cached_inputs
        full = _matrix(self.data.inputs, self.units[0])
        if cached is not None and np.array_equal(columns[: cached.size], cached):
            added = _columns(full, columns[cached.size :])
            stack = sp.hstack if sp.issparse(full) else np.hstack
            matrix = stack([self._cached_matrix, added])
        else:
            matrix = _columns(full, columns)
        self._cached_active, self._cached_matrix = columns, matrix
        self._cached_inputs = C.input_matrix(matrix, self.params.dtype)
        return self._cached_inputs


# -- reduced and full layouts ----------------------------------------------


def reduced_units(units, kept):
    """The layer widths with only the ``kept`` units (None: all)."""
    return np.array(
        [width if k is None else k.size for width, k in zip(units, kept)], dtype=np.int64
    )


def _block(W, rows, columns):
    """W restricted to ``rows`` and ``columns`` (None: all), a copy or W."""
    if rows is not None:
        W = W[rows]
    if columns is not None:
        W = W[:, columns]
    return W


def restrict(coefs, intercepts, kept):
    """``(coefs, intercepts)`` with only the ``kept`` units of each layer
    (None: all): each weight matrix restricted on both sides, each intercept
    to its layer's kept units."""
    small_coefs = [_block(W, kept[l], kept[l + 1]) for l, W in enumerate(coefs)]
    small_intercepts = [b if k is None else b[k] for b, k in zip(intercepts, kept[1:])]
    return small_coefs, small_intercepts


def reduce_flat(flat, units, kept):
    """A flat vector laid out as the parameters, in the reduced layout of
    ``restrict``."""
    small_coefs, small_intercepts = restrict(*_network.views(flat, units), kept)
    return np.concatenate([W.ravel() for W in small_coefs] + small_intercepts)


def expand_flat(reduced, flat, units, kept):
    """Write a vector in the reduced layout into its places in ``flat``; the
    entries of units left out are not touched."""
    coefs, intercepts = _network.views(flat, units)
    small_coefs, small_intercepts = _network.views(reduced, reduced_units(units, kept))
    for l, (W, small) in enumerate(zip(coefs, small_coefs)):
        rows, columns = kept[l], kept[l + 1]
        if rows is None and columns is None:
            W[...] = small
        elif columns is None:
            W[rows] = small
        elif rows is None:
            W[:, columns] = small
        else:
            W[np.ix_(rows, columns)] = small
    for l, (b, small) in enumerate(zip(intercepts, small_intercepts)):
        b[slice(None) if kept[l + 1] is None else kept[l + 1]] = small


def _matrix(inputs, n_features):
    """The kernels' input-matrix tuple as an array or a CSR matrix (no copy)."""
    dense, data, indices, indptr = inputs
    if indptr.shape[0] == 0:
        return dense
    return sp.csr_matrix((data, indices, indptr), shape=(indptr.shape[0] - 1, n_features))


def _columns(matrix, columns):
    """The given columns of an array (C-ordered, as the kernels take it) or
    of a CSR matrix."""
    if sp.issparse(matrix):
        return matrix[:, columns]
    return np.take(matrix, columns, axis=1)


# -- prediction ------------------------------------------------------------


def reduced_network(coefs, intercepts, skip=None):
    """For prediction: ``(columns, coefs, intercepts, skip)`` without the
    input features and hidden units whose outgoing weights are all zero (for
    a feature, its row of the skip connection's matrix ``skip`` too, when
    there is one), in each layer where they are at least
    ``MIN_REMOVED_SHARE`` of it (and not all: a network without inputs is a
    constant one, which ``predict`` computes from one row); ``columns`` are
    the input features kept, None for all.  Units whose outgoing weights are
    zero add nothing to the next layer, whatever their activation."""
    kept = []
    for l, W in enumerate(coefs):
        removed = zero_rows(W)
        if l == 0 and skip is not None:
            removed &= zero_rows(skip)
        kept.append(np.flatnonzero(~removed) if worth_skipping(removed) else None)
    kept.append(None)
    if all(k is None for k in kept):
        return None, coefs, intercepts, skip
    small_coefs, small_intercepts = restrict(coefs, intercepts, kept)
    if skip is not None and kept[0] is not None:
        skip = np.ascontiguousarray(skip[kept[0]])
    small_coefs = [np.ascontiguousarray(W) for W in small_coefs]
    return kept[0], small_coefs, small_intercepts, skip


# Rows per chunk of a prediction that leaves out removed features: the copy of
# the kept columns is made a chunk at a time, so that memory stays bounded.
PREDICT_CHUNK_ROWS = 8192


def row_chunks(X, columns):
    """``(rows, X_rows)`` pairs covering X: one pair with all of X when
    ``columns`` is None, else chunks of rows restricted to ``columns``."""
    if columns is None:
        yield slice(0, X.shape[0]), X
        return
    for start in range(0, X.shape[0], PREDICT_CHUNK_ROWS):
        rows = slice(start, min(start + PREDICT_CHUNK_ROWS, X.shape[0]))
        yield rows, _columns(X[rows], columns)
