#!/usr/bin/env bash
# couponadm migrate: applies, is idempotent, refuses a newer schema.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db migrate

expect_exit $LINENO 0 "$adm" --version
check $LINENO "--version names the program" contains "$out" "couponadm (coupon)"
expect_exit $LINENO 0 "$adm" -c "$cnf" migrate
check $LINENO "migrate reports the applied migration" contains "$out" "applied 001_initial"
expect_exit $LINENO 0 "$adm" -c "$cnf" migrate
check $LINENO "second migrate applies nothing" test "$(echo "$out" | grep -c applied)" -eq 0
expect_exit $LINENO 0 "$adm" -c "$cnf" migrate --status
check $LINENO "status says 0 pending" contains "$out" "0 pending"
sqldb "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')"
expect_exit $LINENO 1 "$adm" -c "$cnf" migrate
check $LINENO "newer schema refused with a clear message" contains "$out" "newer than this program"
expect_exit $LINENO 2 "$adm" -c "$cnf" migrate --bogus
expect_exit $LINENO 2 "$adm" -c "$cnf" frobnicate
check $LINENO "unknown command named" contains "$out" "unknown command 'frobnicate'"
expect_exit $LINENO 1 "$adm" -c /nonexistent/coupon.cnf migrate
check $LINENO "missing config file named" contains "$out" "/nonexistent/coupon.cnf"
expect_exit $LINENO 0 "$top_builddir/fcgi/coupon-fcgi" --version
done_tests
