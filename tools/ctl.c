/*  ctl.c - fshare-ctl: the command tool of a user's running agent (SPEC 5).

    Talks to the agent over its control socket (proto/ctlclient: a DEALER
    to the agent's ROUTER, one CtlRequest out, CtlReply pages back).
    `connect` starts the agent in the background and waits for its login;
    `shell` is a prompt (libedit on a terminal, plain lines from a pipe)
    that also takes the original app's words and prints notifications as
    they arrive. Output is aligned columns for people, or the stable JSON
    of SPEC 5.1. This file holds main, the global options and the command
    table shared by the command line and the shell; each job has its file
    under tools/ctl/ (see ctl/ctl.h).
*/
#include "ctl.h"
#include "complete.h"
#include "logescape.h"
#include "socknew.h"

static const char *s_usage =
    "usage: fshare-ctl [--user NAME | --control EP] [--json] [-v] COMMAND ...\n"
    "Send a user's requests to that user's running fshare agent.\n"
    "commands:\n"
    "  connect USER [--dir DIR] [--downloads DIR] [--broker EP] [--password-file FILE]\n"
    "               [--server-key KEY]\n"
    "                start USER's agent in the background, wait for the login,\n"
    "                print the files of the other users\n"
    "  status        session state, broker, counts\n"
    "  ls [GLOB]     my published files                   (original: list_my_files)\n"
    "  ls --all [--user NAME] [--sha256 HEX] [GLOB]\n"
    "                every file of every logged-in user     (original: list_all_files)\n"
    "  peers         logged-in users and their file counts\n"
    "  get OWNER PATH|DIR/|GLOB [-o PATH] [--jobs N] [--again]\n"
    "                download OWNER's file PATH into the downloads directory\n"
    "                (or PATH given with -o: a file name or a directory);\n"
    "                a folder DIR/ or every file matching GLOB ('*.pdf',\n"
    "                'docs/**'), up to N files at once (default 4);\n"
    "                a progress bar on a terminal     (original: download_file);\n"
    "                content already there is not fetched again unless --again\n"
    "  events        print notifications as they arrive, until interrupted\n"
    "  disconnect    log out and stop the agent\n"
    "  shell         interactive prompt (reads piped input too)\n"
    "options:\n"
    "  --user NAME   talk to NAME's agent (default: the only one running)\n"
    "  --control EP  talk to the agent on this control endpoint\n"
    "  --json        JSON output (SPEC 5.1)\n"
    "  -v, --verbose say more on stderr\n"
    "  -c, --config FILE  read options from a ZPL config file\n"
    "  -h, --help    this help\n"
    "  --version     print the version\n"
    "The password of connect comes from --password-file, else FSHARE_PASSWORD,\n"
    "else a prompt on the terminal; never from the command line.\n";

typedef struct {
    const char *name;
    ctl_command_fn *run;
    const char *options;        //  short codes of the options it takes
    size_t min_words;
    size_t max_words;
    bool all;                   //  list_all_files = ls --all
} ctl_command_t;

//  --------------------------------------------------------------------------
//  Command table and parsing, shared by the command line and the shell

static const ctl_command_t s_commands [] = {
    { "connect",        ctl_connect,    "jdDbpk", 1, 1, false },
    { "status",         ctl_status,     "j",     0, 0, false },
    { "ls",             ctl_ls,         "jaus",  0, 1, false },
    { "peers",          ctl_peers,      "j",     0, 0, false },
    { "get",            ctl_get,        "joJA",  2, 2, false },
    { "events",         ctl_events,     "j",     0, 0, false },
    { "disconnect",     ctl_disconnect, "j",     0, 0, false },
    { "shell",          ctl_shell,      "j",     0, 0, false },
    //  the original app's words
    { "list_my_files",  ctl_ls,         "j",     0, 1, false },
    { "list_all_files", ctl_ls,         "ju",    0, 1, true },
    { "download_file",  ctl_get,        "joJA",  2, 2, false },
    { NULL, NULL, NULL, 0, 0, false }
};

