# bench_smoke.sh - fshare-bench runs each bench tiny and its JSON holds the
# fields SPEC 8 names, with sane values. Never a timing: speed is measured
# by the bench itself, not asserted here.
. "$(dirname "$0")/../lib.sh" "$1"

B="$BIN/fshare-bench"
export TMPDIR=$T

# --- usage ------------------------------------------------------------------------
expect 0 "$B" --help
grep -q "events|login|relay" "$T/out" || fail "--help names no login bench"
expect 2 "$B" nosuch
expect 2 "$B" --curve events
expect 2 "$B" --files -1 login

# --- relay: 1 MiB through fshare and (if installed) both socat relays --------------
"$B" relay --size 1M --runs 1 --dir "$T" --curve --json >"$T/relay.json" 2>"$T/relay.err" \
    || fail "relay failed: $(cat "$T/relay.err")"
json_is '.bench == "relay" and .size == 1048576 and .runs == 1 and .curve == true' <"$T/relay.json" \
    || fail "relay: bad header: $(cat "$T/relay.json")"
for path in fshare fshare_curve; do
    json_is --arg p $path '.[$p] | .verified == true and .median_gbps > 0
        and (.gbps | length) == 1
        and ([.cpu_s_per_gib.broker, .cpu_s_per_gib.owner, .cpu_s_per_gib.requester]
             | all(. >= 0))
        and ([.peak_rss_kib.broker, .peak_rss_kib.owner, .peak_rss_kib.requester]
             | all(. > 0))' <"$T/relay.json" || fail "relay: bad $path: $(cat "$T/relay.json")"
done
if command -v socat >/dev/null; then
    for path in socat_default socat_1m; do
        json_is --arg p $path '.[$p] | .verified == true and .median_gbps > 0
            and .relay_cpu_s_per_gib >= 0' <"$T/relay.json" \
            || fail "relay: bad $path: $(cat "$T/relay.json")"
    done
    json_is '.ratios.fshare_vs_socat_1m > 0 and .ratios.curve_vs_plain > 0
        and .run_ratios.fshare_vs_socat_1m > 0 and .run_ratios.curve_vs_plain > 0' <"$T/relay.json" \
        || fail "relay: bad ratios: $(cat "$T/relay.json")"
fi
json_is '(.cipher | length) == 3 and all(.cipher[]; .seal_s_per_gib > 0 and .open_s_per_gib > 0)
    and .four_passes_s_per_gib > 0 and (.curve_extra_cpu_s_per_gib | type) == "number"
    and .sha256_gbps.openssl > 0' <"$T/relay.json" \
    || fail "relay: bad cipher or hash speeds: $(cat "$T/relay.json")"
# Memory is warmed before each transfer (a figure of its own), unless --no-warm
json_is '.requester_floor_s_per_gib.write > 0 and .requester_floor_s_per_gib.sha256 > 0
    and (.requester_floor_s_per_gib.total - .requester_floor_s_per_gib.write
         - .requester_floor_s_per_gib.sha256 | fabs) < 0.001' \
    <"$T/relay.json" || fail "relay: no requester floor: $(cat "$T/relay.json")"
[ -z "$(ls "$T" | grep write-floor)" ] || fail "relay left its write-floor file in $T"
json_is '.warmup_cpu_s_per_gib.median > 0
    and .warmup_cpu_s_per_gib.max >= .warmup_cpu_s_per_gib.median' <"$T/relay.json" \
    || fail "relay: no memory warm-up: $(cat "$T/relay.json")"
"$B" relay --size 1M --runs 1 --dir "$T" --no-socat --no-warm --json >"$T/cold.json" \
    2>"$T/relay.err" || fail "relay --no-warm failed: $(cat "$T/relay.err")"
json_is '.warmup_cpu_s_per_gib == null and .fshare.verified == true' <"$T/cold.json" \
    || fail "relay --no-warm: $(cat "$T/cold.json")"

# --- events: 3 peers, each with a real view ----------------------------------------
for mode in "" --zmq-subscribers; do
    "$B" events --peers 3 --rounds 5 $mode --json >"$T/events.json" 2>"$T/events.err" \
        || fail "events $mode failed: $(cat "$T/events.err")"
    json_is '.bench == "events" and .peers == 3 and .rounds_done == 5 and .views == 3
        and .ok == true and .p50_ms > 0 and .p99_ms >= .p50_ms and .max_ms >= .p99_ms
        and .all_views_p99_ms >= .all_views_p50_ms and .broker_cpu_s >= 0' <"$T/events.json" \
        || fail "events $mode: bad JSON: $(cat "$T/events.json")"
done
json_is '.subscribers == "libzmq"' <"$T/events.json" || fail "events: not the libzmq mode"
json_is '.owner_settle_ms == -1' <"$T/events.json" || fail "events: not the owner's default window"
"$B" events --peers 3 --rounds 5 --settle-ms 0 --json >"$T/events0.json" 2>"$T/events.err" \
    || fail "events --settle-ms 0 failed: $(cat "$T/events.err")"
json_is '.ok == true and .owner_settle_ms == 0 and .rounds_done == 5' <"$T/events0.json" \
    || fail "events --settle-ms 0: $(cat "$T/events0.json")"

# --- login: 3 peers x 10 files, all three keeping views ----------------------------
"$B" login --peers 3 --files 10 --sample 3 --json >"$T/login.json" 2>"$T/login.err" \
    || fail "login failed: $(cat "$T/login.err")"
json_is '.bench == "login" and .peers == 3 and .files == 10 and .ok == true
    and .converge_s > 0 and .views_checked == 3
    and .broker_peak_rss_kib >= .broker_idle_rss_kib and .broker_idle_rss_kib > 0
    and .rss_bytes_per_file >= 0 and .argon2id_logins_per_s > 0 and .argon2id_cpu_ms > 0
    and .broker_reply_ms.samples >= 1' <"$T/login.json" \
    || fail "login: bad JSON: $(cat "$T/login.json")"

# A size the directory cannot hold is refused before anything is written
# (16777216G filled /dev/shm and woke the OOM killer)
expect 1 "$B" --size 16777216G --dir "$T" relay
err_has "fshare-bench: --size 18014398509481984 needs twice that free in $T"

# Nothing left behind: every temp dir of the bench is gone
ls -d "$T"/fshare-bench-* 2>/dev/null && fail "the bench left its temp dirs"
exit 0
