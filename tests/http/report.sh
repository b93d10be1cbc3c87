#!/usr/bin/env bash
# GET /api/v1/campaigns/ID/report through nginx: what the API's own redemptions,
# reservations and refunds add up to, exact buckets for known times (UTC and a
# +05:30 zone; a redemption refunded later still counts when it was made), CSV
# equal to couponadm report's, the 400s that name their field, and the admin scope.
. "$top_srcdir/tests/http/lib.sh"
http_setup report

key=$(make_key ops admin)
rkey=$(make_key till redeem)
cid=$(make_campaign spring 50)
oid=$(make_campaign autumn 20)

post() {
	req POST "$1" -H "Authorization: Bearer ${3:-$rkey}" -H 'Content-Type: application/json' \
		--data-binary "$2"
}
report() { req GET "/api/v1/campaigns/$1/report$2" -H "Authorization: Bearer ${3:-$key}" "${@:4}"; }

# Live: four redemptions, two reservations and a refund through the API.
set -- $(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id LIMIT 6")
for c in "$1" "$2" "$3" "$4"; do
	post /api/v1/redeem "{\"code\":\"$c\",\"user_id\":\"u-$c\"}"
	expect $LINENO 200
done
for c in "$5" "$6"; do
	post /api/v1/reserve "{\"code\":\"$c\",\"user_id\":\"r-$c\"}"
	expect $LINENO 200
done
post "/api/v1/codes/$1/unredeem" '{"reason":"refund"}' "$key"
expect $LINENO 200

# Summed over buckets, so an hour that turns during the test does not matter.
since=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
report "$cid" "?bucket=hour&since=$since"
expect $LINENO 200
check $LINENO "JSON" has_header "Content-Type: application/json"
sum() { printf '%s' "$body" | jq "[.buckets[].$1] | add"; }
check $LINENO "four redemptions ($(sum redemptions))" test "$(sum redemptions)" = 4
check $LINENO "two reservations ($(sum reservations))" test "$(sum reservations)" = 2
check $LINENO "one refund ($(sum refunds))" test "$(sum refunds)" = 1
check $LINENO "three redeemed to date" test "$(printf '%s' "$body" | jq '.buckets[-1].redeemed_to_date')" = 3
check $LINENO "fifty issued" test "$(printf '%s' "$body" | jq '.buckets[-1].issued_to_date')" = 50
check $LINENO "codes by status" test "$(printf '%s' "$body" | jq -c .status)" = \
	'{"available":45,"pending":2,"redeemed":3,"expired":0,"assigned":0}'
check $LINENO "three hour buckets, in UTC" test \
	"$(printf '%s' "$body" | jq -r '[.time_zone, .bucket, (.buckets | length)] | join(" ")')" = "UTC hour 3"
check $LINENO "failed lookups are said to be unavailable" test \
	"$(printf '%s' "$body" | jq -r '.unavailable.failed_lookups | length > 20')" = true

# Known times in the other campaign: each lands in its bucket.
sqldb "UPDATE generation_batches SET started_at = '2026-01-05 11:30:00' WHERE campaign_id = $oid"
sqldb "UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = 'u',
       redeemed_at = ELT(id % 3 + 1, '2026-01-05 10:20:00', '2026-01-05 10:40:00',
                         '2026-01-05 12:05:00')
       WHERE campaign_id = $oid ORDER BY id LIMIT 6"
sqldb "UPDATE coupon_codes SET status = 'pending', redeemed_by_user_id = 'r',
       reserved_until = NOW(6) + INTERVAL 1 HOUR, reserved_at = '2026-01-05 11:59:59'
       WHERE campaign_id = $oid AND status = 'available' ORDER BY id LIMIT 3"
sqldb "INSERT INTO code_events (code_id, campaign_id, action, prior_status, prior_redeemed_at,
       actor, created_at) SELECT id, campaign_id, 'unredeem', 'redeemed', '2026-01-05 09:50:00',
       'test', '2026-01-05 12:30:00' FROM coupon_codes WHERE campaign_id = $oid
       AND status = 'available' ORDER BY id LIMIT 1"
