/*  tap.c - fshare-tap: print the broker's event stream (SPEC 4.4, 5, 5.1).

    Subscribes to the broker's PUB socket and prints every event as it
    arrives, for people or as one JSON object per line. It follows the
    broker id and sequence number: with --snapshot, a gap or a broker restart
    is repaired by fetching the whole state over the request socket (the
    Clone pattern: subscribe first, then snapshot, then drop every event not
    newer than it); without, it is reported on stderr.

    With --user the tap logs in as an observer (SPEC 5, 6): a session that
    publishes nothing and causes no join or leave, but proves an account's
    credentials, which a CURVE broker (--server-key) demands before it lets
    a subscriber in. The session is kept alive with pings and renewed
    (with a fresh subscription) when the broker forgets it.
*/
#include "fshare.h"
#include "curve.h"
#include "cli.h"

#define PROGRAM "fshare-tap"

#define SNAPSHOT_TIMEOUT_MS  5000
#define LOGIN_TIMEOUT_MS     5000
#define WARNING_INTERVAL_MS  1000
#define LOGIN_RETRY_MS       1000

typedef struct {
    const char *events;         //  event endpoint (SUB connects)
    const char *broker;         //  request endpoint, for snapshots
    bool json;
    bool snapshot;
    bool verbose;
    const char *topics [3];     //  chosen topics; none = everything
    size_t n_topics;
    long count;                 //  stop after this many events; 0 = never
    const char *timeout_text;   //  as given, for the timeout message
    int64_t timeout_ms;         //  0 = none
    const char *user;           //  log in as an observer of this account
    const char *password_file;
    const char *server_key;     //  broker's CURVE public key; NULL: no CURVE
} tap_options_t;

//  The observer session of --user.
typedef struct {
    const tap_options_t *options;
    char *password;
    zcert_t *cert;              //  our key pair, for the DEALER and the SUB
    zsock_t *dealer;
    char *token;                //  session; NULL while logged out
    int64_t heartbeat_ms;
    int64_t next_ping;          //  zclock_mono ()
    int64_t last_rx;
    int64_t retry_at;           //  next login attempt while logged out
    uint64_t next_id;
    uint64_t login_id;
    bool busy;                  //  the last login was answered FSH_ERR_BUSY
    int signals;                //  signalfd of SIGINT/SIGTERM
    bool interrupted;           //  a signal ended the last login_run
} login_t;

typedef struct {
    const tap_options_t *options;
    login_t *login;             //  --user; NULL otherwise
    zsock_t *sub;
    int64_t deadline;           //  zclock_mono () of --timeout; 0 = none
    char *broker_id;            //  broker instance of the last event; NULL yet
    uint64_t seq;               //  sequence number of the last event
    bool resync;                //  a gap or restart waits for a snapshot
    long printed;
    uint64_t request_id;
    zhashx_t *users;            //  users present as far as we printed
    int64_t last_warning;
    size_t malformed;           //  malformed events since the last warning
    int signals;                //  signalfd of SIGINT/SIGTERM
} tap_t;

//  Outcome of one step of the tap.
typedef enum { TAP_GO_ON, TAP_DONE, TAP_TIMEOUT, TAP_FAILED } tap_result_t;

