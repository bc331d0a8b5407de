/*  test_sink.c - the requester's side of one download (peer/sink.c),
    fed by hand: free names that never replace a file (nor a link), names
    that are not file names, corruption and out-of-place chunks, write
    failures with their codes, a downloads directory moved mid-download,
    content that agrees with the owner's digest but not with the published
    one, or with one learnt after the start; the saved mode (executable bits only where readable under the
    umask, never set-id); the transfer's end checked before anything is
    saved; cache drop-behind and write-back errors. The partial file
    (its choice, its record) is test_sink_part.c's.
*/
#include "fixture.h"
#include "source.h"
#include "sink.h"
#include "digestdb.h"
#include "partrecord.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/file.h>
#include <dirent.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sodium.h>
#include <sys/syscall.h>

//  Every read and write here is of the fixture's buffer, a chunk
#define CHUNK FIXTURE_CHUNK

static void
test_name_collisions (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    fixture_make_file (fx->root, "doc.tar.gz", 100, 1, NULL);
    fixture_make_file (fx->root, ".bashrc", 10, 2, NULL);
    fixture_make_file (fx->downloads, "doc.tar.gz", 5, 3, NULL);
    fixture_make_file (fx->downloads, "doc.tar_1.gz", 5, 3, NULL);
    char *saved = fixture_ends_download (fx, "doc.tar.gz", "doc.tar.gz");
    assert_string_equal (strrchr (saved, '/') + 1, "doc.tar_2.gz");
    zstr_free (&saved);
    saved = fixture_ends_download (fx, ".bashrc", ".bashrc");
    assert_string_equal (strrchr (saved, '/') + 1, ".bashrc");
    zstr_free (&saved);
    saved = fixture_ends_download (fx, ".bashrc", ".bashrc");
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
    fixture_make_file (fx->root, long_name, 10, 4, NULL);
    saved = fixture_ends_download (fx, long_name, long_name);
    assert_string_equal (strrchr (saved, '/') + 1, long_name);
    zstr_free (&saved);
    saved = fixture_ends_download (fx, long_name, long_name);
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
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    fixture_make_file (fx->root, "c.bin", 1000, 1, NULL);
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
    assert_int_equal (fixture_count_entries (fx->downloads), 0);

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
    assert_int_equal (fixture_count_entries (fx->downloads), 0);
}

