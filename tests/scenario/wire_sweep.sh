# wire_sweep.sh - the hostile-value sweep of the broker's request socket
# (wire_sweep.py: one table of every field a client sends x empty, NUL,
# bad UTF-8, control characters, traversal, very long and very deep
# strings, digests of the wrong length, numbers at 0 and the maxima).
# Each case gets its code (SPEC 5.2), and changes nothing else: the broker
# answers, the sweeper keeps its session, the snapshot holds what it held.
# Afterwards the broker's log holds no raw control byte (everything from
# outside is logged escaped) and nothing was written beyond its state dir.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

start_broker --hash-cost min --login-delay-ms 1 --login-delay-max-ms 2
touch "$T/mark"
"$PY" "$(dirname "$0")/wire_sweep.py" "$BROKER_EP" "$(cat "$T/pw")" >"$T/out" 2>"$T/err" \
    || fail "sweep: $(cat "$T/out" "$T/err")"
json_is '.cases > 250 and (.failures | length) == 0' <"$T/out" || fail "sweep: $(cat "$T/out")"
# Raw control bytes (other than tab and newline) or bad UTF-8 in the log
LC_ALL=C grep -naP '[\x00-\x08\x0b-\x1f\x7f]' "$T/broker.log" \
    && fail "the broker logged a raw control byte"
iconv -f UTF-8 -t UTF-8 "$T/broker.log" >/dev/null 2>&1 || fail "the broker's log is not UTF-8"
written=$(find "$T" -newer "$T/mark" -type f ! -path "$T/san/*" ! -name '*.log' ! -path "$T/state/*" ! -name out ! -name err)
[ -z "$written" ] || fail "files written: $written"
end_clean
echo "wire_sweep: ok"
