/*  bench.c - fshare-bench: measures what SPEC section 8 names.

    relay: one file owner -> broker -> requester through the real programs
    (fshare-broker and two fshare-peer), timed from the "get" to the
    verified, fsynced, renamed file; the peak RSS of the three processes;
    the same file through a plain socat byte relay when socat is installed;
    and the SHA-256 speed of OpenSSL and libsodium.

    events: N connected peers; a file is closed in one real agent's host
    directory; the time until every other peer's view holds it. The broker
    and the owning agent are the real programs (fshare-broker, fshare-peer
    from the same directory as this one); the N other peers are simulated
    cheaply in this process (a logged-in DEALER that keeps its heartbeat
    plus a subscriber each), since a view update on receipt is a hash
    insert and inotify allows only 128 instances per user. The subscribers
    speak ZMTP on plain sockets (zmtp_sub.h says why); --zmq-subscribers
    gives each a libzmq SUB socket instead.
*/
#include "broker.h"
#include "agent.h"
#include "digest.h"
#include "cli.h"
#include "zmtp_sub.h"
#include <sodium.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <signal.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <jansson.h>

#define DEADLINE_MS 10000

typedef struct {
    int peers;
    int rounds;
    bool ipc;
    bool zmq_subscribers;       //  events: libzmq SUB sockets, not zmtp_sub
    bool json;
    bool verbose;
    uint64_t size;              //  relay: file size
    int runs;                   //  relay: timed downloads
    const char *base;           //  relay: where the temp dir goes
    bool socat;                 //  relay: compare with socat if found
} bench_options_t;

typedef struct {
    zsock_t *dealer;
    zsock_t *sub;               //  --zmq-subscribers
    zmtp_sub_t *raw;            //  otherwise
    char *session;
    int64_t retry_at;           //  when to send a login the broker was too busy for
    bool got;                   //  this round's file arrived
} sim_peer_t;

typedef struct {
    char dir [64];
    pid_t broker_pid;
    pid_t owner_pid;
    pid_t requester_pid;
    char *request_ep;
    char *event_ep;
    sim_peer_t *peers;
    int count;
} bench_t;

static int64_t
s_usecs (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

static double
s_percentile (int64_t *sorted, size_t count, double p)
{
    if (count == 0)
        return 0;
    size_t index = (size_t) (p * (double) (count - 1) + 0.5);
    return (double) sorted [index] / 1000.0;
}

//  --------------------------------------------------------------------------
//  Set-up: broker, owner agent, simulated peers

//  Accounts for every simulated peer, written once: registering them one
//  login at a time would time the account file's fsyncs, not fshare.
static int
s_write_accounts (bench_t *self, int peers)
{
    char *path = zsys_sprintf ("%s/accounts", self->dir);
    accounts_t *accounts = accounts_new (path);
    char *hash = accounts_hash_password ("bench", ACCOUNTS_COST_MIN);
    int rc = hash? accounts_set (accounts, "owner", hash): -1;
    for (int i = 0; i < peers && rc == 0; i++) {
        char user [32];
        snprintf (user, sizeof user, "peer%d", i);
        rc = accounts_set (accounts, user, hash);
    }
    if (rc == 0)
        rc = accounts_save (accounts);
    zstr_free (&hash);
    accounts_destroy (&accounts);
    zstr_free (&path);
    return rc;
}

//  A free port on 127.0.0.1 (bound and released: fine for a benchmark).
static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    int port = -1;
    if (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
    &&  getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
        port = ntohs (addr.sin_port);
    close (fd);
    return port;
}

//  Start another fshare program found next to this one; returns its pid.
static pid_t
s_spawn (bench_t *self, const char *program, char **args, const char *log)
{
    char exe [4096];
    ssize_t len = readlink ("/proc/self/exe", exe, sizeof exe - 64);
    if (len <= 0)
        return -1;
    exe [len] = 0;
    char *slash = strrchr (exe, '/');
    snprintf (slash + 1, sizeof exe - (size_t) (slash + 1 - exe), "%s", program);
    char *log_path = zsys_sprintf ("%s/%s", self->dir, log);
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2 (fd, 1);
            dup2 (fd, 2);
        }
        args [0] = exe;
        execv (exe, args);
        _exit (127);
    }
    zstr_free (&log_path);
    return pid;
}

static int
s_start_broker (bench_t *self, const bench_options_t *options)
{
    if (s_write_accounts (self, options->peers)) {
        fprintf (stderr, "fshare-bench: cannot write the account file\n");
        return -1;
    }
    if (options->ipc) {
        self->request_ep = zsys_sprintf ("ipc://%s/req", self->dir);
        self->event_ep = zsys_sprintf ("ipc://%s/pub", self->dir);
    }
    else {
        self->request_ep = zsys_sprintf ("tcp://127.0.0.1:%d", s_free_port ());
        self->event_ep = zsys_sprintf ("tcp://127.0.0.1:%d", s_free_port ());
    }
    char *args [] = { NULL, "--listen", self->request_ep, "--publish", self->event_ep,
                      "--state-dir", self->dir, "--no-register",
                      //  The accounts are hashed at the minimum cost; the
                      //  dummy hash too, so that argon2's 64 MiB at start
                      //  does not hide what the broker needs to run
                      "--hash-cost", "min",
                      options->verbose? "-v": NULL, NULL };
    self->broker_pid = s_spawn (self, "fshare-broker", args, "broker.log");
    return self->broker_pid > 0? 0: -1;
}

