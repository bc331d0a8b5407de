/*  main.c - fshare-broker: parse options, run the broker actor, wait.

    SIGINT/SIGTERM stop the broker; SIGHUP re-reads the account file.
*/
#include "broker.h"
#include "curve.h"
#include "cli.h"
#include "logescape.h"
#include "fdlimit.h"
#include <signal.h>
#include <stddef.h>

#define PROGRAM "fshare-broker"

//  The short options, for the parse and for finding -c (fsh_args_new)
#define S_SHORTS ":c:vh"

static const struct option s_options [] = {
    { "config",      required_argument, NULL, 'c' },
    { "listen",      required_argument, NULL, 'l' },
    { "publish",     required_argument, NULL, 'p' },
    { "state-dir",   required_argument, NULL, 's' },
    { "accounts",    required_argument, NULL, 'a' },
    { "register",    no_argument,       NULL, 'R' },
    { "no-register", no_argument,       NULL, 'N' },
    { "heartbeat",   required_argument, NULL, 'H' },
    { "liveness",    required_argument, NULL, 'L' },
    { "max-message", required_argument, NULL, 'M' },
    { "max-files",   required_argument, NULL, 'F' },
    { "hash-cost",   required_argument, NULL, 'C' },
    { "curve",       no_argument,       NULL, 'K' },
    { "no-curve",    no_argument,       NULL, 'k' },
    { "print-key",   no_argument,       NULL, 'P' },
    { "max-path",    required_argument, NULL, 'X' },
    { "max-depth",   required_argument, NULL, 'D' },
    { "max-observers", required_argument, NULL, 'O' },
    { "max-transfers", required_argument, NULL, 'T' },
    { "max-serving", required_argument, NULL, 'S' },
    { "stall-timeout", required_argument, NULL, 't' },
    { "max-list-bytes", required_argument, NULL, 'B' },
    { "max-total-bytes", required_argument, NULL, 'G' },
    { "max-change-rate", required_argument, NULL, 'Q' },
    //  Not in --help: tests shorten the failed-login delays
    { "login-delay-ms",     required_argument, NULL, 'W' },
    { "login-delay-max-ms", required_argument, NULL, 'Y' },
    FSH_OPTIONS_END
};

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: fshare-broker [options]\n"
        "  -c, --config FILE     read options from a ZPL file (command line wins)\n"
        "  --listen EP           request endpoint (default %s)\n"
        "  --publish EP          event endpoint (default %s)\n"
        "  --state-dir DIR       state directory (default $XDG_STATE_HOME/fshare)\n"
        "  --accounts FILE       account file (default <state dir>/accounts)\n"
        "  --register            first login of an unknown user creates the account\n"
        "  --no-register         only accounts in the file may log in\n"
        "                        (default: register when every endpoint is loopback/ipc)\n"
        "  --heartbeat MS        heartbeat interval peers must keep (default %d)\n"
        "  --liveness N          missed heartbeats before a peer is gone (default %d)\n"
        "  --max-message BYTES   largest message accepted (default %d)\n"
        "  --max-files N         most files one user may publish (default 1000000)\n"
        "  --max-path BYTES      longest published path, 1..%d (default %d)\n"
        "  --max-depth N         most components in a published path, 1..%d (default %d)\n"
        "  --max-observers N     taps (fshare-tap --user) one account may have logged\n"
        "                        in besides its agent, 0..1024 (default 8)\n"
        "  --max-transfers N     downloads one peer may have in flight, 1..4096 (default 32)\n"
        "  --max-serving N       transfers one peer may serve at once, 1..4096 (default 64),\n"
        "                        shared fairly among the peers asking\n"
        "  --stall-timeout SECONDS  a transfer without progress this long ends, and\n"
        "                        a snapshot left unread this long is dropped with its\n"
        "                        connection, 1..3600 (default 30)\n"
        "  --max-list-bytes BYTES  what one user's file list may cost: each path's\n"
        "                        bytes plus 96 per file (default 268435456)\n"
        "  --max-total-bytes BYTES  what every list together may cost (default 1073741824)\n"
        "  --max-change-rate BYTES  what one user's changes may cost a second: each\n"
        "                        path's bytes plus 512 per change, 4 s of it at once\n"
        "                        (default 16777216); beyond, refused busy\n"
        "  --curve               encrypt with CURVE; the key pair lives in the state dir\n"
        "  --no-curve            no CURVE even on a non-loopback endpoint\n"
        "                        (default: CURVE unless every endpoint is loopback/ipc)\n"
        "  --print-key           print the broker's CURVE public key (creating the\n"
        "                        key pair if needed) and exit\n"
        "  -v, --verbose         debug logging\n"
        "  -h, --help            this help\n"
        "  --version             print the version\n",
        FSH_DEFAULT_LISTEN, FSH_DEFAULT_PUBLISH, FSH_DEFAULT_HEARTBEAT_MS,
        FSH_DEFAULT_LIVENESS, FSH_DEFAULT_MAX_MESSAGE, FSH_PATH_MAX, FSH_PATH_MAX,
        FSH_DEPTH_MAX, FSH_DEPTH_MAX);
}

