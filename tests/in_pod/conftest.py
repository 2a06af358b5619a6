"""The rig for the downloader's tests: its real main() against the fault-injecting fake Hub on loopback."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from in_pod.weights import job, ledger
from tests.in_pod.fault_hub import REPO, REV, FaultHub, serve

BIG = "model-00001-of-00002.safetensors"


@dataclass
class Rig:
    hub: FaultHub
    target: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def run(self, **env: str) -> tuple[int, str]:
        for k, v in env.items():
            self.monkeypatch.setenv(k, v)
        code = job.main()
        out = self.capsys.readouterr()
        text = out.out + out.err
        assert "Traceback" not in text
        return code, text

    def file_requests(self, name: str) -> list[str | None]:
        return [rng for path, rng in self.hub.requests if path.endswith(f"/{name}")]

    def assert_complete(self) -> None:
        for path, data in self.hub.content.items():
            assert (self.target / path).read_bytes() == data, path
        marker = json.loads((self.target / ledger.MARKER).read_text())
        assert (marker["repo"], marker["revision"]) == (REPO, REV)
        assert {f["path"] for f in marker["files"]} == set(self.hub.content)
        assert all(f["sha256"] or f["git_sha1"] for f in marker["files"])
        assert not list((self.target / ledger.PARTIAL_DIR).rglob("*.part"))


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Rig]:
    hub = FaultHub()
    target = tmp_path / "cache" / "rev"
    with serve(hub) as url:
        env = {
            "HF_ENDPOINT": url,
            "HF_TOKEN": "hf_test",
            "HF_HOME": str(tmp_path / "hf"),
            "DSR1_REPO": REPO,
            "DSR1_REVISION": REV,
            "DSR1_TARGET": str(target),
            "DSR1_BACKOFF_BASE": "0.01",
            "DSR1_BACKOFF_CAP": "0.05",
            "DSR1_READ_TIMEOUT": "0.5",
            "DSR1_OUTAGE_SECONDS": "30",
            "DSR1_PROGRESS_SECONDS": "3600",
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("DSR1_VERIFY", raising=False)
        yield Rig(hub, target, capsys, monkeypatch)
