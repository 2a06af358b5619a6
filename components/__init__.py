"""DeepSeek-R1 on NVIDIA Dynamo: the stack's components, its typed configuration and the pure builders behind them."""
