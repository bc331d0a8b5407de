# hostile_memory.sh - broker memory has bounds no client can lift (issue 8,
# item 7): 8 subscribers that never read, under a storm of join pages
# (30 logins of a user publishing 20,000 files of 150-byte paths: about
# 100 MB of events each subscriber never takes), cost the broker at most
# FSH_SUBSCRIBER_BYTES (32 MiB) each: the PUB's high-water mark times the
# largest event (4 KiB join pages, 9 KiB file events); a live agent's view is still exact
# afterwards. Subscriptions to anything but fshare's topics are refused
# (a PUB kept them all: 1 MB frames cost it 32 times their size). Published lists are bounded by --max-list-bytes per account
# and --max-total-bytes in all: beyond, "file list too large" (too_large).
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$BROKER_PID/status"; }

start_broker --hash-cost min --max-list-bytes 8000000 --max-total-bytes 12000000
start_peer bob
wait_online 10 bob
rss_start=$(rss_of "$BROKER_PID")

DEAF=""
for i in 1 2 3 4 5 6 7 8; do
    bg "deaf$i" "$PY" "$HOSTILE" deaf "$EVENTS_EP" 600
    DEAF="$DEAF $LAST_PID"
done
"$PY" "$HOSTILE" storm "$BROKER_EP" stormy pw 20000 30 >"$T/storm.json" \
    || fail "storm: $(cat "$T/storm.json")"
kill -0 "$BROKER_PID" || fail "the broker died"
rss_storm=$(rss_of "$BROKER_PID")
peak=$(hwm)
grew=$((peak - rss_start))
echo "broker VmRSS: ${rss_start} kB at start, ${rss_storm} kB after the storm with 8 deaf" \
     "subscribers, peak VmHWM ${peak} kB (+${grew} kB)"
# 8 x 32 MiB is the promise; libzmq shares one copy of each event among
# the subscribers' queues, so the real figure is far lower
[ "$grew" -lt $((8 * 32768 + 65536)) ] || fail "the broker grew by $grew kB"

# The deaf leave; a live view is exact (it recovered any gap by snapshot)
for pid in $DEAF; do kill "$pid"; done
for pid in $DEAF; do wait_until 10 gone "$pid" || fail "a deaf subscriber did not stop"; done
echo x >"$T/bob_files/after.txt"
wait_until 10 sees bob bob after.txt 2>/dev/null || true
lacks() { lacks_peer bob stormy; }
wait_until 10 lacks || fail "bob's view still holds the storm user"
# ...and the broker gives the memory back (malloc_trim on its stats timer;
# ASan's allocator keeps its own pages, so only the plain build is held to it)
back() { [ "$(rss_of "$BROKER_PID")" -lt $((rss_start + 16384)) ]; }
if [ -z "$SANITIZED" ]; then
    wait_until 20 back || fail "the broker kept $(rss_of "$BROKER_PID") kB after the crowd left (${rss_start} kB at start)"
fi
echo "broker VmRSS after the subscribers left: $(rss_of "$BROKER_PID") kB"

# --- subscriptions: only the topics fshare publishes are kept ------------------------
# A PUB kept every prefix a subscriber sent: 10 subscriptions of 1 MB of
# random bytes cost it some 300 MB for as long as the connection lasted.
# Now a frame longer than any topic ends the connection (its subscriber,
# reconnecting, sends them again: dropped again), and 20,000 subscriptions
# of 60 random bytes are refused one by one; the second one still gets the
# "stats" it asked for, and no event of its junk topics.
rss_before=$(rss_of "$BROKER_PID")
bg subbig "$PY" "$HOSTILE" subflood "$EVENTS_EP" 20 1000000 30
SUBBIG=$LAST_PID
bg subjunk "$PY" "$HOSTILE" subflood "$EVENTS_EP" 20000 60 30
SUBJUNK=$LAST_PID
wait_until 20 log_has subjunk heard || fail "the junk subscriber heard no stats: $(cat "$T/subjunk.log")"
kill -0 "$BROKER_PID" || fail "the broker died"
rss_sub=$(rss_of "$BROKER_PID")
echo "broker VmRSS: ${rss_before} kB before the subscription floods, ${rss_sub} kB with them"
[ "$rss_sub" -lt $((rss_before + 32768)) ] || fail "subscriptions grew the broker from $rss_before to $rss_sub kB"
log_has broker "dropped a subscription to a topic fshare does not publish" \
    || fail "the refused subscriptions were not logged"
kill "$SUBBIG" "$SUBJUNK"
for pid in $SUBBIG $SUBJUNK; do wait_until 10 gone "$pid" || fail "a subscriber did not stop"; done

# --- list budgets ------------------------------------------------------------------------
# 8,000,000 bytes at 150 + 96 bytes a file: 40,000 files are too many
"$PY" "$HOSTILE" biglist "$BROKER_EP" hoarder pw 40000 >"$T/big.json" \
    || fail "biglist: $(cat "$T/big.json")"
json_is '.code == 8 and .error == "file list too large"' <"$T/big.json" \
    || fail "an oversized list was not refused: $(cat "$T/big.json")"
"$PY" "$HOSTILE" biglist "$BROKER_EP" modest pw 20000 >"$T/ok1.json" || fail "modest list refused"
json_is '.code == null' <"$T/ok1.json" || fail "modest: $(cat "$T/ok1.json")"
echo "list budget: $(cat "$T/big.json")"
end_clean
echo "hostile_memory: ok"
