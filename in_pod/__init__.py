"""Code that runs inside pods (another Python, stdlib or hash-pinned deps), shipped as files; imports nothing here."""
