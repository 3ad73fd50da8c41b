#!/usr/bin/env bash
# The conformance suite's browser run drives a real headless Chromium (Debian's package) through playwright-core,
# which never downloads a browser of its own. Install it when it is missing: as root through apt-get; otherwise say
# what to install and fail (never a silent skip).
set -euo pipefail
browser="${BULWARK_CHROMIUM:-chromium}"
if command -v "$browser" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing chromium (Debian package) for the conformance suite's browser run"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  command -v chromium >/dev/null && exit 0
fi
cat >&2 <<MSG
The conformance suite's browser run needs a headless Chromium and none was found.
Install Debian's package as root:   apt-get update && apt-get install -y chromium
(or point BULWARK_CHROMIUM at another Chromium or Chrome binary), then run it again.
MSG
exit 1
