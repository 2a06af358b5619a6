"""Fixtures: one offline run per stack per session (runs are deterministic; tests only read them)."""

from collections.abc import Callable

import pytest

from offline.run import Run
from tests.support import render

RENDER_TOKEN = "hf_TESTCANARY0123456789abcdefghijklmnop"


@pytest.fixture(scope="session")
def rendered() -> Callable[[str], Run]:
    """`rendered(stack)`: the stack's offline run with a test token, made once per session."""
    cache: dict[str, Run] = {}

    def get(stack: str) -> Run:
        if stack not in cache:
            cache[stack] = render(stack, f"hfToken={RENDER_TOKEN}")
        return cache[stack]

    return get


@pytest.fixture(scope="session")
def sglang8(rendered: Callable[[str], Run]) -> Run:
    return rendered("h200-sglang-8")
