/*  events.c - fshare-bench events: N peers, the time from a file closed in
    one host directory to every other peer's view holding it. See bench.h.

    The owner is a real agent; the N peers are simulated (simpeer.h), each
    with a real view (peer/view.c) fed exactly as the agent feeds its own:
    a snapshot once its subscription is active, then every event through
    view_event with its sequence and broker instance checks. A file counts
    as delivered to a peer when the event was applied and the peer's view
    holds the file under the owner. Any gap fails the run.
*/
#include "bench.h"
#include "probe.h"

typedef struct {
    simgroup_t *group;
    const char *path;           //  the round's file; NULL between rounds
    int64_t t0;
    int64_t *latencies;         //  per peer, -1 until delivered
    int got;
} round_t;

static void
s_on_event (void *arg, int index, const simpeer_event_t *event)
{
    round_t *round = (round_t *) arg;
    if (!round->path || round->latencies [index] >= 0
    ||  event->type != FSHARE__EVENT_TYPE__EVENT_FILE_ADDED || event->result != VIEW_APPLIED
    ||  !event->path || event->path_size != strlen (round->path)
    ||  memcmp (event->path, round->path, event->path_size) != 0)
        return;
    view_t *view = simpeer_view (simgroup_peer (round->group, index));
    fileset_t *files = view? view_user_files (view, "owner"): NULL;
    if (files && fileset_lookup (files, round->path)) {
        round->latencies [index] = bench_usecs () - round->t0;
        round->got++;
    }
}

static bool
s_round_done (void *arg)
{
    round_t *round = (round_t *) arg;
    return round->got == simgroup_size (round->group);
}

static bool
s_all_published (void *arg)
{
    simgroup_t *group = (simgroup_t *) arg;
    for (int i = 0; i < simgroup_size (group); i++)
        if (!simpeer_published (simgroup_peer (group, i)))
            return false;
    return true;
}

static bool
s_all_online (void *arg)
{
    simgroup_t *group = (simgroup_t *) arg;
    for (int i = 0; i < simgroup_size (group); i++)
        if (!simpeer_online (simgroup_peer (group, i)))
            return false;
    return true;
}

