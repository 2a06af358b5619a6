"""Where a checkpoint lives in the cache: one directory per model and revision, shared by writer and readers."""

from components.catalog import Model

CACHE_MOUNT = "/opt/model"
"""Mount point of the cache in serving pods (the recipes' HF_HOME)."""
COMPLETE_MARKER = ".dsr1-complete"
"""Written by the download Job after the last file, so a rerun knows the directory is whole."""


def model_dir(model: Model, revision: str) -> str:
    """Path relative to the cache root: a changed revision gets its own directory and never mixes files."""
    return f"models/{model.hf_id.replace('/', '--')}/{revision}"


def cache_pvc_name(model: Model) -> str:
    return f"model-cache-{model.key}"
