"""Upstream's dashboards and exporter metric lists, as tools/pinned_sources.py generated them from pinned releases
into upstream_files/ (with their source: repository, tag, commit, path)."""

import json
from pathlib import Path
from typing import Any

FILES = Path(__file__).resolve().parent / "upstream_files"


def dashboards() -> dict[str, dict[str, Any]]:
    """NVIDIA's DCGM exporter dashboard (dcgm-exporter 4.5.3-4.8.2, grafana/dcgm-exporter-dashboard.json), unchanged:
    it selects its data source through its own `datasource` variable. Its tensor-activity panel stays empty: that
    DCGM_FI_PROF_* field needs SYS_ADMIN, which the exporter here runs without."""
    board = json.loads((FILES / "dcgm-exporter-dashboard.json").read_text())
    return {"dcgm-exporter.json": board}


def metric_names(exporter: str) -> set[str]:
    """Names an exporter exposes at the pinned release: dcgm-exporter, kube-state-metrics, kubelet."""
    data = json.loads((FILES / f"metrics-{exporter}.json").read_text())
    return set(data["names"])