//  Waits up to timeout ms (-1: forever) for input on a or b (either may be
//  NULL) or for SIGINT/SIGTERM. Returns the readable socket, else NULL with
//  *stopped telling a signal from the timeout. The signal comes through a
//  signalfd polled with the sockets, so one that arrives just before the
//  wait is not lost (a flag checked before an endless poll would be).
static zsock_t *
s_wait (int signals, zsock_t *a, zsock_t *b, int timeout, bool *stopped)
{
    zmq_pollitem_t items [] = {
        { NULL, signals, ZMQ_POLLIN, 0 },
        { a? zsock_resolve (a): NULL, 0, ZMQ_POLLIN, 0 },
        { b? zsock_resolve (b): NULL, 0, ZMQ_POLLIN, 0 }
    };
    int count = b? 3: a? 2: 1;
    *stopped = false;
    if (zmq_poll (items, count, timeout) == -1) {
        *stopped = zmq_errno () != EINTR;
        return NULL;
    }
    if (items [0].revents & ZMQ_POLLIN) {
        *stopped = fsh_signals_read (signals) != 0;
        if (*stopped)
            return NULL;
    }
    if (count > 1 && (items [1].revents & ZMQ_POLLIN))
        return a;
    if (count > 2 && (items [2].revents & ZMQ_POLLIN))
        return b;
    return NULL;
}

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
        { "verbose",  no_argument,       NULL, 'v' },
        { "config",   required_argument, NULL, 'c' },
        { "help",     no_argument,       NULL, 'h' },
        { "version",  no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    fsh_args_t *args = fsh_args_new (argc, argv, longs);
    if (!args)
        return fsh_usage_error (PROGRAM, "%s", "bad config file");
    argc = fsh_args_argc (args);
    argv = fsh_args_argv (args);
    int rc = -1;
    opterr = 0;
    optind = 0;
    int opt;
    while (rc == -1 && (opt = getopt_long (argc, argv, ":vhc:", longs, NULL)) != -1) {
        switch (opt) {
            case 'E': options->events = optarg; break;
            case 'B': options->broker = optarg; break;
            case 'j': options->json = true; break;
            case 's': options->snapshot = true; break;
            case 'v': options->verbose = true; break;
            case 'c': break;    //  read by fsh_args_new
            case 't':
                if (!s_topic_valid (optarg))
                    rc = fsh_usage_error (PROGRAM, "unknown topic '%s' (presence, files or stats)", optarg);
                else
                if (options->n_topics < 3)
                    options->topics [options->n_topics++] = optarg;
                break;
            case 'n':
                if ((options->count = fsh_number (optarg, 1, LONG_MAX)) < 0)
                    rc = fsh_usage_error (PROGRAM, "--count needs a positive number, not '%s'", optarg);
                break;
            case 'K': options->server_key = optarg; break;
            case 'u': options->user = optarg; break;
            case 'p': options->password_file = optarg; break;
            case 'T':
                options->timeout_text = optarg;
                if (!s_parse_seconds (optarg, &options->timeout_ms))
                    rc = fsh_usage_error (PROGRAM, "--timeout needs a positive number of seconds, not '%s'",
                                        optarg);
                break;
            case 'h':
                fputs (s_usage, stdout);
                rc = 0;
                break;
            case 'V':
                printf ("fshare-tap %s\n", FSHARE_VERSION);
                rc = 0;
                break;
            case ':':
                rc = fsh_usage_error (PROGRAM, "option '%s' needs an argument", argv [optind - 1]);
                break;
            default:
                rc = fsh_usage_error (PROGRAM, "unknown option '%s'", argv [optind - 1]);
        }
    }
    if (rc == -1 && optind < argc)
        rc = fsh_usage_error (PROGRAM, "unexpected argument '%s'", argv [optind]);
    const char *problem = NULL;
    if (rc == -1 && options->user && (problem = fsh_user_check (options->user)))
        rc = fsh_usage_error (PROGRAM, "--user: %s", problem);
    if (rc == -1 && options->server_key && (problem = fsh_curve_key_check (options->server_key)))
        rc = fsh_usage_error (PROGRAM, "--server-key: %s", problem);
    if (rc == -1 && options->server_key && !options->user)
        rc = fsh_usage_error (PROGRAM, "%s", "--server-key needs --user NAME: a CURVE broker sends "
                                  "events only to logged-in clients");
    //  The options point into argv words owned by args: keep those that
    //  survive by copying them into the process-lifetime strings below.
    if (rc == -1) {
        options->events = options->events? strdup (options->events): NULL;
        options->broker = options->broker? strdup (options->broker): NULL;
        options->timeout_text = options->timeout_text? strdup (options->timeout_text): NULL;
        options->user = options->user? strdup (options->user): NULL;
        options->password_file = options->password_file? strdup (options->password_file): NULL;
        options->server_key = options->server_key? strdup (options->server_key): NULL;
        for (size_t i = 0; i < options->n_topics; i++)
            options->topics [i] = strdup (options->topics [i]);
    }
    fsh_args_destroy (&args);
    return rc;
}

static void
s_options_free (tap_options_t *options)
{
    free ((char *) options->events);
    free ((char *) options->broker);
    free ((char *) options->timeout_text);
    free ((char *) options->user);
    free ((char *) options->password_file);
    free ((char *) options->server_key);
    for (size_t i = 0; i < options->n_topics; i++)
        free ((char *) options->topics [i]);
}


//  --------------------------------------------------------------------------
//  The observer session (--user)

static login_t *
login_new (const tap_options_t *options, char *password, int signals)
{
    login_t *self = (login_t *) zmalloc (sizeof (login_t));
    self->options = options;
    self->signals = signals;
    self->password = password;
    //  A fresh key pair per run, the same for the DEALER and the SUB: the
    //  login is what makes the broker admit this key to the events
    self->cert = zcert_new ();
    self->heartbeat_ms = FSH_DEFAULT_HEARTBEAT_MS;
    self->next_id = (uint64_t) zclock_time () << 16;
    return self;
}

