"""The download Job's logic (in_pod/fetch_weights.py), with the Hub faked: marker, resume, verify, retry."""

import hashlib
import json
from pathlib import Path

import pytest

from in_pod import fetch_weights as fw

REPO, REV = "deepseek-ai/DeepSeek-R1", "56d4cbbb4d29f4355bab4b9a39ccb717a14ad5ad"
CONTENT = {
    "config.json": b'{"model_type": "deepseek_v3"}',
    "model-00001-of-00002.safetensors": b"A" * 4096,
    "model-00002-of-00002.safetensors": b"B" * 2048,
}


def listing() -> list[fw.RemoteFile]:
    files = []
    for path, data in CONTENT.items():
        if path.endswith(".safetensors"):
            files.append(fw.RemoteFile(path, len(data), sha256=hashlib.sha256(data).hexdigest()))
        else:
            blob = hashlib.sha1(f"blob {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()
            files.append(fw.RemoteFile(path, len(data), git_sha1=blob))
    return files


class FakeHub:
    """Writes the files that are missing, as huggingface_hub resumes; counts calls; can fail first."""

    def __init__(self, target: Path, failures: list[fw.HubError] | None = None, corrupt_once: str | None = None):
        self.target, self.failures, self.corrupt_once = target, list(failures or []), corrupt_once
        self.downloads = self.listings = 0
        self.written: list[str] = []

    def list_files(self) -> list[fw.RemoteFile]:
        self.listings += 1
        return listing()

    def download(self) -> None:
        self.downloads += 1
        if self.failures:
            raise self.failures.pop(0)
        for path, data in CONTENT.items():
            local = self.target / path
            if not local.exists():
                if path == self.corrupt_once:
                    data, self.corrupt_once = b"X" * len(data), None
                local.write_bytes(data)
                self.written.append(path)


def settings(tmp_path: Path, **kw: object) -> fw.Settings:
    return fw.Settings(REPO, REV, tmp_path / "rev", progress_seconds=3600, **kw)  # type: ignore[arg-type]


def test_empty_cache_is_downloaded_verified_and_marked(tmp_path: Path) -> None:
    s = settings(tmp_path)
    hub = FakeHub(s.target)
    assert fw.run(s, hub.list_files, hub.download, sleep=lambda _: None) == 0
    marker = json.loads((s.target / fw.MARKER).read_text())
    assert (marker["repo"], marker["revision"], marker["bytes"]) == (REPO, REV, sum(map(len, CONTENT.values())))
    assert {f["path"]: f["size"] for f in marker["files"]} == {p: len(d) for p, d in CONTENT.items()}
    assert fw.marker_status(s.target, REPO, REV) is None


def test_a_valid_marker_skips_the_download(tmp_path: Path) -> None:
    s = settings(tmp_path)
    hub = FakeHub(s.target)
    fw.run(s, hub.list_files, hub.download, sleep=lambda _: None)
    again = FakeHub(s.target)
    assert fw.run(s, again.list_files, again.download, sleep=lambda _: None) == 0
    assert (again.listings, again.downloads) == (0, 0)


def test_a_partial_cache_is_resumed(tmp_path: Path) -> None:
    s = settings(tmp_path)
    s.target.mkdir(parents=True)
    (s.target / "config.json").write_bytes(CONTENT["config.json"])
    hub = FakeHub(s.target)
    assert fw.run(s, hub.list_files, hub.download, sleep=lambda _: None) == 0
    assert "config.json" not in hub.written and len(hub.written) == 2


def test_a_marker_for_another_revision_or_a_truncated_file_is_not_valid(tmp_path: Path) -> None:
    s = settings(tmp_path)
    hub = FakeHub(s.target)
    fw.run(s, hub.list_files, hub.download, sleep=lambda _: None)
    assert "marker is for" in str(fw.marker_status(s.target, REPO, "0" * 40))
    (s.target / "model-00002-of-00002.safetensors").write_bytes(b"B" * 10)
    assert "wrong size" in str(fw.marker_status(s.target, REPO, REV))


def test_a_corrupt_file_is_removed_and_fetched_again(tmp_path: Path) -> None:
    s = settings(tmp_path)
    hub = FakeHub(s.target, corrupt_once="model-00001-of-00002.safetensors")
    assert fw.run(s, hub.list_files, hub.download, sleep=lambda _: None) == 0
    assert hub.downloads == 2 and hub.written.count("model-00001-of-00002.safetensors") == 2
    assert (s.target / "model-00001-of-00002.safetensors").read_bytes() == CONTENT["model-00001-of-00002.safetensors"]


def test_size_only_verification_misses_what_hashes_catch(tmp_path: Path) -> None:
    target = tmp_path / "rev"
    target.mkdir()
    for path, data in CONTENT.items():
        (target / path).write_bytes(data)
    (target / "config.json").write_bytes(b"{" + b" " * (len(CONTENT["config.json"]) - 1))
    assert fw.verify(target, listing(), hashes=False) == {}
    assert fw.verify(target, listing(), hashes=True) == {
        "config.json": "config.json: git blob id differs from the Hub's"
    }


def test_rate_limits_are_retried_with_the_hubs_retry_after(tmp_path: Path) -> None:
    s = settings(tmp_path)
    hub = FakeHub(s.target, failures=[fw.HubError("rate limited", 429, retry_after=42), fw.HubError("reset", None)])
    slept: list[float] = []
    assert fw.run(s, hub.list_files, hub.download, sleep=slept.append) == 0
    assert hub.downloads == 3 and slept[0] == 42 and 5 <= slept[1] <= 20


def test_unauthorized_is_not_retried(tmp_path: Path) -> None:
    s = settings(tmp_path)
    hub = FakeHub(s.target, failures=[fw.HubError("gated", 401)])
    with pytest.raises(fw.HubError):
        fw.run(s, hub.list_files, hub.download, sleep=lambda _: pytest.fail("must not wait"))
    assert hub.downloads == 1


@pytest.mark.parametrize(("status", "retry"), [(429, True), (503, True), (None, True), (401, False), (404, False)])
def test_retry_decisions(status: int | None, retry: bool) -> None:
    assert fw.is_retryable(fw.HubError("x", status)) is retry


def test_backoff_grows_and_is_capped() -> None:
    assert 5 <= fw.backoff(1) <= 10 and 20 <= fw.backoff(3) <= 40
    assert fw.backoff(20) <= 600 and fw.backoff(2, retry_after=7) == 7


def test_progress_line_reports_bytes_percent_and_rate() -> None:
    line = fw.progress_line(512 * 1024**3, 1024 * 1024**3, 1024.0)
    assert line == "progress: 512.0 / 1024.0 GiB (50.0%), 512 MiB/s"


def test_settings_from_the_jobs_environment() -> None:
    s = fw.Settings.from_env({"DSR1_REPO": REPO, "DSR1_REVISION": REV, "DSR1_TARGET": "/cache/x"})
    assert (s.repo, s.target, s.hashes, s.attempts) == (REPO, Path("/cache/x"), True, 8)
