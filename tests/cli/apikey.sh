#!/usr/bin/env bash
# couponadm apikey: the secret is printed once; only its SHA-256 is stored.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db apikey

expect_exit $LINENO 0 "$adm" -c "$cnf" migrate
secret=$("$adm" -q -c "$cnf" apikey create --name shop --scope redeem)
check $LINENO "secret printed" contains "$secret" "cpk_"
check $LINENO "secret has its length" test "${#secret}" -eq 45
check $LINENO "stored as SHA-256 only" test \
	"$(sqldb "SELECT COUNT(*) FROM api_keys WHERE secret_sha256 = UNHEX(SHA2('$secret', 256))")" -eq 1
expect_exit $LINENO 1 "$adm" -c "$cnf" apikey create --name shop --scope admin
check $LINENO "name taken" contains "$out" "exists"
expect_exit $LINENO 2 "$adm" -c "$cnf" apikey create --name x --scope root
check $LINENO "unknown scope named" contains "$out" "root"
expect_exit $LINENO 2 "$adm" -c "$cnf" apikey create --name x
expect_exit $LINENO 0 "$adm" -c "$cnf" apikey create --name ops --scope redeem,admin
expect_exit $LINENO 0 "$adm" -c "$cnf" apikey list
check $LINENO "list names the keys" contains "$out" "shop"
check $LINENO "list shows scopes" contains "$out" "redeem,admin"
check $LINENO "list never shows a secret" sh -c "! echo '$out' | grep -q '$secret'"
expect_exit $LINENO 0 "$adm" -c "$cnf" apikey revoke shop
check $LINENO "revoked in the database" test \
	"$(sqldb "SELECT COUNT(*) FROM api_keys WHERE name = 'shop' AND revoked_at IS NOT NULL")" -eq 1
expect_exit $LINENO 1 "$adm" -c "$cnf" apikey revoke nosuch
check $LINENO "unknown key named" contains "$out" "nosuch"
expect_exit $LINENO 2 "$adm" -c "$cnf" apikey frob
done_tests
