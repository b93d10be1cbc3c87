#!/usr/bin/env bash
# GET /api/v1/redemptions through nginx: every filter against the database's own
# answer, keyset pages that neither repeat nor skip a row while redemptions keep
# arriving, CSV, the 400s that name their field, and the admin scope.
. "$top_srcdir/tests/http/lib.sh"
http_setup search

key=$(make_key ops admin)
rkey=$(make_key till redeem)
cid=$(make_campaign spring 400)
oid=$(make_campaign autumn 100)

# 250 redeemed codes over 7 users; ten share one instant, so a page boundary
# falls inside equal times; three are reserved by u1.
sqldb "UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = CONCAT('u', id % 7),
       order_id = CONCAT('o-', id),
       redeemed_at = IF(id % 25 = 0, '2026-01-10 12:00:00.5',
                        TIMESTAMP('2026-01-01') + INTERVAL id MINUTE)
       WHERE campaign_id = $cid ORDER BY id LIMIT 250"
sqldb "UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = 'u1', order_id = 'other',
       redeemed_at = '2026-01-02 00:00:00' WHERE campaign_id = $oid ORDER BY id LIMIT 5"
sqldb "UPDATE coupon_codes SET status = 'pending', redeemed_by_user_id = 'u1',
       reserved_until = NOW(6) + INTERVAL 1 HOUR WHERE status = 'available' AND campaign_id = $cid
       ORDER BY id LIMIT 3"

