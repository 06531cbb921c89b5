"""Helpers shared by the benchmark scripts (not part of the skreg package).

The scripts import this module from their own folder, so run them as
``python benchmarks/bench_fit.py`` (any working directory works).
"""

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

# One setting for every estimator: Adam, constant learning rate, shuffling,
# no early stopping and a stopping rule that never fires, so that a fit runs
# exactly ``max_iter`` epochs.
LEARNING_RATE = 1e-3
ALPHA = 1e-4
N_CLASSES = 2
SEED = 0
NEVER_STOP = 10**9
BLAS_ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMBA_CACHE_DIR",
)


# --------------------------------------------------------------------------
# Data and estimators
# --------------------------------------------------------------------------


def classification_data(n_samples, n_features, dtype, seed=SEED):
    """``make_classification`` data in the given dtype (C-contiguous)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=max(2, n_features // 2),
        n_redundant=0,
        n_classes=N_CLASSES,
        random_state=seed,
    )
    return np.ascontiguousarray(X, dtype=dtype), y


def mlp_settings(hidden, batch_size, epochs):
    """Constructor arguments shared by skreg and scikit-learn."""
    return dict(
        hidden_layer_sizes=tuple(hidden),
        activation="relu",
        solver="adam",
        alpha=ALPHA,
        batch_size=batch_size,
        learning_rate_init=LEARNING_RATE,
        max_iter=epochs,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=NEVER_STOP,
        early_stopping=False,
        random_state=SEED,
    )


def make_estimator(name, hidden, batch_size, epochs):
    """``"skreg"`` or ``"sklearn"`` classifier with the shared settings."""
    if name == "skreg":
        from skreg import RegularizedMLPClassifier as cls
    elif name == "sklearn":
        from sklearn.neural_network import MLPClassifier as cls
    else:
        raise ValueError(name)
    return cls(**mlp_settings(hidden, batch_size, epochs))


def silence_convergence_warnings():
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------


def timed(func, *args, **kwargs):
    """Seconds taken by one call."""
    start = time.perf_counter()
    func(*args, **kwargs)
    return time.perf_counter() - start


def _cpu_times():
    """(busy, total) jiffies over all CPUs, from /proc/stat; None elsewhere."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def _own_cpu_seconds():
    t = os.times()
    return t.user + t.system


def busy_cpus(window=0.25):
    """How many CPUs *other* processes keep busy, averaged over ``window``
    seconds (this process's own threads, e.g. spinning BLAS or OpenMP
    workers, are subtracted); None where /proc/stat is missing."""
    first, own_first = _cpu_times(), _own_cpu_seconds()
    if first is None:
        return None
    start = time.perf_counter()
    time.sleep(window)
    second, own = _cpu_times(), _own_cpu_seconds() - own_first
    elapsed = time.perf_counter() - start
    total = second[1] - first[1]
    if total <= 0:
        return 0.0
    all_busy = (os.cpu_count() or 1) * (second[0] - first[0]) / total
    return max(0.0, all_busy - own / elapsed)


class IdleGate:
    """Waits, before each timed call, until other processes leave the CPUs
    nearly idle, within a per-call and a total waiting budget.

    The machine these benchmarks run on is shared; multi-threaded BLAS and
    OpenMP slow down by 10x and more when another process takes a core, and
    a median over a handful of repeats does not survive long bursts.
    ``threshold`` is in CPUs (0.5 = half a core busy with other work)."""

    def __init__(self, threshold=0.5, max_wait=10.0, budget=300.0, enabled=True):
        self.threshold, self.max_wait, self.budget = threshold, max_wait, budget
        self.enabled = enabled and _cpu_times() is not None
        self.waited = 0.0
        self.gave_up = 0

    def wait(self):
        """Block until idle (or out of budget); return the last busy reading."""
        if not self.enabled:
            return None
        start = time.perf_counter()
        while True:
            busy = busy_cpus()
            elapsed = time.perf_counter() - start
            if busy <= self.threshold:
                break
            if elapsed > self.max_wait or self.waited + elapsed > self.budget:
                self.gave_up += 1
                break
        self.waited += time.perf_counter() - start
        return busy

    def report(self):
        return {
            "enabled": self.enabled,
            "threshold_cpus": self.threshold,
            "seconds_waited": self.waited,
            "calls_run_while_busy": self.gave_up,
        }


