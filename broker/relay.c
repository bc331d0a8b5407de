/*  relay.c - the broker's downloads: transfer table and credit accounting.
    See relay.h; relay_ends.c ends transfers that no message ends.

    Fairness needs no scheduler here: each transfer has its own window, the
    ROUTER fair-queues its peers, and an owner serves its transfers in
    turn. A requester that stops granting credit stops only its own
    transfer: nothing of it waits in front of anyone else's chunks.
*/
#include "relay_int.h"
#include "chunk.h"
#include "fairshare.h"
#include "idtable.h"
#include "receipt.h"

#define DIGEST_BYTES        32

static void
s_xfer_destroy (void **item_p)
{
    xfer_t *xfer = (xfer_t *) *item_p;
    if (xfer) {
        free (xfer->path);
        free (xfer);
        *item_p = NULL;
    }
}

relay_t *
relay_new (zsock_t *router, fsh_ratelog_t *ratelog, bool verbose)
{
    relay_t *self = (relay_t *) zmalloc (sizeof (relay_t));
    self->router = router;
    self->ratelog = ratelog;
    self->verbose = verbose;
    self->max_per_requester = RELAY_MAX_PER_REQUESTER;
    self->max_per_owner = RELAY_MAX_PER_OWNER;
    self->stall_ms = RELAY_STALL_TIMEOUT_MS;
    self->transfers = fsh_idtable_new (s_xfer_destroy);
    self->receipts = receipt_new ();
    return self;
}

void
relay_destroy (relay_t **self_p)
{
    if (*self_p) {
        relay_t *self = *self_p;
        zhashx_destroy (&self->transfers);
        receipt_destroy (&self->receipts);
        free (self);
        *self_p = NULL;
    }
}

void
relay_set_limits (relay_t *self, int per_requester, int per_owner)
{
    self->max_per_requester = per_requester > 0? per_requester: 1;
    self->max_per_owner = per_owner > 0? per_owner: 1;
}

void
relay_set_stall_timeout (relay_t *self, int stall_ms)
{
    self->stall_ms = stall_ms > 0? stall_ms: RELAY_STALL_TIMEOUT_MS;
}

size_t
relay_active (relay_t *self)
{
    return zhashx_size (self->transfers);
}

uint64_t
relay_bytes (relay_t *self)
{
    return self->bytes;
}

