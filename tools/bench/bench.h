/*  bench.h - the parts of fshare-bench (SPEC 8) shared by its benches.

    common.c starts the real programs (broker, agents) in a temporary
    directory and measures processes; events.c is the events bench with
    its simulated peers; relay.c the relay bench with its socat
    comparison; bench.c keeps main and the options.
*/
#ifndef BENCH_H_INCLUDED
#define BENCH_H_INCLUDED

#include "broker.h"
#include "agent.h"
#include "digest.h"
#include "cli.h"
#include "zmtp_sub.h"
#include <sodium.h>
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
    bool zmq_subscribers;       //  events: libzmq SUB sockets, not zmtp_sub
    bool json;
    bool verbose;
    uint64_t size;              //  relay: file size
    int runs;                   //  relay: timed downloads
    const char *base;           //  relay: where the temp dir goes
    bool socat;                 //  relay: compare with socat if found
} bench_options_t;

typedef struct {
    zsock_t *dealer;
    zsock_t *sub;               //  --zmq-subscribers
    zmtp_sub_t *raw;            //  otherwise
    char *session;
    int64_t retry_at;           //  when to send a login the broker was too busy for
    bool got;                   //  this round's file arrived
} sim_peer_t;

typedef struct {
    char dir [64];
    pid_t broker_pid;
    pid_t owner_pid;
    pid_t requester_pid;
    char *request_ep;
    char *event_ep;
    sim_peer_t *peers;
    int count;
} bench_t;

int64_t bench_usecs (void);
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
int bench_events (const bench_options_t *options);
int bench_relay (const bench_options_t *options);

#endif
