#!/usr/bin/env bash
# The console end to end in tmux: create a campaign, generate with a moving
# progress bar, look up a code typed in lower case with dashes, expire it,
# resize to 80x24, quit, and check the terminal is restored.
. "$top_srcdir/tests/tui/lib.sh"
start_console console 120 40

expect_screen $LINENO "dashboard with no campaigns" 'No campaigns yet'
T send-keys n
expect_screen $LINENO "the create form" 'New campaign'
# Inline errors: an unreadable count and an unknown policy, nothing created.
# Backspace takes a whole character: "é" is two bytes.
T send-keys "tui-springé" BSpace Tab C-u "lots" Enter
expect_screen $LINENO "inline error under the count" '\^ .*(number|integer|digits|invalid)'
check $LINENO "nothing was created" test "$(sqldb 'SELECT COUNT(*) FROM campaigns')" = 0
T send-keys C-u "200000" Enter
expect_screen $LINENO "campaign screen after create" 'Campaign 1 .* tui-spring'
check $LINENO "campaign stored" test "$(sqldb "SELECT name FROM campaigns")" = tui-spring

T send-keys g
expect_screen $LINENO "generate form" 'Generate codes'
T send-keys "200000" Enter
expect_screen $LINENO "progress screen" 'Progress'
# The bar moves: sample it until the batch is done; some percentage strictly
# between 0 and 100 must have been on screen.
seen=
for _ in $(seq 1 1200); do
	s=$(screen)
	seen="$seen $(echo "$s" | grep -Eo '[0-9]+\.[0-9]%' | head -1)"
	echo "$s" | grep -q 'Batch 1 complete' && break
	sleep 0.05
done
expect_screen $LINENO "the bar finishes" 'Batch 1 complete: 200,000 codes' 20
check $LINENO "a partial percentage was shown (saw:$seen)" \
	sh -c "echo '$seen' | tr ' ' '\n' | grep -Eqv '^(|0\.0%|100\.0%)$'"
check $LINENO "batch stored complete" \
	test "$(sqldb "SELECT CONCAT(status, generated) FROM generation_batches")" = complete200000

# Look up a code typed in lower case with dashes every 4 characters.
code=$(sqldb "SELECT code FROM coupon_codes ORDER BY id LIMIT 1")
typed=$(echo "$code" | tr 'A-Z' 'a-z' | sed 's/\(....\)/\1-/g; s/-$//')
T send-keys Escape /
expect_screen $LINENO "lookup screen" 'Code lookup'
T send-keys "$typed" Enter
expect_screen $LINENO "code found, stored form shown" "stored as $code"
expect_screen $LINENO "status available" 'Status +available'
T send-keys x
expect_screen $LINENO "expire asks first" 'Press y to confirm'
T send-keys y
expect_screen $LINENO "code expired" 'Status +expired'
check $LINENO "expired in the database" \
	test "$(sqldb "SELECT status FROM coupon_codes WHERE code = '$code'")" = expired
check $LINENO "code_events has the change" \
	test "$(sqldb "SELECT action FROM code_events")" = expire

# Back to the dashboard; resize to 80x24: header, a row and the key bar fit.
T send-keys Escape Escape
expect_screen $LINENO "dashboard lists the campaign" 'tui-spring +active +199,999'
T resize-window -x 80 -y 24
expect_screen $LINENO "80 columns: the last column still shows" 'ID CAMPAIGN +STATUS +AVAILABLE +REDEEMED +PENDING +EXPIRED +1 MIN$'
check $LINENO "80x24: the key bar is on the last line" \
	sh -c "tmux -L '$sock' capture-pane -p | sed -n 24p | grep -q 'Enter open'"
check $LINENO "80x24: no line is wider than 80" \
	sh -c "tmux -L '$sock' capture-pane -p | awk 'length > 80 { exit 1 }'"
expect_screen $LINENO "80x24: counts" '1 tui-spring +active +199,999 +0 +0 +1'

T send-keys q
check_restored $LINENO
done_tests
