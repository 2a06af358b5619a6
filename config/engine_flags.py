"""The worker flags each Dynamo release accepts, per backend: plain data read from `engine_flags.json` beside this file.

`python -m tools.engine_flags` writes that file from the released wheels (Dynamo's own worker parser, the engine's
`add_cli_args` included); the program only reads it, so neither a render nor CI needs an engine. Regenerate it when a
release is added.
"""

import difflib
import re
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from config.schema import StackConfig

PATH = Path(__file__).with_name("engine_flags.json")


class Plain(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BackendFlags(Plain):
    """What one backend's worker (`python3 -m dynamo.<backend>`) of one release accepts."""

    module: str = Field(description="The worker's module.")
    engine: str = Field(description="The engine the release pins (`sglang==0.5.21`).")
    engine_parsed: bool = Field(description="Whether the engine's own flags are part of the worker's parser.")
    flags: list[str] = Field(description="Every option string the worker's parsers accept.")
    abbreviating: list[list[str]] = Field(
        description="The options of each of its parsers that take a unique prefix for the whole option (argparse's "
        "allow_abbrev: SGLang's parsers and vLLM's engine parser do; `--tp` is SGLang's `--tp-size`)."
    )
    deprecated: list[str] = Field(description="Accepted, but deprecated (ignored or about to go).")
    prefixes: list[str] = Field(description="Prefixes of dynamic flags (`--trtllm.<key> value`).")
    flexible: bool = Field(
        description="vLLM's FlexibleArgumentParser reads the rest: `_` and `-` are the same in a flag's name, and "
        "`--json-flag.key value` sets one key of a JSON flag (vllm/utils/argparse_utils.py, parse_args)."
    )
    faked_modules: list[str] = Field(description="Modules stood in by fakes while the parser was built.")

    def canonical(self, flag: str) -> str:
        """The option string the parser matches `flag` against (the part before `=`, normalized as it does)."""
        name = flag.split("=", 1)[0]
        if self.flexible and name.startswith("--"):
            head = name[2:].split(".", 1)[0]
            return "--" + head.replace("_", "-")
        return name

    def accepts(self, flag: str) -> bool:
        name, canonical = flag.split("=", 1)[0], self.canonical(flag)
        if canonical in self.flags or any(name.startswith(p) and len(name) > len(p) for p in self.prefixes):
            return True
        # argparse (_parse_optional, _get_option_tuples): a `--` prefix matching exactly one option of a parser
        # that allows abbreviations is that option; matching several is an error.
        return canonical.startswith("--") and any(
            sum(o.startswith(canonical) for o in options) == 1 for options in self.abbreviating
        )

    def closest(self, flag: str) -> str | None:
        found = difflib.get_close_matches(self.canonical(flag), self.flags, n=1, cutoff=0.6)
        return found[0] if found else None


class ReleaseFlags(Plain):
    dynamo: str = Field(description="The ai-dynamo wheel read (`ai-dynamo==1.3.0.post1`).")
    backends: dict[str, BackendFlags]


class EngineFlags(Plain):
    tool: str
    date: str
    method: str
    limits: str
    releases: dict[str, ReleaseFlags] = Field(description="By Dynamo release (the runtime images' tag).")


@cache
def load() -> EngineFlags:
    return EngineFlags.model_validate_json(PATH.read_text())


def stack_release(cfg: StackConfig) -> str:
    """The Dynamo release whose workers the stack runs: `dynamo.version` where the config has that key, else the
    runtime images' tag (`serving.imageTag`). The one place that says which release a stack pins."""
    version: str | None = getattr(cfg.dynamo, "version", None)
    return version or str(cfg.serving.image_tag)


NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def flags_in(args: list[str]) -> list[str]:
    """The tokens of a command line that argparse reads as options: `-x`/`--x[=v]`, not negative numbers or values."""
    return [a for a in args if a.startswith("-") and len(a) > 1 and not NUMBER.match(a)]
