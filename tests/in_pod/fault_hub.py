"""A fake Hugging Face Hub on loopback that serves a small revision and injects faults on request.

It answers the two calls the downloader makes through huggingface_hub: the listing
(`GET /api/models/<repo>/revision/<rev>?blobs=True`) and the files (`GET /<repo>/resolve/<rev>/<path>`, with Range).
`faults[key]` is a queue consumed one request at a time (key: "listing" or a file's path):

  reset      headers and half the body, then a TCP reset        truncate  half the body, then a clean close
  stall      half the body, then silence (a read timeout)        corrupt   the right length, the wrong bytes
  ignore-range  a full 200 answer to a Range request             <status>  e.g. "503", "429", "401", "403", "404"
  wrong-range   a 206 whose Content-Range is not the range asked   drip      one byte every 50 ms (under any rate floor)

It also measures what a client does: `requests` (path, Range) in order, and `max_in_flight`, the most file answers
being served at the same moment. With `hold_until` set, each file answer waits (up to `hold_seconds`) until that
many are in flight, so a client's parallelism is proven by the fake's own count, not by timing.
"""

import hashlib
import json
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlparse

REPO = "deepseek-ai/DeepSeek-R1"
REV = "56d4cbbb4d29f4355bab4b9a39ccb717a14ad5ad"
CONTENT = {
    "config.json": b'{"model_type": "deepseek_v3"}\n' * 3,
    "model-00001-of-00002.safetensors": bytes(range(256)) * 64,
    "model-00002-of-00002.safetensors": b"B" * 8192,
    "nested/dir/tokenizer.json": b'{"v": 1}',
}


def git_blob(data: bytes) -> str:
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()


def sibling(path: str, data: bytes) -> dict[str, Any]:
    if path.endswith(".safetensors"):
        lfs = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "pointerSize": 134}
        return {"rfilename": path, "size": len(data), "blobId": git_blob(b"pointer " + data[:8]), "lfs": lfs}
    return {"rfilename": path, "size": len(data), "blobId": git_blob(data)}


class FaultHub:
    """What the fake serves and which faults come next; records every request (path, Range)."""

    def __init__(self) -> None:
        self.content = dict(CONTENT)
        self.extra_siblings: list[dict[str, Any]] = []
        self.faults: dict[str, list[str]] = {}
        self.retry_after = "0"
        self.requests: list[tuple[str, str | None]] = []
        self.release = threading.Event()
        """Set at shutdown so a stalled answer ends."""
        self.lock = threading.Condition()
        self.in_flight = 0
        self.max_in_flight = 0
        self.hold_until = 0
        self.hold_seconds = 5.0
        self.raw_listing: bytes | None = None
        """Sent instead of the listing (malformed shapes)."""

    def enter(self) -> None:
        """One more file answer in flight; with `hold_until`, wait until that many are (or the hold times out)."""
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.lock.notify_all()
            if self.hold_until:
                self.lock.wait_for(lambda: self.in_flight >= self.hold_until, timeout=self.hold_seconds)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def fault(self, key: str) -> str | None:
        queue = self.faults.get(key)
        return queue.pop(0) if queue else None

    def listing_of(self, path: str) -> str:
        """The listing's entry for one file, as JSON."""
        return json.dumps(sibling(path, self.content[path]))

    def listing(self) -> dict[str, Any]:
        siblings = [sibling(p, d) for p, d in self.content.items()] + self.extra_siblings
        return {"id": REPO, "sha": REV, "siblings": siblings}


class Handler(BaseHTTPRequestHandler):
    hub: FaultHub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_status(self, status: int, error_code: str | None = None) -> None:
        data = json.dumps({"error": f"fake {status}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if error_code:
            self.send_header("X-Error-Code", error_code)
        if status in (429, 503):
            self.send_header("Retry-After", self.hub.retry_after)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        self.hub.requests.append((path, self.headers.get("Range")))
        if path.startswith(f"/api/models/{REPO}/revision/"):
            fault = self.hub.fault("listing")
            if fault and fault.isdigit():
                code = "RevisionNotFound" if fault == "404" else None
                return self.send_status(int(fault), code)
            if fault == "reset":
                return self.reset()
            if fault == "drip":
                self.send_response(200)
                self.end_headers()
                while not self.hub.release.wait(0.05):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                self.close_connection = True
                return None
            raw = self.hub.raw_listing
            data = raw if raw is not None else json.dumps(self.hub.listing()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        prefix = f"/{REPO}/resolve/{REV}/"
        name = path.removeprefix(prefix)
        if not path.startswith(prefix) or name not in self.hub.content:
            return self.send_status(404, "EntryNotFound")
        self.hub.enter()
        try:
            return self.serve_file(name, self.hub.content[name], self.hub.fault(name))
        finally:
            self.hub.leave()

    def serve_file(self, name: str, data: bytes, fault: str | None) -> None:
        if fault and fault.isdigit():
            return self.send_status(int(fault))
        start, end = 0, len(data) - 1
        wanted = self.headers.get("Range")
        ranged = bool(wanted) and fault != "ignore-range"
        if wanted and ranged:
            first, _, last = wanted.removeprefix("bytes=").partition("-")
            start, end = int(first), int(last) if last else len(data) - 1
        body = data[start : end + 1]
        if fault == "corrupt":
            body = bytes(255 - b for b in body)
        self.send_response(206 if ranged else 200)
        self.send_header("Content-Length", str(len(body)))
        if ranged:
            shift = 1 if fault == "wrong-range" else 0
            self.send_header("Content-Range", f"bytes {start + shift}-{end}/{len(data)}")
        self.end_headers()
        if fault == "drip":
            for i in range(len(body)):
                if self.hub.release.wait(0.05):
                    break
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
            self.close_connection = True
            return None
        if fault in ("reset", "truncate", "stall"):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if fault == "reset":
                self.reset()
            elif fault == "stall":
                self.hub.release.wait(10)
            self.close_connection = True
            return None
        self.wfile.write(body)
        return None

    def reset(self) -> None:
        """Close with SO_LINGER 0: the peer sees a TCP RST (a connection reset), not an orderly end."""
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a reset connection makes the handler's final flush fail; that is the point


@contextmanager
def serve(hub: FaultHub) -> Iterator[str]:
    """Run the fake on 127.0.0.1 (an ephemeral port) for the block; yields its base URL; always stops it."""
    handler = type("BoundHandler", (Handler,), {"hub": hub})
    server = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        hub.release.set()
        server.shutdown()
        server.server_close()
