#!/usr/bin/env bash
# couponadm report --html: the page in headless Chromium with JavaScript off and
# every network request refused. report.js checks what it shows and keeps a
# screenshot in $top_builddir/tests/browser/report-artifacts (look at it: the
# charts must read well). Three days of hourly activity in Europe/Berlin.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/browser/lib.sh"

scratch_db report_html
"$adm" -c "$cnf" -q migrate >/dev/null || { echo "migrate failed" >&2; exit 99; }
campaign='Spring & <Summer> Sale'
"$adm" -c "$cnf" campaign create "$campaign" --codes 100000 >/dev/null &&
	"$adm" -c "$cnf" -q generate --campaign "$campaign" --count 1500 >/dev/null &&
	"$adm" -c "$cnf" -q generate --campaign "$campaign" --count 500 >/dev/null ||
	{ echo "campaign create or generate failed" >&2; exit 99; }

# The second batch arrives on the second day. Redemptions follow the day: most
# between 08:00 and 22:00 UTC, a few at night; reservations likewise; some
# redemptions are refunded a few hours later.
sqldb "UPDATE generation_batches SET started_at = IF(id = 1, '2026-03-01 12:00', '2026-03-03 09:00')"
sqldb "UPDATE coupon_codes SET status = 'redeemed', redeemed_by_user_id = CONCAT('u', id),
       redeemed_at = TIMESTAMP('2026-03-02') + INTERVAL FLOOR(RAND(id) * 3) DAY
         + INTERVAL IF(id % 10 = 0, FLOOR(RAND(id * 5) * 24) * 3600,
                       8 * 3600 + FLOOR((RAND(id * 7) + RAND(id * 13) + RAND(id * 17)) / 3 * 14 * 3600))
           SECOND
       WHERE id <= 1100"
sqldb "UPDATE coupon_codes SET status = 'pending', redeemed_by_user_id = CONCAT('r', id),
       reserved_until = NOW(6) + INTERVAL 1 HOUR,
       reserved_at = TIMESTAMP('2026-03-02') + INTERVAL FLOOR(RAND(id) * 3) DAY
         + INTERVAL 9 * 3600 + id * 7919 % (12 * 3600) SECOND
       WHERE id BETWEEN 1101 AND 1250"
sqldb "INSERT INTO code_events (code_id, campaign_id, action, prior_status, prior_user_id,
       prior_redeemed_at, actor, created_at)
       SELECT id, campaign_id, 'unredeem', 'redeemed', redeemed_by_user_id, redeemed_at, 'test',
       redeemed_at + INTERVAL 3 HOUR FROM coupon_codes WHERE id <= 1100 AND id % 23 = 0"
sqldb "UPDATE coupon_codes SET status = 'available', redeemed_by_user_id = NULL, redeemed_at = NULL
       WHERE id <= 1100 AND id % 23 = 0"
sqldb "UPDATE coupon_codes SET status = 'expired', expired_reason = 'test' WHERE id > 1900"

artifacts=$top_builddir/tests/browser/report-artifacts
rm -rf "$artifacts"
mkdir -p "$artifacts"
page=$artifacts/report.html
args=(--campaign "$campaign" --bucket hour --since 2026-03-01T23:00:00Z --until 2026-03-04T23:00:00Z
      --time-zone Europe/Berlin)
"$adm" -c "$cnf" report "${args[@]}" --html "$page" >"$work/stdout"
check $LINENO "couponadm report --html succeeds" test $? -eq 0
check $LINENO "--html alone prints nothing" test ! -s "$work/stdout"
"$adm" -c "$cnf" report "${args[@]}" --format csv >"$work/series.csv"
bars=$(tail -n +2 "$work/series.csv" | awk -F, '$2 > 0' | wc -l)
check $LINENO "the series has hours with redemptions" test "$bars" -gt 30
check $LINENO "no script" test "$(grep -ci '<script' "$page")" = 0
check $LINENO "nothing fetched: no src, href or url()" test "$(grep -Eci 'src=|href=|url\(' "$page")" = 0
check $LINENO "the campaign's name is escaped" grep -q 'Spring &amp; &lt;Summer&gt; Sale' "$page"
"$adm" -c "$cnf" report --campaign "$campaign" --html "$work/no/such/dir/r.html" 2>"$work/err"
check $LINENO "an unwritable file fails" test $? -eq 1
check $LINENO "naming the file" grep -q 'no/such/dir/r.html' "$work/err"

# The browser part prints its own "report.js: N checks, M failed" line.
PAGE=$page ARTIFACTS=$artifacts CHROMIUM=$chromium BARS=$bars CAMPAIGN=$campaign TMPDIR=$work \
	"$node" "$here/report.js"
rc=$?
checks=$((checks + 1))
[ "$rc" -eq 0 ] || { echo "report.sh:$LINENO: report.js failed (exit $rc)" >&2; fail=$((fail + 1)); }
done_tests
