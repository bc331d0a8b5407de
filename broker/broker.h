/*  broker.h - the fshare broker as a CZMQ actor.

    Binds a ROUTER for requests and a PUB for events, authenticates logins
    against the account file (hashing off the loop), keeps one session per
    logged-in user, republishes every change as a sequenced event, answers
    snapshots, expires silent peers. Run it with
        zactor_t *broker = zactor_new (broker_actor, &config);
    then read one string from the actor: "OK <request-ep> <event-ep>" once it
    listens (followed by " <public key>" under CURVE), or "ERROR <reason>"
    (the actor then ends). Commands: "RELOAD" (re-read the account file),
    "$TERM".
*/
#ifndef BROKER_H_INCLUDED
#define BROKER_H_INCLUDED

#include "fshare.h"
#include "accounts.h"

typedef struct {
    const char *listen;         //  request endpoint (ROUTER)
    const char *publish;        //  event endpoint (PUB)
    const char *events;         //  event endpoint told to peers; NULL = bound one
    const char *state_dir;      //  NULL = fsh_state_dir ()
    const char *accounts;       //  NULL = <state dir>/accounts
    int registration;           //  -1 auto (loopback/ipc only), 0 off, 1 on
    int heartbeat_ms;           //  0 = FSH_DEFAULT_HEARTBEAT_MS
    int liveness;               //  missed heartbeats before a peer is gone; 0 = default
    int stats_ms;               //  0 = 2000
    int max_message;            //  0 = FSH_DEFAULT_MAX_MESSAGE
    int max_files;              //  per user; 0 = 1,000,000
    int max_path;               //  bytes of a published path; 0 = FSH_PATH_MAX
    int max_depth;              //  components of a published path; 0 = FSH_DEPTH_MAX
    int max_observers;          //  tap sessions per account; 0 = 8, -1 = none
    int max_transfers;          //  downloads in flight per requester; 0 = 32
    int max_serving;            //  transfers in flight per owner; 0 = 64
    uint64_t max_list_bytes;    //  one account's list (catalog.h); 0 = default
    uint64_t max_total_bytes;   //  every list together; 0 = default
    uint64_t max_change_rate;   //  one session's changes, bytes/s; 0 = 16 MiB
    int stall_timeout_ms;       //  a transfer without progress ends; 0 = 30000
    int curve;                  //  -1 auto (on unless loopback/ipc only), 0 off, 1 on
    int login_delay_ms;         //  first failed-login delay; 0 = THROTTLE_BASE_MS
    int login_delay_max_ms;     //  its cap; 0 = THROTTLE_MAX_MS
    int login_queue;            //  logins waiting per address; 0 = LOBBY_HELD_PER_ADDRESS
    passhash_cost_t cost;       //  hash cost for registrations
    bool verbose;
} broker_config_t;

//  Fill in the defaults of every option left 0 (or NULL).
void broker_config_defaults (broker_config_t *config);

void broker_actor (zsock_t *pipe, void *args);

//  The broker process's malloc policy (process-wide): call first in main,
//  before any thread exists. See broker.c for why.
void broker_malloc_policy (void);

#endif
