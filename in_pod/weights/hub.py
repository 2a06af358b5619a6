"""The Hub over plain HTTP: the revision's listing and ranged reads of its files.

Plain HTTP on the `resolve` URL, as huggingface_hub itself falls back to when hf_xet is absent (file_download.py
`_download_to_tmp_and_move`), through huggingface_hub's shared httpx session (its headers, its token from
HF_TOKEN_PATH, its redirects; httpx drops the Authorization header on a redirect to another host). Every byte passes
through this process, so it is hashed and can be resumed with Range. Every 206 is checked against its Content-Range
before a byte of it is written: a server answering another range, or for a file of another size, is a fault.
"""

import contextlib
import email.utils
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from .errors import PermanentError, TransientError
from .listing import RemoteFile, parse_listing
from .retry import RateFloor
from .settings import Settings

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_LISTING_BYTES = 64 * 1024**2
"""DeepSeek-R1's listing is ~40 KB; a bigger answer is not a listing, and reading it all could exhaust the pod."""
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


@dataclass
class Body:
    """An open answer: the offset its first byte has in the file (0 when the server ignored the Range)."""

    start: int
    chunks: Iterator[bytes]


class Hub(Protocol):
    def list_files(self) -> list[RemoteFile]: ...

    def open(self, f: RemoteFile, start: int, end: int) -> contextlib.AbstractContextManager[Body]:
        """Bytes start..end (inclusive) of `f`."""
        ...


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


def range_header(f: RemoteFile, start: int, end: int) -> str | None:
    """None for the whole file; an open range for a file's tail (what a resumed single transfer asks)."""
    if start == 0 and end == f.size - 1:
        return None
    return f"bytes={start}-" if end == f.size - 1 else f"bytes={start}-{end}"


def body_start(f: RemoteFile, status: int, content_range: str | None, start: int, end: int) -> int:
    """Where the answer's body starts in the file; TransientError (a strike) if a 206 answers another range."""
    if status == 200:
        return 0
    m = CONTENT_RANGE.fullmatch((content_range or "").strip())
    if not m or (int(m[1]), int(m[2]), int(m[3])) != (start, end, f.size):
        raise TransientError(
            f"HTTP 206 with Content-Range {content_range!r:.80}, asked bytes {start}-{end}/{f.size}; nothing of it "
            "was written",
            strike=True,
        )
    return start


def status_error(status: int, retry_after: float | None, what: str, s: Settings, code: str | None) -> Exception:
    """A Hub answer other than 200/206 as TransientError or PermanentError, with the fix for the permanent ones."""
    if status in RETRYABLE_STATUS or 500 <= status < 600:
        return TransientError(f"HTTP {status} for {what}", retry_after)
    if status == 416:
        return TransientError(f"HTTP 416 (range not satisfiable) for {what}; restarting the part", restart=True)
    if status == 404 and code == "RevisionNotFound":
        return PermanentError(
            f"revision {s.revision} not found in {s.repo}. Fix: set model.revision to a commit of the repository"
        )
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
    """The real Hub (endpoint from HF_ENDPOINT) through huggingface_hub's session."""

    def __init__(self, s: Settings) -> None:
        import httpx
        from huggingface_hub import get_session

        self.s = s
        self.endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
        self.timeout = httpx.Timeout(s.read_timeout, connect=min(s.read_timeout, 30.0))
        self.session = get_session()

    def headers(self) -> dict[str, str]:
        from huggingface_hub.utils._headers import build_hf_headers  # its public alias is untyped for mypy

        return {**build_hf_headers(), "Accept-Encoding": "identity"}

    @contextlib.contextmanager
    def translated(self) -> Iterator[None]:
        """httpx's exceptions (resets, timeouts, truncated bodies, redirect loops) as TransientError."""
        import httpx

        try:
            yield
        except httpx.HTTPError as e:
            raise TransientError(f"{type(e).__name__}: {e or 'connection failed'}") from None

    def list_files(self) -> list[RemoteFile]:
        what = f"the listing of {self.s.repo}@{self.s.revision}"
        url = f"{self.endpoint}/api/models/{self.s.repo}/revision/{quote(self.s.revision, safe='')}"
        with (
            self.translated(),
            self.session.stream(
                "GET", url, params={"blobs": "true"}, headers=self.headers(), timeout=self.timeout
            ) as r,
        ):
            if r.status_code != 200:
                retry_after = parse_retry_after(r.headers.get("Retry-After"))
                raise status_error(r.status_code, retry_after, what, self.s, r.headers.get("X-Error-Code"))
            raw, floor = bytearray(), RateFloor(self.s)
            for chunk in r.iter_bytes():
                floor.received(len(chunk))  # a listing that drips is dropped and asked again, like a file
                raw += chunk
                if len(raw) > MAX_LISTING_BYTES:
                    raise PermanentError(
                        f"{what} is larger than {MAX_LISTING_BYTES // 1024**2} MiB, so it is not a listing. Fix: "
                        "check HF_ENDPOINT"
                    )
        try:
            body: Any = json.loads(raw)
        except ValueError:  # a proxy's error page with status 200: worth another try
            raise TransientError(f"{what} is not JSON ({bytes(raw[:60])!r})") from None
        return parse_listing(body, self.s.repo, self.s.revision)

    @contextlib.contextmanager
    def open(self, f: RemoteFile, start: int, end: int) -> Iterator[Body]:
        from huggingface_hub import hf_hub_url

        url = hf_hub_url(self.s.repo, f.path, revision=self.s.revision, endpoint=self.endpoint)
        headers = self.headers()
        if wanted := range_header(f, start, end):
            headers["Range"] = wanted
        with self.translated(), self.session.stream("GET", url, headers=headers, timeout=self.timeout) as r:
            if r.status_code not in (200, 206):
                retry_after = parse_retry_after(r.headers.get("Retry-After"))
                raise status_error(r.status_code, retry_after, f.path, self.s, r.headers.get("X-Error-Code"))
            first = body_start(f, r.status_code, r.headers.get("Content-Range"), start, end)
            yield Body(first, r.iter_bytes())  # as it arrives: a fault loses nothing already written
