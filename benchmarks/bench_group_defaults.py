"""A group_alpha CV path at its defaults against the plain search (feature selection).

Usage: python benchmarks/bench_group_defaults.py {clf,reg} SEED {old,new}
'old' is selection_rule='best' with no group weights, 'new' the defaults
('auto': the 1se rule and adaptive weights). One fit per call, every other
parameter at its default, on 3000 rows of 60 features (6 informative first,
standardized) with a 75/25 split; prints the informative features kept, the
share of noise features dropped, the test score and the fit time.
"""

import sys
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifierCV, RegularizedMLPRegressorCV

OLD = dict(selection_rule="best", group_weights=None)
NEW = {}


def data(kind, s):
    if kind == "clf":
        X, y = make_classification(
            n_samples=3000,
            n_features=60,
            n_informative=6,
            n_redundant=0,
            shuffle=False,
            random_state=s,
        )
    else:
        X, y = make_regression(
            n_samples=3000,
            n_features=60,
            n_informative=6,
            noise=10.0,
            shuffle=False,
            random_state=s,
        )
        y = (y - y.mean()) / y.std()
    X = StandardScaler().fit_transform(X)
    return train_test_split(
        X, y, test_size=0.25, random_state=s, stratify=y if kind == "clf" else None
    )


kind, s, which = sys.argv[1], int(sys.argv[2]), sys.argv[3]
Xtr, Xte, ytr, yte = data(kind, s)
Est = RegularizedMLPClassifierCV if kind == "clf" else RegularizedMLPRegressorCV
est = Est(path_param="group_alpha", random_state=0, **(OLD if which == "old" else NEW))
t = time.perf_counter()
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    est.fit(Xtr, ytr)
elapsed = time.perf_counter() - t
used = np.linalg.norm(est.coefs_[0], axis=1) > 0
categories = sorted({type(x.message).__name__ for x in w})
print(
    f"{kind} seed={s} {which}: rule={est.selection_rule_} informative={used[:6].sum()}/6 "
    f"dropped_informative={np.flatnonzero(~used[:6]).tolist()} "
    f"noise_dropped={1 - used[6:].mean():.2f} test={est.score(Xte, yte):.3f} "
    f"alpha={est.alpha_:.3g} time={elapsed:.1f}s warnings={categories}",
    flush=True,
)
