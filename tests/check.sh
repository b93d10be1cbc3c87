# Sourced by the shell tests (tests/cli/lib.sh and those that need no server):
# counted checks that report the failing line, and the summary at the end.

# Sourced twice (a test, then a lib that sources it too), the counts carry on.
: "${fail:=0}" "${checks:=0}"

# check LINE DESCRIPTION COMMAND...: counts, reports the line on failure.
check() {
	local line=$1 what=$2
	shift 2
	checks=$((checks + 1))
	if ! "$@"; then
		echo "${0##*/}:$line: $what" >&2
		fail=$((fail + 1))
	fi
}

# expect_exit LINE CODE COMMAND...: runs COMMAND, output in $out, checks exit code.
expect_exit() {
	local line=$1 want=$2 rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	checks=$((checks + 1))
	if [ "$rc" -ne "$want" ]; then
		echo "${0##*/}:$line: '$*' exited $rc, expected $want; output: $out" >&2
		fail=$((fail + 1))
	fi
}

contains() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }

done_tests() {
	# A suite's own checks on what it leaves behind (tests/http/lib.sh: its logs).
	if declare -F check_logs >/dev/null; then check_logs; fi
	echo "${0##*/}: $checks checks, $fail failed"
	[ "$fail" -eq 0 ]
}
