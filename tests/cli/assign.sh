#!/usr/bin/env bash
# couponadm assign (the mail merge) and couponadm code unassign: one code for each
# user of a list, refused whole when a line is bad, resumable after kill -9 with
# the same codes, and support taking a hand-out back.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db assign

expect_exit $LINENO 0 "$adm" -c "$cnf" migrate
sqldb "INSERT INTO campaigns SET name = 'mail', alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ',
	prefix = 'M', body_length = 12, check_char = 0;
	INSERT INTO coupon_codes (code, campaign_id, batch_id)
	SELECT CONCAT('M', LPAD(seq, 12, '0')), 1, 1 FROM seq_1_to_12000"

# A bad line refuses the whole list, naming it; nothing is handed out.
printf 'user_id\nann\n"bob, jr."\n%s\n' "$(printf 'x%.0s' $(seq 65))" >"$work/bad.csv"
expect_exit $LINENO 2 "$adm" -c "$cnf" assign --campaign mail --users "$work/bad.csv" --out "$work/out.csv"
check $LINENO "the bad line is named" contains "$out" "bad.csv:4:"
check $LINENO "the reason is given" contains "$out" "longer than 64 bytes"
printf 'ann\n"bob\n' >"$work/quote.csv"
expect_exit $LINENO 2 "$adm" -c "$cnf" assign --campaign mail --users "$work/quote.csv" --out "$work/out.csv"
check $LINENO "a broken quote is named" contains "$out" "quote.csv:2: a quote is not closed"
check $LINENO "nothing was handed out" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes
	WHERE status = 'assigned'")" -eq 0
check $LINENO "no output file" test ! -e "$work/out.csv"

# 10,000 users; the first run is killed part-way, the second completes.
{ echo user_id; seq -f 'user-%04g' 1 9999; echo '"doe, jane"'; } >"$work/users.csv"
"$adm" -c "$cnf" assign --campaign mail --users "$work/users.csv" --out "$work/out.csv" \
	>/dev/null 2>&1 &
pid=$!
wait_until 300 test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE status = 'assigned'")" -ge 100
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
before=$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE status = 'assigned'")
# A fast machine may finish all 10,000 between two polls: then there is nothing
# to resume, and the file is whole; otherwise the killed run left none.
if [ "$before" -lt 10000 ]; then
	check $LINENO "the killed run left no output" test ! -e "$work/out.csv"
else
	echo "assign.sh: the first run finished before its kill; nothing to resume"
	check $LINENO "the finished run wrote its file" test -e "$work/out.csv"
fi
first=$(sqldb "SELECT code FROM coupon_codes WHERE assigned_user_id = 'user-0001'")
expect_exit $LINENO 0 "$adm" -c "$cnf" assign --campaign mail --users "$work/users.csv" --out "$work/out.csv"
check $LINENO "the summary counts the users" contains "$out" "10000 users"
check $LINENO "10,000 rows and a header" test "$(wc -l <"$work/out.csv")" -eq 10001
check $LINENO "10,000 codes assigned" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes
	WHERE status = 'assigned'")" -eq 10000
check $LINENO "no code twice in the file" test "$(tail -n +2 "$work/out.csv" | awk -F, '{print $(NF-3)}' | sort | uniq -d | wc -l)" -eq 0
check $LINENO "the killed run's users kept their codes ($before before)" \
	grep -q "^user-0001,$first," "$work/out.csv"
check $LINENO "a user with a comma is quoted" grep -q '^"doe, jane",M' "$work/out.csv"
expect_exit $LINENO 0 "$adm" -c "$cnf" assign --campaign mail --users "$work/users.csv" --out "$work/again.csv"
check $LINENO "a third run hands out nothing new" contains "$out" "0 codes handed out now"
check $LINENO "and names the same codes" cmp -s <(cut -d, -f1-3 "$work/out.csv") <(cut -d, -f1-3 "$work/again.csv")

# Support takes one back.
expect_exit $LINENO 0 "$adm" -c "$cnf" code show "$first"
check $LINENO "show names the holder" contains "$out" "user-0001"
expect_exit $LINENO 0 "$adm" -c "$cnf" code unassign "$first" --reason 'asked twice'
check $LINENO "unassign makes it available" contains "$out" "available"
check $LINENO "its event is recorded" test "$(sqldb "SELECT COUNT(*) FROM code_events
	WHERE action = 'unassign' AND prior_user_id = 'user-0001' AND reason = 'asked twice'")" -eq 1
expect_exit $LINENO 1 "$adm" -c "$cnf" code unassign "$first"
check $LINENO "a free code cannot be unassigned" contains "$out" "not assigned"
done_tests
