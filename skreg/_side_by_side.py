"""Running a call's independent trainings (paths on folds, halves) side by side.

joblib runs them, so that any joblib backend works, Dask's included.  Under
joblib's own thread backend, which is what skreg asks for when no backend is
set, the calling thread looks for finished tasks every 10 ms: after the last
task ends it waits 5 ms on average, up to 10.  On small data, where a whole CV
fit takes about a tenth of a second, that is several percent of the call.  So
where joblib would run threads, the tasks run on a thread pool of this module
instead, whose wait ends when the last task does.  Each task runs under the
caller's scikit-learn configuration, as scikit-learn's ``Parallel`` sees to.
"""

from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from joblib.parallel import ThreadingBackend, get_active_backend
from sklearn import config_context, get_config
from sklearn.utils.parallel import Parallel, delayed


def run_side_by_side(calls, n_jobs):
    """The results of ``calls`` (functions of no argument that joblib can
    pickle, as ``functools.partial`` makes them), in order, run on ``n_jobs``
    workers of the active joblib backend (threads when none is set)."""
    n_threads = _threads_joblib_would_use(n_jobs)
    if n_threads > 1 and len(calls) > 1:
        return _on_threads(calls, min(n_threads, len(calls)))
    return Parallel(n_jobs=n_jobs, prefer="threads")(delayed(call)() for call in calls)


def _threads_joblib_would_use(n_jobs):
    """How many threads ``Parallel(n_jobs, prefer="threads")`` would run the
    tasks on; 0 when it would not run them on threads (a backend set by the
    caller, processes or Dask), or would run them one after another."""
    backend, configured = get_active_backend(prefer="threads")
    if not isinstance(backend, ThreadingBackend):
        return 0
    if n_jobs is None:
        n_jobs = 1 if configured is None else configured
    return backend.effective_n_jobs(n_jobs)


def _on_threads(calls, n_threads):
    config = get_config()

    def configured(call):
        with config_context(**config):
            return call()

    pool = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="skreg")
    finished = []  # the futures in the order their calls ended
    try:
        futures = [pool.submit(configured, call) for call in calls]
        for future in futures:
            future.add_done_callback(finished.append)
        wait(futures, return_when=FIRST_EXCEPTION)
    finally:
        # On an error or Ctrl-C, the calls not started are dropped and the
        # running ones end at their next epoch (skreg._interrupts): the call
        # returns once no thread of it is left training.
        pool.shutdown(wait=True, cancel_futures=True)
    errors = [f.exception() for f in finished if not f.cancelled() and f.exception()]
    if errors:
        # The error that ended the call, not a KeyboardInterrupt with which
        # another call stopped at the flag that error set (the calls run in
        # threads, where no signal arrives).
        raise next((e for e in errors if not isinstance(e, KeyboardInterrupt)), errors[0])
    return [future.result() for future in futures]
