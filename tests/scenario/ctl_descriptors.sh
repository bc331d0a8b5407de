#!/bin/bash
# ctl_descriptors.sh - fshare-ctl get of a folder with --jobs 64 under
# `ulimit -n 20`: it cannot open 64 control sockets at once. It ran the
# downloads it could and failed the rest as "agent not responding" (exit
# 1), and CZMQ's zsock_new could abort it; now the rest wait for a running
# one to end, and all 200 files arrive, exit 0. A single get that finds no
# descriptor at all fails with busy, not with the agent's absence.
. "$(dirname "$0")/../lib.sh" "$1"

export FSHARE_PASSWORD="secret-$$"
start_broker --hash-cost min
mkdir -p "$T/alice_files/set" "$T/bob_files"
for i in $(seq -w 0 199); do echo "file $i of alice" >"$T/alice_files/set/f$i.txt"; done
connect alice
connect bob
wait_until 60 has_files bob alice 200 || fail "bob does not see alice's 200 files: $(peer_files bob alice)"

(ulimit -n 20 && exec "$CTL" --user bob get alice set/ --jobs 64) >"$T/out" 2>"$T/err"
status=$?
[ $status -eq 0 ] || fail "get set/ under ulimit -n 20: exit $status: $(tail -n 3 "$T/err")"
(cd "$T/alice_files/set" && sha256sum f*.txt) >"$T/want"
(cd "$T/bob_dl/set" && sha256sum f*.txt) >"$T/got" || fail "nothing in $T/bob_dl/set"
cmp -s "$T/want" "$T/got" || fail "bob's copy differs: $(diff "$T/want" "$T/got" | head -n 5)"
lines "$T/got" 200
exit 0
