"""Fill the model cache with one pinned revision from Hugging Face: once, resumably, verifiably.

Runs inside the download Job (shipped as a ConfigMap; needs only the standard library and huggingface_hub, which an
init container installs). Each listed file is fetched with its own retry loop over huggingface_hub's HTTP session:
a transient fault (reset, truncated body, read timeout, 5xx, 429 with Retry-After) waits with capped exponential
backoff and resumes with a Range request from the byte it stopped at; the file's hash is computed while its bytes
arrive (a resumed file re-reads only its partial prefix), so there is no second pass over the ~690 GB. A permanent
fault (401, 403, 404, revision not found, disk full, a listing naming paths outside the revision) ends the process
at once with one line naming cause and fix, exit code 3 (the Job's podFailurePolicy fails the Job without retrying),
and deletes nothing.

Layout under the revision directory: the files themselves, `.dsr1-partial/` (partial downloads and the journal of
files verified so far) and `.dsr1-complete.json`, the marker written last, recording every file's size and hash.
A rerun that finds a valid marker exits at once (checking sizes, or with DSR1_VERIFY=hashes every hash).
"""

from __future__ import annotations

import contextlib
import email.utils
import errno
import hashlib
import json
import math
import os
import random
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

MARKER = ".dsr1-complete.json"
PARTIAL_DIR = ".dsr1-partial"
JOURNAL = "verified.jsonl"
RESERVED_PREFIX = ".dsr1-"
CHUNK = 8 * 1024 * 1024
EXIT_OK, EXIT_RETRY, EXIT_PERMANENT = 0, 1, 3
"""3 is matched by the Job's podFailurePolicy (FailJob); 1 lets the Job's backoffLimit start a resuming pod."""
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_HTTP_FILE = 50 * 1000**3
"""The Hub serves files up to 50 GB over plain HTTP (huggingface_hub constants.MAX_HTTP_DOWNLOAD_SIZE)."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of the revision as the Hub lists it."""

    path: str
    size: int
    sha256: str | None = None
    """sha256 of an LFS file (the weights); None for small files stored in git."""
    git_sha1: str | None = None
    """git blob id of a file stored in git."""


class TransientError(Exception):
    """A fault that waiting may cure; `retry_after` is the server's wish, `restart` drops the partial file."""

    def __init__(self, message: str, retry_after: float | None = None, restart: bool = False) -> None:
        super().__init__(message)
        self.retry_after, self.restart = retry_after, restart


class PermanentError(Exception):
    """A fault waiting will not cure; the message names the cause and the fix in one line."""


class ExhaustedError(Exception):
    """TransientError faults outlasted the retry budget."""


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}", flush=True)


