#!/usr/bin/env bash
# couponadm import: external codes from CSV and plain files; duplicates skipped
# or refused with their lines; malformed lines named; kill -9 at random moments
# and --resume reaching the exact count; a resume with another file refused; and
# codes of an unfinished or failed import never redeemable.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db import

a() { "$adm" -c "$cnf" "$@"; }
# In the background, so that $! is couponadm itself (what kill -9 must hit).
bg() { exec "$adm" -c "$cnf" "$@"; }
count_codes() { sqldb "SELECT COUNT(*) FROM coupon_codes c JOIN campaigns k ON k.id = c.campaign_id WHERE k.name = '$1'"; }

expect_exit $LINENO 0 a migrate
expect_exit $LINENO 0 a campaign create ext --external
expect_exit $LINENO 0 a campaign create exact --external --case-sensitive --keep-separators
expect_exit $LINENO 0 a campaign create ours --codes 1000

# CSV with a header, expiry and metadata; a duplicate within the file skipped.
f=$work/a.csv
printf 'code,expires_at,metadata\nAB-CD-12,,\nkey 9,2031-02-03,"{""tier"":""gold \xc3\xa9""}"\nab-cd-12,,\n\nZZ,2031-01-01T10:00:00Z,\n' >"$f"
expect_exit $LINENO 0 a import --campaign ext --on-duplicate skip "$f"
check $LINENO "3 codes, 1 duplicate: $out" contains "$out" "3 codes imported from 6 lines, 1 duplicates skipped, complete"
check $LINENO "duplicate at line 4: $out" contains "$out" "duplicate lines: 4"
check $LINENO "the file's SHA-256: $out" contains "$out" "sha256 $(sha256sum "$f" | cut -d' ' -f1)"
check $LINENO "stored normalised" test "$(sqldb "SELECT GROUP_CONCAT(code ORDER BY code) FROM coupon_codes")" = "ABCD12,KEY9,ZZ"
check $LINENO "expiry and metadata kept" test "$(sqldb "SELECT CONCAT(expires_at, ' ', metadata) FROM coupon_codes WHERE code = 'KEY9'")" = '2031-02-03 00:00:00.000000 {"tier":"gold é"}'

# Redeemed as typed: any case, dashes and spaces ignored; the exact campaign as is.
expect_exit $LINENO 0 a code redeem "a-b c-d-1-2" --user u1
expect_exit $LINENO 1 a code redeem "ab-cd-12" --user u2
check $LINENO "already redeemed: $out" contains "$out" already_redeemed
printf 'Gift Card-1\ngift card-1\n' | { expect_exit $LINENO 0 a import --campaign exact -; }
check $LINENO "case-sensitive codes are distinct" test "$(count_codes exact)" = 2
expect_exit $LINENO 1 a code redeem "giftcard-1" --user u1
check $LINENO "separators kept: $out" contains "$out" unknown_code
expect_exit $LINENO 0 a code redeem "gift card-1" --user u1
expect_exit $LINENO 0 a code validate "Gift Card-1"

# Duplicates against stored codes: skip counts them, fail names the first line.
printf 'NEW1\nZZ\nNEW2\nkey9\n' >"$work/b.txt"
expect_exit $LINENO 1 a import --campaign ext "$work/b.txt"
check $LINENO "fail names line 2: $out" contains "$out" "line 2: the code is a duplicate"
check $LINENO "a failed import leaves no code" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE code LIKE 'NEW%'")" = 0
expect_exit $LINENO 0 a import --campaign ext --on-duplicate skip "$work/b.txt"
check $LINENO "skip: $out" contains "$out" "2 codes imported from 4 lines, 2 duplicates skipped"
check $LINENO "lines 2 and 4: $out" contains "$out" "duplicate lines: 2 4"

# Malformed lines: the line and the reason; the batch fails and leaves nothing.
bad() {
	local line=$1 want=$2
	shift 2
	printf "$@" >"$work/bad"
	expect_exit "$line" 1 a import --campaign ext --on-duplicate skip "$work/bad"
	check "$line" "'$want' in: $out" contains "$out" "$want"
}
long=$(printf 'x%.0s' $(seq 65))
bad $LINENO "line 3: control byte 0x09 at position 2" 'OK1\nOK2\nA\tB\n'
bad $LINENO "line 2: the code is 65 bytes, over 64" "OK1\n$long\n"
bad $LINENO "line 3: broken CSV quote" 'code\nOK1\n"OK2\nOK3\n'
bad $LINENO "line 2: bad expires_at" 'code,expires_at\nOK1,2031-13-01\n'
bad $LINENO "line 2: bad expires_at: in the past" 'code,expires_at\nOK1,2001-01-01\n'
bad $LINENO "line 3: bad metadata" 'code,metadata\nOK1,\nOK2,"{""a"":01}"\n'
bad $LINENO "line 2: bad metadata" 'code,metadata\nOK1,"[1]"\n'
bad $LINENO "line 1: unknown column 'expiry'" 'code,expiry\nOK1,x\n'
bad $LINENO "non-ASCII byte" 'caf\xc3\xa9\n'
check $LINENO "no code of a malformed file stored" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE code LIKE 'OK%'")" = 0
check $LINENO "failed batches recorded" test "$(sqldb "SELECT COUNT(*) FROM generation_batches WHERE status = 'failed' AND generated = 0")" = 10
check $LINENO "import flag cleared" test "$(sqldb "SELECT SUM(importing) FROM campaigns")" = 0

