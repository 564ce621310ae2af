#!/usr/bin/env bash
# The layering of userspace/ as docs/design.md's table states it
# (tests/lint/layering.py), and that the check catches planted includes.
set -e
here=$(dirname "$0")
python3 "$here/layering.py"
python3 "$here/layering.py" --selftest
