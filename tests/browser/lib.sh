# Sourced by the browser tests after tests/cli/lib.sh or tests/http/lib.sh:
# Debian's Chromium, node and playwright-core (npm ci), or a failure in CI and a
# skip in a build by hand.
here=$top_srcdir/tests/browser
chromium=${CHROMIUM:-/usr/bin/chromium}
node=$(command -v node || true)

need() {
	if [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
		echo "$1 (./quickstart test installs it)" >&2
		exit 99
	fi
	echo "SKIP: $1"
	exit 77
}
[ -x "$chromium" ] || need "chromium is not installed"
[ -n "$node" ] || need "node is not installed"
[ -d "$here/node_modules/playwright-core" ] ||
	need "playwright-core is not installed (cd tests/browser && npm ci)"
