/*  test_logfile.c - the agent's log rotation (peer/logfile.c): standard
    error pointed at a file of a temporary directory, then looked at. A
    file under the limit is left alone; at the limit it becomes FILE.1
    (replacing an older one) and descriptors 1 and 2 are reopened on a new
    FILE (1 only when it was the same file); a pipe, a file unlinked
    under us, and a place that refuses the rename are no rotation; the
    actor rotates by itself at FSHARE_LOG_MAX and ends on $TERM.

    Every check is made after the descriptors are put back, so that a
    failure is printed where cmocka prints.
*/
#include "fixture.h"
#include "logfile.h"
#include <fcntl.h>
#include <sys/stat.h>

#define LIMIT 4096

typedef struct {
    char dir [64];
    char log [96];              //  dir/agent.log
    char old [96];              //  dir/agent.log.1
    int saved_out, saved_err;   //  the test program's own descriptors 1 and 2
} bench_t;

static int
s_setup (void **state)
{
    bench_t *fx = (bench_t *) zmalloc (sizeof (bench_t));
    fixture_tmpdir (fx->dir, sizeof fx->dir, "logfile");
    snprintf (fx->log, sizeof fx->log, "%s/agent.log", fx->dir);
    snprintf (fx->old, sizeof fx->old, "%s/agent.log.1", fx->dir);
    fflush (stdout);
    fflush (stderr);
    fx->saved_out = dup (STDOUT_FILENO);
    fx->saved_err = dup (STDERR_FILENO);
    assert_true (fx->saved_out >= 0 && fx->saved_err >= 0);
    *state = fx;
    return 0;
}

//  Descriptors 1 and 2 as they were.
static void
s_restore (bench_t *fx)
{
    fflush (stdout);
    fflush (stderr);
    dup2 (fx->saved_out, STDOUT_FILENO);
    dup2 (fx->saved_err, STDERR_FILENO);
}

static int
s_teardown (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_restore (fx);
    close (fx->saved_out);
    close (fx->saved_err);
    fixture_rm_rf (fx->dir);
    free (fx);
    return 0;
}

