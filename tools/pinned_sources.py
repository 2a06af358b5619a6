"""Generate the pipeline's upstream files from pinned releases: NVIDIA's DCGM dashboard, and the metric names the
exporters we do not run locally expose (dcgm-exporter, kube-state-metrics, the kubelet's volume stats).

    python -m tools.pinned_sources --dcgm <git dir> --ksm <git dir> --charts <git dir>

Each argument is a git directory of the upstream repository (a clone or a mirror snapshot); the files are read at
the pinned tag, which must resolve to the pinned commit. Writes specs/observability/upstream_files/; never edit those
files by hand.
"""

import argparse
import json
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "specs" / "observability" / "upstream_files"


@dataclass(frozen=True)
class Source:
    repo: str
    tag: str
    commit: str
    paths: tuple[str, ...]


DCGM = Source(
    "NVIDIA/dcgm-exporter",
    "4.5.3-4.8.2",
    "691c92762eb551313c825f6efe4ceeee20982801",
    ("etc/default-counters.csv", "grafana/dcgm-exporter-dashboard.json"),
)
"""The release the pinned chart (config/versions.py DCGM_EXPORTER 4.8.2) installs: its default counters are the
metrics it exports; its Grafana dashboard is NVIDIA's own."""
KSM = Source(
    "kubernetes/kube-state-metrics",
    "v2.20.0",
    "4ffeda2ef866b0fef372849825a803296483b336",
    ("docs/metrics/workload/pod-metrics.md", "docs/metrics/workload/job-metrics.md"),
)
"""kube-state-metrics 2.20.0, the appVersion of chart 8.4.0 that kube-prometheus-stack 88.5.3 depends on."""
CHARTS = Source(
    "prometheus-community/helm-charts",
    "kube-prometheus-stack-88.5.3",
    "ea930baeebeba39f56d6b44e351f23b2a072a600",
    (
        "charts/kube-prometheus-stack/templates/prometheus/rules-1.14/kubernetes-storage.yaml",
        "charts/kube-prometheus-stack/charts/crds/crds/crd-prometheusrules.yaml",
    ),
)
"""The kubelet's volume stats, as the pinned chart's own storage alerts read them (kubernetes/kubernetes
pkg/kubelet/metrics/metrics.go: subsystem kubelet, volume_stats_used_bytes, volume_stats_capacity_bytes); and the
PrometheusRule CRD the chart installs, whose schema the rendered rule is validated against."""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _read(repo: Path, src: Source, path: str) -> str:
    commit = _git(repo, "rev-list", "-n1", src.tag).strip()
    if commit != src.commit:
        raise SystemExit(f"{src.repo}: tag {src.tag} is {commit}, not the pinned {src.commit}")
    return _git(repo, "show", f"{src.tag}:{path}")


def dcgm_names(csv: str) -> list[str]:
    """Field names of default-counters.csv (`name, type, help`; `#` comments); `label` rows are labels, not
    metrics."""
    out = []
    for line in csv.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if line.strip().startswith("#") or len(fields) < 2 or not fields[0]:
            continue
        if fields[1] != "label":
            out.append(fields[0])
    return sorted(set(out))


def ksm_names(markdown: str) -> list[str]:
    """The first column of the metric tables."""
    return sorted(set(re.findall(r"^\|\s*(kube_[a-z0-9_]+)\s*\|", markdown, flags=re.M)))


def kubelet_names(rules: str) -> list[str]:
    return sorted(set(re.findall(r"\b(kubelet_volume_stats_[a-z_]+)\b", rules)))


def _write(name: str, data: object) -> None:
    (OUT / name).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dcgm", type=Path, required=True)
    parser.add_argument("--ksm", type=Path, required=True)
    parser.add_argument("--charts", type=Path, required=True)
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    counters, board = (_read(args.dcgm, DCGM, p) for p in DCGM.paths)
    lists = {
        "dcgm-exporter": (DCGM, dcgm_names(counters)),
        "kube-state-metrics": (KSM, sorted(set().union(*(ksm_names(_read(args.ksm, KSM, p)) for p in KSM.paths)))),
        "kubelet": (CHARTS, kubelet_names(_read(args.charts, CHARTS, CHARTS.paths[0]))),
    }
    for name, (src, names) in lists.items():
        _write(f"metrics-{name}.json", {"source": asdict(src), "names": names})
    crd = yaml.safe_load(_read(args.charts, CHARTS, CHARTS.paths[1]))
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    _write(
        "crd-prometheusrule-v1.schema.json", {"source": asdict(CHARTS), "schema": served["schema"]["openAPIV3Schema"]}
    )
    (OUT / "dcgm-exporter-dashboard.json").write_text(board)
    _write("dcgm-exporter-dashboard.source.json", asdict(DCGM))
    print(f"wrote {OUT.relative_to(ROOT)}/: " + ", ".join(f"{k} ({len(v[1])} names)" for k, v in lists.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
