#!/usr/bin/env bash
# Hostile input through nginx: oversized, slow, truncated and chunked bodies,
# wrong content types, deeply nested JSON, huge numbers, NUL bytes, invalid
# UTF-8, header injection, SQL-injection strings, path traversal. Every case
# must get a clean 4xx (from coupon-fcgi, or from nginx where nginx answers
# first), coupon-fcgi must stay alive and healthy, and the database must not
# change (checksums of every table a request could touch, before and after).
. "$top_srcdir/tests/crash/lib.sh"
rawsend=${COUPON_RAWSEND:-$top_builddir/tests/crash/rawsend}
# The failed-lookup limit would turn later cases into 429s: out of the way here
# (tests/http/api.sh covers it). tests/crash/hostile6.sh runs the same cases
# with the default limits over IPv6 loopback: there a 429 is a clean answer too.
if [ -n "${HOSTILE_IPV6:-}" ]; then
	http_setup hostile
else
	http_setup hostile --set rate-limit=1000000
fi

# nginx gives up on a stalled client after 60 s by default: 2 s here, so the
# stalled cases get their 408 within the test. Everything else is www/nginx.conf.
kill -TERM "$nginx_pid"
wait "$nginx_pid" 2>/dev/null
sed -i 's/^http {$/http {\n\tclient_body_timeout 2s;\n\tclient_header_timeout 2s;/' \
	"$work/nginx/nginx.conf"
if [ -n "${HOSTILE_IPV6:-}" ]; then
	sed -i "s/listen 127.0.0.1:$port;/listen [::1]:$port;/" "$work/nginx/nginx.conf"
	base="http://[::1]:$port"
	sed -i "s|^site = .*|site = $base|" "$cnf"
	export RAWSEND_IPV6=1
	kill -TERM "$fcgi_pid"
	wait "$fcgi_pid" 2>/dev/null
	start_fcgi
fi
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log" &
nginx_pid=$!
wait_until 300 fcgi_answers || { cat "$work/nginx/error.log" >&2; exit 99; }

key=$(make_key shop redeem,admin)
cid=$(make_campaign hostile 50)
good=$(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id LIMIT 1")
unknown=$("$mkcodes" 1)
tables="coupon_codes campaigns campaign_user_usage code_events code_exports generation_batches outbox"
# api_keys without last_used_at, which a verified key legitimately touches.
checksum() {
	sqldb "CHECKSUM TABLE $(echo $tables | sed 's/ /, /g')" | awk '{print $2}' | tr '\n' ' '
	sqldb "SELECT MD5(GROUP_CONCAT(id, name, key_prefix, HEX(secret_sha256), scopes,
	       IFNULL(revoked_at, '-') ORDER BY id)) FROM api_keys"
}
before=$(checksum)
fpid=$fcgi_pid
cases=0

# After every case: the status expected (an extended regex), coupon-fcgi alive.
judge() {
	local line=$1 want=$2 what=$3
	cases=$((cases + 1))
	checks=$((checks + 1))
	# With the real limits, a refusal for too many failures is as clean an answer.
	[ -n "${HOSTILE_IPV6:-}" ] && want="$want|429"
	if ! printf '%s\n' "$status" | grep -Eqx "$want"; then
		echo "${0##*/}:$line: $what: status $status, expected $want; body: $(printf '%.300s' "$body")" >&2
		fail=$((fail + 1))
	fi
	check "$line" "$what: coupon-fcgi died" kill -0 "$fpid"
}

# hostile LINE WANT WHAT PATH [curl args...]: a request made by curl.
hostile() {
	local line=$1 want=$2 what=$3 path=$4
	shift 4
	req POST "$path" "$@"
	judge "$line" "$want" "$what"
}

# json LINE WANT WHAT BODY_FILE [curl args...]: a JSON redeem with the key. (nginx
# refuses a second Authorization header, and takes the first Content-Type: cases
# about those headers use hostile.)
json() {
	local line=$1 want=$2 what=$3 file=$4
	shift 4
	hostile "$line" "$want" "$what" /api/v1/redeem -H "Authorization: Bearer $key" \
		-H 'Content-Type: application/json' --data-binary "@$file" "$@"
}

