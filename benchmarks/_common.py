"""What the benchmark scripts share: data and estimator settings, the
machine's description, markdown tables and targets, the results files."""

import hashlib
import importlib
import importlib.util
import json
import os
import platform
import subprocess
import warnings
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

SEED = 0
LEARNING_RATE = 1e-3
ALPHA = 1e-4
NEVER_STOP = 10**9
BLAS_ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")
BLAS_ENV_VARS += ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "NUMBA_CACHE_DIR")


def classification_data(n_samples, n_features, dtype, seed=SEED):
    """Two-class ``make_classification`` data, half of the features informative."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples, n_features, n_informative=max(2, n_features // 2), n_redundant=0,
        random_state=seed,
    )  # fmt: skip
    return np.ascontiguousarray(X, dtype=dtype), y


def make_estimator(name, hidden, batch_size, epochs):
    """skreg's or scikit-learn's classifier: Adam, a constant rate, and a
    stopping rule that never fires (a fit runs exactly ``epochs`` epochs)."""
    if name == "skreg":
        from skreg import RegularizedMLPClassifier as cls
    else:
        from sklearn.neural_network import MLPClassifier as cls
    return cls(
        hidden_layer_sizes=tuple(hidden), activation="relu", solver="adam", alpha=ALPHA,
        batch_size=batch_size, learning_rate_init=LEARNING_RATE, max_iter=epochs,
        shuffle=True, tol=0.0, n_iter_no_change=NEVER_STOP, early_stopping=False,
        random_state=SEED,
    )  # fmt: skip


def silence_convergence_warnings():
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)


def _run(*command):
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


def skreg_source_hash(package_dir=None):
    """sha256 (first 12 hex digits) of skreg's .py files, to tell which code ran."""
    if package_dir is None:
        import skreg

        package_dir = Path(skreg.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(Path(package_dir).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def machine_info():
    """CPU, load, versions, BLAS libraries and variables, the skreg code that runs."""
    import scipy.linalg  # noqa: F401  (loads the OpenBLAS that Numba's np.dot calls)
    from threadpoolctl import threadpool_info

    cpu = dict(line.partition(":")[::2] for line in _run("lscpu").splitlines())
    cpu = {k.strip(): v.strip() for k, v in cpu.items()}
    versions = {"python": platform.python_version()}
    for module in ("numpy", "scipy", "sklearn", "numba", "skreg", "torch"):
        if importlib.util.find_spec(module):
            versions[module] = importlib.import_module(module).__version__
    keys = ("user_api", "internal_api", "version", "architecture", "num_threads", "filepath")
    git = ("git", "-C", str(REPO_DIR))
    return {
        "cpu_model": cpu.get("Model name"),
        "cpus": cpu.get("CPU(s)"),
        "cores_per_socket": cpu.get("Core(s) per socket"),
        "hypervisor": cpu.get("Hypervisor vendor"),
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
        "versions": versions,
        "blas": [
            {**{k: lib.get(k) for k in keys}, "filepath": library_path(lib.get("filepath"))}
            for lib in threadpool_info()
        ],
        "env": {name: os.environ.get(name) for name in BLAS_ENV_VARS},
        "git_commit": _run(*git, "rev-parse", "HEAD").strip() or None,
        "skreg_uncommitted_changes": bool(_run(*git, "status", "--porcelain", "skreg")),
        "skreg_source_sha256": skreg_source_hash(),
    }


def library_path(path):
    """A loaded library's path from its package's folder on (``numpy.libs/...``),
    not the machine's own folders."""
    if not path:
        return path
    return path.split("site-packages/")[-1] if "site-packages/" in path else Path(path).name


def machine_caption(info, load_at_end=None):
    """Describe the machine; records the load average at the end (now, or ``load_at_end``)."""
    info["load_average_at_end"] = load_at_end or list(os.getloadavg())
    load = [", ".join(f"{x:.2f}" for x in info[f"load_average_at_{w}"]) for w in ("start", "end")]
    blas = []
    for lib in (lib for lib in info["blas"] if lib["user_api"] == "blas"):
        path = lib["filepath"]
        owner = (
            "numpy" if "numpy" in path else "scipy/numba" if "scipy" in path else Path(path).name
        )
        blas.append(
            f"{owner}: {lib['internal_api']} {lib['version']} "
            f"({lib['architecture']}, {lib['num_threads']} threads)"
        )
    env = {k: v for k, v in info["env"].items() if k.startswith(("OPENBLAS_CORE", "OPENBLAS_L2"))}
    return (
        f"Machine: {info['cpu_model']}, {info['cpus']} CPUs "
        f"({info['cores_per_socket']} cores/socket, {info['hypervisor'] or 'bare metal'}); "
        f"load average (1, 5, 15 min) at start {load[0]}, at end {load[1]}. "
        f"BLAS: {'; '.join(blas)}. OpenBLAS env: {env}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    )


def markdown_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def results_path(name, quick, suffix):
    """``results/<name><suffix>``; quick runs go to ``results/quick/`` (git ignores it)."""
    folder = RESULTS_DIR / "quick" if quick else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}{suffix}"


def publish(name, quick, payload, markdown, also_wrote=()):
    """Write ``results/[quick/]<name>.json`` and ``.md``, print the table; exit status 0."""
    json_path = results_path(name, quick, ".json")
    json_path.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n")
    md_path = results_path(name, quick, ".md")
    md_path.write_text(markdown + "\n")
    print("\n" + markdown + "\n\nwrote " + ", ".join(map(str, [json_path, md_path, *also_wrote])))
    return 0


def _json_default(value):
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(type(value))


def fmt(value, digits=3):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def target(name, value, threshold, at_most=False):
    """Met when ``value`` reaches ``threshold`` (``at_most``: stays at or below it)."""
    met = True if isinstance(threshold, str) else None
    if value is not None and not isinstance(threshold, str):
        met = bool(value <= threshold if at_most else value >= threshold)
    return {"target": name, "value": value, "threshold": threshold, "at_most": at_most, "met": met}


def targets_table(items):
    rows = []
    for t in items:
        needs = t["threshold"]
        if not isinstance(needs, str):
            needs = f"{'<=' if t.get('at_most') else '>='} {needs}"
        value = t["value"] if isinstance(t["value"], str) else fmt(t["value"])
        status = "n/a" if t["met"] is None else ("met" if t["met"] else "MISSED")
        rows.append([t["target"], needs, value, status])
    return markdown_table(["target", "needs", "measured", "status"], rows)
