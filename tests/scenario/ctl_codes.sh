# ctl_codes.sh - fshare-ctl --json failures (SPEC 5.1, 5.2): one object
# {"error":TEXT,"code":CODE} on stdout, the usual line on stderr, the usual
# exit status; the ctl's own failures (no_agent, bad_request) and the
# agent's and broker's (unknown_user, unknown_file, already_logged_in,
# broker_unreachable) each with their code.
. "$(dirname "$0")/../lib.sh" "$1"

# failed STATUS CODE COMMAND...: exits STATUS, prints exactly one JSON
# failure with CODE whose text is the stderr line without the prefix
failed() {
    local status=$1 code=$2; shift 2
    expect "$status" "$CTL" --json "$@"
    lines "$T/out" 1
    json_is --arg code "$code" '.code == $code and (.error | length > 0)' <"$T/out" \
        || fail "$*: not a '$code' failure: $(cat "$T/out")"
    local text; text=$(jq -r .error "$T/out")
    grep -qxF -- "fshare-ctl: $text" "$T/err" || fail "$*: stderr says otherwise: $(cat "$T/err")"
}

# --- no agent at all ----------------------------------------------------------------------------
failed 1 no_agent status
failed 1 no_agent ls
failed 1 no_agent --user nobody get alice x
failed 1 no_agent events
failed 2 bad_request ls --bogus
failed 2 bad_request frobnicate
failed 2 bad_request ls --user alice           # --user needs --all
failed 2 bad_request ls --all --user -rf       # not a user name
failed 2 bad_request ls --sha256 "$(printf '%064d' 0)"   # --sha256 needs --all
failed 2 bad_request get alice                 # PATH missing
failed 2 bad_request connect                   # USER missing
failed 2 bad_request get alice x --jobs 0      # --jobs is 1 to 64
failed 2 bad_request get alice x --jobs 65

# --- an agent: its errors carry the broker's codes --------------------------------------------------
start_broker --hash-cost min
mkdir -p "$T/alice_files" && echo hello >"$T/alice_files/a.txt"
FSHARE_PASSWORD=pw connect alice
failed 1 unknown_user get nobody x.txt
FSHARE_PASSWORD=pw failed 1 already_logged_in connect alice --broker "$BROKER_EP" \
    --dir "$T/alice_files"
failed 2 bad_request connect bob --broker "$BROKER_EP" --server-key nonsense   # a bad value, as the agent's

mkdir -p "$T/bob_files"
FSHARE_PASSWORD=pw expect 0 "$CTL" connect bob --broker "$BROKER_EP" --dir "$T/bob_files" \
    --downloads "$T/bob_dl"
PIDS="$PIDS $("$CTL" --user bob --json status | jq -r .pid)"
failed 1 unknown_file --user bob get alice missing.txt
# a path that is no UTF-8: the JSON says the reason, escaped as on stderr
# (it was only "bad request")
failed 1 bad_request --user bob get alice $'x\xff'
json_is '.error | startswith("get alice x\\xff: ")' <"$T/out" \
    || fail "a path that is no UTF-8: $(cat "$T/out")"
failed 1 bad_request ls                        # two agents: which one?
json_is '.error | test("several agents running \\(alice, bob\\)")' <"$T/out" \
    || fail "several agents: $(cat "$T/out")"

# --- the broker goes away --------------------------------------------------------------------------
kill -TERM "$BROKER_PID"
wait "$BROKER_PID"
wait_until 10 not_online alice || fail "alice did not notice the broker leaving"
failed 1 broker_unreachable --user alice peers
failed 1 broker_unreachable --user alice disconnect     # stopped anyway
failed 1 broker_unreachable --user bob disconnect
failed 1 no_agent --user alice status           # it has stopped
exit 0
