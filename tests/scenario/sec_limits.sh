#!/bin/bash
# sec_limits.sh - the per-account and per-peer limits of fshare-broker
# (SPEC 6): --max-observers (taps per account besides its agent),
# --max-transfers (downloads in flight per requester) and --max-serving
# (transfers in flight per owner). Out-of-range values are usage errors;
# a login or get beyond a limit gets its own clear error and changes
# nothing for the sessions already there.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

for bad in "--max-observers 1025" "--max-observers -1" "--max-transfers 0" \
           "--max-serving 4097" "--max-serving x"; do
    # shellcheck disable=SC2086
    expect 2 timeout 5 "$BIN/fshare-broker" --listen "$BROKER_EP" --publish "$EVENTS_EP" $bad
    grep -q -- "${bad%% *}: " "$T/err" || fail "$bad: $(cat "$T/err")"
done

# --liveness 30: the stopped owner must not be declared gone meanwhile
start_broker --hash-cost min --verbose --liveness 30 --max-observers 1 --max-transfers 1 \
    --max-serving 1
mkdir -p "$T/alice_files"
echo one >"$T/alice_files/one.txt"
echo two >"$T/alice_files/two.txt"
start_peer alice
start_peer bob
start_peer carol
wait_online 10 alice bob carol
wait_until 10 sees bob alice two.txt && wait_until 10 sees carol alice two.txt \
    || fail "alice's files did not reach bob and carol"

# --- taps: one observer session for alice, the second refused ---------------------------------
bg tap "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --user alice --password-file "$T/pw" --json
TAP_PID=$LAST_PID
wait_until 10 log_has tap '"type":"stats"' || fail "the first tap got no events"
expect 1 "$TAP" --events "$EVENTS_EP" --broker "$BROKER_EP" --user alice --password-file "$T/pw" \
    --timeout 5
grep -q "login refused: too many observer sessions" "$T/err" || fail "second tap: $(cat "$T/err")"
log_has broker "observer login of alice refused: 1 observers already (--max-observers)" \
    || fail "the refusal was not logged"
kill -0 "$TAP_PID" || fail "the first tap died"

# --- transfers: alice is stopped with one transfer asked of her ---------------------------------
halt "$PID_alice"
bg get1 "$CTL" --user bob get alice one.txt
GET_PID=$LAST_PID
wait_until 10 log_has broker "alice -> bob 'one.txt' asked" || fail "the first get did not start"
ctl bob get alice two.txt >"$T/get2.log" 2>&1 && fail "bob's second transfer was allowed"
grep -q "too many transfers" "$T/get2.log" || fail "bob's second get: $(cat "$T/get2.log")"
ctl carol get alice two.txt >"$T/get3.log" 2>&1 && fail "alice's second upload was allowed"
grep -q "the owner is serving too many transfers; try again later" "$T/get3.log" \
    || fail "carol's get: $(cat "$T/get3.log")"
# Once alice answers, the first transfer completes and the slots are free again
kill -CONT "$PID_alice"
stopped "$GET_PID" 0
cmp -s "$T/alice_files/one.txt" "$T/bob_dl/one.txt" || fail "one.txt differs"
ctl carol get alice two.txt >"$T/get4.log" 2>&1 || fail "carol's get: $(cat "$T/get4.log")"
cmp -s "$T/alice_files/two.txt" "$T/carol_dl/two.txt" || fail "two.txt differs"
[ -e "$T/bob_dl/two.txt" ] && fail "a refused get wrote a file"

# --- --max-observers 0 on the command line: no tap at all (not the default 8) -----------------
# A second broker on alice's accounts, which the first one registered
bg broker0 "$BIN/fshare-broker" --listen "ipc://$T/b0.req" --publish "ipc://$T/b0.pub" \
    --state-dir "$T/state0" --accounts "$T/state/fshare/accounts" --hash-cost min \
    --max-observers 0
BROKER0=$LAST_PID
wait_until 10 test -S "$T/b0.req" || fail "the second broker did not start"
expect 1 "$TAP" --events "ipc://$T/b0.pub" --broker "ipc://$T/b0.req" --user alice \
    --password-file "$T/pw" --timeout 5
grep -q "login refused: too many observer sessions" "$T/err" \
    || fail "a tap under --max-observers 0: $(cat "$T/err")"

end_clean
echo "sec_limits: ok"
