/*  main.c - fshare-peer: parse options, get the password, run the agent.

    Waits for the login outcome, then for the agent to end (a ctl
    "disconnect") or for SIGINT/SIGTERM, which make the agent log out.
*/
#include "agent.h"
#include "logfile.h"
#include "statedir.h"
#include "curve.h"
#include "cli.h"
#include "logescape.h"
#include "fdlimit.h"
#include <signal.h>
#include <sys/socket.h>

#define PROGRAM "fshare-peer"

//  The short options, for the parse and for finding -c (fsh_args_new)
#define S_SHORTS ":c:vh"

static const struct option s_options [] = {
    { "config",        required_argument, NULL, 'c' },
    { "user",          required_argument, NULL, 'u' },
    { "dir",           required_argument, NULL, 'd' },
    { "downloads",     required_argument, NULL, 'D' },
    { "broker",        required_argument, NULL, 'b' },
    { "events",        required_argument, NULL, 'e' },
    { "control",       required_argument, NULL, 'C' },
    { "password-file", required_argument, NULL, 'p' },
    { "server-key",    required_argument, NULL, 'k' },
    { "ignore",        required_argument, NULL, 'i' },
    { "settle-ms",     required_argument, NULL, 's' },
    FSH_OPTIONS_END
};

typedef struct {
    const char *user;
    const char *dir;
    const char *downloads;
    const char *broker;
    const char *events;
    const char *control;
    const char *password_file;
    const char *server_key;
    const char **ignore;        //  NULL-terminated, or NULL
    size_t ignores;
    int settle_ms;
    bool verbose;
} options_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: fshare-peer --user NAME [options]\n"
        "  -c, --config FILE       read options from a ZPL file (command line wins)\n"
        "  --user NAME             the user to log in as (required)\n"
        "  --dir DIR               host directory to publish (default ./NAME_files)\n"
        "  --downloads DIR         downloads directory (default ./NAME_downloads)\n"
        "  --broker EP             broker request endpoint (default %s)\n"
        "  --events EP             broker event endpoint (default: the broker says)\n"
        "  --control EP            control endpoint for fshare-ctl\n"
        "                          (default ipc://$XDG_RUNTIME_DIR/fshare/NAME.ctl)\n"
        "  --password-file FILE    read the password from FILE's first line\n"
        "                          (else $FSHARE_PASSWORD, else a prompt)\n"
        "  --server-key KEY        the broker's CURVE public key (fshare-broker\n"
        "                          --print-key): encrypt everything with CURVE\n"
        "  --ignore PATTERN        never publish what matches PATTERN (gitignore\n"
        "                          syntax; repeatable; after .fshareignore)\n"
        "  --settle-ms MS          settle window for a path that disappears and\n"
        "                          comes back, 0..10000 (default 100)\n"
        "  -v, --verbose           debug logging\n"
        "  -h, --help              this help\n"
        "  --version               print the version\n",
        FSH_DEFAULT_LISTEN);
}

//  The endpoints and paths given, checked before libzmq or the disk sees
//  them. Returns -1 to go on, else an exit code.
static int
s_check (const options_t *options)
{
    int code = fsh_endpoint_option (PROGRAM, "--broker", options->broker, FSH_EP_CONNECT);
    if (code < 0 && options->events)
        code = fsh_endpoint_option (PROGRAM, "--events", options->events, FSH_EP_CONNECT);
    if (code < 0 && options->control)
        code = fsh_endpoint_option (PROGRAM, "--control", options->control, FSH_EP_CONTROL);
    if (code < 0 && options->dir)
        code = fsh_path_option (PROGRAM, "--dir", options->dir);
    if (code < 0 && options->downloads)
        code = fsh_path_option (PROGRAM, "--downloads", options->downloads);
    if (code < 0 && options->password_file)
        code = fsh_path_option (PROGRAM, "--password-file", options->password_file);
    return code;
}

