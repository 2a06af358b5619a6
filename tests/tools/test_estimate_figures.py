"""docs/time-to-endpoint.md lists every figure of the estimate as specs/estimate/figures.py has it."""

from specs.estimate import figures
from tools import estimate_figures


def test_the_docs_table_is_current() -> None:
    assert estimate_figures.main(["--check"]) == 0


def test_the_table_has_a_row_per_figure_with_its_range_and_source() -> None:
    text = estimate_figures.table()
    for name, f in figures.all_figures().items():
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{name}` |")]
        assert f"| {f.typical:g} |" in row and f.source.split(":")[0].replace("|", "\\|") in row


def test_rewrite_replaces_only_the_generated_part() -> None:
    page = f"before\n{estimate_figures.BEGIN}\nold\n{estimate_figures.END}\nafter\n"
    out = estimate_figures.rewrite(page)
    assert out.startswith("before\n") and out.endswith("\nafter\n") and "\nold\n" not in out
