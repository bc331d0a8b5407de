# login_flood_fair.sh - one user's failed logins do not keep another out
# (SPEC 6: slowed "without locking an honest user out"). On TCP every local
# client shares the address 127.0.0.1: while mallory (a real account) and
# "nobody" (no account, --no-register) keep wrong-password logins going from
# 70 local connections, each sent again the moment its answer comes, alice's
# agent with the right password is online within 10 s, and bob, logging in
# on a raw connection, is let in too. The flood is still slowed: its names
# fail a handful of times, not hundreds, and the rest are told to wait.
. "$(dirname "$0")/../lib.sh" "$1"

need_pyzmq
ACCOUNTS="$T/state/fshare/accounts"
echo pw >"$T/pw"
for user in alice bob mallory; do
    echo "pw" | "$BIN/fshare-passwd" --stdin "$ACCOUNTS" "$user" >/dev/null 2>&1 \
        || fail "fshare-passwd $user"
done
# Two free TCP ports on loopback (the kernel picks them)
read -r PORT_REQ PORT_PUB < <("$PY" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
BROKER_EP="tcp://127.0.0.1:$PORT_REQ"
bg broker "$BIN/fshare-broker" --listen "$BROKER_EP" --publish "tcp://127.0.0.1:$PORT_PUB" \
    --state-dir "$T/state/fshare" --no-register --hash-cost min
BROKER_PID=$LAST_PID
wait_until 10 log_has broker "requests on" || fail "broker did not start"

# --- the flood: two names, 70 connections, one address ---------------------------------------
bg flood "$PY" "$HOSTILE" lockflood "$BROKER_EP" 70 60 mallory nobody
FLOOD_PID=$LAST_PID
# In force: both names have been refused a few times, so their delays (and,
# on the old code, 127.0.0.1's) are seconds long, and the overflow is busy
wait_until 15 log_has flood '"in_force": true' || fail "the flood did not get going"

# --- alice's agent and bob's raw login get in during the flood --------------------------------
start_peer alice --broker "$BROKER_EP"
START=$(now_ms)
wait_until 10 online alice \
    || fail "alice not online within 10 s of the flood: $(ctl alice status 2>&1 | head -3)"
echo "alice online after $(( $(now_ms) - START )) ms of the flood"
"$PY" "$HOSTILE" login "$BROKER_EP" bob pw --observer >"$T/bob.json"
json_is '.ok and .ms < 10000' <"$T/bob.json" || fail "bob was kept out: $(cat "$T/bob.json")"
alive "$FLOOD_PID" || fail "the flood ended before the checks"

# --- the flood was slowed all along --------------------------------------------------------
kill -TERM "$FLOOD_PID"
stopped "$FLOOD_PID" 0
tail -n 1 "$T/flood.log" >"$T/flood.json"
echo "flood: $(cat "$T/flood.json")"
# Wrong passwords were refused (code 1), the overflow told to wait (4); each
# name's delay doubles from 250 ms, so it is refused a handful of times in
# the seconds the test takes (unslowed: thousands)
json_is '.answers["1"] >= 6 and .answers["4"] >= 1
         and .refused.mallory <= 12 and .refused.nobody <= 12' <"$T/flood.json" \
    || fail "the flood was not slowed: $(cat "$T/flood.json")"
online alice || fail "alice fell offline: $(state alice)"
end_clean
echo "login_flood_fair: ok"