static void
login_destroy (login_t **self_p)
{
    login_t *self = *self_p;
    if (!self)
        return;
    if (self->token && self->dealer) {
        //  Say goodbye rather than let the broker wait for the silence
        Fshare__Logout logout = FSHARE__LOGOUT__INIT;
        Fshare__Message msg = FSHARE__MESSAGE__INIT;
        msg.id = ++self->next_id;
        msg.session = self->token;
        msg.body_case = FSHARE__MESSAGE__BODY_LOGOUT;
        msg.logout = &logout;
        zsock_set_sndtimeo (self->dealer, 0);
        zsock_set_linger (self->dealer, 200);
        fsh_msg_send (&msg, self->dealer);
    }
    zsock_destroy (&self->dealer);
    zcert_destroy (&self->cert);
    fsh_password_free (&self->password);
    zstr_free (&self->token);
    free (self);
    *self_p = NULL;
}

//  Reads one reply: true when it answered our Login (token or *error
//  set), false for anything else (keep waiting).
static bool
login_answer (login_t *self, char **error, bool *refused)
{
    Fshare__Message *reply = fsh_msg_recv (self->dealer);
    if (!reply || reply->id != self->login_id) {
        fsh_msg_destroy (&reply);
        return false;
    }
    Fshare__LoginOk *ok = reply->login_ok;
    if (reply->status != FSHARE__STATUS__STATUS_OK) {
        //  "busy" says nothing about us: try again later, as after silence
        self->busy = fsh_msg_error_code (reply, FSH_ERR_INTERNAL) == FSH_ERR_BUSY;
        *refused = !self->busy;
        *error = zsys_sprintf ("login refused: %s", fsh_text_valid (reply->error, 256)
                                                    ? reply->error: "(unreadable reason)");
    }
    else
    if (reply->body_case != FSHARE__MESSAGE__BODY_LOGIN_OK
    ||  !fsh_text_valid (ok->session, 256) || !*ok->session)
        *error = strdup ("malformed login reply from the broker");
    else {
        self->token = strdup (ok->session);
        self->heartbeat_ms = ok->heartbeat_ms >= 50 && ok->heartbeat_ms <= 60000
                           ? ok->heartbeat_ms: FSH_DEFAULT_HEARTBEAT_MS;
    }
    fsh_msg_destroy (&reply);
    return true;
}

//  Logs in on a fresh DEALER, waiting for the answer until the earlier of
//  LOGIN_TIMEOUT_MS and deadline (0: none). NULL on success, else why not
//  (caller frees); *refused tells a refusal from silence.
static char *
login_run (login_t *self, int64_t deadline, bool *refused)
{
    *refused = false;
    self->busy = false;
    self->interrupted = false;
    zstr_free (&self->token);
    zsock_destroy (&self->dealer);
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->dealer)
        return strdup ("cannot create a socket");
    fsh_socket_limits (self->dealer, 0);
    fsh_curve_client (self->dealer, self->cert, self->options->server_key);
    if (zsock_connect (self->dealer, "%s", self->options->broker) == -1)
        return zsys_sprintf ("cannot connect to %s: %s", self->options->broker,
                             zmq_strerror (zmq_errno ()));
    Fshare__Login login = FSHARE__LOGIN__INIT;
    login.user = (char *) self->options->user;
    login.password = self->password;
    login.version = FSH_PROTOCOL_VERSION;
    login.observer = true;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.id = self->login_id = ++self->next_id;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGIN;
    msg.login = &login;
    fsh_msg_send (&msg, self->dealer);

    int64_t limit = zclock_mono () + LOGIN_TIMEOUT_MS;
    if (deadline && deadline < limit)
        limit = deadline;
    char *error = NULL;
    bool answered = false;
    while (!answered) {
        int64_t left = limit - zclock_mono ();
        if (left <= 0) {
            error = zsys_sprintf ("broker unreachable: no answer from %s within %d s",
                                  self->options->broker, LOGIN_TIMEOUT_MS / 1000);
            break;
        }
        bool stopped;
        if (s_wait (self->signals, self->dealer, NULL, (int) left, &stopped))
            answered = login_answer (self, &error, refused);
        else
        if (stopped) {
            error = strdup ("interrupted");
            self->interrupted = true;
            break;
        }
    }
    self->last_rx = zclock_mono ();
    self->next_ping = self->last_rx + self->heartbeat_ms;
    return error;
}

