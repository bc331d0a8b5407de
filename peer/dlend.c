/*  dlend.c - how a download ends, and what its ctl hears. See dlend.h.

    Kept apart from download.c, which decides when a download ends: here
    is only what each end does (the log line, the ctl's answer, the
    partial file, the broker's cancel, the table entry).
*/
#include "dlend.h"
#include <sys/stat.h>

//  Progress; before the owner has answered, a bare "still working" reply.
//  Either way a ctl that is gone is noticed here.
void
dlend_progress (downloads_t *self, download_t *download)
{
    if (!download->ctl || download->answered)
        return;
    Fshare__Progress progress = FSHARE__PROGRESS__INIT;
    bool opened = download->sink && download->transfer;
    if (opened) {
        progress.done = sink_written (download->sink);
        progress.total = sink_size (download->sink);
        progress.resumed = sink_resumed (download->sink);
        progress.resumed_at = download->start_offset;
        progress.restarted = sink_restarted (download->sink) || download->whole_again;
    }
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    reply.more = true;
    reply.progress = opened? &progress: NULL;
    if (control_reply (self->control, download->ctl, &reply) == -1)
        zframe_destroy (&download->ctl);    //  gone: the tick cancels it
}

//  End a download here: tell the broker (now, or when the Opened that is
//  still on its way arrives), answer the ctl, keep or drop the partial file.
void
dlend_fail (downloads_t *self, download_t *download, fsh_err_t code, const char *reason,
            bool tell_broker)
{
    if (!reason)
        reason = fsh_err_text (code);
    if (!download->answered)
        zsys_warning ("%s: download of %s:'%s' failed after %.3f s: %s", self->link->user,
                      download->owner, download->path,
                      tlink_seconds_since (download->started), reason);
    if (download->sink) {
        //  A failure that leaves the partial file a valid prefix of the
        //  owner's file keeps it for a resume; one about the content not
        sink_abort (download->sink, fsh_err_keeps_partial (code));
        sink_destroy (&download->sink);
    }
    if (download->ctl && !download->answered)
        control_reply_error (self->control, download->ctl, code, reason);
    download->answered = true;
    zframe_destroy (&download->ctl);
    if (tell_broker && download->state == DL_ASKED && !download->transfer
    &&  self->link->dealer) {
        download->abandoned = true;
        return;
    }
    if (tell_broker && download->transfer)
        tlink_cancel (self->link, download->transfer, code, reason);
    zhashx_delete (self->table, &download->id);
}

static void
s_reply_result (downloads_t *self, download_t *download, Fshare__GetResult *result)
{
    if (download->ctl) {
        Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
        reply.get = result;
        control_reply (self->control, download->ctl, &reply);
    }
    download->answered = true;
    zhashx_delete (self->table, &download->id);
}

void
dlend_succeed (downloads_t *self, download_t *download)
{
    sink_t *sink = download->sink;
    double seconds = tlink_seconds_since (download->started);
    uint64_t bytes = sink_size (sink) - download->start_offset;
    zsys_info ("%s: downloaded %s:'%s' to %s: %" PRIu64 " bytes in %.3f s (%.1f MB/s)%s%s%s",
               self->link->user, download->owner, download->path, sink_saved (sink),
               sink_size (sink), seconds, tlink_rate (bytes, seconds),
               sink_resumed (sink)? ", resumed": "",
               download->switched_from? ", switched from ": "",
               download->switched_from? download->switched_from: "");
    //  Remember its digest: the next get of this content finds it at once
    struct stat st;
    uint8_t digest [DIGEST_SIZE];
    if (stat (sink_saved (sink), &st) == 0 && sink_digest (sink, digest) == 0)
        already_add (self->already, &st, digest);
    Fshare__GetResult result = FSHARE__GET_RESULT__INIT;
    result.path = (char *) sink_saved (sink);
    result.size = sink_size (sink);
    result.sha256 = (char *) sink_sha256 (sink);
    result.resumed = sink_resumed (sink);
    result.resumed_at = download->start_offset;
    result.restarted = sink_restarted (sink) || download->whole_again;
    result.duration_ms = (uint64_t) (seconds * 1000);
    result.switched_to = download->switched_from? download->owner: "";
    s_reply_result (self, download, &result);
}

//  The content is already there: nothing is transferred.
void
dlend_identical (downloads_t *self, download_t *download, const char *found)
{
    char hex [DIGEST_HEX_SIZE];
    digest_hex (download->sha256, hex);
    zsys_info ("%s: %s:'%s' is already in %s: nothing to transfer", self->link->user,
               download->owner, download->path, found);
    Fshare__GetResult result = FSHARE__GET_RESULT__INIT;
    result.path = (char *) found;
    result.size = download->pub_size;
    result.sha256 = hex;
    result.identical = true;
    result.duration_ms = (uint64_t) (tlink_seconds_since (download->started) * 1000);
    s_reply_result (self, download, &result);
}