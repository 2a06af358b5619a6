"""Ask the Hugging Face Hub, before any GPU is rented, whether the download can succeed.

The revision must exist (a branch or tag is resolved to its commit here), the token must be able to read the
repository (gated models), and the checkpoint must fit the cache with headroom. A render without network skips
this with a notice; a real `pulumi preview`/`up` that cannot reach the Hub warns and goes on (the download Job will
retry), unless the revision still needs resolving.
"""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from config import catalog
from config.errors import Problem
from config.keys import key
from config.schema import StackConfig
from config.shape import CACHE_HEADROOM, gib

DEFAULT_ENDPOINT = "https://huggingface.co"
OFFLINE_ENV = "DSR1_OFFLINE"
"""Set by render.py: no network, no Hub."""
ATTEMPTS = 4
TIMEOUT_S = 15.0


@dataclass(frozen=True)
class HubRevision:
    sha: str
    total_bytes: int
    files: int


@dataclass(frozen=True)
class Preflight:
    problems: list[Problem]
    revision: str | None
    """The commit to pin (None when the Hub was not asked)."""
    notice: str | None = None


def endpoint() -> str:
    """HF_ENDPOINT, as huggingface_hub itself reads it (mirrors, and the tests' fake Hub)."""
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def _get(session: requests.Session, url: str, token: str, sleep: Callable[[float], None]) -> requests.Response:
    """GET with bounded retries on rate limits and server errors (Hub 429s kill large downloads: ai-on-eks#319)."""
    for attempt in range(1, ATTEMPTS + 1):
        response = session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)
        if response.status_code not in (429, 500, 502, 503, 504) or attempt == ATTEMPTS:
            return response
        after = response.headers.get("Retry-After", "")
        sleep(float(after) if after.isdigit() else 2.0**attempt)
    raise AssertionError("unreachable")


def fetch_revision(
    repo: str,
    revision: str,
    token: str,
    *,
    base: str,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> HubRevision | Problem:
    """The revision's commit and size, or the Problem the Hub's answer means. Raises requests' connection errors."""
    url = f"{base}/api/models/{repo}/revision/{revision}?blobs=true"
    response = _get(session or requests.Session(), url, token, sleep)
    status = response.status_code
    if status in (401, 403):
        return Problem(
            key("hfToken"),
            f"cannot read {repo} (HTTP {status}): the repository is gated or private for this token.",
            f"accept the model's terms on huggingface.co/{repo} with the token's account, or use a token with access.",
        )
    if status == 404:
        return Problem(
            key("model.revision"),
            f"{repo} has no revision {revision!r} (HTTP 404).",
            f"use a commit listed at huggingface.co/{repo}/commits.",
        )
    if status == 429:
        return Problem(
            key("model"),
            f"the Hub kept rate-limiting this token (HTTP 429 after {ATTEMPTS} tries).",
            "wait a few minutes and run again, or use a token with higher limits.",
        )
    if status != 200:
        return Problem(key("model"), f"the Hub answered HTTP {status} for {repo}@{revision}.", "run again later.")
    body: dict[str, Any] = response.json()
    siblings = body.get("siblings") or []
    return HubRevision(body["sha"], sum(int(s.get("size") or 0) for s in siblings), len(siblings))


def run(cfg: StackConfig, token: str, sleep: Callable[[float], None] = time.sleep) -> Preflight:
    """Check the model against the Hub; resolve a branch to its commit; check the cache's size against it."""
    spec = cfg.model
    model = catalog.MODELS[spec.key]
    if os.environ.get(OFFLINE_ENV) == "1":
        notice = "Hub preflight skipped (offline render)"
        if not spec.pinned:
            notice += f"; revision {spec.revision!r} is a name, resolved to a commit by `pulumi preview`"
        return Preflight([], None, notice)
    try:
        found = fetch_revision(model.hf_id, spec.revision, token, base=endpoint(), sleep=sleep)
    except requests.RequestException as e:
        if spec.pinned:
            return Preflight([], None, f"Hub preflight skipped: the Hub is unreachable ({type(e).__name__})")
        problem = Problem(
            key("model.revision"),
            f"{spec.revision!r} must be resolved to a commit, but the Hub is unreachable ({type(e).__name__}).",
            "pin a 40-hex commit, or run where huggingface.co is reachable.",
        )
        return Preflight([problem], None)
    if isinstance(found, Problem):
        return Preflight([found], None)
    problems = []
    need = found.total_bytes * CACHE_HEADROOM
    size = cfg.model_cache.size_gib  # unset: sized from the checkpoint (FSx) or elastic (EFS)
    if size is not None and cfg.model_cache.storage != "efs" and size * catalog.GIB < need:
        problems.append(
            Problem(
                key("modelCache.sizeGib"),
                f"{model.hf_id}@{found.sha[:10]} is {gib(found.total_bytes)} on the Hub ({found.files} files); with "
                f"10% headroom it needs {gib(need)}, more than {cfg.model_cache.size_gib} GiB.",
                f"set modelCache.sizeGib to at least {int(need / catalog.GIB) + 1}.",
            )
        )
    return Preflight(problems, found.sha)
