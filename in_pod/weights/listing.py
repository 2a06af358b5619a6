"""The revision's file list as the Hub's model API returns it, parsed strictly.

Whatever a mirror, a proxy or a broken Hub answers, the result is either a list of files that are safe to write
(plain relative paths, each with a size and a hash, at least one weight file among them) or a PermanentError in one
line: a listing the downloader cannot trust is never retried into a traceback, and never ends in a completion marker.
"""

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from .errors import PermanentError

RESERVED_PREFIX = ".dsr1-"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth")
"""A listing naming none of these holds no weights: serving it would start engines with nothing to load."""
MAX_HTTP_FILE = 50 * 1000**3
"""The Hub serves files up to 50 GB over plain HTTP (huggingface_hub constants.MAX_HTTP_DOWNLOAD_SIZE)."""
SHA256 = re.compile(r"[0-9a-f]{64}")
SHA1 = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class RemoteFile:
    """One file of the revision as the Hub lists it."""

    path: str
    size: int
    sha256: str | None = None
    """sha256 of an LFS file (the weights)."""
    git_sha1: str | None = None
    """git blob id of a small file stored in git (the listing gives one of the two for every file)."""

    @property
    def digest(self) -> str:
        return self.sha256 or self.git_sha1 or ""


def _shown(value: Any) -> str:
    return repr(value)[:80]


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def parse_entry(entry: Any, index: int) -> RemoteFile | str:
    """One `siblings` entry as a RemoteFile, or why it is malformed."""
    if not isinstance(entry, dict):
        return f"entry {index} is {_shown(entry)}, not an object"
    path = entry.get("rfilename")
    if not isinstance(path, str):
        return f"entry {index} has rfilename {_shown(path)}, not text"
    lfs = entry.get("lfs")
    if lfs is not None:
        if not isinstance(lfs, dict):
            return f"{_shown(path)} has lfs {_shown(lfs)}, not an object"
        size, sha256 = _size(lfs.get("size")), lfs.get("sha256")
        if size is None or not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
            return f"{_shown(path)} has no whole LFS size and sha256 ({_shown(lfs)})"
        return RemoteFile(path, size, sha256=sha256)
    size, blob = _size(entry.get("size")), entry.get("blobId")
    if size is None or not isinstance(blob, str) or not SHA1.fullmatch(blob):
        return f"{_shown(path)} has no whole size and blobId ({_shown(entry.get('size'))}, {_shown(blob)})"
    return RemoteFile(path, size, git_sha1=blob)


def parse_listing(body: Any, repo: str, revision: str) -> list[RemoteFile]:
    """The files of `body` (the model API's JSON with blobs=True); PermanentError if it is not a usable listing."""

    def bad(why: str) -> PermanentError:
        return PermanentError(
            f"the listing of {repo}@{revision} is malformed: {why}; nothing was written. Fix: check HF_ENDPOINT "
            "(a mirror or proxy answering for the Hub) and model.revision"
        )

    if not isinstance(body, dict):
        raise bad(f"the answer is {_shown(body)}, not an object")
    sha = body.get("sha")
    if SHA1.fullmatch(revision) and sha != revision:
        raise bad(f"it is for commit {_shown(sha)}")
    siblings = body.get("siblings")
    if siblings is not None and not isinstance(siblings, list):
        raise bad(f"siblings is {_shown(siblings)}, not a list")
    files: list[RemoteFile] = []
    for index, entry in enumerate(siblings or []):
        parsed = parse_entry(entry, index)
        if isinstance(parsed, str):
            raise bad(parsed)
        files.append(parsed)
    check_listing(files, repo, revision)
    return files


def unsafe_path(path: str) -> str | None:
    """None when `path` is a plain relative path below the revision directory; otherwise why not."""
    parts = path.split("/")
    if not path or "\\" in path or PurePosixPath(path).is_absolute():
        return "is empty, absolute or contains a backslash"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return "contains a control character (NUL, a newline)"
    if len(path.encode()) > 1024 or any(len(p.encode()) > 255 for p in parts):
        return "is longer than a file system takes"
    if any(p in ("", ".", "..") for p in parts):
        return "has an empty, '.' or '..' segment"
    if parts[0].startswith(RESERVED_PREFIX):
        return f"uses the downloader's reserved prefix {RESERVED_PREFIX}"
    return None


def check_listing(files: list[RemoteFile], repo: str, revision: str) -> None:
    """Refuse the whole listing if one entry could touch anything outside the revision, or if it holds no weights."""
    seen: set[str] = set()
    for f in files:
        why = unsafe_path(f.path)
        if why:
            raise PermanentError(
                f"the listing names {_shown(f.path)}, which {why}; nothing was written. Fix: check HF_ENDPOINT "
                "(a mirror serving this listing is broken or hostile) and the repository"
            )
        if f.path in seen or any(s.startswith(f"{f.path}/") or f.path.startswith(f"{s}/") for s in seen):
            raise PermanentError(
                f"the listing names {_shown(f.path)} twice or as file and folder. Fix: check HF_ENDPOINT"
            )
        if f.size > MAX_HTTP_FILE:
            raise PermanentError(
                f"{f.path} is {f.size / 1000**3:.0f} GB; the Hub serves at most 50 GB per file over HTTP. Fix: a "
                "checkpoint with smaller shards (this downloader does not speak Xet)"
            )
        seen.add(f.path)
    if not any(f.path.endswith(WEIGHT_SUFFIXES) for f in files):
        raise PermanentError(
            f"the listing of {repo}@{revision} names {len(files)} files and no weights "
            f"({', '.join(WEIGHT_SUFFIXES)}); no completion marker written. Fix: set model.revision to a commit that "
            "holds the checkpoint, and check HF_ENDPOINT"
        )
