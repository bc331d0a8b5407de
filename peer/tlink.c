/*  tlink.c - the downloads' link to the broker. See tlink.h. */
#include "tlink.h"

int
tlink_send (tlink_t *self, Fshare__Message *msg)
{
    if (!self->dealer)
        return -1;
    msg->session = self->session;
    if (fsh_msg_send (msg, self->dealer) == 0)
        return 0;
    zsys_warning ("%s: cannot send %s to the broker: %s", self->user, fsh_msg_kind (msg),
                  zmq_strerror (errno));
    return -1;
}

void
tlink_cancel (tlink_t *self, uint64_t transfer, fsh_err_t code, const char *reason)
{
    Fshare__Cancel cancel = FSHARE__CANCEL__INIT;
    cancel.transfer = transfer;
    cancel.code = code;
    cancel.reason = (char *) (reason? reason: fsh_err_text (code));
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_CANCEL, &cancel);
    tlink_send (self, &msg);
}

void
tlink_credit (tlink_t *self, uint64_t transfer, uint64_t bytes, bool checking,
              uint64_t received, uint64_t receipt)
{
    Fshare__Credit credit = FSHARE__CREDIT__INIT;
    credit.transfer = transfer;
    credit.bytes = bytes;
    credit.checking = checking;
    credit.received = received;
    credit.receipt = receipt;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_CREDIT, &credit);
    tlink_send (self, &msg);
}

int64_t
tlink_stall_limit (tlink_t *self)
{
    uint32_t stall = self->stall_ms? self->stall_ms: TRANSFER_STALL_MS;
    return (int64_t) stall + TRANSFER_STALL_MARGIN_MS;
}

double
tlink_seconds_since (int64_t start)
{
    return (double) (zclock_mono () - start) / 1000.0;
}

double
tlink_rate (uint64_t bytes, double seconds)
{
    return seconds > 0? (double) bytes / seconds / 1e6: 0;
}
