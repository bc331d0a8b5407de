/*  bench.c - fshare-bench: measures what SPEC section 8 names.

    events: N connected peers; a file is closed in one real agent's host
    directory; the time until every other peer's view holds it. The broker
    and the owning agent are the real programs (fshare-broker, fshare-peer
    from the same directory as this one); the N other peers are simulated
    cheaply in this process (a logged-in DEALER that keeps its heartbeat
    plus a SUB each), since a view update on receipt is a hash insert and
    inotify allows only 128 instances per user.
*/
#include "broker.h"
#include "agent.h"
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
    bool json;
    bool verbose;
} bench_options_t;

typedef struct {
    zsock_t *dealer;
    zsock_t *sub;
    char *session;
    bool got;                   //  this round's file arrived
} sim_peer_t;

typedef struct {
    char dir [64];
    pid_t broker_pid;
    pid_t owner_pid;
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

static int
s_start_owner (bench_t *self, const bench_options_t *options)
{
    char *dir = zsys_sprintf ("%s/owner_files", self->dir);
    char *downloads = zsys_sprintf ("%s/owner_downloads", self->dir);
    char *control = zsys_sprintf ("ipc://%s/owner.ctl", self->dir);
    char *password = zsys_sprintf ("%s/password", self->dir);
    FILE *file = fopen (password, "w");
    if (file) {
        fputs ("bench\n", file);
        fclose (file);
    }
    char *args [] = { NULL, "--user", "owner", "--dir", dir, "--downloads", downloads,
                      "--broker", self->request_ep, "--control", control,
                      "--password-file", password, options->verbose? "-v": NULL, NULL };
    self->owner_pid = s_spawn (self, "fshare-peer", args, "owner.log");
    int rc = self->owner_pid > 0? s_wait_online (control): -1;
    if (rc)
        fprintf (stderr, "fshare-bench: the owner's agent did not come online (see %s/owner.log)\n",
                 self->dir);
    zstr_free (&dir);
    zstr_free (&downloads);
    zstr_free (&control);
    zstr_free (&password);
    return rc;
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
        if (zmq_poll (items, self->count, 200) <= 0)
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

static int
s_start_peers (bench_t *self, int count)
{
    self->count = count;
    self->peers = (sim_peer_t *) zmalloc (sizeof (sim_peer_t) * (size_t) count);
    for (int i = 0; i < count; i++) {
        sim_peer_t *peer = &self->peers [i];
        peer->dealer = zsock_new (ZMQ_DEALER);
        fsh_socket_limits (peer->dealer, 0);
        if (zsock_connect (peer->dealer, "%s", self->request_ep))
            return -1;
        char user [32];
        snprintf (user, sizeof user, "peer%d", i);
        Fshare__Login login = FSHARE__LOGIN__INIT;
        login.user = user;
        login.password = "bench";
        login.version = FSH_PROTOCOL_VERSION;
        Fshare__Message msg = FSHARE__MESSAGE__INIT;
        msg.body_case = FSHARE__MESSAGE__BODY_LOGIN;
        msg.login = &login;
        s_send (peer->dealer, &msg, NULL);
    }
    if (s_collect_replies (self, true) != count)
        return -1;
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
    for (int i = 0; i < count; i++) {
        sim_peer_t *peer = &self->peers [i];
        peer->sub = zsock_new (ZMQ_SUB);
        fsh_socket_limits (peer->sub, 0);
        zsock_set_subscribe (peer->sub, "");
        if (zsock_connect (peer->sub, "%s", self->event_ep))
            return -1;
    }
    return 0;
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

//  Take whatever has arrived on one peer's SUB, without waiting.
static void
s_drain (bench_t *self, int i, const char *path, int64_t t0, int64_t *latencies, int *got)
{
    sim_peer_t *peer = &self->peers [i];
    while (zsock_events (peer->sub) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (peer->sub);
        if (!msg)
            break;
        zframe_t *body = zmsg_last (msg);
        Fshare__Event *event = zmsg_size (msg) == 2
            ? (Fshare__Event *) fsh_unpack (&fshare__event__descriptor,
                                            zframe_data (body), zframe_size (body))
            : NULL;
        if (event && event->type == FSHARE__EVENT_TYPE__EVENT_FILE_ADDED
        &&  event->file && streq (event->file->path, path) && !peer->got) {
            latencies [i] = s_usecs () - t0;
            peer->got = true;
            (*got)++;
        }
        fsh_event_destroy (&event);
        zmsg_destroy (&msg);
    }
}

//  Receive events on every SUB until each peer has the file `path` (or the
//  deadline): fills latencies (usecs since t0) for each peer; returns how
//  many peers got it. zmq_poll over 1,000 sockets costs O(N) per wake-up;
//  epoll on their ZMQ_FDs wakes only for the sockets that have news.
static int
s_wait_round (bench_t *self, int epoll, const char *path, int64_t t0,
              int64_t *latencies, int64_t *last_beat)
{
    int got = 0;
    for (int i = 0; i < self->count; i++)
        self->peers [i].got = false;
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    struct epoll_event ready [256];
    while (got < self->count && zclock_mono () < deadline) {
        if (zclock_mono () - *last_beat > 1000) {
            s_heartbeat (self);
            *last_beat = zclock_mono ();
            //  The heartbeat may have let messages in unnoticed: look at all.
            for (int i = 0; i < self->count; i++)
                s_drain (self, i, path, t0, latencies, &got);
        }
        int count = epoll_wait (epoll, ready, 256, 100);
        for (int e = 0; e < count; e++)
            s_drain (self, (int) ready [e].data.u32, path, t0, latencies, &got);
    }
    return got;
}

//  Wait until every SUB has received at least one event (a stats event
//  comes every 2 s), so no subscription is still on its way.
static int
s_sync_subscribers (bench_t *self, zmq_pollitem_t *items)
{
    int synced = 0;
    bool *seen = (bool *) zmalloc (sizeof (bool) * (size_t) self->count);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    int64_t last_beat = 0;
    while (synced < self->count && zclock_mono () < deadline) {
        if (zclock_mono () - last_beat > 500) {
            s_heartbeat (self);
            last_beat = zclock_mono ();
        }
        if (zmq_poll (items, self->count, 100) <= 0)
            continue;
        for (int i = 0; i < self->count; i++) {
            if (!(items [i].revents & ZMQ_POLLIN))
                continue;
            zmsg_t *msg;
            while ((msg = zmsg_recv_nowait (self->peers [i].sub)))
                zmsg_destroy (&msg);
            if (!seen [i]) {
                seen [i] = true;
                synced++;
            }
        }
    }
    free (seen);
    return synced == self->count? 0: -1;
}

static int
s_write_file (const char *path)
{
    FILE *file = fopen (path, "w");
    if (!file)
        return -1;
    fputs ("fshare-bench event latency probe\n", file);
    return fclose (file);
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
        char *text = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
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
    if (s_start_peers (&self, options->peers)) {
        fprintf (stderr, "fshare-bench: simulated peers could not log in\n");
        goto done;
    }
    zmq_pollitem_t *items = (zmq_pollitem_t *) zmalloc (sizeof (zmq_pollitem_t) * (size_t) self.count);
    for (int i = 0; i < self.count; i++) {
        items [i].socket = zsock_resolve (self.peers [i].sub);
        items [i].events = ZMQ_POLLIN;
    }
    if (s_sync_subscribers (&self, items)) {
        fprintf (stderr, "fshare-bench: subscribers did not sync\n");
        free (items);
        goto done;
    }
    int epoll = epoll_create1 (EPOLL_CLOEXEC);
    for (int i = 0; i < self.count; i++) {
        struct epoll_event interest = { .events = EPOLLIN, .data.u32 = (uint32_t) i };
        epoll_ctl (epoll, EPOLL_CTL_ADD, zsock_fd (self.peers [i].sub), &interest);
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
        int64_t t0 = s_usecs ();
        if (s_write_file (path)) {
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
    free (items);
    close (epoll);
done:
    for (int i = 0; i < self.count; i++) {
        zsock_destroy (&self.peers [i].dealer);
        zsock_destroy (&self.peers [i].sub);
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
//  Command line

static const struct option s_options [] = {
    { "peers",   required_argument, NULL, 'n' },
    { "rounds",  required_argument, NULL, 'r' },
    { "ipc",     no_argument,       NULL, 'i' },
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
        "usage: fshare-bench [options] events\n"
        "  events              N peers; a file closed in one host directory;\n"
        "                      time until every other peer's view holds it\n"
        "  --peers N           simulated peers (default 100)\n"
        "  --rounds N          files to time (default 200)\n"
        "  --ipc               ipc endpoints instead of tcp on 127.0.0.1\n"
        "  --json              one JSON object instead of a table\n"
        "  -v, --verbose       debug logging\n"
        "  -h, --help          this help\n"
        "  --version           print the version\n");
}

static int
s_usage_error (const char *what, const char *arg)
{
    fprintf (stderr, "fshare-bench: %s '%s'\ntry 'fshare-bench --help'\n", what, arg);
    return 2;
}

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
    bench_options_t options = { .peers = 100, .rounds = 200 };
    int c;
    long n;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":vh", s_options, NULL)) != -1) {
        switch (c) {
            case 'n':
                if ((n = s_number (optarg, 1, 10000)) < 0)
                    return s_usage_error ("--peers takes 1..10000, not", optarg);
                options.peers = (int) n;
                break;
            case 'r':
                if ((n = s_number (optarg, 1, 1000000)) < 0)
                    return s_usage_error ("--rounds takes 1..1000000, not", optarg);
                options.rounds = (int) n;
                break;
            case 'i': options.ipc = true; break;
            case 'j': options.json = true; break;
            case 'v': options.verbose = true; break;
            case 'h': s_usage (stdout); return 0;
            case 'V': printf ("fshare-bench %s\n", FSHARE_VERSION); return 0;
            case ':': return s_usage_error ("missing argument for", argv [optind - 1]);
            default:  return s_usage_error ("unknown option", argv [optind - 1]);
        }
    }
    if (optind >= argc)
        return s_usage_error ("missing benchmark name:", "events");
    if (!streq (argv [optind], "events"))
        return s_usage_error ("unknown benchmark", argv [optind]);
    s_raise_limits (options.peers);
    //  The actors log every login; a table is what the reader came for.
    zsys_set_logstream (options.verbose? stderr: NULL);
    return s_bench_events (&options);
}