# raw LINE WANT WHAT FILE [rawsend options...]: bytes on a socket, as they are.
raw() {
	local line=$1 want=$2 what=$3 file=$4
	shift 4
	body=$("$rawsend" "$@" "$port" "$file" 2>&1)
	status=$(printf '%s\n' "$body" | head -n 1)
	judge "$line" "$want" "$what"
}

# A request head for rawsend: METHOD PATH then header lines, CRLF-terminated.
head_of() {
	printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n' "$1" "$2"
	printf 'Authorization: Bearer %s\r\n' "$key"
}

# Percent-encodes every byte.
urlenc() { printf '%s' "$1" | od -An -tx1 -v | tr -s ' \n' ' ' | sed 's/ $//; s/ /%/g'; }
n=0
body_file() { n=$((n + 1)); printf '%s' "$1" >"$work/b$n"; echo "$work/b$n"; }

# ------------------------------------------------------------ oversized
head -c 20000 /dev/zero | tr '\0' 'A' | sed "s/^/{\"code\":\"/; s/\$/\",\"user_id\":\"u\"}/" >"$work/big"
json $LINENO 413 "body over body-max (16 KiB)" "$work/big"
check $LINENO "413 keeps the API's error shape" contains "$body" '"code":"body_too_large"'
head -c 2000000 /dev/zero | tr '\0' 'A' >"$work/huge"
json $LINENO 413 "body over nginx's client_max_body_size" "$work/huge"
check $LINENO "nginx's 413 keeps the API's error shape" contains "$body" '"code":"body_too_large"'
# a long code and field values, within the body cap
json $LINENO 400 "code of 5000 characters" "$(body_file "{\"code\":\"$(head -c 5000 /dev/zero | tr '\0' '7')\",\"user_id\":\"u\"}")"
json $LINENO 400 "user_id of 1000 characters" "$(body_file "{\"code\":\"$unknown\",\"user_id\":\"$(head -c 1000 /dev/zero | tr '\0' 'u')\"}")"
json $LINENO 400 "order_id of 1000 characters" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\",\"order_id\":\"$(head -c 1000 /dev/zero | tr '\0' 'o')\"}")"

# ------------------------------------------------------------ slow, truncated, chunked
ok_json="{\"code\":\"$unknown\",\"user_id\":\"slow\"}"
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' "${#ok_json}" "$ok_json"; } >"$work/slow"
raw $LINENO 404 "a body sent a byte every 30 ms (reaches coupon-fcgi whole)" "$work/slow" -H -n 1 -d 30 -t 20
raw $LINENO 404 "a request sent 16 bytes every 5 ms" "$work/slow" -n 16 -d 5 -t 20
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"code":"%s"' "$unknown"; } >"$work/trunc"
raw $LINENO 000 "a body shorter than its Content-Length, then silence (nginx: 408, closed)" "$work/trunc" -t 10
raw $LINENO '400|000' "a body shorter than its Content-Length, then the client hangs up" "$work/trunc" -c -t 10
printf 'POST /api/v1/redeem HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl' >"$work/trunchead"
raw $LINENO 000 "a head cut short, then silence (nginx: 408, closed)" "$work/trunchead" -t 10
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'; printf '%x\r\n%s\r\n0\r\n\r\n' "${#ok_json}" "$ok_json"; } >"$work/chunked"
raw $LINENO 404 "a chunked body (nginx passes it with a length)" "$work/chunked"
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'; printf 'zz\r\n%s\r\n0\r\n\r\n' "$ok_json"; } >"$work/badchunk"
raw $LINENO 400 "a chunk size that is not hex" "$work/badchunk"
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'; printf '7fffffffffffffff\r\n%s' "$ok_json"; } >"$work/hugechunk"
raw $LINENO '4[0-9][0-9]' "a chunk of 2^63 bytes" "$work/hugechunk"
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'; printf '%x\r\n%s\r\n' "${#ok_json}" "$ok_json"; } >"$work/nolast"
raw $LINENO 000 "a chunked body without its last chunk (nginx: 408, closed)" "$work/nolast" -t 10
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n' "${#ok_json}"; printf '%x\r\n%s\r\n0\r\n\r\n' "${#ok_json}" "$ok_json"; } >"$work/clte"
raw $LINENO 400 "both Content-Length and Transfer-Encoding (smuggling)" "$work/clte"
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{"a":1}'; } >"$work/twocl"
raw $LINENO 400 "two Content-Length headers" "$work/twocl"
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nContent-Length: -1\r\n\r\n{}'; } >"$work/negcl"
raw $LINENO 400 "a negative Content-Length" "$work/negcl"
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nContent-Length: 99999999999999999999999\r\n\r\n{}'; } >"$work/bigcl"
raw $LINENO '4[0-9][0-9]' "a Content-Length beyond 64 bits" "$work/bigcl"

