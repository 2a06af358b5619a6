"""What the twin runs, read from a rendered stack: pure functions of the manifests, no processes, no files.

The frontend runs as the operator would run it (its rendered command, or the operator's default
`python3 -m dynamo.frontend`), held to loopback; each worker replica becomes one `dynamo.mocker` with the worker's
role, engine, data-parallel size and memory fraction, registering the worker's served model name.
"""

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

FRONTEND_MODULE = "dynamo.frontend"
MOCKER_MODULE = "dynamo.mocker"
ENGINES = ("sglang", "vllm", "trtllm")
LOOPBACK = "127.0.0.1"

# Flags of each engine the mocker has a counterpart for (`python -m dynamo.mocker --help`, ai-dynamo 1.3.0.post1;
# the same flags in 1.6.1's dynamo/mocker/args.py).
DP_FLAGS = ("--dp", "--dp-size", "--data-parallel-size", "-dp")
"""SGLang `--dp`/`--dp-size`, vLLM `--data-parallel-size`/`-dp`: the mocker's `--data-parallel-size`."""
MEMORY_FLAGS = {
    "--mem-fraction-static": "--mem-fraction-static",  # SGLang
    "--gpu-memory-utilization": "--gpu-memory-utilization",  # vLLM
}
PASSED_AS_IS = ("--max-num-seqs", "--max-num-batched-tokens")
"""vLLM scheduler limits the mocker takes under the same names."""
FRONTEND_OWN_FLAGS = ("--http-host", "--http-port")
"""Set by the twin (loopback, the chosen port) in place of the rendered ones."""


class PlanError(Exception):
    """The render lacks something the twin needs (no graph, no smoke Job, an unknown engine)."""


@dataclass(frozen=True)
class Process:
    name: str
    args: tuple[str, ...]
    """Arguments to the twin's Python (`-m <module> ...`), or to the tool named first."""
    env: Mapping[str, str]


@dataclass(frozen=True)
class Worker:
    """One worker of the graph as the mocker takes it."""

    service: str
    role: str
    engine: str
    replicas: int
    served_model_name: str
    data_parallel_size: int
    memory_flag: tuple[str, str] | None
    extra: tuple[str, ...]


@dataclass(frozen=True)
class TwinPlan:
    graph_name: str
    dynamo_namespace: str
    served_model_name: str
    frontend: Process
    workers: tuple[Worker, ...]
    mockers: tuple[Process, ...]
    smoke_source: str
    smoke_args: tuple[str, ...]
    """The smoke Job's arguments after the client's path, its URL pointed at the twin."""
    smoke_command: str
    """The stack's exported `smoke.py` command, pointed at the twin."""
    benchmark_args: tuple[str, ...] | None
    """The benchmark Job's `aiperf` arguments (after `aiperf`), pointed at the twin; None without the Job."""
    dynamo_release: str | None = None
    """The stack's Dynamo release (its `dynamoRelease` output): the twin's ai-dynamo must be that release."""


