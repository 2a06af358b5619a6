"""docs/security.md's table of checkov skips is the list of what the renders skip: every rendered skip has a row
with its check and its exact reason, and every row matches a rendered skip. Runs without checkov."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from offline.report import manifests
from offline.run import Run
from tests.support import ROOT, render, stack_values, stacks

DOC = ROOT / "docs" / "security.md"


def variants() -> dict[str, Callable[[], Run]]:
    """Every stack, and the serving escape hatches (privileged workers, a writable root) and a pinned digest."""
    serving = stack_values("h200-sglang-8")["serving"]
    switched = {**serving, "security": {"privilegedWorkers": True, "readOnlyRootFilesystem": False}}
    digest = {**serving, "imageDigest": "sha256:" + "ab" * 32}
    return {
        "switches": lambda: render("h200-sglang-8", f"serving={json.dumps(switched)}"),
        "digest": lambda: render("h200-sglang-8", f"serving={json.dumps(digest)}"),
    }


def skips_in(value: Any) -> Iterator[tuple[str, str]]:
    """(check, reason) of every `checkov.io/skipN` annotation anywhere in a manifest (DGD services included)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "annotations" and isinstance(v, dict):
                for name, text in v.items():
                    if name.startswith("checkov.io/skip"):
                        check, _, reason = str(text).partition("=")
                        yield check, reason
            else:
                yield from skips_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from skips_in(v)


def table_rows() -> set[tuple[str, str]]:
    section = DOC.read_text().split("\n## checkov skips\n", 1)[1].split("\n## ", 1)[0]
    rows = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("CKV"):
            rows.add((cells[0], cells[2]))
    return rows


@pytest.fixture(scope="module")
def rendered_skips(rendered: Callable[[str], Run]) -> dict[tuple[str, str], list[str]]:
    runs = {s: rendered(s) for s in stacks()} | {name: make() for name, make in variants().items()}
    found: dict[tuple[str, str], list[str]] = {}
    for label, run in runs.items():
        for m in manifests(run):
            for pair in skips_in(m):
                found.setdefault(pair, []).append(f"{label}: {m['kind']}/{m['metadata']['name']}")
    return found


def test_every_rendered_skip_has_its_row(rendered_skips: dict[tuple[str, str], list[str]]) -> None:
    assert rendered_skips  # the renders do skip something: the comparison is not vacuous
    missing = [
        f"| {c} | {where[0]} | {r} |" for (c, r), where in sorted(rendered_skips.items()) if (c, r) not in table_rows()
    ]
    assert not missing, "add these rows to docs/security.md's checkov table:\n" + "\n".join(missing)


def test_every_row_is_a_rendered_skip(rendered_skips: dict[tuple[str, str], list[str]]) -> None:
    assert len(table_rows()) >= 10
    assert not table_rows() - set(rendered_skips), table_rows() - set(rendered_skips)


def test_a_pinned_digest_drops_the_tag_skips() -> None:
    run = variants()["digest"]()
    tagged = [m["metadata"]["name"] for m in manifests(run) for c, _ in skips_in(m) if c == "CKV_K8S_43"]
    assert tagged == ["fabric-check"], tagged  # the graph and the pre-pull pull by digest now


def test_the_page_names_only_files_that_exist() -> None:
    import re

    named = set(
        re.findall(
            r"`((?:config|offline|specs|validation|preflight|policy|tests|program)/[^`\s]+\.py)`", DOC.read_text()
        )
    )
    assert len(named) >= 10
    assert not {p for p in named if not (ROOT / p).is_file()}
