#!/bin/bash
# config_errors.sh - fshare.conf(5) files that are wrong, given to
# fshare-broker (the service's) and fshare-peer with -c: a key given twice
# (the second quietly won), a malformed line, an unknown key, a nested line
# and a file of 2 MiB each end the program with exit status 2 and an error
# that names the file and the line (only "not a valid ZPL config file"
# before, or nothing at all for the key given twice), before anything
# starts; a good file with comments and blank lines still works.
# Every program reads the file whatever spelling of -c getopt_long takes
# (--config=FILE, -cFILE, --conf FILE, -vcFILE): those were accepted and
# the file quietly ignored.
# Whatever is wrong with the file, every program says so in one line on
# stderr, escaped, naming what failed and why, and nothing on stdout:
# CZMQ's zconfig printed its own "E (zconfig): invalid syntax" lines
# (twice, on stdout, the file's raw bytes) before ours, a missing file had
# no reason and its raw name, and tap, web and ctl added more lines.
. "$(dirname "$0")/../lib.sh" "$1"
PROGRAMS="fshare-broker fshare-peer fshare-tap fshare-web fshare-passwd fshare-ctl"
ESC=$(printf '\033')

conf() { printf '%b' "$1" >"$T/bad.conf"; }
# refused BROKER|PEER LINE WORDS: exit 2 and the error names the line
refused() {
    local program=$1 line=$2 words=$3
    expect 2 "$BIN/$program" -c "$T/bad.conf" --help
    grep -q -- "$T/bad.conf:$line: .*$words" "$T/err" \
        || fail "$program: no error naming line $line ($words): $(cat "$T/err")"
}

conf '# comment\nstate-dir = /tmp/a\n\nheartbeat = 500\nstate-dir = /tmp/b\n'
refused fshare-broker 5 "given twice (first on line 2)"
conf 'user = alice\n# c\nuser = bob\n'
refused fshare-peer 3 "given twice (first on line 1)"
conf 'heartbeat = 500\n\n# fine so far\nlisten = "tcp://127.0.0.1:1\n'
refused fshare-broker 4 "malformed"
conf 'heartbeat = 500\nlisten = tcp://x\n  = = =\n'
refused fshare-broker 3 "malformed"
conf '# comment\n\nbogus-key = 1\n'
refused fshare-broker 3 "unknown option 'bogus-key'"
conf 'heartbeat = 500\nlisten = tcp://127.0.0.1:1\n    nested = 1\n'
refused fshare-broker 2 "nested lines"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$T/bad.conf"
expect 2 "$BIN/fshare-broker" -c "$T/bad.conf" --help
err_has "larger than"

# every spelling of -c, every program: the bad file is read and refused
conf 'bogus-key = 1\n'
for program in fshare-broker fshare-peer fshare-tap fshare-web fshare-passwd fshare-ctl; do
    for spelling in "--config=$T/bad.conf" "-c$T/bad.conf" "--conf $T/bad.conf" \
                    "--config $T/bad.conf"; do
        # shellcheck disable=SC2086
        expect 2 "$BIN/$program" $spelling --help
        err_has "$T/bad.conf:1: unknown option 'bogus-key'"
    done
done
# bundled after a short option that takes none
for program in fshare-broker fshare-peer fshare-tap fshare-web fshare-ctl; do
    expect 2 "$BIN/$program" -vc "$T/bad.conf" --help
    err_has "$T/bad.conf:1: unknown option 'bogus-key'"
done
# a -c that is another option's argument names no file
expect 0 "$BIN/fshare-peer" --dir -c "$T/bad.conf" --help

# one_line PROGRAM FILE WORDS: -c FILE is refused in one escaped line
# of stderr that holds WORDS, and nothing on stdout
one_line() {
    local program=$1 file=$2 words=$3
    expect 2 "$BIN/$program" -c "$file" --help
    err_lines 1
    [ -s "$T/out" ] && fail "$program: stdout: $(cat -v "$T/out")"
    grep -q "$ESC" "$T/err" && fail "$program: a raw ESC on stderr: $(cat -v "$T/err")"
    grep -q -- "^$program: .*$words" "$T/err" \
        || fail "$program: stderr lacks '$words': $(cat -v "$T/err")"
}
for program in $PROGRAMS; do
    conf 'li\033[31mx = 1\n'
    one_line "$program" "$T/bad.conf" "bad.conf:1: malformed line (text after a name"
    conf 'heartbeat = 500\nlisten = "tcp://127.0.0.1:1\n'
    one_line "$program" "$T/bad.conf" "bad.conf:2: malformed line (no closing \")"
    conf 'heartbeat = 500\n  listen = x\n'
    one_line "$program" "$T/bad.conf" "bad.conf:2: malformed line (indented by other"
    conf 'heartbeat = 500\n        listen = x\n'
    one_line "$program" "$T/bad.conf" "bad.conf:2: malformed line (indented deeper"
    one_line "$program" "$T/no"$'\e]0;TITLE\a'"SUCH" \
        "cannot read config file $T/no\\\\x1b]0;TITLE\\\\x07SUCH: No such file or directory"
    one_line "$program" "$T" "cannot read config file $T: Is a directory"
    one_line "$program" "" "config file: no path given"
done

# fshare-ctl --json: the object's error is the stderr line without
# "fshare-ctl: " (it was always "bad config file"), whatever is wrong
ctl_json_why() {
    expect 2 "$BIN/fshare-ctl" --json -c "$1" status
    local line
    line=$(sed 's/^fshare-ctl: //' "$T/err")
    json_is '.error == $e and .code == "bad_request"' --arg e "$line" <"$T/out" \
        || fail "ctl --json -c '$1': $(cat "$T/out") is not the stderr line '$line'"
}
conf 'heartbeat = 500\n  listen = x\n'
ctl_json_why "$T/bad.conf"
ctl_json_why "$T/no-such.conf"
ctl_json_why "$T"
ctl_json_why ""
conf 'bogus-key = 1\n'
ctl_json_why "$T/bad.conf"

# a good one: comments, blank lines, every key once
printf '# the broker\n\nheartbeat = 500   # ms\n\nlisten = ipc://%s/b.sock\n' "$T" >"$T/good.conf"
expect 0 "$BIN/fshare-broker" -c "$T/good.conf" --help
exit 0
