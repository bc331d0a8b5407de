/*  test_hostdir.c - the watched host directory, on real temporary trees:
    every kind of change (added, changed, removed; renames and moves in and
    out are test_moves.c's), new and moved-in
    directories, what is never published (partial files, symlinks), rescans
    and queue overflow. After each test the published set must equal a fresh
    scan of the disk.
    The fixture: fixture_hostdir.h.
    Completeness against writers, editors' saves, ignore rules, latency and
    the walk's ticks are test_hostdir_writes.c's.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "hostdir.h"
#include "ignore.h"
#include "scanner.h"
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture_hostdir.h"


//  ---------------------------------------------------------------------

static void
s_symlink (const char *target, const char *dir, const char *path)
{
    char *full = s_full (dir, path);
    assert_int_equal (symlink (target, full), 0);
    free (full);
}

static void
test_new (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    //  Missing: created, with every parent, mode 0755
    char *root = s_full (fx->base, "new/nested/root/");
    hostdir_t *hostdir = hostdir_new (root, NULL);
    assert_non_null (hostdir);
    root [strlen (root) - 1] = 0;
    assert_string_equal (hostdir_root (hostdir), root);
    struct stat st;
    assert_int_equal (stat (root, &st), 0);
    assert_true (S_ISDIR (st.st_mode));
    assert_int_equal (st.st_mode & 0777, 0755);
    assert_int_equal (fileset_size (hostdir_files (hostdir)), 0);
    assert_true (hostdir_fd (hostdir) >= 0);
    assert_int_equal (hostdir_timeout (hostdir), -1);
    hostdir_destroy (&hostdir);
    assert_null (hostdir);
    free (root);

    //  Not a directory, or nothing given
    char *file = s_full (fx->base, "plain");
    s_write (fx->base, "plain", "x");
    assert_null (hostdir_new (file, NULL));
    free (file);
    file = s_full (fx->base, "plain/below");
    assert_null (hostdir_new (file, NULL));
    free (file);
    assert_null (hostdir_new ("", NULL));
    assert_null (hostdir_new (NULL, NULL));

    //  A relative root is kept as an absolute path
    char cwd [PATH_MAX];
    assert_non_null (getcwd (cwd, sizeof cwd));
    assert_int_equal (chdir (fx->base), 0);
    hostdir = hostdir_new ("relative", NULL);
    assert_int_equal (chdir (cwd), 0);
    assert_non_null (hostdir);
    char *relative = s_full (fx->base, "relative");
    assert_string_equal (hostdir_root (hostdir), relative);
    free (relative);
    hostdir_destroy (&hostdir);

    //  Existing: scanned, without what is never published
    s_write (fx->root, "a", "1");
    s_mkdir (fx->root, "d");
    s_write (fx->root, "d/b", "22");
    s_write (fx->root, "d/.c.fshare-part", "partial");
    s_symlink ("a", fx->root, "link");
    s_symlink (fx->outside, fx->root, "d/out");
    s_write (fx->outside, "secret", "s");
    s_start (fx);
    fileset_t *files = hostdir_files (fx->hostdir);
    assert_int_equal (fileset_size (files), 2);
    assert_int_equal (fileset_lookup (files, "d/b")->size, 2);
    s_expect (fx, NULL);
    s_assert_consistent (fx);
}

//  A file is published once, when closed: not while being written.
static void
test_write_in_steps (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_start (fx);
    char *path = s_full (fx->root, "f.txt");
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true (fd >= 0);
    s_expect (fx, NULL);
    assert_int_equal (write (fd, "abc", 3), 3);
    s_expect (fx, NULL);
    assert_int_equal (fchmod (fd, 0640), 0);           //  IN_ATTRIB, still open
    assert_int_equal (write (fd, "defg", 4), 4);
    s_expect (fx, NULL);
    assert_int_equal (close (fd), 0);
    s_collect (fx, 1);
    const hostdir_change_t *change = s_first (fx);
    assert_non_null (change);
    assert_int_equal (change->size, 7);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (change->mtime, st.st_mtim.tv_sec);
    s_expect (fx, "added f.txt", NULL);

    //  Opened for writing, closed without a change: nothing
    fd = open (path, O_WRONLY);
    assert_true (fd >= 0);
    close (fd);
    s_expect (fx, NULL);
    free (path);
    s_assert_consistent (fx);
}

static void
test_touch_and_rewrite (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_write (fx->root, "old", "old content");
    s_set_mtime (fx->root, "old", 1000000000);
    s_write (fx->root, "other", "12345");
    s_start (fx);

    //  touch: new mtime, no close-after-write
    char *path = s_full (fx->root, "old");
    assert_int_equal (utimensat (AT_FDCWD, path, NULL, 0), 0);
    s_collect (fx, 1);
    assert_true (s_first (fx)->mtime > 1000000000);
    assert_int_equal (s_first (fx)->size, 11);
    s_expect (fx, "changed old", NULL);
    //  chmod alone changes neither size nor mtime, only the ctime: a
    //  digest to check, not a change
    assert_int_equal (chmod (path, 0600), 0);
    s_collect (fx, 1);
    s_expect (fx, "verify old", NULL);
    free (path);

    //  Rewritten with other content
    s_write (fx->root, "other", "a longer content");
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 16);
    s_expect (fx, "changed other", NULL);
    //  touch -d to an explicit time
    s_set_mtime (fx->root, "other", 1500000000);
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->mtime, 1500000000);
    s_expect (fx, "changed other", NULL);
    s_assert_consistent (fx);
}

static void
test_delete_and_hard_link (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_mkdir (fx->root, "d");
    s_write (fx->root, "d/a", "aaa");
    s_write (fx->root, "b", "b");
    s_start (fx);

    char *a = s_full (fx->root, "d/a");
    char *c = s_full (fx->root, "c");
    assert_int_equal (link (a, c), 0);                  //  ln: never closed
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 3);
    s_expect (fx, "added c", NULL);
    assert_int_equal (unlink (a), 0);
    s_expect (fx, "removed d/a", NULL);
    free (a);
    free (c);
    char *b = s_full (fx->root, "b");
    assert_int_equal (unlink (b), 0);
    free (b);
    s_expect (fx, "removed b", NULL);
    s_assert_consistent (fx);
}

//  A file also linked from outside the host directory, written through
//  that name: no event here, found by the look at such files
static void
test_linked_outside (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_write (fx->base, "elsewhere", "out");
    char *outside = s_full (fx->base, "elsewhere");
    char *linked = s_full (fx->root, "linked");
    assert_int_equal (link (outside, linked), 0);
    s_start (fx);
    FILE *file = fopen (outside, "a");
    assert_non_null (file);
    assert_int_equal (fputs ("more", file) >= 0, true);
    assert_int_equal (fclose (file), 0);
    s_expect (fx, "changed linked", NULL);
    free (outside);
    free (linked);
    s_assert_consistent (fx);
}

static void
test_mkdir_p_then_file (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_start (fx);
    s_mkdir (fx->root, "a");
    s_mkdir (fx->root, "a/b");
    s_mkdir (fx->root, "a/b/c");
    s_write (fx->root, "a/b/c/f", "f");
    s_expect (fx, "added a/b/c/f", NULL);
    //  Each new directory is watched now
    s_write (fx->root, "a/g", "g");
    s_write (fx->root, "a/b/c/h", "h");
    s_expect (fx, "added a/g", "added a/b/c/h", NULL);
    //  Created while the first ones are handled
    s_mkdir (fx->root, "m");
    hostdir_process (fx->hostdir, fx->changes);
    s_mkdir (fx->root, "m/n");
    s_write (fx->root, "m/n/o", "o");
    s_expect (fx, "added m/n/o", NULL);
    s_assert_consistent (fx);
}

static void
test_tree_moved_in (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_start (fx);
    s_mkdir (fx->outside, "tree");
    s_mkdir (fx->outside, "tree/s");
    s_mkdir (fx->outside, "tree/s/t");
    s_write (fx->outside, "tree/x", "x");
    s_write (fx->outside, "tree/s/y", "y");
    s_write (fx->outside, "tree/s/t/z", "z");
    s_write (fx->outside, "tree/s/.p.fshare-part", "p");
    s_write (fx->outside, "single", "single");
    s_rename (fx->outside, "tree", fx->root, "tree");
    s_rename (fx->outside, "single", fx->root, "tree/s/t/single");
    s_expect (fx, "added tree/x", "added tree/s/y", "added tree/s/t/z",
              "added tree/s/t/single", NULL);
    s_write (fx->root, "tree/s/t/z", "zz");
    s_expect (fx, "changed tree/s/t/z", NULL);
    s_assert_consistent (fx);
}

static void
test_remove_tree (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_mkdir (fx->root, "t");
    s_mkdir (fx->root, "t/b");
    s_mkdir (fx->root, "t/b/d");
    s_write (fx->root, "t/a", "a");
    s_write (fx->root, "t/b/c", "c");
    s_write (fx->root, "t/b/d/e", "e");
    s_write (fx->root, "other", "o");
    s_start (fx);
    s_remove_tree (fx->root, "t");
    s_expect (fx, "removed t/a", "removed t/b/c", "removed t/b/d/e", NULL);
    //  Recreated under the same name: watched afresh
    s_mkdir (fx->root, "t");
    s_write (fx->root, "t/a", "again");
    s_expect (fx, "added t/a", NULL);
    s_assert_consistent (fx);
}

static void
test_never_published (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_mkdir (fx->root, "in");
    s_write (fx->root, "in/target", "t");
    s_write (fx->outside, "secret", "s");
    s_start (fx);

    s_write (fx->root, ".x.fshare-part", "partial");
    s_write (fx->root, "in/.y.fshare-part", "partial");
    s_symlink ("in/target", fx->root, "to-file");
    s_symlink ("in", fx->root, "to-dir");
    s_symlink (fx->outside, fx->root, "to-outside");
    s_symlink ("/nonexistent", fx->root, "dangling");
    s_expect (fx, NULL);
    //  Written through symlinks: outside is not watched, inside counts once
    s_write (fx->root, "to-outside/new", "n");
    s_write (fx->root, "to-dir/via-link", "v");
    s_expect (fx, "added in/via-link", NULL);
    //  Symlinks moved around or in
    s_rename (fx->root, "to-file", fx->root, "in/to-file");
    s_symlink (fx->outside, fx->outside, "dir-link");
    s_rename (fx->outside, "dir-link", fx->root, "dir-link");
    s_expect (fx, NULL);

    //  A download renamed into place is added; a file renamed to a partial
    //  name is removed
    s_rename (fx->root, ".x.fshare-part", fx->root, "x");
    s_expect (fx, "added x", NULL);
    s_rename (fx->root, "x", fx->root, "in/.z.fshare-part");
    s_expect (fx, "removed x", NULL);
    //  Likewise to a name that may not be published, and back
    s_write (fx->root, "y", "y");
    s_expect (fx, "added y", NULL);
    s_rename (fx->root, "y", fx->root, "bad\xff");
    s_expect (fx, "removed y", NULL);
    s_rename (fx->root, "bad\xff", fx->root, "in/y");
    s_expect (fx, "added in/y", NULL);
    //  A published file replaced by a symlink (ln -sf) is removed
    s_symlink ("/etc/passwd", fx->root, "tmp-link");
    s_rename (fx->root, "tmp-link", fx->root, "in/target");
    s_expect (fx, "removed in/target", NULL);
    s_assert_consistent (fx);
}

static void
test_rescan (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_write (fx->root, "a", "a");
    s_write (fx->root, "b", "b");
    s_write (fx->root, "c", "c");
    s_start (fx);
    //  Behind its back: nothing processed until the rescan
    s_write (fx->root, "a", "longer a");
    char *b = s_full (fx->root, "b");
    assert_int_equal (unlink (b), 0);
    free (b);
    s_write (fx->root, "d", "d");
    s_mkdir (fx->root, "e");
    s_write (fx->root, "e/f", "f");
    s_rename (fx->root, "c", fx->outside, "c");
    hostdir_rescan (fx->hostdir, fx->changes);
    assert_int_equal (zlistx_size (fx->changes), 5);
    s_expect (fx, "changed a", "removed b", "added d", "added e/f", "removed c", NULL);
    //  The queued events repeat what the rescan found: nothing new
    s_expect (fx, NULL);
    s_write (fx->root, "e/g", "g");
    s_expect (fx, "added e/g", NULL);
    s_assert_consistent (fx);
}

//  The root itself disappears, and comes back.
static void
test_root_removed (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_mkdir (fx->root, "d");
    s_write (fx->root, "d/x", "x");
    s_write (fx->root, "y", "y");
    s_start (fx);
    s_remove_tree (fx->root, NULL);
    s_expect (fx, "removed d/x", "removed y", NULL);
    assert_int_equal (fileset_size (hostdir_files (fx->hostdir)), 0);
    //  It looks for it by itself, often: made anew, it is found within
    //  a second like any change
    int timeout = hostdir_timeout (fx->hostdir);
    assert_true (timeout > 0 && timeout < 1000);
    assert_int_equal (mkdir (fx->root, 0755), 0);
    s_write (fx->root, "z", "z");
    s_expect (fx, "added z", NULL);
    s_write (fx->root, "w", "w");
    s_expect (fx, "added w", NULL);
    s_assert_consistent (fx);
    //  Moved away as a whole: nothing is published from the old place
    s_rename (fx->base, "host", fx->outside, "host");
    s_expect (fx, "removed z", "removed w", NULL);
    s_write (fx->outside, "host/v", "v");
    s_expect (fx, NULL);
}

//  More events than the kernel queue holds (16,384 by default): the
//  overflow is noticed and a rescan loses nothing.
static void
test_overflow (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_start (fx);
    const int count = 10000;    //  create + close: 20,000 events
    char path [64];
    for (int index = 0; index < count; index++) {
        snprintf (path, sizeof path, "%s/f%05d", fx->root, index);
        int fd = open (path, O_WRONLY | O_CREAT, 0644);
        assert_true (fd >= 0);
        close (fd);
    }
    s_collect (fx, count);
    assert_int_equal (zlistx_size (fx->changes), count);
    zhashx_t *seen = zhashx_new ();
    const hostdir_change_t *change = (const hostdir_change_t *) zlistx_first (fx->changes);
    while (change) {
        assert_int_equal (change->kind, FSHARE__CHANGE_KIND__CHANGE_ADDED);
        assert_int_equal (zhashx_insert (seen, change->path, (void *) change), 0);
        change = (const hostdir_change_t *) zlistx_next (fx->changes);
    }
    zhashx_destroy (&seen);
    zlistx_purge (fx->changes);
    s_assert_consistent (fx);
}

//  The watch table fills up (simulated: the kernel's limit is the whole
//  machine's): a new directory's files are still published from its
//  scan, a rescan is scheduled, and a rescan picks up what changed in the
//  unwatched directory; once there is room, the directory is watched again
//  and followed live.
static void
test_watch_table_full (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_mkdir (fx->root, "old");
    s_start (fx);
    hostdir_set_watch_limit (fx->hostdir, 2);   //  the root and old/
    assert_int_equal (hostdir_timeout (fx->hostdir), -1);
    s_mkdir (fx->root, "new");
    s_write (fx->root, "new/x", "x");
    s_expect (fx, "added new/x", NULL);
    //  A rescan is due within a second (SPEC 4.2: every settled change
    //  within a second, whatever finds it), and it finds new/'s changes
    int timeout = hostdir_timeout (fx->hostdir);
    assert_true (timeout > 0 && timeout <= 1000);
    s_write (fx->root, "new/y", "y");
    s_expect (fx, "added new/y", NULL);
    //  Watched directories are still followed
    s_write (fx->root, "old/z", "z");
    s_expect (fx, "added old/z", NULL);
    hostdir_rescan (fx->hostdir, fx->changes);
    s_expect (fx, NULL);
    assert_true (hostdir_timeout (fx->hostdir) >= 0);    //  still not watched
    //  Room again: the next rescan watches new/, and it is live from then
    hostdir_set_watch_limit (fx->hostdir, 0);
    hostdir_rescan (fx->hostdir, fx->changes);
    s_expect (fx, NULL);
    assert_int_equal (hostdir_timeout (fx->hostdir), -1);
    s_write (fx->root, "new/w", "w");
    s_expect (fx, "added new/w", NULL);
    s_assert_consistent (fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_new, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_write_in_steps, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_touch_and_rewrite, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_delete_and_hard_link, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_linked_outside, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_mkdir_p_then_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_tree_moved_in, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_remove_tree, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_never_published, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rescan, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_root_removed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_overflow, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_watch_table_full, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