//  Descriptor fd (1 or 2) onto a new file at path, holding `size` bytes of c.
static void
s_redirect (int fd, const char *path, size_t size, char c)
{
    int file = open (path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    assert_true (file >= 0);
    char buf [1024];
    memset (buf, c, sizeof buf);
    while (size > 0) {
        size_t step = size < sizeof buf? size: sizeof buf;
        assert_int_equal (write (file, buf, step), (ssize_t) step);
        size -= step;
    }
    assert_int_equal (dup2 (file, fd), fd);
    close (file);
}

static off_t
s_size (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0? st.st_size: -1;
}

//  True when descriptor fd is the file now at path.
static bool
s_fd_is (int fd, const char *path)
{
    struct stat at_fd, at_path;
    return fstat (fd, &at_fd) == 0 && stat (path, &at_path) == 0
        && at_fd.st_dev == at_path.st_dev && at_fd.st_ino == at_path.st_ino;
}

//  The first byte of a file, or -1.
static int
s_first_byte (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    int c = fgetc (file);
    fclose (file);
    return c;
}

static void
test_under_limit (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_redirect (STDERR_FILENO, fx->log, LIMIT - 1, 'a');
    int rc = logfile_check (LIMIT);
    s_restore (fx);
    assert_int_equal (rc, 0);
    assert_int_equal (s_size (fx->log), LIMIT - 1);
    assert_int_equal (access (fx->old, F_OK), -1);
}

//  At the limit: the file moves to .1 whole, and what is written next
//  lands in a new file; standard output elsewhere stays where it was.
static void
test_rotates (void **state)
{
    bench_t *fx = (bench_t *) *state;
    char *other = zsys_sprintf ("%s/stdout.txt", fx->dir);
    s_redirect (STDOUT_FILENO, other, 0, 'o');
    s_redirect (STDERR_FILENO, fx->log, LIMIT, 'a');
    int rc = logfile_check (LIMIT);
    bool err_is_new = s_fd_is (STDERR_FILENO, fx->log);
    bool out_kept = s_fd_is (STDOUT_FILENO, other);
    assert_int_equal (write (STDERR_FILENO, "after\n", 6), 6);
    s_restore (fx);
    assert_int_equal (rc, 1);
    assert_true (err_is_new);
    assert_true (out_kept);
    assert_int_equal (s_size (fx->old), LIMIT);
    assert_int_equal (s_first_byte (fx->old), 'a');
    //  The new file has our line (maybe after the rotation's own notice),
    //  none of the old part
    FILE *file = fopen (fx->log, "r");
    assert_non_null (file);
    char line [512];
    bool found = false;
    while (fgets (line, sizeof line, file)) {
        if (streq (line, "after\n"))
            found = true;
        assert_null (strstr (line, "aaaa"));
    }
    fclose (file);
    assert_true (found);
    assert_true (s_size (fx->log) < LIMIT);

    //  Rotated again: .1 is replaced by the newer part, never appended to
    s_redirect (STDERR_FILENO, fx->log, LIMIT, 'b');
    rc = logfile_check (LIMIT);
    s_restore (fx);
    assert_int_equal (rc, 1);
    assert_true (s_size (fx->old) >= LIMIT);
    assert_true (s_size (fx->old) < 2 * LIMIT);
    assert_int_equal (access (fx->log, F_OK), 0);
    assert_true (s_size (fx->log) < LIMIT);
    zstr_free (&other);
}

//  Standard output on the same file as standard error follows it.
static void
test_stdout_follows (void **state)
{
    bench_t *fx = (bench_t *) *state;
    s_redirect (STDERR_FILENO, fx->log, LIMIT, 'a');
    assert_int_equal (dup2 (STDERR_FILENO, STDOUT_FILENO), STDOUT_FILENO);
    int rc = logfile_check (LIMIT);
    bool out_is_new = s_fd_is (STDOUT_FILENO, fx->log);
    bool err_is_new = s_fd_is (STDERR_FILENO, fx->log);
    s_restore (fx);
    assert_int_equal (rc, 1);
    assert_true (out_is_new);
    assert_true (err_is_new);
}

//  No rotation for what is not a linked regular file.
static void
test_not_a_file (void **state)
{
    bench_t *fx = (bench_t *) *state;
    //  A pipe (systemd's journal is a socket: the same answer)
    int pipe_fds [2];
    assert_int_equal (pipe (pipe_fds), 0);
    assert_int_equal (dup2 (pipe_fds [1], STDERR_FILENO), STDERR_FILENO);
    int rc_pipe = logfile_check (0);
    s_restore (fx);
    close (pipe_fds [0]);
    close (pipe_fds [1]);
    assert_int_equal (rc_pipe, 0);

    //  A file unlinked while we write to it: nothing to rename
    s_redirect (STDERR_FILENO, fx->log, LIMIT, 'a');
    assert_int_equal (unlink (fx->log), 0);
    int rc_unlinked = logfile_check (LIMIT);
    s_restore (fx);
    assert_int_equal (rc_unlinked, 0);
    assert_int_equal (access (fx->log, F_OK), -1);
    assert_int_equal (access (fx->old, F_OK), -1);

    //  /dev/null is a character device
    int null = open ("/dev/null", O_WRONLY);
    assert_int_equal (dup2 (null, STDERR_FILENO), STDERR_FILENO);
    close (null);
    int rc_null = logfile_check (0);
    s_restore (fx);
    assert_int_equal (rc_null, 0);
}

//  A rename that fails (here FILE.1 is a directory that holds something,
//  which stops root too): -1, and standard error stays on the file it
//  was (nothing lost).
static void
test_rename_refused (void **state)
{
    bench_t *fx = (bench_t *) *state;
    assert_int_equal (mkdir (fx->old, 0700), 0);
    char *inside = zsys_sprintf ("%s/keep", fx->old);
    assert_int_equal (mkdir (inside, 0700), 0);
    s_redirect (STDERR_FILENO, fx->log, LIMIT, 'a');
    int rc = logfile_check (LIMIT);
    bool err_kept = s_fd_is (STDERR_FILENO, fx->log);
    s_restore (fx);
    assert_int_equal (rc, -1);
    assert_true (err_kept);
    assert_true (s_size (fx->log) >= LIMIT);
    assert_int_equal (access (inside, F_OK), 0);
    zstr_free (&inside);
}

//  The actor looks by itself, at the limit of FSHARE_LOG_MAX, and ends
//  on $TERM; waited for with a deadline, as it looks once a second.
static void
test_actor (void **state)
{
    bench_t *fx = (bench_t *) *state;
    setenv ("FSHARE_LOG_MAX", "2048", 1);
    s_redirect (STDERR_FILENO, fx->log, 2048, 'a');
    zactor_t *actor = zactor_new (logfile_actor, NULL);
    int64_t deadline = zclock_mono () + 5000;
    zpoller_t *poller = zpoller_new (NULL);
    //  The rename comes before the new file is on descriptor 2: both waited for
    bool rotated = false, err_is_new = false;
    while (!(rotated && err_is_new) && zclock_mono () < deadline) {
        zpoller_wait (poller, 20);
        rotated = access (fx->old, F_OK) == 0;
        err_is_new = s_fd_is (STDERR_FILENO, fx->log);
    }
    zpoller_destroy (&poller);
    zactor_destroy (&actor);
    s_restore (fx);
    unsetenv ("FSHARE_LOG_MAX");
    assert_true (rotated);
    assert_true (err_is_new);
    assert_int_equal (s_size (fx->old), 2048);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_under_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rotates, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stdout_follows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_not_a_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rename_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_actor, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