# Our own format: imported codes must carry a valid check character.
code=$(a --quiet generate --campaign ours --count 1 >/dev/null; sqldb "SELECT code FROM coupon_codes c JOIN campaigns k ON k.id = c.campaign_id WHERE k.name = 'ours'")
echo "${code%?}0" >"$work/ours.txt"
[ "${code: -1}" = 0 ] && echo "${code%?}1" >"$work/ours.txt"
expect_exit $LINENO 1 a import --campaign ours "$work/ours.txt"
check $LINENO "check character: $out" contains "$out" "line 1: the check character"

# kill -9 at random moments, then --resume until complete: exactly each code once.
n=60000
big=$work/big.csv
{ echo code; seq -f 'K%07g' 1 $n; } >"$big"
a campaign create timing --external >/dev/null
{ echo code; seq -f 'T%07g' 1 $n; } >"$work/timing.csv"
ms=$(run_ms a import --campaign timing --chunk 2000 --quiet "$work/timing.csv")
echo "import: an uninterrupted run of $n codes takes $ms ms"
a campaign create killed --external >/dev/null
# The first kill lands once a chunk is committed (of 30): the batch is unfinished.
bg import --campaign killed --chunk 2000 --quiet "$big" >/dev/null 2>&1 &
pid=$!
committed() { test "$(count_codes killed)" -gt 0; }
check $LINENO "a first chunk committed" wait_until 600 committed
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
bid=$(sqldb "SELECT b.id FROM generation_batches b JOIN campaigns k ON k.id = b.campaign_id WHERE k.name = 'killed'")
state() { sqldb "SELECT status FROM generation_batches WHERE id = $bid"; }
check $LINENO "killed unfinished" test "$(state)" = running
# Committed codes of the unfinished import are invisible to redemption.
one=$(sqldb "SELECT code FROM coupon_codes WHERE batch_id = $bid LIMIT 1")
expect_exit $LINENO 1 a code redeem "$one" --user u1
check $LINENO "unfinished import's code unknown: $out" contains "$out" unknown_code
expect_exit $LINENO 1 a code validate "$one"
check $LINENO "validate: unknown: $out" contains "$out" unknown_code
# Nor counted as available: campaign show says how many are importing.
expect_exit $LINENO 0 a campaign show killed --json
check $LINENO "none available while importing: $out" test "$(printf '%s' "$out" | jq -c '.codes | [.available, .total, .importing == '"$(count_codes killed)"']')" = '[0,0,true]'
# Another file: a different first part, and the same first part but more lines.
{ echo code; seq -f 'Q%07g' 1 $n; } >"$work/other.csv"
expect_exit $LINENO 1 a import --resume "$bid" "$work/other.csv"
check $LINENO "other file refused: $out" contains "$out" "not the file batch $bid was importing"
{ cat "$big"; echo EXTRA; } >"$work/longer.csv"
expect_exit $LINENO 1 a import --resume "$bid" "$work/longer.csv"
check $LINENO "longer file refused: $out" contains "$out" "not the file batch $bid was importing"
kills=1
for round in 1 2 3 4 5 6; do
	[ "$(state)" = complete ] && break
	bg import --resume "$bid" --chunk 2000 --quiet "$big" >/dev/null 2>&1 &
	pid=$!
	if [ "$round" -lt 4 ]; then
		sleep "$(random_delay 2100 $((ms / 2 + 1000)))"
		kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	fi
	wait $pid 2>/dev/null
	check $LINENO "invariant after round $round" test "$(sqldb "SELECT generated FROM generation_batches WHERE id = $bid")" = "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE batch_id = $bid")"
done
echo "import: $kills kills"
check $LINENO "batch complete" test "$(state)" = complete
check $LINENO "exactly $n codes" test "$(count_codes killed)" = $n
check $LINENO "generated = $n" test "$(sqldb "SELECT generated FROM generation_batches WHERE id = $bid")" = $n
expect_exit $LINENO 0 a code redeem "k0000042" --user u1
# From a pipe: resumed by the hash of what was read.
a campaign create piped --external >/dev/null
seq -f 'P%07g' 1 $n >"$work/piped.txt"
expect_exit $LINENO 0 sh -c "cat '$work/piped.txt' | '$adm' -c '$cnf' import --campaign piped --chunk 5000 -"
check $LINENO "piped: $n codes" test "$(count_codes piped)" = $n
expect_exit $LINENO 1 a import --resume "$bid" "$big"
check $LINENO "complete batch not resumed: $out" contains "$out" "complete already"
check $LINENO "audited" test "$(sqldb "SELECT COUNT(*) FROM audit_log WHERE action = 'import.complete'")" -ge 5

done_tests