//  Ask the owner's agent for its state until it says online.
static int
s_wait_online (const char *control)
{
    zsock_t *ctl = zsock_new_dealer (control);
    int rc = -1;
    int64_t deadline = zclock_mono () + DEADLINE_MS * 3;
    while (rc && zclock_mono () < deadline) {
        Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
        request.command = "status";
        fsh_pack_send (&request.base, ctl, NULL);
        zpoller_t *poller = zpoller_new (ctl, NULL);
        if (zpoller_wait (poller, 200)) {
            zframe_t *frame = zframe_recv (ctl);
            Fshare__CtlReply *reply = (Fshare__CtlReply *) fsh_unpack (
                &fshare__ctl_reply__descriptor, zframe_data (frame), zframe_size (frame));
            if (reply && reply->agent && streq (reply->agent->state, "online"))
                rc = 0;
            if (reply)
                fshare__ctl_reply__free_unpacked (reply, NULL);
            zframe_destroy (&frame);
        }
        zpoller_destroy (&poller);
        if (rc)
            zclock_sleep (50);  //  pacing the retries, not synchronising
    }
    zsock_destroy (&ctl);
    return rc;
}

//  A real agent for `user` with its directories in the bench dir; *pid
//  is set whenever a process was started (to be stopped by the caller).
static int
s_start_agent (bench_t *self, const bench_options_t *options, const char *user, pid_t *pid)
{
    char *dir = zsys_sprintf ("%s/%s_files", self->dir, user);
    char *downloads = zsys_sprintf ("%s/%s_downloads", self->dir, user);
    char *control = zsys_sprintf ("ipc://%s/%s.ctl", self->dir, user);
    char *password = zsys_sprintf ("%s/password", self->dir);
    char *log = zsys_sprintf ("%s.log", user);
    FILE *file = fopen (password, "w");
    if (file) {
        fputs ("bench\n", file);
        fclose (file);
    }
    char *args [] = { NULL, "--user", (char *) user, "--dir", dir, "--downloads", downloads,
                      "--broker", self->request_ep, "--control", control,
                      "--password-file", password, options->verbose? "-v": NULL, NULL };
    *pid = s_spawn (self, "fshare-peer", args, log);
    int rc = *pid > 0? s_wait_online (control): -1;
    if (rc)
        fprintf (stderr, "fshare-bench: the agent of %s did not come online (see %s/%s)\n",
                 user, self->dir, log);
    zstr_free (&dir);
    zstr_free (&downloads);
    zstr_free (&control);
    zstr_free (&password);
    zstr_free (&log);
    return rc;
}

static int
s_start_owner (bench_t *self, const bench_options_t *options)
{
    return s_start_agent (self, options, "owner", &self->owner_pid);
}

static void
s_send (zsock_t *dealer, Fshare__Message *msg, const char *session)
{
    msg->session = (char *) (session? session: "");
    fsh_msg_send (msg, dealer);
}

//  Ping every peer that has a session, so none expires while others are
//  still logging in.
static void
s_ping_all (bench_t *self)
{
    for (int i = 0; i < self->count; i++) {
        if (!self->peers [i].session)
            continue;
        Fshare__Ping ping = FSHARE__PING__INIT;
        Fshare__Message msg = FSHARE__MESSAGE__INIT;
        msg.body_case = FSHARE__MESSAGE__BODY_PING;
        msg.ping = &ping;
        s_send (self->peers [i].dealer, &msg, self->peers [i].session);
    }
}

static void
s_send_login (bench_t *self, int i)
{
    char user [32];
    snprintf (user, sizeof user, "peer%d", i);
    Fshare__Login login = FSHARE__LOGIN__INIT;
    login.user = user;
    login.password = "bench";
    login.version = FSH_PROTOCOL_VERSION;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGIN;
    msg.login = &login;
    s_send (self->peers [i].dealer, &msg, NULL);
    self->peers [i].retry_at = 0;
}

//  Logins the broker was too busy for (all from 127.0.0.1: its lobby
//  holds only so many per address) go again once their time has come.
static void
s_retry_logins (bench_t *self)
{
    int64_t now = zclock_mono ();
    for (int i = 0; i < self->count; i++)
        if (self->peers [i].retry_at && self->peers [i].retry_at <= now)
            s_send_login (self, i);
}

//  Wait for one reply on every simulated peer's DEALER; returns how many
//  came back OK (recording their session tokens).
static int
s_collect_replies (bench_t *self, bool login)
{
    int done = 0, ok = 0;
    bool *seen = (bool *) zmalloc (sizeof (bool) * (size_t) self->count);
    zmq_pollitem_t *items = (zmq_pollitem_t *) zmalloc (sizeof (zmq_pollitem_t) * (size_t) self->count);
    for (int i = 0; i < self->count; i++) {
        items [i].socket = zsock_resolve (self->peers [i].dealer);
        items [i].events = ZMQ_POLLIN;
    }
    int64_t deadline = zclock_mono () + DEADLINE_MS * 3;
    int64_t last_beat = zclock_mono ();
    while (done < self->count && zclock_mono () < deadline) {
        if (zclock_mono () - last_beat > 500) {
            s_ping_all (self);
            last_beat = zclock_mono ();
        }
        if (login)
            s_retry_logins (self);
        if (zmq_poll (items, self->count, 50) <= 0)
            continue;
        for (int i = 0; i < self->count; i++) {
            if (!(items [i].revents & ZMQ_POLLIN))
                continue;
            Fshare__Message *reply = fsh_msg_recv (self->peers [i].dealer);
            if (reply && reply->body_case == FSHARE__MESSAGE__BODY_PONG)
                fsh_msg_destroy (&reply);
            if (!reply || seen [i]) {
                fsh_msg_destroy (&reply);
                continue;
            }
            if (login && reply->status == FSHARE__STATUS__STATUS_ERROR
            &&  reply->code == FSH_ERR_BUSY) {
                self->peers [i].retry_at = zclock_mono () + 100;
                fsh_msg_destroy (&reply);
                continue;
            }
            seen [i] = true;
            done++;
            if (reply->status == FSHARE__STATUS__STATUS_OK) {
                ok++;
                if (login)
                    self->peers [i].session = strdup (reply->login_ok->session);
            }
            fsh_msg_destroy (&reply);
        }
    }
    free (items);
    free (seen);
    return ok;
}

