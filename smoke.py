"""Check a running endpoint by hand, after a port-forward (the stack exports both commands as `smokeCommands`):

    kubectl -n dynamo port-forward svc/<graph>-frontend 8000:8000 &
    python smoke.py --url http://localhost:8000 [--model deepseek-ai/DeepSeek-R1]

Lists the models, sends one short chat completion, and reports model, latency and tokens. Retries connection
errors and 5xx answers with a growing backoff. Exit status 0 when the endpoint answered correctly; 1 otherwise with
one FAIL line, whatever the answer's shape; 2 for bad flags. `--timeout` bounds each whole request.
The checks, the deadline and the flag rules are the smoke-test Job's (in_pod/smoke_client.py); this adds
`requests`, retries and a report.
"""

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any

import requests

from in_pod.smoke_client import (
    MAX_ANSWER_BYTES,
    DeadlineError,
    EndpointError,
    chat_request,
    check_chat,
    check_models,
    parse_json,
    positive_int,
    read_bounded,
    seconds,
    served_ids,
    within,
)


@dataclass(frozen=True)
class Report:
    model: str
    served: list[str]
    answer: str
    models_latency_s: float
    chat_latency_s: float
    prompt_tokens: int | None
    completion_tokens: int | None

    def lines(self) -> list[str]:
        rate = (
            f"{self.completion_tokens / self.chat_latency_s:.1f} tokens/s"
            if self.completion_tokens and self.chat_latency_s > 0
            else "n/a"
        )
        return [
            f"model:       {self.model} (served: {', '.join(self.served)})",
            f"/v1/models:  {self.models_latency_s * 1000:.0f} ms",
            f"chat:        {self.chat_latency_s * 1000:.0f} ms, {self.prompt_tokens} prompt + "
            f"{self.completion_tokens} completion tokens ({rate})",
            f"answer:      {self.answer[:200]!r}",
        ]


class _Decoded:
    """A streamed requests response as read_bounded reads it: its headers, and its decoded body in chunks."""

    def __init__(self, response: requests.Response) -> None:
        self.headers, self.raw = response.headers, response.raw

    def read(self, n: int) -> bytes:
        return bytes(self.raw.read(n, decode_content=True))


def _request(session: requests.Session, method: str, url: str, timeout: float, **kw: Any) -> tuple[Any, float]:
    start = time.perf_counter()

    def fetch() -> tuple[int, bytes]:
        with session.request(method, url, timeout=timeout, stream=True, **kw) as response:
            return response.status_code, read_bounded(_Decoded(response), MAX_ANSWER_BYTES, url)

    status, content = within(timeout, fetch, url)  # the whole request, not each read
    elapsed = time.perf_counter() - start
    if status >= 500:
        raise requests.ConnectionError(f"{url}: HTTP {status}")  # retried: the server may recover
    if status >= 400:
        raise EndpointError(f"{url}: HTTP {status}: {content[:200]!r}")
    return parse_json(content, url), elapsed


def _retrying(call: Any, attempts: int, backoff: float) -> Any:
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except (requests.RequestException, DeadlineError) as e:
            if attempt == attempts:
                raise EndpointError(f"{e} (after {attempts} attempts)") from e
            wait = backoff * 2 ** (attempt - 1)
            print(f"attempt {attempt}/{attempts} failed: {e}; retrying in {wait:.1f}s", file=sys.stderr)
            time.sleep(wait)
    raise AssertionError("unreachable")


def smoke(url: str, model: str | None, *, attempts: int = 4, timeout: float = 120.0, backoff: float = 2.0) -> Report:
    """Raises EndpointError (wrong model, empty answer, no answer in time) or returns what was seen."""
    base = url.rstrip("/").removesuffix("/v1")
    with requests.Session() as session:
        listing, models_latency = _retrying(
            lambda: _request(session, "GET", f"{base}/v1/models", timeout), attempts, backoff
        )
        if model is None:
            listed = served_ids(listing)
            if not listed:
                raise EndpointError("/v1/models: no model served")
            model = listed[0]
        served = check_models(listing, model)
        body, chat_latency = _retrying(
            lambda: _request(session, "POST", f"{base}/v1/chat/completions", timeout, json=chat_request(model)),
            attempts,
            backoff,
        )
    answer, usage = check_chat(body, model)
    return Report(
        model=model,
        served=served,
        answer=answer,
        models_latency_s=models_latency,
        chat_latency_s=chat_latency,
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="endpoint base URL, e.g. http://localhost:8000")
    parser.add_argument("--model", help="served model name that must be listed (default: the first one listed)")
    parser.add_argument("--attempts", type=positive_int, default=4, help="tries per request before failing (>= 1)")
    parser.add_argument("--timeout", type=seconds(0, strict=True), default=120.0, help="seconds per whole request")
    args = parser.parse_args(argv)
    try:
        report = smoke(args.url, args.model, attempts=args.attempts, timeout=args.timeout)
    except EndpointError as e:
        print(f"FAIL {e}")
        return 1
    except Exception as e:  # whatever else: still one line, never a traceback
        print(f"FAIL unexpected {type(e).__name__}: {e}")
        return 1
    print("\n".join(["OK", *report.lines()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
