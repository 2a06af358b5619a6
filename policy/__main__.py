"""The policy pack: `pulumi preview --policy-pack policy` (the policies are in dsr1_policies.py, tested offline).

PolicyPack() starts the policy server and blocks, so it is built here and nowhere else.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's catalog: one source of truth

from pulumi_policy import PolicyPack

from policy.dsr1_policies import ENFORCEMENT, POLICIES

PolicyPack(name="dsr1", enforcement_level=ENFORCEMENT, policies=POLICIES)