//  Parse argv into options; returns -1 to go on, else an exit code.
static int
s_parse (int argc, char **argv, options_t *options)
{
    int c;
    opterr = 0;
    while ((c = getopt_long (argc, argv, S_SHORTS, s_options, NULL)) != -1) {
        switch (c) {
            case 'c': break;   //  already read by fsh_args_new
            case 'u': options->user = optarg; break;
            case 'd': options->dir = optarg; break;
            case 'D': options->downloads = optarg; break;
            case 'b': options->broker = optarg; break;
            case 'e': options->events = optarg; break;
            case 'C': options->control = optarg; break;
            case 'p': options->password_file = optarg; break;
            case 'k': options->server_key = optarg; break;
            case 'i':
                options->ignore = (const char **) realloc (options->ignore,
                                      (options->ignores + 2) * sizeof (char *));
                assert (options->ignore);
                options->ignore [options->ignores++] = optarg;
                options->ignore [options->ignores] = NULL;
                break;
            case 's': {
                long ms = fsh_number (optarg, 0, 10000);
                if (ms < 0)
                    return fsh_usage_error (PROGRAM, "--settle-ms: '%s' is not 0..10000", optarg);
                options->settle_ms = ms? (int) ms: -1;
                break;
            }
            case 'v': options->verbose = true; break;
            case 'h': s_usage (stdout); return 0;
            case 'V': return fsh_options_version (PROGRAM);
            default: return fsh_options_refused (PROGRAM, c, argv);
        }
    }
    if (optind < argc)
        return fsh_usage_error (PROGRAM, "unexpected argument '%s'", argv [optind]);
    if (!options->user)
        return fsh_usage_error (PROGRAM, "%s", "--user NAME is required");
    const char *problem = fsh_user_check (options->user);
    if (problem)
        return fsh_usage_error (PROGRAM, "--user: %s", problem);
    problem = options->server_key? fsh_curve_key_check (options->server_key): NULL;
    if (problem)
        return fsh_usage_error (PROGRAM, "--server-key: %s", problem);
    return s_check (options);
}

//  Why the agent stops: on stderr, and as "CODE TEXT" to fshare-ctl
//  connect when it started us (FSHARE_REPORT_FD names its socket;
//  tools/ctl/spawn.h).
static int
s_fail (fsh_err_t code, const char *what, const char *why)
{
    char *line = what? zsys_sprintf ("%s: %s", what, why): strdup (why);
    fsh_error_line ("fshare-peer", "%s", line);
    long fd = fsh_number (getenv ("FSHARE_REPORT_FD"), 3, INT_MAX);
    char *report = zsys_sprintf ("%s %s\n", fsh_err_name (code), line);
    if (fd != -1 && report)     //  nobody reading it any more is no failure of ours
        send ((int) fd, report, strlen (report), MSG_NOSIGNAL);
    zstr_free (&report);
    zstr_free (&line);
    return 1;
}

//  "FAILED [CODE ]REASON": the broker's code leads when the agent gives it.
static int
s_refused (const char *rest)
{
    const char *space = strchr (rest, ' ');
    char *name = space? strndup (rest, (size_t) (space - rest)): NULL;
    fsh_err_t code = name? fsh_err_from_name (name): FSH_ERR_NONE;
    zstr_free (&name);
    if (code == FSH_ERR_NONE)
        return s_fail (FSH_ERR_INTERNAL, "login refused", rest);
    return s_fail (code, "login refused", space + 1);
}

