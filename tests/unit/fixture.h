/*  fixture.h - the one scaffolding of the unit tests; a test includes
    this header and nothing else of it. Here: for the tests that run a
    broker actor in-process, a temporary directory holding the broker's
    ipc endpoints and state, the broker itself started from a config each
    test may adjust, raw protocol clients on DEALER sockets, event
    subscribers, and agents with their control sockets and links; and a
    socket pair for the tests of proto/ alone. In its parts: temporary
    directories and files on disk (fixture_files.h, first), the raw
    download steps as requester and as owner (fixture_transfer.h) and a
    download's two ends on disk without the network (fixture_ends.h),
    both included at the end.

    Every wait has a deadline, DEADLINE_MS (5000 unless the test defines
    it before including this header); nothing sleeps to synchronise.
    Functions are static inline so that a test may leave some unused.
*/
#ifndef FIXTURE_H_INCLUDED
#define FIXTURE_H_INCLUDED

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ftw.h>
#include "broker.h"
#include "agent.h"
#include "chunk.h"
#include "curve.h"
#include "control.h"
#include "link.h"
#include "fixture_files.h"

#ifndef DEADLINE_MS
#   define DEADLINE_MS 5000
#endif

typedef struct {
    char dir [64];              //  the temporary directory, removed at the end
    char listen [96];           //  ipc://<dir>/req: the broker's requests
    char publish [96];          //  ipc://<dir>/pub: its events
    char state [96];            //  <dir>/state: its state directory
    char accounts [96];         //  <dir>/state/accounts: its account file
    char key [FSH_CURVE_KEY_LEN + 1];   //  its public key under CURVE, else ""
    zactor_t *broker;           //  NULL until the test starts one
} fixture_t;

typedef struct {
    zsock_t *dealer;
    zcert_t *cert;              //  its CURVE key pair; NULL on a plain client
    char *session;              //  from the broker at login; NULL before
    char *user;                 //  who logged in; NULL before
    uint64_t next_id;
    int keepalive_ms;           //  ping this often while waiting; 0 never
} client_t;

//  --------------------------------------------------------------------------
//  The temporary directory

//  A fresh directory /tmp/fshare-test-<name>-XXXXXX; no broker yet.
static inline fixture_t *
fixture_new (const char *name)
{
    fixture_t *self = (fixture_t *) zmalloc (sizeof (fixture_t));
    fixture_tmpdir (self->dir, sizeof self->dir, name);
    snprintf (self->listen, sizeof self->listen, "ipc://%s/req", self->dir);
    snprintf (self->publish, sizeof self->publish, "ipc://%s/pub", self->dir);
    //  A directory of its own, so that agents' directories next to it
    //  never see the broker's files
    snprintf (self->state, sizeof self->state, "%s/state", self->dir);
    snprintf (self->accounts, sizeof self->accounts, "%s/state/accounts", self->dir);
    return self;
}

//  <dir>/<name>, for a test's own files beside the broker's (caller frees).
static inline char *
fixture_path (fixture_t *self, const char *name)
{
    return zsys_sprintf ("%s/%s", self->dir, name);
}

//  <dir>/<name> made as a directory (a host root beside the broker's
//  files); returns its path (caller frees).
static inline char *
fixture_mkdir (fixture_t *self, const char *name)
{
    char *path = fixture_path (self, name);
    assert_int_equal (mkdir (path, 0755), 0);
    return path;
}

//  ZeroMQ removes an ipc socket file when it closes the socket, which may
//  happen while the walk is under way: a file already gone is no failure.
static inline int
fixture_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path) == 0 || errno == ENOENT? 0: -1;
}

