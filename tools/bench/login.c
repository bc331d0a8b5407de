/*  login.c - fshare-bench login: N peers with M files each log in at once.
    See bench.h.

    The broker is the real program; the N peers are simulated (simpeer.h):
    each subscribes first (its subscription active at the broker before the
    storm), then all log in at once through proto/loginclient and publish
    their files in pages. Timed: from the first Login sent until every peer
    has received the last join page of every other peer. A sample of the
    peers keeps real views (peer/view.c), checked exact at the end against
    what every peer published; the others check the sequence of every event
    (a gap fails the run). Passwords are hashed at the broker's minimum
    test cost, so the storm times the broker's routing and fan-out; what
    argon2id at the real cost allows is measured beside it, with the
    broker's own hasher (two threads, 64 MiB a hash).
*/
#include "bench.h"
#include "hasher.h"
#include "probe.h"

typedef struct {
    int peers;
    int files;
    Fshare__FileInfo *infos;        //  peers x files
    Fshare__FileInfo **pointers;
    char *paths;                    //  peers x files x PATH_BYTES
    uint8_t *joined;                //  peers x peers: i has j's whole join
    int *joins;                     //  per peer: how many it has
    int converged;                  //  peers with every join
    int stats;                      //  stats events peer 0 has seen
    simgroup_t *group;
} storm_t;

#define PATH_BYTES  40

//  Peer p's files: "dNN/pP-fileFFFFF.dat", sizes and mtimes told apart by
//  p and f, so that a view holding another peer's file under p is caught.
static void
s_make_files (storm_t *self)
{
    size_t total = (size_t) self->peers * (size_t) self->files;
    self->infos = (Fshare__FileInfo *) zmalloc (sizeof (Fshare__FileInfo) * (total + 1));
    self->pointers = (Fshare__FileInfo **) zmalloc (sizeof (Fshare__FileInfo *) * (total + 1));
    self->paths = (char *) zmalloc (PATH_BYTES * (total + 1));
    for (size_t i = 0; i < total; i++) {
        int peer = (int) (i / (size_t) self->files), file = (int) (i % (size_t) self->files);
        char *path = self->paths + i * PATH_BYTES;
        snprintf (path, PATH_BYTES, "d%02d/p%d-file%05d.dat", file % 64, peer, file);
        Fshare__FileInfo init = FSHARE__FILE_INFO__INIT;
        self->infos [i] = init;
        self->infos [i].path = path;
        self->infos [i].size = (uint64_t) file * 1000 + (uint64_t) peer;
        self->infos [i].mtime = 1700000000 + file;
        self->infos [i].mode = 0644;
        self->pointers [i] = &self->infos [i];
    }
}

static void
s_on_event (void *arg, int index, const simpeer_event_t *event)
{
    storm_t *self = (storm_t *) arg;
    if (index == 0 && event->type == FSHARE__EVENT_TYPE__EVENT_STATS)
        self->stats++;
    if (event->type != FSHARE__EVENT_TYPE__EVENT_JOIN || event->more || !event->user
    ||  event->user_size < 5 || event->user_size > 12 || memcmp (event->user, "peer", 4) != 0)
        return;
    char digits [16];
    memcpy (digits, event->user + 4, event->user_size - 4);
    digits [event->user_size - 4] = 0;
    int other = atoi (digits);
    if (other < 0 || other >= self->peers || other == index)
        return;
    uint8_t *seen = &self->joined [(size_t) index * (size_t) self->peers + (size_t) other];
    if (*seen)
        return;
    *seen = 1;
    if (++self->joins [index] == self->peers - 1)
        self->converged++;
}

//  The broker gives freed memory back after it publishes stats: two
//  stats events after the storm, its RSS is what it keeps.
static bool
s_settled (void *arg)
{
    storm_t *self = (storm_t *) arg;
    return self->stats >= 2;
}

static bool
s_converged (void *arg)
{
    storm_t *self = (storm_t *) arg;
    if (self->converged < self->peers)
        return false;
    for (int i = 0; i < self->peers; i++)
        if (!simpeer_online (simgroup_peer (self->group, i)))
            return false;
    return true;
}

//  A sample peer's view holds exactly what every other peer published.
static const char *
s_check_view (storm_t *self, int index)
{
    view_t *view = simpeer_view (simgroup_peer (self->group, index));
    size_t users = view_user_count (view);
    if (users != (size_t) self->peers && users != (size_t) self->peers - 1)
        return "the view holds the wrong number of users";
    for (int p = 0; p < self->peers; p++) {
        if (p == index)
            continue;
        fileset_t *files = view_user_files (view, simpeer_user (simgroup_peer (self->group, p)));
        if (!files || fileset_size (files) != (size_t) self->files)
            return "a user's file count in the view differs from what was published";
        for (int f = 0; f < self->files; f++) {
            const Fshare__FileInfo *info = &self->infos [(size_t) p * (size_t) self->files + (size_t) f];
            const fileset_file_t *file = fileset_lookup (files, info->path);
            if (!file || file->size != info->size || file->mtime != info->mtime)
                return "a file in the view differs from what was published";
        }
    }
    return NULL;
}