//  The numeric options: their range, the unit their error names, the
//  factor the value is stored with, and where it goes in the config.
typedef enum { NUMBER_INT, NUMBER_U64 } number_type_t;

typedef struct {
    int c;
    const char *name;
    long min, max;
    const char *unit;           //  appended to "is not MIN..MAX"
    int scale;
    number_type_t type;
    size_t offset;              //  in broker_config_t
} number_option_t;

#define NUMBER(c, name, min, max, unit, scale, type, field) \
    { c, name, min, max, unit, scale, type, offsetof (broker_config_t, field) }

static const number_option_t s_numbers [] = {
    NUMBER ('H', "--heartbeat", 50, 60000, " ms", 1, NUMBER_INT, heartbeat_ms),
    NUMBER ('L', "--liveness", 1, 100, "", 1, NUMBER_INT, liveness),
    NUMBER ('M', "--max-message", 65536, 1 << 30, "", 1, NUMBER_INT, max_message),
    NUMBER ('F', "--max-files", 1, 100000000, "", 1, NUMBER_INT, max_files),
    NUMBER ('X', "--max-path", 1, FSH_PATH_MAX, "", 1, NUMBER_INT, max_path),
    NUMBER ('D', "--max-depth", 1, FSH_DEPTH_MAX, "", 1, NUMBER_INT, max_depth),
    NUMBER ('O', "--max-observers", 0, 1024, "", 1, NUMBER_INT, max_observers),
    NUMBER ('T', "--max-transfers", 1, 4096, "", 1, NUMBER_INT, max_transfers),
    NUMBER ('S', "--max-serving", 1, 4096, "", 1, NUMBER_INT, max_serving),
    NUMBER ('t', "--stall-timeout", 1, 3600, " seconds", 1000, NUMBER_INT, stall_timeout_ms),
    NUMBER ('B', "--max-list-bytes", 4096, 1L << 40, "", 1, NUMBER_U64, max_list_bytes),
    NUMBER ('G', "--max-total-bytes", 4096, 1L << 40, "", 1, NUMBER_U64, max_total_bytes),
    NUMBER ('Q', "--max-change-rate", 4096, 1L << 40, "", 1, NUMBER_U64, max_change_rate),
    NUMBER ('W', "--login-delay-ms", 1, 60000, "", 1, NUMBER_INT, login_delay_ms),
    NUMBER ('Y', "--login-delay-max-ms", 1, 600000, "", 1, NUMBER_INT, login_delay_max_ms),
};

//  The numeric option c, or NULL.
static const number_option_t *
s_number_option (int c)
{
    for (size_t i = 0; i < sizeof s_numbers / sizeof s_numbers [0]; i++)
        if (s_numbers [i].c == c)
            return &s_numbers [i];
    return NULL;
}

