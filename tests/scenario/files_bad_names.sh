# files_bad_names.sh - names in the host directory that cannot be
# published (a newline, a tab, an escape sequence, broken UTF-8, a DEL)
# are never published, whether found at start or created while the agent
# runs, and each is logged with the reason (never silently skipped, and
# never written raw into the log); a backslash is an ordinary character.
# Bob's view equals the disk without them.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

echo nl >"$DIR/start"$'\n'"line"
echo ok >"$DIR/back\\slash"
start_all
wait_until 5 sees bob alice 'back\slash' || fail "bob does not see back\\slash"
log_has alice "skipping 'start?line'" || fail "the bad name found at start is not logged"

echo t >"$DIR/tab"$'\t'"name"
echo e >"$DIR/esc"$'\033'"[31mred"
echo u >"$DIR/utf"$'\xff\xfe'"8"
echo d >"$DIR/del"$'\x7f'
mkdir "$DIR/dir"$'\n'"x"
echo b >"$DIR/back\\slash2"
expect_events "file_added back\\slash2"
for name in "tab?name" "esc?[31mred" "utf??8" "del?" "dir?x"; do
    wait_until 5 grep -qF "skipping '$name'" "$T/alice.log" || fail "'$name' is not logged: $(grep skipping "$T/alice.log")"
done
grep -q $'\033' "$T/alice.log" && fail "a raw escape character reached the log"
view_paths() { ctl bob --json ls --all --user alice 2>/dev/null | jq -c '[.[].path] | sort'; }
[ "$(view_paths)" = '["back\\slash","back\\slash2"]' ] || fail "bob's view of alice: $(view_paths)"