//  Every simulated peer subscribes: a libzmq SUB or a bare ZMTP one.
static int
s_subscribe_peers (bench_t *self, bool zmq_subscribers)
{
    for (int i = 0; i < self->count; i++) {
        sim_peer_t *peer = &self->peers [i];
        if (zmq_subscribers) {
            peer->sub = zsock_new (ZMQ_SUB);
            fsh_socket_limits (peer->sub, 0);
            zsock_set_subscribe (peer->sub, "");
            if (zsock_connect (peer->sub, "%s", self->event_ep))
                return -1;
            continue;
        }
        const char *error = NULL;
        peer->raw = zmtp_sub_new (self->event_ep, DEADLINE_MS, &error);
        if (!peer->raw) {
            fprintf (stderr, "fshare-bench: subscriber %d: %s\n", i, error);
            return -1;
        }
    }
    return 0;
}

static int
s_start_peers (bench_t *self, int count, bool zmq_subscribers)
{
    self->count = count;
    self->peers = (sim_peer_t *) zmalloc (sizeof (sim_peer_t) * (size_t) count);
    for (int i = 0; i < count; i++) {
        sim_peer_t *peer = &self->peers [i];
        peer->dealer = zsock_new (ZMQ_DEALER);
        fsh_socket_limits (peer->dealer, 0);
        if (zsock_connect (peer->dealer, "%s", self->request_ep))
            return -1;
        s_send_login (self, i);
    }
    int ok = s_collect_replies (self, true);
    if (ok != count) {
        fprintf (stderr, "fshare-bench: %d of %d simulated peers logged in (see %s/broker.log)\n", ok, count, self->dir);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        Fshare__Publish publish = FSHARE__PUBLISH__INIT;
        Fshare__Message msg = FSHARE__MESSAGE__INIT;
        msg.body_case = FSHARE__MESSAGE__BODY_PUBLISH;
        msg.publish = &publish;
        s_send (self->peers [i].dealer, &msg, self->peers [i].session);
    }
    if (s_collect_replies (self, false) != count)
        return -1;
    //  Subscribe only now: N joins to N subscribers would leave a backlog
    //  of N^2 events that the first rounds would be timing.
    return s_subscribe_peers (self, zmq_subscribers);
}

static void
s_heartbeat (bench_t *self)
{
    s_ping_all (self);
    for (int i = 0; i < self->count; i++) {
        //  Drain pongs without looking at them.
        zmsg_t *reply;
        while ((reply = zmsg_recv_nowait (self->peers [i].dealer)))
            zmsg_destroy (&reply);
    }
}

//  --------------------------------------------------------------------------
//  Measurement

//  What a peer's subscriber hands over: every message counts for the
//  sync; the round's file_added event is timed.
typedef struct {
    bench_t *bench;
    int peer;
    const char *path;           //  NULL while syncing
    int64_t t0;
    int64_t *latencies;
    int *got;
    bool heard;                 //  anything at all arrived
} delivery_t;

static void
s_on_message (void *arg, const uint8_t *topic, size_t topic_size,
              const uint8_t *body, size_t body_size)
{
    delivery_t *delivery = (delivery_t *) arg;
    delivery->heard = true;
    sim_peer_t *peer = &delivery->bench->peers [delivery->peer];
    if (!delivery->path || peer->got || body == topic)
        return;
    //  Only a file_added can be the one we wait for; skip decoding the rest
    const char *kind = fsh_event_topic (FSHARE__EVENT_TYPE__EVENT_FILE_ADDED);
    if (topic_size != strlen (kind) || memcmp (topic, kind, topic_size) != 0)
        return;
    Fshare__Event *event = (Fshare__Event *)
        fsh_unpack (&fshare__event__descriptor, body, body_size);
    if (event && event->type == FSHARE__EVENT_TYPE__EVENT_FILE_ADDED
    &&  event->file && streq (event->file->path, delivery->path)) {
        delivery->latencies [delivery->peer] = s_usecs () - delivery->t0;
        peer->got = true;
        (*delivery->got)++;
    }
    fsh_event_destroy (&event);
}

//  Take whatever has arrived on one peer's subscriber, without waiting.
//  False when the subscriber failed.
static bool
s_drain (delivery_t *delivery)
{
    sim_peer_t *peer = &delivery->bench->peers [delivery->peer];
    if (peer->raw)
        return zmtp_sub_read (peer->raw, s_on_message, delivery) >= 0;
    while (zsock_events (peer->sub) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (peer->sub);
        if (!msg)
            break;
        zframe_t *topic = zmsg_first (msg);
        zframe_t *body = zmsg_last (msg);
        s_on_message (delivery, zframe_data (topic), zframe_size (topic),
                      zframe_data (body), zframe_size (body));
        zmsg_destroy (&msg);
    }
    return true;
}

//  The descriptor to wait on for a peer's news.
static int
s_peer_fd (sim_peer_t *peer)
{
    return peer->raw? zmtp_sub_fd (peer->raw): zsock_fd (peer->sub);
}

