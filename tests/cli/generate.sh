#!/usr/bin/env bash
# couponadm campaign, generate, export and expire, end to end against MariaDB.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db generate

key=$work/coupon.key
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f >"$key"
chmod 600 "$key"
lacks() { ! contains "$1" "$2"; }
a() { "$adm" -c "$cnf" --set key-file="$key" "$@"; }

expect_exit $LINENO 0 a migrate

# Campaigns.
expect_exit $LINENO 0 a campaign create spring --prefix spring --codes 100000 \
	--starts 2025-01-01 --expires "2030-12-31 23:59" --per-user-limit 2
check $LINENO "create shows the shape" contains "$out" "codes like SPRING-XXXX-XXXX-"
expect_exit $LINENO 1 a campaign create spring --codes 10
check $LINENO "duplicate name refused" contains "$out" "already exists"
expect_exit $LINENO 1 a campaign create weak --length 6 --codes 1000000
check $LINENO "weak format refused naming the length" contains "$out" "body length of 10"
expect_exit $LINENO 2 a campaign create window --starts 2025-02-01 --expires 2025-01-01
check $LINENO "window refused" contains "$out" "expire after it starts"
expect_exit $LINENO 2 a campaign create bad --starts tomorrow
expect_exit $LINENO 2 a campaign create bad --guess 0.5
expect_exit $LINENO 0 a campaign create small --codes 1000 --alphabet 23456789ABCDEFGHJKMNPQRSTVWXYZ
check $LINENO "body sized for 1000 codes" contains "$out" "body 9 of 30 symbols"
expect_exit $LINENO 0 a campaign list
check $LINENO "list names both" contains "$out" "small"
expect_exit $LINENO 0 a campaign list --json
check $LINENO "json list" contains "$out" '"name":"spring","status":"active","time_zone":"UTC","starts_at":"2025-01-01T00:00:00Z"'
expect_exit $LINENO 0 a campaign pause spring
expect_exit $LINENO 0 a campaign show spring
check $LINENO "paused" contains "$out" "status          paused"
expect_exit $LINENO 0 a campaign resume 1
expect_exit $LINENO 0 a campaign show 1 --json
check $LINENO "resumed, json" contains "$out" '"status":"active"'
# Changing a campaign: window, limit, refund policy, events.
expect_exit $LINENO 0 a campaign set small --expires 2031-01-01 --per-user-limit 3 \
	--unredeem spend --events on
check $LINENO "set says so" contains "$out" "'small' updated"
expect_exit $LINENO 0 a campaign show small --json
check $LINENO "set: json" contains "$out" '"expires_at":"2031-01-02T00:00:00Z","per_user_limit":3,"unredeem":"spend","events":true'
small_id=$(sqldb "SELECT id FROM campaigns WHERE name = 'small'")
expect_exit $LINENO 0 a campaign set "$small_id" --expires none --events off --per-user-limit 0
expect_exit $LINENO 0 a campaign show small
check $LINENO "set: no end" contains "$out" "expires         -"
check $LINENO "set: events off" contains "$out" "events          off"
check $LINENO "set: format kept" contains "$out" "body 9"
expect_exit $LINENO 2 a campaign set small --starts 2032-01-01 --expires 2031-01-01
check $LINENO "set: window refused" contains "$out" "expire after it starts"
expect_exit $LINENO 2 a campaign set small
expect_exit $LINENO 2 a campaign set small --events maybe
expect_exit $LINENO 2 a campaign set small --per-user-limit -1
expect_exit $LINENO 1 a campaign set nope --events on
check $LINENO "set: unknown campaign" contains "$out" "no campaign named 'nope'"
expect_exit $LINENO 1 a campaign show nope
check $LINENO "unknown campaign named" contains "$out" "no campaign named 'nope'"
expect_exit $LINENO 2 a campaign frob

# Generation.
expect_exit $LINENO 0 a generate --campaign spring --count 5000 --chunk 1000
check $LINENO "random batch complete" contains "$out" "batch 1: 5000 codes (random), complete"
check $LINENO "progress line when not a tty" contains "$out" "codes/s"
expect_exit $LINENO 0 a generate --campaign spring --count 3000 --method keyed --quiet
check $LINENO "--quiet prints nothing" test -z "$out"
check $LINENO "8000 codes stored" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = 1")" = 8000
check $LINENO "codes carry the prefix" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE code NOT LIKE 'SPRING%'")" = 0
expect_exit $LINENO 0 a generate --resume 1
check $LINENO "resuming a complete batch adds nothing" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE batch_id = 1")" = 5000
expect_exit $LINENO 2 a generate --campaign spring --count 0
check $LINENO "count 0 refused" contains "$out" "at least 1"
expect_exit $LINENO 2 a generate --campaign spring --count 10 --method magic
expect_exit $LINENO 1 a generate --campaign nope --count 10
check $LINENO "unknown campaign" contains "$out" "no campaign named 'nope'"
expect_exit $LINENO 1 a generate --campaign small --count 50000000
check $LINENO "beyond the format refused" contains "$out" "body length of"
expect_exit $LINENO 1 a generate --resume 99
check $LINENO "unknown batch" contains "$out" "no batch 99"
chmod 644 "$key"
expect_exit $LINENO 1 a generate --campaign small --count 10 --method keyed
check $LINENO "readable key refused" contains "$out" "chmod 600"
check $LINENO "the key is never printed" lacks "$out" "000102030405"
chmod 600 "$key"
expect_exit $LINENO 1 "$adm" -c "$cnf" --set key-file="$work/none.key" generate --campaign small --count 10 --method keyed
check $LINENO "missing key named" contains "$out" "none.key: No such file"
check $LINENO "refusals leave no batch" test "$(sqldb "SELECT COUNT(*) FROM generation_batches")" = 2

