/*  agent.c - the peer agent actor. See agent.h.

    The actor and its loop, nothing more: one zloop wires the owner's pipe,
    the control ROUTER (commands.c), the inotify descriptor of the host
    directory (hostdir.c), the event SUB (view.c) and the broker link
    (link.c, which owns the DEALER and its timers) to the handlers of the
    concept each serves. The agent's own work is what ties them together:
    the link's session subscribes the SUB and hands the DEALER to the
    downloads (transfer.c); host-directory changes go to the link; events
    go to the view and to the ctls that follow them.
*/
#include "agent.h"
#include "commands.h"
#include "control.h"
#include "hostdir.h"
#include "link.h"
#include "statedir.h"
#include "digester.h"
#include "transfer.h"
#include "view.h"
#include "curve.h"
#include "ratelog.h"
#include "strangers.h"
#include <pthread.h>
#include <signal.h>

#define EVENT_BATCH         256
#define S_MOUNTS_MS         500     //  between looks at the mount table

typedef struct {
    //  Configuration (owned copies)
    char *user;
    char *dir;
    char *downloads;
    char *broker_ep;
    char *events_override;
    char *server_key;           //  broker's CURVE key; NULL without CURVE
    zcert_t *cert;              //  our key pair for this run (DEALER and SUB)
    bool verbose;

    zsock_t *pipe;
    zloop_t *loop;
    statedir_t *statedir;       //  NULL: no state directory (tests)
    link_t *link;
    zsock_t *sub;               //  event stream
    char *sub_endpoint;
    control_t *control;
    commands_t *commands;
    hostdir_t *hostdir;
    zmq_pollitem_t hostdir_item;
    int hostdir_timer;
    hashq_t *hashq;             //  digests, hashed off the loop (SPEC 4.5)
    digester_t *digester;       //  puts them on what we publish
    int digest_timer;           //  a held change's time is up
    view_t *view;
    transfers_t *transfers;     //  downloads, as owner and as requester
    fsh_ratelog_t *ratelog;
    strangers_t *strangers;     //  events of another broker than our session's

    bool reported;              //  "ONLINE" was sent to the owner
    bool finished;              //  the loop must end
} agent_t;

#define s_debug(self, ...) do { if ((self)->verbose) zsys_debug (__VA_ARGS__); } while (0)

static char *
s_strdup_or_null (const char *text)
{
    return text? strdup (text): NULL;
}

//  --- Events -----------------------------------------------------------------------

static int
s_on_events (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    agent_t *self = (agent_t *) arg;
    bool applied = false;
    for (int count = 0; count < EVENT_BATCH; count++) {
        if (count && !(zsock_events (sock) & ZMQ_POLLIN))
            break;
        Fshare__Event *event = fsh_event_recv (sock);
        if (!event) {
            fsh_ratelog_warning (self->ratelog, self->user, "dropped a malformed event");
            continue;
        }
        if (!strangers_pass (self->strangers, event->broker, link_broker_id (self->link),
                             self->sub_endpoint, zclock_mono ())) {
            fsh_event_destroy (&event);
            continue;
        }
        control_publish (self->control, event, false);
        view_result_t result = view_event (self->view, event);
        if (result == VIEW_RESYNC)
            link_resync (self->link, view_resync_reason (self->view));
        applied = applied || result == VIEW_APPLIED;
        fsh_event_destroy (&event);
    }
    if (applied)
        transfers_on_view (self->transfers);
    return 0;
}

//  What a resync found changed goes to the "events" streams as well.
static void
s_on_view_told (const Fshare__Event *event, void *arg)
{
    agent_t *self = (agent_t *) arg;
    if (self->control)
        control_publish (self->control, event, true);
}