//  Store a numeric option's value. Returns -1 to go on, else an exit code
//  (the usage error printed).
static int
s_parse_number (const number_option_t *option, broker_config_t *config)
{
    long n = fsh_number (optarg, option->min, option->max);
    if (n < 0)
        return fsh_usage_error (PROGRAM, "%s: '%s' is not %ld..%ld%s", option->name, optarg,
                                option->min, option->max, option->unit);
    char *field = (char *) config + option->offset;
    if (option->type == NUMBER_U64)
        *(uint64_t *) field = (uint64_t) n;
    else
        *(int *) field = (int) n * option->scale;
    //  --max-observers 0: none at all (0 in the config means the default)
    if (option->c == 'O' && n == 0)
        config->max_observers = -1;
    return -1;
}

//  The options that are no number. Returns -1 to go on, else an exit code.
static int
s_parse_other (int c, char **argv, broker_config_t *config, bool *print_key)
{
    switch (c) {
        case 'c': break;   //  already read by fsh_args_new
        case 'l': config->listen = optarg; break;
        case 'p': config->publish = optarg; break;
        case 's': config->state_dir = optarg; break;
        case 'a': config->accounts = optarg; break;
        case 'R': config->registration = 1; break;
        case 'N': config->registration = 0; break;
        case 'v': config->verbose = true; break;
        case 'K': config->curve = 1; break;
        case 'k': config->curve = 0; break;
        case 'P': *print_key = true; break;
        case 'h': s_usage (stdout); return 0;
        case 'V': return fsh_options_version (PROGRAM);
        case 'C':
            if (streq (optarg, "min"))
                config->cost = PASSHASH_COST_MIN;
            else
            if (streq (optarg, "interactive"))
                config->cost = PASSHASH_COST_INTERACTIVE;
            else
                return fsh_usage_error (PROGRAM, "--hash-cost: '%s' is not min or interactive", optarg);
            break;
        default: return fsh_options_refused (PROGRAM, c, argv);
    }
    return -1;
}

//  The endpoints and paths given, checked before libzmq or the disk sees
//  them. Returns -1 to go on, else an exit code.
static int
s_check (const broker_config_t *config)
{
    int code = -1;
    if (code < 0 && config->listen)
        code = fsh_endpoint_option (PROGRAM, "--listen", config->listen, FSH_EP_BIND);
    if (code < 0 && config->publish)
        code = fsh_endpoint_option (PROGRAM, "--publish", config->publish, FSH_EP_BIND);
    if (code < 0 && config->state_dir)
        code = fsh_path_option (PROGRAM, "--state-dir", config->state_dir);
    if (code < 0 && config->accounts)
        code = fsh_path_option (PROGRAM, "--accounts", config->accounts);
    return code;
}

//  Parse argv into config; returns -1 to go on, else an exit code.
static int
s_parse (int argc, char **argv, broker_config_t *config, bool *print_key)
{
    int c;
    opterr = 0;
    while ((c = getopt_long (argc, argv, S_SHORTS, s_options, NULL)) != -1) {
        const number_option_t *number = s_number_option (c);
        int code = number? s_parse_number (number, config)
                         : s_parse_other (c, argv, config, print_key);
        if (code >= 0)
            return code;
    }
    if (optind < argc)
        return fsh_usage_error (PROGRAM, "unexpected argument '%s'", argv [optind]);
    return s_check (config);
}

//  --print-key: the public key of the certificate in the state dir (made
//  when missing), alone on stdout.
static int
s_print_key (broker_config_t *config)
{
    char *dir = config->state_dir? strdup (config->state_dir): fsh_state_dir ();
    bool created = false;
    char *error = NULL;
    zcert_t *cert = fsh_curve_broker_cert (dir, &created, &error);
    if (created)
        fsh_error_line (PROGRAM, "created a new CURVE key pair in %s", dir);
    if (cert)
        printf ("%s\n", zcert_public_txt (cert));
    else
        fsh_error_line (PROGRAM, "%s", error);
    int code = cert? 0: 1;
    zcert_destroy (&cert);
    zstr_free (&error);
    zstr_free (&dir);
    return code;
}

