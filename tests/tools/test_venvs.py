"""A virtualenv counts as installed only with the stamp make writes last; a half-built one says how to rebuild."""

from pathlib import Path

from tools import venvs
from tools.local_twin.__main__ import main as twin_main


def test_only_the_stamp_makes_a_venv_ready(tmp_path: Path) -> None:
    venv = tmp_path / ".venv-local"
    assert venvs.problem(venv, "x") == ".venv-local is not installed: `make x` builds it"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()  # what a failed install leaves behind
    assert venvs.problem(venv, "x") == ".venv-local is incomplete (its install did not finish): `make x` builds it anew"
    (venv / venvs.STAMP).touch()
    assert venvs.problem(venv, "x") is None


def test_the_twin_refuses_a_half_built_venv_in_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    venv = tmp_path / ".venv-local"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    assert twin_main(["--stack", "dev", "--venv", str(venv), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "local twin: .venv-local is incomplete (its install did not finish): "
        "`make .venv-local/.installed` builds it anew"
    )