//  Whether the session still holds: reads the broker's answers (pongs, or
//  "unknown session" after a restart), pings when due. False when it is
//  lost: the caller logs in again.
static bool
login_alive (login_t *self)
{
    while (zsock_events (self->dealer) & ZMQ_POLLIN) {
        Fshare__Message *reply = fsh_msg_recv (self->dealer);
        self->last_rx = zclock_mono ();
        bool unknown = reply && reply->status == FSHARE__STATUS__STATUS_ERROR
                    && fsh_msg_error_code (reply, FSH_ERR_INTERNAL) == FSH_ERR_UNKNOWN_SESSION;
        fsh_msg_destroy (&reply);
        if (unknown)
            return false;
    }
    int64_t now = zclock_mono ();
    if (now - self->last_rx > self->heartbeat_ms * FSH_DEFAULT_LIVENESS)
        return false;
    if (now >= self->next_ping) {
        Fshare__Ping ping = FSHARE__PING__INIT;
        Fshare__Message msg = FSHARE__MESSAGE__INIT;
        msg.id = ++self->next_id;
        msg.session = self->token;
        msg.body_case = FSHARE__MESSAGE__BODY_PING;
        msg.ping = &ping;
        fsh_msg_send (&msg, self->dealer);
        self->next_ping = now + self->heartbeat_ms;
    }
    return true;
}

//  When the tap must next look after the session (zclock_mono ()).
static int64_t
login_next (login_t *self)
{
    return self->token? self->next_ping: self->retry_at;
}


//  --------------------------------------------------------------------------
//  The tap object

static tap_t *
tap_new (const tap_options_t *options, int signals)
{
    tap_t *self = (tap_t *) zmalloc (sizeof (tap_t));
    self->options = options;
    self->signals = signals;
    self->users = zhashx_new ();
    //  Request ids only need to differ from those of an earlier run.
    self->request_id = (uint64_t) zclock_time () << 16;
    if (options->timeout_ms)
        self->deadline = zclock_mono () + options->timeout_ms;
    return self;
}

static void
tap_destroy (tap_t **self_p)
{
    if (*self_p) {
        tap_t *self = *self_p;
        zsock_destroy (&self->sub);
        login_destroy (&self->login);
        zhashx_destroy (&self->users);
        zstr_free (&self->broker_id);
        free (self);
        *self_p = NULL;
    }
}

static int
tap_subscribe (tap_t *self)
{
    zsock_destroy (&self->sub);
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->sub)
        return -1;
    fsh_socket_limits (self->sub, 0);
    if (self->login)
        fsh_curve_client (self->sub, self->login->cert, self->options->server_key);
    if (self->options->n_topics == 0)
        zsock_set_subscribe (self->sub, "");
    for (size_t i = 0; i < self->options->n_topics; i++)
        zsock_set_subscribe (self->sub, self->options->topics [i]);
    return zsock_connect (self->sub, "%s", self->options->events);
}

//  Milliseconds until the earlier of the --timeout deadline and `limit`
//  (a zclock_mono () value, 0 for none); -1 means wait forever.
static int
tap_wait_ms (tap_t *self, int64_t limit)
{
    int64_t until = self->deadline;
    if (limit && (!until || limit < until))
        until = limit;
    if (!until)
        return -1;
    int64_t left = until - zclock_mono ();
    return left > 0? (int) left: 0;
}

static void
tap_warn_malformed (tap_t *self)
{
    self->malformed++;
    int64_t now = zclock_mono ();
    if (now - self->last_warning < WARNING_INTERVAL_MS)
        return;
    fprintf (stderr, "fshare-tap: skipped %zu malformed event%s\n", self->malformed,
             self->malformed == 1? "": "s");
    self->last_warning = now;
    self->malformed = 0;
}

//  Prints one event and keeps the presence set; TAP_DONE at --count.
static tap_result_t
tap_print (tap_t *self, const Fshare__Event *event)
{
    if (self->options->json) {
        char *line = fsh_event_json (event);
        if (line)
            printf ("%s\n", line);
        free (line);
    }
    else
        fsh_event_print (event, stdout);
    fflush (stdout);
    if (event->type == FSHARE__EVENT_TYPE__EVENT_JOIN)
        zhashx_update (self->users, event->user, (void *) 1);
    else
    if (event->type == FSHARE__EVENT_TYPE__EVENT_LEAVE)
        zhashx_delete (self->users, event->user);
    self->printed++;
    return self->options->count && self->printed >= self->options->count? TAP_DONE: TAP_GO_ON;
}

