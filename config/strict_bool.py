"""A boolean that is `true` or `false` and nothing else.

pydantic's lax bool reads 'yes', 'on', 'y', '1', 't' (and their opposites) as booleans, and PyYAML (YAML 1.1)
turns an unquoted yes/no/on/off into one before pydantic sees it. Pulumi passes a path value such as
`modelCache.deletable=yes` as the string "yes", so a typo could arm a destroy that deletes the weights. Stack files
are read by config/safe_yaml.py (YAML 1.2 core: `yes` stays a string), and this type refuses the string by key.
Accepted: true/false as YAML or JSON booleans, and the strings "true"/"false" (how Pulumi hands a top-level
boolean to the program).
"""

import typing
from typing import Annotated, Any

from pydantic import BeforeValidator


def _strict(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError(
        f"{value!r} is not a boolean: only true and false are (YAML 1.1 read yes/no/on/off/y/n as booleans, Pulumi "
        "passes them as text). Fix: write true or false"
    )


StrictBool = Annotated[bool, BeforeValidator(_strict)]


def _numbers_only(annotation: Any) -> bool:
    """int or float (or either or None), where pydantic's lax mode would read true as 1."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    return all(
        a in (int, float) or (typing.get_origin(a) is Annotated and typing.get_args(a)[0] in (int, float)) for a in args
    )


def no_boolean_numbers(value: Any, annotation: Any, key: str) -> None:
    """A boolean where a number belongs (`nodeCount: true`) is refused, not read as 1."""
    if isinstance(value, bool) and _numbers_only(annotation):
        raise ValueError(f"{key} is {str(value).lower()}, a boolean where a number belongs. Fix: write the number")
