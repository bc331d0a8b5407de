/*  control.h - the agent's control socket (fshare-ctl <-> agent).

    Transport half of the control protocol: a ROUTER bound on the control
    endpoint, requests decoded and checked, replies packed and paged, and
    the subscribers of the "events" stream. What a command means is the
    agent's business (agent.c); this file only moves the messages.
*/
#ifndef CONTROL_H_INCLUDED
#define CONTROL_H_INCLUDED

#include "fshare.h"
#include "fileset.h"

typedef struct _control_t control_t;

//  Bind the control endpoint (its ipc directory is prepared first). An ipc
//  endpoint where another agent still listens is refused rather than
//  taken over. NULL with the reason in *error (static or errno text).
control_t *control_new (const char *endpoint, const char **error);
void control_destroy (control_t **self_p);
zsock_t *control_sock (control_t *self);

//  One request from a ctl: its routing id and the decoded request.
typedef struct {
    zframe_t *sender;
    Fshare__CtlRequest *request;
} control_request_t;

//  Read one request; NULL when the message was malformed (answered with a
//  bad_request error, logged at most once a second) or the read was
//  interrupted.
control_request_t *control_recv (control_t *self);
void control_request_destroy (control_request_t **self_p);

//  Single replies. 0 or -1 (the ctl is gone or full).
int control_reply (control_t *self, zframe_t *to, Fshare__CtlReply *reply);
int control_reply_ok (control_t *self, zframe_t *to, const char *text);
int control_reply_error (control_t *self, zframe_t *to, fsh_err_t code, const char *error);

//  Paged file listing: add entries, each page is sent when full (more=true);
//  finish sends the last page (more=false, possibly empty) and destroys.
typedef struct _control_pager_t control_pager_t;
control_pager_t *control_pager_new (control_t *self, zframe_t *to);
void control_pager_add (control_pager_t *pager, const char *user, const fileset_file_t *file);
void control_pager_finish (control_pager_t **pager_p);

//  "events": acknowledge and add the ctl to the subscribers.
void control_subscribe (control_t *self, zframe_t *to);
//  Stream one event to every subscriber: a ctl that is gone is removed,
//  one that is full misses this event. `resynced`: the view inferred it
//  from a snapshot (see view_set_watcher), the broker's stream did not
//  bring it.
void control_publish (control_t *self, const Fshare__Event *event, bool resynced);
size_t control_subscribers (control_t *self);

#endif