# --- settings ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What the Job's environment says. The defaults are the production budget (README: "The download")."""

    repo: str
    revision: str
    target: Path
    verify: str = "size"
    """Fast-path check of a marked revision: "size" (seconds) or "hashes" (re-reads everything, minutes)."""
    workers: int = 8
    read_timeout: float = 60.0
    """Seconds without a byte on one connection before it counts as a transient fault."""
    backoff_base: float = 2.0
    backoff_cap: float = 120.0
    outage_seconds: float = 1800.0
    """How long one file may go without receiving a byte (the Hub down, the network gone) before the run gives up."""
    max_failures: int = 1000
    """TransientError faults tolerated in one run, all files together (each resumes where it stopped)."""
    progress_seconds: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Raises PermanentError naming the variable when one is missing or malformed."""

        def number(name: str, default: float) -> float:
            raw = env.get(name, str(default))
            try:
                value = float(raw)
            except ValueError:
                raise PermanentError(f"{name}={raw!r} is not a number. Fix: set a positive number") from None
            if not math.isfinite(value) or value <= 0:
                raise PermanentError(f"{name}={raw!r} must be a positive finite number. Fix: set one")
            return value

        missing = [k for k in ("DSR1_REPO", "DSR1_REVISION", "DSR1_TARGET") if not env.get(k)]
        if missing:
            raise PermanentError(
                f"{', '.join(missing)} not set. Fix: the download Job sets them (specs/download_spec.py)"
            )
        verify = env.get("DSR1_VERIFY", "size")
        if verify not in ("size", "hashes"):
            raise PermanentError(f"DSR1_VERIFY={verify!r}. Fix: use 'size' or 'hashes'")
        return cls(
            repo=env["DSR1_REPO"],
            revision=env["DSR1_REVISION"],
            target=Path(env["DSR1_TARGET"]),
            verify=verify,
            workers=int(number("DSR1_WORKERS", 8)),
            read_timeout=number("DSR1_READ_TIMEOUT", 60),
            backoff_base=number("DSR1_BACKOFF_BASE", 2),
            backoff_cap=number("DSR1_BACKOFF_CAP", 120),
            outage_seconds=number("DSR1_OUTAGE_SECONDS", 1800),
            max_failures=int(number("DSR1_MAX_FAILURES", 1000)),
            progress_seconds=number("DSR1_PROGRESS_SECONDS", 30),
        )


# --- what the Hub may name -----------------------------------------------------------------------------------------


def unsafe_path(target: Path, path: str) -> str | None:
    """None when `path` is a plain relative path that stays inside `target`; otherwise why not."""
    parts = path.split("/")
    if not path or "\\" in path or "\0" in path or PurePosixPath(path).is_absolute():
        return "is empty, absolute or contains a backslash or NUL"
    if any(p in ("", ".", "..") for p in parts):
        return "has an empty, '.' or '..' segment"
    if parts[0].startswith(RESERVED_PREFIX):
        return f"uses the downloader's reserved prefix {RESERVED_PREFIX}"
    root = target.resolve()
    if not (target / path).resolve().is_relative_to(root):
        return "resolves outside the revision directory (a symlink on the way?)"
    return None


def check_listing(target: Path, files: list[RemoteFile]) -> None:
    """Refuse the whole listing if one entry could touch anything outside the revision directory."""
    seen: set[str] = set()
    for f in files:
        why = unsafe_path(target, f.path)
        if why:
            raise PermanentError(
                f"the listing names {f.path!r}, which {why}; nothing was written. Fix: check HF_ENDPOINT "
                "(a mirror serving this listing is broken or hostile) and the repository"
            )
        if f.size < 0 or f.path in seen:
            raise PermanentError(f"the listing names {f.path!r} twice or with a negative size. Fix: check HF_ENDPOINT")
        if f.size > MAX_HTTP_FILE:
            raise PermanentError(
                f"{f.path} is {f.size / 1000**3:.0f} GB; the Hub serves at most 50 GB per file over HTTP. Fix: a "
                "checkpoint with smaller shards (this downloader does not speak Xet)"
            )
        seen.add(f.path)


# --- hashes --------------------------------------------------------------------------------------------------------


def new_hasher(f: RemoteFile) -> Any:
    """sha256 for LFS files, the git blob id for files in git, None when the listing gives neither."""
    if f.sha256:
        return hashlib.sha256()
    if f.git_sha1:
        h = hashlib.sha1(usedforsecurity=False)
        h.update(f"blob {f.size}\0".encode())
        return h
    return None


def expected_digest(f: RemoteFile) -> str | None:
    return f.sha256 or f.git_sha1


def hash_file(path: Path, f: RemoteFile, limit: int | None = None) -> Any:
    """The hasher fed with the first `limit` bytes of `path` (all of it when None)."""
    h = new_hasher(f)
    if h is None:
        return None
    left = path.stat().st_size if limit is None else limit
    with path.open("rb") as fh:
        while left > 0 and (chunk := fh.read(min(CHUNK, left))):
            h.update(chunk)
            left -= len(chunk)
    return h


def file_problem(target: Path, f: RemoteFile, hashes: bool) -> str | None:
    """None if the local copy matches; otherwise what is wrong."""
    local = target / f.path
    if not local.is_file():
        return f"{f.path}: missing"
    if local.stat().st_size != f.size:
        return f"{f.path}: {local.stat().st_size} bytes, listed {f.size}"
    if hashes and expected_digest(f):
        h = hash_file(local, f)
        if h is not None and h.hexdigest() != expected_digest(f):
            return f"{f.path}: hash differs from the listing's"
    return None


# --- the marker ----------------------------------------------------------------------------------------------------


def read_marker(target: Path, repo: str, revision: str) -> tuple[list[RemoteFile] | None, str]:
    """The marked files when `target` carries a marker for repo@revision; otherwise None and why not."""
    path = target / MARKER
    if not path.exists():
        return None, "no completion marker"
    try:
        marker = json.loads(path.read_text())
        files = [RemoteFile(**f) for f in marker["files"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, f"unreadable marker ({e})"
    if (marker.get("repo"), marker.get("revision")) != (repo, revision):
        return None, f"marker is for {marker.get('repo')}@{marker.get('revision')}"
    return files, ""


def marker_problems(target: Path, files: list[RemoteFile], hashes: bool, workers: int) -> dict[str, str]:
    """path -> problem, for every marked file that is missing, the wrong size or (hashes) the wrong content."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda f: (f.path, file_problem(target, f, hashes)), files))
    return {p: why for p, why in results if why}


