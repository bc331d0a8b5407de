#!/bin/bash
# ctl_descriptors.sh - fshare-ctl get of a folder with --jobs 64 under
# `ulimit -n 20`: it cannot open 64 control sockets at once. It ran the
# downloads it could and failed the rest as "agent not responding" (exit
# 1), and CZMQ's zsock_new could abort it; now the rest wait for a running
# one to end, and all 200 files arrive, exit 0. A single get, and a status
# that looks for the only agent, that find no descriptor fail with busy
# (`no file descriptor left for a control socket`), never with the agent's
# absence (no_agent), nor by CZMQ's abort: under every limit from 4 to 24
# that lets the program load at all.
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

busy=0
for n in $(seq 4 24); do
    rm -f "$T/one.txt"
    (ulimit -n "$n" && exec "$CTL" --user bob --json get alice set/f000.txt -o "$T/one.txt") \
        >"$T/out" 2>"$T/err"
    status=$?
    # Below what the dynamic loader itself needs (ctest's own descriptors
    # count too): not fshare-ctl's to answer
    if [ $status -eq 127 ] && grep -q "error while loading shared libraries" "$T/err"; then
        continue
    fi
    if [ $status -eq 1 ]; then
        json_is '.code == "busy"' <"$T/out" || fail "get under ulimit -n $n: $(cat "$T/out")"
        err_is "fshare-ctl: busy: no file descriptor left for a control socket (raise ulimit -n)"
        busy=$((busy + 1))
    else
        [ $status -eq 0 ] || fail "get under ulimit -n $n: exit $status: $(cat "$T/err")"
        cmp -s "$T/one.txt" "$T/alice_files/set/f000.txt" || fail "get under ulimit -n $n: $(cat "$T/out")"
    fi
    # Two agents run: "several" when it could ask them all, else busy
    (ulimit -n "$n" && exec "$CTL" --json status) >"$T/out" 2>"$T/err"
    status=$?
    [ $status -eq 1 ] || fail "status under ulimit -n $n: exit $status: $(cat "$T/err")"
    json_is '.code == "busy" or .code == "bad_request"' <"$T/out" \
        || fail "status under ulimit -n $n: $(cat "$T/out")"
done
[ $busy -ge 3 ] || fail "only $busy of the limits 4 to 24 were too low for a get"
exit 0
