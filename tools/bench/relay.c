/*  relay.c - fshare-bench relay: one file owner -> broker -> requester
    through the real programs, beside socat byte relays of the same file
    in the same run. See relay.h.

    Each run moves the file once through every path, interleaved (fshare,
    fshare under CURVE with --curve, socat with default buffers, socat with
    -b 1048576), so that the machine's moods of the moment touch them all
    alike; medians over the runs are what the table shows. Every output is
    compared byte for byte with the source. CPU is read from /proc (utime
    + stime of every thread) before and after each run; the owner's
    publish-time digest of the file is waited out before the first run and
    reported on its own. Before each timed transfer the bench writes the
    file's size of memory and holds it, freeing it just ahead of the
    receiver's file as that grows (reserve.c): on a virtual machine whose
    host takes free memory back, the receiving side would otherwise pay for
    the host's page faults, and by far more than for the transfer
    (--no-warm shows it).
*/
#include "relay.h"
#include "tlink.h"
#include "ctlclient.h"
#include "reserve.h"
#include <sys/statvfs.h>

#define RELAY_FILE      "relay.bin"
#define PATTERN_BYTES   (1024 * 1024)
#define MAX_RUNS        64

enum { PATH_FSHARE, PATH_CURVE, PATH_SOCAT, PATH_SOCAT_1M, PATHS };
static const char *s_path_names [PATHS] = { "fshare", "fshare_curve", "socat_default", "socat_1m" };
static const char *s_process_names [3] = { "broker", "owner", "requester" };

typedef struct {
    bench_t trio [2];           //  plain, CURVE
    bool made [2];              //  its temp dir exists
    char *source;               //  the owner's file (the plain trio's)
    relay_sample_t samples [PATHS][MAX_RUNS];
    int count [PATHS];
    double publish_cpu [2];     //  the owner's CPU before the first run
    cipher_speed_t cipher [CIPHER_BLOCKS];
    double sha_openssl, sha_libsodium;
    double write_cost;          //  CPU s/GiB to write the file (speeds.c)
    double warm [PATHS * MAX_RUNS];     //  the warm-ups' CPU s/GiB
    int warm_count;
} relay_t;

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
    if (fsync (fd) || close (fd))
        rc = -1;
    return rc;
}

bool
relay_same_content (const char *a, const char *b, uint64_t size)
{
    FILE *fa = fopen (a, "rb"), *fb = fopen (b, "rb");
    bool same = fa && fb;
    char *x = (char *) malloc (PATTERN_BYTES), *y = (char *) malloc (PATTERN_BYTES);
    uint64_t total = 0;
    while (same) {
        size_t got_a = fread (x, 1, PATTERN_BYTES, fa), got_b = fread (y, 1, PATTERN_BYTES, fb);
        same = got_a == got_b && memcmp (x, y, got_a) == 0;
        total += got_a;
        if (got_a == 0)
            break;
    }
    free (x);
    free (y);
    if (fa)
        fclose (fa);
    if (fb)
        fclose (fb);
    return same && total == size;
}

//  One download through the requester's agent: usecs it took (or -1),
//  and the downloaded file's path in *output (caller frees). The reserve,
//  if any, follows the download's partial file.
static int64_t
s_relay_get (bench_t *self, uint64_t size, reserve_t *reserve, char **output)
{
    char *partial = zsys_sprintf ("%s/peer0_downloads/.%s.fshare-part", self->dir, RELAY_FILE);
    char *control = zsys_sprintf ("ipc://%s/peer0.ctl", self->dir);
    zsock_t *ctl = zsock_new_dealer (control);
    zstr_free (&control);
    char *args [2] = { "owner", RELAY_FILE };
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "get";
    request.args = args;
    request.n_args = 2;
    int64_t t0 = bench_usecs (), took = -1;
    //  Generous: 10 MB/s would already be a failure of its own
    int64_t deadline = zclock_mono () + 30000 + (int64_t) (size / 10000);
    fsh_pack_send (&request.base, ctl, NULL);
    zpoller_t *poller = zpoller_new (ctl, NULL);
    bool done = false;
    while (!done && zclock_mono () < deadline) {
        reserve_follow (reserve, partial);
        //  Often enough that the reserve's lead (64 MiB) is never used up
        if (!zpoller_wait (poller, reserve? 10: 1000))
            continue;
        Fshare__CtlReply *reply = (Fshare__CtlReply *) fsh_recv_unpack (
            ctl, &fshare__ctl_reply__descriptor, NULL);
        if (!reply)
            break;
        if (!reply->more) {
            done = true;
            if (reply->status == FSHARE__STATUS__STATUS_OK && reply->get && reply->get->path) {
                took = bench_usecs () - t0;
                *output = strdup (reply->get->path);
            }
            else
                fprintf (stderr, "fshare-bench: the download failed: %s\n", reply->error);
        }
        fsh_ctl_reply_free (&reply);
    }
    if (!done)
        fprintf (stderr, "fshare-bench: the download did not finish in time\n");
    zpoller_destroy (&poller);
    zsock_destroy (&ctl);
    zstr_free (&partial);
    return took;
}

