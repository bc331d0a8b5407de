# completion.sh - bash completion (tools/completion/fshare), driven the way
# bash drives it (COMP_WORDS, COMP_CWORD, the function `complete -p` names):
# every program's --help options, fshare-ctl's commands and command options,
# and, asked live from the running agent, the online users, the running
# agents and `get OWNER <TAB>` paths, one directory at a time, quoted.
# Every option offered, for every program and every fshare-ctl command, is
# one the program takes (and, but for a command's, one its --help lists on
# an option line), offered once: options were scraped from the prose of
# --help too, so broker --u<TAB> gave --user (fshare-tap's), peer --pr<TAB>
# --print-key (the broker's), bench -b (socat's) and ctl --pa<TAB>
# --password-file (connect's), and `fshare-ctl <TAB>` listed ls twice;
# `ls --all --user <TAB>` left out the agent's own user, whose files
# ls --all lists too.
# Prints how long `get OWNER <TAB>` takes with 10,000 files (no assert).
. "$(dirname "$0")/../lib.sh" "$1"

SCRIPT=$(cd "$(dirname "$0")/../.." && pwd)/tools/completion/fshare
# shellcheck source=/dev/null
. "$SCRIPT" || fail "cannot source $SCRIPT"
export FSHARE_PASSWORD="pw-$$"

