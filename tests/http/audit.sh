#!/usr/bin/env bash
# GET /api/v1/audit through nginx: the admin changes made over HTTP are in the
# log with the API key that made them, newest first, a page at a time; redeem
# keys are refused and bad filters get a 400 that names the field.
. "$top_srcdir/tests/http/lib.sh"
http_setup audit

key=$(make_key ops admin)
rkey=$(make_key till redeem)
kid=$(sqldb "SELECT id FROM api_keys WHERE name = 'ops'")

api POST /api/v1/campaigns '{"name":"audited","planned_codes":1000}'
expect $LINENO 201
cid=$(printf '%s' "$body" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
cid2=$(make_campaign leaky 3)
code=$(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid2 LIMIT 1")
api POST "/api/v1/codes/$code/expire" '{"reason":"leaked"}'
expect $LINENO 200

req GET /api/v1/audit -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the code's expiry is newest" \
	matches "$body" '^\{"entries":\[\{"id":[0-9]+,"at":"[0-9T:Z-]+","actor":"api-key:'"$kid"' \(ops\)","action":"code.expire","object_type":"code"'
check $LINENO "with its before and after" \
	contains "$body" '"before":{"code":"'"$code"'","status":"available","user_id":null,"order_id":null},"after":{"status":"expired","reason":"leaked"}'
check $LINENO "the campaign's creation by the key" \
	contains "$body" '"actor":"api-key:'"$kid"' (ops)","action":"campaign.create","object_type":"campaign","object_id":'"$cid"',"before":null,"after":{"name":"audited"'
check $LINENO "a short page is the last" contains "$body" '"next_cursor":null}'

# A page at a time: the cursor is the last row's id, the next page starts below it.
n=$(sqldb "SELECT COUNT(*) FROM audit_log")
check $LINENO "couponadm's key creations and the two changes are logged" test "$n" -ge 4
seen=""
cursor=""
for _ in $(seq 1 20); do
	req GET "/api/v1/audit?limit=1${cursor:+&cursor=$cursor}" -H "Authorization: Bearer $key"
	expect $LINENO 200
	id=$(printf '%s' "$body" | sed -n 's/^{"entries":\[{"id":\([0-9]*\),.*/\1/p')
	[ -n "$id" ] && seen="$seen $id"
	cursor=$(printf '%s' "$body" | sed -n 's/.*"next_cursor":"\([0-9]*\)"}$/\1/p')
	[ -z "$cursor" ] && break
done
want=$(sqldb "SELECT GROUP_CONCAT(id ORDER BY id DESC SEPARATOR ' ') FROM audit_log")
check $LINENO "pages of one saw every row once, newest first: '$seen' vs ' $want'" \
	test "$seen" = " $want"

req GET "/api/v1/audit?action=campaign.create" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the action filter keeps only its action" \
	sh -c '! printf "%s" "$1" | grep -q "code.expire"' _ "$body"
check $LINENO "and the action it names" contains "$body" '"action":"campaign.create"'
req GET "/api/v1/audit?since=2099-01-01T00:00:00Z" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "nothing since the future" contains "$body" '{"entries":[],"next_cursor":null}'

# Scope and authentication.
req GET /api/v1/audit -H "Authorization: Bearer $rkey"
expect $LINENO 403 forbidden
req GET /api/v1/audit
expect $LINENO 401

# Bad filters: 400 naming the field.
for q in "limit=0 limit" "limit=1001 limit" "limit=x limit" "cursor=abc cursor" \
	"cursor=-1 cursor" "since=yesterday since"; do
	req GET "/api/v1/audit?${q% *}" -H "Authorization: Bearer $key"
	expect $LINENO 400 invalid_argument
	check $LINENO "${q% *} names ${q#* }" contains "$body" "\"field\":\"${q#* }\""
done
req GET "/api/v1/audit?bogus=1" -H "Authorization: Bearer $key"
expect $LINENO 400 invalid_argument

# A key's name of 80 characters (100 bytes): the actor keeps the first 64, whole
# characters, so it fits code_events.actor as well as the audit log.
long=$(printf 'a%.0s' $(seq 60))$(printf 'é%.0s' $(seq 20))
lkey=$(make_key "$long" admin)
lid=$(sqldb "SELECT id FROM api_keys WHERE key_prefix = '$(echo "$lkey" | cut -d_ -f2)'")
code=$(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid2 AND status = 'available' LIMIT 1")
req POST "/api/v1/codes/$code/expire" -H "Authorization: Bearer $lkey"
expect $LINENO 200
want="api-key:$lid ($(printf 'a%.0s' $(seq 60))éééé)"
check $LINENO "the audit row names the long key, cut" test \
	"$(sqldb "SELECT actor FROM audit_log ORDER BY id DESC LIMIT 1")" = "$want"
check $LINENO "so does the code's history" test \
	"$(sqldb "SELECT actor FROM code_events ORDER BY id DESC LIMIT 1")" = "$want"

check $LINENO "coupon-fcgi logged no error" test "$(grep -c ' error: ' "$work/fcgi.log")" -eq 0
done_tests
