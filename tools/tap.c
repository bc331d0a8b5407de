/*  tap.c - fshare-tap: print the broker's event stream (SPEC 4.4, 5, 5.1).

    main and the command line; the tap's jobs live under tools/tap/ (see
    tap/tap.h): the stream and its position, --snapshot, and the observer
    session of --user.
*/
#include "tap.h"
#include "logescape.h"
#include "socknew.h"

static const char *s_usage =
    "usage: fshare-tap [--events EP] [--broker EP] [--json] [--snapshot]\n"
    "                  [--topic presence|files|stats]... [--count N]\n"
    "                  [--timeout SECONDS] [--server-key KEY] [--user NAME]\n"
    "                  [--password-file FILE] [-v] [-c FILE]\n"
    "Print every event of an fshare broker as it arrives.\n"
    "  --events EP       event endpoint (default " FSH_DEFAULT_PUBLISH ")\n"
    "  --broker EP       request endpoint for --snapshot (default " FSH_DEFAULT_LISTEN ")\n"
    "  --json            one JSON object per line\n"
    "  --snapshot        print the current users first (one join each), and\n"
    "                    re-fetch the state after a gap or a broker restart\n"
    "  --topic TOPIC     only presence, files or stats events (repeatable)\n"
    "  --count N         exit after N events\n"
    "  --timeout SECONDS stop after that long (exit 1 if --count is not reached)\n"
    "  --server-key KEY  the broker's CURVE public key: encrypt, and log in\n"
    "                    (a CURVE broker sends events to logged-in clients only)\n"
    "  --user NAME       log in (over --broker) as an observer with NAME's password\n"
    "                    (--password-file FILE, else FSHARE_PASSWORD, else a prompt)\n"
    "  --password-file FILE  read the password from FILE's first line\n"
    "  -v, --verbose     say more on stderr\n"
    "  -c, --config FILE read options from a ZPL config file\n"
    "  -h, --help        this help\n"
    "  --version         print the version\n";

//  --------------------------------------------------------------------------
//  Command line

static bool
s_parse_seconds (const char *text, int64_t *ms)
{
    //  digits[.digits], strictly: strtod alone would also take " 5",
    //  "+5", "1e3", "0x10", "infinity" and "5."
    size_t whole = strspn (text, "0123456789");
    if (whole == 0)
        return false;
    if (text [whole]) {
        size_t fraction = strspn (text + whole + 1, "0123456789");
        if (text [whole] != '.' || fraction == 0 || text [whole + 1 + fraction])
            return false;
    }
    char *end;
    errno = 0;
    double seconds = strtod (text, &end);
    if (errno || end == text || *end || !(seconds > 0) || seconds > 1e7)
        return false;
    *ms = (int64_t) (seconds * 1000 + 0.5);
    return *ms > 0;
}

static bool
s_topic_valid (const char *topic)
{
    return streq (topic, "presence") || streq (topic, "files") || streq (topic, "stats");
}

//  A string option: the last one given wins.
static void
s_set (char **field, const char *value)
{
    free (*field);
    *field = strdup (value);
}

//  One option into the options (fsh_options_parse): -1 to go on, else
//  the exit code.
static int
s_take_option (int opt, const char *value, void *arg)
{
    tap_options_t *options = (tap_options_t *) arg;
    switch (opt) {
        case 'E': s_set (&options->events, value); break;
        case 'B': s_set (&options->broker, value); break;
        case 'K': s_set (&options->server_key, value); break;
        case 'u': s_set (&options->user, value); break;
        case 'p': s_set (&options->password_file, value); break;
        case 'j': options->json = true; break;
        case 's': options->snapshot = true; break;
        case 'v': options->verbose = true; break;
        case 't':
            if (!s_topic_valid (value))
                return fsh_usage_error (PROGRAM, "unknown topic '%s' (presence, files or stats)",
                                        value);
            if (options->n_topics < 3)
                options->topics [options->n_topics++] = strdup (value);
            break;
        case 'n':
            if ((options->count = fsh_number (value, 1, LONG_MAX)) < 0)
                return fsh_usage_error (PROGRAM, "--count needs a positive number, not '%s'", value);
            break;
        case 'T':
            s_set (&options->timeout_text, value);
            if (!s_parse_seconds (value, &options->timeout_ms))
                return fsh_usage_error (PROGRAM, "--timeout needs a positive number of seconds, "
                                        "not '%s'", value);
            break;
        case 'h': fputs (s_usage, stdout); return 0;
        case 'V': return fsh_options_version (PROGRAM);
        default: return fsh_usage_error (PROGRAM, "unknown option (%d)", opt);
    }
    return -1;
}