//  Decides whether a live event follows the sequence, prints it if so.
static tap_result_t
tap_handle (tap_t *self, const Fshare__Event *event)
{
    const tap_options_t *options = self->options;
    bool everything = options->n_topics == 0;
    if (self->broker_id && !streq (self->broker_id, event->broker)) {
        if (options->snapshot) {
            //  The snapshot we fetch now covers this event.
            self->resync = true;
            return TAP_GO_ON;
        }
        fprintf (stderr, "fshare-tap: broker restarted\n");
    }
    else
    if (self->broker_id) {
        if (event->seq <= self->seq)
            return TAP_GO_ON;       //  already covered by a snapshot
        if (everything && event->seq != self->seq + 1) {
            if (options->snapshot) {
                self->resync = true;
                return TAP_GO_ON;
            }
            fprintf (stderr, "fshare-tap: missed %" PRIu64 " events\n",
                     event->seq - self->seq - 1);
        }
    }
    if (!self->broker_id || !streq (self->broker_id, event->broker)) {
        zstr_free (&self->broker_id);
        self->broker_id = strdup (event->broker);
    }
    self->seq = event->seq;
    return tap_print (self, event);
}


//  --------------------------------------------------------------------------
//  Snapshot: pages of the whole state, turned into one join per user

typedef struct {
    zlistx_t *pages;            //  Fshare__Message (owned)
    zhashx_t *joins;            //  user -> Fshare__Event (owned; files point into pages)
    char *broker_id;
    uint64_t seq;
    bool complete;
    bool abandoned;             //  our session was gone: log in, then retry
} snapshot_t;

static void
s_message_free (void **item_p)
{
    fsh_msg_destroy ((Fshare__Message **) item_p);
}

static void
s_join_free (void **item_p)
{
    Fshare__Event *join = (Fshare__Event *) *item_p;
    if (join) {
        free (join->files);
        free (join->user);
        free (join);
        *item_p = NULL;
    }
}

static snapshot_t *
snapshot_new (void)
{
    snapshot_t *self = (snapshot_t *) zmalloc (sizeof (snapshot_t));
    self->pages = zlistx_new ();
    zlistx_set_destructor (self->pages, s_message_free);
    self->joins = zhashx_new ();
    zhashx_set_destructor (self->joins, s_join_free);
    return self;
}

static void
snapshot_destroy (snapshot_t **self_p)
{
    if (*self_p) {
        snapshot_t *self = *self_p;
        zhashx_destroy (&self->joins);
        zlistx_destroy (&self->pages);
        zstr_free (&self->broker_id);
        free (self);
        *self_p = NULL;
    }
}

static Fshare__Event *
s_snapshot_join (snapshot_t *self, const Fshare__UserFiles *user)
{
    Fshare__Event *join = (Fshare__Event *) zhashx_lookup (self->joins, user->user);
    if (!join) {
        join = (Fshare__Event *) zmalloc (sizeof (Fshare__Event));
        fshare__event__init (join);
        join->type = FSHARE__EVENT_TYPE__EVENT_JOIN;
        join->user = strdup (user->user);
        join->since = user->since;
        zhashx_insert (self->joins, user->user, join);
    }
    return join;
}

//  Takes one page (owned from now on). Returns NULL or what is wrong with it.
static const char *
snapshot_add (snapshot_t *self, Fshare__Message *msg)
{
    zlistx_add_end (self->pages, msg);
    Fshare__SnapshotPage *page = msg->snapshot_page;
    if (!fsh_text_valid (page->broker, 64))
        return "bad broker id";
    if (!self->broker_id)
        self->broker_id = strdup (page->broker);
    else
    if (!streq (self->broker_id, page->broker) || page->seq != self->seq)
        return "pages of different states";
    self->seq = page->seq;
    for (size_t i = 0; i < page->n_users; i++) {
        const Fshare__UserFiles *user = page->users [i];
        const char *error = fsh_user_check (user->user);
        if (error)
            return error;
        Fshare__Event *join = s_snapshot_join (self, user);
        join->files = (Fshare__FileInfo **) realloc (join->files,
            (join->n_files + user->n_files + 1) * sizeof (Fshare__FileInfo *));
        for (size_t f = 0; f < user->n_files; f++) {
            if ((error = fsh_file_check (user->files [f])))
                return error;
            join->files [join->n_files++] = user->files [f];
        }
    }
    self->complete = !page->more;
    return NULL;
}