//  Stops the broker if it runs, removes the directory and all in it.
static inline void
fixture_destroy (fixture_t **self_p)
{
    fixture_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->broker);
    assert_int_equal (nftw (self->dir, fixture_remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
    free (self);
    *self_p = NULL;
}

//  A cmocka teardown for any test whose state is a fixture.
static inline int
fixture_teardown (void **state)
{
    fixture_destroy ((fixture_t **) state);
    return 0;
}

//  --------------------------------------------------------------------------
//  The broker

//  A config on the fixture's endpoints and state directory, registering
//  users at their first login, with the cheapest password hash; a test
//  sets whatever else it needs before starting the broker.
static inline broker_config_t
fixture_broker_config (fixture_t *self)
{
    broker_config_t config = {
        .listen = self->listen, .publish = self->publish, .state_dir = self->state,
        .registration = 1, .cost = PASSHASH_COST_MIN
    };
    return config;
}

//  Starts a broker; returns it, or NULL with its "ERROR ..." status in
//  *error (caller frees). Under CURVE its public key goes to self->key.
static inline zactor_t *
fixture_broker_try (fixture_t *self, const broker_config_t *config, char **error)
{
    zactor_t *broker = zactor_new (broker_actor, (void *) config);
    assert_non_null (broker);
    char *status = zstr_recv (broker);
    assert_non_null (status);
    if (strncmp (status, "OK ", 3) != 0) {
        *error = status;
        zactor_destroy (&broker);
        return NULL;
    }
    //  "OK <requests> <events>", then " <key>" under CURVE
    int words = 1;
    for (const char *space = strchr (status, ' '); space; space = strchr (space + 1, ' '))
        words++;
    self->key [0] = 0;
    if (words == 4) {
        const char *key = strrchr (status, ' ') + 1;
        assert_null (fsh_curve_key_check (key));
        snprintf (self->key, sizeof self->key, "%s", key);
    }
    zstr_free (&status);
    return broker;
}

//  Starts the fixture's broker, which must come up.
static inline void
fixture_broker_start (fixture_t *self, const broker_config_t *config)
{
    assert_null (self->broker);
    char *error = NULL;
    self->broker = fixture_broker_try (self, config, &error);
    if (!self->broker)
        fail_msg ("broker did not start: %s", error);
}

//  Puts `user` in the account file, as fshare-passwd would, for a broker
//  that does not register users.
static inline void
fixture_account (fixture_t *self, const char *user, const char *password)
{
    accounts_t *accounts = accounts_new (self->accounts);
    char *error = NULL;
    assert_int_equal (accounts_load (accounts, &error), 0);
    char *hash = passhash_new (password, PASSHASH_COST_MIN);
    assert_non_null (hash);
    assert_int_equal (accounts_set (accounts, user, hash), 0);
    assert_int_equal (accounts_save (accounts), 0);
    zstr_free (&hash);
    accounts_destroy (&accounts);
}

//  --------------------------------------------------------------------------
//  Event subscribers

//  A subscriber to the broker's events: under CURVE with `cert`'s key pair
//  when there is one, plain otherwise. rcvhwm 0 keeps ZeroMQ's default.
static inline zsock_t *
fixture_subscriber (fixture_t *self, zcert_t *cert, int rcvhwm)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    assert_non_null (sub);
    //  Before connecting: a high-water mark set later would not apply
    if (rcvhwm)
        zsock_set_rcvhwm (sub, rcvhwm);
    if (cert)
        fsh_curve_client (sub, cert, self->key);
    zsock_set_subscribe (sub, "");
    assert_int_equal (zsock_connect (sub, "%s", self->publish), 0);
    return sub;
}

//  The next event within wait_ms, or NULL; stats events, which come on
//  their own timer, only when `stats`.
static inline Fshare__Event *
fixture_event (zsock_t *sub, int wait_ms, bool stats)
{
    zpoller_t *poller = zpoller_new (sub, NULL);
    int64_t deadline = zclock_mono () + wait_ms;
    Fshare__Event *event = NULL;
    int64_t left;
    while (!event && (left = deadline - zclock_mono ()) > 0) {
        if (!zpoller_wait (poller, (int) left))
            break;
        event = fsh_event_recv (sub);
        if (event && !stats && event->type == FSHARE__EVENT_TYPE__EVENT_STATS)
            fsh_event_destroy (&event);
    }
    zpoller_destroy (&poller);
    return event;
}

//  Whether any event at all (stats too) arrives within wait_ms: a
//  subscriber only receives once its subscription reached the broker.
static inline bool
fixture_gets_events (zsock_t *sub, int wait_ms)
{
    Fshare__Event *event = fixture_event (sub, wait_ms, true);
    bool got = event != NULL;
    fsh_event_destroy (&event);
    return got;
}

//  --------------------------------------------------------------------------
//  Raw protocol clients: what an agent says, one message at a time

//  A DEALER to the broker, with an agent's socket limits; under CURVE when
//  server_key is given (with a key pair of its own), plain otherwise.
static inline client_t *
client_new (fixture_t *fx, const char *server_key)
{
    client_t *self = (client_t *) zmalloc (sizeof (client_t));
    self->dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (self->dealer);
    fsh_socket_limits (self->dealer, 0);
    if (server_key) {
        self->cert = zcert_new ();
        fsh_curve_client (self->dealer, self->cert, server_key);
    }
    assert_int_equal (zsock_connect (self->dealer, "%s", fx->listen), 0);
    return self;
}

