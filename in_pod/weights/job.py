"""The download from start to exit code: the fast path on a valid marker, else list, fetch, verify, mark."""

import os
import sys
import threading
import time

from .clock import job_started
from .errors import EXIT_OK, EXIT_PERMANENT, EXIT_RETRY, ExhaustedError, PermanentError, TransientError, disk_error, log
from .hub import HfHub, Hub
from .ledger import MARKER, PARTIAL_DIR, Journal, already_there, marker_problems, read_marker, write_marker
from .listing import RemoteFile, unsafe_path
from .parts import FileJob
from .retry import Retrier, Run
from .safe_fs import check_root, real_dir, unlink_below
from .settings import Settings, from_env
from .transfer import fetch_all


def progress_line(done: int, total: int, rate: float) -> str:
    """Bytes, percent, rate (bytes/s over the last interval) and the ETA at that rate."""
    gib = 1024**3
    pct = 100.0 * done / total if total else 100.0
    left = max(0, total - done)
    eta = time.strftime("%H:%M:%S", time.gmtime(left / rate)) if rate > 0 and left / rate < 86400 else "unknown"
    return f"progress: {done / gib:.1f} / {total / gib:.1f} GiB ({pct:.1f}%), {rate / 1024**2:.0f} MiB/s, ETA {eta}"


def report_progress(run: Run, finished: threading.Event) -> None:
    last, last_t = run.received, time.monotonic()
    while not finished.wait(run.s.progress_seconds):
        now, received = time.monotonic(), run.received
        log(progress_line(run.done, run.total, (received - last) / max(now - last_t, 1e-9)))
        last, last_t = received, now


def listed(hub: Hub, run: Run) -> list[RemoteFile]:
    retry = Retrier(run, "listing")
    while True:
        try:
            return hub.list_files()
        except TransientError as e:
            retry.wait(e)


def fast_path(s: Settings) -> str | None:
    """None when a valid marker says the revision is complete; otherwise why the download must run."""
    marked, why = read_marker(s.target, s.repo, s.revision)
    if marked is None:
        return why
    bad = marker_problems(s.target, marked, s.verify == "hashes", s.connections)
    if not bad:
        return None
    unlink_below(s.target, MARKER)
    for path in bad:
        if unsafe_path(path) is None:
            unlink_below(s.target, path)
    return f"{len(bad)} marked files fail the {s.verify} check, e.g. {next(iter(bad.values()))}"


def download(s: Settings, hub: Hub) -> int:
    """0 when the revision is complete and verified; raises PermanentError or ExhaustedError otherwise."""
    s.target.mkdir(parents=True, exist_ok=True)
    check_root(s.target)
    why = fast_path(s)
    if why is None:
        log(f"complete: {s.repo}@{s.revision} in {s.target} (marker valid, {s.verify} checked); nothing to do")
        return EXIT_OK
    log(f"downloading {s.repo}@{s.revision} into {s.target}: {why}")
    run = Run(s, job_started=job_started(s.target, s.job_uid))
    files = listed(hub, run)
    real_dir(s.target, PARTIAL_DIR)
    journal = Journal(s.target)
    hashes = s.verify == "hashes"
    todo = [f for f in files if not already_there(s.target, f, journal, hashes)]
    run.total = sum(f.size for f in files)
    run.done = run.total - sum(f.size for f in todo)
    log(
        f"{len(files)} files, {run.total / 1024**3:.1f} GiB; {len(todo)} to fetch over {s.connections} connections "
        f"in parts of {s.part_bytes / 1024**2:.0f} MiB; {run.done / 1024**3:.1f} GiB in place"
    )
    jobs = [FileJob(f, s.target, s.part_bytes, journal, s.hash_strikes) for f in sorted(todo, key=lambda f: -f.size)]
    finished = threading.Event()
    threading.Thread(target=report_progress, args=(run, finished), daemon=True).start()
    try:
        fetch_all(s, hub, jobs, run)
    finally:
        finished.set()
    if run.error is not None:
        raise run.error
    write_marker(s.target, s.repo, s.revision, files)
    log(f"complete: {s.repo}@{s.revision}, {run.total} bytes, every file's size and hash verified; marker written")
    return EXIT_OK


def permanent(why: str) -> int:
    """One line for a fault no retry can fix; the Job's podFailurePolicy fails it on this exit code."""
    log(f"FAILED (permanent, not retried): {why}")
    return EXIT_PERMANENT


def run_job(s: Settings, hub: Hub) -> int:
    """download() with its failures as one log line and an exit code; never a traceback."""
    try:
        return download(s, hub)
    except PermanentError as e:
        return permanent(str(e))
    except ExhaustedError as e:
        log(f"FAILED (retry budget spent; the Job's next pod resumes): {e}")
        return EXIT_RETRY
    except OSError as e:
        return permanent(str(disk_error(e, s.target)))


def main() -> int:
    try:
        s = from_env(os.environ)
        hub: Hub = HfHub(s)
    except PermanentError as e:
        return permanent(str(e))
    except ImportError as e:
        return permanent(f"{e}. Fix: the install-client init container installs huggingface_hub")
    return run_job(s, hub)


if __name__ == "__main__":
    sys.exit(main())
