/*  passwd.c - fshare-passwd: add, change or delete an account (SPEC 5, 6).

    fshare-passwd [--stdin] [--delete] FILE USER

    The password comes from the terminal (asked twice, no echo) or with
    --stdin from the first line of standard input, never from the command
    line. The file is read and validated first: a malformed file is
    reported by line and left as it is. Then, under an flock on the file's
    directory (accounts_lock), it is read again, changed and rewritten
    atomically (through a symlink: its target is replaced),
    keeping its other lines and comments, and its owner and mode (so root
    may manage the account file of a broker running as its own user); a
    new file gets mode 0600.
*/
#include "accounts.h"
#include "cli.h"
#include "escape.h"

#define PROGRAM "fshare-passwd"

//  proto/password.c reads at most this many bytes of a line; a longer
//  line would come back cut short, and we refuse rather than store that.
#define PASSWD_PASSWORD_MAX 1024

typedef struct {
    bool from_stdin;
    bool delete;
    passhash_cost_t cost;
    int lock_wait_ms;           //  how long to wait for the file's lock
    const char *file;
    const char *user;
} passwd_args_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: " PROGRAM " [-c FILE] [--stdin] [--delete] ACCOUNTS USER\n"
        "Add USER to the fshare broker's account file ACCOUNTS, or change USER's\n"
        "password. The password is asked twice on the terminal without echo.\n"
        "\n"
        "  --stdin          read the password from the first line of standard input\n"
        "  --delete         remove USER from ACCOUNTS instead\n"
        "  -c, --config F   read options from the ZPL config file F\n"
        "  -h, --help       print this help and exit\n"
        "      --version    print the version and exit\n"
        "\n"
        "ACCOUNTS is written atomically and keeps its owner, group and mode (less\n"
        "any access for others); a new one gets mode 0600 (its directory is\n"
        "created, mode 0700, when missing).\n"
        "Exit status: 0 done, 1 failure, 2 bad usage.\n");
}

//  The short options, for the parse and for finding -c (fsh_args_new)
#define S_SHORTS ":hc:"

static const struct option s_options [] = {
    { "help",    no_argument,       NULL, 'h' },
    { "version", no_argument,       NULL, 'V' },
    { "config",  required_argument, NULL, 'c' },
    { "stdin",   no_argument,       NULL, 's' },
    { "delete",  no_argument,       NULL, 'd' },
    { "cost",    required_argument, NULL, 'C' },   //  hidden: tests only
    { "lock-wait", required_argument, NULL, 'L' }, //  hidden: tests only (ms)
    { NULL, 0, NULL, 0 }
};

//  Applies one option from getopt_long. Returns -1 to go on, else the exit
//  status.
static int
s_take_option (int option, char **vector, passwd_args_t *args)
{
    switch (option) {
        case 'h':
            s_usage (stdout);
            return 0;
        case 'V':
            return fsh_options_version (PROGRAM);
        case 'c':
            return -1;      //  already read by fsh_args_new
        case 's':
            args->from_stdin = true;
            return -1;
        case 'd':
            args->delete = true;
            return -1;
        case 'C':
            if (streq (optarg, "min"))
                args->cost = PASSHASH_COST_MIN;
            else
            if (streq (optarg, "interactive"))
                args->cost = PASSHASH_COST_INTERACTIVE;
            else
                return fsh_usage_error (PROGRAM, "%s", "--cost must be 'min' or 'interactive'");
            return -1;
        case 'L':
            args->lock_wait_ms = (int) fsh_number (optarg, 0, 3600 * 1000);
            if (args->lock_wait_ms < 0)
                return fsh_usage_error (PROGRAM, "%s", "--lock-wait must be 0 to 3600000 ms");
            return -1;
        case ':':
            return fsh_usage_error (PROGRAM, "missing argument for '%s'", vector [optind - 1]);
        default:
            if (optopt) {
                char text [] = { '-', (char) optopt, 0 };
                return fsh_usage_error (PROGRAM, "unknown option '%s'", text);
            }
            return fsh_usage_error (PROGRAM, "unknown option '%s'", vector [optind - 1]);
    }
}

//  Checks the words left after the options: ACCOUNTS and USER.
static int
s_take_operands (int left, char **operands, passwd_args_t *args)
{
    if (left != 2)
        return fsh_usage_error (PROGRAM, "%s", left < 2? "missing ACCOUNTS or USER argument"
                                                       : "too many arguments");
    args->file = operands [0];
    args->user = operands [1];
    if (args->delete && args->from_stdin)
        return fsh_usage_error (PROGRAM, "%s", "--delete takes no password, so no --stdin");
    //  As every program's path option: "" names no file (it was "cannot
    //  write : No such file or directory", a runtime failure)
    const char *problem = fsh_path_problem (args->file);
    if (problem)
        return fsh_usage_error (PROGRAM, "ACCOUNTS: %s", problem);
    const char *reason = fsh_user_check (args->user);
    if (reason) {
        char *message = zsys_sprintf ("invalid USER: %s", reason);
        fsh_usage_error (PROGRAM, "%s", message);
        zstr_free (&message);
        return 2;
    }
    return -1;
}

//  Parses the command line (config file words first). Returns -1 to go on,
//  else the exit status. args points into words, which must outlive it.
static int
s_parse_args (fsh_args_t *words, passwd_args_t *args)
{
    int count = fsh_args_argc (words);
    char **vector = fsh_args_argv (words);
    opterr = 0;
    optind = 1;
    int option;
    while ((option = getopt_long (count, vector, S_SHORTS, s_options, NULL)) != -1) {
        int status = s_take_option (option, vector, args);
        if (status != -1)
            return status;
    }
    return s_take_operands (count - optind, vector + optind, args);
}

