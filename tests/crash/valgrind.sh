#!/usr/bin/env bash
# coupon-fcgi under valgrind memcheck serving a request mix through nginx: every
# endpoint, refusals and bad input, idempotent replays, a background generation,
# a streamed export, concurrent load, and the database killed and restarted
# (reconnects). Then SIGTERM: the run must report no memory error and no leak
# (definite or possible); tests/crash/valgrind.supp holds the only suppressions.
. "$top_srcdir/tests/crash/lib.sh"
loadclient=${COUPON_LOADCLIENT:-$top_builddir/tests/crash/loadclient}
real_fcgi=$fcgi_bin

if ! command -v valgrind >/dev/null 2>&1; then
	if [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
		echo "valgrind is not installed (./quickstart test installs it)" >&2
		exit 99
	fi
	echo "SKIP: valgrind is not installed"
	exit 77
fi
# A sanitizer build has its own allocator: valgrind cannot run it.
if nm "$real_fcgi" 2>/dev/null | grep -q '__asan_init\|__tsan_init'; then
	echo "SKIP: coupon-fcgi is built with a sanitizer"
	exit 77
fi

need_nginx
pdb_start
scratch_db valgrind
trap 'cleanup; pdb_stop' EXIT
"$adm" -c "$cnf" --quiet migrate >/dev/null || { echo "migrate failed" >&2; exit 99; }
port=$(free_port) || { echo "no free port" >&2; exit 99; }
base=http://127.0.0.1:$port
printf 'site = %s\nidempotency-stale = 2s\nrate-limit = 5\n' "$base" >>"$cnf"
key=$work/coupon.key
echo 1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100 >"$key"
chmod 600 "$key"
printf 'key-file = %s\n' "$key" >>"$cnf"

# The valgrind'ed responder, started the way start_fcgi does but given time.
rm -f "$work/fcgi.sock"
valgrind --tool=memcheck --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,possible --show-leak-kinds=definite,possible \
	--num-callers=30 --suppressions="$top_srcdir/tests/crash/valgrind.supp" \
	--log-file="$work/valgrind.log" \
	"$real_fcgi" -c "$cnf" --listen "$work/fcgi.sock" --threads 4 \
	--log-file "$work/fcgi.log" --set group-commit=on --set group-commit-groups=1 &
fcgi_pid=$!
wait_until 600 test -S "$work/fcgi.sock" || { cat "$work/valgrind.log" "$work/fcgi.log" >&2; exit 99; }
start_nginx

admin=$(make_key vg-admin redeem,admin)
rkey=$(make_key vg-till redeem)
key=$admin
cid=$(make_campaign vg 400)
set -- $(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id LIMIT 12")
c1=$1 c2=$2 c3=$3 c4=$4 c5=$5 c6=$6 c7=$7 c8=$8
unknown=$("$mkcodes" 1)
sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id LIMIT 100 OFFSET 20" >"$work/own"
sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id LIMIT 5 OFFSET 12" >"$work/hot"

# ------------------------------------------------------------ the mix
req GET /healthz
expect $LINENO 200
req GET /metrics
expect $LINENO 200
api POST /api/v1/validate "{\"code\":\"$c1\"}"
expect $LINENO 200
api POST /api/v1/redeem "{\"code\":\"$c1\",\"user_id\":\"u1\",\"order_id\":\"o1\"}"
expect $LINENO 200
api POST /api/v1/redeem "{\"code\":\"$c1\",\"user_id\":\"u1\",\"order_id\":\"o1\"}"
expect $LINENO 200
api POST /api/v1/redeem "{\"code\":\"$c1\",\"user_id\":\"u2\"}"
expect $LINENO 409 already_redeemed
api POST /api/v1/redeem "{\"code\":\"$c2\",\"user_id\":\"u1\"}" -H 'Idempotency-Key: vg-1'
expect $LINENO 200
api POST /api/v1/redeem "{\"code\":\"$c2\",\"user_id\":\"u1\"}" -H 'Idempotency-Key: vg-1'
expect $LINENO 200
api POST /api/v1/redeem "{\"code\":\"$c3\",\"user_id\":\"u1\"}" -H 'Idempotency-Key: vg-1'
expect $LINENO 422 idempotency_conflict
api POST /api/v1/reserve "{\"code\":\"$c4\",\"user_id\":\"u3\",\"ttl\":60}"
expect $LINENO 200
api POST /api/v1/confirm "{\"code\":\"$c4\",\"user_id\":\"u3\",\"order_id\":\"o3\"}"
expect $LINENO 200
api POST /api/v1/reserve "{\"code\":\"$c5\",\"user_id\":\"u3\"}" -H 'Idempotency-Key: vg-2'
expect $LINENO 200
api POST /api/v1/release "{\"code\":\"$c5\",\"user_id\":\"u3\"}"
expect $LINENO 200
api POST /api/v1/release "{\"code\":\"$c5\",\"user_id\":\"u3\"}"
expect $LINENO 200
api POST /api/v1/release "{\"code\":\"$c4\",\"user_id\":\"u3\"}"
expect $LINENO 409 already_redeemed
for i in 1 2 3 4 5 6 7; do
	api POST /api/v1/redeem "{\"code\":\"$unknown\",\"user_id\":\"guesser\"}"
done
expect $LINENO 429 rate_limited
api POST /api/v1/redeem "{\"code\":\"${c6%?}\",\"user_id\":\"u4\"}"
expect $LINENO 400
req POST /redeem -H "Origin: $base" --data-binary "code=$c6&user=form-user"
expect $LINENO 200
req POST /redeem -H "Origin: $base" --data-binary "code=$c6&user=form-user2"
expect $LINENO 400
req POST /redeem -H 'Origin: http://evil.example' --data-binary "code=$c7&user=u"
expect $LINENO 403
req POST /redeem -H "Origin: $base" -H 'Accept: application/json' --data-binary "code=$c7&user=u5"
expect $LINENO 200
api POST /api/v1/campaigns '{"name":"vg2","prefix":"K","planned_codes":5000}'
expect $LINENO 201
cid2=$(sqldb "SELECT id FROM campaigns WHERE name = 'vg2'")
api GET /api/v1/campaigns ''
expect $LINENO 200
req GET "/api/v1/campaigns/$cid" -H "Authorization: Bearer $key"
expect $LINENO 200
api POST "/api/v1/campaigns/$cid2/batches" '{"count":3000,"method":"keyed"}'
expect $LINENO 202
bid=$(sqldb "SELECT MAX(id) FROM generation_batches WHERE campaign_id = $cid2")
batch_done() { test "$(sqldb "SELECT status FROM generation_batches WHERE id = ${bid:-0}")" = complete; }
wait_until 600 batch_done
check $LINENO "the background generation completed" batch_done
req GET "/api/v1/batches/$bid" -H "Authorization: Bearer $key"
expect $LINENO 200
req GET "/api/v1/campaigns/$cid2/codes.csv" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the export streamed 3000 codes" test "$(printf '%s\n' "$body" | grep -c '^K\?[0-9A-Z]')" -ge 3000
req GET "/api/v1/codes/$c8" -H "Authorization: Bearer $key"
expect $LINENO 200
api POST "/api/v1/codes/$c8/expire" '{"reason":"valgrind"}'
expect $LINENO 200
api POST "/api/v1/codes/$c1/unredeem" '{"reason":"refund"}'
expect $LINENO 200
req GET /api/v1/campaigns -H "Authorization: Bearer $rkey"
expect $LINENO 403
req GET /api/v1/campaigns
expect $LINENO 401
req DELETE /api/v1/redeem
expect $LINENO 405
api POST /api/v1/redeem "$(head -c 3000 /dev/zero | tr '\0' '[')"
expect $LINENO 400
api POST /api/v1/redeem "{\"code\":\"$(head -c 20000 /dev/zero | tr '\0' 'A')\"}"
expect $LINENO 413
req POST /api/v1/redeem -H "Authorization: Bearer $key" -H 'Content-Type: text/plain' --data 'x'
expect $LINENO 415
printf '{"code":"%s","user_id":"\377"}' "$c7" >"$work/bad"
req POST /api/v1/redeem -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data-binary "@$work/bad"
expect $LINENO 400

# Concurrent load: all four workers busy at once, half of it plain redemptions,
# which are committed in groups (one group at a time, so four workers make groups).
printf '%s\n' "$key" >"$work/apikey"
rc=0
"$loadclient" -p "$port" -k "$work/apikey" -c "$work/own" -H "$work/hot" -o "$work/load.out" \
	-t 8 -d 4 -r 60 -n 50 >"$work/lc.out" 2>&1 || rc=$?
check $LINENO "load under valgrind settled: $(cat "$work/lc.out")" test "$rc" -eq 0

# The database killed and back: 503s, reconnects, claims left behind.
pdb_kill
api POST /api/v1/redeem "{\"code\":\"$c7\",\"user_id\":\"u6\"}" -H 'Idempotency-Key: vg-3'
expect $LINENO 503 db_unavailable
req GET /healthz
expect $LINENO 503 db_unavailable
pdb_run
healthy() { test "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/healthz")" = 200; }
wait_until 300 healthy
# Every worker's connection died with the server: none may answer its first
# request after that with a 503.
n503=0
for i in 1 2 3 4 5 6 7 8; do
	api POST /api/v1/validate "{\"code\":\"$c3\"}"
	[ "$status" = 503 ] && n503=$((n503 + 1))
done
check $LINENO "no 503 once the database is back ($n503 of 8)" test "$n503" -eq 0
api POST /api/v1/redeem "{\"code\":\"$c7\",\"user_id\":\"u6\"}" -H 'Idempotency-Key: vg-3'
expect $LINENO 409 already_redeemed
req GET /metrics
expect $LINENO 200
groups=$(printf '%s\n' "$body" | awk '$1 == "coupon_redeem_group_size_count" { print $2 }')
alone=$(printf '%s\n' "$body" | sed -n 's/^coupon_redeem_group_size_bucket{le="1"} //p')
check $LINENO "plain redemptions were grouped ($groups groups, $alone alone)" \
	test "${groups:-0}" -gt "${alone:-0}"

# ------------------------------------------------------------ the verdict
kill -TERM "$fcgi_pid"
rc=0
wait "$fcgi_pid" || rc=$?
fcgi_pid=
summary=$(grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost' "$work/valgrind.log" | sed 's/^==[0-9]*== *//')
echo "$summary"
check $LINENO "valgrind: exit $rc, expected 0 (1 = errors found)" test "$rc" -eq 0
check $LINENO "valgrind: 0 errors" grep -q 'ERROR SUMMARY: 0 errors' "$work/valgrind.log"
if [ "$rc" -ne 0 ] || ! grep -q 'ERROR SUMMARY: 0 errors' "$work/valgrind.log"; then
	cat "$work/valgrind.log" >&2
fi
check $LINENO "coupon-fcgi stopped cleanly" grep -q 'info: stopped$' "$work/fcgi.log"
done_tests
