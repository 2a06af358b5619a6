"""The bench's floor imports what a render imports, minus the project: else its ratio compares nothing."""

from pathlib import Path

from tools import bench


def test_the_floor_is_the_renders_third_party_imports(tmp_path: Path) -> None:
    modules = set(bench.loaded_modules("dev", str(tmp_path / "out")))
    # The virtualenv lives inside the checkout (.venv): its packages still count as third-party.
    assert {"pulumi", "pulumi_kubernetes", "pydantic", "yaml"} <= modules
    assert not modules & {"config.schema", "program.stack", "components.model_cache", "offline.run"}
