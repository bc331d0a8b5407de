#!/bin/bash
# files_times.sh - files dated where nanoseconds since 1970 do not fit in
# 64 bits (SPEC 4.2, 4.5): an archive's or `touch -d`'s mtime in 2300 or
# in 1500, beside one before 1970 with a fraction of a second. Each is
# published with its mtime and its digest (bob's view equals sha256sum),
# a folder get saves them with their mtimes, and a second get finds them
# all already there: nothing transferred, no name_1 copy. (The agent once
# made the digest cache's key as seconds * 10^9 + nanoseconds in int64:
# the product overflowed, a sanitized agent aborted on hashing the file,
# and an optimised one never published its digest, so every get fetched
# it again as name_1, name_2, ...)
. "$(dirname "$0")/../lib.sh" "$1"

start_broker
A=$T/alice_files
mkdir -p "$A/t"
echo "far future" >"$A/t/future.txt"
touch -d '2300-01-01 00:00:00.25' "$A/t/future.txt"
echo "far past" >"$A/t/past.txt"
touch -d '1500-06-01 12:00:00' "$A/t/past.txt"
echo "before 1970" >"$A/t/sixties.txt"
touch -d '1960-01-01 00:00:00.5' "$A/t/sixties.txt"
echo "now" >"$A/t/now.txt"
start_peer alice
start_peer bob
wait_online 10 alice bob

# bob's view: every file of alice's with her disk's mtime and digest
view() {
    ctl bob --json ls --all --user alice 2>/dev/null \
        | jq -r 'sort_by(.path)[] | "\(.path) \(.mtime) \(.sha256)"'
}
disk() {
    local f
    for f in "$A"/t/*; do
        echo "t/${f##*/} $(stat -c %Y "$f") $(sha256sum <"$f" | cut -d' ' -f1)"
    done
}
same_view() { [ "$(view)" = "$(disk)" ]; }
wait_until 20 same_view || fail "bob's view is not alice's disk:
$(view)
disk:
$(disk)"

# Saved with their mtimes; a second get transfers nothing
expect 0 ctl bob --json get alice t/
json_is 'length == 4 and all(.[]; .sha256 != null and (.error | not))' <"$T/out" \
    || fail "folder get: $(cat "$T/out")"
for f in future past sixties now; do
    cmp -s "$A/t/$f.txt" "$T/bob_dl/t/$f.txt" || fail "$f.txt arrived different"
    [ "$(stat -c %Y "$T/bob_dl/t/$f.txt")" = "$(stat -c %Y "$A/t/$f.txt")" ] \
        || fail "$f.txt saved with mtime $(stat -c %Y "$T/bob_dl/t/$f.txt")"
done
expect 0 ctl bob --json get alice t/
json_is 'length == 4 and all(.[]; .identical == true)' <"$T/out" \
    || fail "second get was not all identical: $(cat "$T/out")"
[ -z "$(find "$T/bob_dl" -name '*_1*')" ] || fail "a second get made copies: $(ls "$T/bob_dl/t")"

# A file dated 2300 changed (another mtime, same size): the new digest
echo "far futur2" >"$A/t/future.txt"
touch -d '2400-01-01' "$A/t/future.txt"
wait_until 20 same_view || fail "the changed file's digest is not the disk's: $(view)"
end_clean
