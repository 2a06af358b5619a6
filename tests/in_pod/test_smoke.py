"""smoke.py and the Job's client against a local OpenAI-compatible fake server on loopback."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import smoke
from in_pod import smoke_client
from in_pod.smoke_client import EndpointError

MODEL = "deepseek-ai/DeepSeek-R1"


class FakeEndpoint:
    """What the fake serves: the listed models, the chat answer's text and model, and a delay before answering."""

    def __init__(self) -> None:
        self.listed = [MODEL]
        self.answer = "Blue."
        self.answered_by = MODEL
        self.delay_s = 0.0
        self.chat_requests: list[dict[str, Any]] = []


def _handler(state: FakeEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            try:
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout cases): nothing to answer

        def do_GET(self) -> None:
            if self.path != "/v1/models":
                self.send_error(404)
                return
            self._send({"object": "list", "data": [{"id": m, "object": "model"} for m in state.listed]})

        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self.send_error(404)
                return
            state.chat_requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            time.sleep(state.delay_s)
            message = {"role": "assistant", "content": state.answer}
            usage = {"prompt_tokens": 14, "completion_tokens": 3, "total_tokens": 17}
            self._send({"model": state.answered_by, "choices": [{"index": 0, "message": message}], "usage": usage})

    return Handler


@pytest.fixture
def endpoint() -> Iterator[tuple[str, FakeEndpoint]]:
    state = FakeEndpoint()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_good_answer_is_reported(endpoint: tuple[str, FakeEndpoint]) -> None:
    url, state = endpoint
    report = smoke.smoke(url, MODEL, attempts=1, timeout=5)
    assert (report.model, report.answer, report.completion_tokens, report.prompt_tokens) == (MODEL, "Blue.", 3, 14)
    assert report.chat_latency_s > 0 and state.chat_requests[0]["model"] == MODEL
    assert any("3 completion tokens" in line for line in report.lines())


def test_model_defaults_to_the_first_listed(endpoint: tuple[str, FakeEndpoint]) -> None:
    url, _ = endpoint
    assert smoke.smoke(f"{url}/v1", None, attempts=1, timeout=5).model == MODEL


def test_wrong_model_fails(endpoint: tuple[str, FakeEndpoint]) -> None:
    url, state = endpoint
    state.listed = ["some-other-model"]
    with pytest.raises(EndpointError, match="is not served"):
        smoke.smoke(url, MODEL, attempts=1, timeout=5)
    assert smoke.main(["--url", url, "--model", MODEL, "--attempts", "1"]) == 1


def test_answer_from_another_model_fails(endpoint: tuple[str, FakeEndpoint]) -> None:
    url, state = endpoint
    state.answered_by = "some-other-model"
    with pytest.raises(EndpointError, match="answered by"):
        smoke.smoke(url, MODEL, attempts=1, timeout=5)


def test_empty_answer_fails(endpoint: tuple[str, FakeEndpoint]) -> None:
    url, state = endpoint
    state.answer = "  "
    with pytest.raises(EndpointError, match="empty answer"):
        smoke.smoke(url, MODEL, attempts=1, timeout=5)


def test_timeout_fails_after_retries(endpoint: tuple[str, FakeEndpoint]) -> None:
    url, state = endpoint
    state.delay_s = 0.5
    with pytest.raises(EndpointError, match="after 2 attempts"):
        smoke.smoke(url, MODEL, attempts=2, timeout=0.1, backoff=0.01)
    assert len(state.chat_requests) == 2


def test_no_server_fails_after_retries() -> None:
    with pytest.raises(EndpointError, match="after 2 attempts"):
        smoke.smoke("http://127.0.0.1:9", MODEL, attempts=2, timeout=0.5, backoff=0.01)


# The Job's client: standard library only, the same checks.


def test_job_client_passes_a_good_endpoint(endpoint: tuple[str, FakeEndpoint], capsys: Any) -> None:
    url, _ = endpoint
    assert smoke_client.main(["--url", url, "--model", MODEL, "--attempts", "1", "--timeout", "5"]) == 0
    assert "OK" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "message"),
    [({"listed": []}, "is not served"), ({"answer": ""}, "empty answer"), ({"delay_s": 0.5}, "timed out")],
)
def test_job_client_fails(
    endpoint: tuple[str, FakeEndpoint], change: dict[str, Any], message: str, capsys: Any
) -> None:
    url, state = endpoint
    for k, v in change.items():
        setattr(state, k, v)
    argv = ["--url", url, "--model", MODEL, "--attempts", "2", "--timeout", "0.1", "--backoff", "0.01"]
    assert smoke_client.main(argv) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and message in out and "after 2 attempts" in out
