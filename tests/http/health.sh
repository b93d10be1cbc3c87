#!/usr/bin/env bash
# Liveness that never queues: every worker waits on a locked row, and /livez (the
# health-listen thread) still answers at once, while /healthz (served by the
# workers) waits behind them. Readiness follows the database's state.
. "$top_srcdir/tests/http/lib.sh"
FCGI_THREADS=2
http_setup health # start_fcgi gives it health-listen, where nginx sends /livez
key=$(make_key shop redeem)
cid=$(make_campaign health 3)
code=$(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id LIMIT 1")

req GET /livez
expect $LINENO 200
check $LINENO "/livez reports the database" contains "$body" '"database":"ok"'

# A session holds the code's row; each worker's redemption waits for it.
mariadb --defaults-file="$COUPON_TEST_CONFIG" -D "$db" -e "START TRANSACTION;
	SELECT id FROM coupon_codes WHERE code = '$code' FOR UPDATE; DO SLEEP(10); ROLLBACK" &
locker=$!
sleep 1
pids=
for i in 1 2 3 4; do
	curl -s -m 30 -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		--data "{\"code\":\"$code\",\"user_id\":\"u$i\"}" "$base/api/v1/redeem" &
	pids="$pids $!"
done
sleep 1
check $LINENO "the workers are blocked: /healthz does not answer within 2 s" \
	test "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$base/healthz")" = 000
t=$(curl -s -m 5 -o "$work/live" -w '%{http_code} %{time_total}' "$base/livez")
echo "/livez while every worker waits on the database: $t s"
check $LINENO "/livez answers 200 while every worker waits ($t)" test "${t%% *}" = 200
check $LINENO "/livez answers within a second ($t)" awk -v t="${t#* }" 'BEGIN { exit !(t < 1) }'
wait "$locker"
# shellcheck disable=SC2086
wait $pids
req GET /healthz
expect $LINENO 200
done_tests
