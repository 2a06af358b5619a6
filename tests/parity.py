"""Compare a generated DynamoGraphDeployment with an upstream recipe, field by field, in comparable form."""

import fnmatch
import shlex
from typing import Any

from config.deviations import Deviation


def flags(args: list[str]) -> dict[str, Any]:
    """`--flag value` pairs as a map; a flag without a value maps to True; repeated values are joined."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(args):
        flag = args[i]
        values = []
        i += 1
        while i < len(args) and not args[i].startswith("--"):
            values.append(args[i])
            i += 1
        out[flag] = " ".join(values) if values else True
    return out


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
        if all("mountPoint" in v for v in value):  # volumeMounts: keyed by where they mount
            for v in value:
                out[f"{path}.{v['mountPoint']}"] = v["name"]
        elif all(set(v) <= {"name", "value"} for v in value):  # env lists
            for v in value:
                out[f"{path}.{v['name']}"] = v.get("value")
        else:
            for i, v in enumerate(value):
                _flatten(v, f"{path}.{i}", out)
    else:
        out[path] = value


def command_line(container: dict[str, Any]) -> tuple[str, list[str]]:
    """The program and its arguments, whether given as command + args or as one `sh -c` line."""
    command, args = container.get("command", []), container.get("args", [])
    if command[-2:] == ["/bin/sh", "-c"] or command == ["sh", "-c"]:
        command, args = [], shlex.split(args[0])
    tokens = [*command, *args]
    first_flag = next((i for i, t in enumerate(tokens) if t.startswith("--")), len(tokens))
    return " ".join(tokens[:first_flag]), tokens[first_flag:]


def comparable(dgd: dict[str, Any]) -> dict[str, Any]:
    """Dotted paths to values; a service's command line flattened to `spec.services.S.program` and
    `spec.services.S.args.--flag`, whichever form (command + args, or `sh -c`) it was written in."""
    dgd = {"metadata": {"name": dgd["metadata"]["name"]}, "spec": dgd["spec"]}
    out: dict[str, Any] = {}
    for name, service in dgd["spec"]["services"].items():
        container = service.get("extraPodSpec", {}).get("mainContainer", {})
        program, args = command_line(container)
        if program:
            out[f"spec.services.{name}.program"] = program
        for flag, value in flags(args).items():
            out[f"spec.services.{name}.args.{flag}"] = value
    stripped = {
        **dgd,
        "spec": {
            **dgd["spec"],
            "services": {
                name: {
                    **s,
                    "extraPodSpec": {
                        **s.get("extraPodSpec", {}),
                        "mainContainer": {
                            k: v for k, v in s.get("extraPodSpec", {}).get("mainContainer", {}).items() if k != "args"
                        },
                    },
                }
                for name, s in dgd["spec"]["services"].items()
            },
        },
    }
    _flatten(stripped, "", out)
    return out


def differences(generated: dict[str, Any], recipe: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    ours, theirs = comparable(generated), comparable(recipe)
    return {
        path: (ours.get(path), theirs.get(path))
        for path in sorted(set(ours) | set(theirs))
        if ours.get(path) != theirs.get(path)
    }


def unexplained(diffs: dict[str, Any], deviations: tuple[Deviation, ...]) -> list[str]:
    return [p for p in diffs if not any(fnmatch.fnmatchcase(p, pat) for d in deviations for pat in d.paths)]


def unused(diffs: dict[str, Any], deviations: tuple[Deviation, ...]) -> list[str]:
    return [d.id for d in deviations if not any(fnmatch.fnmatchcase(p, pat) for p in diffs for pat in d.paths)]
