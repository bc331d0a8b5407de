/*  fixture_files.h - part of fixture.h (which includes it; tests include
    fixture.h only): temporary directories and the files a test puts in
    them or looks for, for the tests that run on a real file system
    without a broker. Kept apart from the broker's scaffolding so that a
    test of one peer class needs nothing but a directory.
*/
#ifndef FIXTURE_FILES_H_INCLUDED
#define FIXTURE_FILES_H_INCLUDED

#include <dirent.h>
#include <sys/stat.h>
#include <sodium.h>

//  Makes a fresh directory /tmp/fshare-test-<name>-XXXXXX into `dir`, so
//  that a test's files never meet another test's (or run's).
static inline void
fixture_tmpdir (char *dir, size_t size, const char *name)
{
    snprintf (dir, size, "/tmp/fshare-test-%s-XXXXXX", name);
    assert_non_null (mkdtemp (dir));
}

//  Removes a test's directory and all in it, which must succeed: a
//  teardown that leaves files behind would hide a test that made too many.
static inline void
fixture_rm_rf (const char *dir)
{
    char *command = zsys_sprintf ("rm -rf '%s'", dir);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
}

//  The same, first giving the owner back every right a test took away
//  (a directory made unwritable to provoke a write failure).
static inline void
fixture_rm_rf_forced (const char *dir)
{
    char *command = zsys_sprintf ("chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
}

//  A test's state when it is a directory alone, for fixture_dir_setup.
typedef struct {
    char dir [64];
} fixture_dir_t;

//  For a cmocka setup: a fresh fixture_dir_t named after `name`
//  (see fixture_tmpdir) in *state.
static inline int
fixture_dir_setup (void **state, const char *name)
{
    fixture_dir_t *self = (fixture_dir_t *) zmalloc (sizeof (fixture_dir_t));
    fixture_tmpdir (self->dir, sizeof self->dir, name);
    *state = self;
    return 0;
}

//  Its cmocka teardown: the directory and all in it removed.
static inline int
fixture_dir_teardown (void **state)
{
    fixture_dir_t *self = (fixture_dir_t *) *state;
    fixture_rm_rf (self->dir);
    free (self);
    return 0;
}

//  Writes `content` (a string) to path, replacing what was there.
static inline void
fixture_write (const char *path, const char *content)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (content, file);
    fclose (file);
}

//  Writes `size` pseudo-random bytes (seeded) to dir/path, making its
//  directories; returns its SHA-256 as computed by libsodium, an
//  implementation independent of the one under test (sha256 NULL: none).
static inline void
fixture_make_file (const char *dir, const char *path, size_t size, uint32_t seed,
                   uint8_t sha256 [32])
{
    char *full = zsys_sprintf ("%s/%s", dir, path);
    char *slash = strrchr (full, '/');
    *slash = 0;
    char *command = zsys_sprintf ("mkdir -p '%s'", full);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    *slash = '/';
    uint8_t *data = (uint8_t *) malloc (size + 1);
    uint32_t state = seed;
    for (size_t i = 0; i < size; i++) {
        state = state * 1103515245 + 12345;
        data [i] = (uint8_t) (state >> 16);
    }
    FILE *file = fopen (full, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    assert_int_equal (fclose (file), 0);
    if (sha256)
        crypto_hash_sha256 (sha256, data, size);
    free (data);
    zstr_free (&full);
}

//  Whether dir/name exists, as anything (a dangling link counts).
static inline bool
fixture_exists (const char *dir, const char *name)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    struct stat st;
    bool exists = lstat (path, &st) == 0;
    zstr_free (&path);
    return exists;
}

//  How many entries dir holds, "." and ".." apart: what a failure left.
static inline size_t
fixture_count_entries (const char *dir)
{
    DIR *handle = opendir (dir);
    assert_non_null (handle);
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir (handle)))
        if (!streq (entry->d_name, ".") && !streq (entry->d_name, ".."))
            count++;
    closedir (handle);
    return count;
}

//  Whether two files hold the same bytes, by cmp(1): a check that does
//  not share code with what it checks.
static inline bool
fixture_same_content (const char *a, const char *b)
{
    char *command = zsys_sprintf ("cmp -s '%s' '%s'", a, b);
    bool same = system (command) == 0;
    zstr_free (&command);
    return same;
}

#endif
