/*  password.c - password sources. See password.h.

    A password is waited for (a person at the prompt, a FIFO nobody writes
    yet) while the programs that read it hold SIGINT and SIGTERM blocked
    for their signalfd: so the wait is a ppoll that lets those signals in,
    caught here, and a signal ends it. The terminal's echo is put back on
    the way out, whichever way that is.
*/
#include "fshare.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>

#define PASSWORD_MAX 1024

//  The signal that ended the last wait (0: none)
static volatile sig_atomic_t s_signal;

static void
s_on_signal (int signo)
{
    s_signal = signo;
}

//  The password of `len` bytes of `buffer` (wiped): its CR before the
//  newline dropped; NULL when it holds a NUL byte, which would end it early.
static char *
s_take_line (char *buffer, size_t len)
{
    bool nul = memchr (buffer, 0, len) != NULL;
    if (len && buffer [len - 1] == '\r')
        len--;
    buffer [len] = 0;
    char *password = nul? NULL: strdup (buffer);
    explicit_bzero (buffer, len);
    return password;
}

char *
fsh_password_read_line (FILE *in)
{
    //  One byte more than a password may have, so that a longer line is
    //  seen as too long rather than cut to a valid length
    char buffer [PASSWORD_MAX + 2];
    size_t len = 0;
    int c = EOF;
    while (len < PASSWORD_MAX + 1 && (c = getc (in)) != EOF && c != '\n')
        buffer [len++] = (char) c;
    if (len == 0 && c == EOF)
        return NULL;
    return s_take_line (buffer, len);
}

//  While a password is waited for: SIGINT, SIGTERM and SIGHUP caught
//  (s_signal) and blocked but inside ppoll, so none is lost between a
//  look at s_signal and the wait.
typedef struct {
    sigset_t before;            //  the caller's mask, put back at the end
    sigset_t during;            //  the mask inside ppoll: the stops let in
    struct sigaction saved [3];
} catcher_t;

static const int s_stops [3] = { SIGINT, SIGTERM, SIGHUP };

static void
s_catch_start (catcher_t *self)
{
    sigset_t stops;
    sigemptyset (&stops);
    for (int i = 0; i < 3; i++)
        sigaddset (&stops, s_stops [i]);
    pthread_sigmask (SIG_BLOCK, &stops, &self->before);
    self->during = self->before;
    struct sigaction catcher = { .sa_handler = s_on_signal };
    sigemptyset (&catcher.sa_mask);
    for (int i = 0; i < 3; i++) {
        sigdelset (&self->during, s_stops [i]);
        sigaction (s_stops [i], &catcher, &self->saved [i]);
    }
    s_signal = 0;
}

static void
s_catch_stop (catcher_t *self)
{
    for (int i = 0; i < 3; i++)
        sigaction (s_stops [i], &self->saved [i], NULL);
    pthread_sigmask (SIG_SETMASK, &self->before, NULL);
}

//  Reads the first line of fd (non-blocking) a byte at a time, so that
//  nothing past it is taken from a FIFO or a terminal. Each read waits in
//  ppoll first: a FIFO no writer opened yet reads as its end, but does
//  not poll readable. Until `deadline` (zclock_mono, 0: none), with the
//  caller's catcher started. 0 with *len bytes, or an errno (EINTR: a
//  signal came, in s_signal; ETIMEDOUT).
static int
s_read_line (int fd, int64_t deadline, const catcher_t *catcher, char *buffer, size_t size,
             size_t *len, bool *eof)
{
    int error_no = 0;
    *len = 0;
    *eof = false;
    while (*len < size) {
        struct timespec left, *timeout = NULL;
        if (deadline) {
            int64_t ms = deadline - zclock_mono ();
            if (ms <= 0) {
                error_no = ETIMEDOUT;
                break;
            }
            left.tv_sec = (time_t) (ms / 1000);
            left.tv_nsec = (long) (ms % 1000) * 1000000;
            timeout = &left;
        }
        struct pollfd item = { .fd = fd, .events = POLLIN };
        int rc = ppoll (&item, 1, timeout, &catcher->during);
        if (s_signal || (rc == -1 && errno != EINTR)) {
            error_no = s_signal? EINTR: errno;
            break;
        }
        ssize_t got = rc == 1? read (fd, buffer + *len, 1): -1;
        if (got == 0)
            *eof = true;
        if (got == 0 || (got == 1 && buffer [*len] == '\n'))
            break;
        if (got == 1)
            (*len)++;
        else
        if (rc == 1 && errno != EAGAIN && errno != EINTR) {
            error_no = errno;
            break;
        }
    }
    return error_no;
}

