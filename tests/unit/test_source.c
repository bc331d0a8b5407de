/*  test_source.c - the owner's side of one download (peer/source.c),
    without the network: the safe open beneath the host directory (no
    symbolic link anywhere on the way, regular published files only), the
    resume offset taken only for the version the requester names, the
    resume prefix hashed in steps so that the digest covers the whole
    file, the permission bits without set-id, changes and deletions seen
    while reading, and a known digest served without hashing.
*/
#include "fixture.h"
#include "source.h"
#include "digestdb.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/file.h>
#include <dirent.h>
#include <sodium.h>

//  Every read and write here is of the fixture's buffer, a chunk
#define CHUNK FIXTURE_CHUNK

static void
test_source_refuses (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    fixture_make_file (fx->root, "real/file.txt", 10, 1, NULL);
    fixture_make_file (fx->dir, "outside/secret.txt", 10, 2, NULL);
    char *target = zsys_sprintf ("%s/outside", fx->dir);
    char *link = zsys_sprintf ("%s/linkdir", fx->root);
    assert_int_equal (symlink (target, link), 0);
    zstr_free (&link);
    zstr_free (&target);
    link = zsys_sprintf ("%s/real/link.txt", fx->root);
    assert_int_equal (symlink ("file.txt", link), 0);
    zstr_free (&link);
    char *fifo = zsys_sprintf ("%s/real/fifo", fx->root);
    assert_int_equal (mkfifo (fifo, 0644), 0);
    zstr_free (&fifo);
    fixture_make_file (fx->root, "real/.f.txt.fshare-part", 10, 3, NULL);

    const char *paths [] = {
        "linkdir/secret.txt", "real/link.txt", "real/fifo", "real", "missing.txt",
        "../outside/secret.txt", "/etc/passwd", "real/.f.txt.fshare-part", ""
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths [0]; i++) {
        char *error = NULL;
        source_t *source = source_new (fx->root, paths [i], 0, 0, 0, &error);
        assert_null (source);
        assert_non_null (error);
        assert_int_equal (strncmp (error, "cannot read file", 16), 0);
        zstr_free (&error);
    }
    //  Unreadable: root reads everything, so only check it as another user
    if (geteuid () != 0) {
        char *path = zsys_sprintf ("%s/real/file.txt", fx->root);
        assert_int_equal (chmod (path, 0), 0);
        char *error = NULL;
        assert_null (source_new (fx->root, "real/file.txt", 0, 0, 0, &error));
        assert_string_equal (error, "cannot read file: Permission denied");
        zstr_free (&error);
        zstr_free (&path);
    }
}

static void
test_source_sees_changes (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *error = NULL;
    bool last;
    //  Rewritten while being read
    fixture_make_file (fx->root, "a.bin", 3 * CHUNK, 1, NULL);
    source_t *source = source_new (fx->root, "a.bin", 0, 0, 0, &error);
    assert_non_null (source);
    assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), CHUNK);
    char *path = zsys_sprintf ("%s/a.bin", fx->root);
    FILE *file = fopen (path, "ab");
    fputs ("more", file);
    fclose (file);
    assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), -1);
    assert_string_equal (error, "file changed during transfer");
    zstr_free (&error);
    source_destroy (&source);

    //  Deleted while being read
    source = source_new (fx->root, "a.bin", 0, 0, 0, &error);
    assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), CHUNK);
    assert_int_equal (unlink (path), 0);
    assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), -1);
    assert_string_equal (error, "file deleted during transfer");
    zstr_free (&error);
    source_destroy (&source);

    //  Truncated under us: the read runs short
    fixture_make_file (fx->root, "a.bin", 3 * CHUNK, 1, NULL);
    source = source_new (fx->root, "a.bin", 0, 0, 0, &error);
    assert_int_equal (truncate (path, CHUNK / 2), 0);
    assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), -1);
    assert_string_equal (error, "file changed during transfer");
    zstr_free (&error);
    source_destroy (&source);
    zstr_free (&path);
}

