#!/usr/bin/env bash
# Every program's --version: coupon's version, then each library it links with
# the version its headers gave at build time (checked against pkg-config) and the
# one the library reports when it runs.
. "$top_srcdir/tests/check.sh"
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")

# field OUTPUT LIBRARY N: column N (2 built with, 3 running) of the library's row.
field() {
	printf '%s\n' "$1" | awk -v lib="$2" -v n="$3" '
		substr($0, 1, 21) ~ "^" lib " *$" {
			f[2] = substr($0, 22, 24); f[3] = substr($0, 47)
			sub(/ +$/, "", f[2]); print f[n]; exit }'
}

# library LINE OUTPUT NAME PKG: the row exists; built with = pkg-config's version
# where PKG has a .pc file; running = built with, or "(no version call)" for PKG "-".
library() {
	local line=$1 out=$2 name=$3 pkg=$4 built running want
	built=$(field "$out" "$name" 2)
	running=$(field "$out" "$name" 3)
	check "$line" "$name has a row with a version" test -n "$built"
	if want=$(pkg-config --modversion "$pkg" 2>/dev/null); then
		check "$line" "$name built with '$built', pkg-config says $want" \
			eval 'case "$built" in "$want" | *" $want" | *" $want "*) ;; *) false ;; esac'
	fi
	case $name in
	libfcgi) check "$line" "libfcgi has no version call, not '$running'" test "$running" = "(no version call)" ;;
	libcurl) check "$line" "libcurl runs '$running'" eval 'case "$running" in "libcurl/$built"*) ;; *) false ;; esac' ;;
	*) check "$line" "$name runs '$running', built with '$built'" test "$running" = "$built" ;;
	esac
}

# run LINE PROGRAM: --version exits 0 and names the program and coupon's version,
# without reading any option file.
run() {
	local line=$1 prog=$2 rc=0
	out=$(COUPON_CONFIG=/nonexistent "$top_builddir/$prog" --version 2>&1) || rc=$?
	check "$line" "${prog##*/} --version exits 0, not $rc: $out" test "$rc" -eq 0
	check "$line" "${prog##*/} --version names it: $(printf '%s' "$out" | head -1)" \
		test "$(printf '%s\n' "$out" | head -1)" = "${prog##*/} (coupon) $version"
}

db_pc=libmariadb
pkg-config --exists libmariadb 2>/dev/null || db_pc=mariadb

run $LINENO tui/couponadm
library $LINENO "$out" "MariaDB Connector/C" $db_pc
library $LINENO "$out" "OpenSSL libcrypto" libcrypto
library $LINENO "$out" ncursesw ncursesw

run $LINENO fcgi/coupon-fcgi
library $LINENO "$out" "MariaDB Connector/C" $db_pc
library $LINENO "$out" "OpenSSL libcrypto" libcrypto
library $LINENO "$out" libfcgi fcgi
library $LINENO "$out" cJSON libcjson

run $LINENO relay/coupon-relay
library $LINENO "$out" "MariaDB Connector/C" $db_pc
library $LINENO "$out" "OpenSSL libcrypto" libcrypto
library $LINENO "$out" librabbitmq librabbitmq
library $LINENO "$out" libcurl libcurl

done_tests