static const ctl_command_t *
s_command_find (const char *name)
{
    for (const ctl_command_t *command = s_commands; command->name; command++)
        if (streq (command->name, name))
            return command;
    return NULL;
}

//  A command's endpoint and paths, checked before libzmq or the disk
//  sees them: -1 when good, else the exit code.
static int
s_command_check (ctl_t *self, const ctl_command_t *command, const ctl_args_t *args)
{
    const char *why = args->broker? fsh_endpoint_invalid (args->broker, false): NULL;
    if (why)
        return ctl_command_error (self, command->name, "--broker: not a usable endpoint: %s",
                                  why);
    const char *paths [] = { args->dir, args->downloads, args->output, args->password_file };
    const char *names [] = { "--dir", "--downloads", "--output", "--password-file" };
    for (size_t i = 0; i < sizeof paths / sizeof paths [0]; i++) {
        const char *problem = paths [i]? fsh_path_problem (paths [i]): NULL;
        char *why = problem? zsys_sprintf ("%s: %s", names [i], problem): NULL;
        if (why) {
            int rc = ctl_command_error (self, command->name, "%s", why);
            zstr_free (&why);
            return rc;
        }
    }
    return -1;
}

//  The options of every command (each takes those its entry names)
#define S_COMMAND_SHORTS ":o:"
static const struct option s_command_longs [] = {
    { "json",          no_argument,       NULL, 'j' },
    { "all",           no_argument,       NULL, 'a' },
    { "user",          required_argument, NULL, 'u' },
    { "sha256",        required_argument, NULL, 's' },
    { "dir",           required_argument, NULL, 'd' },
    { "downloads",     required_argument, NULL, 'D' },
    { "broker",        required_argument, NULL, 'b' },
    { "password-file", required_argument, NULL, 'p' },
    { "server-key",    required_argument, NULL, 'k' },
    { "output",        required_argument, NULL, 'o' },
    { "jobs",          required_argument, NULL, 'J' },
    { "again",         no_argument,       NULL, 'A' },
    { NULL, 0, NULL, 0 }
};

//  Parses the words after the command name. -1 when good, else exit code.
static int
s_command_parse (ctl_t *self, const ctl_command_t *command, int argc, char **argv,
                 ctl_args_t *args)
{
    memset (args, 0, sizeof *args);
    args->all = command->all;
    opterr = 0;
    optind = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, S_COMMAND_SHORTS, s_command_longs, NULL)) != -1) {
        if (opt == ':')
            return ctl_command_error (self, command->name, "option '%s' needs an argument",
                                    argv [optind - 1]);
        if (opt == '?' || !strchr (command->options, opt))
            return ctl_command_error (self, command->name, "unknown option '%s'",
                                    argv [optind - 1]);
        switch (opt) {
            case 'j': args->json = true; break;
            case 'a': args->all = true; break;
            case 'u': args->user = optarg; break;
            case 's': args->sha256 = optarg; break;
            case 'd': args->dir = optarg; break;
            case 'D': args->downloads = optarg; break;
            case 'b': args->broker = optarg; break;
            case 'p': args->password_file = optarg; break;
            case 'k': args->server_key = optarg; break;
            case 'o': args->output = optarg; break;
            case 'J':
                if ((args->jobs = (int) fsh_number (optarg, 1, 64)) == -1)
                    return ctl_command_error (self, command->name,
                                              "--jobs needs a number from 1 to 64, not '%s'",
                                              optarg);
                break;
            case 'A': args->again = true; break;
        }
    }
    for (; optind < argc; optind++) {
        if (args->n_words == 2)
            return ctl_command_error (self, command->name, "unexpected argument '%s'",
                                    argv [optind]);
        args->words [args->n_words++] = argv [optind];
    }
    if (args->n_words < command->min_words)
        return ctl_command_error (self, command->name, "%s", "missing argument");
    return s_command_check (self, command, args);
}

