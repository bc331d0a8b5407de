/*  common.c - fshare-bench: the real programs in a temporary directory,
    and what a bench measures of them. See bench.h.
*/
#include "bench.h"
#include "ctlclient.h"

int64_t
bench_clock_usecs (clockid_t clock)
{
    struct timespec ts;
    clock_gettime (clock, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
bench_usecs (void)
{
    return bench_clock_usecs (CLOCK_MONOTONIC);
}

int
bench_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

double
bench_percentile (int64_t *sorted, size_t count, double p)
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
int
bench_write_accounts (bench_t *self, int peers)
{
    char *path = zsys_sprintf ("%s/accounts", self->dir);
    accounts_t *accounts = accounts_new (path);
    char *hash = passhash_new ("bench", PASSHASH_COST_MIN);
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
int
bench_free_port (void)
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
pid_t
bench_spawn (bench_t *self, const char *program, char **args, const char *log)
{
    char exe [4096];
    ssize_t len = readlink ("/proc/self/exe", exe, sizeof exe - 64);
    if (len <= 0)
        return -1;
    exe [len] = 0;
    char *slash = strrchr (exe, '/');
    snprintf (slash + 1, sizeof exe - (size_t) (slash + 1 - exe), "%s", program);
    char *log_path = zsys_sprintf ("%s/%s", self->dir, log);
    char *state = zsys_sprintf ("%s/state", self->dir);
    pid_t pid = fork ();
    if (pid == 0) {
        //  The agents' state (instance id, digest database) stays in the
        //  bench dir: never the user's own, never shared between runs
        setenv ("XDG_STATE_HOME", state, 1);
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
    zstr_free (&state);
    return pid;
}

//  The broker logs "requests on ..." once both sockets are bound.
static int
s_wait_broker (bench_t *self)
{
    char *log = zsys_sprintf ("%s/broker.log", self->dir);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    bool ready = false;
    while (!ready && zclock_mono () < deadline) {
        FILE *file = fopen (log, "r");
        char line [1024];
        while (file && !ready && fgets (line, sizeof line, file))
            ready = strstr (line, ": requests on ") != NULL;
        if (file)
            fclose (file);
        if (!ready)
            zclock_sleep (10);  //  pacing the reads of its log
    }
    if (!ready)
        fprintf (stderr, "fshare-bench: the broker did not start (see %s)\n", log);
    zstr_free (&log);
    return ready? 0: -1;
}

//  The broker's CURVE key pair, made in the state dir before it starts.
static char *
s_broker_key (bench_t *self)
{
    char *args [] = { NULL, "--print-key", "--state-dir", self->dir, NULL };
    char *path = zsys_sprintf ("%s/broker.key", self->dir);
    unlink (path);
    pid_t pid = bench_spawn (self, "fshare-broker", args, "broker.key");
    int status = -1;
    if (pid > 0)
        waitpid (pid, &status, 0);
    char line [256];
    char *key = NULL;
    FILE *file = status == 0? fopen (path, "r"): NULL;
    //  The key is the line of 40 Z85 characters (logging may surround it)
    while (file && !key && fgets (line, sizeof line, file)) {
        line [strcspn (line, "\r\n")] = 0;
        if (strlen (line) == 40 && !strchr (line, ' '))
            key = strdup (line);
    }
    if (file)
        fclose (file);
    zstr_free (&path);
    return key;
}

int
bench_start_broker (bench_t *self, const bench_options_t *options)
{
    if (bench_write_accounts (self, options->peers)) {
        fprintf (stderr, "fshare-bench: cannot write the account file\n");
        return -1;
    }
    if (options->ipc) {
        self->request_ep = zsys_sprintf ("ipc://%s/req", self->dir);
        self->event_ep = zsys_sprintf ("ipc://%s/pub", self->dir);
    }
    else {
        self->request_ep = zsys_sprintf ("tcp://127.0.0.1:%d", bench_free_port ());
        self->event_ep = zsys_sprintf ("tcp://127.0.0.1:%d", bench_free_port ());
    }
    char heartbeat [16];
    snprintf (heartbeat, sizeof heartbeat, "%d", options->heartbeat_ms? options->heartbeat_ms: 1000);
    char *args [] = { NULL, "--listen", self->request_ep, "--publish", self->event_ep,
                      "--state-dir", self->dir, "--no-register",
                      //  The accounts are hashed at the minimum cost; the
                      //  dummy hash too, so that argon2's 64 MiB at start
                      //  does not hide what the broker needs to run
                      "--hash-cost", "min",
                      options->curve? "--curve": "--no-curve",
                      "--heartbeat", heartbeat,
                      options->verbose? "-v": NULL, NULL };
    if (options->curve && !(self->broker_key = s_broker_key (self))) {
        fprintf (stderr, "fshare-bench: fshare-broker --print-key failed\n");
        return -1;
    }
    self->broker_pid = bench_spawn (self, "fshare-broker", args, "broker.log");
    return self->broker_pid > 0? s_wait_broker (self): -1;
}

//  Ask the owner's agent for its state until it says online.
int
bench_wait_online (const char *control)
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
            Fshare__CtlReply *reply = (Fshare__CtlReply *) fsh_recv_unpack (
                ctl, &fshare__ctl_reply__descriptor, NULL);
            if (reply && reply->agent && streq (reply->agent->state, "online"))
                rc = 0;
            fsh_ctl_reply_free (&reply);
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
int
bench_start_agent (bench_t *self, const bench_options_t *options, const char *user, pid_t *pid)
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
    char *args [20] = { NULL, "--user", (char *) user, "--dir", dir, "--downloads", downloads,
                        "--broker", self->request_ep, "--control", control,
                        "--password-file", password };
    int count = 13;
    if (self->broker_key) {
        args [count++] = "--server-key";
        args [count++] = self->broker_key;
    }
    char settle [16];
    if (options->settle_ms >= 0) {
        snprintf (settle, sizeof settle, "%d", options->settle_ms);
        args [count++] = "--settle-ms";
        args [count++] = settle;
    }
    if (options->verbose)
        args [count++] = "-v";
    *pid = bench_spawn (self, "fshare-peer", args, log);
    int rc = *pid > 0? bench_wait_online (control): -1;
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

int
bench_start_owner (bench_t *self, const bench_options_t *options)
{
    return bench_start_agent (self, options, "owner", &self->owner_pid);
}


//  SIGTERM, and SIGKILL if that has not ended it within 10 s.
void
bench_stop (pid_t pid)
{
    if (pid <= 0)
        return;
    kill (pid, SIGTERM);
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (waitpid (pid, NULL, WNOHANG) == 0) {
        if (zclock_mono () > deadline) {
            fprintf (stderr, "fshare-bench: pid %d ignored SIGTERM; killed\n", (int) pid);
            kill (pid, SIGKILL);
            waitpid (pid, NULL, 0);
            return;
        }
        zclock_sleep (5);       //  pacing the polls for its exit
    }
}



void
bench_remove_dir (bench_t *self)
{
    zstr_free (&self->request_ep);
    zstr_free (&self->event_ep);
    zstr_free (&self->broker_key);
    //  FSHARE_BENCH_KEEP: leave the logs for a post-mortem
    if (getenv ("FSHARE_BENCH_KEEP")) {
        fprintf (stderr, "fshare-bench: kept %s\n", self->dir);
        return;
    }
    char *command = zsys_sprintf ("rm -rf '%s'", self->dir);
    if (system (command) != 0)
        fprintf (stderr, "fshare-bench: could not remove %s\n", self->dir);
    zstr_free (&command);
}

char *
bench_peer_endpoint (bench_t *self, int index)
{
    const char *port = strrchr (self->request_ep, ':');
    if (strncmp (self->request_ep, "tcp://", 6) != 0 || !port)
        return strdup (self->request_ep);
    //  Eight peers an address: 127.0.1.1, ...; never 127.0.0.1 itself
    int address = index / 8;
    return zsys_sprintf ("tcp://127.%d.%d.%d:0;127.0.0.1%s", 1 + address / 62500,
                         (address / 250) % 250, 1 + address % 250, port);
}

//  /proc/PID/NAME for reading, or NULL.
static FILE *
s_proc_open (pid_t pid, const char *name)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, name);
    return fopen (path, "r");
}

//  A "Name: N kB" line of /proc/PID/status, in KiB (0 if unknown).
static uint64_t
s_status_kib (pid_t pid, const char *name)
{
    FILE *file = s_proc_open (pid, "status");
    if (!file)
        return 0;
    char line [256];
    uint64_t kib = 0;
    size_t length = strlen (name);
    while (fgets (line, sizeof line, file))
        if (strncmp (line, name, length) == 0 && line [length] == ':') {
            kib = strtoull (line + length + 1, NULL, 10);
            break;
        }
    fclose (file);
    return kib;
}

uint64_t
bench_vmhwm_kib (pid_t pid)
{
    return s_status_kib (pid, "VmHWM");
}

uint64_t
bench_vmrss_kib (pid_t pid)
{
    return s_status_kib (pid, "VmRSS");
}

double
bench_cpu_seconds (pid_t pid)
{
    FILE *file = s_proc_open (pid, "stat");
    if (!file)
        return 0;
    char line [1024];
    double seconds = 0;
    if (fgets (line, sizeof line, file)) {
        //  After the command name (which may hold spaces and parentheses):
        //  the state is field 3, utime and stime fields 14 and 15
        char *cursor = strrchr (line, ')');
        unsigned long utime, stime;
        if (cursor && sscanf (cursor + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                              &utime, &stime) == 2)
            seconds = (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
    }
    fclose (file);
    return seconds;
}

double
bench_rusage_seconds (int who)
{
    struct rusage usage;
    if (getrusage (who, &usage))
        return 0;
    return (double) usage.ru_utime.tv_sec + (double) usage.ru_utime.tv_usec / 1e6
         + (double) usage.ru_stime.tv_sec + (double) usage.ru_stime.tv_usec / 1e6;
}

double
bench_runqueue_seconds (pid_t pid)
{
    char *path = zsys_sprintf ("/proc/%d/task", (int) pid);
    DIR *dir = opendir (path);
    zstr_free (&path);
    double seconds = 0;
    struct dirent *entry;
    while (dir && (entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;
        char file [320];
        snprintf (file, sizeof file, "/proc/%d/task/%s/schedstat", (int) pid, entry->d_name);
        FILE *stat = fopen (file, "r");
        unsigned long long running, waiting;
        if (stat && fscanf (stat, "%llu %llu", &running, &waiting) == 2)
            seconds += (double) waiting / 1e9;
        if (stat)
            fclose (stat);
    }
    if (dir)
        closedir (dir);
    return seconds;
}

static int
s_compare_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

double
bench_median (const double *values, int count)
{
    if (count <= 0)
        return 0;
    double *sorted = (double *) malloc (sizeof (double) * (size_t) count);
    memcpy (sorted, values, sizeof (double) * (size_t) count);
    qsort (sorted, (size_t) count, sizeof (double), s_compare_double);
    double median = count % 2? sorted [count / 2]
                             : (sorted [count / 2 - 1] + sorted [count / 2]) / 2;
    free (sorted);
    return median;
}

void
bench_print_json (json_t *obj)
{
    char *text = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (6));
    if (text)
        puts (text);
    free (text);
    json_decref (obj);
}

int
bench_make_dir (bench_t *self, const char *base)
{
    if (!base) {
        base = getenv ("TMPDIR");
        if (!base || !*base)
            base = "/tmp";
    }
    int length = snprintf (self->dir, sizeof self->dir, "%s/fshare-bench-XXXXXX", base);
    if (length < 0 || (size_t) length >= sizeof self->dir || !mkdtemp (self->dir)) {
        fprintf (stderr, "fshare-bench: cannot create a temp dir in %s: %s\n", base,
                 length < 0 || (size_t) length >= sizeof self->dir? "name too long"
                                                                 : strerror (errno));
        self->dir [0] = 0;
        return -1;
    }
    return 0;
}