//  The digest of a file (libsodium's, an independent implementation).
static void
s_sha_of (const char *path, uint8_t sha [32])
{
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    uint8_t buf [4096];
    size_t got;
    while ((got = fread (buf, 1, sizeof buf, file)) > 0)
        crypto_hash_sha256_update (&state, buf, got);
    fclose (file);
    crypto_hash_sha256_final (&state, sha);
}

//  Read what is left; the count of bytes read, the digest in the end.
static uint64_t
s_read_rest (fixture_ends_t *fx, source_t *source)
{
    char *error = NULL;
    bool last = false;
    uint64_t total = 0;
    while (!last) {
        ssize_t got = source_read (source, fx->buf, CHUNK, &last, &error);
        assert_null (error);
        assert_true (got >= 0);
        total += (uint64_t) got;
    }
    assert_non_null (source_digest (source));
    return total;
}

//  A resume is taken only at an offset within the file, for the exact
//  size and mtime asked; the prefix is hashed in steps, and the digest
//  is the whole file's.
static void
test_resume_offset (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    uint8_t sha [32];
    fixture_make_file (fx->root, "r.bin", 3 * CHUNK + 11, 3, sha);
    char *path = zsys_sprintf ("%s/r.bin", fx->root);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    uint64_t size = (uint64_t) st.st_size;
    int64_t mtime = (int64_t) st.st_mtim.tv_sec;
    char *error = NULL;
    struct { uint64_t offset, size; int64_t mtime; uint64_t taken; } cases [] = {
        { CHUNK, size, mtime, CHUNK },          //  as asked
        { size, size, mtime, size },            //  all of it: nothing left but the end
        { size + 1, size, mtime, 0 },           //  past the end
        { CHUNK, size + 1, mtime, 0 },          //  another size
        { CHUNK, size, mtime - 1, 0 },          //  another mtime
        { 0, size, mtime, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        source_t *source = source_new (fx->root, "r.bin", cases [i].offset, cases [i].size,
                                       cases [i].mtime, &error);
        assert_non_null (source);
        assert_int_equal (source_offset (source), cases [i].taken);
        assert_int_equal (source_position (source), cases [i].taken);
        assert_int_equal (source_size (source), size);
        assert_int_equal (source_mtime (source), mtime);
        source_destroy (&source);
    }
    //  The prefix in steps of the budget (as a buffer no larger), then the rest
    source_t *source = source_new (fx->root, "r.bin", 2 * CHUNK + 5, size, mtime, &error);
    assert_null (source_digest (source));
    int steps = 0, rc;
    while ((rc = source_prepare (source, fx->buf, CHUNK / 4, CHUNK / 4, &error)) == 0)
        steps++;
    assert_int_equal (rc, 1);
    assert_true (steps >= 8);
    assert_int_equal (s_read_rest (fx, source), size - (2 * CHUNK + 5));
    assert_memory_equal (source_digest (source), sha, 32);
    assert_false (source_known (source));
    source_destroy (&source);
    //  Without a prefix, prepare is done at once
    source = source_new (fx->root, "r.bin", 0, 0, 0, &error);
    assert_int_equal (source_prepare (source, fx->buf, CHUNK, 1, &error), 1);
    assert_int_equal (s_read_rest (fx, source), size);
    assert_memory_equal (source_digest (source), sha, 32);
    source_destroy (&source);

    //  The file changes while its prefix is hashed: refused
    source = source_new (fx->root, "r.bin", 2 * CHUNK, size, mtime, &error);
    assert_int_equal (source_prepare (source, fx->buf, CHUNK, CHUNK, &error), 0);
    FILE *file = fopen (path, "ab");
    fputs ("x", file);
    fclose (file);
    assert_int_equal (source_prepare (source, fx->buf, CHUNK, CHUNK, &error), -1);
    assert_string_equal (error, "file changed during transfer");
    assert_int_equal (source_code (source), FSH_ERR_FILE_CHANGED);
    zstr_free (&error);
    source_destroy (&source);
    zstr_free (&path);
}

//  An empty file is one read of nothing, and the digest of nothing; the
//  mode is the permission bits only, never set-id.
static void
test_empty_and_mode (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    fixture_make_file (fx->root, "empty", 0, 1, NULL);
    char *path = zsys_sprintf ("%s/empty", fx->root);
    assert_int_equal (chmod (path, 06755), 0);
    char *error = NULL;
    source_t *source = source_new (fx->root, "empty", 0, 0, 0, &error);
    assert_non_null (source);
    assert_int_equal (source_mode (source), 0755);
    bool last = false;
    assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), 0);
    assert_true (last);
    uint8_t nothing [32];
    crypto_hash_sha256 (nothing, (const uint8_t *) "", 0);
    assert_memory_equal (source_digest (source), nothing, 32);
    source_destroy (&source);
    assert_null (source);
    source_destroy (&source);
    zstr_free (&path);
}

