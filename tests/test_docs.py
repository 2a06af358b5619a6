"""The README and the docs/ pages stay true to the code: links resolve, named paths exist, `make` targets and
`--config` keys are real, every stack, component, deviation and prediction is where a reader looks for it."""

import ast
import re
import subprocess
import typing
from pathlib import Path
from typing import Any

import pydantic
import pytest

from config.deviations import DEVIATIONS
from config.schema import StackConfig
from tests.support import ROOT, stacks, working_tree_files

README = (ROOT / "README.md").read_text()
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCS = {p: p.read_text() for p in [ROOT / "README.md", *PAGES]}
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()
TRACKED = working_tree_files()
TOP = {line.split("/")[0] for line in TRACKED}
"""The repository's top-level files and folders: a backticked path starting with one of them names a repo file."""


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _prose(text: str) -> str:
    """The text without its fenced code blocks (links and code spans are read from prose only)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def _code(text: str) -> list[str]:
    """Every code span and every line of every fenced block: where commands and paths are written."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    return re.findall(r"`([^`\n]+)`", _prose(text)) + [line for b in blocks for line in b.splitlines()]


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(text: str) -> set[str]:
    return {_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", _prose(text), flags=re.M)}


# --- the README is a front door -------------------------------------------------------------------------------------


def test_readme_is_a_front_door_with_a_map_of_every_docs_page() -> None:
    assert len(README.splitlines()) <= 220
    linked = set(re.findall(r"\]\((docs/[^)#]+)", README))
    assert linked == {_id(p) for p in PAGES}, "every docs/ page is in the README's map, and nothing else"


def test_readme_names_every_stack() -> None:
    for stack in stacks():
        assert f"`{stack}`" in README, stack


def _section(text: str, title: str) -> str:
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_quick_start_is_the_two_make_targets_ci_runs() -> None:
    """Two commands on a fresh machine: one renders, one tests (each installs what it needs)."""
    block = _section(README, "Quick start").split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make render", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


# --- what every page says is true -----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", DOCS, ids=_id)
def test_every_relative_link_resolves(page: Path) -> None:
    links = re.findall(r"\]\(([^)\s]+)\)", _prose(DOCS[page]))
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue  # https:, mailto:
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{_id(page)}: {link}"
        if anchor:
            assert anchor in _anchors(path.read_text()), f"{_id(page)}: {link}: no such heading"


def _repo_paths(text: str) -> list[str]:
    """Backticked tokens that name a file or folder of this repository (first segment a top-level entry)."""
    found = []
    for span in _code(text):
        for token in re.findall(r"(?<![\w./-])((?:\.?[\w-]+/)+[\w.*<>-]*|[\w.-]+\.(?:py|txt|toml|yaml|md))", span):
            token = token.rstrip(".")
            if token.split("/")[0] in TOP:
                found.append(token)
    return found


@pytest.mark.parametrize("page", DOCS, ids=_id)
def test_every_named_repo_path_exists(page: Path) -> None:
    named = _repo_paths(DOCS[page])
    for token in named:
        pattern = re.sub(r"<[^>]*>", "*", token).rstrip("/")
        assert list(ROOT.glob(pattern)), f"{_id(page)}: `{token}` does not exist"


def test_the_path_check_sees_paths() -> None:
    """Not vacuous: the README names many repo paths, and a missing one is caught."""
    assert len(_repo_paths(README)) >= 10
    assert "config/nosuch.py" in _repo_paths("see `config/nosuch.py` and `https://x/y`")


MAKE_TARGETS = set(re.findall(r"^([\w.-]+):", (ROOT / "Makefile").read_text(), flags=re.M))


@pytest.mark.parametrize("page", DOCS, ids=_id)
def test_every_make_target_exists(page: Path) -> None:
    for line in _code(DOCS[page]):
        for target in re.findall(r"\bmake ([a-z][\w-]*)", line):
            assert target in MAKE_TARGETS, f"{_id(page)}: `make {target}` is no target of the Makefile"


def _field(model: type[pydantic.BaseModel], name: str) -> Any:
    for field_name, info in model.model_fields.items():
        if name in (info.alias, field_name):
            return info.annotation
    return None


