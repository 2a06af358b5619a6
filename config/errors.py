"""The one error a bad stack raises: every problem with the config key it concerns and how to fix it."""

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class Problem:
    key: str
    """Fully qualified config key, e.g. `dsr1:serving.decode.tp`."""
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message} Fix: {self.fix}"


class ConfigError(pulumi.RunError):
    """A RunError, so `pulumi up` prints the message alone, without a traceback, and registers nothing."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid stack configuration:\n{lines}")
