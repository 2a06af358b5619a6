"""A fake of the Hugging Face Hub's model API on loopback, for the preflight tests (a real HTTP server)."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

R1 = "deepseek-ai/DeepSeek-R1"
SHA = "56d4cbbb4d29f4355bab4b9a39ccb717a14ad5ad"
GOOD_TOKEN = "hf_good"
GATED = "meta-llama/Gated"
SHARD = 4_300_000_000
SHARDS = 163


class Hub:
    """What the fake answers: revisions per repo, a gated repo, and how many 429s come before an answer."""

    def __init__(self) -> None:
        self.revisions: dict[str, dict[str, str]] = {R1: {SHA: SHA, "main": SHA}}
        self.rate_limited = 0
        self.requests: list[str] = []

    def answer(self, path: str, auth: str) -> tuple[int, dict[str, Any]]:
        self.requests.append(path)
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return 429, {"error": "rate limited"}
        prefix = "/api/models/"
        repo, _, rest = path.removeprefix(prefix).partition("/revision/")
        revision = rest.split("?", 1)[0]
        if repo == GATED and auth != f"Bearer {GOOD_TOKEN}":
            return 401, {"error": "gated"}
        sha = self.revisions.get(repo, {}).get(revision)
        if not path.startswith(prefix) or sha is None:
            return 404, {"error": "Revision Not Found"}
        siblings = [{"rfilename": f"model-{i:05d}-of-{SHARDS:06d}.safetensors", "size": SHARD} for i in range(SHARDS)]
        return 200, {"id": repo, "sha": sha, "siblings": siblings}


@contextmanager
def serve(hub: Hub) -> Iterator[str]:
    """Run the fake on 127.0.0.1 (an ephemeral port) for the duration of the block; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = hub.answer(self.path, self.headers.get("Authorization", ""))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
