"""The render summary is written for people: cost and time to endpoint first, then what needs attention, then the
details; wrapped to the terminal; priced for the Region rendered; cost per token on the full hourly cost."""

import json
import re
from collections.abc import Callable

import pytest

from offline import costs, summary
from offline.run import Run
from specs.smoke_spec import cost_per_million_tokens
from tests.support import render, stack_values

WIDTH = 100


def text(run: Run, width: int = WIDTH) -> str:
    return summary.render(run, width)


def test_cost_and_time_come_first_then_attention_then_details(rendered: Callable[[str], Run]) -> None:
    lines = text(rendered("h200-sglang-8")).splitlines()

    def first(prefix: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(prefix))

    assert first("stack h200-sglang-8: deepseek-ai/DeepSeek-R1 (FP8) in us-east-1") == 0
    assert first("cost: $") < first("time to a passing smoke test") < first("attention") < first("details:")
    assert first("details:") < first("  cost by line item") < first("  resources: ")


@pytest.mark.parametrize("width", [60, 80, 120])
def test_every_line_fits_the_width_unless_one_word_is_longer(width: int, rendered: Callable[[str], Run]) -> None:
    out = text(rendered("gb200"), width)
    assert max(len(line) for line in out.splitlines()) > width - 20  # the text does fill the width
    for line in out.splitlines():
        assert len(line) <= width or len(line.split()) == 1 or max(map(len, line.split())) > width // 2, line


def test_the_width_is_the_terminals_by_default(rendered: Callable[[str], Run], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "70")  # what shutil.get_terminal_size reads first
    assert summary.render(rendered("h200-sglang-8")) == text(rendered("h200-sglang-8"), 70)


def test_resource_counts_are_one_line_per_layer(rendered: Callable[[str], Run]) -> None:
    run = rendered("h200-sglang-8")
    lines = text(run, 10_000).splitlines()
    start = lines.index(f"  resources: {len(run.registrations)}")
    layers = lines[start + 1 : start + 1 + len(summary.LAYERS)]
    assert [re.match(r"    (\w+) \(", line).group(1) for line in layers] == [  # type: ignore[union-attr]
        "components",
        "AWS",
        "Kubernetes",
        "providers",
    ]
    counts = [re.match(r"    \w+ \((\d+)\)", line) for line in layers]
    counted = sum(int(m.group(1)) for m in counts if m is not None)
    assert counted == len(run.registrations)


def test_the_cost_per_million_tokens_is_on_the_full_hourly_cost(rendered: Callable[[str], Run]) -> None:
    run = rendered("h200-sglang-8")
    total = costs.total_per_hour(costs.line_items(run.registrations, summary.weight_bytes(run)))
    best = max(run.outputs["predictedPerformance"]["points"], key=lambda p: p["outputTokensPerSecond"])
    full = cost_per_million_tokens(total, best["outputTokensPerSecond"])
    assert total > run.outputs["gpuCostPerHourUsd"] and full > best["usdPerMillionOutputTokens"]
    (line,) = summary.prediction_line(run)
    assert f"${full:.2f} at {best['concurrency']} in flight" in line and f"on the full ${total:,.2f}/h" in line


def test_prices_are_for_the_rendered_region_or_marked(rendered: Callable[[str], Run]) -> None:
    assert "us-east-1 list prices" in text(rendered("h200-sglang-8"), 10_000)
    target = {**stack_values("h200-sglang-8")["target"], "availabilityZones": ["us-west-2a", "us-west-2b"]}
    run = render("h200-sglang-8", "aws:region=us-west-2", f"target={json.dumps(target)}")
    out = text(run, 10_000)
    assert "stack h200-sglang-8: deepseek-ai/DeepSeek-R1 (FP8) in us-west-2" in out
    assert "us-east-1 list prices" not in out
    assert "items marked * are us-east-1 prices (config/catalog.py has none for us-west-2)" in out
    attention = out.split("\ndetails:\n")[0]
    (prices,) = [line for line in attention.splitlines() if line.startswith("  prices: ")]
    assert "GPU nodes" in prices and "us-east-1 prices, config/catalog.py has none for us-west-2" in prices
    marked = [line for line in out.splitlines() if line.endswith(" *")]
    assert any("GPU nodes" in line for line in marked)
    assert not any("public IPv4" in line for line in marked)  # the same price in every Region


def test_nothing_to_flag_is_said_and_flags_are_listed(rendered: Callable[[str], Run]) -> None:
    dev = text(rendered("dev"), 10_000)
    attention = dev.split("\ndetails:\n")[0].split("\nattention:\n")[1]
    assert "\n  network policies: NOT enforced" in "\n" + attention  # the dev stack states its CNI ignores them
    assert "cost: this stack creates nothing billed by the hour" in dev.split("\n\n")[0]