//  Runs one command line (argv [0] is the command name): its exit code.
int
ctl_run (ctl_t *self, int argc, char **argv)
{
    if (streq (argv [0], "__complete"))     //  shell completion: ctl/complete.c
        return ctl_complete (self->client, argc - 1, argv + 1);
    const ctl_command_t *command = s_command_find (argv [0]);
    if (!command || (self->in_shell && command->run == ctl_shell)) {
        //  The word is the user's, or a pipe's: any bytes at all
        fsh_error_line (PROGRAM, "unknown command '%s'%s", argv [0],
                        self->in_shell? " (type help)": "");
        if (!self->in_shell)
            fprintf (stderr, "try 'fshare-ctl --help'\n");
        char *text = zsys_sprintf ("unknown command '%s'", argv [0]);
        ctl_print_failure (self, FSH_ERR_BAD_REQUEST, text? text: "unknown command");
        zstr_free (&text);
        return 2;
    }
    if (self->in_shell && command->run == ctl_events) {
        ctl_fail (self, FSH_ERR_BAD_REQUEST, "the shell prints notifications by itself");
        return 2;
    }
    ctl_args_t args;
    int rc = s_command_parse (self, command, argc, argv, &args);
    if (rc >= 0)
        return rc;
    //  Only the shell's connect USER PASS may carry a password as a word.
    size_t max_words = command->max_words
                     + (self->in_shell && command->run == ctl_connect? 1: 0);
    if (args.n_words > max_words)
        return ctl_command_error (self, command->name, "unexpected argument '%s'",
                                args.words [max_words]);
    bool json = self->json;
    self->json = json || args.json;
    rc = command->run (self, &args);
    self->json = json;
    return rc;
}


//  --------------------------------------------------------------------------
//  main

//  The global short options, for the parse and for finding -c in them
//  (fsh_args_new); '+': stop at the command name, its options are its own
#define S_GLOBAL_SHORTS "+:vhc:"

//  The global options a config file may set too (with --verbose)
#define S_GLOBAL_OPTIONS \
    { "user",    required_argument, NULL, 'u' }, \
    { "control", required_argument, NULL, 'C' }, \
    { "json",    no_argument,       NULL, 'j' }, \
    { "config",  required_argument, NULL, 'c' }

static const struct option s_global_longs [] = {
    S_GLOBAL_OPTIONS,
    FSH_OPTIONS_END
};

//  Whether the command line asks for --json, among the global options or
//  the command's, wherever it is: a usage error before it, or a config
//  file that cannot be read, still answers with a JSON object (SPEC 5.1).
//  getopt_long finds it as the parses will (abbreviations too, none
//  after "--"), on a copy of argv, which it would permute.
static bool
s_json_wanted (int argc, char **argv)
{
    char **copy = (char **) zmalloc (sizeof (char *) * (argc + 1));
    memcpy (copy, argv, sizeof (char *) * argc);
    bool json = false;
    opterr = 0;
    optind = 0;
    int opt;
    while ((opt = getopt_long (argc, copy, S_GLOBAL_SHORTS, s_global_longs, NULL)) != -1)
        json |= opt == 'j';
    int command = optind;
    optind = 0;
    while (command < argc
       &&  (opt = getopt_long (argc - command, copy + command, S_COMMAND_SHORTS,
                               s_command_longs, NULL)) != -1)
        json |= opt == 'j';
    optind = 0;
    free (copy);
    return json;
}

//  A usage error of the global options: the line and hint on stderr, and
//  under --json the object on stdout. Returns 2.
static int
s_global_error (ctl_t *self, const char *format, const char *arg)
{
    char *text = zsys_sprintf (format, arg);
    fsh_usage_error (PROGRAM, "%s", text? text: format);
    ctl_print_failure (self, FSH_ERR_BAD_REQUEST, text? text: format);
    zstr_free (&text);
    return 2;
}

