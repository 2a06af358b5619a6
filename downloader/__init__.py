"""Code that runs inside the download Job, shipped to it as a ConfigMap; unit-tested here."""
