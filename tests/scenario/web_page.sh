#!/bin/bash
# web_page.sh - fshare-web in a real browser (headless Chromium through
# python3-selenium, driven by web_driver.py) against a real broker and two
# agents started with fshare-ctl connect: the page lists alice's file, a new
# file appears without a reload within a second, the filter narrows, a file
# and a folder download arrive identical to the owner's, requests without
# the token (or from another origin, oversized, malformed) are refused, and
# the page survives a broker restart, with its banner meanwhile. Screenshots
# in $T. Without a browser the test is skipped (77), never passed.
. "$(dirname "$0")/../lib.sh" "$1"

# The command line, browser or not
WEB="$BIN/fshare-web"
expect 0 "$WEB" --help
grep -q "usage: fshare-web" "$T/out" || fail "--help prints no usage"
expect 2 "$WEB" --bogus
expect 2 "$WEB" --listen 127.0.0.1
expect 2 "$WEB" --listen 0.0.0.0:0
err_has "add --allow-remote"
expect 2 "$WEB" --listen 127.0.0.1.evil.example:0     # resolves wherever its DNS says
err_has "add --allow-remote"
expect 2 "$WEB" --user 'bad name'
expect 2 "$WEB" --user alice --control ipc://x
expect 1 "$WEB"
err_has "no agent running"

for need in /usr/bin/chromium /usr/bin/chromedriver; do
    [ -x "$need" ] || skip "$need is missing (Debian: chromium, chromium-driver)"
done
"$PY" -c 'import selenium' 2>/dev/null \
    || skip "python3-selenium is missing"

export FSHARE_PASSWORD="secret-$$"
start_broker
mkdir -p "$T/alice_files/docs/sub" "$T/bob_files"
echo "hello from alice" >"$T/alice_files/hello.txt"
echo "# notes" >"$T/alice_files/docs/a.md"
head -c 300000 /dev/urandom >"$T/alice_files/docs/sub/deep.bin"
connect alice
connect bob

bg web "$BIN/fshare-web" --user bob --listen 127.0.0.1:0
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)
[[ "$WEB_URL" == http://127.0.0.1:*/\?token=* ]] || fail "unexpected address: $WEB_URL"

BROKER_CMD="$BIN/fshare-broker --listen $BROKER_EP --publish $EVENTS_EP --state-dir $T/state/fshare"
WEB_URL=$WEB_URL T=$T BROKER_PID=$BROKER_PID BROKER_CMD=$BROKER_CMD \
    "$PY" "$(dirname "$0")/web_driver.py" >"$T/driver.out" 2>&1
status=$?
[ -f "$T/broker2.pid" ] && PIDS="$PIDS $(cat "$T/broker2.pid")"
cat "$T/driver.out"
[ $status -eq 0 ] || fail "the browser checks failed"
stopped "$BROKER_PID" 137        # the driver killed it (-9) to restart it
[ -s "$T/web.png" ] || fail "no screenshot"
grep -q "web page checks passed" "$T/driver.out" || fail "the driver did not finish"
kill -0 "$LAST_PID" 2>/dev/null || fail "fshare-web died"
exit 0