//  Subscribe to the whole sequenced stream (a view cannot filter topics).
static int
s_events_connect (agent_t *self, const char *endpoint)
{
    //  Under CURVE a SUB that reconnected before this login was refused by
    //  the broker's gate, and libzmq does not retry a refused handshake:
    //  subscribe afresh after every login.
    if (self->sub && streq (self->sub_endpoint, endpoint) && !self->server_key)
        return 0;
    if (self->sub) {
        zloop_reader_end (self->loop, self->sub);
        zsock_destroy (&self->sub);
    }
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->sub)
        return -1;
    fsh_socket_limits (self->sub, 0);
    fsh_curve_client (self->sub, self->cert, self->server_key);
    zsock_set_subscribe (self->sub, "");
    if (zsock_connect (self->sub, "%s", endpoint) == -1) {
        zsys_error ("%s: cannot connect to the event endpoint %s: %s", self->user,
                    endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->sub);
        return -1;
    }
    free (self->sub_endpoint);
    self->sub_endpoint = strdup (endpoint);
    zloop_reader (self->loop, self->sub, s_on_events, self);
    s_debug (self, "%s: subscribed to %s", self->user, endpoint);
    return 0;
}

//  --- What the link tells us ----------------------------------------------------------

static int
s_on_session (void *arg, link_t *link)
{
    agent_t *self = (agent_t *) arg;
    fsh_loginclient_t *client = link_client (link);
    const char *events = self->events_override? self->events_override
                                              : fsh_loginclient_events (client);
    if (!*events) {
        zsys_warning ("%s: the broker named no event endpoint", self->user);
        return -1;
    }
    if (s_events_connect (self, events))
        return -1;
    commands_set_events (self->commands, events);
    transfers_set_broker (self->transfers, fsh_loginclient_dealer (client),
                          fsh_loginclient_token (client),
                          fsh_loginclient_max_message (client), NULL);
    transfers_set_stall_timeout (self->transfers, fsh_loginclient_stall_timeout_ms (client));
    return 0;
}

static void
s_on_lost (void *arg, const char *why)
{
    (void) why;
    agent_t *self = (agent_t *) arg;
    //  The session's transfers die with it
    transfers_set_broker (self->transfers, NULL, NULL, 0, "lost the broker");
}

static void
s_on_online (void *arg)
{
    agent_t *self = (agent_t *) arg;
    if (!self->reported) {
        self->reported = true;
        zstr_send (self->pipe, "ONLINE");
    }
    commands_link_changed (self->commands);
}

static void
s_on_changed (void *arg)
{
    agent_t *self = (agent_t *) arg;
    if (self->commands)
        commands_link_changed (self->commands);
}

static void
s_on_failed (void *arg, fsh_err_t code, const char *reason)
{
    agent_t *self = (agent_t *) arg;
    //  The owner reports it (fshare-peer prints it once, as its error),
    //  the code first so that fshare-ctl --json can say it
    zstr_sendf (self->pipe, "FAILED %s %s",
                fsh_err_name (code == FSH_ERR_NONE? FSH_ERR_INTERNAL: code), reason);
    self->finished = true;
}

static void
s_on_stopped (void *arg, bool confirmed)
{
    agent_t *self = (agent_t *) arg;
    if (commands_stopped (self->commands, confirmed))
        zstr_send (self->pipe, "STOPPED");
    self->finished = true;
}

static bool
s_on_message (void *arg, Fshare__Message *msg, zmq_msg_t *data)
{
    agent_t *self = (agent_t *) arg;
    return transfers_on_message (self->transfers, msg, data);
}

static bool
s_on_malformed (void *arg, Fshare__Message *msg)
{
    agent_t *self = (agent_t *) arg;
    return transfers_on_malformed (self->transfers, msg);
}

static const link_handler_t s_link_handler = {
    .session = s_on_session, .lost = s_on_lost, .online = s_on_online,
    .changed = s_on_changed, .failed = s_on_failed, .stopped = s_on_stopped,
    .message = s_on_message, .malformed = s_on_malformed
};

//  Log out; -1 when the loop must end now.
static int
s_stop (void *arg)
{
    agent_t *self = (agent_t *) arg;
    //  The broker ends our transfers on the other sides when we log out
    transfers_set_broker (self->transfers, NULL, NULL, 0, "the agent is stopping");
    return link_stop (self->link);
}

//  --- Host directory ---------------------------------------------------------------

static int s_on_hostdir_timer (zloop_t *loop, int timer_id, void *arg);

//  A requester found a file of ours corrupted: hash it again, whatever the
//  database says; a digest that differs goes out as file_changed (SPEC 4.5)
static void
s_on_corrupted (void *arg, const char *path)
{
    agent_t *self = (agent_t *) arg;
    zsys_warning ("%s: '%s' reached a requester corrupted: hashing it again", self->user, path);
    hashq_rehash (self->hashq, path);
}

