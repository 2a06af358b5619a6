"""Fill the model cache with one pinned revision from Hugging Face: once, resumably, verifiably, at line rate.

Runs inside the download Job as `python -m weights` (the package is shipped as a ConfigMap; it needs only the
standard library and huggingface_hub, which an init container installs from a hash-locked list). The modules:

- `settings`: the Job's environment, read and checked once.
- `listing`: the revision's file list, parsed strictly (a malformed or empty listing is a permanent error).
- `safe_fs`: the revision directory, never following a symlink beneath it.
- `hub`: plain HTTP to the Hub (the listing and ranged file reads, each 206 checked against its Content-Range).
- `retry`: transient versus permanent faults, backoff, Retry-After, the rate floor, the Job's deadline.
- `clock`: when the Job started, shared by its pods, for that deadline.
- `parts`: one file split into ranged parts, their resumable progress, and the file's hash in order.
- `transfer`: the pool of connections that fetches parts of many files at once.
- `ledger`: the journal of verified files and the completion marker.
- `job`: the run from start to exit code.

Exit codes: 0 done; 1 transient (the Job's backoffLimit starts a pod that resumes); 3 permanent (the Job's
podFailurePolicy fails the Job at once). Every failure is one line naming cause and fix, never a traceback.
"""
