"""Run the Pulumi program with no CLI, no cloud and no cluster: under the SDK's mocks, recording every resource."""
