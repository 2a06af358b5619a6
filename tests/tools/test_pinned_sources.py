"""tools/pinned_sources.py: how it reads upstream files, and that the committed outputs are its own (their sources
are the tool's pinned ones), not hand edits."""

import json
from dataclasses import asdict
from pathlib import Path

from tools import pinned_sources as ps
from tools.local_twin import metrics

FILES = Path(ps.OUT)


def test_dcgm_counters_skip_comments_blank_lines_and_labels() -> None:
    csv = (
        "# Format\n# DCGM_FI_DEV_X, gauge, commented out\n\n"
        "DCGM_FI_DEV_GPU_UTIL, gauge, util\nDCGM_FI_DRIVER_VERSION, label, v\n"
    )
    assert ps.dcgm_names(csv) == ["DCGM_FI_DEV_GPU_UTIL"]


def test_kube_state_metrics_names_come_from_the_tables_first_column() -> None:
    md = "| Metric name | Type |\n| --- | --- |\n| kube_pod_labels | Gauge |\n| see kube_pod_info in text | x |\n"
    assert ps.ksm_names(md) == ["kube_pod_labels"]


def test_the_committed_lists_carry_the_tools_pinned_sources() -> None:
    expected = {"dcgm-exporter": ps.DCGM, "kube-state-metrics": ps.KSM, "kubelet": ps.CHARTS}
    for name, source in expected.items():
        data = json.loads((FILES / f"metrics-{name}.json").read_text())
        assert data["source"] == json.loads(json.dumps(asdict(source))), name
        assert data["names"] == sorted(set(data["names"])) and data["names"], name
    assert json.loads((FILES / "dcgm-exporter-dashboard.source.json").read_text())["commit"] == ps.DCGM.commit
    assert json.loads((FILES / "crd-prometheusrule-v1.schema.json").read_text())["source"]["tag"] == ps.CHARTS.tag


def test_exposition_names_are_the_samples_not_the_comments() -> None:
    text = (
        '# HELP a_total x\n# TYPE a_total counter\na_total{x="1"} 3\n'
        'vllm:kv_cache_usage_perc 0.5\nb_bucket{le="+Inf"} 1\n'
    )
    assert metrics.names(text) == {"a_total", "vllm:kv_cache_usage_perc", "b_bucket"}
