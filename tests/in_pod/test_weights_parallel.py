"""Issue 23's download at line rate, against the fake Hub: several connections in flight at once (counted by the
fake, which holds each answer until that many are open), ranged parts of one file, and the resume of one part."""

import json
import zlib

import pytest

from in_pod.weights import ledger
from in_pod.weights.parts import plan
from in_pod.weights.settings import Settings, from_env
from tests.in_pod.conftest import BIG, Rig
from tests.in_pod.fault_hub import CONTENT

PART = 4096
PARTS = ["bytes=0-4095", "bytes=4096-8191", "bytes=8192-12287", "bytes=12288-"]


def test_several_connections_are_in_flight_at_once_across_files_and_parts(rig: Rig) -> None:
    rig.hub.hold_until = 4
    code, out = rig.run(DSR1_CONNECTIONS="4", DSR1_PART_BYTES=str(PART))
    assert code == 0, out
    assert rig.hub.max_in_flight == 4  # measured by the fake: four answers open at the same moment
    assert {r for r in rig.file_requests(BIG) if r} == set(PARTS)  # one file, four ranged parts
    assert "over 4 connections in parts of 0 MiB" in out
    rig.assert_complete()


def test_one_connection_is_one_in_flight(rig: Rig) -> None:
    """The control: the fake's count is not an artefact of the hold."""
    rig.hub.hold_until, rig.hub.hold_seconds = 4, 0.05
    code, out = rig.run(DSR1_CONNECTIONS="1", DSR1_PART_BYTES=str(PART))
    assert code == 0, out
    assert rig.hub.max_in_flight == 1


def test_a_part_resumes_from_its_recorded_byte_and_done_parts_are_not_fetched_again(rig: Rig) -> None:
    data = CONTENT[BIG]
    partial = rig.target / ledger.PARTIAL_DIR / f"{BIG}.part"
    partial.parent.mkdir(parents=True)
    with partial.open("wb") as fh:  # part 1 complete, part 2 1,000 bytes in, parts 3 and 4 not started
        fh.write(data[:PART])
        fh.write(data[PART : PART + 1000])
    digest = json.loads(rig.hub.listing_of(BIG))["lfs"]["sha256"]
    crc = [zlib.crc32(data[:PART]), zlib.crc32(data[PART : PART + 1000]), 0, 0]
    record = {"size": len(data), "partBytes": PART, "digest": digest, "done": [PART, 1000, 0, 0], "crc": crc}
    partial.with_name(f"{BIG}.part.json").write_text(json.dumps(record))
    code, out = rig.run(DSR1_PART_BYTES=str(PART))
    assert code == 0, out
    assert sorted(r for r in rig.file_requests(BIG) if r) == ["bytes=12288-", "bytes=5096-8191", "bytes=8192-12287"]
    assert "strike" not in out and "reads back" not in out
    rig.assert_complete()


def test_a_part_the_cache_stored_wrong_is_fetched_again_alone(rig: Rig) -> None:
    """Per-part verification: the CRC-32 of a part as it arrived against the part read back from the cache."""
    data = CONTENT[BIG]
    partial = rig.target / ledger.PARTIAL_DIR / f"{BIG}.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\xff" * 10 + data[10 : 2 * PART])  # parts 1 and 2 arrived whole; part 1 reads back wrong
    digest = json.loads(rig.hub.listing_of(BIG))["lfs"]["sha256"]
    crc = [zlib.crc32(data[:PART]), zlib.crc32(data[PART : 2 * PART]), 0, 0]
    record = {"size": len(data), "partBytes": PART, "digest": digest, "done": [PART, PART, 0, 0], "crc": crc}
    partial.with_name(f"{BIG}.part.json").write_text(json.dumps(record))
    code, out = rig.run(DSR1_PART_BYTES=str(PART))
    assert code == 0, out
    assert f"{BIG} part 1/4: reads back from the cache other than it arrived" in out
    assert sorted(r for r in rig.file_requests(BIG) if r) == ["bytes=0-4095", "bytes=12288-", "bytes=8192-12287"]
    rig.assert_complete()


