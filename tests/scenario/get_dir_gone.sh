#!/bin/bash
# get_dir_gone.sh - the requester's downloads directory goes away while a
# download writes into it (SPEC 4.3: "requester's ... directory not
# writable"): renamed, replaced by a file, or removed. The get fails
# (exit 1, code not_writable) soon after, not once the whole file has
# moved, and is never reported saved at a path where nothing is: the
# agent writes through a descriptor of the directory it opened, so a
# download would otherwise land in the renamed directory while `get`
# names the old path. Nothing is left in the directory that moved away,
# and once the directory is back the same get works.
. "$(dirname "$0")/../lib.sh" "$1"

SIZE=$((2 * 1024 * 1024 * 1024))
start_broker --verbose
mkdir -p "$T/alice_files" "$T/bob_dl"
# Large and sparse: far too big to be done before the test acts
for f in a b c; do truncate -s "$SIZE" "$T/alice_files/$f.bin"; done
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice c.bin || fail "bob does not see alice's files"
fds() { find "/proc/$1/fd" -mindepth 1 | wc -l; }
FDS_BOB=$(fds "$PID_bob") FDS_ALICE=$(fds "$PID_alice")

# gone_mid FILE HOW...: a get of FILE, held once bytes arrive (bob's agent
# stopped), the downloads directory changed by HOW, then the get must fail
# not_writable with nothing saved anywhere and the transfer ended early
gone_mid() {
    local f=$1; shift
    bg "get_$f" "$CTL" --user bob --json get alice "$f"
    local pid=$LAST_PID
    wait_until 20 has_bytes "$T/bob_dl/.$f.fshare-part" || fail "$f: no byte arrived"
    halt "$PID_bob"
    "$@"
    kill -CONT "$PID_bob"
    wait_until 30 gone "$pid" || fail "get $f did not end"
    wait "$pid"
    local rc=$?
    [ "$rc" -eq 1 ] || fail "get $f exited $rc, not 1: $(cat "$T/get_$f.log")"
    grep '^{' "$T/get_$f.log" | json_is '.code == "not_writable"' \
        || fail "get $f: not code not_writable: $(cat "$T/get_$f.log")"
    grep -q "downloads directory moved or removed" "$T/get_$f.log" \
        || fail "get $f does not say why: $(cat "$T/get_$f.log")"
    # Ended as soon as bob's agent saw it, not after the whole file
    wait_until 10 log_has alice "serving '$f' to bob stopped" || fail "alice kept serving $f"
    local sent
    sent=$(sed -n "s/.*serving '$f' to bob stopped after \([0-9]*\) bytes.*/\1/p" "$T/alice.log")
    [ "${sent:-$SIZE}" -lt "$SIZE" ] || fail "$f: the whole file moved before the get failed"
    if [ -d "$T/moved" ]; then
        [ -z "$(ls -A "$T/moved")" ] || fail "$f: left in the moved directory: $(ls -A "$T/moved")"
        rmdir "$T/moved"
    fi
    rm -rf "$T/bob_dl"
    mkdir "$T/bob_dl"
}

renamed() { mv "$T/bob_dl" "$T/moved"; }
replaced() { mv "$T/bob_dl" "$T/moved"; echo "not a directory" >"$T/bob_dl"; }
removed() { rm -rf "$T/bob_dl"; }
gone_mid a.bin renamed
gone_mid b.bin replaced
gone_mid c.bin removed

# The directory back: a download works, bob's agent holds no stale state
truncate -s 5M "$T/alice_files/small.bin"
wait_until 10 sees bob alice small.bin || fail "bob does not see small.bin"
expect 0 ctl bob get alice small.bin
cmp "$T/alice_files/small.bin" "$T/bob_dl/small.bin" || fail "small.bin differs"
# (an upload's file is closed once its last chunk is sent, which a loaded
# machine may let the owner do after the get has already ended)
fds_at_most() { [ "$(fds "$1")" -le "$2" ]; }
wait_until 10 fds_at_most "$PID_bob" "$FDS_BOB" \
    || fail "bob's agent holds more descriptors: $FDS_BOB -> $(fds "$PID_bob")"
wait_until 10 fds_at_most "$PID_alice" "$FDS_ALICE" \
    || fail "alice's agent holds more descriptors: $FDS_ALICE -> $(fds "$PID_alice")"
echo "get_dir_gone: ok"
