#!/usr/bin/env bash
# The failed-lookup limits as an attacker meets them, through nginx: the form and
# the API count in separate key spaces (a stranger cannot lock a customer out of
# the shop's API), X-Forwarded-For counts only from trusted proxies and then its
# right-most untrusted hop, IPv6 clients count per /64, an API key has a ceiling
# of its own, and request data cannot inject lines or escapes into the logs.
. "$top_srcdir/tests/http/lib.sh"
# The test's nginx is the trusted proxy; curl plays the hops before it.
http_setup security --access-log --set rate-limit=3 --set rate-limit-key=8 \
	--set trusted-proxies=127.0.0.1,::1
key=$(make_key shop redeem)
make_campaign security 5 >/dev/null
set -- $("$mkcodes" 40)
form='Content-Type: application/x-www-form-urlencoded'

# form CODE USER XFF [curl args...]: a form post from the client XFF names.
form() {
	local code=$1 user=$2 xff=$3
	shift 3
	req POST /redeem -H "$form" -H "Origin: $base" -H 'Accept: application/json' \
		-H "X-Forwarded-For: $xff" --data-urlencode "code=$code" --data-urlencode "user=$user" "$@"
}

# Four strangers post the form with customer 42's id: the form refuses 42 now...
for i in 1 2 3 4; do
	form "$1" 42 "203.0.113.$i"
	shift
done
form "$1" 42 203.0.113.5
expect $LINENO 429 rate_limited
# ...but the shop's own API still answers for customer 42.
api POST /api/v1/redeem "{\"code\":\"$1\",\"user_id\":\"42\"}"
expect $LINENO 404 unknown_code
shift

# X-Forwarded-For: the right-most hop nginx did not add is the client.
for u in a b c; do
	form "$1" "$u" "198.51.100.9"
	shift
done
form "$1" d "198.51.100.9"
expect $LINENO 429 rate_limited
form "$1" e "10.0.0.1, 198.51.100.9"
expect $LINENO 429 rate_limited
check $LINENO "a left-hand hop the client wrote is not believed" test "$status" = 429
# (the form's one refusal for every failure is a 400, not a 429)
form "$1" f "198.51.100.9, 198.51.100.10"
expect $LINENO 400 invalid_code
shift

# IPv6: one /64 is one client.
for h in 1 2 3; do
	form "$1" "v$h" "2001:db8:1:2::$h"
	shift
done
form "$1" v4 "2001:db8:1:2:ffff::9"
expect $LINENO 429 rate_limited
form "$1" v5 "2001:db8:1:3::1"
expect $LINENO 400 invalid_code
shift

# The API key's ceiling: 8 failed lookups a minute whatever the users (one above).
for u in $(seq 1 7); do
	api POST /api/v1/validate "{\"code\":\"$1\",\"user_id\":\"k$u\"}"
	shift
done
expect $LINENO 404 unknown_code
api POST /api/v1/validate "{\"code\":\"$1\",\"user_id\":\"k9\"}"
expect $LINENO 429 rate_limited
req GET /metrics
check $LINENO "key limit hits are counted" matches "$body" '^coupon_rate_limited_total\{limit="api_key"\} [1-9]'

# Log injection: CR, LF and ESC in what gets logged (the access log is on here).
req POST /redeem -H "$form" -H "$(printf 'Origin: http://evil.example\033[2J\033]0;pwned\007')" \
	--data "code=x&user=y"
expect $LINENO 403
req GET "/api/v1/codes/$1%0D%0A2026-01-01T00:00:00Z%20forged/expire" -H "Authorization: Bearer $key"
check $LINENO "the cross-site line is logged" grep -q "cross-site form post refused" "$work/fcgi.log"
check $LINENO "its escape bytes are not written raw" grep -q 'Origin http://evil.example.\{1,4\}\[2J' "$work/fcgi.log"
check $LINENO "no forged line" test "$(grep -c '^2026-01-01T00:00:00Z' "$work/fcgi.log")" = 0
# check_logs (from done_tests) greps every log for control bytes, keys and codes.
done_tests
