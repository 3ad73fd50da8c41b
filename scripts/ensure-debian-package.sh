#!/usr/bin/env bash
# Usage: ensure-debian-package.sh <package> <binary> <override-variable> <what needs it>
# Real components (redis-server, chromium) come from Debian's packages. Install one when its binary is missing (the
# binary named by the override variable, when set, is used instead): as root through apt-get; otherwise say what to
# install and fail (never a silent skip).
set -euo pipefail
package="$1" binary="$2" override="$3" purpose="$4"
wanted="${!override:-$binary}"
if command -v "$wanted" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing $package (Debian package) for $purpose"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
  command -v "$binary" >/dev/null && exit 0
fi
cat >&2 <<MSG
For $purpose, $binary is needed and none was found.
Install Debian's package as root:   apt-get update && apt-get install -y $package
(or point $override at another binary), then run it again.
MSG
exit 1