//  Memory the next transfer can write without the host's faults (speeds.c).
//  Memory the next transfer's writer gets warm (reserve.h), or NULL.
static reserve_t *
s_warm (relay_t *self, const bench_options_t *options)
{
    if (!options->warm)
        return NULL;
    reserve_t *reserve = reserve_new (options->size);
    if (reserve && self->warm_count < PATHS * MAX_RUNS)
        self->warm [self->warm_count++] = reserve_fill_cost (reserve);
    return reserve;
}

static double
s_warm_max (relay_t *self)
{
    double max = 0;
    for (int i = 0; i < self->warm_count; i++)
        max = self->warm [i] > max? self->warm [i]: max;
    return max;
}

//  One run of fshare: throughput, CPU per GiB, peak RSS, verified output.
static int
s_fshare_run (relay_t *self, int which, const bench_options_t *options,
              relay_sample_t *sample)
{
    bench_t *trio = &self->trio [which];
    uint64_t size = options->size;
    pid_t pids [3] = { trio->broker_pid, trio->owner_pid, trio->requester_pid };
    double before [3];
    for (int i = 0; i < 3; i++)
        before [i] = bench_cpu_seconds (pids [i]);
    char *output = NULL;
    reserve_t *reserve = s_warm (self, options);
    int64_t took = s_relay_get (trio, size, reserve, &output);
    reserve_destroy (&reserve);
    if (took <= 0)
        return -1;
    for (int i = 0; i < 3; i++) {
        sample->cpu [i] = (bench_cpu_seconds (pids [i]) - before [i]) / ((double) size / GIB);
        sample->rss_kib [i] = bench_vmhwm_kib (pids [i]);
    }
    sample->gbps = (double) size / (double) took / 1000.0;
    sample->verified = relay_same_content (self->source, output, size);
    unlink (output);
    zstr_free (&output);
    if (!sample->verified)
        fprintf (stderr, "fshare-bench: the download differs from the source\n");
    return sample->verified? 0: -1;
}

//  The owner digests its file when it publishes it (SPEC 4.5): wait until
//  its CPU stands still, so that no run counts that work.
static double
s_wait_owner_idle (pid_t owner)
{
    double last = bench_cpu_seconds (owner);
    int64_t deadline = zclock_mono () + DEADLINE_MS * 6;
    while (zclock_mono () < deadline) {
        zclock_sleep (300);     //  sampling the CPU counter, not synchronising
        double now = bench_cpu_seconds (owner);
        if (now - last < 0.02)
            return now;
        last = now;
    }
    return last;
}

//  Every trio's file exists before any agent starts: a hard link changes the
//  file's ctime, and an owner that had already taken the digest would then
//  miss its known digest and hash while serving.
static int
s_make_trio_file (relay_t *self, int which, const bench_options_t *options)
{
    bench_t *trio = &self->trio [which];
    char *files = zsys_sprintf ("%s/owner_files", trio->dir);
    char *path = zsys_sprintf ("%s/%s", files, RELAY_FILE);
    int rc = mkdir (files, 0755);
    if (rc == 0 && which == PATH_FSHARE) {
        rc = s_make_file (path, options->size);
        self->source = strdup (path);
    }
    else
    if (rc == 0)
        rc = link (self->source, path);     //  the same file, not a copy
    if (rc)
        fprintf (stderr, "fshare-bench: cannot write %s: %s\n", path, strerror (errno));
    zstr_free (&files);
    zstr_free (&path);
    return rc;
}

