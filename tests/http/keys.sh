#!/usr/bin/env bash
# API keys over HTTP through nginx: created with the secret shown once (stored
# only as its SHA-256), listed without secrets, revoked by id (and refused from
# then on); each change one audit row; redeem keys get 403; bad input a 400
# naming the field.
. "$top_srcdir/tests/http/lib.sh"
http_setup keys

key=$(make_key ops admin)
rkey=$(make_key till redeem)

api POST /api/v1/keys '{"name":"shop-7","scopes":"redeem"}'
expect $LINENO 201
secret=$(printf '%s' "$body" | sed -n 's/.*"secret":"\(cpk_[A-Za-z0-9_]*\)".*/\1/p')
kid=$(printf '%s' "$body" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
check $LINENO "the secret is in the answer" test "${#secret}" -eq 45
check $LINENO "which no cache keeps" has_header "Cache-Control: no-store"
check $LINENO "Location names the key" has_header "Location: /api/v1/keys/$kid"
check $LINENO "stored as its SHA-256 only" test "$(sqldb "SELECT COUNT(*) FROM api_keys
	WHERE id = $kid AND secret_sha256 = UNHEX(SHA2('$secret', 256))")" -eq 1
check $LINENO "one apikey.create row, without the secret" test "$(sqldb "SELECT COUNT(*) FROM audit_log
	WHERE action = 'apikey.create' AND object_id = $kid AND after_json NOT LIKE '%${secret:13}%'")" -eq 1

# The new key works, for its scope only.
key=$secret req GET /api/v1/healthz
key=$secret api POST /api/v1/validate '{"code":"NOPE-NOPE-NOPE"}'
check $LINENO "the new key is accepted: $status" test "$status" != 401
key=$secret api GET /api/v1/keys ''
expect $LINENO 403 forbidden

req GET /api/v1/keys -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the list has the key" contains "$body" "\"id\":$kid,\"name\":\"shop-7\""
check $LINENO "and never a secret" sh -c '! printf "%s" "$1" | grep -q cpk_' _ "$body"

# Bad input.
api POST /api/v1/keys '{"name":"x","scopes":"root"}'
expect $LINENO 400 invalid_argument
check $LINENO "a bad scope is named" contains "$body" '"field":"scopes"'
api POST /api/v1/keys '{"scopes":"redeem"}'
expect $LINENO 400 invalid_argument
check $LINENO "a missing name is named" contains "$body" '"field":"name"'
api POST /api/v1/keys '{"name":"","scopes":"redeem"}'
expect $LINENO 400 invalid_argument
check $LINENO "an empty name is named" contains "$body" '"field":"name"'
api POST /api/v1/keys '{"name":"shop-7","scopes":"admin"}'
expect $LINENO 409 already_exists
check $LINENO "refusals logged nothing" test "$(sqldb "SELECT COUNT(*) FROM audit_log WHERE action = 'apikey.create'")" -eq 3

# Revocation by id; a key named like another key's id is not that key.
api POST /api/v1/keys "{\"name\":\"$kid\",\"scopes\":\"redeem\"}"
expect $LINENO 201
req DELETE "/api/v1/keys/$kid" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the answer shows it revoked" matches "$body" '"revoked_at":"[0-9T:Z-]+"'
check $LINENO "key $kid is revoked" test "$(sqldb "SELECT COUNT(*) FROM api_keys WHERE id = $kid AND revoked_at IS NOT NULL")" -eq 1
check $LINENO "the key named '$kid' is not" test "$(sqldb "SELECT COUNT(*) FROM api_keys WHERE name = '$kid' AND revoked_at IS NULL")" -eq 1
check $LINENO "one apikey.revoke row for it" test "$(sqldb "SELECT COUNT(*) FROM audit_log
	WHERE action = 'apikey.revoke' AND object_id = $kid")" -eq 1
refused() { key=$secret api POST /api/v1/validate '{"code":"NOPE-NOPE-NOPE"}'; [ "$status" = 401 ]; }
check $LINENO "the revoked key is refused (within the second a key is cached)" wait_until 10 refused
req DELETE "/api/v1/keys/$kid" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "revoking again logs nothing" test "$(sqldb "SELECT COUNT(*) FROM audit_log WHERE action = 'apikey.revoke'")" -eq 1
req DELETE /api/v1/keys/999999 -H "Authorization: Bearer $key"
expect $LINENO 404 not_found
req DELETE /api/v1/keys/abc -H "Authorization: Bearer $key"
expect $LINENO 404 not_found

# Scope.
key=$rkey api POST /api/v1/keys '{"name":"sneaky","scopes":"admin"}'
expect $LINENO 403 forbidden
req GET /api/v1/keys -H "Authorization: Bearer $rkey"
expect $LINENO 403 forbidden
req DELETE "/api/v1/keys/$kid" -H "Authorization: Bearer $rkey"
expect $LINENO 403 forbidden
req GET /api/v1/keys
expect $LINENO 401

check $LINENO "coupon-fcgi logged no error" test "$(grep -c ' error: ' "$work/fcgi.log")" -eq 0
done_tests