//  The first line of fd, waited for as s_read_line says. NULL with
//  *error_no set (0: end of file, or a NUL byte; EINTR: a signal).
static char *
s_read_fd (int fd, int64_t deadline, const catcher_t *catcher, int *error_no)
{
    //  One byte more than a password may have: a longer line is too long
    char buffer [PASSWORD_MAX + 2];
    size_t len;
    bool eof;
    *error_no = s_read_line (fd, deadline, catcher, buffer, PASSWORD_MAX + 1, &len, &eof);
    if (*error_no || (eof && len == 0)) {
        explicit_bzero (buffer, len);
        return NULL;            //  nothing at all: no password (a lone newline is "")
    }
    return s_take_line (buffer, len);
}

//  The text for a read that gave nothing (caller frees).
static char *
s_why (const char *what, int error_no)
{
    if (error_no == EINTR)
        return zsys_sprintf ("interrupted by signal %d (%s) while %s",
                             (int) s_signal, strsignal (s_signal), what);
    if (error_no == ETIMEDOUT)
        return zsys_sprintf ("timed out %s", what);
    return zsys_sprintf ("%s: %s", what, strerror (error_no));
}

//  The prompt, until deadline (0: none); NULL with *error_no as
//  s_read_fd says, or ENXIO: no terminal.
static char *
s_prompt (const char *prompt, int64_t deadline, int *error_no)
{
    *error_no = ENXIO;
    s_signal = 0;
    int fd = open ("/dev/tty", O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd == -1)
        return NULL;
    //  Caught from before the echo goes off: a Ctrl-C as the prompt
    //  appears must not end the program with the echo still off
    catcher_t catcher;
    s_catch_start (&catcher);
    struct termios saved, quiet;
    bool restore = tcgetattr (fd, &saved) == 0;
    if (restore) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t) ECHO;
        tcsetattr (fd, TCSAFLUSH, &quiet);
    }
    if (write (fd, prompt, strlen (prompt)) < 0) { }
    char *password = s_read_fd (fd, deadline, &catcher, error_no);
    //  Whatever ended the read, a signal included: echo back on
    if (restore)
        tcsetattr (fd, TCSAFLUSH, &saved);
    if (write (fd, "\n", 1) < 0) { }
    close (fd);
    s_catch_stop (&catcher);
    return password;
}

char *
fsh_password_prompt (const char *prompt)
{
    int error_no;
    return s_prompt (prompt, 0, &error_no);
}

int
fsh_password_signal (void)
{
    return (int) s_signal;
}

char *
fsh_password_get (const char *file, const char *prompt, int64_t deadline, char **error)
{
    *error = NULL;
    s_signal = 0;
    if (file) {
        //  Non-blocking: the open of a FIFO nobody writes would wait for
        //  a writer with no signal able to end it
        int fd = open (file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd == -1) {
            *error = s_why ("cannot read the password file", errno);
            return NULL;
        }
        int error_no;
        catcher_t catcher;
        s_catch_start (&catcher);
        char *password = s_read_fd (fd, deadline, &catcher, &error_no);
        s_catch_stop (&catcher);
        close (fd);
        if (!password && (error_no == EINTR || error_no == ETIMEDOUT))
            *error = s_why ("waiting for the password file", error_no);
        else
        if (!password && error_no)
            *error = s_why ("cannot read the password file", error_no);
        else
        if (!password)
            *error = strdup ("the password file is empty or its first line holds a NUL byte");
        return password;
    }
    const char *env = getenv ("FSHARE_PASSWORD");
    if (env)
        return strdup (env);
    int error_no;
    char *password = s_prompt (prompt, deadline, &error_no);
    if (!password && (error_no == EINTR || error_no == ETIMEDOUT))
        *error = s_why ("waiting for the password at the prompt", error_no);
    else
    if (!password)
        *error = strdup ("no password: use --password-file, FSHARE_PASSWORD or a terminal");
    return password;
}

void
fsh_password_free (char **password_p)
{
    if (*password_p) {
        explicit_bzero (*password_p, strlen (*password_p));
        free (*password_p);
        *password_p = NULL;
    }
}
