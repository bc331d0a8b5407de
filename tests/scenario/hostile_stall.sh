# hostile_stall.sh - owners that misbehave (issue 8, items 1, 2 and 5), a
# raw client (hostile_client.py) against real agents and broker:
# - an owner that sends Opened and one chunk, then only pings: bob's
#   `fshare-ctl get` ends after --stall-timeout with "owner stalled" (code
#   stalled), exit 1, nothing under the final name; the owner is told too;
# - a requester that never grants credit: it is told "requester stalled";
# - one that only says it is still checking a partial file it does not
#   have (the transfer is no resume): stalled all the same;
# - an owner that sends a frame above --max-message: libzmq drops its
#   connection, the broker logs it, and bob's get ends at once (long before
#   the stall timeout) with "owner ... went away (its connection dropped)" (owner_gone);
# - strings with an embedded NUL anywhere: bad_request, nothing cut short.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

# json_code CODE: under --json a failure prints {"error","code"} (SPEC 5.1)
json_code() { json_is --arg c "$1" '.code == $c' <"$T/out" || fail "not code $1: '$(cat "$T/out")'"; }

start_broker --hash-cost min --stall-timeout 2
start_peer alice
start_peer bob
wait_online 10 alice bob
head -c 3M /dev/urandom >"$T/alice_files/data.bin"
wait_until 10 sees bob alice data.bin || fail "bob does not see alice's file"

# --- a stalled owner -----------------------------------------------------------------
bg mallory "$PY" "$HOSTILE" owner "$BROKER_EP" mallory pw stall.bin 1048576 stall 20
MALLORY=$LAST_PID
wait_until 10 sees bob mallory stall.bin || fail "bob does not see mallory's file"
start=$(now_ms)
expect 1 "$CTL" --user bob --json get mallory stall.bin
took=$(( $(now_ms) - start ))
json_code stalled
err_has "owner stalled"
[ "$took" -ge 1500 ] || fail "the get ended after $took ms, before the stall timeout"
[ ! -e "$T/bob_dl/stall.bin" ] || fail "a stalled download was saved"
wait_until 10 gone "$MALLORY" || fail "mallory was not told"
json_is '.cancel == "owner stalled" and .code == 19' <"$T/mallory.log" \
    || fail "mallory's view: $(cat "$T/mallory.log")"
log_has broker "no progress for" || fail "the broker did not log the stall"
echo "stalled owner: get exit 1 after $took ms: $(cat "$T/err"); downloads: $(ls -A "$T/bob_dl" | tr '\n' ' ')"

# --- a requester that never grants credit ---------------------------------------------
"$PY" "$HOSTILE" hog "$BROKER_EP" mole pw alice data.bin 1 5 >"$T/mole.json" \
    || fail "mole: $(cat "$T/mole.json")"
json_is '.opened == 1 and .codes["19"] == 1' <"$T/mole.json" \
    || fail "a requester that never credits was not cancelled: $(cat "$T/mole.json")"
log_has broker "the requester owes the next step" || fail "no requester stall logged"

# --- a requester that checks forever -----------------------------------------------------
"$PY" "$HOSTILE" checker "$BROKER_EP" checky pw alice data.bin 15 >"$T/checker.json" \
    || fail "checker: $(cat "$T/checker.json")"
json_is '.opened and .code == 19 and .ms < 10000' <"$T/checker.json" \
    || fail "a requester checking forever was not cancelled: $(cat "$T/checker.json")"

# --- an owner whose frame libzmq refuses -------------------------------------------------
bg trudy "$PY" "$HOSTILE" owner "$BROKER_EP" trudy pw big.bin 1048576 oversize 6
wait_until 10 sees bob trudy big.bin || fail "bob does not see trudy's file"
start=$(now_ms)
expect 1 "$CTL" --user bob --json get trudy big.bin
took=$(( $(now_ms) - start ))
json_code owner_gone
err_has "owner trudy went away (its connection dropped)"
# Its own reason, not the stall timeout's
grep -q "stalled" "$T/err" && fail "the dropped connection ended as a stall"
log_has broker "the connection of trudy ended" || fail "the drop was not logged"
[ ! -e "$T/bob_dl/big.bin" ] || fail "a broken download was saved"
echo "oversized frame: get exit 1 after $took ms: $(cat "$T/err")"

# --- embedded NUL ----------------------------------------------------------------------
"$PY" "$HOSTILE" nul "$BROKER_EP" nully pw >"$T/nul.json" || fail "nul: $(cat "$T/nul.json")"
ctl_jq bob 'all(.[]; (.path | test("nul")) | not)' -- ls --all \
    || fail "a NUL-cut path is published: $(ctl bob --json ls --all)"
log_has broker "a NUL byte in a string" || fail "the NUL strings were not logged"
echo "nul: $(cat "$T/nul.json")"

# The honest download still works
expect 0 "$CTL" --user bob get alice data.bin
cmp "$T/alice_files/data.bin" "$T/bob_dl/data.bin" || fail "data.bin differs"
end_clean
echo "hostile_stall: ok"
