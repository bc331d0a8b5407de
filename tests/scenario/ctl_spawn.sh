# ctl_spawn.sh - connect learns why its agent stopped from the agent itself
# (the report socket of FSHARE_REPORT_FD), not from the agent's log: with
# a decoy reason in the log the agent's own still arrives, word for word; a
# bad --server-key is refused before any agent starts; no agent is left.
# (The logs once led to /dev/null through links: connect now refuses a log
# that is a link, ctl_spawn_private.sh.)
. "$(dirname "$0")/../lib.sh" "$1"


start_broker --hash-cost min
mkdir -p "$T/run/fshare" && chmod 700 "$T/run/fshare"

# The logs of these users start with a reason that is not the agent's: one
# read back from the log would show it
for user in dave erin; do
    echo "internal decoy: the log was read" >"$T/run/fshare/$user.log"
done

# connect_as USER PASSWORD [OPTIONS]: try_connect with that password
connect_as() { local user=$1 password=$2; shift 2; FSHARE_PASSWORD=$password try_connect "$user" "$@"; }

connect_as dave right --broker "$BROKER_EP" || fail "first connect: $(cat "$T/err")"
"$CTL" --user dave disconnect >/dev/null 2>&1 || fail "disconnect failed"

# --- a refused login: the broker's reason --------------------------------------------------
connect_as dave wrong --broker "$BROKER_EP" && fail "a wrong password connected"
err_is "fshare-ctl: connect failed: login refused: invalid user or password"
[ -s "$T/out" ] && fail "a failed connect printed: $(cat "$T/out")"
no_agent dave || fail "the refused agent is still running"

# --- the agent refuses by itself: a password would travel unencrypted --------------------
connect_as erin pw --broker tcp://192.0.2.1:5555 && fail "connected to an unencrypted remote broker"
err_is "fshare-ctl: connect failed: refusing to send a password unencrypted to tcp://192.0.2.1:5555 (use CURVE: --server-key)"
no_agent erin || fail "the refusing agent is still running"

# --- a bad server key: refused before an agent starts -------------------------------------
connect_as erin pw --broker "$BROKER_EP" --server-key nonsense && fail "a bad key connected"
err_has "fshare-ctl: connect failed: --server-key: "
err_lines 1
no_agent erin || fail "an agent started with a bad key"

# An inherited FSHARE_REPORT_FD is not passed on: the child gets its own
FSHARE_REPORT_FD=1 connect_as dave wrong --broker "$BROKER_EP" && fail "a wrong password connected"
err_is "fshare-ctl: connect failed: login refused: invalid user or password"
exit 0
