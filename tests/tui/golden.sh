#!/usr/bin/env bash
# Golden screens of the stable views at 80x24: help (generated from the key
# table), the empty create form, and the empty dashboard in an ASCII locale.
# Regenerate after an intended change, then review the diff:
#   COUPON_GOLDEN_UPDATE=1 make check TESTS=tests/tui/golden.sh
. "$top_srcdir/tests/tui/lib.sh"
start_console golden 80 24

expect_screen $LINENO "dashboard" 'No campaigns yet'
T send-keys '?'
expect_screen $LINENO "help" 'Keys of the console'
golden $LINENO help-80x24
T send-keys Escape n
expect_screen $LINENO "create form" 'New campaign'
golden $LINENO create-80x24
T send-keys Escape Q
check_restored $LINENO

# An ASCII locale gets ASCII line drawing; NO_COLOR is honoured (no colours to see
# in a capture, but it must still draw every element in monochrome attributes).
T send-keys "LANG=C NO_COLOR=1 '$adm' -c '$cnf'" Enter
expect_screen $LINENO "dashboard in ASCII" 'No campaigns yet'
T send-keys C-l
wait_for '-- Campaigns ---' >/dev/null 2>&1
screen | sed 's/refresh [0-9.]* ms/refresh N ms/' >"$work/s" && cp "$work/s" "$work/ascii"
check $LINENO "no UTF-8 line drawing in the C locale" sh -c "! grep -q '─' '$work/ascii'"
check $LINENO "ASCII rules instead" grep -q -- '-- Campaigns ---' "$work/ascii"
T send-keys q
check_restored $LINENO
done_tests
