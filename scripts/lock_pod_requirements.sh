#!/bin/sh
# Regenerates the hash-locked requirements the Jobs install in their pods (in_pod/requirements/), from PyPI only,
# under Python 3.12 (the pods' python:3.12 image): pip-compile records the hashes of every file of each pinned
# release, so the same lock installs on x86_64 and aarch64 nodes. Run after changing HUGGINGFACE_HUB_VERSION or
# AIPERF_VERSION in config/versions.py.
set -eu
PY312=${PY312:-python3.12}
out=in_pod/requirements
tmp=$(mktemp -d)
"$PY312" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet pip-tools==7.4.1
hub=$(sed -n 's/^HUGGINGFACE_HUB_VERSION: Final = "\(.*\)"/\1/p' config/versions.py)
aiperf=$(sed -n 's/^AIPERF_VERSION: Final = "\(.*\)"/\1/p' config/versions.py)
lock() {  # name, requirement
    echo "$2" >"$tmp/$1.in"
    PIP_CONFIG_FILE=/dev/null "$tmp/venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --no-strip-extras \
        --no-header --no-emit-index-url --no-emit-find-links --output-file "$tmp/$1.txt" "$tmp/$1.in"
    { sed -n '1,3p' "$out/$1.txt"; grep -v '^#\s*$' "$tmp/$1.txt" | sed 's#via -r .*[.]in#via config/versions.py#'; } >"$tmp/$1.new"
    mv "$tmp/$1.new" "$out/$1.txt"
}
lock download "huggingface_hub==$hub"
lock benchmark "aiperf==$aiperf"
rm -rf "$tmp"