//  "OK <requests> <events> [<key>]": under CURVE, say the key (SPEC 6).
static void
s_announce_key (const char *status)
{
    //  The fourth word, when there is one
    const char *key = status;
    for (int word = 0; word < 3 && key; word++) {
        key = strchr (key, ' ');
        key = key? key + 1: NULL;
    }
    if (!key || fsh_curve_key_check (key))
        return;
    key--;
    fprintf (stderr, "fshare-broker: public key %s\n", key + 1);
    printf ("%s\n", key + 1);
    fflush (stdout);
}

//  Wait for the actor to end or a signal; SIGHUP asks for a reload.
static int
s_run (zactor_t *broker, int signals)
{
    zmq_pollitem_t items [] = {
        { zsock_resolve (broker), 0, ZMQ_POLLIN, 0 },
        { NULL, signals, ZMQ_POLLIN, 0 }
    };
    while (true) {
        if (zmq_poll (items, 2, -1) == -1 && errno != EINTR)
            return 1;
        if (items [0].revents & ZMQ_POLLIN)
            return 1;   //  the actor only speaks on its own when it fails
        if (items [1].revents & ZMQ_POLLIN) {
            int signal = fsh_signals_read (signals);
            if (signal == SIGHUP)
                zstr_send (broker, "RELOAD");
            else
            if (signal)
                return 0;
        }
    }
}

int
main (int argc, char **argv)
{
    //  Before any thread exists: every thread inherits the mask and the
    //  malloc policy
    fsh_stdio_open ();
    broker_malloc_policy ();
    int signals = fsh_signals_open (true);

    fsh_args_t *args = fsh_args_new (PROGRAM, argc, argv, s_options, S_SHORTS);
    if (!args)
        return 2;
    broker_config_t config = { .registration = -1, .curve = -1 };
    bool print_key = false;
    int code = s_parse (fsh_args_argc (args), fsh_args_argv (args), &config, &print_key);
    //  The default state directory, once for all who use it: none without a home
    char *state_dir = code < 0 && !config.state_dir? fsh_state_dir (): NULL;
    if (state_dir)
        config.state_dir = state_dir;
    else
    if (code < 0 && !config.state_dir) {
        char *why = fsh_state_dir_problem ();
        fsh_error_line (PROGRAM, "state directory: %s, or give --state-dir",
                        why? why: FSH_NO_STATE_DIR);
        zstr_free (&why);
        code = 1;
    }
    if (code < 0 && print_key)
        code = s_print_key (&config);
    if (code >= 0) {
        zstr_free (&state_dir);
        fsh_args_destroy (&args);
        return fsh_output_close (PROGRAM, code);    //  --help, --version, --print-key
    }
    zsys_handler_set (NULL);
    fsh_logescape_install (stderr);     //  log lines quote others' names
    zsys_set_logident ("fshare-broker");
    //  A descriptor per connection: the hard limit is the user's choice
    uint64_t fds_before, fds = fsh_fdlimit_raise (&fds_before);
    if (config.verbose)
        zsys_debug ("descriptors: up to %" PRIu64 " open (the soft limit was %" PRIu64 ")",
                    fds, fds_before);
    zactor_t *broker = zactor_new (broker_actor, &config);
    char *status = zstr_recv (broker);
    if (status && strncmp (status, "OK ", 3) == 0) {
        s_announce_key (status);
        code = s_run (broker, signals);
    }
    else {
        fsh_error_line (PROGRAM, "%s", status? status + 6: "failed to start");
        code = 1;
    }
    zstr_free (&status);
    zactor_destroy (&broker);
    zstr_free (&state_dir);
    fsh_args_destroy (&args);
    close (signals);
    return code;
}
