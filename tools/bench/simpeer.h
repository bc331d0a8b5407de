/*  simpeer.h - one simulated peer of fshare-bench: a session with the
    broker through proto/loginclient (the shared login client), its files
    published in pages, a subscriber on the event stream, and either a real
    view (peer/view.c, the agent's own code, with its sequence and broker
    instance checks) or a light check of the sequence alone.

    The life of a peer: simpeer_subscribe, wait until simpeer_heard (the
    subscription is then active at the broker), simpeer_login; the peer
    then publishes its files on LoginOk and, with a view, asks for a
    snapshot on PublishOk, exactly as the agent does (SPEC 4.1, 4.4).

    Nothing is retried silently: a gap in the sequence, a new broker
    instance, a snapshot that disagrees, a pong announcing events the view
    never got, a login refused for anything but "busy", a session the
    broker forgot - each fails the peer (simpeer_failure says why), and
    the bench fails the run.

    The caller owns the loop: it waits on simpeer_dealer / simpeer_sub_fd
    and calls simpeer_on_dealer / simpeer_on_events, and simpeer_tick at
    least every few hundred milliseconds (heartbeats, busy retries).
*/
#ifndef SIMPEER_H_INCLUDED
#define SIMPEER_H_INCLUDED

#include "fshare.h"
#include "view.h"

typedef struct {
    const char *user;
    const char *password;
    const char *broker;             //  request endpoint (may name a source)
    const char *events;             //  event endpoint
    bool view;                      //  keep a real view
    bool zmq_sub;                   //  a libzmq SUB, not a bare ZMTP subscriber
    Fshare__FileInfo **files;       //  what to publish (not copied: must live)
    size_t n_files;
} simpeer_config_t;

//  What a peer's subscriber saw, after the view (if any) took it.
typedef struct {
    Fshare__EventType type;
    const char *user;               //  not NUL-terminated: user_size bytes
    size_t user_size;
    const char *path;               //  file events: the file's path (ditto)
    size_t path_size;
    bool more;                      //  join: more pages follow
    view_result_t result;           //  with a view: what it did with the event
} simpeer_event_t;

typedef void (simpeer_fn) (void *arg, int index, const simpeer_event_t *event);

typedef struct _simpeer_t simpeer_t;

simpeer_t *simpeer_new (const simpeer_config_t *config, int index);
void simpeer_destroy (simpeer_t **self_p);

//  Connect the subscriber. 0, or -1 with the failure set.
int simpeer_subscribe (simpeer_t *self);
//  A fresh DEALER and a Login on it. 0, or -1 with the failure set.
int simpeer_login (simpeer_t *self);

//  Descriptors to wait on (-1 when none): the DEALER's ZMQ_FD and the
//  subscriber's. Both must be drained when they wake (edge-like).
int simpeer_dealer_fd (simpeer_t *self);
int simpeer_sub_fd (simpeer_t *self);

//  Handle all the broker has sent on the DEALER. -1 when the peer failed.
int simpeer_on_dealer (simpeer_t *self);
//  Handle all that has arrived on the subscriber; fn (if not NULL) is told
//  of every event. -1 when the peer failed.
int simpeer_on_events (simpeer_t *self, simpeer_fn *fn, void *arg);
//  Heartbeats and busy retries that are due. -1 when the peer failed.
int simpeer_tick (simpeer_t *self);

//  The subscriber is a libzmq socket, whose ZMQ_FD may miss a message
//  that arrived while the socket was being read.
bool simpeer_edge_triggered (simpeer_t *self);
bool simpeer_heard (simpeer_t *self);       //  the subscriber got an event
bool simpeer_logged_in (simpeer_t *self);   //  LoginOk arrived
bool simpeer_published (simpeer_t *self);   //  PublishOk arrived
bool simpeer_online (simpeer_t *self);      //  published (and view synced)
int simpeer_busy_refusals (simpeer_t *self);
const char *simpeer_failure (simpeer_t *self);  //  NULL while healthy
view_t *simpeer_view (simpeer_t *self);     //  NULL without a view
const char *simpeer_user (simpeer_t *self);

#endif
