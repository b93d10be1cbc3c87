#!/usr/bin/env bash
# A private 3-node MariaDB Galera Cluster on 127.0.0.1, for tests/galera and
# bench/galera. Never the shared server of ./quickstart.
#
#   tests/galera/cluster.sh start [N]   a fresh cluster of N nodes (default 3) in a
#                                       new directory under /tmp; prints the directory
#   tests/galera/cluster.sh stop DIR    stops the cluster and removes DIR
#
# Sourced (by tests/galera/scaleout.sh), it offers the same as functions:
# gc_start [N], gc_stop, gc_kill I (kill -9 node I), gc_rejoin I (--wsrep-recover,
# then restart: the node comes back by IST), gc_sql I SQL, gc_wait_synced I,
# gc_cnf I (an option file whose [coupon] group reaches node I over TCP).
#
# Why it looks like this:
# - The servers run as the `mysql` user: a joiner started by root cannot receive
#   an rsync state transfer (the rsync daemon it starts refuses root's files).
#   So the directory is under /tmp, world-traversable, the data dirs owned by
#   mysql; mariadbd is started by root with --user=mysql.
# - Node 1 alone is initialised (mariadb-install-db) and bootstrapped with
#   --wsrep-new-cluster; nodes 2 and 3 start with empty data dirs and get a full
#   copy by rsync SST. A node killed later comes back by IST from the gcache.
# - Four ports a node, all on loopback: SQL, group communication (gmcast), IST
#   and SST. Failure detection is shortened (a node silent for 3 s is suspected,
#   6 s dropped, instead of 5 and 15 s) so that a killed node stalls the
#   survivors' commits briefly; shorter still makes a busy 2-core machine
#   partition itself.
# - wsrep_retry_autocommit=0: a certification failure of an autocommit statement
#   reaches the client as error 1213 instead of being retried by the server, so
#   the tests see the core retry it. The settings that matter in production are
#   the same as here: binlog_format=ROW, innodb_autoinc_lock_mode=2,
#   innodb_flush_log_at_trx_commit=1 (see doc/OPERATIONS.md, "Deploying across machines").

