#!/usr/bin/env bash
# couponadm code: support staff look up, redeem, refund and expire one code.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db code

expect_exit $LINENO 0 "$adm" -c "$cnf" migrate
# No check character, so any 12 symbols are a valid body.
sqldb "INSERT INTO campaigns SET name = 'phone', alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ',
	prefix = 'T', body_length = 12, check_char = 0;
	INSERT INTO coupon_codes (code, campaign_id, batch_id)
	SELECT CONCAT('T00000000000', seq), 1, 1 FROM seq_1_to_4"

expect_exit $LINENO 0 "$adm" -c "$cnf" code show 't-0000-0000-0001'
check $LINENO "show normalises the typed form" contains "$out" "T000000000001"
check $LINENO "show names the status" contains "$out" "available"
check $LINENO "show names the campaign" contains "$out" "phone"
expect_exit $LINENO 0 "$adm" -c "$cnf" code redeem T000000000001 --user u1 --order o1
check $LINENO "redeem reports success" contains "$out" "redeem ok"
expect_exit $LINENO 0 "$adm" -c "$cnf" code redeem T000000000001 --user u1 --order o1
check $LINENO "same user and order: the original success" contains "$out" "original success"
expect_exit $LINENO 1 "$adm" -c "$cnf" code redeem T000000000001 --user u2
check $LINENO "someone else: already_redeemed" contains "$out" "already_redeemed"
expect_exit $LINENO 1 "$adm" -c "$cnf" code unredeem T000000000002
check $LINENO "unredeem of an unused code" contains "$out" "not_redeemed"
expect_exit $LINENO 0 "$adm" -c "$cnf" code unredeem T000000000001 --reason 'refund #7'
check $LINENO "unredeem shows the code available" contains "$out" "available"
check $LINENO "unredeem shows its event" contains "$out" "unredeem by"
check $LINENO "one unredeem event with the prior state" test \
	"$(sqldb "SELECT COUNT(*) FROM code_events WHERE action = 'unredeem'
		AND prior_user_id = 'u1' AND reason = 'refund #7'")" -eq 1
expect_exit $LINENO 0 "$adm" -c "$cnf" code expire T000000000003 --reason leak
check $LINENO "expire shows the reason" contains "$out" "leak"
expect_exit $LINENO 1 "$adm" -c "$cnf" code redeem T000000000003 --user u1
check $LINENO "an expired code is refused" contains "$out" "expired"
expect_exit $LINENO 0 "$adm" -c "$cnf" code reserve T000000000004 --user u5 --ttl 60
expect_exit $LINENO 1 "$adm" -c "$cnf" code redeem T000000000004 --user u6
check $LINENO "a reserved code is refused" contains "$out" "reserved"
expect_exit $LINENO 0 "$adm" -c "$cnf" code confirm T000000000004 --user u5
expect_exit $LINENO 1 "$adm" -c "$cnf" code show T000000000009
check $LINENO "unknown code" contains "$out" "unknown_code"
expect_exit $LINENO 1 "$adm" -c "$cnf" code redeem 'T0000!' --user u1
check $LINENO "malformed code" contains "$out" "invalid_code"
expect_exit $LINENO 2 "$adm" -c "$cnf" code redeem T000000000002
check $LINENO "redeem without a user is a usage error" contains "$out" "user_id"
expect_exit $LINENO 2 "$adm" -c "$cnf" code
expect_exit $LINENO 2 "$adm" -c "$cnf" code frob T000000000002
expect_exit $LINENO 2 "$adm" -c "$cnf" code show A B
sqldb "INSERT INTO idempotency_keys (api_key_id, idem_key, fingerprint, state, claimed_at,
	created_at) VALUES (1, 'old', REPEAT('x', 32), 'done', NOW(6), NOW(6) - INTERVAL 2 DAY)"
expect_exit $LINENO 0 "$adm" -c "$cnf" idempotency purge --older-than 1d
check $LINENO "purge counts" contains "$out" "purged 1 "
done_tests
