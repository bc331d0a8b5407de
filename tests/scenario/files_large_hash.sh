#!/bin/bash
# files_large_hash.sh - a large file being hashed holds nobody else's
# changes (SPEC 4.2: every settled change within a second; 4.5: a small
# file's first event carries its digest): a sparse 2 GiB image (truncate
# -s: seconds of hashing its zeros, nothing on disk), then small
# files written while it is read. Each small file's first event carries
# its digest, and comes before the image's digest; the image's digest
# follows, that of 2 GiB of zeros. (The hasher once read requests in
# order, one file at a time: every small file waited for its digest
# behind the image, was held 2 s, then went out without it.)
. "$(dirname "$0")/../lib.sh" "$1"
files_family
ZEROS_2G=a7c744c13cc101ed66c29f672f92455547889cc586ce6d44fe76ae824958ea51
start_all

# first_event PATH: alice's first file event of PATH on the tap
first_event() {
    jq -c -R -n --arg p "$1" \
        'first(inputs | fromjson? | select(.user == "alice" and .path == $p))' "$T/tap.log"
}
# digest_seq PATH: the seq of the first event that gives PATH a digest
digest_seq() {
    jq -R -n --arg p "$1" \
        'first(inputs | fromjson? | select(.user == "alice" and .path == $p
                                            and .sha256 != null)) | .seq' "$T/tap.log"
}
has_event() { [ -n "$(first_event "$1")" ]; }
has_digest() { [ -n "$(digest_seq "$1")" ]; }

truncate -s 2G "$DIR/disk.img"
wait_until 10 has_event disk.img || fail "no event of disk.img"
for n in 1 2 3; do
    echo "small $n" >"$DIR/small$n.txt"
    wait_until 10 has_event "small$n.txt" || fail "no event of small$n.txt"
    first_event "small$n.txt" | json_is '.type == "file_added" and .sha256 != null' \
        || fail "small$n.txt's first event has no digest: $(first_event "small$n.txt")"
done
# Else the image was read before the small files came: nothing was shown
has_digest disk.img && fail "disk.img was hashed before the small files came (seq $(digest_seq disk.img))"
wait_until 240 has_digest disk.img || fail "disk.img got no digest"
[ "$(digest_seq disk.img)" -gt "$(digest_seq small3.txt)" ] || fail "disk.img's digest came first"
same_sums 10 "after the image's digest"
[ "$(ctl bob --json ls --all --user alice | jq -r '.[] | select(.path == "disk.img") | .sha256')" = $ZEROS_2G ] \
    || fail "disk.img's digest is not that of 2 GiB of zeros"
rm "$DIR/disk.img"
same_as_disk
exit 0