get() { req GET "/api/v1/redemptions$1" -H "Authorization: Bearer ${2:-$key}"; }
ids() { printf '%s' "$body" | grep -o '"id":[0-9]*' | cut -d: -f2; }
cursor() { printf '%s' "$body" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p'; }

# pages QUERY LIMIT: every id of every page in order, one a line, into $work/pages.
pages() {
	local q=$1 n=$2 c= guard=0
	: >"$work/pages"
	while :; do
		get "?$q&limit=$n${c:+&cursor=$c}"
		[ "$status" = 200 ] || { echo "page: $status $body" >&2; return 1; }
		ids >>"$work/pages"
		c=$(cursor)
		[ -n "$c" ] || break
		guard=$((guard + 1))
		[ "$guard" -lt 1000 ] || return 1
	done
}

# The database's answer for WHERE, newest first.
want() {
	sqldb "SELECT id FROM coupon_codes WHERE $1 ORDER BY redeemed_at DESC, id DESC" >"$work/want"
}

same_rows() { cmp -s "$work/pages" "$work/want"; }

check $LINENO "campaign, by name, in pages of 7" pages "campaign=spring" 7
want "campaign_id = $cid AND status = 'redeemed'"
check $LINENO "the campaign's redeemed codes, newest first, each once" same_rows
check $LINENO "250 of them" test "$(wc -l <"$work/pages")" -eq 250
check $LINENO "campaign by id" pages "campaign=$cid" 100
check $LINENO "the same rows" same_rows
check $LINENO "a user across campaigns" pages "user_id=u1" 9
want "redeemed_by_user_id = 'u1' AND status = 'redeemed'"
check $LINENO "the user's redeemed codes" same_rows
check $LINENO "a user in one campaign" pages "user_id=u1&campaign=autumn" 2
want "redeemed_by_user_id = 'u1' AND status = 'redeemed' AND campaign_id = $oid"
check $LINENO "the user's codes of that campaign" same_rows
check $LINENO "an order" pages "order_id=o-42" 10
want "order_id = 'o-42' AND status = 'redeemed'"
check $LINENO "the order's code" same_rows
check $LINENO "one row" test "$(wc -l <"$work/pages")" -eq 1
check $LINENO "a time range" pages "since=2026-01-01T02:00:00Z&until=2026-01-10T13:00:00%2B01:00" 13
want "status = 'redeemed' AND redeemed_at >= '2026-01-01 02:00:00' AND redeemed_at < '2026-01-10 12:00:00'"
check $LINENO "since inclusive, until exclusive" same_rows
check $LINENO "every filter at once" pages \
	"campaign=spring&user_id=u3&order_id=o-10&since=2026-01-01&until=2027-01-01" 5
want "campaign_id = $cid AND redeemed_by_user_id = 'u3' AND order_id = 'o-10' AND status = 'redeemed'"
check $LINENO "the rows all filters select" same_rows
check $LINENO "the user's reservations" pages "user_id=u1&status=pending" 2
want "redeemed_by_user_id = 'u1' AND status = 'pending'"
check $LINENO "the three pending codes" same_rows
check $LINENO "three" test "$(wc -l <"$work/pages")" -eq 3

get "?order_id=o-42"
expect $LINENO 200
check $LINENO "a row says who and when" contains "$body" '"user_id":"u0","order_id":"o-42","redeemed_at":"2026-01-01T00:42:00.000000Z"'
check $LINENO "the last page has no cursor" contains "$body" '"next_cursor":null'

# CSV: every matching row, streamed, no page limit.
req GET "/api/v1/redemptions?campaign=spring" -H "Authorization: Bearer $key" -H 'Accept: text/csv'
expect $LINENO 200
check $LINENO "CSV content type" has_header "Content-Type: text/csv"
check $LINENO "a header line" test "$(printf '%s\n' "$body" | head -1)" = \
	"id,code,campaign_id,status,user_id,order_id,redeemed_at,reserved_until,expires_at"
check $LINENO "every row" test "$(printf '%s\n' "$body" | wc -l)" -eq 251
printf '%s\n' "$body" | tail -n +2 | cut -d, -f1 >"$work/pages"
want "campaign_id = $cid AND status = 'redeemed'"
check $LINENO "in the same order" same_rows

# Refusals name their field.
bad() {
	local line=$1 q=$2 field=$3
	get "?$q"
	expect "$line" 400 invalid_argument
	check "$line" "$q: the field is named" contains "$body" "\"field\":\"$field\""
}
get "?campaign=spring&limit=3"
c=$(cursor)
check $LINENO "a first page has a cursor" test -n "$c"
bad $LINENO "campaign=spring&cursor=$c&user_id=u1" cursor
bad $LINENO "campaign=autumn&cursor=$c" cursor
bad $LINENO "cursor=$c" cursor
bad $LINENO "campaign=spring&cursor=${c%?}" cursor
bad $LINENO "campaign=spring&cursor=${c}A" cursor
bad $LINENO "campaign=spring&cursor=AAAA%21AAAAAAAAAAAAAAAAAAAAAAA" cursor
bad $LINENO "cursor=AQAAAAAAAAAAAAAAAAAAAAAAAAAA" cursor
bad $LINENO "limit=0" limit
bad $LINENO "limit=1001" limit
bad $LINENO "limit=ten" limit
bad $LINENO "limit=-1" limit
bad $LINENO "status=available" status
bad $LINENO "status=expired" status
bad $LINENO "since=yesterday" since
bad $LINENO "until=2026-13-01" until
bad $LINENO "status=pending&since=2026-01-01" since
bad $LINENO "user_id=$(printf 'u%.0s' $(seq 65))" user_id
get "?colour=red"
expect $LINENO 400 invalid_argument
check $LINENO "an unknown parameter is named in the message" contains "$body" "unknown field 'colour'"
get "?campaign=winter"
expect $LINENO 404 not_found
check $LINENO "an unknown campaign is named" contains "$body" '"field":"campaign"'
get "?campaign=spring" "$rkey"
expect $LINENO 403 forbidden
req GET /api/v1/redemptions
expect $LINENO 401
req POST /api/v1/redemptions -H "Authorization: Bearer $key"
expect $LINENO 405

# couponadm redemptions is the same search.
"$adm" -c "$cnf" redemptions --campaign spring --format csv | tail -n +2 | cut -d, -f1 >"$work/pages"
want "campaign_id = $cid AND status = 'redeemed'"
check $LINENO "couponadm: CSV is every row" same_rows
"$adm" -c "$cnf" redemptions --user u1 --limit 4 --format json >"$work/json" 2>"$work/err"
check $LINENO "couponadm: a JSON page of four" test "$(wc -l <"$work/json")" -eq 4
c=$(sed -n 's/^next page: --cursor //p' "$work/err")
check $LINENO "couponadm: the next page's cursor" test -n "$c"
"$adm" -c "$cnf" redemptions --user u1 --limit 100 --cursor "$c" --format json >>"$work/json"
grep -o '"id":[0-9]*' "$work/json" | cut -d: -f2 >"$work/pages"
want "redeemed_by_user_id = 'u1' AND status = 'redeemed'"
check $LINENO "couponadm: two pages are the user's codes" same_rows
"$adm" -c "$cnf" redemptions --user u1 --status pending >"$work/table"
check $LINENO "couponadm: a table of the user's reservations" test "$(grep -c ' pending ' "$work/table")" -eq 3
"$adm" -c "$cnf" redemptions --user u2 --cursor "$c" >/dev/null 2>"$work/err"
check $LINENO "couponadm: a foreign cursor is a usage error" test $? -eq 2
check $LINENO "couponadm: naming the cursor" grep -q '^couponadm: cursor: ' "$work/err"
"$adm" -c "$cnf" redemptions --format xml >/dev/null 2>&1
check $LINENO "couponadm: an unknown format is a usage error" test $? -eq 2

# Pages while redemptions keep arriving: every row redeemed before the first page
# is seen exactly once (an offset would repeat rows as new ones push them down).
want "campaign_id = $cid AND status = 'redeemed'"
sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid AND status = 'available'" >"$work/free"
check $LINENO "codes left to redeem" test "$(wc -l <"$work/free")" -ge 100
(
	n=0
	while read -r code; do
		n=$((n + 1))
		curl -s -o /dev/null -H "Authorization: Bearer $rkey" -H 'Content-Type: application/json' \
			--data-binary "{\"code\":\"$code\",\"user_id\":\"late$n\"}" "$base/api/v1/redeem"
	done <"$work/free"
) &
redeemer=$!
before=$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = $cid AND status = 'redeemed'")
check $LINENO "paging under load" pages "campaign=spring" 4
during=$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = $cid AND status = 'redeemed'")
wait "$redeemer"
check $LINENO "redemptions arrived while paging ($before, then $during)" test "$during" -gt "$before"
check $LINENO "no row seen twice" test -z "$(sort "$work/pages" | uniq -d)"
check $LINENO "no earlier row missed" test -z "$(sort "$work/want" | comm -23 - <(sort "$work/pages"))"

check $LINENO "coupon-fcgi logged no error" test "$(grep -c ' error: ' "$work/fcgi.log")" -eq 0
done_tests
