#!/bin/bash
# ctl_spawn_private.sh - `fshare-ctl connect` without XDG_RUNTIME_DIR logs
# the agent to /tmp/fshare-UID/USER.log, a name any local user can take
# first. Before, connect took a /tmp/fshare-UID that another user had made
# (mode 777) and opened the log through the symlink planted there: the
# victim's own file, named by the attacker, got the agent's log appended;
# a FIFO there hung connect for ever. Now the directory must be ours and
# writable by nobody else, as the agent's control directory, and the log
# a regular file of ours reached without a link; else connect fails at once
# with the reason (not_writable, exit 1), the file untouched. A clean
# /tmp/fshare-UID is still made (0700) and used.
. "$(dirname "$0")/../lib.sh" "$1"

[ "$(id -u)" = 0 ] || skip "needs root to act as two other users"
command -v setpriv >/dev/null || fail "no setpriv (util-linux)"
V=54331 A=54332          # the victim and the attacker
for uid in $V $A; do
    getent passwd $uid >/dev/null && skip "uid $uid exists here"
done
DIR=/tmp/fshare-$V
[ -e "$DIR" ] && skip "$DIR exists already"
at_exit "rm -rf '$DIR'"

chmod 711 "$T"          # both users walk through to their own directories
mkdir -m 700 "$T/victim" "$T/attacker"
chown $V:$V "$T/victim"
chown $A:$A "$T/attacker"
# as UID COMMAND...: COMMAND as that user, with no capabilities left
as() {
    local uid=$1; shift
    setpriv --reuid "$uid" --regid "$uid" --clear-groups --inh-caps=-all \
        --bounding-set=-all "$@"
}
echo "precious victim data" >"$T/victim/target"
chown $V:$V "$T/victim/target"; chmod 600 "$T/victim/target"
# connect_victim [OPTIONS]: the victim's connect, without XDG_RUNTIME_DIR,
# within 20 s (timeout's 124 is a hang); its status
connect_victim() {
    (cd "$T/victim" && timeout -k 5 20 env -u XDG_RUNTIME_DIR HOME="$T/victim" \
        XDG_STATE_HOME="$T/victim/state" FSHARE_PASSWORD=vpw \
        setpriv --reuid $V --regid $V --clear-groups --inh-caps=-all --bounding-set=-all \
        "$CTL" connect victim "$@") >"$T/out" 2>"$T/err" </dev/null
}
# refused WHY [OPTIONS]: the victim's connect fails at once with WHY, the
# victim's file untouched, no agent started
refused() {
    local why=$1; shift
    connect_victim --broker tcp://127.0.0.1:9 "$@"
    local got=$?
    [ "$(cat "$T/victim/target")" = "precious victim data" ] \
        || fail "the victim's file was written through the link: $(cat "$T/victim/target")"
    [ $got -eq 1 ] || fail "connect exited $got, not 1: $(cat "$T/err")"
    grep -q -- "$why" "$T/err" || fail "stderr lacks '$why': $(cat "$T/err")"
    err_lines 1
    no_agent victim || fail "an agent started"
    pgrep -u $V fshare-peer >/dev/null && fail "an agent of the victim runs"
    return 0
}

# --- the attacker's directory, with a link to the victim's file -----------------------------
as $A sh -c "mkdir -m 777 '$DIR' && ln -s '$T/victim/target' '$DIR/victim.log'" \
    || fail "the attacker could not plant the directory"
refused "fshare-ctl: control directory $DIR: it belongs to another user"
refused "it belongs to another user" --json
json_is '.code == "not_writable" and (.error | test("belongs to another user"))' <"$T/out" \
    || fail "--json: $(cat "$T/out")"
rm -rf "$DIR"

# --- the victim's own directory, but open to others -------------------------------------------
as $V mkdir -m 700 "$DIR" && chmod 777 "$DIR"
refused "fshare-ctl: control directory $DIR: group or others may write into it"
chmod 770 "$DIR"
refused "group or others may write into it"

# --- a private directory, but the log is a link or a FIFO (left from before) ------------------
chmod 700 "$DIR"
as $V ln -s "$T/victim/target" "$DIR/victim.log"
refused "fshare-ctl: cannot open the agent's log $DIR/victim.log: it is a symbolic link"
rm -f "$DIR/victim.log"
as $V mkfifo -m 600 "$DIR/victim.log"
refused "fshare-ctl: cannot open the agent's log $DIR/victim.log: not a regular file"
rm -f "$DIR/victim.log"
rm -rf "$DIR"

# --- a clean start: /tmp/fshare-UID is made private and the agent logs there ------------------
bg broker "$BIN/fshare-broker" --listen "tcp://127.0.0.1:*" --publish "tcp://127.0.0.1:*" \
    --state-dir "$T/state/fshare" --hash-cost min
wait_until 20 log_has broker "requests on tcp://127.0.0.1:" || fail "no broker"
broker_ep=$(grep -o 'requests on tcp://127.0.0.1:[0-9]*' "$T/broker.log" | head -n 1)
broker_ep=${broker_ep#requests on }
connect_victim --broker "$broker_ep" || fail "the victim's connect failed: $(cat "$T/err")"
[ "$(stat -c '%a %u %F' "$DIR")" = "700 $V directory" ] \
    || fail "$DIR is $(stat -c '%a %u %F' "$DIR")"
[ "$(stat -c '%a %u %F' "$DIR/victim.log")" = "600 $V regular file" ] \
    || fail "the log is $(stat -c '%a %u %F' "$DIR/victim.log")"
wait_until 10 grep -q "logged in" "$DIR/victim.log" || fail "nothing logged: $(cat "$DIR/victim.log")"
(cd "$T/victim" && env -u XDG_RUNTIME_DIR setpriv --reuid $V --regid $V --clear-groups \
    "$CTL" --user victim disconnect) >/dev/null 2>&1 || fail "the victim's disconnect failed"
wait_until 10 eval '! pgrep -u $V fshare-peer >/dev/null' || fail "the victim's agent runs on"
exit 0
