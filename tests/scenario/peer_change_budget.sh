#!/bin/bash
# peer_change_budget.sh - an honest agent whose changes go beyond the
# broker's --max-change-rate (here a tiny one: 4 KiB a second, 16 KiB at
# once, some 30 changes) is told busy; the broker's copy of its list then
# misses those changes, so the agent logs in again and publishes the whole
# list anew: the others' views converge on exactly what is on its disk.
. "$(dirname "$0")/../lib.sh" "$1"

start_broker --max-change-rate 4096
start_peer alice
start_peer bob
wait_online 10 alice bob
for i in $(seq 1 300); do echo "file $i" >"$T/alice_files/f$i.txt"; done
all_there() { ctl_jq bob 'length == 300' -- ls --all --user alice; }
wait_until 60 all_there || fail "bob sees $(ctl bob --json ls --all --user alice | jq length) of alice's 300 files"
log_has alice "refused our changes as too many at once: publishing the list again" \
    || fail "alice's agent was never refused: the test did not reach the budget"
log_has broker "changes beyond --max-change-rate" || fail "the broker did not log the refusals"
# Removing them all converges too, and alice is online at the end
rm -f "$T/alice_files"/f*.txt
none_there() { ctl_jq bob 'length == 0' -- ls --all --user alice; }
wait_until 60 none_there || fail "bob still sees $(ctl bob --json ls --all --user alice | jq length) of alice's files"
wait_online 20 alice
end_clean
echo "peer_change_budget: ok"
