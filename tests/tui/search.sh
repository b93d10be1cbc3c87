#!/usr/bin/env bash
# The redemption search, the lookup by user and the audit log in the console, in
# tmux: filters with an inline error, pages fetched as the list scrolls (250 rows
# in pages of 100), Enter opening a code, a user's reserved and redeemed codes,
# and the audit log newest first with the selected change's before and after.
. "$top_srcdir/tests/tui/lib.sh"
start_console search 120 40
T send-keys Q
check_restored $LINENO

"$adm" -c "$cnf" -q campaign create tui-shop --codes 1000 >/dev/null
"$adm" -c "$cnf" -q generate --campaign tui-shop --count 300
# 250 redemptions a minute apart by u0, u1, u2 in turn; u1 also holds 2 reservations.
sqldb "UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = CONCAT('u', id % 3),
	order_id = CONCAT('o-', id), redeemed_at = TIMESTAMP('2026-01-01') + INTERVAL id MINUTE
	WHERE id <= 250;
	UPDATE coupon_codes SET status = 'pending', redeemed_by_user_id = 'u1',
	reserved_until = '2099-01-01' WHERE id IN (251, 252)"
code_of() { sqldb "SELECT code FROM coupon_codes WHERE id = $1"; }
"$adm" -c "$cnf" -q campaign pause tui-shop
T send-keys "'$adm' -c '$cnf'" Enter
expect_screen $LINENO "the dashboard" 'tui-shop'

T send-keys s
expect_screen $LINENO "the search form" 'Redemptions'
T send-keys "tui-shop" Tab Tab Tab Tab "yesterday-ish" Enter
expect_screen $LINENO "a bad time is named under its field" '\^ .*'
check $LINENO "the form stays open" wait_for 'Enter searches'
T send-keys C-u Enter
expect_screen $LINENO "the first page, newest first" "$(code_of 250)"
expect_screen $LINENO "one page of 100" '100 rows, more as you scroll'
T send-keys End
expect_screen $LINENO "scrolling fetched the next page" '200 rows, more as you scroll'
T send-keys End
expect_screen $LINENO "and the last" '250 rows, all of them'
T send-keys End
expect_screen $LINENO "the oldest redemption is at the end" "redeemed +$(code_of 1) +tui-shop +u1 +o-1 *$"
T send-keys Enter
expect_screen $LINENO "Enter opens the code" "stored as $(code_of 1)"
expect_screen $LINENO "its redemption" 'Redeemed by +u1'
T send-keys Escape
expect_screen $LINENO "back on the list" '250 rows, all of them'
T send-keys / Tab Tab C-u "o-7" Enter
expect_screen $LINENO "the order filter" '1 rows, all of them'
expect_screen $LINENO "the order's code" "redeemed +$(code_of 7) +tui-shop +u1 +o-7"

# The lookup by user: u is the same screen, the cursor on the user field.
T send-keys Escape u
expect_screen $LINENO "the user lookup" 'Redemptions'
T send-keys "u1" Enter
u1=$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE redeemed_by_user_id = 'u1'")
expect_screen $LINENO "what u1 holds: $u1 codes" "$u1 rows \\(reserved ones first"
expect_screen $LINENO "the reservations first" "^ *2099-01-01 00:00:00 +reserved +$(code_of 251)"

# The audit log, newest first: the pause, then the creation.
T send-keys Escape L
expect_screen $LINENO "the audit log" 'Audit log'
expect_screen $LINENO "newest first: the pause" 'WHEN .*WHO.*WHAT.*ON'
check $LINENO "the pause is on top" \
	sh -c "tmux -L '$sock' capture-pane -p | grep -A1 'WHEN ' | tail -1 | grep -q 'campaign.pause'"
expect_screen $LINENO "who: couponadm's user@host" "$(id -un)@"
expect_screen $LINENO "before" 'before +\{.*"status":"active"'
expect_screen $LINENO "after" 'after +\{.*"status":"paused"'
T send-keys Down
expect_screen $LINENO "the creation below it, nothing before" 'before +-$'
expect_screen $LINENO "two entries" '2 entries, back to the first'
T send-keys Q
check_restored $LINENO
done_tests
