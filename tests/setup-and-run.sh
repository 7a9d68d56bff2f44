#!/usr/bin/env bash
# Install everything the tests need into .venv (and, from Debian's packages, Dovecot for the IMAP
# tests and Chromium for the digest rendering test), then run the linters, the type checker and the
# whole suite. Exits non-zero on any failure, including a pytest run that collected no tests
# (pytest's exit code 5).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dovecot >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "== installing Dovecot (dovecot-imapd) from Debian's packages"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
    else
        echo "warning: Dovecot is missing and cannot be installed without root; IMAP tests will skip" >&2
    fi
fi

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "== installing Chromium from Debian's packages (renders the digest in a test)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "warning: Chromium is missing and cannot be installed without root; the digest" \
            "rendering test will skip (and fail under CI=1)" >&2
    fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

echo "== ruff"
.venv/bin/ruff check triage tests
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit "$status"