GC_PROVIDER=${GC_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
GC_PASSWORD=coupon-galera-test
gc_dir=
gc_nodes=3

gc_need() {
	local m
	for m in mariadbd mariadb-install-db rsync; do
		command -v "$m" >/dev/null 2>&1 || [ -x "/usr/sbin/$m" ] || { echo "$m is not installed"; return 1; }
	done
	[ -f "$GC_PROVIDER" ] || { echo "galera-4 is not installed ($GC_PROVIDER)"; return 1; }
	id mysql >/dev/null 2>&1 || { echo "there is no mysql user"; return 1; }
	[ "$(id -u)" -eq 0 ] || { echo "needs root (the servers run as the mysql user)"; return 1; }
}

# Twelve consecutive free ports from a random base; node I uses base+4(I-1)+0..3.
gc_pick_ports() {
	local base i p ok
	for i in $(seq 1 50); do
		base=$((20000 + ($(od -An -N2 -tu2 /dev/urandom) % 4000) * 10))
		ok=1
		for p in $(seq "$base" $((base + 11))); do
			ss -Htan "sport = :$p" 2>/dev/null | grep -q . && { ok=0; break; }
		done
		[ "$ok" -eq 1 ] && { echo "$base"; return 0; }
	done
	return 1
}

gc_port() { echo $(($(cat "$gc_dir/base") + 4 * ($1 - 1) + $2)); }

gc_address() {
	local i addr=
	for i in $(seq 1 "$gc_nodes"); do
		addr="$addr${addr:+,}127.0.0.1:$(gc_port "$i" 1)"
	done
	echo "gcomm://$addr"
}

# The server's options for node I.
gc_opts() {
	local i=$1 d=$gc_dir/node$1
	echo "--no-defaults --datadir=$d/data --socket=$d/mysqld.sock --port=$(gc_port "$i" 0)
	--bind-address=127.0.0.1 --pid-file=$d/mysqld.pid --user=mysql --skip-name-resolve
	--binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2
	--innodb-flush-log-at-trx-commit=1 --innodb-buffer-pool-size=128M
	--innodb-log-file-size=48M --max-connections=400 --max-prepared-stmt-count=100000
	--local-infile=1 --wsrep-on=ON --wsrep-provider=$GC_PROVIDER
	--wsrep-cluster-name=coupon-test --wsrep-cluster-address=$(gc_address)
	--wsrep-node-name=node$i --wsrep-node-address=127.0.0.1
	--wsrep-node-incoming-address=127.0.0.1:$(gc_port "$i" 0)
	--wsrep-sst-method=rsync --wsrep-sst-receive-address=127.0.0.1:$(gc_port "$i" 3)
	--wsrep-slave-threads=4 --wsrep-retry-autocommit=0
	--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:$(gc_port "$i" 1);ist.recv_addr=127.0.0.1:$(gc_port "$i" 2);gcache.size=128M;evs.keepalive_period=PT1S;evs.inactive_check_period=PT1S;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT6S"
}

# gc_mariadbd I [extra options...]: runs the server of node I in the background.
gc_mariadbd() {
	local i=$1
	shift
	# shellcheck disable=SC2046
	PATH=$PATH:/usr/sbin mariadbd $(gc_opts "$i") "$@" </dev/null >/dev/null 2>&1 &
	echo $! >"$gc_dir/node$i/pid"
}

gc_sql() {
	local i=$1
	shift
	mariadb --no-defaults --socket="$gc_dir/node$i/mysqld.sock" --user=root -N -B -e "$*"
}

gc_status() { gc_sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2; }

gc_synced() {
	test "$(gc_status "$1" wsrep_local_state_comment)" = Synced &&
		test "$(gc_status "$1" wsrep_ready)" = ON
}

gc_alive() { kill -0 "$(cat "$gc_dir/node$1/pid" 2>/dev/null)" 2>/dev/null; }

# gc_wait_synced I [SECONDS]: until node I is a synced member of the primary component.
gc_wait_synced() {
	local i=$1 n=$((${2:-120} * 4))
	while ! gc_synced "$i"; do
		n=$((n - 1))
		if [ "$n" -le 0 ] || ! gc_alive "$i"; then
			echo "galera: node $i did not become synced; its log:" >&2
			tail -25 "$gc_dir/node$i/error.log" >&2
			return 1
		fi
		sleep 0.25
	done
}

gc_node_dir() {
	mkdir -p "$gc_dir/node$1/data"
	chown -R mysql:mysql "$gc_dir/node$1"
}

# The option file of node I: the mariadb client by socket as root, coupon over TCP.
gc_write_cnf() {
	local i=$1
	cat >"$gc_dir/node$i.cnf" <<EOF
[client]
socket = $gc_dir/node$i/mysqld.sock
user = root

[coupon]
host = 127.0.0.1
port = $(gc_port "$i" 0)
user = coupon
password = $GC_PASSWORD
connect-timeout = 2
read-timeout = 20
write-timeout = 20
EOF
	chmod 600 "$gc_dir/node$i.cnf" # it holds a password: coupon refuses it otherwise
}

gc_cnf() { echo "$gc_dir/node$1.cnf"; }

gc_start() {
	local i
	gc_nodes=${1:-3}
	gc_need >&2 || return 1
	gc_dir=$(mktemp -d /tmp/coupon-galera.XXXXXX)
	chmod 755 "$gc_dir"
	gc_pick_ports >"$gc_dir/base" || { echo "galera: no free ports" >&2; return 1; }
	echo "$gc_nodes" >"$gc_dir/nodes"
	for i in $(seq 1 "$gc_nodes"); do
		gc_node_dir "$i"
		gc_write_cnf "$i"
	done
	mariadb-install-db --no-defaults --datadir="$gc_dir/node1/data" --user=mysql \
		--auth-root-authentication-method=socket --skip-test-db \
		>"$gc_dir/install.log" 2>&1 || { tail -20 "$gc_dir/install.log" >&2; return 1; }
	gc_mariadbd 1 --log-error="$gc_dir/node1/error.log" --wsrep-new-cluster
	gc_wait_synced 1 || return 1
	# Replicated to the joiners with the state transfer.
	gc_sql 1 "CREATE USER 'coupon'@'127.0.0.1' IDENTIFIED BY '$GC_PASSWORD';
		GRANT ALL ON *.* TO 'coupon'@'127.0.0.1'" || return 1
	# The joiners together: the donor serves one at a time, the other retries.
	for i in $(seq 2 "$gc_nodes"); do
		gc_mariadbd "$i" --log-error="$gc_dir/node$i/error.log"
	done
	for i in $(seq 2 "$gc_nodes"); do
		gc_wait_synced "$i" || return 1
	done
}

# kill -9: what a power cut or the OOM killer does to one node.
gc_kill() {
	local pid
	pid=$(cat "$gc_dir/node$1/pid")
	kill -9 "$pid" 2>/dev/null
	# Reaped quietly when it is this shell's child; else it goes by itself.
	wait "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# After a kill: recover the node's position from InnoDB (--wsrep-recover), then
# start it there; the cluster sends what it missed by IST. Prints the position.
gc_rejoin() {
	local i=$1 log=$gc_dir/node$1/recover.log pos
	rm -f "$log"
	touch "$log" && chown mysql:mysql "$log"
	# shellcheck disable=SC2046
	PATH=$PATH:/usr/sbin mariadbd $(gc_opts "$i") --log-error="$log" --wsrep-recover \
		</dev/null >/dev/null 2>&1
	pos=$(sed -n 's/.*WSREP: Recovered position: *\([^ ]*\).*/\1/p' "$log" | tail -1)
	[ -n "$pos" ] || { tail -20 "$log" >&2; return 1; }
	gc_mariadbd "$i" --log-error="$gc_dir/node$i/error.log" --wsrep-start-position="$pos"
	echo "$pos"
}

gc_stop() {
	local i pid
	[ -n "$gc_dir" ] && [ -d "$gc_dir" ] || return 0
	gc_nodes=$(cat "$gc_dir/nodes" 2>/dev/null || echo 3)
	for i in $(seq "$gc_nodes" -1 1); do
		pid=$(cat "$gc_dir/node$i/pid" 2>/dev/null) || continue
		kill -TERM "$pid" 2>/dev/null
	done
	for i in $(seq "$gc_nodes" -1 1); do
		pid=$(cat "$gc_dir/node$i/pid" 2>/dev/null) || continue
		n=600
		while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do
			sleep 0.1
			n=$((n - 1))
		done
		kill -9 "$pid" 2>/dev/null
	done
	if [ -n "${COUPON_TEST_KEEP:-}" ]; then
		echo "kept: galera cluster directory $gc_dir" >&2
	else
		rm -rf "$gc_dir"
	fi
	gc_dir=
}

if [ "${0##*/}" = cluster.sh ]; then
	case "${1:-}" in
	start)
		t0=$(date +%s.%N)
		gc_start "${2:-3}" || { gc_stop; exit 1; }
		echo "$gc_dir"
		echo "galera: $gc_nodes nodes synced in $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }") s; SQL ports:" \
			$(for i in $(seq 1 "$gc_nodes"); do gc_port "$i" 0; done) >&2
		;;
	stop)
		[ -n "${2:-}" ] && [ -f "$2/nodes" ] || { echo "usage: cluster.sh stop DIR" >&2; exit 2; }
		gc_dir=$2
		gc_stop
		;;
	*)
		echo "usage: cluster.sh start [N] | cluster.sh stop DIR" >&2
		exit 2
		;;
	esac
fi
