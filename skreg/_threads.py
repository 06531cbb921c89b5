"""How many BLAS threads the matrix products of a fit or a prediction get.

The products go through BLAS (OpenBLAS, via Numba's ``np.dot``), which by
default starts one thread per core for any product above a small size.
Measured on a 2-core machine (docs/design.rst, "Threads and BLAS"): a second
thread gains nothing on the products of small and middling networks, and
whenever another process holds a core, a BLAS call with two threads waits for
the slower one: a fit then runs several times slower than with one thread.
So:

* one thread, unless the largest product of a batch is big enough for a
  second thread to pay (``MIN_MACS_FOR_THREADS`` multiply-adds);
* one thread while another skreg fit runs in this process (fits side by side
  in threads, e.g. a search with joblib's threading backend);
* one thread while other processes keep the cores busy, read from
  ``/proc/stat`` over the last epoch (the first epoch of a fit that could use
  more runs on one thread, to measure); where ``/proc/stat`` is missing, the
  size rule alone decides;
* never more threads than the BLAS library allowed when the fit started, so
  that a limit set by the user or by joblib (``threadpoolctl``) wins;
* a prediction of a few rows, whose products BLAS keeps on one thread
  anyway, leaves the setting as it is.

The setting is process-wide; the last fit to finish puts back what it found.
"""

import contextlib
import os
import threading
import time

from threadpoolctl import ThreadpoolController

# Multiply-adds of the largest matrix product of one batch from which a
# second BLAS thread pays off (measured by benchmarks/bench_threads.py; see
# benchmarks/README.md, "Threads").
MIN_MACS_FOR_THREADS = 20_000_000
# Other processes may use this many CPUs before the extra threads are dropped.
BUSY_CPUS_TOLERATED = 0.5
# A prediction whose products all stay under this many multiply-adds leaves
# the BLAS threads alone: BLAS runs products that small on one thread whatever
# its setting (OpenBLAS threads a product only above 4 x 65,536), so setting
# one thread and restoring the count after would only cost time, tens of
# microseconds on each call, most of a prediction of a few rows.
MAX_MACS_ON_ONE_THREAD = 65_536
# A prediction looks at the machine's load (for LOAD_SAMPLE_SECONDS) only when
# its products are this large in all (seconds of work), so that looking costs
# little next to predicting.
MIN_MACS_TO_MEASURE_LOAD = 10_000_000_000
LOAD_SAMPLE_SECONDS = 0.03

_lock = threading.Lock()
_active_fits = 0
_original_threads = None
_controller = None


def largest_product_macs(units, batch_size):
    """Multiply-adds of the largest matrix product of one batch."""
    return batch_size * max(int(a) * int(b) for a, b in zip(units[:-1], units[1:]))


def _blas():
    """The BLAS libraries loaded in this process, looked up once."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.select(user_api="blas").lib_controllers


def _set_threads(n):
    """Set every BLAS library to ``n`` threads."""
    with _lock:
        for lib in _blas():
            _set_library_threads(lib, n)


def _set_library_threads(lib, n):
    """Set one library to ``n`` threads, from whichever thread runs the fit or
    prediction (the caller holds ``_lock``).

    Recent threadpoolctl releases let a single thread at a time change a
    process-wide OpenBLAS pool: the first that tries, until it lets go; calls
    from any other thread do nothing.  A fit in a worker thread (a CV
    estimator's path, a threaded search) after the main thread had set a
    count would keep that count.  So each change takes control and lets go
    at once.
    """
    if lib.num_threads == n:
        return
    release = getattr(lib, "clear_controlling_thread", None)
    if release is not None:
        release(force=True)
    lib.set_num_threads(n)
    if release is not None:
        release()


class _CpuMeter:
    """How many CPUs other processes kept busy since the last reading, from
    /proc/stat minus this process's own CPU time (Linux only)."""

    def __init__(self):
        self.last = self._read()

    @staticmethod
    def _read():
        try:
            with open("/proc/stat") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        own = os.times()
        return sum(fields) - idle, sum(fields), own.user + own.system, time.monotonic()

    def others_busy(self):
        """CPUs used by other processes since the last call; None if unknown."""
        now = self._read()
        last, self.last = self.last, now
        if now is None or last is None:
            return None
        busy, total = now[0] - last[0], now[1] - last[1]
        elapsed = now[3] - last[3]
        if total <= 0 or elapsed <= 0.02:  # too short a window for jiffies
            return None
        all_busy = (os.cpu_count() or 1) * busy / total
        return max(0.0, all_busy - (now[2] - last[2]) / elapsed)


class BlasThreads:
    """Context for one fit: sets the BLAS threads before each epoch.

    ``update()`` before each epoch applies the policy of the module
    docstring; leaving the context puts back the threads found when the
    first of the running fits started.
    """

    def __init__(self, units, batch_size):
        self.batch_size = batch_size
        self.large = largest_product_macs(units, batch_size) >= MIN_MACS_FOR_THREADS
        self.meter = None
        self.ceiling = 1

    def __enter__(self):
        global _active_fits, _original_threads
        with _lock:
            if _active_fits == 0:
                _original_threads = [lib.num_threads for lib in _blas()]
            _active_fits += 1
            self.ceiling = min(_original_threads, default=1)
        if self.large and self.ceiling > 1:
            self.meter = _CpuMeter()
        return self

    def update(self, units=None):
        """Choose and set the thread count for the next epoch; ``units``, when
        given, are the layer widths the epoch trains (fewer inputs than the
        fit's when the active set leaves removed features out)."""
        small = (
            units is not None
            and largest_product_macs(units, self.batch_size) < MIN_MACS_FOR_THREADS
        )
        _set_threads(1 if small else self.threads())

    def threads(self):
        if self.meter is None or _active_fits > 1:
            return 1
        others = self.meter.others_busy()
        if others is None or others > BUSY_CPUS_TOLERATED:
            return 1
        return self.ceiling

    def __exit__(self, *exc):
        global _active_fits
        with _lock:
            _active_fits -= 1
            if _active_fits == 0:
                for lib, n in zip(_blas(), _original_threads):
                    _set_library_threads(lib, n)
        return False


@contextlib.contextmanager
def threads_for_prediction(units, n_rows, block_rows):
    """Context for one prediction over ``n_rows`` rows in blocks of
    ``block_rows``: more than one thread only for large products, with no fit
    running in this process, and (for a prediction long enough to pay for a
    short look) no other process keeping a core busy."""
    rows = min(n_rows, block_rows)
    skip_macs = rows * int(units[0]) * int(units[-1])  # a skip connection's product
    if max(largest_product_macs(units, rows), skip_macs) <= MAX_MACS_ON_ONE_THREAD:
        yield
        return
    libs = _blas()
    before = [lib.num_threads for lib in libs]
    threads = 1
    total_macs = n_rows * sum(int(a) * int(b) for a, b in zip(units[:-1], units[1:]))
    if (
        not _active_fits
        and largest_product_macs(units, min(n_rows, block_rows)) >= MIN_MACS_FOR_THREADS
        and total_macs >= MIN_MACS_TO_MEASURE_LOAD
    ):
        meter = _CpuMeter()
        time.sleep(LOAD_SAMPLE_SECONDS)
        others = meter.others_busy()
        if others is not None and others <= BUSY_CPUS_TOLERATED:
            threads = min(before, default=1)
    _set_threads(threads)
    try:
        yield
    finally:
        with _lock:
            for lib, n in zip(libs, before):
                _set_library_threads(lib, n)
