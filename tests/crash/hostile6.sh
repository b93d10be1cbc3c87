#!/usr/bin/env bash
# tests/crash/hostile.sh once more with the default rate limits, through nginx
# listening on IPv6 loopback: the same hostile cases, where a 429 is also a clean
# answer; coupon-fcgi stays up and the database unchanged.
if ! ip -6 addr show lo 2>/dev/null | grep -q 'inet6 ::1'; then
	echo "SKIP: no IPv6 loopback"
	exit 77
fi
HOSTILE_IPV6=1
export HOSTILE_IPV6
. "$top_srcdir/tests/crash/hostile.sh"
