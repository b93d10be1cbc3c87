#!/usr/bin/env bash
# coupon-fcgi as a process: a database that is down at start and comes back, a
# lost connection, SIGHUP reopening the log, SIGTERM finishing the request in
# flight, and the socket inherited from spawn-fcgi. The shared test server is
# never stopped: the database "goes away" by pointing the socket path elsewhere.
. "$top_srcdir/tests/http/lib.sh"
need_nginx
scratch_db http_process
trap cleanup EXIT
"$adm" -c "$cnf" --quiet migrate >/dev/null || exit 99
key=$(make_key ops redeem)
cid=$(make_campaign winter 10)
set -- $(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id")
c1=$1 c2=$2 c3=$3 c4=$4

real_sock=$(sed -n 's/^socket *= *//p' "$cnf" | head -1)
if [ -z "$real_sock" ]; then
	echo "SKIP: the test server is not reached through a unix socket" >&2
	exit 77
fi
# coupon-fcgi reaches the database through a symlink this test can repoint.
link=$work/db.sock
ln -sfn "$work/nowhere.sock" "$link"
sed "s|^socket *=.*|socket = $link|" "$cnf" >"$work/fcgi.cnf"
port=$(free_port) || exit 99
base=http://127.0.0.1:$port
fcgi_bin_real=$fcgi_bin
cnf_db=$cnf
cnf=$work/fcgi.cnf
start_fcgi --set connect-timeout=2
start_nginx # healthz answers 503 now, which is all start_nginx waits for
cnf=$cnf_db

# ------------------------------------------------------------ down at start
req GET /healthz
expect $LINENO 503 db_unavailable
t0=$(date +%s%N)
api POST /api/v1/redeem "{\"code\":\"$c1\",\"user_id\":\"u1\"}"
expect $LINENO 503 db_unavailable
check $LINENO "the refusal is quick" test $((($(date +%s%N) - t0) / 1000000)) -lt 1000
check $LINENO "the database detail stays in the log" contains "$(cat "$work/fcgi.log")" "MySQL error"

# ------------------------------------------------------------ back, no restart
pid=$fcgi_pid
ln -sfn "$real_sock" "$link"
healthy() { req GET /healthz; [ "$status" = 200 ]; }
check $LINENO "healthz recovers by itself" wait_until 300 healthy
# Workers that failed to connect wait half a second before they try again.
redeemed1() { api POST /api/v1/redeem "{\"code\":\"$c1\",\"user_id\":\"u1\"}"; [ "$status" = 200 ]; }
check $LINENO "redemption recovers by itself" wait_until 300 redeemed1
check $LINENO "the same process" test "$fcgi_pid" = "$pid"

# ------------------------------------------------------------ lost mid-run
ln -sfn "$work/nowhere.sock" "$link"
kill_conns() {
	for id in $(sql "SELECT id FROM information_schema.processlist WHERE db = '$db' AND id <> CONNECTION_ID()"); do
		sql "KILL CONNECTION $id" 2>/dev/null
	done
}
kill_conns
for i in 1 2 3 4 5 6; do # every worker finds its connection gone
	api POST /api/v1/redeem "{\"code\":\"$c2\",\"user_id\":\"u2\"}"
	[ "$status" = 503 ] || break
done
expect $LINENO 503 db_unavailable
ln -sfn "$real_sock" "$link"
redeemed() { api POST /api/v1/redeem "{\"code\":\"$c2\",\"user_id\":\"u2\"}"; [ "$status" = 200 ]; }
check $LINENO "redemption recovers by itself" wait_until 300 redeemed
req GET /metrics
check $LINENO "database errors are counted" matches "$body" '^coupon_db_errors_total [1-9]'
check $LINENO "the 503s are counted" contains "$body" 'status="503"'

# ------------------------------------------------------------ SIGHUP
mv "$work/fcgi.log" "$work/fcgi.log.1"
kill -HUP "$fcgi_pid"
check $LINENO "SIGHUP reopens the log" wait_until 300 test -f "$work/fcgi.log"
check $LINENO "and says so" wait_until 300 grep -q "log reopened" "$work/fcgi.log"

# ------------------------------------------------------------ SIGTERM mid-request
# A row lock held by another session keeps one redemption in flight.
# Each step waits for the state it needs, not for a fixed time.
in_db() { sql "SELECT COUNT(*) FROM information_schema.processlist WHERE db = '$db' AND $1"; }
locked() { test "$(in_db "info LIKE 'DO SLEEP%'")" -ge 1; }
lock_waiting() { test "$(in_db "id IN (SELECT trx_mysql_thread_id FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT')")" -ge 1; }
mariadb --defaults-file="$COUPON_TEST_CONFIG" -D "$db" -e \
	"BEGIN; SELECT id FROM coupon_codes WHERE code = '$c3' FOR UPDATE; DO SLEEP(3); COMMIT;" >/dev/null &
locker=$!
check $LINENO "the row is locked" wait_until 300 locked
curl -s -o "$work/inflight" -w '%{http_code}' -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/json' --data "{\"code\":\"$c3\",\"user_id\":\"u3\"}" \
	"$base/api/v1/redeem" >"$work/inflight.status" &
client=$!
check $LINENO "the redemption waits for the lock" wait_until 300 lock_waiting
kill -TERM "$fcgi_pid"
wait "$client"
wait "$locker"
check $LINENO "the request in flight was answered" test "$(cat "$work/inflight.status")" = 200
rc=0
wait "$fcgi_pid" || rc=$?
fcgi_pid=
check $LINENO "SIGTERM exits 0" test "$rc" -eq 0
check $LINENO "the socket is removed" test ! -e "$work/fcgi.sock"
check $LINENO "the code was redeemed" test \
	"$(sqldb "SELECT status FROM coupon_codes WHERE code = '$c3'")" = redeemed

# ------------------------------------------------------------ spawn-fcgi
if command -v spawn-fcgi >/dev/null; then
	spawn-fcgi -n -s "$work/fcgi.sock" -M 0660 -- "$fcgi_bin_real" -c "$work/fcgi.cnf" \
		--threads 2 --log-file "$work/fcgi.log" >/dev/null 2>&1 &
	fcgi_pid=$!
	check $LINENO "the inherited socket serves" wait_until 300 healthy
	api POST /api/v1/redeem "{\"code\":\"$c4\",\"user_id\":\"u4\"}"
	expect $LINENO 200
else
	echo "spawn-fcgi is not installed: its check is skipped" >&2
fi
expect_exit $LINENO 2 "$fcgi_bin_real" --threads 0
expect_exit $LINENO 2 "$fcgi_bin_real" --bogus
expect_exit $LINENO 1 "$fcgi_bin_real" -c "$work/fcgi.cnf" </dev/null
check $LINENO "without a socket it says what to do" contains "$out" "spawn-fcgi"
expect_exit $LINENO 0 "$fcgi_bin_real" -c "$cnf" --check
done_tests
