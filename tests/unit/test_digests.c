/*  test_digests.c - the digest database and the background hasher
    (peer/digestdb.c, peer/hashq.c).

    What SPEC 4.5 promises of them: a digest equal to sha256sum's, valid
    only for the exact version of a file; a restart over unchanged files
    reads nothing; a changed file is hashed again; a corrupt database is
    rebuilt, never fatal; nothing outside the root (symlinks) is read.
*/
#include "fixture.h"
#include "hashq.h"
#include "digester.h"
#include <sys/stat.h>

static char *
s_path (fixture_t *fx, const char *name)
{
    return zsys_sprintf ("%s/%s", fx->dir, name);
}

static void
s_write (const char *path, const char *content)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (content, file);
    fclose (file);
}

//  One result, waiting with a deadline.
static hashq_result_t *
s_result (hashq_t *hashq)
{
    zpoller_t *poller = zpoller_new (hashq_sock (hashq), NULL);
    hashq_result_t *result = NULL;
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (!result && zclock_mono () < deadline) {
        zpoller_wait (poller, 100);
        result = hashq_recv (hashq);
    }
    zpoller_destroy (&poller);
    assert_non_null (result);
    return result;
}

static void
s_hex_is (const uint8_t sha [DIGEST_SIZE], const char *want)
{
    char hex [DIGEST_HEX_SIZE];
    digest_hex (sha, hex);
    assert_string_equal (hex, want);
}

//  sha256 of "hello\n"
#define HELLO_SHA "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static void
test_database (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digestdb");
    char *path = s_path (fx, "digests.db");
    digestdb_t *db = digestdb_open (path);
    assert_non_null (db);
    assert_false (digestdb_rebuilt (db));
    file_key_t key = { 1, 2, 3, 4, 5 };
    uint8_t sha [DIGEST_SIZE], got [DIGEST_SIZE];
    memset (sha, 0xab, sizeof sha);
    assert_false (digestdb_lookup (db, &key, got));
    digestdb_store (db, &key, sha);
    assert_true (digestdb_lookup (db, &key, got));
    assert_memory_equal (got, sha, DIGEST_SIZE);
    //  Another version of the same inode is not known
    file_key_t touched = key;
    touched.ctime_ns++;
    assert_false (digestdb_lookup (db, &touched, got));
    digestdb_destroy (&db);

    //  It persists
    db = digestdb_open (path);
    assert_true (digestdb_lookup (db, &key, got));
    digestdb_destroy (&db);

    //  Garbage in its place: rebuilt empty, and usable
    s_write (path, "this is not a database, and never was one: SQLite says so\n");
    char *wal = zsys_sprintf ("%s-wal", path);
    unlink (wal);
    zstr_free (&wal);
    db = digestdb_open (path);
    assert_non_null (db);
    assert_true (digestdb_rebuilt (db));
    assert_false (digestdb_lookup (db, &key, got));
    digestdb_store (db, &key, sha);
    assert_true (digestdb_lookup (db, &key, got));
    digestdb_destroy (&db);
    zstr_free (&path);
    fixture_destroy (&fx);
}

static void
test_hasher (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("hashq");
    char *root = s_path (fx, "root");
    char *db = s_path (fx, "digests.db");
    assert_int_equal (mkdir (root, 0755), 0);
    char *file = zsys_sprintf ("%s/hello.txt", root);
    s_write (file, "hello\n");
    char *outside = s_path (fx, "secret");
    s_write (outside, "not yours\n");
    char *link = zsys_sprintf ("%s/link", root);
    assert_int_equal (symlink (outside, link), 0);

    hashq_t *hashq = hashq_new (root, db);
    assert_non_null (hashq);
    hashq_request (hashq, "hello.txt");
    hashq_result_t *result = s_result (hashq);
    assert_string_equal (result->path, "hello.txt");
    assert_int_equal (result->status, HASHQ_DIGEST);
    assert_int_equal (result->key.size, 6);
    assert_int_equal (result->bytes_read, 6);
    s_hex_is (result->sha256, HELLO_SHA);
    hashq_result_destroy (&result);
    //  Asked again: the database knows it now
    hashq_request (hashq, "hello.txt");
    result = s_result (hashq);
    assert_int_equal (result->bytes_read, 0);
    s_hex_is (result->sha256, HELLO_SHA);
    hashq_result_destroy (&result);

    hashq_request (hashq, "link");
    result = s_result (hashq);
    assert_int_equal (result->status, HASHQ_FAILED);
    assert_int_equal (result->bytes_read, 0);
    hashq_result_destroy (&result);
    hashq_request (hashq, "missing");
    result = s_result (hashq);
    assert_int_equal (result->status, HASHQ_FAILED);
    hashq_result_destroy (&result);
    assert_int_equal (hashq_pending (hashq), 0);
    hashq_destroy (&hashq);

    //  A restart over the unchanged file reads nothing
    hashq = hashq_new (root, db);
    hashq_request (hashq, "hello.txt");
    result = s_result (hashq);
    assert_int_equal (result->status, HASHQ_DIGEST);
    assert_int_equal (result->bytes_read, 0);
    s_hex_is (result->sha256, HELLO_SHA);
    hashq_result_destroy (&result);

    //  A change is hashed again
    s_write (file, "hello, world\n");
    hashq_request (hashq, "hello.txt");
    result = s_result (hashq);
    assert_int_equal (result->status, HASHQ_DIGEST);
    assert_int_equal (result->bytes_read, 13);
    assert_int_equal (hashq_bytes_read (hashq), 13);
    hashq_result_destroy (&result);
    hashq_destroy (&hashq);

    assert_null (hashq_new ("/nonexistent/fshare/root", db));
    zstr_free (&link);
    zstr_free (&outside);
    zstr_free (&file);
    zstr_free (&db);
    zstr_free (&root);
    fixture_destroy (&fx);
}

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
    char *root = s_path (fx, "root");
    assert_int_equal (mkdir (root, 0755), 0);
    char *small = zsys_sprintf ("%s/small.txt", root);
    s_write (small, "hello\n");
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

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_database),
        cmocka_unit_test (test_hasher),
        cmocka_unit_test (test_digester),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