//  Receive on every subscriber until each peer has the file `path` (or
//  the deadline): fills latencies (usecs since t0) for each peer; returns
//  how many peers got it. epoll wakes only for the peers with news (a
//  libzmq socket's ZMQ_FD only says "look": s_drain reads all there is).
static int
s_wait_round (bench_t *self, int epoll, const char *path, int64_t t0,
              int64_t *latencies, int64_t *last_beat)
{
    int got = 0;
    for (int i = 0; i < self->count; i++)
        self->peers [i].got = false;
    delivery_t delivery = { .bench = self, .path = path, .t0 = t0,
                            .latencies = latencies, .got = &got };
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    struct epoll_event ready [256];
    while (got < self->count && zclock_mono () < deadline) {
        if (zclock_mono () - *last_beat > 1000) {
            s_heartbeat (self);
            *last_beat = zclock_mono ();
            //  The heartbeat may have let messages in unnoticed: look at all.
            for (delivery.peer = 0; delivery.peer < self->count; delivery.peer++)
                s_drain (&delivery);
        }
        int count = epoll_wait (epoll, ready, 256, 100);
        for (int e = 0; e < count; e++) {
            delivery.peer = (int) ready [e].data.u32;
            if (!s_drain (&delivery))
                return got;
        }
    }
    return got;
}

//  Wait until every subscriber has received at least one event (a stats
//  event comes every 2 s), so no subscription is still on its way.
static int
s_sync_subscribers (bench_t *self, int epoll)
{
    int synced = 0;
    bool *seen = (bool *) zmalloc (sizeof (bool) * (size_t) self->count);
    delivery_t delivery = { .bench = self };
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    int64_t last_beat = 0;
    struct epoll_event ready [256];
    bool failed = false;
    while (synced < self->count && !failed && zclock_mono () < deadline) {
        bool all = false;
        if (zclock_mono () - last_beat > 500) {
            s_heartbeat (self);
            last_beat = zclock_mono ();
            all = true;
        }
        int count = all? self->count: epoll_wait (epoll, ready, 256, 100);
        for (int e = 0; e < count && !failed; e++) {
            delivery.peer = all? e: (int) ready [e].data.u32;
            delivery.heard = false;
            failed = !s_drain (&delivery);
            if (delivery.heard && !seen [delivery.peer]) {
                seen [delivery.peer] = true;
                synced++;
            }
        }
    }
    free (seen);
    return synced == self->count? 0: -1;
}

//  Create and write a file; *closed is the time just before its close:
//  what is timed is "file closed -> view holds it" (the agent acts on
//  the close), not how long this file system takes to create a file.
static int
s_write_file (const char *path, int64_t *closed)
{
    static const char content [] = "fshare-bench event latency probe\n";
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd == -1)
        return -1;
    bool written = write (fd, content, sizeof content - 1) == (ssize_t) sizeof content - 1;
    *closed = s_usecs ();
    return close (fd) == 0 && written? 0: -1;
}

static void
s_report (const bench_options_t *options, int64_t *deliveries, size_t n_deliveries,
          int64_t *rounds, size_t n_rounds, int lost)
{
    qsort (deliveries, n_deliveries, sizeof (int64_t), s_compare);
    qsort (rounds, n_rounds, sizeof (int64_t), s_compare);
    double p50 = s_percentile (deliveries, n_deliveries, 0.50);
    double p99 = s_percentile (deliveries, n_deliveries, 0.99);
    double max = n_deliveries? (double) deliveries [n_deliveries - 1] / 1000.0: 0;
    double all50 = s_percentile (rounds, n_rounds, 0.50);
    double all99 = s_percentile (rounds, n_rounds, 0.99);
    double allmax = n_rounds? (double) rounds [n_rounds - 1] / 1000.0: 0;
    if (options->json) {
        json_t *obj = json_pack ("{s:s, s:i, s:i, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:i}",
            "bench", "events", "peers", options->peers, "rounds", options->rounds,
            "transport", options->ipc? "ipc": "tcp",
            "p50_ms", p50, "p99_ms", p99, "max_ms", max,
            "all_views_p50_ms", all50, "all_views_p99_ms", all99, "all_views_max_ms", allmax,
            "lost", lost);
        char *text = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (6));
        puts (text);
        free (text);
        json_decref (obj);
        return;
    }
    printf ("events: %d peers, %d files, %s, file closed -> view holds it\n",
            options->peers, options->rounds, options->ipc? "ipc": "tcp loopback");
    printf ("  %-22s %9s %9s %9s\n", "", "p50 ms", "p99 ms", "max ms");
    printf ("  %-22s %9.3f %9.3f %9.3f\n", "each peer's view", p50, p99, max);
    printf ("  %-22s %9.3f %9.3f %9.3f\n", "every peer's view", all50, all99, allmax);
    if (lost)
        printf ("  %d deliveries missing after %d ms\n", lost, DEADLINE_MS);
}

static void
s_stop (pid_t pid)
{
    if (pid <= 0)
        return;
    kill (pid, SIGTERM);
    waitpid (pid, NULL, 0);
}

