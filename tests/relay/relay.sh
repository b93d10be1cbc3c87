# coupon-relay end to end (issue #10): a private RabbitMQ and a webhook receiver on
# loopback, two relays, redemptions writing events while the relay and the broker
# are killed with SIGKILL. Every event must arrive at both sinks at least once
# (exactly once while nothing fails), signed correctly; and an event for a
# partner's code holding a quote and a backslash arrives as JSON, the code intact.
. "$top_srcdir/tests/cli/lib.sh"

rmq=/usr/lib/rabbitmq/bin
if [ ! -x "$rmq/rabbitmq-server" ] || ! command -v epmd >/dev/null; then
	[ -n "${CI:-}" ] && [ "$CI" != false ] && { echo "rabbitmq-server is not installed" >&2; exit 99; }
	echo "SKIP: rabbitmq-server is not installed (./quickstart installs it)"
	exit 77
fi

relay=$top_builddir/relay/coupon-relay
helpers=$top_builddir/tests/relay
t0=$(date +%s)
scratch_db relay
pids=""
cleanup() {
	for p in $pids; do kill -9 -- "-$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
	[ -f "$work/rmq/pid" ] && kill -9 "$(cat "$work/rmq/pid")" 2>/dev/null
	[ -n "${epmd_pid:-}" ] && kill "$epmd_pid" 2>/dev/null
	sql "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------- the option file
# The [coupon-relay] group goes through the reader of [coupon]: an unknown key or
# a bad value is refused with its file and line, in an included file too, and the
# relay stops before it connects to anything.
{ cat "$cnf"; printf '[coupon-relay]\nbatch = 10\n\nbogus-key = 1\n'; } >"$work/bad.cnf"
line=$(grep -n '^bogus-key' "$work/bad.cnf" | cut -d: -f1)
expect_exit $LINENO 2 "$relay" -c "$work/bad.cnf" --amqp-url amqp://127.0.0.1:1/
check $LINENO "an unknown key is refused with file:line: $out" \
	contains "$out" "$work/bad.cnf:$line: unknown [coupon-relay] option 'bogus-key'"
printf '[coupon-relay]\n# retention is a duration\nretention = "3 weeks"\n' >"$work/inc.cnf"
{ cat "$cnf"; printf '[coupon-relay]\n!include %s\n' "$work/inc.cnf"; } >"$work/main.cnf"
expect_exit $LINENO 2 "$relay" -c "$work/main.cnf" --amqp-url amqp://127.0.0.1:1/
check $LINENO "a bad value in an included file names that file and line: $out" \
	contains "$out" "$work/inc.cnf:3: retention: '3 weeks' is not a duration"
{ cat "$cnf"; printf '[coupon-relay]\nwebhook_url = "http://127.0.0.1:1/"\n'; } >"$work/hook.cnf"
expect_exit $LINENO 2 "$relay" -c "$work/hook.cnf"
check $LINENO "a key spelt with _ sets its option: $out" \
	contains "$out" "--webhook-url needs --webhook-secret-file"

# ---------------------------------------------------------------- the broker
mkdir -p "$work/rmq"
amqp_port=$(free_port)
export HOME=$work/rmq ERL_EPMD_PORT=$(free_port) RABBITMQ_NODENAME=cpt$$@localhost \
	RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$amqp_port \
	RABBITMQ_DIST_PORT=$(free_port) RABBITMQ_MNESIA_BASE=$work/rmq/mnesia \
	RABBITMQ_LOG_BASE=$work/rmq/log RABBITMQ_PID_FILE=$work/rmq/pid \
	RABBITMQ_ENABLED_PLUGINS_FILE=$work/rmq/plugins RABBITMQ_CONFIG_FILE=$work/rmq/rabbitmq \
	RABBITMQ_ADVANCED_CONFIG_FILE=$work/rmq/advanced.config RABBITMQ_CONF_ENV_FILE=$work/rmq/env \
	RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+S 2:2 +sbwt none +sbwtdcpu none +sbwtdio none -kernel inet_dist_use_interface {127,0,0,1}"
echo '[].' >"$work/rmq/plugins"
echo '[].' >"$work/rmq/advanced.config"
: >"$work/rmq/rabbitmq.conf"
: >"$work/rmq/env"
epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1 >"$work/epmd.log" 2>&1 &
epmd_pid=$!

start_broker() {
	local s
	s=$(date +%s.%N)
	rm -f "$work/rmq/pid"
	setsid "$rmq/rabbitmq-server" >>"$work/rmq/server.log" 2>&1 &
	sleep 0.5
	"$rmq/rabbitmqctl" wait --timeout 60 "$work/rmq/pid" >/dev/null 2>&1 ||
		{ tail -20 "$work/rmq/server.log" >&2; return 1; }
	echo "broker up in $(echo "$(date +%s.%N) - $s" | bc | cut -c1-5) s"
}
kill9_broker() { kill -9 "$(cat "$work/rmq/pid")"; sleep 0.3; }

check $LINENO "the broker starts" start_broker
consumer() { "$helpers/consumer" "$1" 127.0.0.1 "$amqp_port" coupon.events relay-test; }
check $LINENO "a durable queue is bound" consumer setup

# ---------------------------------------------------------------- the receiver
od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$work/secret"
chmod 600 "$work/secret"
start_receiver() {
	setsid "$helpers/receiver" "$work/secret" "$work/hook.out" "$work/hook.port" "$1" \
		"$work/hook.bodies" >>"$work/receiver.log" 2>&1 &
	pids="$pids $!"
	receiver_pid=$!
	for _ in $(seq 600); do [ -s "$work/hook.port" ] && break; sleep 0.05; done
}
start_receiver 0
hook="http://127.0.0.1:$(cat "$work/hook.port")/events"
# The receiver's checks can fail: a forged signature, a timestamp changed after
# signing, and a correctly signed request replayed six minutes later.
sign() { # TIME BODY -> t=TIME,v1=HEX, as doc/WEBHOOKS.md says a signature is made
	printf 't=%s,v1=%s' "$1" "$(printf '%s.%s' "$1" "$2" |
		openssl dgst -sha256 -hmac "$(cat "$work/secret")" | sed 's/.*= *//')"
}
post_signed() { # ID SIGNATURE
	curl -s -o /dev/null -H "X-Coupon-Event-Id: $1" -H "X-Coupon-Signature: $2" \
		-H 'Content-Type: application/json' --data '{"x":1}' "$hook"
}
now=$(date +%s)
post_signed forged 't=0,v1=00'
post_signed fresh "$(sign "$now" '{"x":1}')"
post_signed stale "$(sign $((now - 360)) '{"x":1}')"
post_signed moved "t=$now,$(sign $((now - 360)) '{"x":1}' | sed 's/^t=[0-9]*,//')"
check $LINENO "a forged signature is caught" grep -qx 'forged badsig' "$work/hook.out"
check $LINENO "a fresh signature verifies" grep -qx 'fresh ok' "$work/hook.out"
check $LINENO "a replay six minutes late is refused" grep -qx 'stale stale' "$work/hook.out"
check $LINENO "a changed timestamp breaks the signature" grep -qx 'moved badsig' "$work/hook.out"
: >"$work/hook.out"

