#!/usr/bin/env bash
# The Debian packages, end to end, as an administrator uses them: build them
# from the release tarball with dpkg-buildpackage, lintian (no errors), install
# them with apt, point /etc/coupon/coupon.cnf at the test server, migrate with
# the installed couponadm, serve a redemption with the installed coupon-fcgi
# behind nginx (socket handed over as coupon-fcgi.socket does, as user
# _coupon), rotate its log with the installed logrotate file, then purge and
# check that nothing is left. Needs root: ./quickstart test runs it after make
# check (make check-deb), not inside it.
. "$top_srcdir/tests/http/lib.sh"
need_nginx
pkgs=(coupon-common coupon-fcgi couponadm coupon-relay)
apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
missing=""
for t in dpkg-buildpackage dh lintian fakeroot systemd-socket-activate logrotate setpriv; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
if [ "$(id -u)" -ne 0 ] || [ -n "$missing" ]; then
	if [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
		echo "needs root and:$missing (./quickstart test installs them)" >&2
		exit 99
	fi
	echo "SKIP: needs root${missing:+ and$missing}"
	exit 77
fi
status() { dpkg-query -W -f='${db:Status-Abbrev}\n' "$@" 2>/dev/null; }
any_installed() { status "$@" | grep -q '^.i'; }
all_installed() { [ "$(status "$@" | grep -c '^ii')" = "$#" ]; }
if any_installed "${pkgs[@]}"; then
	echo "coupon packages are installed already: this test installs and purges its own" >&2
	exit 99
fi

scratch_db pkg_deb
dbuser=cpt_pkg_$$
dbpass=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
purge() {
	# apt and dpkg output is kept as .out: *.log is what coupon writes (check_logs)
	apt-get purge "${apt_opts[@]}" "${pkgs[@]}" >"$work/purge.out" 2>&1
}
deb_cleanup() {
	stop_servers
	any_installed "${pkgs[@]}" && purge
	rm -rf /run/coupon
	sql "DROP USER IF EXISTS '$dbuser'@'127.0.0.1'" >/dev/null 2>&1
	cleanup
}
trap deb_cleanup EXIT

# ------------------------------------------------------------ build
make -C "$top_builddir" dist >"$work/dist.out" 2>&1 || { tail -20 "$work/dist.out" >&2; exit 99; }
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
tar -C "$work" -xzf "$top_builddir/coupon-$version.tar.gz"
src=$work/coupon-$version
cp -r "$top_srcdir/debian" "$src/"
echo "building the packages (log: $work/build.log)"
if ! (cd "$src" && env -u CI -u COUPON_TEST_CONFIG -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$work/build.out" 2>&1; then
	tail -40 "$work/build.out" >&2
	exit 1
fi
changes=$(ls "$work"/coupon_*.changes)
for p in "${pkgs[@]}"; do
	check $LINENO "$p was built" compgen -G "$work/${p}_*.deb"
done
lintian --fail-on error --tag-display-limit 0 --suppress-tags no-manual-page "$changes" \
	>"$work/lintian.txt" 2>&1
check $LINENO "lintian finds no errors: $(grep '^E:' "$work/lintian.txt")" \
	test "$(grep -c '^E:' "$work/lintian.txt")" = 0
echo "lintian: $(grep -c . "$work/lintian.txt") tags"
sed 's/^/  /' "$work/lintian.txt"

# ------------------------------------------------------------ install
apt-get install "${apt_opts[@]}" "$work"/*.deb >"$work/install.out" 2>&1 || { cat "$work/install.out" >&2; exit 1; }
check $LINENO "all four installed" all_installed "${pkgs[@]}"
check $LINENO "the service user" getent passwd _coupon >/dev/null
check $LINENO "with no login shell" \
	test "$(getent passwd _coupon | cut -d: -f7)" = /usr/sbin/nologin
check $LINENO "the option file is a conffile" \
	sh -c "dpkg-query -W -f='\${Conffiles}' coupon-common | grep -q ' /etc/coupon/coupon.cnf '"
check $LINENO "readable by _coupon, not by others" \
	test "$(stat -c '%U:%G %a' /etc/coupon/coupon.cnf)" = "root:_coupon 640"
check $LINENO "a generation key was made" \
	test "$(stat -c '%U:%G %a %s' /etc/coupon/coupon.key)" = "root:_coupon 640 65"
check $LINENO "the log directory" test "$(stat -c '%U:%G %a' /var/log/coupon)" = "_coupon:adm 2750"
for u in coupon-fcgi.socket coupon-fcgi.service coupon-relay.service; do
	check $LINENO "$u installed" test -f "/lib/systemd/system/$u"
done
expect_exit $LINENO 0 systemd-analyze verify /lib/systemd/system/coupon-fcgi.socket \
	/lib/systemd/system/coupon-fcgi.service /lib/systemd/system/coupon-relay.service
check $LINENO "the installed units verify cleanly: $out" test -z "$out"
check $LINENO "the socket is enabled" \
	test -L /etc/systemd/system/sockets.target.wants/coupon-fcgi.socket
check $LINENO "the relay waits to be configured" \
	test ! -e /etc/systemd/system/multi-user.target.wants/coupon-relay.service
check $LINENO "the example names the installed pages" \
	grep -q 'root /usr/share/coupon/www;' /usr/share/doc/coupon-fcgi/examples/nginx.conf

# ------------------------------------------------------------ configure, migrate
port=$(sql "SELECT @@port")
sql "CREATE USER '$dbuser'@'127.0.0.1' IDENTIFIED BY '$dbpass';
     GRANT ALL ON \`$db\`.* TO '$dbuser'@'127.0.0.1'"
sed -i -e "s|^socket = .*|host = 127.0.0.1\nport = $port|" -e "s|^database = .*|database = $db|" \
	-e "s|^user = .*|user = $dbuser\npassword = $dbpass|" /etc/coupon/coupon.cnf
http_port=$(free_port) || exit 99
base=http://127.0.0.1:$http_port
sed -i "/^\[coupon\]\$/a site = $base\nlog-file = /var/log/coupon/coupon-fcgi.log" \
	/etc/coupon/coupon.cnf
# Run as the service user, the installed programs find /etc/coupon/coupon.cnf.
as_coupon() { setpriv --reuid=_coupon --regid=_coupon --init-groups -- "$@"; }
expect_exit $LINENO 0 as_coupon /usr/bin/couponadm --quiet migrate
check $LINENO "migrated: $out" test "$(sqldb 'SELECT COUNT(*) FROM schema_migrations')" -ge 1
expect_exit $LINENO 0 /usr/bin/couponadm campaign create pkg --codes 1000
expect_exit $LINENO 0 /usr/bin/couponadm --quiet generate --campaign pkg --count 3
key=$(/usr/bin/couponadm apikey create --name pkg --scope redeem 2>/dev/null)
set -- $(sqldb "SELECT code FROM coupon_codes ORDER BY id")
c1=$1 c2=$2

# ------------------------------------------------------------ serve
# What coupon-fcgi.socket and .service do: the socket bound first, coupon-fcgi
# started as _coupon at the first connection with it as fd 3.
install -d -o _coupon -g _coupon -m 0755 /run/coupon
systemd-socket-activate -l "$work/fcgi.sock" -- setpriv --reuid=_coupon --regid=_coupon \
	--init-groups -- /usr/sbin/coupon-fcgi --access-log --pid-file /run/coupon/coupon-fcgi.pid \
	2>"$work/activate.err" &
fcgi_pid=$!
wait_until 40 test -S "$work/fcgi.sock" || { cat "$work/activate.err" >&2; exit 99; }
port=$http_port
mkdir -p "$work/nginx"
sh "$top_srcdir/www/nginx-local-conf" "$port" "$work/fcgi.sock" /usr/share/coupon/www \
	"$work/nginx" >"$work/nginx/nginx.conf"
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log" &
nginx_pid=$!
wait_until 100 fcgi_answers || { cat "$work/nginx/error.log" /var/log/coupon/coupon-fcgi.log >&2; exit 1; }
req GET /
expect $LINENO 200
check $LINENO "the customer page from the package" contains "$body" "<form"
api POST /api/v1/redeem "{\"code\":\"$c1\",\"user_id\":\"u1\"}"
expect $LINENO 200
check $LINENO "redeemed in the database" \
	test "$(sqldb "SELECT status FROM coupon_codes WHERE code = '$c1'")" = redeemed
check $LINENO "coupon-fcgi runs as _coupon" \
	test "$(stat -c %U "/proc/$(cat /run/coupon/coupon-fcgi.pid)")" = _coupon
check $LINENO "on the socket from systemd" \
	grep -q "on the socket from systemd" /var/log/coupon/coupon-fcgi.log

# ------------------------------------------------------------ logrotate
expect_exit $LINENO 0 logrotate -f -s "$work/logrotate.state" /etc/logrotate.d/coupon-fcgi
check $LINENO "rotated: $out" test -f /var/log/coupon/coupon-fcgi.log.1
check $LINENO "the postrotate HUP made a new file" \
	wait_until 50 test -f /var/log/coupon/coupon-fcgi.log
api POST /api/v1/redeem "{\"code\":\"$c2\",\"user_id\":\"u2\"}"
expect $LINENO 200
check $LINENO "the next request is logged in the new file" \
	wait_until 50 grep -q ' POST redeem 200 ' /var/log/coupon/coupon-fcgi.log
check $LINENO "the old one kept the first" \
	test "$(grep -c ' POST redeem 200 ' /var/log/coupon/coupon-fcgi.log.1)" = 1
check $LINENO "the new file: _coupon's, readable by adm" \
	test "$(stat -c '%U:%G %a' /var/log/coupon/coupon-fcgi.log)" = "_coupon:adm 640"
stop_servers
rm -rf /run/coupon

# ------------------------------------------------------------ purge
files=$(for d in "$work"/*.deb; do dpkg-deb -c "$d"; done | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}')
check $LINENO "purged" purge
check $LINENO "no package left" test -z "$(status "${pkgs[@]}" | grep -v '^un')"
left=$(for f in $files; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done)
check $LINENO "no file of the packages left: $left" test -z "$left"
check $LINENO "no service user" sh -c '! getent passwd _coupon && ! getent group _coupon'
check $LINENO "no /etc/coupon" test ! -e /etc/coupon
check $LINENO "no /var/log/coupon" test ! -e /var/log/coupon
left=$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled \
	/var/lib/systemd/deb-systemd-helper-masked -name '*coupon*' 2>/dev/null)
check $LINENO "no unit links or state left: $left" test -z "$left"

done_tests
