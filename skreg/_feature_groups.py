"""Blocks of input columns that the group term keeps or removes whole (``feature_groups``).

``feature_groups`` gives one label per input column (ints or strings); the
columns that share a label form a block, and the group term on the first
weight matrix takes one norm over all of the block's rows, weighted by the
square root of the block's size (docs/design.rst, "Input blocks").  Blocks
are numbered in the order of their labels' first appearance among the
columns: ``group_weights`` then holds one factor per block in that order,
and ``selected_groups_`` lists labels in it.

``"auto"`` reads the blocks from column names written the way scikit-learn's
``get_feature_names_out`` writes a one-hot encoder's (``feature_category``,
behind a ColumnTransformer ``transformer__feature_category``) and confirms
them by the values: names alone cannot tell the category ``colour_red``
from a numeric column ``body_mass``, but a one-hot block's columns take two
values each and never the larger in the same row.  The fit reads them once
(``feature_groups_``).  ``feature_groups_from`` reads the blocks from the
fitted transformer instead, exactly.
"""

import copy
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.validation import check_is_fitted

# A ColumnTransformer writes ``name__feature`` by default; a one-hot encoder
# ``feature_category``.
TRANSFORMER_SEPARATOR = "__"
CATEGORY_SEPARATOR = "_"


def block_codes(feature_groups, n_features):
    """``(codes, labels)``: the block of each of the ``n_features`` columns
    (int64, blocks numbered in the order of first appearance) and the blocks'
    labels (an object array); ``(empty, None)`` for None.  ``"auto"`` must
    have been read from the data first (``input_groups``)."""
    if feature_groups is None:
        return np.zeros(0, dtype=np.int64), None
    if isinstance(feature_groups, str):
        # "auto" read as labels would be one block per letter: never silently.
        raise ValueError(
            f"feature_groups={feature_groups!r} reaches the blocks unread: 'auto' is read "
            "from the data by fit (input_groups), other strings are refused there."
        )
    labels = _checked_labels(feature_groups, n_features)
    _, first, codes = np.unique(labels.astype(str), return_index=True, return_inverse=True)
    # np.unique sorts; renumber the blocks in the order they first appear.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[codes.ravel()].astype(np.int64), labels[np.sort(first)]


def block_norms(W, codes, n_blocks):
    """The Euclidean norm of each block's rows of W (``codes``: each row's block)."""
    squares = np.bincount(codes, weights=np.sum(np.square(W, dtype=np.float64), axis=1))
    return np.sqrt(np.pad(squares, (0, n_blocks - squares.shape[0])))


def group_norms(estimator):
    """The norm of each group's rows of a fitted ``coefs_[0]``, per square root
    of its number of rows (a block's penalty grows as that root): the rows'
    norms without ``feature_groups``.  Adaptive group weights read them."""
    W = np.asarray(estimator.coefs_[0], dtype=np.float64)
    codes, labels = block_codes(fitted_groups(estimator), W.shape[0])
    if labels is None:
        return np.linalg.norm(W, axis=1)
    n_blocks = labels.shape[0]
    return block_norms(W, codes, n_blocks) / np.sqrt(np.bincount(codes, minlength=n_blocks))


def _checked_labels(feature_groups, n_features):
    try:
        labels = np.empty(len(feature_groups), dtype=object)
        labels[:] = list(feature_groups)
    except TypeError:
        raise ValueError(
            f"feature_groups must be None, 'auto' or a sequence with one label per input "
            f"column, got {feature_groups!r}."
        ) from None
    if n_features is not None and labels.shape[0] != n_features:
        raise ValueError(
            f"feature_groups has {labels.shape[0]} labels, but X has {n_features} features: "
            "it needs one label per input column."
        )
    bad = [v for v in labels if not isinstance(v, (str, Integral)) or isinstance(v, bool)]
    if bad:
        raise ValueError(
            f"feature_groups must hold one int or str label per input column (no None or "
            f"NaN), got {bad[0]!r}."
        )
    # Blocks are told apart by their labels' text: 1 and "1" would share one.
    as_text = labels.astype(str)
    if len({(isinstance(v, str), text) for v, text in zip(labels, as_text)}) != len(set(as_text)):
        raise ValueError("feature_groups must not use an int and a str that print alike.")
    return labels


