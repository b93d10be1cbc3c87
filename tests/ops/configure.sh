#!/usr/bin/env bash
# configure's output is clean where the build has a core/ directory (every
# build after its first, and any build in the source tree): no "rm: cannot
# remove 'core'" from autoconf's clean-ups of core dumps, no confdefs.h left.
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
fail=0
if [ "$rc" -ne 0 ]; then
	echo "configure.sh:$LINENO: configure exited $rc" >&2
	tail -20 "$work/config.log" >&2
	fail=1
fi
if [ -s "$work/configure.err" ]; then
	echo "configure.sh:$LINENO: configure wrote to stderr:" >&2
	cat "$work/configure.err" >&2
	fail=1
fi
if [ -e "$work/confdefs.h" ]; then
	echo "configure.sh:$LINENO: configure left confdefs.h behind" >&2
	fail=1
fi
if [ ! -d "$work/core" ]; then
	echo "configure.sh:$LINENO: configure removed the core/ directory" >&2
	fail=1
fi
echo "configure.sh: $([ "$fail" -eq 0 ] && echo clean || echo not clean)"
[ "$fail" -eq 0 ]
