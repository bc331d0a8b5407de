/*  test_fileset.c - the set of published files: put/lookup/remove, change
    kinds, sorted listings and listings under a directory.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fileset.h"
#include <inttypes.h>

static void
test_put_kinds (void **state)
{
    (void) state;
    fileset_t *set = fileset_new ();
    assert_int_equal (fileset_size (set), 0);
    assert_null (fileset_lookup (set, "a.txt"));
    assert_int_equal (fileset_put (set, "a.txt", 10, 1000), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    assert_int_equal (fileset_put (set, "a.txt", 10, 1000), FSHARE__CHANGE_KIND__CHANGE_NONE);
    assert_int_equal (fileset_put (set, "a.txt", 11, 1000), FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    assert_int_equal (fileset_put (set, "a.txt", 11, 1001), FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    assert_int_equal (fileset_put (set, "a.txt", 11, 1001), FSHARE__CHANGE_KIND__CHANGE_NONE);
    assert_int_equal (fileset_size (set), 1);
    const fileset_file_t *file = fileset_lookup (set, "a.txt");
    assert_non_null (file);
    assert_string_equal (file->path, "a.txt");
    assert_int_equal (file->size, 11);
    assert_int_equal (file->mtime, 1001);

    //  The caller's buffer is copied, not kept
    char path [] = "dir/b.txt";
    assert_int_equal (fileset_put (set, path, 0, -5), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    path [0] = 'X';
    file = fileset_lookup (set, "dir/b.txt");
    assert_non_null (file);
    assert_int_equal (file->mtime, -5);
    assert_null (fileset_lookup (set, path));

    assert_true (fileset_remove (set, "a.txt"));
    assert_false (fileset_remove (set, "a.txt"));
    assert_false (fileset_remove (set, "never"));
    assert_null (fileset_lookup (set, "a.txt"));
    assert_int_equal (fileset_size (set), 1);
    //  Back again after removal: added, not changed
    assert_int_equal (fileset_put (set, "a.txt", 11, 1001), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    fileset_destroy (&set);
    assert_null (set);
    fileset_destroy (&set);         //  harmless twice
}

static void
s_assert_listing (zlistx_t *list, const char **expected, size_t count)
{
    assert_int_equal (zlistx_size (list), count);
    const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list);
    for (size_t index = 0; index < count; index++) {
        assert_non_null (file);
        assert_string_equal (file->path, expected [index]);
        file = (const fileset_file_t *) zlistx_next (list);
    }
}

static void
test_sorted_and_under (void **state)
{
    (void) state;
    fileset_t *set = fileset_new ();
    zlistx_t *list = fileset_sorted (set);
    assert_int_equal (zlistx_size (list), 0);
    zlistx_destroy (&list);

    const char *paths [] = {
        "zeta", "a", "ab/z", "a b", "a/x", "a/b/y", "a/b/c/z", "a.txt", "aa/a", "b/a/x"
    };
    for (size_t index = 0; index < sizeof (paths) / sizeof (paths [0]); index++)
        fileset_put (set, paths [index], index, 0);

    const char *sorted [] = {
        "a", "a b", "a.txt", "a/b/c/z", "a/b/y", "a/x", "aa/a", "ab/z", "b/a/x", "zeta"
    };
    list = fileset_sorted (set);
    s_assert_listing (list, sorted, 10);
    zlistx_destroy (&list);

    //  Under "a": "a/..." only, not "a" itself, "a b", "a.txt", "aa/", "ab/"
    const char *under_a [] = { "a/b/c/z", "a/b/y", "a/x" };
    list = fileset_under (set, "a");
    s_assert_listing (list, under_a, 3);
    zlistx_destroy (&list);

    const char *under_ab [] = { "a/b/c/z", "a/b/y" };
    list = fileset_under (set, "a/b");
    s_assert_listing (list, under_ab, 2);
    zlistx_destroy (&list);

    list = fileset_under (set, "a/b/c/z");      //  a file, not a directory
    assert_int_equal (zlistx_size (list), 0);
    zlistx_destroy (&list);
    list = fileset_under (set, "nowhere");
    assert_int_equal (zlistx_size (list), 0);
    zlistx_destroy (&list);

    list = fileset_under (set, "");             //  the whole set
    s_assert_listing (list, sorted, 10);
    zlistx_destroy (&list);

    //  Listings survive removals elsewhere in the list's wake
    list = fileset_under (set, "a");
    const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list);
    while (file) {
        const char *path = file->path;
        file = (const fileset_file_t *) zlistx_next (list);
        assert_true (fileset_remove (set, path));
    }
    zlistx_destroy (&list);
    assert_int_equal (fileset_size (set), 7);
    assert_null (fileset_lookup (set, "a/x"));
    assert_non_null (fileset_lookup (set, "a"));
    fileset_destroy (&set);
}

//  Digests and modes: a published FileInfo carries them, a new version
//  forgets the old digest, and the page/event form points into the entry.
static void
test_digests (void **state)
{
    (void) state;
    fileset_t *set = fileset_new ();
    uint8_t sha [32], other [32];
    memset (sha, 0x11, sizeof sha);
    memset (other, 0x22, sizeof other);
    Fshare__FileInfo info = FSHARE__FILE_INFO__INIT;
    info.path = "a/b.txt";
    info.size = 10;
    info.mtime = 100;
    assert_int_equal (fileset_put_info (set, &info), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    assert_false (fileset_lookup (set, "a/b.txt")->has_sha256);
    assert_int_equal (fileset_put_info (set, &info), FSHARE__CHANGE_KIND__CHANGE_NONE);
    //  The digest becomes known: a change worth an event, once
    info.sha256.data = sha;
    info.sha256.len = sizeof sha;
    info.mode = 0755;
    assert_int_equal (fileset_put_info (set, &info), FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    assert_int_equal (fileset_put_info (set, &info), FSHARE__CHANGE_KIND__CHANGE_NONE);
    const fileset_file_t *file = fileset_lookup (set, "a/b.txt");
    assert_true (file->has_sha256);
    assert_memory_equal (file->sha256, sha, sizeof sha);
    assert_int_equal (file->mode, 0755);
    assert_false (fileset_set_digest (set, "a/b.txt", sha, 0755));
    assert_true (fileset_set_digest (set, "a/b.txt", sha, 0644));
    assert_true (fileset_set_digest (set, "a/b.txt", other, 0644));
    assert_false (fileset_set_digest (set, "missing", other, 0644));
    Fshare__FileInfo out;
    fileset_info (fileset_lookup (set, "a/b.txt"), &out);
    assert_string_equal (out.path, "a/b.txt");
    assert_int_equal (out.size, 10);
    assert_int_equal (out.sha256.len, 32);
    assert_memory_equal (out.sha256.data, other, sizeof other);
    //  Another version by size/mtime: the digest is not known any more
    assert_int_equal (fileset_put (set, "a/b.txt", 11, 100), FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    assert_false (fileset_lookup (set, "a/b.txt")->has_sha256);
    fileset_info (fileset_lookup (set, "a/b.txt"), &out);
    assert_int_equal (out.sha256.len, 0);
    //  Iteration sees every entry once
    fileset_put (set, "c", 1, 1);
    size_t seen = 0;
    for (const fileset_file_t *entry = fileset_first (set); entry; entry = fileset_next (set))
        seen++;
    assert_int_equal (seen, 2);
    fileset_destroy (&set);
}

static void
test_many (void **state)
{
    (void) state;
    fileset_t *set = fileset_new ();
    const int count = 50000;
    //  Inserted in a scrambled order
    for (int index = 0; index < count; index++) {
        char path [32];
        int value = (int) (((long) index * 7919) % count);
        snprintf (path, sizeof path, "d%02d/f%06d", value % 50, value);
        assert_int_equal (fileset_put (set, path, (uint64_t) value, value),
                          FSHARE__CHANGE_KIND__CHANGE_ADDED);
    }
    assert_int_equal (fileset_size (set), count);
    //  Sorted, whatever the time it takes (fshare-bench measures speed)
    zlistx_t *list = fileset_sorted (set);
    assert_int_equal (zlistx_size (list), count);
    const fileset_file_t *previous = NULL;
    const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list);
    while (file) {
        if (previous)
            assert_true (strcmp (previous->path, file->path) < 0);
        previous = file;
        file = (const fileset_file_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
    list = fileset_under (set, "d07");
    assert_int_equal (zlistx_size (list), count / 50);
    zlistx_destroy (&list);
    fileset_destroy (&set);
}

//  Put with a stat: nanoseconds and the inode count as changes; every
//  name of an inode is found, and forgotten as names go.
static void
test_stat_and_links (void **state)
{
    (void) state;
    fileset_t *set = fileset_new ();
    struct stat st;
    memset (&st, 0, sizeof st);
    st.st_size = 5;
    st.st_mtim.tv_sec = 1000;
    st.st_mtim.tv_nsec = 1;
    st.st_dev = 7;
    st.st_ino = 42;
    assert_int_equal (fileset_put_stat (set, "a", &st), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    assert_int_equal (fileset_put_stat (set, "a", &st), FSHARE__CHANGE_KIND__CHANGE_NONE);
    st.st_mtim.tv_nsec = 2;         //  rewritten within the same second
    assert_int_equal (fileset_put_stat (set, "a", &st), FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    assert_int_equal (fileset_lookup (set, "a")->mtime, 1000);
    assert_int_equal (fileset_lookup (set, "a")->mtime_ns, 2);
    assert_int_equal (fileset_put_stat (set, "b", &st), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    assert_int_equal (fileset_put_stat (set, "c", &st), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    zlistx_t *links = fileset_links (set, 7, 42);
    assert_int_equal (zlistx_size (links), 3);
    zlistx_destroy (&links);
    links = fileset_links (set, 8, 42);     //  another device
    assert_int_equal (zlistx_size (links), 0);
    zlistx_destroy (&links);
    //  The first name goes, then another is replaced by a new inode
    assert_true (fileset_remove (set, "a"));
    st.st_ino = 43;
    assert_int_equal (fileset_put_stat (set, "c", &st), FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    links = fileset_links (set, 7, 42);
    assert_int_equal (zlistx_size (links), 1);
    assert_string_equal (((fileset_file_t *) zlistx_first (links))->path, "b");
    zlistx_destroy (&links);
    links = fileset_links (set, 7, 43);
    assert_int_equal (zlistx_size (links), 1);
    zlistx_destroy (&links);
    //  Files put without a stat are in no inode's list
    assert_int_equal (fileset_put (set, "d", 1, 1), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    links = fileset_links (set, 0, 0);
    assert_int_equal (zlistx_size (links), 0);
    zlistx_destroy (&links);
    //  A copy of a file keeps every field
    fileset_file_t copy = *fileset_lookup (set, "b");
    copy.path = "e";
    assert_int_equal (fileset_put_file (set, &copy), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    links = fileset_links (set, 7, 42);
    assert_int_equal (zlistx_size (links), 2);
    zlistx_destroy (&links);
    fileset_destroy (&set);
}

//  Removals in any order keep every other path found (the table moves
//  records back into the holes they leave), iteration sees each file
//  once, and the bytes held follow: in both kinds of set.
static void
s_churn (fileset_t *set)
{
    enum { COUNT = 5000 };
    static bool present [COUNT];
    char path [32];
    for (int index = 0; index < COUNT; index++) {
        snprintf (path, sizeof path, "d%02d/f%05d", index % 13, index);
        assert_int_equal (fileset_put (set, path, (uint64_t) index, index),
                          FSHARE__CHANGE_KIND__CHANGE_ADDED);
        present [index] = true;
    }
    size_t full = fileset_memory (set);
    //  Remove 3 in 4, in a scrambled order, checking every path meanwhile
    for (int step = 0; step < COUNT; step++) {
        int value = (int) (((long) step * 7919) % COUNT);
        if (value % 4 == 0)
            continue;
        snprintf (path, sizeof path, "d%02d/f%05d", value % 13, value);
        assert_true (fileset_remove (set, path));
        assert_false (fileset_remove (set, path));
        present [value] = false;
        if (step % 500 == 0)
            for (int index = 0; index < COUNT; index++) {
                snprintf (path, sizeof path, "d%02d/f%05d", index % 13, index);
                const fileset_file_t *file = fileset_lookup (set, path);
                assert_true (present [index] == (file != NULL));
                if (file)
                    assert_int_equal (file->size, (uint64_t) index);
            }
    }
    assert_int_equal (fileset_size (set), COUNT / 4);
    assert_true (fileset_memory (set) < full);
    size_t seen = 0;
    for (const fileset_file_t *file = fileset_first (set); file; file = fileset_next (set)) {
        assert_true (present [file->size]);
        present [file->size] = false;   //  twice would fail here
        seen++;
    }
    assert_int_equal (seen, COUNT / 4);
    for (int index = 0; index < COUNT; index += 4) {
        snprintf (path, sizeof path, "d%02d/f%05d", index % 13, index);
        assert_non_null (fileset_lookup (set, path));
        assert_int_equal (fileset_put (set, path, 1, 1), FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    }
}

static void
test_churn (void **state)
{
    (void) state;
    fileset_t *set = fileset_new ();
    s_churn (set);
    fileset_destroy (&set);
    set = fileset_new_compact ();
    s_churn (set);
    fileset_destroy (&set);
}

//  A compact set keeps what the broker and the views need, nothing of
//  the host directory's, and a file costs its record, path and a slot.
static void
test_compact (void **state)
{
    (void) state;
    fileset_t *set = fileset_new_compact ();
    uint8_t sha [32];
    memset (sha, 0x33, sizeof sha);
    Fshare__FileInfo info = FSHARE__FILE_INFO__INIT;
    info.path = "a/b.txt";
    info.size = 10;
    info.mtime = 100;
    assert_int_equal (fileset_put_info (set, &info), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    info.sha256.data = sha;
    info.sha256.len = sizeof sha;
    info.mode = 0600;
    assert_int_equal (fileset_put_info (set, &info), FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    assert_int_equal (fileset_put_info (set, &info), FSHARE__CHANGE_KIND__CHANGE_NONE);
    const fileset_file_t *file = fileset_lookup (set, "a/b.txt");
    assert_string_equal (file->path, "a/b.txt");
    assert_true (file->has_sha256);
    assert_memory_equal (file->sha256, sha, sizeof sha);
    assert_int_equal (file->mode, 0600);
    //  A stat: only size and mtime count; no inode index
    struct stat st = { .st_size = 5, .st_dev = 7, .st_ino = 42 };
    st.st_mtim.tv_sec = 1000;
    assert_int_equal (fileset_put_stat (set, "s", &st), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    st.st_ino = 43;
    st.st_mtim.tv_nsec = 5;
    assert_int_equal (fileset_put_stat (set, "s", &st), FSHARE__CHANGE_KIND__CHANGE_NONE);
    st.st_size = 6;
    assert_int_equal (fileset_put_stat (set, "s", &st), FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    zlistx_t *links = fileset_links (set, 7, 43);
    assert_int_equal (zlistx_size (links), 0);
    zlistx_destroy (&links);
    //  A digest given with a file is kept, as in a full set
    fileset_file_t with = { .path = "w", .size = 1, .mtime = 2, .has_sha256 = true,
                            .mode = 0644 };
    memcpy (with.sha256, sha, sizeof sha);
    assert_int_equal (fileset_put_file (set, &with), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    assert_true (fileset_lookup (set, "w")->has_sha256);
    assert_int_equal (fileset_lookup (set, "w")->mode, 0644);
    fileset_destroy (&set);

    //  1,000 files of 20-byte paths: a compact record, the path, and
    //  fewer than three slots of the table each (a power of two at most
    //  3/4 full); a full set holds more
    set = fileset_new_compact ();
    fileset_t *full = fileset_new ();
    for (int index = 0; index < 1000; index++) {
        char path [32];
        snprintf (path, sizeof path, "dir%02d/file%010d", index % 10, index);
        assert_int_equal (strlen (path), 20);
        fileset_put (set, path, 1, 1);
        fileset_put (full, path, 1, 1);
    }
    assert_true (fileset_memory (set) <= 1000 * (FILESET_COMPACT_BYTES + 21 + 3 * sizeof (void *)));
    assert_true (fileset_memory (set) + 1000 * 32 <= fileset_memory (full));
    fileset_destroy (&full);
    fileset_destroy (&set);
}

//  FNV-1a folded to a size_t, as a table slot would be chosen by a hash
//  without a key: anyone can compute it offline
static size_t
s_unkeyed_hash (const char *path)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    for (const unsigned char *at = (const unsigned char *) path; *at; at++)
        hash = (hash ^ *at) * 0x100000001b3ull;
    return (size_t) (hash ^ (hash >> 32));
}

//  A hostile peer publishes paths chosen to share their slot in a table
//  whose hash it can compute: with linear probing each insert then steps
//  over every one before it, and n files cost the broker (and every
//  agent's view) n^2 / 2 string comparisons (6,000 paths: 18 million; at
//  the default --max-files a single login holds the broker for minutes).
//  Under the set's own key they probe as ordinary paths do.
static void
test_colliding_paths (void **state)
{
    (void) state;
    const size_t count = 6000, mask = 8192 - 1;  //  the table's size at count
    char **paths = (char **) calloc (count, sizeof (char *));
    size_t found = 0;
    for (uint64_t candidate = 0; found < count; candidate++) {
        char path [32];
        snprintf (path, sizeof path, "docs/%" PRIx64, candidate);
        if ((s_unkeyed_hash (path) & mask) == 0)
            paths [found++] = strdup (path);
    }
    fileset_t *hostile = fileset_new_compact ();
    for (size_t index = 0; index < count; index++)
        fileset_put (hostile, paths [index], 1, 1);
    for (size_t index = 0; index < count; index++)
        assert_non_null (fileset_lookup (hostile, paths [index]));
    assert_int_equal (fileset_size (hostile), count);
    //  12,000 operations in a table at most 3/4 full: a few steps each on
    //  average (about 1.5 expected), where shared slots make it thousands
    uint64_t probes = fileset_probes (hostile);
    if (probes > 10 * 2 * count)
        fail_msg ("%zu colliding paths: %" PRIu64 " slots stepped over", count, probes);
    for (size_t index = 0; index < count; index++)
        free (paths [index]);
    free (paths);
    fileset_destroy (&hostile);
}

//  Times beyond 1677..2262 (touch -d 2300, an archive's 1500) are one
//  number each without a signed overflow (UBSan aborts on one); within,
//  they are nanoseconds since the epoch.
static void
test_time_ns (void **state)
{
    (void) state;
    struct timespec now = { 1700000000, 5 }, far = { 10413792000, 250000000 },
                    past = { -15135609600, 0 }, before = { -1, 999999999 };
    assert_true (fileset_time_ns (&now) == INT64_C (1700000000000000005));
    assert_true (fileset_time_ns (&before) == -1);
    struct timespec far_next = far, past_next = past;
    far_next.tv_nsec++;
    past_next.tv_sec++;
    assert_true (fileset_time_ns (&far) != fileset_time_ns (&far_next));
    assert_true (fileset_time_ns (&past) != fileset_time_ns (&past_next));
    assert_true (fileset_time_ns (&far) != fileset_time_ns (&past));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_put_kinds),
        cmocka_unit_test (test_sorted_and_under),
        cmocka_unit_test (test_digests),
        cmocka_unit_test (test_many),
        cmocka_unit_test (test_stat_and_links),
        cmocka_unit_test (test_churn),
        cmocka_unit_test (test_compact),
        cmocka_unit_test (test_colliding_paths),
        cmocka_unit_test (test_time_ns),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
