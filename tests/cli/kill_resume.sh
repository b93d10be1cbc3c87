#!/usr/bin/env bash
# couponadm generate killed with SIGKILL at random moments, and its database
# connection killed mid-batch: each time the batch resumes to exactly its count.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db killres

key=$work/coupon.key
echo 1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100 >"$key"
chmod 600 "$key"
a() { "$adm" -c "$cnf" --set key-file="$key" "$@"; }
count=300000

expect_exit $LINENO 0 a migrate
expect_exit $LINENO 0 a campaign create kr --codes 10000000
expect_exit $LINENO 0 a campaign create kk --prefix K --codes 10000000

# The kills land 3..15 % of an uninterrupted run's time into a run (measured here,
# per method): inside the run on a machine of any speed, some between chunks, and
# four of them cannot finish the batch.
expect_exit $LINENO 0 a campaign create tr --codes 10000000
expect_exit $LINENO 0 a campaign create tk --prefix T --codes 10000000
ms_random=$(run_ms a generate --campaign tr --count $count --method random --chunk 20000 --quiet)
ms_keyed=$(run_ms a generate --campaign tk --count $count --method keyed --chunk 20000 --quiet)
echo "kill_resume: an uninterrupted run takes $ms_random ms (random), $ms_keyed ms (keyed)"
delay() { random_delay $(($1 * 3 / 100)) $(($1 * 15 / 100)); }
lost=5 # batch ids: 1 and 2 are the timing runs, 3 and 4 those of kr and kk
intr=6

invariant() {
	sqldb "SELECT b.generated = (SELECT COUNT(*) FROM coupon_codes c WHERE c.batch_id = b.id)
	       FROM generation_batches b WHERE b.campaign_id = (SELECT id FROM campaigns WHERE name = '$1')"
}

# The campaign's batch has all its codes: a run finished before its kill (the
# machine sped up since the timing run), so there is nothing left to resume, and
# another generate would rightly start a second batch.
finished() {
	test "$(sqldb "SELECT COUNT(*) FROM generation_batches b JOIN campaigns c ON c.id = b.campaign_id
	       WHERE c.name = '$1' AND b.generated = $count")" = 1
}

kills=0
for method in random keyed; do
	camp=kr
	[ $method = keyed ] && camp=kk
	for i in 1 2 3 4; do
		finished $camp && break
		"$adm" -c "$cnf" --set key-file="$key" generate --campaign $camp --count $count --method $method --chunk 20000 --quiet &
		pid=$!
		[ $method = keyed ] && sleep "$(delay "$ms_keyed")" || sleep "$(delay "$ms_random")"
		kill -9 $pid 2>/dev/null && kills=$((kills + 1))
		wait $pid 2>/dev/null
		check $LINENO "$method kill $i: generated == stored codes" test "$(invariant $camp)" = 1
	done
	finished $camp || expect_exit $LINENO 0 a generate --campaign $camp --count $count --method $method --quiet
	check $LINENO "$method: one batch" test "$(sqldb "SELECT COUNT(*) FROM generation_batches b JOIN campaigns c ON c.id = b.campaign_id WHERE c.name = '$camp'")" = 1
	check $LINENO "$method: exactly $count codes" test "$(sqldb "SELECT COUNT(*), COUNT(DISTINCT code) FROM coupon_codes c JOIN campaigns k ON k.id = c.campaign_id WHERE k.name = '$camp'")" = "$count	$count"
	check $LINENO "$method: complete" test "$(sqldb "SELECT CONCAT(b.status, ' ', b.generated) FROM generation_batches b JOIN campaigns c ON c.id = b.campaign_id WHERE c.name = '$camp'")" = "complete $count"
done
check $LINENO "at least four runs were killed mid-batch" test $kills -ge 4

# Keyed: no number encrypted twice, none skipped without a collision.
check $LINENO "keyed used exactly its range" contains "$(sqldb "SELECT b.params FROM generation_batches b JOIN campaigns c ON c.id = b.campaign_id WHERE c.name = 'kk'")" ";used=$count;"

# The database connection killed under a running generate.
expect_exit $LINENO 0 a campaign create lost --codes 10000000
"$adm" -c "$cnf" --set key-file="$key" generate --campaign lost --count $count --chunk 20000 >"$work/lost.out" 2>&1 &
pid=$!
id=
for t in $(seq 600); do
	id=$(sql "SELECT id FROM information_schema.processlist WHERE db = '$db' AND info LIKE 'LOAD DATA%' LIMIT 1")
	[ -n "$id" ] && break
	sleep 0.05
done
[ -n "$id" ] && sql "KILL CONNECTION $id"
rc=0
wait $pid || rc=$?
out=$(cat "$work/lost.out")
check $LINENO "lost connection: exit 1 (got $rc)" test "$rc" -eq 1
check $LINENO "lost connection: clear message" contains "$out" "MySQL error"
check $LINENO "lost connection: says how to resume" contains "$out" "generate --resume $lost"
check $LINENO "lost connection: batch not complete" test "$(sqldb "SELECT status <> 'complete' FROM generation_batches WHERE id = $lost")" = 1
expect_exit $LINENO 0 a generate --resume $lost --quiet
check $LINENO "lost connection: resumed to exactly $count" test "$(sqldb "SELECT CONCAT(generated, ' ', (SELECT COUNT(*) FROM coupon_codes WHERE batch_id = $lost)) FROM generation_batches WHERE id = $lost")" = "$count $count"

# Interrupted (SIGTERM, or SIGINT on a terminal): cancelled, then the same command finishes it, another
# request is refused until it says --new.
expect_exit $LINENO 0 a campaign create intr --codes 10000000
"$adm" -c "$cnf" --set key-file="$key" generate --campaign intr --count $count --chunk 20000 >"$work/intr.out" 2>&1 &
pid=$!
for t in $(seq 600); do
	[ "$(sqldb "SELECT generated > 0 FROM generation_batches WHERE id = $intr")" = 1 ] && break
	sleep 0.05
done
kill -TERM $pid
rc=0
wait $pid || rc=$?
out=$(cat "$work/intr.out")
check $LINENO "interrupted: exit 1 (got $rc)" test "$rc" -eq 1
check $LINENO "interrupted: says cancelled" contains "$out" "batch $intr cancelled at"
check $LINENO "interrupted: status cancelled" test "$(sqldb "SELECT status FROM generation_batches WHERE id = $intr")" = cancelled
expect_exit $LINENO 1 a generate --campaign intr --count 1000
check $LINENO "another request refused while one is unfinished" contains "$out" "unfinished batch $intr"
expect_exit $LINENO 0 a generate --campaign intr --count $count
check $LINENO "the same command resumes" contains "$out" "resuming batch $intr"
check $LINENO "resumed to exactly $count" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE batch_id = $intr")" = $count
expect_exit $LINENO 0 a generate --campaign intr --count 1000 --quiet
check $LINENO "then a new batch" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE batch_id = $((intr + 1))")" = 1000
done_tests