static inline void
client_destroy (client_t **self_p)
{
    client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->dealer);
    zcert_destroy (&self->cert);
    zstr_free (&self->session);
    zstr_free (&self->user);
    free (self);
    *self_p = NULL;
}

//  Numbers the message and puts the session in, as an agent does.
static inline void
client_send (client_t *self, Fshare__Message *msg)
{
    msg->id = ++self->next_id;
    msg->session = self->session? self->session: "";
    assert_int_equal (fsh_msg_send (msg, self->dealer), 0);
}

//  Sends a ping; returns its id, which the Pong (or refusal) carries.
static inline uint64_t
client_ping (client_t *self)
{
    Fshare__Ping ping = FSHARE__PING__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_PING;
    msg.ping = &ping;
    client_send (self, &msg);
    return msg.id;
}

//  The next message within wait_ms, or NULL. Its data frame, if any, goes
//  to `data`; with data NULL it must have none. A client that keeps alive
//  pings the broker meanwhile (the broker drops silent sessions) and
//  passes over the Pongs: they answer those pings, not the test.
static inline Fshare__Message *
client_recv_within (client_t *self, int wait_ms, zmq_msg_t *data)
{
    zpoller_t *poller = zpoller_new (self->dealer, NULL);
    int64_t deadline = zclock_mono () + wait_ms;
    int64_t pinged = 0;
    Fshare__Message *msg = NULL;
    int64_t left;
    while (!msg && (left = deadline - zclock_mono ()) > 0) {
        if (self->keepalive_ms) {
            if (self->session && zclock_mono () - pinged > self->keepalive_ms) {
                client_ping (self);
                pinged = zclock_mono ();
            }
            left = left < 50? left: 50;
        }
        if (!zpoller_wait (poller, (int) left))
            continue;
        zmq_msg_t frame;
        int frames;
        msg = fsh_chunk_recv (self->dealer, 0, &frame, &frames);
        assert_non_null (msg);
        if (self->keepalive_ms && msg->body_case == FSHARE__MESSAGE__BODY_PONG)
            fsh_msg_destroy (&msg);
        else
        if (data)
            zmq_msg_move (data, &frame);
        else
            assert_int_equal (frames, 1);
        zmq_msg_close (&frame);
    }
    zpoller_destroy (&poller);
    return msg;
}

//  The next message, which must come within the deadline.
static inline Fshare__Message *
client_recv (client_t *self)
{
    Fshare__Message *msg = client_recv_within (self, DEADLINE_MS, NULL);
    assert_non_null (msg);
    return msg;
}

//  The same, with its data frame (the caller initialises and closes it).
static inline Fshare__Message *
client_recv_data (client_t *self, zmq_msg_t *data)
{
    Fshare__Message *msg = client_recv_within (self, DEADLINE_MS, data);
    assert_non_null (msg);
    return msg;
}

//  Sends a request; returns the reply, which must answer it.
static inline Fshare__Message *
client_request (client_t *self, Fshare__Message *msg)
{
    client_send (self, msg);
    Fshare__Message *reply = client_recv (self);
    assert_int_equal (reply->id, msg->id);
    return reply;
}

//  A Login of this protocol version. An observer's (a tap's) publishes
//  nothing and may come beside its user's agent.
static inline Fshare__Login
client_login_body (const char *user, const char *password, bool observer)
{
    Fshare__Login login = FSHARE__LOGIN__INIT;
    login.user = (char *) user;
    login.password = (char *) password;
    login.version = FSH_PROTOCOL_VERSION;
    login.observer = observer;
    return login;
}

//  Sends a login without waiting for its answer; returns its id.
static inline uint64_t
client_send_login (client_t *self, Fshare__Login *login)
{
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGIN;
    msg.login = login;
    client_send (self, &msg);
    return msg.id;
}

//  Logs in as `login` says; NULL on success, the client then holding its
//  session, else the broker's error text (caller frees).
static inline char *
client_login_with (client_t *self, Fshare__Login *login)
{
    uint64_t id = client_send_login (self, login);
    Fshare__Message *reply = client_recv (self);
    assert_int_equal (reply->id, id);
    char *error = NULL;
    if (reply->status == FSHARE__STATUS__STATUS_OK) {
        assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_LOGIN_OK);
        zstr_free (&self->session);
        self->session = strdup (reply->login_ok->session);
        zstr_free (&self->user);
        self->user = strdup (login->user);
    }
    else
        error = strdup (reply->error);
    fsh_msg_destroy (&reply);
    return error;
}