# ------------------------------------------------------------ content types
ok_body="{\"code\":\"$good\",\"user_id\":\"u\"}"
for ct in 'text/plain' 'application/x-www-form-urlencoded' 'multipart/form-data; boundary=x' \
	'' 'application/jsonx' 'application/xml' 'text/json' "$(printf 'application/json\001')" \
	'application/json, text/plain'; do
	hostile $LINENO 415 "content type '$ct' to the JSON API" /api/v1/redeem \
		-H "Authorization: Bearer $key" -H "Content-Type: $ct" --data-binary "$ok_body"
done
hostile $LINENO 415 "JSON to the customer form" /redeem -H "Origin: $base" -H 'Content-Type: application/json' --data-binary "{\"code\":\"$good\",\"user\":\"u\"}"
hostile $LINENO 415 "XML to the customer form" /redeem -H "Origin: $base" -H 'Content-Type: text/xml' --data-binary "<code>$good</code>"

# ------------------------------------------------------------ JSON structure
json $LINENO 400 "nesting 10,000 deep" "$(body_file "$(head -c 10000 /dev/zero | tr '\0' '[')")"
json $LINENO 400 "objects nested 2,000 deep" "$(body_file "$(yes '{"a":' | head -n 2000 | tr -d '\n')1$(head -c 2000 /dev/zero | tr '\0' '}')")"
json $LINENO 400 "nesting inside a field" "$(body_file "{\"code\":$(head -c 3000 /dev/zero | tr '\0' '['),\"user_id\":\"u\"}")"
json $LINENO 400 "a top-level array" "$(body_file "[{\"code\":\"$good\",\"user_id\":\"u\"}]")"
json $LINENO 400 "a top-level string" "$(body_file '"code"')"
json $LINENO 400 "an empty body" "$(body_file '')"
json $LINENO 400 "trailing garbage" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\"}xyz")"
json $LINENO 400 "two objects" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\"}{}")"
json $LINENO 400 "a duplicate key" "$(body_file "{\"code\":\"$unknown\",\"code\":\"$good\",\"user_id\":\"u\"}")"
json $LINENO 400 "the code as an object" "$(body_file "{\"code\":{\"\$ne\":null},\"user_id\":\"u\"}")"
json $LINENO 400 "the code as an array" "$(body_file "{\"code\":[\"$good\"],\"user_id\":\"u\"}")"
json $LINENO 400 "the code as a number" "$(body_file '{"code":12345678901234,"user_id":"u"}')"
json $LINENO 400 "the code as true" "$(body_file '{"code":true,"user_id":"u"}')"
json $LINENO 400 "the code as null" "$(body_file '{"code":null,"user_id":"u"}')"
json $LINENO 400 "an unknown field" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\",\"admin\":true}")"
json $LINENO 400 "an unterminated string" "$(body_file "{\"code\":\"$good")"
json $LINENO 400 "a bad escape" "$(body_file '{"code":"\x41","user_id":"u"}')"
json $LINENO 400 "a lone \\u escape" "$(body_file '{"code":"\u12","user_id":"u"}')"

