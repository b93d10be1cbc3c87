# Sourced by the console tests: the real couponadm in a private tmux server.
# Needs tmux and COUPON_TEST_CONFIG (see tests/cli/lib.sh).
. "$top_srcdir/tests/cli/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	if [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
		echo "tmux is missing" >&2
		exit 99
	fi
	echo "SKIP: tmux is not installed"
	exit 77
fi

sock=cpt-tui-$$
T() { tmux -L "$sock" "$@"; }

# start_console NAME WIDTH HEIGHT: a shell in a fresh tmux server, then couponadm
# in it, so that quitting comes back to a prompt whose tty settings we can check.
start_console() {
	scratch_db "$1"
	"$adm" -c "$cnf" -q migrate
	trap 'T kill-server >/dev/null 2>&1; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"; sql "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1; rm -rf "$work"' EXIT
	T -f /dev/null new-session -d -x "$2" -y "$3" \
		"env -i PATH='$PATH' HOME='$work' TERM=tmux-256color LANG=C.UTF-8 PS1='tui-prompt\$ ' sh"
	T set-option -g status off
	wait_for 'tui-prompt\$' 30
	T send-keys "cd '$work' && '$adm' -c '$cnf'" Enter
	wait_for 'couponadm' 30
}

screen() { T capture-pane -p; }

# wait_for REGEX [SECONDS]: polls the screen until REGEX matches; false on timeout.
wait_for() {
	local re=$1 left=$(( ${2:-30} * 10 ))
	while [ "$left" -gt 0 ]; do
		screen | grep -Eq -- "$re" && return 0
		sleep 0.1
		left=$((left - 1))
	done
	echo "${0##*/}: timed out waiting for /$re/; the screen was:" >&2
	screen >&2
	return 1
}

# expect_screen LINE WHAT REGEX [SECONDS]
expect_screen() {
	check "$1" "$2" wait_for "$3" "${4:-30}"
}

# The screen with the clock masked, for golden comparisons.
stable_screen() {
	screen | sed 's/[0-9][0-9]:[0-9][0-9]:[0-9][0-9]/HH:MM:SS/g'
}

# golden LINE NAME: compares the screen with tests/tui/golden/NAME.txt.
# COUPON_GOLDEN_UPDATE=1 rewrites the file instead (then review the diff).
golden() {
	local file=$top_srcdir/tests/tui/golden/$2.txt
	stable_screen >"$work/$2.txt"
	if [ -n "${COUPON_GOLDEN_UPDATE:-}" ]; then
		cp "$work/$2.txt" "$file"
		echo "updated $file"
	fi
	check "$1" "screen $2 matches $file" diff -u "$file" "$work/$2.txt"
}

# After quitting: the prompt is back, the tty is sane and the alternate screen left.
check_restored() {
	expect_screen "$1" "the shell prompt is back" 'tui-prompt\$ *$'
	T send-keys "stty -a | tr ';' '\\n' | grep -Eo -- '(-?icanon|-?echo) ' | tr -d ' \\n'; echo" Enter
	expect_screen "$1" "stty shows icanon and echo" '^icanonecho'
	check "$1" "the alternate screen was left" test "$(T display -p '#{alternate_on}')" = 0
}