//  A long walk of the host directory (a big tree moved in, a rescan) holds
//  the loop: the session is kept alive from inside it.
static void
s_on_walk_tick (void *arg)
{
    link_keepalive (((agent_t *) arg)->link);
}
static int s_on_digest_timer (zloop_t *loop, int timer_id, void *arg);

//  Hand the link every change whose digest is settled; when the head of
//  the queue waits for one, look again when its hold is up.
static void
s_digests_drain (agent_t *self)
{
    hostdir_change_t *change;
    while ((change = digester_pop (self->digester)))
        link_change (self->link, &change);
    if (digester_holding (self->digester) && !self->digest_timer)
        self->digest_timer = zloop_timer (self->loop, DIGESTER_HOLD_MS + 10, 1,
                                          s_on_digest_timer, self);
}

static int
s_on_digest_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    agent_t *self = (agent_t *) arg;
    self->digest_timer = 0;
    s_digests_drain (self);
    return 0;
}

static int
s_on_digests (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop; (void) sock;
    agent_t *self = (agent_t *) arg;
    digester_on_results (self->digester);
    s_digests_drain (self);
    return 0;
}

//  At start the first file list should carry the digests the database
//  knows (a restart over unchanged files reads nothing and says it all
//  in the join): wait for the hasher, at most DIGESTER_HOLD_MS. What is
//  still unknown then follows as changes.
static void
s_digests_first (agent_t *self)
{
    digester_request_all (self->digester);
    zpoller_t *poller = zpoller_new (hashq_sock (self->hashq), NULL);
    int64_t deadline = zclock_mono () + DIGESTER_HOLD_MS;
    while (!digester_idle (self->digester) && zclock_mono () < deadline) {
        zpoller_wait (poller, 50);
        digester_on_results (self->digester);
    }
    zpoller_destroy (&poller);
    //  The first pages say all of it
    digester_clear (self->digester);
    zsys_info ("%s: digests: %zu files, %" PRIu64 " bytes read for them at start%s", self->user,
               fileset_size (hostdir_files (self->hostdir)), hashq_bytes_read (self->hashq),
               digester_idle (self->digester)? "": " (the rest follow)");
}

static void
s_hostdir_process (agent_t *self)
{
    zlistx_t *changes = zlistx_new ();
    hostdir_process (self->hostdir, changes);
    hostdir_change_t *change = (hostdir_change_t *) zlistx_first (changes);
    while (change) {
        digester_push (self->digester, change);
        change = (hostdir_change_t *) zlistx_next (changes);
    }
    zlistx_destroy (&changes);
    s_digests_drain (self);
    if (self->hostdir_timer)
        zloop_timer_end (self->loop, self->hostdir_timer);
    self->hostdir_timer = 0;
    int timeout = hostdir_timeout (self->hostdir);
    if (timeout >= 0)
        self->hostdir_timer = zloop_timer (self->loop, timeout > 0? (size_t) timeout: 1, 1,
                                           s_on_hostdir_timer, self);
}

static int
s_on_hostdir (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop; (void) item;
    s_hostdir_process ((agent_t *) arg);
    return 0;
}

//  Mounts inside the host directory have no inotify event: a look at
//  the mount table (a poll, reading nothing unless it changed); nor has
//  the root's path naming another directory: a stat of it
static int
s_on_mounts_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    agent_t *self = (agent_t *) arg;
    bool moved = hostdir_root_moved (self->hostdir);
    if (hostdir_mounts_changed (self->hostdir) || moved)
        s_hostdir_process (self);
    return 0;
}

static int
s_on_hostdir_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    agent_t *self = (agent_t *) arg;
    self->hostdir_timer = 0;
    s_hostdir_process (self);
    return 0;
}

//  --- Control socket and owner pipe --------------------------------------------------

static int
s_on_control (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop; (void) sock;
    agent_t *self = (agent_t *) arg;
    control_request_t *request = control_recv (self->control);
    return request? commands_handle (self->commands, &request): 0;
}

static int
s_on_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    (void) loop;
    agent_t *self = (agent_t *) arg;
    char *command = zstr_recv (pipe);
    if (!command)
        return 0;
    int rc = 0;
    if (streq (command, "$TERM"))
        rc = s_stop (self);
    else
        zsys_warning ("%s: unknown pipe command '%s'", self->user, command);
    zstr_free (&command);
    return rc;
}

