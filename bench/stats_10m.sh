#!/bin/sh
# Builds a 10,000,000-code campaign in a scratch database and times the console's
# dashboard queries on it (not part of make check: it takes minutes and ~2 GB).
#
#   COUPON_TEST_CONFIG=.run/test.cnf bench/stats_10m.sh BUILDDIR [keep]
#
# 10% of the codes are redeemed, spread evenly over the last two hours, 1% are
# expired, 0.1% pending. "keep" leaves the database (cpb_stats10m) for later runs.
set -eu
build=${1:?usage: stats_10m.sh BUILDDIR [keep]}
keep=${2:-}
db=cpb_stats10m
cnf=$(mktemp)
trap 'rm -f "$cnf"' EXIT
(umask 077 && sed "/^\[coupon\]/a database = $db" "$COUPON_TEST_CONFIG" >"$cnf")
sql() { mariadb --defaults-file="$cnf" -D "$db" -N -B -e "$1"; }

if ! mariadb --defaults-file="$cnf" -N -B -e "USE $db" 2>/dev/null ||
	[ "$(sql 'SELECT COUNT(*) FROM campaigns')" = 0 ]; then
	mariadb --defaults-file="$cnf" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
	"$build/tui/couponadm" -c "$cnf" -q migrate
	echo "loading 10,000,000 codes ..."
	start=$(date +%s)
	sql "INSERT INTO campaigns (name, alphabet, body_length, planned_codes)
	     VALUES ('bench-10m', '0123456789ABCDEFGHJKMNPQRSTVWXYZ', 12, 10000000);
	     INSERT INTO generation_batches (campaign_id, method, requested, generated, status,
	                                     finished_at)
	     VALUES (1, 'random', 10000000, 10000000, 'complete', NOW(6));
	     SET SESSION unique_checks=0, foreign_key_checks=0;
	     INSERT INTO coupon_codes (code, campaign_id, batch_id, status, redeemed_by_user_id,
	                               redeemed_at)
	     SELECT CONCAT('B', LPAD(seq, 11, '0')), 1, 1,
	            CASE WHEN seq % 10 = 0 THEN 'redeemed' WHEN seq % 100 = 1 THEN 'expired'
	                 WHEN seq % 1000 = 3 THEN 'pending' ELSE 'available' END,
	            IF(seq % 10 = 0, CONCAT('user', seq % 50000), NULL),
	            IF(seq % 10 = 0, NOW(6) - INTERVAL (seq DIV 10) * 7200 MICROSECOND,
	               NULL)
	       FROM seq_1_to_10000000"
	echo "loaded in $(( $(date +%s) - start )) s"
	sql "ANALYZE TABLE coupon_codes" >/dev/null
fi
# Redemptions keep arriving while the console watches: top up the last minute.
sql "UPDATE coupon_codes SET redeemed_at = NOW(6) - INTERVAL (id % 60) SECOND
      WHERE campaign_id = 1 AND status = 'redeemed' AND id % 1000 = 0 LIMIT 2000"
# The first refresh counts everything; the next ones are the console's steady state.
"$build/tui/couponadm" -c "$cnf" stats --count 11 --interval 1 |
	sed -n 's/^redemptions: .*(\(.*\))$/\1/p'
sql "EXPLAIN SELECT FLOOR(UNIX_TIMESTAMP(redeemed_at)), COUNT(*) FROM coupon_codes
     WHERE campaign_id = 1 AND status = 'redeemed' AND redeemed_at >= NOW() - INTERVAL 150 SECOND
     GROUP BY 1"
[ "$keep" = keep ] || mariadb --defaults-file="$cnf" -e "DROP DATABASE $db"
