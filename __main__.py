"""Read and validate the stack's config, build the stack, export its outputs. Nothing else belongs here."""

import pulumi

from program.config_source import read_stack_config
from program.stack import build_stack

config, region, hf_token = read_stack_config()
for name, value in build_stack(config, region, hf_token).items():
    pulumi.export(name, value)
