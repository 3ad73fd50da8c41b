#!/usr/bin/env bash
# The @bulwark/redis tests start their own real redis-server (Debian's package). Install it when it is missing:
# as root through apt-get; otherwise say what to install and fail (never a silent skip).
set -euo pipefail
server="${BULWARK_REDIS_SERVER:-redis-server}"
if command -v "$server" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing redis-server (Debian package) for the @bulwark/redis tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  command -v redis-server >/dev/null && exit 0
fi
cat >&2 <<MSG
The @bulwark/redis tests need a real redis-server and none was found.
Install Debian's package as root:   apt-get update && apt-get install -y redis-server
(or Valkey's valkey-server and set BULWARK_REDIS_SERVER=valkey-server), then run the tests again.
MSG
exit 1
