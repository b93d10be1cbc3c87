#!/usr/bin/env bash
# Generation with the database killed (SIGKILL, a private MariaDB) mid-batch,
# several times, at random moments: couponadm fails cleanly, the server comes
# back through crash recovery, the same command resumes, and the batch ends with
# exactly its count and no duplicates. Once per method, and once with
# couponadm killed together with the server. (couponadm alone killed at random
# points: tests/cli/kill_resume.sh.)
. "$top_srcdir/tests/crash/lib.sh"
pdb_start
scratch_db gendb
trap 'pdb_stop; rm -rf "$work"' EXIT

key=$work/coupon.key
echo 1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100 >"$key"
chmod 600 "$key"
a() { "$adm" -c "$cnf" --set key-file="$key" "$@"; }
count=${GEN_COUNT:-300000}
rounds=${GEN_ROUNDS:-3}

expect_exit $LINENO 0 a migrate
expect_exit $LINENO 0 a campaign create dr --codes 10000000
expect_exit $LINENO 0 a campaign create dk --prefix K --codes 10000000

# The kills land 10..30 % of an uninterrupted run's time into a run (measured
# here, per method): after some chunks and before the end on a machine of any
# speed, most inside a chunk, some between chunks.
expect_exit $LINENO 0 a campaign create tr --codes 10000000
expect_exit $LINENO 0 a campaign create tk --prefix T --codes 10000000
ms_random=$(run_ms a generate --campaign tr --count $count --method random --chunk 20000 --quiet)
ms_keyed=$(run_ms a generate --campaign tk --count $count --method keyed --chunk 20000 --quiet)
echo "gen_db_kill: an uninterrupted run takes $ms_random ms (random), $ms_keyed ms (keyed)"
delay() { random_delay $(($1 / 10)) $(($1 * 3 / 10)); }

batch_of() {
	sqldb "SELECT b.id FROM generation_batches b JOIN campaigns c ON c.id = b.campaign_id
	       WHERE c.name = '$1' ORDER BY b.id DESC LIMIT 1"
}

invariant() {
	sqldb "SELECT COALESCE(MIN(b.generated = (SELECT COUNT(*) FROM coupon_codes c
	       WHERE c.batch_id = b.id)), 1) FROM generation_batches b
	       WHERE b.campaign_id = (SELECT id FROM campaigns WHERE name = '$1')"
}

kills=0
midway=0
for method in random keyed; do
	camp=dr
	[ $method = keyed ] && camp=dk
	for i in $(seq "$rounds"); do
		a generate --campaign $camp --count $count --method $method --chunk 20000 \
			>"$work/gen.out" 2>&1 &
		pid=$!
		[ $method = keyed ] && sleep "$(delay "$ms_keyed")" || sleep "$(delay "$ms_random")"
		# The last round kills couponadm too: nobody is left to record anything.
		[ "$i" -eq "$rounds" ] && kill -9 $pid 2>/dev/null
		pdb_kill
		kills=$((kills + 1))
		rc=0
		wait $pid || rc=$?
		out=$(cat "$work/gen.out")
		if [ "$i" -ne "$rounds" ] && [ "$rc" -ne 0 ]; then
			check $LINENO "$method round $i: exit 1 on a lost server (got $rc)" test "$rc" -eq 1
			check $LINENO "$method round $i: says how to resume: $out" contains "$out" "--resume"
		fi
		pdb_run
		b=$(batch_of $camp)
		g=$(sqldb "SELECT generated FROM generation_batches WHERE id = ${b:-0}")
		[ -n "$g" ] && [ "$g" -gt 0 ] && [ "$g" -lt $count ] && midway=$((midway + 1))
		check $LINENO "$method round $i: after crash recovery generated == stored codes" \
			test "$(invariant $camp)" = 1
		# A run may finish before the kill (the machine sped up since the timing
		# run): then nothing is left to resume, and another generate would rightly
		# start a second batch.
		[ "$g" = "$count" ] && break
	done
	[ "$g" = "$count" ] ||
		expect_exit $LINENO 0 a generate --campaign $camp --count $count --method $method --quiet
	check $LINENO "$method: one batch" test "$(sqldb "SELECT COUNT(*) FROM generation_batches b JOIN campaigns c ON c.id = b.campaign_id WHERE c.name = '$camp'")" = 1
	check $LINENO "$method: exactly $count codes, no duplicates" test "$(sqldb "SELECT COUNT(*), COUNT(DISTINCT code) FROM coupon_codes c JOIN campaigns k ON k.id = c.campaign_id WHERE k.name = '$camp'")" = "$count	$count"
	check $LINENO "$method: complete" test "$(sqldb "SELECT CONCAT(b.status, ' ', b.generated) FROM generation_batches b JOIN campaigns c ON c.id = b.campaign_id WHERE c.name = '$camp'")" = "complete $count"
done
check $LINENO "keyed used exactly its range" contains "$(sqldb "SELECT params FROM generation_batches b JOIN campaigns c ON c.id = b.campaign_id WHERE c.name = 'dk'")" ";used=$count;"
check $LINENO "some kills landed mid-batch ($midway of $kills)" test $midway -ge 2
echo "gen_db_kill: database killed $kills times, $midway of them mid-batch"
done_tests
