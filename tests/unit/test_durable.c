/*  test_durable.c - a file that gets its final name is on the disk first,
    and the name is on the disk after: a download (peer/sink.c) and the
    broker's accounts file (broker/accounts.c) each fsync the file, then
    rename it, then fsync the directory. A crash then leaves the old file
    or the whole new one under the name, never a short one. Linked with
    -Wl,--wrap for fsync, rename and renameat2 (tests/CMakeLists: the
    code under test calls the wrappers below), which log each call by the
    inode it concerns.
*/
#include "fixture.h"
#include "accounts.h"
#include <sys/stat.h>

typedef enum { CALL_FSYNC, CALL_RENAME } call_kind_t;

typedef struct {
    call_kind_t kind;
    ino_t ino;                  //  the file synced, or the one renamed
    bool dir;                   //  an fsync of a directory
} call_t;

#define CALLS_MAX 256

//  The wrappers have no argument to carry a context: the log is the
//  test's one global, reset by each test.
static call_t s_calls [CALLS_MAX];
static size_t s_ncalls;

static void
s_log (call_kind_t kind, const struct stat *st)
{
    if (s_ncalls < CALLS_MAX)
        s_calls [s_ncalls++] = (call_t) { kind, st->st_ino, S_ISDIR (st->st_mode) };
}

int __real_fsync (int fd);
int __real_rename (const char *from, const char *to);
int __real_renameat2 (int from_dir, const char *from, int to_dir, const char *to,
                      unsigned int flags);

int
__wrap_fsync (int fd)
{
    struct stat st;
    if (fstat (fd, &st) == 0)
        s_log (CALL_FSYNC, &st);
    return __real_fsync (fd);
}

int
__wrap_rename (const char *from, const char *to)
{
    struct stat st;
    if (lstat (from, &st) == 0)
        s_log (CALL_RENAME, &st);
    return __real_rename (from, to);
}

int
__wrap_renameat2 (int from_dir, const char *from, int to_dir, const char *to,
                  unsigned int flags)
{
    struct stat st;
    if (fstatat (from_dir, from, &st, AT_SYMLINK_NOFOLLOW) == 0)
        s_log (CALL_RENAME, &st);
    return __real_renameat2 (from_dir, from, to_dir, to, flags);
}

//  Index of the first call of `kind` about `ino` at or after `from`, or -1.
static int
s_find (call_kind_t kind, ino_t ino, bool dir, size_t from)
{
    for (size_t i = from; i < s_ncalls; i++)
        if (s_calls [i].kind == kind && s_calls [i].ino == ino && s_calls [i].dir == dir)
            return (int) i;
    return -1;
}

//  The file now at `path` was synced, then renamed into place, then its
//  directory `dir` was synced.
static void
s_expect_durable (const char *path, const char *dir)
{
    struct stat file, parent;
    assert_int_equal (stat (path, &file), 0);
    assert_int_equal (stat (dir, &parent), 0);
    int renamed = s_find (CALL_RENAME, file.st_ino, false, 0);
    if (renamed < 0)
        fail_msg ("%s was not renamed into place", path);
    int synced = s_find (CALL_FSYNC, file.st_ino, false, 0);
    if (synced < 0 || synced > renamed)
        fail_msg ("%s was renamed before it was synced", path);
    if (s_find (CALL_FSYNC, parent.st_ino, true, (size_t) renamed) < 0)
        fail_msg ("%s: its directory was not synced after the rename", path);
}

static void
test_download (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    fixture_make_file (fx->root, "f.bin", 3 * FIXTURE_CHUNK + 7, 4, NULL);
    s_ncalls = 0;
    char *saved = fixture_ends_download (fx, "f.bin", "f.bin");
    s_expect_durable (saved, fx->downloads);
    zstr_free (&saved);
    //  An empty file too
    fixture_make_file (fx->root, "empty", 0, 4, NULL);
    s_ncalls = 0;
    saved = fixture_ends_download (fx, "empty", "empty");
    s_expect_durable (saved, fx->downloads);
    zstr_free (&saved);
}

static void
test_accounts (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *path = zsys_sprintf ("%s/accounts", fx->dir);
    accounts_t *accounts = accounts_new (path);
    char *hash = passhash_new ("pw", PASSHASH_COST_MIN);
    assert_non_null (hash);
    assert_int_equal (accounts_set (accounts, "alice", hash), 0);
    s_ncalls = 0;
    assert_int_equal (accounts_save (accounts), 0);
    s_expect_durable (path, fx->dir);
    //  Saved again over the old file: the same order
    assert_int_equal (accounts_set (accounts, "bob", hash), 0);
    s_ncalls = 0;
    assert_int_equal (accounts_save (accounts), 0);
    s_expect_durable (path, fx->dir);
    zstr_free (&hash);
    accounts_destroy (&accounts);
    zstr_free (&path);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_download, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_accounts, fixture_ends_setup, fixture_ends_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
