#!/usr/bin/env bash
# couponadm audit: what couponadm changes is logged as user@host, in one row a
# change; the listing filters, pages and prints JSON the server reads as JSON.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db audit

me="$(id -un)@$(hostname)"
expect_exit $LINENO 0 "$adm" -c "$cnf" migrate
expect_exit $LINENO 0 "$adm" -c "$cnf" campaign create spring --codes 1000
expect_exit $LINENO 0 "$adm" -c "$cnf" campaign pause spring
expect_exit $LINENO 0 "$adm" -c "$cnf" campaign pause spring
expect_exit $LINENO 0 "$adm" -c "$cnf" campaign resume spring
expect_exit $LINENO 0 "$adm" -q -c "$cnf" apikey create --name shop --scope redeem
expect_exit $LINENO 0 "$adm" -c "$cnf" apikey revoke shop
check $LINENO "five changes, five rows (a second pause changes nothing)" \
	test "$(sqldb "SELECT COUNT(*) FROM audit_log")" -eq 5
check $LINENO "each by $me" \
	test "$(sqldb "SELECT COUNT(*) FROM audit_log WHERE actor = '$me'")" -eq 5

expect_exit $LINENO 0 "$adm" -c "$cnf" audit
check $LINENO "newest first" sh -c 'printf "%s\n" "$1" | head -1 | grep -q apikey.revoke' _ "$out"
check $LINENO "the pause with its before and after" contains "$out" 'after  {"name":"spring","status":"paused"'
expect_exit $LINENO 0 "$adm" -c "$cnf" audit --action campaign.pause --format json
check $LINENO "one pause, as JSON" test "$(printf '%s' "$out" | grep -c '"action":"campaign.pause"')" -eq 1
check $LINENO "only pauses" sh -c '! printf "%s" "$1" | grep -q campaign.resume' _ "$out"
check $LINENO "valid JSON to the server" \
	test "$(sqldb "SELECT JSON_VALID('$(printf '%s' "$out" | tr -d '\n' | sed "s/'/''/g")')")" -eq 1
expect_exit $LINENO 0 "$adm" -c "$cnf" audit --limit 2 --format json
check $LINENO "--limit 2 gives two" test "$(printf '%s' "$out" | grep -c '"action"')" -eq 2
last=$(sqldb "SELECT MIN(id) FROM (SELECT id FROM audit_log ORDER BY id DESC LIMIT 2) t")
expect_exit $LINENO 0 "$adm" -c "$cnf" audit --before "$last" --format json
check $LINENO "--before pages on to the other three" test "$(printf '%s' "$out" | grep -c '"action"')" -eq 3
expect_exit $LINENO 0 "$adm" -c "$cnf" audit --since 2099-01-01T00:00:00Z --format json
check $LINENO "nothing from the future" test "$out" = "[]"

expect_exit $LINENO 2 "$adm" -c "$cnf" audit --limit 0
expect_exit $LINENO 2 "$adm" -c "$cnf" audit --limit 1001
expect_exit $LINENO 2 "$adm" -c "$cnf" audit --format yaml
check $LINENO "the format is named" contains "$out" "yaml"
expect_exit $LINENO 2 "$adm" -c "$cnf" audit --since yesterday
expect_exit $LINENO 2 "$adm" -c "$cnf" audit extra
done_tests
