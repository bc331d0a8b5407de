# install_units.sh - `cmake --install` with DESTDIR puts the programs, man
# pages, completion, units and examples where GNU install directories say,
# and nothing else; the units pass `systemd-analyze verify`, and the
# broker's sandbox rates at most 2.0 under `systemd-analyze security`.
. "$(dirname "$0")/../lib.sh" "$1"

command -v cmake >/dev/null || { echo "install_units: skipped, no cmake"; exit 77; }
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BIN/CMakeCache.txt")
[ -n "$prefix" ] || fail "no install prefix in $BIN/CMakeCache.txt"
ROOT=$T/root
DESTDIR=$ROOT cmake --install "$BIN" >"$T/install.log" 2>&1 || fail "cmake --install failed: $(tail -5 "$T/install.log")"
P=$ROOT$prefix
conf=$(sed -n 's/^ExecStart=.* -c //p' "$P/lib/systemd/system/fshare-broker.service")
[ -n "$conf" ] || fail "the broker unit names no config file"

# --- what is installed ------------------------------------------------------------------
(cd "$ROOT" && find . ! -type d | sed 's|^\.||' | sort) >"$T/files"
programs="fshare-broker fshare-peer fshare-ctl fshare-tap fshare-passwd fshare-bench"
[ -x "$BIN/fshare-web" ] && programs="$programs fshare-web"
{
    for p in $programs; do
        echo "$prefix/bin/$p"
        echo "$prefix/share/man/man1/$p.1"
        echo "$prefix/share/bash-completion/completions/$p"
    done
    echo "$prefix/share/bash-completion/completions/fshare"
    echo "$prefix/share/man/man5/fshare.conf.5"
    echo "$prefix/lib/systemd/system/fshare-broker.service"
    echo "$prefix/lib/systemd/user/fshare-peer.service"
    echo "$prefix/share/doc/fshare/examples/broker.conf"
    echo "$prefix/share/doc/fshare/examples/peer.conf"
    echo "$conf"
} | sort >"$T/expected"
diff "$T/expected" "$T/files" >"$T/diff" || fail "installed files differ from the list: $(cat "$T/diff")"
for p in $programs; do
    [ "$(readlink "$P/share/bash-completion/completions/$p")" = fshare ] \
        || fail "completion for $p is not a link to the script"
    "$P/bin/$p" --version >/dev/null || fail "installed $p does not run"
done
# a second install keeps an edited config
echo "# edited" >>"$ROOT$conf"
DESTDIR=$ROOT cmake --install "$BIN" >"$T/install.log" 2>&1 || fail "second install failed"
grep -q "# edited" "$ROOT$conf" || fail "a second install overwrote $conf"

# --- the units --------------------------------------------------------------------------
command -v systemd-analyze >/dev/null \
    || { echo "install_units: no systemd-analyze, units not checked"; exit 0; }
mkdir -p "$T/units" "$T/xdg" && chmod 700 "$T/xdg"
# The units name the installed programs: point them into the DESTDIR
for unit in system/fshare-broker.service user/fshare-peer.service; do
    sed "s|$prefix/bin/|$P/bin/|g" "$P/lib/systemd/$unit" >"$T/units/${unit#*/}"
done
export MANPATH=$P/share/man
systemd-analyze verify "$T/units/fshare-broker.service" >"$T/out" 2>&1 \
    || fail "verify fshare-broker.service: $(cat "$T/out")"
[ -s "$T/out" ] && fail "verify fshare-broker.service says: $(cat "$T/out")"
XDG_RUNTIME_DIR=$T/xdg systemd-analyze --user verify "$T/units/fshare-peer.service" >"$T/out" 2>&1 \
    || fail "verify fshare-peer.service: $(cat "$T/out")"
[ -s "$T/out" ] && fail "verify fshare-peer.service says: $(cat "$T/out")"

systemd-analyze security --offline=true "$T/units/fshare-broker.service" >"$T/out" 2>&1 \
    || fail "systemd-analyze security failed: $(tail -3 "$T/out")"
score=$(sed -n 's/.*Overall exposure level for fshare-broker.service: \([0-9.]*\).*/\1/p' "$T/out")
[ -n "$score" ] || fail "no exposure level in: $(tail -3 "$T/out")"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure level $score is above 2.0"
echo "install_units: ok (exposure $score)"
