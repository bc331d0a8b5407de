/*  socat.c - fshare-bench relay's yardstick: the same file through
    sender -> socat relay -> receiver, all socat, on 127.0.0.1. See relay.h.

    The relay in the middle is what fshare's broker is compared with; it
    runs with socat's default buffers (8 KiB) and with -b 1048576 given
    to all three socat processes (sender, relay, receiver). The
    receiver's output is fsynced (inside the timing, as fshare's requester
    fsyncs its download) and compared byte for byte with the source.
*/
#include "relay.h"

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
            zclock_sleep (5);   //  pacing the polls of /proc
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

bool
relay_have_socat (void)
{
    return system ("command -v socat >/dev/null 2>&1") == 0;
}

static int
s_fsync_path (const char *path)
{
    int fd = open (path, O_RDONLY);
    if (fd == -1)
        return -1;
    int rc = fsync (fd);
    close (fd);
    return rc;
}

//  The receiver has finished (its exit status is 0) and the output is
//  fsynced: the time from the sender's start. The reserve, if any, follows
//  the output as it grows.
static int64_t
s_finish (pid_t receiver, const char *output, reserve_t *reserve, int64_t t0)
{
    int status = -1;
    pid_t reaped = 0;
    while (reserve && reaped == 0) {
        reserve_follow (reserve, output);
        reaped = waitpid (receiver, &status, WNOHANG);
        if (reaped == 0)
            zclock_sleep (5);   //  pacing the reserve's polls of the output
    }
    if (!reserve)
        waitpid (receiver, &status, 0);
    if (status != 0 || s_fsync_path (output))
        return -1;
    return bench_usecs () - t0;
}

//  The relay exits once both sides have closed; its CPU seconds.
static double
s_reap_relay (pid_t relay)
{
    double before = bench_rusage_seconds (RUSAGE_CHILDREN);
    int status;
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (waitpid (relay, &status, WNOHANG) == 0) {
        if (zclock_mono () > deadline) {
            kill (relay, SIGTERM);
            waitpid (relay, &status, 0);
            return 0;
        }
        zclock_sleep (2);       //  pacing the polls: socat closes at once
    }
    return bench_rusage_seconds (RUSAGE_CHILDREN) - before;
}

int
relay_socat_run (const char *dir, const char *source, uint64_t size, long buffer,
                 reserve_t *reserve, relay_sample_t *sample)
{
    int relay_port = bench_free_port (), receiver_port = bench_free_port ();
    char *output = zsys_sprintf ("%s/socat.out", dir);
    char *file = zsys_sprintf ("OPEN:%s", source);
    char *sink = zsys_sprintf ("CREATE:%s", output);
    char *listen_receiver = zsys_sprintf ("TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr", receiver_port);
    char *listen_relay = zsys_sprintf ("TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr", relay_port);
    char *to_receiver = zsys_sprintf ("TCP:127.0.0.1:%d", receiver_port);
    char *to_relay = zsys_sprintf ("TCP:127.0.0.1:%d", relay_port);
    char *bytes = zsys_sprintf ("%ld", buffer);
    //  -b goes to all three: with it on the relay alone the ends' 8 KiB
    //  reads and writes set the pace and the yardstick is a weak one
    char *receiver_args [] = { "socat", "-u", buffer? "-b": listen_receiver, buffer? bytes: sink,
                               buffer? listen_receiver: NULL, sink, NULL };
    char *relay_args [] = { "socat", buffer? "-b": listen_relay, buffer? bytes: to_receiver,
                            buffer? listen_relay: NULL, to_receiver, NULL };
    char *sender_args [] = { "socat", "-u", buffer? "-b": file, buffer? bytes: to_relay,
                             buffer? file: NULL, to_relay, NULL };
    int64_t took = -1;
    pid_t receiver = s_run (receiver_args), relay = -1, sender = -1;
    if (receiver > 0 && s_wait_listening (receiver_port)) {
        relay = s_run (relay_args);
        if (relay > 0 && s_wait_listening (relay_port)) {
            int64_t t0 = bench_usecs ();
            sender = s_run (sender_args);
            took = s_finish (receiver, output, reserve, t0);
            receiver = -1;
        }
    }
    //  Sender and receiver are reaped first, so that the children's CPU
    //  total grows by the relay's alone in s_reap_relay
    bench_stop (sender);
    bench_stop (receiver);
    double cpu = relay > 0? s_reap_relay (relay): 0;
    int rc = -1;
    if (took > 0) {
        sample->gbps = (double) size / (double) took / 1000.0;
        sample->cpu [0] = cpu / ((double) size / (1024.0 * 1024 * 1024));
        sample->verified = relay_same_content (source, output, size);
        rc = sample->verified? 0: -1;
        if (!sample->verified)
            fprintf (stderr, "fshare-bench: socat's output differs from the source\n");
    }
    unlink (output);
    zstr_free (&output);
    zstr_free (&file);
    zstr_free (&sink);
    zstr_free (&listen_receiver);
    zstr_free (&listen_relay);
    zstr_free (&to_receiver);
    zstr_free (&to_relay);
    zstr_free (&bytes);
    return rc;
}
