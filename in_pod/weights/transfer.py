"""The pool of connections: `connections` workers take parts of many files from one queue.

Parts are queued file by file, largest file first, so the connections spread over the head of the queue (several
files, and several parts of each large file, in flight at once) and each file's hash keeps up with its head. A part
that fails waits in its own retry loop (the other connections carry on) and resumes from the byte it reached.
"""

import os
import queue
import threading

from .errors import ExhaustedError, PermanentError, TransientError, disk_error, log
from .hub import Hub
from .parts import CHECKPOINT_BYTES, FileJob
from .retry import RateFloor, Retrier, Run
from .safe_fs import open_nofollow
from .settings import Settings


def write_chunk(fd: int, data: bytes, offset: int) -> None:
    """One positioned write; a seam for the tests' full disk."""
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def fetch_part(s: Settings, hub: Hub, job: FileJob, i: int, run: Run, requeue: "Requeue") -> None:
    """Fetch part i of `job` into its partial file, resuming from the byte it reached, until complete or stopped."""
    start, end = job.bounds[i]
    retry = Retrier(run, job.label(i))
    fd = open_nofollow(job.part_path, os.O_WRONLY)
    try:
        while not run.stop.is_set():
            pos = start + job.done[i]
            if pos >= end:
                job.part_complete(i, fd, lambda parts: requeue(job, parts))
                return
            try:
                with hub.open(job.f, pos, end - 1) as body:
                    skip = pos - body.start
                    if skip:
                        log(f"{job.label(i)}: the server ignored the Range; skipping {skip} bytes of its answer")
                    floor, since_checkpoint = RateFloor(s), 0
                    for chunk in body.chunks:
                        if run.stop.is_set():
                            return
                        floor.received(len(chunk))
                        if skip:
                            dropped = min(skip, len(chunk))
                            chunk, skip = chunk[dropped:], skip - dropped
                        chunk = chunk[: end - pos]  # an answer longer than the part (a 200) stops at its end
                        if not chunk:
                            continue
                        try:
                            write_chunk(fd, chunk, pos)
                        except OSError as e:
                            raise disk_error(e, s.target) from None
                        pos += len(chunk)
                        job.arrived(i, chunk)
                        run.add(len(chunk))
                        retry.progressed()
                        since_checkpoint += len(chunk)
                        if since_checkpoint >= CHECKPOINT_BYTES:
                            job.checkpoint(i, fd)
                            since_checkpoint = 0
                        if pos >= end:
                            break
                if pos < end:
                    raise TransientError(f"the answer ended at byte {pos} of {start}-{end - 1}")
            except TransientError as e:
                job.checkpoint(i, fd)
                if e.restart:
                    run.add(-job.restart_part(i))
                if e.strike:
                    job.strike(e)
                retry.wait(e)
    finally:
        os.close(fd)


class Requeue:
    """The shared queue of (file, part) work; knows when every file is finished."""

    def __init__(self, jobs: list[FileJob]) -> None:
        self.queue: queue.Queue[tuple[FileJob, int | None]] = queue.Queue()
        self.unfinished = set(range(len(jobs)))
        self.lock = threading.Lock()
        self.all_done = threading.Event()
        for job in jobs:
            self.queue.put((job, None))  # None: prepare the file (load its progress, hash its done head)
        if not jobs:
            self.all_done.set()

    def __call__(self, job: FileJob, parts: list[int]) -> None:
        for i in parts:
            self.queue.put((job, i))

    def check(self, jobs: list[FileJob]) -> None:
        if all(job.finished for job in jobs):
            self.all_done.set()


def fetch_all(s: Settings, hub: Hub, jobs: list[FileJob], run: Run) -> None:
    """Run `s.connections` workers until every file is finished or one fails (run.error says how)."""
    work = Requeue(jobs)

    def one(job: FileJob, i: int | None) -> None:
        if i is None:
            todo = job.prepare()
            run.add(sum(job.done), received=False)
            work(job, todo)
            job.advance_hash(lambda parts: work(job, parts))  # an empty file, or a head resumed complete
        else:
            fetch_part(s, hub, job, i, run, work)

    def worker() -> None:
        while not run.stop.is_set() and not work.all_done.is_set():
            try:
                job, i = work.queue.get(timeout=0.05)
            except queue.Empty:
                work.check(jobs)
                continue
            try:
                one(job, i)
            except (PermanentError, ExhaustedError) as e:
                run.fail(e)
            except OSError as e:  # the partial files, the journal, a rename: the cache volume, not the network
                run.fail(disk_error(e, s.target))
            except Exception as e:  # an unforeseen fault still ends in one line; the Job retries and resumes
                run.fail(ExhaustedError(f"{job.label(i or 0)}: unexpected {type(e).__name__}: {e}"))
            work.check(jobs)

    threads = [threading.Thread(target=worker, name=f"connection-{n}", daemon=True) for n in range(s.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
