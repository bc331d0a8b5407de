# ctl_disconnect_wait.sh - `fshare-ctl disconnect` says "disconnected" once
# the agent's process has ended, not when it merely stops answering: an
# agent slow to finish (fake_agent.py linger: deaf after its OK, exiting
# 1.5 s later) is waited for, so a connect right after never meets the
# old one; one that never ends fails after the stop deadline (5 s), exit 1.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

FAKE="$(dirname "$0")/fake_agent.py"
EP="ipc://$T/lena.ctl"

"$PY" "$FAKE" linger "$EP" 1.5 >"$T/fake.log" 2>&1 &
LINGER=$!
wait_until 10 test -S "$T/lena.ctl" || fail "the fake agent did not start"
expect 0 "$CTL" --control "$EP" disconnect
[ "$(cat "$T/out")" = "disconnected" ] || fail "disconnect printed: $(cat "$T/out")"
kill -0 "$LINGER" 2>/dev/null && fail "disconnected while the agent still runs: $(cat "$T/fake.log")"
grep -qx exiting "$T/fake.log" || fail "the fake did not run to its end: $(cat "$T/fake.log")"
wait "$LINGER" || fail "the fake agent failed: $(cat "$T/fake.log")"

# An agent that never ends: an error, after the stop deadline
rm -f "$T/lena.ctl"
"$PY" "$FAKE" linger "$EP" -1 >"$T/fake.log" 2>&1 &
STUCK=$!
wait_until 10 test -S "$T/lena.ctl" || fail "the second fake agent did not start"
expect 1 "$CTL" --control "$EP" disconnect
err_is "fshare-ctl: the agent is still running after 5 s"
[ -s "$T/out" ] && fail "a failed disconnect printed: $(cat "$T/out")"
kill -0 "$STUCK" || fail "the stuck fake ended: $(cat "$T/fake.log")"
kill "$STUCK"
wait "$STUCK" 2>/dev/null
exit 0
