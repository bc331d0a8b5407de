/*  test_already.c - "already there" (peer/already.c): the index of known
    digests, keyed by the exact version of a file, and the search of one
    directory for a content: the right file found among files of another
    size, another content, hidden names, links and directories; found
    without reading what the index knows; hashed in steps; a file that
    changes while it is hashed neither found nor remembered.
*/
#include "fixture.h"
#include "already.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sodium.h>

#define SIZE 10000

typedef struct {
    char dir [64];
    uint8_t buf [4096];
} bench_t;

static int
s_setup (void **state)
{
    bench_t *fx = (bench_t *) zmalloc (sizeof (bench_t));
    fixture_tmpdir (fx->dir, sizeof fx->dir, "already");
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    bench_t *fx = (bench_t *) *state;
    fixture_rm_rf (fx->dir);
    free (fx);
    return 0;
}

//  dir/name with `size` bytes made from seed; its digest (libsodium's) in sha.
static void
s_make (bench_t *fx, const char *name, size_t size, uint8_t seed, uint8_t sha [DIGEST_SIZE])
{
    uint8_t *data = (uint8_t *) malloc (size + 1);
    for (size_t i = 0; i < size; i++)
        data [i] = (uint8_t) (seed + i * 7);
    char *path = zsys_sprintf ("%s/%s", fx->dir, name);
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    fclose (file);
    if (sha)
        crypto_hash_sha256 (sha, data, size);
    free (data);
    zstr_free (&path);
}

static void
s_stat (bench_t *fx, const char *name, struct stat *st)
{
    char *path = zsys_sprintf ("%s/%s", fx->dir, name);
    assert_int_equal (stat (path, st), 0);
    zstr_free (&path);
}

//  Steps with a budget until the search ends: its last answer.
static int
s_search (bench_t *fx, already_search_t *search, size_t budget, int *steps)
{
    //  The budget is counted in reads of the buffer: one no larger keeps to it
    size_t buf_size = budget < sizeof fx->buf? budget: sizeof fx->buf;
    int rc = 0, count = 0;
    while ((rc = already_search_step (search, fx->buf, buf_size, budget)) == 0) {
        count++;
        assert_true (count < 100000);
    }
    if (steps)
        *steps = count;
    return rc;
}

//  The index knows exactly the version it was told about.
static void
test_index (void **state)
{
    bench_t *fx = (bench_t *) *state;
    already_t *index = already_new ();
    s_make (fx, "a", 10, 1, NULL);
    struct stat st;
    s_stat (fx, "a", &st);
    uint8_t sha [DIGEST_SIZE], got [DIGEST_SIZE];
    memset (sha, 0x5a, sizeof sha);
    assert_false (already_lookup (index, &st, got));
    already_add (index, &st, sha);
    assert_int_equal (already_size (index), 1);
    memset (got, 0, sizeof got);
    assert_true (already_lookup (index, &st, got));
    assert_memory_equal (got, sha, DIGEST_SIZE);

    //  Each field of the key tells another version
    struct stat other = st;
    other.st_size++;
    assert_false (already_lookup (index, &other, got));
    other = st;
    other.st_mtim.tv_nsec = (other.st_mtim.tv_nsec + 1) % 1000000000;
    assert_false (already_lookup (index, &other, got));
    other = st;
    other.st_ctim.tv_sec++;
    assert_false (already_lookup (index, &other, got));
    other = st;
    other.st_ino++;
    assert_false (already_lookup (index, &other, got));
    other = st;
    other.st_dev++;
    assert_false (already_lookup (index, &other, got));

    //  Told again: replaced, not doubled
    memset (sha, 0xa5, sizeof sha);
    already_add (index, &st, sha);
    assert_int_equal (already_size (index), 1);
    assert_true (already_lookup (index, &st, got));
    assert_memory_equal (got, sha, DIGEST_SIZE);
    already_destroy (&index);
    assert_null (index);
    already_destroy (&index);
}

//  A cache: past its bound it starts afresh, never grows without end.
static void
test_index_bounded (void **state)
{
    bench_t *fx = (bench_t *) *state;
    already_t *index = already_new ();
    s_make (fx, "a", 1, 1, NULL);
    struct stat st;
    s_stat (fx, "a", &st);
    uint8_t sha [DIGEST_SIZE] = { 0 };
    size_t most = 0;
    for (int i = 0; i < 150000; i++) {
        st.st_ino = (ino_t) i + 1;
        already_add (index, &st, sha);
        if (already_size (index) > most)
            most = already_size (index);
    }
    assert_true (most >= 1000);
    assert_true (most <= 100000);
    assert_true (already_size (index) < 150000);
    //  The latest is always known
    assert_true (already_lookup (index, &st, sha));
    already_destroy (&index);
}