//  Logs in as an agent does; NULL or the error text (caller frees).
static inline char *
client_login (client_t *self, const char *user, const char *password)
{
    Fshare__Login login = client_login_body (user, password, false);
    return client_login_with (self, &login);
}

//  Logs in as a tap does; NULL or the error text (caller frees).
static inline char *
client_observe (client_t *self, const char *user, const char *password)
{
    Fshare__Login login = client_login_body (user, password, true);
    return client_login_with (self, &login);
}

static inline void
client_logout (client_t *self)
{
    Fshare__Logout logout = FSHARE__LOGOUT__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGOUT;
    msg.logout = &logout;
    Fshare__Message *reply = client_request (self, &msg);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_LOGOUT_OK);
    fsh_msg_destroy (&reply);
}

//  Asks for a snapshot; returns the first reply, a page or the refusal.
//  The other pages, while `more` says so, follow with client_recv.
static inline Fshare__Message *
client_snapshot (client_t *self)
{
    Fshare__Snapshot snapshot = FSHARE__SNAPSHOT__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_SNAPSHOT;
    msg.snapshot = &snapshot;
    return client_request (self, &msg);
}

//  Sends one page of a file list; the broker answers the last one only
//  (`more` false), under the id returned.
static inline uint64_t
client_publish_page (client_t *self, Fshare__FileInfo **files, size_t count, bool more)
{
    Fshare__Publish publish = FSHARE__PUBLISH__INIT;
    publish.files = files;
    publish.n_files = count;
    publish.more = more;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_PUBLISH;
    msg.publish = &publish;
    client_send (self, &msg);
    return msg.id;
}

//  Publishes a whole file list in one page (count may be 0): the client is
//  online. NULL, or the broker's error text (caller frees).
static inline char *
client_publish (client_t *self, Fshare__FileInfo **files, size_t count)
{
    uint64_t id = client_publish_page (self, files, count, false);
    Fshare__Message *reply = client_recv (self);
    assert_int_equal (reply->id, id);
    char *error = NULL;
    if (reply->status == FSHARE__STATUS__STATUS_OK)
        assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_PUBLISH_OK);
    else
        error = strdup (reply->error);
    fsh_msg_destroy (&reply);
    return error;
}

//  --------------------------------------------------------------------------
//  Agents and their control sockets

//  An agent for `user`, all of it under the fixture's directory: files in
//  <dir>/<user>_files, downloads in <dir>/<user>_downloads, control on
//  ipc://<dir>/<user>.ctl. broker NULL: the fixture's. It says "ONLINE"
//  (or why not) on its pipe: see fixture_expect_word.
static inline zactor_t *
fixture_agent_new (fixture_t *self, const char *user, const char *password,
                   const char *broker)
{
    char *dir = zsys_sprintf ("%s/%s_files", self->dir, user);
    char *downloads = zsys_sprintf ("%s/%s_downloads", self->dir, user);
    char *control = zsys_sprintf ("ipc://%s/%s.ctl", self->dir, user);
    agent_config_t config = {
        .user = user, .password = password, .dir = dir, .downloads = downloads,
        .broker = broker? broker: self->listen, .control = control,
        .server_key = self->key [0]? self->key: NULL
    };
    zactor_t *agent = zactor_new (agent_actor, &config);
    assert_non_null (agent);
    zstr_free (&dir);
    zstr_free (&downloads);
    zstr_free (&control);
    return agent;
}

//  The next word from an actor's pipe within wait_ms, or NULL.
static inline char *
fixture_word (zactor_t *actor, int wait_ms)
{
    zpoller_t *poller = zpoller_new (actor, NULL);
    char *word = zpoller_wait (poller, wait_ms)? zstr_recv (actor): NULL;
    zpoller_destroy (&poller);
    return word;
}

//  The next word from an actor starts with `expected` ("FAILED", then why).
static inline void
fixture_expect_word (zactor_t *actor, const char *expected)
{
    char *word = fixture_word (actor, DEADLINE_MS);
    assert_non_null (word);
    if (strncmp (word, expected, strlen (expected)) != 0)
        fail_msg ("got '%s', expected '%s...'", word, expected);
    zstr_free (&word);
}

//  A DEALER on a user's control endpoint, as fshare-ctl opens.
static inline zsock_t *
fixture_ctl_connect (fixture_t *self, const char *user)
{
    zsock_t *ctl = zsock_new (ZMQ_DEALER);
    assert_non_null (ctl);
    zsock_set_rcvtimeo (ctl, DEADLINE_MS);
    assert_int_equal (zsock_connect (ctl, "ipc://%s/%s.ctl", self->dir, user), 0);
    return ctl;
}

