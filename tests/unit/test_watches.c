/*  test_watches.c - the host directory's inotify watches (peer/watches.c)
    on a real inotify descriptor: each watch found again by the events of
    its directory, renames and exchanges carrying every watch below, the
    same directory found under a new path, another directory found at a
    watched path, drops by path, by generation and by the kernel, the test
    limit as a full kernel table, and the path fallback that never follows
    a symbolic link.
*/
#include "fixture.h"
#include "watches.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#define MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)

typedef struct {
    char dir [64];
    int inotify;
    watches_t *watches;
} bench_t;

static int
s_setup (void **state)
{
    bench_t *fx = (bench_t *) zmalloc (sizeof (bench_t));
    fixture_tmpdir (fx->dir, sizeof fx->dir, "watches");
    fx->inotify = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    assert_true (fx->inotify >= 0);
    fx->watches = watches_new (fx->inotify, MASK);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    bench_t *fx = (bench_t *) *state;
    watches_destroy (&fx->watches);
    assert_null (fx->watches);
    close (fx->inotify);
    fixture_rm_rf (fx->dir);
    free (fx);
    return 0;
}

static void
s_mkdir (bench_t *fx, const char *path)
{
    char *full = zsys_sprintf ("%s/%s", fx->dir, path);
    assert_int_equal (mkdir (full, 0755), 0);
    zstr_free (&full);
}

