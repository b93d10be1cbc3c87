#!/usr/bin/env bash
# The terminal is restored on every way out: C-c (SIGINT), SIGTERM, SIGHUP and
# a crash (SIGSEGV), as well as q. Each time the shell prompt comes back with
# icanon and echo on and the alternate screen left.
. "$top_srcdir/tests/tui/lib.sh"
start_console signals 100 30
expect_screen $LINENO "dashboard" 'No campaigns yet'

console_pid() {
	pgrep -P "$(T display -p '#{pane_pid}')" -x couponadm
}

relaunch() {
	T send-keys "clear; '$adm' -c '$cnf'" Enter
	expect_screen "$1" "console again" 'No campaigns yet'
}

T send-keys C-c
check_restored $LINENO
for sig in TERM HUP SEGV; do
	relaunch $LINENO
	pid=$(console_pid)
	check $LINENO "found the console's pid ($pid)" test -n "$pid"
	kill -s "$sig" "$pid"
	check_restored $LINENO
done
done_tests
