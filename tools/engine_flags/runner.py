"""Runs as a file (`python -I runner.py <backend> <source dir>...`), never imported: build Dynamo's own worker parser.

It puts the unpacked wheels' Python sources (ai-dynamo and the engine) first on sys.path, stands in a permissive fake
for every module that is not there (torch, triton, the Rust runtime: nothing the parser builders need), calls
`dynamo.<backend>.args.parse_args` and stops it at its first `parse_known_args`, which in every release read is the
wrapper's top-level parser: Dynamo's runtime and wrapper options plus the engine's own (`ServerArgs.add_cli_args`,
`AsyncEngineArgs.add_cli_args`). It prints that parser's option strings as JSON. No network: sockets are refused.
"""

import abc
import argparse
import asyncio
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import inspect
import json
import re
import socket
import sys
import tempfile
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from packaging.version import Version


class _FakeMeta(abc.ABCMeta):
    """A class that answers every attribute, call, index and operator with another fake: enough for module-level
    code of engines (decorators, type unions, `torch.cuda.is_available()`) to import without the real package."""

    def __getattr__(cls, name: str) -> Any:
        if name in OTHER_DEVICES or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)
        full = f"{cls.__module__}.{cls.__name__}.{name}"
        if name == "name":
            return full  # library and op names are strings
        return ANSWERS[full] if full in ANSWERS and full not in CALLED else _fake(full)

    def __getitem__(cls, item: Any) -> Any:
        return cls

    def __or__(cls, other: Any) -> Any:
        return cls

    def __ror__(cls, other: Any) -> Any:
        return cls

    def register(cls, *args: Any, **kwargs: Any) -> Any:
        return args[0] if args else cls

    def __setitem__(cls, item: Any, value: Any) -> None:
        return None

    def __delitem__(cls, item: Any) -> None:
        return None

    def __contains__(cls, item: Any) -> bool:
        return False

    def __iter__(cls) -> Any:
        return iter(())

    def __len__(cls) -> int:
        return 0

    def __bool__(cls) -> bool:
        return False

    def __add__(cls, other: Any) -> Any:
        return cls

    def __radd__(cls, other: Any) -> Any:
        return other if isinstance(other, str) else cls

    __sub__ = __mul__ = __truediv__ = __floordiv__ = __mod__ = __pow__ = __and__ = __add__
    __rsub__ = __rmul__ = __rtruediv__ = __rand__ = __add__

    def __neg__(cls) -> Any:
        return cls

    __pos__ = __abs__ = __invert__ = __neg__

    def __float__(cls) -> float:
        return 0.0

    def __lt__(cls, other: Any) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__

    def __index__(cls) -> int:
        return 0

    __int__ = __index__

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if "_fake" not in cls.__dict__:
            return super().__call__(*args, **kwargs)  # a real class deriving from a fake
        full = f"{cls.__module__}.{cls.__name__}"
        if full in ANSWERS:
            answer = ANSWERS[full]
            return answer(*args, **kwargs) if callable(answer) else answer
        if cls.__name__ == "dumps":
            return b""  # serializers (dill.dumps(cls).hex() at import time)
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]  # used as a decorator: keep the function
        return cls


class _FakeBase:
    """What a class deriving from a fake derives from: it takes any class keyword (`frozen=True`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return args[0] if len(args) == 1 and callable(args[0]) and not kwargs else self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _fake(f"{type(self).__module__}.{type(self).__name__}.{name}")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.any_schema()


def _fake(name: str) -> Any:
    return _FakeMeta(name.rsplit(".", 1)[-1], (_FakeBase,), {"__module__": name.rsplit(".", 1)[0], "_fake": True})


PINS: dict[str, str] = {}
"""Distribution name (normalized) -> the version the engine's wheel requires; fakes report it."""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _infer_schema(fn: Any, *args: Any, **kwargs: Any) -> str:
    """torch.library.infer_schema, as far as vLLM's IR op registry reads it: one Tensor output per Tensor returned."""
    returned = str(inspect.signature(fn).return_annotation).count("Tensor") or 1
    outputs = ", ".join(["Tensor"] * returned)
    return f"(Tensor x) -> {outputs if returned == 1 else f'({outputs})'}"


