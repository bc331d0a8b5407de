/*  fixture_hostdir.h - a host directory (hostdir.h) on a real temporary
    tree, for test_hostdir.c, test_hostdir_writes.c and test_moves.c: a root and a directory
    outside it, file helpers, and the checks of what the host directory
    reports (s_expect: exactly these changes, in any order) and publishes
    (s_assert_consistent: what a fresh scan of the disk finds).

    inotify queues events while the file operation runs, so once a test's
    own operations have returned, everything they caused is readable: the
    helpers poll the descriptor with a deadline, never sleep. Everything a
    test does before it collects is read in one batch.
*/
#ifndef FIXTURE_HOSTDIR_H_INCLUDED
#define FIXTURE_HOSTDIR_H_INCLUDED

#include "hostdir.h"
#include "ignore.h"
#include "scanner.h"
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <unistd.h>

typedef struct {
    char *base;                 //  temporary directory holding the rest
    char *root;                 //  the host directory
    char *outside;              //  a directory outside it
    hostdir_t *hostdir;
    zlistx_t *changes;
    const char *const *patterns;        //  the --ignore patterns of s_start
} s_fixture_t;

//  ---------------------------------------------------------------------
//  File helpers; paths relative to a directory

static inline char *
s_full (const char *dir, const char *path)
{
    return zsys_sprintf ("%s/%s", dir, path);
}

static inline void
s_mkdir (const char *dir, const char *path)
{
    char *full = s_full (dir, path);
    assert_int_equal (mkdir (full, 0755), 0);
    free (full);
}

static inline void
s_write (const char *dir, const char *path, const char *content)
{
    char *full = s_full (dir, path);
    int fd = open (full, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true (fd >= 0);
    size_t len = strlen (content);
    assert_int_equal (write (fd, content, len), (ssize_t) len);
    assert_int_equal (close (fd), 0);
    free (full);
}

static inline void
s_rename (const char *from_dir, const char *from, const char *to_dir, const char *to)
{
    char *full_from = s_full (from_dir, from);
    char *full_to = s_full (to_dir, to);
    assert_int_equal (rename (full_from, full_to), 0);
    free (full_from);
    free (full_to);
}

static inline void
s_set_mtime (const char *dir, const char *path, time_t mtime)
{
    char *full = s_full (dir, path);
    struct timespec times [2] = { { mtime, 0 }, { mtime, 0 } };
    assert_int_equal (utimensat (AT_FDCWD, full, times, AT_SYMLINK_NOFOLLOW), 0);
    free (full);
}

static inline int
s_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) ftw;
    int rc = (flag == FTW_DP || flag == FTW_D)? rmdir (path): unlink (path);
    return rc? -1: 0;
}

