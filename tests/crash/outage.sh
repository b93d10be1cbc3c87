#!/usr/bin/env bash
# The database dies under load and comes back. While it is away the workers share
# one back-off: requests get 503 with Retry-After without a connection attempt,
# the outage is logged once as it starts and once as it ends (with the count of
# refused requests), and /metrics shows it. Once it is back, every request
# succeeds again without a restart of coupon-fcgi.
. "$top_srcdir/tests/crash/lib.sh"
FCGI_THREADS=8
crash_setup outage --set rate-limit=1000000
key=$(make_key shop redeem)
cid=$(make_campaign outage 2000)
sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id LIMIT 200" >"$work/codes"
clients=16

# One client: validates codes until told to stop, one status a line, into the
# file of the current phase.
load() {
	local n=0 code
	while [ ! -e "$work/stop" ]; do
		code=$(sed -n "$((n % 200 + 1))p" "$work/codes")
		n=$((n + 1))
		curl -s -m 10 -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $key" \
			-H 'Content-Type: application/json' --data "{\"code\":\"$code\"}" \
			"$base/api/v1/validate" >>"$work/load.$(cat "$work/phase").$1"
	done
}
metric() { curl -s "$base/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

echo before >"$work/phase"
pids=
for i in $(seq $clients); do
	load "$i" &
	pids="$pids $!"
done
sleep 2
pdb_kill
echo down >"$work/phase"
sleep 3
check $LINENO "/metrics: the database is down" test "$(metric coupon_db_up)" = 0
req POST /api/v1/validate -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	--data "{\"code\":\"$(head -n 1 "$work/codes")\"}"
expect $LINENO 503 db_unavailable
check $LINENO "503 says when to retry" has_header "Retry-After: [0-9]"
pdb_run
healthy() { test "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/healthz")" = 200; }
check $LINENO "coupon-fcgi sees the database back by itself" wait_until 100 healthy
sleep 0.5
echo after >"$work/phase"
sleep 3
touch "$work/stop"
# shellcheck disable=SC2086
wait $pids

during=$(cat "$work"/load.down.* | wc -l)
after=$(cat "$work"/load.after.* | wc -l)
bad_after=$(cat "$work"/load.after.* | grep -vc '^200$')
refused=$(metric coupon_db_outage_refused_total)
probes=$(metric coupon_db_outage_probes_total)
errors=$(grep -c ' error: ' "$work/fcgi.log")
echo "outage: $during requests while down, $refused refused without a connection attempt," \
	"$probes probes; $errors error lines; $after requests after recovery"
check $LINENO "requests ran while the database was down ($during)" test "$during" -gt 50
check $LINENO "the outage start is logged once" \
	test "$(grep -c 'database unreachable' "$work/fcgi.log")" = 1
check $LINENO "the outage end is logged once, with the refused count" \
	test "$(grep -c 'database reachable again after .* s; [0-9]* requests refused' "$work/fcgi.log")" = 1
# Besides the outage line, at most the requests in flight at the kill (one a worker).
check $LINENO "error lines: $errors (at most 1 + $FCGI_THREADS)" test "$errors" -le $((1 + FCGI_THREADS))
check $LINENO "most requests during the outage tried no connection ($refused refused, $probes probes)" \
	test "$refused" -gt $((10 * probes))
check $LINENO "/metrics: the database is up again" test "$(metric coupon_db_up)" = 1
check $LINENO "requests after recovery ($after)" test "$after" -gt 20
check $LINENO "every request after recovery succeeded ($bad_after did not)" test "$bad_after" = 0
done_tests
