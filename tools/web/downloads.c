/*  downloads.c - downloads started from the page. See downloads.h. */
#include "downloads.h"
#include <pthread.h>

struct _downloads_t {
    pthread_mutex_t lock;
    zlistx_t *jobs;         //  download_job_t, newest first
    uint64_t next_id;
    uint64_t version;
    size_t running;         //  items running, of every job
};

static void
s_job_destroy (void **item)
{
    download_job_t *job = (download_job_t *) *item;
    if (!job)
        return;
    for (size_t i = 0; i < job->count; i++) {
        download_item_t *it = &job->items [i];
        assert (!it->link);
        free (it->path);
        free (it->output);
        free (it->saved);
        free (it->downloads);
        free (it->sha256);
        free (it->error);
    }
    free (job->items);
    free (job->owner);
    free (job->what);
    free (job);
    *item = NULL;
}

downloads_t *
downloads_new (void)
{
    downloads_t *self = (downloads_t *) zmalloc (sizeof (downloads_t));
    pthread_mutex_init (&self->lock, NULL);
    self->jobs = zlistx_new ();
    zlistx_set_destructor (self->jobs, s_job_destroy);
    return self;
}

void
downloads_destroy (downloads_t **self_p)
{
    if (*self_p) {
        downloads_t *self = *self_p;
        zlistx_destroy (&self->jobs);
        pthread_mutex_destroy (&self->lock);
        free (self);
        *self_p = NULL;
    }
}

void
downloads_lock (downloads_t *self)
{
    pthread_mutex_lock (&self->lock);
}

void
downloads_unlock (downloads_t *self)
{
    pthread_mutex_unlock (&self->lock);
}

//  Every change of an item's state: the tallies follow it.
static void
s_move (downloads_t *self, download_job_t *job, download_item_t *item, item_state_t to)
{
    assert (job->tally [item->state] > 0);
    job->tally [item->state]--;
    self->running -= item->state == ITEM_RUNNING;
    item->state = to;
    job->tally [to]++;
    self->running += to == ITEM_RUNNING;
    size_t index = (size_t) (item - job->items);
    if (to == ITEM_QUEUED && index < job->cursor)
        job->cursor = index;
    self->version++;
}

static size_t
s_waiting (download_job_t *job)
{
    return job->tally [ITEM_QUEUED] + job->tally [ITEM_RUNNING];
}

bool
downloads_job_over (download_job_t *job)
{
    return s_waiting (job) == 0;
}

//  Forget the oldest finished jobs beyond the limit.
static void
s_trim (downloads_t *self)
{
    download_job_t *job = (download_job_t *) zlistx_last (self->jobs);
    while (job && zlistx_size (self->jobs) > DOWNLOADS_JOBS) {
        download_job_t *older = (download_job_t *) zlistx_prev (self->jobs);
        if (downloads_job_over (job))
            zlistx_delete (self->jobs, zlistx_find (self->jobs, job));
        job = older;
    }
}

download_job_t *
downloads_unfinished (downloads_t *self, const char *owner, const char *what, bool folder)
{
    for (download_job_t *job = (download_job_t *) zlistx_first (self->jobs); job;
         job = (download_job_t *) zlistx_next (self->jobs))
        if (!job->cancelled && job->folder == folder && streq (job->owner, owner)
        &&  streq (job->what, what) && !downloads_job_over (job))
            return job;
    return NULL;
}

//  Room for one more unfinished job of `count` items.
static bool
s_room (downloads_t *self, size_t count)
{
    size_t jobs = 0, items = 0;
    for (download_job_t *job = (download_job_t *) zlistx_first (self->jobs); job;
         job = (download_job_t *) zlistx_next (self->jobs)) {
        size_t waiting = s_waiting (job);
        jobs += waiting > 0;
        items += waiting;
    }
    return jobs < DOWNLOADS_PENDING && count <= DOWNLOADS_ITEMS && items <= DOWNLOADS_ITEMS - count;
}

uint64_t
downloads_add (downloads_t *self, const char *owner, const char *what, bool folder,
               size_t count, const char *const *paths, const char *const *outputs)
{
    download_job_t *same = downloads_unfinished (self, owner, what, folder);
    if (same)
        return same->id;
    if (!s_room (self, count))
        return 0;
    download_job_t *job = (download_job_t *) zmalloc (sizeof (download_job_t));
    job->id = ++self->next_id;
    job->owner = strdup (owner);
    job->what = strdup (what);
    job->folder = folder;
    job->count = count;
    job->tally [ITEM_QUEUED] = count;
    job->items = (download_item_t *) calloc (count? count: 1, sizeof (download_item_t));
    assert (job->items);
    for (size_t i = 0; i < count; i++) {
        job->items [i].path = strdup (paths [i]);
        job->items [i].output = outputs && outputs [i]? strdup (outputs [i]): NULL;
    }
    zlistx_add_start (self->jobs, job);
    s_trim (self);
    self->version++;
    return job->id;
}

download_job_t *
downloads_job (downloads_t *self, uint64_t id)
{
    for (download_job_t *job = (download_job_t *) zlistx_first (self->jobs); job;
         job = (download_job_t *) zlistx_next (self->jobs))
        if (job->id == id)
            return job;
    return NULL;
}

zlistx_t *
downloads_jobs (downloads_t *self)
{
    return self->jobs;
}

bool
downloads_cancel (downloads_t *self, uint64_t id)
{
    download_job_t *job = downloads_job (self, id);
    if (!job || downloads_job_over (job))
        return false;
    job->cancelled = true;
    for (size_t i = job->cursor; i < job->count; i++)
        if (job->items [i].state == ITEM_QUEUED)
            s_move (self, job, &job->items [i], ITEM_CANCELLED);
    self->version++;
    return true;
}

download_item_t *
downloads_next (downloads_t *self, download_job_t **job_p)
{
    if (self->running >= DOWNLOADS_RUNNING)
        return NULL;
    //  Oldest job first: the list is newest first
    for (download_job_t *job = (download_job_t *) zlistx_last (self->jobs); job;
         job = (download_job_t *) zlistx_prev (self->jobs)) {
        if (job->cancelled || job->tally [ITEM_QUEUED] == 0)
            continue;
        while (job->cursor < job->count && job->items [job->cursor].state != ITEM_QUEUED)
            job->cursor++;
        assert (job->cursor < job->count);
        download_item_t *item = &job->items [job->cursor];
        s_move (self, job, item, ITEM_RUNNING);
        *job_p = job;
        return item;
    }
    return NULL;
}

void
downloads_item_end (downloads_t *self, download_job_t *job, download_item_t *item,
                    item_state_t state)
{
    assert (item->state == ITEM_RUNNING);
    assert (state == ITEM_DONE || state == ITEM_FAILED || state == ITEM_CANCELLED);
    s_move (self, job, item, state);
}

void
downloads_requeue (downloads_t *self, download_job_t *job, download_item_t *item)
{
    assert (item->state == ITEM_RUNNING);
    s_move (self, job, item, ITEM_QUEUED);
}

void
downloads_counts (download_job_t *job, size_t *running, size_t *done, size_t *failed,
                  size_t *cancelled)
{
    *running = s_waiting (job);
    *done = job->tally [ITEM_DONE];
    *failed = job->tally [ITEM_FAILED];
    *cancelled = job->tally [ITEM_CANCELLED];
}

void
downloads_changed (downloads_t *self)
{
    self->version++;
}

uint64_t
downloads_version (downloads_t *self)
{
    return self->version;
}
