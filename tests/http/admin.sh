#!/usr/bin/env bash
# The admin endpoints through nginx: campaigns, batches generated in the
# background, the streamed CSV export, and the support operations on one code.
. "$top_srcdir/tests/http/lib.sh"
http_setup admin

key=$(make_key ops admin)
rkey=$(make_key till redeem)

api POST /api/v1/campaigns '{"name":"autumn","planned_codes":1000,"per_user_limit":2,"expires_at":"2099-01-01T00:00:00Z"}'
expect $LINENO 201
check $LINENO "the new campaign is described" contains "$body" '"name":"autumn"'
check $LINENO "Location names it" has_header "Location: /api/v1/campaigns/[0-9]"
cid=$(printf '%s' "$body" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
check $LINENO "an id came back" test -n "$cid"
check $LINENO "expires_at round-trips" contains "$body" '"expires_at":"2099-01-01T00:00:00Z"'
api POST /api/v1/campaigns '{"name":"autumn"}'
expect $LINENO 409 already_exists
api POST /api/v1/campaigns '{"name":"weak","body_length":6,"planned_codes":100000000}'
expect $LINENO 400 format_too_weak
check $LINENO "a weak format is the length's fault" contains "$body" '"field":"body_length"'
api POST /api/v1/campaigns '{"name":"bad-time","starts_at":"tomorrow"}'
expect $LINENO 400 invalid_argument
check $LINENO "the error names its field" contains "$body" '"field":"starts_at"'
api POST /api/v1/campaigns '{"name":"bad-status","status":"archived"}'
expect $LINENO 400 invalid_argument
api POST /api/v1/campaigns '{"name":"x","bogus":1}'
expect $LINENO 400 invalid_argument
api POST /api/v1/campaigns '{"name":"","planned_codes":10}'
expect $LINENO 400 invalid_argument
req GET /api/v1/campaigns -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the list holds the campaign" contains "$body" '"name":"autumn"'
req GET "/api/v1/campaigns/$cid" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "one campaign with its counts" contains "$body" '"codes":{"total":0'
req GET /api/v1/campaigns/999999 -H "Authorization: Bearer $key"
expect $LINENO 404 not_found
req GET /api/v1/campaigns/abc -H "Authorization: Bearer $key"
expect $LINENO 404 not_found
req GET "/api/v1/campaigns/$cid" -H "Authorization: Bearer $rkey"
expect $LINENO 403 forbidden

# A batch is generated in the background; its progress can be watched.
api POST "/api/v1/campaigns/$cid/batches" '{"count":500}'
expect $LINENO 202
check $LINENO "Location names the batch" has_header "Location: /api/v1/batches/[0-9]"
bid=$(printf '%s' "$body" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
batch_done() {
	req GET "/api/v1/batches/$bid" -H "Authorization: Bearer $key"
	contains "$body" '"status":"complete"'
}
check $LINENO "the batch completes" wait_until 600 batch_done
check $LINENO "with exactly the codes asked for" contains "$body" '"generated":500'
api POST "/api/v1/campaigns/$cid/batches" '{"count":0}'
expect $LINENO 400
api POST "/api/v1/campaigns/$cid/batches" '{"count":10,"method":"sideways"}'
expect $LINENO 400 invalid_argument
check $LINENO "the method is named" contains "$body" '"field":"method"'
req GET /api/v1/batches/999999 -H "Authorization: Bearer $key"
expect $LINENO 404

# The export: every code, recorded as having left the system.
req GET "/api/v1/campaigns/$cid/codes.csv" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the export is CSV" has_header "Content-Type: text/csv"
check $LINENO "the export has every code" test "$(printf '%s\n' "$body" | grep -c '^[0-9A-Z-]*,')" -eq 500
sum=$(printf '%s\n' "$headers" | sed -n 's/^X-Content-SHA256: //ip')
check $LINENO "the SHA-256 header matches the body" test "$(sha256sum <"$work/body" | cut -d' ' -f1)" = "$sum"
check $LINENO "the export is recorded" test "$(sqldb 'SELECT COUNT(*) FROM code_exports')" -eq 1
req GET "/api/v1/campaigns/$cid/codes.csv?status=redeemed" -H "Authorization: Bearer $key"
expect $LINENO 200
req GET "/api/v1/campaigns/$cid/codes.csv?colour=red" -H "Authorization: Bearer $key"
expect $LINENO 400 invalid_argument

# Support operations on one code.
code=$(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid LIMIT 1")
api POST /api/v1/redeem "{\"code\":\"$code\",\"user_id\":\"u1\"}"
expect $LINENO 200
req GET "/api/v1/codes/$code" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the code is shown redeemed" contains "$body" '"status":"redeemed"'
api POST "/api/v1/codes/$code/unredeem" '{"reason":"refund #1"}'
expect $LINENO 200
check $LINENO "unredeem restores the code" contains "$body" '"status":"available"'
api POST "/api/v1/codes/$code/unredeem" ''
expect $LINENO 409 not_redeemed
req POST "/api/v1/codes/$code/expire" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "expire without a body expires" contains "$body" '"status":"expired"'
api POST "/api/v1/codes/$code/expire" '{"reason":"again"}'
expect $LINENO 410 expired
check $LINENO "both changes are audited" test \
	"$(sqldb "SELECT COUNT(*) FROM code_events WHERE actor LIKE 'api-key:%'")" -eq 2
req GET /api/v1/codes/NOPE -H "Authorization: Bearer $key"
expect $LINENO 404
api POST "/api/v1/codes/$code/expire" '{"reason":"x","more":1}'
expect $LINENO 400 invalid_argument
check $LINENO "coupon-fcgi logged no error" test "$(grep -c ' error: ' "$work/fcgi.log")" -eq 0
done_tests
