"""Fill the model cache with one pinned revision from Hugging Face: once, resumably, verifiably.

Runs inside the download Job (shipped as a ConfigMap; needs only the standard library and huggingface_hub, which an
init container installs). The Hub calls are injected into `run()`, so everything but `main()` is tested offline.

A complete revision carries a marker (`.dsr1-complete.json`) written last, recording the repository, the revision
and every file with its size and hash. A rerun that finds a valid marker exits at once; a partial directory is
resumed (huggingface_hub keeps partial files); a corrupt file is deleted and fetched again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

MARKER = ".dsr1-complete.json"
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class RemoteFile:
    """One file of the revision as the Hub lists it."""

    path: str
    size: int
    sha256: str | None = None
    """sha256 of an LFS file (the weights); None for small files stored in git."""
    git_sha1: str | None = None
    """git blob id of a file stored in git."""


class HubError(Exception):
    """A failed Hub call, with its HTTP status (None for connection errors) and Retry-After if given."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}", flush=True)


# --- the marker ----------------------------------------------------------------------------------------------------


def marker_status(target: Path, repo: str, revision: str) -> str | None:
    """None when `target` holds a complete copy of repo@revision; otherwise why not (for the log)."""
    path = target / MARKER
    if not path.exists():
        return "no completion marker"
    try:
        marker = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        return f"unreadable marker ({e})"
    if (marker.get("repo"), marker.get("revision")) != (repo, revision):
        return f"marker is for {marker.get('repo')}@{marker.get('revision')}"
    for f in marker.get("files", []):
        local = target / f["path"]
        if not local.is_file() or local.stat().st_size != f["size"]:
            return f"{f['path']} is missing or has the wrong size"
    return None


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


# --- verification --------------------------------------------------------------------------------------------------


