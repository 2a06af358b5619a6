"""Issue 22's downloader cases against the fake Hub: empty files, listings without weights or malformed, Content-Range,
symlinks under the revision, the journal re-checked, the rate floor, a long Retry-After, a hash that keeps failing."""

import json
import re
import time
from pathlib import Path

import pytest

from in_pod.weights import errors, ledger
from tests.in_pod.conftest import BIG, Rig
from tests.in_pod.fault_hub import CONTENT, REV

SMALL = "model-00002-of-00002.safetensors"


def failed_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if "FAILED" in line]


def fetched(rig: Rig) -> list[str]:
    return [path for path, _ in rig.hub.requests if "/resolve/" in path]


def test_empty_files_are_written_verified_and_marked(rig: Rig) -> None:
    rig.hub.content |= {"pkg/__init__.py": b"", ".gitkeep": b""}
    code, out = rig.run()
    assert code == 0, out
    rig.assert_complete()
    assert (rig.target / "pkg/__init__.py").stat().st_size == 0
    marked = {f["path"]: f for f in json.loads((rig.target / ledger.MARKER).read_text())["files"]}
    assert marked[".gitkeep"]["git_sha1"] == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's empty blob


@pytest.mark.parametrize("listing", [{"siblings": []}, {"siblings": None}, {}, "config only"])
def test_a_listing_without_weights_is_permanent_and_never_marked(rig: Rig, listing: object) -> None:
    if listing == "config only":
        rig.hub.content = {"config.json": CONTENT["config.json"]}
    else:
        rig.hub.raw_listing = json.dumps({"sha": REV, **listing}).encode()  # type: ignore[dict-item]
    for _ in range(2):  # a rerun does not find "nothing to do"
        code, out = rig.run()
        assert code == errors.EXIT_PERMANENT, out
        (line,) = failed_lines(out)
        assert "no weights" in line and "Fix:" in line
        assert not (rig.target / ledger.MARKER).exists()
    assert fetched(rig) == []


MALFORMED = [
    b"[]",
    b'"siblings"',
    b"null",
    b'{"sha": "' + REV.encode() + b'", "siblings": "model.safetensors"}',
    b'{"sha": "' + REV.encode() + b'", "siblings": [null]}',
    b'{"sha": "' + REV.encode() + b'", "siblings": [{"rfilename": 5, "size": 1}]}',
    b'{"sha": "' + REV.encode() + b'", "siblings": [{"rfilename": "a.safetensors", "size": "1", "blobId": "x"}]}',
    b'{"sha": "' + REV.encode() + b'", "siblings": [{"rfilename": "a.safetensors", "lfs": "yes"}]}',
    b'{"sha": "' + REV.encode() + b'", "siblings": [{"rfilename": "a.safetensors", "lfs": {"size": -1}}]}',
    b'{"sha": "'
    + REV.encode()
    + b'", "siblings": [{"rfilename": "a.safetensors", "size": true, "blobId": "'
    + b"0" * 40
    + b'"}]}',
    b'{"sha": "' + REV.encode() + b'", "siblings": [{"rfilename": "a.safetensors", "size": 3}]}',  # no hash at all
    b'{"sha": "' + b"1" * 40 + b'", "siblings": []}',  # another commit's listing
]


@pytest.mark.parametrize("raw", MALFORMED)
def test_every_malformed_listing_is_one_permanent_line(rig: Rig, raw: bytes) -> None:
    rig.hub.raw_listing = raw
    code, out = rig.run()
    assert code == errors.EXIT_PERMANENT, out
    (line,) = failed_lines(out)
    assert "malformed" in line and "Fix:" in line
    assert fetched(rig) == [] and not (rig.target / ledger.MARKER).exists()


def test_a_listing_that_is_not_json_is_retried_then_left_to_the_job(rig: Rig) -> None:
    rig.hub.raw_listing = b"<html>bad gateway</html>"
    code, out = rig.run(DSR1_MAX_FAILURES="2")
    assert code == errors.EXIT_RETRY and "is not JSON" in out


