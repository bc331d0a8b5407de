/*  transfer.h - the agent's downloads, in both roles (SPEC 4.3).

    As owner (upload.c): answers the broker's Serve with the file from the
    host directory and sends chunks only against the credit the requester
    grants. As requester (download.c): runs fshare-ctl's "get". This file
    wires the two to the agent: the broker's messages (transfers_on_message
    says which were about downloads), the "get" and "cancel" commands, the
    link to the broker whenever it changes, and the timers that drive both
    roles' work in steps (resume and "already there" hashing), progress and
    stall clocks, so the agent's loop keeps serving everything else. The
    flow is in proto/fshare.proto ("Downloads").
*/
#ifndef TRANSFER_H_INCLUDED
#define TRANSFER_H_INCLUDED

#include "fshare.h"
#include "control.h"
#include "view.h"
#include "tlink.h"
#include "upload.h"

typedef struct _transfers_t transfers_t;

//  `loop` carries the manager's timers; replies to ctls go on `control`.
//  Also makes SIGXFSZ ignored in this process: a file-size limit must be
//  a write error (EFBIG) to report, not the end of the agent.
transfers_t *transfers_new (zloop_t *loop, control_t *control, const char *user,
                            const char *host_dir, const char *downloads, bool verbose);
void transfers_destroy (transfers_t **self_p);

//  The link to the broker: a logged-in session's DEALER and token, and the
//  largest message the broker accepts (from LoginOk; 0 = default), or
//  NULL: every transfer in progress then ends (a waiting ctl is told `why`).
void transfers_set_broker (transfers_t *self, zsock_t *dealer, const char *session,
                           uint32_t max_message, const char *why);

//  The broker's stall timeout (LoginOk.stall_timeout_ms; 0 = the default,
//  TRANSFER_STALL_MS). Our own clocks run a little behind it.
void transfers_set_stall_timeout (transfers_t *self, uint32_t stall_ms);

//  The agent's digest database (digestdb.h): as owner, a file whose very
//  version it knows is served from that digest, not hashed again.
void transfers_set_digests (transfers_t *self, const char *db_path);

//  A file of ours a requester found corrupted (upload.h).
void transfers_on_corrupted (transfers_t *self, uploads_corrupted_fn *fn, void *arg);

//  The agent's view of the other users' files: downloads check the
//  owner's answer against what it published, and find content by digest.
void transfers_set_view (transfers_t *self, view_t *view);
//  The view has applied new events (downloads_on_view)
void transfers_on_view (transfers_t *self);
//  Serve only these files (uploads_set_published)
void transfers_set_published (transfers_t *self, fileset_t *files);

//  A message from the broker. True when it was a download's (handled;
//  `data`, a chunk's data frame or NULL, is consumed). An error reply that
//  ends a download and also concerns the agent ("unknown session") gives
//  false after ending the download.
bool transfers_on_message (transfers_t *self, Fshare__Message *msg, zmq_msg_t *data);

//  A message of the wrong shape (too many frames, a data frame where none
//  belongs). True when it named a transfer of ours, which ended
//  protocol_error; false when it is none of the transfers' business.
bool transfers_on_malformed (transfers_t *self, Fshare__Message *msg);

//  ctl "get" (args OWNER PATH, output = -o PATH, absolute; again = a new
//  copy even when the content is already there): start a download for
//  the ctl `to`; its replies follow (see the .proto).
void transfers_get (transfers_t *self, zframe_t *to, Fshare__CtlRequest *request);

//  ctl "cancel": cancel every download of the ctl `to`, then reply OK.
void transfers_cancel (transfers_t *self, zframe_t *to);

//  Transfers in progress, as owner and as requester.
size_t transfers_uploads (transfers_t *self);
size_t transfers_downloads (transfers_t *self);

#endif