def _models(annotation: Any) -> list[Any]:
    """The types a value of `annotation` may be: unions, optionals, Annotated and lists unwrapped."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return [t for a in typing.get_args(annotation) for t in _models(a)]
    return [annotation]


def config_key_exists(key: str) -> bool:
    """Whether `--config KEY=...` names a key of the schema (project keys, with or without `dsr1:`), `aws:region`
    or `hfToken`. Paths are walked through the pydantic tree: `[N]` enters a list, `["k"]` a map."""
    if key in ("aws:region", "hfToken", "dsr1:hfToken"):
        return True
    key = key.removeprefix("dsr1:")
    if ":" in key:
        return False
    current: list[Any] = [StackConfig]
    for part in re.findall(r"\[[^\]]*\]|[^.\[]+", key):
        nxt: list[Any] = []
        for t in current:
            if part.startswith("["):
                origin = typing.get_origin(t)
                if origin in (list, dict):
                    nxt += _models(typing.get_args(t)[-1])
            elif isinstance(t, type) and issubclass(t, pydantic.BaseModel):
                found = _field(t, part)
                if found is not None:
                    nxt += _models(found)
        if not nxt:
            return False
        current = nxt
    return True


def test_the_config_key_check_knows_real_keys_from_others() -> None:
    for key in ("gpuPool.nodeCount", "dsr1:serving.decode.extraArgs[0]", 'gpuPool.nodeLabels["dsr1.io/pool"]'):
        assert config_key_exists(key), key
    for key in ("gpuPool.nodecount", "serving.decode.nosuch", "aws:zone", "modelCache"):
        assert config_key_exists(key) == (key == "modelCache"), key


@pytest.mark.parametrize("page", DOCS, ids=_id)
def test_every_config_key_is_real(page: Path) -> None:
    for line in _code(DOCS[page]):
        for key in re.findall(r"--config '?([^=\s']+)=", line):
            assert config_key_exists(key), f"{_id(page)}: --config {key} is no config key"
        for key in re.findall(r"pulumi config set (?:-s \S+ )?(?:--secret |--path )*'?([A-Za-z][\w:.\[\]\"/-]*)", line):
            assert config_key_exists(key), f"{_id(page)}: pulumi config set {key} is no config key"


# --- where a reader looks for them ----------------------------------------------------------------------------------


def test_every_deviation_is_documented() -> None:
    """The architecture page's table, or the page of the topic that brought it (e.g. releases.md)."""
    text = "".join(DOCS.values())
    for d in DEVIATIONS:
        assert f"`{d.id}`" in text, d.id


def test_the_architecture_page_lists_every_component() -> None:
    found = [
        (node.name, path.name)
        for path in sorted((ROOT / "components").glob("*.py"))
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ClassDef) and any("ComponentResource" in ast.unparse(b) for b in node.bases)
    ]
    assert len(found) >= 10  # the nine of the table and EksCluster
    for name, file in found:
        assert f"`{name}` (`{file}`)" in ARCHITECTURE or f"| `{name}` | `{file}` |" in ARCHITECTURE, name


def test_the_layout_names_every_top_level_folder() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    folders = {line.split("/")[0] for line in tracked.splitlines() if "/" in line}
    layout = _section(ARCHITECTURE, "Layout").split("```", 2)[1]
    assert not {f for f in folders if not re.search(rf"(^|[ ,]){re.escape(f)}/", layout, re.M)}


def test_the_docs_name_only_test_files_that_exist() -> None:
    named = [p for text in DOCS.values() for p in re.findall(r"`(tests/[^`\s]+\.py)`", text)]
    assert len(named) >= 10  # the testing page names its test files in backticks
    for path in named:
        assert (ROOT / path).is_file(), path


def test_the_operations_page_states_the_committed_predictions() -> None:
    """The 'Predicted performance' table quotes config/predictions.json: a new `make predict` updates both."""
    from config import predictions

    known = predictions.load()
    assert known.tool in OPERATIONS
    assert len(known.stacks) >= 4  # every recipe stack has a prediction
    for stack, pred in known.stacks.items():
        assert pred.points, stack
        (row,) = [line for line in OPERATIONS.splitlines() if line.startswith(f"| `{stack}` |") and " ms, " in line]
        for point in pred.points:
            assert f"{round(point.output_tokens_per_s):,}" in row, (stack, point.concurrency)