static int
s_compare_users (const void *a, const void *b)
{
    return strcmp (((const Fshare__Event *) a)->user, ((const Fshare__Event *) b)->user);
}

//  Prints the snapshot as joins (by user name), and leaves for the users we
//  had shown that are gone; the sequence then resumes from the snapshot.
static tap_result_t
tap_print_snapshot (tap_t *self, snapshot_t *snapshot)
{
    int64_t now = zclock_time ();
    zlistx_t *joins = zlistx_new ();
    zlistx_set_comparator (joins, s_compare_users);
    for (Fshare__Event *join = (Fshare__Event *) zhashx_first (snapshot->joins); join;
         join = (Fshare__Event *) zhashx_next (snapshot->joins))
        zlistx_add_end (joins, join);
    zlistx_sort (joins);

    zlistx_t *gone = zhashx_keys (self->users);
    tap_result_t result = TAP_GO_ON;
    for (const char *user = (const char *) zlistx_first (gone); user && result == TAP_GO_ON;
         user = (const char *) zlistx_next (gone)) {
        if (zhashx_lookup (snapshot->joins, user))
            continue;
        Fshare__Event leave = FSHARE__EVENT__INIT;
        leave.type = FSHARE__EVENT_TYPE__EVENT_LEAVE;
        leave.broker = snapshot->broker_id;
        leave.seq = snapshot->seq;
        leave.time_ms = now;
        leave.user = (char *) user;
        result = tap_print (self, &leave);
    }
    zlistx_destroy (&gone);
    for (Fshare__Event *join = (Fshare__Event *) zlistx_first (joins);
         join && result == TAP_GO_ON; join = (Fshare__Event *) zlistx_next (joins)) {
        join->broker = snapshot->broker_id;
        join->seq = snapshot->seq;
        join->time_ms = now;
        result = tap_print (self, join);
    }
    zlistx_destroy (&joins);
    zstr_free (&self->broker_id);
    self->broker_id = strdup (snapshot->broker_id);
    self->seq = snapshot->seq;
    return result;
}

//  Reads one reply of the broker into the snapshot; TAP_FAILED on a refusal.
static tap_result_t
tap_snapshot_reply (tap_t *self, snapshot_t *snapshot, zsock_t *dealer)
{
    Fshare__Message *msg = fsh_msg_recv (dealer);
    if (!msg || msg->id != self->request_id) {
        fsh_msg_destroy (&msg);     //  malformed, or a late reply to an old request
        return TAP_GO_ON;
    }
    if (msg->status != FSHARE__STATUS__STATUS_OK && self->login
    &&  fsh_msg_error_code (msg, FSH_ERR_INTERNAL) == FSH_ERR_UNKNOWN_SESSION) {
        //  The broker restarted and forgot us: a new session, then a snapshot
        zstr_free (&self->login->token);
        self->login->retry_at = 0;
        self->resync = true;
        snapshot->abandoned = true;
        fsh_msg_destroy (&msg);
        return TAP_GO_ON;
    }
    if (msg->status != FSHARE__STATUS__STATUS_OK) {
        fprintf (stderr, "fshare-tap: snapshot refused by the broker: %s\n",
                 fsh_text_valid (msg->error, 256)? msg->error: "(unreadable reason)");
        fsh_msg_destroy (&msg);
        return TAP_FAILED;
    }
    if (msg->body_case != FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE) {
        fprintf (stderr, "fshare-tap: unexpected %s reply to a snapshot\n", fsh_msg_kind (msg));
        fsh_msg_destroy (&msg);
        return TAP_FAILED;
    }
    const char *error = snapshot_add (snapshot, msg);
    if (error) {
        fprintf (stderr, "fshare-tap: bad snapshot from the broker: %s\n", error);
        return TAP_FAILED;
    }
    return TAP_GO_ON;
}

//  Receives one live event while a snapshot is on its way: kept for later.
static void
tap_buffer_event (tap_t *self, zlistx_t *buffer)
{
    Fshare__Event *event = fsh_event_recv (self->sub);
    if (event)
        zlistx_add_end (buffer, event);
    else
        tap_warn_malformed (self);
}

static void
s_event_free (void **item_p)
{
    fsh_event_destroy ((Fshare__Event **) item_p);
}