static inline void
s_remove_tree (const char *dir, const char *path)
{
    char *full = path? s_full (dir, path): strdup (dir);
    assert_int_equal (nftw (full, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
    free (full);
}

//  ---------------------------------------------------------------------
//  Fixture and change helpers

static inline int
s_setup (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) zmalloc (sizeof (s_fixture_t));
    fx->base = strdup ("/tmp/fshare-hostdir-XXXXXX");
    if (!mkdtemp (fx->base))
        return -1;
    fx->root = s_full (fx->base, "host");
    fx->outside = s_full (fx->base, "outside");
    mkdir (fx->root, 0755);
    mkdir (fx->outside, 0755);
    fx->changes = zlistx_new ();
    zlistx_set_destructor (fx->changes, (zlistx_destructor_fn *) hostdir_change_destroy);
    *state = fx;
    return 0;
}

static inline int
s_teardown (void **state)
{
    s_fixture_t *fx = (s_fixture_t *) *state;
    hostdir_destroy (&fx->hostdir);
    zlistx_destroy (&fx->changes);
    nftw (fx->base, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free (fx->base);
    free (fx->root);
    free (fx->outside);
    free (fx);
    return 0;
}

static inline void
s_start (s_fixture_t *fx)
{
    hostdir_config_t config = { fx->patterns, 0 };
    fx->hostdir = hostdir_new (fx->root, &config);
    assert_non_null (fx->hostdir);
}

//  Process events until `expected` changes have arrived and no move waits
//  for its partner (or 3 s pass), then take whatever else is queued.
static inline void
s_collect (s_fixture_t *fx, size_t expected)
{
    int64_t deadline = zclock_mono () + 3000;
    while (true) {
        hostdir_process (fx->hostdir, fx->changes);
        int timeout = hostdir_timeout (fx->hostdir);
        bool waiting = timeout >= 0 && timeout < 1000;
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        struct pollfd item = { hostdir_fd (fx->hostdir), POLLIN, 0 };
        bool done = zlistx_size (fx->changes) >= expected && !waiting;
        int wait = done? 0: waiting && timeout < left? timeout: (int) left;
        if (poll (&item, 1, wait) == 0 && done)
            break;
    }
}

static inline char *
s_describe (const hostdir_change_t *change)
{
    const char *kind =
        change->kind == FSHARE__CHANGE_KIND__CHANGE_ADDED? "added":
        change->kind == FSHARE__CHANGE_KIND__CHANGE_CHANGED? "changed":
        change->kind == FSHARE__CHANGE_KIND__CHANGE_REMOVED? "removed":
        change->kind == FSHARE__CHANGE_KIND__CHANGE_RENAMED? "renamed":
        change->kind == FSHARE__CHANGE_KIND__CHANGE_NONE? "verify": "?";
    if (change->from)
        return zsys_sprintf ("%s %s -> %s", kind, change->from, change->path);
    return zsys_sprintf ("%s %s", kind, change->path);
}

static inline int
s_compare_strings (const void *a, const void *b)
{
    return strcmp (*(char * const *) a, *(char * const *) b);
}

//  Collect, then check that the changes are exactly those given (in any
//  order), as "added PATH", "changed PATH", "removed PATH" or
//  "renamed FROM -> PATH" or "verify PATH" (the same size and mtime, another
//  ctime), NULL-terminated; an item ending in '*' stands for any one change
//  that starts with what precedes it (compared in sorted order). Empties
//  the list.
static inline void
s_expect (s_fixture_t *fx, ...)
{
    const char *wanted [64];
    size_t count = 0;
    va_list args;
    va_start (args, fx);
    for (const char *item = va_arg (args, const char *); item; item = va_arg (args, const char *))
        wanted [count++] = item;
    va_end (args);
    s_collect (fx, count);

    size_t got_count = zlistx_size (fx->changes);
    char **got = (char **) calloc (got_count + 1, sizeof (char *));
    size_t index = 0;
    const hostdir_change_t *change = (const hostdir_change_t *) zlistx_first (fx->changes);
    while (change) {
        got [index++] = s_describe (change);
        change = (const hostdir_change_t *) zlistx_next (fx->changes);
    }
    qsort (got, got_count, sizeof (char *), s_compare_strings);
    qsort (wanted, count, sizeof (char *), s_compare_strings);
    bool same = got_count == count;
    for (index = 0; same && index < count; index++) {
        size_t length = strlen (wanted [index]);
        bool prefix = length && wanted [index][length - 1] == '*';
        same = prefix? strncmp (got [index], wanted [index], length - 1) == 0
                     : streq (got [index], wanted [index]);
    }
    if (!same) {
        print_message ("expected %zu changes:\n", count);
        for (index = 0; index < count; index++)
            print_message ("    %s\n", wanted [index]);
        print_message ("got %zu:\n", got_count);
        for (index = 0; index < got_count; index++)
            print_message ("    %s\n", got [index]);
    }
    for (index = 0; index < got_count; index++)
        free (got [index]);
    free (got);
    zlistx_purge (fx->changes);
    assert_true (same);
}

//  The first change, for checking sizes and mtimes; NULL when none.
static inline const hostdir_change_t *
s_first (s_fixture_t *fx)
{
    return (const hostdir_change_t *) zlistx_first (fx->changes);
}

//  A fresh scan of the disk, without what the rules ignore.
static inline fileset_t *
s_disk (s_fixture_t *fx)
{
    fileset_t *all = fileset_new ();
    assert_true (scanner_scan (fx->root, NULL, all) >= 0);
    ignore_t *ignore = ignore_new ();
    for (const char *const *pattern = fx->patterns; pattern && *pattern; pattern++)
        ignore_add (ignore, IGNORE_OPTIONS, *pattern);
    char *rules = s_full (fx->root, ".fshareignore");
    char *text = NULL;
    FILE *file = fopen (rules, "r");
    if (file) {
        text = (char *) zmalloc (65536);
        size_t size = fread (text, 1, 65535, file);
        text [size] = 0;
        fclose (file);
    }
    ignore_set_text (ignore, IGNORE_FILE, text);
    free (text);
    free (rules);
    fileset_t *disk = fileset_new ();
    zlistx_t *list = fileset_sorted (all);
    const fileset_file_t *entry = (const fileset_file_t *) zlistx_first (list);
    while (entry) {
        if (!ignore_match (ignore, entry->path, false))
            fileset_put_file (disk, entry);
        entry = (const fileset_file_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
    ignore_destroy (&ignore);
    fileset_destroy (&all);
    return disk;
}

//  What the host directory publishes equals a fresh scan of the disk.
static inline void
s_assert_consistent (s_fixture_t *fx)
{
    fileset_t *disk = s_disk (fx);
    fileset_t *files = hostdir_files (fx->hostdir);
    assert_int_equal (fileset_size (files), fileset_size (disk));
    zlistx_t *list = fileset_sorted (disk);
    const fileset_file_t *file = (const fileset_file_t *) zlistx_first (list);
    while (file) {
        const fileset_file_t *known = fileset_lookup (files, file->path);
        if (!known)
            print_message ("not published: %s\n", file->path);
        assert_non_null (known);
        assert_int_equal (known->size, file->size);
        assert_int_equal (known->mtime, file->mtime);
        file = (const fileset_file_t *) zlistx_next (list);
    }
    zlistx_destroy (&list);
    fileset_destroy (&disk);
}

#endif
