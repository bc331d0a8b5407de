/*  test_transfer.c - both ends of a download without the network: the
    owner's source (safe open beneath the host directory, read + hash,
    resume prefix, change detection) and the requester's sink (partial
    file, resume, verification, atomic publish under a free name, write
    failures), and the two together for the sizes that matter; a source
    served from the digest database's known digest, still verified.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "source.h"
#include "sink.h"
#include "digestdb.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sodium.h>

#define CHUNK (256 * 1024)

typedef struct {
    char dir [64];
    char root [96];             //  the owner's host directory
    char downloads [96];
    uint8_t *buf;
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *fx = (fixture_t *) zmalloc (sizeof (fixture_t));
    strcpy (fx->dir, "/tmp/fshare-test-transfer-XXXXXX");
    assert_non_null (mkdtemp (fx->dir));
    snprintf (fx->root, sizeof fx->root, "%s/files", fx->dir);
    snprintf (fx->downloads, sizeof fx->downloads, "%s/downloads", fx->dir);
    assert_int_equal (mkdir (fx->root, 0755), 0);
    assert_int_equal (mkdir (fx->downloads, 0755), 0);
    fx->buf = (uint8_t *) malloc (CHUNK);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char *command = zsys_sprintf ("chmod -R u+rwx '%s'; rm -rf '%s'", fx->dir, fx->dir);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    free (fx->buf);
    free (fx);
    return 0;
}

//  --------------------------------------------------------------------------
//  Helpers

//  Write `size` pseudo-random bytes (seeded) to root/path; returns its
//  SHA-256 as computed by libsodium, an independent implementation.
static void
s_make_file (const char *dir, const char *path, size_t size, uint32_t seed,
             uint8_t sha256 [32])
{
    char *full = zsys_sprintf ("%s/%s", dir, path);
    char *slash = strrchr (full, '/');
    *slash = 0;
    char *command = zsys_sprintf ("mkdir -p '%s'", full);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    *slash = '/';
    uint8_t *data = (uint8_t *) malloc (size + 1);
    uint32_t state = seed;
    for (size_t i = 0; i < size; i++) {
        state = state * 1103515245 + 12345;
        data [i] = (uint8_t) (state >> 16);
    }
    FILE *file = fopen (full, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    assert_int_equal (fclose (file), 0);
    if (sha256)
        crypto_hash_sha256 (sha256, data, size);
    free (data);
    zstr_free (&full);
}

static bool
s_exists (const char *dir, const char *name)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    struct stat st;
    bool exists = lstat (path, &st) == 0;
    zstr_free (&path);
    return exists;
}

static size_t
s_count_entries (const char *dir)
{
    DIR *handle = opendir (dir);
    assert_non_null (handle);
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir (handle)))
        if (!streq (entry->d_name, ".") && !streq (entry->d_name, ".."))
            count++;
    closedir (handle);
    return count;
}

static bool
s_same_content (const char *a, const char *b)
{
    char *command = zsys_sprintf ("cmp -s '%s' '%s'", a, b);
    bool same = system (command) == 0;
    zstr_free (&command);
    return same;
}

//  Run a source into a sink, chunk by chunk, as the agents would.
//  Returns 0, or -1 with *error from whichever side failed.
static int
s_pump (fixture_t *fx, source_t *source, sink_t *sink, char **error)
{
    while (sink_prepare (sink, fx->buf, CHUNK, CHUNK, error) == 0)
        ;
    if (*error)
        return -1;
    while (source_prepare (source, fx->buf, CHUNK, CHUNK, error) == 0)
        ;
    if (*error)
        return -1;
    bool last = false;
    while (!last) {
        uint64_t offset = source_position (source);
        ssize_t got = source_read (source, fx->buf, CHUNK, &last, error);
        if (got < 0)
            return -1;
        if (sink_write (sink, offset, fx->buf, (size_t) got, error))
            return -1;
    }
    return sink_finish (sink, source_digest (source), DIGEST_SIZE, error);
}

//  A whole download of root/path into the downloads dir; returns the
//  saved path (caller frees).
static char *
s_download (fixture_t *fx, const char *path, const char *name)
{
    char *error = NULL;
    sink_t *sink = sink_new (fx->downloads, name, "alice", path, NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_non_null (sink);
    source_t *source = source_new (fx->root, path, sink_offset (sink), sink_expect_size (sink),
                                   sink_expect_mtime (sink), &error);
    assert_non_null (source);
    assert_int_equal (sink_start (sink, source_size (source), source_mtime (source),
                                  source_offset (source), &error), 0);
    assert_int_equal (s_pump (fx, source, sink, &error), 0);
    char *saved = strdup (sink_saved (sink));
    source_destroy (&source);
    sink_destroy (&sink);
    return saved;
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_sizes (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    size_t sizes [] = { 0, 1, CHUNK, CHUNK + 1, 5 * CHUNK + 77 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes [0]; i++) {
        char path [64], name [64];
        snprintf (path, sizeof path, "sub/dir/f%zu.bin", i);
        snprintf (name, sizeof name, "f%zu.bin", i);
        uint8_t expected [32];
        s_make_file (fx->root, path, sizes [i], (uint32_t) i + 1, expected);
        char *saved = s_download (fx, path, name);
        char *original = zsys_sprintf ("%s/%s", fx->root, path);
        char *wanted = zsys_sprintf ("%s/%s", fx->downloads, name);
        assert_string_equal (saved, wanted);
        assert_true (s_same_content (saved, original));
        //  No partial file and no source record left behind
        char value [16];
        assert_int_equal (getxattr (saved, "user.fshare.source", value, sizeof value), -1);
        zstr_free (&saved);
        zstr_free (&original);
        zstr_free (&wanted);
    }
    assert_int_equal (s_count_entries (fx->downloads), 5);
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
test_source_refuses (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_make_file (fx->root, "real/file.txt", 10, 1, NULL);
    s_make_file (fx->dir, "outside/secret.txt", 10, 2, NULL);
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
    s_make_file (fx->root, "real/.f.txt.fshare-part", 10, 3, NULL);

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
    fixture_t *fx = (fixture_t *) *state;
    char *error = NULL;
    bool last;
    //  Rewritten while being read
    s_make_file (fx->root, "a.bin", 3 * CHUNK, 1, NULL);
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
    s_make_file (fx->root, "a.bin", 3 * CHUNK, 1, NULL);
    source = source_new (fx->root, "a.bin", 0, 0, 0, &error);
    assert_int_equal (truncate (path, CHUNK / 2), 0);
    assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), -1);
    assert_string_equal (error, "file changed during transfer");
    zstr_free (&error);
    source_destroy (&source);
    zstr_free (&path);
}

static void
test_resume (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    uint8_t expected [32];
    s_make_file (fx->root, "big.bin", 4 * CHUNK + 5, 7, expected);
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
    assert_true (s_exists (fx->downloads, ".big.bin.fshare-part"));

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
    assert_int_equal (s_pump (fx, source, sink, &error), 0);
    char *original = zsys_sprintf ("%s/big.bin", fx->root);
    assert_true (s_same_content (sink_saved (sink), original));
    source_destroy (&source);
    sink_destroy (&sink);
    sink_abort (other, true);
    sink_destroy (&other);
    assert_false (s_exists (fx->downloads, ".big_1.bin.fshare-part"));

    //  A part of a file that changed since: restart from 0
    sink = sink_new (fx->downloads, "again.bin", "alice", "big.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    source = source_new (fx->root, "big.bin", 0, 0, 0, &error);
    assert_int_equal (sink_start (sink, source_size (source), source_mtime (source), 0, &error), 0);
    ssize_t got = source_read (source, fx->buf, CHUNK, &last, &error);
    assert_int_equal (sink_write (sink, 0, fx->buf, (size_t) got, &error), 0);
    source_destroy (&source);
    sink_destroy (&sink);      //  interrupted: kept
    s_make_file (fx->root, "big.bin", 4 * CHUNK + 6, 8, expected);
    struct timespec times [2] = { { 0, UTIME_OMIT }, { 1000, 0 } };
    assert_int_equal (utimensat (AT_FDCWD, original, times, 0), 0);
    sink = sink_new (fx->downloads, "again.bin", "alice", "big.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_offset (sink), CHUNK);
    source = source_new (fx->root, "big.bin", sink_offset (sink), sink_expect_size (sink),
                         sink_expect_mtime (sink), &error);
    assert_int_equal (source_offset (source), 0);
    assert_int_equal (sink_start (sink, source_size (source), source_mtime (source), 0, &error), 0);
    assert_true (sink_restarted (sink));
    assert_int_equal (s_pump (fx, source, sink, &error), 0);
    assert_true (s_same_content (sink_saved (sink), original));
    source_destroy (&source);
    sink_destroy (&sink);
    zstr_free (&original);
}

static void
test_name_collisions (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_make_file (fx->root, "doc.tar.gz", 100, 1, NULL);
    s_make_file (fx->root, ".bashrc", 10, 2, NULL);
    s_make_file (fx->downloads, "doc.tar.gz", 5, 3, NULL);
    s_make_file (fx->downloads, "doc.tar_1.gz", 5, 3, NULL);
    char *saved = s_download (fx, "doc.tar.gz", "doc.tar.gz");
    assert_string_equal (strrchr (saved, '/') + 1, "doc.tar_2.gz");
    zstr_free (&saved);
    saved = s_download (fx, ".bashrc", ".bashrc");
    assert_string_equal (strrchr (saved, '/') + 1, ".bashrc");
    zstr_free (&saved);
    saved = s_download (fx, ".bashrc", ".bashrc");
    assert_string_equal (strrchr (saved, '/') + 1, ".bashrc_1");
    zstr_free (&saved);
    //  The ones that were there are untouched
    char *path = zsys_sprintf ("%s/doc.tar.gz", fx->downloads);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_size, 5);
    zstr_free (&path);

    //  A name of 255 bytes still gets a partial file and a numbered twin
    char long_name [256];
    memset (long_name, 'x', 251);
    strcpy (long_name + 251, ".txt");
    s_make_file (fx->root, long_name, 10, 4, NULL);
    saved = s_download (fx, long_name, long_name);
    assert_string_equal (strrchr (saved, '/') + 1, long_name);
    zstr_free (&saved);
    saved = s_download (fx, long_name, long_name);
    assert_int_equal (strlen (strrchr (saved, '/') + 1), 255);
    assert_non_null (strstr (saved, "_1.txt"));
    zstr_free (&saved);

    //  Names that are not file names
    const char *bad [] = { "", ".", "..", "a/b" };
    for (size_t i = 0; i < 4; i++) {
        char *error = NULL;
        assert_null (sink_new (fx->downloads, bad [i], "alice", "x", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error));
        assert_string_equal (error, "invalid file name");
        zstr_free (&error);
    }
}

static void
test_corruption_detected (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_make_file (fx->root, "c.bin", 1000, 1, NULL);
    char *error = NULL;
    bool last;
    sink_t *sink = sink_new (fx->downloads, "c.bin", "alice", "c.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    source_t *source = source_new (fx->root, "c.bin", 0, 0, 0, &error);
    assert_int_equal (sink_start (sink, 1000, source_mtime (source), 0, &error), 0);
    assert_int_equal (source_read (source, fx->buf, CHUNK, &last, &error), 1000);
    assert_true (last);
    fx->buf [500] ^= 1;
    assert_int_equal (sink_write (sink, 0, fx->buf, 1000, &error), 0);
    assert_int_equal (sink_finish (sink, source_digest (source), DIGEST_SIZE, &error), -1);
    assert_string_equal (error, "file corrupted in transit: SHA-256 mismatch");
    zstr_free (&error);
    source_destroy (&source);
    sink_destroy (&sink);
    assert_int_equal (s_count_entries (fx->downloads), 0);

    //  Chunks out of place are refused
    sink = sink_new (fx->downloads, "c.bin", "alice", "c.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_start (sink, 1000, 0, 0, &error), 0);
    assert_int_equal (sink_write (sink, 10, fx->buf, 10, &error), -1);
    zstr_free (&error);
    assert_int_equal (sink_write (sink, 0, fx->buf, 1001, &error), -1);
    zstr_free (&error);
    //  ... and the owner may not resume where it was not asked to
    sink_t *twin = sink_new (fx->downloads, "d.bin", "alice", "c.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_start (twin, 1000, 0, 10, &error), -1);
    zstr_free (&error);
    sink_destroy (&twin);
    sink_abort (sink, false);
    sink_destroy (&sink);
    assert_int_equal (s_count_entries (fx->downloads), 0);
}

static void
test_write_failures (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char *error = NULL;
    //  A downloads "directory" that is a file stops root too
    char *file = zsys_sprintf ("%s/plain", fx->dir);
    s_make_file (fx->dir, "plain", 1, 1, NULL);
    assert_null (sink_new (file, "x.bin", "alice", "x.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error));
    assert_int_equal (strncmp (error, "downloads directory not writable", 32), 0);
    zstr_free (&error);
    zstr_free (&file);

    //  A file-size limit the file cannot fit under fails at once...
    signal (SIGXFSZ, SIG_IGN);
    struct rlimit saved, limit;
    getrlimit (RLIMIT_FSIZE, &saved);
    limit = saved;
    limit.rlim_cur = 100 * 1024;
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &limit), 0);
    sink_t *sink = sink_new (fx->downloads, "x.bin", "alice", "x.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_start (sink, 200 * 1024, 0, 0, &error), -1);
    assert_int_equal (strncmp (error, "file size limit exceeded", 24), 0);
    zstr_free (&error);
    sink_abort (sink, true);
    sink_destroy (&sink);
    assert_int_equal (s_count_entries (fx->downloads), 0);
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &saved), 0);

    //  ...and one met while writing leaves a valid prefix for a resume
    sink = sink_new (fx->downloads, "y.bin", "alice", "y.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_start (sink, 200 * 1024, 0, 0, &error), 0);
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &limit), 0);
    memset (fx->buf, 'y', CHUNK);
    assert_int_equal (sink_write (sink, 0, fx->buf, 200 * 1024, &error), -1);
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &saved), 0);
    assert_int_equal (strncmp (error, "file size limit exceeded", 24), 0);
    zstr_free (&error);
    assert_int_equal (sink_written (sink), 100 * 1024);
    sink_abort (sink, true);
    sink_destroy (&sink);
    signal (SIGXFSZ, SIG_DFL);
    assert_true (s_exists (fx->downloads, ".y.bin.fshare-part"));
    sink = sink_new (fx->downloads, "y.bin", "alice", "y.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_offset (sink), 100 * 1024);
    sink_abort (sink, false);
    sink_destroy (&sink);
    assert_int_equal (s_count_entries (fx->downloads), 0);
}


//  Saved as the owner had it: its mtime and executable bits, never set-id;
//  a partial file of the same content resumes for another owner (found by
//  digest); a switch of source mid-way continues from what is written.
static void
test_attributes_and_digest_resume (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    uint8_t sha [32];
    s_make_file (fx->root, "tool.sh", 3 * CHUNK + 9, 5, sha);
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
    fixture_t *fx = (fixture_t *) *state;
    s_make_file (fx->root, "p.bin", 5000, 9, NULL);
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
    assert_int_equal (s_count_entries (fx->downloads), 0);
}

//  A version the digest database knows is served from its digest: no
//  hashing, a resume prefix included; the requester still verifies, and a
//  wrong digest there is a corrupted download; another version misses.
static void
test_known_digest (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    uint8_t sha256 [32];
    s_make_file (fx->root, "k.bin", 3 * CHUNK + 7, 4, sha256);
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
    assert_int_equal (s_pump (fx, source, sink, &error), 0);
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
    assert_int_equal (s_pump (fx, source, sink, &error), -1);
    assert_int_equal (sink_code (sink), FSH_ERR_CORRUPTED);
    zstr_free (&error);
    assert_false (s_exists (fx->downloads, "k2.bin"));
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

//  A partial file that cannot be created (here: a directory that takes
//  no new files, as a read-only or full file system) is a failure with
//  its code, never an error without one.
static void
test_part_not_creatable (void **state)
{
    (void) state;
    char *error = NULL;
    fsh_err_t code = FSH_ERR_NONE;
    sink_t *sink = sink_new ("/proc/self", "f.txt", "alice", "f.txt", NULL, &code, &error);
    assert_null (sink);
    assert_non_null (error);
    assert_int_equal (code, FSH_ERR_NOT_WRITABLE);
    zstr_free (&error);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_digest_matches_libsodium),
        cmocka_unit_test_setup_teardown (test_sizes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_source_refuses, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_source_sees_changes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resume, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_name_collisions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_corruption_detected, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_write_failures, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_attributes_and_digest_resume, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_published_digest_enforced, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_known_digest, s_setup, s_teardown),
        cmocka_unit_test (test_part_not_creatable),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