//  Watch the directory at path ("" the root), opened as the host
//  directory opens it.
static int
s_watch (bench_t *fx, const char *path, uint64_t generation)
{
    char *full = *path? zsys_sprintf ("%s/%s", fx->dir, path): strdup (fx->dir);
    int fd = open (full, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    zstr_free (&full);
    assert_true (fd >= 0);
    int rc = watches_add (fx->watches, fx->dir, path, fd, generation);
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

//  Create the file path (relative), then read events until its own comes:
//  the path of the watch it came through, or NULL when none (nothing
//  watches its directory). `control`, a file in a watched directory,
//  is created after it, so that its event ends the wait either way.
static char *
s_watch_of (bench_t *fx, const char *path, const char *control)
{
    const char *names [2] = { path, control };
    for (int i = 0; i < 2; i++) {
        if (!names [i])
            continue;
        char *full = zsys_sprintf ("%s/%s", fx->dir, names [i]);
        int fd = open (full, O_WRONLY | O_CREAT | O_EXCL, 0644);
        assert_true (fd >= 0);
        close (fd);
        zstr_free (&full);
    }
    const char *want = strrchr (path, '/')? strrchr (path, '/') + 1: path;
    const char *stop = control? (strrchr (control, '/')? strrchr (control, '/') + 1: control)
                              : want;
    char *found = NULL;
    int64_t deadline = zclock_mono () + 5000;
    char buf [4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
    while (zclock_mono () < deadline) {
        struct pollfd pfd = { fx->inotify, POLLIN, 0 };
        if (poll (&pfd, 1, 100) <= 0)
            continue;
        ssize_t size = read (fx->inotify, buf, sizeof buf);
        for (char *at = buf; size > 0 && at < buf + size; ) {
            struct inotify_event *event = (struct inotify_event *) at;
            at += sizeof (struct inotify_event) + event->len;
            if (!event->len || !(event->mask & IN_CREATE))
                continue;
            const char *where = watches_path (fx->watches, event->wd);
            if (streq (event->name, want) && !found)
                found = strdup (where? where: "(unknown watch)");
            if (streq (event->name, stop))
                return found;
        }
    }
    fail_msg ("no event for %s", stop);
    return NULL;
}

static void
s_expect_watch (bench_t *fx, const char *path, const char *watch)
{
    char *found = s_watch_of (fx, path, NULL);
    assert_non_null (found);
    assert_string_equal (found, watch);
    free (found);
}

static void
s_inode_of (bench_t *fx, const char *path, uint64_t *dev, uint64_t *ino)
{
    char *full = zsys_sprintf ("%s/%s", fx->dir, path);
    struct stat st;
    assert_int_equal (stat (full, &st), 0);
    zstr_free (&full);
    *dev = (uint64_t) st.st_dev;
    *ino = (uint64_t) st.st_ino;
}

static void
s_expect_inode (bench_t *fx, const char *watched, const char *on_disk)
{
    uint64_t dev, ino, want_dev, want_ino;
    assert_true (watches_inode (fx->watches, watched, &dev, &ino));
    s_inode_of (fx, on_disk, &want_dev, &want_ino);
    assert_int_equal (dev, want_dev);
    assert_int_equal (ino, want_ino);
}

//  Each watch is found by the events of its own directory.
static void
test_add_and_find (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_mkdir (fx, "a");
    s_mkdir (fx, "a/b");
    s_mkdir (fx, "ab");
    assert_int_equal (s_watch (fx, "", 1), 0);
    assert_int_equal (s_watch (fx, "a", 1), 0);
    assert_int_equal (s_watch (fx, "a/b", 1), 0);
    assert_int_equal (watches_size (fx->watches), 3);
    assert_true (watches_has (fx->watches, ""));
    assert_true (watches_has (fx->watches, "a/b"));
    assert_false (watches_has (fx->watches, "ab"));
    assert_false (watches_has (fx->watches, "a/"));
    assert_null (watches_path (fx->watches, -1));
    s_expect_watch (fx, "top.txt", "");
    s_expect_watch (fx, "a/b/deep.txt", "a/b");
    s_expect_watch (fx, "a/mid.txt", "a");
    //  ab is not watched: its file is not seen, the root's is
    char *found = s_watch_of (fx, "ab/x.txt", "after.txt");
    assert_null (found);
    s_expect_inode (fx, "a/b", "a/b");
    uint64_t dev, ino;
    assert_false (watches_inode (fx->watches, "ab", &dev, &ino));

    //  Watched again at the same path: still one watch
    assert_int_equal (s_watch (fx, "a", 2), 0);
    assert_int_equal (watches_size (fx->watches), 3);
}

//  A rename carries every watch at or under it, and nothing beside it.
static void
test_rename (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_mkdir (fx, "a");
    s_mkdir (fx, "a/b");
    s_mkdir (fx, "ab");
    assert_int_equal (s_watch (fx, "", 1), 0);
    assert_int_equal (s_watch (fx, "a", 1), 0);
    assert_int_equal (s_watch (fx, "a/b", 1), 0);
    assert_int_equal (s_watch (fx, "ab", 1), 0);
    char *from = zsys_sprintf ("%s/a", fx->dir);
    char *to = zsys_sprintf ("%s/x", fx->dir);
    assert_int_equal (rename (from, to), 0);
    watches_rename (fx->watches, "a", "x");
    assert_false (watches_has (fx->watches, "a"));
    assert_false (watches_has (fx->watches, "a/b"));
    assert_true (watches_has (fx->watches, "x"));
    assert_true (watches_has (fx->watches, "x/b"));
    assert_true (watches_has (fx->watches, "ab"));
    assert_int_equal (watches_size (fx->watches), 4);
    s_expect_watch (fx, "x/b/f.txt", "x/b");
    s_expect_watch (fx, "ab/g.txt", "ab");
    s_expect_inode (fx, "x/b", "x/b");
    zstr_free (&to);
    zstr_free (&from);
}

//  The same directory watched under a new path (moved behind our back)
//  is re-keyed; another directory found at a watched path replaces the
//  watch there (that one is gone).
static void
test_found_again (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_mkdir (fx, "a");
    assert_int_equal (s_watch (fx, "", 1), 0);
    assert_int_equal (s_watch (fx, "a", 1), 0);
    char *a = zsys_sprintf ("%s/a", fx->dir);
    char *moved = zsys_sprintf ("%s/moved", fx->dir);
    assert_int_equal (rename (a, moved), 0);
    assert_int_equal (s_watch (fx, "moved", 2), 0);
    assert_int_equal (watches_size (fx->watches), 2);
    assert_false (watches_has (fx->watches, "a"));
    s_expect_watch (fx, "moved/f.txt", "moved");

    //  A new directory at "moved"'s old name... and one in "moved"'s place
    assert_int_equal (rename (moved, a), 0);
    s_mkdir (fx, "moved");
    assert_int_equal (s_watch (fx, "moved", 3), 0);
    assert_int_equal (watches_size (fx->watches), 2);
    s_expect_inode (fx, "moved", "moved");
    s_expect_watch (fx, "moved/g.txt", "moved");
    //  The old directory's watch was dropped: its files are not seen
    char *found = s_watch_of (fx, "a/h.txt", "after.txt");
    assert_null (found);
    zstr_free (&moved);
    zstr_free (&a);
}

//  Two directories swapped (RENAME_EXCHANGE): every watch under one now
//  watches the same place under the other.
static void
test_exchange (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_mkdir (fx, "p");
    s_mkdir (fx, "p/in");
    s_mkdir (fx, "q");
    assert_int_equal (s_watch (fx, "", 1), 0);
    assert_int_equal (s_watch (fx, "p", 1), 0);
    assert_int_equal (s_watch (fx, "p/in", 1), 0);
    assert_int_equal (s_watch (fx, "q", 1), 0);
    char *p = zsys_sprintf ("%s/p", fx->dir);
    char *q = zsys_sprintf ("%s/q", fx->dir);
    assert_int_equal (renameat2 (AT_FDCWD, p, AT_FDCWD, q, RENAME_EXCHANGE), 0);
    watches_exchange (fx->watches, "p", "q");
    assert_int_equal (watches_size (fx->watches), 4);
    assert_true (watches_has (fx->watches, "q/in"));
    assert_false (watches_has (fx->watches, "p/in"));
    s_expect_inode (fx, "p", "p");
    s_expect_inode (fx, "q", "q");
    s_expect_inode (fx, "q/in", "q/in");
    s_expect_watch (fx, "q/in/f.txt", "q/in");
    s_expect_watch (fx, "p/g.txt", "p");
    s_expect_watch (fx, "q/h.txt", "q");
    zstr_free (&q);
    zstr_free (&p);
}

//  Dropped by path, by generation, and by the kernel (IN_IGNORED).
static void
test_drops (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_mkdir (fx, "a");
    s_mkdir (fx, "a/b");
    s_mkdir (fx, "ab");
    s_mkdir (fx, "c");
    assert_int_equal (s_watch (fx, "", 1), 0);
    assert_int_equal (s_watch (fx, "a", 1), 0);
    assert_int_equal (s_watch (fx, "a/b", 1), 0);
    assert_int_equal (s_watch (fx, "ab", 1), 0);
    assert_int_equal (s_watch (fx, "c", 1), 0);
    watches_drop_under (fx->watches, "a");
    assert_int_equal (watches_size (fx->watches), 3);
    assert_false (watches_has (fx->watches, "a"));
    assert_false (watches_has (fx->watches, "a/b"));
    assert_true (watches_has (fx->watches, "ab"));
    //  Dropped from the kernel too: a's files are no longer seen
    char *found = s_watch_of (fx, "a/x.txt", "after.txt");
    assert_null (found);

    //  A walk of generation 2 saw only the root and ab
    assert_int_equal (s_watch (fx, "", 2), 0);
    assert_int_equal (s_watch (fx, "ab", 2), 0);
    watches_drop_unseen (fx->watches, 2);
    assert_int_equal (watches_size (fx->watches), 2);
    assert_false (watches_has (fx->watches, "c"));

    //  The kernel drops a watch: forgotten by its descriptor
    //  (ab's descriptor is found through an event of its own)
    char *ab_file = zsys_sprintf ("%s/ab/z.txt", fx->dir);
    int fd = open (ab_file, O_WRONLY | O_CREAT, 0644);
    close (fd);
    zstr_free (&ab_file);
    int ab_wd = -1;
    int64_t deadline = zclock_mono () + 5000;
    char buf [4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
    while (ab_wd < 0 && zclock_mono () < deadline) {
        struct pollfd pfd = { fx->inotify, POLLIN, 0 };
        if (poll (&pfd, 1, 100) <= 0)
            continue;
        ssize_t size = read (fx->inotify, buf, sizeof buf);
        for (char *at = buf; size > 0 && at < buf + size; ) {
            struct inotify_event *event = (struct inotify_event *) at;
            at += sizeof (struct inotify_event) + event->len;
            if (event->len && streq (event->name, "z.txt"))
                ab_wd = event->wd;
        }
    }
    assert_true (ab_wd >= 0);
    assert_string_equal (watches_path (fx->watches, ab_wd), "ab");
    watches_forget (fx->watches, ab_wd);
    assert_null (watches_path (fx->watches, ab_wd));
    assert_false (watches_has (fx->watches, "ab"));
    watches_forget (fx->watches, ab_wd);        //  twice: nothing
    assert_int_equal (watches_size (fx->watches), 1);

    watches_drop_under (fx->watches, "");
    assert_int_equal (watches_size (fx->watches), 0);
}

//  A limit as a full kernel table: ENOSPC for a new directory, never for
//  one watched already; 0 lifts it.
static void
test_limit (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_mkdir (fx, "a");
    s_mkdir (fx, "b");
    watches_set_limit (fx->watches, 2);
    assert_int_equal (s_watch (fx, "", 1), 0);
    assert_int_equal (s_watch (fx, "a", 1), 0);
    errno = 0;
    assert_int_equal (s_watch (fx, "b", 1), -1);
    assert_int_equal (errno, ENOSPC);
    assert_false (watches_has (fx->watches, "b"));
    assert_int_equal (s_watch (fx, "a", 2), 0);
    assert_int_equal (watches_size (fx->watches), 2);
    watches_set_limit (fx->watches, 0);
    assert_int_equal (s_watch (fx, "b", 2), 0);
    assert_int_equal (watches_size (fx->watches), 3);
}

//  Without a descriptor /proc can name, the path is watched, its last
//  component not followed: a link to a directory watches the link, and
//  the directory's own files are not seen through it.
static void
test_path_fallback (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_mkdir (fx, "real");
    s_mkdir (fx, "control");
    char *link = zsys_sprintf ("%s/link", fx->dir);
    char *real = zsys_sprintf ("%s/real", fx->dir);
    assert_int_equal (symlink (real, link), 0);
    assert_int_equal (s_watch (fx, "control", 1), 0);
    assert_int_equal (watches_add (fx->watches, fx->dir, "link", -1, 1), 0);
    assert_true (watches_has (fx->watches, "link"));
    //  No descriptor: the identity is unknown
    uint64_t dev, ino;
    assert_false (watches_inode (fx->watches, "link", &dev, &ino));
    char *found = s_watch_of (fx, "real/f.txt", "control/after.txt");
    assert_null (found);
    //  A path that is not there at all fails
    assert_int_equal (watches_add (fx->watches, fx->dir, "missing", -1, 1), -1);
    assert_false (watches_has (fx->watches, "missing"));
    zstr_free (&real);
    zstr_free (&link);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_add_and_find, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rename, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_found_again, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_exchange, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_drops, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_path_fallback, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
