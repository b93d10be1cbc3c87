#!/usr/bin/env bash
# Imports through nginx: an external campaign created with "format":{...}, a CSV
# body streamed in (202 with the batch, whose progress the batch endpoint
# shows), duplicates, a malformed line named, bodies over import-max (413), the
# wrong content type (415), the admin scope; and redeeming the imported codes
# as typed, case and dashes ignored as the campaign says.
. "$top_srcdir/tests/http/lib.sh"
http_setup import --set import-max=4096 --set rate-limit=4

key=$(make_key ops admin)
rkey=$(make_key till redeem)
csv() { req POST "$1" -H "Authorization: Bearer ${3:-$key}" -H 'Content-Type: text/csv' --data-binary "@$2"; }

api POST /api/v1/campaigns '{"name":"partner","format":{"external":true,"case_sensitive":false,"ignore_separators":true}}'
expect $LINENO 201
check $LINENO "the format says external: $body" contains "$body" '"external":true,"case_sensitive":false,"ignore_separators":true'
cid=$(printf '%s' "$body" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
api POST /api/v1/campaigns '{"name":"bad","format":{"external":true,"colour":1}}'
expect $LINENO 400 invalid_argument
check $LINENO "the field is named: $body" contains "$body" '"field":"format.colour"'

printf 'code,expires_at,metadata\nGAME-KEY-0001,,"{""sku"":""x""}"\ngame-key-0002,2031-01-01,\nGAMEKEY0001,,\n' >"$work/a.csv"
echo "GAME-KEY-0001" >>"$work/secrets"
csv "/api/v1/campaigns/$cid/imports?on_duplicate=skip" "$work/a.csv"
expect $LINENO 202
check $LINENO "Location names the batch" has_header "Location: /api/v1/batches/[0-9]"
check $LINENO "2 codes, 1 duplicate at line 4: $body" contains "$body" '"generated":2,"status":"complete"'
check $LINENO "duplicate lines: $body" contains "$body" '"duplicates":1,"duplicate_lines":[4]'
check $LINENO "the body's SHA-256: $body" contains "$body" "\"sha256\":\"$(sha256sum "$work/a.csv" | cut -d' ' -f1)\""
bid=$(printf '%s' "$body" | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
req GET "/api/v1/batches/$bid" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the batch shows the import: $body" contains "$body" '"method":"import"'
check $LINENO "and its lines: $body" contains "$body" '"lines":4'

# Redeemed as typed: any case, without dashes.
key=$rkey api POST /api/v1/redeem '{"code":"gamekey0001","user_id":"u1"}'
expect $LINENO 200
check $LINENO "the stored form: $body" contains "$body" '"code":"GAMEKEY0001"'
key=$rkey api POST /api/v1/redeem '{"code":"GAME-KEY-0001","user_id":"u2"}'
expect $LINENO 409 already_redeemed
key=$rkey api POST /api/v1/validate '{"code":"Game Key 0002"}'
expect $LINENO 200

# Failures: duplicates refused by line, a malformed line, caps, types, scope.
printf 'NEW-1\nGAMEKEY0002\n' >"$work/dup.txt"
csv "/api/v1/campaigns/$cid/imports" "$work/dup.txt"
expect $LINENO 409 duplicate_code
check $LINENO "line 2: $body" contains "$body" 'line 2: the code is a duplicate'
printf 'code\nOK-1\n"OK-2\n' >"$work/bad.csv"
csv "/api/v1/campaigns/$cid/imports" "$work/bad.csv"
expect $LINENO 400 invalid_import
check $LINENO "line 3: $body" contains "$body" 'line 3: broken CSV quote'
key=$rkey api POST /api/v1/validate '{"code":"OK-1"}'
expect $LINENO 404 unknown_code
check $LINENO "nothing of the failed imports stored" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE code IN ('NEW1', 'OK1')")" = 0
head -c 5000 /dev/zero | tr '\0' 'A' | fold -w 50 >"$work/big.txt"
csv "/api/v1/campaigns/$cid/imports" "$work/big.txt"
expect $LINENO 413 body_too_large
req POST "/api/v1/campaigns/$cid/imports" -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/json' --data-binary '{"code":"X"}'
expect $LINENO 415 unsupported_media_type
csv "/api/v1/campaigns/$cid/imports" "$work/a.csv" "$rkey"
expect $LINENO 403 forbidden
csv "/api/v1/campaigns/$cid/imports?on_duplicate=maybe" "$work/a.csv"
expect $LINENO 400 invalid_argument
csv "/api/v1/campaigns/999999/imports" "$work/a.csv"
expect $LINENO 404 not_found
# Guessing external codes is rate limited as guessing ours is.
for i in 1 2 3 4 5; do
	key=$rkey api POST /api/v1/redeem "{\"code\":\"GAME-KEY-99$i\",\"user_id\":\"guesser\"}"
done
expect $LINENO 429 rate_limited
check $LINENO "Retry-After" has_header "Retry-After: [0-9]"
check $LINENO "audited" test "$(sqldb "SELECT COUNT(*) FROM audit_log WHERE action = 'import.start'")" -ge 3

# A partner's code may hold a quote and a backslash: every reply stays valid JSON.
printf 'code\n"Q""UO\\TE1"\n' >"$work/q.csv"
echo 'Q"UO\TE1' >>"$work/secrets"
csv "/api/v1/campaigns/$cid/imports" "$work/q.csv"
expect $LINENO 202
key=$rkey api POST /api/v1/redeem '{"code":"q\"uo\\te1","user_id":"u9"}'
expect $LINENO 200
check $LINENO "the reply is JSON with the code escaped: $body" test \
	"$(printf '%s' "$body" | jq -r .code)" = 'Q"UO\TE1'
req GET "/api/v1/codes/$(printf '%s' 'Q"UO\TE1' | jq -sRr @uri)" -H "Authorization: Bearer $key"
expect $LINENO 200
check $LINENO "the lookup too: $body" test "$(printf '%s' "$body" | jq -r .display)" = 'Q"UO\TE1'

done_tests
