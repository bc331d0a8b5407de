/*  test_digester.c - digests on what the agent publishes
    (peer/digester.c), over a real background hasher: a small file is held
    until its digest is known and holds what follows it; a large one goes
    at once and its digest follows as a change; a removal and a file whose
    digest is known never wait; a file that cannot be hashed is released
    without one; a head held longer than DIGESTER_HOLD_MS goes without its
    digest, which follows; the whole table asked for at start; clear; a
    re-hash of the same size and mtime publishes only another digest.
*/
#include "fixture.h"
#include "hashq.h"
#include "digester.h"
#include <sys/stat.h>
#include <fcntl.h>

static void
s_hex_is (const uint8_t sha [DIGEST_SIZE], const char *want)
{
    char hex [DIGEST_HEX_SIZE];
    digest_hex (sha, hex);
    assert_string_equal (hex, want);
}

//  sha256 of "hello\n"
#define HELLO_SHA "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static hostdir_change_t *
s_change (Fshare__ChangeKind kind, const char *path, uint64_t size, int64_t mtime)
{
    hostdir_change_t *change = (hostdir_change_t *) zmalloc (sizeof (hostdir_change_t));
    change->kind = kind;
    change->path = strdup (path);
    change->size = size;
    change->mtime = mtime;
    return change;
}

//  Pop with a deadline, feeding the digester the hasher's results.
static hostdir_change_t *
s_pop (digester_t *digester, hashq_t *hashq)
{
    zpoller_t *poller = zpoller_new (hashq_sock (hashq), NULL);
    hostdir_change_t *change = NULL;
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (!(change = digester_pop (digester)) && zclock_mono () < deadline) {
        zpoller_wait (poller, 50);
        digester_on_results (digester);
    }
    zpoller_destroy (&poller);
    assert_non_null (change);
    return change;
}

static void
test_digester (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digester");
    char *root = fixture_mkdir (fx, "root");
    char *small = zsys_sprintf ("%s/small.txt", root);
    fixture_write (small, "hello\n");
    char *large = zsys_sprintf ("%s/large.bin", root);
    FILE *file = fopen (large, "w");
    for (int i = 0; i < 3 * 1024; i++)
        fputs (i % 2? "0123456789abcdef0123456789abcdef": "fedcba9876543210fedcba9876543210", file);
    for (int i = 0; i < 2 * 1024 * 1024 / 64; i++)
        fputs ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", file);
    fclose (file);
    struct stat st_small, st_large;
    assert_int_equal (stat (small, &st_small), 0);
    assert_int_equal (stat (large, &st_large), 0);
    assert_true (st_large.st_size > DIGESTER_SMALL);

    fileset_t *files = fileset_new ();
    hashq_t *hashq = hashq_new (root, NULL);
    digester_t *digester = digester_new (hashq, files);
    //  A small file waits for its digest, and holds what comes after it
    fileset_put (files, "small.txt", 6, st_small.st_mtim.tv_sec);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_ADDED, "small.txt", 6,
                                       st_small.st_mtim.tv_sec));
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_REMOVED, "gone", 0, 0));
    assert_null (digester_pop (digester));
    hostdir_change_t *change = s_pop (digester, hashq);
    assert_string_equal (change->path, "small.txt");
    Fshare__FileInfo info;
    fileset_info (fileset_lookup (files, change->path), &info);
    assert_int_equal (info.sha256.len, 32);
    s_hex_is (info.sha256.data, HELLO_SHA);
    assert_int_equal (info.mode, st_small.st_mode & 0777);
    hostdir_change_destroy (&change);
    change = s_pop (digester, hashq);
    assert_string_equal (change->path, "gone");
    hostdir_change_destroy (&change);

    //  A large one goes at once; its digest follows as a change
    uint64_t size = (uint64_t) st_large.st_size;
    fileset_put (files, "large.bin", size, st_large.st_mtim.tv_sec);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_ADDED, "large.bin", size,
                                       st_large.st_mtim.tv_sec));
    change = digester_pop (digester);
    assert_non_null (change);
    fileset_info (fileset_lookup (files, change->path), &info);
    assert_int_equal (info.sha256.len, 0);
    hostdir_change_destroy (&change);
    change = s_pop (digester, hashq);
    assert_int_equal (change->kind, FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    assert_string_equal (change->path, "large.bin");
    assert_int_equal (change->size, size);
    fileset_info (fileset_lookup (files, change->path), &info);
    assert_int_equal (info.sha256.len, 32);
    hostdir_change_destroy (&change);
    assert_true (digester_idle (digester));
    assert_null (digester_pop (digester));

    digester_destroy (&digester);
    hashq_destroy (&hashq);
    fileset_destroy (&files);
    zstr_free (&large);
    zstr_free (&small);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  "Up to 1 MiB" (SPEC 4.5): a file of exactly DIGESTER_SMALL bytes waits
//  for its digest; one byte more goes at once.
static void
test_small_boundary (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digester-edge");
    char *root = fixture_mkdir (fx, "root");
    const char *names [2] = { "edge.bin", "over.bin" };
    struct stat st [2];
    for (int i = 0; i < 2; i++) {
        char *path = zsys_sprintf ("%s/%s", root, names [i]);
        FILE *file = fopen (path, "w");
        assert_non_null (file);
        for (size_t n = 0; n < DIGESTER_SMALL + (size_t) i; n++)
            fputc ('a' + (int) (n % 26), file);
        fclose (file);
        assert_int_equal (stat (path, &st [i]), 0);
        zstr_free (&path);
    }
    assert_int_equal (st [0].st_size, DIGESTER_SMALL);
    fileset_t *files = fileset_new ();
    hashq_t *hashq = hashq_new (root, NULL);
    digester_t *digester = digester_new (hashq, files);
    fileset_put (files, "edge.bin", (uint64_t) st [0].st_size, st [0].st_mtim.tv_sec);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_ADDED, "edge.bin",
                                       (uint64_t) st [0].st_size, st [0].st_mtim.tv_sec));
    assert_null (digester_pop (digester));
    hostdir_change_t *change = s_pop (digester, hashq);
    assert_string_equal (change->path, "edge.bin");
    Fshare__FileInfo info;
    fileset_info (fileset_lookup (files, change->path), &info);
    assert_int_equal (info.sha256.len, 32);
    hostdir_change_destroy (&change);

    fileset_put (files, "over.bin", (uint64_t) st [1].st_size, st [1].st_mtim.tv_sec);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_ADDED, "over.bin",
                                       (uint64_t) st [1].st_size, st [1].st_mtim.tv_sec));
    change = digester_pop (digester);
    assert_non_null (change);
    assert_string_equal (change->path, "over.bin");
    hostdir_change_destroy (&change);
    //  Its digest follows as a change
    change = s_pop (digester, hashq);
    assert_string_equal (change->path, "over.bin");
    hostdir_change_destroy (&change);
    digester_destroy (&digester);
    hashq_destroy (&hashq);
    fileset_destroy (&files);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  Changes that need no digest, or cannot have one, are not held.
