"""Run `__main__.py` for a named stack under mocks and return what it registered."""

import logging
import os
import runpy
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings, stack
from pulumi.runtime.sync_await import _sync_await

from offline.mocks import RecordingMonitor, Registration, StackMocks
from offline.stack_files import StackSettings

ENGINE_LOG = logging.getLogger("dsr1.offline.engine")
"""Where the mocked engine sends pulumi.log messages: nowhere. The program's warnings are also its `warnings`
output, which the render summary prints as `warning:` lines; logging them too printed each one twice."""
ENGINE_LOG.addHandler(logging.NullHandler())
ENGINE_LOG.propagate = False


@dataclass
class Run:
    settings: StackSettings
    registrations: list[Registration]
    outputs: dict[str, Any]
    """Stack outputs, secrets as "[secret]"."""


def run_program(
    root: Path,
    stack_settings: StackSettings,
    invoke_answers: Mapping[str, Any] | None = None,
    monitor: RecordingMonitor | None = None,
    hub_endpoint: str | None = None,
) -> Run:
    """Evaluate the program as `pulumi up` would, against mocks; errors (e.g. ConfigError) propagate.

    `invoke_answers` overrides the mocks' answers to invokes; pass a `monitor` to see what was registered even
    when the run fails. Offline by default (the Hub preflight is skipped); `hub_endpoint` points the preflight at a
    Hub (a test's fake).
    """
    if hub_endpoint is None:
        os.environ["DSR1_OFFLINE"] = "1"
    else:
        os.environ.pop("DSR1_OFFLINE", None)
        os.environ["HF_ENDPOINT"] = hub_endpoint
    settings.ROOT.set(None)  # the root Stack survives set_mocks; a stale one would collect this run's exports too
    mocks = StackMocks(stack_settings.config, invoke_answers)
    if monitor is None:
        monitor = RecordingMonitor(mocks)
    else:
        monitor.mocks = mocks
    pulumi.runtime.set_mocks(
        mocks,
        project=stack_settings.project,
        stack=stack_settings.stack,
        preview=False,
        monitor=monitor,
        logger=ENGINE_LOG,
    )
    pulumi.runtime.set_all_config(dict(stack_settings.config), secret_keys=sorted(stack_settings.secret_keys))
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    main = str(root / "__main__.py")

    def program() -> None:
        runpy.run_path(main, run_name="__main__")

    _sync_await(stack.run_pulumi_func(program))
    return Run(stack_settings, monitor.registrations, _stack_outputs())


def _stack_outputs() -> dict[str, Any]:
    """The root Stack's exports, resolved; a secret output is reported as "[secret]", never its value."""
    root = settings.get_root_resource()
    exported: dict[str, Any] = getattr(root, "outputs", {})
    resolved: dict[str, Any] = {}
    for name, value in exported.items():
        out = pulumi.Output.from_input(value)
        secret = _sync_await(out.is_secret())
        resolved[name] = "[secret]" if secret else _sync_await(out.future())
    return resolved
