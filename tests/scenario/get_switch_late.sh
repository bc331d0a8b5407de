#!/bin/bash
# get_switch_late.sh - "another source" (SPEC 4.3) when the owner's digest
# became known only after the get began: the owner published the file while
# still hashing it (no SHA-256) and its digest followed as a file_changed
# of the same version mid-transfer. The download takes the digest up, so
# when the owner dies another user's copy with that SHA-256 continues it;
# and the partial file's record names the digest, so with no other copy
# online a later get from one resumes it. Before, the download kept the
# "no digest" of the moment it was asked for and failed owner_gone with
# carol's copy in view. The owners are digest_owner.py --late-digest,
# which pause after 4 MiB (see get_switch.sh).
. "$(dirname "$0")/../lib.sh" "$1"

need_pyzmq
MIB=$((1024 * 1024))

start_broker
mkdir -p "$T/alice_files" "$T/carol_files/copies"
head -c $((24 * MIB + 77)) /dev/urandom >"$T/alice_files/big.bin"
cp "$T/alice_files/big.bin" "$T/carol_files/copies/same.bin"
# sha NAME OWNER PATH: OWNER's PATH has a digest in NAME's view
has_sha() {
    ctl_jq "$1" 'any(.[]; .user == $u and .path == $p and (.sha256 // "") != "")' \
        --arg u "$2" --arg p "$3" -- ls --all
}
PART="$T/bob_dl/.big.bin.fshare-part"
reached() { [ "$(size_of "$PART")" -ge $((4 * MIB)) ]; }

start_peer bob
wait_online 10 bob
start_owner alice --late-digest --pause-after $((4 * MIB)) big.bin
wait_until 10 sees bob alice big.bin || fail "bob does not see alice's big.bin"
has_sha bob alice big.bin && fail "alice's digest is known before the get"
start_owner carol copies/same.bin
wait_until 10 has_sha bob carol copies/same.bin || fail "bob does not see carol's digest"

# The digest comes out at 4 MiB; alice dies after bob's view has it
bg get1 "$CTL" --user bob get alice big.bin
GET=$LAST_PID
wait_until 20 reached || fail "the first 4 MiB did not arrive"
wait_until 10 log_has alice "digest out" || fail "alice did not publish her digest"
wait_until 10 has_sha bob alice big.bin || fail "alice's digest did not reach bob's view"
kill -KILL "$PID_alice"
stopped "$PID_alice" 137
wait_until 30 gone "$GET" || fail "the get did not end"
wait "$GET" || fail "the switched get failed: $(cat "$T/get1.log")"
grep -qx "switched to carol's copy after alice left" "$T/get1.log" \
    || fail "get did not say it switched: $(cat "$T/get1.log")"
cmp -s "$T/alice_files/big.bin" "$T/bob_dl/big.bin" || fail "the switched file differs"
[ -e "$PART" ] && fail "the partial file was left behind"

# No other copy online: the partial file is kept, its record names the
# digest learnt mid-way, and carol's copy later resumes it
kill -KILL "$PID_carol"
stopped "$PID_carol" 137
wait_until 10 not_sees bob carol copies/same.bin || fail "carol's copy still seen"
rm "$T/bob_dl/big.bin"
start_owner alice2 --late-digest --pause-after $((4 * MIB)) big.bin
wait_until 10 sees bob alice2 big.bin || fail "bob does not see alice2's big.bin"
bg get2 "$CTL" --user bob get alice2 big.bin
GET=$LAST_PID
wait_until 20 reached || fail "the first 4 MiB did not arrive (2)"
wait_until 10 log_has alice2 "digest out" || fail "alice2 did not publish her digest"
wait_until 10 has_sha bob alice2 big.bin || fail "alice2's digest did not reach bob's view"
kill -KILL "$PID_alice2"
stopped "$PID_alice2" 137
wait_until 30 gone "$GET" || fail "the get did not end (2)"
wait "$GET" && fail "the get succeeded without any owner"
grep -q "owner alice2" "$T/get2.log" || fail "not an owner failure: $(cat "$T/get2.log")"
kept=$(size_of "$PART")
[ "$kept" -ge $((4 * MIB)) ] || fail "the partial file was not kept ($kept bytes)"
start_owner carol2 copies/same.bin
wait_until 10 has_sha bob carol2 copies/same.bin || fail "bob does not see carol2's digest"
expect 0 ctl bob get carol2 copies/same.bin -o "$T/bob_dl/big.bin"
grep -q "resumed at $kept bytes" "$T/out" || fail "no resume from the digest: $(cat "$T/out")"
cmp -s "$T/alice_files/big.bin" "$T/bob_dl/big.bin" || fail "the resumed file differs"
exit 0
