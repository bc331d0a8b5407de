/*  hasher.c - password hashing off the broker's routing loop. See hasher.h.

    Each worker is a zactor that takes one job at a time on its pipe and
    pushes the result to a PULL socket the broker polls. The hasher keeps
    the queue itself and hands a job only to an idle worker, so a slow job
    never holds up others and passwords stay in memory we wipe: a job
    travels as a pointer, never as a message frame that libzmq would free
    without wiping. A worker becomes idle again when its result is read,
    so at most one result per worker is ever waiting on the socket.
*/
#include "hasher.h"
#include <sodium.h>

typedef enum { JOB_VERIFY, JOB_HASH } job_kind_t;

typedef struct {
    job_kind_t kind;
    uint64_t ticket;
    char *hash;                 //  verify: the stored hash, may be NULL
    char *password;             //  wiped before it is freed
} job_t;

typedef struct {
    int index;
    const char *endpoint;       //  where results go; owned by the hasher
    passhash_cost_t cost;
    zactor_t *actor;
    bool busy;
} worker_t;

struct _hasher_t {
    char *endpoint;
    zsock_t *results;           //  PULL, bound; workers PUSH to it
    worker_t *workers;
    int nbr_workers;
    zlistx_t *queue [HASHER_LANES];  //  job_t waiting for an idle worker
    int next_lane;              //  the lane whose turn it is
};


static void
s_job_destroy (job_t **self_p)
{
    if (*self_p) {
        job_t *self = *self_p;
        if (self->password) {
            sodium_memzero (self->password, strlen (self->password));
            free (self->password);
        }
        free (self->hash);
        free (self);
        *self_p = NULL;
    }
}

static job_t *
s_job_new (job_kind_t kind, uint64_t ticket, const char *hash, const char *password)
{
    job_t *self = (job_t *) zmalloc (sizeof (job_t));
    self->kind = kind;
    self->ticket = ticket;
    self->hash = hash? strdup (hash): NULL;
    self->password = strdup (password? password: "");
    return self;
}


//  --------------------------------------------------------------------------
//  Worker thread

static void
s_worker_run (job_t *job, zsock_t *results, const worker_t *worker)
{
    char *hash = NULL;
    bool ok;
    if (job->kind == JOB_VERIFY)
        ok = passhash_verify (job->hash, job->password);
    else {
        hash = passhash_new (job->password, worker->cost);
        ok = hash != NULL;
    }
    zsock_send (results, "i8iis", worker->index, job->ticket, (int) job->kind,
                (int) ok, hash? hash: "");
    zstr_free (&hash);
}

static void
s_worker (zsock_t *pipe, void *args)
{
    const worker_t *worker = (const worker_t *) args;
    zsock_t *results = zsock_new_push (worker->endpoint);
    zsock_signal (pipe, results? 0: 1);
    while (results) {
        char *command = NULL;
        void *pointer = NULL;
        if (zsock_recv (pipe, "sp", &command, &pointer) != 0) {
            //  A signal meant for the broker may land in this thread; the
            //  broker ends us with $TERM, and jobs may still be on the way.
            if (errno == EINTR)
                continue;
            break;
        }
        bool term = command && streq (command, "$TERM");
        job_t *job = (job_t *) pointer;
        if (command && streq (command, "JOB") && job) {
            s_worker_run (job, results, worker);
            s_job_destroy (&job);
        }
        zstr_free (&command);
        if (term)
            break;
    }
    zsock_destroy (&results);
}


//  --------------------------------------------------------------------------
//  Hasher

hasher_t *
hasher_new (int workers, passhash_cost_t cost)
{
    //  Before any thread: libsodium picks its implementations once.
    if (workers < 1 || sodium_init () < 0)
        return NULL;
    hasher_t *self = (hasher_t *) zmalloc (sizeof (hasher_t));
    //  Unique even across hashers at the same address: libzmq releases an
    //  inproc name only some time after its socket is closed.
    zuuid_t *uuid = zuuid_new ();
    self->endpoint = zsys_sprintf ("inproc://fshare-hasher-%s", zuuid_str (uuid));
    zuuid_destroy (&uuid);
    self->results = zsock_new_pull (NULL);
    for (int lane = 0; lane < HASHER_LANES; lane++) {
        self->queue [lane] = zlistx_new ();
        zlistx_set_destructor (self->queue [lane], (zlistx_destructor_fn *) s_job_destroy);
    }
    self->workers = (worker_t *) zmalloc (sizeof (worker_t) * (size_t) workers);
    if (!self->results || zsock_bind (self->results, "%s", self->endpoint) != 0) {
        hasher_destroy (&self);
        return NULL;
    }
    for (int index = 0; index < workers; index++) {
        worker_t *worker = &self->workers [index];
        worker->index = index;
        worker->endpoint = self->endpoint;
        worker->cost = cost;
        worker->actor = zactor_new (s_worker, worker);
        if (!worker->actor) {
            hasher_destroy (&self);
            return NULL;
        }
        self->nbr_workers++;
    }
    return self;
}

