#!/usr/bin/env bash
# PATCH /api/v1/campaigns/ID through nginx: the terms and the status change
# through core's own update and status functions (a pause is in force for the
# next redemption), each change is one audit row, and bad input is a 400 that
# names its field, with nothing changed and nothing logged.
. "$top_srcdir/tests/http/lib.sh"
http_setup manage

key=$(make_key ops admin)
rkey=$(make_key till redeem)
cid=$(make_campaign managed 3)
codes=($(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id"))
logged() { sqldb "SELECT COUNT(*) FROM audit_log WHERE object_type = 'campaign' AND object_id = $cid"; }

api PATCH "/api/v1/campaigns/$cid" '{"per_user_limit":1,"expires_at":"2099-06-30T00:00:00Z","unredeem":"spend"}'
expect $LINENO 200
check $LINENO "the limit is changed" contains "$body" '"per_user_limit":1'
check $LINENO "the expiry is changed" contains "$body" '"expires_at":"2099-06-30T00:00:00Z"'
check $LINENO "the policy is changed" contains "$body" '"unredeem":"spend"'
check $LINENO "one audit row" test "$(logged)" -eq 1
check $LINENO "an update, before and after" test "$(sqldb "SELECT COUNT(*) FROM audit_log
	WHERE action = 'campaign.update' AND JSON_VALUE(before_json, '$.per_user_limit') = 0
	AND JSON_VALUE(after_json, '$.per_user_limit') = 1")" -eq 1

api PATCH "/api/v1/campaigns/$cid" '{"status":"paused"}'
expect $LINENO 200
check $LINENO "paused" contains "$body" '"status":"paused"'
key=$rkey api POST /api/v1/redeem "{\"code\":\"${codes[0]}\",\"user_id\":\"u1\"}"
expect $LINENO 409 campaign_paused
api PATCH "/api/v1/campaigns/$cid" '{"status":"ACTIVE"}'
expect $LINENO 200
key=$rkey api POST /api/v1/redeem "{\"code\":\"${codes[0]}\",\"user_id\":\"u1\"}"
expect $LINENO 200
key=$rkey api POST /api/v1/redeem "{\"code\":\"${codes[1]}\",\"user_id\":\"u1\"}"
expect $LINENO 409
check $LINENO "the new per-user limit holds" contains "$body" 'limit'
check $LINENO "update, pause, resume: three rows" test "$(logged)" -eq 3

# The reward and the minimum order: a new reward row, granted from then on, audited.
api PATCH "/api/v1/campaigns/$cid" '{"reward":{"type":"amount_off","amount":"5.00","currency":"EUR"},"min_order":{"amount":"20.00","currency":"EUR"}}'
expect $LINENO 200
check $LINENO "the reward is changed" contains "$body" '"reward":{"type":"amount_off","amount":"5.00","currency":"EUR"}'
check $LINENO "the minimum is changed" contains "$body" '"min_order":{"amount":"20.00","currency":"EUR"}'
check $LINENO "the reward change is audited: $(sqldb "SELECT after_json FROM audit_log ORDER BY id DESC LIMIT 1")" \
	test "$(sqldb "SELECT COUNT(*) FROM audit_log WHERE action = 'campaign.update'
	AND object_id = $cid AND JSON_VALUE(after_json, '$.reward.amount') = '5.00'")" -eq 1
api PATCH "/api/v1/campaigns/$cid" '{"reward":{"type":"percent_off","percent":"250"}}'
expect $LINENO 400
check $LINENO "a bad reward is refused, naming it" contains "$body" '"field":"reward"'
api PATCH "/api/v1/campaigns/$cid" '{"reward":{"type":"none"}}'
expect $LINENO 200
check $LINENO "and no reward again: $body" contains "$body" '"reward":{"type":"none"}'

# Bad input: 400 naming the field, nothing changed, nothing logged.
before=$(logged)
for t in 'status {"status":"frozen"}' 'per_user_limit {"per_user_limit":"x"}' \
	'expires_at {"expires_at":"tomorrow"}' 'unredeem {"unredeem":"sometimes"}' \
	'expires_at {"starts_at":"2099-07-01","expires_at":"2099-06-01"}' \
	'events {"events":"maybe"}'; do
	api PATCH "/api/v1/campaigns/$cid" "${t#* }"
	expect $LINENO 400 invalid_argument
	check $LINENO "${t#* } names ${t%% *}" contains "$body" "\"field\":\"${t%% *}\""
done
api PATCH "/api/v1/campaigns/$cid" '{"name":"renamed"}'
expect $LINENO 400 invalid_argument
check $LINENO "a name cannot be patched, and the answer says which" contains "$body" 'name'
api PATCH "/api/v1/campaigns/$cid" '{}'
expect $LINENO 400 invalid_argument
api PATCH "/api/v1/campaigns/$cid" 'not json'
expect $LINENO 400
check $LINENO "refusals logged nothing" test "$(logged)" -eq "$before"
check $LINENO "and changed nothing" test "$(sqldb "SELECT CONCAT(status, per_user_limit)
	FROM campaigns WHERE id = $cid")" = active1

# Scope, unknown campaigns, archived ones.
key=$rkey api PATCH "/api/v1/campaigns/$cid" '{"status":"paused"}'
expect $LINENO 403 forbidden
api PATCH /api/v1/campaigns/999999 '{"status":"paused"}'
expect $LINENO 404 not_found
api PATCH "/api/v1/campaigns/$cid" '{"status":"archived"}'
expect $LINENO 200
check $LINENO "archived" contains "$body" '"status":"archived"'
before=$(logged)
api PATCH "/api/v1/campaigns/$cid" '{"status":"paused"}'
expect $LINENO 409 conflict
api PATCH "/api/v1/campaigns/$cid" '{"per_user_limit":5}'
expect $LINENO 409 conflict
check $LINENO "a refused change of an archived campaign logs nothing" test "$(logged)" -eq "$before"
check $LINENO "every row names the key" test "$(sqldb "SELECT COUNT(*) FROM audit_log
	WHERE object_type = 'campaign' AND actor <> CONCAT('api-key:', (SELECT id FROM api_keys WHERE name = 'ops'), ' (ops)')")" -eq 0

# Expiry of a batch's and of a campaign's available codes, each one audit row.
cid2=$(make_campaign leaked 5)
bid2=$(sqldb "SELECT MAX(id) FROM generation_batches WHERE campaign_id = $cid2")
api POST "/api/v1/batches/$bid2/expire" '{"reason":"posted on a forum"}'
expect $LINENO 200
check $LINENO "the batch's five codes expired" contains "$body" '{"expired":5}'
check $LINENO "with the reason given" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes
	WHERE batch_id = $bid2 AND status = 'expired' AND expired_reason = 'posted on a forum'")" -eq 5
check $LINENO "one batch.expire row" test "$(sqldb "SELECT COUNT(*) FROM audit_log
	WHERE action = 'batch.expire' AND object_id = $bid2 AND JSON_VALUE(after_json, '$.expired') = 5")" -eq 1
api POST "/api/v1/campaigns/$cid2/expire" ''
expect $LINENO 200
check $LINENO "nothing left to expire" contains "$body" '{"expired":0}'
check $LINENO "one campaign.expire row" test "$(sqldb "SELECT COUNT(*) FROM audit_log
	WHERE action = 'campaign.expire' AND object_id = $cid2")" -eq 1
api POST /api/v1/batches/999999/expire ''
expect $LINENO 404 not_found
api POST /api/v1/campaigns/999999/expire ''
expect $LINENO 404 not_found
api POST "/api/v1/campaigns/$cid2/expire" '{"reason":""}'
expect $LINENO 400 invalid_argument
check $LINENO "an empty reason is named" contains "$body" '"field":"reason"'
api POST "/api/v1/campaigns/$cid2/expire" '{"why":"x"}'
expect $LINENO 400 invalid_argument
key=$rkey api POST "/api/v1/campaigns/$cid2/expire" ''
expect $LINENO 403 forbidden
key=$rkey api POST "/api/v1/batches/$bid2/expire" ''
expect $LINENO 403 forbidden

check $LINENO "coupon-fcgi logged no error" test "$(grep -c ' error: ' "$work/fcgi.log")" -eq 0
done_tests