def test_a_206_for_another_range_is_never_written(rig: Rig) -> None:
    rig.hub.faults[BIG] = ["wrong-range"]
    code, out = rig.run(DSR1_PART_BYTES="4096")
    assert code == 0, out
    assert re.search(r"Content-Range 'bytes (\d+)-(\d+)/16384', asked bytes (\d+)-\2/16384; nothing of it was", out)
    rig.assert_complete()


def test_a_server_that_keeps_answering_another_range_is_permanent(rig: Rig) -> None:
    rig.hub.faults[BIG] = ["wrong-range"] * 50
    code, out = rig.run(DSR1_PART_BYTES="4096", DSR1_CONNECTIONS="1", DSR1_HASH_STRIKES="3")
    assert code == errors.EXIT_PERMANENT
    (line,) = failed_lines(out)
    assert "wrong content 3 times in a row" in line and "Fix:" in line
    assert len(rig.file_requests(BIG)) == 3


def test_a_hash_that_keeps_failing_is_permanent_after_k_strikes(rig: Rig) -> None:
    rig.hub.faults[BIG] = ["corrupt"] * 50
    code, out = rig.run(DSR1_HASH_STRIKES="3")
    assert code == errors.EXIT_PERMANENT
    (line,) = failed_lines(out)
    assert f"{BIG}: the hash differs from the listing's 3 times in a row" in line
    assert len(rig.file_requests(BIG)) == 3


def test_a_hash_that_fails_fewer_than_k_times_is_fetched_again(rig: Rig) -> None:
    rig.hub.faults[BIG] = ["corrupt", "corrupt"]
    code, out = rig.run(DSR1_HASH_STRIKES="3")
    assert code == 0, out
    assert "strike 2/3" in out
    rig.assert_complete()


