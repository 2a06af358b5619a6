"""What is known verified: each file's hash, the journal of files verified so far, and the completion marker.

Layout under the revision directory: the files themselves, `.dsr1-partial/` (partial files, their part progress and
the journal) and `.dsr1-complete.json`, the marker written last, recording every file's size and hash.
"""

import hashlib
import json
import os
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .errors import log
from .listing import RemoteFile
from .safe_fs import open_nofollow, real_dir, regular_size

MARKER = ".dsr1-complete.json"
PARTIAL_DIR = ".dsr1-partial"
JOURNAL = "verified.jsonl"
READ_CHUNK = 8 * 1024 * 1024


def new_hasher(f: RemoteFile) -> Any:
    """sha256 for LFS files, the git blob id (sha1 over a header and the bytes) for files in git."""
    if f.sha256:
        return hashlib.sha256()
    h = hashlib.sha1(usedforsecurity=False)
    h.update(f"blob {f.size}\0".encode())
    return h


def feed(h: Any, path: Path, start: int, length: int) -> int:
    """Update `h` with `length` bytes of `path` from `start` (a file shorter than that is an OSError); their CRC-32."""
    fd = open_nofollow(path, os.O_RDONLY)
    crc = 0
    try:
        while length > 0:
            chunk = os.pread(fd, min(READ_CHUNK, length), start)
            if not chunk:
                raise OSError(f"{path} ended {length} bytes early")
            h.update(chunk)
            crc = zlib.crc32(chunk, crc)
            start += len(chunk)
            length -= len(chunk)
    finally:
        os.close(fd)
    return crc


def file_problem(target: Path, f: RemoteFile, hashes: bool) -> str | None:
    """None if the local copy is a regular file matching the listing; otherwise what is wrong."""
    size = regular_size(target / f.path)
    if size is None:
        return f"{f.path}: missing (or not a regular file)"
    if size != f.size:
        return f"{f.path}: {size} bytes, listed {f.size}"
    if hashes:
        h = new_hasher(f)
        feed(h, target / f.path, 0, size)
        if h.hexdigest() != f.digest:
            return f"{f.path}: hash differs from the listing's"
    return None


def read_marker(target: Path, repo: str, revision: str) -> tuple[list[RemoteFile] | None, str]:
    """The marked files when `target` carries a marker for repo@revision; otherwise None and why not."""
    if regular_size(target / MARKER) is None:
        return None, "no completion marker"
    try:
        fd = open_nofollow(target / MARKER, os.O_RDONLY)
        with os.fdopen(fd) as fh:
            marker = json.load(fh)
        files = [RemoteFile(**f) for f in marker["files"]]
        if not all(isinstance(f.path, str) and isinstance(f.size, int) for f in files):
            raise ValueError("a file entry without path or size")
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
    tmp = real_dir(target) / f"{MARKER}.tmp"
    fd = open_nofollow(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "w") as fh:
        json.dump(body, fh, indent=1)
    os.replace(tmp, target / MARKER)


class Journal:
    """Files verified and moved into place by this or an earlier pod, so a resumed run need not hash them again.

    An entry is a claim, re-checked when read: the file must be a regular file of the listed size, and with
    DSR1_VERIFY=hashes its hash is computed again whatever the journal says."""

    def __init__(self, target: Path) -> None:
        self.path = real_dir(target, PARTIAL_DIR) / JOURNAL
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[int, str]] = {}
        if regular_size(self.path) is None:
            return
        with os.fdopen(open_nofollow(self.path, os.O_RDONLY), errors="replace") as fh:
            for line in fh:
                try:
                    e = json.loads(line)
                    self.entries[e["path"]] = (e["size"], e["digest"])
                except (ValueError, KeyError, TypeError):
                    continue

    def claims(self, f: RemoteFile) -> bool:
        return self.entries.get(f.path) == (f.size, f.digest)

    def add(self, f: RemoteFile) -> None:
        line = json.dumps({"path": f.path, "size": f.size, "digest": f.digest}) + "\n"
        with self.lock:
            fd = open_nofollow(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            with os.fdopen(fd, "a") as fh:
                fh.write(line)
            self.entries[f.path] = (f.size, f.digest)


def already_there(target: Path, f: RemoteFile, journal: Journal, hashes: bool) -> bool:
    """True when the file is in place and verified; a wrong copy stays until its verified replacement moves in."""
    size = regular_size(target / f.path)
    if size is None:
        return False
    if size == f.size and journal.claims(f) and not hashes:
        return True
    if size == f.size and file_problem(target, f, hashes=True) is None:
        if not journal.claims(f):
            journal.add(f)  # left by an earlier downloader: hashed once here
        return True
    log(f"{f.path}: the copy in place does not match the listing; fetching it again (replaced when verified)")
    return False
