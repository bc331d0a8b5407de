/*  events.c - fshare-bench events: N peers, the time from a file closed in
    one host directory to every other peer's view holding it. See bench.h.
*/
#include "bench.h"

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
        delivery->latencies [delivery->peer] = bench_usecs () - delivery->t0;
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
    *closed = bench_usecs ();
    return close (fd) == 0 && written? 0: -1;
}

static void
s_report (const bench_options_t *options, int64_t *deliveries, size_t n_deliveries,
          int64_t *rounds, size_t n_rounds, int lost)
{
    qsort (deliveries, n_deliveries, sizeof (int64_t), bench_compare);
    qsort (rounds, n_rounds, sizeof (int64_t), bench_compare);
    double p50 = bench_percentile (deliveries, n_deliveries, 0.50);
    double p99 = bench_percentile (deliveries, n_deliveries, 0.99);
    double max = n_deliveries? (double) deliveries [n_deliveries - 1] / 1000.0: 0;
    double all50 = bench_percentile (rounds, n_rounds, 0.50);
    double all99 = bench_percentile (rounds, n_rounds, 0.99);
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

int
bench_events (const bench_options_t *options)
{
    bench_t self = { .dir = "/tmp/fshare-bench-XXXXXX" };
    if (!mkdtemp (self.dir)) {
        fprintf (stderr, "fshare-bench: cannot create a temp dir: %s\n", strerror (errno));
        return 1;
    }
    int code = 1;
    if (bench_start_broker (&self, options) || bench_start_owner (&self, options))
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
    bench_stop (self.owner_pid);
    bench_stop (self.broker_pid);
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

