"""The render summary's lines for the metrics pipeline: how to open the dashboards and where alerts go."""

from typing import Any


def lines(outputs: dict[str, Any]) -> list[str]:
    obs = outputs.get("observability")
    if obs is None:
        return []
    if isinstance(obs, str):
        return [f"observability: {obs}"]
    return ["observability (docs/observability.md):", *(f"  {k}: {v}" for k, v in obs.items())]
