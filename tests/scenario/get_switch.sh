#!/bin/bash
# get_switch.sh - "another source" (SPEC 4.3, issue 13 item 4): the owner
# dies mid-transfer and another online user publishes the same SHA-256: the
# download continues from that copy at the offset reached, `get` says it
# switched, and the file arrives identical. Without another copy the failure
# stays as it was, the partial file is kept, and a later get from a user who
# has the same content resumes it (the resume is keyed on the digest, not on
# the first owner's mtime). The owners are digest_owner.py (they publish
# digests); alice's pauses after 4 MiB so that she can be killed mid-way.
. "$(dirname "$0")/../lib.sh" "$1"

need_pyzmq
MIB=$((1024 * 1024))

start_broker
mkdir -p "$T/alice_files" "$T/carol_files/copies"
head -c $((24 * MIB + 123)) /dev/urandom >"$T/alice_files/big.bin"
cp "$T/alice_files/big.bin" "$T/carol_files/copies/same.bin"
touch -d '2001-02-03' "$T/carol_files/copies/same.bin"     # another mtime
start_owner alice --pause-after $((4 * MIB)) big.bin
start_owner carol copies/same.bin
start_peer bob
wait_online 10 bob
wait_until 10 sees bob alice big.bin && wait_until 10 sees bob carol copies/same.bin \
    || fail "bob does not see both copies"

PART="$T/bob_dl/.big.bin.fshare-part"
reached() { [ "$(size_of "$PART")" -ge $((4 * MIB)) ]; }

# alice dies at 4 MiB: carol's copy takes over from there
bg get1 "$CTL" --user bob get alice big.bin
GET=$LAST_PID
wait_until 20 reached || fail "the first 4 MiB did not arrive"
kill -KILL "$PID_alice"
stopped "$PID_alice" 137
wait_until 30 gone "$GET" || fail "the get did not end"
wait "$GET" || fail "the switched get failed: $(cat "$T/get1.log")"
grep -qx "switched to carol's copy after alice left" "$T/get1.log" \
    || fail "get did not say it switched: $(cat "$T/get1.log")"
cmp -s "$T/alice_files/big.bin" "$T/bob_dl/big.bin" || fail "the switched file differs"
log_has bob "continuing from carol:'copies/same.bin'" || fail "bob's log does not say it"
[ -e "$PART" ] && fail "the partial file was left behind"

# Without another copy: the failure of today, the partial file kept
kill -KILL "$PID_carol"
stopped "$PID_carol" 137
wait_until 10 not_sees bob carol copies/same.bin || fail "carol's copy still seen"
rm "$T/bob_dl/big.bin"
start_owner alice2 --pause-after $((4 * MIB)) big.bin
wait_until 10 sees bob alice2 big.bin || fail "bob does not see alice2's big.bin"
bg get2 "$CTL" --user bob get alice2 big.bin
GET=$LAST_PID
wait_until 20 reached || fail "the first 4 MiB did not arrive (2)"
kill -KILL "$PID_alice2"
stopped "$PID_alice2" 137
wait_until 30 gone "$GET" || fail "the get did not end (2)"
wait "$GET" && fail "the get succeeded without any owner"
grep -q "owner alice2" "$T/get2.log" || fail "not an owner failure: $(cat "$T/get2.log")"
kept=$(size_of "$PART")
[ "$kept" -ge $((4 * MIB)) ] || fail "the partial file was not kept ($kept bytes)"

# carol comes back: her copy resumes that partial file, keyed on the digest
start_owner carol2 copies/same.bin
wait_until 10 sees bob carol2 copies/same.bin || fail "bob does not see carol2's copy"
expect 0 ctl bob get carol2 copies/same.bin -o "$T/bob_dl/big.bin"
grep -q "resumed at $kept bytes" "$T/out" || fail "no resume from the digest: $(cat "$T/out")"
cmp -s "$T/alice_files/big.bin" "$T/bob_dl/big.bin" || fail "the resumed file differs"
exit 0