def test_a_part_broken_mid_transfer_resumes_from_the_byte_it_reached(rig: Rig) -> None:
    rig.hub.faults[BIG] = ["truncate"]
    code, out = rig.run(DSR1_PART_BYTES=str(PART), DSR1_CONNECTIONS="1")
    assert code == 0, out
    first, second = rig.file_requests(BIG)[:2]
    assert first == "bytes=0-4095" and second == "bytes=2048-4095"  # half of part 1 arrived, then the rest
    rig.assert_complete()


def test_progress_recorded_for_other_part_sizes_is_not_trusted(rig: Rig) -> None:
    partial = rig.target / ledger.PARTIAL_DIR / f"{BIG}.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\0" * PART)
    record = {"size": len(CONTENT[BIG]), "partBytes": 1024, "digest": "0" * 64, "done": [1024] * 16, "strikes": 0}
    partial.with_name(f"{BIG}.part.json").write_text(json.dumps(record))
    code, out = rig.run(DSR1_PART_BYTES=str(PART))
    assert code == 0, out
    assert sorted(rig.file_requests(BIG), key=str) == sorted(PARTS)  # each part once: nothing was trusted
    assert "strike" not in out
    rig.assert_complete()


@pytest.mark.parametrize("done", [["x", 0, 0, 0], [1.5, 0, 0, 0], [0, 0, 0], None])
def test_a_damaged_progress_record_is_not_trusted(rig: Rig, done: object) -> None:
    partial = rig.target / ledger.PARTIAL_DIR / f"{BIG}.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\0" * PART)
    digest = json.loads(rig.hub.listing_of(BIG))["lfs"]["sha256"]
    record = {"size": len(CONTENT[BIG]), "partBytes": PART, "digest": digest, "done": done}
    partial.with_name(f"{BIG}.part.json").write_text(json.dumps(record))
    code, out = rig.run(DSR1_PART_BYTES=str(PART))
    assert code == 0, out
    assert sorted(rig.file_requests(BIG), key=str) == sorted(PARTS) and "strike" not in out
    rig.assert_complete()


def test_parts_cover_the_file_without_a_tiny_tail() -> None:
    assert plan(0, 10) == []
    assert plan(14, 10) == [(0, 14)]
    assert plan(15, 10) == [(0, 10), (10, 15)]
    mib512 = 512 * 1024**2
    shard = plan(4_300_000_000, mib512)  # a DeepSeek-R1 shard: eight parts, the 5 MB tail joins the last
    assert len(shard) == 8 and shard[-1] == (7 * mib512, 4_300_000_000)
    assert all(e - s == mib512 for s, e in shard[:-1]) and [s for s, _ in shard[1:]] == [e for _, e in shard[:-1]]


def test_the_defaults_are_sixteen_connections_and_512_mib_parts() -> None:
    s = from_env({"DSR1_REPO": "r", "DSR1_REVISION": "v", "DSR1_TARGET": "/t"})
    assert (s.connections, s.part_bytes) == (16, 512 * 1024**2) == (Settings.connections, Settings.part_bytes)
    assert (s.rate_floor, s.rate_window, s.hash_strikes) == (4096.0, 120.0, 3)


def test_many_parts_under_many_faults_end_complete_and_correct(rig: Rig) -> None:
    big = "model-00003-of-00003.safetensors"
    rig.hub.content[big] = bytes((i * 7919) % 251 for i in range(200_000))
    rig.hub.faults[big] = ["reset", "503", "truncate", "wrong-range", "429", "stall", "ignore-range", "truncate"] * 3
    rig.hub.faults[BIG] = ["truncate", "reset", "502"]
    code, out = rig.run(DSR1_PART_BYTES="4096", DSR1_CONNECTIONS="8", DSR1_HASH_STRIKES="100")
    assert code == 0, out
    assert rig.hub.faults[big] == [] and rig.hub.max_in_flight > 1
    assert len({r for r in rig.file_requests(big) if r}) > 48  # every part, and resumed ones from mid-part
    rig.assert_complete()