//  Global options, up to the command name. -1 when good, else exit code.
static int
s_parse_global (ctl_t *self, int argc, char **argv, int *command_index)
{
    const struct option *longs = s_global_longs;
    const char *user = NULL, *control = NULL;
    opterr = 0;
    optind = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, S_GLOBAL_SHORTS, longs, NULL)) != -1) {
        switch (opt) {
            case 'u': user = optarg; break;
            case 'C': control = optarg; break;
            case 'j': self->json = true; break;
            case 'v': self->verbose = true; break;
            case 'c': break;    //  read by fsh_args_new
            case 'h':
                fputs (s_usage, stdout);
                return 0;
            case 'V':
                return fsh_options_version (PROGRAM);
            case ':':
                return s_global_error (self, "option '%s' needs an argument", argv [optind - 1]);
            default:
                return s_global_error (self, "unknown option '%s'", argv [optind - 1]);
        }
    }
    if (user && control)
        return s_global_error (self, "%s", "give --user or --control, not both");
    const char *error = user? fsh_user_check (user): NULL;
    if (error)
        return s_global_error (self, "bad user name: %s", error);
    const char *why = control? fsh_endpoint_problem (control, FSH_EP_CONTROL): NULL;
    if (why) {
        char *text = zsys_sprintf ("--control: '%s' is not a usable endpoint: %s", control, why);
        int code = s_global_error (self, "%s", text? text: why);
        zstr_free (&text);
        return code;
    }
    if (optind >= argc)
        return s_global_error (self, "%s", "missing command");
    if (user) {
        ctl_set_agent (self, user, NULL);
        //  A control directory too deep for a socket's path: no agent can
        //  be there, and it is the user's setting (XDG_RUNTIME_DIR) to fix
        why = fsh_endpoint_invalid (ctl_control (self), false);
        if (why) {
            char *text = zsys_sprintf ("control endpoint %s: %s", ctl_control (self), why);
            int code = s_global_error (self, "%s", text? text: why);
            zstr_free (&text);
            return code;
        }
    }
    if (control) {
        ctl_set_agent (self, NULL, control);
        self->explicit_control = true;
    }
    self->pinned = user || control;
    *command_index = optind;
    return -1;
}

int
main (int argc, char *argv [])
{
    static const struct option config_keys [] = {
        S_GLOBAL_OPTIONS,
        { "verbose", no_argument,       NULL, 'v' },
        { NULL, 0, NULL, 0 }
    };
    fsh_stdio_open ();
    ctl_t *self = ctl_new ();
    self->json = s_json_wanted (argc, argv);
    fsh_args_t *args = fsh_args_new (PROGRAM, argc, argv, config_keys, S_GLOBAL_SHORTS);
    if (!args) {
        //  Its one line is said; under --json the object too, with the same why
        const char *why = fsh_args_failure ();
        ctl_print_failure (self, FSH_ERR_BAD_REQUEST, *why? why: "bad config file");
        ctl_destroy (&self);
        return fsh_output_close (PROGRAM, 2);
    }
    //  A config file may say json = true
    self->json = self->json || s_json_wanted (fsh_args_argc (args), fsh_args_argv (args));
    int command_index = 0;
    int rc = s_parse_global (self, fsh_args_argc (args), fsh_args_argv (args), &command_index);
    if (rc < 0) {
        fsh_sockets_limit ();
        zsys_init ();
        //  No library chatter by default; escaped, it quotes others' names
        fsh_logescape_install (self->verbose? stderr: NULL);
        rc = ctl_run (self, fsh_args_argc (args) - command_index,
                      fsh_args_argv (args) + command_index);
    }
    ctl_destroy (&self);
    fsh_args_destroy (&args);
    return fsh_output_close (PROGRAM, rc);
}
