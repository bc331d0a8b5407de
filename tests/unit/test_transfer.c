/*  test_transfer.c - both ends of a download together, without the
    network: the owner's source (peer/source.c) pumped into the
    requester's sink (peer/sink.c) for the sizes that matter, resumes
    (of the same source, of another of the same content, after a change),
    attributes, a published digest enforced, and a source served from the
    digest database's known digest, still verified. Each end alone has
    its own file: test_source.c, test_sink.c.
*/
#include "fixture.h"
#include "source.h"
#include "sink.h"
#include "digestdb.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sodium.h>

//  Every read and write here is of the fixture's buffer, a chunk
#define CHUNK FIXTURE_CHUNK

//  --------------------------------------------------------------------------
//  Tests

static void
test_sizes (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    size_t sizes [] = { 0, 1, CHUNK, CHUNK + 1, 5 * CHUNK + 77 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes [0]; i++) {
        char path [64], name [64];
        snprintf (path, sizeof path, "sub/dir/f%zu.bin", i);
        snprintf (name, sizeof name, "f%zu.bin", i);
        uint8_t expected [32];
        fixture_make_file (fx->root, path, sizes [i], (uint32_t) i + 1, expected);
        char *saved = fixture_ends_download (fx, path, name);
        char *original = zsys_sprintf ("%s/%s", fx->root, path);
        char *wanted = zsys_sprintf ("%s/%s", fx->downloads, name);
        assert_string_equal (saved, wanted);
        assert_true (fixture_same_content (saved, original));
        //  No partial file and no source record left behind
        char value [16];
        assert_int_equal (getxattr (saved, "user.fshare.source", value, sizeof value), -1);
        zstr_free (&saved);
        zstr_free (&original);
        zstr_free (&wanted);
    }
    assert_int_equal (fixture_count_entries (fx->downloads), 5);
}

