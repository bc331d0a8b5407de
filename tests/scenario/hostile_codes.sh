# hostile_codes.sh - an owner (raw client, hostile_client.py) answers a
# Serve with a Cancel whose code is not a transfer's to give: one that
# speaks of the requester's own session (unknown_session), or of a login.
# The broker passes on a transfer's codes only, so bob's get fails with
# its own error and bob's agent keeps its session (it would otherwise log
# in again at once: leave and join for everyone, its other transfers lost).
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

start_broker --hash-cost min
start_peer bob
wait_online 10 bob

# session_codes: unknown_session, invalid_credentials, already_logged_in,
# unsupported_version, busy, broker_unreachable, no_agent
for code in 5 1 2 3 4 21 22; do
    bg mallory "$PY" "$HOSTILE" owner "$BROKER_EP" "mal$code" pw f.bin 1000 "code=$code" 3
    wait_until 10 sees bob "mal$code" f.bin || fail "bob does not see mal$code's file"
    expect 1 "$CTL" --user bob --json get "mal$code" f.bin
    json_is '.code == "cancelled"' <"$T/out" \
        || fail "code $code from an owner reached bob as: $(cat "$T/out")"
    [ ! -e "$T/bob_dl/f.bin" ] || fail "a cancelled download was saved"
done
online bob || fail "bob is not online: $(state bob)"
[ "$(log_count broker "bob online with")" -eq 1 ] \
    || fail "bob logged in again: $(grep "bob online with" "$T/broker.log")"
log_has broker "sent a cancel with code" || fail "the foreign codes were not logged"
end_clean
echo "hostile_codes: ok"