static void
test_write_failures (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *error = NULL;
    //  A downloads "directory" that is a file stops root too
    char *file = zsys_sprintf ("%s/plain", fx->dir);
    fixture_make_file (fx->dir, "plain", 1, 1, NULL);
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
    assert_int_equal (fixture_count_entries (fx->downloads), 0);
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
    assert_true (fixture_exists (fx->downloads, ".y.bin.fshare-part"));
    sink = sink_new (fx->downloads, "y.bin", "alice", "y.bin", NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_int_equal (sink_offset (sink), 100 * 1024);
    sink_abort (sink, false);
    sink_destroy (&sink);
    assert_int_equal (fixture_count_entries (fx->downloads), 0);
}

//  is not 32 bytes is a corruption; a switch needs a started download.
//  A digest longer or shorter than 32 bytes is refused even when its
//  first 32 bytes are the right digest: nothing is saved.
static void
test_finish_digest_lengths (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    uint8_t sha [64];
    memset (fx->buf, 'c', 100);
    crypto_hash_sha256 (sha, fx->buf, 100);
    memset (sha + 32, 0, 32);
    size_t lengths [] = { 0, 1, 31, 33, 64 };
    for (size_t i = 0; i < sizeof lengths / sizeof lengths [0]; i++) {
        char *error = NULL;
        sink_t *sink = fixture_ends_sink (fx, "g.txt", "g.txt");
        assert_int_equal (sink_start (sink, 100, 5, 0, &error), 0);
        assert_int_equal (sink_write (sink, 0, fx->buf, 100, &error), 0);
        assert_int_equal (sink_finish (sink, sha, lengths [i], &error), -1);
        assert_int_equal (sink_code (sink), FSH_ERR_PROTOCOL_ERROR);
        assert_non_null (error);
        zstr_free (&error);
        assert_null (sink_saved (sink));
        sink_destroy (&sink);
        assert_int_equal (fixture_count_entries (fx->downloads), 0);
    }
}

static void
test_finish_early (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *error = NULL;
    uint8_t sha [32];
    memset (fx->buf, 'b', 100);
    crypto_hash_sha256 (sha, fx->buf, 100);
    sink_t *sink = fixture_ends_sink (fx, "f.txt", "f.txt");
    //  Not started
    assert_int_equal (sink_finish (sink, sha, 32, &error), -1);
    assert_int_equal (sink_code (sink), FSH_ERR_PROTOCOL_ERROR);
    zstr_free (&error);
    assert_int_equal (sink_switch (sink, "bob", "f.txt", 1), -1);
    assert_int_equal (sink_start (sink, 100, 5, 0, &error), 0);
    assert_int_equal (sink_write (sink, 0, fx->buf, 99, &error), 0);
    //  One byte short
    assert_int_equal (sink_finish (sink, sha, 32, &error), -1);
    assert_string_equal (error, "protocol error: the transfer ended early");
    assert_int_equal (sink_code (sink), FSH_ERR_PROTOCOL_ERROR);
    zstr_free (&error);
    assert_int_equal (sink_write (sink, 99, fx->buf, 1, &error), 0);
    //  A digest of the wrong length: the sender broke the protocol
    assert_int_equal (sink_finish (sink, sha, 31, &error), -1);
    assert_int_equal (sink_code (sink), FSH_ERR_PROTOCOL_ERROR);
    zstr_free (&error);
    assert_null (sink_saved (sink));
    assert_null (sink_sha256 (sink));
    sink_destroy (&sink);
    assert_int_equal (fixture_count_entries (fx->downloads), 0);

    //  The whole file: saved, with its digest
    sink = fixture_ends_sink (fx, "f.txt", "f.txt");
    assert_int_equal (sink_start (sink, 100, 5, 0, &error), 0);
    assert_int_equal (sink_write (sink, 0, fx->buf, 100, &error), 0);
    assert_int_equal (sink_written (sink), 100);
    assert_int_equal (sink_size (sink), 100);
    assert_int_equal (sink_finish (sink, sha, 32, &error), 0);
    uint8_t got [32];
    assert_int_equal (sink_digest (sink, got), 0);
    assert_memory_equal (got, sha, 32);
    assert_int_equal (strlen (sink_sha256 (sink)), 64);
    //  Finished: an abort does not touch what was saved
    sink_abort (sink, false);
    assert_true (fixture_exists (fx->downloads, "f.txt"));
    sink_destroy (&sink);
}

//  The downloads directory renamed while a download writes into it: the
//  write of the next stretch fails not_writable, as does a finish (the
//  file is never saved in the directory that moved, nor reported saved
//  under the old path), and nothing of it is left there.
static void
test_dir_moved (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *error = NULL;
    char moved [128];
    snprintf (moved, sizeof moved, "%s/moved", fx->dir);
    uint8_t sha [32];
    memset (fx->buf, 'c', 100);
    crypto_hash_sha256 (sha, fx->buf, 100);
    //  Caught at the finish
    sink_t *sink = fixture_ends_sink (fx, "f.txt", "f.txt");
    assert_int_equal (sink_start (sink, 100, 5, 0, &error), 0);
    assert_int_equal (sink_write (sink, 0, fx->buf, 100, &error), 0);
    assert_int_equal (rename (fx->downloads, moved), 0);
    assert_int_equal (sink_finish (sink, sha, 32, &error), -1);
    assert_int_equal (sink_code (sink), FSH_ERR_NOT_WRITABLE);
    assert_non_null (strstr (error, "downloads directory moved or removed"));
    zstr_free (&error);
    assert_null (sink_saved (sink));
    sink_destroy (&sink);
    assert_int_equal (fixture_count_entries (moved), 0);
    assert_int_equal (rename (moved, fx->downloads), 0);
    //  Caught within a stretch of writes (8 MiB), and the partial file
    //  not kept for a resume no later get would find
    size_t size = 64 * CHUNK;
    sink = fixture_ends_sink (fx, "g.bin", "g.bin");
    assert_int_equal (sink_start (sink, size, 5, 0, &error), 0);
    assert_int_equal (sink_write (sink, 0, fx->buf, CHUNK, &error), 0);
    assert_int_equal (rename (fx->downloads, moved), 0);
    int rc = 0;
    size_t at = CHUNK;
    while (rc == 0 && at < size) {
        rc = sink_write (sink, at, fx->buf, CHUNK, &error);
        at += CHUNK;
    }
    assert_int_equal (rc, -1);
    assert_true (at <= CHUNK + 8 * 1024 * 1024 + CHUNK);
    assert_int_equal (sink_code (sink), FSH_ERR_NOT_WRITABLE);
    zstr_free (&error);
    sink_abort (sink, true);
    sink_destroy (&sink);
    assert_int_equal (fixture_count_entries (moved), 0);
    assert_int_equal (rename (moved, fx->downloads), 0);
}

//  A free final name is never one that something already holds: a
//  dangling symbolic link, a directory.
static void
test_never_replaces (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *error = NULL;
    char *link = zsys_sprintf ("%s/f.txt", fx->downloads);
    char *target = zsys_sprintf ("%s/nowhere", fx->dir);
    assert_int_equal (symlink (target, link), 0);
    char *dir = zsys_sprintf ("%s/f_1.txt", fx->downloads);
    assert_int_equal (mkdir (dir, 0755), 0);
    uint8_t sha [32];
    memset (fx->buf, 'c', 10);
    crypto_hash_sha256 (sha, fx->buf, 10);
    sink_t *sink = fixture_ends_sink (fx, "f.txt", "f.txt");
    assert_int_equal (sink_start (sink, 10, 5, 0, &error), 0);
    assert_int_equal (sink_write (sink, 0, fx->buf, 10, &error), 0);
    assert_int_equal (sink_finish (sink, sha, 32, &error), 0);
    assert_string_equal (strrchr (sink_saved (sink), '/') + 1, "f_2.txt");
    sink_destroy (&sink);
    struct stat st;
    assert_int_equal (lstat (link, &st), 0);
    assert_true (S_ISLNK (st.st_mode));
    assert_int_equal (access (target, F_OK), -1);
    zstr_free (&dir);
    zstr_free (&target);
    zstr_free (&link);
}

//  The bytes agree with the owner's digest but not with the one that was
//  published (a stale publication, or the copy switched from): corrupted.
static void
test_not_published_content (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *error = NULL;
    uint8_t published [32], sent [32];
    memset (fx->buf, 'p', 10);
    crypto_hash_sha256 (published, fx->buf, 10);
    memset (fx->buf, 'c', 10);
    crypto_hash_sha256 (sent, fx->buf, 10);
    fsh_err_t code = FSH_ERR_NONE;
    sink_t *sink = sink_new (fx->downloads, "p.txt", "alice", "p.txt", published, &code, &error);
    assert_non_null (sink);
    assert_int_equal (sink_start (sink, 10, 5, 0, &error), 0);
    assert_int_equal (sink_write (sink, 0, fx->buf, 10, &error), 0);
    assert_int_equal (sink_finish (sink, sent, 32, &error), -1);
    assert_int_equal (sink_code (sink), FSH_ERR_CORRUPTED);
    assert_string_equal (error, "file corrupted in transit: not the content that was published");
    zstr_free (&error);
    sink_destroy (&sink);
    assert_int_equal (fixture_count_entries (fx->downloads), 0);
}

//  A digest learnt after the start (the owner published it late) is
//  recorded on the partial file and held against the end like one known
//  from the start; another digest after it is refused.
static void
test_learnt_digest (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *error = NULL;
    uint8_t published [32], sent [32];
    memset (fx->buf, 'p', 10);
    crypto_hash_sha256 (published, fx->buf, 10);
    memset (fx->buf, 'c', 10);
    crypto_hash_sha256 (sent, fx->buf, 10);
    fsh_err_t code = FSH_ERR_NONE;
    sink_t *sink = sink_new (fx->downloads, "l.txt", "alice", "l.txt", NULL, &code, &error);
    assert_non_null (sink);
    assert_int_equal (sink_start (sink, 10, 5, 0, &error), 0);
    assert_true (sink_started (sink));
    assert_int_equal (sink_mtime (sink), 5);
    assert_int_equal (sink_learn_digest (sink, published), 0);
    assert_int_equal (sink_learn_digest (sink, published), 0);
    assert_int_equal (sink_learn_digest (sink, sent), -1);
    int fd = open (sink_part (sink), O_RDONLY);
    assert_true (fd >= 0);
    partrecord_t record;
    assert_int_equal (partrecord_read (fd, &record), 0);
    close (fd);
    assert_true (record.has_sha256);
    assert_memory_equal (record.sha256, published, 32);
    assert_int_equal (sink_write (sink, 0, fx->buf, 10, &error), 0);
    assert_int_equal (sink_finish (sink, sent, 32, &error), -1);
    assert_int_equal (sink_code (sink), FSH_ERR_CORRUPTED);
    assert_string_equal (error, "file corrupted in transit: not the content that was published");
    zstr_free (&error);
    sink_destroy (&sink);
    assert_int_equal (fixture_count_entries (fx->downloads), 0);
}

//  The saved file's mode bits, from the owner's `mode` under `mask`.
static mode_t
s_saved_mode (fixture_ends_t *fx, const char *name, uint32_t mode, mode_t mask)
{
    char *error = NULL;
    uint8_t sha [32];
    memset (fx->buf, 'm', 10);
    crypto_hash_sha256 (sha, fx->buf, 10);
    mode_t old = umask (mask);
    sink_t *sink = fixture_ends_sink (fx, name, name);
    assert_int_equal (sink_start (sink, 10, 5, 0, &error), 0);
    sink_set_mode (sink, mode);
    assert_int_equal (sink_write (sink, 0, fx->buf, 10, &error), 0);
    assert_int_equal (sink_finish (sink, sha, 32, &error), 0);
    umask (old);
    struct stat st;
    assert_int_equal (stat (sink_saved (sink), &st), 0);
    sink_destroy (&sink);
    return st.st_mode & 07777;
}

//  Executable bits are copied where reading is allowed, under our umask;
//  set-id and sticky bits never.
static void
test_saved_mode (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    assert_int_equal (s_saved_mode (fx, "a", 0755, 022), 0755);
    assert_int_equal (s_saved_mode (fx, "b", 0644, 022), 0644);
    assert_int_equal (s_saved_mode (fx, "c", 06755, 022), 0755);
    assert_int_equal (s_saved_mode (fx, "d", 01777, 0), 0777);
    assert_int_equal (s_saved_mode (fx, "e", 0755, 077), 0700);
    assert_int_equal (s_saved_mode (fx, "f", 0700, 0), 0766);
    assert_int_equal (s_saved_mode (fx, "g", 0755, 027), 0750);
}

//  Pages of [from, from + length) of the file at `path` in the page cache.
static size_t
s_resident (const char *path, size_t from, size_t length)
{
    int fd = open (path, O_RDONLY);
    assert_true (fd >= 0);
    void *map = mmap (NULL, from + length, PROT_READ, MAP_SHARED, fd, 0);
    assert_true (map != MAP_FAILED);
    size_t page = (size_t) sysconf (_SC_PAGESIZE), pages = length / page, count = 0;
    unsigned char *vec = (unsigned char *) malloc (pages);
    assert_int_equal (mincore ((char *) map + from, length, vec), 0);
    for (size_t i = 0; i < pages; i++)
        count += vec [i] & 1;
    free (vec);
    munmap (map, from + length);
    close (fd);
    return count;
}

//  A big download does not keep itself in the page cache: what lies more
//  than a few stretches behind is on the disk and out of the cache. The
//  directory is in the build tree, on a disk: in a RAM file system (/tmp
//  may be one) the file is the cache and nothing can be dropped.
static void
test_drop_behind (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char dir [] = "fshare-test-sink-XXXXXX";
    assert_non_null (mkdtemp (dir));
    struct statfs fs;
    assert_int_equal (statfs (dir, &fs), 0);
    if (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC)
        fail_msg ("the build tree is in a RAM file system: drop-behind cannot be seen");
    const size_t size = 64 * 1024 * 1024, stretch = 8 * 1024 * 1024;
    char *error = NULL;
    sink_t *sink = sink_new (dir, "big.bin", "alice", "big.bin", NULL,
                             &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_non_null (sink);
    assert_int_equal (sink_start (sink, size, 1, 0, &error), 0);
    memset (fx->buf, 'b', CHUNK);
    for (size_t offset = 0; offset < size - CHUNK; offset += CHUNK)
        assert_int_equal (sink_write (sink, offset, fx->buf, CHUNK, &error), 0);
    //  The last stretch was just written: if mincore cannot see it, this
    //  file system tells nothing and the test must not pass
    size_t page = (size_t) sysconf (_SC_PAGESIZE);
    assert_true (s_resident (sink_part (sink), size - 2 * stretch, stretch) > stretch / page / 2);
    assert_int_equal (s_resident (sink_part (sink), 0, 2 * stretch), 0);
    sink_destroy (&sink);
    fixture_rm_rf (dir);
}

//  sync_file_range as the kernel has it, or failing with s_sync_errno:
//  every call when s_sync_all, else only those that wait for the
//  writeback (the ones that report, and so consume, a write error)
static int s_sync_errno = 0;
static bool s_sync_all = false;
static size_t s_sync_calls = 0;     //  every call, failed or not

int
sync_file_range (int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
    s_sync_calls++;
    if (s_sync_errno && (s_sync_all || (flags & SYNC_FILE_RANGE_WAIT_AFTER))) {
        errno = s_sync_errno;
        return -1;
    }
    return (int) syscall (SYS_sync_file_range, fd, offset, nbytes, flags);
}

//  Writes `size` bytes of 'w' to a new sink, then finishes it: 0 when
//  the file was saved; else -1, with the sink's error in *error
static int
s_download_big (fixture_ends_t *fx, size_t size, char **error)
{
    sink_t *sink = sink_new (fx->downloads, "big.bin", "alice", "big.bin", NULL,
                             &(fsh_err_t) { FSH_ERR_NONE }, error);
    assert_non_null (sink);
    assert_int_equal (sink_start (sink, size, 1, 0, error), 0);
    memset (fx->buf, 'w', CHUNK);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    int rc = 0;
    for (size_t offset = 0; offset < size && rc == 0; offset += CHUNK) {
        rc = sink_write (sink, offset, fx->buf, CHUNK, error);
        crypto_hash_sha256_update (&state, fx->buf, CHUNK);
    }
    uint8_t digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&state, digest);
    if (rc == 0)
        rc = sink_finish (sink, digest, sizeof digest, error);
    sink_destroy (&sink);
    return rc;
}

//  A write error that sync_file_range reports while it waits is taken
//  from the file: the fsync before the rename would not see it again, so
//  the sink must fail the download there, not save a file the disk lost
//  part of. A file system without sync_file_range is no error, and nor is
//  ENOMEM (memory pressure, not a write error: the pages stay dirty for
//  the final fsync to write and check), after which the sink stops
//  dropping behind for that file.
static void
test_writeback_errors (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    const size_t size = 48 * 1024 * 1024;
    char *error = NULL;
    s_sync_errno = EIO;
    s_sync_all = false;
    assert_int_equal (s_download_big (fx, size, &error), -1);
    assert_non_null (strstr (error, strerror (EIO)));
    zstr_free (&error);
    char *saved = zsys_sprintf ("%s/big.bin", fx->downloads);
    assert_int_equal (access (saved, F_OK), -1);
    //  Nor is the partial file kept for a resume: what the disk holds of it is unknown
    DIR *dir = opendir (fx->downloads);
    assert_non_null (dir);
    for (struct dirent *entry = readdir (dir); entry; entry = readdir (dir))
        assert_true (streq (entry->d_name, ".") || streq (entry->d_name, ".."));
    closedir (dir);

    s_sync_errno = ENOSYS;
    s_sync_all = true;
    assert_int_equal (s_download_big (fx, size, &error), 0);
    assert_null (error);
    assert_int_equal (access (saved, F_OK), 0);
    assert_int_equal (unlink (saved), 0);

    //  ENOMEM while waiting: saved, and no further call once it was seen
    s_sync_errno = ENOMEM;
    s_sync_all = false;
    s_sync_calls = 0;
    assert_int_equal (s_download_big (fx, size, &error), 0);
    assert_null (error);
    assert_int_equal (access (saved, F_OK), 0);
    //  48 MiB: starts at 8, 16, 24, 32, 40; the first wait at 40 MiB fails
    assert_int_equal (s_sync_calls, 6);
    assert_int_equal (unlink (saved), 0);

    //  ENOMEM from the very first call: saved, after that one call only
    s_sync_all = true;
    s_sync_calls = 0;
    assert_int_equal (s_download_big (fx, size, &error), 0);
    assert_null (error);
    assert_int_equal (access (saved, F_OK), 0);
    assert_int_equal (s_sync_calls, 1);
    zstr_free (&saved);
    s_sync_errno = 0;
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_name_collisions, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_corruption_detected, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_write_failures, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_dir_moved, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_finish_early, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_finish_digest_lengths, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_never_replaces, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_not_published_content, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_learnt_digest, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_saved_mode, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_drop_behind, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_writeback_errors, fixture_ends_setup, fixture_ends_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
