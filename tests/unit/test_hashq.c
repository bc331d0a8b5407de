/*  test_hashq.c - the agent's background hasher (peer/hashq.c).

    What SPEC 4.5 promises of it: a digest equal to sha256sum's, valid
    only for the exact version of a file; a restart over unchanged files
    reads nothing; a changed file is hashed again; a rehash reads whatever
    the database says and mends it; a database with junk rows costs a
    read, never a wrong digest; nothing outside the root (symlinks, "..",
    absolute paths) is read; a path asked for again while queued is asked
    once; the file's permission bits come with its digest; the holes of
    a sparse file are hashed without being read.
*/
#include "fixture.h"
#include "hashq.h"
#include <sqlite3.h>
#include <sys/stat.h>
#include <fcntl.h>

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

//  `file` made with "hello\n"; the key of that version in *key, for the
//  tests that put a row for it in the database.
static void
s_hello (const char *file, file_key_t *key)
{
    fixture_write (file, "hello\n");
    struct stat st;
    assert_int_equal (stat (file, &st), 0);
    file_key_of (&st, key);
}

static void
test_hasher (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("hashq");
    char *root = fixture_mkdir (fx, "root");
    char *db = fixture_path (fx, "digests.db");
    char *file = zsys_sprintf ("%s/hello.txt", root);
    fixture_write (file, "hello\n");
    char *outside = fixture_path (fx, "secret");
    fixture_write (outside, "not yours\n");
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
    fixture_write (file, "hello, world\n");
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

//  A database that holds a wrong digest for the file's exact version (the
//  owner was told its content was corrupted): a request trusts it, a
//  rehash reads the file and replaces it.
static void
test_rehash (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("hashq-rehash");
    char *root = fixture_mkdir (fx, "root");
    char *db = fixture_path (fx, "digests.db");
    char *file = zsys_sprintf ("%s/hello.txt", root);
    file_key_t key;
    s_hello (file, &key);
    uint8_t wrong [DIGEST_SIZE];
    memset (wrong, 0xee, sizeof wrong);
    digestdb_t *digests = digestdb_open (db);
    digestdb_store (digests, &key, wrong);
    digestdb_destroy (&digests);

    hashq_t *hashq = hashq_new (root, db);
    hashq_request (hashq, "hello.txt");
    hashq_result_t *result = s_result (hashq);
    assert_int_equal (result->bytes_read, 0);
    assert_memory_equal (result->sha256, wrong, DIGEST_SIZE);
    hashq_result_destroy (&result);
    hashq_rehash (hashq, "hello.txt");
    result = s_result (hashq);
    assert_int_equal (result->status, HASHQ_DIGEST);
    assert_int_equal (result->bytes_read, 6);
    s_hex_is (result->sha256, HELLO_SHA);
    hashq_result_destroy (&result);
    //  Mended: the database gives the right one from now on
    hashq_request (hashq, "hello.txt");
    result = s_result (hashq);
    assert_int_equal (result->bytes_read, 0);
    s_hex_is (result->sha256, HELLO_SHA);
    hashq_result_destroy (&result);
    hashq_destroy (&hashq);
    zstr_free (&file);
    zstr_free (&db);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  A junk row at the file's inode (a digest of the wrong length) is a
//  miss: the file is read, the right digest given and stored.
static void
test_junk_row (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("hashq-junk");
    char *root = fixture_mkdir (fx, "root");
    char *db = fixture_path (fx, "digests.db");
    char *file = zsys_sprintf ("%s/hello.txt", root);
    file_key_t key;
    s_hello (file, &key);
    digestdb_t *digests = digestdb_open (db);
    digestdb_destroy (&digests);
    sqlite3 *handle = NULL;
    assert_int_equal (sqlite3_open (db, &handle), SQLITE_OK);
    char *sql = zsys_sprintf ("INSERT INTO digests VALUES (%lld, %lld, %lld, %lld, %lld, x'00ff', 1)",
                              (long long) key.dev, (long long) key.ino, (long long) key.size,
                              (long long) key.mtime_ns, (long long) key.ctime_ns);
    assert_int_equal (sqlite3_exec (handle, sql, NULL, NULL, NULL), SQLITE_OK);
    zstr_free (&sql);
    sqlite3_close (handle);

    hashq_t *hashq = hashq_new (root, db);
    hashq_request (hashq, "hello.txt");
    hashq_result_t *result = s_result (hashq);
    assert_int_equal (result->status, HASHQ_DIGEST);
    assert_int_equal (result->bytes_read, 6);
    s_hex_is (result->sha256, HELLO_SHA);
    hashq_result_destroy (&result);
    hashq_request (hashq, "hello.txt");
    result = s_result (hashq);
    assert_int_equal (result->bytes_read, 0);
    s_hex_is (result->sha256, HELLO_SHA);
    hashq_result_destroy (&result);
    hashq_destroy (&hashq);
    zstr_free (&file);
    zstr_free (&db);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  Nothing outside the root, nothing that is not a regular file; the
//  permission bits come with the digest.
static void
test_beneath_root (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("hashq-beneath");
    char *root = fixture_mkdir (fx, "root");
    char *sub = zsys_sprintf ("%s/sub", root);
    assert_int_equal (mkdir (sub, 0755), 0);
    char *outside = fixture_path (fx, "secret");
    fixture_write (outside, "not yours\n");
    char *file = zsys_sprintf ("%s/sub/run.sh", root);
    fixture_write (file, "hello\n");
    assert_int_equal (chmod (file, 0750), 0);
    //  A directory link inside the root, to a place inside the root
    char *link = zsys_sprintf ("%s/alias", root);
    assert_int_equal (symlink ("sub", link), 0);

    hashq_t *hashq = hashq_new (root, NULL);
    const char *refused [] = { "../secret", "sub/../../secret", outside, "alias/run.sh", "sub", "" };
    for (size_t i = 0; i < sizeof refused / sizeof refused [0]; i++) {
        hashq_request (hashq, refused [i]);
        hashq_result_t *result = s_result (hashq);
        assert_string_equal (result->path, refused [i]);
        if (result->status != HASHQ_FAILED)
            fail_msg ("%s was hashed", refused [i]);
        assert_int_equal (result->bytes_read, 0);
        hashq_result_destroy (&result);
    }
    hashq_request (hashq, "sub/run.sh");
    hashq_result_t *result = s_result (hashq);
    assert_int_equal (result->status, HASHQ_DIGEST);
    assert_int_equal (result->mode, 0750);
    s_hex_is (result->sha256, HELLO_SHA);
    hashq_result_destroy (&result);
    assert_int_equal (hashq_bytes_read (hashq), 6);
    hashq_destroy (&hashq);
    zstr_free (&link);
    zstr_free (&file);
    zstr_free (&outside);
    zstr_free (&sub);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  A path asked for again while it waits in the queue is asked once; one
//  already handed to the thread is asked again.
static void
test_queue_dedup (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("hashq-queue");
    char *root = fixture_mkdir (fx, "root");
    char name [128];
    for (int i = 0; i < 40; i++) {
        snprintf (name, sizeof name, "%s/f%02d", root, i);
        fixture_write (name, "x");
    }
    hashq_t *hashq = hashq_new (root, NULL);
    for (int i = 0; i < 40; i++) {
        snprintf (name, sizeof name, "f%02d", i);
        hashq_request (hashq, name);
    }
    assert_int_equal (hashq_pending (hashq), 40);
    //  The last ones wait on our side: asked again, they are not doubled
    for (int i = 30; i < 40; i++) {
        snprintf (name, sizeof name, "f%02d", i);
        hashq_request (hashq, name);
        hashq_rehash (hashq, name);
    }
    assert_int_equal (hashq_pending (hashq), 40);
    zhashx_t *seen = zhashx_new ();
    for (int count = 0; count < 40; count++) {
        hashq_result_t *result = s_result (hashq);
        assert_int_equal (result->status, HASHQ_DIGEST);
        assert_null (zhashx_lookup (seen, result->path));
        zhashx_insert (seen, result->path, (void *) 1);
        hashq_result_destroy (&result);
    }
    assert_int_equal (hashq_pending (hashq), 0);
    assert_null (hashq_recv (hashq));
    zhashx_destroy (&seen);
    hashq_destroy (&hashq);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  A small file asked for while large ones are read is not held behind
//  them (SPEC 4.2, 4.5: every change within a second, a small file's
//  first event with its digest): the thread serves it between two reads
//  of the large file, and it goes before the requests still waiting on
//  our side, however many large ones are in flight.
static void
test_small_first (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("hashq-small");
    char *root = fixture_mkdir (fx, "root");
    char name [128];
    //  Sparse: hashing 1 GiB of holes takes a second or so, writing it nothing
    for (int i = 0; i < 20; i++) {
        snprintf (name, sizeof name, "%s/big%02d", root, i);
        fixture_write (name, "");
        assert_int_equal (truncate (name, 1024LL * 1024 * 1024), 0);
    }
    snprintf (name, sizeof name, "%s/small.txt", root);
    fixture_write (name, "hello\n");
    hashq_t *hashq = hashq_new (root, NULL);
    //  One large file, then the small one: the small one comes first
    hashq_request (hashq, "big00");
    hashq_request_small (hashq, "small.txt");
    hashq_result_t *result = s_result (hashq);
    assert_string_equal (result->path, "small.txt");
    assert_int_equal (result->status, HASHQ_DIGEST);
    s_hex_is (result->sha256, HELLO_SHA);
    hashq_result_destroy (&result);
    //  More large ones than go to the thread at once: the same
    for (int i = 1; i < 20; i++) {
        snprintf (name, sizeof name, "big%02d", i);
        hashq_request (hashq, name);
    }
    snprintf (name, sizeof name, "%s/small.txt", root);
    fixture_write (name, "hello, world\n");
    hashq_request_small (hashq, "small.txt");
    result = s_result (hashq);
    assert_string_equal (result->path, "small.txt");
    assert_int_equal (result->key.size, 13);
    hashq_result_destroy (&result);
    assert_int_equal (hashq_pending (hashq), 20);
    //  Stopping does not wait for the large ones
    int64_t start = zclock_mono ();
    hashq_destroy (&hashq);
    assert_true (zclock_mono () - start < 2000);
    zstr_free (&root);
    fixture_destroy (&fx);
}

//  A sparse file (a disk image, a VM's disk, truncate -s): its digest
//  is that of its bytes, holes read as zeros, and the holes are hashed
//  without being read (SEEK_DATA/SEEK_HOLE), on a file system that keeps
//  them; data written in the middle, at the start and at the end counts.
static void
test_sparse (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("hashq-sparse");
    char *root = fixture_mkdir (fx, "root");
    char *file = zsys_sprintf ("%s/disk.img", root);
    const off_t size = 64LL * 1024 * 1024, at [] = { 0, 40LL * 1024 * 1024 - 100, size - 10 };
    int fd = open (file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true (fd >= 0);
    assert_int_equal (ftruncate (fd, size), 0);
    for (size_t i = 0; i < 3; i++) {
        char text [64];
        int len = snprintf (text, sizeof text, "data %zu here, at the edge", i);
        if (at [i] + len > size)
            len = (int) (size - at [i]);
        assert_int_equal (pwrite (fd, text, (size_t) len, at [i]), len);
    }
    //  What reading it all gives
    digest_t *digest = digest_new ();
    char *buffer = (char *) malloc (1024 * 1024);
    ssize_t got;
    for (off_t offset = 0; (got = pread (fd, buffer, 1024 * 1024, offset)) > 0; offset += got)
        digest_update (digest, buffer, (size_t) got);
    uint8_t want [DIGEST_SIZE];
    digest_final (digest, want);
    digest_destroy (&digest);
    free (buffer);
    struct stat st;
    assert_int_equal (fstat (fd, &st), 0);
    close (fd);
    bool holes = (off_t) st.st_blocks * 512 < size / 2;

    hashq_t *hashq = hashq_new (root, NULL);
    hashq_request (hashq, "disk.img");
    hashq_result_t *result = s_result (hashq);
    assert_int_equal (result->status, HASHQ_DIGEST);
    assert_int_equal (result->key.size, size);
    assert_memory_equal (result->sha256, want, DIGEST_SIZE);
    if (holes)
        assert_true (result->bytes_read <= 3 * 1024 * 1024);
    else
        print_message ("no holes on this file system: read in full\n");
    hashq_result_destroy (&result);
    //  All hole: 256 MiB of zeros (the hashing of which remains)
    assert_int_equal (truncate (file, 0), 0);
    assert_int_equal (truncate (file, 256LL * 1024 * 1024), 0);
    hashq_request (hashq, "disk.img");
    result = s_result (hashq);
    s_hex_is (result->sha256, "a6d72ac7690f53be6ae46ba88506bd97302a093f7108472bd9efc3cefda06484");
    if (holes)
        assert_int_equal (result->bytes_read, 0);
    hashq_result_destroy (&result);
    hashq_destroy (&hashq);
    zstr_free (&file);
    zstr_free (&root);
    fixture_destroy (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_hasher),
        cmocka_unit_test (test_rehash),
        cmocka_unit_test (test_junk_row),
        cmocka_unit_test (test_beneath_root),
        cmocka_unit_test (test_queue_dedup),
        cmocka_unit_test (test_small_first),
        cmocka_unit_test (test_sparse),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
