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
        self.raw_models: bytes | None = None
        self.raw_chat: bytes | None = None
        """Sent as the body instead of a well-formed answer (odd shapes, not JSON)."""
        self.trickle_s = 0.0
        """Seconds between the answer's bytes: each read is quick, the whole answer slow."""


def _handler(state: FakeEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, body: dict[str, Any], raw: bytes | None = None) -> None:
            data = raw if raw is not None else json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            try:
                self.end_headers()
                if state.trickle_s:
                    for i in range(len(data)):
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        time.sleep(state.trickle_s)
                else:
                    self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout cases): nothing to answer

        def do_GET(self) -> None:
            if self.path != "/v1/models":
                self.send_error(404)
                return
            self._send(
                {"object": "list", "data": [{"id": m, "object": "model"} for m in state.listed]}, state.raw_models
            )

        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self.send_error(404)
                return
            state.chat_requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            time.sleep(state.delay_s)
            message = {"role": "assistant", "content": state.answer}
            usage = {"prompt_tokens": 14, "completion_tokens": 3, "total_tokens": 17}
            body = {"model": state.answered_by, "choices": [{"index": 0, "message": message}], "usage": usage}
            self._send(body, state.raw_chat)

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


# Any answer shape, both clients: one FAIL line and exit 1, never a traceback.

GOOD_MESSAGE = {"role": "assistant", "content": "Blue."}
ODD_CHATS: list[tuple[Any, str]] = [
    ({"model": MODEL, "choices": [{"message": None}]}, "choices[0].message is null"),
    ({"model": MODEL, "choices": [{"message": {"content": 42}}]}, "message.content is int"),
    ({"model": MODEL, "choices": [{"message": {"content": ["Blue"]}}]}, "message.content is list"),
    ({"model": MODEL, "choices": [{"message": {"content": None, "reasoning_content": 7}}]}, "reasoning_content"),
    ({"model": MODEL, "choices": []}, "no choices[0]"),
    ({"model": MODEL, "choices": "Blue"}, "no choices[0]"),
    ({"model": MODEL, "choices": [None]}, "no choices[0]"),
    ({"model": 5, "choices": [{"message": GOOD_MESSAGE}]}, "answered by 5"),
    ([1, 2, 3], "no choices[0]"),
    (42, "no choices[0]"),
    (None, "no choices[0]"),
    (b"<html>502 Bad Gateway</html>", "not JSON"),
    (b"\xff\xfe", "not JSON"),
]
ODD_MODELS: list[tuple[Any, str]] = [
    ({"data": None}, "not an OpenAI model list"),
    ({"data": [{"id": 5}]}, "not an OpenAI model list"),
    ({"data": ["x"]}, "not an OpenAI model list"),
    ([], "not an OpenAI model list"),
    (b"not json", "not JSON"),
]


def raw(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def both_clients_fail(url: str, says: str, capsys: Any) -> None:
    assert smoke_client.main(["--url", url, "--model", MODEL, "--attempts", "1", "--timeout", "5"]) == 1
    assert smoke.main(["--url", url, "--model", MODEL, "--attempts", "1", "--timeout", "5"]) == 1
    out = capsys.readouterr()
    fails = [line for line in out.out.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 2 and all(says in line for line in fails), out.out
    assert "Traceback" not in out.out + out.err


@pytest.mark.parametrize(("body", "says"), ODD_CHATS, ids=[repr(b)[:40] for b, _ in ODD_CHATS])
def test_odd_chat_answers_fail_in_one_line(
    endpoint: tuple[str, FakeEndpoint], body: Any, says: str, capsys: Any
) -> None:
    url, state = endpoint
    state.raw_chat = raw(body)
    both_clients_fail(url, says, capsys)


@pytest.mark.parametrize(("body", "says"), ODD_MODELS, ids=[repr(b)[:40] for b, _ in ODD_MODELS])
def test_odd_model_lists_fail_in_one_line(
    endpoint: tuple[str, FakeEndpoint], body: Any, says: str, capsys: Any
) -> None:
    url, state = endpoint
    state.raw_models = raw(body)
    both_clients_fail(url, says, capsys)
    state.raw_models = raw(body)
    assert smoke.main(["--url", url, "--attempts", "1", "--timeout", "5"]) == 1  # no --model: first listed
    assert "Traceback" not in capsys.readouterr().out


@pytest.mark.parametrize("usage", ["lots", 17, None, [], {"prompt_tokens": "14", "completion_tokens": -3}])
def test_odd_usage_is_ignored_not_fatal(endpoint: tuple[str, FakeEndpoint], usage: Any) -> None:
    url, state = endpoint
    state.raw_chat = raw({"model": MODEL, "choices": [{"message": GOOD_MESSAGE}], "usage": usage})
    report = smoke.smoke(url, MODEL, attempts=1, timeout=5)
    assert (report.answer, report.prompt_tokens, report.completion_tokens) == ("Blue.", None, None)
    assert any("n/a" in line for line in report.lines())
    assert smoke_client.main(["--url", url, "--model", MODEL, "--attempts", "1", "--timeout", "5"]) == 0


def test_reasoning_content_counts_when_content_is_null(endpoint: tuple[str, FakeEndpoint]) -> None:
    url, state = endpoint
    state.raw_chat = raw({"choices": [{"message": {"content": None, "reasoning_content": "Blue, I think."}}]})
    assert smoke.smoke(url, MODEL, attempts=1, timeout=5).answer == "Blue, I think."


@pytest.mark.parametrize(
    "flags",
    [
        ["--attempts", "0"],
        ["--attempts", "-1"],
        ["--attempts", "x"],
        ["--timeout", "0"],
        ["--timeout", "-5"],
        ["--timeout", "nan"],
        ["--timeout", "inf"],
    ],
)
def test_both_clients_refuse_bad_flags_without_a_traceback(flags: list[str], capsys: Any) -> None:
    for client in (smoke_client.main, smoke.main):
        with pytest.raises(SystemExit) as e:
            client(["--url", "http://127.0.0.1:9", "--model", MODEL, *flags])
        assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count(f"argument {flags[0]}") == 2 and "Traceback" not in err


def test_the_job_client_refuses_a_negative_backoff(capsys: Any) -> None:
    with pytest.raises(SystemExit) as e:
        smoke_client.main(["--url", "http://127.0.0.1:9", "--model", MODEL, "--backoff", "-1"])
    assert e.value.code == 2
    assert "argument --backoff" in capsys.readouterr().err


def test_timeout_bounds_the_whole_request_not_each_read(endpoint: tuple[str, FakeEndpoint], capsys: Any) -> None:
    url, state = endpoint
    state.trickle_s = 0.02  # ~250 bytes: each read is quick, the whole answer takes seconds
    assert smoke_client.main(["--url", url, "--model", MODEL, "--attempts", "1", "--timeout", "0.3"]) == 1
    assert smoke.main(["--url", url, "--model", MODEL, "--attempts", "1", "--timeout", "0.3"]) == 1
    out = capsys.readouterr().out
    assert out.count("timed out after 0.3s") == 2, out
