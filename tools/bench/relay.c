/*  relay.c - fshare-bench relay: one file owner -> broker -> requester,
    beside socat byte relays. See bench.h.
*/
#include "bench.h"

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
    int64_t t0 = bench_usecs ();
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
                took = bench_usecs () - t0;
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
    int relay_port = bench_free_port (), receiver_port = bench_free_port ();
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
            int64_t t0 = bench_usecs ();
            sender = s_run (sender_args);
            int status = -1;
            waitpid (receiver, &status, 0);
            receiver = -1;
            struct stat st;
            if (status == 0 && stat (output, &st) == 0 && (uint64_t) st.st_size == size)
                took = bench_usecs () - t0;
        }
    }
    bench_stop (sender);
    bench_stop (relay);
    bench_stop (receiver);
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
    int64_t t0 = bench_usecs ();
    for (size_t done = 0; done < size; done += 256 * 1024)
        digest_update (digest, data + done, 256 * 1024);
    digest_final (digest, out);
    *openssl = s_gbps (size, bench_usecs () - t0);
    digest_destroy (&digest);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    t0 = bench_usecs ();
    for (size_t done = 0; done < size; done += 256 * 1024)
        crypto_hash_sha256_update (&state, data + done, 256 * 1024);
    crypto_hash_sha256_final (&state, out);
    *libsodium = s_gbps (size, bench_usecs () - t0);
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

int
bench_relay (const bench_options_t *options)
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
    if (bench_start_broker (&self, options)
    ||  bench_start_agent (&self, options, "owner", &self.owner_pid)
    ||  bench_start_agent (&self, options, "peer0", &self.requester_pid))
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
    bench_stop (self.requester_pid);
    bench_stop (self.owner_pid);
    bench_stop (self.broker_pid);
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