ANSWERS: dict[str, Any] = {
    "torch.library.infer_schema": _infer_schema,
    "torch.cuda.is_available": True,
    "torch.cuda.device_count": 8,
    "torch.cuda.get_device_capability": (9, 0),
    "torch.version.hip": None,
    "torch.version.cuda": "12.9",
    "triton.runtime.driver.active.get_current_target.backend": "cuda",
}
"""What a fake says where engines branch on it at import time: an NVIDIA GPU node (CALLED: the value a call
returns)."""
CALLED = {
    "torch.cuda.is_available",
    "torch.cuda.device_count",
    "torch.cuda.get_device_capability",
    "torch.library.infer_schema",
}

OTHER_DEVICES = {"npu", "xpu", "hpu", "mlu", "musa", "xla"}
"""torch.<device> namespaces of other accelerators: absent in an NVIDIA image, and engines test `hasattr`."""


class _FakeModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name in OTHER_DEVICES:
            raise AttributeError(name)
        full = f"{self.__name__}.{name}"
        if full in ANSWERS and full not in CALLED:
            return ANSWERS[full]
        if name == "__version__":
            return PINS.get(_norm(self.__name__.split(".")[0]), "0.0.0")
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _fake(f"{self.__name__}.{name}")


REQUIREMENT = re.compile(r"^Requires-Dist: ([A-Za-z0-9_.-]+)(?:\[[^]]*\])? ?\(?(?:[^;]*?(?:==|>=|~=)([0-9][^,;) ]*))?")


