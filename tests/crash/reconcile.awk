# reconcile.awk -v faults=N CODES KEYS LOG: the load client's replies against the
# database, after every request in doubt was settled by retrying its key.
#
#   CODES  code, status, redeemed_by_user_id, order_id of the campaign's codes
#   KEYS   idem_key, state, http_status of the idempotency keys
#   LOG    the load client's log: phase id attempt kind key code user order
#          status error replay ms (one line per attempt; key "-": none sent)
#
# The promises: every success reply is a redemption in the database by that user
# and order (none lost); every redemption in the database has a success reply;
# no code has two first successes (a replay of the same user and order is marked
# as one); every request's final reply is the one stored with its key. Prints
# the figures; exits 1 on any mismatch.
BEGIN { FS = OFS = "\t" }

function doubtful(s, e) {
	return s == 0 || s >= 500 || s == 429 || (s == 409 && e == "in_progress")
}

function bad(msg) {
	if (++problems <= 25)
		print "reconcile: " msg > "/dev/stderr"
}

FILENAME == ARGV[1] { dbs[$1] = $2; dbu[$1] = $3; dbo[$1] = $4; next }
FILENAME == ARGV[2] { ks[$1] = $2; kh[$1] = $3; next }
{
	id = $2
	if (!(id in kind)) {
		kind[id] = $4; key[id] = $5; code[id] = $6; user[id] = $7; order[id] = $8
	}
	if ($3 + 0 >= att[id] + 0) {
		att[id] = $3; st[id] = $9; err[id] = $10; rep[id] = $11
	}
	attempts++
	if (doubtful($9, $10)) {
		errors++
		indoubt[id] = 1
		if ($9 == 503 && $10 == "db_unavailable")
			fcgi503++
	}
}

END {
	for (id in kind) {
		c = code[id]
		requests++
		touched[c] = 1
		if (doubtful(st[id], err[id])) {
			bad("request " id " (key " key[id] ") is still in doubt: " st[id] " " err[id])
			continue
		}
		# A request without a key ("-") was settled by repeating it as it was.
		if (key[id] != "-" && (ks[key[id]] != "done" || kh[key[id]] != st[id]))
			bad("request " id ": final reply " st[id] " but its key is stored as '" \
			    ks[key[id]] "' " kh[key[id]])
		if (st[id] == 200) {
			successes++
			replays += rep[id]
			wins[c]++
			if (!rep[id])
				firsts[c]++
			else if (id in indoubt && kind[id] != "again")
				committed++ # the lost reply of a commit, recovered
			if (dbs[c] != "redeemed" || dbu[c] != user[id] || dbo[c] != order[id])
				bad("LOST: request " id " was told " c " is redeemed for " user[id] "/" \
				    order[id] "; the database has " dbs[c] " " dbu[c] "/" dbo[c])
		} else {
			refusals++
			if (kind[id] != "hot" || st[id] != 409 || err[id] != "already_redeemed")
				bad("request " id " (" kind[id] " " c "): refused " st[id] " " err[id])
		}
		if (kind[id] == "own" && st[id] != 200)
			bad("request " id ": its own code " c " was not redeemed")
		if (kind[id] == "again" && !(st[id] == 200 && rep[id]))
			bad("request " id ": a repeat of a success is not a marked replay")
	}
	for (c in dbs) {
		if (dbs[c] == "redeemed") {
			redeemed++
			if (!(c in wins))
				bad("code " c " is redeemed by " dbu[c] " but no request was told so")
		} else if (dbs[c] != "available") {
			bad("code " c " is " dbs[c])
		}
		if (firsts[c] > 1)
			bad("code " c " was redeemed " firsts[c] " times")
		if ((c in touched) != (dbs[c] == "redeemed"))
			bad("code " c " was " ((c in touched) ? "" : "not ") "requested but is " dbs[c])
	}
	for (c in wins)
		if (!(c in dbs))
			bad("code " c " was redeemed but is not in the campaign")
	for (id in indoubt)
		doubted++
	printf "reconcile: %d requests, %d successes (%d marked replays), %d refusals, " \
	       "%d errors (%d requests in doubt, all retried with their keys: %d had committed " \
	       "and got their stored success back; %d of the errors a 503 from coupon-fcgi " \
	       "itself), %d faults injected; %d codes redeemed, %d attempts; %d mismatches\n",
	       requests, successes, replays, refusals, errors, doubted, committed, fcgi503,
	       faults, redeemed, attempts, problems
	exit problems > 0
}
