# Sourced by the shell tests: a scratch database and helpers.
# Needs COUPON_TEST_CONFIG (./quickstart test sets it); skips without it by hand,
# fails without it under CI.

. "$top_srcdir/tests/check.sh"
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

