"""The one reader of user YAML (config/safe_yaml.py): bounded, strict, plain; each test fails if its guard goes."""

import resource
import time

import pytest

from config import safe_yaml
from config.safe_yaml import YamlError, YamlSyntaxError

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
"""~1 KB, 9^9 (387 million) strings once expanded: the 'billion laughs'."""


def test_plain_values_read_as_yaml_1_2_core() -> None:
    doc = safe_yaml.load("a: 3\nb: 1.5\nc: true\nd: ~\ne: text\nf: [1, x]\ng: {h: FALSE}\ni: 0x1f\n")
    assert doc == {"a": 3, "b": 1.5, "c": True, "d": None, "e": "text", "f": [1, "x"], "g": {"h": False}, "i": 31}


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "OFF"])
def test_yaml_1_1_booleans_stay_strings(word: str) -> None:
    assert safe_yaml.load(f"deletable: {word}") == {"deletable": word}


def test_an_unquoted_timestamp_stays_the_text_written() -> None:
    assert safe_yaml.load("endTime: 2026-07-01T11:30:00Z") == {"endTime": "2026-07-01T11:30:00Z"}
    assert safe_yaml.load("d: 2026-07-01") == {"d": "2026-07-01"}


def test_an_alias_bomb_is_refused_fast_and_small() -> None:
    assert len(BOMB) < 1100
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    with pytest.raises(YamlError, match="aliases are expanded"):
        safe_yaml.load(BOMB)
    assert time.monotonic() - start < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 20_000  # KiB: a few MB at most


def test_a_few_aliases_still_work() -> None:
    assert safe_yaml.load("a: &t {key: k, effect: NoSchedule}\nb: [*t, *t]") == {
        "a": {"key": "k", "effect": "NoSchedule"},
        "b": [{"key": "k", "effect": "NoSchedule"}] * 2,
    }


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(YamlError, match="contains it"):
        safe_yaml.load("a: &a [*a]")


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "".join(f"{' ' * i}k{i}:\n" for i in range(60)) + "x"])
def test_deep_nesting_is_refused(text: str) -> None:
    with pytest.raises(YamlError, match="nested deeper"):
        safe_yaml.load(text)


def test_size_is_bounded() -> None:
    with pytest.raises(YamlError, match="larger than"):
        safe_yaml.load("a: " + "x" * (safe_yaml.MAX_BYTES + 1))


def test_a_duplicate_key_names_both_lines() -> None:
    with pytest.raises(YamlError, match=r"line 2 and line 4: the key 'tp' is given twice"):
        safe_yaml.load("decode:\n  tp: 8\n  dp: 8\n  tp: 16\n")


@pytest.mark.parametrize(
    "text",
    [
        "a: !!binary aGVsbG8=",
        "a: !!set {x, y}",
        "a: !!timestamp 2026-07-01",
        "a: !!omap [{x: 1}]",
        "a: !!python/object:os.system {}",
        "a: !custom x",
    ],
)
def test_explicit_types_are_refused_with_the_line(text: str) -> None:
    with pytest.raises(YamlError, match=r"line 1: the type .* is not accepted"):
        safe_yaml.load(text)


@pytest.mark.parametrize("text", ["a: !!int abc", "a: .inf", "a: !!float nan"])
def test_a_number_that_is_not_finite_or_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(YamlError, match="line 1"):
        safe_yaml.load(text)


@pytest.mark.parametrize("text", ["? [a, b]\n: x", "? !!binary aGVsbG8=\n: x", '"": x'])
def test_a_key_that_is_not_a_plain_name_is_refused(text: str) -> None:
    with pytest.raises(YamlError, match="line 1: a key must be a plain name"):
        safe_yaml.load(text)


def test_broken_yaml_is_a_syntax_error_with_its_line() -> None:
    with pytest.raises(YamlSyntaxError, match="line 2: not valid YAML"):
        safe_yaml.load("a: 1\n b: [\n")