def git_blob_sha1(path: Path) -> str:
    h = hashlib.sha1(f"blob {path.stat().st_size}\0".encode(), usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def check_file(target: Path, f: RemoteFile, hashes: bool) -> str | None:
    """None if the local copy matches the listing; otherwise what is wrong."""
    local = target / f.path
    if not local.is_file():
        return f"{f.path}: missing"
    if local.stat().st_size != f.size:
        return f"{f.path}: {local.stat().st_size} bytes, the Hub lists {f.size}"
    if hashes and f.sha256 and sha256(local) != f.sha256:
        return f"{f.path}: sha256 differs from the Hub's"
    if hashes and f.git_sha1 and not f.sha256 and git_blob_sha1(local) != f.git_sha1:
        return f"{f.path}: git blob id differs from the Hub's"
    return None


def verify(target: Path, files: list[RemoteFile], hashes: bool, workers: int = 8) -> dict[str, str]:
    """Every listed file checked (in parallel: hashing ~690 GB is I/O- and CPU-bound); path -> problem."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda f: (f.path, check_file(target, f, hashes)), files)
    return {path: problem for path, problem in results if problem}


# --- retries -------------------------------------------------------------------------------------------------------


def is_retryable(error: HubError) -> bool:
    """Rate limits, server errors and dropped connections pass; 401/403/404 will not change by waiting."""
    return error.status is None or error.status in RETRYABLE_STATUS


def backoff(attempt: int, base: float = 10.0, cap: float = 600.0, retry_after: float | None = None) -> float:
    """Seconds before retry `attempt` (1-based): the Hub's Retry-After if given, else capped exponential + jitter."""
    if retry_after is not None:
        return min(retry_after, cap)
    jitter = 0.5 + random.random() / 2  # spreads retries of parallel downloads; not security-relevant
    return float(min(cap, base * 2 ** (attempt - 1)) * jitter)


def with_retries(call: Callable[[], object], attempts: int, sleep: Callable[[float], None], what: str) -> object:
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except HubError as e:
            if not is_retryable(e) or attempt == attempts:
                raise
            delay = backoff(attempt, retry_after=e.retry_after)
            log(f"{what} failed ({e}, HTTP {e.status}); retry {attempt}/{attempts - 1} in {delay:.0f}s")
            sleep(delay)
    raise AssertionError("unreachable")


# --- progress ------------------------------------------------------------------------------------------------------


def bytes_on_disk(target: Path) -> int:
    """Everything under the target, partial downloads (huggingface_hub's .incomplete files) included."""
    total = 0
    for root, _, names in os.walk(target):
        for name in names:
            with contextlib.suppress(OSError):  # a partial file renamed while walking
                total += (Path(root) / name).stat().st_size
    return total


def progress_line(done: int, total: int, elapsed: float) -> str:
    gib = 1024**3
    pct = 100.0 * done / total if total else 100.0
    rate = done / elapsed / 1024**2 if elapsed > 0 else 0.0
    return f"progress: {done / gib:.1f} / {total / gib:.1f} GiB ({pct:.1f}%), {rate:.0f} MiB/s"


class Progress(threading.Thread):
    """Logs bytes and percent every `interval` seconds until stopped."""

    def __init__(self, target: Path, total: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.target, self.total, self.interval = target, total, interval
        self.stopped = threading.Event()
        self.start_bytes = bytes_on_disk(target)

    def run(self) -> None:
        start = time.monotonic()
        while not self.stopped.wait(self.interval):
            done = bytes_on_disk(self.target)
            log(progress_line(done, self.total, time.monotonic() - start) + f" (resumed at {self.start_bytes} bytes)")

    def stop(self) -> None:
        self.stopped.set()


# --- the job -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    repo: str
    revision: str
    target: Path
    hashes: bool = True
    attempts: int = 8
    progress_seconds: float = 30.0

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Settings:
        return cls(
            repo=env["DSR1_REPO"],
            revision=env["DSR1_REVISION"],
            target=Path(env["DSR1_TARGET"]),
            hashes=env.get("DSR1_VERIFY_HASHES", "1") == "1",
            attempts=int(env.get("DSR1_ATTEMPTS", "8")),
            progress_seconds=float(env.get("DSR1_PROGRESS_SECONDS", "30")),
        )


def remove(target: Path, paths: Iterable[str]) -> None:
    for p in paths:
        (target / p).unlink(missing_ok=True)


def run(
    s: Settings,
    list_files: Callable[[], list[RemoteFile]],
    download: Callable[[], object],
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """0 when the revision is complete and verified (downloaded now or before); 1 when it could not be made so."""
    why = marker_status(s.target, s.repo, s.revision)
    if why is None:
        log(f"complete: {s.repo}@{s.revision} in {s.target} (valid marker); nothing to download")
        return 0
    log(f"downloading {s.repo}@{s.revision} into {s.target}: {why}")
    s.target.mkdir(parents=True, exist_ok=True)
    files: list[RemoteFile] = with_retries(list_files, s.attempts, sleep, "listing")  # type: ignore[assignment]
    total = sum(f.size for f in files)
    log(f"{len(files)} files, {total / 1024**3:.1f} GiB")
    for round_ in range(1, 3):
        progress = Progress(s.target, total, s.progress_seconds)
        progress.start()
        try:
            with_retries(download, s.attempts, sleep, "download")
        finally:
            progress.stop()
        log("verifying every file against the Hub's listing" + (" (sizes and hashes)" if s.hashes else " (sizes)"))
        bad = verify(s.target, files, s.hashes)
        if not bad:
            write_marker(s.target, s.repo, s.revision, files)
            log(f"complete: {s.repo}@{s.revision}, {total} bytes verified; marker written")
            return 0
        for problem in bad.values():
            log(f"verification: {problem}")
        remove(s.target, bad)
        log(f"round {round_}: removed {len(bad)} bad files; fetching them again")
    log("verification failed twice; giving up (the Job's backoffLimit may retry)")
    return 1


def main() -> int:  # pragma: no cover - needs huggingface_hub and the Hub; run() is what the tests cover
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    s = Settings.from_env(dict(os.environ))

    def hub(call: Callable[[], object]) -> object:
        try:
            return call()
        except HfHubHTTPError as e:
            status = e.response.status_code if e.response is not None else None
            after = e.response.headers.get("Retry-After") if e.response is not None else None
            raise HubError(str(e).splitlines()[0], status, float(after) if after and after.isdigit() else None) from e
        except OSError as e:
            raise HubError(str(e)) from e

    def list_files() -> list[RemoteFile]:
        info = hub(lambda: HfApi().model_info(s.repo, revision=s.revision, files_metadata=True))
        return [
            RemoteFile(
                path=f.rfilename,
                size=f.size or 0,
                sha256=f.lfs.sha256 if f.lfs else None,
                git_sha1=None if f.lfs else f.blob_id,
            )
            for f in info.siblings or []  # type: ignore[attr-defined]
        ]

    def download() -> object:
        return hub(lambda: snapshot_download(s.repo, revision=s.revision, local_dir=s.target, max_workers=8))

    return run(s, list_files, download)


if __name__ == "__main__":
    sys.exit(main())
