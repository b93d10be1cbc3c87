#!/usr/bin/env bash
# The two promises under faults: while tests/crash/loadclient redeems through
# nginx, coupon-fcgi is killed with SIGKILL and restarted, the private MariaDB is
# killed with SIGKILL and restarted (crash recovery), and nginx is restarted.
# Half the requests carry an idempotency key; the other half are plain
# redemptions, which coupon-fcgi commits in groups as it does by default
# (faults_ungrouped.sh: one by one). Afterwards every request left in doubt is retried with its idempotency
# key, or as it was, and tests/crash/reconcile.awk checks every reply against the database: no
# acknowledged redemption lost, no code redeemed twice, replies and database
# agree exactly. Then a hand-out phase: coupon-fcgi and MariaDB are killed while
# codes are handed out; every acknowledged hand-out must be stored, and no code
# or user may hold two. Prints the figures.
. "$top_srcdir/tests/crash/lib.sh"
loadclient=${COUPON_LOADCLIENT:-$top_builddir/tests/crash/loadclient}
rounds=${CRASH_ROUNDS:-2}
# A claim left behind by a killed request is taken over after idempotency-stale:
# 120 s by default, 3 s here so the retries settle within the test.
FCGI_THREADS=16
fcgi_args="--set idempotency-stale=3s --set rate-limit=1000000"
# shellcheck disable=SC2086
crash_setup crash $fcgi_args

key=$(make_key shop redeem)
printf '%s\n' "$key" >"$work/key"
cid=$(make_campaign crash ${CRASH_CODES:-60000})
sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id" >"$work/codes"
head -n 40 "$work/codes" >"$work/hot"
tail -n +41 "$work/codes" >"$work/own"

healthz() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/healthz"; }
healthy() { test "$(healthz)" = 200; }
faults=0

restart_fcgi() {
	kill -9 "$fcgi_pid"
	wait "$fcgi_pid" 2>/dev/null
	faults=$((faults + 1))
	sleep 0.5
	# shellcheck disable=SC2086
	start_fcgi $fcgi_args
}

# The database dies under load: coupon-fcgi answers 503 (it stays up), and once
# the server is back it serves again by itself, without a restart.
restart_db() {
	local pid=$fcgi_pid t0 t1
	pdb_kill
	faults=$((faults + 1))
	sleep 0.3
	check $LINENO "database down: /healthz answers 503 (got $(healthz))" test "$(healthz)" = 503
	req POST /api/v1/redeem -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		--data "{\"code\":\"$(head -n 1 "$work/hot")\",\"user_id\":\"probe\"}"
	expect $LINENO 503 db_unavailable
	sleep 1
	t0=$(date +%s.%N)
	pdb_run
	t1=$(date +%s.%N)
	check $LINENO "database back: coupon-fcgi recovers by itself" wait_until 600 healthy
	check $LINENO "coupon-fcgi survived the database crash" kill -0 "$pid"
	echo "database restarted (crash recovery) in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
}

restart_nginx() {
	kill -TERM "$nginx_pid"
	wait "$nginx_pid" 2>/dev/null
	faults=$((faults + 1))
	start_nginx
}

"$loadclient" -p "$port" -k "$work/key" -c "$work/own" -H "$work/hot" -o "$work/log" \
	-t 32 -d 900 -r 120 -n 50 >"$work/lc.out" 2>&1 &
lc=$!
sleep 2
for r in $(seq "$rounds"); do
	restart_fcgi
	sleep 2
	restart_db
	sleep 2
	restart_nginx
	sleep 2
done
kill -USR1 "$lc"
rc=0
wait "$lc" || rc=$?
cat "$work/lc.out"
check $LINENO "load client: every request settled (exit $rc)" test "$rc" -eq 0
check $LINENO "coupon-fcgi alive at the end" kill -0 "$fcgi_pid"

sqldb "SELECT code, status, IFNULL(redeemed_by_user_id, '-'), IFNULL(order_id, '-')
       FROM coupon_codes WHERE campaign_id = $cid" >"$work/db.tsv"
sqldb "SELECT idem_key, state, IFNULL(http_status, 0) FROM idempotency_keys" >"$work/keys.tsv"
check $LINENO "replies and database reconcile" \
	awk -v faults=$faults -f "$top_srcdir/tests/crash/reconcile.awk" \
	"$work/db.tsv" "$work/keys.tsv" "$work/log"
