#!/bin/bash
# get_folder.sh - get of a folder and of a glob (SPEC 4.3): trees arrive
# identical (diff -r), a second run transfers nothing, a partial tree is
# completed, a file that cannot be saved fails by name while the rest are
# saved (exit 1, and the JSON array is printed all the same), digests are
# in the listing, and ls --all --sha256 finds every copy of a content.
. "$(dirname "$0")/../lib.sh" "$1"

start_broker
A=$T/alice_files
mkdir -p "$A/docs/a/b" "$A/docs/c" "$A/other"
for f in docs/top.txt docs/a/one.txt docs/a/b/two.pdf docs/c/three.txt other/x.txt; do
    echo "content of $f" >"$A/$f"
done
head -c $((3 * 1024 * 1024 + 5)) /dev/urandom >"$A/docs/a/big.bin"
start_peer alice
start_peer bob
mkdir -p "$T/bob_files"
cp "$A/docs/top.txt" "$T/bob_files/copy.txt"     # the same content, published by bob
wait_online 10 alice
wait_online 10 bob
# Digests: every file of alice's listed with the digest sha256sum gives
has_digests() {
    ctl_jq bob 'length == 6 and all(.[]; .sha256 != null)' -- ls --all --user alice
}
wait_until 15 has_digests || fail "alice's digests did not arrive: $(ctl bob --json ls --all)"
want=$(sha256sum "$A/docs/a/big.bin" | cut -d' ' -f1)
ctl_jq bob 'any(.[]; .path == "docs/a/big.bin" and .sha256 == $h)' --arg h "$want" \
    -- ls --all --user alice || fail "big.bin's digest is not sha256sum's"

# ls --all --sha256: both copies of top.txt's content
sum=$(sha256sum "$A/docs/top.txt" | cut -d' ' -f1)
wait_until 10 ctl_jq alice 'length == 2' -- ls --all --sha256 "$sum" \
    || fail "alice does not see bob's copy"
ctl_jq bob 'length == 2 and ([.[].user] | sort) == ["alice","bob"]' \
    -- ls --all --sha256 "$sum" || fail "ls --sha256 does not find both copies"
expect 0 ctl bob ls --all
grep -q "docs/top.txt  (=)" "$T/out" || fail "duplicate content not marked: $(cat "$T/out")"
expect 2 ctl bob ls --all --sha256 nothex
err_has "64 hexadecimal"

# A folder, with its structure, under downloads/<base name>
expect 0 ctl bob --json get alice docs/ --jobs 3
json_is 'length == 5 and all(.[]; .sha256 != null and (.error | not))' <"$T/out" \
    || fail "folder JSON: $(cat "$T/out")"
diff -r "$A/docs" "$T/bob_dl/docs" || fail "the folder arrived different"
# Again: nothing transferred, everything identical
expect 0 ctl bob --json get alice docs
json_is 'length == 5 and all(.[]; .identical == true)' <"$T/out" \
    || fail "second run was not all identical: $(cat "$T/out")"
[ -z "$(find "$T/bob_dl/docs" -name '*_1*')" ] || fail "a second run made copies"
# A partial tree is completed; a changed local file is kept, the new one is name_1
rm "$T/bob_dl/docs/a/b/two.pdf"
echo "bob's own" >"$T/bob_dl/docs/c/three.txt"
expect 0 ctl bob get alice docs/
grep -q "5 files" "$T/out" || fail "no summary: $(cat "$T/out")"
cmp -s "$A/docs/a/b/two.pdf" "$T/bob_dl/docs/a/b/two.pdf" || fail "the missing file was not fetched"
[ "$(cat "$T/bob_dl/docs/c/three.txt")" = "bob's own" ] || fail "a local file was overwritten"
cmp -s "$A/docs/c/three.txt" "$T/bob_dl/docs/c/three_1.txt" || fail "no name_1 for the other version"

# A glob: ** crosses directories, paths relative to the fixed leading part
expect 0 ctl bob get alice 'docs/**/*.txt' -o "$T/glob"
for f in top.txt a/one.txt c/three.txt; do
    cmp -s "$A/docs/$f" "$T/glob/$f" || fail "glob: $f missing or different"
done
[ ! -e "$T/glob/a/b/two.pdf" ] || fail "the glob fetched a .pdf"
expect 0 ctl bob get alice 'docs/*.txt' -o "$T/glob1"
[ "$(find "$T/glob1" -type f | wc -l)" -eq 1 ] || fail "* crossed a directory: $(find "$T/glob1")"

# One file that cannot be saved (a file sits where its directory must go)
mkdir -p "$T/broken/docs"
: >"$T/broken/docs/a"
expect 1 ctl bob --json get alice docs/ -o "$T/broken"
json_is 'length == 5 and ([.[] | select(.error)] | length) == 3
       and all(.[] | select(.error); .code == "not_writable" and (.path | startswith("docs/a/")))' \
    <"$T/out" || fail "failure JSON: $(cat "$T/out")"
err_has "docs/a/one.txt"
cmp -s "$A/docs/top.txt" "$T/broken/docs/top.txt" || fail "the rest were not saved"
expect 1 ctl bob get alice 'nothing/*'
err_has "no file matches"