//  Bad input is logged, but a flood of it does not flood the log.
void
relay_complain (relay_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fsh_ratelog_vwarning (self->ratelog, "relay", format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  Sending to either side

int
relay_send_to (relay_t *self, session_t *session, Fshare__Message *msg)
{
    int rc = fsh_msg_send_to (msg, self->router, session_routing_id (session));
    if (rc == -1 && self->verbose)
        zsys_debug ("relay: cannot send %s to %s: %s", fsh_msg_kind (msg),
                    session_user (session), zmq_strerror (errno));
    return rc;
}

static int
s_send_owner (relay_t *self, xfer_t *xfer, Fshare__Message *msg)
{
    msg->id = xfer->id;
    return relay_send_to (self, xfer->owner, msg);
}

static int
s_send_requester (relay_t *self, xfer_t *xfer, Fshare__Message *msg)
{
    msg->id = xfer->request_id;
    return relay_send_to (self, xfer->requester, msg);
}

static void
s_log_end (relay_t *self, xfer_t *xfer, const char *outcome)
{
    double secs = (double) (zclock_mono () - xfer->started) / 1000.0;
    double rate = secs > 0? (double) xfer->relayed / secs / 1e6: 0;
    zsys_info ("relay: transfer %" PRIu64 " %s -> %s '%s': %s, %" PRIu64
               " bytes relayed in %.3f s (%.1f MB/s)", xfer->id,
               session_user (xfer->owner), session_user (xfer->requester), xfer->path,
               outcome, xfer->relayed, secs, rate);
    (void) self;
}

//  Data frames not relayed are dropped, leaving an empty message behind
static void
s_drop_data (zmq_msg_t *data)
{
    if (data) {
        zmq_msg_close (data);
        zmq_msg_init (data);
    }
}

static void
s_forget (relay_t *self, xfer_t *xfer)
{
    zhashx_delete (self->transfers, &xfer->id);
}

//  End a transfer on both sides at once. `tell_owner`/`tell_requester`
//  are false for the side that asked for the end (or is gone).
void
relay_cancel (relay_t *self, xfer_t *xfer, fsh_err_t code, const char *reason, bool tell_owner,
              bool tell_requester)
{
    Fshare__Cancel cancel = FSHARE__CANCEL__INIT;
    cancel.transfer = xfer->id;
    cancel.reason = (char *) reason;
    cancel.code = code;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_CANCEL, &cancel);
    if (tell_owner)
        s_send_owner (self, xfer, &msg);
    if (tell_requester) {
        fsh_msg_set_error (&msg, 0, code, reason);
        s_send_requester (self, xfer, &msg);
    }
    char *outcome = zsys_sprintf ("cancelled (%s)", reason);
    s_log_end (self, xfer, outcome);
    zstr_free (&outcome);
    s_forget (self, xfer);
}

//  One side cannot be reached any more (its connection is gone, or it
//  stopped reading): end the transfer, telling the other side who.
static void
s_side_lost (relay_t *self, xfer_t *xfer, bool owner_lost, const char *what)
{
    char *reason = zsys_sprintf ("%s %s %s", owner_lost? "owner": "requester",
                                 session_user (owner_lost? xfer->owner: xfer->requester), what);
    relay_cancel (self, xfer, owner_lost? FSH_ERR_OWNER_GONE: FSH_ERR_REQUESTER_GONE, reason,
                  !owner_lost, owner_lost);
    zstr_free (&reason);
}

//  --------------------------------------------------------------------------
//  Start, within the owner's serving slots

static size_t
s_count (relay_t *self, session_t *session, bool as_owner)
{
    size_t count = 0;
    for (xfer_t *xfer = (xfer_t *) zhashx_first (self->transfers); xfer;
         xfer = (xfer_t *) zhashx_next (self->transfers))
        if ((as_owner? xfer->owner: xfer->requester) == session)
            count++;
    return count;
}

//  Whether requester may have one more of owner's slots (fairshare.h):
//  when all are taken, the transfer the policy picks gives its slot up.
static fsh_err_t
s_owner_slot (relay_t *self, session_t *owner, session_t *requester)
{
    size_t count = s_count (self, owner, true);
    if (count < (size_t) self->max_per_owner)
        return FSH_ERR_NONE;
    fairshare_slot_t *slots = (fairshare_slot_t *) zmalloc (sizeof (fairshare_slot_t) * count);
    xfer_t **xfers = (xfer_t **) zmalloc (sizeof (xfer_t *) * count);
    size_t held = 0;
    for (xfer_t *xfer = (xfer_t *) zhashx_first (self->transfers); xfer && held < count;
         xfer = (xfer_t *) zhashx_next (self->transfers))
        if (xfer->owner == owner) {
            slots [held] = (fairshare_slot_t) { .requester = xfer->requester, .id = xfer->id,
                                                .moved = xfer->relayed > 0 };
            xfers [held++] = xfer;
        }
    size_t share;
    int index = fairshare_victim (slots, held, requester, (size_t) self->max_per_owner, &share);
    xfer_t *victim = index < 0? NULL: xfers [index];
    free (slots);
    free (xfers);
    if (!victim)
        return FSH_ERR_OWNER_BUSY;
    zsys_info ("relay: transfer %" PRIu64 " of %s gives its slot at %s to %s (fair share %zu)",
               victim->id, session_user (victim->requester), session_user (owner),
               session_user (requester), share);
    relay_cancel (self, victim, FSH_ERR_OWNER_BUSY,
                  "the owner is serving too many transfers; try again later", true, true);
    return FSH_ERR_NONE;
}

fsh_err_t
relay_start (relay_t *self, session_t *requester, session_t *owner,
             uint64_t request_id, const Fshare__Get *get, const char **error)
{
    *error = NULL;
    //  All the requester is told carries its Get's id: one id, one transfer
    for (xfer_t *xfer = (xfer_t *) zhashx_first (self->transfers); xfer;
         xfer = (xfer_t *) zhashx_next (self->transfers))
        if (xfer->requester == requester && xfer->request_id == request_id) {
            relay_complain (self, "%s sent Get #%" PRIu64 " while its transfer %" PRIu64
                            " of that id runs; refused", session_user (requester), request_id,
                            xfer->id);
            *error = "a download of that request id is in progress";
            return FSH_ERR_BAD_REQUEST;
        }
    if (s_count (self, requester, false) >= (size_t) self->max_per_requester)
        return FSH_ERR_TOO_MANY_TRANSFERS;
    fsh_err_t code = s_owner_slot (self, owner, requester);
    if (code != FSH_ERR_NONE)
        return code;
    xfer_t *xfer = (xfer_t *) zmalloc (sizeof (xfer_t));
    xfer->id = ++self->next_id;
    xfer->requester = requester;
    xfer->owner = owner;
    xfer->request_id = request_id;
    xfer->path = strdup (get->path);
    xfer->state = XFER_OPENING;
    xfer->started = zclock_mono ();
    xfer->progress = xfer->started;
    //  A resume offset beyond the size it claims is no resume at all
    bool resume = get->offset > 0 && get->offset <= get->expect_size;

    Fshare__Serve serve = FSHARE__SERVE__INIT;
    serve.transfer = xfer->id;
    serve.path = xfer->path;
    serve.offset = resume? get->offset: 0;
    serve.expect_size = resume? get->expect_size: 0;
    serve.expect_mtime = resume? get->expect_mtime: 0;
    serve.requester = (char *) session_user (requester);
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_SERVE, &serve);
    if (s_send_owner (self, xfer, &msg) == -1) {
        s_xfer_destroy ((void **) &xfer);
        *error = "the owner cannot be reached";
        return FSH_ERR_OWNER_GONE;
    }
    zhashx_insert (self->transfers, &xfer->id, xfer);
    if (self->verbose)
        zsys_debug ("relay: transfer %" PRIu64 " %s -> %s '%s' asked (offset %" PRIu64 ")",
                    xfer->id, session_user (owner), session_user (requester),
                    xfer->path, serve.offset);
    return FSH_ERR_NONE;
}

