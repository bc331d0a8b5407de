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
#include "bench.h"
#include "logescape.h"

static const struct option s_options [] = {
    { "peers",   required_argument, NULL, 'n' },
    { "rounds",  required_argument, NULL, 'r' },
    { "ipc",     no_argument,       NULL, 'i' },
    { "zmq-subscribers", no_argument, NULL, 'Z' },
    { "size",    required_argument, NULL, 's' },
    { "runs",    required_argument, NULL, 'R' },
    { "dir",     required_argument, NULL, 'd' },
    { "no-socat", no_argument,      NULL, 'S' },
    { "no-warm", no_argument,       NULL, 'W' },
    { "curve",   no_argument,       NULL, 'C' },
    { "files",   required_argument, NULL, 'f' },
    { "sample",  required_argument, NULL, 'm' },
    { "heartbeat", required_argument, NULL, 'H' },
    { "settle-ms", required_argument, NULL, 'M' },
    { "json",    no_argument,       NULL, 'j' },
    FSH_OPTIONS_END
};

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: fshare-bench [options] events|login|relay\n"
        "  events              N peers, each keeping a real view; a file closed in\n"
        "                      one host directory; time until every view holds it\n"
        "  --peers N           simulated peers (default 100)\n"
        "  --rounds N          files to time (default 200)\n"
        "  --zmq-subscribers   a libzmq SUB socket per simulated peer instead of a\n"
        "                      bare ZMTP subscriber (costs this process far more)\n"
        "  --settle-ms MS      the owner's settle window (default the agent's: a\n"
        "                      new file then waits 25 ms for an editor's rename\n"
        "                      before its event); 0 times the event path alone\n"
        "  login               N peers with M files each log in at once: time until\n"
        "                      every peer has every join, broker RSS per file, and\n"
        "                      argon2id logins per second at the real cost\n"
        "  --peers N --files M the storm's size (default 200 x 1000)\n"
        "  --sample N          peers keeping a real view, checked exact (default 4)\n"
        "  --heartbeat MS      the broker's heartbeat (default 1000); a peer silent\n"
        "                      for 3 of them is gone, and a loaded machine may be\n"
        "                      slower than that in a storm\n"
        "  relay               one file owner -> broker -> requester through real\n"
        "                      agents: throughput, CPU per GiB and peak RSS of the\n"
        "                      three processes, beside socat byte relays (default\n"
        "                      buffers, and -b 1048576 on all three) of the same file\n"
        "  --size BYTES        file size, suffixes K M G (binary; default 1G)\n"
        "  --runs N            runs, medians are reported (default 3)\n"
        "  --dir DIR           where the files go (default /dev/shm, else /tmp:\n"
        "                      a RAM file system keeps the disk out of the figures)\n"
        "  --curve             the encrypted path, beside libsodium's cipher speed\n"
        "  --no-socat          skip the socat comparison\n"
        "  --no-warm           do not hold the file's size of warm memory for\n"
        "                      each timed transfer's writer (on a virtual machine,\n"
        "                      memory the host took back costs its writer up to\n"
        "                      10x the CPU: the figures would measure that)\n"
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

//  The whole run from the command line: its exit code.
static int
s_bench (int argc, char **argv)
{
    bench_options_t options = { .peers = 0, .rounds = 200, .size = 1 << 30, .runs = 3,
                                .socat = true, .warm = true, .files = 1000, .sample = 4,
                                .settle_ms = -1 };
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
            case 'f':
                if ((n = fsh_number (optarg, 0, 1000000)) < 0)
                    return fsh_usage_error ("fshare-bench", "--files takes 0..1000000, not '%s'", optarg);
                options.files = (int) n;
                break;
            case 'm':
                if ((n = fsh_number (optarg, 0, 64)) < 0)
                    return fsh_usage_error ("fshare-bench", "--sample takes 0..64, not '%s'", optarg);
                options.sample = (int) n;
                break;
            case 'H':
                if ((n = fsh_number (optarg, 100, 60000)) < 0)
                    return fsh_usage_error ("fshare-bench", "--heartbeat takes 100..60000, not '%s'", optarg);
                options.heartbeat_ms = (int) n;
                break;
            case 'M':
                if ((n = fsh_number (optarg, 0, 10000)) < 0)
                    return fsh_usage_error ("fshare-bench", "--settle-ms takes 0..10000, not '%s'", optarg);
                options.settle_ms = (int) n;
                break;
            case 'C': options.curve = true; break;
            case 'd': options.base = optarg; break;
            case 'S': options.socat = false; break;
            case 'W': options.warm = false; break;
            case 'i': options.ipc = true; break;
            case 'Z': options.zmq_subscribers = true; break;
            case 'j': options.json = true; break;
            case 'v': options.verbose = true; break;
            case 'h': s_usage (stdout); return 0;
            case 'V': return fsh_options_version ("fshare-bench");
            default:  return fsh_options_refused ("fshare-bench", c, argv);
        }
    }
    if (optind >= argc)
        return fsh_usage_error ("fshare-bench", "%s", "missing benchmark name: events, login or relay");
    const char *name = argv [optind];
    bool relay = streq (name, "relay"), login = streq (name, "login");
    if (!relay && !login && !streq (name, "events"))
        return fsh_usage_error ("fshare-bench", "unknown benchmark '%s'", name);
    if (options.peers == 0)
        options.peers = login? 200: 100;
    if (options.curve && !relay)
        return fsh_usage_error ("fshare-bench", "%s", "--curve is for the relay bench");
    if (optind + 1 < argc)
        return fsh_usage_error ("fshare-bench", "unexpected argument '%s'", argv [optind + 1]);
    s_raise_limits (relay? 1: options.peers);
    //  The actors log every login; a table is what the reader came for.
    fsh_logescape_install (options.verbose? stderr: NULL);
    if (relay) {
        //  One requester account: the relay's requester is "peer0"
        options.peers = 1;
        return bench_relay (&options);
    }
    return login? bench_login (&options): bench_events (&options);
}

int
main (int argc, char **argv)
{
    fsh_stdio_open ();
    //  The table is what the reader came for: one that did not go out fails
    return fsh_output_close ("fshare-bench", s_bench (argc, argv));
}
