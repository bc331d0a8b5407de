/*  test_hostdir_writes.c - the host directory against writers: only
    complete files are published (an open writer holds them back), changes
    made without a close, editors' saves, ignore rules, the latency of an
    event (SPEC 4.2) and the walk's ticks. The fixture: fixture_hostdir.h.
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
//  Only complete files (a writer's open descriptor holds them back)

static int
s_open_write (const char *dir, const char *path, int flags)
{
    char *full = s_full (dir, path);
    int fd = open (full, O_WRONLY | O_CREAT | flags, 0644);
    assert_true (fd >= 0);
    free (full);
    return fd;
}

static void
s_write_fd (int fd, size_t size)
{
    char block [4096];
    memset (block, 'b', sizeof block);
    for (size_t done = 0; done < size; done += sizeof block)
        assert_int_equal (write (fd, block, sizeof block), (ssize_t) sizeof block);
}

static void
test_busy_files (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    //  Found open for writing by the start-up scan: published at its close
    int startup = s_open_write (fx->root, "startup", 0);
    s_write_fd (startup, 8192);
    s_write (fx->root, "done", "d");
    s_start (fx);
    assert_int_equal (fileset_size (hostdir_files (fx->hostdir)), 1);
    s_expect (fx, NULL);
    s_write_fd (startup, 4096);
    s_expect (fx, NULL);
    close (startup);
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 12288);
    s_expect (fx, "added startup", NULL);

    //  Written inside a directory just made: nothing before the close
    s_mkdir (fx->root, "new");
    int inside = s_open_write (fx->root, "new/big", 0);
    s_write_fd (inside, 1 << 20);
    s_expect (fx, NULL);
    s_write_fd (inside, 1 << 20);
    close (inside);
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 2 << 20);
    s_expect (fx, "added new/big", NULL);

    //  In a tree moved in while a writer has it open
    s_mkdir (fx->outside, "tree");
    s_write (fx->outside, "tree/ready", "r");
    int moving = s_open_write (fx->outside, "tree/writing", 0);
    s_write_fd (moving, 4096);
    s_rename (fx->outside, "tree", fx->root, "tree");
    s_expect (fx, "added tree/ready", NULL);
    s_write_fd (moving, 4096);
    close (moving);
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 8192);
    s_expect (fx, "added tree/writing", NULL);

    //  A published file written again: republished at its close only
    int again = s_open_write (fx->root, "done", O_TRUNC);
    s_write_fd (again, 4096);
    s_expect (fx, NULL);
    close (again);
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 4096);
    s_expect (fx, "changed done", NULL);

    //  A writer killed before it closed: its exit closes the file
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        int fd = s_open_write (fx->root, "killed", 0);
        s_write_fd (fd, 4096);
        raise (SIGKILL);
    }
    int status;
    assert_int_equal (waitpid (child, &status, 0), child);
    assert_true (WIFSIGNALED (status));
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 4096);
    s_expect (fx, "added killed", NULL);
    s_assert_consistent (fx);
}

//  Changes that come without a close after writing.
static void
test_changes_without_close (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_write (fx->root, "big", "0123456789abcdef");
    s_mkdir (fx->root, "d");
    s_write (fx->root, "d/a", "aaa");
    char *a = s_full (fx->root, "d/a");
    char *b = s_full (fx->root, "b");
    assert_int_equal (link (a, b), 0);
    s_start (fx);

    //  truncate(2) by path: only IN_MODIFY
    char *big = s_full (fx->root, "big");
    assert_int_equal (truncate (big, 10), 0);
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 10);
    s_expect (fx, "changed big", NULL);
    free (big);

    //  Written through one name of a hard-linked file: every name changes
    int fd = open (b, O_WRONLY | O_APPEND);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, "more", 4), 4);
    close (fd);
    s_collect (fx, 2);
    assert_int_equal (s_first (fx)->size, 7);
    s_expect (fx, "changed b", "changed d/a", NULL);
    assert_int_equal (truncate (a, 1), 0);
    s_expect (fx, "changed b", "changed d/a", NULL);
    assert_int_equal (fileset_lookup (hostdir_files (fx->hostdir), "b")->size, 1);
    //  One name removed: the other stays, and still follows
    assert_int_equal (unlink (b), 0);
    s_expect (fx, "removed b", NULL);
    s_write (fx->root, "d/a", "changed");
    s_expect (fx, "changed d/a", NULL);
    free (a);
    free (b);
    s_assert_consistent (fx);
}

//  Editors' saves and checkouts: one change per file.
static void
test_editor_saves (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_write (fx->root, "f.txt", "old f");
    s_write (fx->root, "v.txt", "old v");
    s_write (fx->root, "g", "old g");
    s_write (fx->root, "gone", "bye");
    s_start (fx);

    //  Write f.tmp, rename it over f.txt
    s_write (fx->root, "f.tmp", "new f content");
    s_rename (fx->root, "f.tmp", fx->root, "f.txt");
    s_collect (fx, 1);
    assert_int_equal (s_first (fx)->size, 13);
    s_expect (fx, "changed f.txt", NULL);
    //  vim: rename to a backup, write anew, remove the backup
    s_rename (fx->root, "v.txt", fx->root, "v.txt~");
    s_write (fx->root, "v.txt", "new v content");
    char *backup = s_full (fx->root, "v.txt~");
    assert_int_equal (unlink (backup), 0);
    free (backup);
    s_expect (fx, "changed v.txt", NULL);
    //  Deleted and written again at once, same size
    char *g = s_full (fx->root, "g");
    assert_int_equal (unlink (g), 0);
    free (g);
    s_write (fx->root, "g", "new g");
    s_expect (fx, "changed g", NULL);
    //  sed -i: a temporary no rule names, closed, then renamed over
    s_write (fx->root, "sedAbC123", "new f, by sed");
    s_rename (fx->root, "sedAbC123", fx->root, "f.txt");
    s_expect (fx, "changed f.txt", NULL);
    //  Deleted for good: removed once the window has passed
    char *gone = s_full (fx->root, "gone");
    assert_int_equal (unlink (gone), 0);
    free (gone);
    hostdir_process (fx->hostdir, fx->changes);
    assert_int_equal (zlistx_size (fx->changes), 0);
    assert_true (hostdir_timeout (fx->hostdir) > 0);
    s_expect (fx, "removed gone", NULL);
    assert_int_equal (hostdir_timeout (fx->hostdir), -1);

    //  A checkout: 500 files replaced by rename-over
    char name [64], temp [64];
    for (int index = 0; index < 500; index++) {
        snprintf (name, sizeof name, "co/file%03d.c", index);
        if (index == 0)
            s_mkdir (fx->root, "co");
        s_write (fx->root, name, "original");
    }
    s_collect (fx, 500);
    zlistx_purge (fx->changes);
    for (int index = 0; index < 500; index++) {
        snprintf (name, sizeof name, "co/file%03d.c", index);
        snprintf (temp, sizeof temp, "co/file%03d.c.tmp", index);
        s_write (fx->root, temp, "checked out");
        s_rename (fx->root, temp, fx->root, name);
    }
    s_collect (fx, 500);
    assert_int_equal (zlistx_size (fx->changes), 500);
    const hostdir_change_t *change = (const hostdir_change_t *) zlistx_first (fx->changes);
    while (change) {
        assert_int_equal (change->kind, FSHARE__CHANGE_KIND__CHANGE_CHANGED);
        assert_null (strstr (change->path, ".tmp"));
        change = (const hostdir_change_t *) zlistx_next (fx->changes);
    }
    zlistx_purge (fx->changes);
    s_assert_consistent (fx);
}

static void
test_ignore_rules (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    const char *const patterns [] = { "*.bak", NULL };
    fx->patterns = patterns;
    s_write (fx->root, "a.log", "log");
    s_write (fx->root, "keep.tmp", "keep");
    s_write (fx->root, "x.bak", "bak");
    s_mkdir (fx->root, "build");
    s_write (fx->root, "build/out.o", "o");
    s_start (fx);
    fileset_t *files = hostdir_files (fx->hostdir);
    assert_int_equal (fileset_size (files), 2);
    assert_non_null (fileset_lookup (files, "a.log"));
    //  The built-in defaults and --ignore: never published
    s_write (fx->root, "y~", "y");
    s_write (fx->root, ".y.swp", "y");
    s_write (fx->root, "build/.#lock", "y");
    s_write (fx->root, "z.bak", "z");
    s_expect (fx, NULL);

    //  .fshareignore: read when written; '!' re-includes against the defaults
    s_write (fx->root, ".fshareignore", "# rules\n*.log\n!keep.tmp\nbuild/\n");
    s_expect (fx, "added .fshareignore", "removed a.log", "removed build/out.o",
              "added keep.tmp", NULL);
    s_write (fx->root, "b.log", "b");
    s_write (fx->root, "build/new.o", "n");
    s_write (fx->root, "other.tmp", "o");
    s_expect (fx, NULL);
    //  A rename from an ignored name over a published one: one change
    s_write (fx->root, "c.txt", "c");
    s_expect (fx, "added c.txt", NULL);
    s_rename (fx->root, "b.log", fx->root, "c.txt");
    s_expect (fx, "changed c.txt", NULL);
    //  Removed: the defaults are back, the rest is published again
    char *rules = s_full (fx->root, ".fshareignore");
    assert_int_equal (unlink (rules), 0);
    free (rules);
    s_expect (fx, "removed .fshareignore", "removed keep.tmp", "added a.log",
              "added build/out.o", "added build/new.o", NULL);
    s_write (fx->root, "build/live", "l");
    s_expect (fx, "added build/live", NULL);
    s_assert_consistent (fx);

    //  A pattern that is not one is refused
    const char *const bad [] = { "ok", "!", NULL };
    hostdir_config_t config = { bad, 0 };
    char *root = s_full (fx->base, "other");
    assert_null (hostdir_new (root, &config));
    free (root);
}

//  From close() to the change in hand, within SPEC 4.2's second. What it
//  takes (tens of ms) is printed; how fast is the events bench's to say:
//  a tighter bound here measures the machine's load, not the code.
static void
test_latency (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_start (fx);
    int64_t worst = 0;
    for (int round = 0; round < 20; round++) {
        char name [32];
        snprintf (name, sizeof name, "file%d", round);
        s_write (fx->root, name, "content");
        int64_t start = zclock_usecs ();
        s_collect (fx, 1);
        int64_t elapsed = zclock_usecs () - start;
        assert_int_equal (zlistx_size (fx->changes), 1);
        zlistx_purge (fx->changes);
        if (elapsed > worst)
            worst = elapsed;
    }
    print_message ("hostdir: worst of 20, close to change: %.3f ms\n", worst / 1000.0);
    assert_true (worst < 1000 * 1000);
}

static void
s_count_tick (void *arg)
{
    (*(size_t *) arg)++;
}

//  A big tree moved in is walked in the caller's loop: the tick comes
//  every HOSTDIR_TICK_ENTRIES entries, so the agent can keep its session
static void
test_walk_ticks (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    s_start (fx);
    size_t ticks = 0;
    hostdir_set_tick (fx->hostdir, s_count_tick, &ticks);
    s_mkdir (fx->outside, "big");
    for (int dir = 0; dir < 4; dir++) {
        char *name = zsys_sprintf ("big/d%d", dir);
        s_mkdir (fx->outside, name);
        for (int file = 0; file < 250; file++) {
            char *path = zsys_sprintf ("%s/f%d", name, file);
            s_write (fx->outside, path, "x");
            free (path);
        }
        free (name);
    }
    s_rename (fx->outside, "big", fx->root, "big");
    s_collect (fx, 1000);
    assert_int_equal (zlistx_size (fx->changes), 1000);
    //  1,000 files and 5 directories
    assert_true (ticks >= 1005 / HOSTDIR_TICK_ENTRIES);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_busy_files, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_changes_without_close, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_editor_saves, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_ignore_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_latency, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_walk_ticks, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
