"""One file as ranged parts: their resumable progress on disk, and the file's hash computed in order.

A file is split into parts of `part_bytes`; each part is fetched on its own connection and written at its offset
into one partial file, `.dsr1-partial/<path>.part`. Progress per part is kept in `<path>.part.json` (written before
the first byte and at checkpoints), so a new pod resumes each part from the byte recorded. The listing gives one
sha256 per file and none per part, so each part is checked three ways: its answer's Content-Range and exact length
as it arrives; a CRC-32 of the bytes as they arrived (kept in the record, so it survives a new pod), compared with
the bytes read back from the cache, so a part the cache stored wrong is fetched again alone; and the file's hash.
The part at the head of the file is read back as soon as it is complete (bytes just written, still in the page
cache), so the hash keeps pace with the download instead of re-reading the file at the end. A partial
file without its progress record is taken as a sequential prefix (the layout a single connection leaves).
"""

import json
import os
import threading
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import PermanentError, TransientError, log
from .ledger import PARTIAL_DIR, Journal, feed, new_hasher
from .listing import RemoteFile
from .safe_fs import open_nofollow, real_dir, regular_size, unlink_below

CHECKPOINT_BYTES = 128 * 1024**2
"""Progress is made durable (fdatasync, then the record) at least this often per part."""


def plan(size: int, part_bytes: int) -> list[tuple[int, int]]:
    """[start, end) of each part; one part for a file up to 1.5 parts long (no tiny tail); none for an empty file."""
    bounds, start = [], 0
    while start < size:
        end = size if size - start < part_bytes * 3 // 2 else start + part_bytes
        bounds.append((start, end))
        start = end
    return bounds


