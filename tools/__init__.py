"""Developer tools: benchmark, preview diff, the local twin. They drive the offline machinery; nothing imports them."""
