#!/usr/bin/env bash
# The JSON API through nginx: redemption endpoints, auth, idempotency, rate limits
# and every kind of bad input. Each bad input must be a clean 4xx with a JSON error.
. "$top_srcdir/tests/http/lib.sh"
http_setup api --set rate-limit=5

key=$(make_key shop admin)
rkey=$(make_key till redeem)
cid=$(make_campaign spring 20)
set -- $(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id")
c1=$1 c2=$2 c3=$3 c4=$4 c5=$5 c6=$6 c7=$7
# The last character is the check character: any other one is a typo.
set -- $("$mkcodes" 8) # valid codes that are not in the database
u1=$1 u2=$2 u3=$3 u4=$4 u5=$5 u6=$6 u7=$7 u8=$8
typo=$(printf '%s' "$c7" | sed 's/.$//')$(case "$c7" in *0) echo 1 ;; *) echo 0 ;; esac)

# ------------------------------------------------------------ health, metrics, routing
req GET /healthz
expect $LINENO 200
check $LINENO "healthz reports the database" contains "$body" '"database":"ok"'
req GET /metrics
expect $LINENO 200
check $LINENO "metrics have HELP lines" contains "$body" "# HELP coupon_http_requests_total"
check $LINENO "metrics have TYPE lines" contains "$body" "# TYPE coupon_http_request_duration_seconds histogram"
check $LINENO "metrics are Prometheus text" has_header "Content-Type: text/plain; version=0.0.4"
req GET /api/v1/nothing-here
expect $LINENO 404 not_found
req GET /api/v1/redeem
expect $LINENO 405 method_not_allowed
check $LINENO "405 names the allowed method" has_header "Allow: POST"
req DELETE /api/v1/campaigns
expect $LINENO 405 method_not_allowed

# ------------------------------------------------------------ auth
req POST /api/v1/validate -H 'Content-Type: application/json' --data "{\"code\":\"$c1\"}"
expect $LINENO 401 unauthorized
check $LINENO "401 asks for a bearer token" has_header "WWW-Authenticate: Bearer"
req POST /api/v1/validate -H 'Authorization: Bearer cpk_nope_nope' \
	-H 'Content-Type: application/json' --data "{\"code\":\"$c1\"}"
expect $LINENO 401 unauthorized
req POST /api/v1/validate -H "Authorization: Basic $key" \
	-H 'Content-Type: application/json' --data "{\"code\":\"$c1\"}"
expect $LINENO 401 unauthorized
req POST /api/v1/validate -H "Authorization: Bearer ${key}x" \
	-H 'Content-Type: application/json' --data "{\"code\":\"$c1\"}"
expect $LINENO 401 unauthorized
req GET /api/v1/campaigns -H "Authorization: Bearer $rkey"
expect $LINENO 403 forbidden
gone=$(make_key gone redeem)
req POST /api/v1/validate -H "Authorization: Bearer $gone" \
	-H 'Content-Type: application/json' --data "{\"code\":\"$c1\"}"
expect $LINENO 200
"$adm" -c "$cnf" apikey revoke gone >/dev/null
sleep 1.2 # verified keys are cached for a second per worker
req POST /api/v1/validate -H "Authorization: Bearer $gone" \
	-H 'Content-Type: application/json' --data "{\"code\":\"$c1\"}"
expect $LINENO 401 unauthorized

# ------------------------------------------------------------ redemption
api POST /api/v1/validate "{\"code\":\"$c1\"}"
expect $LINENO 200
check $LINENO "validate says redeemable" contains "$body" '"result":"redeemable"'
api POST /api/v1/validate "{\"code\":\"$(echo "$c1" | tr 'A-Z' 'a-z' | sed 's/..../&-/g')\"}"
expect $LINENO 200
api POST /api/v1/redeem "{\"code\":\"$c1\",\"user_id\":\"u1\",\"order_id\":\"o1\"}"
expect $LINENO 200
check $LINENO "redeem says redeemed" contains "$body" '"result":"redeemed"'
check $LINENO "redeem names the campaign" contains "$body" '"name":"spring"'
first=$body
api POST /api/v1/redeem "{\"code\":\"$c1\",\"user_id\":\"u1\",\"order_id\":\"o1\"}"
expect $LINENO 200
check $LINENO "a retried redeem returns the original success" test "$body" = "$first"
check $LINENO "a retried redeem is marked as a replay" has_header "Idempotent-Replayed: true"
api POST /api/v1/redeem "{\"code\":\"$c1\",\"user_id\":\"u2\"}"
expect $LINENO 409 already_redeemed
api POST /api/v1/validate "{\"code\":\"$c1\"}"
expect $LINENO 409 already_redeemed
api POST /api/v1/redeem "{\"code\":\"$typo\",\"user_id\":\"u1\"}"
expect $LINENO 400 wrong_check_character
api POST /api/v1/redeem "{\"code\":\"$u1\",\"user_id\":\"u1\"}"
expect $LINENO 404 unknown_code
api POST /api/v1/redeem '{"code":"??","user_id":"u1"}'
expect $LINENO 400 invalid_code

