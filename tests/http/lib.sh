# Sourced by the HTTP tests: a scratch database, coupon-fcgi on a unix socket and
# a real nginx on 127.0.0.1 running the locations of www/nginx.conf, all in a
# temporary directory that the exit trap removes with everything it started.
. "$top_srcdir/tests/cli/lib.sh"

fcgi_bin=${COUPON_FCGI:-$top_builddir/fcgi/coupon-fcgi}
mkcodes=${COUPON_MKCODES:-$top_builddir/tests/http/mkcodes}
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
fcgi_pid=
nginx_pid=

need_nginx() {
	if [ ! -x "$nginx_bin" ]; then
		if [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
			echo "nginx is not installed (./quickstart test installs it)" >&2
			exit 99
		fi
		echo "SKIP: nginx is not installed"
		exit 77
	fi
}


stop_servers() {
	[ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null
	[ -n "$fcgi_pid" ] && kill -TERM "$fcgi_pid" 2>/dev/null
	[ -n "$nginx_pid" ] && wait "$nginx_pid" 2>/dev/null
	[ -n "$fcgi_pid" ] && wait "$fcgi_pid" 2>/dev/null
	nginx_pid=
	fcgi_pid=
}

cleanup() {
	stop_servers
	if [ -n "${COUPON_TEST_KEEP:-}" ]; then
		echo "kept: database $db, directory $work" >&2
		return
	fi
	sql "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1
	rm -rf "$work"
}

# http_setup NAME [coupon-fcgi options...]: database, coupon-fcgi, nginx.
http_setup() {
	local name=$1
	shift
	need_nginx
	scratch_db "http_$name"
	trap cleanup EXIT
	"$adm" -c "$cnf" --quiet migrate >/dev/null || { echo "migrate failed" >&2; exit 99; }
	port=$(free_port) || { echo "no free port" >&2; exit 99; }
	base=http://127.0.0.1:$port
	printf 'site = %s\n' "$base" >>"$cnf"
	start_fcgi "$@"
	start_nginx
}

# COUPON_TEST_GROUP_COMMIT=on|off sets group commit (else coupon-fcgi's default, on).
start_fcgi() {
	rm -f "$work/fcgi.sock"
	"$fcgi_bin" -c "$cnf" --listen "$work/fcgi.sock" --threads "${FCGI_THREADS:-4}" \
		--log-file "$work/fcgi.log" --set "health-listen=$work/fcgi.sock.health" \
		${COUPON_TEST_GROUP_COMMIT:+--set "group-commit=$COUPON_TEST_GROUP_COMMIT"} "$@" &
	fcgi_pid=$!
	wait_until 300 test -S "$work/fcgi.sock" || { cat "$work/fcgi.log" >&2; exit 99; }
}

# nginx with the example's locations (www/nginx.conf) on this test's port.
start_nginx() {
	mkdir -p "$work/nginx"
	sh "$top_srcdir/www/nginx-local-conf" "$port" "$work/fcgi.sock" "$top_srcdir/www" \
		"$work/nginx" "${NGINX_WORKERS:-1}" >"$work/nginx/nginx.conf"
	"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log" &
	nginx_pid=$!
	wait_until 300 fcgi_answers ||
		{ cat "$work/nginx/error.log" "$work/fcgi.log" >&2; exit 99; }
}

# coupon-fcgi answers through nginx (healthy or not).
fcgi_answers() {
	curl -s "$base/healthz" 2>/dev/null | grep -Eq '"database":"ok"|"db_unavailable"'
}

# req METHOD PATH [curl args...]: $status, $body and $headers of the answer.
req() {
	local method=$1 path=$2
	shift 2
	status=$(curl -s -X "$method" -o "$work/body" -D "$work/headers" -w '%{http_code}' \
		"$@" "$base$path") || status=000
	body=$(cat "$work/body")
	headers=$(tr -d '\r' <"$work/headers")
}

# api METHOD PATH JSON [curl args...]: a JSON request with the test's key.
api() {
	local method=$1 path=$2 json=$3
	shift 3
	req "$method" "$path" -H "Authorization: Bearer $key" \
		-H 'Content-Type: application/json' --data-binary "$json" "$@"
}

# expect LINE STATUS [ERROR_CODE]: the last answer's status and error code.
expect() {
	local line=$1 want=$2 code=${3:-}
	checks=$((checks + 1))
	if [ "$status" != "$want" ]; then
		echo "${0##*/}:$line: status $status, expected $want; body: $body" >&2
		fail=$((fail + 1))
		return
	fi
	if [ -n "$code" ]; then
		checks=$((checks + 1))
		case "$body" in
		*"\"code\":\"$code\""*) ;;
		*)
			echo "${0##*/}:$line: expected error code $code; body: $body" >&2
			fail=$((fail + 1))
			;;
		esac
	fi
}

has_header() { printf '%s\n' "$headers" | grep -qi "^$1"; }

# make_key NAME SCOPE: an API key made by couponadm; its secret on stdout (and
# in $work/secrets, which no log may contain: check_logs).
make_key() {
	"$adm" -c "$cnf" apikey create --name "$1" --scope "$2" 2>/dev/null | tee -a "$work/secrets"
}

# Every log the test leaves (coupon-fcgi's, nginx's): printable lines only (no CR,
# ESC or other control byte a request could inject) and no API key, password or
# whole code of the test's campaigns. done_tests calls it.
check_logs() {
	local f
	[ -n "${work:-}" ] || return 0
	[ -f "$cnf" ] && sed -n 's/^password *= *//p' "$cnf" >>"$work/secrets"
	for f in $(find "$work" -name '*.log' -type f 2>/dev/null); do
		check $LINENO "$f: a control character in the log" \
			test "$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$f")" = 0
		[ -s "$work/secrets" ] || continue
		check $LINENO "$f: an API key, password or code in the log: $(LC_ALL=C grep -oFf "$work/secrets" "$f" | head -n 3 | tr '\n' ' ')" \
			test "$(LC_ALL=C grep -cFf "$work/secrets" "$f")" = 0
	done
}

# make_campaign NAME COUNT [SQL column assignments]: a campaign with COUNT codes
# of the default format; prints the campaign id. The codes: sqldb "SELECT code ...".
make_campaign() {
	local name=$1 count=$2 extra=${3:-}
	# One statement: a front end must never see the campaign without its EXTRA.
	sqldb "INSERT INTO campaigns SET name = '$name', planned_codes = 1000000,
	       alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ', body_length = 12${extra:+, $extra}"
	cid=$(sqldb "SELECT id FROM campaigns WHERE name = '$name'")
	sqldb "INSERT INTO generation_batches (campaign_id, method, requested, generated, status)
	       VALUES ($cid, 'random', $count, $count, 'complete')"
	bid=$(sqldb "SELECT MAX(id) FROM generation_batches WHERE campaign_id = $cid")
	"$mkcodes" "$count" | tee -a "$work/secrets" | awk -v c="$cid" -v b="$bid" \
		'BEGIN { printf "INSERT INTO coupon_codes (code, campaign_id, batch_id) VALUES " }
		 { printf "%s(\"%s\", %s, %s)", (NR > 1 ? "," : ""), $1, c, b }
		 END { print ";" }' >"$work/codes.sql"
	mariadb --defaults-file="$COUPON_TEST_CONFIG" -D "$db" <"$work/codes.sql"
	echo "$cid"
}

# matches TEXT REGEX: grep -E on the text.
matches() { printf '%s\n' "$1" | grep -Eq "$2"; }
