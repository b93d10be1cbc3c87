#!/usr/bin/env bash
# Group commit under a burst of duplicates: many requests for the same few codes
# at once, from different users and the same user again, through nginx. Each code
# has exactly one success, every other request for it is already_redeemed (or the
# winner's own success again, for the winner's repeat), the database names the
# winner the reply named, and groups really held a code more than once
# (coupon_redeem_groups_with_duplicates_total). Rounds repeat on fresh codes until
# such a group was seen; every round is checked. One campaign holds every round's
# codes: only a code whose format names its campaign joins a group (core/redeem.c),
# and a second campaign of the same format would keep every later round ungrouped.
. "$top_srcdir/tests/http/lib.sh"
FCGI_THREADS=16 http_setup group --set rate-limit=1000000 --set rate-limit-key=1000000 \
	--set group-commit=on

key=$(make_key shop redeem)
CODES=8 USERS=24 ROUNDS=12
metric() { curl -s "$base/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
cid=$(make_campaign burst $((CODES * ROUNDS)))
mapfile -t all < <(sqldb "SELECT code FROM coupon_codes WHERE campaign_id = $cid ORDER BY id")

# round N: CODES fresh codes, each asked for by USERS users and by user 0 twice, at once.
round() {
	local n=$1 cfg i c u
	codes=("${all[@]:$(((n - 1) * CODES)):$CODES}")
	cfg=$work/burst.$n
	: >"$cfg"
	for ((u = 0; u <= USERS; u++)); do
		for i in "${!codes[@]}"; do
			c=${codes[$i]}
			[ -s "$cfg" ] && echo next >>"$cfg"
			printf 'url = "%s/api/v1/redeem"\ndata = "{\\"code\\":\\"%s\\",\\"user_id\\":\\"u%d\\"}"\n' \
				"$base" "$c" $((u % USERS)) >>"$cfg"
			printf 'header = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\n' \
				"$key" >>"$cfg"
			printf 'output = "%s/r.%d.%d.%d"\nwrite-out = "%%{http_code} %d %d %%{errormsg}\\n"\n' \
				"$work" "$n" "$u" "$i" "$i" "$u" >>"$cfg"
		done
	done
	curl -s --no-progress-meter -Z --parallel-max 64 --parallel-immediate -K "$cfg" >"$work/status.$n"
	for i in "${!codes[@]}"; do
		local wins others rest winner stored
		wins=$(awk -v i="$i" '$1 == 200 && $2 == i' "$work/status.$n" | wc -l)
		others=$(awk -v i="$i" '$1 == 409 && $2 == i' "$work/status.$n" | wc -l)
		winner=$(awk -v i="$i" '$1 == 200 && $2 == i { print $3 % '"$USERS"'; exit }' "$work/status.$n")
		stored=$(sqldb "SELECT redeemed_by_user_id FROM coupon_codes WHERE code = '${codes[$i]}'
			AND status = 'redeemed'")
		# The winner's own repeat (user 0 asks twice) is its success again.
		rest=$((USERS + 1 - others))
		if [ "$winner" = 0 ]; then
			check $LINENO "round $n code $i: one success and user 0's repeat ($wins 200, $others 409)" \
				test "$wins" -le 2 -a "$rest" -eq "$wins"
		else
			check $LINENO "round $n code $i: exactly one success ($wins 200, $others 409)" \
				test "$wins" -eq 1 -a "$rest" -eq 1
		fi
		check $LINENO "round $n code $i: the database names the winner (u$winner, stored $stored)" \
			test "$stored" = "u$winner"
	done
	check $LINENO "round $n: only 200 and 409 answers" \
		test "$(awk '$1 != 200 && $1 != 409' "$work/status.$n" | wc -l)" -eq 0
	check $LINENO "round $n: one redeemed row per code, none beyond the rounds' codes" \
		test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE campaign_id = $cid
			AND status = 'redeemed'")" -eq $((n * CODES))
}

for ((n = 1; n <= ROUNDS; n++)); do
	round "$n"
	[ "$(metric coupon_redeem_groups_with_duplicates_total)" -gt 0 ] && break
done
dups=$(metric coupon_redeem_groups_with_duplicates_total)
count=$(metric coupon_redeem_group_size_count)
alone=$(curl -s "$base/metrics" | sed -n 's/^coupon_redeem_group_size_bucket{le="1"} //p')
echo "rounds: $n; groups: $count, alone: $alone, with a repeated code: $dups"
check $LINENO "groups of more than one request formed" test "$count" -gt "$alone"
check $LINENO "a group held the same code twice" test "$dups" -gt 0
check $LINENO "coupon-fcgi logged no error" test "$(grep -c ' error: ' "$work/fcgi.log")" -eq 0
done_tests
