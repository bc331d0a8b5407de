# install_man.sh - every program has a man page (section 1), and so has the
# config file format (section 5): lint-clean under mandoc -T lint, naming
# every option that the program's --help prints, and the version that its
# --version prints. fshare-ctl's page also names every command of its help.
. "$(dirname "$0")/../lib.sh" "$1"

command -v mandoc >/dev/null || { echo "install_man: skipped, no mandoc"; exit 77; }
MAN="$BIN/man"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BIN/CMakeCache.txt")
[ -n "$version" ] || fail "no project version in $BIN/CMakeCache.txt"

# render PAGE: the page as plain text
render() { mandoc -T ascii "$1" | sed 's/.\x08//g'; }
# options_of PROGRAM: every -x / --long-option its --help names, one a line
options_of() {
    "$1" --help | grep -oE -- '(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*' \
        | sed 's/^[][ ,|(]//' | sort -u
}

# mandoc looks for a page named by .Xr only among the installed pages:
# a reference to one of ours is found once they are installed.
lint() {
    local out
    out=$(mandoc -T lint "$1" 2>&1 | grep -v "STYLE: referenced manual not found: Xr fshare")
    [ -z "$out" ] || fail "mandoc -T lint $1: $out"
}

checked=0
for program in fshare-broker fshare-peer fshare-ctl fshare-tap fshare-passwd fshare-bench \
               fshare-web; do
    if [ ! -x "$BIN/$program" ]; then
        [ "$program" = fshare-web ] || fail "$program was not built"
        echo "install_man: $program is not built yet; its page is not checked"
        continue
    fi
    page="$MAN/man1/$program.1"
    [ -f "$page" ] || fail "no man page $page"
    lint "$page"
    render "$page" >"$T/page"
    # a quote that closes another (fshare-tap's "(`5, `0.5'')": Ql nested
    # in Ql), and lines that cannot break on a narrow terminal
    grep -n "''" "$T/page" && fail "$program's page nests quotes"
    if command -v man >/dev/null; then
        warned=$(MANWIDTH=60 man -l "$page" 2>&1 >/dev/null)
        [ -z "$warned" ] || fail "$program's page at 60 columns: $warned"
    fi
    options_of "$BIN/$program" >"$T/options"
    [ "$(wc -l <"$T/options")" -ge 3 ] || fail "found no options in $program --help"
    while read -r option; do
        grep -qE -- "(^|[^A-Za-z0-9-])$option([^A-Za-z0-9-]|$)" "$T/page" \
            || fail "$program --help names $option, its man page does not"
    done <"$T/options"
    "$BIN/$program" --version >"$T/out" || fail "$program --version failed"
    [ "$(cat "$T/out")" = "$program $version" ] \
        || fail "$program --version says '$(cat "$T/out")', not '$program $version'"
    grep -q "fshare $version" "$T/page" || fail "the page of $program does not say fshare $version"
    checked=$((checked + 1))
done
[ "$checked" -ge 6 ] || fail "only $checked programs checked"

# fshare-ctl's commands: the lines of its help between "commands:" and "options:"
"$BIN/fshare-ctl" --help | sed -n '/^commands:/,/^options:/p' \
    | grep -oE '^  [a-z]+' | sort -u >"$T/commands"
[ "$(wc -l <"$T/commands")" -ge 8 ] || fail "found no commands in fshare-ctl --help"
render "$MAN/man1/fshare-ctl.1" >"$T/page"
while read -r cmd; do
    grep -qE "^ +$cmd( |$)" "$T/page" || fail "fshare-ctl's page lacks the command $cmd"
done <"$T/commands"
# ... and each command's line in the help names every option and form of
# its line in the page (get lacked --jobs, DIR/ and GLOB, which SPEC 5 lists)
while read -r cmd; do
    grep -E "^ +$cmd( |$)" "$T/page" | head -1 >"$T/page_line"
    "$BIN/fshare-ctl" --help | grep -E "^  $cmd( |$)" | head -1 >"$T/help_line"
    for word in $(grep -oE -- '--?[a-z][a-z-]*|[A-Za-z]+/|GLOB' "$T/page_line"); do
        grep -qiF -- "$word" "$T/help_line" \
            || fail "fshare-ctl --help's $cmd line lacks $word: $(cat "$T/help_line")"
    done
done <"$T/commands"

page="$MAN/man5/fshare.conf.5"
[ -f "$page" ] || fail "no man page $page"
lint "$page"
grep -q "fshare $version" "$page" || fail "fshare.conf(5) does not say fshare $version"
echo "install_man: ok ($checked programs)"