# ---------------------------------------------------------------- the events
"$adm" -c "$cnf" --quiet migrate
check $LINENO "a campaign with events" "$adm" -c "$cnf" campaign create relay --codes 100000 --events
"$adm" -c "$cnf" --quiet generate --campaign relay --count 3000 >/dev/null
sqldb "SELECT code FROM coupon_codes ORDER BY id" >"$work/codes"
head -n 500 "$work/codes" >"$work/codes1"
tail -n +501 "$work/codes" >"$work/codes2"

metrics_port=$(free_port)
start_relay() {
	"$relay" -c "$cnf" --id "$1" --amqp-url "amqp://guest:guest@127.0.0.1:$amqp_port/" \
		--webhook-url "$hook" --webhook-secret-file "$work/secret" --lease 3 --poll 50 \
		--retry-min 100 --retry-max 1000 --timeout 3000 --batch 50 $2 \
		2>>"$work/relay-$1.log" &
	pids="$pids $!"
	relay_pid=$!
}
backlog() { sqldb "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL"; }
drained() {
	local i
	for i in $(seq "$1"); do [ "$(backlog)" -eq 0 ] && return 0; sleep 0.25; done
	return 1
}
# Every event id of the outbox appears in FILE (ids, one a line) at least once.
all_arrived() { sqldb "SELECT event_id FROM outbox" | sort -u | comm -23 - "$1" | grep -c . | grep -qx 0; }
dups() { sort "$1" | uniq -d | grep -c . ; }

# A secret file others may read is refused at start, saying why.
install -m 644 "$work/secret" "$work/secret-open"
timeout 20 "$relay" -c "$cnf" --id open --webhook-url "$hook" \
	--webhook-secret-file "$work/secret-open" 2>"$work/open.err" >/dev/null
rc=$?
check $LINENO "a world-readable secret file stops the relay (exit $rc)" test "$rc" -eq 2
check $LINENO "and the log says to chmod it" grep -q 'chmod 600' "$work/open.err"

