# deb_package.sh - the Debian package (tools/debian/build.sh, as run by
# `sh tools/setup.sh deb`): it builds from this build tree, lintian reports no
# error, its control data is sane, and the README's two-user walk-through
# runs with the programs unpacked from it (dpkg-deb -x), on ipc endpoints.
. "$(dirname "$0")/../lib.sh" "$1"

for tool in dpkg-deb dpkg-shlibdeps cmake; do
    command -v "$tool" >/dev/null || { echo "deb_package: skipped, no $tool"; exit 77; }
done
SRC=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BIN/CMakeCache.txt")
arch=$(dpkg --print-architecture)

sh "$SRC/tools/debian/build.sh" "$BIN" "$T/pkg" >"$T/build.log" 2>&1 \
    || fail "build.sh failed: $(tail -5 "$T/build.log")"
DEB="$T/pkg/fshare_${version}_${arch}.deb"
[ -f "$DEB" ] || fail "no $DEB: $(cat "$T/build.log")"
[ "$(cat "$T/build.log")" = "$DEB" ] || fail "build.sh printed more than the path: $(cat "$T/build.log")"

# --- control data ------------------------------------------------------------------------
dpkg-deb -f "$DEB" Package Version Architecture Depends >"$T/control"
grep -qx "Package: fshare" "$T/control" || fail "bad Package: $(cat "$T/control")"
grep -qx "Version: $version" "$T/control" || fail "Version is not $version: $(cat "$T/control")"
grep -q "^Depends:.*libczmq4.*libzmq5" "$T/control" || fail "no library dependencies: $(cat "$T/control")"
grep -q "^Depends:.*adduser" "$T/control" || fail "no adduser dependency: $(cat "$T/control")"
dpkg-deb --ctrl-tarfile "$DEB" | tar -tf - | sort >"$T/ctrl"
for f in control conffiles md5sums postinst prerm postrm; do
    grep -qx "./$f" "$T/ctrl" || fail "the package has no $f"
done
mkdir "$T/ctrl.d" && dpkg-deb -e "$DEB" "$T/ctrl.d"
[ "$(cat "$T/ctrl.d/conffiles")" = /etc/fshare/broker.conf ] || fail "conffiles: $(cat "$T/ctrl.d/conffiles")"
for script in postinst prerm postrm; do sh -n "$T/ctrl.d/$script" || fail "$script: syntax error"; done
dpkg-deb -c "$DEB" | awk '{ print $2 }' | sort -u | grep -vx root/root \
    && fail "files not owned by root"

# --- lintian: no error (warnings are printed) ------------------------------------------------
command -v lintian >/dev/null || fail "lintian is missing (tools/setup.sh installs it)"
lintian "$DEB" >"$T/lintian" 2>&1
grep -v "running with root privileges" "$T/lintian" | sed 's/^/deb_package: lintian: /'
grep -q "^E:" "$T/lintian" && fail "lintian reports errors"
[ "$(grep -c '^W:' "$T/lintian")" = 0 ] || echo "deb_package: lintian warnings above"

# --- unpacked: the README's walk-through with the packaged programs ---------------------------
ROOT=$T/root
dpkg-deb -x "$DEB" "$ROOT"
U=$ROOT/usr/bin
for p in fshare-broker fshare-peer fshare-ctl fshare-tap fshare-passwd fshare-bench; do
    [ -x "$U/$p" ] || fail "no $p in the package"
    [ "$("$U/$p" --version)" = "$p $version" ] || fail "$p --version: $("$U/$p" --version)"
    [ -f "$ROOT/usr/share/man/man1/$p.1.gz" ] || fail "no man page for $p"
done
[ -f "$ROOT/usr/share/man/man5/fshare.conf.5.gz" ] || fail "no fshare.conf(5)"
[ -f "$ROOT/usr/lib/systemd/system/fshare-broker.service" ] || fail "no broker unit"
[ -f "$ROOT/usr/lib/systemd/user/fshare-peer.service" ] || fail "no peer unit"
[ -L "$ROOT/usr/share/bash-completion/completions/fshare-ctl" ] || fail "no completion"
grep -q "^state-dir = /var/lib/fshare" "$ROOT/etc/fshare/broker.conf" || fail "bad broker.conf"

BIN=$U      # start_broker runs the packaged broker
start_broker
export PATH=$U:$PATH FSHARE_PASSWORD=
cd "$T" || fail "no $T"
bg tap fshare-tap --json --events "$EVENTS_EP"
wait_until 10 log_has tap '"type":"stats"' || fail "the tap sees no events"
FSHARE_PASSWORD=alice-pw expect 0 fshare-ctl connect alice --broker "$BROKER_EP"
PIDS="$PIDS $(fshare-ctl --user alice --json status | jq -r .pid)"
FSHARE_PASSWORD=bob-pw expect 0 fshare-ctl connect bob --broker "$BROKER_EP"
PIDS="$PIDS $(fshare-ctl --user bob --json status | jq -r .pid)"
grep -q "fshare-peer" /proc/"$(fshare-ctl --user bob --json status | jq -r .pid)"/cmdline \
    || fail "bob's agent is not fshare-peer"
[ "$(readlink /proc/"$(fshare-ctl --user bob --json status | jq -r .pid)"/exe)" = "$U/fshare-peer" ] \
    || fail "bob's agent is not the packaged fshare-peer"
echo "hello" >alice_files/hello.txt
bob_sees_hello() { fshare-ctl --user bob ls --all 2>/dev/null | grep -q "hello.txt"; }
wait_until 10 bob_sees_hello || fail "bob does not see alice's hello.txt"
expect 0 fshare-ctl --user bob peers
grep -q alice "$T/out" || fail "peers lacks alice: $(cat "$T/out")"
expect 0 fshare-ctl --user bob get alice hello.txt
[ "$(cat bob_downloads/hello.txt)" = hello ] || fail "bob's download is not alice's file"
expect 0 fshare-ctl --user bob disconnect
wait_until 10 log_has tap '"type":"leave","user":"bob"' || fail "the tap saw no leave of bob"
expect 0 fshare-ctl --user alice disconnect
log_has tap '"type":"file_added","user":"alice","path":"hello.txt"' \
    || fail "the tap saw no file_added: $(tail -3 "$T/tap.log")"
echo "deb_package: ok ($(du -k "$DEB" | cut -f1) KiB)"