# --cancel: a plain rerun no longer picks the batch up; --resume still finishes it.
expect_exit $LINENO 0 a generate --campaign small --count 20 --quiet
sqldb "UPDATE generation_batches SET status = 'running', requested = 30 WHERE id = 3"
expect_exit $LINENO 0 a generate --cancel 3
check $LINENO "cancel says so" contains "$out" "batch 3 cancelled"
check $LINENO "batch cancelled" test "$(sqldb "SELECT status FROM generation_batches WHERE id = 3")" = cancelled
expect_exit $LINENO 0 a generate --resume 3 --quiet
check $LINENO "cancelled batch resumed to its count" test "$(sqldb "SELECT CONCAT(status, ' ', (SELECT COUNT(*) FROM coupon_codes WHERE batch_id = 3)) FROM generation_batches WHERE id = 3")" = "complete 30"
expect_exit $LINENO 1 a generate --cancel 3
check $LINENO "a complete batch is not cancelled" contains "$out" "is complete"
expect_exit $LINENO 1 a generate --cancel 99
expect_exit $LINENO 2 a generate --cancel 3 --count 5
expect_exit $LINENO 0 a expire --batch 3 # the checks below count every campaign's codes

# Export.
csv=$work/codes.csv
expect_exit $LINENO 0 a export --campaign spring --out "$csv"
check $LINENO "export reports the count" contains "$out" "exported 8000 codes"
check $LINENO "header and 8000 rows" test "$(wc -l <"$csv")" -eq 8001
check $LINENO "sha256sum -c verifies the manifest" sh -c "cd '$work' && sha256sum -c codes.csv.sha256 >/dev/null"
check $LINENO "displayed and normalised codes" grep -Eq '^SPRING-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3},SPRING[0-9A-Z]{11},1,available,,$' "$csv"
check $LINENO "export recorded" test "$(sqldb "SELECT code_count FROM code_exports WHERE sha256 = '$(cut -c1-64 "$csv.sha256")'")" = 8000
expect_exit $LINENO 1 a export --campaign spring --out "$csv"
check $LINENO "existing file kept without --force" contains "$out" "exists; --force"
expect_exit $LINENO 0 a export --campaign spring --batch 2 --status available --out "$csv" --force
check $LINENO "batch export" test "$(wc -l <"$csv")" -eq 3001
check $LINENO "forced manifest matches" sh -c "cd '$work' && sha256sum -c codes.csv.sha256 >/dev/null"
expect_exit $LINENO 1 a export --campaign spring --out /nonexistent/dir/codes.csv
check $LINENO "unwritable path named" contains "$out" "/nonexistent/dir/codes.csv.tmp"
expect_exit $LINENO 2 a export --campaign spring --status bogus --out "$work/x.csv"
expect_exit $LINENO 2 a export --out "$work/x.csv"
check $LINENO "no temporary files left" test "$(ls "$work" | grep -c tmp)" = 0
check $LINENO "the export is readable by its owner only" test "$(stat -c %a "$csv")" = 600
check $LINENO "so is its manifest" test "$(stat -c %a "$csv.sha256")" = 600
# Planted symbolic links: the codes go nowhere but the named file.
echo victim >"$work/victim"
ln -s "$work/victim" "$work/planted.csv.tmp"
expect_exit $LINENO 1 a export --campaign spring --out "$work/planted.csv"
check $LINENO "a link at PATH.tmp is refused" contains "$out" "not a regular file"
check $LINENO "its target is untouched" test "$(cat "$work/victim")" = victim
check $LINENO "the link is left for the operator to see" test -L "$work/planted.csv.tmp"
rm "$work/planted.csv.tmp"
ln -s "$work/victim" "$work/linked.csv"
expect_exit $LINENO 1 a export --campaign spring --out "$work/linked.csv" --force
check $LINENO "a link at PATH is refused even with --force" contains "$out" "symbolic link"
check $LINENO "and its target is untouched" test "$(cat "$work/victim")" = victim
rm "$work/linked.csv"

# Bulk expiry.
expect_exit $LINENO 0 a expire --batch 1 --reason "printer leak"
check $LINENO "batch expired" contains "$out" "expired 5000 codes of batch 1"
check $LINENO "events recorded" test "$(sqldb "SELECT COUNT(*) FROM code_events WHERE action = 'batch_expire' AND reason = 'printer leak'")" = 5000
expect_exit $LINENO 0 a expire --campaign spring
check $LINENO "rest of the campaign expired" contains "$out" "expired 3000 codes"
check $LINENO "nothing available" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE status = 'available'")" = 0
expect_exit $LINENO 2 a expire
expect_exit $LINENO 1 a expire --batch 99

# JSON output has one string writer: quotes and backslashes escaped, and control
# characters, DEL and C1 included, as \u00XX even when stored text holds them.
expect_exit $LINENO 0 a campaign create 'odd "q" \ é' --codes 10
sqldb "UPDATE campaigns SET name = CONCAT(name, CHAR(127 USING utf8mb4),
	CHAR(0xC285 USING utf8mb4)) WHERE name LIKE 'odd%'"
odd='"name":"odd \"q\" \\ é\u007f\u0085"'
expect_exit $LINENO 0 a campaign list --json
check $LINENO "campaign list --json escapes the name: $out" contains "$out" "$odd"
expect_exit $LINENO 0 a stats --json --count 1
check $LINENO "stats --json escapes the name: $out" contains "$out" "$odd"
done_tests