static void
test_not_held (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digester-free");
    char *root = fixture_mkdir (fx, "root");
    fileset_t *files = fileset_new ();
    hashq_t *hashq = hashq_new (root, NULL);
    digester_t *digester = digester_new (hashq, files);
    //  A removal goes at once
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_REMOVED, "gone", 0, 0));
    assert_false (digester_holding (digester));
    hostdir_change_t *change = digester_pop (digester);
    assert_non_null (change);
    hostdir_change_destroy (&change);
    //  So does a file whose digest the table knows
    fileset_put (files, "known.txt", 6, 1);
    uint8_t sha [DIGEST_SIZE];
    memset (sha, 1, sizeof sha);
    fileset_set_digest (files, "known.txt", sha, 0644);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_CHANGED, "known.txt", 6, 1));
    change = digester_pop (digester);
    assert_non_null (change);
    assert_string_equal (change->path, "known.txt");
    hostdir_change_destroy (&change);
    assert_true (digester_idle (digester));

    //  A small file that is not there to hash: held, then released
    //  without a digest when the hasher says so, and nothing follows
    fileset_put (files, "vanished.txt", 6, 1);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_ADDED, "vanished.txt", 6, 1));
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_ADDED, "vanished.txt", 6, 1));
    assert_true (digester_holding (digester));
    assert_false (digester_idle (digester));
    change = s_pop (digester, hashq);
    assert_string_equal (change->path, "vanished.txt");
    assert_false (fileset_lookup (files, "vanished.txt")->has_sha256);
    hostdir_change_destroy (&change);
    //  The second change for the same path was released by the same result
    change = digester_pop (digester);
    assert_non_null (change);
    hostdir_change_destroy (&change);
    assert_null (digester_pop (digester));
    //  It was asked for again while the first request was with the thread:
    //  its second answer (a failure too) may still come, and adds nothing
    zpoller_t *poller = zpoller_new (hashq_sock (hashq), NULL);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (!digester_idle (digester) && zclock_mono () < deadline) {
        zpoller_wait (poller, 50);
        digester_on_results (digester);
    }
    zpoller_destroy (&poller);
    assert_true (digester_idle (digester));
    assert_null (digester_pop (digester));

    digester_destroy (&digester);
    assert_null (digester);
    hashq_destroy (&hashq);
    fileset_destroy (&files);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  A held head goes after DIGESTER_HOLD_MS without its digest (here the
//  results are not taken, as from a hasher far behind); the digest then
//  follows as a change of its own.
static void
test_hold_limit (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digester-hold");
    char *root = fixture_mkdir (fx, "root");
    char *small = zsys_sprintf ("%s/small.txt", root);
    fixture_write (small, "hello\n");
    struct stat st;
    assert_int_equal (stat (small, &st), 0);
    fileset_t *files = fileset_new ();
    hashq_t *hashq = hashq_new (root, NULL);
    digester_t *digester = digester_new (hashq, files);
    fileset_put (files, "small.txt", 6, st.st_mtim.tv_sec);
    int64_t pushed = zclock_mono ();
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_ADDED, "small.txt", 6,
                                       st.st_mtim.tv_sec));
    hostdir_change_t *change = NULL;
    zpoller_t *poller = zpoller_new (NULL);
    int64_t deadline = pushed + DIGESTER_HOLD_MS + DEADLINE_MS;
    while (!(change = digester_pop (digester)) && zclock_mono () < deadline) {
        assert_true (digester_holding (digester));
        zpoller_wait (poller, 50);
    }
    zpoller_destroy (&poller);
    assert_non_null (change);
    assert_true (zclock_mono () - pushed >= DIGESTER_HOLD_MS);
    assert_false (fileset_lookup (files, "small.txt")->has_sha256);
    hostdir_change_destroy (&change);
    //  The digest comes: a change says it
    change = s_pop (digester, hashq);
    assert_int_equal (change->kind, FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    assert_string_equal (change->path, "small.txt");
    Fshare__FileInfo info;
    fileset_info (fileset_lookup (files, "small.txt"), &info);
    s_hex_is (info.sha256.data, HELLO_SHA);
    hostdir_change_destroy (&change);
    digester_destroy (&digester);
    hashq_destroy (&hashq);
    fileset_destroy (&files);
    zstr_free (&small);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  At start every file of the table without a digest is asked for; a
//  login's clear forgets the queue (the digests still land in the table).
static void
test_request_all_and_clear (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digester-all");
    char *root = fixture_mkdir (fx, "root");
    fileset_t *files = fileset_new ();
    char name [64];
    struct stat st;
    for (int i = 0; i < 3; i++) {
        snprintf (name, sizeof name, "%s/f%d", root, i);
        fixture_write (name, "hello\n");
        assert_int_equal (stat (name, &st), 0);
        snprintf (name, sizeof name, "f%d", i);
        fileset_put (files, name, 6, st.st_mtim.tv_sec);
    }
    hashq_t *hashq = hashq_new (root, NULL);
    digester_t *digester = digester_new (hashq, files);
    digester_request_all (digester);
    assert_int_equal (hashq_pending (hashq), 3);
    assert_false (digester_idle (digester));
    //  Their digests come as changes, nothing having been queued
    for (int i = 0; i < 3; i++) {
        hostdir_change_t *change = s_pop (digester, hashq);
        assert_int_equal (change->kind, FSHARE__CHANGE_KIND__CHANGE_CHANGED);
        hostdir_change_destroy (&change);
    }
    assert_true (digester_idle (digester));
    for (int i = 0; i < 3; i++) {
        snprintf (name, sizeof name, "f%d", i);
        assert_true (fileset_lookup (files, name)->has_sha256);
    }
    //  Asked again: nothing to ask
    digester_request_all (digester);
    assert_int_equal (hashq_pending (hashq), 0);

    //  Cleared while held: nothing left to pop, nothing holds
    snprintf (name, sizeof name, "%s/new", root);
    fixture_write (name, "hello\n");
    fileset_put (files, "new", 6, 1);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_ADDED, "new", 6, 1));
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_REMOVED, "f0", 6, 1));
    assert_true (digester_holding (digester));
    digester_clear (digester);
    assert_false (digester_holding (digester));
    assert_null (digester_pop (digester));
    digester_destroy (&digester);
    hashq_destroy (&hashq);
    fileset_destroy (&files);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  Drain the hasher's answers until it has none pending (with a deadline).
