# peer_lib.bash - helpers shared by the peer_*.sh scenarios, sourced after
# lib.sh (named .bash so that CMake does not take it for a scenario).

PEER="$BIN/fshare-peer"
CTL="$BIN/fshare-ctl"
echo "secret-$$" >"$T/pw"

# start_peer NAME [OPTIONS]: NAME's agent, host dir $T/NAME_files; its pid
# is in PID_NAME.
start_peer() {
    local name=$1; shift
    mkdir -p "$T/${name}_files"
    bg "$name" "$PEER" --user "$name" --dir "$T/${name}_files" \
        --downloads "$T/${name}_dl" --broker "$BROKER_EP" --password-file "$T/pw" "$@"
    eval "PID_$name=$LAST_PID"
}

ctl() { local name=$1; shift; "$CTL" --user "$name" "$@"; }

# ctl_jq NAME FILTER [JQ ARGS] -- CTL ARGS: run `fshare-ctl --user NAME --json
# CTL ARGS` and test its output with jq -e FILTER. False when the command
# fails or prints nothing (jq 1.6 -e is true on empty input).
ctl_jq() {
    local name=$1 filter=$2; shift 2
    local jqargs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do jqargs+=("$1"); shift; done
    shift
    local out
    out=$(ctl "$name" --json "$@" 2>/dev/null) || return 1
    [ -n "$out" ] || return 1
    jq -e "${jqargs[@]}" "$filter" <<<"$out" >/dev/null
}

# state NAME: the agent's state word
state() { ctl "$1" --json status 2>/dev/null | jq -r .state; }
is_state() { ctl_jq "$1" '.state == $s' --arg s "$2" -- status; }
online() { is_state "$1" online; }

# sees NAME OWNER PATH: OWNER's PATH is in NAME's view
sees() {
    ctl_jq "$1" 'any(.[]; .user == $u and .path == $p)' --arg u "$2" --arg p "$3" -- ls --all
}
# not_sees NAME OWNER PATH: NAME's view is known (see view_known) and lacks
# OWNER's PATH; false on an empty answer or an agent without a view
not_sees() {
    view_known "$1" &&
    ctl_jq "$1" 'all(.[]; .user != $u or .path != $p)' --arg u "$2" --arg p "$3" -- ls --all
}
# view_known NAME: NAME's agent is online and its peer list holds NAME itself
# (so that "not in the view" never passes on a view that is empty or stale)
view_known() { online "$1" && has_peer "$1" "$1"; }

# has_peer NAME USER: USER is logged in according to NAME's agent
has_peer() { ctl_jq "$1" 'any(.[]; .user == $u)' --arg u "$2" -- peers; }
# lacks_peer NAME USER: NAME's peer list, which holds NAME itself, lacks USER
lacks_peer() {
    ctl_jq "$1" 'any(.[]; .user == $me) and all(.[]; .user != $u)' \
        --arg me "$1" --arg u "$2" -- peers
}