//  Wait for the first word from the agent, or a signal. The word is
//  returned (caller frees); NULL after a signal.
static char *
s_wait (zactor_t *agent, int signals)
{
    zmq_pollitem_t items [] = {
        { zsock_resolve (agent), 0, ZMQ_POLLIN, 0 },
        { NULL, signals, ZMQ_POLLIN, 0 }
    };
    while (true) {
        if (zmq_poll (items, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            return strdup ("ERROR poll failed");
        }
        if ((items [1].revents & ZMQ_POLLIN) && fsh_signals_read (signals))
            return NULL;
        if (items [0].revents & ZMQ_POLLIN) {
            zmsg_t *msg = zmsg_recv (agent);
            if (!msg)
                continue;
            //  The end-of-actor signal: the agent stopped without a word
            char *word = zmsg_signal (msg) >= 0? strdup ("STOPPED"): zmsg_popstr (msg);
            zmsg_destroy (&msg);
            return word? word: strdup ("ERROR empty message from the agent");
        }
    }
}

//  What the agent said, as an exit code (-1: go on waiting).
static int
s_outcome (const char *word)
{
    if (streq (word, "ONLINE"))
        return -1;
    if (streq (word, "STOPPED"))
        return 0;
    if (strncmp (word, "FAILED ", 7) == 0)
        return s_refused (word + 7);
    if (strncmp (word, "ERROR ", 6) == 0)
        return s_fail (FSH_ERR_INTERNAL, NULL, word + 6);
    return s_fail (FSH_ERR_INTERNAL, "unexpected word from the agent", word);
}

static int
s_run (options_t *options, int signals)
{
    //  A password travels only inside CURVE, or on loopback/ipc (SPEC 6)
    if (!options->server_key && !fsh_endpoint_is_local (options->broker)) {
        char *why = zsys_sprintf ("refusing to send a password unencrypted to %s "
                                  "(use CURVE: --server-key)", options->broker);
        int code = s_fail (FSH_ERR_BAD_REQUEST, NULL, why);
        zstr_free (&why);
        return code;
    }
    char *prompt = zsys_sprintf ("Password for %s: ", options->user);
    char *error = NULL;
    char *password = fsh_password_get (options->password_file, prompt, 0, &error);
    zstr_free (&prompt);
    //  Stopped while waiting for it: what a signal always means, not a failure
    if (!password && fsh_password_signal ()) {
        fsh_error_line (PROGRAM, "stopped: %s", error);
        zstr_free (&error);
        return 0;
    }
    if (!password) {
        int code = s_fail (FSH_ERR_BAD_REQUEST, "password", error);
        zstr_free (&error);
        return code;
    }

    //  The instance id and the lock of this user's agents on this machine
    char *state_dir = statedir_default (options->user);
    if (!state_dir) {
        fsh_password_free (&password);
        char *why = fsh_state_dir_problem ();
        int code = s_fail (FSH_ERR_NOT_WRITABLE, "state directory", why? why: FSH_NO_STATE_DIR);
        zstr_free (&why);
        return code;
    }
    agent_config_t config = {
        .user = options->user, .password = password, .dir = options->dir,
        .downloads = options->downloads, .broker = options->broker,
        .events = options->events, .control = options->control,
        .server_key = options->server_key, .state_dir = state_dir,
        .ignore = options->ignore, .settle_ms = options->settle_ms,
        .verbose = options->verbose
    };
    zactor_t *agent = zactor_new (agent_actor, &config);
    fsh_password_free (&password);
    zstr_free (&state_dir);
    int code = -1;
    while (code == -1) {
        char *word = s_wait (agent, signals);
        code = word? s_outcome (word): 0;
        zstr_free (&word);
    }
    //  After a signal this sends $TERM: the agent logs out, then ends
    zactor_destroy (&agent);
    return code;
}

int
main (int argc, char **argv)
{
    fsh_stdio_open ();
    //  Before any thread exists, so every thread inherits the mask
    int signals = fsh_signals_open (false);

    fsh_args_t *args = fsh_args_new (PROGRAM, argc, argv, s_options, S_SHORTS);
    if (!args)
        return 2;
    options_t options = { .broker = FSH_DEFAULT_LISTEN };
    int code = s_parse (fsh_args_argc (args), fsh_args_argv (args), &options);
    if (code >= 0) {
        free (options.ignore);
        fsh_args_destroy (&args);
        return fsh_output_close (PROGRAM, code);    //  --help, --version
    }
    zsys_handler_set (NULL);
    //  Log lines quote others' names; the log file (logfile.c) is stderr
    fsh_logescape_install (stderr);
    zsys_set_logident ("fshare-peer");
    //  Before the agent sizes its upload cap on it (upload.c)
    uint64_t fds_before, fds = fsh_fdlimit_raise (&fds_before);
    if (options.verbose)
        zsys_debug ("descriptors: up to %" PRIu64 " open (the soft limit was %" PRIu64 ")",
                    fds, fds_before);

    char *dir = options.dir? NULL: zsys_sprintf ("%s_files", options.user);
    char *downloads = options.downloads? NULL: zsys_sprintf ("%s_downloads", options.user);
    char *control = options.control? NULL: fsh_control_endpoint (options.user);
    if (dir)
        options.dir = dir;
    if (downloads)
        options.downloads = downloads;
    if (control)
        options.control = control;
    zactor_t *logfile = zactor_new (logfile_actor, NULL);
    code = s_run (&options, signals);
    zactor_destroy (&logfile);
    free (options.ignore);
    zstr_free (&dir);
    zstr_free (&downloads);
    zstr_free (&control);
    fsh_args_destroy (&args);
    close (signals);
    return code;
}
