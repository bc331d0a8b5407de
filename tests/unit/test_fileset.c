/*  test_fileset.c - the set of published files: put/lookup/remove, change
    kinds, sorted listings and listings under a directory.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fileset.h"

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

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_put_kinds),
        cmocka_unit_test (test_sorted_and_under),
        cmocka_unit_test (test_digests),
        cmocka_unit_test (test_many),
        cmocka_unit_test (test_stat_and_links),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