def write_marker(target: Path, repo: str, revision: str, files: list[RemoteFile]) -> None:
    """Written last, atomically: a marker exists only beside a verified, complete revision."""
    body = {
        "repo": repo,
        "revision": revision,
        "completedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "bytes": sum(f.size for f in files),
        "files": [asdict(f) for f in files],
    }
    tmp = target / f"{MARKER}.tmp"
    tmp.write_text(json.dumps(body, indent=1))
    tmp.replace(target / MARKER)


# --- retries -------------------------------------------------------------------------------------------------------


def backoff(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds before retry `attempt` (1-based): the server's Retry-After if given, else capped exponential + jitter."""
    if retry_after is not None:
        return max(0.0, retry_after)
    jitter = 0.5 + random.random() / 2  # spreads the retries of parallel transfers; not security-relevant
    return float(min(cap, base * 2 ** (attempt - 1)) * jitter)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds or as an HTTP date (RFC 9110 10.2.3); None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Run:
    """State shared by the transfers of one run: bytes done, the failure count, and the stop signal."""

    def __init__(self, s: Settings, total: int, done: int) -> None:
        self.s, self.total, self.done, self.received = s, total, done, 0
        self.failures = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def add(self, n: int) -> None:
        with self.lock:
            self.done += n
            self.received += n

    def fail(self, error: BaseException) -> None:
        """The first permanent or exhausting error wins; every other transfer stops at its next chunk."""
        with self.lock:
            if self.error is None:
                self.error = error
        self.stop.set()


class Retrier:
    """One transfer's retry loop: backoff grows while nothing arrives and resets on progress."""

    def __init__(self, run: Run, what: str) -> None:
        self.run, self.what = run, what
        self.consecutive = 0
        self.last_progress = time.monotonic()

    def progressed(self) -> None:
        self.consecutive = 0
        self.last_progress = time.monotonic()

    def wait(self, error: TransientError) -> None:
        """Sleep before the next attempt, or raise ExhaustedError when the budget is spent."""
        s = self.run.s
        with self.run.lock:
            self.run.failures += 1
            failures = self.run.failures
        if failures > s.max_failures:
            raise ExhaustedError(
                f"{failures - 1} transient faults in this run (budget {s.max_failures}); last: {error}"
            )
        stalled = time.monotonic() - self.last_progress
        self.consecutive += 1
        delay = backoff(self.consecutive, s.backoff_base, s.backoff_cap, error.retry_after)
        if stalled + delay > s.outage_seconds:
            budget = f"budget {s.outage_seconds:.0f}s"
            raise ExhaustedError(f"{self.what}: nothing received for {stalled:.0f}s ({budget}): {error}")
        log(f"{self.what}: {error}; retry {self.consecutive} in {delay:.1f}s (fault {failures}/{s.max_failures})")
        self.run.stop.wait(delay)


# --- the Hub -------------------------------------------------------------------------------------------------------


@dataclass
class Body:
    """An open response: the offset it starts at (0 when the server ignored the Range) and its chunks."""

    start: int
    chunks: Iterator[bytes]


class Hub(Protocol):
    def list_files(self) -> list[RemoteFile]: ...

    def open(self, path: str, start: int) -> contextlib.AbstractContextManager[Body]: ...


def disk_error(e: OSError, target: Path) -> PermanentError:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return PermanentError(
            f"disk full writing into {target} ({e.strerror}); partial files are kept. Fix: give the cache more "
            "capacity (modelCache.sizeGib, or the storage class's volume), then rerun: the download resumes"
        )
    return PermanentError(f"cannot write into {target}: {e}. Fix: check the cache volume's mount and ownership")


def status_error(status: int, retry_after: float | None, what: str, s: Settings) -> Exception:
    """A Hub answer other than 200/206 as TransientError or PermanentError, with the fix for the permanent ones."""
    if status in RETRYABLE_STATUS or 500 <= status < 600:
        return TransientError(f"HTTP {status} for {what}", retry_after)
    if status == 416:
        return TransientError(f"HTTP 416 (range not satisfiable) for {what}; restarting the file", restart=True)
    fixes = {
        401: "the token is missing or invalid. Fix: put a valid Hugging Face read token in the Job's hf-token Secret",
        403: (
            f"the token may not read {s.repo}. Fix: accept the model's terms on its Hub page with the token's "
            "account, or use a token with read access"
        ),
        404: (
            f"{s.repo}@{s.revision} or {what} does not exist. Fix: set model.revision to a commit of {s.repo} "
            "(check HF_ENDPOINT if a mirror is set)"
        ),
    }
    return PermanentError(
        f"HTTP {status} for {what}: "
        + fixes.get(status, "the Hub refused the request. Fix: check the repository, model.revision and HF_ENDPOINT")
    )


class HfHub:
    """The real Hub through huggingface_hub's HTTP session (token from HF_TOKEN_PATH, endpoint from HF_ENDPOINT).

    Plain HTTP on the `resolve` URL, as huggingface_hub itself falls back to when hf_xet is absent (file_download.py
    `_download_to_tmp_and_move`): every byte passes through this process, so it is hashed as it arrives and resumed
    with Range. Xet might be faster per file; eight parallel transfers make up for it (check against the Hub)."""

    def __init__(self, s: Settings) -> None:
        import httpx
        from huggingface_hub import HfApi

        self.s = s
        self.endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
        self.api = HfApi(endpoint=self.endpoint)
        self.timeout = httpx.Timeout(s.read_timeout, connect=min(s.read_timeout, 30.0))

    @contextlib.contextmanager
    def translated(self, what: str) -> Iterator[None]:
        """huggingface_hub's and httpx's exceptions as TransientError or PermanentError."""
        import httpx
        from huggingface_hub.errors import HfHubHTTPError, RevisionNotFoundError

        try:
            yield
        except (TransientError, PermanentError, ExhaustedError):
            raise
        except RevisionNotFoundError:
            raise PermanentError(
                f"revision {self.s.revision} not found in {self.s.repo}. Fix: set model.revision to a commit of the "
                "repository"
            ) from None
        except HfHubHTTPError as e:
            r = e.response
            raise status_error(r.status_code, parse_retry_after(r.headers.get("Retry-After")), what, self.s) from None
        except httpx.TransportError as e:  # connect/read/write errors, timeouts, resets, truncated bodies
            raise TransientError(f"{type(e).__name__}: {e or 'connection failed'}") from None
        except OSError as e:
            raise disk_error(e, self.s.target) from None
        except ValueError as e:  # a 200 whose body is not the JSON the API promises (a proxy's error page)
            raise TransientError(f"unreadable answer for {what}: {e}") from None

    def list_files(self) -> list[RemoteFile]:
        with self.translated(f"the listing of {self.s.repo}@{self.s.revision}"):
            info = self.api.model_info(
                self.s.repo, revision=self.s.revision, files_metadata=True, timeout=self.s.read_timeout
            )
            return [
                RemoteFile(
                    path=f.rfilename,
                    size=(f.lfs.size if f.lfs else f.size) or 0,
                    sha256=f.lfs.sha256 if f.lfs else None,
                    git_sha1=None if f.lfs else f.blob_id,
                )
                for f in info.siblings or []
            ]

    @contextlib.contextmanager
    def open(self, path: str, start: int) -> Iterator[Body]:
        from huggingface_hub import get_session, hf_hub_url
        from huggingface_hub.utils._headers import build_hf_headers  # its public alias is untyped for mypy

        url = hf_hub_url(self.s.repo, path, revision=self.s.revision, endpoint=self.endpoint)
        headers = {**build_hf_headers(), "Accept-Encoding": "identity"}
        if start:
            headers["Range"] = f"bytes={start}-"
        with (
            self.translated(path),
            get_session().stream("GET", url, headers=headers, timeout=self.timeout) as r,
        ):
            if r.status_code not in (200, 206):
                raise status_error(r.status_code, parse_retry_after(r.headers.get("Retry-After")), path, self.s)
            yield Body(start if r.status_code == 206 else 0, r.iter_bytes())  # as it arrives: a fault loses nothing


# --- one file ------------------------------------------------------------------------------------------------------


def write_chunk(fh: Any, data: bytes) -> None:
    """One write; a seam for the tests' full disk."""
    fh.write(data)


class Journal:
    """Files verified and moved into place by this or an earlier run, so a resumed run does not hash them again."""

    def __init__(self, target: Path) -> None:
        self.path = target / PARTIAL_DIR / JOURNAL
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[int, str | None]] = {}
        with contextlib.suppress(OSError):
            for line in self.path.read_text().splitlines():
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    e = json.loads(line)
                    self.entries[e["path"]] = (e["size"], e["digest"])

    def verified(self, f: RemoteFile) -> bool:
        return self.entries.get(f.path) == (f.size, expected_digest(f))

    def add(self, f: RemoteFile) -> None:
        with self.lock, self.path.open("a") as fh:
            fh.write(json.dumps({"path": f.path, "size": f.size, "digest": expected_digest(f)}) + "\n")
        self.entries[f.path] = (f.size, expected_digest(f))


