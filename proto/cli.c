/*  cli.c - what every fshare program's main() needs. See cli.h. */
#include "fshare.h"
#include "cli.h"
#include "escape.h"
#include <signal.h>
#include <sys/signalfd.h>

//  The escaped "<program>: <message>" line of a format and its arguments
static void
s_error_line (const char *program, const char *format, va_list args)
{
    char *message = zsys_vprintf (format, args);
    char *shown = fsh_text_escape (message? message: format);
    fprintf (stderr, "%s: %s\n", program, shown? shown: "(out of memory)");
    free (shown);
    zstr_free (&message);
}

void
fsh_error_line (const char *program, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_error_line (program, format, args);
    va_end (args);
}

int
fsh_usage_error (const char *program, const char *format, ...)
{
    //  What a usage error quotes is the command line's: any bytes at all
    va_list args;
    va_start (args, format);
    s_error_line (program, format, args);
    va_end (args);
    fprintf (stderr, "try '%s --help'\n", program);
    return 2;
}

long
fsh_number (const char *text, long min, long max)
{
    //  strtol would also take leading blanks and a sign: " 5", "+5", "-0"
    if (!text || min < 0 || !isdigit ((unsigned char) text [0]))
        return -1;
    char *end;
    errno = 0;
    long value = strtol (text, &end, 10);
    if (errno || end == text || *end || value < min || value > max)
        return -1;
    return value;
}

const char *
fsh_endpoint_problem (const char *value, fsh_ep_use_t use)
{
    const char *why = fsh_endpoint_invalid (value, use == FSH_EP_BIND);
    if (!why && use == FSH_EP_CONTROL && strncmp (value, "ipc://", 6) != 0)
        why = "an agent's control socket is an ipc:// endpoint";
    return why;
}

int
fsh_endpoint_option (const char *program, const char *option, const char *value,
                     fsh_ep_use_t use)
{
    const char *why = fsh_endpoint_problem (value, use);
    if (!why)
        return -1;
    return fsh_usage_error (program, "%s: '%s' is not a usable endpoint: %s", option,
                            value? value: "", why);
}

const char *
fsh_path_problem (const char *value)
{
    if (!value || !*value)
        return "no path given";
    return strlen (value) < PATH_MAX? NULL: "the path is too long";
}

int
fsh_path_option (const char *program, const char *option, const char *value)
{
    const char *problem = fsh_path_problem (value);
    return problem? fsh_usage_error (program, "%s: %s", option, problem): -1;
}

int
fsh_signals_open (bool hangup)
{
    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGINT);
    sigaddset (&mask, SIGTERM);
    if (hangup)
        sigaddset (&mask, SIGHUP);
    if (pthread_sigmask (SIG_BLOCK, &mask, NULL))
        return -1;
    //  Non-blocking: a read after a poll that saw a signal already taken
    //  gives 0, as fsh_signals_read says, rather than waiting for the next
    return signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

int
fsh_signal_slice (int64_t timeout_ms)
{
    if (timeout_ms < 0 || timeout_ms > FSH_SIGNAL_SLICE_MS)
        return FSH_SIGNAL_SLICE_MS;
    return (int) timeout_ms;
}

int
fsh_signals_read (int fd)
{
    struct signalfd_siginfo info;
    if (read (fd, &info, sizeof info) != sizeof info)
        return 0;
    return (int) info.ssi_signo;
}

void
fsh_stdio_open (void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl (fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        //  The lowest free number: this one, as those below it are open
        int null = open ("/dev/null", O_RDONLY | O_NOCTTY);
        if (null != -1 && null != fd) {
            dup2 (null, fd);
            close (null);
        }
    }
}

//  Why standard output first failed (an errno), 0 while it has not, or
//  EIO when stdio's error flag is all that is left of it.
static int s_output_error;

int
fsh_output_flush (void)
{
    bool flagged = ferror (stdout) != 0;
    errno = 0;
    if (fflush (stdout) == 0 && !flagged)
        return 0;
    if (!s_output_error)
        s_output_error = errno? errno: EIO;
    return -1;
}

bool
fsh_output_failed (void)
{
    return s_output_error != 0 || ferror (stdout);
}

int
fsh_output_close (const char *program, int code)
{
    fsh_output_flush ();
    errno = 0;
    if (fclose (stdout) && !s_output_error)
        s_output_error = errno? errno: EIO;
    if (!s_output_error)
        return code;
    fsh_error_line (program, "cannot write the output: %s", strerror (s_output_error));
    return code? code: 1;
}
