#!/usr/bin/env bash
# The console's bar chart of a campaign's report in tmux: b on the dashboard's
# campaign opens it; one column an hour, bars as tall as their hour's count
# (10, 8, 6, 4 and 2 redemptions in the last five hours), Tab to reservations
# and refunds, b again for days, and q back to the dashboard.
. "$top_srcdir/tests/tui/lib.sh"
start_console chart 100 30

"$adm" -c "$cnf" campaign create chart-camp --codes 1000 >/dev/null &&
	"$adm" -c "$cnf" -q generate --campaign chart-camp --count 40 >/dev/null ||
	{ echo "campaign create or generate failed" >&2; exit 99; }
# Hour k before now (k = 0..4) gets 2 * (k + 1) redemptions: ids 1..30.
sqldb "UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = 'u',
       redeemed_at = NOW(6) - INTERVAL CASE WHEN id <= 10 THEN 4 WHEN id <= 18 THEN 3
                                           WHEN id <= 24 THEN 2 WHEN id <= 28 THEN 1 ELSE 0 END HOUR
       WHERE id <= 30"
sqldb "UPDATE coupon_codes SET status = 'pending', redeemed_by_user_id = 'r',
       reserved_until = NOW(6) + INTERVAL 1 HOUR, reserved_at = NOW(6) WHERE id BETWEEN 31 AND 33"

expect_screen $LINENO "the dashboard lists the campaign" 'chart-camp +active'
T send-keys b
expect_screen $LINENO "the chart screen" 'Report: chart-camp, per hour \(UTC\)'
expect_screen $LINENO "redemptions shown, 30 in view" 'Redemptions +Reservations +Refunds +30 in view'
expect_screen $LINENO "codes now" 'Codes now: 7 available, 0 assigned, 3 pending, 30 redeemed, 0 expired'
expect_screen $LINENO "to date" 'To date: 40 issued, 30 redeemed'

# Column heights: lines holding a bar glyph in each column, left to right.
heights() {
	screen | awk '
		{ n = split($0, ch, ""); for (i = 1; i <= n; i++) if (ch[i] ~ /[▁▂▃▄▅▆▇█]/) h[i]++ }
		END { for (i = 1; i <= 200; i++) if (h[i]) printf "%d ", h[i] }'
}
h=$(heights)
set -- $h
check $LINENO "five columns with bars ($h)" test $# -eq 5
check $LINENO "tallest first, each shorter ($h)" sh -c "[ $1 -gt $2 ] && [ $2 -gt $3 ] && [ $3 -gt $4 ] && [ $4 -gt $5 ]"
check $LINENO "the tallest fills the chart, the 2 a fifth of it ($h)" \
	sh -c "[ \$(( $1 / $5 )) -ge 4 ] && [ \$(( $1 / $5 )) -le 6 ]"

T send-keys Tab
expect_screen $LINENO "reservations: 3 in view" 'Reservations +Refunds +3 in view'
check $LINENO "one column of reservations" test "$(heights | wc -w)" -eq 1
T send-keys Tab
expect_screen $LINENO "refunds: none" 'Refunds +0 in view'
check $LINENO "no bars" test -z "$(heights)"
T send-keys BTab BTab b
expect_screen $LINENO "per day" 'Report: chart-camp, per day \(UTC\)'
expect_screen $LINENO "the same redemptions by day" 'Redemptions +Reservations +Refunds +30 in view'
T resize-window -x 80 -y 24
expect_screen $LINENO "80x24: still drawn" 'Report: chart-camp, per day'
check $LINENO "80x24: no line is wider than 80" \
	sh -c "tmux -L '$sock' capture-pane -p | awk 'length > 80 { exit 1 }'"
T send-keys q
expect_screen $LINENO "back on the dashboard" 'chart-camp +active'
T send-keys q
check_restored $LINENO
done_tests