# comp WORD...: run the completion function bash would run for the line
# WORD... (the last word being completed); the answer is in COMPREPLY
comp() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    local spec function
    spec=$(complete -p "${1##*/}" 2>/dev/null) || fail "no completion for ${1##*/}"
    function=$(sed -n 's/.*-F \([^ ]*\) .*/\1/p' <<<"$spec")
    [ -n "$function" ] || fail "no completion function in: $spec"
    "$function" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
}
# has WORD: COMPREPLY holds WORD; lacks WORD: it does not
has() { printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$1" || fail "completion lacks '$1' (got: ${COMPREPLY[*]:0:20})"; }
lacks() { printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$1" && fail "completion offers '$1'"; return 0; }
count_is() { [ "${#COMPREPLY[@]}" -eq "$1" ] || fail "expected $1 completions, got ${#COMPREPLY[@]}: ${COMPREPLY[*]:0:20}"; }

# no_duplicates: COMPREPLY offers each word once
no_duplicates() {
    local twice
    twice=$(printf '%s\n' "${COMPREPLY[@]}" | sort | uniq -d)
    [ -z "$twice" ] || fail "completion offers twice: $twice"
}
# taken PROGRAM [WORD...] OPTION: PROGRAM takes OPTION (with a value when
# its help shows one) after WORD...: the parse goes past it to the unknown
# --zz-end (which also keeps anything from starting), or stops at a value
# it checks, never at OPTION itself
taken() {
    local option=${*: -1} value=()
    _fshare_takes_value "${1##*/}" "$option" && value=(1)
    "$@" "${value[@]}" --zz-end >"$T/out" 2>"$T/err" </dev/null
    grep -q -- "unknown option '$option'\|option '$option' needs" "$T/err" \
        && fail "$* is offered but refused: $(cat "$T/err")"
    return 0
}
# on_option_line PROGRAM OPTION: its --help lists OPTION on an option line
on_option_line() {
    "$BIN/$1" --help | grep -qE -- "^ {2,6}(-.*[ ,])?$2([ ,]|\$)" \
        || fail "$1 --help has no option line for $2"
}

# --- every program: registered, and every option it offers is its own ---------------
PATH=$BIN:$PATH     # the completion reads the help of the program on the line
for program in fshare-broker fshare-peer fshare-ctl fshare-tap fshare-passwd fshare-bench \
               fshare-web; do
    complete -p "$program" >/dev/null 2>&1 || fail "no completion registered for $program"
    [ -x "$BIN/$program" ] || { [ "$program" = fshare-web ] && continue; fail "$program not built"; }
    comp "$program" -
    no_duplicates
    [ "${#COMPREPLY[@]}" -ge 3 ] || fail "$program: only ${#COMPREPLY[@]} options offered"
    for option in "${COMPREPLY[@]}"; do
        on_option_line "$program" "$option"
        taken "$BIN/$program" "$option"
    done
done
comp fshare-broker --u
count_is 0
comp fshare-broker --pr
has --print-key; count_is 1
comp fshare-peer --pr
count_is 0
comp fshare-bench -
lacks -b; has --files; has --peers; has --no-socat
comp fshare-ctl --pa
count_is 0
comp fshare-passwd --
has --stdin; has --delete; has --config
# fshare-ctl's commands, once each, and each command's options
comp fshare-ctl ""
no_duplicates
for command in "${COMPREPLY[@]}"; do
    comp fshare-ctl "$command" -
    no_duplicates
    for option in "${COMPREPLY[@]}"; do
        taken "$BIN/fshare-ctl" --user nobody "$command" alice path "$option"
    done
done
comp "$BIN/fshare-tap" --topic ""
has presence; has files; has stats; count_is 3
comp "$BIN/fshare-bench" ""
has events; has login; has relay; count_is 3     # login was missing

# --- fshare-ctl: global options, commands, command options --------------------------------
comp "$CTL" --
has --user; has --control; has --json; has --version; lacks --all
comp "$CTL" ""
for command in connect status ls peers get events disconnect shell; do has "$command"; done
lacks __complete
comp "$CTL" --json p
has peers; count_is 1
comp "$CTL" ls --
has --all; has --user; lacks --dir
comp "$CTL" connect alice --
has --dir; has --downloads; has --broker; has --password-file; has --server-key
comp "$CTL" get alice x -
has -o

# --- live: users, agents and paths from the running agents -------------------------------
start_broker
mkdir -p "$T/alice_files/docs" "$T/bob_files"
(cd "$T/alice_files" && mkdir d{00..99} && for d in d{00..99}; do touch "$d"/f{000..099}.txt; done)
echo one >"$T/alice_files/docs/report one.pdf"
echo two >"$T/alice_files/docs/notes[1].txt"
for user in alice bob; do
    expect 0 "$CTL" connect "$user" --broker "$BROKER_EP" --dir "$T/${user}_files" \
        --downloads "$T/${user}_dl"
    PIDS="$PIDS $("$CTL" --user "$user" --json status | jq -r .pid)"
done
wait_until 60 has_files bob alice 10002 || fail "bob does not see alice's 10,002 files"

comp "$CTL" --user ""
has alice; has bob; count_is 2
comp "$CTL" --user bob get ""
has alice; lacks bob; count_is 1
comp "$CTL" --user bob ls --all --user a
has alice; count_is 1
comp "$CTL" --user bob ls --all --user ""
has alice; has bob; count_is 2

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
t0=$(date +%s%N)
comp "$CTL" --user bob get alice ""
all_ms=$(ms "$t0")
count_is 101; has d00/; has d99/; has docs/
t0=$(date +%s%N)
comp "$CTL" --user bob get alice d4
part_ms=$(ms "$t0")
count_is 10; has d40/; has d49/; lacks d50/
comp "$CTL" --user bob get alice d42/
count_is 100; has d42/f000.txt; has d42/f099.txt
comp "$CTL" --user bob get alice "docs/r"
count_is 1; has 'docs/report\ one.pdf'
comp "$CTL" --user bob get alice 'docs/notes['
count_is 1; has 'docs/notes\[1\].txt'
comp "$CTL" --user bob get alice nothing-here
count_is 0
comp "$CTL" --user bob get nobody ""
count_is 0
comp "$CTL" --user bob get alice d00/f000.txt -o ""     # -o takes a local file name
lacks d00/
# the hidden command itself: one word a line, exit 1 and silence without an agent
expect 0 "$CTL" --user bob __complete paths alice d00/f00
[ "$(wc -l <"$T/out")" -eq 10 ] || fail "__complete paths printed $(wc -l <"$T/out") lines, not 10"
[ -s "$T/err" ] && fail "__complete wrote to stderr: $(cat "$T/err")"
expect 1 "$CTL" --user nobody __complete users
[ -s "$T/err" ] && fail "__complete without an agent wrote to stderr: $(cat "$T/err")"
expect 2 "$CTL" --user bob __complete frobnicate

echo "completion: get alice <TAB> over 10,000 files: ${all_ms} ms (101 words);" \
     "get alice d4<TAB>: ${part_ms} ms"
echo "completion: ok"
