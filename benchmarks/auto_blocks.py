"""``feature_groups="auto"`` on real tables: the blocks it reads against the
exact ones (``skreg.feature_groups_from`` on the fitted preprocessor).

Each table of ``_real_tables.py`` (the development set and the held-out
tables) is encoded as ``bench_real.py`` encodes it (one-hot and scaling in a
ColumnTransformer, pandas output, fitted on the training part of split 0).
Per table: the number of blocks each way, the columns whose block differs
(a column is in the wrong block when the columns that share its block are
not the same set both ways; a label that differs alone is counted apart),
and the seconds "auto" took.  No model is trained; a few seconds in all.

Usage: python benchmarks/auto_blocks.py [--datasets NAME ...]
"""

import argparse
import sys
import time

import _real_tables as T

import _common as C


def partition(labels):
    """Each column's set of fellow columns (its block), as frozensets."""
    members = {}
    for column, label in enumerate(labels):
        members.setdefault(label, set()).add(column)
    return [frozenset(members[label]) for label in labels]


def compare(table):
    from skreg import feature_groups_from
    from skreg._feature_groups import groups_from_names

    data = T.load_table(table, table.max_rows)
    X_train = T.split(data, 0)[0]
    prep = T.preprocessor(X_train).set_output(transform="pandas")
    encoded = prep.fit_transform(X_train)
    exact = feature_groups_from(prep)
    started = time.perf_counter()
    auto = groups_from_names(encoded.columns, encoded.to_numpy())
    seconds = time.perf_counter() - started
    moved = [a != e for a, e in zip(partition(auto), partition(exact))]
    relabelled = [a != e and not m for a, e, m in zip(auto, exact, moved)]
    examples = [name for name, m in zip(encoded.columns, moved) if m][:3]
    return [
        table.name,
        encoded.shape[1],
        len(set(exact)),
        len(set(auto)),
        sum(moved),
        sum(relabelled),
        ", ".join(examples) or "-",
        f"{seconds:.3f}",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=None, choices=list(T.TABLES_BY_NAME))
    args = parser.parse_args(argv)
    names = args.datasets or list(T.TABLES_BY_NAME)
    headers = ["table", "columns", "blocks, exact", "blocks, auto"]
    headers += ["columns in another block", "labels alone differing", "e.g.", "auto s"]
    rows = [compare(T.TABLES_BY_NAME[name]) for name in names]
    markdown = "### feature_groups='auto' against the fitted transformer's blocks\n\n"
    markdown += C.markdown_table(headers, rows)
    markdown += "\n\n" + C.machine_caption(C.machine_info())
    return C.publish("auto_blocks", False, {"rows": rows}, markdown)


if __name__ == "__main__":
    sys.exit(main())
