#!/usr/bin/env bash
# Scale-out on MariaDB Galera Cluster (doc/DESIGN.md, "Scaling out"): a private
# 3-node cluster on loopback (tests/galera/cluster.sh), a coupon-fcgi on each
# node, one nginx in front with all three in an upstream (and a port per front
# end, to probe each one).
#
#   1. stampede: 24 clients, 8 on each node, redeem the same code at the same
#      moment, 200 codes a phase, through the core: autocommit, with idempotency
#      keys, with a per-user limit. Certification failures (1213 at the UPDATE or
#      at COMMIT) are retried; exactly one success a code; every node agrees.
#   2. volume and node loss: tests/crash/loadclient redeems distinct codes and a
#      few hot ones through nginx; node 3 is killed with SIGKILL under load. The
#      front ends on nodes 1 and 2 keep serving; the one on node 3 answers 503;
#      node 3 is recovered (--wsrep-recover) and rejoins by IST, and its front
#      end serves again by itself. Every request in doubt is retried with its
#      idempotency key; tests/crash/reconcile.awk checks the replies against
#      EVERY node's table, and the three tables are identical.
#
# Runs under ./quickstart test (make check-galera); needs root (the servers run
# as the mysql user), galera-4 and rsync. Prints the figures.
. "$top_srcdir/tests/http/lib.sh"
. "$top_srcdir/tests/galera/cluster.sh"

loadclient=${COUPON_LOADCLIENT:-$top_builddir/tests/crash/loadclient}
stampede=$top_builddir/tests/galera/stampede
fe_args="--threads 8 --set idempotency-stale=3s --set rate-limit=1000000"