static int
s_bench_events (const bench_options_t *options)
{
    bench_t self = { .dir = "/tmp/fshare-bench-XXXXXX" };
    if (!mkdtemp (self.dir)) {
        fprintf (stderr, "fshare-bench: cannot create a temp dir: %s\n", strerror (errno));
        return 1;
    }
    int code = 1;
    if (s_start_broker (&self, options) || s_start_owner (&self, options))
        goto done;
    if (s_start_peers (&self, options->peers, options->zmq_subscribers)) {
        fprintf (stderr, "fshare-bench: simulated peers could not log in or subscribe\n");
        goto done;
    }
    int epoll = epoll_create1 (EPOLL_CLOEXEC);
    for (int i = 0; i < self.count; i++) {
        struct epoll_event interest = { .events = EPOLLIN, .data.u32 = (uint32_t) i };
        epoll_ctl (epoll, EPOLL_CTL_ADD, s_peer_fd (&self.peers [i]), &interest);
    }
    if (s_sync_subscribers (&self, epoll)) {
        fprintf (stderr, "fshare-bench: subscribers did not sync\n");
        close (epoll);
        goto done;
    }
    size_t n = (size_t) options->peers;
    int64_t *deliveries = (int64_t *) zmalloc (sizeof (int64_t) * n * (size_t) options->rounds);
    int64_t *rounds = (int64_t *) zmalloc (sizeof (int64_t) * (size_t) options->rounds);
    int64_t *latencies = (int64_t *) zmalloc (sizeof (int64_t) * n);
    size_t n_deliveries = 0, n_rounds = 0;
    int lost = 0;
    int64_t last_beat = zclock_mono ();
    for (int round = 0; round < options->rounds; round++) {
        char name [32], path [160];
        snprintf (name, sizeof name, "f%d.txt", round);
        snprintf (path, sizeof path, "%s/owner_files/%s", self.dir, name);
        int64_t t0;
        if (s_write_file (path, &t0)) {
            fprintf (stderr, "fshare-bench: cannot write %s\n", path);
            break;
        }
        int got = s_wait_round (&self, epoll, name, t0, latencies, &last_beat);
        int64_t slowest = 0;
        for (int i = 0; i < self.count; i++)
            if (self.peers [i].got) {
                deliveries [n_deliveries++] = latencies [i];
                if (latencies [i] > slowest)
                    slowest = latencies [i];
            }
        lost += self.count - got;
        if (got == self.count)
            rounds [n_rounds++] = slowest;
    }
    s_report (options, deliveries, n_deliveries, rounds, n_rounds, lost);
    code = lost? 1: 0;
    free (deliveries);
    free (rounds);
    free (latencies);
    close (epoll);
done:
    for (int i = 0; i < self.count; i++) {
        zsock_destroy (&self.peers [i].dealer);
        zsock_destroy (&self.peers [i].sub);
        zmtp_sub_destroy (&self.peers [i].raw);
        zstr_free (&self.peers [i].session);
    }
    free (self.peers);
    s_stop (self.owner_pid);
    s_stop (self.broker_pid);
    zstr_free (&self.request_ep);
    zstr_free (&self.event_ep);
    char *command = zsys_sprintf ("rm -rf '%s'", self.dir);
    if (system (command) != 0)
        fprintf (stderr, "fshare-bench: could not remove %s\n", self.dir);
    zstr_free (&command);
    return code;
}

//  --------------------------------------------------------------------------
//  relay: one file owner -> broker -> requester, and socat for comparison

#define RELAY_FILE      "relay.bin"
#define PATTERN_BYTES   (1024 * 1024)

static double
s_gbps (uint64_t bytes, int64_t usecs)
{
    return usecs > 0? (double) bytes / (double) usecs / 1000.0: 0;
}

static double
s_median (double *values, int count)
{
    double sorted [64];
    memcpy (sorted, values, sizeof (double) * (size_t) count);
    for (int i = 1; i < count; i++)
        for (int j = i; j > 0 && sorted [j - 1] > sorted [j]; j--) {
            double swap = sorted [j];
            sorted [j] = sorted [j - 1];
            sorted [j - 1] = swap;
        }
    return count? (count % 2? sorted [count / 2]
                             : (sorted [count / 2 - 1] + sorted [count / 2]) / 2): 0;
}

//  A file of `size` bytes: a random megabyte over and over (content does
//  not change what hashing or the network cost).
static int
s_make_file (const char *path, uint64_t size)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd == -1)
        return -1;
    char *block = (char *) malloc (PATTERN_BYTES);
    randombytes_buf (block, PATTERN_BYTES);
    int rc = 0;
    for (uint64_t done = 0; done < size && rc == 0; ) {
        size_t step = size - done < PATTERN_BYTES? (size_t) (size - done): PATTERN_BYTES;
        ssize_t put = write (fd, block, step);
        if (put <= 0)
            rc = -1;
        else
            done += (uint64_t) put;
    }
    free (block);
    if (close (fd))
        rc = -1;
    return rc;
}

//  Peak resident set of a process, in KiB (0 if unknown).
static uint64_t
s_vmhwm_kib (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line [256];
    uint64_t kib = 0;
    while (fgets (line, sizeof line, file))
        if (sscanf (line, "VmHWM: %" SCNu64, &kib) == 1)
            break;
    fclose (file);
    return kib;
}