def groups_from_names(feature_names, X):
    """The block label of each column of X, named ``feature_names`` as
    ``get_feature_names_out`` names a one-hot encoder's output
    (``feature_category``, after a ColumnTransformer's ``transformer__``).

    The names propose, the values decide.  Every stem before a ``_`` (past
    the transformer prefix) that several columns share proposes those
    columns as a block, shortest stem first; the block stands if they are
    one-hot columns (``_is_one_hot``), labelled by the longest stem its
    columns share.  So a category that holds a ``_`` (``role_Sales_Rep``)
    stays in its feature's block, and numeric columns that share a stem
    (``years_at_company``, ``years_in_role``) stay apart.  A column in no
    block is a block of its own, labelled by its name.
    """
    if feature_names is None:
        raise ValueError(
            "feature_groups='auto' reads the blocks from the column names, but X has none: "
            "pass a pandas DataFrame (set_output(transform='pandas') on the transformer "
            "upstream), or the labels themselves (skreg.feature_groups_from)."
        )
    names = [str(name) for name in feature_names]
    sharing = {}  # stem -> the columns whose names have it
    for column, name in enumerate(names):
        for stem in _stems(name):
            sharing.setdefault(stem, []).append(column)
    stems = sorted((s for s in sharing if len(sharing[s]) > 1), key=len)
    labels = [None] * len(names)
    # A stem turned down may stand once longer stems took some of its columns.
    found = True
    while found:
        found = False
        for stem in stems:
            members = [c for c in sharing[stem] if labels[c] is None]
            if len(members) > 1 and _is_one_hot(X, members):
                # Labelled by the longest stem they all share: pet_type for
                # pet_type_cat and pet_type_dog, found by the stem pet.
                label = max(set.intersection(*(set(_stems(names[c])) for c in members)), key=len)
                for c in members:
                    labels[c] = label
                found = True
    groups = [name if label is None else label for name, label in zip(names, labels)]
    check_distinct_labels(names, groups, [label is not None for label in labels])
    return groups


def check_distinct_labels(names, groups, in_block):
    """Refuse a block label that is also the own name of a column outside
    the block (``in_block[c]``: column c was put in a block): the group term
    would join them silently.  It happens when a ColumnTransformer without
    prefixes (``verbose_feature_names_out=False``) both one-hot encodes a
    column and passes it on as a number."""
    block_labels = {group for group, member in zip(groups, in_block) if member}
    for name, member in zip(names, in_block):
        if not member and name in block_labels:
            block = [n for n, g, m in zip(names, groups, in_block) if m and g == name]
            raise ValueError(
                f"The block of one-hot columns {', '.join(block)} is labelled {name!r}, "
                f"which is also the name of another column: the group term would treat "
                "them as one block. Let the ColumnTransformer prefix its output names "
                "(verbose_feature_names_out=True), rename the column, or pass "
                "feature_groups yourself."
            )


def _stems(name):
    """The prefixes of ``name`` before each ``_`` past its transformer prefix."""
    start = name.rfind(TRANSFORMER_SEPARATOR)
    start = 0 if start < 0 else start + len(TRANSFORMER_SEPARATOR)
    return [name[:i] for i, c in enumerate(name) if c == CATEGORY_SEPARATOR and i > start]


def _is_one_hot(X, columns):
    """Whether ``columns`` of X can be one feature's one-hot columns: each
    takes at most two values, and no row holds the larger value in two of
    them.  Two values, not 0 and 1, so that one-hot columns scaled after the
    encoder (by a positive factor) still count; a row may hold the larger
    value in none of them (a dropped or unknown category)."""
    on = np.zeros(X.shape[0], dtype=np.int64)
    for column in columns:
        values = X[:, [column]]
        values = (values.toarray() if sp.issparse(values) else np.asarray(values)).ravel()
        low, high = values.min(), values.max()
        is_high = values == high
        if not np.all(is_high | (values == low)):
            return False
        if high > low:
            on += is_high
            if on.max() > 1:
                return False
    return True


def is_auto(feature_groups):
    """Whether ``feature_groups`` asks for the blocks to be read from the data."""
    return isinstance(feature_groups, str) and feature_groups == "auto"


def input_groups(feature_groups, X, feature_names):
    """``feature_groups`` with ``"auto"`` read from X and its column names
    (``groups_from_names``); anything else as given."""
    if is_auto(feature_groups):
        return groups_from_names(feature_names, X)
    return feature_groups


