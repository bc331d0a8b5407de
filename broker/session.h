/*  session.h - one logged-in user as the broker sees it.

    A session is keyed by the token the broker hands out at login, not by the
    ZeroMQ routing id: a DEALER that reconnects gets a new routing id, and the
    session follows it (the routing id of the latest message wins).
    The session holds the files the user publishes, in the file table
    every fshare program shares (proto/fileset.h).
*/
#ifndef SESSION_H_INCLUDED
#define SESSION_H_INCLUDED

#include "fshare.h"
#include "fileset.h"

typedef struct _session_t session_t;

session_t *session_new (const char *user, zframe_t *routing_id);
void session_destroy (session_t **self_p);

const char *session_token (session_t *self);
const char *session_user (session_t *self);
zframe_t *session_routing_id (session_t *self);

//  Who logged in: the agent's instance id (Login.instance, may be empty)
//  and, under CURVE, the client's public key (Z85; "" without CURVE).
//  Copied; an instance beyond 64 bytes is cut (the login refuses those).
void session_set_origin (session_t *self, const byte *instance, size_t instance_size,
                         const char *key);
//  Whether a login with this instance id is the same agent (never for an
//  empty one).
bool session_same_instance (session_t *self, const byte *instance, size_t instance_size);
const char *session_key (session_t *self);

//  The descriptor of the connection its latest message came on (libzmq's
//  ZMQ_SRCFD; -1 when unknown): the socket monitor reports a dropped
//  connection by descriptor.
void session_set_fd (session_t *self, int fd);
int session_fd (session_t *self);

//  Note a message from this session: refresh liveness, follow a new
//  routing id. Returns true when the routing id changed: the session's
//  DEALER reconnected, so its previous connection is gone.
bool session_touch (session_t *self, zframe_t *routing_id, int64_t now);
int64_t session_last_seen (session_t *self);

//  Online = the whole file list has arrived and `join` went out.
bool session_online (session_t *self);
void session_set_online (session_t *self, int64_t now);
int64_t session_since (session_t *self);

//  Files. put returns ADDED, CHANGED (size, mtime, digest or mode
//  differ) or NONE (identical).
Fshare__ChangeKind session_put_file (session_t *self, const Fshare__FileInfo *file);
bool session_remove_file (session_t *self, const char *path);

//  What a file costs in the broker's list budgets (--max-list-bytes): its
//  path and a fixed overhead for its entry (size, mtime, digest, table);
//  and what the session's whole list costs.
#define SESSION_FILE_OVERHEAD   96
uint64_t session_file_bytes (const char *path);
uint64_t session_list_bytes (session_t *self);
const fileset_file_t *session_file (session_t *self, const char *path);
size_t session_file_count (session_t *self);

//  What a Change costs against the session's change budget: its paths'
//  bytes and a fixed part for the event every subscriber receives. A
//  session may spend SESSION_CHANGE_BURST_S seconds of its rate at once.
#define SESSION_CHANGE_OVERHEAD      512
#define SESSION_CHANGE_RATE_DEFAULT  (16ULL * 1024 * 1024)
#define SESSION_CHANGE_BURST_S       4
uint64_t session_change_cost (const Fshare__Change *change);

//  Spends `cost` of the session's change budget (`rate` bytes a second,
//  fixed at the first call): false when too little is left (nothing
//  spent), the change to be refused busy.
bool session_spend_change (session_t *self, uint64_t cost, uint64_t rate, int64_t now);

//  The whole table, e.g. to cut pages from (owned by the session).
fileset_t *session_files (session_t *self);

#endif
