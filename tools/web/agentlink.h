/*  agentlink.h - fshare-web as a client of the agent's control socket.

    The same rules as fshare-ctl: --control EP, else --user NAME's
    endpoint, else the only agent of this OS user that answers. Requests
    are one CtlRequest on a DEALER, replies CtlReply pages until more=false
    or an error, each within a deadline. Kept in one small file on purpose:
    it gives way to the shared control client of proto/ once that exists.
*/
#ifndef AGENTLINK_H_INCLUDED
#define AGENTLINK_H_INCLUDED

#include "fshare.h"

#define AGENTLINK_TIMEOUT_MS   5000
#define AGENTLINK_PROBE_MS     300

//  The control endpoint to use (caller frees), or NULL with the reason
//  for people in *error (caller frees).
char *agentlink_find (const char *user, const char *control, char **error);

//  A DEALER connected to the endpoint, limits set; NULL on failure.
zsock_t *agentlink_dealer (const char *endpoint);
int agentlink_send (zsock_t *dealer, const Fshare__CtlRequest *request);
//  One reply (caller frees with fshare__ctl_reply__free_unpacked), NULL
//  when malformed or interrupted.
Fshare__CtlReply *agentlink_recv (zsock_t *dealer);

//  Send a request and hand every reply to fn until the last. 0; or -1
//  with *error (caller frees): no answer in time, a malformed reply, or
//  the agent's error text.
typedef void (agentlink_fn) (const Fshare__CtlReply *reply, void *arg);
int agentlink_call (zsock_t *dealer, const Fshare__CtlRequest *request, int timeout_ms,
                    agentlink_fn *fn, void *arg, char **error);

#endif