# Two-phase checkout.
api POST /api/v1/reserve "{\"code\":\"$c2\",\"user_id\":\"u3\",\"ttl\":60}"
expect $LINENO 200
check $LINENO "reserve says until when" contains "$body" '"reserved_until":"'
api POST /api/v1/redeem "{\"code\":\"$c2\",\"user_id\":\"u4\"}"
expect $LINENO 409 reserved
api POST /api/v1/confirm "{\"code\":\"$c2\",\"user_id\":\"u4\"}"
expect $LINENO 409
api POST /api/v1/release "{\"code\":\"$c2\",\"user_id\":\"u3\"}"
expect $LINENO 200
api POST /api/v1/reserve "{\"code\":\"$c2\",\"user_id\":\"u3\"}"
expect $LINENO 200
api POST /api/v1/confirm "{\"code\":\"$c2\",\"user_id\":\"u3\"}"
expect $LINENO 200
check $LINENO "confirm says redeemed" contains "$body" '"result":"redeemed"'
api POST /api/v1/reserve "{\"code\":\"$c3\",\"user_id\":\"u3\",\"ttl\":0}"
expect $LINENO 400 invalid_argument
api POST /api/v1/reserve "{\"code\":\"$c3\",\"user_id\":\"u3\",\"ttl\":86401}"
expect $LINENO 400 invalid_argument

# Idempotency keys.
api POST /api/v1/redeem "{\"code\":\"$c3\",\"user_id\":\"u5\"}" -H 'Idempotency-Key: k-1'
expect $LINENO 200
first=$body
api POST /api/v1/redeem "{\"code\":\"$c3\",\"user_id\":\"u5\"}" -H 'Idempotency-Key: k-1'
expect $LINENO 200
check $LINENO "an idempotent replay has the same body" test "$body" = "$first"
check $LINENO "an idempotent replay is marked" has_header "Idempotent-Replayed: true"
api POST /api/v1/redeem "{\"code\":\"$c4\",\"user_id\":\"u5\"}" -H 'Idempotency-Key: k-1'
expect $LINENO 422 idempotency_conflict
api POST /api/v1/redeem "{\"code\":\"$c4\",\"user_id\":\"u5\"}" -H "Idempotency-Key: $(printf 'x%.0s' $(seq 300))"
expect $LINENO 400 invalid_argument
check $LINENO "c4 was not redeemed by refused requests" test \
	"$(sqldb "SELECT status FROM coupon_codes WHERE code = '$c4'")" = available

# ------------------------------------------------------------ bad input
req POST /api/v1/redeem -H "Authorization: Bearer $key" -H 'Content-Type: text/plain' \
	--data-binary "{\"code\":\"$c4\",\"user_id\":\"u6\"}"
expect $LINENO 415 unsupported_media_type
req POST /api/v1/redeem -H "Authorization: Bearer $key" --data "code=$c4&user_id=u6"
expect $LINENO 415 unsupported_media_type
req POST /api/v1/redeem -H "Authorization: Bearer $key" -H 'Content-Type: Application/JSON; charset=utf-8' \
	--data-binary "{\"code\":\"$c4\",\"user_id\":\"u6\"}"