//  CPU time (user + system, all threads) a process has used, in seconds.
static double
s_cpu_seconds (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    char line [1024];
    double seconds = 0;
    if (fgets (line, sizeof line, file)) {
        //  Fields after the command name (which may hold spaces): state is
        //  the 3rd field, utime and stime the 14th and 15th
        char *cursor = strrchr (line, ')');
        unsigned long utime, stime;
        if (cursor && sscanf (cursor + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                              &utime, &stime) == 2)
            seconds = (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
    }
    fclose (file);
    return seconds;
}

//  One download through the requester's agent: usecs it took, or -1.
static int64_t
s_relay_get (bench_t *self, uint64_t size)
{
    char *control = zsys_sprintf ("ipc://%s/peer0.ctl", self->dir);
    zsock_t *ctl = zsock_new_dealer (control);
    zstr_free (&control);
    char *args [2] = { "owner", RELAY_FILE };
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "get";
    request.args = args;
    request.n_args = 2;
    int64_t t0 = s_usecs ();
    int64_t took = -1;
    //  Generous: 10 MB/s would already be a failure of its own
    int64_t deadline = zclock_mono () + 30000 + (int64_t) (size / 10000);
    fsh_pack_send (&request.base, ctl, NULL);
    zpoller_t *poller = zpoller_new (ctl, NULL);
    bool done = false;
    while (!done && zclock_mono () < deadline) {
        if (!zpoller_wait (poller, 1000))
            continue;
        zframe_t *frame = zframe_recv (ctl);
        Fshare__CtlReply *reply = frame? (Fshare__CtlReply *) fsh_unpack (
            &fshare__ctl_reply__descriptor, zframe_data (frame), zframe_size (frame)): NULL;
        zframe_destroy (&frame);
        if (!reply)
            break;
        if (!reply->more) {
            done = true;
            if (reply->status == FSHARE__STATUS__STATUS_OK && reply->get) {
                took = s_usecs () - t0;
                unlink (reply->get->path);
            }
            else
                fprintf (stderr, "fshare-bench: the download failed: %s\n", reply->error);
        }
        fshare__ctl_reply__free_unpacked (reply, NULL);
    }
    if (!done)
        fprintf (stderr, "fshare-bench: the download did not finish in time\n");
    zpoller_destroy (&poller);
    zsock_destroy (&ctl);
    return took;
}

//  Is something listening on 127.0.0.1:port? (/proc/net/tcp; connecting
//  to find out would use up socat's single accept.)
static bool
s_listening (int port)
{
    FILE *file = fopen ("/proc/net/tcp", "r");
    if (!file)
        return false;
    char line [512];
    bool found = false;
    while (!found && fgets (line, sizeof line, file)) {
        unsigned local_port, state;
        if (sscanf (line, " %*d: %*8x:%x %*8x:%*x %x", &local_port, &state) == 2)
            found = (int) local_port == port && state == 0x0A;
    }
    fclose (file);
    return found;
}

static bool
s_wait_listening (int port)
{
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (!s_listening (port))
        if (zclock_mono () > deadline)
            return false;
        else
            zclock_sleep (5);   //  pacing the polls
    return true;
}

static pid_t
s_run (char **args)
{
    pid_t pid = fork ();
    if (pid == 0) {
        int null = open ("/dev/null", O_WRONLY);
        dup2 (null, 1);
        dup2 (null, 2);
        execvp (args [0], args);
        _exit (127);
    }
    return pid;
}

static bool
s_have_socat (void)
{
    return system ("command -v socat >/dev/null 2>&1") == 0;
}

//  The same file through sender -> socat relay -> receiver (default
//  options), timed until the receiver has written everything.
static int64_t
s_socat_run (bench_t *self, uint64_t size)
{
    int relay_port = s_free_port (), receiver_port = s_free_port ();
    char *output = zsys_sprintf ("%s/socat.out", self->dir);
    char *file = zsys_sprintf ("OPEN:%s/owner_files/%s", self->dir, RELAY_FILE);
    char *sink = zsys_sprintf ("CREATE:%s", output);
    char *listen_receiver = zsys_sprintf ("TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr", receiver_port);
    char *listen_relay = zsys_sprintf ("TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr", relay_port);
    char *to_receiver = zsys_sprintf ("TCP:127.0.0.1:%d", receiver_port);
    char *to_relay = zsys_sprintf ("TCP:127.0.0.1:%d", relay_port);
    char *receiver_args [] = { "socat", "-u", listen_receiver, sink, NULL };
    char *relay_args [] = { "socat", listen_relay, to_receiver, NULL };
    char *sender_args [] = { "socat", "-u", file, to_relay, NULL };
    int64_t took = -1;
    pid_t receiver = s_run (receiver_args), relay = -1, sender = -1;
    if (receiver > 0 && s_wait_listening (receiver_port)) {
        relay = s_run (relay_args);
        if (relay > 0 && s_wait_listening (relay_port)) {
            int64_t t0 = s_usecs ();
            sender = s_run (sender_args);
            int status = -1;
            waitpid (receiver, &status, 0);
            receiver = -1;
            struct stat st;
            if (status == 0 && stat (output, &st) == 0 && (uint64_t) st.st_size == size)
                took = s_usecs () - t0;
        }
    }
    s_stop (sender);
    s_stop (relay);
    s_stop (receiver);
    unlink (output);
    zstr_free (&output);
    zstr_free (&file);
    zstr_free (&sink);
    zstr_free (&listen_receiver);
    zstr_free (&listen_relay);
    zstr_free (&to_receiver);
    zstr_free (&to_relay);
    return took;
}

//  SHA-256 speed of OpenSSL (what fshare uses) and libsodium, GB/s.
static void
s_hash_speeds (double *openssl, double *libsodium)
{
    size_t size = 64 * 1024 * 1024;
    uint8_t *data = (uint8_t *) malloc (size);
    memset (data, 0x5A, size);
    uint8_t out [32];
    digest_t *digest = digest_new ();
    int64_t t0 = s_usecs ();
    for (size_t done = 0; done < size; done += 256 * 1024)
        digest_update (digest, data + done, 256 * 1024);
    digest_final (digest, out);
    *openssl = s_gbps (size, s_usecs () - t0);
    digest_destroy (&digest);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    t0 = s_usecs ();
    for (size_t done = 0; done < size; done += 256 * 1024)
        crypto_hash_sha256_update (&state, data + done, 256 * 1024);
    crypto_hash_sha256_final (&state, out);
    *libsodium = s_gbps (size, s_usecs () - t0);
    free (data);
}

typedef struct {
    double fshare [64];
    double socat [64];
    int fshare_runs;
    int socat_runs;
    uint64_t rss_kib [3];       //  broker, owner, requester
    double cpu [3];             //  CPU seconds per GB relayed, same order
    double sha_openssl;
    double sha_libsodium;
} relay_result_t;

static void
s_relay_report (bench_t *self, const bench_options_t *options, relay_result_t *result)
{
    double fshare = s_median (result->fshare, result->fshare_runs);
    double socat = s_median (result->socat, result->socat_runs);
    double ratio = socat > 0? fshare / socat: 0;
    const char *transport = options->ipc? "ipc": "tcp";
    if (options->json) {
        json_t *runs = json_array (), *socat_runs = json_array ();
        for (int i = 0; i < result->fshare_runs; i++)
            json_array_append_new (runs, json_real (result->fshare [i]));
        for (int i = 0; i < result->socat_runs; i++)
            json_array_append_new (socat_runs, json_real (result->socat [i]));
        json_t *obj = json_pack ("{s:s, s:I, s:s, s:s, s:o, s:f, s:o, s:f, s:f,"
                                 " s:{s:I, s:I, s:I}, s:{s:f, s:f, s:f}, s:{s:f, s:f}}",
            "bench", "relay", "size", (json_int_t) options->size, "transport", transport,
            "dir", self->dir, "fshare_gbps", runs, "fshare_median_gbps", fshare,
            "socat_gbps", socat_runs, "socat_median_gbps", socat, "ratio", ratio,
            "peak_rss_kib", "broker", (json_int_t) result->rss_kib [0],
            "owner", (json_int_t) result->rss_kib [1],
            "requester", (json_int_t) result->rss_kib [2],
            "cpu_seconds_per_gb", "broker", result->cpu [0], "owner", result->cpu [1],
            "requester", result->cpu [2],
            "sha256_gbps", "openssl", result->sha_openssl, "libsodium", result->sha_libsodium);
        char *text = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (6));
        puts (text);
        free (text);
        json_decref (obj);
        return;
    }
    printf ("relay: %" PRIu64 " bytes, owner -> broker -> requester, %s, files in %s\n",
            options->size, options->ipc? "ipc": "tcp loopback", self->dir);
    printf ("  %-8s %14s %14s\n", "run", "fshare GB/s", "socat GB/s");
    int rows = result->fshare_runs > result->socat_runs? result->fshare_runs: result->socat_runs;
    for (int i = 0; i < rows; i++) {
        printf ("  %-8d", i + 1);
        if (i < result->fshare_runs)
            printf (" %14.3f", result->fshare [i]);
        else
            printf (" %14s", "-");
        if (i < result->socat_runs)
            printf (" %14.3f\n", result->socat [i]);
        else
            printf (" %14s\n", "-");
    }
    printf ("  %-8s %14.3f", "median", fshare);
    if (result->socat_runs)
        printf (" %14.3f   ratio %.2f\n", socat, ratio);
    else
        printf (" %14s\n", options->socat? "(no socat)": "(skipped)");
    printf ("  peak RSS (VmHWM): broker %.1f MiB, owner %.1f MiB, requester %.1f MiB\n",
            (double) result->rss_kib [0] / 1024, (double) result->rss_kib [1] / 1024,
            (double) result->rss_kib [2] / 1024);
    printf ("  CPU seconds per GB: broker %.2f, owner %.2f, requester %.2f\n",
            result->cpu [0], result->cpu [1], result->cpu [2]);
    printf ("  SHA-256: OpenSSL %.2f GB/s, libsodium %.2f GB/s (fshare hashes with OpenSSL)\n",
            result->sha_openssl, result->sha_libsodium);
}