# ------------------------------------------------------------ numbers
for ttl in 1e400 -1 0 1.5 99999999999999999999999 18446744073709551617 86401 NaN Infinity \
	'"60"' 0x10 '[]' '{}'; do
	hostile $LINENO 400 "reserve with ttl $ttl" /api/v1/reserve -H "Authorization: Bearer $key" \
		-H 'Content-Type: application/json' --data-binary "{\"code\":\"$unknown\",\"user_id\":\"u\",\"ttl\":$ttl}"
done
json $LINENO 400 "a number of 10,000 digits" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\",\"n\":$(head -c 10000 /dev/zero | tr '\0' '9')}")"
hostile $LINENO 400 "batch count 1e308" /api/v1/campaigns/$cid/batches -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/json' --data-binary '{"count":1e308}'
hostile $LINENO 400 "batch count -1" /api/v1/campaigns/$cid/batches -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/json' --data-binary '{"count":-1}'
hostile $LINENO 400 "batch count 2^64" /api/v1/campaigns/$cid/batches -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/json' --data-binary '{"count":18446744073709551616}'
req GET "/api/v1/campaigns/99999999999999999999999999" -H "Authorization: Bearer $key"
judge $LINENO '40[04]' "a campaign id beyond 64 bits"
req GET "/api/v1/batches/-1" -H "Authorization: Bearer $key"
judge $LINENO '40[04]' "a negative batch id"

# ------------------------------------------------------------ NUL bytes, UTF-8, control characters
printf '{"code":"%s\000","user_id":"u"}' "$good" >"$work/nul1"
json $LINENO 400 "a raw NUL in the code" "$work/nul1"
printf '{"code":"%s","user_id":"u\000x"}' "$good" >"$work/nul2"
json $LINENO 400 "a raw NUL in user_id" "$work/nul2"
printf '{"code":"%s","user_id":"u"}\000garbage' "$good" >"$work/nul3"
json $LINENO 400 "a NUL after the object" "$work/nul3"
json $LINENO 400 "an escaped NUL in the code" "$(body_file "{\"code\":\"$good\\u0000\",\"user_id\":\"u\"}")"
json $LINENO 400 "an escaped NUL in user_id" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\\u0000admin\"}")"
json $LINENO 400 "an escaped NUL in order_id" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\",\"order_id\":\"\\u0000\"}")"
json $LINENO 400 "a newline in user_id" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\\nX-Injected: 1\"}")"
json $LINENO 400 "an escape character in user_id" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\\u001b[31m\"}")"
for bytes in '\377' '\300\257' '\355\240\200' '\364\220\200\200' '\342\202' '\200' '\370\210\200\200\200'; do
	printf "{\"code\":\"$good\",\"user_id\":\"u$bytes\"}" >"$work/utf8"
	json $LINENO 400 "invalid UTF-8 ($bytes) in user_id" "$work/utf8"
done
printf '{"code":"%s\377","user_id":"u"}' "$good" >"$work/utf8c"
json $LINENO 400 "invalid UTF-8 in the code" "$work/utf8c"
json $LINENO 400 "a lone surrogate escape in user_id" "$(body_file "{\"code\":\"$good\",\"user_id\":\"\\ud800\"}")"
json $LINENO 400 "a reversed surrogate pair in user_id" "$(body_file "{\"code\":\"$good\",\"user_id\":\"\\udc00\\ud800\"}")"
hostile $LINENO 400 "a form value with %00" /redeem -H "Origin: $base" --data-binary "code=$good%00&user=u"
hostile $LINENO 400 "a form value with invalid UTF-8" /redeem -H "Origin: $base" --data-binary "code=$good&user=%FF%FE"
hostile $LINENO 400 "a form with a bad percent escape" /redeem -H "Origin: $base" --data-binary "code=$good%G1&user=u"
hostile $LINENO 400 "a form with a duplicate field" /redeem -H "Origin: $base" --data-binary "code=$unknown&code=$good&user=u"

