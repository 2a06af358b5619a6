"""docs/CONFIG.md is the schema's reference: generated, current, and complete."""

import typing

import pydantic

from config.keys import CONFIG_REFERENCE
from tests.support import ROOT
from tools import config_reference


def test_the_committed_reference_is_current() -> None:
    """Regenerate with `python -m tools.config_reference` when the schema changes."""
    assert (ROOT / CONFIG_REFERENCE).read_text() == config_reference.generate()
    assert config_reference.main(["--check"]) == 0


def test_every_key_of_every_section_is_documented_with_its_description() -> None:
    text = config_reference.generate()
    sections = list(config_reference.sections())
    assert len(sections) > 10  # every config model has a section (19 today): the loop below is not over nothing
    for model, _paths in sections:
        for name, field in model.model_fields.items():
            assert f"| `{field.alias or name}` |" in text, (model.__name__, name)
            assert field.description and field.description.split("|")[0][:40] in text, (model.__name__, name)


def test_sections_cover_nested_models_at_their_paths() -> None:
    paths = {p for _m, ps in config_reference.sections() for p in ps}
    assert {"gpuPool.capacity", "gpuPool.taints[]", "serving.decode.engine", "target.systemNodes"} <= paths


def test_types_read_as_a_user_writes_them() -> None:
    assert config_reference.type_name(typing.Literal["a", "b"]) == "`a` | `b`"
    assert config_reference.type_name(list[int] | None) == "list of integer or null"
    assert config_reference.type_name(pydantic.AwareDatetime) == "timestamp (ISO 8601 with a zone)"
