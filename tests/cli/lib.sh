# Sourced by the shell tests: a scratch database and helpers.
# Needs COUPON_TEST_CONFIG (./quickstart test sets it); skips without it by hand,
# fails without it under CI.

fail=0
checks=0
adm=$top_builddir/tui/couponadm

if [ -z "${COUPON_TEST_CONFIG:-}" ]; then
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
	sed "/^\[coupon\]/a database = $db" "$COUPON_TEST_CONFIG" >"$cnf"
	sql "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\`"
	trap 'sql "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1; rm -rf "$work"' EXIT
}

sql() {
	mariadb --defaults-file="$COUPON_TEST_CONFIG" -N -B -e "$1"
}

sqldb() {
	mariadb --defaults-file="$COUPON_TEST_CONFIG" -N -B -D "$db" -e "$1"
}

# check LINE DESCRIPTION COMMAND...: counts, reports the line on failure.
check() {
	local line=$1 what=$2
	shift 2
	checks=$((checks + 1))
	if ! "$@"; then
		echo "${0##*/}:$line: $what" >&2
		fail=$((fail + 1))
	fi
}

# expect_exit LINE CODE COMMAND...: runs COMMAND, output in $out, checks exit code.
expect_exit() {
	local line=$1 want=$2 rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	checks=$((checks + 1))
	if [ "$rc" -ne "$want" ]; then
		echo "${0##*/}:$line: '$*' exited $rc, expected $want; output: $out" >&2
		fail=$((fail + 1))
	fi
}

contains() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }

done_tests() {
	# A suite's own checks on what it leaves behind (tests/http/lib.sh: its logs).
	if declare -F check_logs >/dev/null; then check_logs; fi
	echo "${0##*/}: $checks checks, $fail failed"
	[ "$fail" -eq 0 ]
}
