#!/bin/bash
# get_identical.sh - "already there" (SPEC 4.3, issue 13 item 3): a get of
# content already in the downloads directory (same size and SHA-256, under
# any name) transfers nothing, names the identical file, exits 0; --json
# adds "identical":true; --again makes a new copy, name_1.ext. The owner is
# digest_owner.py, which publishes each file's SHA-256 (SPEC 4.5).
. "$(dirname "$0")/../lib.sh" "$1"

need_pyzmq

start_broker
mkdir -p "$T/alice_files"
head -c 3000000 /dev/urandom >"$T/alice_files/doc.pdf"
head -c 3000000 /dev/urandom >"$T/alice_files/same-size.bin"
start_owner alice doc.pdf same-size.bin
start_peer bob
wait_online 10 bob
has_digest() {
    ctl_jq bob 'any(.[]; .path == $p and (.sha256 | type) == "string")' --arg p "$1" -- \
        ls --all --user alice
}
wait_until 10 has_digest doc.pdf && wait_until 10 has_digest same-size.bin \
    || fail "bob does not see alice's digests"
downloaded() { grep -c "downloaded alice:'$1'" "$T/bob.log"; }
sum=$(sha256sum "$T/alice_files/doc.pdf" | cut -d' ' -f1)

# The first get transfers; the second finds it there
expect 0 ctl bob get alice doc.pdf
cmp -s "$T/alice_files/doc.pdf" "$T/bob_dl/doc.pdf" || fail "doc.pdf differs"
expect 0 ctl bob get alice doc.pdf
grep -qx "already there: $T/bob_dl/doc.pdf is identical (nothing transferred)" "$T/out" \
    || fail "no 'already there': $(cat "$T/out")"
[ "$(ls "$T/bob_dl" | wc -l)" -eq 1 ] || fail "a second file appeared: $(ls "$T/bob_dl")"
[ "$(downloaded doc.pdf)" -eq 1 ] || fail "doc.pdf was transferred $(downloaded doc.pdf) times"
log_has bob "alice:'doc.pdf' is already in $T/bob_dl/doc.pdf" || fail "no word of it in bob's log"

# --json: identical, the path, size and digest
expect 0 ctl bob --json get alice doc.pdf
json_is --arg p "$T/bob_dl/doc.pdf" --arg h "$sum" \
    '.identical == true and .path == $p and .size == 3000000 and .sha256 == $h' <"$T/out" \
    || fail "unexpected JSON: $(cat "$T/out")"

# Under another name, with a decoy of the same size beside it
mv "$T/bob_dl/doc.pdf" "$T/bob_dl/renamed.pdf"
cp "$T/alice_files/same-size.bin" "$T/bob_dl/decoy.bin"
expect 0 ctl bob --json get alice doc.pdf
json_is --arg p "$T/bob_dl/renamed.pdf" '.identical == true and .path == $p' <"$T/out" \
    || fail "renamed copy not found: $(cat "$T/out")"
# The decoy is the other file's content: found for that one
expect 0 ctl bob --json get alice same-size.bin
json_is --arg p "$T/bob_dl/decoy.bin" '.identical == true and .path == $p' <"$T/out" \
    || fail "decoy not taken for same-size.bin: $(cat "$T/out")"

# A copy that changed is not identical: fetched again under the name
echo tampered >>"$T/bob_dl/renamed.pdf"
expect 0 ctl bob --json get alice doc.pdf
json_is --arg p "$T/bob_dl/doc.pdf" '(.identical // false) == false and .path == $p' <"$T/out" \
    || fail "a changed copy was taken for identical: $(cat "$T/out")"

# --again: a new copy, numbered
expect 0 ctl bob --json get alice doc.pdf --again
json_is --arg p "$T/bob_dl/doc_1.pdf" '(.identical // false) == false and .path == $p' <"$T/out" \
    || fail "--again did not make doc_1.pdf: $(cat "$T/out")"
cmp -s "$T/alice_files/doc.pdf" "$T/bob_dl/doc_1.pdf" || fail "doc_1.pdf differs"
[ -z "$(find "$T/bob_dl" -name '*.fshare-part')" ] || fail "partial files left behind"
exit 0
