#!/usr/bin/env bash
# The @bulwark/redis tests start their own real redis-server (Valkey's valkey-server works too, through
# BULWARK_REDIS_SERVER=valkey-server).
exec bash "$(dirname "$0")/ensure-debian-package.sh" redis-server redis-server BULWARK_REDIS_SERVER "the @bulwark/redis tests"