static int
s_start_trio (relay_t *self, int which, const bench_options_t *options)
{
    bench_t *trio = &self->trio [which];
    bench_options_t trio_options = *options;
    trio_options.curve = which == PATH_CURVE;
    if (bench_start_broker (trio, &trio_options)
    ||  bench_start_agent (trio, &trio_options, "owner", &trio->owner_pid)
    ||  bench_start_agent (trio, &trio_options, "peer0", &trio->requester_pid))
        return -1;
    self->publish_cpu [which] = s_wait_owner_idle (trio->owner_pid);
    return 0;
}

static double
s_median_of (relay_t *self, int path, int field)
{
    double values [MAX_RUNS];
    for (int i = 0; i < self->count [path]; i++)
        values [i] = field < 0? self->samples [path][i].gbps: self->samples [path][i].cpu [field];
    return bench_median (values, self->count [path]);
}

static uint64_t
s_rss_of (relay_t *self, int path, int process)
{
    uint64_t peak = 0;
    for (int i = 0; i < self->count [path]; i++)
        if (self->samples [path][i].rss_kib [process] > peak)
            peak = self->samples [path][i].rss_kib [process];
    return peak;
}

//  The cipher speed at fshare's chunk size (or the nearest measured).
static const cipher_speed_t *
s_cipher_at_chunk (relay_t *self)
{
    const cipher_speed_t *best = &self->cipher [CIPHER_BLOCKS - 1];
    for (int i = 0; i < CIPHER_BLOCKS; i++)
        if (self->cipher [i].block >= TRANSFER_CHUNK) {
            best = &self->cipher [i];
            break;
        }
    return best;
}

static double
s_four_passes (const cipher_speed_t *speed)
{
    return 2 * speed->seal_s_per_gib + 2 * speed->open_s_per_gib;
}