def _kind(docs: Sequence[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [d for d in docs if d and d.get("kind") == kind]


def _graph(docs: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    graphs = _kind(docs, "DynamoGraphDeployment")
    if len(graphs) != 1:
        raise PlanError(f"expected one DynamoGraphDeployment in the render, found {len(graphs)}")
    return graphs[0]


def dynamo_namespace(k8s_namespace: str, graph_name: str) -> str:
    """The Dynamo namespace the operator gives a graph's components: `{namespace}-{graph}`, dots made hyphens
    (ai-dynamo/dynamo deploy/operator api/v1alpha1 ComputeDynamoNamespace)."""
    return f"{k8s_namespace}-{graph_name.replace('.', '-')}"


def command_line(container: Mapping[str, Any]) -> list[str]:
    """command + args as one argv; a `sh -c "<line>"` container (TRT-LLM recipes) is split into its words."""
    argv = [str(a) for a in (container.get("command") or []) + (container.get("args") or [])]
    if len(argv) >= 3 and argv[0].endswith("sh") and argv[1] == "-c":
        return shlex.split(argv[2])
    return argv


def _after_module(argv: Sequence[str], module_prefix: str) -> tuple[str, list[str]] | None:
    """The `-m` module starting with `module_prefix` and the arguments after it, if the argv runs one."""
    for i, word in enumerate(argv):
        if word == "-m" and i + 1 < len(argv) and argv[i + 1].startswith(module_prefix):
            return argv[i + 1], list(argv[i + 2 :])
    return None


def flag_value(args: Sequence[str], *flags: str) -> str | None:
    """The value of the last of `flags` given (`--f v` or `--f=v`), else None."""
    found = None
    for i, word in enumerate(args):
        name, eq, value = word.partition("=")
        if name in flags:
            if eq:
                found = value
            elif i + 1 < len(args):
                found = args[i + 1]
    return found


def _without_flags(args: Sequence[str], flags: Sequence[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        name, eq, _ = word.partition("=")
        if name in flags:
            skip = not eq
            continue
        out.append(word)
    return out


def _env_list(items: Any) -> dict[str, str]:
    return {str(e["name"]): str(e["value"]) for e in items or [] if "value" in e}


def _service_env(graph: Mapping[str, Any], service: Mapping[str, Any]) -> dict[str, str]:
    """The graph's envs, the service's envs, then the container's own: the order the operator layers them."""
    container = service.get("extraPodSpec", {}).get("mainContainer", {})
    return {**_env_list(graph["spec"].get("envs")), **_env_list(service.get("envs")), **_env_list(container.get("env"))}


def _trtllm_engine_config(docs: Sequence[Mapping[str, Any]], args: Sequence[str]) -> Mapping[str, Any]:
    """The `--extra-engine-args` YAML the render ships in a ConfigMap, if it is there."""
    path = flag_value(args, "--extra-engine-args")
    if not path:
        return {}
    name = path.rsplit("/", 1)[-1]
    for cm in _kind(docs, "ConfigMap"):
        data = cm.get("data") or {}
        if name in data:
            loaded = yaml.safe_load(data[name])
            return loaded if isinstance(loaded, dict) else {}
    return {}


def _worker(docs: Sequence[Mapping[str, Any]], name: str, service: Mapping[str, Any]) -> Worker:
    container = service.get("extraPodSpec", {}).get("mainContainer", {})
    found = _after_module(command_line(container), "dynamo.")
    if found is None or found[0].removeprefix("dynamo.") not in ENGINES:
        raise PlanError(f"worker {name}: runs no dynamo.<{'|'.join(ENGINES)}> module")
    module, args = found
    engine = module.removeprefix("dynamo.")
    role = str(service.get("subComponentType") or flag_value(args, "--disaggregation-mode") or "agg")
    served = flag_value(args, "--served-model-name")
    if not served:
        raise PlanError(f"worker {name}: no --served-model-name")
    dp = int(flag_value(args, *DP_FLAGS) or 1)
    memory: tuple[str, str] | None = None
    for flag, mocker_flag in MEMORY_FLAGS.items():
        value = flag_value(args, flag)
        if value is not None:
            memory = (mocker_flag, value)
    if engine == "trtllm":
        config = _trtllm_engine_config(docs, args)
        fraction = (config.get("kv_cache_config") or {}).get("free_gpu_memory_fraction")
        if fraction is not None:
            memory = ("--free-gpu-memory-fraction", str(fraction))
        if config.get("enable_attention_dp"):
            dp = int(config.get("tensor_parallel_size", 1))
    extra: list[str] = []
    for flag in PASSED_AS_IS:
        value = flag_value(args, flag)
        if value is not None:
            extra += [flag, value]
    return Worker(
        service=name,
        role=role,
        engine=engine,
        replicas=int(service.get("replicas", 1)),
        served_model_name=served,
        data_parallel_size=dp,
        memory_flag=memory,
        extra=tuple(extra),
    )


def mocker_args(worker: Worker, model_dir: str) -> tuple[str, ...]:
    args = ["-m", MOCKER_MODULE, "--model-path", model_dir, "--model-name", worker.served_model_name]
    args += ["--engine-type", worker.engine, "--data-parallel-size", str(worker.data_parallel_size)]
    if worker.role in ("prefill", "decode"):
        args += ["--disaggregation-mode", worker.role]
    if worker.memory_flag:
        args += list(worker.memory_flag)
    return (*args, *worker.extra)


def frontend_args(container: Mapping[str, Any], port: int) -> tuple[str, ...]:
    """The rendered frontend's flags (none: the operator's default `python3 -m dynamo.frontend`), on loopback."""
    found = _after_module(command_line(container), FRONTEND_MODULE)
    flags = _without_flags(found[1], FRONTEND_OWN_FLAGS) if found else []
    return ("-m", FRONTEND_MODULE, *flags, "--http-host", LOOPBACK, "--http-port", str(port))


def at_url(original: str, twin_base: str) -> str:
    """`original` with its scheme and host:port replaced by the twin's, its path kept (e.g. `/v1`)."""
    o, t = urlsplit(original), urlsplit(twin_base)
    return urlunsplit((t.scheme, t.netloc, o.path, o.query, o.fragment))


def _replace_value(args: list[str], flag: str, value: str) -> list[str]:
    out = list(args)
    for i, word in enumerate(out):
        if word == flag and i + 1 < len(out):
            out[i + 1] = value
        elif word.startswith(flag + "="):
            out[i] = f"{flag}={value}"
    return out


def _containers(job: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(job["spec"]["template"]["spec"]["containers"])


def smoke_client(docs: Sequence[Mapping[str, Any]], twin_url: str) -> tuple[str, tuple[str, ...]]:
    """The smoke Job's client source (from its ConfigMap) and its arguments with the twin's URL."""
    for job in _kind(docs, "Job"):
        pod = job["spec"]["template"]["spec"]
        for c in _containers(job):
            argv = [str(a) for a in c.get("command") or []]
            if len(argv) < 2 or not argv[1].endswith("smoke_client.py"):
                continue
            file = argv[1].rsplit("/", 1)[-1]
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            volume = mounts.get(argv[1].rsplit("/", 1)[0])
            maps = {v["name"]: v["configMap"]["name"] for v in pod.get("volumes", []) if "configMap" in v}
            cm_name = maps.get(volume or "")
            for cm in _kind(docs, "ConfigMap"):
                if cm["metadata"]["name"] == cm_name and file in (cm.get("data") or {}):
                    args = argv[2:]
                    url = flag_value(args, "--url") or ""
                    return cm["data"][file], tuple(_replace_value(args, "--url", at_url(url, twin_url)))
            raise PlanError(f"smoke Job {job['metadata']['name']}: ConfigMap with {file} not in the render")
    raise PlanError("no smoke-test Job in the render")


def benchmark_args(
    docs: Sequence[Mapping[str, Any]], twin_url: str, tokenizer: str, artifacts: str
) -> tuple[str, ...] | None:
    """The benchmark Job's `aiperf profile ...` words from its script, pointed at the twin's URL, tokenizer and
    artifact directory; every other flag as the Job ships it."""
    for job in _kind(docs, "Job"):
        for c in _containers(job):
            argv = [str(a) for a in c.get("command") or []]
            if len(argv) != 3 or "aiperf profile" not in argv[2]:
                continue
            lines = argv[2].splitlines()
            start = next(i for i, line in enumerate(lines) if "aiperf profile" in line)
            words: list[str] = []
            for line in lines[start:]:
                words += shlex.split(line.rstrip("\\"))
                if not line.endswith("\\"):
                    break
            args = words[words.index("profile") :]
            args = _replace_value(args, "--url", at_url(flag_value(args, "--url") or "", twin_url))
            args = _replace_value(args, "--tokenizer", tokenizer)
            return tuple(_replace_value(args, "--artifact-dir", artifacts))
    return None


def plan(
    docs: Sequence[Mapping[str, Any]],
    outputs: Mapping[str, Any],
    *,
    port: int,
    model_dir: str,
    twin_env: Mapping[str, str],
    artifacts_dir: str,
) -> TwinPlan:
    """The twin of a rendered stack: `twin_env` (discovery, request plane, loopback) is laid over every process's
    rendered environment; the mockers still need their own DYN_SYSTEM_PORT (the supervisor picks free ones)."""
    graph = _graph(docs)
    name = str(graph["metadata"]["name"])
    namespace = dynamo_namespace(str(graph["metadata"].get("namespace", "default")), name)
    services: Mapping[str, Mapping[str, Any]] = graph["spec"]["services"]
    twin_url = f"http://{LOOPBACK}:{port}"
    frontends = [(n, s) for n, s in services.items() if s.get("componentType") == "frontend"]
    if len(frontends) != 1:
        raise PlanError(f"graph {name}: expected one frontend service, found {len(frontends)}")
    fe_name, fe = frontends[0]
    fe_env = {
        **_service_env(graph, fe),
        "DYN_NAMESPACE_PREFIX": namespace,  # what the operator sets on a frontend (component_frontend.go)
        "DYN_HTTP_PORT": str(port),
        **twin_env,
    }
    frontend = Process(fe_name, frontend_args(fe.get("extraPodSpec", {}).get("mainContainer", {}), port), fe_env)
    workers = tuple(_worker(docs, n, s) for n, s in services.items() if s.get("componentType") == "worker")
    if not workers:
        raise PlanError(f"graph {name}: no worker services")
    mockers: list[Process] = []
    for w in workers:
        env = {**_service_env(graph, services[w.service]), "DYN_NAMESPACE": namespace, **twin_env}
        env["DYN_SELF_HOST_METADATA"] = "1"  # serve the model files to the frontend (ai-dynamo/dynamo#11650)
        for r in range(w.replicas):
            mockers.append(Process(f"{w.service}-{r}", mocker_args(w, model_dir), env))
    source, smoke = smoke_client(docs, twin_url)
    served = flag_value(smoke, "--model") or workers[0].served_model_name
    commands = [str(c) for c in outputs.get("smokeCommands", [])]
    smoke_py = next((c for c in commands if "smoke.py" in c), f"python smoke.py --url URL --model {served}")
    exported_url = flag_value(shlex.split(smoke_py), "--url") or ""
    return TwinPlan(
        graph_name=name,
        dynamo_namespace=namespace,
        served_model_name=served,
        frontend=frontend,
        workers=workers,
        mockers=tuple(mockers),
        smoke_source=source,
        smoke_args=smoke,
        smoke_command=smoke_py.replace(exported_url, at_url(exported_url, twin_url)) if exported_url else smoke_py,
        benchmark_args=benchmark_args(docs, twin_url, model_dir, artifacts_dir),
        dynamo_release=str(outputs["dynamoRelease"]) if "dynamoRelease" in outputs else None,
    )