//  --- Life cycle -------------------------------------------------------------------

static void
s_agent_destroy (agent_t **self_p)
{
    if (*self_p) {
        agent_t *self = *self_p;
        commands_destroy (&self->commands);
        transfers_destroy (&self->transfers);
        link_destroy (&self->link);
        if (self->sub && self->loop)
            zloop_reader_end (self->loop, self->sub);
        zsock_destroy (&self->sub);
        zloop_destroy (&self->loop);
        control_destroy (&self->control);
        digester_destroy (&self->digester);
        hashq_destroy (&self->hashq);
        hostdir_destroy (&self->hostdir);
        view_destroy (&self->view);
        statedir_destroy (&self->statedir);
        fsh_ratelog_destroy (&self->ratelog);
        strangers_destroy (&self->strangers);
        free (self->user);
        free (self->dir);
        free (self->downloads);
        free (self->broker_ep);
        free (self->events_override);
        free (self->server_key);
        zcert_destroy (&self->cert);
        free (self->sub_endpoint);
        free (self);
        *self_p = NULL;
    }
}

static char *
s_absolute (const char *path)
{
    char *real = realpath (path, NULL);
    return real? real: strdup (path);
}

//  Whether libzmq takes the endpoint at all: NULL, or why not. Found now
//  rather than at every reconnection attempt.
static const char *
s_endpoint_error (const char *endpoint)
{
    zsock_t *probe = zsock_new (ZMQ_DEALER);
    if (!probe)
        return "cannot create a socket";
    zsock_set_linger (probe, 0);
    const char *error = zsock_connect (probe, "%s", endpoint) == -1?
                        zmq_strerror (zmq_errno ()): NULL;
    zsock_destroy (&probe);
    return error;
}

//  The settings and the broker's endpoints. NULL, or what is wrong.
static char *
s_agent_configure (agent_t *self, agent_config_t *config)
{
    if (!config || !config->user || !config->password || !config->dir
    ||  !config->downloads || !config->broker || !config->control)
        return strdup ("configuration: a required setting is missing");
    const char *problem = fsh_user_check (config->user);
    if (problem)
        return zsys_sprintf ("user name: %s", problem);
    self->user = strdup (config->user);
    self->broker_ep = strdup (config->broker);
    self->events_override = s_strdup_or_null (config->events);
    self->verbose = config->verbose;
    if (config->server_key) {
        problem = fsh_curve_key_check (config->server_key);
        if (problem)
            return zsys_sprintf ("server key: %s", problem);
        //  A fresh key pair per run: the broker knows us by it only once
        //  our password has been checked (gate.h)
        self->server_key = strdup (config->server_key);
        self->cert = zcert_new ();
    }
    if (!fsh_endpoint_is_local (self->broker_ep) && !self->server_key)
        return zsys_sprintf ("refusing to send a password unencrypted to %s "
                             "(use CURVE: --server-key)", self->broker_ep);
    const char *bad = s_endpoint_error (self->broker_ep);
    if (bad)
        return zsys_sprintf ("broker endpoint %s: %s", self->broker_ep, bad);
    bad = self->events_override? s_endpoint_error (self->events_override): NULL;
    if (bad)
        return zsys_sprintf ("events endpoint %s: %s", self->events_override, bad);
    return NULL;
}

//  Everything that can fail before the loop starts. NULL, or what failed.
static char *
s_agent_setup (agent_t *self, agent_config_t *config)
{
    char *error = s_agent_configure (self, config);
    if (error)
        return error;
    //  Before the control endpoint: a second agent of this user is told
    //  which one runs, rather than that its endpoint is taken
    if (config->state_dir && !(self->statedir = statedir_open (config->state_dir, &error)))
        return error;
    const char *why = NULL;
    self->control = control_new (config->control, &why);
    if (!self->control)
        return zsys_sprintf ("control endpoint %s: %s", config->control, why);
    if (fsh_mkdirs (config->downloads, 0755))
        return zsys_sprintf ("downloads directory %s: %s", config->downloads, strerror (errno));
    hostdir_config_t hostdir_config = { config->ignore, config->settle_ms };
    self->hostdir = hostdir_new (config->dir, &hostdir_config);
    if (!self->hostdir)
        return zsys_sprintf ("host directory %s: cannot watch it (see the log)", config->dir);
    self->dir = s_absolute (config->dir);
    self->downloads = s_absolute (config->downloads);
    self->view = view_new ();
    view_set_watcher (self->view, s_on_view_told, self);
    self->ratelog = fsh_ratelog_new (1);
    self->strangers = strangers_new (self->user);
    char *db = self->statedir? zsys_sprintf ("%s/digests.db", statedir_path (self->statedir))
                             : NULL;
    self->hashq = hashq_new (config->dir, db);
    zstr_free (&db);
    if (!self->hashq)
        return zsys_sprintf ("host directory %s: cannot start the hasher", config->dir);
    self->digester = digester_new (self->hashq, hostdir_files (self->hostdir));
    return NULL;
}