//  A known digest: nothing is hashed, a resume prefix included; the digest
//  is there from the start.
static void
test_use_digest (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    uint8_t sha [32];
    fixture_make_file (fx->root, "k.bin", 2 * CHUNK + 1, 9, sha);
    char *path = zsys_sprintf ("%s/k.bin", fx->root);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    char *error = NULL;
    source_t *source = source_new (fx->root, "k.bin", CHUNK, (uint64_t) st.st_size,
                                   (int64_t) st.st_mtim.tv_sec, &error);
    file_key_t key;
    source_key (source, &key);
    assert_int_equal (key.ino, (uint64_t) st.st_ino);
    assert_int_equal (key.size, (uint64_t) st.st_size);
    uint8_t told [32];
    memset (told, 0x77, sizeof told);
    source_use_digest (source, told);
    assert_true (source_known (source));
    assert_memory_equal (source_digest (source), told, 32);
    //  No prefix left to hash: one step, whatever the budget
    assert_int_equal (source_prepare (source, fx->buf, CHUNK, 1, &error), 1);
    assert_int_equal (s_read_rest (fx, source), CHUNK + 1);
    //  Served as told: the requester is the one who verifies
    assert_memory_equal (source_digest (source), told, 32);
    source_destroy (&source);
    s_sha_of (path, told);
    assert_memory_equal (told, sha, 32);
    zstr_free (&path);
}

//  Served from a known digest the ctime is not looked at (a rename goes
//  on), so the size and the mtime are what tell a rewrite: grown with its
//  mtime put back (cp -p, rsync -t), or an mtime moved by whole seconds
//  (a file system that keeps no nanoseconds) ends the transfer.
static void
test_known_sees_changes (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *path = zsys_sprintf ("%s/k.bin", fx->root);
    uint8_t told [32];
    memset (told, 0x77, sizeof told);
    char *error = NULL;
    bool last;
    for (int round = 0; round < 2; round++) {
        fixture_make_file (fx->root, "k.bin", 3 * CHUNK, 5, NULL);
        struct stat st;
        assert_int_equal (stat (path, &st), 0);
        source_t *source = source_new (fx->root, "k.bin", 0, 0, 0, &error);
        assert_non_null (source);
        source_use_digest (source, told);
        assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), CHUNK);
        struct timespec times [2] = { st.st_atim, st.st_mtim };
        if (round == 0) {
            FILE *file = fopen (path, "ab");
            fputs ("more", file);
            fclose (file);
        }
        else
            times [1].tv_sec += 10;
        assert_int_equal (utimensat (AT_FDCWD, path, times, 0), 0);
        assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), -1);
        assert_string_equal (error, "file changed during transfer");
        assert_int_equal (source_code (source), FSH_ERR_FILE_CHANGED);
        zstr_free (&error);
        source_destroy (&source);
    }
    zstr_free (&path);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_source_refuses, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_source_sees_changes, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_resume_offset, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_empty_and_mode, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_use_digest, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_known_sees_changes, fixture_ends_setup, fixture_ends_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
