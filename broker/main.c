/*  main.c - fshare-broker: parse options, run the broker actor, wait.

    SIGINT/SIGTERM stop the broker; SIGHUP re-reads the account file.
*/
#include "broker.h"
#include <signal.h>
#include <sys/signalfd.h>

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
    { "verbose",     no_argument,       NULL, 'v' },
    { "help",        no_argument,       NULL, 'h' },
    { "version",     no_argument,       NULL, 'V' },
    { NULL, 0, NULL, 0 }
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
        "  -v, --verbose         debug logging\n"
        "  -h, --help            this help\n"
        "  --version             print the version\n",
        FSH_DEFAULT_LISTEN, FSH_DEFAULT_PUBLISH, FSH_DEFAULT_HEARTBEAT_MS,
        FSH_DEFAULT_LIVENESS, FSH_DEFAULT_MAX_MESSAGE);
}

static int
s_usage_error (const char *format, const char *arg)
{
    fprintf (stderr, "fshare-broker: ");
    fprintf (stderr, format, arg);
    fprintf (stderr, "\ntry 'fshare-broker --help'\n");
    return 2;
}

//  A whole number in [min, max], or -1.
static long
s_number (const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long value = strtol (text, &end, 10);
    if (errno || end == text || *end || value < min || value > max)
        return -1;
    return value;
}

//  Parse argv into config; returns -1 to go on, else an exit code.
static int
s_parse (int argc, char **argv, broker_config_t *config)
{
    int c;
    long n;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":c:vh", s_options, NULL)) != -1) {
        switch (c) {
            case 'c': break;   //  already read by fsh_args_new
            case 'l': config->listen = optarg; break;
            case 'p': config->publish = optarg; break;
            case 's': config->state_dir = optarg; break;
            case 'a': config->accounts = optarg; break;
            case 'R': config->registration = 1; break;
            case 'N': config->registration = 0; break;
            case 'v': config->verbose = true; break;
            case 'h': s_usage (stdout); return 0;
            case 'V': printf ("fshare-broker %s\n", FSHARE_VERSION); return 0;
            case 'H':
                if ((n = s_number (optarg, 50, 60000)) < 0)
                    return s_usage_error ("--heartbeat: '%s' is not 50..60000 ms", optarg);
                config->heartbeat_ms = (int) n;
                break;
            case 'L':
                if ((n = s_number (optarg, 1, 100)) < 0)
                    return s_usage_error ("--liveness: '%s' is not 1..100", optarg);
                config->liveness = (int) n;
                break;
            case 'M':
                if ((n = s_number (optarg, 65536, 1 << 30)) < 0)
                    return s_usage_error ("--max-message: '%s' is not 65536..1073741824", optarg);
                config->max_message = (int) n;
                break;
            case 'F':
                if ((n = s_number (optarg, 1, 100000000)) < 0)
                    return s_usage_error ("--max-files: '%s' is not 1..100000000", optarg);
                config->max_files = (int) n;
                break;
            case 'C':
                if (streq (optarg, "min"))
                    config->cost = ACCOUNTS_COST_MIN;
                else
                if (streq (optarg, "interactive"))
                    config->cost = ACCOUNTS_COST_INTERACTIVE;
                else
                    return s_usage_error ("--hash-cost: '%s' is not min or interactive", optarg);
                break;
            case ':':
                return s_usage_error ("option '%s' needs an argument", argv [optind - 1]);
            default:
                return s_usage_error ("unknown option '%s'", argv [optind - 1]);
        }
    }
    if (optind < argc)
        return s_usage_error ("unexpected argument '%s'", argv [optind]);
    return -1;
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
            struct signalfd_siginfo info;
            if (read (signals, &info, sizeof info) != sizeof info)
                continue;
            if (info.ssi_signo == SIGHUP)
                zstr_send (broker, "RELOAD");
            else
                return 0;
        }
    }
}

int
main (int argc, char **argv)
{
    //  Signals arrive on a descriptor, not in whichever thread: block them
    //  before any thread exists so every thread inherits the mask.
    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGINT);
    sigaddset (&mask, SIGTERM);
    sigaddset (&mask, SIGHUP);
    pthread_sigmask (SIG_BLOCK, &mask, NULL);
    int signals = signalfd (-1, &mask, SFD_CLOEXEC);

    fsh_args_t *args = fsh_args_new (argc, argv, s_options);
    if (!args)
        return 2;
    broker_config_t config = { .registration = -1 };
    int code = s_parse (fsh_args_argc (args), fsh_args_argv (args), &config);
    if (code >= 0) {
        fsh_args_destroy (&args);
        return code;
    }
    zsys_handler_set (NULL);
    zsys_set_logstream (stderr);
    zsys_set_logident ("fshare-broker");
    zactor_t *broker = zactor_new (broker_actor, &config);
    char *status = zstr_recv (broker);
    if (status && strncmp (status, "OK ", 3) == 0)
        code = s_run (broker, signals);
    else {
        fprintf (stderr, "fshare-broker: %s\n", status? status + 6: "failed to start");
        code = 1;
    }
    zstr_free (&status);
    zactor_destroy (&broker);
    fsh_args_destroy (&args);
    close (signals);
    return code;
}
