/*  downloads.h - the downloads started from the page, and where they stand.

    A job is one click: a file, or a folder (every file below it, saved
    under <downloads>/<folder name>/ with the folder's structure). Each
    file of a job is an item that the bridge hands to the agent as one
    `get`, a few at a time; the page shows the jobs, their progress, a
    cancel button while they run, and the saved files, which the server
    hands out by (job, item) number only: the browser never names a path.
    Shared by the HTTP threads and the bridge: calls are made with the
    lock held (downloads_lock/unlock), except new/destroy.
*/
#ifndef DOWNLOADS_H_INCLUDED
#define DOWNLOADS_H_INCLUDED

#include "fshare.h"

#define DOWNLOADS_JOBS      200     //  finished jobs beyond this are forgotten
#define DOWNLOADS_RUNNING   4       //  items moving at once
//  Unfinished work the page may queue: a click repeated (or a script
//  posting for ever) must not grow the table, the agent's queue and the
//  downloads directory without end. Twice the 100,000 files of SPEC 9.
#define DOWNLOADS_PENDING   100     //  unfinished jobs
#define DOWNLOADS_ITEMS     200000  //  their files, together

typedef enum {
    ITEM_QUEUED, ITEM_RUNNING, ITEM_DONE, ITEM_FAILED, ITEM_CANCELLED, ITEM_STATES
} item_state_t;

typedef struct {
    char *path;             //  the owner's path
    char *output;           //  absolute destination for the agent, or NULL
    item_state_t state;
    uint64_t done, total;   //  bytes
    char *saved;            //  where the agent saved it (absolute)
    char *downloads;        //  the agent's downloads directory then: the
                            //  file is handed out only from beneath it
    uint64_t size;
    char *sha256;
    char *error;
    void *link;             //  the bridge's handle while running
} download_item_t;

typedef struct {
    uint64_t id;
    char *owner;
    char *what;             //  the file's path, or the folder ("" = all)
    bool folder;
    bool cancelled;         //  asked to stop: the bridge ends its items
    size_t count;
    download_item_t *items;
    //  Kept by every change of state (all go through the calls below), so
    //  that a folder of 100,000 files costs no scan of them per file
    size_t tally [ITEM_STATES];     //  items in each state
    size_t cursor;                  //  no item before this one is queued
} download_job_t;

typedef struct _downloads_t downloads_t;

downloads_t *downloads_new (void);
void downloads_destroy (downloads_t **self_p);
void downloads_lock (downloads_t *self);
void downloads_unlock (downloads_t *self);

//  A new job of `count` items (paths, and outputs or NULL); its id. The
//  same download (owner, what, folder) while one is unfinished is that
//  one: its id again. 0 when the unfinished jobs or their items would
//  pass DOWNLOADS_PENDING or DOWNLOADS_ITEMS (nothing added).
uint64_t downloads_add (downloads_t *self, const char *owner, const char *what, bool folder,
                        size_t count, const char *const *paths, const char *const *outputs);
//  The unfinished job of this download (not one cancelled), or NULL.
download_job_t *downloads_unfinished (downloads_t *self, const char *owner, const char *what,
                                      bool folder);
download_job_t *downloads_job (downloads_t *self, uint64_t id);
//  Jobs, newest first (the list is the table's; do not destroy).
zlistx_t *downloads_jobs (downloads_t *self);
//  Ask a job to stop: queued items are cancelled at once. False when
//  there is no such job or it has ended.
bool downloads_cancel (downloads_t *self, uint64_t id);

//  The bridge: the next queued item to start (marked running) while fewer
//  than DOWNLOADS_RUNNING run, or NULL. Oldest job first.
download_item_t *downloads_next (downloads_t *self, download_job_t **job);
//  A running item has ended: ITEM_DONE, ITEM_FAILED or ITEM_CANCELLED.
void downloads_item_end (downloads_t *self, download_job_t *job, download_item_t *item,
                         item_state_t state);
//  A running item could not start after all: queued again, in its place.
void downloads_requeue (downloads_t *self, download_job_t *job, download_item_t *item);
//  Counts of a job's items, for its summary (running counts the queued).
void downloads_counts (download_job_t *job, size_t *running, size_t *done, size_t *failed,
                       size_t *cancelled);
bool downloads_job_over (download_job_t *job);
//  A change to show: the version increases.
void downloads_changed (downloads_t *self);
uint64_t downloads_version (downloads_t *self);

#endif