class FileJob:
    """The parts of one file, their progress, and the file's hash as its head grows."""

    def __init__(self, f: RemoteFile, target: Path, part_bytes: int, journal: Journal, strikes_allowed: int) -> None:
        self.f, self.target, self.journal = f, target, journal
        self.part_bytes, self.strikes_allowed = part_bytes, strikes_allowed
        rel = PurePosixPath(PARTIAL_DIR) / f.path
        self.rel_part, self.rel_state = f"{rel}.part", f"{rel}.part.json"
        self.bounds = plan(f.size, part_bytes)
        self.done = [0] * len(self.bounds)
        """Bytes written per part (what the hash may read once a part is complete)."""
        self.durable = [0] * len(self.bounds)
        """Bytes per part made durable and recorded: what a new pod resumes from."""
        self.crc: list[int | None] = [0] * len(self.bounds)
        """CRC-32 of each part's bytes as they arrived (None: unknown, for a prefix left without a record)."""
        self.durable_crc: list[int | None] = [0] * len(self.bounds)
        self.lock = threading.Lock()
        self.hasher: Any = new_hasher(f)
        self.hashed = 0
        """Parts fed to the hasher, from the head of the file."""
        self.hashing = False
        self.strikes = 0
        self.finished = False

    @property
    def part_path(self) -> Path:
        return self.target / self.rel_part

    def label(self, i: int) -> str:
        return self.f.path if len(self.bounds) == 1 else f"{self.f.path} part {i + 1}/{len(self.bounds)}"

    # --- progress on disk ---------------------------------------------------------------------------------------

    def prepare(self) -> list[int]:
        """Load or start the partial file and its record; the indexes of the parts still to fetch."""
        real_dir(self.target, PurePosixPath(self.rel_part).parent)
        recorded = regular_size(self.target / self.rel_state) is not None
        record = self._read_record() if recorded else None
        have = regular_size(self.part_path)
        if record is not None and have is not None and have <= self.f.size:
            pairs = zip(record["done"], self.bounds, strict=True)
            self.done = [min(max(d, 0), e - s, max(have - s, 0)) for d, (s, e) in pairs]
            self.strikes = record["strikes"]
            crcs = record["crc"]
            self.crc = [c if d == r else None for c, d, r in zip(crcs, self.done, record["done"], strict=True)]
        elif not recorded and have is not None and have <= self.f.size:  # no record: a sequential prefix
            self.done = [min(max(have - s, 0), e - s) for s, e in self.bounds]
            self.crc = [None if d else 0 for d in self.done]
        else:  # a record for other part sizes or another file, or unreadable: nothing of it is trusted
            self._start_over()
        self.durable, self.durable_crc = list(self.done), list(self.crc)
        if regular_size(self.part_path) is None:
            os.close(open_nofollow(self.part_path, os.O_WRONLY | os.O_CREAT))
        self.record()
        return [i for i, (s, e) in enumerate(self.bounds) if self.done[i] < e - s]

    def _read_record(self) -> dict[str, Any] | None:
        path = self.target / self.rel_state
        if regular_size(path) is None:
            return None
        try:
            with os.fdopen(open_nofollow(path, os.O_RDONLY)) as fh:
                record = json.load(fh)
            same = (record["size"], record["partBytes"], record["digest"]) == (
                self.f.size,
                self.part_bytes,
                self.f.digest,
            )
            done, strikes = record["done"], record.get("strikes", 0)
            crc = record.get("crc", [None] * len(done))
            whole = all(type(d) is int for d in [*done, strikes]) and all(c is None or type(c) is int for c in crc)
            if not same or not whole or len(done) != len(self.bounds) or len(crc) != len(done):
                return None
            return {"done": done, "strikes": strikes, "crc": crc}
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def record(self) -> None:
        """Write the progress record atomically (after the bytes it counts were made durable)."""
        body = {
            "size": self.f.size,
            "partBytes": self.part_bytes,
            "digest": self.f.digest,
            "done": list(self.durable),
            "crc": list(self.durable_crc),
            "strikes": self.strikes,
        }
        tmp = self.target / f"{self.rel_state}.tmp"
        with self.lock:
            if self.finished:  # a late checkpoint of a part the finishing worker already hashed
                return
            with os.fdopen(open_nofollow(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "w") as fh:
                json.dump(body, fh)
            os.replace(tmp, self.target / self.rel_state)

    def checkpoint(self, i: int, fd: int) -> None:
        """Part i's bytes so far made durable, then recorded (a record never counts bytes a crash could lose)."""
        os.fdatasync(fd)
        self.durable[i], self.durable_crc[i] = self.done[i], self.crc[i]
        self.record()

    def _start_over(self) -> None:
        unlink_below(self.target, self.rel_part)
        self.done = [0] * len(self.bounds)
        self.durable = [0] * len(self.bounds)
        self.crc, self.durable_crc = [0] * len(self.bounds), [0] * len(self.bounds)
        self.hasher, self.hashed = new_hasher(self.f), 0

    def restart_part(self, i: int) -> int:
        """Forget part i's bytes (the hash has not read them: it only reads complete parts); how many were dropped."""
        with self.lock:
            dropped, self.done[i], self.durable[i] = self.done[i], 0, 0
            self.crc[i] = self.durable_crc[i] = 0
        return dropped

    def arrived(self, i: int, chunk: bytes) -> None:
        """Part i's next bytes, written: its count and its CRC-32 as they arrived."""
        crc = self.crc[i]
        self.crc[i] = None if crc is None else zlib.crc32(chunk, crc)
        self.done[i] += len(chunk)

    # --- the hash, in order -------------------------------------------------------------------------------------

    def part_complete(self, i: int, fd: int, requeue: Callable[[list[int]], None]) -> None:
        self.checkpoint(i, fd)
        self.advance_hash(requeue)

    def advance_hash(self, requeue: Callable[[list[int]], None]) -> None:
        """Feed the hasher every complete part at the head of the file; the worker that feeds the last finishes.

        One worker hashes a file at a time; the flag is cleared under the same lock that saw the next part
        incomplete, so a part completed meanwhile is picked up by its own worker's call."""
        with self.lock:
            if self.hashing or self.finished:
                return
            self.hashing = True
        try:
            while True:
                with self.lock:
                    k = self.hashed
                    if k == len(self.bounds):
                        break
                    start, end = self.bounds[k]
                    if self.done[k] < end - start:
                        self.hashing = False
                        return
                before = self.hasher.copy()
                read_back = feed(self.hasher, self.part_path, start, end - start)
                if self.crc[k] is not None and read_back != self.crc[k]:
                    self.hasher = before
                    self._refetch_part(k, requeue)
                    return
                with self.lock:
                    self.hashed += 1
            self._finish(requeue)
        except BaseException:
            with self.lock:
                self.hashing = False
            raise

    def _refetch_part(self, k: int, requeue: Callable[[list[int]], None]) -> None:
        """Part k reads back other than it arrived (the cache stored it wrong): fetch that part alone again."""
        self.strikes += 1
        if self.strikes >= self.strikes_allowed:
            raise PermanentError(
                f"{self.label(k)}: the cache returns other bytes than were written, {self.strikes} times; the partial "
                "file is kept. Fix: check the cache volume (its file system's health and mount)"
            )
        log(f"{self.label(k)}: reads back from the cache other than it arrived; fetching the part again")
        self.restart_part(k)
        self.record()
        with self.lock:
            self.hashing = False
        requeue([k])

    def _finish(self, requeue: Callable[[list[int]], None]) -> None:
        if self.hasher.hexdigest() == self.f.digest:
            final = real_dir(self.target, PurePosixPath(self.f.path).parent) / PurePosixPath(self.f.path).name
            with self.lock:
                self.finished = True
            os.replace(self.part_path, final)
            unlink_below(self.target, self.rel_state)
            self.journal.add(self.f)
            with self.lock:
                self.hashing = False
            return
        self.strikes += 1
        if self.strikes >= self.strikes_allowed:
            raise PermanentError(
                f"{self.f.path}: the hash differs from the listing's {self.strikes} times in a row; the partial file "
                "is kept. Fix: check HF_ENDPOINT (a mirror or proxy changing bytes) and that the listing is the "
                "revision's"
            )
        log(
            f"{self.f.path}: hash differs from the listing's (strike {self.strikes}/{self.strikes_allowed}); "
            "fetching the file again"
        )
        self._start_over()
        os.close(open_nofollow(self.part_path, os.O_WRONLY | os.O_CREAT))
        self.record()
        with self.lock:
            self.hashing = False
        requeue(list(range(len(self.bounds))))

    def strike(self, error: TransientError) -> None:
        """Wrong content in an answer (a Content-Range that differs): permanent after `strikes_allowed`."""
        with self.lock:
            self.strikes += 1
            strikes = self.strikes
        if strikes >= self.strikes_allowed:
            raise PermanentError(
                f"{self.f.path}: wrong content {strikes} times in a row ({error}). Fix: check HF_ENDPOINT (a mirror "
                "or proxy answering other bytes) and that the listing is the revision's"
            )