//  Fetches the whole state and prints it, then the events that arrived
//  meanwhile and are newer than it.
static tap_result_t
tap_sync (tap_t *self)
{
    self->resync = false;
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return TAP_FAILED;
    fsh_socket_limits (dealer, 0);
    if (self->login)
        fsh_curve_client (dealer, self->login->cert, self->options->server_key);
    if (zsock_connect (dealer, "%s", self->options->broker)) {
        fprintf (stderr, "fshare-tap: cannot connect to %s\n", self->options->broker);
        zsock_destroy (&dealer);
        return TAP_FAILED;
    }
    Fshare__Snapshot body = FSHARE__SNAPSHOT__INIT;
    Fshare__Message request = FSHARE__MESSAGE__INIT;
    request.id = ++self->request_id;
    request.session = self->login && self->login->token? self->login->token: "";
    request.body_case = FSHARE__MESSAGE__BODY_SNAPSHOT;
    request.snapshot = &body;
    fsh_msg_send (&request, dealer);

    zlistx_t *buffer = zlistx_new ();
    zlistx_set_destructor (buffer, s_event_free);
    snapshot_t *snapshot = snapshot_new ();
    int64_t limit = zclock_mono () + SNAPSHOT_TIMEOUT_MS;
    tap_result_t result = TAP_GO_ON;
    while (result == TAP_GO_ON && !snapshot->complete && !snapshot->abandoned) {
        bool stopped;
        zsock_t *which = s_wait (self->signals, dealer, self->sub,
                                 tap_wait_ms (self, limit), &stopped);
        if (which == dealer)
            result = tap_snapshot_reply (self, snapshot, dealer);
        else
        if (which == self->sub)
            tap_buffer_event (self, buffer);
        else
        if (stopped)
            result = TAP_DONE;
        else
        if (self->deadline && zclock_mono () >= self->deadline)
            result = TAP_TIMEOUT;
        else
        if (zclock_mono () >= limit) {
            fprintf (stderr, "fshare-tap: broker unreachable: no snapshot from %s within %d s\n",
                     self->options->broker, SNAPSHOT_TIMEOUT_MS / 1000);
            result = TAP_FAILED;
        }
    }
    zsock_destroy (&dealer);
    if (result == TAP_GO_ON && snapshot->abandoned) {
        zlistx_destroy (&buffer);
        snapshot_destroy (&snapshot);
        return result;
    }
    if (result == TAP_GO_ON) {
        if (self->options->verbose)
            fprintf (stderr, "fshare-tap: snapshot of %s at #%" PRIu64 ": %zu users\n",
                     snapshot->broker_id, snapshot->seq, zhashx_size (snapshot->joins));
        result = tap_print_snapshot (self, snapshot);
    }
    for (Fshare__Event *event = (Fshare__Event *) zlistx_first (buffer);
         event && result == TAP_GO_ON && !self->resync;
         event = (Fshare__Event *) zlistx_next (buffer))
        result = tap_handle (self, event);
    zlistx_destroy (&buffer);
    snapshot_destroy (&snapshot);
    return result;
}


//  --------------------------------------------------------------------------
//  Main loop

//  --user: keep the session, or get a new one, and then subscribe afresh
//  (a CURVE broker refuses a subscriber it does not know, and libzmq does
//  not retry a refused handshake).
static tap_result_t
tap_keep_session (tap_t *self)
{
    login_t *login = self->login;
    if (login->token && login_alive (login))
        return TAP_GO_ON;
    if (login->token) {
        if (self->options->verbose)
            fprintf (stderr, "fshare-tap: session lost, logging in again\n");
        zstr_free (&login->token);
        login->retry_at = 0;
    }
    if (zclock_mono () < login->retry_at)
        return TAP_GO_ON;
    bool refused;
    char *error = login_run (login, self->deadline, &refused);
    if (error) {
        if (refused || self->options->verbose)
            fprintf (stderr, "fshare-tap: %s\n", error);
        zstr_free (&error);
        login->retry_at = zclock_mono () + LOGIN_RETRY_MS;
        if (login->interrupted)
            return TAP_DONE;
        return refused? TAP_FAILED: TAP_GO_ON;
    }
    if (tap_subscribe (self)) {
        fprintf (stderr, "fshare-tap: cannot connect to %s\n", self->options->events);
        return TAP_FAILED;
    }
    if (self->options->snapshot)
        self->resync = true;
    return TAP_GO_ON;
}