range="since=2026-01-05T10:00:00Z&until=2026-01-05T13:00:00Z"
report "$oid" "?bucket=hour&$range" "$key" -H 'Accept: text/csv'
expect $LINENO 200
check $LINENO "CSV" has_header "Content-Type: text/csv"
printf '%s\n' "$body" >"$work/api.csv"
cat >"$work/want.csv" <<'EOF'
start,redemptions,reservations,refunds,issued_to_date,redeemed_to_date
2026-01-05T10:00:00Z,4,0,0,0,4
2026-01-05T11:00:00Z,0,3,0,20,4
2026-01-05T12:00:00Z,2,0,1,20,6
EOF
check $LINENO "the buckets count each time once" diff -u "$work/want.csv" "$work/api.csv"
report "$oid" "?bucket=hour&$range&time_zone=Asia/Kolkata" "$key" -H 'Accept: text/csv'
expect $LINENO 200
cat >"$work/want.csv" <<'EOF'
start,redemptions,reservations,refunds,issued_to_date,redeemed_to_date
2026-01-05T15:00:00+05:30,3,0,0,0,2
2026-01-05T16:00:00+05:30,2,0,0,0,4
2026-01-05T17:00:00+05:30,2,3,0,20,6
2026-01-05T18:00:00+05:30,0,0,1,20,6
EOF
printf '%s\n' "$body" >"$work/api.csv"
check $LINENO "+05:30: hours start at half past in UTC" diff -u "$work/want.csv" "$work/api.csv"
report "$oid" "?bucket=day&since=2026-01-04&until=2026-01-06" "$key" -H 'Accept: text/csv'
check $LINENO "days" test "$(printf '%s\n' "$body" | tail -n +2 | cut -d, -f1-4 | tr '\n' ' ')" = \
	"2026-01-04T00:00:00Z,0,0,0 2026-01-05T00:00:00Z,7,3,1 "

# couponadm report is the same series.
"$adm" -c "$cnf" report --campaign autumn --bucket hour --since 2026-01-05T10:00:00Z \
	--until 2026-01-05T13:00:00Z --time-zone Asia/Kolkata --format csv >"$work/adm.csv"
check $LINENO "couponadm report --format csv is the API's CSV" diff -u "$work/api.csv" "$work/adm.csv"
"$adm" -c "$cnf" report --campaign autumn --bucket hour --since 2026-01-05T10:00:00Z \
	--until 2026-01-05T13:00:00Z --format json | jq -c '[.buckets[].redemptions]' >"$work/adm.json"
check $LINENO "couponadm report --format json" test "$(cat "$work/adm.json")" = "[4,0,2]"
"$adm" -c "$cnf" report --campaign autumn --bucket week >/dev/null 2>"$work/err"
check $LINENO "couponadm: a bad bucket is a usage error" test $? -eq 2
check $LINENO "couponadm: naming the option" grep -q '^couponadm: --bucket: ' "$work/err"

# Refusals name their field.
bad() {
	local line=$1 q=$2 field=$3 code=${4:-invalid_argument}
	report "$oid" "?$q"
	expect "$line" 400 "$code"
	check "$line" "$q: the field is named" contains "$body" "\"field\":\"$field\""
}
bad $LINENO "bucket=week" bucket
bad $LINENO "since=yesterday" since
bad $LINENO "until=2026-13-01" until
bad $LINENO "since=2026-01-06&until=2026-01-05" until
bad $LINENO "since=2020-01-01&until=2026-01-01" since
bad $LINENO "time_zone=Mars/Base" time_zone invalid_time_zone
bad $LINENO "time_zone=..%2Fetc%2Fpasswd" time_zone invalid_time_zone
report "$oid" "?colour=red"
expect $LINENO 400 invalid_argument
check $LINENO "an unknown parameter is named in the message" contains "$body" "unknown field 'colour'"
report 999 ""
expect $LINENO 404 not_found
report abc ""
expect $LINENO 404 not_found
report "$oid" "" "$rkey"
expect $LINENO 403 forbidden
req GET "/api/v1/campaigns/$oid/report"
expect $LINENO 401
req POST "/api/v1/campaigns/$oid/report" -H "Authorization: Bearer $key"
expect $LINENO 405

check $LINENO "coupon-fcgi logged no error" test "$(grep -c ' error: ' "$work/fcgi.log")" -eq 0
done_tests
