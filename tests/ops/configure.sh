#!/usr/bin/env bash
# configure's output is clean where the build has a core/ directory (every
# build after its first, and any build in the source tree): no "rm: cannot
# remove 'core'" from autoconf's clean-ups of core dumps, no confdefs.h left.
. "$top_srcdir/tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/core"
# The flags this build was configured with, but where its sources are.
eval "set -- $("$top_builddir/config.status" --config)"
for arg; do
	shift
	case $arg in --srcdir=* | --cache-file=* | --no-create | --no-recursion) continue ;; esac
	set -- "$@" "$arg"
done
rc=0
(cd "$work" && "$top_srcdir/configure" "$@" >configure.out 2>configure.err) || rc=$?
check $LINENO "configure exits 0, not $rc: $(tail -5 "$work/config.log")" test "$rc" -eq 0
check $LINENO "configure writes nothing to stderr: $(cat "$work/configure.err")" \
	test ! -s "$work/configure.err"
check $LINENO "configure leaves no confdefs.h behind" test ! -e "$work/confdefs.h"
check $LINENO "configure leaves the core/ directory alone" test -d "$work/core"
done_tests
