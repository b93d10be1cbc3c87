#!/usr/bin/env bash
# The customer page (www/) in headless Chromium against the real nginx +
# coupon-fcgi + MariaDB of tests/http/lib.sh: page.js drives it with
# playwright-core, with JavaScript on and off, at desktop width and at 360 px,
# and keeps screenshots in $top_builddir/tests/browser/artifacts. This script
# adds the cross-site checks a browser cannot make (curl with a foreign Origin)
# and that each refused post was logged.
. "$top_srcdir/tests/http/lib.sh"
. "$top_srcdir/tests/browser/lib.sh"

# Few failures a minute, so the page's "too many attempts" state is reachable.
http_setup browser --set rate-limit=10

prefix=SPRING
campaign='Spring & Summer Sale'
"$adm" -c "$cnf" campaign create "$campaign" --prefix "$prefix" --codes 1000 >/dev/null ||
	{ echo "campaign create failed" >&2; exit 99; }
"$adm" -c "$cnf" --quiet generate --campaign "$campaign" --count 12 >/dev/null ||
	{ echo "generate failed" >&2; exit 99; }
codes=$(sqldb "SELECT code FROM coupon_codes ORDER BY id" | tr '\n' ' ')

# Cross-site posts (curl): refused, nothing redeemed, and each one logged.
set -- $codes
victim=$1
form='Content-Type: application/x-www-form-urlencoded'
req POST /redeem -H "$form" -H 'Origin: http://evil.example' --data "code=$victim&user=eve"
expect $LINENO 403
check $LINENO "a cross-site post gets the HTML refusal" contains "$body" "our own page"
req POST /redeem -H "$form" -H 'Referer: http://evil.example/form.html' \
	--data "code=$victim&user=eve"
expect $LINENO 403
check $LINENO "cross-site posts redeemed nothing" test \
	"$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE status <> 'available'")" = 0
check $LINENO "the foreign Origin is logged" \
	grep -q 'cross-site form post refused: from 127.0.0.1, Origin http://evil.example' "$work/fcgi.log"
check $LINENO "the foreign Referer is logged" \
	grep -q 'Origin -, Referer http://evil.example/form.html' "$work/fcgi.log"
logged=$(grep -c 'cross-site form post refused' "$work/fcgi.log")

artifacts=$top_builddir/tests/browser/artifacts
rm -rf "$artifacts"
mkdir -p "$artifacts"

# The browser part prints its own "page.js: N checks, M failed" line.
BASE=$base ALT_BASE=http://localhost:$port CODES="$codes" PREFIX=$prefix \
CAMPAIGN=$campaign DB=$db FCGI_PID=$fcgi_pid ARTIFACTS=$artifacts CHROMIUM=$chromium \
TMPDIR=$work \
	"$node" "$here/page.js"
rc=$?
checks=$((checks + 1))
[ "$rc" -eq 0 ] || { echo "page.sh:$LINENO: page.js failed (exit $rc)" >&2; fail=$((fail + 1)); }

# page.js posted from http://localhost:PORT twice (without and with JavaScript).
check $LINENO "the browser's cross-site posts are logged" \
	test "$(grep -c 'cross-site form post refused' "$work/fcgi.log")" -ge $((logged + 2))
check $LINENO "the browser's cross-site posts name their origin" \
	grep -q "Origin http://localhost:$port," "$work/fcgi.log"
done_tests