//  argon2id verifications a second at the real cost, by the broker's
//  own hasher with two threads: the rate a storm of real logins meets.
//  *cpu_ms: CPU milliseconds a hash took (this process does nothing else
//  meanwhile), which a loaded machine does not inflate as it does the rate.
static double
s_argon2_rate (int jobs, double *cpu_ms)
{
    char *hash = passhash_new ("bench", PASSHASH_COST_INTERACTIVE);
    hasher_t *hasher = hash? hasher_new (2, PASSHASH_COST_INTERACTIVE): NULL;
    if (!hasher) {
        zstr_free (&hash);
        return 0;
    }
    int64_t t0 = bench_usecs ();
    double cpu = bench_rusage_seconds (RUSAGE_SELF);
    for (int i = 0; i < jobs; i++)
        hasher_verify (hasher, (uint64_t) i + 1, hash, "bench");
    int done = 0;
    zpoller_t *poller = zpoller_new (hasher_socket (hasher), NULL);
    while (done < jobs && zpoller_wait (poller, DEADLINE_MS)) {
        uint64_t ticket;
        bool ok;
        char *ignored = NULL;
        if (hasher_result (hasher, &ticket, &ok, &ignored))
            break;
        zstr_free (&ignored);
        done += ok;
    }
    double rate = done == jobs? (double) jobs / ((double) (bench_usecs () - t0) / 1e6): 0;
    *cpu_ms = done == jobs? (bench_rusage_seconds (RUSAGE_SELF) - cpu) * 1000 / jobs: 0;
    zpoller_destroy (&poller);
    hasher_destroy (&hasher);
    zstr_free (&hash);
    return rate;
}

typedef struct {
    double seconds;                 //  first Login -> every peer has every join
    uint64_t idle_kib, peak_kib, after_kib;
    double broker_cpu;
    double broker_wait;             //  runnable, waiting for a CPU
    int busy;                       //  logins the broker answered "busy"
    int views_checked;
    double argon2_per_s;
    double argon2_cpu_ms;           //  CPU per hash
    probe_result_t probe;           //  the broker's request loop meanwhile
    const char *failure;
} storm_result_t;

static void
s_report (const bench_options_t *options, storm_result_t *result)
{
    double files = (double) options->peers * (double) options->files;
    double peak_per_file = files > 0 && result->peak_kib > result->idle_kib
                         ? (double) (result->peak_kib - result->idle_kib) * 1024 / files: 0;
    double after_per_file = files > 0 && result->after_kib > result->idle_kib
                          ? (double) (result->after_kib - result->idle_kib) * 1024 / files: 0;
    if (options->json) {
        bench_print_json (json_pack (
            "{s:s, s:i, s:i, s:s, s:f, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:i, s:i, s:f, s:f,"
            " s:{s:i, s:f, s:f, s:f}, s:b, s:s}",
            "bench", "login", "peers", options->peers, "files", options->files,
            "transport", options->ipc? "ipc": "tcp", "converge_s", result->seconds,
            "broker_idle_rss_kib", (json_int_t) result->idle_kib,
            "broker_peak_rss_kib", (json_int_t) result->peak_kib,
            "broker_rss_after_kib", (json_int_t) result->after_kib,
            "peak_rss_bytes_per_file", peak_per_file, "rss_bytes_per_file", after_per_file,
            "broker_cpu_s", result->broker_cpu, "broker_runqueue_wait_s", result->broker_wait, "busy_refusals", result->busy,
            "views_checked", result->views_checked, "argon2id_logins_per_s", result->argon2_per_s,
            "argon2id_cpu_ms", result->argon2_cpu_ms,
            "broker_reply_ms", "samples", (int) result->probe.samples,
            "p50", result->probe.p50_ms, "p99", result->probe.p99_ms, "max", result->probe.max_ms,
            "ok", result->failure == NULL, "failure", result->failure? result->failure: ""));
        return;
    }
    printf ("login: %d peers x %d files log in at once (%s, passwords at the minimum cost)\n",
            options->peers, options->files, options->ipc? "ipc": "tcp loopback");
    printf ("  every peer has every join after   %.3f s (%d logins answered busy first)\n",
            result->seconds, result->busy);
    printf ("  broker CPU %.2f s; it waited %.2f s for a CPU while runnable (a loaded machine)\n",
            result->broker_cpu, result->broker_wait);
    printf ("  broker RSS: idle %.1f MiB, peak %.1f MiB, settled %.1f MiB (two stats events on)\n",
            (double) result->idle_kib / 1024, (double) result->peak_kib / 1024,
            (double) result->after_kib / 1024);
    printf ("  broker RSS per published file beyond idle: peak %.0f B, settled %.0f B\n",
            peak_per_file, after_per_file);
    printf ("  the broker's request loop meanwhile: a ping answered in p50 %.1f ms,"
            " p99 %.1f ms, max %.1f ms\n", result->probe.p50_ms, result->probe.p99_ms,
            result->probe.max_ms);
    printf ("  %d sample views checked exact against what was published\n",
            result->views_checked);
    printf ("  argon2id at the real cost (64 MiB, 2 hasher threads): %.1f logins/s here,\n"
            "    %.0f ms of CPU a hash (%.1f logins/s with both cores free)\n",
            result->argon2_per_s, result->argon2_cpu_ms,
            result->argon2_cpu_ms > 0? 2000 / result->argon2_cpu_ms: 0);
}

