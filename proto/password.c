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
static char s_error [160];

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

//  Waits until fd is readable with SIGINT, SIGTERM and SIGHUP let in and
//  caught: 0, or -1 when one of them came (s_signal) or poll failed.
static int
s_wait_readable (int fd)
{
    sigset_t stops, before, during;
    sigemptyset (&stops);
    sigaddset (&stops, SIGINT);
    sigaddset (&stops, SIGTERM);
    sigaddset (&stops, SIGHUP);
    //  Blocked but for the ppoll itself: no signal is lost between them
    pthread_sigmask (SIG_BLOCK, &stops, &before);
    during = before;
    sigdelset (&during, SIGINT);
    sigdelset (&during, SIGTERM);
    sigdelset (&during, SIGHUP);
    struct sigaction catcher = { .sa_handler = s_on_signal }, saved [3];
    sigemptyset (&catcher.sa_mask);
    int signals [3] = { SIGINT, SIGTERM, SIGHUP };
    for (int i = 0; i < 3; i++)
        sigaction (signals [i], &catcher, &saved [i]);
    s_signal = 0;
    struct pollfd item = { .fd = fd, .events = POLLIN };
    int rc;
    while ((rc = ppoll (&item, 1, NULL, &during)) == -1 && errno == EINTR && !s_signal)
        ;
    for (int i = 0; i < 3; i++)
        sigaction (signals [i], &saved [i], NULL);
    pthread_sigmask (SIG_SETMASK, &before, NULL);
    return rc > 0 && !s_signal? 0: -1;
}

//  The first line of fd (non-blocking), waited for as s_wait_readable
//  says. NULL with *error_no set (0: end of file, or a NUL byte; EINTR: a
//  signal, in s_signal).
static char *
s_read_fd (int fd, int *error_no)
{
    char buffer [PASSWORD_MAX + 2];
    size_t len = 0;
    *error_no = 0;
    while (len < PASSWORD_MAX + 1) {
        if (s_wait_readable (fd)) {
            *error_no = s_signal? EINTR: errno;
            explicit_bzero (buffer, len);
            return NULL;
        }
        ssize_t got = read (fd, buffer + len, 1);    //  not past the first line
        if (got == -1 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (got == -1) {
            *error_no = errno;
            explicit_bzero (buffer, len);
            return NULL;
        }
        if (got == 0 && len == 0)
            return NULL;            //  nothing at all: no password (a lone newline is "")
        if (got == 0 || buffer [len] == '\n')
            break;
        len++;
    }
    return s_take_line (buffer, len);
}

//  The text for a read that gave nothing (static, until the next call).
static const char *
s_why (const char *what, int error_no)
{
    if (error_no == EINTR)
        snprintf (s_error, sizeof s_error, "interrupted by signal %d (%s) while %s",
                  (int) s_signal, strsignal (s_signal), what);
    else
        snprintf (s_error, sizeof s_error, "%s: %s", what, strerror (error_no));
    return s_error;
}

char *
fsh_password_prompt (const char *prompt)
{
    int fd = open ("/dev/tty", O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd == -1)
        return NULL;
    struct termios saved, quiet;
    bool restore = tcgetattr (fd, &saved) == 0;
    if (restore) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t) ECHO;
        tcsetattr (fd, TCSAFLUSH, &quiet);
    }
    if (write (fd, prompt, strlen (prompt)) < 0) { }
    int error_no;
    char *password = s_read_fd (fd, &error_no);
    //  Whatever ended the read, a signal included: echo back on
    if (restore)
        tcsetattr (fd, TCSAFLUSH, &saved);
    if (write (fd, "\n", 1) < 0) { }
    close (fd);
    return password;
}

int
fsh_password_signal (void)
{
    return (int) s_signal;
}

char *
fsh_password_get (const char *file, const char *prompt, const char **error)
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
        char *password = s_read_fd (fd, &error_no);
        close (fd);
        if (!password && error_no == EINTR)
            *error = s_why ("waiting for the password file", error_no);
        else
        if (!password && error_no)
            *error = s_why ("cannot read the password file", error_no);
        else
        if (!password)
            *error = "the password file is empty or its first line holds a NUL byte";
        return password;
    }
    const char *env = getenv ("FSHARE_PASSWORD");
    if (env)
        return strdup (env);
    char *password = fsh_password_prompt (prompt);
    if (!password && s_signal)
        *error = s_why ("waiting for the password at the prompt", EINTR);
    else
    if (!password)
        *error = "no password: use --password-file, FSHARE_PASSWORD or a terminal";
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
