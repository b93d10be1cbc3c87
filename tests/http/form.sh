#!/usr/bin/env bash
# The customer page's form post through nginx: HTML by default, JSON on request,
# the same refusal for every failure, the origin check, and the per-address limit.
. "$top_srcdir/tests/http/lib.sh"
http_setup form --set rate-limit=7

cid=$(make_campaign summer 10)
set -- $(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id")
c1=$1 c2=$2 c3=$3 c4=$4
set -- $("$mkcodes" 3)
unknown=$1
typo=$(printf '%s' "$c4" | sed 's/.$//')$(case "$c4" in *0) echo 1 ;; *) echo 0 ;; esac)
form='Content-Type: application/x-www-form-urlencoded'

# post CODE USER [curl args...]: the form as a browser on our site sends it.
post() {
	local code=$1 user=$2
	shift 2
	req POST /redeem -H "$form" -H "Origin: $base" --data-urlencode "code=$code" \
		--data-urlencode "user=$user" "$@"
}

post "$(echo "$c1" | tr A-Z a-z | sed 's/..../&-/g')" alice@example.com
expect $LINENO 200
check $LINENO "success is an HTML page" has_header "Content-Type: text/html; charset=utf-8"
check $LINENO "the page names the code as printed" contains "$body" \
	"<strong>$(echo "$c1" | sed 's/..../&-/g; s/-$//')</strong>"
check $LINENO "the page is not cached" has_header "Cache-Control: no-store"
check $LINENO "the page forbids scripts" has_header "Content-Security-Policy: default-src 'none'"
check $LINENO "the code is redeemed by the e-mail" test \
	"$(sqldb "SELECT redeemed_by_user_id FROM coupon_codes WHERE code = '$c1'")" = alice@example.com
post "$c2" bob -H 'Accept: application/json'
expect $LINENO 200
check $LINENO "JSON on request" contains "$body" '"result":"redeemed"'
check $LINENO "JSON: code and display" contains "$body" \
	"\"code\":\"$c2\",\"display\":\"$(echo "$c2" | sed 's/..../&-/g; s/-$//')\""
req POST /redeem -H "$form" -H "Referer: $base/index.html" --data "code=$c3&user=carol"
expect $LINENO 200

# Cross-site posts are refused before anything happens.
req POST /redeem -H "$form" -H 'Origin: https://evil.example' --data "code=$c4&user=eve"
expect $LINENO 403
req POST /redeem -H "$form" -H "Origin: $base.evil.example" --data "code=$c4&user=eve"
expect $LINENO 403
req POST /redeem -H "$form" -H "Referer: $base.evil.example/x" --data "code=$c4&user=eve"
expect $LINENO 403
req POST /redeem -H "$form" --data "code=$c4&user=eve"
expect $LINENO 403
# The origin is checked before the body is read: a malformed one is still refused, and logged.
req POST /redeem -H "$form" -H 'Origin: https://malformed.example' --data "code=%zz&bogus=1"
expect $LINENO 403
check $LINENO "a cross-site post with a bad body is logged" \
	grep -q "cross-site form post refused.*malformed.example" "$work/fcgi.log"
check $LINENO "refused posts changed nothing" test \
	"$(sqldb "SELECT status FROM coupon_codes WHERE code = '$c4'")" = available

# One refusal for every failure: no oracle for which codes exist.
post "$c1" dave
expect $LINENO 400
refusal=$body
check $LINENO "the refusal is HTML" has_header "Content-Type: text/html"
post "$unknown" dave
expect $LINENO 400
check $LINENO "unknown code: the same refusal" test "$body" = "$refusal"
post "$typo" dave2
expect $LINENO 400
check $LINENO "mistyped code: the same refusal" test "$body" = "$refusal"
req POST /redeem -H "$form" -H "Origin: $base" --data "code=$c4&user=dave&extra=1"
expect $LINENO 400
check $LINENO "unknown field: the same refusal" test "$body" = "$refusal"
req POST /redeem -H "$form" -H "Origin: $base" --data "code=$c4"
expect $LINENO 400
check $LINENO "missing user: the same refusal" test "$body" = "$refusal"
post "$c1" dave -H 'Accept: application/json'
expect $LINENO 400 invalid_code
jrefusal=$body
post "$unknown" dave -H 'Accept: application/json'
check $LINENO "JSON refusals are the same too" test "$body" = "$jrefusal"
post "<script>alert(1)</script>" "<b>x</b>"
expect $LINENO 400
check $LINENO "input is never echoed" test "$body" = "$refusal"

# Wrong content type.
req POST /redeem -H 'Content-Type: application/json' -H "Origin: $base" --data '{}'
expect $LINENO 415

# Per address: 7 refusals a minute, then 429 even for a good code. Every refusal
# counts (the six above that reached a lookup, an already redeemed code too), so
# when the 429 comes says nothing about which codes exist.
post "$unknown" frank
expect $LINENO 400
post "$c4" grace
expect $LINENO 429
check $LINENO "429 says when to retry" has_header "Retry-After: [0-9]"
check $LINENO "the limit says so" contains "$body" "Too many attempts"
check $LINENO "the limited post changed nothing" test \
	"$(sqldb "SELECT status FROM coupon_codes WHERE code = '$c4'")" = available
req GET /metrics
check $LINENO "address limit hits are counted" matches "$body" '^coupon_rate_limited_total\{limit="client"\} [1-9]'
check $LINENO "form failures are counted" contains "$body" 'coupon_failed_lookups_total{source="form"} 5'
done_tests
