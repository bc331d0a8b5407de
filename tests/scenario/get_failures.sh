#!/bin/bash
# get_failures.sh - every failure of SPEC 4.3 ends a download on all three
# sides with a clear message and exit 1, nothing under the final name: the
# owner killed or logging out mid-transfer, the file rewritten or deleted
# during the transfer, an unreadable file, a downloads directory that is
# not one, a file-size limit (ulimit -f), and fshare-ctl interrupted.
# A transfer is held mid-way by stopping the requester's agent (SIGSTOP)
# for a moment: its window fills and nothing moves until SIGCONT.
. "$(dirname "$0")/../lib.sh" "$1"

start_broker --verbose
mkdir -p "$T/alice_files"
# Large and sparse: cheap to make and to read, far too big to be done
# before the test has stopped the transfer
for f in big1 big2 big3 big4 big5; do truncate -s 2G "$T/alice_files/$f.bin"; done
head -c 2M /dev/urandom >"$T/alice_files/small.bin"
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice small.bin || fail "bob does not see alice's files"

part() { echo "$T/bob_dl/.$1.fshare-part"; }
no_final() { [ ! -e "$T/bob_dl/$1" ] || fail "$1 exists under its final name"; }

# start_get FILE: fshare-ctl get in the background, held once bytes arrive
start_get() {
    bg "get_$1" "$CTL" --user bob get alice "$1"
    GET_PID=$LAST_PID
    wait_until 20 has_bytes "$(part "$1")" || fail "$1: no byte arrived"
}
# get_fails FILE MESSAGE: the background get exits 1 saying MESSAGE
get_fails() {
    wait_until 15 gone "$GET_PID" || fail "get $1 did not end"
    wait "$GET_PID"
    local rc=$?
    [ "$rc" -eq 1 ] || fail "get $1 exited $rc, not 1: $(cat "$T/get_$1.log")"
    grep -q -- "$2" "$T/get_$1.log" || fail "get $1 does not say '$2': $(cat "$T/get_$1.log")"
    no_final "$1"
}

# --- the file rewritten during the transfer -------------------------------------
start_get big1.bin
halt "$PID_bob"
echo more >>"$T/alice_files/big1.bin"
kill -CONT "$PID_bob"
get_fails big1.bin "file changed during transfer"
wait_until 5 log_has alice "'big1.bin' to bob stopped" || fail "alice kept serving big1.bin"
[ -e "$(part big1.bin)" ] && fail "the partial file of a changed file was kept"

# --- the file deleted during the transfer ---------------------------------------
start_get big2.bin
halt "$PID_bob"
rm "$T/alice_files/big2.bin"
kill -CONT "$PID_bob"
get_fails big2.bin "file deleted during transfer"

# --- fshare-ctl interrupted (Ctrl-C) ----------------------------------------------
start_get big3.bin
kill -INT "$GET_PID"
stopped "$GET_PID" 1
wait_until 5 log_has alice "cancelled by bob: interrupted" || fail "alice was not told"
no_final big3.bin
has_bytes "$(part big3.bin)" || fail "the partial file of an interrupted get is gone"

# --- the owner logs out mid-transfer ----------------------------------------------
start_get big4.bin
halt "$PID_bob"
ctl alice disconnect >/dev/null || fail "alice's disconnect failed"
kill -CONT "$PID_bob"
get_fails big4.bin "owner alice logged out"
has_bytes "$(part big4.bin)" || fail "the partial file was not kept for a resume"
stopped "$PID_alice" 0

# --- the owner killed mid-transfer -----------------------------------------------
start_peer alice
wait_online 10 alice
wait_until 10 sees bob alice big5.bin || fail "bob does not see alice again"
start_get big5.bin
kill -KILL "$PID_alice"
stopped "$PID_alice" 137
get_fails big5.bin "owner alice went away"
has_bytes "$(part big5.bin)" || fail "the partial file was not kept for a resume"

# --- refused before any byte moves ---------------------------------------------------
wait_until 10 lacks_peer bob alice || fail "the broker kept alice's old session"
# Root reads any file: run alice's agent without the capabilities that let
# it, so that a mode 000 file is unreadable to her under CI's root too.
if [ "$(id -u)" -eq 0 ]; then
    printf '#!/bin/sh\nexec setpriv --bounding-set=-dac_override,-dac_read_search "%s" "$@"\n' \
        "$BIN/fshare-peer" >"$T/peer-nodac"
    chmod +x "$T/peer-nodac"
    PEER="$T/peer-nodac"
fi
start_peer alice
wait_until 10 online alice && wait_until 10 sees bob alice small.bin || fail "alice not back"
expect_fail() {     # USER MESSAGE ARGS...: get exits 1 saying MESSAGE
    local user=$1 want=$2; shift 2
    ctl "$user" get "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ "$rc" -eq 1 ] || fail "get $* exited $rc, not 1: $(cat "$T/err")"
    grep -q -- "$want" "$T/err" || fail "get $*: stderr lacks '$want': $(cat "$T/err")"
}
chmod 000 "$T/alice_files/small.bin"
expect_fail bob "cannot read file" alice small.bin
chmod 644 "$T/alice_files/small.bin"
# A published file swapped for a symlink to a secret while alice's agent is
# stopped (so her watcher cannot unpublish it first): the request reaches
# her, and her O_NOFOLLOW open refuses it
echo secret >"$T/secret.txt"
asked() { [ "$(grep -c "alice -> bob 'small.bin' asked" "$T/broker.log")" -gt "$1" ]; }
before=$(grep -c "alice -> bob 'small.bin' asked" "$T/broker.log")
halt "$PID_alice"
ln -sf "$T/secret.txt" "$T/alice_files/small.bin"
bg get_link "$CTL" --user bob get alice small.bin
LINK_GET=$LAST_PID
wait_until 10 asked "$before" || fail "the broker did not ask alice"
kill -CONT "$PID_alice"
wait_until 15 gone "$LINK_GET" || fail "the get of a link did not end"
stopped "$LINK_GET" 1
grep -q "symbolic link" "$T/get_link.log" || fail "get of a link: $(cat "$T/get_link.log")"
log_has alice "cannot serve 'small.bin' to bob: cannot read file: it is (or lies below) a symbolic link" \
    || fail "alice's O_NOFOLLOW did not refuse the link"
grep -rqs secret "$T/bob_dl" && fail "the secret reached bob"
rm "$T/alice_files/small.bin"
head -c 2M /dev/urandom >"$T/alice_files/small.bin"
wait_until 10 sees bob alice small.bin || fail "small.bin not back"

# A downloads directory that is a file (stops root too)
mv "$T/bob_dl" "$T/bob_dl.real"
: >"$T/bob_dl"
expect_fail bob "downloads directory not writable" alice small.bin
rm "$T/bob_dl"
mv "$T/bob_dl.real" "$T/bob_dl"

# A file-size limit: carol's agent runs under ulimit -f 1024 (1 MiB)
mkdir -p "$T/carol_files"
bg carol bash -c "ulimit -f 1024; exec '$PEER' --user carol --dir '$T/carol_files' \
    --downloads '$T/carol_dl' --broker '$BROKER_EP' --password-file '$T/pw'"
PID_carol=$LAST_PID
wait_until 10 online carol && wait_until 10 sees carol alice small.bin || fail "carol not online"
expect_fail carol "file size limit exceeded" alice small.bin
[ -z "$(ls -A "$T/carol_dl")" ] || fail "carol's downloads hold something: $(ls -A "$T/carol_dl")"
online carol || fail "carol's agent did not survive the file-size limit"
exit 0
