#!/usr/bin/env bash
# An import on the console in tmux: the dashboard counts no code of an import
# that has not completed as available; the campaign screen says how many are
# importing, and under its batches shows the selected import's file (SHA-256),
# bytes and lines read (its bar the file's progress), duplicates skipped with
# their lines and its status; Enter on the unfinished one says how to resume it.
. "$top_srcdir/tests/tui/lib.sh"
start_console import 120 40

a() { "$adm" -c "$cnf" "$@"; }
# In the background, so that $! is couponadm itself (what kill -9 must hit).
bg() { exec "$adm" -c "$cnf" "$@"; }
# 1234567 -> 1,234,567 as the console writes numbers.
grouped() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

a campaign create imp --external >/dev/null || { echo "campaign create failed" >&2; exit 99; }
small=$work/small.csv
printf 'code\nA1\nA1\nB2\nB2\nC3\n' >"$small"
a -q import --campaign imp --on-duplicate skip "$small" >/dev/null ||
	{ echo "the first import failed" >&2; exit 99; }
# A second import, killed once its first chunk is in: batch 2 stays unfinished.
big=$work/big.csv
{ echo code; seq -f 'K%07g' 1 60000; } >"$big"
bg import --campaign imp --chunk 2000 --quiet "$big" >/dev/null 2>&1 &
pid=$!
stored() { test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE batch_id = 2")" -gt 0; }
check $LINENO "a first chunk committed" wait_until 600 stored
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
check $LINENO "batch 2 unfinished" test "$(sqldb "SELECT status FROM generation_batches WHERE id = 2")" = running
n=$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE batch_id = 2")
lines=$(sqldb "SELECT SUBSTRING_INDEX(SUBSTRING_INDEX(params, ';lines=', -1), ';', 1) FROM generation_batches WHERE id = 2")
bytes=$(sqldb "SELECT SUBSTRING_INDEX(SUBSTRING_INDEX(params, ';bytes=', -1), ';', 1) FROM generation_batches WHERE id = 2")

# Only the complete import's three codes are available.
expect_screen $LINENO "dashboard: 3 available, not $n more" 'imp +active +3 +0 '
T send-keys Enter
expect_screen $LINENO "campaign screen" 'Campaign 1 .* imp'
expect_screen $LINENO "the codes line" 'Codes +3 available, 0 assigned'
expect_screen $LINENO "an external format, no guess odds of ours" \
	'Format +external: codes made elsewhere, case-insensitive, spaces and dashes ignored'
check $LINENO "no guess line" sh -c "! tmux -L '$sock' capture-pane -p | grep -q 'Guess '"
expect_screen $LINENO "importing counted apart" "Importing $(grouped "$n") codes, not in use until their import completes"
# The newest batch is selected: the unfinished import.
expect_screen $LINENO "the running import's progress" \
	"Import 2 running: $(grouped "$n") codes from $(grouped "$lines") lines \($(grouped "$bytes") of $(grouped "$(stat -c %s "$big")") bytes\); a duplicate fails it"
expect_screen $LINENO "its file's SHA-256" "File SHA-256 $(sha256sum "$big" | cut -d' ' -f1)"
# Its bar is the file's progress (bytes of the size), not its codes of themselves.
expect_screen $LINENO "a bar part-way" '^ +2 import .* running .*░+ *$'
T send-keys Enter
expect_screen $LINENO "Enter says how to resume it" 'Batch 2 is an import: couponadm import --resume 2 FILE'
check $LINENO "nothing was resumed" test "$(sqldb "SELECT COUNT(*) FROM coupon_codes WHERE batch_id = 2")" = "$n"
T send-keys Down
expect_screen $LINENO "the complete import, duplicates and their lines" \
	"Import 1 complete: 3 codes from 6 lines \($(stat -c %s "$small") of $(stat -c %s "$small") bytes\); duplicates skipped: 2 \(lines 3, 5\)"
expect_screen $LINENO "its file's SHA-256" "File SHA-256 $(sha256sum "$small" | cut -d' ' -f1)"

# Completed by a resume: every code is available, none importing.
expect_exit $LINENO 0 a -q import --resume 2 "$big"
T send-keys C-r
expect_screen $LINENO "all available after the resume" "Codes +$(grouped 60003) available"
check $LINENO "no importing line" sh -c "! tmux -L '$sock' capture-pane -p | grep -q Importing"
T send-keys Up
expect_screen $LINENO "import 2 complete" "Import 2 complete: 60,000 codes from 60,001 lines"
T send-keys q
expect_screen $LINENO "back on the dashboard" 'imp +active +60,003'
T send-keys q
check_restored $LINENO
done_tests