//  --------------------------------------------------------------------------
//  Messages of a running transfer

static void
s_on_opened (relay_t *self, xfer_t *xfer, Fshare__Opened *opened)
{
    if (xfer->state != XFER_OPENING) {
        relay_cancel (self, xfer, FSH_ERR_PROTOCOL_ERROR,
                      "protocol error: owner opened twice", true, true);
        return;
    }
    //  The requester checks it too, but nothing malformed is passed on
    const char *invalid = fsh_opened_check (opened);
    if (invalid) {
        relay_complain (self, "transfer %" PRIu64 ": %s opened the file with %s", xfer->id,
                        session_user (xfer->owner), invalid);
        relay_cancel (self, xfer, FSH_ERR_PROTOCOL_ERROR,
                      "protocol error: owner sent an impossible answer", true, true);
        return;
    }
    xfer->state = XFER_RUNNING;
    xfer->progress = xfer->opened = zclock_mono ();
    xfer->size = opened->size;
    xfer->start = opened->offset;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_OPENED, opened);
    if (s_send_requester (self, xfer, &msg) == -1) {
        s_side_lost (self, xfer, false, "went away");
        return;
    }
    zsys_info ("relay: transfer %" PRIu64 " %s -> %s '%s': %" PRIu64 " bytes from %" PRIu64,
               xfer->id, session_user (xfer->owner), session_user (xfer->requester),
               xfer->path, xfer->size, xfer->start);
}

//  Whether a requester may still be checking its partial file: only a
//  resume has one, and reading it takes a bounded time. Without this
//  bound a requester that says "checking" forever would hold the owner's
//  slot (and its open file) forever.
static bool
s_may_check (relay_t *self, xfer_t *xfer, int64_t now)
{
    int64_t reading = (int64_t) (xfer->start / RELAY_CHECK_BYTES_PER_MS);
    return xfer->start > 0 && now - xfer->opened < self->stall_ms + reading;
}

