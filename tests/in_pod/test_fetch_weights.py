"""The download Job's package (in_pod/weights): its real main() with the pinned huggingface_hub against a
fake Hub on loopback that resets, truncates, stalls, corrupts, answers 5xx/429/401/403/404, lists hostile paths,
and a disk that fills up. Backoff and timeouts are shrunk through the script's own environment variables."""

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config import versions
from in_pod.weights import errors, job, ledger, transfer
from in_pod.weights.hub import parse_retry_after
from in_pod.weights.listing import RemoteFile
from in_pod.weights.retry import backoff
from tests.in_pod.conftest import BIG, Rig
from tests.in_pod.fault_hub import CONTENT, REPO, REV


def test_a_clean_download_is_verified_and_marked(rig: Rig) -> None:
    code, out = rig.run()
    assert code == 0, out
    rig.assert_complete()
    assert "every file's size and hash verified" in out


@pytest.mark.parametrize("fault", ["reset", "truncate", "stall"])
def test_a_broken_transfer_resumes_from_the_byte_it_reached(rig: Rig, fault: str) -> None:
    rig.hub.faults[BIG] = [fault]
    code, out = rig.run()
    assert code == 0, out
    rig.assert_complete()
    first, second = rig.file_requests(BIG)
    assert first is None
    if fault != "reset":  # a reset may discard the half body before the client reads it: then it starts over
        assert second is not None and int(second.removeprefix("bytes=").rstrip("-")) > 0


@pytest.mark.parametrize("fault", ["500", "502", "503", "504", "429", "corrupt", "ignore-range"])
def test_transient_answers_are_retried_until_the_file_is_right(rig: Rig, fault: str) -> None:
    rig.hub.faults[BIG] = ["truncate", fault] if fault == "ignore-range" else [fault]
    code, out = rig.run()
    assert code == 0, out
    rig.assert_complete()
    assert rig.hub.faults[BIG] == [] and len(rig.file_requests(BIG)) >= 2  # the fault was served, then retried


@pytest.mark.parametrize("fault", ["503", "429", "reset"])
def test_a_failing_listing_is_retried(rig: Rig, fault: str) -> None:
    rig.hub.faults["listing"] = [fault, fault]
    code, out = rig.run()
    assert code == 0, out
    rig.assert_complete()
    assert rig.hub.faults["listing"] == []  # both faults were served before the listing that worked


def test_many_faults_in_a_row_are_ridden_out(rig: Rig) -> None:
    rig.hub.faults[BIG] = ["reset", "503", "truncate", "429", "stall", "reset", "500", "truncate"] * 2
    code, out = rig.run()
    assert code == 0, out
    rig.assert_complete()
    assert rig.hub.faults[BIG] == []
    assert out.count(f"{BIG}: ") >= 16


def test_retry_after_is_honoured_over_the_backoff(rig: Rig) -> None:
    rig.hub.faults[BIG] = ["429"]
    code, out = rig.run(DSR1_BACKOFF_BASE="900", DSR1_BACKOFF_CAP="900")
    assert code == 0, out
    assert "HTTP 429" in out and "retry 1 in 0.0s" in out


@pytest.mark.parametrize(
    ("key", "status", "says"),
    [
        (BIG, "401", "token is missing or invalid"),
        (BIG, "403", "accept the model's terms"),
        (BIG, "404", "does not exist"),
        ("listing", "401", "token is missing or invalid"),
        ("listing", "403", "accept the model's terms"),
        ("listing", "404", f"revision {REV} not found"),
    ],
)
def test_permanent_answers_end_at_once_with_one_line(rig: Rig, key: str, status: str, says: str) -> None:
    part = rig.target / ledger.PARTIAL_DIR / f"{BIG}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(CONTENT[BIG][:100])
    (rig.target / "notes.txt").write_bytes(b"kept")
    rig.hub.faults[key] = [status] * 50
    code, out = rig.run(DSR1_BACKOFF_BASE="900", DSR1_BACKOFF_CAP="900")
    assert code == errors.EXIT_PERMANENT
    failed = [line for line in out.splitlines() if "FAILED" in line]
    assert len(failed) == 1 and says in failed[0] and "Fix:" in failed[0]
    assert len(rig.hub.faults[key]) == 49  # asked once, never retried
    assert (rig.target / "notes.txt").read_bytes() == b"kept" and part.read_bytes() == CONTENT[BIG][:100]
    assert not (rig.target / ledger.MARKER).exists()


def test_an_outage_longer_than_the_budget_ends_for_the_job_to_retry(rig: Rig) -> None:
    rig.hub.faults[BIG] = ["503"] * 10_000
    code, out = rig.run(DSR1_OUTAGE_SECONDS="0.3")
    assert code == errors.EXIT_RETRY
    (failed,) = [line for line in out.splitlines() if "FAILED" in line]
    assert "nothing received for" in failed


def test_the_failure_budget_caps_endless_faults(rig: Rig) -> None:
    rig.hub.faults[BIG] = ["reset"] * 10_000
    code, out = rig.run(DSR1_MAX_FAILURES="5")
    assert code == errors.EXIT_RETRY and "transient faults in this pod (budget 5)" in out


@pytest.mark.parametrize(
    "hostile",
    [
        "../escape.txt",
        "/etc/passwd",
        "a/../../escape.txt",
        "a//b",
        ".dsr1-complete.json",
        "a\\b",
        "a\nb",
        "a\0b",
        "x" * 256,
    ],
)
def test_a_listing_naming_paths_outside_the_revision_is_refused(rig: Rig, hostile: str) -> None:
    outside = rig.target.parent / "escape.txt"
    outside.parent.mkdir(parents=True)
    outside.write_bytes(b"untouched")
    rig.hub.extra_siblings = [{"rfilename": hostile, "size": 3, "blobId": "0" * 40}]
    code, out = rig.run()
    assert code == errors.EXIT_PERMANENT and "HF_ENDPOINT" in out
    assert outside.read_bytes() == b"untouched"
    assert sorted(p.name for p in rig.target.parent.rglob("*")) == ["escape.txt", "rev"]
    assert not any("/resolve/" in path for path, _ in rig.hub.requests)


