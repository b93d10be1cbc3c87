#!/usr/bin/env bash
# couponadm's subcommands are declared once (tui/cmd.c): the man page's SYNOPSIS
# is what couponadm --synopsis prints, its COMMANDS are the commands' names, and
# every command answers --help and a usage error with its own synopsis.
no_db=1
. "$top_srcdir/tests/cli/lib.sh"

man=$top_srcdir/man/couponadm.1
if command -v groff >/dev/null 2>&1; then
	render() { groff -mdoc -Tascii -rLL=1000n -P-cbu "$man" 2>&1; }
elif command -v mandoc >/dev/null 2>&1; then
	render() { mandoc -Tascii -Owidth=1000 "$man" | col -b; }
elif [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
	echo "neither groff nor mandoc: install groff-base (see quickstart)" >&2
	exit 99
else
	echo "SKIP: neither groff nor mandoc to render the man page"
	exit 77
fi

# The lines of section $1 indented as the section's first level, spaces squeezed.
section() {
	render | awk -v s="$1" '/^[A-Z]/ { on = ($0 == s); next }
		on && /^     [^ ]/ { sub(/^ +/, ""); print }'
}

# Placeholders are upper case in --help and lower case (Ar) in the man page.
fold() { tr '[:upper:]' '[:lower:]' | tr -s ' '; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$adm" --synopsis | fold >"$work/help"
section SYNOPSIS | fold >"$work/man"
check $LINENO "--synopsis prints something" test -s "$work/help"
check $LINENO "man SYNOPSIS is couponadm --synopsis: $(diff "$work/man" "$work/help" | tr '\n' ' ')" \
	cmp -s "$work/man" "$work/help"

# The COMMANDS heads, the name before the text (two spaces apart when on one line).
section COMMANDS | sed 's/  .*//' | grep -v '^Each command' >"$work/names"
check $LINENO "man COMMANDS lists commands" test -s "$work/names"
while read -r name; do
	check $LINENO "COMMANDS '$name' has a synopsis" grep -q "^couponadm \[options\] $name\( \|\$\)" "$work/help"
done <"$work/names"
missing=$(sed 1d "$work/help" | while read -r line; do
	found=no
	while read -r name; do
		case "$line " in "couponadm [options] $name "*) found=yes ;; esac
	done <"$work/names"
	[ $found = yes ] || echo "$line;"
done)
check $LINENO "every synopsis is described under COMMANDS: $missing" test -z "$missing"

# Each command: --help on stdout with exit 0; an unknown option is a usage error
# (exit 2) that names the option and prints the same synopsis. No database needed.
while read -r name; do
	set -- $(echo "$name" | sed 's/|[^ ]*//g') # the first of alternatives
	expect_exit $LINENO 0 "$adm" -c /dev/null "$@" --help
	check $LINENO "$name --help: its usage" contains "$out" "usage: couponadm [options] $*"
	expect_exit $LINENO 2 "$adm" -c /dev/null "$@" --no-such-option
	check $LINENO "$name: says which option" contains "$out" "unknown option '--no-such-option'"
	check $LINENO "$name: usage error shows its usage" contains "$out" "usage: couponadm [options] $*"
done <"$work/names"

# A command alone or with an unknown verb: the forms of that command, exit 2.
expect_exit $LINENO 2 "$adm" -c /dev/null campaign
check $LINENO "campaign alone: every campaign form" \
	test "$(echo "$out" | grep -c 'couponadm \[options\] campaign ')" = 7
expect_exit $LINENO 2 "$adm" -c /dev/null code frob X
check $LINENO "unknown verb named" contains "$out" "unknown code command 'frob'"
expect_exit $LINENO 0 "$adm" -c /dev/null code --help
expect_exit $LINENO 2 "$adm" -c /dev/null frobnicate
check $LINENO "unknown command" contains "$out" "unknown command 'frobnicate'"
expect_exit $LINENO 2 "$adm" -c /dev/null generate --count
check $LINENO "a missing value is named" contains "$out" "--count needs a value"

# couponadm --help lists every form, wrapped to 80 columns.
expect_exit $LINENO 0 "$adm" -c /dev/null --help
check $LINENO "--help fits 80 columns" test "$(echo "$out" | awk 'length > 80 && !/--config/' | wc -l)" = 0
check $LINENO "--help: every command" test "$(echo "$out" | grep -c '^  [a-z]')" -ge "$(wc -l <"$work/names")"

done_tests
