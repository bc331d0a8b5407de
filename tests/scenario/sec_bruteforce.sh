# sec_bruteforce.sh - password guessing is slowed (SPEC 6): each refusal of a
# user name comes later than the one before (doubling, capped), the guesses
# are logged; a new connection from another process does not reset the
# user name's delay; the right password still gets in; other users are not
# slowed. The delays are shortened for the test (hidden --login-delay-ms).
. "$(dirname "$0")/../lib.sh" "$1"

need_pyzmq
ACCOUNTS="$T/state/fshare/accounts"
for user in alice bob; do
    echo "right-$user" | "$BIN/fshare-passwd" --stdin "$ACCOUNTS" "$user" >/dev/null 2>&1 \
        || fail "fshare-passwd $user"
done
start_broker --no-register --hash-cost min --login-delay-ms 200 --login-delay-max-ms 1600

# --- one guesser, waiting for each answer: 200, 400, 800, 1600 ms -----------------------------
"$PY" "$HOSTILE" guess "$BROKER_EP" alice wrong 4 >"$T/guess.json" \
    || fail "guesses: $(cat "$T/guess.json")"
echo "refusals after (ms): $(jq -c .ms "$T/guess.json")"
# Each answer came at least its delay late (load only adds to that), and the
# broker's log names the delay it chose: doubling from 200 ms
json_is '.ms as $m | ($m | length) == 4
       and $m[0] >= 190 and $m[1] >= 390 and $m[2] >= 790 and $m[3] >= 1590' \
    <"$T/guess.json" || fail "the delays do not grow: $(cat "$T/guess.json")"
n=1
for ms in 200 400 800 1600; do
    grep -q "login of alice from .* refused: invalid user or password ($n failures\?; answered after $ms ms)" \
        "$T/broker.log" || fail "guess $n was not logged with $ms ms: $(grep refused "$T/broker.log")"
    n=$((n + 1))
done

# --- another process (a new connection, another address): the name's delay holds -----------
"$PY" "$HOSTILE" guess "$BROKER_EP" alice wrong 1 >"$T/again.json" \
    || fail "guess from elsewhere: $(cat "$T/again.json")"
json_is '.ms[0] >= 1590' <"$T/again.json" \
    || fail "a new connection reset the delay: $(cat "$T/again.json")"

# --- other users are not slowed, and the right password gets in ------------------------------
# "not slowed": bob's login, sent just after another guess of alice's on
# a connection of its own, is answered first (her guess waits out her
# 1600 ms; an order, not two timings taken under different load)
"$PY" "$HOSTILE" race "$BROKER_EP" alice wrong bob right-bob >"$T/race.json" \
    || fail "race: $(cat "$T/race.json")"
json_is '.order == ["free", "held"] and .free_ok and (.held_ok | not)' <"$T/race.json" \
    || fail "bob was slowed by alice's guesses: $(cat "$T/race.json")"
"$PY" "$HOSTILE" login "$BROKER_EP" alice right-alice --observer >"$T/alice.json"
json_is '.ok' <"$T/alice.json" || fail "alice cannot log in after the guesses: $(cat "$T/alice.json")"
# ... and her name is clean again: a mistake costs the base delay only
"$PY" "$HOSTILE" guess "$BROKER_EP" alice typo 1 >"$T/typo.json" || fail "typo: $(cat "$T/typo.json")"
# (the broker's log says which delay it chose: a time measured here would
# hold load as well)
json_is '.ms[0] >= 190' <"$T/typo.json" || fail "the typo was answered at once: $(cat "$T/typo.json")"
[ "$(log_count broker "login of alice from .* refused: .*(1 failures\?; answered after 200 ms)")" -eq 2 ] \
    || fail "after a good login the name is still slowed: $(grep refused "$T/broker.log")"

# --- the agent: a wrong password is refused, then the right one works --------------------------
echo "wrong" >"$T/wrong"
"$BIN/fshare-peer" --user bob --broker "$BROKER_EP" --dir "$T/bob_files" --downloads "$T/bob_dl" \
    --password-file "$T/wrong" >"$T/peer.out" 2>&1 && fail "a wrong password got in"
grep -q "login refused: invalid user or password" "$T/peer.out" || fail "peer: $(cat "$T/peer.out")"
end_clean
echo "sec_bruteforce: ok"
