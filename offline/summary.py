"""The render summary, written for people: what the stack costs and how long it takes to serve first, then what
needs attention, then the details; wrapped to the terminal's width.

Each section is a tuple of small functions of the run, each returning its lines (or none): a new line of the
summary is a new function added to its section, not an edit of the others.
"""

import json
import shutil
import textwrap
from collections import Counter
from collections.abc import Callable, Sequence

from config import catalog
from offline import costs, lifecycle, observability_summary
from offline.run import Run
from specs.estimate import summary as estimate_summary
from specs.smoke_spec import cost_per_million_tokens

Lines = Callable[[Run], list[str]]
DEFAULT_WIDTH = 100
"""When stdout is no terminal (a pipe, CI): shutil.get_terminal_size's fallback, unless COLUMNS says otherwise."""
MIN_WIDTH = 60


def region(run: Run) -> str | None:
    value = run.settings.config.get("aws:region")
    return str(value) if value else None


def weight_bytes(run: Run) -> int | None:
    """The checkpoint's size, for the storage the weights occupy (EFS, S3)."""
    model = _model(run)
    return model.weight_bytes if model else None


def _model(run: Run) -> catalog.Model | None:
    try:
        key = json.loads(run.settings.config.get(f"{run.settings.project}:model", "{}")).get("key")
    except (json.JSONDecodeError, AttributeError):
        return None
    return catalog.MODELS.get(key) if isinstance(key, str) else None


def _items(run: Run) -> list[costs.LineItem]:
    return costs.line_items(run.registrations, weight_bytes(run))


def _time(run: Run) -> list[str]:
    est = run.outputs.get("timeToEndpoint")
    return estimate_summary.lines(est) if isinstance(est, dict) else []


# --- first: what it is, what it costs, how long until it serves ---------------------------------------------------


def stack_line(run: Run) -> list[str]:
    model = _model(run)
    what = f"{model.hf_id} ({model.precision.upper()})" if model else "model ?"
    where = f" in {region(run)}" if region(run) else " on an existing cluster"
    return [f"stack {run.settings.stack}: {what}{where}"]


def gpus_line(run: Run) -> list[str]:
    return [f"GPUs: {run.outputs.get('gpus')} on {run.outputs.get('gpuNodes')} nodes"]


def cost_line(run: Run) -> list[str]:
    return costs.headline(_items(run), region(run))


def time_line(run: Run) -> list[str]:
    """The estimate's first line (cold and warm minutes); its chains are in the details."""
    return _time(run)[:1]


def prediction_line(run: Run) -> list[str]:
    """The predicted cost per million output tokens on the stack's full hourly cost, not the GPUs' alone."""
    pred, items = run.outputs.get("predictedPerformance"), _items(run)
    if not isinstance(pred, dict) or not items:
        return []
    total = costs.total_per_hour(items)
    best = max(pred["points"], key=lambda p: p["outputTokensPerSecond"])
    usd = cost_per_million_tokens(total, best["outputTokensPerSecond"])
    return [
        f"predicted cost per million output tokens: ${usd:.2f} at {best['concurrency']} in flight "
        f"({best['outputTokensPerSecond']:,} output tok/s) on the full ${total:,.2f}/h (a model's prediction; "
        "details below)"
    ]


def endpoint_line(run: Run) -> list[str]:
    out = run.outputs
    if "frontendUrl" not in out:
        return []
    return [f"endpoint: {out['frontendUrl']}  (from a laptop: {out.get('portForwardCommand')})"]


# --- then: what needs attention -------------------------------------------------------------------------------------


def warnings(run: Run) -> list[str]:
    return [f"warning: {w}" for w in run.outputs.get("warnings") or []]


def capacity_end(run: Run) -> list[str]:
    out = run.outputs
    return [f"capacity ends {out['capacityEndTime']}: {out.get('capacityWarning')}"] if "capacityEndTime" in out else []


def _flag(key: str, when: str, label: str) -> Lines:
    """An output line that needs attention when it says `when` (it is in the details too)."""

    def line(run: Run) -> list[str]:
        value = run.outputs.get(key)
        return [f"{label}: {value}"] if isinstance(value, str) and when in value else []

    return line


def prices_elsewhere(run: Run) -> list[str]:
    items, where = _items(run), region(run)
    marked = {i.name.split(":")[0].split(" (")[0]: i.region for i in items if i.elsewhere(where)}
    if not marked:
        return []
    others = ", ".join(sorted({str(r) for r in marked.values()}))
    return [
        f"prices: {', '.join(marked)}: {others} prices, config/catalog.py has none for {where}; expect a difference"
    ]


# --- then: the details ----------------------------------------------------------------------------------------------