//  CURVE's extra CPU per GiB: all three processes, CURVE minus plain.
static double
s_curve_extra (relay_t *self)
{
    double extra = 0;
    for (int i = 0; i < 3; i++)
        extra += s_median_of (self, PATH_CURVE, i) - s_median_of (self, PATH_FSHARE, i);
    return extra;
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

static json_t *
s_path_json (relay_t *self, int path)
{
    json_t *runs = json_array ();
    bool verified = self->count [path] > 0;
    for (int i = 0; i < self->count [path]; i++) {
        json_array_append_new (runs, json_real (self->samples [path][i].gbps));
        verified = verified && self->samples [path][i].verified;
    }
    json_t *obj = json_pack ("{s:o, s:f, s:b}", "gbps", runs,
                             "median_gbps", s_median_of (self, path, -1), "verified", verified);
    if (path == PATH_SOCAT || path == PATH_SOCAT_1M) {
        json_object_set_new (obj, "relay_cpu_s_per_gib", json_real (s_median_of (self, path, 0)));
        return obj;
    }
    json_t *cpu = json_object (), *rss = json_object ();
    for (int i = 0; i < 3; i++) {
        json_object_set_new (cpu, s_process_names [i], json_real (s_median_of (self, path, i)));
        json_object_set_new (rss, s_process_names [i], json_integer ((json_int_t) s_rss_of (self, path, i)));
    }
    json_object_set_new (obj, "cpu_s_per_gib", cpu);
    json_object_set_new (obj, "peak_rss_kib", rss);
    json_object_set_new (obj, "owner_publish_cpu_s",
                         json_real (self->publish_cpu [path == PATH_CURVE]));
    return obj;
}

//  CPU seconds per GiB of SHA-256 (OpenSSL, as the requester hashes)
static double
s_sha_cost (relay_t *self)
{
    return self->sha_openssl > 0? GIB / 1e9 / self->sha_openssl: 0;
}

static double
s_ratio (relay_t *self, int a, int b)
{
    double below = s_median_of (self, b, -1);
    return self->count [a] && self->count [b] && below > 0? s_median_of (self, a, -1) / below: 0;
}

//  The median of the runs' own ratios: each run moves the file through
//  every path one after the other, so a run's ratio shares its moment's
//  noise, which the ratio of two medians (from different runs) does not.
static double
s_run_ratio (relay_t *self, int a, int b)
{
    int runs = self->count [a] < self->count [b]? self->count [a]: self->count [b];
    double ratios [MAX_RUNS];
    for (int i = 0; i < runs; i++)
        ratios [i] = self->samples [b][i].gbps > 0?
            self->samples [a][i].gbps / self->samples [b][i].gbps: 0;
    return runs? bench_median (ratios, runs): 0;
}

static void
s_report_json (relay_t *self, const bench_options_t *options, const char *base)
{
    json_t *obj = json_pack ("{s:s, s:I, s:i, s:s, s:s, s:b}", "bench", "relay",
                             "size", (json_int_t) options->size, "runs", options->runs,
                             "transport", options->ipc? "ipc": "tcp", "dir", base,
                             "curve", options->curve);
    for (int path = 0; path < PATHS; path++)
        if (self->count [path])
            json_object_set_new (obj, s_path_names [path], s_path_json (self, path));
    json_object_set_new (obj, "ratios", json_pack ("{s:f, s:f, s:f}",
        "fshare_vs_socat_1m", s_ratio (self, PATH_FSHARE, PATH_SOCAT_1M),
        "fshare_vs_socat_default", s_ratio (self, PATH_FSHARE, PATH_SOCAT),
        "curve_vs_plain", s_ratio (self, PATH_CURVE, PATH_FSHARE)));
    json_object_set_new (obj, "run_ratios", json_pack ("{s:f, s:f, s:f}",
        "fshare_vs_socat_1m", s_run_ratio (self, PATH_FSHARE, PATH_SOCAT_1M),
        "fshare_vs_socat_default", s_run_ratio (self, PATH_FSHARE, PATH_SOCAT),
        "curve_vs_plain", s_run_ratio (self, PATH_CURVE, PATH_FSHARE)));
    if (options->curve) {
        json_t *cipher = json_array ();
        for (int i = 0; i < CIPHER_BLOCKS; i++)
            json_array_append_new (cipher, json_pack ("{s:I, s:f, s:f, s:f}",
                "block", (json_int_t) self->cipher [i].block,
                "seal_s_per_gib", self->cipher [i].seal_s_per_gib,
                "open_s_per_gib", self->cipher [i].open_s_per_gib,
                "four_passes_s_per_gib", s_four_passes (&self->cipher [i])));
        double four = s_four_passes (s_cipher_at_chunk (self));
        json_object_set_new (obj, "cipher", cipher);
        json_object_set_new (obj, "curve_extra_cpu_s_per_gib", json_real (s_curve_extra (self)));
        json_object_set_new (obj, "four_passes_s_per_gib", json_real (four));
        json_object_set_new (obj, "curve_extra_vs_four_passes",
                             json_real (four > 0? s_curve_extra (self) / four: 0));
    }
    if (self->warm_count)
        json_object_set_new (obj, "warmup_cpu_s_per_gib", json_pack ("{s:f, s:f}",
            "median", bench_median (self->warm, self->warm_count), "max", s_warm_max (self)));
    else
        json_object_set_new (obj, "warmup_cpu_s_per_gib", json_null ());
    json_object_set_new (obj, "sha256_gbps", json_pack ("{s:f, s:f}",
        "openssl", self->sha_openssl, "libsodium", self->sha_libsodium));
    if (self->write_cost >= 0)
        json_object_set_new (obj, "requester_floor_s_per_gib", json_pack ("{s:f, s:f, s:f}",
            "write", self->write_cost, "sha256", s_sha_cost (self),
            "total", self->write_cost + s_sha_cost (self)));
    else
        json_object_set_new (obj, "requester_floor_s_per_gib", json_null ());
    bench_print_json (obj);
}

static void
s_report_path (relay_t *self, int path, const char *label)
{
    if (!self->count [path])
        return;
    printf ("  %-14s %6.3f  ", label, s_median_of (self, path, -1));
    if (path == PATH_SOCAT || path == PATH_SOCAT_1M)
        printf ("relay %5.2f %28s", s_median_of (self, path, 0), "");
    else
        printf ("%5.2f %5.2f %5.2f   %6.1f %6.1f %6.1f", s_median_of (self, path, 0),
                s_median_of (self, path, 1), s_median_of (self, path, 2),
                (double) s_rss_of (self, path, 0) / 1024, (double) s_rss_of (self, path, 1) / 1024,
                (double) s_rss_of (self, path, 2) / 1024);
    printf ("  ");
    for (int i = 0; i < self->count [path]; i++)
        printf (" %.3f", self->samples [path][i].gbps);
    printf ("\n");
}

static void
s_report (relay_t *self, const bench_options_t *options, const char *base)
{
    if (options->json) {
        s_report_json (self, options, base);
        return;
    }
    printf ("relay: %" PRIu64 " bytes owner -> broker -> requester, %s, files in %s, "
            "%d runs (medians; every output compared byte for byte)\n", options->size,
            options->ipc? "ipc": "tcp loopback", base, options->runs);
    printf ("  %-14s %6s   %-17s   %-20s   %s\n", "", "GB/s", "CPU s/GiB b/o/r",
            "peak RSS MiB b/o/r", "runs GB/s");
    s_report_path (self, PATH_FSHARE, "fshare");
    s_report_path (self, PATH_CURVE, "fshare CURVE");
    s_report_path (self, PATH_SOCAT, "socat default");
    s_report_path (self, PATH_SOCAT_1M, "socat -b 1M");
    printf ("  ratios (of the medians; median of each run's own in brackets):");
    if (self->count [PATH_SOCAT_1M])
        printf (" fshare / socat -b 1M %.2f (%.2f), fshare / socat default %.2f (%.2f)",
                s_ratio (self, PATH_FSHARE, PATH_SOCAT_1M), s_run_ratio (self, PATH_FSHARE, PATH_SOCAT_1M),
                s_ratio (self, PATH_FSHARE, PATH_SOCAT), s_run_ratio (self, PATH_FSHARE, PATH_SOCAT));
    else
        printf (" no socat comparison (--no-socat, or socat missing)");
    if (options->curve)
        printf ("%s CURVE / plain %.2f (%.2f)", self->count [PATH_SOCAT_1M]? ",": "",
                s_ratio (self, PATH_CURVE, PATH_FSHARE), s_run_ratio (self, PATH_CURVE, PATH_FSHARE));
    printf ("\n  the owner's publish-time digest (not in the runs): %.2f s CPU\n",
            self->publish_cpu [0]);
    if (options->curve) {
        const cipher_speed_t *chunk = s_cipher_at_chunk (self);
        double four = s_four_passes (chunk), extra = s_curve_extra (self);
        printf ("  CURVE extra CPU (3 processes, CURVE - plain) %.2f s/GiB; four passes of\n"
                "    XSalsa20-Poly1305 at %zu KiB blocks %.2f s/GiB; extra / four passes %.2f\n",
                extra, chunk->block / 1024, four, four > 0? extra / four: 0);
        for (int i = 0; i < CIPHER_BLOCKS; i++)
            printf ("    %4zu KiB blocks: seal %.3f, open %.3f, four passes %.2f s/GiB\n",
                    self->cipher [i].block / 1024, self->cipher [i].seal_s_per_gib,
                    self->cipher [i].open_s_per_gib, s_four_passes (&self->cipher [i]));
    }
    if (self->warm_count)
        printf ("  memory warm-up before each transfer: %.2f s CPU/GiB median, %.2f max\n"
                "    (warm memory costs about 0.3 here; more is memory the host took back)\n",
                bench_median (self->warm, self->warm_count), s_warm_max (self));
    else
        printf ("  no memory warm-up (--no-warm): fresh memory may be in the figures\n");
    printf ("  SHA-256 per CPU second: OpenSSL %.2f GB, libsodium %.2f GB (fshare uses OpenSSL)\n",
            self->sha_openssl, self->sha_libsodium);
    if (self->write_cost >= 0)
        printf ("  the requester's floor: writing the file in %s %.2f + SHA-256 %.2f = %.2f s CPU/GiB\n"
                "    (before a byte is received; fshare's requester above is %.2f over it)\n",
                base, self->write_cost, s_sha_cost (self), self->write_cost + s_sha_cost (self),
                s_median_of (self, PATH_FSHARE, 2) - self->write_cost - s_sha_cost (self));
    else
        printf ("  the requester's floor: writing a file in %s failed\n", base);
}

//  Bytes of RAM the kernel says it can give without swapping, or 0
static uint64_t
s_mem_available (void)
{
    FILE *file = fopen ("/proc/meminfo", "r");
    unsigned long long kib = 0;
    char line [256];
    while (file && fgets (line, sizeof line, file))
        if (sscanf (line, "MemAvailable: %llu kB", &kib) == 1)
            break;
    if (file)
        fclose (file);
    return (uint64_t) kib * 1024;
}

//  Whether --dir holds what the run writes (the source, hard-linked for
//  CURVE, and one download or floor file beside it at a time) and RAM the
//  warm-up reserve of the same size: else said, before anything starts.
//  A size that fits neither filled /dev/shm and woke the OOM killer.
static bool
s_room_enough (const char *base, const bench_options_t *options)
{
    struct statvfs fs;
    if (statvfs (base, &fs)) {
        fprintf (stderr, "fshare-bench: --dir %s: %s\n", base, strerror (errno));
        return false;
    }
    uint64_t free_bytes = (uint64_t) fs.f_bavail * fs.f_frsize;
    bool fits = options->size <= UINT64_MAX / 2 && 2 * options->size <= free_bytes;
    if (!fits)
        fprintf (stderr, "fshare-bench: --size %" PRIu64 " needs twice that free in %s, "
                 "which has %" PRIu64 " bytes\n", options->size, base, free_bytes);
    uint64_t ram = options->warm? s_mem_available (): 0;
    if (fits && options->warm && ram && options->size > ram) {
        fprintf (stderr, "fshare-bench: --size %" PRIu64 " needs as much RAM for the "
                 "memory warm-up, and %" PRIu64 " bytes are available (--no-warm skips it)\n",
                 options->size, ram);
        fits = false;
    }
    return fits;
}

int
bench_relay (const bench_options_t *options)
{
    const char *base = s_relay_base (options);
    if (!s_room_enough (base, options))
        return 1;
    relay_t self = { .count = { 0 } };
    int code = 1, trios = options->curve? 2: 1;
    for (int which = 0; which < trios; which++) {
        if (bench_make_dir (&self.trio [which], base))
            goto done;
        self.made [which] = true;
        if (s_make_trio_file (&self, which, options))
            goto done;
    }
    for (int which = 0; which < trios; which++)
        if (s_start_trio (&self, which, options))
            goto done;
    bool socat = options->socat && relay_have_socat ();
    for (int run = 0; run < options->runs; run++) {
        for (int which = 0; which < trios; which++) {
            if (s_fshare_run (&self, which, options,
                              &self.samples [which][self.count [which]++]))
                goto done;
        }
        for (int k = 0; socat && k < 2; k++) {
            int path = k? PATH_SOCAT_1M: PATH_SOCAT;
            reserve_t *reserve = s_warm (&self, options);
            int rc = relay_socat_run (self.trio [0].dir, self.source, options->size,
                                      k? 1048576: 0, reserve, &self.samples [path][self.count [path]++]);
            reserve_destroy (&reserve);
            if (rc) {
                fprintf (stderr, "fshare-bench: the socat relay failed\n");
                goto done;
            }
        }
    }
    if (options->curve)
        relay_cipher_speeds (self.cipher);
    relay_hash_speeds (&self.sha_openssl, &self.sha_libsodium);
    self.write_cost = relay_write_cost (self.trio [0].dir, options->size, options->warm);
    s_report (&self, options, base);
    code = 0;
done:
    for (int which = 0; which < 2; which++) {
        bench_t *trio = &self.trio [which];
        bench_stop (trio->requester_pid);
        bench_stop (trio->owner_pid);
        bench_stop (trio->broker_pid);
        if (self.made [which])
            bench_remove_dir (trio);
    }
    zstr_free (&self.source);
    return code;
}
