"""Where a checkpoint lives in the cache: one directory per model and revision, shared by writer and readers."""

from config.catalog import Model

CACHE_OWNER_UID = 10001
"""Non-root owner of the cache's writable directories: the downloader writes models/, the benchmark results/."""
WRITABLE_DIRS = ("models", "results")
"""Created and handed to CACHE_OWNER_UID by the download Job's prepare-cache step (the file system's root is root's)."""


def model_dir(model: Model, revision: str) -> str:
    """Path relative to the cache root: a changed revision gets its own directory and never mixes files."""
    return f"models/{model.hf_id.replace('/', '--')}/{revision}"


def cache_pvc_name(model: Model) -> str:
    return f"model-cache-{model.key}"
