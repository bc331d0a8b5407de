/*  download.h - the requester's role in downloads: fshare-ctl's "get".

    Asks the broker, checks the owner's Opened against what was asked and
    what the owner published (the agent's view), grants a window of credit
    and gives back each chunk it writes (sink.c), verifies, saves,
    acknowledges, and reports progress to the ctl. The ctl going away, or
    its "cancel", cancels end to end.

    Around that: content already saved in the destination directory is not
    fetched again ("identical"; --again overrides); an owner that leaves
    mid-transfer is replaced by another online user publishing the same
    digest, from the offset reached ("switched"); a resumed partial file is
    hashed in steps while a Credit{checking} each second tells the broker
    we are not stalled; an owner that owes us data (or Opened) for longer
    than the stall limit fails the download `stalled` ("owner stalled"),
    keeping the partial file for a resume. The downloads directory is
    opened afresh, and re-created when missing, for every get.
*/
#ifndef DOWNLOAD_H_INCLUDED
#define DOWNLOAD_H_INCLUDED

#include "tlink.h"
#include "control.h"
#include "view.h"

typedef struct _downloads_t downloads_t;

downloads_t *downloads_new (tlink_t *link, control_t *control, const char *downloads_dir);
void downloads_destroy (downloads_t **self_p);

//  The agent's view of the other users' files (may stay NULL: nothing is
//  then checked against what was published, and no digest is known).
void downloads_set_view (downloads_t *self, view_t *view);

//  The view changed: a download whose digest was not known when it was
//  asked for takes it up once the owner publishes it for the very version
//  being fetched (so another source can take over if the owner goes).
void downloads_on_view (downloads_t *self);

//  ctl "get" and "cancel" (see transfer.h).
void downloads_get (downloads_t *self, zframe_t *to, Fshare__CtlRequest *request);
void downloads_cancel (downloads_t *self, zframe_t *to);

//  Opened, Chunk, or an error reply about one of our Gets (any other kind
//  under a Get's id fails it protocol_error). False when the error also
//  concerns the agent ("unknown session").
bool downloads_on_message (downloads_t *self, Fshare__Message *msg, zmq_msg_t *data);

//  A message of the wrong shape (frame count) under the id of one of our
//  Gets: that download fails protocol_error at once. False when no
//  download has the id.
bool downloads_on_malformed (downloads_t *self, uint64_t id);

//  Hash partial files and candidates, up to `budget` bytes each, through
//  buf. True when some download still needs more of this.
bool downloads_work (downloads_t *self, uint8_t *buf, size_t buf_size, size_t budget);
bool downloads_pending (downloads_t *self);

//  A few times a second: progress to the ctls (a ctl that is gone is
//  noticed here), "checking" credits, the stall clock.
void downloads_tick (downloads_t *self);

//  This process did not run for `ms`: see uploads_pause.
void downloads_pause (downloads_t *self, int64_t ms);

//  End every download (the broker's session is gone).
void downloads_end_all (downloads_t *self, fsh_err_t code, const char *reason);

size_t downloads_size (downloads_t *self);

//  Ids of our Gets are drawn from here up, far above the agent's own
//  request ids, so an error reply is never taken for the wrong request.
#define DOWNLOAD_ID_BASE    ((uint64_t) 1 << 62)

#endif