//  A credit's receipt for the chunk ending at `received` moves what the
//  requester has shown it read; one that is not a relayed chunk's is
//  ignored, with a warning.
static void
s_on_receipt (relay_t *self, xfer_t *xfer, Fshare__Credit *credit)
{
    if (credit->received == 0 && credit->receipt == 0)
        return;
    uint64_t end = credit->received;
    if (end <= xfer->start + xfer->read)
        return;                 //  nothing new
    if (end <= xfer->start + xfer->relayed
    &&  receipt_check (self->receipts, xfer->id, end, credit->receipt)) {
        xfer->read = end - xfer->start;
        return;
    }
    relay_complain (self, "transfer %" PRIu64 ": %s returned a receipt for offset %" PRIu64
                    " that no chunk relayed to it had; ignored", xfer->id,
                    session_user (xfer->requester), end);
}

static void
s_on_credit (relay_t *self, xfer_t *xfer, Fshare__Credit *credit)
{
    if (xfer->state == XFER_FINISHING)
        return;                 //  credit that crossed the last chunk
    if (xfer->state != XFER_RUNNING) {
        relay_cancel (self, xfer, FSH_ERR_PROTOCOL_ERROR,
                      "protocol error: credit before the owner answered", true, true);
        return;
    }
    uint64_t unspent = xfer->granted - xfer->relayed;
    //  Still checking its partial file: a sign of life while it owes
    //  credit, nothing to forward
    if (credit->checking && credit->bytes == 0) {
        int64_t now = zclock_mono ();
        if (unspent == 0 && s_may_check (self, xfer, now))
            xfer->progress = now;
        return;
    }
    s_on_receipt (self, xfer, credit);
    //  One window beyond what the requester has shown it read, which
    //  bounds the unspent credit as well (read <= relayed)
    uint64_t limit = xfer->read + RELAY_MAX_WINDOW;
    uint64_t room = limit > xfer->granted? limit - xfer->granted: 0;
    uint64_t bytes = credit->bytes;
    if (bytes > room) {
        relay_complain (self, "transfer %" PRIu64 ": %s granted %" PRIu64
                        " bytes beyond the window; clamped", xfer->id,
                        session_user (xfer->requester), bytes - room);
        bytes = room;
    }
    if (bytes == 0)
        return;
    xfer->granted += bytes;
    //  The requester's step when the owner had (about) nothing left to
    //  send and now has: credit in dribs is no step, nor is credit while
    //  the owner owes (the owner's chunks are what counts then)
    uint64_t left = xfer->size - xfer->start > xfer->relayed?
                    xfer->size - xfer->start - xfer->relayed: 0;
    uint64_t step = left < RELAY_PROGRESS_BYTES? left: RELAY_PROGRESS_BYTES;
    if (unspent < step && xfer->granted - xfer->relayed >= step)
        xfer->progress = zclock_mono ();
    Fshare__Credit forward = FSHARE__CREDIT__INIT;
    forward.transfer = xfer->id;
    forward.bytes = bytes;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_CREDIT, &forward);
    if (s_send_owner (self, xfer, &msg) == -1)
        s_side_lost (self, xfer, true, "went away");
}

//  A protocol error in a chunk, or NULL when it may be relayed.
static const char *
s_chunk_check (xfer_t *xfer, Fshare__Chunk *chunk, size_t size)
{
    if (xfer->state != XFER_RUNNING)
        return "protocol error: chunk outside a running transfer";
    if (chunk->offset != xfer->start + xfer->relayed)
        return "protocol error: chunk out of order";
    if (size > xfer->granted - xfer->relayed)
        return "protocol error: owner sent beyond its credit";
    uint64_t end = chunk->offset + size;
    if (end > xfer->size)
        return "protocol error: owner sent more than the file's size";
    if (chunk->last && end != xfer->size)
        return "protocol error: last chunk before the end of the file";
    if (size == 0 && !chunk->last)
        return "protocol error: empty chunk";
    if (chunk->last && chunk->sha256.len != DIGEST_BYTES)
        return "protocol error: last chunk without a digest";
    return NULL;
}