def bench_parser(doc, quick_help, *, idle_max_wait=10.0, idle_budget=240.0):
    """The command line every benchmark starts from: ``--quick`` and the
    idle gate's settings (``idle_gate`` turns them into the gate).  The
    defaults of the waits are the script's own."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument(
        "--idle-threshold",
        type=float,
        default=0.5,
        help="before each timed call, wait until other processes use "
        "at most this many CPUs (default 0.5)",
    )
    parser.add_argument(
        "--idle-max-wait",
        type=float,
        default=idle_max_wait,
        help=f"longest wait before one call, seconds (default {idle_max_wait:g}; then run anyway)",
    )
    parser.add_argument(
        "--idle-budget",
        type=float,
        default=idle_budget,
        help=f"total waiting allowed in the whole run, seconds (default {idle_budget:g})",
    )
    parser.add_argument(
        "--no-idle-wait", action="store_true", help="never wait for idle CPUs (as --quick)"
    )
    return parser


def begin(args, full, quick):
    """What every benchmark's ``main`` starts with: convergence warnings
    silenced, and ``(settings, machine, gate)``: a copy of ``quick`` or
    ``full`` as the command line asks, ``machine_info()``, ``idle_gate``."""
    silence_convergence_warnings()
    return dict(quick if args.quick else full), machine_info(), idle_gate(args)


def idle_gate(args):
    """The IdleGate the command line of ``bench_parser`` asks for."""
    return IdleGate(
        args.idle_threshold,
        args.idle_max_wait,
        args.idle_budget,
        enabled=not (args.no_idle_wait or args.quick),
    )


class BusyCore:
    """A context that keeps one core busy with a plain Python busy loop in a
    child process, to measure how a fit behaves when another process holds a
    core.  The loop ends by itself after ``seconds`` (should this process die
    first) and is killed when the context exits."""

    LOOP = "import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"

    def __init__(self, seconds=1800):
        self.seconds = seconds
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.LOOP.format(seconds=self.seconds)]
        )
        time.sleep(0.5)  # let it start spinning
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()
        return False


def median(values):
    return float(statistics.median(values))


def extra_epochs(seconds_per_epoch, target_seconds, low, high):
    """How many epochs the long fit runs beyond the short one, so that the
    difference lasts about ``target_seconds``."""
    wanted = math.ceil(target_seconds / max(seconds_per_epoch, 1e-6))
    return int(min(max(wanted, low), high))


def epoch_time_from_pair(short_seconds, long_seconds, short_epochs, long_epochs):
    """Time per epoch with start-up (validation, allocation, compile) cancelled."""
    return (long_seconds - short_seconds) / (long_epochs - short_epochs)


# --------------------------------------------------------------------------
# Machine description
# --------------------------------------------------------------------------


def _lscpu():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    fields = {}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _git(*args):
    try:
        return subprocess.run(
            ["git", "-C", str(REPO_DIR), *args], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def skreg_source_hash(package_dir=None):
    """sha256 (first 12 hex digits) of skreg's .py files, to tell which code ran."""
    if package_dir is None:
        import skreg

        package_dir = Path(skreg.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(Path(package_dir).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def frozen_skreg(directory):
    """Copy the skreg package (without caches) into ``directory`` and return
    an environment whose subprocesses import that copy.

    Subprocess benchmarks use it so that edits to skreg/ during a run (which
    would invalidate Numba's on-disk cache and mix code versions) cannot
    change what is measured."""
    import skreg

    source = Path(skreg.__file__).parent
    shutil.copytree(
        source,
        Path(directory) / "skreg",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc"),
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(directory), str(BENCH_DIR)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return env


def _versions():
    import numba
    import scipy
    import sklearn

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "numba": numba.__version__,
    }
    try:
        import skreg

        versions["skreg"] = skreg.__version__
    except ImportError:
        versions["skreg"] = None
    if torch_available():
        import torch

        versions["torch"] = torch.__version__
    return versions


def blas_info():
    """threadpoolctl's view of the loaded BLAS / OpenMP libraries.

    scipy.linalg is imported first because Numba's ``np.dot`` calls scipy's
    BLAS, which is a different OpenBLAS build from numpy's."""
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    keep = (
        "user_api",
        "internal_api",
        "version",
        "architecture",
        "num_threads",
        "threading_layer",
        "filepath",
    )
    return [{k: lib.get(k) for k in keep} for lib in threadpool_info()]


def machine_info():
    cpu = _lscpu()
    return {
        "cpu_model": cpu.get("Model name"),
        "cpus": cpu.get("CPU(s)"),
        "cores_per_socket": cpu.get("Core(s) per socket"),
        "threads_per_core": cpu.get("Thread(s) per core"),
        "hypervisor": cpu.get("Hypervisor vendor"),
        "os_cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
        "versions": _versions(),
        "blas": blas_info(),
        "env": {name: os.environ.get(name) for name in BLAS_ENV_VARS},
        "git_commit": _git("rev-parse", "HEAD"),
        "skreg_uncommitted_changes": bool(_git("status", "--porcelain", "skreg")),
        "skreg_source_sha256": skreg_source_hash(),
    }


def gate_caption(gate):
    r = gate.report()
    if not r["enabled"]:
        return "Idle wait: off."
    return (
        f"Idle wait: before each timed call, waited for other processes to use at most "
        f"{r['threshold_cpus']} CPU; {r['seconds_waited']:.0f} s waited in total, "
        f"{r['calls_run_while_busy']} calls ran without reaching idle."
    )


def blas_summary(info):
    """One line, e.g. for a table caption."""
    parts = []
    for lib in info["blas"]:
        if lib["user_api"] != "blas":
            continue
        owner = (
            "numpy"
            if "numpy" in lib["filepath"]
            else ("scipy/numba" if "scipy" in lib["filepath"] else Path(lib["filepath"]).name)
        )
        parts.append(
            f"{owner}: {lib['internal_api']} {lib['version']} "
            f"({lib['architecture']}, {lib['num_threads']} threads)"
        )
    return "; ".join(parts)


def machine_caption(info):
    """Describe the machine; also records the load average at the end in ``info``."""
    info["load_average_at_end"] = list(os.getloadavg())
    load = ", ".join(f"{x:.2f}" for x in info["load_average_at_start"])
    end = ", ".join(f"{x:.2f}" for x in info["load_average_at_end"])
    env = {
        k: v
        for k, v in info["env"].items()
        if k.startswith("OPENBLAS_CORE") or k.startswith("OPENBLAS_L2")
    }
    return (
        f"Machine: {info['cpu_model']}, {info['cpus']} CPUs "
        f"({info['cores_per_socket']} cores/socket, {info['hypervisor'] or 'bare metal'}); "
        f"load average (1, 5, 15 min) at start {load}, at end {end}. BLAS: {blas_summary(info)}. "
        f"OpenBLAS env: {env}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    )


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def markdown_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def results_path(name, quick, suffix):
    """``results/<name><suffix>``; quick (smoke-test) runs go to
    ``results/quick/``, which git ignores."""
    folder = RESULTS_DIR / "quick" if quick else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    if quick and not (folder / ".gitignore").exists():
        (folder / ".gitignore").write_text("# smoke-test output of --quick runs\n*\n")
    return folder / f"{name}{suffix}"


def write_outputs(name, quick, payload, markdown):
    """Write ``results/[quick/]<name>.json`` and ``.md``; return their paths."""
    json_path = results_path(name, quick, ".json")
    json_path.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n")
    md_path = results_path(name, quick, ".md")
    md_path.write_text(markdown + "\n")
    return json_path, md_path


def publish(name, quick, payload, markdown, also_wrote=()):
    """Write the results (``write_outputs``), print the table and where they
    went; the exit status of a script's ``main``."""
    paths = [*write_outputs(name, quick, payload, markdown), *also_wrote]
    print("\n" + markdown)
    print("\nwrote " + ", ".join(str(p) for p in paths))
    return 0


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value))


def fmt(value, digits=3):
    """Number for a table cell; '-' for None."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def target_cell(value, threshold, higher_is_better=True):
    """'met' / 'MISSED' with the number."""
    if value is None:
        return "n/a"
    ok = value >= threshold if higher_is_better else value <= threshold
    return f"{'met' if ok else 'MISSED'} ({value:.3g})"
