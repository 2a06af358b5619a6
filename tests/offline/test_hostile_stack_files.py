"""The CLI's promise for hostile stack files and --config overrides, held by a fixed seed corpus: exit 2, one
message on stderr naming the stack, no traceback, nothing written, in bounded time and memory.

The corpus is fixed (a seeded generator, so every run tries the same cases) and bounded (about a hundred cases,
each refused before the program registers anything, so the whole test takes seconds).
"""

import random
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import render
from config import safe_yaml
from tests.config.test_safe_yaml import BOMB
from tests.support import ROOT, stack_values

BASE = "h200-sglang-8"
SEED = 20261202
SECONDS_PER_CASE = 5.0
MAX_RSS_GROWTH_KIB = 200_000
"""The whole corpus may grow the process's peak memory by this much at most (the alias bomb alone, read naively,
took 9.6 GB)."""

HOSTILE_VALUES = [
    "yes",
    "off",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!timestamp 2026-07-01",
    "!custom x",
    "*undefined",
    "&a [*a]",
    "[" * 3000,
    "{" * 3000 + "}" * 3000,
    "1e400",
    ".nan",
    "-1",
    "99999999999999999999999999999",
    "''",
    "\x00",
    "[]",
    "{}",
    "null",
    "kube-system",
    "hf_" + "A" * 34,
]


PLAIN_WORDS = {"yes", "off", "kube-system"}
"""Hostile where a boolean or a namespace goes, and nowhere else."""


def _stack_text() -> str:
    return (ROOT / f"Pulumi.{BASE}.yaml").read_text()


def _hostile_files() -> Iterator[tuple[str, bytes]]:
    base = _stack_text()
    yield "alias-bomb", ("config:\n  dsr1:bomb:\n" + "".join(f"    {line}\n" for line in BOMB.splitlines())).encode()
    yield "alias-bomb-in-value", (base + "\n" + BOMB.replace("\n", "\n  ").join(["  dsr1:x:\n  ", ""])).encode()
    yield "recursive-alias", b"config:\n  dsr1:target: &a\n    kind: eks\n    self: *a\n"
    yield "deep-flow", ("config:\n  dsr1:target: " + "[" * 20000 + "]" * 20000 + "\n").encode()
    yield "deep-block", ("config:\n" + "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(200)) + "  x: 1\n").encode()
    yield "duplicate-top-key", (base + "\n  dsr1:serving:\n    backend: vllm\n").encode()
    yield "duplicate-nested-key", base.replace("\n      tp: 8\n", "\n      tp: 8\n      tp: 16\n", 1).encode()
    yield "duplicate-config", (base + "\nconfig: {}\n").encode()
    yield "binary", base.replace("revision: ", "revision: !!binary ", 1).encode()
    yield "set", base.replace("    backend: sglang", "    backend: !!set {sglang}", 1).encode()
    yield "python-object", base.replace("    backend: sglang", "    backend: !!python/object:os.system {}").encode()
    yield "not-utf8", base.encode() + b"\n# \xff\xfe\n"
    yield "nul", base.encode() + b"\x00"
    yield "huge", (base + "#" + "x" * (safe_yaml.MAX_BYTES + 10) + "\n").encode()
    yield "a-list", b"- config\n- x\n"
    yield "a-scalar", b"just text\n"
    yield "config-a-list", b"config:\n  - a\n"
    yield "non-string-key", b"config:\n  ? [a, b]\n  : 1\n"
    yield "empty-key", b'config:\n  "": 1\n'
    yield "two-documents", (base + "\n---\nconfig: {}\n").encode()
    yield (
        "yes-boolean",
        base.replace("    storage: fsx-lustre\n", "    storage: fsx-lustre\n    deletable: yes\n").encode(),
    )
    yield "tab-indent", base.replace("  dsr1:", "\tdsr1:", 1).encode()
    yield "plain-token", (base + "\n  dsr1:hfToken: hf_" + "B" * 34 + "\n").encode()
    rng = random.Random(SEED)
    lines = base.splitlines()
    value_lines = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]
    for n in range(30):
        i = rng.choice(value_lines)
        head = lines[i].split(": ", 1)[0]
        value = rng.choice(HOSTILE_VALUES)
        mutated = [*lines[:i], f"{head}: {value}", *lines[i + 1 :]]
        # A plain word is text under YAML 1.2: where a free string goes (a graph's name) the stack stays valid.
        yield f"value-{n}" + ("-plain" if value in PLAIN_WORDS else ""), "\n".join(mutated).encode()
    raw = "\n".join(line for line in lines if not line.lstrip().startswith("#")).encode()
    for n in range(12):
        data = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.choice(b"&*!%@`|>{}[]:\t\x00\xff-?#'\"")
        yield f"bytes-{n}", bytes(data)


