"""The local twin: a stack's serving graph on one machine, real Dynamo frontend, mocker workers."""