//  The directory for the bench's files: a RAM file system when there is
//  one, so that the disk (and the requester's fsync) is not what is timed.
static const char *
s_relay_base (const bench_options_t *options)
{
    if (options->base)
        return options->base;
    struct stat st;
    if (stat ("/dev/shm", &st) == 0 && S_ISDIR (st.st_mode) && access ("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return "/tmp";
}

static int
s_bench_relay (const bench_options_t *options)
{
    bench_t self = { .count = 0 };
    snprintf (self.dir, sizeof self.dir, "%s/fshare-bench-XXXXXX", s_relay_base (options));
    if (strlen (self.dir) >= sizeof self.dir - 1 || !mkdtemp (self.dir)) {
        fprintf (stderr, "fshare-bench: cannot create a temp dir in %s: %s\n",
                 s_relay_base (options), strerror (errno));
        return 1;
    }
    int code = 1;
    relay_result_t result = { .fshare_runs = 0 };
    char *files = zsys_sprintf ("%s/owner_files", self.dir);
    char *path = zsys_sprintf ("%s/%s", files, RELAY_FILE);
    if (mkdir (files, 0755) || s_make_file (path, options->size)) {
        fprintf (stderr, "fshare-bench: cannot write %s: %s\n", path, strerror (errno));
        goto done;
    }
    if (s_start_broker (&self, options)
    ||  s_start_agent (&self, options, "owner", &self.owner_pid)
    ||  s_start_agent (&self, options, "peer0", &self.requester_pid))
        goto done;
    pid_t pids [3] = { self.broker_pid, self.owner_pid, self.requester_pid };
    double cpu_before [3];
    for (int i = 0; i < 3; i++)
        cpu_before [i] = s_cpu_seconds (pids [i]);
    bool socat = options->socat && s_have_socat ();
    //  Interleaved, so that neither gets the other's warmed-up memory
    for (int run = 0; run < options->runs; run++) {
        int64_t took = s_relay_get (&self, options->size);
        if (took < 0)
            goto done;
        result.fshare [result.fshare_runs++] = s_gbps (options->size, took);
        if (!socat)
            continue;
        took = s_socat_run (&self, options->size);
        if (took < 0) {
            fprintf (stderr, "fshare-bench: the socat relay failed\n");
            socat = false;
        }
        else
            result.socat [result.socat_runs++] = s_gbps (options->size, took);
    }
    double gigabytes = (double) options->size * options->runs / 1e9;
    for (int i = 0; i < 3; i++) {
        result.rss_kib [i] = s_vmhwm_kib (pids [i]);
        result.cpu [i] = (s_cpu_seconds (pids [i]) - cpu_before [i]) / gigabytes;
    }
    s_hash_speeds (&result.sha_openssl, &result.sha_libsodium);
    s_relay_report (&self, options, &result);
    code = 0;
done:
    s_stop (self.requester_pid);
    s_stop (self.owner_pid);
    s_stop (self.broker_pid);
    zstr_free (&self.request_ep);
    zstr_free (&self.event_ep);
    zstr_free (&files);
    zstr_free (&path);
    char *command = zsys_sprintf ("rm -rf '%s'", self.dir);
    if (system (command) != 0)
        fprintf (stderr, "fshare-bench: could not remove %s\n", self.dir);
    zstr_free (&command);
    return code;
}

//  --------------------------------------------------------------------------
//  Command line

static const struct option s_options [] = {
    { "peers",   required_argument, NULL, 'n' },
    { "rounds",  required_argument, NULL, 'r' },
    { "ipc",     no_argument,       NULL, 'i' },
    { "zmq-subscribers", no_argument, NULL, 'Z' },
    { "size",    required_argument, NULL, 's' },
    { "runs",    required_argument, NULL, 'R' },
    { "dir",     required_argument, NULL, 'd' },
    { "no-socat", no_argument,      NULL, 'S' },
    { "json",    no_argument,       NULL, 'j' },
    { "verbose", no_argument,       NULL, 'v' },
    { "help",    no_argument,       NULL, 'h' },
    { "version", no_argument,       NULL, 'V' },
    { NULL, 0, NULL, 0 }
};

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: fshare-bench [options] events|relay\n"
        "  events              N peers; a file closed in one host directory;\n"
        "                      time until every other peer's view holds it\n"
        "  --peers N           simulated peers (default 100)\n"
        "  --rounds N          files to time (default 200)\n"
        "  --zmq-subscribers   a libzmq SUB socket per simulated peer instead of a\n"
        "                      bare ZMTP subscriber (costs this process far more)\n"
        "  relay               one file owner -> broker -> requester through real\n"
        "                      agents: throughput, peak RSS of the three processes,\n"
        "                      and a socat byte relay of the same file if installed\n"
        "  --size BYTES        file size, suffixes K M G (binary; default 1G)\n"
        "  --runs N            downloads to time, the median is reported (default 3)\n"
        "  --dir DIR           where the files go (default /dev/shm, else /tmp:\n"
        "                      a RAM file system keeps the disk out of the figures)\n"
        "  --no-socat          skip the socat comparison\n"
        "  --ipc               ipc endpoints instead of tcp on 127.0.0.1\n"
        "  --json              one JSON object instead of a table\n"
        "  -v, --verbose       debug logging\n"
        "  -h, --help          this help\n"
        "  --version           print the version\n");
}

