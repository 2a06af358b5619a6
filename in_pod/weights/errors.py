"""The three ways a step can fail, the exit codes they end in, and the log line format."""

import errno
import time

EXIT_OK, EXIT_RETRY, EXIT_PERMANENT = 0, 1, 3
"""3 is matched by the Job's podFailurePolicy (FailJob); 1 lets the Job's backoffLimit start a resuming pod."""


class TransientError(Exception):
    """A fault that waiting may cure.

    `retry_after`: the server's wish. `restart`: drop what the part holds. `strike`: wrong content (a hash or a
    Content-Range that differs), counted per file: `hash_strikes` of them make the file a permanent fault."""

    def __init__(
        self, message: str, retry_after: float | None = None, restart: bool = False, strike: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after, self.restart, self.strike = retry_after, restart, strike


class PermanentError(Exception):
    """A fault waiting will not cure; the message names the cause and the fix in one line."""


class ExhaustedError(Exception):
    """Transient faults outlasted this pod's budget; the Job's next pod resumes."""


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}", flush=True)


def disk_error(e: OSError, target: object) -> PermanentError:
    """A write that failed on the cache volume: full (say how to grow it) or otherwise broken (say what to check)."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return PermanentError(
            f"disk full writing into {target} ({e.strerror}); partial files are kept. Fix: give the cache more "
            "capacity (modelCache.sizeGib, or the storage class's volume), then rerun: the download resumes"
        )
    return PermanentError(f"cannot write into {target}: {e}. Fix: check the cache volume's mount and ownership")