void
hasher_destroy (hasher_t **self_p)
{
    if (*self_p) {
        hasher_t *self = *self_p;
        //  A busy worker finishes its job (its result just queues on the
        //  PULL socket, which outlives the workers) and then sees $TERM.
        for (int index = 0; index < self->nbr_workers; index++)
            zactor_destroy (&self->workers [index].actor);
        for (int lane = 0; lane < HASHER_LANES; lane++)
            zlistx_destroy (&self->queue [lane]);
        zsock_destroy (&self->results);
        free (self->workers);
        free (self->endpoint);
        free (self);
        *self_p = NULL;
    }
}

zsock_t *
hasher_socket (hasher_t *self)
{
    assert (self);
    return self->results;
}

//  The next job by turns of the lanes, NULL when none waits.
static job_t *
s_next_job (hasher_t *self)
{
    for (int tries = 0; tries < HASHER_LANES; tries++) {
        int lane = self->next_lane;
        self->next_lane = (self->next_lane + 1) % HASHER_LANES;
        if (zlistx_size (self->queue [lane]))
            return (job_t *) zlistx_detach (self->queue [lane], NULL);
    }
    return NULL;
}

//  Hands queued jobs to idle workers.
static void
s_dispatch (hasher_t *self)
{
    for (int index = 0; index < self->nbr_workers; index++) {
        worker_t *worker = &self->workers [index];
        if (worker->busy)
            continue;
        job_t *job = s_next_job (self);
        if (!job)
            return;
        if (zsock_send (worker->actor, "sp", "JOB", job) != 0) {
            //  Only when interrupted; the job stays ours to free.
            s_job_destroy (&job);
            continue;
        }
        worker->busy = true;
    }
}

static int
s_lane (int lane)
{
    return lane < 0? 0: lane >= HASHER_LANES? HASHER_LANES - 1: lane;
}

static void
s_queue (hasher_t *self, int lane, job_t *job)
{
    zlistx_add_end (self->queue [s_lane (lane)], job);
    s_dispatch (self);
}

void
hasher_verify (hasher_t *self, uint64_t ticket, const char *hash, const char *password)
{
    hasher_verify_in (self, 0, ticket, hash, password);
}

void
hasher_hash (hasher_t *self, uint64_t ticket, const char *password)
{
    hasher_hash_in (self, 0, ticket, password);
}

void
hasher_verify_in (hasher_t *self, int lane, uint64_t ticket, const char *hash,
                  const char *password)
{
    assert (self);
    s_queue (self, lane, s_job_new (JOB_VERIFY, ticket, hash, password));
}

void
hasher_hash_in (hasher_t *self, int lane, uint64_t ticket, const char *password)
{
    assert (self);
    s_queue (self, lane, s_job_new (JOB_HASH, ticket, NULL, password));
}

size_t
hasher_queued (hasher_t *self, int lane)
{
    return zlistx_size (self->queue [s_lane (lane)]);
}

int
hasher_result (hasher_t *self, uint64_t *ticket, bool *ok, char **hash)
{
    assert (self);
    int index = -1;
    int kind = 0;
    int success = 0;
    char *text = NULL;
    if (zsock_recv (self->results, "i8iis", &index, ticket, &kind, &success, &text) != 0)
        return -1;
    if (index >= 0 && index < self->nbr_workers)
        self->workers [index].busy = false;
    s_dispatch (self);
    *ok = success != 0;
    if (kind == JOB_HASH && *ok && hash)
        *hash = text;
    else {
        if (hash)
            *hash = NULL;
        zstr_free (&text);
    }
    return 0;
}
