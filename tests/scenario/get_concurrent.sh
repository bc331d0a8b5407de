#!/bin/bash
# get_concurrent.sh - three downloads at once all arrive verified; a stalled
# requester (its agent stopped mid-transfer) slows nobody else: another
# download from the same owner completes while it is stalled, and the
# stalled one still completes once it goes on.
. "$(dirname "$0")/../lib.sh" "$1"

# A long liveness, so the stalled requester keeps its session meanwhile
start_broker --liveness 30
mkdir -p "$T/alice_files"
for f in a b c; do head -c $((5 * 1024 * 1024 + RANDOM)) /dev/urandom >"$T/alice_files/$f.bin"; done
truncate -s 1G "$T/alice_files/big.bin"
start_peer alice
start_peer bob
start_peer carol
wait_online 10 alice bob carol
wait_until 10 sees bob alice big.bin && wait_until 10 sees carol alice big.bin \
    || fail "alice's files not seen"

# --- three at once ---------------------------------------------------------------
for f in a b c; do
    bg "get_$f" "$CTL" --user bob --json get alice "$f.bin"
    eval "GET_$f=$LAST_PID"
done
for f in a b c; do
    eval "pid=\$GET_$f"
    wait "$pid" || fail "get $f.bin failed: $(cat "$T/get_$f.log")"
    cmp -s "$T/alice_files/$f.bin" "$T/bob_dl/$f.bin" || fail "$f.bin differs"
    sum=$(sha256sum "$T/alice_files/$f.bin" | cut -d' ' -f1)
    json_is --arg h "$sum" '.sha256 == $h' <"$T/get_$f.log" || fail "$f.bin: wrong digest"
done

# --- a stalled requester --------------------------------------------------------------
bg get_big "$CTL" --user carol get alice big.bin
BIG=$LAST_PID
wait_until 20 has_bytes "$T/carol_dl/.big.bin.fshare-part" || fail "carol's download did not start"
halt "$PID_carol"
held=$(stat -c %s "$T/carol_dl/.big.bin.fshare-part")
# Bob fetches files from the same owner meanwhile: they complete (no time
# limit but the programs' own deadlines) while carol's stays where it was
for f in a b c; do rm "$T/bob_dl/$f.bin"; done
for f in a b c; do
    "$CTL" --user bob get alice "$f.bin" >/dev/null 2>"$T/err" \
        || fail "bob's get of $f.bin failed while carol was stalled: $(cat "$T/err")"
    cmp -s "$T/alice_files/$f.bin" "$T/bob_dl/$f.bin" || fail "$f.bin differs"
    halted "$PID_carol" || fail "carol's agent went on meanwhile"
done
cmp -s "$T/alice_files/c.bin" "$T/bob_dl/c.bin" || fail "c.bin differs"
[ "$(stat -c %s "$T/carol_dl/.big.bin.fshare-part")" -eq "$held" ] \
    || fail "carol's stopped agent wrote meanwhile"
gone "$BIG" && fail "carol's download ended while she was stalled"
kill -CONT "$PID_carol"
wait "$BIG" || fail "carol's download failed after going on: $(cat "$T/get_big.log")"
cmp -s "$T/alice_files/big.bin" "$T/carol_dl/big.bin" || fail "big.bin differs"
exit 0
