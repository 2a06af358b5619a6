"""Render a stack offline: run the program under Pulumi's mocks and write what it would create.

    python render.py --stack h200-sglang-8 --out build [--config KEY=VALUE ...]

`--config` sets a key as `pulumi config set [--path]` does: `aws:region=us-west-2`, `gpuPool.nodeCount=3`,
`dsr1:serving.decode.extraArgs[0]=--x`; path values are YAML (3 a number, true a boolean, '"1.30"' a string).
Every key: docs/CONFIG.md. Exit status 2 with one message on stderr, and nothing written, when the stack's
configuration or a stack file is invalid or --out cannot be written.
"""

import argparse
import gc
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--out", required=True, type=Path, help="directory for manifests.yaml and resources.json")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a config key (KEY may be a path: gpuPool.nodeCount=3)",
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    from config.errors import ConfigError
    from offline import report
    from offline.run import run_program
    from offline.stack_files import read_stack

    try:
        settings = read_stack(ROOT, args.stack, args.config)
        settings.notices.append("Hugging Face Hub preflight skipped (offline render)")
        run = run_program(ROOT, settings)
    except ConfigError as e:
        print(f"{args.stack}: {e}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as e:
        print(f"{args.stack}: {e}", file=sys.stderr)
        return 2
    try:
        report.write(run, args.out)
    except OSError as e:
        print(f"{args.stack}: cannot write the render to --out {args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(report.summary(run))
    print(f"wrote {args.out}/manifests.yaml, {args.out}/resources.json, {args.out}/outputs.json")
    return 0


if __name__ == "__main__":
    # A render is a short-lived process that imports ~1,400 modules (both SDKs) and keeps nearly everything it
    # creates: the cyclic garbage collector, triggered by those allocations, found little to free and cost ~40% of a
    # render. Reference counting still frees what it can; the output is byte-identical (tests/offline/
    # test_render_cli.py), the time is measured by tools/bench.py. Only the command does this, not main() in a test.
    gc.disable()
    sys.exit(main())