def test_a_file_too_large_for_http_is_refused_before_anything_is_fetched(rig: Rig) -> None:
    rig.hub.extra_siblings = [{"rfilename": "huge.bin", "size": 60 * 1000**3, "blobId": "0" * 40}]
    code, out = rig.run()
    assert code == errors.EXIT_PERMANENT and "at most 50 GB per file" in out
    assert not any("/resolve/" in path for path, _ in rig.hub.requests)


def test_a_full_disk_ends_at_once_and_keeps_the_partial_files(rig: Rig) -> None:
    written: list[int] = []

    real = transfer.write_chunk

    def write(fd: int, data: bytes, offset: int) -> None:
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(len(data))
        real(fd, data, offset)

    rig.monkeypatch.setattr(transfer, "write_chunk", write)
    rig.monkeypatch.setenv("DSR1_CONNECTIONS", "1")
    rig.hub.faults[BIG] = ["truncate"]  # the first chunk lands, then the disk is full
    code, out = rig.run()
    assert code == errors.EXIT_PERMANENT and "disk full" in out and "modelCache.sizeGib" in out
    assert list((rig.target / ledger.PARTIAL_DIR).rglob("*.part"))


def test_a_partial_file_is_resumed_with_a_range_request(rig: Rig) -> None:
    part = rig.target / ledger.PARTIAL_DIR / f"{BIG}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(CONTENT[BIG][:1000])
    code, out = rig.run()
    assert code == 0, out
    assert rig.file_requests(BIG) == ["bytes=1000-"]
    rig.assert_complete()


def test_a_valid_marker_skips_the_hub(rig: Rig) -> None:
    assert rig.run()[0] == 0
    rig.hub.requests.clear()
    code, out = rig.run()
    assert code == 0 and rig.hub.requests == [] and "nothing to do" in out


def test_verify_hashes_finds_what_sizes_miss_and_refetches_only_that_file(rig: Rig) -> None:
    assert rig.run()[0] == 0
    data = CONTENT["model-00002-of-00002.safetensors"]
    (rig.target / "model-00002-of-00002.safetensors").write_bytes(b"X" * len(data))
    rig.hub.requests.clear()
    assert rig.run(DSR1_VERIFY="size")[0] == 0 and rig.hub.requests == []
    code, out = rig.run(DSR1_VERIFY="hashes")
    assert code == 0 and "fail the hashes check" in out
    assert [p for p, _ in rig.hub.requests if "/resolve/" in p] == [
        f"/{REPO}/resolve/{REV}/model-00002-of-00002.safetensors"
    ]
    rig.assert_complete()


def test_files_in_place_from_an_older_run_are_hashed_once_and_kept_or_replaced(rig: Rig) -> None:
    rig.target.mkdir(parents=True)
    (rig.target / "config.json").write_bytes(CONTENT["config.json"])
    (rig.target / BIG).write_bytes(b"\0" * len(CONTENT[BIG]))
    code, out = rig.run()
    assert code == 0, out
    assert rig.file_requests("config.json") == [] and len(rig.file_requests(BIG)) == 1
    rig.assert_complete()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DSR1_READ_TIMEOUT", "0"),
        ("DSR1_CONNECTIONS", "x"),
        ("DSR1_CONNECTIONS", "65"),
        ("DSR1_PART_BYTES", "0"),
        ("DSR1_RATE_WINDOW_SECONDS", "-1"),
        ("DSR1_VERIFY", "sha1"),
        ("DSR1_REPO", ""),
    ],
)
def test_bad_settings_end_with_one_line(rig: Rig, name: str, value: str) -> None:
    code, out = rig.run(**{name: value})
    assert code == errors.EXIT_PERMANENT and name in out and len(out.splitlines()) == 1


def test_progress_reports_bytes_rate_and_eta() -> None:
    line = job.progress_line(512 * 1024**3, 1024 * 1024**3, 512 * 1024**2)
    assert line == "progress: 512.0 / 1024.0 GiB (50.0%), 512 MiB/s, ETA 00:17:04"
    assert job.progress_line(0, 10, 0).endswith("ETA unknown")


@pytest.mark.parametrize(
    ("header", "seconds"), [("7", 7.0), (None, None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)]
)
def test_retry_after_forms(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_backoff_grows_is_capped_and_yields_to_retry_after() -> None:
    delays: Callable[[int], float] = lambda n: backoff(n, 2.0, 120.0)  # noqa: E731
    assert 1 <= delays(1) <= 2 and 4 <= delays(3) <= 8 and delays(30) <= 120


def test_the_tests_use_the_huggingface_hub_the_job_installs() -> None:
    import huggingface_hub

    assert huggingface_hub.__version__ == versions.HUGGINGFACE_HUB_VERSION


def test_a_full_disk_outside_the_transfer_is_permanent_too(rig: Rig) -> None:
    def full(self: Any, f: RemoteFile) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    rig.monkeypatch.setattr(ledger.Journal, "add", full)
    code, out = rig.run()
    assert code == errors.EXIT_PERMANENT and "disk full" in out


def test_the_package_needs_only_the_standard_library_and_huggingface_hub() -> None:
    import ast
    import sys

    modules: set[str] = set()
    for path in Path(job.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party == {"huggingface_hub", "httpx"}  # httpx: huggingface_hub's own HTTP client, its dependency
