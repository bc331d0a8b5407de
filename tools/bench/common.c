/*  common.c - fshare-bench: the real programs in a temporary directory,
    and what a bench measures of them. See bench.h.
*/
#include "bench.h"

int64_t
bench_usecs (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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
    char *args [] = { NULL, "--listen", self->request_ep, "--publish", self->event_ep,
                      "--state-dir", self->dir, "--no-register",
                      //  The accounts are hashed at the minimum cost; the
                      //  dummy hash too, so that argon2's 64 MiB at start
                      //  does not hide what the broker needs to run
                      "--hash-cost", "min",
                      options->verbose? "-v": NULL, NULL };
    self->broker_pid = bench_spawn (self, "fshare-broker", args, "broker.log");
    return self->broker_pid > 0? 0: -1;
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
    char *args [] = { NULL, "--user", (char *) user, "--dir", dir, "--downloads", downloads,
                      "--broker", self->request_ep, "--control", control,
                      "--password-file", password, options->verbose? "-v": NULL, NULL };
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


void
bench_stop (pid_t pid)
{
    if (pid <= 0)
        return;
    kill (pid, SIGTERM);
    waitpid (pid, NULL, 0);
}

