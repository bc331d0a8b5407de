/*  catalog.h - what a session may publish, and the events it causes.

    A session's Publish pages and Changes are checked here against the
    rules every path obeys (validate.h) and the broker's own limits: files
    per account (--max-files), path length and depth (--max-path,
    --max-depth), the bytes one account's list may cost (--max-list-bytes)
    and what every list together may cost (--max-total-bytes), so that no
    client can make the broker's memory grow without bound. A valid change
    updates the session's table and is published (publisher.h).
*/
#ifndef CATALOG_H_INCLUDED
#define CATALOG_H_INCLUDED

#include "fshare.h"
#include "session.h"
#include "publisher.h"
#include "ratelog.h"

#define CATALOG_LIST_BYTES_DEFAULT  (256ULL * 1024 * 1024)     //  1,000,000 paths of 150 bytes
#define CATALOG_TOTAL_BYTES_DEFAULT (1024ULL * 1024 * 1024)

typedef struct {
    size_t max_files;
    size_t max_path;
    int max_depth;
    uint64_t max_bytes;         //  one session's list (session_list_bytes)
    uint64_t total_left;        //  what all lists may still grow by, together
} catalog_limits_t;

//  A Publish page into the session's table. FSH_ERR_NONE, or the code to
//  refuse it with and *reason (static text); the caller then drops the
//  session. A valid file beyond --max-path/--max-depth is left out
//  (logged), the rest published.
fsh_err_t catalog_publish (session_t *session, const Fshare__Publish *publish,
                           const catalog_limits_t *limits, fsh_ratelog_t *ratelog,
                           const char **reason);

//  A Change applied to the session's table and published. FSH_ERR_NONE,
//  or the code and *reason to refuse it with (nothing changed).
fsh_err_t catalog_change (session_t *session, const Fshare__Change *change,
                          const catalog_limits_t *limits, publisher_t *publisher,
                          fsh_ratelog_t *ratelog, const char **reason);

#endif
