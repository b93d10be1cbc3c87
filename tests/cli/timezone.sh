#!/usr/bin/env bash
# couponadm and a campaign's time zone: campaign create|set|show read times on
# the campaign's clock and show them there, a bare end date lasts that whole
# day, generate --code-expires follows the zone, and a bad zone stores nothing.
. "$top_srcdir/tests/cli/lib.sh"
scratch_db timezone
a() { expect_exit "$@"; }

a $LINENO 0 "$adm" -c "$cnf" migrate
# The zone after the times it governs: couponadm applies it first.
a $LINENO 0 "$adm" -c "$cnf" campaign create berlin --codes 1000 --expires 2025-12-31 \
	--starts '2025-03-30 02:30' --time-zone Europe/Berlin
check $LINENO "stored in UTC: the end of 31 December in Berlin" test \
	"$(sqldb "SELECT CONCAT(CAST(starts_at AS DATETIME), '|', CAST(expires_at AS DATETIME), '|', time_zone) FROM campaigns WHERE name = 'berlin'")" \
	= '2025-03-30 01:30:00|2025-12-31 23:00:00|Europe/Berlin'
a $LINENO 0 "$adm" -c "$cnf" campaign show berlin
check $LINENO "show: the zone" contains "$out" "time zone       Europe/Berlin"
check $LINENO "show: the skipped 02:30 is 03:30 summer time" contains "$out" \
	"starts          2025-03-30 03:30:00 CEST"
check $LINENO "show: local midnight" contains "$out" "expires         2026-01-01 00:00:00 CET"
a $LINENO 0 "$adm" -c "$cnf" campaign show berlin --json
check $LINENO "json: RFC 3339 with the offset" contains "$out" \
	'"time_zone":"Europe/Berlin","starts_at":"2025-03-30T03:30:00+02:00","expires_at":"2026-01-01T00:00:00+01:00"'

# A new zone re-reads nothing stored; times given with it are read in it.
a $LINENO 0 "$adm" -c "$cnf" campaign set berlin --time-zone America/New_York
a $LINENO 0 "$adm" -c "$cnf" campaign show berlin --json
check $LINENO "the same instants on New York's clock" contains "$out" \
	'"starts_at":"2025-03-29T21:30:00-04:00","expires_at":"2025-12-31T18:00:00-05:00"'
a $LINENO 0 "$adm" -c "$cnf" campaign set berlin --expires 2025-11-02T01:30
check $LINENO "a repeated hour: its first occurrence" test \
	"$(sqldb "SELECT CAST(expires_at AS DATETIME) FROM campaigns WHERE name = 'berlin'")" = '2025-11-02 05:30:00'

# Refused zones: the option is named, nothing changes.
while IFS='|' read -r line value; do
	a "$line" 2 "$adm" -c "$cnf" campaign set berlin --time-zone "$value" --expires 2030-01-01
	check "$line" "'$value' refused" contains "$out" "--time-zone: '$value' is not a time zone"
done <<ROWS
$LINENO|Mars/Olympus_Mons
$LINENO|america/new_york
$LINENO|../../../etc/localtime
$LINENO|posix/Europe/Berlin
$LINENO|EST+5
ROWS
check $LINENO "nothing stored on a refusal" test \
	"$(sqldb "SELECT CONCAT(time_zone, '|', CAST(expires_at AS DATETIME)) FROM campaigns WHERE name = 'berlin'")" \
	= 'America/New_York|2025-11-02 05:30:00'
a $LINENO 2 "$adm" -c "$cnf" campaign create nowhere --time-zone Nowhere/Land
check $LINENO "create: nothing stored" test "$(sqldb "SELECT COUNT(*) FROM campaigns WHERE name = 'nowhere'")" = 0

# The codes' own expiry on the campaign's clock: a date lasts all that day.
a $LINENO 0 "$adm" -c "$cnf" campaign create kolkata --codes 1000 --time-zone Asia/Kolkata
a $LINENO 0 "$adm" -c "$cnf" --quiet generate --campaign kolkata --count 10 --code-expires 2099-06-30
check $LINENO "every code lasts to Kolkata's midnight" test \
	"$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE expires_at = '2099-06-30 18:30:00'")" -eq 10
a $LINENO 0 "$adm" -c "$cnf" campaign show kolkata --json
check $LINENO "the batch's expiry in the zone" contains "$out" '"code_expires_at":"2099-07-01T00:00:00+05:30"'
code=$(sqldb "SELECT code FROM coupon_codes ORDER BY id LIMIT 1")
a $LINENO 0 "$adm" -c "$cnf" code show "$code"
check $LINENO "code show: its expiry on the campaign's clock" contains "$out" \
	"expires at:     2099-07-01T00:00:00+05:30"
done_tests
