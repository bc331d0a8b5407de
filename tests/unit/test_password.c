/*  test_password.c - proto/password: where a password comes from (the
    file's first line, else $FSHARE_PASSWORD, else the terminal, never
    the command line) and how a line is read: its newline (and a CR
    before it) dropped, nothing else cut, a NUL byte refused, a line too
    long for any reader kept too long rather than cut to fit.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include <fcntl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <signal.h>

#define PASSWORD_MAX 1024       //  what the broker and fshare-passwd take

//  fsh_password_read_line of `size` bytes (which may hold NULs).
static char *
s_line (const char *bytes, size_t size)
{
    FILE *in = fmemopen ((void *) bytes, size, "r");
    assert_non_null (in);
    char *line = fsh_password_read_line (in);
    fclose (in);
    return line;
}

//  The same of a C string, which must give `expected` (NULL: none).
static void
s_expect (const char *text, const char *expected)
{
    char *line = s_line (text, strlen (text));
    if (!expected) {
        if (line)
            fail_msg ("'%s' gave '%s'", text, line);
        return;
    }
    assert_non_null (line);
    assert_string_equal (line, expected);
    fsh_password_free (&line);
    assert_null (line);
}

static void
test_read_line (void **state)
{
    (void) state;
    s_expect ("secret\n", "secret");
    s_expect ("secret", "secret");
    s_expect ("secret\r\n", "secret");
    s_expect ("first\nsecond\n", "first");
    s_expect ("\n", "");
    s_expect ("\r\n", "");
    s_expect ("with space \t\n", "with space \t");
    s_expect ("a\rb\n", "a\rb");                //  a CR inside is the password's
    s_expect ("caf\xc3\xa9\n", "caf\xc3\xa9");
    assert_null (s_line ("", 0));
    //  A NUL byte would cut the password short: no password at all
    assert_null (s_line ("pass\0word\n", 10));
    assert_null (s_line ("\0\n", 2));
    assert_null (s_line ("pass\0", 5));
    //  ... but only in the first line
    char *line = s_line ("pass\nword\0\n", 11);
    assert_string_equal (line, "pass");
    fsh_password_free (&line);

    //  At most PASSWORD_MAX bytes read as they are; longer lines come
    //  back longer than that, never cut to a length a reader would take
    char *text = (char *) zmalloc (3 * PASSWORD_MAX);
    memset (text, 'p', PASSWORD_MAX);
    strcat (text, "\r\n");
    line = s_line (text, strlen (text));
    assert_int_equal (strlen (line), PASSWORD_MAX);
    fsh_password_free (&line);
    memset (text, 'p', 3 * PASSWORD_MAX - 2);
    text [3 * PASSWORD_MAX - 2] = '\n';
    line = s_line (text, 3 * PASSWORD_MAX - 1);
    assert_non_null (line);
    assert_true (strlen (line) > PASSWORD_MAX);
    fsh_password_free (&line);
    //  An endless first line ends the read all the same
    FILE *zero = fopen ("/dev/zero", "r");
    assert_non_null (zero);
    assert_null (fsh_password_read_line (zero));
    fclose (zero);
    free (text);
    fsh_password_free (&line);      //  NULL already: nothing
}

typedef struct {
    char path [64];
} file_t;

static int
s_setup (void **state)
{
    file_t *self = (file_t *) zmalloc (sizeof (file_t));
    snprintf (self->path, sizeof self->path, "/tmp/fshare-test-password-XXXXXX");
    int fd = mkstemp (self->path);
    assert_true (fd >= 0);
    close (fd);
    unsetenv ("FSHARE_PASSWORD");
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    file_t *self = (file_t *) *state;
    unlink (self->path);
    unsetenv ("FSHARE_PASSWORD");
    free (self);
    return 0;
}

static void
s_write (file_t *self, const char *bytes, size_t size)
{
    FILE *out = fopen (self->path, "w");
    assert_non_null (out);
    assert_int_equal (fwrite (bytes, 1, size, out), size);
    fclose (out);
}

static void
test_sources (void **state)
{
    file_t *self = (file_t *) *state;
    char *error = NULL;
    //  The file wins over the environment
    setenv ("FSHARE_PASSWORD", "from-env", 1);
    s_write (self, "from-file\nignored\n", 18);
    char *password = fsh_password_get (self->path, "Password: ", 0, &error);
    assert_non_null (password);
    assert_string_equal (password, "from-file");
    assert_null (error);
    fsh_password_free (&password);
    //  Without a file, the environment as it is (even an empty value)
    password = fsh_password_get (NULL, "Password: ", 0, &error);
    assert_string_equal (password, "from-env");
    assert_null (error);
    fsh_password_free (&password);
    setenv ("FSHARE_PASSWORD", "", 1);
    password = fsh_password_get (NULL, "Password: ", 0, &error);
    assert_string_equal (password, "");
    fsh_password_free (&password);
    //  A file that is named must be usable: no falling back to the
    //  environment
    setenv ("FSHARE_PASSWORD", "from-env", 1);
    s_write (self, "", 0);
    assert_null (fsh_password_get (self->path, "Password: ", 0, &error));
    assert_non_null (error);
    zstr_free (&error);
    s_write (self, "pass\0word\n", 10);
    assert_null (fsh_password_get (self->path, "Password: ", 0, &error));
    assert_non_null (error);
    zstr_free (&error);
    assert_null (fsh_password_get ("/nonexistent/password", "Password: ", 0, &error));
    assert_string_equal (error, "cannot read the password file: No such file or directory");
    zstr_free (&error);
    //  A read error is said as such, not as an empty file (EISDIR was
    //  "the password file is empty or its first line holds a NUL byte")
    assert_null (fsh_password_get ("/tmp", "Password: ", 0, &error));
    assert_string_equal (error, "cannot read the password file: Is a directory");
    zstr_free (&error);
    s_write (self, "", 0);
    assert_null (fsh_password_get (self->path, "Password: ", 0, &error));
    assert_string_equal (error, "the password file is empty or its first line holds a NUL byte");
    zstr_free (&error);
}

//  A FIFO that nobody writes: the wait ends at SIGTERM, though the caller
//  blocks it for a signalfd as the programs do (the open blocked for ever,
//  the signal pending). Sent before the call: it is pending, so the wait
//  must let it in to end.
static void
test_fifo_signal (void **state)
{
    file_t *self = (file_t *) *state;
    unlink (self->path);
    assert_int_equal (mkfifo (self->path, 0600), 0);
    sigset_t term, before;
    sigemptyset (&term);
    sigaddset (&term, SIGTERM);
    assert_int_equal (pthread_sigmask (SIG_BLOCK, &term, &before), 0);
    raise (SIGTERM);
    char *error = NULL;
    assert_null (fsh_password_get (self->path, "Password: ", 0, &error));
    assert_int_equal (fsh_password_signal (), SIGTERM);
    assert_non_null (strstr (error, "interrupted by signal 15"));
    zstr_free (&error);
    //  It was taken by the wait, not left pending for the caller
    sigset_t pending;
    sigpending (&pending);
    assert_false (sigismember (&pending, SIGTERM));
    //  A writer's line is read as from a file
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int fd = open (self->path, O_WRONLY);
        _exit (fd >= 0 && write (fd, "from-fifo\n", 10) == 10? 0: 1);
    }
    char *password = fsh_password_get (self->path, "Password: ", 0, &error);
    assert_non_null (password);
    assert_string_equal (password, "from-fifo");
    assert_null (error);
    assert_int_equal (fsh_password_signal (), 0);
    fsh_password_free (&password);
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    pthread_sigmask (SIG_SETMASK, &before, NULL);
}

//  A FIFO that nobody writes, with a deadline: the wait ends when it
//  passes, said as a timeout, not as a signal nor as an empty file.
static void
test_fifo_deadline (void **state)
{
    file_t *self = (file_t *) *state;
    unlink (self->path);
    assert_int_equal (mkfifo (self->path, 0600), 0);
    char *error = NULL;
    int64_t start = zclock_mono ();
    assert_null (fsh_password_get (self->path, "Password: ", start + 200, &error));
    assert_true (zclock_mono () - start >= 200);
    assert_int_equal (fsh_password_signal (), 0);
    assert_non_null (error);
    assert_string_equal (error, "timed out waiting for the password file");
    zstr_free (&error);
    //  A deadline already past: no wait at all
    assert_null (fsh_password_get (self->path, "Password: ", zclock_mono () - 1, &error));
    assert_string_equal (error, "timed out waiting for the password file");
    zstr_free (&error);
}

//  Neither file nor environment: the terminal, or a reason when there is
//  none (as under ctest, unless run by hand from one)
static void
test_no_terminal (void **state)
{
    (void) state;
    //  In a session of its own a child has no terminal, even when the
    //  test is run by hand from one
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        if (setsid () == -1)
            _exit (2);
        char *error = NULL;
        bool right = !fsh_password_prompt ("Password: ")
                  && !fsh_password_get (NULL, "Password: ", 0, &error)
                  && error && streq (error, "no password: use --password-file, "
                                            "FSHARE_PASSWORD or a terminal");
        _exit (right? 0: 1);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_read_line),
        cmocka_unit_test_setup_teardown (test_sources, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_terminal, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fifo_signal, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fifo_deadline, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
