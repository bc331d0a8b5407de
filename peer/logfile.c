/*  logfile.c - rotates the agent's log file at a size. See logfile.h.

    The file's name is not passed in: /proc/self/fd/2 says what standard
    error is, whoever opened it, so a shell's `2>>agent.log` is bounded as
    well as fshare-ctl's log. The rename keeps the old part whole for
    reading; descriptors are swapped with dup2, which is atomic, so a log
    line being written by another thread lands in one file or the other.
*/
#include "logfile.h"
#include "cli.h"

//  The path of standard error, or NULL when it is no longer linked.
static char *
s_stderr_path (void)
{
    char path [PATH_MAX];
    ssize_t size = readlink ("/proc/self/fd/2", path, sizeof path - 1);
    if (size <= 0 || size >= (ssize_t) sizeof path - 3)
        return NULL;
    path [size] = 0;
    if (path [0] != '/' || strstr (path, " (deleted)"))
        return NULL;
    return strdup (path);
}

static bool
s_same_file (int fd, const struct stat *other)
{
    struct stat st;
    return fstat (fd, &st) == 0 && st.st_dev == other->st_dev && st.st_ino == other->st_ino;
}

int
logfile_check (size_t max_bytes)
{
    struct stat st;
    if (fstat (STDERR_FILENO, &st) != 0 || !S_ISREG (st.st_mode) || st.st_nlink == 0
    ||  (size_t) st.st_size < max_bytes)
        return 0;
    char *path = s_stderr_path ();
    if (!path)
        return 0;
    char *old = zsys_sprintf ("%s.1", path);
    int rc = -1;
    if (rename (path, old) == 0) {
        int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            fflush (stdout);
            if (s_same_file (STDOUT_FILENO, &st))
                dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
            close (fd);
            rc = 1;
        }
    }
    if (rc == 1)
        zsys_info ("log rotated at %zu bytes: the previous part is %s", max_bytes, old);
    else
        zsys_warning ("cannot rotate the log %s: %s", path, strerror (errno));
    zstr_free (&old);
    zstr_free (&path);
    return rc;
}

//  The limit from FSHARE_LOG_MAX (bytes, at least 1024), else the default.
static size_t
s_limit (void)
{
    const char *text = getenv ("FSHARE_LOG_MAX");
    long value = text? fsh_number (text, 1024, 1L << 40): -1;
    return value > 0? (size_t) value: LOGFILE_MAX_BYTES;
}

void
logfile_actor (zsock_t *pipe, void *args)
{
    (void) args;
    size_t limit = s_limit ();
    bool failed = false;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    while (true) {
        if (zpoller_wait (poller, 1000)) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        }
        else
        if (zpoller_terminated (poller))
            break;
        else
        if (!failed)
            //  One warning, not one a second, when the directory refuses
            failed = logfile_check (limit) == -1;
    }
    zpoller_destroy (&poller);
}