static void
s_add_peers (storm_t *self, bench_t *bench, const bench_options_t *options)
{
    int sample = options->sample < options->peers? options->sample: options->peers;
    for (int i = 0; i < options->peers; i++) {
        char user [32];
        snprintf (user, sizeof user, "peer%d", i);
        char *endpoint = bench_peer_endpoint (bench, i);
        //  The sample spread over the peers: early and late logins alike
        bool view = sample > 0 && i % (options->peers / sample) == 0
                 && i / (options->peers / sample) < sample;
        simpeer_config_t config = { .user = user, .password = "bench", .broker = endpoint,
                                    .events = bench->event_ep, .view = view,
                                    .zmq_sub = options->zmq_subscribers,
                                    .files = self->pointers + (size_t) i * (size_t) self->files,
                                    .n_files = (size_t) self->files };
        simgroup_add (self->group, simpeer_new (&config, i));
        zstr_free (&endpoint);
    }
}

//  The storm itself, once every subscriber is listening.
static void
s_storm (storm_t *self, bench_t *bench, storm_result_t *result)
{
    result->idle_kib = bench_vmrss_kib (bench->broker_pid);
    double cpu = bench_cpu_seconds (bench->broker_pid);
    double wait = bench_runqueue_seconds (bench->broker_pid);
    probe_t *probe = probe_new (bench->request_ep);
    int64_t t0 = bench_usecs ();
    int rc = simgroup_login (self->group);
    if (rc == 0)
        rc = simgroup_run (self->group, DEADLINE_MS * 12, s_converged, s_on_event, self);
    probe_stop (probe, &result->probe);
    probe_destroy (&probe);
    result->broker_cpu = bench_cpu_seconds (bench->broker_pid) - cpu;
    result->broker_wait = bench_runqueue_seconds (bench->broker_pid) - wait;
    if (rc) {
        result->failure = simgroup_failure (self->group);
        result->seconds = (double) (bench_usecs () - t0) / 1e6;
        return;
    }
    result->seconds = (double) (bench_usecs () - t0) / 1e6;
    result->peak_kib = bench_vmhwm_kib (bench->broker_pid);
    self->stats = 0;
    if (simgroup_run (self->group, DEADLINE_MS, s_settled, s_on_event, self)) {
        result->failure = simgroup_failure (self->group);
        return;
    }
    result->after_kib = bench_vmrss_kib (bench->broker_pid);
    for (int i = 0; i < self->peers && !result->failure; i++) {
        simpeer_t *peer = simgroup_peer (self->group, i);
        result->busy += simpeer_busy_refusals (peer);
        if (!simpeer_view (peer))
            continue;
        result->failure = s_check_view (self, i);
        result->views_checked++;
    }
}

int
bench_login (const bench_options_t *options)
{
    bench_t bench = { .broker_pid = 0 };
    if (bench_make_dir (&bench, NULL))
        return 1;
    storm_t self = { .peers = options->peers, .files = options->files,
                     .group = simgroup_new () };
    self.joined = (uint8_t *) zmalloc ((size_t) self.peers * (size_t) self.peers);
    self.joins = (int *) zmalloc (sizeof (int) * (size_t) self.peers);
    s_make_files (&self);
    storm_result_t result = { .failure = NULL };
    if (bench_start_broker (&bench, options))
        result.failure = "the broker did not start";
    else {
        s_add_peers (&self, &bench, options);
        if (simgroup_subscribe (self.group, DEADLINE_MS))
            result.failure = simgroup_failure (self.group);
        else
            s_storm (&self, &bench, &result);
    }
    //  FSHARE_BENCH_HOLD=SECONDS: time to look at the broker (gdb, /proc)
    if (getenv ("FSHARE_BENCH_HOLD"))
        zclock_sleep (atoi (getenv ("FSHARE_BENCH_HOLD")) * 1000);
    char *failure = result.failure? strdup (result.failure): NULL;
    simgroup_destroy (&self.group);
    bench_stop (bench.broker_pid);
    result.failure = failure;
    if (!failure)
        result.argon2_per_s = s_argon2_rate (16, &result.argon2_cpu_ms);
    s_report (options, &result);
    if (failure)
        fprintf (stderr, "fshare-bench: login: the run failed: %s\n", failure);
    int code = failure? 1: 0;
    free (failure);
    bench_remove_dir (&bench);
    free (self.joined);
    free (self.joins);
    free (self.infos);
    free (self.pointers);
    free (self.paths);
    return code;
}