static void
s_settle (digester_t *digester, hashq_t *hashq)
{
    zpoller_t *poller = zpoller_new (hashq_sock (hashq), NULL);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (!digester_idle (digester) && zclock_mono () < deadline) {
        zpoller_wait (poller, 50);
        digester_on_results (digester);
    }
    zpoller_destroy (&poller);
    assert_true (digester_idle (digester));
}

//  A "verify" (the same size and mtime, another ctime: chmod -R, a new hard
//  link, a rewrite with its mtime set back) is a re-hash. The same digest
//  publishes nothing, whatever the mode did: a peer sees no mode (a
//  download takes the file's mode when it is served), so a file_changed
//  then would tell every peer of a change that is none. Another digest is
//  a change.
static void
test_verify (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digester-verify");
    char *root = fixture_mkdir (fx, "root");
    char *path = zsys_sprintf ("%s/known.txt", root);
    fixture_write (path, "hello\n");
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    fileset_t *files = fileset_new ();
    fileset_put_stat (files, "known.txt", &st);
    hashq_t *hashq = hashq_new (root, NULL);
    digester_t *digester = digester_new (hashq, files);
    digester_request_all (digester);
    s_settle (digester, hashq);
    hostdir_change_t *change = digester_pop (digester);
    assert_non_null (change);           //  its first digest: a change
    hostdir_change_destroy (&change);

    //  Readable by its owner only, then executable: the same content
    assert_int_equal (chmod (path, 0600), 0);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_NONE, "known.txt", 6,
                                       st.st_mtim.tv_sec));
    s_settle (digester, hashq);
    assert_null (digester_pop (digester));
    assert_int_equal (fileset_lookup (files, "known.txt")->mode, 0600);
    assert_int_equal (chmod (path, 0700), 0);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_NONE, "known.txt", 6,
                                       st.st_mtim.tv_sec));
    s_settle (digester, hashq);
    assert_null (digester_pop (digester));
    Fshare__FileInfo info;
    fileset_info (fileset_lookup (files, "known.txt"), &info);
    s_hex_is (info.sha256.data, HELLO_SHA);

    //  Rewritten with other bytes of the same size, its mtime set back
    fixture_write (path, "HELLO\n");
    struct timespec times [2] = { st.st_atim, st.st_mtim };
    assert_int_equal (utimensat (AT_FDCWD, path, times, 0), 0);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_NONE, "known.txt", 6,
                                       st.st_mtim.tv_sec));
    change = s_pop (digester, hashq);
    assert_int_equal (change->kind, FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    assert_string_equal (change->path, "known.txt");
    hostdir_change_destroy (&change);
    fileset_info (fileset_lookup (files, "known.txt"), &info);
    char hex [DIGEST_HEX_SIZE];
    digest_hex (info.sha256.data, hex);
    assert_string_not_equal (hex, HELLO_SHA);
    s_settle (digester, hashq);
    assert_null (digester_pop (digester));

    digester_destroy (&digester);
    hashq_destroy (&hashq);
    fileset_destroy (&files);
    zstr_free (&path);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  A digest is of one version: the inode and the mtime to the nanosecond
//  that were hashed. The path now names another file of the same size
//  and second (renamed over it while the first was read: a save, a
//  checkout, tar -x of files of one mtime): the digest of what was read
//  is not that file's, and must not be published for it, even for a
//  moment (a peer holding the old content would take it for "already
//  there"). The version that was hashed still gets it.
static void
test_other_version (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digester-version");
    char *root = fixture_mkdir (fx, "root");
    char *path = zsys_sprintf ("%s/a.txt", root);
    fixture_write (path, "hello\n");
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    fileset_t *files = fileset_new ();
    hashq_t *hashq = hashq_new (root, NULL);
    digester_t *digester = digester_new (hashq, files);
    struct stat other [2] = { st, st };
    other [0].st_ino += 1000;                       //  another inode
    other [1].st_mtim.tv_nsec = (st.st_mtim.tv_nsec + 1) % 1000000000;  //  another write
    for (int i = 0; i < 2; i++) {
        fileset_put_stat (files, "a.txt", &other [i]);
        assert_false (fileset_lookup (files, "a.txt")->has_sha256);
        digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_ADDED, "a.txt", 6,
                                           st.st_mtim.tv_sec));
        hostdir_change_t *change = s_pop (digester, hashq);
        assert_string_equal (change->path, "a.txt");
        hostdir_change_destroy (&change);
        assert_false (fileset_lookup (files, "a.txt")->has_sha256);
        assert_null (digester_pop (digester));
    }
    //  The version that was read
    fileset_put_stat (files, "a.txt", &st);
    digester_push (digester, s_change (FSHARE__CHANGE_KIND__CHANGE_CHANGED, "a.txt", 6,
                                       st.st_mtim.tv_sec));
    hostdir_change_t *change = s_pop (digester, hashq);
    hostdir_change_destroy (&change);
    const fileset_file_t *file = fileset_lookup (files, "a.txt");
    assert_true (file->has_sha256);
    s_hex_is (file->sha256, HELLO_SHA);
    digester_destroy (&digester);
    hashq_destroy (&hashq);
    fileset_destroy (&files);
    zstr_free (&path);
    zstr_free (&root);
    fixture_destroy (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_digester),
        cmocka_unit_test (test_small_boundary),
        cmocka_unit_test (test_not_held),
        cmocka_unit_test (test_hold_limit),
        cmocka_unit_test (test_request_all_and_clear),
        cmocka_unit_test (test_verify),
        cmocka_unit_test (test_other_version),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