check $LINENO "no code stored twice" test "$(sqldb "SELECT COUNT(*) - COUNT(DISTINCT code) FROM coupon_codes")" = 0
if [ "${COUPON_TEST_GROUP_COMMIT:-on}" = on ]; then
	groups=$(curl -s "$base/metrics" | awk '$1 == "coupon_redeem_group_size_count" { print $2 }')
	alone=$(curl -s "$base/metrics" | sed -n 's/^coupon_redeem_group_size_bucket{le="1"} //p')
	echo "since the last restart of coupon-fcgi: $groups groups, $alone of one request"
	check $LINENO "plain redemptions were committed in groups" test "${groups:-0}" -gt "${alone:-0}"
fi
check $LINENO "no claim left in progress" test "$(sqldb "SELECT COUNT(*) FROM idempotency_keys WHERE state <> 'done'")" = 0
check $LINENO "at least one request was in doubt (the faults hit)" \
	test "$(awk -F '\t' '$1 == "retry"' "$work/log" | wc -l)" -gt 0

# ------------------------------------------------------------ hand-out under faults
# Workers hand codes of one campaign to users of their own while coupon-fcgi and
# then MariaDB are killed. Each logs the hand-outs acknowledged (200, user and
# code); a request without a definitive answer is asked again afterwards (the same
# user gets the same code, so asking again is safe). Then every acknowledged
# hand-out must be stored as acknowledged, and no code or user may have two.
aid=$(make_campaign handout ${CRASH_ASSIGN_CODES:-20000})
assign_worker() { # assign_worker N: users u-N-1, u-N-2, ... until $work/stop exists
	local n=$1 i=0 out status code
	while [ ! -e "$work/stop" ]; do
		i=$((i + 1))
		out=$(curl -s -m 10 -w '\n%{http_code}' -H "Authorization: Bearer $key" \
			-H 'Content-Type: application/json' --data "{\"user_id\":\"u-$n-$i\"}" \
			"$base/api/v1/campaigns/$aid/assign") || out=$'\n000'
		status=${out##*$'\n'}
		code=$(printf '%s' "$out" | sed -n 's/.*"code":"\([0-9A-Z]*\)".*/\1/p')
		if [ "$status" = 200 ] && [ -n "$code" ]; then
			printf 'u-%s-%s\t%s\n' "$n" "$i" "$code" >>"$work/acked.$n"
		else
			printf 'u-%s-%s\n' "$n" "$i" >>"$work/doubt.$n"
		fi
	done
}
rm -f "$work/stop"
workers=
for n in 1 2 3 4 5 6 7 8; do
	assign_worker $n &
	workers="$workers $!"
done
sleep 3
restart_fcgi
sleep 2
restart_db
sleep 2
touch "$work/stop"
# shellcheck disable=SC2086
wait $workers # not a bare wait: coupon-fcgi and nginx are children of this shell too
cat "$work"/acked.* >"$work/acked" 2>/dev/null || : >"$work/acked"
cat "$work"/doubt.* >"$work/doubt" 2>/dev/null || : >"$work/doubt"
# The ones in doubt, asked again: now each gets its code, the one it may already hold.
while read -r user; do
	req POST "/api/v1/campaigns/$aid/assign" -H "Authorization: Bearer $key" \
		-H 'Content-Type: application/json' --data "{\"user_id\":\"$user\"}"
	[ "$status" = 200 ] && printf '%s\t%s\n' "$user" \
		"$(printf '%s' "$body" | sed -n 's/.*"code":"\([0-9A-Z]*\)".*/\1/p')" >>"$work/acked"
done <"$work/doubt"
echo "hand-out under faults: $(wc -l <"$work/acked") acknowledged, $(wc -l <"$work/doubt") in doubt and asked again"
sqldb "SELECT assigned_user_id, code FROM coupon_codes WHERE campaign_id = $aid
       AND assigned_user_id IS NOT NULL" | sort >"$work/held.tsv"
sort -u "$work/acked" >"$work/acked.sorted"
check $LINENO "hand-outs were acknowledged under faults" test "$(wc -l <"$work/acked.sorted")" -gt 100
check $LINENO "some hand-outs were in doubt (the faults hit)" test -s "$work/doubt"
check $LINENO "every acknowledged hand-out is stored as acknowledged" \
	test "$(comm -23 "$work/acked.sorted" "$work/held.tsv" | wc -l)" -eq 0
check $LINENO "no user holds two codes" test "$(cut -f1 "$work/held.tsv" | uniq -d | wc -l)" -eq 0
check $LINENO "no code is held by two users" test "$(cut -f2 "$work/held.tsv" | sort | uniq -d | wc -l)" -eq 0
check $LINENO "no user was acknowledged two codes" \
	test "$(cut -f1 "$work/acked.sorted" | uniq -d | wc -l)" -eq 0
check $LINENO "coupon-fcgi alive after the hand-out phase" kill -0 "$fcgi_pid"
done_tests