HOSTILE_OVERRIDES: list[str] = [
    "modelCache.deletable=yes",
    "modelCache.deletable=on",
    "modelCache.deletable=y",
    "serving.benchmark.enabled=no",
    "gpuPool.scaleToZero=off",
    "serving.env.X=!!binary aGVsbG8=",
    "serving.env.X=!!set {a}",
    "serving.env.X=&a [*a]",
    f"serving.env.X={BOMB}",
    "serving.env={a: 1, a: 2}",
    "gpuPool.nodeCount=1e400",
    "gpuPool.nodeCount=.nan",
    "gpuPool.nodeCount=99999999999999999999999999999999",
    "serving.decode.extraArgs[99999999]=x",
    "serving.decode.extraArgs[-1]=x",
    "serving..x=1",
    "=x",
    "no-equals-sign",
    "serving" + ".a" * 500 + "=1",
    "serving" + ".a" * 5000 + "=1",
    "serving" + "[0]" * 3000 + "=1",
    "target=[]",
    "target=null",
    "serving.namespace=kube-system",
    "serving.namespace=default",
    "serving.decode.env.HF_TOKEN=x",
    "hfToken=",
    "target.availabilityZones=[us-east-1a, us-east-1a]",
    "target.availabilityZones=[us-east-1a, us-east-1y]",
    "gpuPool.taints=[{key: a, effect: NoSchedule}, {key: a, effect: NoSchedule}]",
    "serving.env.X=" + "x" * (safe_yaml.MAX_BYTES + 1),
    "serving.env.X=[" + "[" * 5000,
]


SAYS = {
    "alias-bomb": "once its aliases are expanded",
    "duplicate-nested-key": "line 24 and line 25: the key 'tp' is given twice",
    "duplicate-top-key": "the key 'dsr1:serving' is given twice",
    "binary": "line 16: the type 'tag:yaml.org,2002:binary' is not accepted",
    "set": "tag:yaml.org,2002:set",
    "yes-boolean": "dsr1:modelCache.deletable: 'yes' is not a boolean",
    "deep-flow": "nested deeper",
    "plain-token": "dsr1:hfToken is in plain text",
}
"""What a few cases must say (the rest: any one message)."""


def _leaf_paths(value: object, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaf_paths(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaf_paths(v, f"{path}[{i}]")
    else:
        yield path


def _random_overrides() -> list[str]:
    """Seeded: a hostile value at a random key path of the base stack (some are valid there: those may pass)."""
    rng = random.Random(SEED + 1)
    paths = sorted(_leaf_paths(stack_values(BASE), ""))
    return [f"{rng.choice(paths)}={rng.choice(HOSTILE_VALUES)}" for _ in range(15)]


def _refused(capsys: pytest.CaptureFixture[str], out: Path, argv: list[str], stack: str, may_pass: bool = False) -> str:
    start = time.monotonic()
    code = render.main(argv)
    elapsed = time.monotonic() - start
    captured = capsys.readouterr()
    if may_pass and code == 0:  # a flipped byte in a description: still a valid stack
        return ""
    assert code == 2, captured.out + captured.err
    assert "Traceback" not in captured.err and captured.err.startswith(f"{stack}: "), captured.err
    assert captured.err.count(f"{stack}: ") == 1, captured.err  # one message (a config error lists its problems)
    assert not out.exists(), "a refused render must write nothing"
    assert elapsed < SECONDS_PER_CASE, f"{elapsed:.1f} s"
    return captured.err


def test_hostile_stack_files_are_refused_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (root / "__main__.py").symlink_to(ROOT / "__main__.py")
    monkeypatch.setattr(render, "ROOT", root)
    cases = list(_hostile_files())
    assert 60 <= len(cases) <= 120
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for name, data in cases:
        stack = f"fuzz-{name}"
        (root / f"Pulumi.{stack}.yaml").write_bytes(data)
        out = tmp_path / f"out-{name}"
        err = _refused(
            capsys,
            out,
            ["--stack", stack, "--out", str(out)],
            stack,
            may_pass=name.startswith("bytes-") or name.endswith("-plain"),
        )
        assert SAYS.get(name, "") in err, (name, err)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < MAX_RSS_GROWTH_KIB


def test_hostile_overrides_are_refused_with_one_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for i, item in enumerate(HOSTILE_OVERRIDES):
        out = tmp_path / f"out-{i}"
        err = _refused(capsys, out, ["--stack", BASE, "--out", str(out), "--config", item], BASE)
        if item.startswith("modelCache.deletable="):
            assert f"dsr1:modelCache.deletable: {item.split('=')[1]!r} is not a boolean" in err, err
    for i, item in enumerate(_random_overrides()):
        out = tmp_path / f"out-random-{i}"
        _refused(capsys, out, ["--stack", BASE, "--out", str(out), "--config", item], BASE, may_pass=True)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < MAX_RSS_GROWTH_KIB


def test_a_naturally_spelled_timestamp_is_read_as_the_time_it_says(tmp_path: Path) -> None:
    """The unquoted `endTime: 2026-07-01T11:30:00Z` (YAML 1.1's timestamp) reaches the schema as its text."""
    from offline.stack_files import read_stack

    root = tmp_path
    (root / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    text = _stack_text() + "\n  dsr1:extra:\n    endTime: 2026-07-01T11:30:00Z\n"
    (root / "Pulumi.t.yaml").write_text(text)
    assert '"endTime": "2026-07-01T11:30:00Z"' in read_stack(root, "t", []).config["dsr1:extra"]


def test_a_render_that_fails_while_writing_leaves_no_directory(
    tmp_path: Path, sglang8: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """report.write computes every file before it creates --out (a cycle among resources used to leave it empty)."""
    from offline import report

    def broken(run: object) -> list[object]:
        raise RuntimeError("dependency cycle among registered resources")

    monkeypatch.setattr(report, "manifests", broken)
    with pytest.raises(RuntimeError):
        report.write(sglang8, tmp_path / "out")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()
