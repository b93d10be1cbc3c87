#!/usr/bin/env bash
# What a code is worth, through nginx: a campaign's reward, minimum order and
# metadata (kept byte for byte), the reward granted in replies and replays
# (byte-identical after the reward changed), order refusals with the minimum in
# the error body, and a batch whose codes expire on their own.
. "$top_srcdir/tests/http/lib.sh"
http_setup reward

key=$(make_key ops admin,redeem)

# Metadata as written: spacing, number spelling and key order survive.
meta='{"tier": "gold",  "n": 1.50, "big": 12345678901234567890, "list": [1, {"x": null}]}'
api POST /api/v1/campaigns "{\"name\":\"shop\",\"planned_codes\":100,\"reward\":{\"type\":\"percent_off\",\"percent\":\"12.5\"},\"min_order\":{\"amount\":\"50\",\"currency\":\"EUR\"},\"metadata\":$meta}"
expect $LINENO 201
cid=$(printf '%s' "$body" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
check $LINENO "the reward comes back typed" contains "$body" '"reward":{"type":"percent_off","percent":"12.50"}'
check $LINENO "the minimum with its currency's decimals" contains "$body" '"min_order":{"amount":"50.00","currency":"EUR"}'
check $LINENO "metadata verbatim" contains "$body" "\"metadata\":$meta"
req GET "/api/v1/campaigns/$cid" -H "Authorization: Bearer $key"
check $LINENO "and on a later read" contains "$body" "\"metadata\":$meta"

# Refusals: each its own code, naming its field, nothing stored.
rewards_before=$(sqldb "SELECT COUNT(*) FROM campaign_rewards")
while IFS='|' read -r line json code field; do
	api POST /api/v1/campaigns "{\"name\":\"bad-$line\",$json}"
	expect "$line" 400 "$code"
	check "$line" "the refusal names $field" contains "$body" "\"field\":\"$field\""
done <<ROWS
$LINENO|"reward":{"type":"percent_off","percent":"100.01"}|invalid_reward|reward
$LINENO|"reward":{"type":"percent_off","percent":12.5}|invalid_reward|reward
$LINENO|"reward":{"type":"amount_off","amount":"5.001","currency":"EUR"}|invalid_amount|reward
$LINENO|"reward":{"type":"amount_off","amount":"5","currency":"EURO"}|invalid_currency|reward
$LINENO|"reward":{"type":"item","sku":"A B"}|invalid_reward|reward
$LINENO|"reward":{"type":"item","sku":"G-1","colour":"red"}|invalid_reward|reward
$LINENO|"reward":{"type":"discount"}|invalid_reward|reward
$LINENO|"min_order":{"amount":"1e3","currency":"EUR"}|invalid_amount|min_order
$LINENO|"min_order":{"amount":"10","currency":"XYZ"}|invalid_currency|min_order
$LINENO|"metadata":{"a":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}|invalid_metadata|metadata
ROWS
api POST /api/v1/campaigns '{"name":"bad-meta","metadata":[1,2]}'
expect $LINENO 400 invalid_argument
big=$(head -c 4200 /dev/zero | tr '\0' x)
api POST /api/v1/campaigns "{\"name\":\"bad-big\",\"metadata\":{\"x\":\"$big\"}}"
expect $LINENO 400 invalid_metadata
check $LINENO "no refusal stored a reward" test \
	"$(sqldb "SELECT COUNT(*) FROM campaign_rewards")" -eq "$rewards_before"
check $LINENO "nor a campaign" test "$(sqldb "SELECT COUNT(*) FROM campaigns WHERE name LIKE 'bad-%'")" -eq 0

# Codes whose own expiry is an hour away.
api POST "/api/v1/campaigns/$cid/batches" '{"count":20,"code_expires_at":"2099-06-01T00:00:00Z"}'
expect $LINENO 202
check $LINENO "the batch says when its codes expire" contains "$body" '"code_expires_at":"2099-06-01T00:00:00Z"'
bid=$(printf '%s' "$body" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
batch_done() {
	req GET "/api/v1/batches/$bid" -H "Authorization: Bearer $key"
	contains "$body" '"status":"complete"'
}
check $LINENO "the batch completes" wait_until 100 batch_done
check $LINENO "every code got the expiry" test \
	"$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE batch_id = $bid AND expires_at = '2099-06-01 00:00:00'")" -eq 20
api POST "/api/v1/campaigns/$cid/batches" '{"count":5,"code_expires_at":"2001-01-01"}'
expect $LINENO 400 invalid_argument
check $LINENO "a past expiry names its field" contains "$body" '"field":"code_expires_at"'
api POST "/api/v1/campaigns/$cid/batches" '{"count":5,"code_expires_at":"soon"}'
expect $LINENO 400 invalid_argument
codes=($(sqldb "SELECT code FROM coupon_codes WHERE batch_id = $bid ORDER BY id"))
req GET "/api/v1/codes/${codes[0]}" -H "Authorization: Bearer $key"
check $LINENO "a lookup shows the code's expiry" contains "$body" '"expires_at":"2099-06-01T00:00:00Z'

# Order conditions, validate and redeem alike; the minimum in the error body.
while IFS='|' read -r line path amount want code; do
	api POST "$path" "{\"code\":\"${codes[1]}\",\"user_id\":\"u1\"$amount}"
	expect "$line" "$want" "$code"
	[ "$want" = 200 ] && continue
	check "$line" "the minimum is in the body" contains "$body" '"min_order":{"amount":"50.00","currency":"EUR"}'
done <<ROWS
$LINENO|/api/v1/validate||400|order_amount_required
$LINENO|/api/v1/validate|,"order_amount":{"amount":"60","currency":"USD"}|409|currency_mismatch
$LINENO|/api/v1/validate|,"order_amount":{"amount":"49.99","currency":"EUR"}|409|order_below_minimum
$LINENO|/api/v1/validate|,"order_amount":{"amount":"50","currency":"EUR"}|200|
$LINENO|/api/v1/redeem||400|order_amount_required
$LINENO|/api/v1/redeem|,"order_amount":{"amount":"49.99","currency":"EUR"}|409|order_below_minimum
$LINENO|/api/v1/reserve|,"order_amount":{"amount":"49.99","currency":"EUR"}|409|order_below_minimum
ROWS
check $LINENO "refusals left the code available" test \
	"$(sqldb "SELECT status FROM coupon_codes WHERE code = '${codes[1]}'")" = available
api POST /api/v1/redeem "{\"code\":\"${codes[1]}\",\"user_id\":\"u1\",\"order_amount\":{\"amount\":\"5.001\",\"currency\":\"EUR\"}}"
expect $LINENO 400 invalid_amount
check $LINENO "a bad amount names order_amount" contains "$body" '"field":"order_amount"'

# Granted, not looked up: the reply and its replay keep the reward first granted.
ok='"order_amount":{"amount":"59.90","currency":"EUR"}'
api POST /api/v1/redeem "{\"code\":\"${codes[2]}\",\"user_id\":\"u1\",$ok}" -H 'Idempotency-Key: k-1'
expect $LINENO 200
first=$body
check $LINENO "the reply says what was granted" contains "$body" '"reward":{"type":"percent_off","percent":"12.50"}'
check $LINENO "with the campaign's metadata" contains "$body" "\"metadata\":$meta"
# A new reward (a campaign change through couponadm, as an operator does it).
"$adm" -c "$cnf" --quiet campaign set shop --reward 'amount_off 5 EUR' >/dev/null
check $LINENO "couponadm changed the reward" test $? -eq 0
api POST /api/v1/redeem "{\"code\":\"${codes[2]}\",\"user_id\":\"u1\",$ok}" -H 'Idempotency-Key: k-1'
expect $LINENO 200
check $LINENO "the replay is byte-identical" test "$body" = "$first"
check $LINENO "and says so" has_header "Idempotent-Replayed: true"
api POST /api/v1/redeem "{\"code\":\"${codes[3]}\",\"user_id\":\"u1\",$ok}"
expect $LINENO 200
check $LINENO "a later redemption gets the new reward" contains "$body" '"reward":{"type":"amount_off","amount":"5.00","currency":"EUR"}'
req GET "/api/v1/codes/${codes[2]}" -H "Authorization: Bearer $key"
check $LINENO "the first code still shows its reward" contains "$body" '"reward":{"type":"percent_off","percent":"12.50"}'
req GET "/api/v1/codes/${codes[3]}" -H "Authorization: Bearer $key"
check $LINENO "the second its own" contains "$body" '"reward":{"type":"amount_off"'

# A stored order refusal replays byte for byte too.
api POST /api/v1/redeem "{\"code\":\"${codes[4]}\",\"user_id\":\"u1\"}" -H 'Idempotency-Key: k-2'
expect $LINENO 400 order_amount_required
first=$body
"$adm" -c "$cnf" --quiet campaign set shop --min-order '80 EUR' >/dev/null
api POST /api/v1/redeem "{\"code\":\"${codes[4]}\",\"user_id\":\"u1\"}" -H 'Idempotency-Key: k-2'
check $LINENO "the refusal replays as it was" test "$body" = "$first"

# A code past its own expiry is refused.
sqldb "UPDATE coupon_codes SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE code = '${codes[5]}'"
api POST /api/v1/redeem "{\"code\":\"${codes[5]}\",\"user_id\":\"u1\",\"order_amount\":{\"amount\":\"90\",\"currency\":\"EUR\"}}"
expect $LINENO 410 expired

check $LINENO "coupon-fcgi logged no error" test "$(grep -c ' error: ' "$work/fcgi.log")" -eq 0
done_tests
