#!/usr/bin/env bash
# Hand-out through nginx: POST /api/v1/campaigns/ID/assign with a redeem key, the
# same code for the same user, the holder alone redeems it, idempotency, an empty
# pool, refusals naming their field with nothing handed out, support's unassign.
. "$top_srcdir/tests/http/lib.sh"
http_setup assign

key=$(make_key shop admin)
rkey=$(make_key till redeem)
cid=$(make_campaign handout 2)
pid=$(make_campaign paused 2 "status = 'paused'")

assign() { # assign CAMPAIGN JSON [curl args]
	local c=$1 json=$2
	shift 2
	req POST "/api/v1/campaigns/$c/assign" -H "Authorization: Bearer $rkey" \
		-H 'Content-Type: application/json' --data-binary "$json" "$@"
}
field() { printf '%s' "$body" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

assign "$cid" '{"user_id":"ann","order_id":"A-1"}'
expect $LINENO 200
check $LINENO "the reply is a hand-out" contains "$body" '"result":"assigned"'
check $LINENO "the reply has the display form" matches "$body" '"display":"[0-9A-Z]{4}-'
check $LINENO "the reply names the campaign" contains "$body" '"name":"handout"'
code=$(field code)
assign "$cid" '{"user_id":"ann"}'
expect $LINENO 200
check $LINENO "ann again gets the same code" test "$(field code)" = "$code"
check $LINENO "one code stored for ann" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes
	WHERE assigned_user_id = 'ann'")" = 1

# Only the holder redeems it.
req POST /api/v1/redeem -H "Authorization: Bearer $rkey" -H 'Content-Type: application/json' \
	--data "{\"code\":\"$code\",\"user_id\":\"bob\"}"
expect $LINENO 409 assigned_to_another_user
req GET "/api/v1/codes/$code" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the lookup shows the holder" contains "$body" '"assigned_to":"ann"'
check $LINENO "the lookup shows the status" contains "$body" '"status":"assigned"'

# Idempotency: the same key and body replay; another body conflicts.
assign "$cid" '{"user_id":"cat"}' -H 'Idempotency-Key: mail-1'
expect $LINENO 200
first=$body
assign "$cid" '{"user_id":"cat"}' -H 'Idempotency-Key: mail-1'
expect $LINENO 200
check $LINENO "a replay is marked" has_header "Idempotent-Replayed: true"
check $LINENO "a replay is the same body" test "$body" = "$first"
assign "$cid" '{"user_id":"dan"}' -H 'Idempotency-Key: mail-1'
expect $LINENO 422 idempotency_conflict

# The pool is empty now (two codes: ann's and cat's).
assign "$cid" '{"user_id":"dan"}'
expect $LINENO 409 campaign_exhausted

# Refusals: each names its field and hands nothing out.
long=$(printf 'u%.0s' $(seq 65))
assign "$pid" '{"user_id":"eve"}'
expect $LINENO 409 campaign_paused
assign 999999 '{"user_id":"eve"}'
expect $LINENO 404 not_found
assign nope '{"user_id":"eve"}'
expect $LINENO 404 not_found
assign "$pid" "{\"user_id\":\"$long\"}"
expect $LINENO 400 invalid_argument
check $LINENO "a long user id is named" contains "$body" '"field":"user_id"'
assign "$pid" '{"user_id":"a\u0001b"}'
expect $LINENO 400 invalid_argument
check $LINENO "a control character is named" contains "$body" '"field":"user_id"'
assign "$pid" '{"order_id":"x"}'
expect $LINENO 400 invalid_argument
assign "$pid" '{"user_id":"eve","extra":1}'
expect $LINENO 400 invalid_argument
check $LINENO "refusals handed nothing out" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes
	WHERE campaign_id = $pid AND status <> 'available'")" = 0

# Support takes ann's back; it is free again and dan gets it.
req POST "/api/v1/codes/$code/unassign" -H "Authorization: Bearer $rkey" \
	-H 'Content-Type: application/json' --data '{"reason":"wrong customer"}'
expect $LINENO 403 forbidden
req POST "/api/v1/codes/$code/unassign" -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/json' --data '{"reason":"wrong customer"}'
expect $LINENO 200
check $LINENO "unassigned code is available" contains "$body" '"status":"available"'
check $LINENO "the prior holder is in code_events" test "$(sqldb "SELECT COUNT(*) FROM code_events
	WHERE action = 'unassign' AND prior_user_id = 'ann'")" = 1
assign "$cid" '{"user_id":"dan"}'
expect $LINENO 200
check $LINENO "dan gets the code ann had" test "$(field code)" = "$code"

req GET /metrics
check $LINENO "no request got a 5xx" test "$(printf '%s\n' "$body" | grep -c 'status="5')" -eq 0
done_tests