# Phase 1: two relays, nothing fails: every event exactly once at both sinks.
start_relay A "--metrics 127.0.0.1:$metrics_port"
relay_a=$relay_pid
start_relay B ""
relay_b=$relay_pid
check $LINENO "500 redemptions" test "$("$helpers/mkevents" "$cnf" 0 <"$work/codes1")" = 500
check $LINENO "phase 1 drains" drained 1200
consumer drain >"$work/amqp1"
awk '$2 == "ok" {print $1}' "$work/hook.out" >"$work/hook1"
: >"$work/hook.out"
check $LINENO "500 events in the outbox" test "$(sqldb 'SELECT COUNT(*) FROM outbox')" -eq 500
check $LINENO "all reached RabbitMQ" all_arrived "$(sort -u "$work/amqp1" >"$work/a1s"; echo "$work/a1s")"
check $LINENO "all reached the webhook" all_arrived "$(sort -u "$work/hook1" >"$work/h1s"; echo "$work/h1s")"
check $LINENO "exactly once to RabbitMQ with two relays ($(wc -l <"$work/amqp1"))" test "$(wc -l <"$work/amqp1")" -eq 500
check $LINENO "exactly once to the webhook ($(wc -l <"$work/hook1"))" test "$(wc -l <"$work/hook1")" -eq 500
check $LINENO "every signature verified" sh -c "! grep -q badsig '$work/hook.out'"
check $LINENO "both relays delivered" test "$(sqldb "SELECT COUNT(DISTINCT claimed_by) FROM outbox")" -eq 2

# Phase 2: events keep coming while relay A and then the broker are killed with
# SIGKILL, and the webhook answers 503 to every 7th request.
{ kill "$receiver_pid"; wait "$receiver_pid"; } 2>/dev/null
start_receiver 7
"$helpers/mkevents" "$cnf" 1500 <"$work/codes2" >"$work/made2" &
maker=$!
pids="$pids $maker"
sleep 1.5
{ kill -9 "$relay_a"; wait "$relay_a"; } 2>/dev/null
sleep 0.5
kill9_broker
sleep 1
start_relay A2 "--metrics 127.0.0.1:$metrics_port"
sleep 1
check $LINENO "the broker restarts after SIGKILL" start_broker
wait "$maker"
check $LINENO "2500 more redemptions" test "$(cat "$work/made2")" = 2500
check $LINENO "phase 2 drains" drained 2400
metrics=$(curl -s "http://127.0.0.1:$metrics_port/metrics")
consumer drain >"$work/amqp2"
cat "$work/amqp1" "$work/amqp2" | sort >"$work/amqp"
{ cat "$work/hook1"; awk '$2 == "ok" {print $1}' "$work/hook.out"; } | sort >"$work/hook"
check $LINENO "3000 events in the outbox" test "$(sqldb 'SELECT COUNT(*) FROM outbox')" -eq 3000
check $LINENO "none lost on the way to RabbitMQ" all_arrived "$(sort -u "$work/amqp" >"$work/as"; echo "$work/as")"
check $LINENO "none lost on the way to the webhook" all_arrived "$(sort -u "$work/hook" >"$work/hs"; echo "$work/hs")"
check $LINENO "every signature verified" sh -c "! grep -q badsig '$work/hook.out'"
check $LINENO "failures were counted: $(echo "$metrics" | grep -E '^coupon_relay_(retries|failures)_total')" \
	sh -c "echo '$metrics' | grep -qE '^coupon_relay_failures_total [1-9]'"
check $LINENO "retries are exported" sh -c "echo '$metrics' | grep -qE '^coupon_relay_retries_total [0-9]+$'"
check $LINENO "the backlog gauge is exported" sh -c "echo '$metrics' | grep -qE '^coupon_outbox_backlog [0-9]+$'"
check $LINENO "failures were recorded on the rows" test "$(sqldb 'SELECT COUNT(*) FROM outbox WHERE attempts > 0')" -gt 0
echo "phase 2: RabbitMQ got $(wc -l <"$work/amqp") messages for 3000 events ($(dups "$work/amqp") duplicated)," \
	"the webhook $(wc -l <"$work/hook") ($(dups "$work/hook") duplicated); $(($(date +%s) - t0)) s in all"

# Phase 3: a partner's imported code may hold a quote and a backslash; its event
# reaches the webhook as valid JSON with the code as it is stored.
check $LINENO "an external campaign with events" \
	"$adm" -c "$cnf" --quiet campaign create partner --external --events
printf 'code\n"Q""UO\\TE1"\n' >"$work/q.csv"
check $LINENO "the code is imported" "$adm" -c "$cnf" --quiet import --campaign partner "$work/q.csv"
check $LINENO "and redeemed" "$adm" -c "$cnf" --quiet code redeem 'Q"UO\TE1' --user u9
check $LINENO "phase 3 drains" drained 1200
qid=$(sqldb "SELECT o.event_id FROM outbox o JOIN campaigns k ON k.id = o.campaign_id WHERE k.name = 'partner'")
qbody=$(awk -v id="$qid" '$1 == id { sub(/^[^ ]* /, ""); print; exit }' "$work/hook.bodies")
check $LINENO "the webhook got the event: $qbody" test -n "$qid" -a -n "$qbody"
check $LINENO "as JSON with the code intact: $qbody" \
	test "$(printf '%s' "$qbody" | jq -r '.type + " " + .code')" = 'redeemed Q"UO\TE1'

gone() { ! kill -0 "$1" 2>/dev/null; }
kill "$relay_b"
check $LINENO "relay stops cleanly on SIGTERM" wait_until 300 gone "$relay_b"
[ "$fail" -eq 0 ] || tail -n 5 "$work"/relay-*.log >&2
done_tests
