/*  test_statedir.c - the agent's state directory (peer/statedir.c): made
    with mode 0700 and its parents, an instance id made once and kept, a
    damaged instance file replaced, the lock refusing a second agent (in
    this process and in another one, named by its pid) and released by
    kill -9, and the places it cannot be made; an instance, a temporary or
    a lock that is a FIFO, a symlink or a directory (no hang, nothing
    written through).
*/
#include "fixture.h"
#include "statedir.h"
#include "loginclient.h"
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int
s_setup (void **state)
{
    return fixture_dir_setup (state, "statedir");
}

//  The first line of a file, without its newline; NULL when unreadable.
static char *
s_read_line (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return NULL;
    char line [128] = "";
    if (!fgets (line, sizeof line, file))
        line [0] = 0;
    fclose (file);
    line [strcspn (line, "\n")] = 0;
    return strdup (line);
}

static bool
s_is_instance_text (const char *text)
{
    if (strlen (text) != FSH_INSTANCE_BYTES * 2)
        return false;
    for (const char *c = text; *c; c++)
        if (!strchr ("0123456789abcdef", *c))
            return false;
    return true;
}

static void
test_default_path (void **state)
{
    (void) state;
    char *saved = getenv ("XDG_STATE_HOME")? strdup (getenv ("XDG_STATE_HOME")): NULL;
    //  XDG_STATE_HOME may be missing, not its parent (nor a home)
    setenv ("XDG_STATE_HOME", "/somewhere-state", 1);
    char *path = statedir_default ("alice");
    assert_string_equal (path, "/somewhere-state/fshare/peer-alice");
    zstr_free (&path);
    setenv ("XDG_STATE_HOME", "/somewhere/state", 1);
    assert_null (statedir_default ("alice"));
    if (saved)
        setenv ("XDG_STATE_HOME", saved, 1);
    else
        unsetenv ("XDG_STATE_HOME");
    free (saved);
}

