#!/usr/bin/env bash
# coupon's connection to the database over TLS, against a private MariaDB started
# with a certificate from a CA made here on the fly: with ssl-ca in the option
# file coupon checks the server's certificate and host name; it connects when
# they match and refuses, saying why, when they do not.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
. "$top_srcdir/tests/crash/lib.sh"

command -v openssl >/dev/null || { echo "openssl is not installed" >&2; exit 99; }
tls=$(mktemp -d)
trap 'pdb_stop; rm -rf "$tls"' EXIT

# ca NAME: a self-signed CA. cert NAME CA SAN: a server certificate CA signed.
ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=coupon test $1" \
		-keyout "$tls/$1.key" -out "$tls/$1.pem" 2>/dev/null
}
cert() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$tls/$1.key" \
		-out "$tls/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$tls/$1.csr" -CA "$tls/$2.pem" -CAkey "$tls/$2.key" \
			-CAcreateserial -days 2 -extfile <(printf 'subjectAltName=%s\n' "$3") \
			-out "$tls/$1.pem" 2>/dev/null
}
check $LINENO "a CA" ca ca
check $LINENO "another CA" ca other
check $LINENO "a server certificate for 127.0.0.1" cert server ca "IP:127.0.0.1,DNS:localhost"
check $LINENO "one for another host name" cert elsewhere ca "DNS:db.invalid"
cp "$tls/server.pem" "$tls/live.pem"
cp "$tls/server.key" "$tls/live.key"

db_port=$(free_port) || exit 99
PDB_NET="--port=$db_port --bind-address=127.0.0.1 --ssl-ca=$tls/ca.pem --ssl-cert=$tls/live.pem --ssl-key=$tls/live.key"
pdb_start
trap 'pdb_stop; rm -rf "$tls"' EXIT
root() { mariadb --defaults-file="$COUPON_TEST_CONFIG" -N -B -e "$1"; }
check $LINENO "the server offers TLS" test "$(root "SELECT @@have_ssl")" = YES
pw=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
root "CREATE DATABASE coupon_tls; CREATE USER tls@'127.0.0.1' IDENTIFIED BY '$pw' REQUIRE SSL;
      GRANT ALL ON coupon_tls.* TO tls@'127.0.0.1'"

# cnf NAME EXTRA-LINES: an option file over TCP as the TLS-only user.
cnf() {
	printf '[coupon]\nhost = 127.0.0.1\nport = %s\nuser = tls\npassword = %s\ndatabase = coupon_tls\n%s\n' \
		"$db_port" "$pw" "$2" >"$tls/$1.cnf"
	chmod 600 "$tls/$1.cnf"
	echo "$tls/$1.cnf"
}
good=$(cnf good "ssl-ca = $tls/ca.pem")
expect_exit $LINENO 0 "$adm" -c "$good" --quiet migrate
expect_exit $LINENO 0 "$adm" -c "$good" campaign create tls --codes 1000
# The user is REQUIRE SSL, so the connections above were encrypted; without TLS it is refused.
expect_exit $LINENO 1 "$adm" -c "$(cnf plain "")" campaign list
check $LINENO "the server insists on TLS for this user" contains "$out" "Access denied"

expect_exit $LINENO 1 "$adm" -c "$(cnf wrongca "ssl-ca = $tls/other.pem")" campaign list
check $LINENO "a certificate from another CA is refused, saying why" contains "$out" "TLS to the database failed"
check $LINENO "and what must match" contains "$out" "signed by ssl-ca"

# The same server with a certificate for another name: the CA is right, the name not.
cp "$tls/elsewhere.pem" "$tls/live.pem"
cp "$tls/elsewhere.key" "$tls/live.key"
check $LINENO "the server takes the new certificate" root "FLUSH SSL"
expect_exit $LINENO 1 "$adm" -c "$good" campaign list
check $LINENO "a certificate for another host name is refused" contains "$out" "TLS to the database failed"
expect_exit $LINENO 0 "$adm" -c "$(cnf optout "ssl-ca = $tls/ca.pem
ssl-verify-server-cert = 0")" campaign list
check $LINENO "ssl-verify-server-cert = 0 turns the check off (encrypted, unverified)" contains "$out" "tls"
expect_exit $LINENO 2 "$adm" -c "$(cnf badbool "ssl-verify-server-cert = maybe")" campaign list
check $LINENO "a malformed switch is named" contains "$out" "ssl-verify-server-cert"

cp "$tls/server.pem" "$tls/live.pem"
cp "$tls/server.key" "$tls/live.key"
root "FLUSH SSL"
expect_exit $LINENO 0 "$adm" -c "$good" campaign list
check $LINENO "the right certificate again: connects" contains "$out" "tls"
done_tests