def already_there(target: Path, f: RemoteFile, journal: Journal) -> bool:
    """True when the file is in place and verified; a wrong copy stays until its verified replacement moves in."""
    local = target / f.path
    if not local.is_file():
        return False
    if local.stat().st_size == f.size and journal.verified(f):
        return True
    if local.stat().st_size == f.size and file_problem(target, f, hashes=True) is None:
        journal.add(f)  # left by an earlier downloader: hashed once here
        return True
    log(f"{f.path}: the copy in place does not match the listing; fetching it again (replaced when verified)")
    return False


def fetch_file(s: Settings, hub: Hub, f: RemoteFile, run: Run, journal: Journal) -> None:
    """Download one file into the partial directory, hashing as it arrives, then move it into place."""
    part = s.target / PARTIAL_DIR / f"{f.path}.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    if have > f.size:
        part.unlink()
        have = 0
    h = hash_file(part, f, have) if have else new_hasher(f)
    run.add(have)
    retry = Retrier(run, f.path)
    while not run.stop.is_set():
        try:
            if have < f.size:
                with hub.open(f.path, have) as body:
                    if body.start != have:
                        log(f"{f.path}: the server ignored the Range; starting the file over")
                        run.add(-have)
                        have, h = 0, new_hasher(f)
                        part.write_bytes(b"")
                    with part.open("ab") as out:
                        for chunk in body.chunks:
                            if run.stop.is_set():
                                return
                            try:
                                write_chunk(out, chunk)
                            except OSError as e:
                                raise disk_error(e, s.target) from None
                            if h is not None:
                                h.update(chunk)
                            have += len(chunk)
                            run.add(len(chunk))
                            retry.progressed()
                            if have > f.size:
                                raise TransientError(f"more bytes than the listed {f.size}", restart=True)
                if have < f.size:
                    raise TransientError(f"the body ended at byte {have} of {f.size}")
            if h is not None and h.hexdigest() != expected_digest(f):
                raise TransientError("hash differs from the listing's; fetching the file again", restart=True)
            final = s.target / f.path
            final.parent.mkdir(parents=True, exist_ok=True)
            part.replace(final)
            journal.add(f)
            return
        except TransientError as e:
            if e.restart:
                part.unlink(missing_ok=True)
                run.add(-have)
                have, h = 0, new_hasher(f)
            retry.wait(e)


