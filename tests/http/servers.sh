#!/usr/bin/env bash
# The lighttpd and Apache examples (www/lighttpd.conf, www/apache.conf) serve the
# API, the form and health through coupon-fcgi, each on a private instance, and
# stream an import larger than their cap for other requests to it. A
# server that is not installed is skipped with a message (./quickstart test
# installs both).
. "$top_srcdir/tests/http/lib.sh"
scratch_db http_servers
trap cleanup EXIT
"$adm" -c "$cnf" --quiet migrate >/dev/null || exit 99
key=$(make_key ops admin)
cid=$(make_campaign fall 10)
set -- $(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id")
c1=$1 c2=$2 c3=$3 c4=$4
"$adm" -c "$cnf" --quiet campaign create partner --external >/dev/null || exit 99
ext=$(sqldb "SELECT id FROM campaigns WHERE name = 'partner'")
# Apache's children run as www-data: they must reach the socket.
chmod 755 "$work"
start_fcgi --listen-mode 0666
server_pid=

stop_server() {
	[ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	server_pid=
}
trap 'stop_server; cleanup' EXIT

# drive NAME CODE CODE: the same requests through whichever server runs on $base.
drive() {
	req GET /healthz
	expect $LINENO 200
	check $LINENO "$1: healthz from coupon-fcgi" contains "$body" '"database":"ok"'
	api POST /api/v1/redeem "{\"code\":\"$2\",\"user_id\":\"u1\"}"
	expect $LINENO 200
	check $LINENO "$1: the Authorization header reaches coupon-fcgi" contains "$body" '"result":"redeemed"'
	api POST /api/v1/redeem "{\"code\":\"$2\",\"user_id\":\"u2\"}"
	expect $LINENO 409 already_redeemed
	req POST /api/v1/redeem -H 'Content-Type: application/json' --data '{}'
	expect $LINENO 401 unauthorized
	req GET "/api/v1/campaigns/$cid" -H "Authorization: Bearer $key"
	expect $LINENO 200
	req POST /redeem -H "Origin: $base" --data "code=$3&user=ann" -H 'Accept: application/json'
	check $LINENO "$1: the form works (site = $base)" test "$status" = 200 -o "$status" = 403
	req GET /metrics
	expect $LINENO 200
	# 20,000 codes of 64 bytes: 1.3 MB, over the 1 MiB other requests may send.
	seq -f "${1:0:1}%063g" 1 20000 >"$work/$1.csv"
	req POST "/api/v1/campaigns/$ext/imports" -H "Authorization: Bearer $key" \
		-H 'Content-Type: text/csv' --data-binary "@$work/$1.csv"
	expect $LINENO 202
	check $LINENO "$1: the import is stored: $body" contains "$body" '"generated":20000,"status":"complete"'
	check $LINENO "$1: every byte reached coupon-fcgi: $body" contains "$body" "\"sha256\":\"$(sha256sum "$work/$1.csv" | cut -d' ' -f1)\""
}

port=$(free_port) || exit 99
base=http://127.0.0.1:$port
if command -v lighttpd >/dev/null; then
	mkdir -p "$work/lighttpd"
	{
		echo "server.port = $port"
		echo 'server.bind = "127.0.0.1"'
		echo "server.pid-file = \"$work/lighttpd/pid\""
		echo "server.errorlog = \"$work/lighttpd/error.log\""
		sed -e "s|/run/coupon/fcgi.sock|$work/fcgi.sock|" \
		    -e "s|/usr/local/share/coupon/www|$top_srcdir/www|" "$top_srcdir/www/lighttpd.conf"
	} >"$work/lighttpd/lighttpd.conf"
	expect_exit $LINENO 0 lighttpd -tt -f "$work/lighttpd/lighttpd.conf"
	lighttpd -D -f "$work/lighttpd/lighttpd.conf" &
	server_pid=$!
	wait_until 300 fcgi_answers
	drive lighttpd "$c1" "$c2"
	stop_server
else
	echo "lighttpd is not installed: its example is not checked" >&2
fi

port=$(free_port) || exit 99
base=http://127.0.0.1:$port
apache=$(command -v apache2 || echo /usr/sbin/apache2)
if [ -x "$apache" ]; then
	mods=/usr/lib/apache2/modules
	mkdir -p "$work/apache"
	{
		echo "ServerRoot $work/apache"
		echo "Listen 127.0.0.1:$port"
		echo "ServerName 127.0.0.1"
		echo "PidFile $work/apache/httpd.pid"
		echo "ErrorLog $work/apache/error.log"
		echo "DefaultRuntimeDir $work/apache"
		echo "User www-data"
		echo "Group www-data"
		for m in mpm_event authz_core authz_host proxy proxy_fcgi dir; do
			echo "LoadModule ${m}_module $mods/mod_$m.so"
		done
		sed -e "s|/run/coupon/fcgi.sock|$work/fcgi.sock|g" \
		    -e "s|/usr/local/share/coupon/www|$top_srcdir/www|g" "$top_srcdir/www/apache.conf"
	} >"$work/apache/httpd.conf"
	expect_exit $LINENO 0 "$apache" -t -f "$work/apache/httpd.conf"
	"$apache" -X -f "$work/apache/httpd.conf" &
	server_pid=$!
	wait_until 300 fcgi_answers
	drive apache "$c3" "$c4"
	stop_server
else
	echo "Apache is not installed: its example is not checked" >&2
fi
done_tests
