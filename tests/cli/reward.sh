#!/usr/bin/env bash
# couponadm and what a code is worth: campaign create|set|show with a reward, a
# minimum order and metadata; code redeem with --order-amount; code show says
# what a code was granted; generate --code-expires; exports carry both.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db reward
a() { expect_exit "$@"; }

a $LINENO 0 "$adm" -c "$cnf" migrate
a $LINENO 0 "$adm" -c "$cnf" campaign create shop --codes 1000 --reward 'amount_off 5 EUR' \
	--min-order 30EUR --metadata '{"tier": "gold", "n": 1.50}'
a $LINENO 0 "$adm" -c "$cnf" campaign show shop
check $LINENO "show: the reward" contains "$out" "reward          amount_off 5.00 EUR"
check $LINENO "show: the minimum" contains "$out" "min order       30.00 EUR"
check $LINENO "show: metadata as given" contains "$out" 'metadata        {"tier": "gold", "n": 1.50}'
a $LINENO 0 "$adm" -c "$cnf" campaign show shop --json
check $LINENO "json: the reward" contains "$out" '"reward":{"type":"amount_off","amount":"5.00","currency":"EUR"}'
check $LINENO "json: metadata verbatim" contains "$out" '"metadata":{"tier": "gold", "n": 1.50}'

# Refusals name the option and store nothing.
while IFS='|' read -r line option value want; do
	a "$line" 2 "$adm" -c "$cnf" campaign set shop "$option" "$value"
	check "$line" "$option '$value' refused: $want" contains "$out" "$want"
done <<ROWS
$LINENO|--reward|percent_off 0|percent above 0
$LINENO|--reward|amount_off 1.234 EUR|more than 2 decimals
$LINENO|--reward|amount_off 5 ZZZ|ISO 4217
$LINENO|--min-order|5|amount and a currency
$LINENO|--metadata|{"a":|metadata
$LINENO|--metadata|[1]|JSON object
ROWS
check $LINENO "one reward row, from create" test "$(sqldb "SELECT COUNT(*) FROM campaign_rewards")" -eq 1

# Codes that expire on their own; shown in lookups and exports.
a $LINENO 0 "$adm" -c "$cnf" --quiet generate --campaign shop --count 10 --code-expires 2099-03-01T12:00:00Z
check $LINENO "every code got the expiry" test \
	"$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE expires_at = '2099-03-01 12:00:00'")" -eq 10
a $LINENO 2 "$adm" -c "$cnf" --quiet generate --campaign shop --count 10 --new --code-expires yesterday
a $LINENO 2 "$adm" -c "$cnf" --quiet generate --campaign shop --count 10 --new --code-expires 2001-01-01
check $LINENO "a past expiry is refused" contains "$out" "in the future"
codes=($(sqldb "SELECT code FROM coupon_codes ORDER BY id"))

a $LINENO 1 "$adm" -c "$cnf" code redeem "${codes[0]}" --user u1
check $LINENO "no amount: order_amount_required" contains "$out" "order_amount_required"
a $LINENO 1 "$adm" -c "$cnf" code redeem "${codes[0]}" --user u1 --order-amount '29.99 EUR'
check $LINENO "below: the minimum named" contains "$out" "30.00 EUR"
a $LINENO 2 "$adm" -c "$cnf" code redeem "${codes[0]}" --user u1 --order-amount '29.999 EUR'
a $LINENO 0 "$adm" -c "$cnf" code redeem "${codes[0]}" --user u1 --order-amount 30EUR
check $LINENO "redeem says what was granted" contains "$out" "amount_off 5.00 EUR"

# A new reward: the first code keeps what it was granted.
a $LINENO 0 "$adm" -c "$cnf" campaign set shop --reward 'item GAME-123' --min-order none
a $LINENO 0 "$adm" -c "$cnf" code redeem "${codes[1]}" --user u2 --order '=HYPERLINK("x","y")'
check $LINENO "a later redemption: the new reward" contains "$out" "item GAME-123"
a $LINENO 0 "$adm" -c "$cnf" code show "${codes[0]}"
check $LINENO "code show: the reward granted then" contains "$out" "amount_off 5.00 EUR"
check $LINENO "code show: its own expiry" contains "$out" "2099-03-01T12:00:00Z"
a $LINENO 0 "$adm" -c "$cnf" code show "${codes[1]}"
check $LINENO "code show: the second's reward" contains "$out" "item GAME-123"

a $LINENO 0 "$adm" -c "$cnf" code reserve "${codes[2]}" --user 'u,3' --ttl 600
a $LINENO 0 "$adm" -c "$cnf" export --campaign shop --out "$work/codes.csv"
check $LINENO "export header" test "$(head -1 "$work/codes.csv")" = \
	"code,normalized,batch,status,expires_at,reward,user_id,order_id,redeemed_at,reserved_until"
check $LINENO "export: granted rewards" test \
	"$(grep -c ',redeemed,2099-03-01T12:00:00Z,"' "$work/codes.csv")" -eq 2
when=$(sqldb "SELECT DATE_FORMAT(redeemed_at, '%Y-%m-%dT%H:%i:%sZ') FROM coupon_codes WHERE code = '${codes[0]}'")
check $LINENO "export: the first's, with who and when" grep -qF \
	"${codes[0]},1,redeemed,2099-03-01T12:00:00Z,\"amount_off 5.00 EUR\",u1,,$when," "$work/codes.csv"
# An order id a spreadsheet would run as a formula is written as text.
check $LINENO "export: a formula is neutralised" grep -qF \
	"${codes[1]},1,redeemed,2099-03-01T12:00:00Z,\"item GAME-123\",u2,\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"," "$work/codes.csv"
until=$(sqldb "SELECT DATE_FORMAT(reserved_until, '%Y-%m-%dT%H:%i:%sZ') FROM coupon_codes WHERE code = '${codes[2]}'")
check $LINENO "export: a reservation's holder and end" grep -qF \
	"${codes[2]},1,pending,2099-03-01T12:00:00Z,\"item GAME-123\",\"u,3\",,,$until" "$work/codes.csv"
check $LINENO "export: unredeemed codes have none" grep -q ',available,2099-03-01T12:00:00Z,,,,,$' "$work/codes.csv"
done_tests