expect $LINENO 200
big=$(head -c 20000 /dev/zero | tr '\0' 'a')
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"$big\"}"
expect $LINENO 413 body_too_large
head -c 2000000 /dev/zero | tr '\0' 'a' >"$work/huge"
req POST /api/v1/redeem -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	--data-binary @"$work/huge"
expect $LINENO 413 body_too_large
api POST /api/v1/redeem ''
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"u7\""
expect $LINENO 400 invalid_argument
check $LINENO "truncated JSON is called invalid" contains "$body" "invalid JSON"
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"u7\"} x"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"u7\"}{}"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "[\"$c5\"]"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem '"just a string"'
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"u7\",\"admin\":true}"
expect $LINENO 400 invalid_argument
check $LINENO "the unknown field is named" contains "$body" "unknown field 'admin'"
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"u7\",\"user_id\":\"u8\"}"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":7}"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "{\"code\":\"$c5\"}"
expect $LINENO 400 invalid_argument
check $LINENO "the missing field is named" contains "$body" "'user_id' is required"
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"$(printf 'u%.0s' $(seq 65))\"}"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "$(printf '{"code":"%s","user_id":"\377\376"}' "$c5")"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "$(printf '{"code":"%s","user_id":"a\300\257"}' "$c5")"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "$(printf '{"code":"%s","user_id":"a\355\240\200"}' "$c5")"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"a\\u0001b\"}"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"a\\u0000b\"}"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "$(printf '{"code":"%s","user_id":"a\tb"}' "$c5")"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"\\ud800\"}"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "$(printf '%0.s[' $(seq 2000))"
expect $LINENO 400 invalid_argument
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"u7\",\"order_id\":null}" -H 'Expect:'
expect $LINENO 200
req POST /api/v1/redeem -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	-H 'Transfer-Encoding: chunked' --data-binary "{\"code\":\"$c6\",\"user_id\":\"u9\"}"
expect $LINENO 200
# SQL injection strings are data: refused as codes, stored verbatim as ids.
api POST /api/v1/redeem "{\"code\":\"' OR '1'='1\",\"user_id\":\"u10\"}"
expect $LINENO 400 invalid_code
api POST /api/v1/redeem "{\"code\":\"$c7'; DROP TABLE coupon_codes; --\",\"user_id\":\"u10\"}"
expect $LINENO 400
api POST /api/v1/validate "{\"code\":\"$c7\",\"user_id\":\"x' OR '1'='1\"}"
expect $LINENO 200
api POST /api/v1/redeem "{\"code\":\"$c7\",\"user_id\":\"Robert'); DROP TABLE coupon_codes;--\"}"
expect $LINENO 200
check $LINENO "the injection string is stored as data" test \
	"$(sqldb "SELECT redeemed_by_user_id FROM coupon_codes WHERE code = '$c7'")" = \
	"Robert'); DROP TABLE coupon_codes;--"
check $LINENO "the table is intact" test "$(sqldb 'SELECT COUNT(*) FROM coupon_codes')" = 20
# nginx refuses a broken path itself (the unit tests cover coupon-fcgi's own check).
req GET '/api/v1/codes/%ZZ'
expect $LINENO 400

# ------------------------------------------------------------ rate limit (5 a minute)
for c in $u2 $u3 $u4 $u5 $u6; do
	api POST /api/v1/redeem "{\"code\":\"$c\",\"user_id\":\"guesser\"}"
done
expect $LINENO 404 unknown_code
api POST /api/v1/redeem "{\"code\":\"$c5\",\"user_id\":\"guesser\"}"
expect $LINENO 429 rate_limited
check $LINENO "429 says when to retry" has_header "Retry-After: [0-9]"
api POST /api/v1/redeem "{\"code\":\"$u7\",\"user_id\":\"someone-else\"}"
expect $LINENO 404 unknown_code
req GET /metrics
check $LINENO "rate-limit hits are counted" contains "$body" 'coupon_rate_limited_total{limit="user"} 1'
check $LINENO "failed lookups are counted" contains "$body" 'coupon_failed_lookups_total{source="api"}'
check $LINENO "redemption results are counted" contains "$body" \
	'coupon_redemption_results_total{op="redeem",result="already_redeemed"}'
check $LINENO "requests by endpoint and status" contains "$body" \
	'coupon_http_requests_total{endpoint="redeem",status="429"} 1'
check $LINENO "latency histogram" contains "$body" \
	'coupon_http_request_duration_seconds_bucket{endpoint="redeem",le="+Inf"}'
check $LINENO "outbox backlog is read" contains "$body" 'coupon_outbox_up 1'
check $LINENO "outbox backlog gauge" contains "$body" 'coupon_outbox_backlog_events 0'
check $LINENO "no request got a 5xx" test "$(printf '%s\n' "$body" | grep -c 'status="5')" -eq 0
check $LINENO "coupon-fcgi logged no error" test "$(grep -c ' error: ' "$work/fcgi.log")" -eq 0
done_tests