def fake_distributions(sources: list[str], into: Path) -> None:
    """Metadata for what the wheels require (extras included: the images install them) but is not here, at the
    version they pin (or their lower bound), so `importlib.metadata.version("torch")` answers as in the image."""
    for metadata in (m for s in sources for m in Path(s).glob("*.dist-info/METADATA")):
        for line in metadata.read_text().splitlines():
            found = REQUIREMENT.match(line)
            if found:  # the highest any wheel asks for: engines pin tighter than ai-dynamo
                name, version = _norm(found[1]), found[2] or "0.0.0"
                if Version(version) > Version(PINS.get(name, "0.0.0")):
                    PINS[name] = version
                PINS.setdefault(name, version)
    for name, version in PINS.items():
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            info = into / f"{name}-{version}.dist-info"
            info.mkdir(parents=True)
            (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


class _FakeLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _FakeModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


NOT_ON_A_GPU_NODE = re.compile(r"npu|xla|habana|hpu|ipex|intel|mindspore|amdsmi|rocm|mlu|musa|tpu|xpu|neuron|mps")
"""Accelerator stacks an NVIDIA image lacks: engines probe for them at import time, so they stay missing."""


class _FakeFinder(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: a module no real finder has becomes a fake (torch, triton, the Rust runtime; the
    parser builders use none of them), but for the standard library and other accelerators' stacks."""

    faked: ClassVar[set[str]] = set()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        top = fullname.split(".")[0]
        real_package = top in sys.modules and not isinstance(sys.modules[top], _FakeModule)
        compiled = fullname.rsplit(".", 1)[-1].startswith("_")  # dynamo._core, vllm._C: not in the unpacked .py
        if (real_package and not compiled) or top in sys.stdlib_module_names or NOT_ON_A_GPU_NODE.search(top.lower()):
            return None
        self.faked.add(fullname.split(".")[0])
        return importlib.machinery.ModuleSpec(fullname, _FakeLoader(), is_package=True)


class _Replaced(importlib.abc.MetaPathFinder):
    """First on sys.meta_path: real modules that must be fakes here (they would load a GPU driver library)."""

    names: ClassVar[set[str]] = set()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        return importlib.machinery.ModuleSpec(fullname, _FakeLoader(), is_package=True)


class _StopError(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def _no_network(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise OSError("engine_flags runner: network access refused")


def option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """The parser's own options and those its groups borrow from the engine's parser (Dynamo adds the engine's
    actions to a help group; what the wrapper does not know it hands to the engine's parser, which knows them)."""
    actions = [*parser._actions, *(a for g in parser._action_groups for a in g._group_actions)]
    return sorted({s for action in actions for s in action.option_strings})


def _vllm_sees_a_gpu() -> None:
    """vLLM picks its platform by asking NVML, through its vendored copy, for GPUs (vllm/platforms/__init__.py,
    cuda_platform_plugin); there is no NVML here, so that copy is a fake that answers as a GPU node does."""
    name = "vllm.third_party.pynvml"
    _Replaced.names.add(name)
    ANSWERS[f"{name}.nvmlDeviceGetCount"] = 1  # one GPU: no per-device name comparison at import
    CALLED.add(f"{name}.nvmlDeviceGetCount")


ON_A_GPU_NODE = {"vllm": _vllm_sees_a_gpu}


def _deprecated(action: argparse.Action, marked: set[int]) -> bool:
    """Accepted but ignored or about to go: SGLang's DeprecatedAction, vLLM's `deprecated=True` (`marked`: the ids
    FlexibleArgumentParser._deprecated holds on Python < 3.13), Dynamo's and the engines' "[Deprecated]" help."""
    help_text = (action.help or "").lower()
    by_class = "deprecated" in type(action).__name__.lower()
    return by_class or id(action) in marked or help_text.startswith(("[deprecated]", "deprecated"))


def main(argv: Sequence[str]) -> None:
    backend, sources = argv[0], list(argv[1:])
    out, sys.stdout = sys.stdout, sys.stderr  # what the engines print while importing is not the answer
    socket.socket.connect = socket.socket.connect_ex = _no_network  # type: ignore[method-assign]
    socket.create_connection = socket.getaddrinfo = _no_network
    dists = tempfile.mkdtemp(prefix="engine-flags-")
    fake_distributions(sources, Path(dists))
    sys.path[:0] = [*sources, dists]
    sys.meta_path.append(_FakeFinder())
    sys.meta_path.insert(0, _Replaced())

    def stop(self: argparse.ArgumentParser, *_a: Any, **_k: Any) -> NoReturn:
        raise _StopError(self)

    if backend in ON_A_GPU_NODE:
        ON_A_GPU_NODE[backend]()
    module = importlib.import_module(f"dynamo.{backend}.args")
    created: list[argparse.ArgumentParser] = []
    init = argparse.ArgumentParser.__init__

    def record(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        created.append(self)

    argparse.ArgumentParser.__init__ = record  # type: ignore[method-assign]
    argparse.ArgumentParser.parse_known_args = stop  # type: ignore[method-assign]
    argparse.ArgumentParser.parse_args = stop  # type: ignore[method-assign]
    try:
        result = module.parse_args([])
        if inspect.iscoroutine(result):
            asyncio.run(result)
    except _StopError as stopped:
        parser = stopped.parser
    else:
        raise SystemExit(f"dynamo.{backend}.args.parse_args never parsed")
    try:
        prefixes = [importlib.import_module(f"dynamo.{backend}.dynamic_flags").DYNAMIC_FLAG_PREFIX]
    except ImportError:
        prefixes = []
    actions = [*parser._actions, *(a for g in parser._action_groups for a in g._group_actions)]
    marked = {id(a) for p in created for a in getattr(type(p), "_deprecated", ())}
    json.dump(
        {
            "flags": option_strings(parser),
            "abbreviating": [
                sorted(p._option_string_actions) for p in created if p.allow_abbrev and p._option_string_actions
            ],
            "deprecated": sorted({s for a in actions if _deprecated(a, marked) for s in a.option_strings}),
            "prefixes": prefixes,
            "flexible": any(type(p).__name__ == "FlexibleArgumentParser" for p in created),
            "faked_modules": sorted(_FakeFinder.faked),
        },
        out,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