//  A size with an optional binary suffix (K, M, G, T); 0 when invalid.
static uint64_t
s_size (const char *text)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull (text, &end, 10);
    if (errno || end == text || text [0] == '-')
        return 0;
    int shift = 0;
    if (*end) {
        const char *units = "KMGT";
        const char *unit = strchr (units, toupper ((unsigned char) *end));
        if (!unit || end [1])
            return 0;
        shift = 10 * (int) (unit - units + 1);
    }
    if (value > (UINT64_MAX >> shift))
        return 0;
    return (uint64_t) value << shift;
}

//  Many simulated peers need many descriptors and sockets.
static void
s_raise_limits (int peers)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
    }
    zsys_set_max_sockets ((size_t) peers * 2 + 256);
}

int
main (int argc, char **argv)
{
    bench_options_t options = { .peers = 100, .rounds = 200, .size = 1 << 30, .runs = 3,
                                .socat = true };
    int c;
    long n;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":vh", s_options, NULL)) != -1) {
        switch (c) {
            case 'n':
                if ((n = fsh_number (optarg, 1, 10000)) < 0)
                    return fsh_usage_error ("fshare-bench", "--peers takes 1..10000, not '%s'", optarg);
                options.peers = (int) n;
                break;
            case 'r':
                if ((n = fsh_number (optarg, 1, 1000000)) < 0)
                    return fsh_usage_error ("fshare-bench", "--rounds takes 1..1000000, not '%s'", optarg);
                options.rounds = (int) n;
                break;
            case 's':
                if ((options.size = s_size (optarg)) == 0)
                    return fsh_usage_error ("fshare-bench", "--size takes a positive size, not '%s'", optarg);
                break;
            case 'R':
                if ((n = fsh_number (optarg, 1, 64)) < 0)
                    return fsh_usage_error ("fshare-bench", "--runs takes 1..64, not '%s'", optarg);
                options.runs = (int) n;
                break;
            case 'd': options.base = optarg; break;
            case 'S': options.socat = false; break;
            case 'i': options.ipc = true; break;
            case 'Z': options.zmq_subscribers = true; break;
            case 'j': options.json = true; break;
            case 'v': options.verbose = true; break;
            case 'h': s_usage (stdout); return 0;
            case 'V': printf ("fshare-bench %s\n", FSHARE_VERSION); return 0;
            case ':': return fsh_usage_error ("fshare-bench", "missing argument for '%s'", argv [optind - 1]);
            default:  return fsh_usage_error ("fshare-bench", "unknown option '%s'", argv [optind - 1]);
        }
    }
    if (optind >= argc)
        return fsh_usage_error ("fshare-bench", "%s", "missing benchmark name: events or relay");
    bool relay = streq (argv [optind], "relay");
    if (!relay && !streq (argv [optind], "events"))
        return fsh_usage_error ("fshare-bench", "unknown benchmark '%s'", argv [optind]);
    if (optind + 1 < argc)
        return fsh_usage_error ("fshare-bench", "unexpected argument '%s'", argv [optind + 1]);
    s_raise_limits (relay? 1: options.peers);
    //  The actors log every login; a table is what the reader came for.
    zsys_set_logstream (options.verbose? stderr: NULL);
    if (relay) {
        //  One requester account: the relay's requester is "peer0"
        options.peers = 1;
        return s_bench_relay (&options);
    }
    return s_bench_events (&options);
}
