"""The edge: read the project's Pulumi config once, validate it into a StackConfig, or fail with one message.

Nothing else in the program reads `pulumi.Config`; components get validated values.
"""

import contextlib
import difflib
import json
import os
import typing
from collections.abc import Mapping
from typing import Any

import pulumi
import pydantic
from pulumi.runtime import config as runtime_config

from config.errors import ConfigError, Problem
from config.keys import CONFIG_REFERENCE, key
from config.schema import StackConfig
from preflight import hub as hub_preflight
from validation import refusals, rules

HF_TOKEN_KEY = "hfToken"


def _project_values(project: str) -> dict[str, Any]:
    """Every `project:key` value Pulumi passed in, JSON objects decoded (Pulumi hands structured config as JSON)."""
    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    values: dict[str, Any] = {}
    for full_key, value in raw.items():
        ns, _, name = full_key.partition(":")
        if ns != project or name == HF_TOKEN_KEY:
            continue
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(json.JSONDecodeError):  # a plain string that starts with a bracket
                value = json.loads(value)
        values[name] = value
    return values


def _submodel(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> type[pydantic.BaseModel] | None:
    """The model class found by following `loc` (config keys) from `model`, for listing its known keys."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, pydantic.BaseModel)):
            return None
        field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return None
        current = _model_in(field.annotation)
    return current if isinstance(current, type) and issubclass(current, pydantic.BaseModel) else None


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the discriminator tags pydantic inserts into locations (`target.eks.clusterName`)."""
    tags = ("eks", "existing")
    return tuple(p for i, p in enumerate(loc) if not (i == 1 and loc[0] == "target" and p in tags) and p != "[key]")


def _problem(err: Any, values: Mapping[str, Any]) -> Problem:
    loc = _path(tuple(err["loc"]))
    dotted = ".".join(str(p) for p in loc)
    name = key(dotted) if dotted else key("")
    if err["type"] == "extra_forbidden":
        parent = _submodel(StackConfig, loc[:-1]) if len(loc) > 1 else StackConfig
        known = sorted(f.alias or n for n, f in parent.model_fields.items()) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return Problem(
            name, "is not a known key.", f"{hint}known keys here: {', '.join(known)} (all keys: {CONFIG_REFERENCE})."
        )
    if err["type"] == "missing":
        return Problem(
            name,
            "is required.",
            f"pulumi config set --path '{dotted}' <value>, or add it to the stack file (see {CONFIG_REFERENCE}).",
        )
    error = str(err.get("ctx", {}).get("error", ""))
    if err["type"] == "value_error" and ". Fix: " in error:  # the rules of config/k8s_types.py name their fix
        message, _, fix = error.partition(". Fix: ")
        return Problem(name, f"{message}.", f"{fix}.")
    return Problem(name, f"{err['msg']} (got {err.get('input')!r}).", f"see `{dotted}` in {CONFIG_REFERENCE}.")


def load_stack_config(values: Mapping[str, Any], aws_region: str | None) -> StackConfig:
    """Validate raw project config values (keys without the project prefix) or raise ConfigError."""
    leaks = refusals.token_problems(values)
    if leaks:  # first and alone: the schema's messages would repeat the value
        raise ConfigError(leaks)
    try:
        cfg = StackConfig.model_validate(dict(values))
    except pydantic.ValidationError as e:
        raise ConfigError([_problem(err, values) for err in e.errors()]) from None
    found = rules.problems(cfg, aws_region)
    if found:
        raise ConfigError(found)
    return cfg


def read_stack_config() -> tuple[StackConfig, str | None, pulumi.Output[str]]:
    """The validated config, `aws:region`, and the Hugging Face token (a secret Output) of the running stack."""
    project = pulumi.get_project()
    full_token_key = f"{project}:{HF_TOKEN_KEY}"
    token_problems: list[Problem] = []
    secret_keys = set(runtime_config._SECRET_KEYS.get()) | set(runtime_config.get_config_secret_keys_env())
    token = runtime_config.get_config(full_token_key)
    if token is None:
        token_problems.append(
            Problem(full_token_key, "is not set.", "pulumi config set --secret hfToken hf_... (a read token).")
        )
    elif not str(token).strip():
        token_problems.append(
            Problem(
                full_token_key,
                "is empty; the download Job authenticates to the Hugging Face Hub with it.",
                "pulumi config set --secret hfToken hf_... (a read token).",
            )
        )
    elif full_token_key not in secret_keys:
        token_problems.append(
            Problem(full_token_key, "is stored in plain text.", "pulumi config set --secret hfToken hf_... again.")
        )
    aws_region = runtime_config.get_config("aws:region")
    try:
        cfg = load_stack_config(_project_values(project), aws_region)
    except ConfigError as e:
        raise ConfigError(e.problems + token_problems) from None
    if token_problems:
        raise ConfigError(token_problems)
    check = hub_preflight.run(cfg, str(runtime_config.get_config(full_token_key)))
    if check.problems:
        raise ConfigError(check.problems)
    if check.notice and os.environ.get(hub_preflight.OFFLINE_ENV) != "1":  # a render lists it in its summary
        pulumi.log.warn(check.notice)
    if check.revision and check.revision != cfg.model.revision:
        pulumi.log.info(f"{key('model.revision')}: {cfg.model.revision!r} is commit {check.revision}; pinning it")
        cfg = cfg.model_copy(update={"model": cfg.model.model_copy(update={"revision": check.revision})})
    return cfg, aws_region, pulumi.Config().require_secret(HF_TOKEN_KEY)
