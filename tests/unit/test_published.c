/*  test_published.c - what the host directory publishes and the changes
    that keep it true (peer/published.c), with made-up stats: a put is
    added, changed or nothing; every name of a hard-linked inode changes
    with it; a path that may be gone waits for the settle window (or goes
    at once without one); renames of files and directories keep digests
    and drop what became too deep; exchanges of files and directories; a
    rescan's replacement; and a NULL change list for the start-up scan.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "published.h"
#include <sys/stat.h>

//  A stat as the host directory would see it.
static struct stat
s_st (uint64_t size, int64_t mtime, uint64_t ino, nlink_t nlink)
{
    struct stat st;
    memset (&st, 0, sizeof st);
    st.st_mode = S_IFREG | 0644;
    st.st_size = (off_t) size;
    st.st_mtim.tv_sec = (time_t) mtime;
    st.st_mtim.tv_nsec = 500;
    st.st_dev = 7;
    st.st_ino = (ino_t) ino;
    st.st_nlink = nlink;
    return st;
}

static zlistx_t *
s_changes (void)
{
    zlistx_t *changes = zlistx_new ();
    zlistx_set_destructor (changes, (zlistx_destructor_fn *) hostdir_change_destroy);
    return changes;
}

//  The next change is this one (from NULL: not a rename); it is taken.
static void
s_expect (zlistx_t *changes, Fshare__ChangeKind kind, const char *path, const char *from,
          uint64_t size)
{
    hostdir_change_t *change = (hostdir_change_t *) zlistx_detach (changes, NULL);
    assert_non_null (change);
    assert_int_equal (change->kind, kind);
    assert_string_equal (change->path, path);
    if (from) {
        assert_non_null (change->from);
        assert_string_equal (change->from, from);
    }
    else
        assert_null (change->from);
    assert_int_equal (change->size, size);
    hostdir_change_destroy (&change);
    assert_null (change);
}

static void
s_expect_none (zlistx_t *changes)
{
    assert_int_equal (zlistx_size (changes), 0);
}

#define ADDED   FSHARE__CHANGE_KIND__CHANGE_ADDED
#define CHANGED FSHARE__CHANGE_KIND__CHANGE_CHANGED
#define REMOVED FSHARE__CHANGE_KIND__CHANGE_REMOVED
#define RENAMED FSHARE__CHANGE_KIND__CHANGE_RENAMED

static void
test_put_and_remove (void **state)
{
    (void) state;
    published_t *published = published_new (0);
    fileset_t *files = published_files (published);
    zlistx_t *changes = s_changes ();
    struct stat st = s_st (10, 1000, 1, 1);
    published_put (published, "a.txt", &st, changes);
    s_expect (changes, ADDED, "a.txt", NULL, 10);
    //  The same again: nothing
    published_put (published, "a.txt", &st, changes);
    s_expect_none (changes);
    //  Any of size, mtime, its nanoseconds, the inode: changed
    st.st_size = 11;
    published_put (published, "a.txt", &st, changes);
    s_expect (changes, CHANGED, "a.txt", NULL, 11);
    st.st_mtim.tv_nsec++;
    published_put (published, "a.txt", &st, changes);
    s_expect (changes, CHANGED, "a.txt", NULL, 11);
    st.st_ino = 2;
    published_put (published, "a.txt", &st, changes);
    s_expect (changes, CHANGED, "a.txt", NULL, 11);
    const fileset_file_t *file = fileset_lookup (files, "a.txt");
    assert_non_null (file);
    assert_int_equal (file->ino, 2);
    assert_int_equal (file->mtime, 1000);

    published_remove (published, "a.txt", changes);
    s_expect (changes, REMOVED, "a.txt", NULL, 11);
    assert_null (fileset_lookup (files, "a.txt"));
    //  Not published: nothing
    published_remove (published, "a.txt", changes);
    published_remove (published, "never", changes);
    s_expect_none (changes);

    //  Under a directory, and nothing beside it
    struct stat other = s_st (1, 1, 10, 1);
    published_put (published, "d/x", &other, NULL);
    published_put (published, "d/sub/y", &other, NULL);
    published_put (published, "dd/z", &other, NULL);
    published_remove_under (published, "d", changes);
    assert_int_equal (zlistx_size (changes), 2);
    assert_int_equal (fileset_size (files), 1);
    assert_non_null (fileset_lookup (files, "dd/z"));
    zlistx_destroy (&changes);
    published_destroy (&published);
    assert_null (published);
}

//  A write through one name of a hard-linked inode is seen at that name
//  only: every other name changes with it.
static void
test_hard_links (void **state)
{
    (void) state;
    published_t *published = published_new (0);
    zlistx_t *changes = s_changes ();
    struct stat st = s_st (5, 100, 42, 3);
    published_put (published, "one", &st, changes);
    published_put (published, "two", &st, changes);
    published_put (published, "three", &st, changes);
    assert_int_equal (zlistx_size (changes), 3);
    zlistx_purge (changes);
    st.st_size = 6;
    published_put (published, "two", &st, changes);
    s_expect (changes, CHANGED, "two", NULL, 6);
    assert_int_equal (zlistx_size (changes), 2);
    while (zlistx_size (changes)) {
        hostdir_change_t *change = (hostdir_change_t *) zlistx_detach (changes, NULL);
        assert_int_equal (change->kind, CHANGED);
        assert_true (streq (change->path, "one") || streq (change->path, "three"));
        assert_int_equal (change->size, 6);
        hostdir_change_destroy (&change);
    }
    //  A single link (nlink 1) changes only itself
    struct stat lone = s_st (1, 1, 43, 1);
    published_put (published, "lone", &lone, NULL);
    lone.st_size = 2;
    published_put (published, "lone", &lone, changes);
    assert_int_equal (zlistx_size (changes), 1);
    zlistx_destroy (&changes);
    published_destroy (&published);
}

//  A path that may be gone waits for the settle window; a put in the
//  meantime keeps it; without a window it goes at once.
static void
test_hold (void **state)
{
    (void) state;
    published_t *published = published_new (100);
    settle_t *settle = published_settle (published);
    zlistx_t *changes = s_changes ();
    struct stat st = s_st (1, 1, 1, 1);
    published_put (published, "a", &st, NULL);
    published_put (published, "d/b", &st, NULL);
    published_put (published, "d/c", &st, NULL);
    published_hold (published, "a", changes);
    published_hold (published, "unknown", changes);
    s_expect_none (changes);
    assert_true (settle_has (settle, "a"));
    assert_false (settle_has (settle, "unknown"));
    assert_non_null (fileset_lookup (published_files (published), "a"));
    //  Back before the window ends: no longer waiting, nothing reported
    published_put (published, "a", &st, changes);
    s_expect_none (changes);
    assert_false (settle_has (settle, "a"));
    published_hold_under (published, "d", changes);
    assert_true (settle_has (settle, "d/b"));
    assert_true (settle_has (settle, "d/c"));
    //  Removed for sure: no longer waiting either
    published_remove (published, "d/b", changes);
    s_expect (changes, REMOVED, "d/b", NULL, 1);
    assert_false (settle_has (settle, "d/b"));
    published_destroy (&published);

    published = published_new (0);
    published_put (published, "a", &st, NULL);
    published_put (published, "d/b", &st, NULL);
    published_put (published, "d/c", &st, NULL);
    published_hold (published, "a", changes);
    s_expect (changes, REMOVED, "a", NULL, 1);
    published_hold_under (published, "d", changes);
    assert_int_equal (zlistx_size (changes), 2);
    assert_int_equal (fileset_size (published_files (published)), 0);
    zlistx_destroy (&changes);
    published_destroy (&published);
}

//  A rename keeps the file's digest; its fresh stat is taken when there
//  is one; an unpublished file is no rename.
static void
test_rename (void **state)
{
    (void) state;
    published_t *published = published_new (100);
    fileset_t *files = published_files (published);
    zlistx_t *changes = s_changes ();
    struct stat st = s_st (3, 30, 5, 1);
    published_put (published, "old", &st, NULL);
    uint8_t sha [32];
    memset (sha, 0x11, sizeof sha);
    assert_true (fileset_set_digest (files, "old", sha, 0644));
    published_hold (published, "old", NULL);

    struct stat fresh = s_st (3, 30, 5, 1);
    fresh.st_ctim.tv_sec = 99;
    assert_true (published_rename (published, "old", "new", &fresh, changes));
    s_expect (changes, RENAMED, "new", "old", 3);
    assert_null (fileset_lookup (files, "old"));
    const fileset_file_t *file = fileset_lookup (files, "new");
    assert_non_null (file);
    assert_true (file->has_sha256);
    assert_memory_equal (file->sha256, sha, 32);
    assert_false (settle_has (published_settle (published), "old"));

    //  Without a stat: moved as it was
    assert_true (published_rename (published, "new", "newer", NULL, changes));
    s_expect (changes, RENAMED, "newer", "new", 3);
    assert_int_equal (fileset_lookup (files, "newer")->ino, 5);
    //  Nothing at from: false, nothing done
    assert_false (published_rename (published, "ghost", "x", &st, changes));
    s_expect_none (changes);
    assert_null (fileset_lookup (files, "x"));
    zlistx_destroy (&changes);
    published_destroy (&published);
}

//  Every file below a renamed directory is renamed; one that would be
//  deeper than the protocol allows is removed; settle entries move too.
static void
test_rename_dir (void **state)
{
    (void) state;
    published_t *published = published_new (100);
    fileset_t *files = published_files (published);
    zlistx_t *changes = s_changes ();
    struct stat st = s_st (1, 1, 1, 1);
    published_put (published, "d/a", &st, NULL);
    published_put (published, "d/s/b", &st, NULL);
    published_put (published, "dd/c", &st, NULL);
    published_hold (published, "d/a", NULL);
    published_rename_dir (published, "d", "e/f", changes);
    assert_int_equal (zlistx_size (changes), 2);
    zlistx_purge (changes);
    assert_non_null (fileset_lookup (files, "e/f/a"));
    assert_non_null (fileset_lookup (files, "e/f/s/b"));
    assert_non_null (fileset_lookup (files, "dd/c"));
    assert_null (fileset_lookup (files, "d/a"));
    assert_true (settle_has (published_settle (published), "e/f/a"));

    //  Moved under a path so deep that the files below go past the limit
    char deep [FSH_DEPTH_MAX * 2 + 1] = "";
    for (int i = 0; i < FSH_DEPTH_MAX - 1; i++)
        strcat (deep, i? "/x": "x");
    published_rename_dir (published, "e/f", deep, changes);
    //  e/f/a is at depth 64 there (allowed), e/f/s/b at 65 (not)
    assert_int_equal (zlistx_size (changes), 2);
    hostdir_change_t *first = (hostdir_change_t *) zlistx_first (changes);
    hostdir_change_t *second = (hostdir_change_t *) zlistx_next (changes);
    hostdir_change_t *removed = first->kind == REMOVED? first: second;
    hostdir_change_t *renamed = first->kind == REMOVED? second: first;
    assert_int_equal (removed->kind, REMOVED);
    assert_string_equal (removed->path, "e/f/s/b");
    assert_int_equal (renamed->kind, RENAMED);
    assert_string_equal (renamed->from, "e/f/a");
    assert_int_equal (fileset_size (files), 2);
    zlistx_destroy (&changes);
    published_destroy (&published);
}

//  Two files swapped: b takes a's file by a rename, then a is b's file
//  anew; nothing unless both were published.
static void
test_exchange (void **state)
{
    (void) state;
    published_t *published = published_new (0);
    fileset_t *files = published_files (published);
    zlistx_t *changes = s_changes ();
    struct stat st_a = s_st (1, 10, 100, 1), st_b = s_st (2, 20, 200, 1);
    published_put (published, "a", &st_a, NULL);
    published_put (published, "b", &st_b, NULL);
    uint8_t sha [32];
    memset (sha, 0xaa, sizeof sha);
    fileset_set_digest (files, "a", sha, 0600);
    //  On disk now: a holds b's inode and b holds a's
    assert_true (published_exchange (published, "a", "b", &st_b, &st_a, changes));
    s_expect (changes, RENAMED, "b", "a", 1);
    s_expect (changes, ADDED, "a", NULL, 2);
    const fileset_file_t *at_b = fileset_lookup (files, "b");
    assert_int_equal (at_b->ino, 100);
    assert_true (at_b->has_sha256);
    assert_int_equal (fileset_lookup (files, "a")->ino, 200);
    assert_false (fileset_lookup (files, "a")->has_sha256);

    assert_false (published_exchange (published, "a", "c", &st_a, &st_b, changes));
    assert_false (published_exchange (published, "c", "a", &st_a, &st_b, changes));
    s_expect_none (changes);
    assert_int_equal (fileset_lookup (files, "a")->ino, 200);
    zlistx_destroy (&changes);
    published_destroy (&published);
}

//  Two directories swapped: a name on one side only is renamed, a name
//  on both sides changes in place.
static void
test_exchange_dir (void **state)
{
    (void) state;
    published_t *published = published_new (0);
    fileset_t *files = published_files (published);
    zlistx_t *changes = s_changes ();
    struct stat st_a = s_st (1, 1, 1, 1), st_both_p = s_st (2, 2, 2, 1),
                st_both_q = s_st (3, 3, 3, 1), st_q = s_st (4, 4, 4, 1);
    published_put (published, "p/only", &st_a, NULL);
    published_put (published, "p/both", &st_both_p, NULL);
    published_put (published, "q/both", &st_both_q, NULL);
    published_put (published, "q/sub/only", &st_q, NULL);
    published_put (published, "pq/x", &st_a, NULL);
    published_exchange_dir (published, "p", "q", changes);
    assert_int_equal (fileset_lookup (files, "q/only")->ino, 1);
    assert_int_equal (fileset_lookup (files, "q/both")->ino, 2);
    assert_int_equal (fileset_lookup (files, "p/both")->ino, 3);
    assert_int_equal (fileset_lookup (files, "p/sub/only")->ino, 4);
    assert_null (fileset_lookup (files, "p/only"));
    assert_null (fileset_lookup (files, "q/sub/only"));
    assert_non_null (fileset_lookup (files, "pq/x"));
    assert_int_equal (fileset_size (files), 5);
    //  In path order: p/both, p/sub/only, q/both, q/only
    s_expect (changes, CHANGED, "p/both", NULL, 3);
    s_expect (changes, RENAMED, "p/sub/only", "q/sub/only", 4);
    s_expect (changes, CHANGED, "q/both", NULL, 2);
    s_expect (changes, RENAMED, "q/only", "p/only", 1);
    s_expect_none (changes);
    zlistx_destroy (&changes);
    published_destroy (&published);
}

//  A rescan's walk replaces the set: gone removed, new added, changed
//  changed, the same nothing.
static void
test_replace (void **state)
{
    (void) state;
    published_t *published = published_new (0);
    zlistx_t *changes = s_changes ();
    struct stat st = s_st (1, 1, 1, 1), st2 = s_st (2, 2, 2, 1);
    published_put (published, "same", &st, NULL);
    published_put (published, "gone", &st, NULL);
    published_put (published, "changed", &st, NULL);
    fileset_t *fresh = fileset_new ();
    fileset_put_stat (fresh, "same", &st);
    fileset_put_stat (fresh, "changed", &st2);
    fileset_put_stat (fresh, "new", &st2);
    published_replace (published, fresh, changes);
    s_expect (changes, REMOVED, "gone", NULL, 1);
    s_expect (changes, CHANGED, "changed", NULL, 2);
    s_expect (changes, ADDED, "new", NULL, 2);
    s_expect_none (changes);
    assert_int_equal (fileset_size (published_files (published)), 3);
    fileset_destroy (&fresh);
    zlistx_destroy (&changes);
    published_destroy (&published);
}

//  A rescan that finds a published file at a new name, its old name gone
//  from the walk (the same inode, size and mtime to the nanosecond), saw
//  a rename (made while no watch saw it: a full watch table, a queue
//  overflow): one rename, never a removal and a second file. A name of a
//  hard link counts on its own; an inode reused for other content, or a
//  file changed as it moved, is removed and added.
static void
test_replace_renames (void **state)
{
    (void) state;
    published_t *published = published_new (0);
    zlistx_t *changes = s_changes ();
    struct stat a = s_st (1, 1, 10, 1), b = s_st (2, 1, 11, 1), h = s_st (3, 1, 12, 2),
                m = s_st (4, 1, 13, 1), r = s_st (5, 1, 14, 1);
    published_put (published, "a", &a, NULL);
    published_put (published, "d/b", &b, NULL);
    published_put (published, "h1", &h, NULL);
    published_put (published, "h2", &h, NULL);
    published_put (published, "m", &m, NULL);
    published_put (published, "r", &r, NULL);
    fileset_t *fresh = fileset_new ();
    fileset_put_stat (fresh, "x", &a);
    fileset_put_stat (fresh, "d2/b", &b);
    fileset_put_stat (fresh, "h1", &h);
    fileset_put_stat (fresh, "h3", &h);
    m.st_mtim.tv_nsec++;
    fileset_put_stat (fresh, "m2", &m);
    r.st_size = 9;
    fileset_put_stat (fresh, "r2", &r);
    published_replace (published, fresh, changes);
    s_expect (changes, RENAMED, "d2/b", "d/b", 2);
    s_expect (changes, RENAMED, "h3", "h2", 3);
    s_expect (changes, RENAMED, "x", "a", 1);
    s_expect (changes, REMOVED, "m", NULL, 4);
    s_expect (changes, REMOVED, "r", NULL, 5);
    s_expect (changes, ADDED, "m2", NULL, 4);
    s_expect (changes, ADDED, "r2", NULL, 9);
    s_expect_none (changes);
    assert_int_equal (fileset_size (published_files (published)), 6);
    fileset_destroy (&fresh);
    zlistx_destroy (&changes);
    published_destroy (&published);
}

//  Another ctime, the same size and mtime: a digest to check (kind NONE),
//  however little the ctime moved (here one nanosecond within its second)
static void
test_ctime_nanoseconds (void **state)
{
    (void) state;
    published_t *published = published_new (0);
    zlistx_t *changes = s_changes ();
    struct stat st = s_st (10, 100, 1, 1);
    st.st_ctim.tv_sec = 200;
    st.st_ctim.tv_nsec = 1;
    published_put (published, "a.txt", &st, changes);
    s_expect (changes, FSHARE__CHANGE_KIND__CHANGE_ADDED, "a.txt", NULL, 10);
    published_put (published, "a.txt", &st, changes);
    assert_int_equal (zlistx_size (changes), 0);
    st.st_ctim.tv_nsec = 2;
    published_put (published, "a.txt", &st, changes);
    s_expect (changes, FSHARE__CHANGE_KIND__CHANGE_NONE, "a.txt", NULL, 10);
    assert_int_equal (zlistx_size (changes), 0);
    zlistx_destroy (&changes);
    published_destroy (&published);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_put_and_remove),
        cmocka_unit_test (test_hard_links),
        cmocka_unit_test (test_hold),
        cmocka_unit_test (test_rename),
        cmocka_unit_test (test_rename_dir),
        cmocka_unit_test (test_exchange),
        cmocka_unit_test (test_exchange_dir),
        cmocka_unit_test (test_replace),
        cmocka_unit_test (test_replace_renames),
        cmocka_unit_test (test_ctime_nanoseconds),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
