/*  dlend.h - how a download ends, and what its ctl hears meanwhile.

    A download ends failed (its partial file kept for a resume when the
    failure leaves it a valid prefix, the broker told unless it already
    knows), saved (its digest remembered so the next get of the content
    finds it at once), or identical (the content was already saved here:
    nothing transferred). Until then its ctl hears progress. Each end
    answers the ctl once and removes the download from the table, except
    a failure before the owner's Opened, which waits for the Opened to
    cancel it.
*/
#ifndef DLEND_H_INCLUDED
#define DLEND_H_INCLUDED

#include "download_int.h"

//  Progress; before the owner has answered, a bare "still working" reply.
//  A ctl that is gone is noticed here (its frame is dropped).
void dlend_progress (downloads_t *self, download_t *download);

//  Fail with `code` (`reason` for people, or NULL for the code's text);
//  `tell_broker`: cancel the transfer at the broker too.
void dlend_fail (downloads_t *self, download_t *download, fsh_err_t code, const char *reason,
                 bool tell_broker);

//  The sink verified and saved the file.
void dlend_succeed (downloads_t *self, download_t *download);

//  The content is already saved at `found`.
void dlend_identical (downloads_t *self, download_t *download, const char *found);

#endif
