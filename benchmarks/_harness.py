"""Running a benchmark script through pyperf: its command line, the worker
processes, the statistics of a pyperf benchmark, and the results files.

pyperf re-runs the script in worker processes, each running one benchmark for
the parent, which alone builds the tables: a script creates its data inside
the timed function and stops after its benchmark calls when ``is_worker``.
"""

import json
import statistics
import time

import pyperf

import _common as C


def runner(doc, quick_help, add_options=None, **defaults):
    """A pyperf ``Runner`` with the script's options (forwarded to the workers)
    plus ``--quick`` and ``--report-only``, and its parsed arguments.
    ``defaults`` go to ``pyperf.Runner``: fits of a second or more need fewer
    processes than pyperf's 20."""
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
    r.argparser.description = doc.split("\n")[0]
    parser = _Recorder(r.argparser, ours)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    help = "rebuild the table from results/<name>.json"
    parser.add_argument("--report-only", action="store_true", help=help)
    if add_options:
        add_options(parser)
    args = r.parse_args()
    if args.quick and not args.worker:
        # one worker, one value; the loops are still calibrated, as in a full run
        args.processes, args.values, args.warmups = 1, 1, 1
        args.min_time = min(args.min_time, 0.2)
    if not (args.worker or getattr(args, "child", None)):
        args.machine = C.machine_info()  # the load average at the start
    return r, args


class _Recorder:
    """Adds options to a parser and remembers them, to forward them."""

    def __init__(self, parser, actions):
        self.parser, self.actions = parser, actions

    def add_argument(self, *names, **kwargs):
        self.actions.append(self.parser.add_argument(*names, **kwargs))


def is_worker(r):
    return bool(r.args.worker)


def epoch_time_func(fit):
    """A pyperf time function for seconds per epoch: ``fit(epochs)`` returns
    the seconds of one fit; pyperf's loops are the extra epochs of a long fit
    over a one-epoch fit, so validation, allocation and compilation cancel."""

    def time_func(loops):
        short = fit(1)
        # pyperf refuses negative values, which noise can give on tiny fits
        return max(fit(1 + loops) - short, 1e-9)

    return time_func


def calls_time_func(make_call, warm=True):
    """A pyperf time function for ``call()``, with ``call = make_call()`` built
    in the worker; ``warm``: one untimed call first (first allocations, and
    it wakes the BLAS or onnxruntime threads)."""

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
    """Seconds of one call."""
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


def stats(bench):
    """Median, mean, stdev and count of a pyperf benchmark's values (seconds
    per loop)."""
    values = bench.get_values()
    return {
        "median": bench.median(),
        "mean": statistics.mean(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
        "values": len(values),
        "loops": bench.get_runs()[-1].get_loops(),
    }


def publish(name, args, payload, markdown, benches=(), also_wrote=()):
    """Write ``results/[quick/]<name>.json``, ``.md`` and the pyperf suite
    ``<name>.pyperf.json`` (for ``python -m pyperf compare_to``/``stats``),
    print the table; the exit status of ``main``."""
    benches = [b for b in benches if b is not None]
    payload = {"benchmark": name, "quick": args.quick, "machine": args.machine, **payload}
    markdown += "\n\n" + C.machine_caption(payload["machine"])
    wrote = list(also_wrote)
    if benches:
        path = C.results_path(name, args.quick, ".pyperf.json")
        pyperf.BenchmarkSuite(benches).dump(str(path), replace=True)
        wrote.append(path)
    return C.publish(name, args.quick, payload, markdown, also_wrote=wrote)


def report(name, render):
    """``--report-only``: print the table of the stored ``results/<name>.json``."""
    payload = json.loads(C.results_path(name, False, ".json").read_text())
    machine = payload["machine"]
    caption = C.machine_caption(machine, machine.get("load_average_at_end"))
    print(render(payload) + "\n\n" + caption)
    return 0
