#!/usr/bin/env bash
# The systemd units (debian/*.service, *.socket) and what coupon-fcgi does for
# them: systemd-analyze verify, the socket handed over as systemd does it
# (LISTEN_FDS/LISTEN_PID, through systemd-socket-activate) serving a redemption
# through nginx, SIGHUP after a rotation, and log lines without a timestamp when
# standard error is the journal. systemd need not be PID 1.
. "$top_srcdir/tests/http/lib.sh"
need_nginx
activate=$(command -v systemd-socket-activate || true)
if [ -z "$activate" ] || ! command -v systemd-analyze >/dev/null; then
	if [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
		echo "systemd is not installed" >&2
		exit 99
	fi
	echo "SKIP: systemd-socket-activate or systemd-analyze missing"
	exit 77
fi
relay_bin=$top_builddir/relay/coupon-relay
scratch_db pkg_systemd
trap cleanup EXIT

# ------------------------------------------------------------ the unit files
# verify wants ExecStart to exist: the copies run the programs of this build.
mkdir -p "$work/units"
for u in coupon-fcgi.socket coupon-fcgi.service coupon-relay.service; do
	sed -e "s|^ExecStart=/usr/sbin/coupon-fcgi |ExecStart=$fcgi_bin |" \
	    -e "s|^ExecStart=/usr/sbin/coupon-relay |ExecStart=$relay_bin |" \
	    "$top_srcdir/debian/$u" >"$work/units/$u"
done
expect_exit $LINENO 0 systemd-analyze verify --man=no "$work"/units/*
check $LINENO "systemd-analyze verify says nothing: $out" test -z "$out"
for u in coupon-fcgi.service coupon-relay.service; do
	# Exposure 0 (locked down) to 10 (none); these must stay "OK" (below 2).
	expect_exit $LINENO 0 systemd-analyze security --offline=true --threshold=20 \
		"$work/units/$u"
	check $LINENO "$u: exposure below 2" matches "$out" "exposure level for $u: 1\."
	check $LINENO "$u: the hardening asked for" \
		grep -q '^ProtectSystem=strict' "$work/units/$u"
	for d in PrivateTmp NoNewPrivileges ProtectHome; do
		check $LINENO "$u: $d" grep -q "^$d=yes" "$work/units/$u"
	done
	check $LINENO "$u: a user of its own" grep -q '^User=_coupon' "$work/units/$u"
done

# ------------------------------------------------------------ socket activation
"$adm" -c "$cnf" --quiet migrate >/dev/null || exit 99
key=$(make_key shop redeem)
cid=$(make_campaign socket 3)
set -- $(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id")
c1=$1 c2=$2
port=$(free_port) || exit 99
base=http://127.0.0.1:$port
# As systemd does with coupon-fcgi.socket: the socket is bound first and
# coupon-fcgi started at the first connection with it as fd 3.
"$activate" -l "$work/fcgi.sock" -- "$fcgi_bin" -c "$cnf" --threads 2 --access-log \
	--set listen="$work/ignored.sock" --log-file "$work/fcgi.log" 2>"$work/activate.err" &
fcgi_pid=$!
wait_until 40 test -S "$work/fcgi.sock" || { cat "$work/activate.err" >&2; exit 99; }
start_nginx
api POST /api/v1/redeem "{\"code\":\"$c1\",\"user_id\":\"u1\"}"
expect $LINENO 200
log=$(cat "$work/fcgi.log")
check $LINENO "it says where the socket came from: $log" contains "$log" "on the socket from systemd"
check $LINENO "a listen setting is overridden, and says so" contains "$log" "ignoring listen = $work/ignored.sock"
check $LINENO "and not opened" test ! -e "$work/ignored.sock"
check $LINENO "the launcher's process became coupon-fcgi" \
	grep -q coupon-fcgi "/proc/$fcgi_pid/cmdline"

# ------------------------------------------------------------ rotation and SIGHUP
mv "$work/fcgi.log" "$work/fcgi.log.1"
kill -HUP "$fcgi_pid"
check $LINENO "SIGHUP reopens the log" wait_until 50 test -f "$work/fcgi.log"
api POST /api/v1/redeem "{\"code\":\"$c2\",\"user_id\":\"u2\"}"
expect $LINENO 200
check $LINENO "the next request is logged in the new file" \
	wait_until 50 grep -q ' POST redeem 200 ' "$work/fcgi.log"
check $LINENO "the rotated file has only the first" \
	test "$(grep -c ' POST redeem 200 ' "$work/fcgi.log.1")" = 1
stop_servers
check $LINENO "the socket is systemd's to remove, not coupon-fcgi's" test -S "$work/fcgi.sock"

# ------------------------------------------------------------ what it refuses
rm -f "$work"/s?.sock
expect_exit $LINENO 1 "$activate" -l "$work/s1.sock" -l "$work/s2.sock" -- "$fcgi_bin" -c "$cnf" &
sleep 0.5 # two sockets: the launcher waits for a connection, then execs
curl -s --unix-socket "$work/s1.sock" http://x/ >/dev/null 2>&1
wait $!
# shellcheck disable=SC2016
expect_exit $LINENO 1 bash -c 'LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" -c "$1" 3</dev/null 4</dev/null' \
	"$fcgi_bin" "$cnf"
check $LINENO "two sockets are refused: $out" contains "$out" "LISTEN_FDS=2: coupon-fcgi takes exactly one socket"
# shellcheck disable=SC2016
expect_exit $LINENO 1 bash -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -c "$1" 3</dev/null' \
	"$fcgi_bin" "$cnf"
check $LINENO "a descriptor that is no socket is refused: $out" \
	contains "$out" "descriptor 3 is not a listening stream socket"
expect_exit $LINENO 1 env LISTEN_PID=1 LISTEN_FDS=1 "$fcgi_bin" -c "$cnf" </dev/null
check $LINENO "another process's LISTEN_FDS are not ours: $out" \
	contains "$out" "no --listen, no socket from systemd"

# ------------------------------------------------------------ the journal
# journald connects stderr to a stream and names it in JOURNAL_STREAM; a file
# stands in for the stream (same device and inode test).
journal() { # journal FILE CMD...: runs CMD with stderr to FILE, named as the journal
	local f=$1
	shift
	: >"$f"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$f") "$@" 2>>"$f" </dev/null
}
# shellcheck disable=SC2016
journal "$work/j1" bash -c 'LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" -c "$1"' "$fcgi_bin" "$cnf"
check $LINENO "coupon-fcgi on the journal: a priority, no timestamp: $(cat "$work/j1")" \
	grep -q '^<3>error: socket activation: LISTEN_FDS=2' "$work/j1"
: >"$work/other"
# shellcheck disable=SC2016
JOURNAL_STREAM=$(stat -c '%d:%i' "$work/other") \
	bash -c 'LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" -c "$1"' "$fcgi_bin" "$cnf" 2>"$work/j2"
check $LINENO "stderr elsewhere keeps the timestamp: $(cat "$work/j2")" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z coupon-fcgi\[[0-9]+\] error: socket activation' "$work/j2"
journal "$work/j3" "$relay_bin" -c "$cnf"
check $LINENO "coupon-relay on the journal: no timestamp: $(cat "$work/j3")" \
	grep -q '^nothing to deliver to' "$work/j3"
JOURNAL_STREAM=$(stat -c '%d:%i' "$work/other") "$relay_bin" -c "$cnf" 2>"$work/j4"
check $LINENO "coupon-relay elsewhere keeps it: $(cat "$work/j4")" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+Z coupon-relay: nothing to deliver to' "$work/j4"

done_tests