//  Log in and publish first, subscribe after: N joins to N subscribers
//  would leave a backlog of N^2 events that the first rounds would time.
//  Each view then loads a snapshot, as the agent's does.
static simgroup_t *
s_start_peers (bench_t *self, const bench_options_t *options)
{
    simgroup_t *group = simgroup_new ();
    for (int i = 0; i < options->peers; i++) {
        char user [32];
        snprintf (user, sizeof user, "peer%d", i);
        char *endpoint = bench_peer_endpoint (self, i);
        simpeer_config_t config = { .user = user, .password = "bench", .broker = endpoint,
                                    .events = self->event_ep, .view = true,
                                    .zmq_sub = options->zmq_subscribers };
        simgroup_add (group, simpeer_new (&config, i));
        zstr_free (&endpoint);
    }
    int rc = simgroup_login (group);
    if (rc == 0)
        rc = simgroup_run (group, DEADLINE_MS * 3, s_all_published, NULL, group);
    if (rc == 0)
        rc = simgroup_subscribe (group, DEADLINE_MS);
    if (rc == 0)
        rc = simgroup_run (group, DEADLINE_MS * 3, s_all_online, NULL, group);
    if (rc) {
        fprintf (stderr, "fshare-bench: the simulated peers did not come online: %s\n",
                 simgroup_failure (group));
        simgroup_destroy (&group);
    }
    return group;
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

typedef struct {
    int64_t *deliveries;        //  every peer's latency of every round
    size_t n_deliveries;
    int64_t *slowest;           //  per round, the last peer's
    size_t n_rounds;
    probe_result_t probe;       //  the broker's request loop meanwhile
    double broker_cpu;          //  over the rounds
    double broker_wait;         //  runnable, waiting for a CPU
    const char *failure;
} events_result_t;

static void
s_report (const bench_options_t *options, events_result_t *result)
{
    qsort (result->deliveries, result->n_deliveries, sizeof (int64_t), bench_compare);
    qsort (result->slowest, result->n_rounds, sizeof (int64_t), bench_compare);
    size_t nd = result->n_deliveries, nr = result->n_rounds;
    double each [3] = { bench_percentile (result->deliveries, nd, 0.50),
                        bench_percentile (result->deliveries, nd, 0.99),
                        nd? (double) result->deliveries [nd - 1] / 1000.0: 0 };
    double every [3] = { bench_percentile (result->slowest, nr, 0.50),
                         bench_percentile (result->slowest, nr, 0.99),
                         nr? (double) result->slowest [nr - 1] / 1000.0: 0 };
    const char *subscribers = options->zmq_subscribers? "libzmq": "zmtp";
    if (options->json) {
        bench_print_json (json_pack (
            "{s:s, s:i, s:i, s:i, s:s, s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f,"
            " s:{s:i, s:f, s:f, s:f}, s:b, s:s, s:i}",
            "bench", "events", "peers", options->peers, "rounds", options->rounds,
            "rounds_done", (int) nr, "transport", options->ipc? "ipc": "tcp",
            "subscribers", subscribers, "views", options->peers,
            "p50_ms", each [0], "p99_ms", each [1], "max_ms", each [2],
            "all_views_p50_ms", every [0], "all_views_p99_ms", every [1],
            "all_views_max_ms", every [2], "broker_cpu_s", result->broker_cpu,
            "broker_runqueue_wait_s", result->broker_wait, "broker_reply_ms",
            "samples", (int) result->probe.samples, "p50", result->probe.p50_ms,
            "p99", result->probe.p99_ms, "max", result->probe.max_ms,
            "ok", result->failure == NULL,
            "failure", result->failure? result->failure: "",
            "owner_settle_ms", options->settle_ms));
        return;
    }
    printf ("events: %d peers (each a real view, %s subscribers), %zu of %d files, %s,\n"
            "  file closed -> view holds it; the owner's settle window %s\n", options->peers,
            subscribers, nr, options->rounds, options->ipc? "ipc": "tcp loopback",
            options->settle_ms < 0? "its default (a new file waits 25 ms)":
            options->settle_ms == 0? "0 (no wait)": "as given");
    printf ("  %-22s %9s %9s %9s\n", "", "p50 ms", "p99 ms", "max ms");
    printf ("  %-22s %9.3f %9.3f %9.3f\n", "each peer's view", each [0], each [1], each [2]);
    printf ("  %-22s %9.3f %9.3f %9.3f\n", "every peer's view", every [0], every [1], every [2]);
    printf ("  %-22s %9.3f %9.3f %9.3f\n", "broker answers a ping", result->probe.p50_ms,
            result->probe.p99_ms, result->probe.max_ms);
    printf ("  broker CPU %.2f s; it waited %.2f s for a CPU while runnable (a loaded machine)\n",
            result->broker_cpu, result->broker_wait);
}

//  The rounds: a file each, timed until every view holds it.
static void
s_rounds (bench_t *self, const bench_options_t *options, simgroup_t *group,
          events_result_t *result)
{
    int peers = simgroup_size (group);
    round_t round = { .group = group };
    round.latencies = (int64_t *) malloc (sizeof (int64_t) * (size_t) peers);
    for (int r = 0; r < options->rounds && !result->failure; r++) {
        char name [32], path [384];
        snprintf (name, sizeof name, "f%d.txt", r);
        snprintf (path, sizeof path, "%s/owner_files/%s", self->dir, name);
        for (int i = 0; i < peers; i++)
            round.latencies [i] = -1;
        round.got = 0;
        round.path = NULL;
        if (s_write_file (path, &round.t0)) {
            result->failure = "cannot write a file in the owner's host directory";
            break;
        }
        round.path = name;
        if (simgroup_run (group, DEADLINE_MS, s_round_done, s_on_event, &round)) {
            result->failure = simgroup_failure (group);
            break;
        }
        int64_t slowest = 0;
        for (int i = 0; i < peers; i++) {
            result->deliveries [result->n_deliveries++] = round.latencies [i];
            if (round.latencies [i] > slowest)
                slowest = round.latencies [i];
        }
        result->slowest [result->n_rounds++] = slowest;
    }
    free (round.latencies);
}

int
bench_events (const bench_options_t *options)
{
    bench_t self = { .broker_pid = 0 };
    if (bench_make_dir (&self, NULL))
        return 1;
    int code = 1;
    simgroup_t *group = NULL;
    if (bench_start_broker (&self, options) || bench_start_owner (&self, options))
        goto done;
    if (!(group = s_start_peers (&self, options)))
        goto done;
    size_t n = (size_t) options->peers * (size_t) options->rounds;
    events_result_t result = {
        .deliveries = (int64_t *) zmalloc (sizeof (int64_t) * n),
        .slowest = (int64_t *) zmalloc (sizeof (int64_t) * (size_t) options->rounds) };
    double cpu = bench_cpu_seconds (self.broker_pid);
    double wait = bench_runqueue_seconds (self.broker_pid);
    probe_t *probe = probe_new (self.request_ep);
    s_rounds (&self, options, group, &result);
    probe_stop (probe, &result.probe);
    probe_destroy (&probe);
    result.broker_cpu = bench_cpu_seconds (self.broker_pid) - cpu;
    result.broker_wait = bench_runqueue_seconds (self.broker_pid) - wait;
    s_report (options, &result);
    if (result.failure)
        fprintf (stderr, "fshare-bench: events: the run failed: %s\n", result.failure);
    code = result.failure? 1: 0;
    free (result.deliveries);
    free (result.slowest);
done:
    simgroup_destroy (&group);
    bench_stop (self.owner_pid);
    bench_stop (self.broker_pid);
    bench_remove_dir (&self);
    return code;
}