//  The file of that content is found among every kind of decoy; the
//  index then knows each candidate it read.
static void
test_search_finds (void **state)
{
    bench_t *fx = (bench_t *) *state;
    uint8_t sha [DIGEST_SIZE];
    s_make (fx, "wanted.bin", SIZE, 42, sha);
    s_make (fx, "other.bin", SIZE, 43, NULL);           //  same size, another content
    s_make (fx, "short.bin", SIZE - 1, 42, NULL);       //  a prefix of it
    s_make (fx, "long.bin", SIZE + 1, 42, NULL);
    s_make (fx, ".wanted.bin.fshare-part", SIZE, 42, NULL);     //  hidden: never
    char *sub = zsys_sprintf ("%s/sub", fx->dir);
    assert_int_equal (mkdir (sub, 0755), 0);
    zstr_free (&sub);

    already_t *index = already_new ();
    already_search_t *search = already_search_new (index, fx->dir, SIZE, sha);
    assert_null (already_search_found (search));
    assert_int_equal (s_search (fx, search, 1 << 20, NULL), 1);
    char *want = zsys_sprintf ("%s/wanted.bin", fx->dir);
    assert_string_equal (already_search_found (search), want);
    //  Found stays found
    assert_int_equal (already_search_step (search, fx->buf, sizeof fx->buf, 1), 1);
    already_search_destroy (&search);
    assert_null (search);
    //  Only files of the right size were read, and are known now
    struct stat st;
    uint8_t got [DIGEST_SIZE];
    s_stat (fx, "wanted.bin", &st);
    assert_true (already_lookup (index, &st, got));
    assert_memory_equal (got, sha, DIGEST_SIZE);
    s_stat (fx, "short.bin", &st);
    assert_false (already_lookup (index, &st, got));
    s_stat (fx, ".wanted.bin.fshare-part", &st);
    assert_false (already_lookup (index, &st, got));

    //  Searched again: the index answers, without reading (a budget of
    //  one byte would need ten thousand steps to hash it)
    search = already_search_new (index, fx->dir, SIZE, sha);
    assert_int_equal (already_search_step (search, fx->buf, sizeof fx->buf, 1), 1);
    assert_string_equal (already_search_found (search), want);
    already_search_destroy (&search);
    zstr_free (&want);
    already_destroy (&index);
}

//  Not there: -1, whatever is in the way; a missing directory too.
static void
test_search_not_there (void **state)
{
    bench_t *fx = (bench_t *) *state;
    uint8_t sha [DIGEST_SIZE];
    s_make (fx, "other.bin", SIZE, 43, NULL);
    //  Longer, and its first SIZE bytes are the content: not it
    s_make (fx, "longer.bin", SIZE + 100, 42, NULL);
    s_make (fx, ".hidden.bin", SIZE, 42, sha);
    //  A link to the content, outside the directory: never followed
    char *outside = zsys_sprintf ("%s-outside", fx->dir);
    FILE *file = fopen (outside, "wb");
    for (size_t i = 0; i < SIZE; i++)
        fputc ((uint8_t) (42 + i * 7), file);
    fclose (file);
    char *link = zsys_sprintf ("%s/link.bin", fx->dir);
    assert_int_equal (symlink (outside, link), 0);
    //  A FIFO of that name: not opened for reading (it would block)
    char *fifo = zsys_sprintf ("%s/fifo", fx->dir);
    assert_int_equal (mkfifo (fifo, 0600), 0);

    already_t *index = already_new ();
    already_search_t *search = already_search_new (index, fx->dir, SIZE, sha);
    assert_int_equal (s_search (fx, search, 1 << 20, NULL), -1);
    assert_null (already_search_found (search));
    already_search_destroy (&search);
    //  ...nor remembered under that prefix's digest
    struct stat st;
    s_stat (fx, "longer.bin", &st);
    uint8_t known [DIGEST_SIZE];
    assert_false (already_lookup (index, &st, known) && memcmp (known, sha, DIGEST_SIZE) == 0);

    search = already_search_new (index, "/nonexistent/fshare/downloads", SIZE, sha);
    assert_int_equal (already_search_step (search, fx->buf, sizeof fx->buf, 1 << 20), -1);
    already_search_destroy (&search);

    //  Nothing of size 0 here either
    search = already_search_new (index, fx->dir, 0, sha);
    assert_int_equal (s_search (fx, search, 1 << 20, NULL), -1);
    already_search_destroy (&search);
    already_destroy (&index);
    unlink (outside);
    zstr_free (&fifo);
    zstr_free (&link);
    zstr_free (&outside);
}

