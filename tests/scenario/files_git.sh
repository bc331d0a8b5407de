#!/bin/bash
# files_git.sh - a git working tree inside the host directory (SPEC 4.2):
# git writes objects as tmp_obj_XXXXXX and links or renames them to their
# names, replaces its index by renaming index.lock over it, checks out
# branches by unlinking and writing files, and gc packs every loose object
# and deletes it. After each command bob's view of alice equals her disk,
# paths, sizes, mtimes and digests, with nothing left of a temporary.
. "$(dirname "$0")/../lib.sh" "$1"
files_family
command -v git >/dev/null || fail "git is missing (tools/setup.sh installs it)"

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
g() { git -C "$DIR/repo" -c init.defaultBranch=main -c gc.auto=0 "$@" >/dev/null 2>&1 || fail "git $*"; }
start_all
mkdir "$DIR/repo"
g init
for d in $(seq 1 10); do
    mkdir -p "$DIR/repo/src$d"
    for f in $(seq 1 20); do echo "file $d/$f" >"$DIR/repo/src$d/f$f.c"; done
done
g add -A
g commit -m one
same_as_disk
same_sums 20 "after the first commit"

g checkout -b topic
rm -r "$DIR/repo/src3"
for f in $(seq 1 20); do echo "changed $f" >>"$DIR/repo/src5/f$f.c"; done
mkdir "$DIR/repo/new" && for f in $(seq 1 30); do echo "new $f" >"$DIR/repo/new/n$f.c"; done
g add -A
g commit -m two
same_as_disk
same_sums 20 "after the second commit"

g checkout main
same_as_disk
same_sums 20 "after checking out main"
g checkout topic
same_as_disk
same_sums 20 "after checking out topic"

g gc --prune=now --aggressive
same_as_disk
same_sums 20 "after gc"
exit 0
