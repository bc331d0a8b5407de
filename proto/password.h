/*  password.h - where a password comes from (SPEC 3): never the command line.

    Order: --password-file FILE (its first line), else $FSHARE_PASSWORD,
    else a no-echo prompt on the controlling terminal.
*/
#ifndef FSH_PASSWORD_H_INCLUDED
#define FSH_PASSWORD_H_INCLUDED

#include <stdint.h>

//  Returns the password (caller frees with fsh_password_free) or NULL with
//  a reason in *error (caller frees with zstr_free): the read
//  error apart from an empty file. A FIFO is waited for, a person at the
//  prompt too, but SIGINT, SIGTERM or SIGHUP ends the wait (even while the
//  caller blocks them for a signalfd): NULL, and fsh_password_signal says
//  which; the terminal's echo is restored. So does `deadline` (zclock_mono
//  ms; 0: none): NULL, "timed out waiting for ...".
char *fsh_password_get (const char *file, const char *prompt, int64_t deadline,
                        char **error);

//  Prompt on /dev/tty without echo. NULL when there is no terminal, or
//  after a signal (fsh_password_signal).
char *fsh_password_prompt (const char *prompt);

//  The signal that ended the last wait for a password, else 0.
int fsh_password_signal (void);

//  First line of a stream, without its newline (nor a CR before it); of
//  a longer line, its first 1025 bytes, which no reader takes (at most
//  1024). NULL on EOF, error, or a NUL byte in the line.
char *fsh_password_read_line (FILE *in);

//  Wipe and free; nulls the pointer.
void fsh_password_free (char **password_p);

#endif
