"""Hash locks: what each one installs, a check that each is complete, and the one command that regenerates them."""