static void
s_on_chunk (relay_t *self, xfer_t *xfer, Fshare__Message *in, zmq_msg_t *data)
{
    Fshare__Chunk *chunk = in->chunk;
    if (!data) {
        relay_cancel (self, xfer, FSH_ERR_PROTOCOL_ERROR,
                      "protocol error: chunk without data", true, true);
        return;
    }
    size_t size = zmq_msg_size (data);
    const char *error = s_chunk_check (xfer, chunk, size);
    if (error) {
        s_drop_data (data);
        relay_complain (self, "transfer %" PRIu64 " from %s: %s", xfer->id,
                        session_user (xfer->owner), error);
        relay_cancel (self, xfer, FSH_ERR_PROTOCOL_ERROR, error, true, true);
        return;
    }
    //  A new header: the owner's session token must not reach the requester
    Fshare__Chunk header = FSHARE__CHUNK__INIT;
    header.transfer = xfer->id;
    header.offset = chunk->offset;
    header.last = chunk->last;
    header.sha256 = chunk->sha256;
    header.receipt = receipt_of (self->receipts, xfer->id, chunk->offset + size);
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, xfer->request_id, FSHARE__MESSAGE__BODY_CHUNK, &header);
    zframe_t *to = session_routing_id (xfer->requester);
    if (fsh_chunk_send (&msg, self->router, zframe_data (to), zframe_size (to), data) == -1) {
        s_side_lost (self, xfer, false, errno == EAGAIN? "is not reading": "went away");
        return;
    }
    xfer->relayed += size;
    //  Bytes dribbled a few at a time are no progress: an owner that
    //  trickles would hold the transfer and its slots for ever
    if (chunk->last || xfer->relayed - xfer->marked >= RELAY_PROGRESS_BYTES) {
        xfer->progress = zclock_mono ();
        xfer->marked = xfer->relayed;
    }
    self->bytes += size;
    if (chunk->last)
        xfer->state = XFER_FINISHING;
}

static void
s_on_done (relay_t *self, xfer_t *xfer)
{
    if (xfer->state != XFER_FINISHING) {
        relay_cancel (self, xfer, FSH_ERR_PROTOCOL_ERROR,
                      "protocol error: done before the last chunk", true, true);
        return;
    }
    Fshare__Done done = FSHARE__DONE__INIT;
    done.transfer = xfer->id;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_DONE, &done);
    s_send_owner (self, xfer, &msg);
    s_log_end (self, xfer, "complete");
    s_forget (self, xfer);
}

//  Whether a side may end a transfer with `code`. Those that speak of a
//  session or a login are not one side's to tell the other: unknown_session
//  above all, which the requester's agent takes for the loss of its own
//  session (it would log in again, and its other transfers would end).
//  Nor owner_gone and requester_gone: only the broker sees a session end,
//  and a requester takes owner_gone as its cue to switch to another
//  source (two owners that each opened and then claimed to be gone kept
//  a download bouncing between them for ever).
static bool
s_transfer_code (fsh_err_t code)
{
    switch (code) {
        case FSH_ERR_OWNER_GONE:
        case FSH_ERR_REQUESTER_GONE:
        case FSH_ERR_INVALID_CREDENTIALS:
        case FSH_ERR_ALREADY_LOGGED_IN:
        case FSH_ERR_UNSUPPORTED_VERSION:
        case FSH_ERR_BUSY:
        case FSH_ERR_UNKNOWN_SESSION:
        case FSH_ERR_BROKER_UNREACHABLE:
        case FSH_ERR_NO_AGENT:
            return false;
        default:
            return true;
    }
}

