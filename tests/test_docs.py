"""The README stays true to the code it describes."""

from config.deviations import DEVIATIONS
from tests.support import ROOT, stacks

README = (ROOT / "README.md").read_text()


def test_readme_lists_every_deviation() -> None:
    for d in DEVIATIONS:
        assert f"`{d.id}`" in README, d.id


def test_readme_names_every_stack() -> None:
    for stack in stacks():
        assert f"`{stack}`" in README, stack


def test_quick_start_is_the_two_make_targets_ci_runs() -> None:
    assert "make render" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_states_the_committed_predictions() -> None:
    """The 'Predicted performance' table quotes config/predictions.json: a new `make predict` updates both."""
    from config import predictions

    known = predictions.load()
    assert known.tool in README
    for stack, pred in known.stacks.items():
        (row,) = [line for line in README.splitlines() if line.startswith(f"| `{stack}` |") and " ms, " in line]
        for point in pred.points:
            assert f"{round(point.output_tokens_per_s):,}" in row, (stack, point.concurrency)
