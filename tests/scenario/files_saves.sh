# files_saves.sh - editors' saves and ignore rules (issue 9 item 4, SPEC
# 4.2): write f.tmp then rename over f.txt, vim's save, a 500-file checkout
# by rename-over and a delete-and-rewrite each give exactly one
# file_changed per file; the built-in defaults, --ignore and .fshareignore
# (re-read when it changes, '!' re-including against the defaults) keep
# files out; an ignored file renamed over a published one is one change.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

echo "old f" >"$DIR/f.txt"
echo "old v" >"$DIR/v.txt"
echo "old g" >"$DIR/g.txt"
echo "log" >"$DIR/a.log"
echo "keep" >"$DIR/keep.tmp"
mkdir "$DIR/co"
for i in $(seq -w 1 500); do echo original >"$DIR/co/file$i.c"; done
start_all --ignore '*.bak' --settle-ms 100
wait_until 10 eval '[ "$(view_lines | wc -l)" -eq 504 ]' || fail "bob does not see alice's 504 files"
expect_events
# what the defaults and --ignore keep out, as paths
IGNORED='(\.tmp|~|\.bak|4913|\.swp|\.swx)$|^cache\.tmp/|\.#|\.goutputstream-|~\$'
same_as_disk "$IGNORED"

# --- write f.tmp, rename it over f.txt ----------------------------------------------
echo "new f content" >"$DIR/f.tmp"
mv "$DIR/f.tmp" "$DIR/f.txt"
expect_events "file_changed f.txt"

# --- vim's save: rename to a backup, write anew, remove the backup -----------------
# (one process, as an editor does it: between separate mv, echo and rm a
# loaded machine can leave more than the 100 ms settle window)
perl -e 'my $f = shift; rename $f, "$f~" or die; open (my $o, ">", $f) or die;
         print $o "new v content\n"; close $o or die; unlink "$f~" or die' "$DIR/v.txt"
expect_events "file_changed v.txt"
command -v vim >/dev/null || fail "vim is missing (tools/setup.sh installs it)"
# the real thing: swap file, 4913 probe, backup renamed away
(cd "$DIR" && vim -u NONE -i NONE -N -n -es -c 'set backupcopy=no writebackup' \
    -c 'normal Goappended by vim' -c 'wq' v.txt </dev/null >/dev/null 2>&1)
grep -q "appended by vim" "$DIR/v.txt" || fail "vim did not save v.txt"
expect_events "file_changed v.txt"

# --- deleted and written again at once ---------------------------------------------
perl -e 'my $f = shift; unlink $f or die; open (my $o, ">", $f) or die;
         print $o "new g content\n"; close $o or die' "$DIR/g.txt"
expect_events "file_changed g.txt"
same_as_disk "$IGNORED"

# --- a checkout: 500 files replaced by rename-over ---------------------------------
for i in $(seq -w 1 500); do
    echo "checked out" >"$DIR/co/file$i.c.tmp"
    mv "$DIR/co/file$i.c.tmp" "$DIR/co/file$i.c"
done
next_events
cp "$T/events.now" "$T/checkout"
[ "$(wc -l <"$T/checkout")" -eq 500 ] || fail "the checkout gave $(wc -l <"$T/checkout") events, not 500"
[ "$(grep -c '^file_changed co/file[0-9]*\.c$' "$T/checkout")" -eq 500 ] \
    || fail "the checkout's events are not 500 file_changed: $(grep -v '^file_changed co/' "$T/checkout" | head)"
[ "$(sort -u "$T/checkout" | wc -l)" -eq 500 ] || fail "a file changed twice in the checkout"
same_as_disk "$IGNORED"

# --- the built-in defaults and --ignore: never published ---------------------------
echo x >"$DIR/notes.txt~"
echo x >"$DIR/.notes.txt.swp"
echo x >"$DIR/4913"
echo x >"$DIR/~\$report.docx"
echo x >"$DIR/.#lock"
echo x >"$DIR/.goutputstream-ABC123"
echo x >"$DIR/old.bak"
mkdir "$DIR/cache.tmp" && echo x >"$DIR/cache.tmp/inside.txt"
expect_events

# --- .fshareignore: read when written, '!' re-includes against the defaults ---------
printf '# rules\n*.log\n!keep.tmp\n' >"$DIR/.fshareignore"
# (a new file waits a moment before it is published, the rules apply at once)
expect_set "file_added .fshareignore" "file_removed a.log" "file_added keep.tmp"
echo "b" >"$DIR/b.log"
expect_events
# an ignored file renamed over a published one: one change of the target
echo "renamed over c" >"$DIR/c.log"
echo "c" >"$DIR/c.txt"
expect_events "file_added c.txt"
mv "$DIR/c.log" "$DIR/c.txt"
expect_events "file_changed c.txt"
same_as_disk '\.log$|~$|\.bak$|4913$|\.swp$|^cache\.tmp/|^[^k].*\.tmp$|\.#|\.goutputstream-|~\$'
# removed: the defaults alone again
rm "$DIR/.fshareignore"
expect_events "file_removed .fshareignore" "file_removed keep.tmp" "file_added a.log" "file_added b.log"
same_as_disk "$IGNORED"
exit 0
