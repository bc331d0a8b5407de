# sec_fdlimit.sh - the broker and the agent raise their soft descriptor
# limit to the hard one at start (a soft limit of 256 would cap the
# broker's connections and the agent's uploads at a default nobody chose),
# and say so in their debug logs; the agent still serves within it.
. "$(dirname "$0")/../lib.sh" "$1"

hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -gt 4096 ] && hard=4096
[ "$hard" -gt 300 ] || fail "the hard descriptor limit is $hard: cannot test"
ulimit -Sn 256 && ulimit -Hn "$hard" || fail "cannot set the descriptor limits"

# soft_of PID: the soft limit on open files of that process
soft_of() { awk '/^Max open files/ { print $4 }' "/proc/$1/limits"; }

start_broker -v
start_peer alice -v
start_peer bob -v
echo hello >"$T/alice_files/a.txt"
wait_online 20 alice bob
for pid in "$BROKER_PID" "$PID_alice" "$PID_bob"; do
    [ "$(soft_of "$pid")" = "$hard" ] \
        || fail "process ${PID_NAME[$pid]} runs with a soft limit of $(soft_of "$pid"), not $hard"
done
for name in broker alice; do
    log_has "$name" "descriptors: up to $hard open (the soft limit was 256)" \
        || fail "$name did not log its descriptor limit: $(grep descriptors "$T/$name.log")"
done
wait_until 20 sees bob alice a.txt || fail "bob never saw a.txt"
expect 0 "$CTL" --user bob get alice a.txt
[ "$(cat "$T/bob_dl/a.txt")" = hello ] || fail "a.txt: $(cat "$T/out")"
exit 0
