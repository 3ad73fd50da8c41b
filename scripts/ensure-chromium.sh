#!/usr/bin/env bash
# The conformance suite's browser run drives a real headless Chromium (Debian's package) through playwright-core,
# which never downloads a browser of its own.
exec bash "$(dirname "$0")/ensure-debian-package.sh" chromium chromium BULWARK_CHROMIUM "the conformance suite's browser run"
