"""Running a benchmark script through pyperf: its command line, time
functions, statistics and results files.

pyperf re-runs the script in workers, each running one benchmark; the parent
alone builds the tables.  A script makes its data inside the timed function
and stops after its benchmark calls when ``is_worker``.
"""

import json
import os
import statistics
import time
from pathlib import Path

import pyperf

import _common as C


def runner(doc, quick_help, add_options=None, **defaults):
    """A pyperf ``Runner`` with ``--quick``, ``--report-only`` and the script's
    options (forwarded to the workers), and its parsed arguments."""
    ours = []

    def forward(cmd, args):
        for action in ours:
            value = getattr(args, action.dest)
            if value == action.default:
                continue
            cmd.append(action.option_strings[0])
            if action.nargs != 0:
                cmd.extend(str(v) for v in (value if isinstance(value, list) else [value]))

    r = pyperf.Runner(add_cmdline_args=forward, **defaults)
    parser = r.argparser
    parser.description, known = doc.split("\n")[0], len(parser._actions)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    help = "rebuild the table from results/<name>.json"
    parser.add_argument("--report-only", action="store_true", help=help)
    if add_options:
        add_options(parser)
    ours += parser._actions[known:]
    args = r.parse_args()
    if args.quick and not args.worker:
        # one worker, one value; the loops are still calibrated, as in a full run
        args.processes, args.values, args.warmups = 1, 1, 1
        args.min_time = min(args.min_time, 0.2)
    if not (args.worker or getattr(args, "child", None)):
        args.machine = C.machine_info()  # the load average at the start
    return r, args


def is_worker(r):
    return bool(r.args.worker)


def epoch_time_func(fit):
    """Seconds per epoch: pyperf's loops are the extra epochs of a fit over a
    one-epoch fit (``fit(epochs)`` returns seconds), so the fixed costs cancel."""

    def time_func(loops):
        short = fit(1)
        # pyperf refuses negative values, which noise can give on tiny fits
        return max(fit(1 + loops) - short, 1e-9)

    return time_func


def calls_time_func(make_call, warm=True):
    """Seconds of ``call = make_call()`` (built in the worker); ``warm``: one
    untimed call first (first allocations, it wakes the BLAS threads)."""

    def time_func(loops):
        call = make_call()
        if warm:
            call()
        start = time.perf_counter()
        for _ in range(loops):
            call()
        return time.perf_counter() - start

    return time_func


def timed(func, *args):
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


def stats(bench):
    """Median, mean, stdev and count of a benchmark's values (seconds per loop)."""
    values = bench.get_values()
    return {
        "median": bench.median(),
        "mean": statistics.mean(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
        "values": len(values),
        "loops": bench.get_runs()[-1].get_loops(),
    }


def publish(name, args, payload, markdown, benches=(), also_wrote=()):
    """Write ``results/[quick/]<name>.json``, ``.md`` and ``.pyperf.json``, print the table."""
    benches = [b for b in benches if b is not None]
    payload = {"benchmark": name, "quick": args.quick, "machine": args.machine, **payload}
    markdown += "\n\n" + C.machine_caption(payload["machine"])
    wrote = list(also_wrote)
    if benches:
        path = C.results_path(name, args.quick, ".pyperf.json")
        pyperf.BenchmarkSuite(benches).dump(str(path), replace=True)
        interpreter_relative_to_repository(path)
        wrote.append(path)
    return C.publish(name, args.quick, payload, markdown, also_wrote=wrote)


def interpreter_relative_to_repository(path):
    """pyperf records the interpreter's absolute path and the folders it was
    built for; the stored results name it relative to the repository (or by
    its file name alone) and leave the build folders out, so that they say
    nothing of the machine's folders."""
    data = json.loads(Path(path).read_text())
    metadata = data.get("metadata", {})
    metadata.pop("python_config_args", None)
    executable = metadata.get("python_executable")
    if executable:
        inside = Path(os.path.abspath(executable)).is_relative_to(C.REPO_DIR)
        name = os.path.relpath(executable, C.REPO_DIR) if inside else Path(executable).name
        metadata["python_executable"] = name
    Path(path).write_text(json.dumps(data))


def report(name, render):
    """``--report-only``: print the table of the stored ``results/<name>.json``."""
    payload = json.loads(C.results_path(name, False, ".json").read_text())
    machine = payload["machine"]
    caption = C.machine_caption(machine, machine.get("load_average_at_end"))
    print(render(payload) + "\n\n" + caption)
    return 0
