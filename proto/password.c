/*  password.c - password sources. See password.h. */
#include "fshare.h"
#include <termios.h>

#define PASSWORD_MAX 1024

char *
fsh_password_read_line (FILE *in)
{
    //  One byte more than a password may have, so that a longer line is
    //  seen as too long rather than cut to a valid length
    char buffer [PASSWORD_MAX + 2];
    size_t len = 0;
    bool nul = false;
    int c = EOF;
    while (len < PASSWORD_MAX + 1 && (c = getc (in)) != EOF && c != '\n') {
        nul |= c == 0;
        buffer [len++] = (char) c;
    }
    if (len == 0 && c == EOF)
        return NULL;
    if (len && buffer [len - 1] == '\r')
        len--;
    buffer [len] = 0;
    //  A NUL byte would end the password early, without a word
    char *password = nul? NULL: strdup (buffer);
    explicit_bzero (buffer, sizeof buffer);
    return password;
}

char *
fsh_password_prompt (const char *prompt)
{
    FILE *tty = fopen ("/dev/tty", "r+");
    if (!tty)
        return NULL;
    struct termios saved, quiet;
    int fd = fileno (tty);
    bool restore = tcgetattr (fd, &saved) == 0;
    if (restore) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t) ECHO;
        tcsetattr (fd, TCSAFLUSH, &quiet);
    }
    fputs (prompt, tty);
    fflush (tty);
    char *password = fsh_password_read_line (tty);
    if (restore)
        tcsetattr (fd, TCSAFLUSH, &saved);
    fputs ("\n", tty);
    fclose (tty);
    return password;
}

char *
fsh_password_get (const char *file, const char *prompt, const char **error)
{
    *error = NULL;
    if (file) {
        FILE *in = fopen (file, "r");
        if (!in) {
            *error = "cannot read the password file";
            return NULL;
        }
        char *password = fsh_password_read_line (in);
        fclose (in);
        if (!password)
            *error = "the password file is empty or its first line holds a NUL byte";
        return password;
    }
    const char *env = getenv ("FSHARE_PASSWORD");
    if (env)
        return strdup (env);
    char *password = fsh_password_prompt (prompt);
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
