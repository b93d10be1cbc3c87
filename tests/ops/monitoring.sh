#!/usr/bin/env bash
# The monitoring files in monitoring/: the alert rules pass promtool's check and
# their unit tests; live /metrics of coupon-fcgi (through nginx) and coupon-relay
# pass promtool's lint; every metric the rules and the dashboard query is one
# that those scrapes export; coupon_db_up and the generation gauges tell the truth.
. "$top_srcdir/tests/check.sh"

mon=$top_srcdir/monitoring
promtool=$(command -v promtool || true)
jq=$(command -v jq || true)
if [ -z "$promtool" ] || [ -z "$jq" ]; then
	if [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
		echo "promtool or jq is missing (./quickstart test installs prometheus and jq)" >&2
		exit 99
	fi
	echo "SKIP: promtool (Debian: prometheus) or jq is not installed"
	exit 77
fi

# Metric names in PromQL expressions, one expression or line of one per input
# line: strings, label matchers, ranges and grouping clauses dropped, then every
# identifier that is not a function call or a keyword.
metric_names() {
	sed -E -e 's/"([^"\\]|\\.)*"//g' -e 's/\{[^}]*\}//g' -e 's/\[[^]]*\]//g' \
		-e 's/(^|[^A-Za-z0-9_])(by|without|on|ignoring|group_left|group_right)[[:space:]]*\([^)]*\)/\1/g' |
		grep -oE '[A-Za-z_:][A-Za-z0-9_:]*[[:space:]]*\(?' | grep -v '($' | tr -d ' \t' |
		grep -vxE 'and|or|unless|bool|offset' | sort -u
}

# The expr of every rule in a rules file, block scalars (expr: |) included.
rule_exprs() {
	awk '
	block { match($0, /^[[:space:]]*/)
		if (ind < 0) ind = RLENGTH
		if (NF == 0 || RLENGTH >= ind) { print; next }
		block = 0 }
	/^[[:space:]]*expr:/ { sub(/^[[:space:]]*expr:[[:space:]]*/, "")
		if ($0 == "|" || $0 == ">") { block = 1; ind = -1; next }
		print }' "$1"
}

# promtool check metrics prints nothing and exits 0 for clean exposition text.
lint_clean() {
	local out
	out=$("$promtool" check metrics <"$1" 2>&1) && [ -z "$out" ] && return 0
	echo "$out" >&2
	return 1
}

gauge() { sed -n "s/^$1 //p" "$2"; }

# ------------------------------------------------------------ the rules by themselves
check $LINENO "promtool check rules" "$promtool" check rules "$mon/coupon.rules.yml"
check $LINENO "promtool test rules" "$promtool" test rules "$mon/coupon.rules.test.yml"
alerts=$(grep -c '^ *- alert:' "$mon/coupon.rules.yml")
for a in $(sed -n 's/^ *- alert: *//p' "$mon/coupon.rules.yml"); do
	check $LINENO "$a is unit-tested firing" grep -q "alertname: $a\$" "$mon/coupon.rules.test.yml"
	check $LINENO "$a is unit-tested silent" \
		awk -v a="$a" '/alertname:/ { cur = $2 } cur == a && /exp_alerts: \[\]/ { f = 1 } END { exit !f }' \
		"$mon/coupon.rules.test.yml"
done
check $LINENO "six alerts or more" test "$alerts" -ge 6
check $LINENO "the dashboard is JSON" "$jq" -e '.panels | length > 0' "$mon/coupon-dashboard.json" >/dev/null

# The files alone need no server: a failure here is one wherever the test runs.
[ "$fail" -eq 0 ] || done_tests

# ------------------------------------------------------------ live scrapes
. "$top_srcdir/tests/http/lib.sh"
http_setup ops
key=$(make_key ops admin)
cid=$(make_campaign ops 5)
code=$(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid LIMIT 1")
# Traffic, so that the counters that show only once counted have series.
api POST /api/v1/redeem "{\"code\":\"$code\",\"user_id\":\"u1\"}"
expect $LINENO 200
api POST /api/v1/validate '{"code":"0000-0000-0000"}'
api POST /api/v1/validate '{"code":"!"}'
expect $LINENO 400
req GET /metrics
expect $LINENO 200
printf '%s\n' "$body" >"$work/fcgi.prom"
check $LINENO "coupon-fcgi's /metrics passes promtool check metrics" lint_clean "$work/fcgi.prom"
check $LINENO "the database is up" test "$(gauge coupon_db_up "$work/fcgi.prom")" = 1
check $LINENO "no batch runs" test "$(gauge coupon_generation_running_batches "$work/fcgi.prom")" = 0

# A batch that stopped ten minutes ago (couponadm killed): the stall is visible.
sqldb "INSERT INTO generation_batches (campaign_id, method, requested, generated, status, started_at, updated_at)
       VALUES ($cid, 'random', 1000, 400, 'running', NOW(6) - INTERVAL 11 MINUTE, NOW(6) - INTERVAL 10 MINUTE)"
req GET /metrics
printf '%s\n' "$body" >"$work/fcgi-stalled.prom"
check $LINENO "one batch runs" test "$(gauge coupon_generation_running_batches "$work/fcgi-stalled.prom")" = 1
check $LINENO "it lacks 600 codes" test "$(gauge coupon_generation_remaining_codes "$work/fcgi-stalled.prom")" = 600
age=$(gauge coupon_generation_stalest_progress_age_seconds "$work/fcgi-stalled.prom")
check $LINENO "its last progress is 600 s old, not $age" awk -v a="$age" 'BEGIN { exit !(a >= 600 && a < 700) }'

# coupon-relay's own listener, with a webhook nobody answers.
mport=$(free_port) || exit 99
hport=$(free_port) || exit 99
printf 'secret\n' >"$work/hook.secret"
chmod 600 "$work/hook.secret" # the relay refuses a secret others can read
"$top_builddir/relay/coupon-relay" -c "$cnf" --webhook-url "http://127.0.0.1:$hport/" \
	--webhook-secret-file "$work/hook.secret" --metrics "127.0.0.1:$mport" 2>"$work/relay.log" &
relay_pid=$!
trap 'kill "$relay_pid" 2>/dev/null; wait "$relay_pid" 2>/dev/null; cleanup' EXIT
wait_until 50 curl -sf -o "$work/relay.prom" "http://127.0.0.1:$mport/metrics" || cat "$work/relay.log" >&2
check $LINENO "coupon-relay's /metrics passes promtool check metrics" lint_clean "$work/relay.prom"

# ------------------------------------------------------------ every queried name is exported
grep -hv '^#' "$work/fcgi.prom" "$work/relay.prom" | sed -E 's/[{ ].*//' | sort -u >"$work/exported"
"$jq" -r '.. | objects | select(has("expr")) | .expr' "$mon/coupon-dashboard.json" | metric_names >"$work/dashboard"
rule_exprs "$mon/coupon.rules.yml" | metric_names >"$work/rules"
check $LINENO "the dashboard queries metrics" test -s "$work/dashboard"
check $LINENO "the rules query metrics" test "$(wc -l <"$work/rules")" -ge 6
for n in $(comm -23 "$work/dashboard" "$work/exported"); do
	check $LINENO "the dashboard queries $n, which coupon does not export" false
done
for n in $(comm -23 "$work/rules" "$work/exported"); do
	check $LINENO "a rule queries $n, which coupon does not export" false
done

# ------------------------------------------------------------ the database away
stop_servers
start_fcgi --set "socket=$work/no-such.sock" --set host=localhost
start_nginx
req GET /metrics
expect $LINENO 200
printf '%s\n' "$body" >"$work/fcgi-down.prom"
check $LINENO "the database is down" test "$(gauge coupon_db_up "$work/fcgi-down.prom")" = 0
check $LINENO "no generation figures without a database" \
	test -z "$(gauge coupon_generation_running_batches "$work/fcgi-down.prom")"
check $LINENO "the scrape without a database passes promtool check metrics" \
	lint_clean "$work/fcgi-down.prom"

done_tests
