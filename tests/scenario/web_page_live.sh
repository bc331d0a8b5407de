#!/bin/bash
# web_page_live.sh - fshare-web's page in a real browser (headless Chromium
# through python3-selenium, driven by web_live_driver.py) where the plain
# page test does not go, against something posing as bob's agent
# (fake_agent.py web) where alice and carol publish the same 2,104 paths:
# - a listing that big shows its folders closed, and a folder opened by a
#   click or from the keyboard shows its files and stays open (the script
#   fetched it closed again: no folder of a big listing could be opened);
# - the keyboard's focus on carol's Download button stays there when part
#   of the page is refreshed (it moved to alice's file of the same path);
# - a folder and a file of 200- and 250-byte names wrap, and the file's
#   row with its download button stays within the window;
# - a page whose live stream was refused (64 pages held the streams: 503)
#   says so, and once one closes it is live again (it said "reconnecting"
#   for ever and never tried again);
# - a page whose fshare-web was started again (a new token) says that it
#   is no longer valid, not "reconnecting";
# - in a browser without JavaScript a folder's link, a download, its
#   cancel and the filter work as plain forms (every action was refused as
#   from another origin: under Referrer-Policy no-referrer the browser
#   sends Origin: null).
# Without a browser the test is skipped (77), never passed.
. "$(dirname "$0")/../lib.sh" "$1"
need_pyzmq
for need in /usr/bin/chromium /usr/bin/chromedriver; do
    [ -x "$need" ] || skip "$need is missing (Debian: chromium, chromium-driver)"
done
"$PY" -c 'import selenium' 2>/dev/null || skip "python3-selenium is missing"

FAKE="$(dirname "$0")/fake_agent.py"
DL="$T/dl"
mkdir -p "$DL" "$XDG_RUNTIME_DIR/fshare"
chmod 700 "$XDG_RUNTIME_DIR/fshare"
# big/: 2,100 files (more than RENDER_EXPAND alone); small/: 3; one long
# name; their downloads never end (null), so that a started one stays in
# the panel
"$PY" -c '
import json, sys
paths = {"big/f%04d.txt" % i: None for i in range(2100)}
paths.update({"small/s%d.txt" % i: None for i in range(3)})
paths["x" * 200 + "/" + "y" * 250] = None
json.dump(paths, open(sys.argv[1], "w"))' "$T/map.json"
FAKE_USERS=alice,carol bg fake "$PY" "$FAKE" web "ipc://$XDG_RUNTIME_DIR/fshare/bob.ctl" "$DL" "$T/map.json"
wait_until 10 test -S "$XDG_RUNTIME_DIR/fshare/bob.ctl" || fail "the fake agent did not bind"
bg web "$BIN/fshare-web" --user bob --listen 127.0.0.1:0
WEB_PID=$LAST_PID
wait_until 10 grep -q "http://" "$T/web.log" || fail "fshare-web printed no address"
WEB_URL=$(grep -o 'http://[^ ]*' "$T/web.log" | head -n 1)
PORT=${WEB_URL#http://127.0.0.1:}
PORT=${PORT%%/*}

WEB_URL=$WEB_URL T=$T WEB_PID=$WEB_PID \
    WEB_CMD="$BIN/fshare-web --user bob --listen 127.0.0.1:$PORT" \
    "$PY" "$(dirname "$0")/web_live_driver.py" >"$T/driver.out" 2>&1
status=$?
[ -f "$T/web2.pid" ] && PIDS="$PIDS $(cat "$T/web2.pid")"
cat "$T/driver.out"
[ $status -eq 0 ] || fail "the browser checks failed"
grep -q "live page checks passed" "$T/driver.out" || fail "the driver did not finish"
stopped "$WEB_PID" 0             # the driver stopped it (SIGTERM) to start another
[ -f "$T/web2.pid" ] && kill -0 "$(cat "$T/web2.pid")" 2>/dev/null \
    || fail "the second fshare-web is not running"
exit 0
