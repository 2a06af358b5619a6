"""When the Job started, as far as its pods can tell: the Job's deadline counts from then, not from this pod.

The first pod of a Job records the Job's uid (the pod's `batch.kubernetes.io/controller-uid` label, passed by the
downward API as DSR1_JOB_UID; the Job controller labels its pods so since Kubernetes 1.27, kubernetes/kubernetes#114930)
and its start in `.dsr1-partial/job-clock.json`; later pods of the same Job read it. Without a uid, or with another
Job's record, the clock starts with this pod (an upper bound of the time left).
"""

import json
import os
import time
from pathlib import Path

from .ledger import PARTIAL_DIR
from .safe_fs import open_nofollow, real_dir, regular_size

CLOCK = "job-clock.json"


def job_started(target: Path, job_uid: str, now: float | None = None) -> float:
    """The wall-clock second the Job started (this pod's start when unknown); records it for the Job's next pods."""
    now = time.time() if now is None else now
    if not job_uid:
        return now
    path = real_dir(target, PARTIAL_DIR) / CLOCK
    if regular_size(path) is not None:
        try:
            with os.fdopen(open_nofollow(path, os.O_RDONLY)) as fh:
                record = json.load(fh)
            started = record["startedAt"]
            if record["job"] == job_uid and isinstance(started, (int, float)) and 0 < started <= now:
                return float(started)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    tmp = path.with_name(f"{CLOCK}.tmp")
    with os.fdopen(open_nofollow(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "w") as fh:
        json.dump({"job": job_uid, "startedAt": now}, fh)
    os.replace(tmp, path)
    return now
