/*  relay_ends.c - how the relay's transfers end when no message of theirs
    ends them: a stall (the side that owes the next step is named), a
    session gone (the other side is told who), and messages for transfers
    that are not the sender's. See relay.h.
*/
#include "relay_int.h"

//  A message for a transfer that is not the sender's: counted, logged
//  (rate-limited; the user name was checked at login), never acted on.
//  One for a transfer that ended crossed its end, which is normal and not
//  answered: the sender has been told of the end, and an answer to every
//  chunk in flight would only echo. An owner's Opened or chunk for an id
//  never given out is answered Cancel protocol_error, so whatever it
//  holds open for it is let go at once; nothing else is answered (a
//  requester's messages have no reply, a Cancel never one).
void
relay_stray (relay_t *self, session_t *sender, Fshare__Message *msg, xfer_t *xfer, uint64_t id)
{
    self->strays++;
    if (xfer || id > self->next_id)
        relay_complain (self, "%s sent %s for transfer %" PRIu64 ", %s (%" PRIu64 " such so far)",
                        session_user (sender), fsh_msg_kind (msg), id,
                        xfer? "which is not its own": "which never existed", self->strays);
    else
    if (self->verbose)
        zsys_debug ("relay: %s for ended transfer %" PRIu64 " from %s", fsh_msg_kind (msg),
                    id, session_user (sender));
    if (xfer || id <= self->next_id
    ||  (msg->body_case != FSHARE__MESSAGE__BODY_OPENED
         && msg->body_case != FSHARE__MESSAGE__BODY_CHUNK))
        return;
    Fshare__Cancel cancel = FSHARE__CANCEL__INIT;
    cancel.transfer = id;
    cancel.code = FSH_ERR_PROTOCOL_ERROR;
    cancel.reason = "protocol error: no such transfer";
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&reply, id, FSHARE__MESSAGE__BODY_CANCEL, &cancel);
    relay_send_to (self, sender, &reply);
}

//  Who owes the other a step: the owner its answer or data against the
//  credit it holds; the requester credit for data sent, or its Done.
static bool
s_owner_owes (xfer_t *xfer)
{
    return xfer->state == XFER_OPENING
        || (xfer->state == XFER_RUNNING && xfer->granted > xfer->relayed);
}

void
relay_check_stalls (relay_t *self, int64_t now)
{
    zlistx_t *stalled = zlistx_new ();
    for (xfer_t *xfer = (xfer_t *) zhashx_first (self->transfers); xfer;
         xfer = (xfer_t *) zhashx_next (self->transfers))
        if (now - xfer->progress >= self->stall_ms)
            zlistx_add_end (stalled, xfer);
    for (xfer_t *xfer = (xfer_t *) zlistx_first (stalled); xfer;
         xfer = (xfer_t *) zlistx_next (stalled)) {
        bool owner = s_owner_owes (xfer);
        zsys_warning ("relay: transfer %" PRIu64 " %s -> %s '%s': no progress for %" PRId64
                      " ms, the %s owes the next step", xfer->id,
                      session_user (xfer->owner), session_user (xfer->requester),
                      xfer->path, now - xfer->progress, owner? "owner": "requester");
        relay_cancel (self, xfer, FSH_ERR_STALLED, owner? "owner stalled": "requester stalled",
                      true, true);
    }
    zlistx_destroy (&stalled);
}

void
relay_session_gone (relay_t *self, session_t *session, const char *why)
{
    zlistx_t *ended = zlistx_new ();
    for (xfer_t *xfer = (xfer_t *) zhashx_first (self->transfers); xfer;
         xfer = (xfer_t *) zhashx_next (self->transfers))
        if (xfer->owner == session || xfer->requester == session)
            zlistx_add_end (ended, xfer);
    for (xfer_t *xfer = (xfer_t *) zlistx_first (ended); xfer;
         xfer = (xfer_t *) zlistx_next (ended)) {
        bool owner_gone = xfer->owner == session;
        char *reason = zsys_sprintf ("%s %s %s", owner_gone? "owner": "requester",
                                     session_user (session), why);
        //  A user fetching a file from itself is refused at the start, so
        //  exactly one side remains to be told.
        relay_cancel (self, xfer, owner_gone? FSH_ERR_OWNER_GONE: FSH_ERR_REQUESTER_GONE, reason,
                      !owner_gone, owner_gone);
        zstr_free (&reason);
    }
    zlistx_destroy (&ended);
}