//  Returns -1 when the options are good, else the exit code (0 after
//  --help or --version, 2 after a usage error).
static int
s_parse_options (tap_options_t *options, int argc, char **argv)
{
    static const struct option longs [] = {
        { "events",   required_argument, NULL, 'E' },
        { "broker",   required_argument, NULL, 'B' },
        { "json",     no_argument,       NULL, 'j' },
        { "snapshot", no_argument,       NULL, 's' },
        { "topic",    required_argument, NULL, 't' },
        { "count",    required_argument, NULL, 'n' },
        { "timeout",  required_argument, NULL, 'T' },
        { "server-key",    required_argument, NULL, 'K' },
        { "user",          required_argument, NULL, 'u' },
        { "password-file", required_argument, NULL, 'p' },
        { "config",   required_argument, NULL, 'c' },
        FSH_OPTIONS_END
    };
    int rc = fsh_options_parse (PROGRAM, argc, argv, longs, ":vhc:", s_take_option, options);
    const char *problem = NULL;
    if (rc == -1 && options->user && (problem = fsh_user_check (options->user)))
        rc = fsh_usage_error (PROGRAM, "--user: %s", problem);
    if (rc == -1 && options->server_key && (problem = fsh_curve_key_check (options->server_key)))
        rc = fsh_usage_error (PROGRAM, "--server-key: %s", problem);
    if (rc == -1 && options->server_key && !options->user)
        rc = fsh_usage_error (PROGRAM, "%s", "--server-key needs --user NAME: a CURVE broker sends "
                                  "events only to logged-in clients");
    if (rc == -1 && options->password_file && !options->user)
        rc = fsh_usage_error (PROGRAM, "%s", "--password-file needs --user NAME: only a "
                                  "logged-in tap uses a password");
    if (rc == -1 && !options->events)
        options->events = strdup (FSH_DEFAULT_PUBLISH);
    if (rc == -1 && !options->broker)
        options->broker = strdup (FSH_DEFAULT_LISTEN);
    if (rc == -1)
        rc = fsh_endpoint_option (PROGRAM, "--events", options->events, FSH_EP_CONNECT);
    if (rc == -1)
        rc = fsh_endpoint_option (PROGRAM, "--broker", options->broker, FSH_EP_CONNECT);
    if (rc == -1 && options->password_file)
        rc = fsh_path_option (PROGRAM, "--password-file", options->password_file);
    return rc;
}

static void
s_options_free (tap_options_t *options)
{
    free (options->events);
    free (options->broker);
    free (options->timeout_text);
    free (options->user);
    free (options->password_file);
    free (options->server_key);
    for (size_t i = 0; i < options->n_topics; i++)
        free (options->topics [i]);
}

static int
s_exit_code (tap_t *self, tap_result_t result)
{
    const tap_options_t *options = self->options;
    if (result == TAP_FAILED)
        return 1;
    //  --snapshot promises the state first: without it the run failed
    if (result == TAP_TIMEOUT && options->snapshot && !self->synced) {
        fprintf (stderr, "fshare-tap: broker unreachable: no snapshot from %s within %s s\n",
                 options->broker, options->timeout_text);
        return 1;
    }
    if (result == TAP_TIMEOUT && options->count) {
        fprintf (stderr, "fshare-tap: timeout after %s s (%ld of %ld events)\n",
                 options->timeout_text, self->printed, options->count);
        return 1;
    }
    return 0;
}

//  With the options taken and the signals open: the tap's whole run.
static int
s_tap (const tap_options_t *options, int signals)
{
    tap_t *tap = tap_new (options, signals);
    int rc = -1;
    if (options->user)
        rc = observer_start (options, signals, tap->deadline, &tap->observer);
    if (rc >= 0) {
        tap_destroy (&tap);
        return rc;
    }
    if (tap_subscribe (tap)) {
        fprintf (stderr, "fshare-tap: cannot connect to %s: %s\n", options->events,
                 zmq_strerror (zmq_errno ()));
        rc = 1;
    }
    else
        rc = s_exit_code (tap, tap_run (tap));
    tap_destroy (&tap);
    return rc;
}

int
main (int argc, char *argv [])
{
    fsh_stdio_open ();
    tap_options_t options = { 0 };
    int rc = s_parse_options (&options, argc, argv);
    if (rc >= 0) {
        s_options_free (&options);
        return fsh_output_close (PROGRAM, rc);
    }
    //  Before any thread exists, so every thread inherits the mask
    int signals = fsh_signals_open (false);
    if (signals == -1) {
        fprintf (stderr, "fshare-tap: cannot take signals: %s\n", strerror (errno));
        s_options_free (&options);
        return 1;
    }
    zsys_handler_set (NULL);
    fsh_sockets_limit ();
    zsys_init ();
    //  Library chatter off stderr by default; escaped, it quotes others' names
    fsh_logescape_install (options.verbose? stderr: NULL);
    rc = s_tap (&options, signals);
    s_options_free (&options);
    close (signals);
    return fsh_output_close (PROGRAM, rc);
}
