/*  tap.h - the parts of fshare-tap, one job per file (SPEC 4.4, 5, 5.1).

    tools/tap.c      main and the command line
    tap/stream.c     the tap: the subscription, the event stream followed
                     by its position (proto/sequence.h), printing, the loop
    tap/snapshot.c   --snapshot: the whole state fetched over the request
                     socket and printed as joins (the Clone pattern)
    tap/observer.c   --user: an observer session on the shared login client
                     (proto/loginclient.h), kept alive and renewed

    Signals (SIGINT, SIGTERM) come through a signalfd that every wait polls
    with its sockets (tap_wait): none is lost between a check and a poll,
    and no wait is longer than its deadline or endless without seeing one.
*/
#ifndef TAP_H_INCLUDED
#define TAP_H_INCLUDED

#include "fshare.h"
#include "cli.h"
#include "curve.h"
#include "socknew.h"
#include "sequence.h"
#include "loginclient.h"
#include "backoff.h"

#define PROGRAM "fshare-tap"

#define SNAPSHOT_TIMEOUT_MS  5000
#define LOGIN_TIMEOUT_MS     5000
#define WARNING_INTERVAL_MS  1000
#define LOGIN_RETRY_MS       1000
//  A broker that answers "busy" (a login, or a snapshot while too many
//  are in flight) is retried with backoff (doubling from the first to the
//  second), for this long in all since the first busy answer: then the
//  tap gives up (exit 1, `busy`). Nothing waits for ever.
#define LOGIN_BUSY_FIRST_MS  250
#define LOGIN_BUSY_MAX_DELAY_MS  4000
#define LOGIN_BUSY_TOTAL_MS  30000

typedef struct {
    char *events;               //  event endpoint (SUB connects)
    char *broker;               //  request endpoint, for snapshots and logins
    bool json;
    bool snapshot;
    bool verbose;
    char *topics [3];           //  chosen topics; none = everything
    size_t n_topics;
    long count;                 //  stop after this many events; 0 = never
    char *timeout_text;         //  as given, for the timeout message
    int64_t timeout_ms;         //  0 = none
    char *user;                 //  log in as an observer of this account
    char *password_file;
    char *server_key;           //  broker's CURVE public key; NULL: no CURVE
} tap_options_t;

//  Outcome of one step of the tap.
typedef enum { TAP_GO_ON, TAP_DONE, TAP_TIMEOUT, TAP_FAILED } tap_result_t;

//  --------------------------------------------------------------------------
//  The observer session (observer.c)

typedef struct _observer_t observer_t;

//  The password, then the first login (waiting while the broker is busy,
//  with backoff, at most LOGIN_BUSY_TOTAL_MS),
//  before anyone subscribes: the broker admits our key to the events only
//  once it knows it. -1 with *observer_p set when logged in, else the exit
//  code (0 when a signal stopped it).
int observer_start (const tap_options_t *options, int signals, int64_t deadline,
                    observer_t **observer_p);
//  Logs out (without waiting for the answer) and closes.
void observer_destroy (observer_t **self_p);

//  Our key pair, for every socket to the broker; the session token or NULL.
zcert_t *observer_cert (observer_t *self);
const char *observer_token (observer_t *self);

//  Keep the session: read the broker's answers, ping when due; when it is
//  lost, log in again (once LOGIN_RETRY_MS after a failed attempt, with
//  backoff after "busy", TAP_FAILED once busy for LOGIN_BUSY_TOTAL_MS).
//  *renewed says a new session began: the caller subscribes afresh.
tap_result_t observer_keep (observer_t *self, int64_t deadline, bool *renewed);

//  The broker forgot the session (unknown_session to another request):
//  log in again at once.
void observer_lost (observer_t *self);

//  When the session needs looking after next (zclock_mono ()).
int64_t observer_next (observer_t *self);

//  --------------------------------------------------------------------------
//  The tap (stream.c, snapshot.c)

typedef struct {
    const tap_options_t *options;
    observer_t *observer;       //  --user; NULL otherwise
    zsock_t *sub;
    int64_t deadline;           //  zclock_mono () of --timeout; 0 = none
    fsh_sequence_t *position;   //  broker instance and seq of the last event
    bool resync;                //  a gap or restart waits for a snapshot
    bool synced;                //  a snapshot has been printed (--snapshot)
    char *trigger;              //  instance of the live event that asked for a snapshot
    char *stranger;             //  that instance, when the snapshot came from another one
    long printed;
    uint64_t request_id;
    zhashx_t *users;            //  users present as far as we printed
    int64_t last_warning;
    size_t malformed;           //  malformed events since the last warning
    int signals;                //  signalfd of SIGINT/SIGTERM
} tap_t;

tap_t *tap_new (const tap_options_t *options, int signals);
void tap_destroy (tap_t **self_p);

//  (Re)subscribe to the events, with our key under CURVE. 0 or -1.
int tap_subscribe (tap_t *self);
//  Follow the stream until done, a timeout, a failure or a signal.
tap_result_t tap_run (tap_t *self);

//  Waits up to timeout ms (-1: forever) for input on a or b (either may be
//  NULL) or for SIGINT/SIGTERM. Returns the readable socket, else NULL with
//  *stopped telling a signal from the timeout.
zsock_t *tap_wait (int signals, zsock_t *a, zsock_t *b, int timeout, bool *stopped);
//  Milliseconds until the earlier of --timeout and `limit` (zclock_mono (),
//  0: none); -1 for no limit at all.
int tap_wait_ms (tap_t *self, int64_t limit);

//  Print one event and keep the presence set; TAP_DONE at --count.
tap_result_t tap_print (tap_t *self, const Fshare__Event *event);
//  A live event: checked against the position, printed when it follows.
tap_result_t tap_handle (tap_t *self, const Fshare__Event *event);
void tap_warn_malformed (tap_t *self);

//  Fetch the whole state and print it, then the events that arrived
//  meanwhile and are newer than it (snapshot.c).
tap_result_t tap_sync (tap_t *self);

#endif
