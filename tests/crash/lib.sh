# Sourced by the crash tests: a PRIVATE MariaDB in a temporary directory, which
# the test may kill -9 and restart at will (never the shared server of
# ./quickstart), and the HTTP harness of tests/http/lib.sh pointed at it: the
# harness finds its server through COUPON_TEST_CONFIG, so pdb_start only has to
# point that variable at the private server's option file.
#
# PDB_FLUSH=0 (innodb_flush_log_at_trx_commit) makes commits non-durable: the
# crash test must then fail, which shows it can. PDB_NET replaces
# --skip-networking with the server's network (and TLS) options.
#
# Like every server test, these run under ./quickstart test (COUPON_TEST_CONFIG
# set) and skip in a by-hand build without it.
. "$top_srcdir/tests/http/lib.sh"

pdb_dir=
pdb_pid=

need_mariadb() {
	if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
		echo "SKIP: mariadbd is not installed"
		exit 77
	fi
}

pdb_ping() {
	mariadb-admin --no-defaults --socket="$pdb_dir/mysqld.sock" --user=root \
		--connect-timeout=2 ping >/dev/null 2>&1
}

# Starts (or, after a kill, restarts with crash recovery) the private server.
pdb_run() {
	local me
	me=$(id -un)
	PATH=$PATH:/usr/sbin mariadbd --no-defaults --datadir="$pdb_dir/data" \
		--socket="$pdb_dir/mysqld.sock" ${PDB_NET:---skip-networking} --pid-file="$pdb_dir/mysqld.pid" \
		--log-error="$pdb_dir/error.log" --user="$me" --skip-name-resolve \
		--innodb-flush-log-at-trx-commit="${PDB_FLUSH:-1}" --sync-binlog=1 --innodb-buffer-pool-size=256M \
		--innodb-log-file-size=64M --max-connections=500 --local-infile=1 \
		--max-prepared-stmt-count=100000 </dev/null >/dev/null 2>&1 &
	pdb_pid=$!
	wait_until 600 pdb_ping || { tail -30 "$pdb_dir/error.log" >&2; exit 99; }
}

pdb_install() {
	mariadb-install-db --no-defaults --datadir="$pdb_dir/data" --user="$(id -un)" \
		--auth-root-authentication-method=socket --skip-test-db >>"$pdb_dir/install.log" 2>&1
}

# A fresh private server; COUPON_TEST_CONFIG names its option file from now on.
pdb_start() {
	need_mariadb
	pdb_dir=$(mktemp -d /tmp/coupon-crash-db.XXXXXX)
	trap pdb_stop EXIT
	# Once more on failure: a rare bootstrap failure is the host's, not ours.
	pdb_install || { rm -rf "$pdb_dir/data"; pdb_install; } ||
		{ grep -v '^$' "$pdb_dir/install.log" | head -30 >&2; exit 99; }
	pdb_run
	cat >"$pdb_dir/test.cnf" <<EOF
[client]
socket = $pdb_dir/mysqld.sock
user = $(id -un)

[coupon]
socket = $pdb_dir/mysqld.sock
user = $(id -un)
EOF
	COUPON_TEST_CONFIG=$pdb_dir/test.cnf
	export COUPON_TEST_CONFIG
}

# kill -9: what a power cut or the OOM killer does.
pdb_kill() {
	kill -9 "$pdb_pid" 2>/dev/null
	wait "$pdb_pid" 2>/dev/null
	pdb_pid=
}

pdb_stop() {
	if [ -n "$pdb_pid" ]; then
		kill -TERM "$pdb_pid" 2>/dev/null
		wait "$pdb_pid" 2>/dev/null
	fi
	pdb_pid=
	[ -n "$pdb_dir" ] && [ -z "${COUPON_TEST_KEEP:-}" ] && rm -rf "$pdb_dir"
}

# http_setup on the private server; the exit trap stops everything, server last.
crash_setup() {
	pdb_start
	http_setup "$@"
	trap 'cleanup; pdb_stop' EXIT
}
