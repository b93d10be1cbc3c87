#!/usr/bin/env bash
# The campaign cap through nginx: max_redemptions set at creation, read back,
# campaign_cap_reached (409) from redeem, confirm and validate with the same
# error body, a refund giving its unit back, PATCH raising and removing the cap,
# and a refusal for a bad cap that stores nothing.
. "$top_srcdir/tests/http/lib.sh"
http_setup cap

key=$(make_key ops admin,redeem)
reached='{"error":{"code":"campaign_cap_reached","message":"the campaign has reached its maximum number of redemptions"'

api POST /api/v1/campaigns '{"name":"flyer","planned_codes":1000,"max_redemptions":3}'
expect $LINENO 201
cid=$(printf '%s' "$body" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
check $LINENO "the cap comes back" contains "$body" '"max_redemptions":3'
req GET "/api/v1/campaigns/$cid" -H "Authorization: Bearer $key"
check $LINENO "and on a later read" contains "$body" '"max_redemptions":3'
req GET /api/v1/campaigns -H "Authorization: Bearer $key"
check $LINENO "and in the list" contains "$body" '"max_redemptions":3'

api POST "/api/v1/campaigns/$cid/batches" '{"count":12}'
expect $LINENO 202
batch_done() { test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = $cid")" -eq 12; }
check $LINENO "the codes are there" wait_until 100 batch_done
codes=($(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id"))
printf '%s\n' "${codes[@]}" >>"$work/secrets"

for i in 0 1 2; do
	api POST /api/v1/redeem "{\"code\":\"${codes[$i]}\",\"user_id\":\"u$i\"}"
	expect $LINENO 200
done
api POST /api/v1/redeem "{\"code\":\"${codes[3]}\",\"user_id\":\"u3\"}"
expect $LINENO 409 campaign_cap_reached
check $LINENO "the error body" contains "$body" "$reached"
api POST /api/v1/validate "{\"code\":\"${codes[3]}\"}"
expect $LINENO 409 campaign_cap_reached
check $LINENO "validate says the same" contains "$body" "$reached"
# A reservation holds no unit: its confirm is refused the same way.
api POST /api/v1/reserve "{\"code\":\"${codes[4]}\",\"user_id\":\"u4\"}"
expect $LINENO 200
api POST /api/v1/confirm "{\"code\":\"${codes[4]}\",\"user_id\":\"u4\"}"
expect $LINENO 409 campaign_cap_reached
check $LINENO "the refused code is left as it was" test \
	"$(sqldb "SELECT status FROM coupon_codes WHERE code = '${codes[3]}'")" = available
check $LINENO "three redeemed" test \
	"$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = $cid AND status = 'redeemed'")" -eq 3

# A refund gives its unit back, once.
api POST "/api/v1/codes/${codes[0]}/unredeem" '{"reason":"refunded"}'
expect $LINENO 200
api POST /api/v1/redeem "{\"code\":\"${codes[3]}\",\"user_id\":\"u3\"}"
expect $LINENO 200
api POST /api/v1/redeem "{\"code\":\"${codes[5]}\",\"user_id\":\"u5\"}"
expect $LINENO 409 campaign_cap_reached

# PATCH: bad caps are refused and change nothing; raising lets the difference through.
for bad in '"max_redemptions":-1' '"max_redemptions":4294967296' '"max_redemptions":"many"'; do
	api PATCH "/api/v1/campaigns/$cid" "{$bad}"
	expect $LINENO 400 invalid_argument
	check $LINENO "the refusal names the field" contains "$body" '"field":"max_redemptions"'
done
check $LINENO "the cap is unchanged" test \
	"$(sqldb "SELECT max_redemptions FROM campaigns WHERE id = $cid")" -eq 3
api PATCH "/api/v1/campaigns/$cid" '{"max_redemptions":4}'
expect $LINENO 200
check $LINENO "the new cap comes back" contains "$body" '"max_redemptions":4'
check $LINENO "the change is in the audit log" test "$(sqldb "SELECT COUNT(*) FROM audit_log
	WHERE action = 'campaign.update' AND JSON_VALUE(before_json, '$.max_redemptions') = 3
	AND JSON_VALUE(after_json, '$.max_redemptions') = 4")" -eq 1
api POST /api/v1/redeem "{\"code\":\"${codes[5]}\",\"user_id\":\"u5\"}"
expect $LINENO 200
api POST /api/v1/redeem "{\"code\":\"${codes[6]}\",\"user_id\":\"u6\"}"
expect $LINENO 409 campaign_cap_reached
# 0 removes the cap.
api PATCH "/api/v1/campaigns/$cid" '{"max_redemptions":0}'
expect $LINENO 200
check $LINENO "no cap is null" contains "$body" '"max_redemptions":null'
api POST /api/v1/redeem "{\"code\":\"${codes[6]}\",\"user_id\":\"u6\"}"
expect $LINENO 200

api POST /api/v1/campaigns '{"name":"bad-cap","max_redemptions":1.5}'
expect $LINENO 400 invalid_argument
check $LINENO "nothing stored" test "$(sqldb "SELECT COUNT(*) FROM campaigns WHERE name = 'bad-cap'")" -eq 0

check $LINENO "coupon-fcgi logged no error" test "$(grep -c ' error: ' "$work/fcgi.log")" -eq 0
done_tests
