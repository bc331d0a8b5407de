/*  broker_int.h - the inside of the broker actor (broker.h), shared by
    its two files: broker.c holds the actor, its set-up, timers and login
    acceptance; requests.c the request socket, its dispatch table and the
    handlers of a session's requests. Nobody else includes it.
*/
#ifndef BROKER_INT_H_INCLUDED
#define BROKER_INT_H_INCLUDED

#include "broker.h"
#include "login.h"
#include "session.h"
#include "relay.h"
#include "chunk.h"
#include "gate.h"
#include "bounds.h"
#include "monitor.h"
#include "publisher.h"
#include "catalog.h"
#include "subscriptions.h"
#include "registry.h"
#include "snapflow.h"
#include "outflow.h"
#include <sodium.h>

struct _broker_t {
    broker_config_t config;
    zsock_t *pipe;
    zsock_t *router;
    zsock_t *pub;
    zloop_t *loop;
    login_t *login;             //  the login pipeline (login.h)
    registry_t *registry;       //  every session (registry.h)
    char *events_endpoint;      //  told to peers at login
    char id [17];               //  broker instance id
    publisher_t *publisher;     //  events and snapshots (publisher.h)
    relay_t *relay;             //  downloads in progress
    zcert_t *cert;              //  CURVE key pair; NULL without CURVE
    gate_t *gate;               //  ZAP handler; NULL without CURVE
    gate_caller_t caller;       //  who sent the request being handled
    zframe_t *caller_routing_id;    //  ...on this connection (while handled)
    fsh_ratelog_t *ratelog;     //  bad-input warnings, shared with the relay
    fsh_ratelog_t *strangers;   //  requests with a made-up session: a log of
                                //  their own, so their flood hides no other
    monitor_t *monitor;         //  connections libzmq dropped (monitor.h)
    snapflow_t *snapflow;       //  snapshots not yet taken (snapflow.h)
    outflow_t *outflow;         //  replies not yet taken (outflow.h)
};
typedef struct _broker_t broker_t;

//  A bad-input warning, rate-limited (the ratelog shared with the relay).
void broker_complain (broker_t *self, const char *format, ...);
//  Send a reply to routing_id on the ROUTER (never blocks); dropped when
//  that connection reads none of its replies (outflow.h).
void broker_send (broker_t *self, zframe_t *routing_id, Fshare__Message *reply);
void broker_reply_error (broker_t *self, zframe_t *routing_id, uint64_t request_id,
                         fsh_err_t code, const char *error);
//  End a session: its transfers, its leave event (publish_leave), its
//  gate admission, its registry entry.
void broker_session_drop (broker_t *self, session_t *session, bool publish_leave,
                          const char *why);

//  Answer a Snapshot request (requests.c), let it wait while that
//  connection still holds its previous one, or refuse it busy while every
//  connection's snapshots in flight reach their budget (snapflow.h).
void broker_send_snapshot (void *arg, zframe_t *routing_id, uint64_t request_id);

//  The ROUTER's reader (requests.c): takes a batch of requests.
int requests_handle_router (zloop_t *loop, zsock_t *reader, void *arg);

#endif
