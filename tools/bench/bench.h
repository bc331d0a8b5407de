/*  bench.h - the parts of fshare-bench (SPEC 8) shared by its benches.

    common.c starts the real programs (broker, agents) in a temporary
    directory and measures processes; simpeer.c and simgroup.c are the
    simulated peers (loginclient sessions with real views); events.c is
    the events bench, login.c the login storm, relay.c the relay bench with
    its socat comparison (socat.c) and cipher speeds; bench.c keeps main
    and the options.
*/
#ifndef BENCH_H_INCLUDED
#define BENCH_H_INCLUDED

#include "broker.h"
#include "agent.h"
#include "digest.h"
#include "cli.h"
#include "simgroup.h"
#include <sodium.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <signal.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <dirent.h>
#include <sys/mman.h>

#define DEADLINE_MS 10000

typedef struct {
    int peers;
    int rounds;
    bool ipc;
    bool zmq_subscribers;       //  events: libzmq SUB sockets, not zmtp_sub
    bool json;
    bool verbose;
    uint64_t size;              //  relay: file size
    int runs;                   //  relay: timed downloads
    const char *base;           //  relay: where the temp dir goes
    bool socat;                 //  relay: compare with socat if found
    bool warm;                  //  relay: warm memory before each transfer
    bool curve;                 //  relay: the encrypted path
    int files;                  //  login: files each peer publishes
    int sample;                 //  login: peers keeping a real view
    int heartbeat_ms;           //  the broker's --heartbeat (0: its default)
    int settle_ms;              //  the agents' --settle-ms (-1: their default)
} bench_options_t;

typedef struct {
    char dir [256];
    pid_t broker_pid;
    pid_t owner_pid;
    pid_t requester_pid;
    char *request_ep;
    char *event_ep;
    char *broker_key;           //  --curve: the broker's public key (Z85)
} bench_t;

//  The monotonic clock in usecs; bench_clock_usecs reads any clock
//  (CLOCK_THREAD_CPUTIME_ID: this thread's CPU time).
int64_t bench_usecs (void);
int64_t bench_clock_usecs (clockid_t clock);
int bench_compare (const void *a, const void *b);
double bench_percentile (int64_t *sorted, size_t count, double p);
int bench_write_accounts (bench_t *self, int peers);
int bench_free_port (void);
pid_t bench_spawn (bench_t *self, const char *program, char **args, const char *log);
int bench_start_broker (bench_t *self, const bench_options_t *options);
int bench_wait_online (const char *control);
int bench_start_agent (bench_t *self, const bench_options_t *options, const char *user, pid_t *pid);
int bench_start_owner (bench_t *self, const bench_options_t *options);
void bench_stop (pid_t pid);
//  A temp dir for the bench's files under base (NULL: $TMPDIR, else /tmp).
int bench_make_dir (bench_t *self, const char *base);
void bench_remove_dir (bench_t *self);
//  The request endpoint for simulated peer `index`: over tcp each group of
//  a few peers connects from an address of its own in 127/8, as a storm
//  of many machines would (the broker's login throttle caps logins
//  checked at once per address; SPEC 6).
char *bench_peer_endpoint (bench_t *self, int index);
//  Process measurements from /proc: CPU seconds (user + system, all
//  threads), peak and current resident set in KiB.
double bench_cpu_seconds (pid_t pid);
//  CPU seconds (user + system) from getrusage: RUSAGE_SELF for this
//  process, RUSAGE_CHILDREN for every child reaped so far.
double bench_rusage_seconds (int who);
uint64_t bench_vmhwm_kib (pid_t pid);
uint64_t bench_vmrss_kib (pid_t pid);
//  Seconds the process's threads (those alive now) have waited for a CPU
//  while runnable (/proc/PID/task/*/schedstat): how loaded the machine is.
double bench_runqueue_seconds (pid_t pid);
double bench_median (const double *values, int count);
//  Print a JSON object (compact, in order) and release it.
void bench_print_json (json_t *obj);

int bench_events (const bench_options_t *options);
int bench_relay (const bench_options_t *options);
int bench_login (const bench_options_t *options);

#endif