@pytest.mark.parametrize("link", [ledger.PARTIAL_DIR, "nested", "nested/dir"])
def test_a_planted_directory_symlink_is_never_followed(rig: Rig, tmp_path: Path, link: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (rig.target / link).parent.mkdir(parents=True, exist_ok=True)
    (rig.target / link).symlink_to(outside, target_is_directory=True)
    code, out = rig.run()
    assert code == errors.EXIT_PERMANENT, out
    (line,) = failed_lines(out)
    assert f"{rig.target / link} is a symlink" in line and "Fix: remove it" in line
    assert list(outside.iterdir()) == []
    assert not (rig.target / ledger.MARKER).exists()


def test_a_planted_file_symlink_is_replaced_not_written_through(rig: Rig, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"untouched")
    rig.target.mkdir(parents=True)
    (rig.target / "config.json").symlink_to(victim)
    part = rig.target / ledger.PARTIAL_DIR / f"{SMALL}.part"
    part.parent.mkdir()
    part.symlink_to(victim)
    code, out = rig.run()
    assert code == 0, out
    rig.assert_complete()
    assert victim.read_bytes() == b"untouched" and not (rig.target / "config.json").is_symlink()


def test_the_revision_directory_itself_may_not_be_a_symlink(rig: Rig, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    rig.target.parent.mkdir(parents=True)
    rig.target.symlink_to(outside, target_is_directory=True)
    code, out = rig.run()
    assert code == errors.EXIT_PERMANENT and "is a symlink" in out and list(outside.iterdir()) == []


def test_the_journal_is_rechecked_by_size_and_in_verify_mode_by_hash(rig: Rig) -> None:
    assert rig.run()[0] == 0
    (rig.target / ledger.MARKER).unlink()  # a pod died after the journal, before the marker
    (rig.target / SMALL).write_bytes(b"X" * len(CONTENT[SMALL]))  # same size: the journal's claim still holds
    (rig.target / "config.json").write_bytes(b"{}")  # another size: the journal's claim is refuted
    rig.hub.requests.clear()
    code, out = rig.run()
    assert code == 0, out
    assert sorted(p.rsplit("/", 1)[1] for p in fetched(rig)) == ["config.json"]
    (rig.target / ledger.MARKER).unlink()
    rig.hub.requests.clear()
    code, out = rig.run(DSR1_VERIFY="hashes")
    assert code == 0, out
    assert [p.rsplit("/", 1)[1] for p in fetched(rig)] == [SMALL]
    rig.assert_complete()


def test_a_drip_under_the_rate_floor_is_dropped_and_resumed(rig: Rig) -> None:
    rig.hub.faults[BIG] = ["drip"]
    code, out = rig.run(DSR1_RATE_FLOOR_BYTES="1000", DSR1_RATE_WINDOW_SECONDS="0.3")
    assert code == 0, out
    assert "under the floor of 1000 B/s; reconnecting" in out
    first, second = rig.file_requests(BIG)
    assert first is None and second is not None and second.startswith("bytes=")  # resumed from what the drip gave
    rig.assert_complete()


def test_a_retry_after_past_the_deadline_fails_at_once_saying_so(rig: Rig) -> None:
    rig.hub.retry_after = "7200"
    rig.hub.faults[BIG] = ["429"]
    code, out = rig.run(DSR1_DEADLINE_SECONDS="3600")
    assert code == errors.EXIT_PERMANENT
    (line,) = failed_lines(out)
    assert "asks to wait 7200s (Retry-After), past the Job's deadline" in line and "Fix:" in line


def test_a_retry_after_longer_than_the_outage_budget_is_waited_within_the_deadline(rig: Rig) -> None:
    rig.hub.retry_after = "1"
    rig.hub.faults[BIG] = ["503"]
    code, out = rig.run(DSR1_OUTAGE_SECONDS="0.5", DSR1_DEADLINE_SECONDS="3600")
    assert code == 0, out
    assert "retry 1 in 1.0s" in out
    rig.assert_complete()


def test_no_partial_progress_record_is_left_beside_a_complete_revision(rig: Rig) -> None:
    assert rig.run(DSR1_PART_BYTES="4096")[0] == 0
    left = [p.name for p in (rig.target / ledger.PARTIAL_DIR).rglob("*") if not p.is_dir()]
    assert left == [ledger.JOURNAL]


def test_the_deadline_counts_from_the_jobs_first_pod(rig: Rig) -> None:
    clock = rig.target / ledger.PARTIAL_DIR / "job-clock.json"
    clock.parent.mkdir(parents=True)
    clock.write_text(json.dumps({"job": "uid-1", "startedAt": time.time() - 3500}))
    rig.hub.retry_after = "200"
    rig.hub.faults[BIG] = ["429"]
    code, out = rig.run(DSR1_DEADLINE_SECONDS="3600", DSR1_JOB_UID="uid-1")
    assert code == errors.EXIT_PERMANENT
    (line,) = failed_lines(out)
    assert re.search(r"asks to wait 200s \(Retry-After\), past the Job's deadline \((9\d|100)s left of 3600s\)", line)


def test_another_jobs_clock_is_not_used_and_is_replaced(rig: Rig) -> None:
    clock = rig.target / ledger.PARTIAL_DIR / "job-clock.json"
    clock.parent.mkdir(parents=True)
    clock.write_text(json.dumps({"job": "uid-old", "startedAt": time.time() - 3500}))
    rig.hub.retry_after = "1"
    rig.hub.faults[BIG] = ["429"]
    code, out = rig.run(DSR1_DEADLINE_SECONDS="3600", DSR1_JOB_UID="uid-2")
    assert code == 0, out
    assert json.loads(clock.read_text())["job"] == "uid-2"


def test_a_listing_that_drips_is_dropped_and_asked_again(rig: Rig) -> None:
    rig.hub.faults["listing"] = ["drip"]
    code, out = rig.run(DSR1_RATE_FLOOR_BYTES="1000", DSR1_RATE_WINDOW_SECONDS="0.3")
    assert code == 0, out
    assert "listing: " in out and "under the floor of 1000 B/s" in out
    rig.assert_complete()