# ------------------------------------------------------------ headers
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nX-Forwarded-For: 10.0.0.1\r\nX-Injected: 1\r\nContent-Length: %d\r\n\r\n%s' "${#ok_json}" "$ok_json"; } >"$work/inj"
raw $LINENO 404 "an injected header line (just another header)" "$work/inj"
check $LINENO "no injected header in the reply" test "$(printf '%s\n' "$body" | grep -ci '^X-Injected')" = 0
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\nX-Note: bare-lf\nContent-Length: %d\n\n%s' "${#ok_json}" "$ok_json"; } >"$work/barelf"
raw $LINENO '4[0-9][0-9]' "bare line feeds" "$work/barelf"
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nIdempotency-Key: a\000b\r\nContent-Length: %d\r\n\r\n%s' "${#ok_json}" "$ok_json"; } >"$work/hnul"
raw $LINENO 400 "a NUL in a header" "$work/hnul"
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nIdempotency-Key: a\r\n folded\r\nContent-Length: %d\r\n\r\n%s' "${#ok_json}" "$ok_json"; } >"$work/fold"
raw $LINENO 400 "an obsolete folded header" "$work/fold"
{ head_of POST /api/v1/redeem; printf 'Content-Type: application/json\r\nX-Big: %s\r\nContent-Length: %d\r\n\r\n%s' "$(head -c 20000 /dev/zero | tr '\0' 'x')" "${#ok_json}" "$ok_json"; } >"$work/bighead"
raw $LINENO 400 "a 20 KB header" "$work/bighead"
printf 'POST /api/v1/redeem\r\n\r\n' >"$work/http09"
raw $LINENO 400 "an HTTP/0.9 request line" "$work/http09"
printf 'POST /api/v1/redeem HTTP/7.1\r\nHost: x\r\n\r\n' >"$work/http7"
raw $LINENO 505 "HTTP/7.1 (nginx's own refusal)" "$work/http7"
json $LINENO 400 "an idempotency key with a tab" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\"}")" -H "$(printf 'Idempotency-Key: a\tb')"
json $LINENO 400 "an idempotency key of 300 characters" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\"}")" -H "Idempotency-Key: $(head -c 300 /dev/zero | tr '\0' 'k')"
json $LINENO 400 "an idempotency key in UTF-8" "$(body_file "{\"code\":\"$good\",\"user_id\":\"u\"}")" -H "$(printf 'Idempotency-Key: \303\251')"
for bearer in "${key}%0d%0aX-Admin: 1" "$(head -c 4000 /dev/zero | tr '\0' 'k')" "$(printf '\377\376')" \
	"${key}x" "$(printf '%s' "$key" | sed 's/.$//')" "$key $key" '' 'cpk_' 'cpk__' "' OR 1=1 --"; do
	hostile $LINENO 401 "bearer key '$(printf '%.40s' "$bearer")'" /api/v1/redeem \
		-H "Authorization: Bearer $bearer" -H 'Content-Type: application/json' --data-binary "$ok_body"
done
hostile $LINENO 400 "a 10 KB Authorization header (nginx)" /api/v1/redeem \
	-H "Authorization: Bearer $(head -c 10000 /dev/zero | tr '\0' 'k')" \
	-H 'Content-Type: application/json' --data-binary "$ok_body"
hostile $LINENO 400 "two Authorization headers (nginx)" /api/v1/redeem -H "Authorization: Bearer $key" \
	-H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data-binary "$ok_body"
hostile $LINENO 401 "Basic instead of Bearer" /api/v1/redeem -H "Authorization: Basic $key" \
	-H 'Content-Type: application/json' --data-binary "$ok_body"
hostile $LINENO 403 "a form post with a foreign Origin" /redeem -H 'Origin: http://evil.example' --data-binary "code=$good&user=u"
hostile $LINENO 403 "a form post with Origin null" /redeem -H 'Origin: null' --data-binary "code=$good&user=u"
hostile $LINENO 403 "a form post with a look-alike Origin" /redeem -H "Origin: $base.evil.example" --data-binary "code=$good&user=u"

