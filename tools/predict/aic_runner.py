"""Runs inside .venv-aic, never in the project's virtualenv: estimate points with AIConfigurator, JSON in, JSON out.

stdin: {"calls": [<cli_estimate keyword arguments>, ...]}; stdout: {"version": ..., "results": [...]}. It imports
nothing of the project (it runs as a file, `python -I tools/predict/aic_runner.py`), and refuses every network
connection, so a prediction can only come from the data inside the installed wheels.
"""

import contextlib
import io
import json
import logging
import socket
import sys
import warnings
from importlib.metadata import version
from typing import Any, NoReturn


def _no_network(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise OSError("aic_runner: network access refused: predictions use the wheels' bundled data only")


def _silicon_share(data: dict[str, Any], source: dict[str, Any]) -> dict[str, float]:
    """Per phase, the share of modelled step time whose value came from measured ("silicon") tables."""
    out: dict[str, float] = {}
    for phase in ("prefill", "decode"):
        ops = {k: v for k, v in (data.get(phase) or {}).items() if isinstance(v, int | float)}
        total = sum(ops.values())
        if total > 0:
            silicon = sum(v for k, v in ops.items() if (source.get(phase) or {}).get(k) == "silicon")
            out[phase] = round(silicon / total, 3)
    return out


def _estimate(call: dict[str, Any]) -> dict[str, Any]:
    from aiconfigurator.cli.api import cli_estimate

    try:
        r = cli_estimate(**call)
    except (RuntimeError, ValueError) as e:
        return {"error": str(e)}
    raw = r.raw
    notes = [
        f"{f.inference_phase} MoE all-to-all ({f.comm_backend}) modelled from EP{f.measurement_ep_size} on "
        f"{f.measurement_node_num} node(s) for EP{f.requested_ep_size} on {f.requested_node_num}"
        for f in r.moe_comm_fallbacks
    ]
    if r.kv_cache_warning:
        notes.append(str(r.kv_cache_warning))
    return {
        "ttft_ms": raw["ttft"],
        "itl_ms": raw["tpot"],
        "tokens_per_s": raw["tokens/s"],
        "tokens_per_s_per_gpu": raw["tokens/s/gpu"],
        "concurrency": raw["concurrency"],
        "decode_batch": raw["(d)bs"],
        "gpus": raw["num_total_gpus"],
        "perf_database": f"{raw['(p)backend']} {raw['(p)version']}",
        "silicon_share": _silicon_share(r.per_ops_data or {}, r.per_ops_source or {}),
        "notes": notes,
    }


def main() -> None:
    socket.socket.connect = _no_network  # type: ignore[method-assign]
    socket.create_connection = _no_network
    warnings.simplefilter("ignore")  # the 0.12 CLI's deprecation notice (it moves to `aisimulate`), on stderr
    logging.disable(logging.WARNING)
    request = json.load(sys.stdin)
    with contextlib.redirect_stdout(io.StringIO()):  # the library prints progress; stdout carries the answer
        results = []
        for i, call in enumerate(request["calls"], 1):
            print(
                f"  [{i}/{len(request['calls'])}] {call['system_name']} {call['backend_name']} ISL {call['isl']} "
                f"decode batch {call['decode_batch_size']} prefill batch {call['prefill_batch_size']}",
                file=sys.stderr,
                flush=True,
            )
            results.append(_estimate(call))
    json.dump({"version": version("aiconfigurator"), "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
