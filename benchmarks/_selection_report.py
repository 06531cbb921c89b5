"""The markdown of bench_selection.py's results: per table and method the means
over resamples, the selected sets' Jaccard similarity, and the targets."""

import itertools
import statistics

import _common as C


def fmt(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def _mean(values):
    values = [v for v in values if v is not None]
    return statistics.mean(values) if values else None


def mean_jaccard(sets):
    """Mean Jaccard similarity over the pairs of selected sets; pairs of two
    empty sets are left out (None when no pair is left)."""
    pairs = [(a, b) for a, b in itertools.combinations(map(set, sets), 2) if a | b]
    return statistics.mean(len(a & b) / len(a | b) for a, b in pairs) if pairs else None


def summary(rows):
    """Per method and table: means over the resamples that ran."""
    ok = [r for r in rows if r["status"] == "ok"]
    out = {"runs": len(ok), "failed": [r["status"][:60] for r in rows if r["status"] != "ok"]}
    if not ok:
        return out
    for key in ("precision", "recall", "noise_dropped", "score", "n_transformed_selected"):
        out[key] = _mean([r.get(key) for r in ok])
    out["min_recall"] = min((r["recall"] for r in ok if "recall" in r), default=None)
    out["n_selected"] = _mean([len(r["selected"]) for r in ok])
    out["score_sd"] = statistics.stdev([r["score"] for r in ok]) if len(ok) > 1 else 0.0
    out["jaccard"] = mean_jaccard([r["selected"] for r in ok])
    out["blocks_split"] = sum(r["blocks_split"] for r in ok)
    out["blocks"] = sum(r["n_blocks"] for r in ok)
    if ok[0].get("informative_blocks"):
        out["informative_blocks_kept"] = sum(r["informative_blocks_kept"] for r in ok)
        out["informative_blocks"] = sum(r["informative_blocks"] for r in ok)
    out["seconds_median"] = statistics.median(r["seconds"] for r in ok)
    out["load_mean"] = statistics.mean(r["load"][0] for r in ok)
    return out


def summaries(results):
    by_key = {}
    for r in results["rows"]:
        by_key.setdefault((r["dataset"], r["method"]), []).append(r)
        if "top_rate" in r:  # the largest rate alone, from the same fit
            derived = {**r, "method": "stability_top_rate", **r["top_rate"]}
            by_key.setdefault((r["dataset"], derived["method"]), []).append(derived)
    return {key: summary(rows) for key, rows in by_key.items()}


def results_table(results, sums, order):
    headers = [
        "table", "method", "resamples", "columns kept / all", "one-hot kept / all",
        "precision", "recall (min)", "noise dropped", "blocks split", "informative blocks kept",
        "refit score (mean ± sd)", "Jaccard", "selection s (median)", "load (1 min)",
    ]  # fmt: skip
    out = []
    for dataset, info in results["datasets"].items():
        for method in order:
            s = sums.get((dataset, method))
            if s is None:
                continue
            runs = f"{s['runs']}" + (
                f" ({'; '.join(sorted(set(s['failed'])))})" if s["failed"] else ""
            )
            if not s["runs"]:
                out.append([dataset, method, runs] + ["-"] * (len(headers) - 3))
                continue
            recall = (
                f"{fmt(s['recall'], 2)} ({fmt(s['min_recall'], 2)})"
                if s["min_recall"] is not None
                else "-"
            )
            blocks = f"{s['blocks_split']} / {s['blocks']}" if s["blocks"] else "-"
            informative = "-"
            if "informative_blocks" in s:
                informative = f"{s['informative_blocks_kept']} / {s['informative_blocks']}"
            out.append([
                dataset, method, runs,
                f"{s['n_selected']:.1f} / {info['columns']}",
                f"{s['n_transformed_selected']:.1f} / {info['transformed']}",
                fmt(s["precision"], 2), recall, fmt(s["noise_dropped"], 2), blocks, informative,
                f"{s['score']:.3f} ± {s['score_sd']:.3f}", fmt(s["jaccard"], 2),
                f"{s['seconds_median']:.1f}", f"{s['load_mean']:.1f}",
            ])  # fmt: skip
    return C.markdown_table(headers, out)


def targets(results, sums):
    """The targets on the synthetic tables."""
    out = []
    synthetic = [d for d, info in results["datasets"].items() if info["kind"] == "synthetic"]
    for dataset in synthetic:
        s = sums.get((dataset, "skreg_cv"), {})
        if s.get("runs"):
            out.append(
                C.target(f"{dataset}: skreg_cv recall, min over resamples", s["min_recall"], 1.0)
            )
            out.append(
                C.target(f"{dataset}: skreg_cv noise dropped, mean", s["noise_dropped"], 0.8)
            )
        s = sums.get((dataset, "stability"), {})
        if s.get("runs"):
            out.append(C.target(f"{dataset}: stability Jaccard", s["jaccard"], 0.9))
            if not s["n_selected"]:  # the same empty set every time is no success
                out[-1].update(value="nothing selected", met=False)
    for dataset in synthetic:
        if not results["datasets"][dataset]["categorical"]:
            continue
        for method in ("skreg_cv_blocks", "skreg_cv"):
            s = sums.get((dataset, method), {})
            if s.get("runs"):
                out.append(
                    C.target(
                        f"{dataset}: {method} blocks split", s["blocks_split"], 0, at_most=True
                    )
                )
                kept = s["informative_blocks_kept"] / s["informative_blocks"]
                out.append(C.target(f"{dataset}: {method} informative blocks kept", kept, 1.0))
            elif s:
                out.append(C.target(f"{dataset}: {method} blocks whole", s["failed"][0], "not run"))
                out[-1]["met"] = None
    return out


def datasets_table(datasets):
    headers = [
        "table",
        "kind",
        "task",
        "rows",
        "columns (categorical)",
        "after one-hot",
        "informative",
    ]
    rows = []
    for name, d in datasets.items():
        informative = ", ".join(d["informative"]) if d["informative"] else "unknown"
        cols = f"{d['columns']} ({d['categorical']})"
        rows.append([name, d["kind"], d["task"], d["rows"], cols, d["transformed"], informative])
    return C.markdown_table(headers, rows)


def markdown(results, order, fraction):
    """The whole markdown; ``order``: the methods' rows in turn; ``fraction``: the
    share of the training part a resample draws."""
    sums = summaries(results)
    sessions = results["sessions"]
    args = sessions[0]["args"] if sessions else {}  # the first session's plan
    notes = (
        f"{len(results['rows'])} rows (table, resample, method) from {len(sessions)} session(s). "
        f"Each resample: {fraction:.0%} of the fixed training part (75 %); test "
        f"part fixed. Resamples per method: {args.get('resamples')} (skreg_cv, skreg_cv_blocks, "
        f"l1_linear_cv, forest_sfm), {args.get('stability_resamples')} "
        "(stability and stability_blocks, on "
        f"{_names(args.get('stability_datasets'))}), {args.get('lassonet_resamples')} "
        f"(lassonet_cv, on {_names(args.get('lassonet_datasets'))}; a "
        f"{args.get('lassonet_threads')}-thread child killed after "
        f"{args.get('lassonet_timeout')} s). {_later_sessions(sessions[1:])}"
        "stability_top_rate: the columns that "
        "stability selection's largest rate alone keeps on at least a threshold's share of "
        "the halves (from the same fits; its time is theirs). "
        "Columns kept: columns of the table with a selected transformed column; precision, "
        "recall and noise dropped are over the table's columns against the informative ones. "
        "Blocks split: categorical columns of more than one level of which some one-hot "
        "columns were kept and others dropped, summed over resamples. Refit score: accuracy or "
        "R² on the test part of skreg's plain network at its defaults refit on the selected "
        "one-hot columns (a constant model when none is). Jaccard: mean over pairs of "
        "resamples of the selected columns' Jaccard similarity (pairs of empty sets left out). "
        "Time: wall seconds of the selection alone (not the refit); the machine (2 cores) was "
        "shared with other work, see the load."
    )
    machines = []
    for number, session in enumerate(sessions, 1):
        info = dict(session["machine"])
        caption = C.machine_caption(info, info.get("load_average_at_end"))
        machines.append(f"Session {number} ({session['started']}). {caption}")
    machine = "\n\n".join(machines)
    return "\n\n".join(
        [
            "### Feature selection: selected sets against the truth, refit score, stability",
            datasets_table(results["datasets"]),
            results_table(results, sums, order),
            notes,
            "Targets (synthetic tables):",
            C.targets_table(targets(results, sums)),
            machine,
        ]
    )


def _later_sessions(sessions):
    """What the sessions after the first reran (their rows replace the first's)."""
    told = [
        f"{_names(s['args']['methods'])} on {_names(s['args']['datasets'])} "
        f"(LassoNet's timeout {s['args']['lassonet_timeout']} s)"
        for s in sessions
    ]
    return f"Rerun in later sessions: {'; '.join(told)}. " if told else ""


def _names(stored):
    """A list of names as the session stored it (its str)."""
    return (stored or "").strip("[]").replace("'", "") or "none"
