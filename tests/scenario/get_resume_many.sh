#!/bin/bash
# get_resume_many.sh - many resumes at once (SPEC 4.3: several downloads by
# one requester; an interrupted download resumes). Both agents hash each
# partial file's prefix before new bytes flow, in steps between the other
# work of their loop; the steps of all transfers together stay one loop
# turn's worth. While 32 resumes hash, bob's agent answers every `status`
# (within fshare-ctl's 5 s), every get is answered and resumes, and each
# file arrives whole.
# (Each transfer once hashed a whole step per turn: a turn took seconds,
# and gets failed `agent not responding`.)
. "$(dirname "$0")/../lib.sh" "$1"

N=32                            # the broker's limit per requester
HOLE=$((256 * 1024 * 1024))     # each prefix to hash, a hole: cheap to store
start_broker
mkdir -p "$T/alice_files" "$T/bob_dl"
for i in $(seq 1 $N); do
    truncate -s $HOLE "$T/alice_files/f$i.bin"
    head -c 1024 /dev/urandom >>"$T/alice_files/f$i.bin"
done
start_peer alice
start_peer bob
wait_online 10 alice bob
wait_until 20 sees bob alice "f$N.bin" || fail "bob does not see alice's files"
# Partial files of each prefix, as interrupted gets leave them
for i in $(seq 1 $N); do
    part="$T/bob_dl/.f$i.bin.fshare-part"
    truncate -s $HOLE "$part"
    meta=$(printf 'fshare1\nalice\n%s\n%s\nf%s.bin' $((HOLE + 1024)) \
        "$(stat -c %Y "$T/alice_files/f$i.bin")" "$i")
    "$PY" -c 'import os, sys; os.setxattr(sys.argv[1], "user.fshare.source", sys.argv[2].encode())' \
        "$part" "$meta" 2>/dev/null || skip "no user extended attributes here"
done

GETS=""
for i in $(seq 1 $N); do
    bg "get_$i" "$CTL" --user bob get alice "f$i.bin"
    GETS="$GETS $LAST_PID"
done
running() { local pid; for pid in $GETS; do alive "$pid" && return 0; done; return 1; }
# How long bob's agent takes to answer while the resumes hash
worst=0 probes=0
while running; do
    start=$(now_ms)
    ctl bob --json status >/dev/null 2>"$T/status.err" || fail "status failed: $(cat "$T/status.err")"
    took=$(( $(now_ms) - start ))
    running || break            # measured after the last get ended: not counted
    probes=$((probes + 1))
    [ "$took" -gt "$worst" ] && worst=$took
done
[ "$probes" -ge 3 ] || fail "the resumes ended before bob's agent could be asked ($probes probes)"
# (fshare-ctl gives up after 5 s: `agent not responding`, above. The
# slowest answer is for the log only: on a loaded machine it says more of
# the machine than of the agent.)
echo "bob's agent answered $probes status requests during $N resumes, the slowest in $worst ms"
for i in $(seq 1 $N); do
    pid=$(echo $GETS | cut -d' ' -f"$i")
    wait "$pid" || fail "get f$i.bin exited $?: $(cat "$T/get_$i.log")"
    grep -q "^resumed at $HOLE bytes" "$T/get_$i.log" || fail "f$i.bin not resumed: $(cat "$T/get_$i.log")"
    [ "$(size_of "$T/bob_dl/f$i.bin")" -eq $((HOLE + 1024)) ] || fail "f$i.bin has the wrong size"
    cmp -s <(tail -c 1024 "$T/alice_files/f$i.bin") <(tail -c 1024 "$T/bob_dl/f$i.bin") \
        || fail "f$i.bin differs"
done
echo "get_resume_many: ok"