//  What the index knows is held against the whole digest: one that
//  differs in its last byte only is another content.
static void
test_search_whole_digest (void **state)
{
    bench_t *fx = (bench_t *) *state;
    uint8_t sha [DIGEST_SIZE];
    s_make (fx, "near.bin", SIZE, 42, sha);
    struct stat st;
    s_stat (fx, "near.bin", &st);
    already_t *index = already_new ();
    uint8_t near [DIGEST_SIZE];
    memcpy (near, sha, DIGEST_SIZE);
    near [DIGEST_SIZE - 1] ^= 1;
    already_add (index, &st, near);
    already_search_t *search = already_search_new (index, fx->dir, SIZE, sha);
    assert_int_equal (s_search (fx, search, 1 << 20, NULL), -1);
    already_search_destroy (&search);
    already_destroy (&index);
}

//  Hashed in steps of the budget; and a search given up half way is
//  destroyed cleanly.
static void
test_search_steps (void **state)
{
    bench_t *fx = (bench_t *) *state;
    uint8_t sha [DIGEST_SIZE];
    s_make (fx, "wanted.bin", SIZE, 42, sha);
    already_t *index = already_new ();
    already_search_t *search = already_search_new (index, fx->dir, SIZE, sha);
    int steps = 0;
    assert_int_equal (s_search (fx, search, 1000, &steps), 1);
    //  10,000 bytes at 1,000 a step: ten steps, the last one answers
    assert_int_equal (steps, 9);
    already_search_destroy (&search);

    already_t *fresh = already_new ();
    search = already_search_new (fresh, fx->dir, SIZE, sha);
    assert_int_equal (already_search_step (search, fx->buf, 100, 100), 0);
    already_search_destroy (&search);
    assert_int_equal (already_size (fresh), 0);
    already_destroy (&fresh);
    already_destroy (&index);
}

//  A candidate that changes while it is hashed is not it, and is not
//  remembered (its digest would name a version nobody read).
static void
test_search_changed (void **state)
{
    bench_t *fx = (bench_t *) *state;
    uint8_t sha [DIGEST_SIZE];
    s_make (fx, "wanted.bin", SIZE, 42, sha);
    already_t *index = already_new ();
    already_search_t *search = already_search_new (index, fx->dir, SIZE, sha);
    assert_int_equal (already_search_step (search, fx->buf, 1000, 1000), 0);
    //  Touched under the search: the same bytes, another mtime
    char *path = zsys_sprintf ("%s/wanted.bin", fx->dir);
    struct timespec times [2] = { { 0, UTIME_OMIT }, { 1500000000, 0 } };
    assert_int_equal (utimensat (AT_FDCWD, path, times, 0), 0);
    assert_int_equal (s_search (fx, search, 1000, NULL), -1);
    already_search_destroy (&search);
    assert_int_equal (already_size (index), 0);

    //  Unchanged from now on: found
    search = already_search_new (index, fx->dir, SIZE, sha);
    assert_int_equal (s_search (fx, search, 1000, NULL), 1);
    already_search_destroy (&search);
    assert_int_equal (already_size (index), 1);
    zstr_free (&path);
    already_destroy (&index);
}

//  Touched under the search within the same second (another nanosecond
//  of mtime, the same bytes): changed as well.
static void
test_search_changed_nsec (void **state)
{
    bench_t *fx = (bench_t *) *state;
    uint8_t sha [DIGEST_SIZE];
    s_make (fx, "wanted.bin", SIZE, 42, sha);
    char *path = zsys_sprintf ("%s/wanted.bin", fx->dir);
    struct timespec times [2] = { { 0, UTIME_OMIT }, { 1500000000, 5000 } };
    assert_int_equal (utimensat (AT_FDCWD, path, times, 0), 0);
    already_t *index = already_new ();
    already_search_t *search = already_search_new (index, fx->dir, SIZE, sha);
    assert_int_equal (already_search_step (search, fx->buf, 1000, 1000), 0);
    times [1].tv_nsec = 6000;
    assert_int_equal (utimensat (AT_FDCWD, path, times, 0), 0);
    assert_int_equal (s_search (fx, search, 1000, NULL), -1);
    already_search_destroy (&search);
    assert_int_equal (already_size (index), 0);
    zstr_free (&path);
    already_destroy (&index);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_index, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_index_bounded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_search_finds, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_search_not_there, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_search_whole_digest, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_search_steps, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_search_changed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_search_changed_nsec, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
