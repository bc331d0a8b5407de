#!/bin/bash
# ctl_ls_glob.sh - `ls --all GLOB` lists exactly the files `get OWNER GLOB`
# fetches, for globs with `**/` (zero or more directories), `*` within a
# component and `[...]`: ls matched with fnmatch, where `*` crossed '/' and
# `**/` needed a directory, so `ls --all 'docs/**/*.bin'` left out
# docs/a.bin while get fetched it, and `ls --all '*.bin'` showed files
# in subdirectories that get did not fetch. ls of one's own files too.
. "$(dirname "$0")/../lib.sh" "$1"

start_broker
A=$T/alice_files
mkdir -p "$A/docs/x/y" "$A/other"
for f in top.bin hello.txt docs/a.bin docs/d.txt docs/hello.txt docs/x/b.bin \
         docs/x/y/c.bin other/e.bin; do
    echo "content of $f" >"$A/$f"
done
start_peer alice
start_peer bob
wait_online 10 alice
wait_online 10 bob
wait_until 15 ctl_jq bob 'length == 8' -- ls --all --user alice \
    || fail "bob does not see alice's 8 files: $(ctl bob --json ls --all)"

# paths: the sorted paths of an ls --json listing
paths() { jq -c 'map(.path) | sort' <"$T/out"; }
# same GLOB WANT: ls --all lists WANT (a JSON array), and get fetches the
# same files: get's JSON names where each was saved, below -o DIR and
# relative to the glob's fixed leading directories ('docs/' of 'docs/**')
same() {
    local glob=$1 want=$2 listed fetched dir=$T/get-$((++n)) fixed=${1%%[][*?\\]*}
    [[ $fixed == */* ]] && fixed=${fixed%/*}/ || fixed=""
    expect 0 ctl bob --json ls --all --user alice "$glob"
    listed=$(paths)
    [ "$listed" = "$want" ] || fail "ls --all '$glob' listed $listed, not $want"
    expect 0 ctl bob --json get alice "$glob" -o "$dir"
    fetched=$(jq -c --arg dir "$dir" --arg fixed "$fixed" \
              'map(select(.error | not) | $fixed + (.path | ltrimstr($dir + "/"))) | sort' <"$T/out")
    [ "$fetched" = "$listed" ] || fail "get '$glob' fetched $fetched, ls listed $listed"
}
n=0
same 'docs/**/*.bin' '["docs/a.bin","docs/x/b.bin","docs/x/y/c.bin"]'
same '**/hello.txt'  '["docs/hello.txt","hello.txt"]'
same '*.bin'         '["top.bin"]'
same 'docs/*'        '["docs/a.bin","docs/d.txt","docs/hello.txt"]'
same '**/x/**'       '["docs/x/b.bin","docs/x/y/c.bin"]'
same '**/[bc].bin'   '["docs/x/b.bin","docs/x/y/c.bin"]'
same '**/*.bin'      '["docs/a.bin","docs/x/b.bin","docs/x/y/c.bin","other/e.bin","top.bin"]'

# every user's files at once, and one's own: the same globs
expect 0 ctl bob --json ls --all 'docs/**/*.bin'
[ "$(jq -c 'map(.user + ":" + .path)' <"$T/out")" = \
  '["alice:docs/a.bin","alice:docs/x/b.bin","alice:docs/x/y/c.bin"]' ] \
    || fail "ls --all 'docs/**/*.bin': $(cat "$T/out")"
expect 0 ctl alice --json ls '**/x/*.bin'
[ "$(paths)" = '["docs/x/b.bin"]' ] || fail "ls '**/x/*.bin': $(cat "$T/out")"
exit 0
