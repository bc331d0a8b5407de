# files_lib.bash - helpers of the files_*.sh scenarios (the host directory
# as real programs see it), sourced after lib.sh: alice
# publishes, bob keeps a view, a `fshare-tap --json` records the events.

DIR="$T/alice_files"
mkdir -p "$DIR" "$T/outside"

# start_all [ALICE OPTIONS]: broker, tap, alice and bob, all online
start_all() {
    start_broker --hash-cost min
    bg tap "$BIN/fshare-tap" --events "$EVENTS_EP" --json
    # subscribed once the broker's periodic stats come through
    wait_until 10 log_has tap '"type":"stats"' || fail "the tap saw no stats event"
    start_peer alice "$@"
    start_peer bob
    wait_until 10 online alice || fail "alice not online: $(state alice)"
    wait_until 10 online bob || fail "bob not online: $(state bob)"
    wait_until 10 has_peer bob alice || fail "bob does not see alice"
}

# file_events: alice's file events on the tap so far, "type path [from]"
# per line (a line still being written is skipped). A file_changed of the
# same size and mtime as the path's last event only brings its digest
# (SPEC 4.5: a large file's digest follows its first event): not a change.
file_events() {
    jq -R -r -n '[inputs | fromjson? | select(.user == "alice" and (.type | startswith("file_")))]
              | foreach .[] as $e ({last: {}, out: null};
                    .out = (if $e.type == "file_changed" and .last[$e.path] == [$e.size, $e.mtime]
                            then null else $e end)
                    | .last[$e.path] = [$e.size, $e.mtime];
                    .out)
              | select(. != null)
              | [.type, .path] + (if .from then [.from] else [] end) | join(" ")' \
        "$T/tap.log" 2>/dev/null
}
tap_has() { file_events | grep -qx -- "$1"; }

# next_events: the events of what was done since the last call into
# $T/events.now, once all of them are out: a sentinel file is added, then removed; its removal
# waits out the settle window like every removal before it, and the agent
# reports in order, so everything earlier is on the tap before it.
SYNC=0
SEEN=0
next_events() {
    SYNC=$((SYNC + 1))
    local name="sync-$SYNC"
    echo "$SYNC" >"$DIR/$name"
    wait_until 10 tap_has "file_added $name" || fail "no file_added $name on the tap"
    rm "$DIR/$name"
    wait_until 10 tap_has "file_removed $name" || fail "no file_removed $name on the tap"
    file_events >"$T/events.all"
    tail -n +$((SEEN + 1)) "$T/events.all" | grep -v "^file_[a-z]* sync-[0-9]*$" >"$T/events.now"
    SEEN=$(wc -l <"$T/events.all")
}

# expect_events LINE...: exactly these events (none if no LINE), in order
expect_events() {
    local got want
    next_events
    got=$(cat "$T/events.now")
    want=$(printf '%s\n' "$@")
    [ "$got" = "$want" ] || fail "expected events:
$want
got:
$got"
}

# same_as_disk [REGEX]: bob's view of alice is exactly the files on disk
# (path, size, mtime), leaving out paths matching the (awk) REGEX: what
# the rules ignore
view_lines() {
    ctl bob --json ls --all --user alice 2>/dev/null \
        | jq -r '.[] | "\(.path) \(.size) \(.mtime)"' | sort
}
disk_lines() {
    (cd "$DIR" && find . -type f -print0 | xargs -0 -r stat -c '%n %s %Y') \
        | sed 's|^\./||' | SKIPRE="$1" awk '$1 !~ ENVIRON["SKIPRE"]' | sort
}
view_is_disk() { [ "$(view_lines)" = "$(disk_lines "$SKIP")" ]; }
same_as_disk() {
    SKIP=${1:-^$}
    wait_until 5 view_is_disk || fail "bob's view differs from the disk:
$(diff <(view_lines) <(disk_lines "$SKIP"))"
}

# start_writer NAME FILE BYTES: a process opens FILE for appending and
# writes BYTES, then holds it open until finish_writer. (A writer of its
# own: a descriptor of this shell would be inherited by every program
# started after, which would then hold the file open too.)
start_writer() {
    bg "writer_$1" perl -e '
        my ($file, $bytes, $go) = @ARGV;
        open (my $fh, ">>", $file) or die "open $file: $!";
        binmode $fh;
        syswrite ($fh, "w" x $bytes) == $bytes or die "write: $!" if $bytes;
        open (my $ready, ">", "$go.ready") or die; close $ready;
        until (-e $go) { select (undef, undef, undef, 0.01) }
        open (my $g, "<", $go) or die; my $more = <$g>; close $g; chomp $more;
        syswrite ($fh, "w" x $more) == $more or die "write: $!" if $more;
        close $fh or die "close: $!";' "$2" "$3" "$T/$1.go"
    eval "WRITER_$1=$LAST_PID"
    wait_until 10 test -e "$T/$1.go.ready" || fail "writer $1 did not start"
}

# finish_writer NAME BYTES: the writer writes BYTES more, closes and ends
finish_writer() {
    local pid
    eval "pid=\$WRITER_$1"
    echo "$2" >"$T/$1.go.tmp"
    mv "$T/$1.go.tmp" "$T/$1.go"
    wait_until 10 gone "$pid" || fail "writer $1 did not finish"
}
