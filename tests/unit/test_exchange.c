/*  test_exchange.c - an exchange told apart from two renames
    (peer/exchange.c), on real files swapped with renameat2: the first
    half swaps the published files (or the directories and their
    watches), the second half is nothing; an ordinary move, a move over a
    published name, a name missing on disk, a file where a directory was,
    and no root descriptor are all ordinary moves.
*/
#include "fixture.h"
#include "exchange.h"
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>

typedef struct {
    char dir [64];
    int rootfd;
    int inotify;
    published_t *published;
    watches_t *watches;
    zlistx_t *changes;
} bench_t;

static int
s_setup (void **state)
{
    bench_t *fx = (bench_t *) zmalloc (sizeof (bench_t));
    fixture_tmpdir (fx->dir, sizeof fx->dir, "exchange");
    fx->rootfd = open (fx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true (fx->rootfd >= 0);
    fx->inotify = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    assert_true (fx->inotify >= 0);
    fx->published = published_new (0);
    fx->watches = watches_new (fx->inotify, IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO);
    fx->changes = zlistx_new ();
    zlistx_set_destructor (fx->changes, (zlistx_destructor_fn *) hostdir_change_destroy);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    bench_t *fx = (bench_t *) *state;
    zlistx_destroy (&fx->changes);
    watches_destroy (&fx->watches);
    published_destroy (&fx->published);
    close (fx->inotify);
    close (fx->rootfd);
    fixture_rm_rf (fx->dir);
    free (fx);
    return 0;
}

//  A file on disk, published as the host directory would.
static void
s_publish (bench_t *fx, const char *path, const char *content)
{
    int fd = openat (fx->rootfd, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, content, strlen (content)), (ssize_t) strlen (content));
    close (fd);
    struct stat st;
    assert_int_equal (fstatat (fx->rootfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
    published_put (fx->published, path, &st, NULL);
}

//  A directory on disk, watched.
static void
s_watch_dir (bench_t *fx, const char *path)
{
    assert_int_equal (mkdirat (fx->rootfd, path, 0755), 0);
    int fd = openat (fx->rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    assert_true (fd >= 0);
    assert_int_equal (watches_add (fx->watches, fx->dir, path, fd, 1), 0);
    close (fd);
}

static void
s_swap (bench_t *fx, const char *a, const char *b)
{
    assert_int_equal (renameat2 (fx->rootfd, a, fx->rootfd, b, RENAME_EXCHANGE), 0);
}

static uint64_t
s_ino (bench_t *fx, const char *path)
{
    struct stat st;
    assert_int_equal (fstatat (fx->rootfd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
    return (uint64_t) st.st_ino;
}

static exchange_t
s_apply (bench_t *fx, const char *from, const char *to, bool is_dir)
{
    return exchange_apply (fx->rootfd, fx->published, fx->watches, from, to, is_dir,
                           fx->changes);
}

//  Two files swapped: the first half swaps them in the published set (a
//  rename of a's file to b, then b's file added at a), the second is an
//  echo.
static void
test_files (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_publish (fx, "a", "alpha");
    s_publish (fx, "b", "bravo!");
    fileset_t *files = published_files (fx->published);
    uint8_t sha [32];
    memset (sha, 0x61, sizeof sha);
    fileset_set_digest (files, "a", sha, 0644);
    //  Before any swap, a move a -> b is not half of an exchange
    assert_int_equal (s_apply (fx, "a", "b", false), EXCHANGE_ECHO);
    assert_int_equal (zlistx_size (fx->changes), 0);

    s_swap (fx, "a", "b");
    assert_int_equal (s_apply (fx, "a", "b", false), EXCHANGE_SWAPPED);
    assert_int_equal (zlistx_size (fx->changes), 2);
    hostdir_change_t *change = (hostdir_change_t *) zlistx_first (fx->changes);
    assert_int_equal (change->kind, FSHARE__CHANGE_KIND__CHANGE_RENAMED);
    assert_string_equal (change->from, "a");
    assert_string_equal (change->path, "b");
    assert_int_equal (change->size, 5);
    change = (hostdir_change_t *) zlistx_next (fx->changes);
    assert_int_equal (change->kind, FSHARE__CHANGE_KIND__CHANGE_ADDED);
    assert_string_equal (change->path, "a");
    assert_int_equal (change->size, 6);
    zlistx_purge (fx->changes);
    //  The set says what the disk says, and the digest went with its file
    assert_int_equal (fileset_lookup (files, "a")->ino, s_ino (fx, "a"));
    assert_int_equal (fileset_lookup (files, "b")->ino, s_ino (fx, "b"));
    assert_true (fileset_lookup (files, "b")->has_sha256);
    assert_false (fileset_lookup (files, "a")->has_sha256);

    //  The second half (b -> a): already right, nothing to do
    assert_int_equal (s_apply (fx, "b", "a", false), EXCHANGE_ECHO);
    assert_int_equal (zlistx_size (fx->changes), 0);
    assert_int_equal (fileset_lookup (files, "a")->ino, s_ino (fx, "a"));
}

//  Two directories swapped: their files and their watches change places.
static void
test_directories (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_watch_dir (fx, "p");
    s_watch_dir (fx, "p/in");
    s_watch_dir (fx, "q");
    s_publish (fx, "p/in/f", "one");
    s_publish (fx, "q/g", "two");
    uint64_t ino_p = s_ino (fx, "p"), ino_q = s_ino (fx, "q");
    s_swap (fx, "p", "q");
    assert_int_equal (s_apply (fx, "p", "q", true), EXCHANGE_SWAPPED);
    fileset_t *files = published_files (fx->published);
    assert_non_null (fileset_lookup (files, "q/in/f"));
    assert_non_null (fileset_lookup (files, "p/g"));
    assert_null (fileset_lookup (files, "p/in/f"));
    assert_null (fileset_lookup (files, "q/g"));
    assert_int_equal (zlistx_size (fx->changes), 2);
    zlistx_purge (fx->changes);
    uint64_t dev, ino;
    assert_true (watches_inode (fx->watches, "q", &dev, &ino));
    assert_int_equal (ino, ino_p);
    assert_true (watches_inode (fx->watches, "p", &dev, &ino));
    assert_int_equal (ino, ino_q);
    assert_true (watches_has (fx->watches, "q/in"));
    assert_false (watches_has (fx->watches, "p/in"));
    assert_int_equal (s_apply (fx, "q", "p", true), EXCHANGE_ECHO);
    assert_int_equal (zlistx_size (fx->changes), 0);
}

//  What is no exchange: nothing is changed, the caller renames.
static void
test_ordinary_moves (void **state)
{
    bench_t *fx = (bench_t *) *state;
    fileset_t *files = published_files (fx->published);
    //  Onto a name that was not published
    s_publish (fx, "a", "alpha");
    assert_int_equal (renameat (fx->rootfd, "a", fx->rootfd, "new"), 0);
    assert_int_equal (s_apply (fx, "a", "new", false), EXCHANGE_NONE);
    published_remove (fx->published, "a", NULL);

    //  Over a published name: from is gone on disk
    s_publish (fx, "x", "xx");
    s_publish (fx, "y", "yyy");
    assert_int_equal (renameat (fx->rootfd, "x", fx->rootfd, "y"), 0);
    assert_int_equal (s_apply (fx, "x", "y", false), EXCHANGE_NONE);

    //  Both there, but neither holds what the other held: another file
    //  came in the meantime
    s_publish (fx, "m", "mm");
    s_publish (fx, "n", "nnn");
    int fd = openat (fx->rootfd, "n2", O_WRONLY | O_CREAT, 0644);
    close (fd);
    assert_int_equal (renameat (fx->rootfd, "n2", fx->rootfd, "n"), 0);
    s_swap (fx, "m", "n");
    assert_int_equal (s_apply (fx, "m", "n", false), EXCHANGE_NONE);

    //  A directory where a file was, and the other way round
    s_publish (fx, "f", "ff");
    s_publish (fx, "g", "gg");
    assert_int_equal (unlinkat (fx->rootfd, "g", 0), 0);
    assert_int_equal (mkdirat (fx->rootfd, "g", 0755), 0);
    s_swap (fx, "f", "g");
    assert_int_equal (s_apply (fx, "f", "g", false), EXCHANGE_NONE);
    assert_int_equal (s_apply (fx, "f", "g", true), EXCHANGE_NONE);

    //  No root to look in
    s_publish (fx, "r", "r");
    s_publish (fx, "s", "ss");
    s_swap (fx, "r", "s");
    assert_int_equal (exchange_apply (-1, fx->published, fx->watches, "r", "s", false,
                                      fx->changes), EXCHANGE_NONE);
    //  ...whereas with one it is the exchange it is
    assert_int_equal (s_apply (fx, "r", "s", false), EXCHANGE_SWAPPED);
    assert_int_equal (zlistx_size (fx->changes), 2);
    zlistx_purge (fx->changes);

    //  A file published without its inode (0: unknown) is never compared
    fileset_put (files, "u", 1, 1);
    fileset_put (files, "v", 1, 1);
    fd = openat (fx->rootfd, "u", O_WRONLY | O_CREAT, 0644);
    close (fd);
    fd = openat (fx->rootfd, "v", O_WRONLY | O_CREAT, 0644);
    close (fd);
    assert_int_equal (s_apply (fx, "u", "v", false), EXCHANGE_NONE);
    //  Directories that are not watched are not known
    assert_int_equal (mkdirat (fx->rootfd, "d1", 0755), 0);
    assert_int_equal (mkdirat (fx->rootfd, "d2", 0755), 0);
    s_swap (fx, "d1", "d2");
    assert_int_equal (s_apply (fx, "d1", "d2", true), EXCHANGE_NONE);
    assert_int_equal (zlistx_size (fx->changes), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_files, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_directories, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_ordinary_moves, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
