#!/bin/bash
# files_editors.sh - saves of real tools whose temporaries the defaults do
# not name (SPEC 4.2: an editor's save is one event): sed -i (sedXXXXXX,
# closed, then renamed over), a mkstemp-style save (tmpXXXXXXXX renamed
# over, as Python's and Go's atomic writers do), emacs (the original
# renamed to f~, the new text written under f; its #f# auto-saves),
# LibreOffice (its .~lock.f# lock file, luXXXX.tmp renamed over), vim's
# .swo swap file, vim writing in place
# (backupcopy=yes), cp over an existing file and a shell's
# truncate-then-write in place. Each is exactly one file_changed of the
# file saved, and bob's view and digests equal the disk.
. "$(dirname "$0")/../lib.sh" "$1"
files_family

for f in sed mk emacs cp sh; do echo "old $f" >"$DIR/$f.txt"; done
echo "old report" >"$DIR/r.odt"
start_all
wait_until 10 sees bob alice sh.txt || fail "bob does not see alice's files"
expect_events
same_sums 10 "at start"

sed -i 's/old/new/' "$DIR/sed.txt"
expect_events "file_changed sed.txt"
same_sums 10 "sed -i"

python3 -c '
import os, sys, tempfile
d = os.path.dirname (sys.argv [1])
fd, tmp = tempfile.mkstemp (dir = d)
os.write (fd, b"new mk, longer\n"); os.fsync (fd); os.close (fd)
os.replace (tmp, sys.argv [1])' "$DIR/mk.txt"
expect_events "file_changed mk.txt"
same_sums 10 "mkstemp and rename"

perl -e 'my $f = shift; rename $f, "$f~" or die; open (my $o, ">", $f) or die;
         print $o "new emacs\n"; close $o or die' "$DIR/emacs.txt"
expect_events "file_changed emacs.txt"
same_as_disk '~$'
rm "$DIR/emacs.txt~"
expect_events
same_sums 10 "emacs"

# An editing session that lasts: emacs's auto-save (#f#, written every
# few hundred keystrokes, removed by the save), LibreOffice's lock file
# (.~lock.f#, the user and host inside, there while the document is open;
# its save writes luXXXX.tmp and renames it over), vim's second swap file
# (.f.swo, when a .swp is there). None is ever published: only the saves.
echo "auto-saved emacs" >"$DIR/#emacs.txt#"
echo ",alice,host,03.12.2026 14:00,file:///home/alice/.config/libreoffice/4;" >"$DIR/.~lock.r.odt#"
echo "swap" >"$DIR/.sh.txt.swp" && echo "swap" >"$DIR/.sh.txt.swo"
expect_events
echo "auto-saved emacs, again" >"$DIR/#emacs.txt#"
echo "saved report" >"$DIR/lu4242abcd.tmp" && mv "$DIR/lu4242abcd.tmp" "$DIR/r.odt"
echo "new emacs, saved" >"$DIR/emacs.txt" && rm "$DIR/#emacs.txt#"
rm "$DIR/.~lock.r.odt#" "$DIR/.sh.txt.swp" "$DIR/.sh.txt.swo"
expect_set "file_changed r.odt" "file_changed emacs.txt"
same_sums 10 "a long editing session"

command -v vim >/dev/null || fail "vim is missing (tools/setup.sh installs it)"
# vim writing in place (backupcopy=yes: a copy as backup, then the
# file truncated and written), as it does for a file with hard links
(cd "$DIR" && vim -u NONE -i NONE -N -n -es -c 'set backupcopy=yes writebackup' \
    -c 'normal Goby vim' -c 'wq' sh.txt </dev/null >/dev/null 2>&1)
grep -q "by vim" "$DIR/sh.txt" || fail "vim did not save sh.txt"
expect_events "file_changed sh.txt"
same_sums 10 "vim in place"

echo "new cp content" >"$T/outside/src" && cp "$T/outside/src" "$DIR/cp.txt"
expect_events "file_changed cp.txt"
echo "new sh" >"$DIR/sh.txt"
expect_events "file_changed sh.txt"
same_as_disk
same_sums 10 "cp and >"
exit 0
