#!/usr/bin/env bash
# FastCGI connections kept open (www/nginx.conf: fastcgi_keep_conn, upstream
# keepalive) through a real nginx, with 2 workers: more kept connections than
# workers, idle, and requests still served; many clients on kept connections
# each getting their own answers, a refusal before the body on a connection that
# is reused; the cap (max-connections); SIGTERM with idle kept connections; nginx
# restarted under coupon-fcgi. With libfcgi's accept per worker, the burst below
# leaves connections no worker ever accepts and nginx times them out.
. "$top_srcdir/tests/http/lib.sh"
cap=6
FCGI_THREADS=2 http_setup keepalive --set max-connections=$cap
# A request no worker takes fails in 5 s, not 60.
restart_nginx() {
	kill -TERM "$nginx_pid"
	wait "$nginx_pid" 2>/dev/null
	grep -q fastcgi_read_timeout "$work/nginx/nginx.conf" ||
		sed -i 's/^http {$/http {\n\tfastcgi_read_timeout 5s;/' "$work/nginx/nginx.conf"
	"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log" &
	nginx_pid=$!
	wait_until 300 fcgi_answers || { cat "$work/nginx/error.log" >&2; exit 99; }
}
restart_nginx
check $LINENO "the example keeps connections" grep -q 'keepalive [0-9]' "$work/nginx/nginx.conf"

