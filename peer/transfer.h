/*  transfer.h - the agent's downloads, in both roles (SPEC 4.3).

    As owner: answers the broker's Serve with the file from the host
    directory (source.c) and sends chunks only against the credit the
    requester grants. As requester: runs fshare-ctl's "get" (sink.c): asks
    the broker, grants a window of credit and gives back each chunk it
    writes, verifies, publishes, acknowledges, and reports progress to the
    ctl. The ctl going away, or its "cancel", cancels end to end. The flow
    is in proto/fshare.proto ("Downloads").

    The agent hands over the broker's messages (transfers_on_message says
    which were about downloads), the "get" and "cancel" commands, and its
    link to the broker whenever it changes. Both roles do bounded work per
    call and per loop turn (resume hashing is done in steps on a timer), so
    the agent's loop keeps serving everything else.
*/
#ifndef TRANSFER_H_INCLUDED
#define TRANSFER_H_INCLUDED

#include "fshare.h"
#include "control.h"

//  Chunk size and the requester's window per transfer (credit in bytes).
//  Measured with fshare-bench relay: 1 MiB chunks cost half the CPU per
//  byte of 256 KiB ones (fewer messages, wake-ups and syscalls), and 8 of
//  them in flight keep the pipe full; every process then holds at most
//  8 MiB of a transfer. The owner sends smaller chunks when the broker's
//  message limit asks for it.
#define TRANSFER_CHUNK      (1024 * 1024)
#define TRANSFER_WINDOW     (8 * TRANSFER_CHUNK)

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

//  A message from the broker. True when it was a download's (handled;
//  `data`, a chunk's data frame or NULL, is consumed). An error reply that
//  ends a download and also concerns the agent ("unknown session") gives
//  false after ending the download.
bool transfers_on_message (transfers_t *self, Fshare__Message *msg, zmq_msg_t *data);

//  ctl "get" (args OWNER PATH, output = -o PATH, absolute): start a
//  download for the ctl `to`; its replies follow (see the .proto).
void transfers_get (transfers_t *self, zframe_t *to, Fshare__CtlRequest *request);

//  ctl "cancel": cancel every download of the ctl `to`, then reply OK.
void transfers_cancel (transfers_t *self, zframe_t *to);

//  Transfers in progress, as owner and as requester.
size_t transfers_uploads (transfers_t *self);
size_t transfers_downloads (transfers_t *self);

#endif
