#!/bin/bash
# readme_defaults.sh - the README's "Two users sharing a file", copied out of
# README.md and run as written (SPEC 7: command by command, two users
# sharing a file), against a broker started with no option at all: SPEC 3's
# embedded defaults (requests on tcp://127.0.0.1:5555, events on :5556,
# state in ~/.local/state/fshare when XDG_STATE_HOME is unset, the account
# file there with mode 0600, registration on loopback), the agents' default
# host and downloads directories, the control endpoint's fallback
# /tmp/fshare-UID/USER.ctl (mode 0700) without XDG_RUNTIME_DIR, and
# fshare-web's default 127.0.0.1:8080 or the next free port (SPEC 9).
# The ports are fixed, so it runs in a network namespace of its own
# (unshare; as a user, with a user namespace where that user is root).
if [ -z "${FSHARE_UNSHARED:-}" ]; then
    build=$1
    if [ "$(id -u)" -ne 0 ]; then set -- --user --map-root-user --net; else set -- --net; fi
    # a machine that allows no network namespace (a container without
    # CAP_SYS_ADMIN) cannot run this with its fixed ports: said, not passed
    unshare "$@" true 2>/dev/null \
        || { echo "SKIP: readme_defaults: no network namespace here (needs root or user namespaces)"; exit 77; }
    FSHARE_UNSHARED=1 exec unshare "$@" bash "$0" "$build"
fi
. "$(dirname "$0")/../lib.sh" "$1"
BROKER_EP=tcp://127.0.0.1:5555     # the defaults, for lib.sh's connect
WEB="$BIN/fshare-web"

# A new network namespace has its loopback down (python3: tools/setup.sh
# installs it, iproute2 it does not)
python3 - <<'EOF' || fail "cannot bring up the namespace's loopback"
import fcntl, socket, struct
s = socket.socket()
fcntl.ioctl(s, 0x8914, struct.pack('16sh', b'lo', 0x1 | 0x40))  # SIOCSIFFLAGS: IFF_UP|IFF_RUNNING
EOF

# listening HOST_HEX PORT: a TCP socket of this namespace listens there
listening() {
    awk -v want="$(printf '%s:%04X' "$1" "$2")" \
        '$2 == want && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}
LOOPBACK=0100007F
name=rd$$                           # /tmp is the machine's: a name of this test's own
ctldir=/tmp/fshare-$(id -u)
# at exit, whatever passed or failed: what the README's block left in the
# background (its tap; agents a failed block did not stop) lives in
# $T/work, it is stopped and checked like the test's own processes; and
# the fallback control directory loses this test's files
adopt_work() {
    local cwd pid
    for cwd in /proc/[0-9]*/cwd; do
        pid=${cwd#/proc/}; pid=${pid%/cwd}
        [ "$(readlink "$cwd" 2>/dev/null)" = "$T/work" ] && PIDS="$PIDS $pid"
    done
    rm -f "$ctldir/$name.ctl" "$ctldir/$name.log" "$ctldir/$name.log.1"
}
at_exit adopt_work

# --- the broker, as `sh tools/setup.sh broker` starts it: no option ------------------------------
bg broker env -u XDG_STATE_HOME "$BIN/fshare-broker" --hash-cost min
BROKER_PID=$LAST_PID
wait_until 10 listening $LOOPBACK 5555 || fail "the broker does not listen on 127.0.0.1:5555"
wait_until 10 listening $LOOPBACK 5556 || fail "the broker does not publish on 127.0.0.1:5556"
log_has broker "registration is ON" || fail "registration is not on by default on loopback"

# --- the README's block, as written ----------------------------------------------------------------
awk '/^## Two users sharing a file/ { section = 1 }
     section && /^```sh$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$(dirname "$0")/../../README.md" >"$T/block.sh"
grep -q "fshare-ctl --user bob get alice" "$T/block.sh" || fail "the README's block shares no file: $(cat "$T/block.sh")"
mkdir "$T/work"
ln -s "$BIN" "$T/work/build"        # the block runs in the checkout: PATH=$PWD/build
(cd "$T/work" && bash -e "$T/block.sh") >"$T/readme.log" 2>"$T/readme.err" \
    || fail "the README's block failed: $(cat "$T/readme.err")"
grep -q "^connected as bob" "$T/readme.log" || fail "no 'connected as bob': $(cat "$T/readme.log")"
grep -q "^alice .* hello.txt" "$T/readme.log" || fail "bob did not see hello.txt: $(cat "$T/readme.log")"
grep -q "^saved .*/work/bob_downloads/hello.txt" "$T/readme.log" || fail "no download: $(cat "$T/readme.log")"
cmp -s "$T/work/alice_files/hello.txt" "$T/work/bob_downloads/hello.txt" \
    || fail "bob's copy is not alice's file"
[ "$(grep -c "^disconnected$" "$T/readme.log")" -eq 2 ] || fail "not two disconnects: $(cat "$T/readme.log")"
wait_until 10 log_has readme '"type":"leave","user":"alice"' || fail "the block's tap did not print alice leaving"
[ -d "$T/work/alice_downloads" ] && [ -d "$T/work/bob_files" ] || fail "the default directories were not created"
accounts=$T/home/.local/state/fshare/accounts
[ "$(stat -c %a "$accounts" 2>/dev/null)" = 600 ] || fail "no account file of mode 0600 at $accounts"
grep -q '^alice:\$argon2id\$' "$accounts" && grep -q '^bob:\$argon2id\$' "$accounts" \
    || fail "the first logins created no accounts: $(cat "$accounts")"
grep -rq "alice-pw" "$T/home" "$T/readme.log" "$T/broker.log" && fail "a password reached the disk"

# --- the control endpoint without XDG_RUNTIME_DIR: /tmp/fshare-UID/ ---------------------------------
(cd "$T/work" && FSHARE_PASSWORD=pw env -u XDG_RUNTIME_DIR "$CTL" connect "$name" --dir "$T/work/${name}_files") \
    >"$T/out" 2>"$T/err" || fail "connect without XDG_RUNTIME_DIR: $(cat "$T/err")"
[ -S "$ctldir/$name.ctl" ] || fail "no control socket at $ctldir/$name.ctl"
[ "$(stat -c %a "$ctldir")" = 700 ] || fail "$ctldir is not mode 0700"
[ -d "$T/work/${name}_downloads" ] || fail "no default downloads directory ./${name}_downloads"
env -u XDG_RUNTIME_DIR "$CTL" --user "$name" disconnect >/dev/null || fail "disconnect $name"
grep -rq "$SAN_REPORT" "$ctldir/$name.log" 2>/dev/null && fail "sanitizer report in $ctldir/$name.log"

# --- fshare-web: 127.0.0.1:8080 by default, else the next free port ---------------------------------
FSHARE_PASSWORD=alice-pw connect alice
bg web1 "$WEB" --user alice
wait_until 10 log_has web1 "http://127.0.0.1:8080/?token=" || fail "web: not 8080: $(cat "$T/web1.log")"
listening $LOOPBACK 8080 || fail "web: nothing listens on 127.0.0.1:8080"
bg web2 "$WEB" --user alice
wait_until 10 log_has web2 "http://127.0.0.1:8081/?token=" || fail "web: not the next port: $(cat "$T/web2.log")"
listening $LOOPBACK 8081 || fail "web: nothing listens on 127.0.0.1:8081"
adopt_work
end_clean
echo "readme_defaults: ok"
