# state_dir_home.sh - a home that does not exist is never created: the
# programs that keep state there say so and stop; the fshare dirs under an
# existing home or XDG_STATE_HOME's existing parent are still made.
. "$(dirname "$0")/../lib.sh" "$1"

B="$BIN/fshare-broker"
gone_home="$T/nonexistent/home"

# --- HOME that does not exist (Debian's HOME=/nonexistent): nothing is made ----------
expect 1 env -u XDG_STATE_HOME HOME="$gone_home" "$B" --print-key
err_has "$gone_home"
err_has "does not exist"
[ -e "$T/nonexistent" ] && fail "the missing home was created: $(find "$T/nonexistent")"
# the agent as well
echo pw >"$T/pw"
expect 1 env -u XDG_STATE_HOME HOME="$gone_home" "$PEER" --broker "$BROKER_EP" --user alice \
    --dir "$T/alice_files" --downloads "$T/alice_dl" --password-file "$T/pw"
[ -e "$T/nonexistent" ] && fail "the agent created the missing home"
grep -q "$gone_home" "$T/err" "$T/out" || fail "the agent did not name the missing home: $(cat "$T/err" "$T/out")"

# --- XDG_STATE_HOME whose parent does not exist: refused, nothing made ---------------
expect 1 env XDG_STATE_HOME="$T/nonexistent/state" "$B" --print-key
err_has "$T/nonexistent"
[ -e "$T/nonexistent" ] && fail "XDG_STATE_HOME's missing parent was created"

# --- an existing home: .local/state/fshare made beneath it, mode 0700 ---------------
mkdir "$T/h"
expect 0 env -u XDG_STATE_HOME HOME="$T/h" "$B" --print-key
[ -f "$T/h/.local/state/fshare/broker.cert_secret" ] || [ -n "$(ls "$T/h/.local/state/fshare")" ] \
    || fail "no key made under the existing home"
[ "$(stat -c %a "$T/h/.local/state/fshare")" = 700 ] || fail "state dir not mode 700"
# XDG_STATE_HOME itself missing but its parent there: made (ours to make)
mkdir "$T/x"
expect 0 env XDG_STATE_HOME="$T/x/state" "$B" --print-key
[ -d "$T/x/state/fshare" ] || fail "no state dir under the new XDG_STATE_HOME"
exit 0
