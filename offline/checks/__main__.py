"""Check a stack (rendered here, offline) or a render directory against AWS constraints and cluster consistency.

    python -m offline.checks --stack gb200 [--config KEY=VALUE ...]
    python -m offline.checks --render build

Exit 0 with no findings, 1 with findings (each names its rule and its source), 2 when the stack does not render.
"""

import argparse
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="stack name (Pulumi.<stack>.yaml), rendered offline first")
    where.add_argument("--render", type=Path, help="a render directory (manifests.yaml, resources.json)")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    from config.errors import ConfigError
    from offline.checks import aws_constraints, cluster
    from offline.checks.render_data import Render
    from offline.run import run_program
    from offline.stack_files import read_stack

    if args.render is not None:
        render = Render.from_dir(args.render)
        label = str(args.render)
    else:
        try:
            render = Render.from_run(run_program(ROOT, read_stack(ROOT, args.stack, args.config)))
        except (ConfigError, FileNotFoundError, ValueError) as e:
            print(f"{args.stack}: {e}", file=sys.stderr)
            return 2
        label = args.stack
    findings = aws_constraints.check(render) + cluster.check(render)
    for f in findings:
        print(f"FINDING {f}")
    for s in render.statements:
        print(f"assumed: {s}")
    print(f"{label}: {len(findings)} findings ({len(render.records)} resources, {len(render.manifests)} manifests)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