static void
s_on_cancel (relay_t *self, xfer_t *xfer, bool from_owner, Fshare__Cancel *cancel)
{
    fsh_err_t code = fsh_err_received (cancel->code, FSH_ERR_CANCELLED);
    if (!s_transfer_code (code)) {
        session_t *sender = from_owner? xfer->owner: xfer->requester;
        relay_complain (self, "transfer %" PRIu64 ": %s sent a cancel with code %s; passed on "
                        "as cancelled", xfer->id, session_user (sender), fsh_err_name (code));
        code = FSH_ERR_CANCELLED;
    }
    const char *reason = fsh_text_valid (cancel->reason, 512) && *cancel->reason?
                         cancel->reason: fsh_err_text (code);
    char *text = from_owner? zsys_sprintf ("%s", reason)
                           : zsys_sprintf ("cancelled by %s: %s",
                                           session_user (xfer->requester), reason);
    relay_cancel (self, xfer, code, text, !from_owner, from_owner);
    zstr_free (&text);
}

bool
relay_accepts (const Fshare__Message *msg)
{
    switch (msg->body_case) {
        case FSHARE__MESSAGE__BODY_OPENED:
        case FSHARE__MESSAGE__BODY_CREDIT:
        case FSHARE__MESSAGE__BODY_CHUNK:
        case FSHARE__MESSAGE__BODY_DONE:
        case FSHARE__MESSAGE__BODY_CANCEL:
            return true;
        default:
            return false;
    }
}

static uint64_t
s_transfer_id (const Fshare__Message *msg)
{
    switch (msg->body_case) {
        case FSHARE__MESSAGE__BODY_OPENED: return msg->opened->transfer;
        case FSHARE__MESSAGE__BODY_CREDIT: return msg->credit->transfer;
        case FSHARE__MESSAGE__BODY_CHUNK:  return msg->chunk->transfer;
        case FSHARE__MESSAGE__BODY_DONE:   return msg->done->transfer;
        case FSHARE__MESSAGE__BODY_CANCEL: return msg->cancel->transfer;
        default:                           return 0;
    }
}

//  Which side may send which message.
static bool
s_sender_allowed (xfer_t *xfer, session_t *sender, Fshare__Message *msg)
{
    switch (msg->body_case) {
        case FSHARE__MESSAGE__BODY_OPENED:
        case FSHARE__MESSAGE__BODY_CHUNK:
            return sender == xfer->owner;
        case FSHARE__MESSAGE__BODY_CREDIT:
        case FSHARE__MESSAGE__BODY_DONE:
            return sender == xfer->requester;
        default:
            return sender == xfer->owner || sender == xfer->requester;
    }
}

void
relay_handle (relay_t *self, session_t *sender, Fshare__Message *msg, zmq_msg_t *data)
{
    uint64_t id = s_transfer_id (msg);
    xfer_t *xfer = (xfer_t *) zhashx_lookup (self->transfers, &id);
    if (!xfer || !s_sender_allowed (xfer, sender, msg)) {
        relay_stray (self, sender, msg, xfer, id);
        s_drop_data (data);
        return;
    }
    if (msg->body_case != FSHARE__MESSAGE__BODY_CHUNK) {
        s_drop_data (data);
        data = NULL;
    }
    switch (msg->body_case) {
        case FSHARE__MESSAGE__BODY_OPENED:
            s_on_opened (self, xfer, msg->opened);
            break;
        case FSHARE__MESSAGE__BODY_CREDIT:
            s_on_credit (self, xfer, msg->credit);
            break;
        case FSHARE__MESSAGE__BODY_CHUNK:
            s_on_chunk (self, xfer, msg, data);
            break;
        case FSHARE__MESSAGE__BODY_DONE:
            s_on_done (self, xfer);
            break;
        default:
            s_on_cancel (self, xfer, sender == xfer->owner, msg->cancel);
    }
}

void
relay_malformed (relay_t *self, session_t *sender, Fshare__Message *msg)
{
    uint64_t id = s_transfer_id (msg);
    xfer_t *xfer = (xfer_t *) zhashx_lookup (self->transfers, &id);
    if (xfer && s_sender_allowed (xfer, sender, msg))
        relay_cancel (self, xfer, FSH_ERR_PROTOCOL_ERROR, "protocol error: a malformed message",
                      true, true);
}
