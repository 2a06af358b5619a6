"""The Job's smoke client reads answers with a bounded size (issue 22 item 8): a huge answer, announced or streamed
without a length, ends in one FAIL line at once, with the client's memory bounded (measured, not assumed)."""

import threading
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from in_pod import smoke_client

MODEL = "deepseek-ai/DeepSeek-R1"
MODELS = b'{"object": "list", "data": [{"id": "deepseek-ai/DeepSeek-R1"}]}'
STREAMED = 64 * 1024**2
"""Far past the bound: were it read whole, the peak below would be in the tens of MB."""


@contextmanager
def huge_endpoint(announce: bool) -> Iterator[tuple[str, list[str]]]:
    """/v1/models answers normally; the chat answer is STREAMED bytes of a JSON string, with or without a length."""
    seen: list[str] = []
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(MODELS)))
            self.end_headers()
            self.wfile.write(MODELS)

        def do_POST(self) -> None:
            seen.append(self.path)
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            if announce:
                self.send_header("Content-Length", str(STREAMED))
            self.end_headers()
            chunk = b"x" * 1024**2
            try:
                self.wfile.write(b'{"choices": [{"message": {"content": "')
                for _ in range(STREAMED // len(chunk)):
                    if stop.is_set():
                        break
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading: the point
            self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("announce", [True, False])
def test_a_huge_answer_fails_with_one_line_and_bounded_memory(
    announce: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    with huge_endpoint(announce) as (url, seen):
        tracemalloc.start()
        try:
            code = smoke_client.main(["--url", url, "--model", MODEL, "--attempts", "3", "--timeout", "30"])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    out = capsys.readouterr().out
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith("FAIL ") and f"{smoke_client.MAX_ANSWER_BYTES}" in line
    assert ("announces" if announce else "passed") in line
    assert peak < 8 * 1024**2, peak  # the bound plus a chunk and some slack, not the 64 MB sent
    assert seen == ["/v1/chat/completions"]  # not retried: another try would get the same answer


def test_an_answer_within_the_bound_is_read_whole() -> None:
    class Response:
        def __init__(self, data: bytes) -> None:
            self.data = data
            self.headers: dict[str, str] = {}

        def read(self, n: int) -> bytes:
            chunk, self.data = self.data[:n], self.data[n:]
            return chunk

    body = b"y" * (3 * smoke_client.READ_CHUNK + 5)
    assert smoke_client.read_bounded(Response(body), len(body), "u") == body
    with pytest.raises(smoke_client.OversizeError, match="passed"):
        smoke_client.read_bounded(Response(body), len(body) - 1, "u")


def test_the_bound_is_a_flag_with_a_default() -> None:
    with pytest.raises(SystemExit):
        smoke_client.main(["--url", "http://x", "--model", "m", "--max-answer-bytes", "0"])


@pytest.mark.parametrize("announce", [True, False])
def test_the_by_hand_client_has_the_same_bound(announce: bool) -> None:
    import smoke

    with huge_endpoint(announce) as (url, seen):
        tracemalloc.start()
        try:
            with pytest.raises(smoke_client.EndpointError, match=str(smoke_client.MAX_ANSWER_BYTES)):
                smoke.smoke(url, MODEL, attempts=3, timeout=30, backoff=0)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * 1024**2, peak
    assert seen == ["/v1/chat/completions"]
