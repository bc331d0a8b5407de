#!/bin/bash
# get_folder_clash.sh - a folder whose list holds a file "d/a" beside
# "d/a/b" (no file system holds both: a raw owner's list): the file is
# never saved inside the directory of its own name (it landed in
# d/a/a), whichever comes first; what cannot be placed fails clearly,
# and nothing is written outside the folder (SPEC 4.3).
. "$(dirname "$0")/../lib.sh" "$1"

need_pyzmq

start_broker
mkdir -p "$T/mal_files"
printf 'file a\n' >"$T/mal_files/a.bin"
printf 'file under a\n' >"$T/mal_files/b.bin"
start_owner mal d/a=a.bin d/a/b=b.bin
start_peer bob
wait_online 10 bob
listed() { ctl_jq bob 'length == 2' -- ls --all --user mal; }
wait_until 10 listed || fail "bob does not see mal's two files"

# One at a time, in either order: d/a/b first makes the directory d/a
for jobs in 1 4; do
    rm -rf "$T/bob_dl"
    mkdir -p "$T/bob_dl"
    ctl bob --json get --jobs "$jobs" mal d/ >"$T/get.json" 2>"$T/get.err"
    rc=$?
    [ -s "$T/get.json" ] || fail "--jobs $jobs: get printed nothing (exit $rc): $(cat "$T/get.err")"
    [ -f "$T/bob_dl/d/a/a" ] && fail "--jobs $jobs: d/a was saved inside the directory d/a"
    # Each file saved (with the right content, in the folder) or failed with
    # a reason; exit 0 only when all were saved
    "$PY" - "$T/get.json" "$T/bob_dl/d" "$T/mal_files" "$rc" <<'PYEOF' || fail "--jobs $jobs: $(cat "$T/get.json")"
import json, os, sys
report, folder, files, rc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
source = {"d/a": "a.bin", "d/a/b": "b.bin"}
rows = json.load(open(report))
failed = 0
for row in rows:
    if "error" in row:
        failed += 1
        assert row["code"] and row["error"], row
        continue
    saved = row["path"]
    assert saved.startswith(folder + "/"), saved
    want = open(os.path.join(files, "a.bin" if row["size"] == 7 else "b.bin"), "rb").read()
    assert open(saved, "rb").read() == want, saved
assert len(rows) == 2, rows
assert (rc == 0) == (failed == 0), (rc, failed)
PYEOF
    n=$(find "$T/bob_dl" -type f | wc -l)
    [ "$n" -le 2 ] || fail "--jobs $jobs: $n files written: $(find "$T/bob_dl")"
done
exit 0