//  alice's link (password "pw") to a broker that is not there, without a
//  loop: a test drives it by hand (link_handle) and puts it in each state.
//  `files` and `view` stay the caller's.
static inline link_t *
fixture_link_new (fileset_t *files, view_t *view, const link_handler_t *handler, void *arg)
{
    link_config_t config = {
        .user = "alice",
        .login = { .user = "alice", .password = "pw", .broker = "ipc:///nowhere" }
    };
    return link_new (NULL, &config, files, view, handler, arg);
}

//  An agent's control socket on `endpoint` (*control) and a ctl's DEALER
//  connected to it (*ctl), each receiving within the deadline: both ends
//  of fshare-ctl's link, for tests that drive the control side by hand.
static inline void
fixture_control_open (const char *endpoint, control_t **control, zsock_t **ctl)
{
    const char *error = NULL;
    *control = control_new (endpoint, &error);
    assert_non_null (*control);
    zsock_set_rcvtimeo (control_sock (*control), DEADLINE_MS);
    *ctl = zsock_new_dealer (endpoint);
    zsock_set_rcvtimeo (*ctl, DEADLINE_MS);
}

//  The next control reply, which must come within the deadline.
static inline Fshare__CtlReply *
fixture_ctl_recv (zsock_t *ctl)
{
    zframe_t *frame = zframe_recv (ctl);
    assert_non_null (frame);
    Fshare__CtlReply *reply = (Fshare__CtlReply *)
        fsh_unpack (&fshare__ctl_reply__descriptor, zframe_data (frame), zframe_size (frame));
    zframe_destroy (&frame);
    assert_non_null (reply);
    return reply;
}

//  --------------------------------------------------------------------------
//  What the actors logged

//  From now on the log (zsys) also goes to a temporary file, read back by
//  fixture_log_has; fixture_log_end puts it back on stdout. For asserting
//  that something happened which only the log tells (a busy answer).
static inline FILE *
fixture_log_begin (void)
{
    FILE *log = tmpfile ();
    assert_non_null (log);
    zsys_set_logstream (log);
    return log;
}

//  True when the captured log holds TEXT.
static inline bool
fixture_log_has (FILE *log, const char *text)
{
    fflush (log);
    long size = ftell (log);
    assert_true (size >= 0);
    char *data = (char *) zmalloc ((size_t) size + 1);
    rewind (log);
    size_t got = fread (data, 1, (size_t) size, log);
    data [got] = 0;
    fseek (log, 0, SEEK_END);
    bool found = strstr (data, text) != NULL;
    free (data);
    return found;
}

static inline void
fixture_log_end (FILE **log_p)
{
    zsys_set_logstream (stdout);
    if (*log_p)
        fclose (*log_p);
    *log_p = NULL;
}

//  --------------------------------------------------------------------------
//  A socket pair, for the tests without a broker

//  Two PAIR sockets over inproc, for the tests of what goes over the wire
//  (proto/): what is sent on `out` arrives on `in`, which receives
//  within the deadline so that a lost message fails instead of hanging.
typedef struct {
    zsock_t *out;
    zsock_t *in;
} fixture_pair_t;

//  An inproc endpoint no earlier setup of this test used. A closed
//  socket's inproc names are released by libzmq's reaper thread, later
//  than zsock_destroy returns, so a setup that binds a name its previous
//  test's teardown just closed may find it still taken.
static inline void
fixture_inproc (char *endpoint, size_t size, const char *name)
{
    static int count = 0;
    snprintf (endpoint, size, "inproc://%s-%d", name, count++);
}

//  A cmocka setup: a fresh pair, on an endpoint of its own.
static inline int
fixture_pair_setup (void **state)
{
    fixture_pair_t *self = (fixture_pair_t *) zmalloc (sizeof (fixture_pair_t));
    char endpoint [64];
    fixture_inproc (endpoint, sizeof endpoint, "fixture-pair");
    self->in = zsock_new (ZMQ_PAIR);
    assert_int_equal (zsock_bind (self->in, "%s", endpoint), 0);
    self->out = zsock_new (ZMQ_PAIR);
    assert_int_equal (zsock_connect (self->out, "%s", endpoint), 0);
    zsock_set_rcvtimeo (self->in, DEADLINE_MS);
    *state = self;
    return 0;
}

static inline int
fixture_pair_teardown (void **state)
{
    fixture_pair_t *self = (fixture_pair_t *) *state;
    zsock_destroy (&self->out);
    zsock_destroy (&self->in);
    free (self);
    return 0;
}

#include "fixture_transfer.h"
#include "fixture_ends.h"

#endif
