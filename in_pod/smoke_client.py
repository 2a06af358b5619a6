"""The endpoint check, standard library only: it runs inside the smoke-test Job's pod (shipped as a ConfigMap) and
its checks are the ones `smoke.py` uses by hand.

    python smoke_client.py --url http://<graph>-frontend.<ns>.svc.cluster.local:8000 --model NAME

Lists the models (the served name must be there), then sends one short chat completion (the answer must be
non-empty text). Exit status 0 when both hold; 1 otherwise, with one FAIL line saying what was wrong, whatever the
server answered (null message, numeric content, odd usage, not JSON, too large); 2 for bad flags. `--timeout` bounds
each whole request, however slowly the server trickles its answer, and `--max-answer-bytes` its size: the Job runs in a
256Mi container, so an answer is read in chunks up to that bound and never held whole past it. Never a traceback.
"""

import argparse
import json
import math
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

PROMPT = "Reply with one word: what colour is a clear daytime sky?"
MAX_TOKENS = 64
"""Short, but R1 thinks aloud first: enough tokens for some content to come back."""
USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")
MAX_ANSWER_BYTES = 1024**2
"""A model list or a 64-token answer is a few KB; 1 MiB is far above that and far below the Job's 256Mi limit."""
READ_CHUNK = 64 * 1024
T = TypeVar("T")


class EndpointError(Exception):
    """The endpoint did not answer correctly (wrong model, empty or malformed answer, no answer in time)."""


class DeadlineError(EndpointError):
    """A request took longer than its timeout as a whole (worth retrying: the server may be busy)."""


class OversizeError(EndpointError):
    """An answer larger than the bound: not what an OpenAI endpoint sends for these requests (not retried)."""


# --- the checks (shared with smoke.py) -------------------------------------------------------------------------------


def chat_request(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": MAX_TOKENS,
        "temperature": 0.0,
        "stream": False,
    }


def parse_json(raw: bytes, where: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError
        raise EndpointError(f"{where}: the answer is not JSON ({raw[:80]!r})") from None


def _shape(value: Any) -> str:
    return f"{type(value).__name__} {json.dumps(value)[:60]}" if value is not None else "null"


def served_ids(body: Any) -> list[str]:
    """The ids of an OpenAI model list; raises unless the body is one."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in data):
        raise EndpointError(f"/v1/models: not an OpenAI model list ({{data: [{{id: ...}}]}}), got {_shape(body)}")
    return [m["id"] for m in data]


def check_models(body: Any, model: str) -> list[str]:
    """The ids of the served models; raises unless `model` is one of them."""
    ids = served_ids(body)
    if model not in ids:
        raise EndpointError(f"/v1/models: {model!r} is not served; served: {ids or 'none'}")
    return ids


def _text(message: dict[str, Any], field: str) -> str:
    value = message.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EndpointError(f"/v1/chat/completions: message.{field} is {_shape(value)}, not text")
    return value.strip()


def usage_counts(usage: Any) -> dict[str, int]:
    """The token counts that are whole non-negative numbers; anything else in `usage` is ignored."""
    if not isinstance(usage, dict):
        return {}
    return {k: v for k in USAGE_KEYS if isinstance(v := usage.get(k), int) and not isinstance(v, bool) and v >= 0}


def check_chat(body: Any, model: str) -> tuple[str, dict[str, int]]:
    """The answer's text (content, else reasoning content) and token counts; raises on any other shape."""
    where = "/v1/chat/completions"
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise EndpointError(f"{where}: no choices[0] in {_shape(body)}")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise EndpointError(f"{where}: choices[0].message is {_shape(message)}, not an object")
    answered_by = body.get("model")
    if answered_by is not None and answered_by != model:
        raise EndpointError(f"{where}: answered by {answered_by!r}, not {model!r}")
    text = _text(message, "content") or _text(message, "reasoning_content")
    if not text:
        raise EndpointError(f"{where}: empty answer")
    return text, usage_counts(body.get("usage"))


def within(timeout: float, call: Callable[[], T], what: str) -> T:
    """`call()` bounded as a whole: a server trickling bytes cannot stretch it past `timeout` seconds."""
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(call())
        except BaseException as e:  # handed to the caller's thread
            error.append(e)

    worker = threading.Thread(target=target, daemon=True)  # abandoned on timeout; its socket times out too
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise DeadlineError(f"{what}: timed out after {timeout:g}s")
    if error:
        raise error[0]
    return result[0]


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def seconds(minimum: float, strict: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"{text} must be {'greater than' if strict else 'at least'} {minimum:g}")
        return value

    return parse


# --- the Job's client ----------------------------------------------------------------------------------------------


def read_bounded(response: Any, limit: int, where: str) -> bytes:
    """The body, read in chunks; OversizeError as soon as it (or its announced length) passes `limit` bytes."""
    announced = response.headers.get("Content-Length")
    if announced and announced.strip().isdigit() and int(announced) > limit:
        raise OversizeError(f"{where}: the answer announces {int(announced)} bytes, more than the {limit} allowed")
    body = bytearray()
    while chunk := response.read(READ_CHUNK):
        body += chunk
        if len(body) > limit:
            raise OversizeError(f"{where}: the answer passed {limit} bytes (the bound); stopped reading")
    return bytes(body)


def _call(url: str, payload: dict[str, Any] | None, timeout: float, limit: int = MAX_ANSWER_BYTES) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})

    def fetch() -> bytes:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return read_bounded(response, limit, url)

    return parse_json(within(timeout, fetch, url), url)


def run(url: str, model: str, attempts: int, timeout: float, backoff: float, limit: int = MAX_ANSWER_BYTES) -> str:
    """Both checks, retrying any failure but an oversize answer (the frontend may still be registering workers)."""
    base = url.rstrip("/").removesuffix("/v1")
    for attempt in range(1, attempts + 1):
        try:
            check_models(_call(f"{base}/v1/models", None, timeout, limit), model)
            text, _ = check_chat(_call(f"{base}/v1/chat/completions", chat_request(model), timeout, limit), model)
            return text
        except OversizeError:
            raise
        except (OSError, ValueError, EndpointError) as e:  # URLError, HTTPError and socket timeouts are OSError
            if attempt == attempts:
                raise EndpointError(f"{e} (after {attempts} attempts)") from None
            print(f"attempt {attempt}/{attempts}: {e}; retrying in {backoff * attempt:.0f}s", flush=True)
            time.sleep(backoff * attempt)
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check an OpenAI-compatible endpoint serves a model and answers.")
    parser.add_argument("--url", required=True, help="base URL of the endpoint (with or without /v1)")
    parser.add_argument("--model", required=True, help="the served model name that must be listed")
    parser.add_argument("--attempts", type=positive_int, default=10, help="tries before failing (>= 1)")
    parser.add_argument("--timeout", type=seconds(0, strict=True), default=300.0, help="seconds per whole request")
    parser.add_argument("--backoff", type=seconds(0, strict=False), default=15.0, help="seconds; grows linearly")
    parser.add_argument(
        "--max-answer-bytes", type=positive_int, default=MAX_ANSWER_BYTES, help="largest answer read (bytes)"
    )
    args = parser.parse_args(argv)
    try:
        text = run(args.url, args.model, args.attempts, args.timeout, args.backoff, args.max_answer_bytes)
    except EndpointError as e:
        print(f"FAIL {e}", flush=True)
        return 1
    except Exception as e:  # whatever else: still one line, never a traceback
        print(f"FAIL unexpected {type(e).__name__}: {e}", flush=True)
        return 1
    print(f"OK {args.model} answered: {text[:200]!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