key=$(make_key shop redeem)
cid=$(make_campaign keep 90)
codes=($(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id"))
gauge() { req GET /metrics; printf '%s\n' "$body" | sed -n 's/^coupon_fcgi_connections //p'; }
redeem() { # CODE USER OUT: the status and body into OUT
	curl -s -o "$3.body" -w '%{http_code}' -H "Authorization: Bearer $key" \
		-H 'Content-Type: application/json' --data "{\"code\":\"$1\",\"user_id\":\"$2\"}" \
		"$base/api/v1/redeem" >"$3" 2>/dev/null || echo 000 >"$3"
}

# ------------------------------------------------------------ a burst past the workers
# A row lock held elsewhere keeps both workers waiting; nginx opens a connection
# for each of 10 concurrent requests (the cap, 6, holds the rest in the backlog).
in_db() { sql "SELECT COUNT(*) FROM information_schema.processlist WHERE db = '$db' AND $1"; }
locked() { test "$(in_db "info LIKE 'DO SLEEP%'")" -ge 1; }
lock_waits() { test "$(in_db "id IN (SELECT trx_mysql_thread_id FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT')")" -ge "$1"; }
hot=${codes[0]}
mariadb --defaults-file="$COUPON_TEST_CONFIG" -D "$db" -e \
	"BEGIN; SELECT id FROM coupon_codes WHERE code = '$hot' FOR UPDATE; DO SLEEP(3); COMMIT;" >/dev/null &
locker=$!
check $LINENO "the row is locked" wait_until 300 locked
pids=()
for i in $(seq 10); do
	redeem "$hot" "b$i" "$work/burst.$i" &
	pids+=($!)
done
check $LINENO "the workers wait on the lock" wait_until 300 lock_waits 1
wait "$locker" "${pids[@]}"
# At the cap an idle connection is closed to make room, which can race with a
# request nginx is just sending on it (fcgi/dispatch.c): nginx answers that one
# 502 or 503 and it was never read, so it redeemed nothing.
won=0 lost=0
for i in $(seq 10); do
	s=$(cat "$work/burst.$i")
	check $LINENO "burst $i answered, not timed out: $s" matches "$s" '^(200|409|502|503)$'
	[ "$s" = 200 ] && won=$((won + 1))
	case $s in 50*) lost=$((lost + 1)) ;; esac
done
check $LINENO "most of the burst was served ($lost not)" test "$lost" -le 3
check $LINENO "the replies and the database agree: $won redeemed" test \
	"$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE code = '$hot' AND status = 'redeemed'")" = "$won"
check $LINENO "at most one of the burst redeemed the code ($won)" test "$won" -le 1
n=$(gauge)
check $LINENO "more kept connections than workers ($n open)" test "${n:-0}" -gt 2
check $LINENO "never more than the cap ($n)" test "${n:-99}" -le $cap
check $LINENO "the cap is logged" grep -q 'the cap (max-connections)' "$work/fcgi.log"
# Below, the default cap: closing idle connections at the cap races with nginx.
kill -TERM "$fcgi_pid"
wait "$fcgi_pid"
start_fcgi

# ------------------------------------------------------------ many clients, own answers
# 8 clients at once, 2 workers: each redeems its own codes, is refused a body
# over body-max before it is read (the rest of it must not spoil the connection
# for the next request), and is told a code it already redeemed is redeemed.
big=$(head -c 20000 /dev/zero | tr '\0' x)
client() { # N: codes N*8+1 .. N*8+8
	local c j
	for j in $(seq 1 8); do
		c=${codes[$(($1 * 8 + j))]}
		redeem "$c" "u$1" "$work/c.$1.$j"
		grep -q "\"code\":\"$c\"" "$work/c.$1.$j.body" || echo "client $1: $c: $(cat "$work/c.$1.$j") $(cat "$work/c.$1.$j.body")"
		s=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" \
			-H 'Content-Type: application/json' --data "{\"code\":\"$c\",\"user_id\":\"$big\"}" \
			"$base/api/v1/redeem")
		[ "$s" = 413 ] || echo "client $1: oversized body: $s"
		redeem "$c" "u$1" "$work/c.$1.$j"
		grep -q '"already_redeemed"\|"result":"redeemed"' "$work/c.$1.$j.body" ||
			echo "client $1: again $c: $(cat "$work/c.$1.$j") $(cat "$work/c.$1.$j.body")"
	done >"$work/client.$1"
}
pids=()
for n in $(seq 1 8); do
	client "$n" &
	pids+=($!)
done
wait "${pids[@]}"
for n in $(seq 1 8); do
	check $LINENO "client $n got its own answers: $(head -c 600 "$work/client.$n")" test ! -s "$work/client.$n"
done
check $LINENO "64 codes redeemed, each once" test \
	"$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = $cid AND status = 'redeemed'")" = 65
check $LINENO "nginx saw no broken upstream" test \
	"$(grep -c 'upstream prematurely\|recv() failed\|upstream timed out' "$work/nginx/error.log")" = 0

# ------------------------------------------------------------ nginx restarted
before=$(gauge)
restart_nginx
n=$(gauge)
check $LINENO "the connections nginx closed are reaped ($before before, $n after)" \
	test "${n:-99}" -le 2
redeem "${codes[80]}" r1 "$work/after"
check $LINENO "served after nginx's restart" test "$(cat "$work/after")" = 200

# ------------------------------------------------------------ SIGTERM
# Idle kept connections and one request in flight: the request is answered, the
# idle connections closed, and the process exits at once (not after its grace).
pids=()
for i in 1 2 3 4; do
	redeem "${codes[$((80 + i))]}" r "$work/k.$i" &
	pids+=($!)
done
wait "${pids[@]}"
hot=${codes[85]}
mariadb --defaults-file="$COUPON_TEST_CONFIG" -D "$db" -e \
	"BEGIN; SELECT id FROM coupon_codes WHERE code = '$hot' FOR UPDATE; DO SLEEP(2); COMMIT;" >/dev/null &
locker=$!
check $LINENO "the row is locked" wait_until 300 locked
redeem "$hot" s1 "$work/inflight" &
client=$!
check $LINENO "the redemption waits for the lock" wait_until 300 lock_waits 1
t0=$(now_ms)
kill -TERM "$fcgi_pid"
wait "$client" "$locker"
rc=0
wait "$fcgi_pid" || rc=$?
took=$(($(now_ms) - t0))
fcgi_pid=
check $LINENO "the request in flight was answered" test "$(cat "$work/inflight")" = 200
check $LINENO "SIGTERM exits 0" test "$rc" -eq 0
check $LINENO "idle kept connections do not hold the exit (${took} ms)" test "$took" -lt 10000
check $LINENO "stopped cleanly" grep -q "info: stopped$" "$work/fcgi.log"
done_tests