//  Made with its missing parents, 0700 whatever the umask; the instance
//  id is made once and the same after a restart; the lock holds our pid.
static void
test_made_and_kept (void **state)
{
    fixture_dir_t *fx = (fixture_dir_t *) *state;
    char *path = zsys_sprintf ("%s/a/b/peer-alice", fx->dir);
    mode_t umask_was = umask (0);
    char *error = NULL;
    statedir_t *statedir = statedir_open (path, &error);
    umask (umask_was);
    assert_null (error);
    assert_non_null (statedir);
    assert_string_equal (statedir_path (statedir), path);

    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_true (S_ISDIR (st.st_mode));
    assert_int_equal (st.st_mode & 0777, 0700);
    char *parent = zsys_sprintf ("%s/a", fx->dir);
    assert_int_equal (stat (parent, &st), 0);
    assert_int_equal (st.st_mode & 0077, 0);
    zstr_free (&parent);
    char *lock = zsys_sprintf ("%s/lock", path);
    assert_int_equal (stat (lock, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    char *pid = s_read_line (lock);
    assert_int_equal (atol (pid), (long) getpid ());
    zstr_free (&pid);

    //  The id, as bytes and as text, and in the file
    const char *text = statedir_instance_text (statedir);
    assert_true (s_is_instance_text (text));
    char hex [FSH_INSTANCE_BYTES * 2 + 1];
    const byte *bytes = statedir_instance (statedir);
    for (size_t i = 0; i < FSH_INSTANCE_BYTES; i++)
        snprintf (hex + 2 * i, 3, "%02x", bytes [i]);
    assert_string_equal (hex, text);
    char *instance = zsys_sprintf ("%s/instance", path);
    char *stored = s_read_line (instance);
    assert_string_equal (stored, text);
    zstr_free (&stored);
    char *first = strdup (text);
    statedir_destroy (&statedir);
    assert_null (statedir);
    statedir_destroy (&statedir);

    //  Started again: the same id
    statedir = statedir_open (path, &error);
    assert_non_null (statedir);
    assert_string_equal (statedir_instance_text (statedir), first);
    statedir_destroy (&statedir);

    //  Another user next to it: another id
    char *other = zsys_sprintf ("%s/a/b/peer-bob", fx->dir);
    statedir = statedir_open (other, &error);
    assert_non_null (statedir);
    assert_string_not_equal (statedir_instance_text (statedir), first);
    statedir_destroy (&statedir);
    zstr_free (&other);
    free (first);
    zstr_free (&instance);
    zstr_free (&lock);
    zstr_free (&path);
}

//  An instance file that does not hold 32 lower-case hex digits is made
//  again, and the new one written whole.
static void
test_damaged_instance (void **state)
{
    fixture_dir_t *fx = (fixture_dir_t *) *state;
    char *path = zsys_sprintf ("%s/peer-alice", fx->dir);
    char *instance = zsys_sprintf ("%s/instance", path);
    assert_int_equal (mkdir (path, 0700), 0);
    const char *junk [] = {
        "",                                             //  empty
        "0123456789abcdef\n",                           //  short
        "0123456789abcdef0123456789abcdef0\n",          //  long
        "0123456789ABCDEF0123456789ABCDEF\n",           //  upper case
        "0123456789abcdef0123456789abcdeg\n",           //  not hex
        "0123456789abcdef 123456789abcdef\n",           //  a space
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk [0]; i++) {
        fixture_write (instance, junk [i]);
        char *error = NULL;
        statedir_t *statedir = statedir_open (path, &error);
        assert_non_null (statedir);
        const char *text = statedir_instance_text (statedir);
        assert_true (s_is_instance_text (text));
        char *stored = s_read_line (instance);
        assert_string_equal (stored, text);
        zstr_free (&stored);
        statedir_destroy (&statedir);
    }
    //  A good one without its newline is kept as it is
    fixture_write (instance, "00112233445566778899aabbccddeeff");
    char *error = NULL;
    statedir_t *statedir = statedir_open (path, &error);
    assert_non_null (statedir);
    assert_string_equal (statedir_instance_text (statedir), "00112233445566778899aabbccddeeff");
    assert_int_equal (statedir_instance (statedir) [15], 0xff);
    statedir_destroy (&statedir);
    //  No temporary file left behind
    char *temp = zsys_sprintf ("%s.tmp", instance);
    assert_int_equal (access (temp, F_OK), -1);
    zstr_free (&temp);
    zstr_free (&instance);
    zstr_free (&path);
}

//  A second agent of the same user is refused while the first runs: in
//  this process, and in another one, which is named by its pid; the lock
//  goes with the process that held it, kill -9 included.
static void
test_lock (void **state)
{
    fixture_dir_t *fx = (fixture_dir_t *) *state;
    char *path = zsys_sprintf ("%s/peer-alice", fx->dir);
    char *error = NULL;
    statedir_t *first = statedir_open (path, &error);
    assert_non_null (first);
    statedir_t *second = statedir_open (path, &error);
    assert_null (second);
    assert_non_null (error);
    char *want = zsys_sprintf ("another agent of this user is running here (pid %ld;",
                               (long) getpid ());
    assert_non_null (strstr (error, want));
    zstr_free (&want);
    zstr_free (&error);
    //  The refused open did not disturb the holder's lock or id
    char *lock = zsys_sprintf ("%s/lock", path);
    char *pid = s_read_line (lock);
    assert_int_equal (atol (pid), (long) getpid ());
    zstr_free (&pid);
    statedir_destroy (&first);

    //  Held by a child process
    int ready [2];
    assert_int_equal (pipe (ready), 0);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        close (ready [0]);
        char *child_error = NULL;
        statedir_t *held = statedir_open (path, &child_error);
        char byte = held? 'y': 'n';
        if (write (ready [1], &byte, 1) != 1)
            _exit (1);
        while (true)
            pause ();
    }
    close (ready [1]);
    char byte = 0;
    assert_int_equal (read (ready [0], &byte, 1), 1);
    close (ready [0]);
    assert_int_equal (byte, 'y');
    second = statedir_open (path, &error);
    assert_null (second);
    want = zsys_sprintf ("(pid %ld;", (long) child);
    assert_non_null (strstr (error, want));
    zstr_free (&want);
    zstr_free (&error);
    assert_int_equal (kill (child, SIGKILL), 0);
    int status;
    assert_int_equal (waitpid (child, &status, 0), child);
    second = statedir_open (path, &error);
    assert_null (error);
    assert_non_null (second);
    pid = s_read_line (lock);
    assert_int_equal (atol (pid), (long) getpid ());
    zstr_free (&pid);
    statedir_destroy (&second);
    zstr_free (&lock);
    zstr_free (&path);
}

//  Where the directory cannot be: a file in its place or on its way, a
//  lock that is a symbolic link (never followed).
static void
test_cannot_be_made (void **state)
{
    fixture_dir_t *fx = (fixture_dir_t *) *state;
    char *file = zsys_sprintf ("%s/plain", fx->dir);
    fixture_write (file, "x");
    char *error = NULL;
    assert_null (statedir_open (file, &error));
    assert_non_null (error);
    assert_non_null (strstr (error, file));
    zstr_free (&error);
    char *below = zsys_sprintf ("%s/plain/peer-alice", fx->dir);
    assert_null (statedir_open (below, &error));
    assert_non_null (error);
    zstr_free (&error);

    char *path = zsys_sprintf ("%s/peer-alice", fx->dir);
    assert_int_equal (mkdir (path, 0700), 0);
    char *lock = zsys_sprintf ("%s/lock", path);
    char *target = zsys_sprintf ("%s/target", fx->dir);
    assert_int_equal (symlink (target, lock), 0);
    assert_null (statedir_open (path, &error));
    assert_non_null (error);
    zstr_free (&error);
    //  Nothing was made through the link
    assert_int_equal (access (target, F_OK), -1);

    zstr_free (&target);
    zstr_free (&lock);
    zstr_free (&path);
    zstr_free (&below);
    zstr_free (&file);
}

//  What a crash, another program or a hostile hand left in the state
//  directory instead of files: an instance that is a FIFO (once a start
//  blocked for ever on it), a symlink or a directory is replaced, nothing
//  written through a link, and a leftover temporary of any kind too; a
//  lock that is a FIFO or a directory is a clear error, never a hang.
static void
test_hostile_entries (void **state)
{
    fixture_dir_t *fx = (fixture_dir_t *) *state;
    char *path = zsys_sprintf ("%s/peer-alice", fx->dir);
    char *instance = zsys_sprintf ("%s/instance", path);
    char *temp = zsys_sprintf ("%s.tmp", instance);
    char *lock = zsys_sprintf ("%s/lock", path);
    char *target = zsys_sprintf ("%s/target", fx->dir);
    assert_int_equal (mkdir (path, 0700), 0);
    for (int how = 0; how < 3; how++) {
        unlink (instance);
        rmdir (instance);
        if (how == 0)
            assert_int_equal (mkfifo (instance, 0600), 0);
        else
        if (how == 1) {
            fixture_write (target, "00112233445566778899aabbccddeeff\n");
            assert_int_equal (symlink (target, instance), 0);
        }
        else
            assert_int_equal (mkdir (instance, 0700), 0);
        //  ... and a temporary of the same kind: a link to the target
        unlink (temp);
        assert_int_equal (symlink (target, temp), 0);
        char *error = NULL;
        statedir_t *statedir = statedir_open (path, &error);
        if (how == 2) {         //  a directory cannot be renamed over
            assert_null (statedir);
            assert_non_null (error);
            zstr_free (&error);
            continue;
        }
        assert_non_null (statedir);
        assert_true (s_is_instance_text (statedir_instance_text (statedir)));
        assert_string_not_equal (statedir_instance_text (statedir),
                                 "00112233445566778899aabbccddeeff");
        struct stat st;
        assert_int_equal (lstat (instance, &st), 0);
        assert_true (S_ISREG (st.st_mode));
        statedir_destroy (&statedir);
    }
    char *line = s_read_line (target);
    assert_string_equal (line, "00112233445566778899aabbccddeeff");
    zstr_free (&line);
    rmdir (instance);

    const int kinds [] = { S_IFIFO, S_IFDIR };
    for (size_t i = 0; i < 2; i++) {
        unlink (lock);
        if (kinds [i] == S_IFIFO)
            assert_int_equal (mkfifo (lock, 0600), 0);
        else
            assert_int_equal (mkdir (lock, 0700), 0);
        char *error = NULL;
        assert_null (statedir_open (path, &error));
        assert_non_null (error);
        assert_non_null (strstr (error, path));
        zstr_free (&error);
        rmdir (lock);
    }
    unlink (lock);
    char *error = NULL;
    statedir_t *statedir = statedir_open (path, &error);
    assert_non_null (statedir);
    statedir_destroy (&statedir);
    zstr_free (&target);
    zstr_free (&lock);
    zstr_free (&temp);
    zstr_free (&instance);
    zstr_free (&path);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_default_path),
        cmocka_unit_test_setup_teardown (test_made_and_kept, s_setup, fixture_dir_teardown),
        cmocka_unit_test_setup_teardown (test_damaged_instance, s_setup, fixture_dir_teardown),
        cmocka_unit_test_setup_teardown (test_lock, s_setup, fixture_dir_teardown),
        cmocka_unit_test_setup_teardown (test_cannot_be_made, s_setup, fixture_dir_teardown),
        cmocka_unit_test_setup_teardown (test_hostile_entries, s_setup, fixture_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