# --- progress ------------------------------------------------------------------------------------------------------


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


# --- the job -------------------------------------------------------------------------------------------------------


def listed(s: Settings, hub: Hub, run: Run) -> list[RemoteFile]:
    retry = Retrier(run, "listing")
    while True:
        try:
            return hub.list_files()
        except TransientError as e:
            retry.wait(e)


def download(s: Settings, hub: Hub) -> int:
    """0 when the revision is complete and verified; 1 (retry) or 3 (permanent) otherwise, with one line why."""
    marked, why = read_marker(s.target, s.repo, s.revision)
    if marked is not None:
        bad = marker_problems(s.target, marked, s.verify == "hashes", s.workers)
        if not bad:
            log(f"complete: {s.repo}@{s.revision} in {s.target} (marker valid, {s.verify} checked); nothing to do")
            return EXIT_OK
        why = f"{len(bad)} marked files fail the {s.verify} check, e.g. {next(iter(bad.values()))}"
        (s.target / MARKER).unlink()
        for path in bad:
            if unsafe_path(s.target, path) is None:
                (s.target / path).unlink(missing_ok=True)
    log(f"downloading {s.repo}@{s.revision} into {s.target}: {why}")
    s.target.mkdir(parents=True, exist_ok=True)
    files = listed(s, hub, Run(s, 0, 0))
    check_listing(s.target, files)
    (s.target / PARTIAL_DIR).mkdir(exist_ok=True)
    journal = Journal(s.target)
    todo = [f for f in files if not already_there(s.target, f, journal)]
    total = sum(f.size for f in files)
    run = Run(s, total, total - sum(f.size for f in todo))
    log(f"{len(files)} files, {total / 1024**3:.1f} GiB; {len(todo)} to fetch, {run.done / 1024**3:.1f} GiB in place")
    finished = threading.Event()
    reporter = threading.Thread(target=report_progress, args=(run, finished), daemon=True)
    reporter.start()

    def one(f: RemoteFile) -> None:
        try:
            fetch_file(s, hub, f, run, journal)
        except (PermanentError, ExhaustedError) as e:
            run.fail(e)
        except OSError as e:  # the journal, a directory or the final rename: the cache volume, not the network
            run.fail(disk_error(e, s.target))
        except Exception as e:  # an unforeseen fault still ends in one line; the Job retries and resumes
            run.fail(ExhaustedError(f"{f.path}: unexpected {type(e).__name__}: {e}"))

    try:
        with ThreadPoolExecutor(max_workers=s.workers) as pool:
            list(pool.map(one, sorted(todo, key=lambda f: -f.size)))
    finally:
        finished.set()
    if run.error is not None:
        raise run.error
    write_marker(s.target, s.repo, s.revision, files)
    log(f"complete: {s.repo}@{s.revision}, {total} bytes, every file's size and hash verified; marker written")
    return EXIT_OK


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


def permanent(why: str) -> int:
    """One line for a fault no retry can fix; the Job's podFailurePolicy fails it on this exit code."""
    log(f"FAILED (permanent, not retried): {why}")
    return EXIT_PERMANENT


def main() -> int:
    try:
        s = Settings.from_env(os.environ)
        hub: Hub = HfHub(s)
    except PermanentError as e:
        return permanent(str(e))
    except ImportError as e:
        return permanent(f"{e}. Fix: the install-client init container installs huggingface_hub")
    return run_job(s, hub)


if __name__ == "__main__":
    sys.exit(main())