if ! why=$(gc_need); then
	if [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
		echo "galera test cannot run: $why (./quickstart test installs galera-4, rsync)" >&2
		exit 99
	fi
	echo "SKIP: $why"
	exit 77
fi
need_nginx

fe1_pid= fe2_pid= fe3_pid= lc=
finish() {
	local i pid pids=
	for pid in "$lc" "$nginx_pid" "$fe1_pid" "$fe2_pid" "$fe3_pid"; do
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && pids="$pids $pid"
	done
	# Not a bare wait: the cluster's servers are children of this shell too.
	for pid in $pids; do wait "$pid" 2>/dev/null; done
	gc_stop
	if [ -n "${COUPON_TEST_KEEP:-}" ]; then
		echo "kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
elapsed() { awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $1 }"; }

t0=$(date +%s.%N)
trap finish EXIT
gc_start 3 || exit 99
echo "galera: 3 nodes synced in $(elapsed "$t0") s"

# From here the test's server is the cluster: node 1 for set-up and the CLI.
COUPON_TEST_CONFIG=$(gc_cnf 1)
export COUPON_TEST_CONFIG
scratch_db galera
trap finish EXIT
"$adm" -c "$cnf" --quiet migrate >/dev/null || { echo "migrate failed" >&2; exit 99; }
port=$(free_port) || exit 99
base=http://127.0.0.1:$port
for i in 1 2 3; do
	(umask 077 && sed "/^\[coupon\]/a database = $db" "$(gc_cnf "$i")" >"$work/fe$i.cnf")
	eval "fe${i}_port=\$(free_port)" || exit 99
done

# coupon-fcgi I, connected to node I.
start_fe() {
	rm -f "$work/fcgi$1.sock"
	# shellcheck disable=SC2086
	"$fcgi_bin" -c "$work/fe$1.cnf" --listen "$work/fcgi$1.sock" --log-file "$work/fcgi$1.log" \
		$fe_args &
	eval "fe$1_pid=\$!"
	wait_until 40 test -S "$work/fcgi$1.sock" || { cat "$work/fcgi$1.log" >&2; exit 99; }
}

# nginx: the example's locations on $port with all three front ends in the
# upstream, and a bare port per front end for the probes.
start_nginx3() {
	local conf=$work/nginx/nginx.conf i p
	mkdir -p "$work/nginx"
	sh "$top_srcdir/www/nginx-local-conf" "$port" "$work/fcgi1.sock" "$top_srcdir/www" \
		"$work/nginx" >"$conf.in"
	params=$(sed -n 's/^[[:space:]]*include \(.*fastcgi_params\);.*/\1/p' "$conf.in" | head -1)
	sed -e '$d' -e "s|server unix:$work/fcgi1.sock;|server unix:$work/fcgi1.sock; server unix:$work/fcgi2.sock; server unix:$work/fcgi3.sock;|" \
		"$conf.in" >"$conf"
	for i in 1 2 3; do
		eval p=\$fe${i}_port
		printf 'server {\n\tlisten 127.0.0.1:%s;\n\tlocation / {\n\t\tinclude %s;\n\t\tfastcgi_pass unix:%s;\n\t}\n}\n' \
			"$p" "$params" "$work/fcgi$i.sock" >>"$conf"
	done
	echo "}" >>"$conf"
	grep -q "fcgi3.sock" "$conf" || { echo "nginx upstream not rewritten" >&2; exit 99; }
	"$nginx_bin" -c "$conf" -p "$work/nginx" -e "$work/nginx/error.log" &
	nginx_pid=$!
	wait_until 40 fcgi_answers || { cat "$work/nginx/error.log" >&2; exit 99; }
}

for i in 1 2 3; do start_fe "$i"; done
start_nginx3

key=$(make_key shop redeem)
printf '%s\n' "$key" >"$work/key"

# ---------------------------------------------------------------- 1. stampede
# GALERA_STAMPEDE_ROUNDS (200; at most 500) codes a phase: enough to meet the rare
# unreported brute-force abort (about one in a thousand contested transactions),
# with GALERA_STAMPEDE_ONLY=1 to stop after the stampede.
rounds=${GALERA_STAMPEDE_ROUNDS:-200}
cid=$(make_campaign stampede-plain $((2 * rounds)))
sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id" >"$work/st-plain"
# The stampede gives this one its per-user limit when its phase starts.
cid=$(make_campaign stampede-limited "$rounds")
sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id" >"$work/st-limited"
t1=$(date +%s.%N)
check $LINENO "stampede: exactly one success a code, on every node" \
	"$stampede" -d "$db" -p "$work/st-plain" -l "$work/st-limited" -t 8 -r "$rounds" \
	"$work/fe1.cnf" "$work/fe2.cnf" "$work/fe3.cnf"
echo "stampede took $(elapsed "$t1") s"
if [ "${GALERA_STAMPEDE_ONLY:-0}" = 1 ]; then
	done_tests
	exit
fi

# ---------------------------------------------------------------- 2. node loss
cid=$(make_campaign scale ${GALERA_CODES:-30000})
sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id" >"$work/codes"
head -n 40 "$work/codes" >"$work/hot"
tail -n +41 "$work/codes" >"$work/own"
# The probes redeem codes of their own campaign: the reconcile sees only the load.
pcid=$(make_campaign probes 200)
sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $pcid ORDER BY id" >"$work/probe-codes"
probe_no=0

# at I PATH: status of GET PATH on front end I's own port.
at() {
	local p
	eval p=\$fe${1}_port
	curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p$2"
}
healthy_at() { test "$(at "$1" /healthz)" = 200; }
unhealthy_at() { test "$(at "$1" /healthz)" = 503; }

# redeem_at I: redeems the next probe code through front end I only; sets $status, $body.
redeem_at() {
	local p code
	eval p=\$fe${1}_port
	probe_no=$((probe_no + 1))
	code=$(sed -n "${probe_no}p" "$work/probe-codes")
	status=$(curl -s -m 20 -o "$work/body" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		--data "{\"code\":\"$code\",\"user_id\":\"probe$1\",\"order_id\":\"p$probe_no\"}" \
		"http://127.0.0.1:$p/api/v1/redeem") || status=000
	body=$(cat "$work/body")
}
redeem_ok_at() { redeem_at "$1"; test "$status" = 200; }

for i in 1 2 3; do
	check $LINENO "front end $i healthy before the load" healthy_at "$i"
done
before_ists=$(grep -c 'IST received' "$gc_dir/node3/error.log")

"$loadclient" -p "$port" -k "$work/key" -c "$work/own" -H "$work/hot" -o "$work/log" \
	-t 24 -d 120 -r 90 >"$work/lc.out" 2>&1 &
lc=$!
sleep 4

t1=$(date +%s.%N)
gc_kill 3
check $LINENO "node 3 dead: its front end answers 503" wait_until 50 unhealthy_at 3
redeem_at 3
expect $LINENO 503 db_unavailable
check $LINENO "node 3 dead: front end 1 still redeems" wait_until 100 redeem_ok_at 1
echo "node 3 killed: the survivors redeem again $(elapsed "$t1") s after the kill"
check $LINENO "node 3 dead: front end 2 still redeems" redeem_ok_at 2
for i in 1 2; do
	check $LINENO "node 3 dead: front end $i healthy" healthy_at "$i"
done
check $LINENO "node 3 dead: front end 3 still answers 503" unhealthy_at 3
check $LINENO "the front end of the dead node stays up" kill -0 "$fe3_pid"
sleep 3

t1=$(date +%s.%N)
pos=$(gc_rejoin 3)
check $LINENO "node 3 recovered its position with --wsrep-recover ($pos)" test -n "$pos"
check $LINENO "node 3 rejoined and synced" gc_wait_synced 3 120
echo "node 3 recovered at $pos and synced in $(elapsed "$t1") s"
# The SST script runs on every join; it says whether it moved the data dir (SST,
# only at the first join) or let the donor send the missed write sets (IST).
check $LINENO "node 3 caught up by IST" \
	test "$(grep -c 'IST received' "$gc_dir/node3/error.log")" -gt "$before_ists"
check $LINENO "node 3 needed no second full state transfer" \
	test "$(grep -c 'rsync SST completed on joiner' "$gc_dir/node3/error.log")" -eq 1
sed -n 's/.*WSREP: \(Receiving IST: [0-9]* writesets\).*/node 3: \1/p' "$gc_dir/node3/error.log" | tail -1
check $LINENO "node 3 back: its front end recovers by itself" wait_until 100 healthy_at 3
check $LINENO "node 3 back: its front end redeems" wait_until 50 redeem_ok_at 3
sleep 3
kill -USR1 "$lc"
rc=0
wait "$lc" || rc=$?
cat "$work/lc.out"
check $LINENO "load client: every request settled (exit $rc)" test "$rc" -eq 0
check $LINENO "front ends alive at the end" kill -0 "$fe1_pid" "$fe2_pid" "$fe3_pid"
for i in 1 2 3; do
	eval p=\$fe${i}_port
	echo "front end $i: $(curl -s -m 5 "http://127.0.0.1:$p/metrics" |
		awk '/^coupon_db_retries_total / { r = $2 } /^coupon_db_errors_total / { e = $2 }
		END { printf "%d certification/deadlock retries, %d database errors", r, e }')"
done
awk -F '\t' '$1 == "load" && $9 == 200 { ok++ } $1 == "load" && $9 == 503 { u++ }
	END { printf "load phase: %d successes, %d answers 503\n", ok, u }' "$work/log"

# Every node's table, each read after the node applied all the cluster committed.
for i in 1 2 3; do
	mariadb --defaults-file="$work/fe$i.cnf" -N -B -D "$db" -e "SET SESSION wsrep_sync_wait = 1;
		SELECT code, status, IFNULL(redeemed_by_user_id, '-'), IFNULL(order_id, '-')
		FROM coupon_codes WHERE campaign_id = $cid ORDER BY code;" >"$work/db$i.tsv"
	mariadb --defaults-file="$work/fe$i.cnf" -N -B -D "$db" -e "SET SESSION wsrep_sync_wait = 1;
		SELECT idem_key, state, IFNULL(http_status, 0) FROM idempotency_keys
		ORDER BY idem_key;" >"$work/keys$i.tsv"
	echo "node $i: $(grep -c redeemed "$work/db$i.tsv") codes redeemed"
	check $LINENO "node $i: replies and table reconcile" \
		awk -v faults=1 -f "$top_srcdir/tests/crash/reconcile.awk" \
		"$work/db$i.tsv" "$work/keys$i.tsv" "$work/log"
done
check $LINENO "nodes 1 and 2 hold the same codes" cmp -s "$work/db1.tsv" "$work/db2.tsv"
check $LINENO "nodes 1 and 3 hold the same codes" cmp -s "$work/db1.tsv" "$work/db3.tsv"
check $LINENO "nodes 1 and 3 hold the same keys" cmp -s "$work/keys1.tsv" "$work/keys3.tsv"
check $LINENO "no claim left in progress" \
	test "$(sqldb "SELECT COUNT(*) FROM idempotency_keys WHERE state <> 'done'")" = 0
check $LINENO "the kill hit requests in flight (some were in doubt)" \
	test "$(awk -F '\t' '$1 == "retry"' "$work/log" | wc -l)" -gt 0
echo "scale-out test took $(elapsed "$t0") s"
done_tests
