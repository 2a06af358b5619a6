"""The endpoint check, standard library only: it runs inside the smoke-test Job's pod (shipped as a ConfigMap) and
is what `smoke.py` checks answers with.

    python smoke_client.py --url http://<graph>-frontend.<ns>.svc.cluster.local:8000 --model NAME

Lists the models (the served name must be there), then sends one short chat completion (the answer must not be
empty). Exit status 0 when both hold, 1 otherwise, with one line saying what was wrong.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from typing import Any

PROMPT = "Reply with one word: what colour is a clear daytime sky?"
MAX_TOKENS = 64
"""Short, but R1 thinks aloud first: enough tokens for some content to come back."""


class EndpointError(Exception):
    """The endpoint answered, but not correctly (wrong model, empty answer, malformed body)."""


def chat_request(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": MAX_TOKENS,
        "temperature": 0.0,
        "stream": False,
    }


def check_models(body: Any, model: str) -> list[str]:
    """The ids of the served models; raises unless `model` is one of them."""
    try:
        ids = [str(m["id"]) for m in body["data"]]
    except (KeyError, TypeError) as e:
        raise EndpointError(f"/v1/models: not an OpenAI model list ({e!r})") from e
    if model not in ids:
        raise EndpointError(f"/v1/models: {model!r} is not served; served: {ids or 'none'}")
    return ids


def check_chat(body: Any, model: str) -> tuple[str, dict[str, Any]]:
    """The answer's text (content, else reasoning content) and usage; raises when it is empty or from another model."""
    try:
        message = body["choices"][0]["message"]
    except (KeyError, IndexError, TypeError) as e:
        raise EndpointError(f"/v1/chat/completions: no choices[0].message ({e!r})") from e
    answered_by = body.get("model")
    if answered_by is not None and answered_by != model:
        raise EndpointError(f"/v1/chat/completions: answered by {answered_by!r}, not {model!r}")
    text = (message.get("content") or message.get("reasoning_content") or "").strip()
    if not text:
        raise EndpointError("/v1/chat/completions: empty answer")
    usage = body.get("usage") or {}
    return text, usage


def _call(url: str, payload: dict[str, Any] | None, timeout: float) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def run(url: str, model: str, attempts: int, timeout: float, backoff: float) -> str:
    """Both checks, retrying transport errors (the frontend may still be registering the workers)."""
    base = url.rstrip("/").removesuffix("/v1")
    for attempt in range(1, attempts + 1):
        try:
            check_models(_call(f"{base}/v1/models", None, timeout), model)
            text, _ = check_chat(_call(f"{base}/v1/chat/completions", chat_request(model), timeout), model)
            return text
        except (OSError, ValueError, EndpointError) as e:  # URLError, timeouts and bad JSON are OSError/ValueError
            if attempt == attempts:
                raise EndpointError(f"{e} (after {attempts} attempts)") from e
            print(f"attempt {attempt}/{attempts}: {e}; retrying in {backoff * attempt:.0f}s", flush=True)
            time.sleep(backoff * attempt)
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check an OpenAI-compatible endpoint serves a model and answers.")
    parser.add_argument("--url", required=True, help="base URL of the endpoint (with or without /v1)")
    parser.add_argument("--model", required=True, help="the served model name that must be listed")
    parser.add_argument("--attempts", type=int, default=10, help="tries before failing")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
    parser.add_argument("--backoff", type=float, default=15.0, help="seconds; the wait grows linearly")
    args = parser.parse_args(argv)
    try:
        text = run(args.url, args.model, args.attempts, args.timeout, args.backoff)
    except EndpointError as e:
        print(f"FAIL {e}", flush=True)
        return 1
    print(f"OK {args.model} answered: {text[:200]!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
