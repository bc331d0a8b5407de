/*  test_cli.c - proto/cli: numbers from the command line checked whole
    (no blanks, signs, trailing junk or overflow, within the range), the
    usage error's text and exit code, the poll slice, signals taken
    through a signalfd, and standard descriptors: closed ones held on
    /dev/null, output that did not go out said at the end. Each signal and
    descriptor case runs in a child process of its own (its mask or its
    descriptors must not leak into the other cases), with an alarm as the
    deadline: a read that blocked would end the child, not hang.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include "cli.h"
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

static void
test_number (void **state)
{
    (void) state;
    assert_int_equal (fsh_number ("0", 0, 10), 0);
    assert_int_equal (fsh_number ("10", 0, 10), 10);
    assert_int_equal (fsh_number ("7", 7, 7), 7);
    assert_int_equal (fsh_number ("010", 0, 100), 10);       //  decimal, not octal
    assert_int_equal (fsh_number ("11", 0, 10), -1);
    assert_int_equal (fsh_number ("4", 5, 10), -1);
    assert_int_equal (fsh_number ("5", 6, 4), -1);           //  an empty range
    assert_int_equal (fsh_number ("5", -1, 10), -1);         //  min < 0 is no range
    const char *bad [] = {
        "", "x", "1x", "5 ", "5\n", " 5", "\t5", "\n5", "+5", "-5", "-0", "0x10", "1e3",
        "1.5", "5,0", "\xef\xbc\x95", "9223372036854775808", "99999999999999999999999",
        NULL
    };
    for (int i = 0; bad [i]; i++)
        if (fsh_number (bad [i], 0, LONG_MAX) != -1)
            fail_msg ("'%s' taken as a number", bad [i]);
    assert_int_equal (fsh_number (NULL, 0, 10), -1);
    //  The extremes of long
    char text [32];
    snprintf (text, sizeof text, "%ld", LONG_MAX);
    assert_true (fsh_number (text, 0, LONG_MAX) == LONG_MAX);
    assert_int_equal (fsh_number (text, 0, LONG_MAX - 1), -1);
    //  A NUL byte ends the text: what follows is not read
    assert_int_equal (fsh_number ("12\0junk", 0, 100), 12);
}

//  The one check of a path option, and its words
static void
test_path_problem (void **state)
{
    (void) state;
    assert_null (fsh_path_problem ("a"));
    assert_null (fsh_path_problem ("/tmp/x"));
    assert_string_equal (fsh_path_problem (""), "no path given");
    assert_string_equal (fsh_path_problem (NULL), "no path given");
    char *longest = (char *) malloc (PATH_MAX + 1);
    memset (longest, 'a', PATH_MAX);
    longest [PATH_MAX - 1] = 0;
    assert_null (fsh_path_problem (longest));
    longest [PATH_MAX - 1] = 'a';
    longest [PATH_MAX] = 0;
    assert_string_equal (fsh_path_problem (longest), "the path is too long");
    free (longest);
}

static void
test_usage_error (void **state)
{
    (void) state;
    //  stderr goes to a temporary file for the call
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    FILE *capture = tmpfile ();
    assert_non_null (capture);
    assert_true (dup2 (fileno (capture), STDERR_FILENO) >= 0);
    int rc = fsh_usage_error ("fshare-x", "bad value '%s' for %d", "abc", 7);
    int literal = fsh_usage_error ("fshare-x", "%s", "100% sure");
    fflush (stderr);
    assert_true (dup2 (saved, STDERR_FILENO) >= 0);
    close (saved);
    assert_int_equal (rc, 2);
    assert_int_equal (literal, 2);
    char text [256] = "";
    rewind (capture);
    size_t got = fread (text, 1, sizeof text - 1, capture);
    text [got] = 0;
    fclose (capture);
    assert_string_equal (text, "fshare-x: bad value 'abc' for 7\ntry 'fshare-x --help'\n"
                               "fshare-x: 100% sure\ntry 'fshare-x --help'\n");
}

static void
test_signal_slice (void **state)
{
    (void) state;
    assert_int_equal (fsh_signal_slice (-1), FSH_SIGNAL_SLICE_MS);
    assert_int_equal (fsh_signal_slice (INT64_MIN), FSH_SIGNAL_SLICE_MS);
    assert_int_equal (fsh_signal_slice (0), 0);
    assert_int_equal (fsh_signal_slice (1), 1);
    assert_int_equal (fsh_signal_slice (FSH_SIGNAL_SLICE_MS - 1), FSH_SIGNAL_SLICE_MS - 1);
    assert_int_equal (fsh_signal_slice (FSH_SIGNAL_SLICE_MS), FSH_SIGNAL_SLICE_MS);
    assert_int_equal (fsh_signal_slice (FSH_SIGNAL_SLICE_MS + 1), FSH_SIGNAL_SLICE_MS);
    assert_int_equal (fsh_signal_slice (INT64_MAX), FSH_SIGNAL_SLICE_MS);
    assert_int_equal (fsh_signal_slice ((int64_t) INT32_MAX + 1), FSH_SIGNAL_SLICE_MS);
}

//  --------------------------------------------------------------------------
//  Signals, each case in a child

//  Runs `body` in a child with an alarm `seconds` away; the child's exit
//  code (0: every check held, else the number of the failed one) must
//  be 0. SIGALRM is left unblocked by fsh_signals_open: it ends a child
//  that waits too long.
static void
s_in_child (int (*body) (void), unsigned seconds)
{
    fflush (NULL);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        alarm (seconds);
        _exit (body ());
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    if (WIFSIGNALED (status))
        fail_msg ("child ended by signal %d (a blocking read?)", WTERMSIG (status));
    assert_true (WIFEXITED (status));
    if (WEXITSTATUS (status))
        fail_msg ("child's check #%d failed", WEXITSTATUS (status));
}

static bool
s_readable (int fd, int timeout_ms)
{
    struct pollfd item = { .fd = fd, .events = POLLIN };
    return poll (&item, 1, timeout_ms) == 1 && (item.revents & POLLIN);
}

static void *
s_thread_mask (void *arg)
{
    sigset_t *mask = (sigset_t *) arg;
    pthread_sigmask (SIG_BLOCK, NULL, mask);
    return NULL;
}

static int
s_signals_taken (void)
{
    int fd = fsh_signals_open (true);
    if (fd < 0)
        return 1;
    //  Nothing yet: not readable, and a read gives 0 without waiting
    if (s_readable (fd, 0))
        return 2;
    if (fsh_signals_read (fd) != 0)
        return 3;
    //  A blocked signal waits in the descriptor instead of ending us
    raise (SIGTERM);
    if (!s_readable (fd, 1000))
        return 4;
    if (fsh_signals_read (fd) != SIGTERM)
        return 5;
    raise (SIGHUP);
    raise (SIGINT);
    int first = fsh_signals_read (fd), second = fsh_signals_read (fd);
    if (!((first == SIGHUP && second == SIGINT) || (first == SIGINT && second == SIGHUP)))
        return 6;
    //  Taken already: 0 after all
    if (fsh_signals_read (fd) != 0)
        return 7;
    //  A thread started after has them blocked too
    sigset_t mask;
    sigemptyset (&mask);
    pthread_t thread;
    if (pthread_create (&thread, NULL, s_thread_mask, &mask) || pthread_join (thread, NULL))
        return 8;
    if (!sigismember (&mask, SIGTERM) || !sigismember (&mask, SIGINT)
    ||  !sigismember (&mask, SIGHUP))
        return 9;
    close (fd);
    return 0;
}

static int
s_no_hangup (void)
{
    int fd = fsh_signals_open (false);
    if (fd < 0)
        return 1;
    sigset_t mask;
    pthread_sigmask (SIG_BLOCK, NULL, &mask);
    if (!sigismember (&mask, SIGTERM) || !sigismember (&mask, SIGINT))
        return 2;
    //  SIGHUP keeps its default unless asked for
    if (sigismember (&mask, SIGHUP))
        return 3;
    //  A descriptor that is no signalfd, or closed: 0
    int pipes [2];
    if (pipe (pipes))
        return 4;
    if (write (pipes [1], "x", 1) != 1 || fsh_signals_read (pipes [0]) != 0)
        return 5;
    close (pipes [0]);
    close (pipes [1]);
    if (fsh_signals_read (pipes [0]) != 0)
        return 6;
    close (fd);
    return 0;
}

static void
test_signals (void **state)
{
    (void) state;
    s_in_child (s_signals_taken, 5);
    s_in_child (s_no_hangup, 5);
}

//  Closed 1 and 2 are held: the next descriptor opened is not 1, a write
//  to 1 still fails as on the closed one, and the end says so (exit 1).
static int
s_closed_output (void)
{
    int error = open ("/dev/null", O_WRONLY);
    close (STDOUT_FILENO);
    close (STDERR_FILENO);
    fsh_stdio_open ();
    int next = open ("/dev/null", O_RDONLY);
    if (next <= STDERR_FILENO)
        return 1;
    if (write (STDOUT_FILENO, "x", 1) != -1 || errno != EBADF)
        return 2;
    printf ("lost\n");
    if (fsh_output_close ("test", 0) != 1)
        return 3;
    close (next);
    close (error);
    return 0;
}

//  A full disk is said with its reason even when the program's own flush
//  met it first (stdio keeps only a flag by then); a failure already said
//  keeps its status; output that went out is no failure.
static int
s_full_output (void)
{
    if (!freopen ("/dev/full", "w", stdout) || !freopen ("/dev/null", "w", stderr))
        return 2;
    printf ("lost\n");
    if (fsh_output_flush () != -1 || !fsh_output_failed ())
        return 3;
    if (fsh_output_close ("test", 2) != 2)
        return 4;
    return 0;
}

static int
s_output_written (void)
{
    if (!freopen ("/dev/null", "w", stdout))
        return 1;
    printf ("kept\n");
    if (fsh_output_flush () || fsh_output_failed () || fsh_output_close ("test", 0) != 0)
        return 2;
    return 0;
}

static void
test_output (void **state)
{
    (void) state;
    s_in_child (s_closed_output, 5);
    s_in_child (s_full_output, 5);
    s_in_child (s_output_written, 5);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_number),
        cmocka_unit_test (test_path_problem),
        cmocka_unit_test (test_usage_error),
        cmocka_unit_test (test_signal_slice),
        cmocka_unit_test (test_signals),
        cmocka_unit_test (test_output),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
