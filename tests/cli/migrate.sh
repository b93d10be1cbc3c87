#!/usr/bin/env bash
# couponadm migrate: applies, is idempotent, refuses a newer schema.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db migrate

expect_exit $LINENO 0 "$adm" --version
check $LINENO "--version names the program" contains "$out" "couponadm (coupon)"
# --to stops at a version and never goes down.
expect_exit $LINENO 2 "$adm" -c "$cnf" migrate --to 0
expect_exit $LINENO 2 "$adm" -c "$cnf" migrate --to two
expect_exit $LINENO 2 "$adm" -c "$cnf" migrate --to 100000
check $LINENO "an unknown version named" contains "$out" "no migration 100000"
expect_exit $LINENO 2 "$adm" -c "$cnf" migrate --status --to 1
expect_exit $LINENO 0 "$adm" -c "$cnf" migrate --to 1
check $LINENO "--to 1 applies 001" contains "$out" "applied 001_initial"
check $LINENO "--to 1 applies only 001" test "$(echo "$out" | grep -c applied)" -eq 1
check $LINENO "--to 1 reports version 1" contains "$out" "schema is at version 1"
expect_exit $LINENO 0 "$adm" -c "$cnf" migrate --to 1
check $LINENO "--to the current version applies nothing" test "$(echo "$out" | grep -c applied)" -eq 0
expect_exit $LINENO 0 "$adm" -c "$cnf" migrate --to 2
check $LINENO "--to 2 applies 002 alone" test "$(echo "$out" | grep applied)" = "applied 002_rewards"
expect_exit $LINENO 0 "$adm" -c "$cnf" migrate
check $LINENO "migrate applies the rest" contains "$out" "applied 003_audit_log"
expect_exit $LINENO 1 "$adm" -c "$cnf" migrate --to 2
check $LINENO "going down is refused" contains "$out" "only go up"
expect_exit $LINENO 0 "$adm" -c "$cnf" migrate
check $LINENO "second migrate applies nothing" test "$(echo "$out" | grep -c applied)" -eq 0
expect_exit $LINENO 0 "$adm" -c "$cnf" migrate --status
check $LINENO "status says 0 pending" contains "$out" "0 pending"
sqldb "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')"
expect_exit $LINENO 1 "$adm" -c "$cnf" migrate
check $LINENO "newer schema refused with a clear message" contains "$out" "newer than this program"
# Every migration after 001 runs on a populated database while it serves: each
# ALTER TABLE names its algorithm (INSTANT, INPLACE or NOCOPY) and LOCK=NONE, so
# MariaDB refuses it rather than copy the table or block writes; no bare CREATE INDEX.
for f in "$top_srcdir"/sql/0*.sql; do
	case $(basename "$f") in 001_*) continue ;; esac
	bad=$(sed 's/--.*//' "$f" | tr '\n' ' ' | tr ';' '\n' | tr -s ' ' |
		awk 'toupper($0) ~ /^ *(ALTER TABLE|CREATE (UNIQUE )?INDEX)/ &&
			!(toupper($0) ~ /ALGORITHM *= *(INSTANT|INPLACE|NOCOPY)/ &&
			  toupper($0) ~ /LOCK *= *NONE/) { print substr($0, 1, 80) }')
	check $LINENO "$(basename "$f") is online: ${bad:-}" test -z "$bad"
done

expect_exit $LINENO 2 "$adm" -c "$cnf" migrate --bogus
expect_exit $LINENO 2 "$adm" -c "$cnf" frobnicate
check $LINENO "unknown command named" contains "$out" "unknown command 'frobnicate'"
expect_exit $LINENO 1 "$adm" -c /nonexistent/coupon.cnf migrate
check $LINENO "missing config file named" contains "$out" "/nonexistent/coupon.cnf"
expect_exit $LINENO 0 "$top_builddir/fcgi/coupon-fcgi" --version
done_tests