# ------------------------------------------------------------ SQL injection
for s in "' OR '1'='1" "'; DROP TABLE coupon_codes; --" "1) OR 1=1 -- " '" OR ""="' \
	"\\' OR 1=1 #" "%' OR code LIKE '%" "' UNION SELECT code FROM coupon_codes --"; do
	j=$(printf '%s' "$s" | sed 's/\\/\\\\/g; s/"/\\"/g')
	json $LINENO 400 "SQL in the code: $s" "$(body_file "{\"code\":\"$j\",\"user_id\":\"u\"}")"
	json $LINENO 404 "SQL in user_id: $s" "$(body_file "{\"code\":\"$unknown\",\"user_id\":\"$j\"}")"
	json $LINENO 404 "SQL in order_id: $s" "$(body_file "{\"code\":\"$unknown\",\"user_id\":\"u\",\"order_id\":\"$j\"}")"
	hostile $LINENO 400 "SQL in the form: $s" /redeem -H "Origin: $base" --data-urlencode "code=$s" --data-urlencode "user=u"
	hostile $LINENO '40[04]' "SQL in a code path: $s" "/api/v1/codes/$(urlenc "$s")/expire" -H "Authorization: Bearer $key"
done
req GET "/api/v1/campaigns/1%20OR%201=1" -H "Authorization: Bearer $key"
judge $LINENO '40[04]' "SQL in a campaign id"
req GET "/api/v1/campaigns/$cid/codes.csv?status=available'%20OR%20'1'='1" -H "Authorization: Bearer $key"
judge $LINENO 400 "SQL in the export status filter"

# ------------------------------------------------------------ path traversal
for p in "/api/v1/campaigns/..%2F..%2Fetc%2Fpasswd/codes.csv" "/api/v1/campaigns/%2e%2e/codes.csv" \
	"/api/v1/campaigns/$cid%00/codes.csv" "/api/v1/campaigns/$cid/codes.csv/../../../../etc/passwd" \
	"/api/v1/campaigns/$cid/codes.csv?out=../../etc/x" "/api/v1/campaigns/$cid/codes.csv?batch=../1" \
	"/api/v1/campaigns/$cid/codes.csv?file=/etc/passwd" "/api/v1/batches/..%2f1" \
	"/api/v1/codes/..%2F..%2F/expire"; do
	req GET "$p" -H "Authorization: Bearer $key" --path-as-is
	judge $LINENO '40[0-5]' "traversal: $p"
	check $LINENO "traversal $p: no file content" test "$(printf '%s' "$body" | grep -c 'root:')" = 0
done
printf 'GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$work/dots"
raw $LINENO 400 "a request path above the root" "$work/dots"
check $LINENO "no /etc/passwd through nginx" test "$(printf '%s' "$body" | grep -c 'root:')" = 0
# couponadm export writes exactly where the operator says, and never over a file.
mkdir -p "$work/x/y"
cp /etc/hostname "$work/victim" 2>/dev/null || echo victim >"$work/victim"
sum=$(cksum <"$work/victim")
expect_exit $LINENO 1 sh -c "cd '$work/x/y' && '$adm' -c '$cnf' export --campaign hostile --out ../../victim"
check $LINENO "export refuses an existing file through ../: $out" contains "$out" "exists"
check $LINENO "the existing file is untouched" test "$(cksum <"$work/victim")" = "$sum"
expect_exit $LINENO 1 "$adm" -c "$cnf" export --campaign hostile --out "$work/no/such/dir/x.csv"
check $LINENO "no file made outside an existing directory" test ! -e "$work/no"
check $LINENO "no temporary file left behind" test "$(ls -a "$work/x/y" "$work/x" | grep -c '\.tmp\|~')" = 0

# ------------------------------------------------------------ after all that
check $LINENO "coupon-fcgi is the same process" kill -0 "$fpid"
req GET /healthz
expect $LINENO 200
after=$(checksum)
check $LINENO "the database is unchanged ($tables: $before / $after)" test "$after" = "$before"
check $LINENO "no idempotency key was stored by a refused request" test "$(sqldb "SELECT COUNT(*) FROM idempotency_keys")" = 0
api POST /api/v1/redeem "{\"code\":\"$good\",\"user_id\":\"last\"}"
expect $LINENO 200
check $LINENO "the good code still redeems after all that" contains "$body" '"result":"redeemed"'
check $LINENO "no 5xx in coupon-fcgi's log" test "$(grep -c ' error: ' "$work/fcgi.log")" = 0
echo "hostile: $cases hostile requests"
done_tests
