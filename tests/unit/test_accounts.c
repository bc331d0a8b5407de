/*  test_accounts.c - the account file: parsing, validation, saving, reload.

    Hashes use PASSHASH_COST_MIN so that the suite stays fast; one test
    checks the interactive cost once.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sodium.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include "accounts.h"

typedef struct {
    char dir [64];
    char *path;                 //  dir/accounts
    char *alice;                //  hash of "alice-pw"
    char *bob;                  //  hash of "bob-pw"
} fixture_t;

static void
s_write (const char *path, const char *data, size_t size)
{
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    assert_int_equal (fclose (file), 0);
}

static void
s_write_text (const char *path, const char *text)
{
    s_write (path, text, strlen (text));
}

//  The whole file as a string (caller frees).
static char *
s_read (const char *path)
{
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    char *data = (char *) zmalloc (65536);
    size_t size = fread (data, 1, 65535, file);
    data [size] = 0;
    fclose (file);
    return data;
}

//  Removes a directory tree of plain files and directories.
static void
s_remove_tree (const char *dir)
{
    DIR *handle = opendir (dir);
    if (!handle)
        return;
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        if (streq (entry->d_name, ".") || streq (entry->d_name, ".."))
            continue;
        char *path = zsys_sprintf ("%s/%s", dir, entry->d_name);
        struct stat st;
        if (lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
            s_remove_tree (path);
        else
            unlink (path);
        zstr_free (&path);
    }
    closedir (handle);
    rmdir (dir);
}

static int
s_setup (void **state)
{
    fixture_t *self = (fixture_t *) zmalloc (sizeof (fixture_t));
    strcpy (self->dir, "/tmp/fshare-accounts.XXXXXX");
    assert_non_null (mkdtemp (self->dir));
    self->path = zsys_sprintf ("%s/accounts", self->dir);
    self->alice = passhash_new ("alice-pw", PASSHASH_COST_MIN);
    self->bob = passhash_new ("bob-pw", PASSHASH_COST_MIN);
    assert_non_null (self->alice);
    assert_non_null (self->bob);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_remove_tree (self->dir);
    zstr_free (&self->path);
    zstr_free (&self->alice);
    zstr_free (&self->bob);
    free (self);
    return 0;
}

//  A good file: a comment, a blank line, alice and bob.
static void
s_write_good (fixture_t *self)
{
    char *text = zsys_sprintf ("# fshare accounts\n\nalice:%s\nbob:%s\n",
                               self->alice, self->bob);
    s_write_text (self->path, text);
    zstr_free (&text);
    chmod (self->path, 0600);
}

static accounts_t *
s_load_good (fixture_t *self)
{
    s_write_good (self);
    accounts_t *accounts = accounts_new (self->path);
    char *error = NULL;
    assert_int_equal (accounts_load (accounts, &error), 0);
    assert_null (error);
    assert_int_equal (accounts_size (accounts), 2);
    return accounts;
}

static void
test_load_good (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    accounts_t *accounts = s_load_good (self);
    assert_string_equal (accounts_path (accounts), self->path);
    assert_string_equal (accounts_lookup (accounts, "alice"), self->alice);
    assert_string_equal (accounts_lookup (accounts, "bob"), self->bob);
    assert_null (accounts_lookup (accounts, "carol"));
    assert_null (accounts_lookup (accounts, "#"));
    assert_null (accounts_lookup (accounts, ""));
    assert_true (passhash_verify (accounts_lookup (accounts, "alice"), "alice-pw"));
    assert_false (passhash_verify (accounts_lookup (accounts, "alice"), "bob-pw"));
    assert_false (passhash_verify (accounts_lookup (accounts, "alice"), ""));
    assert_false (passhash_verify (NULL, "alice-pw"));
    assert_false (passhash_verify (self->alice, NULL));
    accounts_destroy (&accounts);
    assert_null (accounts);
}

static void
test_last_line_without_newline (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    char *text = zsys_sprintf ("alice:%s", self->alice);
    s_write_text (self->path, text);
    zstr_free (&text);
    accounts_t *accounts = accounts_new (self->path);
    assert_int_equal (accounts_load (accounts, NULL), 0);
    assert_int_equal (accounts_size (accounts), 1);
    accounts_destroy (&accounts);
}

static void
test_missing_file (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    accounts_t *accounts = accounts_new (self->path);
    char *error = NULL;
    assert_int_equal (accounts_load (accounts, &error), 0);
    assert_null (error);
    assert_int_equal (accounts_size (accounts), 0);
    assert_int_equal (accounts_refresh (accounts), 0);
    accounts_destroy (&accounts);
}

//  Each malformed file: the line it fails on and a word of the reason.
typedef struct {
    const char *name;
    const char *text;           //  %A is alice's hash, %B bob's
    size_t size;                //  0: strlen; else exact (for NUL bytes)
    int line;
    const char *reason;
} bad_case_t;

//  Expands %A and %B in a template.
static char *
s_expand (fixture_t *self, const char *text, size_t size, size_t *out_size)
{
    char *out = (char *) zmalloc (size + 1024);
    size_t used = 0;
    for (size_t index = 0; index < size; index++) {
        if (text [index] == '%' && index + 1 < size
        && (text [index + 1] == 'A' || text [index + 1] == 'B')) {
            const char *hash = text [index + 1] == 'A'? self->alice: self->bob;
            memcpy (out + used, hash, strlen (hash));
            used += strlen (hash);
            index++;
        }
        else
            out [used++] = text [index];
    }
    *out_size = used;
    return out;
}

static void
test_malformed_lines (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    char long_line [700];
    memset (long_line, 'a', sizeof long_line - 1);
    long_line [sizeof long_line - 1] = 0;
    char *too_long = zsys_sprintf ("alice:%%A\n%s\n", long_line);
    const bad_case_t cases [] = {
        { "no colon",      "# c\nalice:%A\nbob\n", 0, 3, "missing ':'" },
        { "blank user",    "alice:%A\n:%B\n", 0, 2, "bad user name" },
        { "dot user",      "alice:%A\n.bob:%B\n", 0, 2, "bad user name" },
        { "space in user", "alice:%A\nbo b:%B\n", 0, 2, "bad user name" },
        { "leading space", " alice:%A\n", 0, 1, "bad user name" },
        { "plain text",    "alice:%A\nbob:secret\n", 0, 2, "bad password hash" },
        { "empty hash",    "alice:\n", 0, 1, "bad password hash" },
        { "argon2i",       "alice:$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                           "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g\n", 0, 1,
                           "bad password hash" },
        { "huge memory",   "alice:$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                           "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g\n", 0, 1,
                           "bad password hash" },
        { "cut hash",      "alice:$argon2id$v=19$m=8,t=1,p=1$c2FsdA\n", 0, 1,
                           "bad password hash" },
        { "crlf",          "alice:%A\r\n", 0, 1, "bad password hash" },
        { "trailing junk", "alice:%A x\n", 0, 1, "bad password hash" },
        { "duplicate",     "alice:%A\nbob:%B\n\nalice:%B\n", 0, 4, "duplicate user" },
        { "NUL byte",      "alice:%A\nb\0b:%B\n", 16, 2, "NUL byte" },
        { "overlong",      too_long, 0, 2, "too long" },
    };
    accounts_t *accounts = s_load_good (self);
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        const bad_case_t *bad = &cases [index];
        size_t size = bad->size? bad->size: strlen (bad->text);
        size_t out_size = 0;
        char *data = s_expand (self, bad->text, size, &out_size);
        s_write (self->path, data, out_size);
        free (data);

        char *error = NULL;
        int rc = accounts_load (accounts, &error);
        if (rc != -1 || !error)
            fail_msg ("case '%s' was accepted", bad->name);
        char *where = zsys_sprintf ("%s:%d: ", self->path, bad->line);
        if (strncmp (error, where, strlen (where)) || !strstr (error, bad->reason))
            fail_msg ("case '%s': unexpected error \"%s\"", bad->name, error);
        zstr_free (&where);
        zstr_free (&error);
        //  The accounts loaded before are untouched
        assert_int_equal (accounts_size (accounts), 2);
        assert_string_equal (accounts_lookup (accounts, "alice"), self->alice);
        assert_string_equal (accounts_lookup (accounts, "bob"), self->bob);
    }
    //  A null error pointer is allowed
    assert_int_equal (accounts_load (accounts, NULL), -1);
    zstr_free (&too_long);
    accounts_destroy (&accounts);
}

//  A hash string of `length` characters, well-formed but for its length
//  (caller frees)
static char *
s_hash_of_length (size_t length)
{
    const char *prefix = "$argon2id$v=19$m=8,t=1,p=1$";
    size_t salt = length - strlen (prefix) - 1 - 43;
    char *hash = (char *) zmalloc (length + 1);
    strcpy (hash, prefix);
    memset (hash + strlen (prefix), 'c', salt);
    hash [strlen (prefix) + salt] = '$';
    memset (hash + strlen (prefix) + salt + 1, 'h', 43);
    return hash;
}

//  The bounds of what is read: a line of ACCOUNTS_LINE_MAX (512) bytes
//  and not one more, a file of 16 MiB and not one byte more (it is read
//  whole into memory), a hash string shorter than crypto_pwhash_STRBYTES
//  (it is copied into a buffer of that size)
static void
test_bounds (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    accounts_t *accounts = s_load_good (self);
    char line [514];
    memset (line, 'x', sizeof line);
    line [0] = '#';
    line [512] = '\n';
    s_write (self->path, line, 513);
    char *error = NULL;
    assert_int_equal (accounts_load (accounts, &error), 0);
    assert_null (error);
    line [512] = 'x';
    line [513] = '\n';
    s_write (self->path, line, 514);
    assert_int_equal (accounts_load (accounts, &error), -1);
    assert_non_null (strstr (error, "line too long"));
    zstr_free (&error);

    //  16 MiB of comment lines load; one byte more does not
    size_t max = 16 * 1024 * 1024;
    char *big = (char *) malloc (max + 1);
    for (size_t at = 0; at < max; at += 512) {
        memset (big + at, 'x', 511);
        big [at] = '#';
        big [at + 511] = '\n';
    }
    s_write (self->path, big, max);
    assert_int_equal (accounts_load (accounts, &error), 0);
    big [max] = '\n';
    s_write (self->path, big, max + 1);
    assert_int_equal (accounts_load (accounts, &error), -1);
    assert_non_null (strstr (error, "file too large"));
    zstr_free (&error);
    free (big);

    //  A hash of crypto_pwhash_STRBYTES characters or more is refused
    //  before it is copied
    char *hash = s_hash_of_length (crypto_pwhash_STRBYTES);
    assert_false (passhash_valid (hash));
    zstr_free (&hash);
    hash = s_hash_of_length (3 * crypto_pwhash_STRBYTES);
    assert_false (passhash_valid (hash));
    zstr_free (&hash);
    accounts_destroy (&accounts);
}

static void
test_not_a_file (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    assert_int_equal (mkdir (self->path, 0700), 0);
    accounts_t *accounts = accounts_new (self->path);
    char *error = NULL;
    assert_int_equal (accounts_load (accounts, &error), -1);
    assert_non_null (strstr (error, "not a regular file"));
    zstr_free (&error);
    rmdir (self->path);
    //  A FIFO would block a plain open until someone writes to it
    assert_int_equal (mkfifo (self->path, 0600), 0);
    assert_int_equal (accounts_load (accounts, &error), -1);
    assert_non_null (strstr (error, "not a regular file"));
    zstr_free (&error);
    accounts_destroy (&accounts);
}

static void
test_hash_valid (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    assert_true (passhash_valid (self->alice));
    assert_false (passhash_valid (NULL));
    assert_false (passhash_valid (""));
    assert_false (passhash_valid ("$argon2id$"));
    assert_false (passhash_valid ("$argon2id$v=19$m=8,t=1,p=1$$"));
    assert_false (passhash_valid ("$argon2id$v=19$m=08,t=1,p=1$c2FsdA$aGFzaA"));
    assert_false (passhash_valid ("$argon2id$v=19$m=8,t=0,p=1$c2FsdA$aGFzaA"));
    assert_false (passhash_valid ("$argon2id$v=19$m=8,t=99,p=1$c2FsdA$aGFzaA"));
    //  Salt too short for libsodium's decoder, though syntactically fine
    assert_false (passhash_valid ("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"));
    //  An argon2i hash: libsodium would verify it, but we store argon2id only
    char out [crypto_pwhash_STRBYTES];
    assert_int_equal (crypto_pwhash_argon2i_str (out, "pw", 2, 3, 8192), 0);
    assert_false (passhash_valid (out));
    //  One byte truncated or appended
    char *cut = strdup (self->alice);
    cut [strlen (cut) - 1] = 0;
    assert_false (passhash_verify (cut, "alice-pw"));
    zstr_free (&cut);
    char *longer = zsys_sprintf ("%sA", self->alice);
    assert_false (passhash_verify (longer, "alice-pw"));
    zstr_free (&longer);
}

static void
test_interactive_cost (void **state)
{
    (void) state;
    char *hash = passhash_new ("pw", PASSHASH_COST_INTERACTIVE);
    assert_non_null (hash);
    char *expected = zsys_sprintf ("$argon2id$v=19$m=%zu,t=%llu,p=1$",
        (size_t) crypto_pwhash_MEMLIMIT_INTERACTIVE / 1024,
        (unsigned long long) crypto_pwhash_OPSLIMIT_INTERACTIVE);
    assert_memory_equal (hash, expected, strlen (expected));
    assert_true (passhash_valid (hash));
    assert_true (passhash_verify (hash, "pw"));
    assert_false (passhash_verify (hash, "pW"));
    zstr_free (&expected);
    zstr_free (&hash);

    hash = passhash_new ("pw", PASSHASH_COST_MIN);
    assert_memory_equal (hash, "$argon2id$v=19$m=8,t=1,p=1$", 27);
    zstr_free (&hash);
    assert_null (passhash_new (NULL, PASSHASH_COST_MIN));
}

static void
test_set_delete (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    accounts_t *accounts = accounts_new (self->path);
    assert_int_equal (accounts_set (accounts, "alice", self->alice), 0);
    assert_int_equal (accounts_set (accounts, "bob", self->bob), 0);
    assert_int_equal (accounts_size (accounts), 2);
    //  Replace
    assert_int_equal (accounts_set (accounts, "alice", self->bob), 0);
    assert_string_equal (accounts_lookup (accounts, "alice"), self->bob);
    assert_int_equal (accounts_size (accounts), 2);
    //  Refused: bad names, bad hashes
    assert_int_equal (accounts_set (accounts, "", self->alice), -1);
    assert_int_equal (accounts_set (accounts, NULL, self->alice), -1);
    assert_int_equal (accounts_set (accounts, "a:b", self->alice), -1);
    assert_int_equal (accounts_set (accounts, "a\nb", self->alice), -1);
    assert_int_equal (accounts_set (accounts, "carol", "plaintext"), -1);
    assert_int_equal (accounts_set (accounts, "carol", NULL), -1);
    assert_int_equal (accounts_set (accounts, "alice", "x\n"), -1);
    assert_string_equal (accounts_lookup (accounts, "alice"), self->bob);
    //  Delete
    assert_int_equal (accounts_delete (accounts, "carol"), -1);
    assert_int_equal (accounts_delete (accounts, NULL), -1);
    assert_int_equal (accounts_delete (accounts, "alice"), 0);
    assert_null (accounts_lookup (accounts, "alice"));
    assert_int_equal (accounts_delete (accounts, "alice"), -1);
    assert_int_equal (accounts_size (accounts), 1);
    accounts_destroy (&accounts);
}

//  Every line of text is a comment, blank, or user:$argon2id$...
static void
s_assert_only_hashes (const char *text)
{
    char *copy = strdup (text);
    char *saveptr = NULL;
    for (char *line = strtok_r (copy, "\n", &saveptr); line;
         line = strtok_r (NULL, "\n", &saveptr)) {
        if (*line == '#')
            continue;
        char *colon = strchr (line, ':');
        assert_non_null (colon);
        assert_true (passhash_valid (colon + 1));
        assert_memory_equal (colon + 1, "$argon2id$", 10);
    }
    free (copy);
}

static void
test_save (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    //  Into a directory that does not exist yet
    char *path = zsys_sprintf ("%s/state/fshare/accounts", self->dir);
    accounts_t *accounts = accounts_new (path);
    assert_int_equal (accounts_load (accounts, NULL), 0);
    assert_int_equal (accounts_set (accounts, "alice", self->alice), 0);
    assert_int_equal (accounts_set (accounts, "bob", self->bob), 0);
    mode_t saved_umask = umask (0);
    int rc = accounts_save (accounts);
    umask (saved_umask);
    assert_int_equal (rc, 0);

    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    char *dir = zsys_sprintf ("%s/state/fshare", self->dir);
    assert_int_equal (stat (dir, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    zstr_free (&dir);

    char *text = s_read (path);
    char *expected = zsys_sprintf ("alice:%s\nbob:%s\n", self->alice, self->bob);
    assert_string_equal (text, expected);
    assert_null (strstr (text, "alice-pw"));
    s_assert_only_hashes (text);
    zstr_free (&expected);
    zstr_free (&text);

    //  Our own save is no change to refresh; a new object reads the same
    assert_int_equal (accounts_refresh (accounts), 0);
    accounts_t *again = accounts_new (path);
    assert_int_equal (accounts_load (again, NULL), 0);
    assert_int_equal (accounts_size (again), 2);
    assert_true (passhash_verify (accounts_lookup (again, "bob"), "bob-pw"));
    accounts_destroy (&again);
    accounts_destroy (&accounts);
    zstr_free (&path);
}

static void
test_save_keeps_layout (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    accounts_t *accounts = s_load_good (self);
    assert_int_equal (chmod (self->path, 0644), 0);
    //  Change alice, delete bob, add carol: comments stay, order stays
    assert_int_equal (accounts_set (accounts, "carol", self->bob), 0);
    assert_int_equal (accounts_set (accounts, "alice", self->bob), 0);
    assert_int_equal (accounts_delete (accounts, "bob"), 0);
    assert_int_equal (accounts_save (accounts), 0);
    char *text = s_read (self->path);
    char *expected = zsys_sprintf ("# fshare accounts\n\nalice:%s\ncarol:%s\n",
                                   self->bob, self->bob);
    assert_string_equal (text, expected);
    zstr_free (&expected);
    zstr_free (&text);
    //  The mode is kept, less the bits for others; no temp file is left behind
    struct stat st;
    assert_int_equal (stat (self->path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0640);
    DIR *handle = opendir (self->dir);
    int entries = 0;
    for (struct dirent *entry = readdir (handle); entry; entry = readdir (handle))
        entries++;
    closedir (handle);
    assert_int_equal (entries, 3);      //  ".", ".." and accounts
    accounts_destroy (&accounts);
}

static void
test_save_fails (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    //  The "directory" is a file
    char *blocker = zsys_sprintf ("%s/blocker", self->dir);
    s_write_text (blocker, "x");
    char *path = zsys_sprintf ("%s/accounts", blocker);
    accounts_t *accounts = accounts_new (path);
    assert_int_equal (accounts_set (accounts, "alice", self->alice), 0);
    errno = 0;
    assert_int_equal (accounts_save (accounts), -1);
    assert_int_equal (errno, ENOTDIR);
    accounts_destroy (&accounts);
    zstr_free (&path);
    zstr_free (&blocker);
}

static void
test_refresh (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    accounts_t *accounts = s_load_good (self);
    assert_int_equal (accounts_refresh (accounts), 0);
    assert_int_equal (accounts_refresh (accounts), 0);

    //  A new file (new inode) with one more account
    char *temp = zsys_sprintf ("%s.new", self->path);
    char *text = zsys_sprintf ("alice:%s\nbob:%s\ncarol:%s\n",
                               self->alice, self->bob, self->bob);
    s_write_text (temp, text);
    zstr_free (&text);
    assert_int_equal (rename (temp, self->path), 0);
    assert_int_equal (accounts_refresh (accounts), 1);
    assert_int_equal (accounts_size (accounts), 3);
    assert_int_equal (accounts_refresh (accounts), 0);

    //  Same inode, same size, only the content and the time differ
    text = zsys_sprintf ("alice:%s\nbob:%s\ncarol:%s\n",
                         self->bob, self->alice, self->alice);
    s_write_text (self->path, text);
    zstr_free (&text);
    struct timespec times [2] = { { 1000000000, 1 }, { 1000000000, 1 } };
    assert_int_equal (utimensat (AT_FDCWD, self->path, times, 0), 0);
    assert_int_equal (accounts_refresh (accounts), 1);
    assert_string_equal (accounts_lookup (accounts, "alice"), self->bob);
    //  Only the nanoseconds differ
    times [0].tv_nsec = times [1].tv_nsec = 2;
    assert_int_equal (utimensat (AT_FDCWD, self->path, times, 0), 0);
    assert_int_equal (accounts_refresh (accounts), 1);

    //  A broken file: reported once, old accounts stay
    s_write_text (self->path, "alice:oops\n");
    assert_int_equal (accounts_refresh (accounts), -1);
    assert_int_equal (accounts_size (accounts), 3);
    assert_int_equal (accounts_refresh (accounts), 0);
    assert_string_equal (accounts_lookup (accounts, "alice"), self->bob);

    //  A vanished file keeps the accounts too
    assert_int_equal (unlink (self->path), 0);
    assert_int_equal (accounts_refresh (accounts), -1);
    assert_int_equal (accounts_size (accounts), 3);
    assert_int_equal (accounts_refresh (accounts), 0);

    //  And when it is back, it is read
    s_write_good (self);
    assert_int_equal (accounts_refresh (accounts), 1);
    assert_int_equal (accounts_size (accounts), 2);
    zstr_free (&temp);
    accounts_destroy (&accounts);
}

//  Two writers' locks exclude each other (each accounts_t its own open of
//  the directory, as two processes), the second giving up at its deadline
//  with a reason; the lock survives the rename of a save.
static void
test_lock (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    accounts_t *first = accounts_new (self->path);
    accounts_t *second = accounts_new (self->path);
    assert_int_equal (accounts_lock (first, 0, NULL), 0);
    assert_int_equal (accounts_set (first, "alice", self->alice), 0);
    assert_int_equal (accounts_save (first), 0);
    char *error = NULL;
    int64_t start = zclock_mono ();
    assert_int_equal (accounts_lock (second, 100, &error), -1);
    assert_true (zclock_mono () - start >= 100);
    assert_non_null (strstr (error, "cannot lock"));
    zstr_free (&error);
    accounts_unlock (first);
    assert_int_equal (accounts_lock (second, 100, &error), 0);
    assert_int_equal (accounts_lock (first, 0, NULL), -1);
    accounts_unlock (second);
    accounts_unlock (second);       //  twice: harmless
    accounts_destroy (&first);
    accounts_destroy (&second);
}

//  A symlinked file: the save replaces its target (relative to the link's
//  directory), the link stays; a loop of links is an error.
static void
test_save_symlink (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    char *sub = zsys_sprintf ("%s/sub", self->dir);
    char *link = zsys_sprintf ("%s/link", sub);
    char *loop = zsys_sprintf ("%s/loop", self->dir);
    assert_int_equal (mkdir (sub, 0700), 0);
    s_write_text (self->path, "# kept\n");
    assert_int_equal (symlink ("../accounts", link), 0);
    accounts_t *accounts = accounts_new (link);
    assert_int_equal (accounts_load (accounts, NULL), 0);
    assert_int_equal (accounts_set (accounts, "alice", self->alice), 0);
    assert_int_equal (accounts_save (accounts), 0);
    struct stat st;
    assert_int_equal (lstat (link, &st), 0);
    assert_true (S_ISLNK (st.st_mode));
    char *text = s_read (self->path);
    char *expected = zsys_sprintf ("# kept\nalice:%s\n", self->alice);
    assert_string_equal (text, expected);
    accounts_destroy (&accounts);

    assert_int_equal (symlink ("loop", loop), 0);
    accounts = accounts_new (loop);
    assert_int_equal (accounts_set (accounts, "alice", self->alice), 0);
    assert_int_equal (accounts_save (accounts), -1);
    assert_int_equal (errno, ELOOP);
    assert_int_equal (accounts_lock (accounts, 0, NULL), -1);
    accounts_destroy (&accounts);
    unlink (loop);
    unlink (link);
    rmdir (sub);
    zstr_free (&text);
    zstr_free (&expected);
    zstr_free (&sub);
    zstr_free (&link);
    zstr_free (&loop);
}

int
main (void)
{
    assert_true (sodium_init () >= 0);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_load_good, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_last_line_without_newline, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_missing_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_lines, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_not_a_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bounds, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_hash_valid, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_interactive_cost, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_set_delete, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_save, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_save_keeps_layout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_save_fails, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refresh, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lock, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_save_symlink, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
