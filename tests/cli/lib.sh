# Sourced by the shell tests: a scratch database and helpers.
# Needs COUPON_TEST_CONFIG (./quickstart test sets it); skips without it by hand,
# fails without it under CI. A test that needs no database sets no_db=1 first.

. "$top_srcdir/tests/check.sh"
adm=$top_builddir/tui/couponadm

if [ -z "${COUPON_TEST_CONFIG:-}" ] && [ -z "${no_db:-}" ]; then
	if [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
		echo "COUPON_TEST_CONFIG is not set; run the tests through ./quickstart test" >&2
		exit 99
	fi
	echo "SKIP: COUPON_TEST_CONFIG is not set (./quickstart test sets it)"
	exit 77
fi

# A fresh database and an option file that points at it.
scratch_db() {
	db="cpt_$1_$$"
	work=$(mktemp -d)
	cnf=$work/coupon.cnf
	# umask: the copy may hold a password, and coupon refuses such a file others can read.
	(umask 077 && sed "/^\[coupon\]/a database = $db" "$COUPON_TEST_CONFIG" >"$cnf")
	sql "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\`"
	trap 'sql "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1; rm -rf "$work"' EXIT
}

sql() {
	mariadb --defaults-file="$COUPON_TEST_CONFIG" -N -B -e "$1"
}

sqldb() {
	mariadb --defaults-file="$COUPON_TEST_CONFIG" -N -B -D "$db" -e "$1"
}

# wait_until TRIES COMMAND...: polls COMMAND every 0.1 s, TRIES times at most.
wait_until() {
	local tries=$1
	shift
	while ! "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# random_delay LO HI: a random LO..HI milliseconds, in seconds for sleep.
random_delay() {
	local ms=$(($(od -An -N2 -tu2 /dev/urandom) % ($2 - $1 + 1) + $1))
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# run_ms COMMAND...: how many milliseconds COMMAND took (its output is dropped).
run_ms() {
	local t0
	t0=$(now_ms)
	"$@" >/dev/null 2>&1
	echo $(($(now_ms) - t0))
}

# A port below the kernel's ephemeral range (outgoing connections take theirs from
# it, so a port there that is free now may be a client's a moment later), and not
# in use by any socket at all.
free_port() {
	local p i low
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$low" -gt 20100 ] || low=32768
	for i in $(seq 1 50); do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % (low - 20000)))
		ss -Htan "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}