def fitted_groups(estimator):
    """The block labels a fitted estimator's inputs were given: its
    ``feature_groups``, or with ``"auto"`` the ``feature_groups_`` its fit
    read from the data."""
    if is_auto(estimator.feature_groups):
        check_is_fitted(estimator, "feature_groups_")
        return estimator.feature_groups_
    return estimator.feature_groups


def feature_groups_from(transformer):
    """The ``feature_groups`` of the columns a fitted transformer outputs.

    Reads the transformer's fitted structure, not the names: a fitted
    ``OneHotEncoder`` gives one block per input feature (its categories'
    columns), a fitted ``ColumnTransformer`` the blocks of its one-hot
    encoders and one block per column of its other transformers.  Both are
    found inside pipelines too, where the steps after them keep their
    columns, as a scaler does.  A one-hot block's label is its input
    feature's name (with the ColumnTransformer's prefix when it writes one,
    as in ``cat__colour``), another column's label its output name.

    Parameters
    ----------
    transformer : OneHotEncoder, ColumnTransformer or Pipeline, fitted
        The step that makes the estimator's input.

    Returns
    -------
    feature_groups : list of str
        One label per output column of ``transformer``.
    """
    if not hasattr(transformer, "get_feature_names_out"):
        raise TypeError(
            "feature_groups_from takes a fitted transformer that names its output columns "
            "(a OneHotEncoder, a ColumnTransformer or a Pipeline ending in one), got "
            f"{type(transformer).__name__}."
        )
    check_is_fitted(transformer)
    return list(_groups_of(transformer))


def _groups_of(transformer):
    source = _block_source(transformer)
    if isinstance(source, OneHotEncoder):
        return _one_hot_groups(source)
    if isinstance(source, ColumnTransformer):
        return _column_transformer_groups(source)
    return _names(transformer)


def _block_source(transformer):
    """The one-hot encoder or ColumnTransformer whose columns ``transformer``
    outputs: the transformer itself, or a pipeline's when the steps after it
    keep its columns and their names (a scaler does); None otherwise."""
    if isinstance(transformer, (OneHotEncoder, ColumnTransformer)):
        return transformer
    steps = getattr(transformer, "steps", None)
    if steps is None:
        return None
    steps = [step for _, step in steps if step not in (None, "passthrough")]
    for step in reversed(steps):
        source = _block_source(step)
        if source is not None:
            # A step after it that renames, drops or adds columns (PCA,
            # SelectKBest) leaves columns that are no longer its blocks.
            kept = _names(step) == _names(transformer)
            return source if kept else None
    return None


def _names(transformer):
    return [str(name) for name in transformer.get_feature_names_out()]


def _one_hot_groups(encoder):
    """The input feature of each of a fitted one-hot encoder's output columns:
    its output names, written with a marker for each input feature, tell
    which feature each column encodes."""
    inputs = getattr(encoder, "feature_names_in_", None)
    if inputs is None:
        inputs = [f"x{i}" for i in range(encoder.n_features_in_)]
    markers = [f"\x00{i}\x00" for i in range(len(inputs))]
    unnamed = copy.copy(encoder)  # which takes the markers in place of its names
    vars(unnamed).pop("feature_names_in_", None)
    groups = []
    for name in unnamed.get_feature_names_out(markers):
        found = [i for i, marker in enumerate(markers) if str(name).startswith(marker)]
        if len(found) != 1:
            raise ValueError(
                "feature_groups_from cannot tell which input feature a one-hot column "
                "encodes: its feature_name_combiner drops the feature's name."
            )
        groups.append(str(inputs[found[0]]))
    return groups


def _column_transformer_groups(ct):
    """One block per one-hot encoded input feature (named as the
    ColumnTransformer prefixes it), one per column of the other transformers."""
    names = [str(name) for name in ct.get_feature_names_out()]
    groups = list(names)
    in_block = [False] * len(names)
    for name, step, _ in ct.transformers_:
        where = ct.output_indices_[name]
        if where.stop > where.start and _block_source(step) is not None:
            inner = [str(column) for column in step.get_feature_names_out()]
            groups[where] = [
                _prefix(outer, column) + group  # the ColumnTransformer's prefix, if any
                for outer, column, group in zip(names[where], inner, _groups_of(step))
            ]
            in_block[where] = [group != outer for group, outer in zip(groups[where], names[where])]
    check_distinct_labels(names, groups, in_block)
    return groups


def _prefix(outer, inner):
    """What a ColumnTransformer wrote before its transformer's output name."""
    return outer[: len(outer) - len(inner)] if outer.endswith(inner) else ""