def cost_table(run: Run) -> list[str]:
    items = _items(run)
    return costs.summary(items, region(run)) if items else []


def predicted(run: Run) -> list[str]:
    pred, items = run.outputs.get("predictedPerformance"), _items(run)
    if not isinstance(pred, dict):
        return []
    total = costs.total_per_hour(items)
    lines = [f"predicted performance ({pred['source']}):"]
    for p in pred["points"]:
        full = f"${cost_per_million_tokens(total, p['outputTokensPerSecond']):.2f}/M output tokens" if items else ""
        lines.append(
            f"  ISL {p['isl']}/OSL {p['osl']}, {p['concurrency']} in flight: TTFT {p['ttftMs']:g} ms, ITL "
            f"{p['itlMs']:g} ms, {p['outputTokensPerSecond']:,} output tok/s ({p['outputTokensPerSecondPerGpu']:g}"
            f"/GPU); {full} on the full cost (GPUs alone: ${p['usdPerMillionOutputTokens']:.2f})"
        )
    return lines


def _output(key: str, label: str) -> Lines:
    def line(run: Run) -> list[str]:
        return [f"{label}: {run.outputs[key]}"] if key in run.outputs else []

    return line


def release(run: Run) -> list[str]:
    """The Dynamo release and what it brings (specs/release_summary.py), one line each."""
    return [str(x) for x in run.outputs.get("dynamoReleaseSummary") or []]


def time_chains(run: Run) -> list[str]:
    rest = _time(run)[1:]
    return ["time to endpoint, the estimate's chains:", *rest] if rest else []


def lifecycle_lines(run: Run) -> list[str]:
    return lifecycle.summary(run.registrations)


LAYERS = (("dsr1:", "components"), ("aws:", "AWS"), ("kubernetes:", "Kubernetes"), ("pulumi:providers:", "providers"))


def resources(run: Run) -> list[str]:
    """Resource counts, one line per layer: components, AWS, Kubernetes, providers."""
    regs = run.registrations
    lines = [f"resources: {len(regs)}"]
    for prefix, label in LAYERS:
        kinds = Counter(r.type.rsplit(":", 1)[-1] for r in regs if r.type.startswith(prefix))
        if kinds:
            listed = ", ".join(f"{n} {k}" if n > 1 else k for k, n in sorted(kinds.items()))
            lines.append(f"  {label} ({sum(kinds.values())}): {listed}")
    return lines


def notes(run: Run) -> list[str]:
    return [f"note: {n}" for n in run.settings.notices]


FIRST: tuple[Lines, ...] = (stack_line, gpus_line, cost_line, time_line, prediction_line, endpoint_line)
ATTENTION: tuple[Lines, ...] = (
    warnings,
    capacity_end,
    _output("capacityStage", "capacity not started"),
    _output("capacityWindow", "capacity window"),
    prices_elsewhere,
    _flag("apiEndpoint", "anywhere", "cluster API"),
    _flag("networkPolicies", "NOT enforced", "network policies"),
    _flag("networkPolicies", "any address", "network policies"),
)
DETAILS: tuple[Lines, ...] = (
    cost_table,
    predicted,
    _output("modelCache", "model cache"),
    release,
    _output("gangScheduling", "gang scheduling"),
    _output("apiEndpoint", "cluster API"),
    _output("networkPolicies", "network policies"),
    time_chains,
    _output("justInTimeGpus", "just-in-time GPUs"),
    lifecycle_lines,
    lambda run: observability_summary.lines(run.outputs),
    resources,
)
LAST: tuple[Lines, ...] = (notes,)


def sections(run: Run) -> list[list[str]]:
    """The summary's blocks, in reading order; an empty attention block says so."""
    first = [line for f in FIRST for line in f(run)]
    flagged = [line for f in ATTENTION for line in f(run)]
    attention = ["attention:", *(f"  {line}" for line in flagged)] if flagged else ["attention: nothing to flag"]
    details = ["details:", *(f"  {line}" for f in DETAILS for line in f(run))]
    return [first, attention, details, [line for f in LAST for line in f(run)]]


def wrap(lines: Sequence[str], width: int) -> list[str]:
    """Each line folded to `width`, continuation lines indented under their line; words (URLs, commands) stay
    whole even when longer than the width."""
    out: list[str] = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out += textwrap.wrap(
            line,
            width,
            subsequent_indent=indent + "    ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]
    return out


def render(run: Run, width: int | None = None) -> str:
    """The summary for a terminal of `width` columns (default: this terminal's, or COLUMNS, or 100)."""
    cols = width or shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    blocks = [wrap(block, max(cols, MIN_WIDTH)) for block in sections(run) if block]
    return "\n\n".join("\n".join(b) for b in blocks)
