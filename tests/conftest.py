"""Fixtures: one offline run per stack per session (runs are deterministic; tests only read them)."""

import pytest

from offline.run import Run
from tests.support import render

RENDER_TOKEN = "hf_TESTCANARY0123456789abcdefghijklmnop"


@pytest.fixture(scope="session")
def sglang8() -> Run:
    return render("h200-sglang-8", f"hfToken={RENDER_TOKEN}")
