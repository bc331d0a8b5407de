#!/bin/bash
# get_stall.sh - stalls from the requester's side (issue 8): a requester
# hashing a large partial file before it grants credit says "checking" and
# is not stalled, however much longer than --stall-timeout the hashing
# takes; an owner that stops sending mid-transfer fails the get `stalled`
# ("owner stalled", exit 1) with the partial file kept, and the next get
# resumes it.
. "$(dirname "$0")/../lib.sh" "$1"

need_pyzmq
MIB=$((1024 * 1024))
GIB=$((1024 * MIB))

start_broker --stall-timeout 3
mkdir -p "$T/alice_files" "$T/bob_dl"
# 3 GiB of hole, then 1 MiB of data: both sides hash the 3 GiB prefix of a
# resume (a few seconds), the disk holds 1 MiB
truncate -s $((3 * GIB)) "$T/alice_files/huge.bin"
head -c $MIB /dev/urandom >>"$T/alice_files/huge.bin"
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 10 sees bob alice huge.bin || fail "bob does not see huge.bin"

# A partial file of the 3 GiB prefix, as an interrupted get leaves it
part="$T/bob_dl/.huge.bin.fshare-part"
truncate -s $((3 * GIB)) "$part"
mtime=$(stat -c %Y "$T/alice_files/huge.bin")
meta=$(printf 'fshare1\nalice\n%s\n%s\nhuge.bin' $((3 * GIB + MIB)) "$mtime")
"$PY" -c 'import os, sys; os.setxattr(sys.argv[1], "user.fshare.source", sys.argv[2].encode())' \
    "$part" "$meta" 2>/dev/null || skip "no user extended attributes here"
start=$(now_ms)
expect 0 ctl bob get alice huge.bin
took=$(( $(now_ms) - start ))
grep -q "resumed at $((3 * GIB)) bytes" "$T/out" || fail "not resumed: $(cat "$T/out")"
cmp -s "$T/alice_files/huge.bin" "$T/bob_dl/huge.bin" || fail "huge.bin differs"
echo "resume of a 3 GiB partial file under --stall-timeout 3: $took ms"

# An owner that stops sending: owner stalled, the partial file kept
mkdir -p "$T/mallory_files"
head -c $((12 * MIB)) /dev/urandom >"$T/mallory_files/data.bin"
bg mallory "$PY" "$OWNER_PY" "$BROKER_EP" mallory pw "$T/mallory_files" \
    --pause-after $((4 * MIB)) data.bin
PID_mallory=$LAST_PID
wait_until 10 sees bob mallory data.bin || fail "bob does not see mallory's file"
expect 1 ctl bob --json get mallory data.bin
err_has "owner stalled"
json_is '.code == "stalled"' <"$T/out" || fail "not code stalled: $(cat "$T/out")"
[ -e "$T/bob_dl/data.bin" ] && fail "a stalled download was saved"
kept=$(stat -c %s "$T/bob_dl/.data.bin.fshare-part" 2>/dev/null || echo 0)
[ "$kept" -eq $((4 * MIB)) ] || fail "the partial file holds $kept bytes, not 4 MiB"
kill -KILL "$PID_mallory"
stopped "$PID_mallory" 137

# The same owner, honest now: the next get resumes
wait_until 10 not_sees bob mallory data.bin || fail "mallory still seen"
bg mallory2 "$PY" "$OWNER_PY" "$BROKER_EP" mallory pw "$T/mallory_files" data.bin
wait_until 10 sees bob mallory data.bin || fail "bob does not see mallory again"
expect 0 ctl bob get mallory data.bin
grep -q "resumed at $((4 * MIB)) bytes" "$T/out" || fail "not resumed: $(cat "$T/out")"
cmp -s "$T/mallory_files/data.bin" "$T/bob_dl/data.bin" || fail "data.bin differs"
exit 0