static void
test_digest_matches_libsodium (void **state)
{
    (void) state;
    uint8_t data [1000], theirs [32], mine [32];
    for (size_t i = 0; i < sizeof data; i++)
        data [i] = (uint8_t) (i * 31);
    crypto_hash_sha256 (theirs, data, sizeof data);
    digest_t *digest = digest_new ();
    digest_update (digest, data, 10);
    digest_update (digest, data + 10, sizeof data - 10);
    digest_final (digest, mine);
    assert_memory_equal (mine, theirs, 32);
    char hex [DIGEST_HEX_SIZE];
    digest_hex (mine, hex);
    assert_int_equal (strlen (hex), 64);
    //  Known answer: SHA-256 of nothing
    digest_final (digest, mine);
    digest_hex (mine, hex);
    assert_string_equal (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    digest_destroy (&digest);
    assert_null (digest);
}

static void
test_resume (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    uint8_t expected [32];
    fixture_make_file (fx->root, "big.bin", 4 * CHUNK + 5, 7, expected);
    char *error = NULL;
    bool last;
    //  A first attempt stops after two chunks
    sink_t *sink = sink_new (fx->downloads, "big.bin", "alice", "big.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_offset (sink), 0);
    source_t *source = source_new (fx->root, "big.bin", 0, 0, 0, &error);
    assert_int_equal (sink_start (sink, source_size (source), source_mtime (source), 0, &error), 0);
    for (int i = 0; i < 2; i++) {
        uint64_t offset = source_position (source);
        ssize_t got = source_read (source, fx->buf, CHUNK, &last, &error);
        assert_int_equal (sink_write (sink, offset, fx->buf, (size_t) got, &error), 0);
    }
    source_destroy (&source);
    sink_abort (sink, true);
    sink_destroy (&sink);
    assert_true (fixture_exists (fx->downloads, ".big.bin.fshare-part"));

    //  Another source's download of the same name does not touch it
    sink_t *other = sink_new (fx->downloads, "big.bin", "bob", "big.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_offset (other), 0);
    assert_string_equal (strrchr (sink_part (other), '/') + 1, ".big_1.bin.fshare-part");

    //  The second attempt resumes at 2 chunks and ends identical
    sink = sink_new (fx->downloads, "big.bin", "alice", "big.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_offset (sink), 2 * CHUNK);
    assert_int_equal (sink_expect_size (sink), 4 * CHUNK + 5);
    source = source_new (fx->root, "big.bin", sink_offset (sink), sink_expect_size (sink),
                         sink_expect_mtime (sink), &error);
    assert_int_equal (source_offset (source), 2 * CHUNK);
    assert_int_equal (sink_start (sink, source_size (source), source_mtime (source),
                                  source_offset (source), &error), 0);
    assert_true (sink_resumed (sink));
    //  Hashing the prefix goes in steps of the budget
    assert_int_equal (sink_prepare (sink, fx->buf, CHUNK, CHUNK, &error), 0);
    assert_int_equal (source_prepare (source, fx->buf, CHUNK, CHUNK, &error), 0);
    assert_int_equal (fixture_ends_pump (fx, source, sink, &error), 0);
    char *original = zsys_sprintf ("%s/big.bin", fx->root);
    assert_true (fixture_same_content (sink_saved (sink), original));
    source_destroy (&source);
    sink_destroy (&sink);
    sink_abort (other, true);
    sink_destroy (&other);
    assert_false (fixture_exists (fx->downloads, ".big_1.bin.fshare-part"));

    //  A part of a file that changed since: restart from 0
    sink = sink_new (fx->downloads, "again.bin", "alice", "big.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    source = source_new (fx->root, "big.bin", 0, 0, 0, &error);
    assert_int_equal (sink_start (sink, source_size (source), source_mtime (source), 0, &error), 0);
    ssize_t got = source_read (source, fx->buf, CHUNK, &last, &error);
    assert_int_equal (sink_write (sink, 0, fx->buf, (size_t) got, &error), 0);
    source_destroy (&source);
    sink_destroy (&sink);      //  interrupted: kept
    fixture_make_file (fx->root, "big.bin", 4 * CHUNK + 6, 8, expected);
    struct timespec times [2] = { { 0, UTIME_OMIT }, { 1000, 0 } };
    assert_int_equal (utimensat (AT_FDCWD, original, times, 0), 0);
    sink = sink_new (fx->downloads, "again.bin", "alice", "big.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_offset (sink), CHUNK);
    source = source_new (fx->root, "big.bin", sink_offset (sink), sink_expect_size (sink),
                         sink_expect_mtime (sink), &error);
    assert_int_equal (source_offset (source), 0);
    assert_int_equal (sink_start (sink, source_size (source), source_mtime (source), 0, &error), 0);
    assert_true (sink_restarted (sink));
    assert_int_equal (fixture_ends_pump (fx, source, sink, &error), 0);
    assert_true (fixture_same_content (sink_saved (sink), original));
    source_destroy (&source);
    sink_destroy (&sink);
    zstr_free (&original);
}


//  Saved as the owner had it: its mtime and executable bits, never set-id;
//  a partial file of the same content resumes for another owner (found by
//  digest); a switch of source mid-way continues from what is written.
static void
test_attributes_and_digest_resume (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    uint8_t sha [32];
    fixture_make_file (fx->root, "tool.sh", 3 * CHUNK + 9, 5, sha);
    char *error = NULL;
    bool last;
    mode_t mask = umask (022);
    //  Owner alice: two chunks, then the download stops
    sink_t *sink = sink_new (fx->downloads, "tool.sh", "alice", "tool.sh", sha,
                             &(fsh_err_t) { FSH_ERR_NONE }, &error);
    source_t *source = source_new (fx->root, "tool.sh", 0, 0, 0, &error);
    assert_int_equal (sink_start (sink, source_size (source), 1234567890, 0, &error), 0);
    sink_set_mode (sink, 04755);
    for (int i = 0; i < 2; i++) {
        uint64_t offset = source_position (source);
        ssize_t got = source_read (source, fx->buf, CHUNK, &last, &error);
        assert_int_equal (sink_write (sink, offset, fx->buf, (size_t) got, &error), 0);
    }
    //  Carol's copy (another path and mtime) takes over at 2 chunks
    assert_int_equal (sink_switch (sink, "carol", "copy.sh", 1000), 0);
    assert_int_equal (sink_offset (sink), 2 * CHUNK);
    assert_int_equal (sink_expect_size (sink), 3 * CHUNK + 9);
    assert_int_equal (sink_expect_mtime (sink), 1000);
    assert_int_equal (sink_start (sink, 3 * CHUNK + 9, 1000, 2 * CHUNK, &error), 0);
    assert_int_equal (sink_prepare (sink, fx->buf, CHUNK, CHUNK, &error), 1);
    uint64_t offset;
    ssize_t got;
    do {
        offset = source_position (source);
        got = source_read (source, fx->buf, CHUNK, &last, &error);
        assert_int_equal (sink_write (sink, offset, fx->buf, (size_t) got, &error), 0);
    } while (!last);
    sink_set_mode (sink, 04755);
    assert_int_equal (sink_finish (sink, source_digest (source), DIGEST_SIZE, &error), 0);
    struct stat st;
    assert_int_equal (stat (sink_saved (sink), &st), 0);
    assert_int_equal (st.st_mtime, 1000);
    assert_int_equal (st.st_mode & 07777, 0755);
    source_destroy (&source);
    sink_destroy (&sink);

    //  A partial file from alice, resumed for carol because the digest matches
    sink = sink_new (fx->downloads, "again.sh", "alice", "tool.sh", sha,
                     &(fsh_err_t) { FSH_ERR_NONE }, &error);
    source = source_new (fx->root, "tool.sh", 0, 0, 0, &error);
    assert_int_equal (sink_start (sink, source_size (source), 1234567890, 0, &error), 0);
    offset = source_position (source);
    got = source_read (source, fx->buf, CHUNK, &last, &error);
    assert_int_equal (sink_write (sink, offset, fx->buf, (size_t) got, &error), 0);
    source_destroy (&source);
    sink_destroy (&sink);       //  interrupted: kept
    sink = sink_new (fx->downloads, "again.sh", "carol", "copy.sh", sha,
                     &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_true (sink_by_digest (sink));
    assert_int_equal (sink_offset (sink), CHUNK);
    sink_resume_as (sink, 1000);
    assert_int_equal (sink_expect_mtime (sink), 1000);
    sink_abort (sink, true);
    sink_destroy (&sink);
    //  Without the digest it is another source's partial file: left alone
    sink = sink_new (fx->downloads, "again.sh", "carol", "copy.sh", NULL,
                     &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_false (sink_by_digest (sink));
    assert_int_equal (sink_offset (sink), 0);
    assert_string_equal (strrchr (sink_part (sink), '/') + 1, ".again_1.sh.fshare-part");
    sink_abort (sink, false);
    sink_destroy (&sink);
    umask (mask);
}

//  A digest that the bytes agree with but that is not the one published
//  is refused: nothing is saved.
static void
test_published_digest_enforced (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    fixture_make_file (fx->root, "p.bin", 5000, 9, NULL);
    uint8_t published [32] = { 1, 2, 3 };
    char *error = NULL;
    bool last;
    sink_t *sink = sink_new (fx->downloads, "p.bin", "alice", "p.bin", published,
                             &(fsh_err_t) { FSH_ERR_NONE }, &error);
    source_t *source = source_new (fx->root, "p.bin", 0, 0, 0, &error);
    assert_int_equal (sink_start (sink, 5000, source_mtime (source), 0, &error), 0);
    assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), 5000);
    assert_int_equal (sink_write (sink, 0, fx->buf, 5000, &error), 0);
    assert_int_equal (sink_finish (sink, source_digest (source), DIGEST_SIZE, &error), -1);
    assert_int_equal (sink_code (sink), FSH_ERR_CORRUPTED);
    zstr_free (&error);
    source_destroy (&source);
    sink_destroy (&sink);
    assert_int_equal (fixture_count_entries (fx->downloads), 0);
}

//  A version the digest database knows is served from its digest: no
//  hashing, a resume prefix included; the requester still verifies, and a
//  wrong digest there is a corrupted download; another version misses.
static void
test_known_digest (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    uint8_t sha256 [32];
    fixture_make_file (fx->root, "k.bin", 3 * CHUNK + 7, 4, sha256);
    char *db_path = zsys_sprintf ("%s/digests.db", fx->dir);
    digestdb_t *db = digestdb_open (db_path);
    digestdb_t *reader = digestdb_open_reader (db_path);
    assert_non_null (reader);
    char *error = NULL;
    source_t *source = source_new (fx->root, "k.bin", 0, 0, 0, &error);
    file_key_t key;
    source_key (source, &key);
    uint8_t found [32];
    assert_false (digestdb_lookup (reader, &key, found));
    digestdb_store (db, &key, sha256);
    digestdb_flush (db);
    assert_true (digestdb_lookup (reader, &key, found));
    assert_memory_equal (found, sha256, 32);
    source_use_digest (source, found);
    assert_true (source_known (source));
    assert_memory_equal (source_digest (source), sha256, 32);
    sink_t *sink = sink_new (fx->downloads, "k.bin", "alice", "k.bin", sha256,
                             &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_start (sink, source_size (source), source_mtime (source), 0,
                                  &error), 0);
    assert_int_equal (fixture_ends_pump (fx, source, sink, &error), 0);
    source_destroy (&source);
    sink_destroy (&sink);

    //  A wrong digest in the database: the requester refuses the bytes
    sha256 [0] ^= 1;
    digestdb_store (db, &key, sha256);
    digestdb_flush (db);
    source = source_new (fx->root, "k.bin", 0, 0, 0, &error);
    assert_true (digestdb_lookup (reader, &key, found));
    source_use_digest (source, found);
    sink = sink_new (fx->downloads, "k2.bin", "alice", "k.bin", NULL,
                     &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_start (sink, source_size (source), source_mtime (source), 0,
                                  &error), 0);
    assert_int_equal (fixture_ends_pump (fx, source, sink, &error), -1);
    assert_int_equal (sink_code (sink), FSH_ERR_CORRUPTED);
    zstr_free (&error);
    assert_false (fixture_exists (fx->downloads, "k2.bin"));
    source_destroy (&source);
    sink_destroy (&sink);

    //  Another version of the file (its ctime moves) is not known
    char *path = zsys_sprintf ("%s/k.bin", fx->root);
    assert_int_equal (chmod (path, 0600), 0);
    source = source_new (fx->root, "k.bin", 0, 0, 0, &error);
    source_key (source, &key);
    assert_false (digestdb_lookup (reader, &key, found) || source_known (source));
    source_destroy (&source);
    zstr_free (&path);
    digestdb_destroy (&reader);
    digestdb_destroy (&db);
    assert_null (digestdb_open_reader ("/nonexistent/digests.db"));
    zstr_free (&db_path);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_digest_matches_libsodium),
        cmocka_unit_test_setup_teardown (test_sizes, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_resume, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_attributes_and_digest_resume, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_published_digest_enforced, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_known_digest, fixture_ends_setup, fixture_ends_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