static tap_result_t
tap_run (tap_t *self)
{
    tap_result_t result = TAP_GO_ON;
    if (self->options->snapshot)
        result = tap_sync (self);
    while (result == TAP_GO_ON) {
        if (self->login && (result = tap_keep_session (self)) != TAP_GO_ON)
            break;
        if (self->resync && (!self->login || self->login->token)) {
            if (self->options->verbose)
                fprintf (stderr, "fshare-tap: out of sequence, fetching a snapshot\n");
            result = tap_sync (self);
            continue;
        }
        int64_t limit = self->login? login_next (self->login): 0;
        bool stopped;
        if (s_wait (self->signals, self->sub, NULL, tap_wait_ms (self, limit), &stopped)) {
            Fshare__Event *event = fsh_event_recv (self->sub);
            if (event)
                result = tap_handle (self, event);
            else
                tap_warn_malformed (self);
            fsh_event_destroy (&event);
        }
        else
        if (stopped)
            result = TAP_DONE;
        else
        if (self->deadline && zclock_mono () >= self->deadline)
            result = TAP_TIMEOUT;
    }
    return result;
}

//  --user: the password, then the first login, before subscribing (the
//  broker admits our key to the events only once it knows it). -1 when
//  logged in, else the exit code.
static int
tap_login (tap_t *self)
{
    const tap_options_t *options = self->options;
    //  A password travels only inside CURVE, or on loopback/ipc (SPEC 6)
    if (!options->server_key && !fsh_endpoint_is_local (options->broker)) {
        fprintf (stderr, "fshare-tap: refusing to send a password unencrypted to %s "
                         "(use CURVE: --server-key)\n", options->broker);
        return 1;
    }
    char *prompt = zsys_sprintf ("Password for %s: ", options->user);
    const char *problem = NULL;
    char *password = fsh_password_get (options->password_file, prompt, &problem);
    zstr_free (&prompt);
    if (!password) {
        fprintf (stderr, "fshare-tap: password: %s\n", problem);
        return 1;
    }
    self->login = login_new (options, password, self->signals);
    bool refused;
    char *error = login_run (self->login, self->deadline, &refused);
    //  A busy broker (many logins from our address at once): wait our turn
    bool stopped = self->login->interrupted;
    while (error && self->login->busy && !stopped
    &&     (!self->deadline || zclock_mono () + LOGIN_RETRY_MS < self->deadline)) {
        zstr_free (&error);
        s_wait (self->signals, NULL, NULL, LOGIN_RETRY_MS, &stopped);
        if (!stopped)
            error = login_run (self->login, self->deadline, &refused);
        stopped = stopped || self->login->interrupted;
    }
    if (!error)
        return -1;
    if (stopped) {
        zstr_free (&error);
        return 0;               //  asked to stop while logging in: not a failure
    }
    fprintf (stderr, "fshare-tap: %s\n", error);
    zstr_free (&error);
    return 1;
}

static int
s_exit_code (tap_t *self, tap_result_t result)
{
    const tap_options_t *options = self->options;
    if (result == TAP_FAILED)
        return 1;
    if (result == TAP_TIMEOUT && options->count) {
        fprintf (stderr, "fshare-tap: timeout after %s s (%ld of %ld events)\n",
                 options->timeout_text, self->printed, options->count);
        return 1;
    }
    return 0;
}

int
main (int argc, char *argv [])
{
    tap_options_t options = { 0 };
    int rc = s_parse_options (&options, argc, argv);
    if (rc >= 0)
        return rc;
    if (!options.events)
        options.events = strdup (FSH_DEFAULT_PUBLISH);
    if (!options.broker)
        options.broker = strdup (FSH_DEFAULT_LISTEN);
    //  Before any thread exists, so every thread inherits the mask
    int signals = fsh_signals_open (false);
    if (signals == -1) {
        fprintf (stderr, "fshare-tap: cannot take signals: %s\n", strerror (errno));
        s_options_free (&options);
        return 1;
    }
    zsys_handler_set (NULL);
    zsys_init ();
    if (!options.verbose)
        zsys_set_logstream (NULL);      //  keep library chatter off stderr
    tap_t *tap = tap_new (&options, signals);
    if (options.user && (rc = tap_login (tap)) >= 0) {
        tap_destroy (&tap);
        s_options_free (&options);
        close (signals);
        return rc;
    }
    if (tap_subscribe (tap)) {
        fprintf (stderr, "fshare-tap: cannot connect to %s: %s\n", options.events,
                 zmq_strerror (zmq_errno ()));
        rc = 1;
    }
    else
        rc = s_exit_code (tap, tap_run (tap));
    tap_destroy (&tap);
    s_options_free (&options);
    close (signals);
    return rc;
}