static int
s_fail (const char *message, const char *detail)
{
    //  The message may quote the file's name: escaped
    if (detail)
        fsh_error_line (PROGRAM, "%s: %s", message, detail);
    else
        fsh_error_line (PROGRAM, "%s", message);
    return 1;
}

//  Gets the new password, or NULL after printing why.
static char *
s_read_password (const passwd_args_t *args)
{
    char *password = NULL;
    if (args->from_stdin) {
        password = fsh_password_read_line (stdin);
        if (!password)
            s_fail ("no password on standard input", NULL);
    }
    else {
        char *prompt = zsys_sprintf ("New password for %s: ", args->user);
        password = fsh_password_prompt (prompt);
        zstr_free (&prompt);
        if (!password && fsh_password_signal ()) {
            s_fail ("interrupted: file left unchanged", NULL);
            return NULL;
        }
        if (!password) {
            s_fail ("cannot read a password: no terminal (use --stdin)", NULL);
            return NULL;
        }
        char *again = fsh_password_prompt ("Retype the new password: ");
        bool same = again && streq (again, password);
        fsh_password_free (&again);
        if (!same && fsh_password_signal ()) {
            fsh_password_free (&password);
            s_fail ("interrupted: file left unchanged", NULL);
            return NULL;
        }
        if (!same) {
            fsh_password_free (&password);
            s_fail ("the passwords do not match", NULL);
            return NULL;
        }
    }
    if (password && *password == 0) {
        fsh_password_free (&password);
        s_fail ("empty password refused", NULL);
    }
    if (password && strlen (password) > PASSWD_PASSWORD_MAX) {
        fsh_password_free (&password);
        s_fail ("password too long (at most 1024 bytes)", NULL);
    }
    return password;
}

//  The new password's hash, or NULL after printing why. Asked before the
//  file is locked: a person at a terminal may take any time to type.
static char *
s_new_hash (const passwd_args_t *args)
{
    char *password = s_read_password (args);
    if (!password)
        return NULL;
    char *hash = passhash_new (password, args->cost);
    fsh_password_free (&password);
    if (!hash)
        s_fail ("cannot hash the password", "out of memory");
    return hash;
}

//  Changes the table as asked. 0, or the exit status after printing why.
static int
s_update (accounts_t *accounts, const passwd_args_t *args, const char *hash,
          const char **done)
{
    if (args->delete) {
        if (accounts_delete (accounts, args->user) != 0) {
            fsh_error_line (PROGRAM, "no user '%s' in %s", args->user, args->file);
            return 1;
        }
        *done = "deleted user";
        return 0;
    }
    *done = accounts_lookup (accounts, args->user)? "changed the password of": "added user";
    if (accounts_set (accounts, args->user, hash) != 0)
        return s_fail ("internal error", "the new hash was refused");
    return 0;
}

//  Reads, changes and writes the file under its lock, so that another
//  fshare-passwd or the broker registering a first login, writing at the
//  same time, loses nothing of ours nor we of theirs. 0, or the exit
//  status after printing why.
static int
s_locked_update (accounts_t *accounts, const passwd_args_t *args, const char *hash,
                 const char **done)
{
    char *error = NULL;
    if (accounts_lock (accounts, args->lock_wait_ms, &error) != 0
    ||  accounts_load (accounts, &error) != 0) {
        //  Read again under the lock: it may have changed since the first look
        s_fail (error, "file left unchanged");
        zstr_free (&error);
        accounts_unlock (accounts);
        return 1;
    }
    int status = s_update (accounts, args, hash, done);
    if (status == 0 && accounts_save (accounts) != 0) {
        fsh_error_line (PROGRAM, "cannot write %s: %s", args->file, strerror (errno));
        status = 1;
    }
    accounts_unlock (accounts);
    return status;
}

int
main (int argc, char **argv)
{
    fsh_stdio_open ();
    fsh_args_t *words = fsh_args_new (PROGRAM, argc, argv, s_options, S_SHORTS);
    if (!words)
        return 2;
    passwd_args_t args = { .cost = PASSHASH_COST_INTERACTIVE,
                           .lock_wait_ms = ACCOUNTS_LOCK_WAIT_MS };
    int status = s_parse_args (words, &args);
    if (status != -1) {
        fsh_args_destroy (&words);
        return fsh_output_close (PROGRAM, status);
    }
    //  A first look, unlocked: a malformed file is reported before anyone
    //  types a password for it
    accounts_t *accounts = accounts_new (args.file);
    char *error = NULL;
    status = 0;
    if (accounts_load (accounts, &error) != 0) {
        status = s_fail (error, "file left unchanged");
        zstr_free (&error);
    }
    char *hash = status == 0 && !args.delete? s_new_hash (&args): NULL;
    if (status == 0 && !args.delete && !hash)
        status = 1;
    const char *done = NULL;
    if (status == 0)
        status = s_locked_update (accounts, &args, hash, &done);
    zstr_free (&hash);
    char *shown = status == 0? fsh_text_escape (args.file): NULL;
    if (shown)
        printf ("%s '%s' in %s\n", done, args.user, shown);
    free (shown);
    accounts_destroy (&accounts);
    fsh_args_destroy (&words);
    return fsh_output_close (PROGRAM, status);
}
