/*  password.h - where a password comes from (SPEC 3): never the command line.

    Order: --password-file FILE (its first line), else $FSHARE_PASSWORD,
    else a no-echo prompt on the controlling terminal.
*/
#ifndef FSH_PASSWORD_H_INCLUDED
#define FSH_PASSWORD_H_INCLUDED

//  Returns the password (caller frees with fsh_password_free) or NULL with
//  a reason in *error (static text).
char *fsh_password_get (const char *file, const char *prompt, const char **error);

//  Prompt on /dev/tty without echo. NULL when there is no terminal.
char *fsh_password_prompt (const char *prompt);

//  First line of a stream, without its newline (nor a CR before it); of
//  a longer line, its first 1025 bytes, which no reader takes (at most
//  1024). NULL on EOF, error, or a NUL byte in the line.
char *fsh_password_read_line (FILE *in);

//  Wipe and free; nulls the pointer.
void fsh_password_free (char **password_p);

#endif