static void
s_agent_wire (agent_t *self, const char *password)
{
    self->loop = zloop_new ();
    //  Interrupts are the owner's business: it sends $TERM and we log out
    zloop_set_nonstop (self->loop, true);
    zloop_reader (self->loop, self->pipe, s_on_pipe, self);
    zloop_reader (self->loop, control_sock (self->control), s_on_control, self);
    self->transfers = transfers_new (self->loop, self->control, self->user, self->dir,
                                     self->downloads, self->verbose);
    transfers_set_view (self->transfers, self->view);
    transfers_set_published (self->transfers, hostdir_files (self->hostdir));
    transfers_on_corrupted (self->transfers, s_on_corrupted, self);
    if (self->statedir) {
        char *db = zsys_sprintf ("%s/digests.db", statedir_path (self->statedir));
        transfers_set_digests (self->transfers, db);
        zstr_free (&db);
    }
    link_config_t link = {
        .user = self->user, .verbose = self->verbose,
        .login = {
            .user = self->user, .password = password, .broker = self->broker_ep,
            .server_key = self->server_key, .cert = self->cert,
            .instance = self->statedir? statedir_instance (self->statedir): NULL,
            .instance_size = self->statedir? FSH_INSTANCE_BYTES: 0
        }
    };
    self->link = link_new (self->loop, &link, hostdir_files (self->hostdir), self->view,
                           &s_link_handler, self);
    link_set_strangers (self->link, self->strangers);
    hostdir_set_tick (self->hostdir, s_on_walk_tick, self);
    commands_config_t commands = {
        .user = self->user, .dir = self->dir, .downloads = self->downloads,
        .broker = self->broker_ep, .control = self->control, .link = self->link,
        .view = self->view, .hostdir = self->hostdir, .transfers = self->transfers,
        .strangers = self->strangers, .stop = s_stop, .arg = self, .verbose = self->verbose
    };
    self->commands = commands_new (self->loop, &commands);
    //  Without inotify the host directory is rescanned on its timer only
    self->hostdir_item.fd = hostdir_fd (self->hostdir);
    self->hostdir_item.events = ZMQ_POLLIN;
    if (self->hostdir_item.fd >= 0)
        zloop_poller (self->loop, &self->hostdir_item, s_on_hostdir, self);
    zloop_timer (self->loop, S_MOUNTS_MS, 0, s_on_mounts_timer, self);
    zloop_reader (self->loop, hashq_sock (self->hashq), s_on_digests, self);
}

static void
s_agent_run (agent_t *self)
{
    s_digests_first (self);
    link_start (self->link);
    s_hostdir_process (self);
    while (!self->finished) {
        int rc = zloop_start (self->loop);
        if (rc == -1 || self->finished || zmq_errno () == ETERM)
            break;
    }
}

void
agent_actor (zsock_t *pipe, void *args)
{
    //  Signals go to the owner's thread, which turns them into $TERM
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);

    agent_t *self = (agent_t *) zmalloc (sizeof (agent_t));
    self->pipe = pipe;
    agent_config_t *config = (agent_config_t *) args;
    char *error = s_agent_setup (self, config);
    if (!error)
        s_agent_wire (self, config->password);
    zsock_signal (pipe, 0);
    if (error) {
        //  The owner reports it: fshare-peer prints it as its error
        zstr_sendf (pipe, "ERROR %s", error);
        zstr_free (&error);
    }
    else
        s_agent_run (self);
    s_agent_destroy (&self);
}
