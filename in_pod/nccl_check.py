"""Verdict on an nccl-tests all_reduce_perf log: did NCCL use the fabric, and was it fast enough?

Plain Python with no imports beyond the standard library: the fabric check ships this file to its launcher pod as
a ConfigMap and runs it on the log there (`python3 nccl_check.py --fabric efa --floor 100 < log`); the tests run
the same functions on sample logs.
"""

import argparse
import re
import sys

NETWORKS = {"efa": ("Libfabric", "AWS Libfabric"), "infiniband": ("IB",), "roce": ("IB",)}
"""What NCCL's `Using network <name>` line must say per fabric: aws-ofi-nccl's plugin on EFA, NCCL's IB
transport (verbs) on InfiniBand and RoCE."""
_USING = re.compile(r"NCCL INFO Using network (.+?)\s*$")
_PROVIDER = re.compile(r"NET/OFI Selected provider is ([\w-]+)")
_AVG = re.compile(r"#\s*Avg bus bandwidth\s*:\s*([0-9.]+)")


def networks(log: str) -> set[str]:
    return {m.group(1) for line in log.splitlines() if (m := _USING.search(line))}


def largest_size_row(log: str) -> tuple[int, float, int] | None:
    """(bytes, out-of-place busbw GB/s, #wrong) of the largest message size all_reduce_perf reported."""
    best: tuple[int, float, int] | None = None
    for line in log.splitlines():
        cols = line.split()
        if len(cols) < 9 or not cols[0].isdigit():
            continue
        try:
            row = (int(cols[0]), float(cols[7]), int(cols[8]))
        except ValueError:
            continue
        if best is None or row[0] >= best[0]:
            best = row
    return best


def failures(log: str, fabric: str, floor_gbps: float) -> list[str]:
    """Why the log does not prove the fabric; empty when it does."""
    found: list[str] = []
    used = networks(log)
    if not used:
        found.append("NCCL never said which network it used (no 'Using network' line; NCCL_DEBUG=INFO unset?)")
    if "Socket" in used:
        found.append("NCCL fell back to TCP sockets (NET/Socket) instead of the fabric")
    expected = NETWORKS.get(fabric, ())
    if used and not used & set(expected):
        found.append(f"NCCL used {sorted(used)}, not {' or '.join(expected)} for {fabric}")
    providers = {m.group(1) for m in _PROVIDER.finditer(log)}
    if fabric == "efa" and providers - {"efa"}:
        found.append(f"libfabric picked provider {sorted(providers)}, not efa (TCP underneath)")
    row = largest_size_row(log)
    if row is None:
        found.append("no all_reduce_perf result rows in the log (the test did not run to completion)")
    else:
        size, busbw, wrong = row
        if wrong:
            found.append(f"{wrong} wrong results at {size} bytes: data corruption on the fabric")
        if busbw < floor_gbps:
            found.append(f"bus bandwidth {busbw} GB/s at {size} bytes is below the floor of {floor_gbps} GB/s")
    return found


def main_exit_code(log: str, fabric: str, floor_gbps: float) -> int:
    """Print the verdict; 1 (the Job fails, the graph is not created) on any failure."""
    found = failures(log, fabric, floor_gbps)
    avg = _AVG.search(log)
    for reason in found:
        print(f"FABRIC CHECK FAILED: {reason}", file=sys.stderr)
    if not found:
        print(f"FABRIC CHECK PASSED: {sorted(networks(log))}, avg busbw {avg.group(1) if avg else '?'} GB/s")
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fabric", required=True, choices=sorted(NETWORKS))
    parser.add_argument("--floor", required=True, type=float, help="bus bandwidth floor in GB/s")
    args = parser.parse_args(argv)
    return main_exit_code(sys.stdin.read(), args.fabric, args.floor)


if __name__ == "__main__":
    sys.exit(main())
