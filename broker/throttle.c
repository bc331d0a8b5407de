/*  throttle.c - slowing down password guessing. See throttle.h. */
#include "throttle.h"

typedef struct {
    unsigned failures;
    int64_t last_failure;       //  zclock_mono ms
    int64_t next_ok;            //  no check before this
    unsigned busy;              //  logins being checked now
} record_t;

struct _throttle_t {
    zhashx_t *records;          //  "u:NAME" / "c:CONNECTION" / "a:" "f:" ADDRESS -> record_t
    int64_t base_ms;
    int64_t max_ms;
    int64_t quiet_ms;
};

static void
s_record_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

throttle_t *
throttle_new (int base_ms, int max_ms)
{
    throttle_t *self = (throttle_t *) zmalloc (sizeof (throttle_t));
    self->records = zhashx_new ();
    zhashx_set_destructor (self->records, s_record_free);
    self->base_ms = base_ms > 0? base_ms: THROTTLE_BASE_MS;
    self->max_ms = max_ms > 0? max_ms: THROTTLE_MAX_MS;
    if (self->max_ms < self->base_ms)
        self->max_ms = self->base_ms;
    self->quiet_ms = self->max_ms * 4;
    return self;
}

void
throttle_destroy (throttle_t **self_p)
{
    throttle_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->records);
    free (self);
    *self_p = NULL;
}

//  A routing id as hex is up to 510 characters
#define KEY_MAX 640

//  The table's key of a record: "KIND:NAME"
static void
s_key (char key [KEY_MAX], char kind, const char *name)
{
    snprintf (key, KEY_MAX, "%c:%s", kind, name? name: "");
}

static record_t *
s_find (throttle_t *self, char kind, const char *name)
{
    char key [KEY_MAX];
    s_key (key, kind, name);
    return (record_t *) zhashx_lookup (self->records, key);
}

static record_t *
s_get (throttle_t *self, char kind, const char *name)
{
    record_t *record = s_find (self, kind, name);
    if (!record) {
        char key [KEY_MAX];
        s_key (key, kind, name);
        record = (record_t *) zmalloc (sizeof (record_t));
        zhashx_insert (self->records, key, record);
    }
    return record;
}

//  A record whose last failure is long past counts as clean.
static bool
s_stale (throttle_t *self, record_t *record, int64_t now)
{
    return record->failures == 0 || now - record->last_failure > self->quiet_ms;
}

static int64_t
s_record_wait (throttle_t *self, record_t *record, int64_t now, unsigned parallel)
{
    if (!record)
        return 0;
    int64_t wait = 0;
    if (!s_stale (self, record, now) && record->next_ok > now)
        wait = record->next_ok - now;
    if (record->busy >= parallel && wait < THROTTLE_RECHECK_MS)
        wait = THROTTLE_RECHECK_MS;
    return wait;
}

//  The address's record of a lane: 'a' suspect, 'f' clean ("fresh")
static char
s_address_kind (throttle_lane_t lane)
{
    return lane == THROTTLE_SUSPECT? 'a': 'f';
}

throttle_lane_t
throttle_lane (throttle_t *self, const throttle_login_t *login, int64_t now)
{
    record_t *user = s_find (self, 'u', login->user);
    record_t *connection = s_find (self, 'c', login->connection);
    if ((user && !s_stale (self, user, now)) || (connection && !s_stale (self, connection, now)))
        return THROTTLE_SUSPECT;
    return THROTTLE_CLEAN;
}

static int64_t
s_longer (int64_t one, int64_t other)
{
    return one > other? one: other;
}

int64_t
throttle_wait (throttle_t *self, const throttle_login_t *login, throttle_lane_t lane,
               int64_t now)
{
    int64_t wait = s_record_wait (self, s_find (self, 'u', login->user), now, 1);
    wait = s_longer (wait, s_record_wait (self, s_find (self, 'c', login->connection), now, 1));
    record_t *address = s_find (self, s_address_kind (lane), login->address);
    return s_longer (wait, s_record_wait (self, address, now, THROTTLE_PARALLEL));
}

void
throttle_begin (throttle_t *self, const throttle_login_t *login, throttle_lane_t lane)
{
    s_get (self, 'u', login->user)->busy++;
    s_get (self, 'c', login->connection)->busy++;
    s_get (self, s_address_kind (lane), login->address)->busy++;
}

//  One check less on a record; one with nothing left to say goes.
static void
s_record_end (throttle_t *self, char kind, const char *name)
{
    record_t *record = s_find (self, kind, name);
    if (!record)
        return;
    if (record->busy)
        record->busy--;
    if (record->busy == 0 && record->failures == 0) {
        char key [KEY_MAX];
        s_key (key, kind, name);
        zhashx_delete (self->records, key);
    }
}

void
throttle_end (throttle_t *self, const throttle_login_t *login, throttle_lane_t lane)
{
    s_record_end (self, 'u', login->user);
    s_record_end (self, 'c', login->connection);
    s_record_end (self, s_address_kind (lane), login->address);
}

//  One more failure on a record; returns its new delay.
static int64_t
s_record_fail (throttle_t *self, record_t *record, int64_t now)
{
    if (s_stale (self, record, now))
        record->failures = 0;
    record->failures++;
    int64_t delay = self->base_ms;
    for (unsigned i = 1; i < record->failures && delay < self->max_ms; i++)
        delay *= 2;
    if (delay > self->max_ms)
        delay = self->max_ms;
    record->last_failure = now;
    record->next_ok = now + delay;
    return delay;
}

//  The record of kind/name, made when there is room; NULL when the table
//  is full even after a purge.
static record_t *
s_get_bounded (throttle_t *self, char kind, const char *name)
{
    record_t *record = s_find (self, kind, name);
    if (record || zhashx_size (self->records) >= THROTTLE_RECORDS_MAX)
        return record;
    return s_get (self, kind, name);
}

int64_t
throttle_failed (throttle_t *self, const throttle_login_t *login, throttle_lane_t lane,
                 int64_t now)
{
    if (zhashx_size (self->records) >= THROTTLE_RECORDS_MAX)
        throttle_purge (self, now);
    //  The address's first: still full after a purge means guesses at ever
    //  new names from many connections, and the address lane still slows
    //  them; the table does not grow without bound.
    int64_t delay = s_record_fail (self, s_get (self, s_address_kind (lane), login->address), now);
    record_t *user = s_get_bounded (self, 'u', login->user);
    if (user)
        delay = s_longer (delay, s_record_fail (self, user, now));
    record_t *connection = s_get_bounded (self, 'c', login->connection);
    if (connection)
        delay = s_longer (delay, s_record_fail (self, connection, now));
    return delay;
}

static void
s_record_clear (record_t *record)
{
    if (record) {
        record->failures = 0;
        record->next_ok = 0;
    }
}

void
throttle_succeeded (throttle_t *self, const throttle_login_t *login)
{
    s_record_clear (s_find (self, 'u', login->user));
    s_record_clear (s_find (self, 'c', login->connection));
}

size_t
throttle_purge (throttle_t *self, int64_t now)
{
    zlistx_t *gone = zlistx_new ();
    zlistx_set_destructor (gone, s_record_free);
    //  A table must not change while it is walked: collect, then delete
    for (record_t *record = (record_t *) zhashx_first (self->records); record;
         record = (record_t *) zhashx_next (self->records))
        if (record->busy == 0 && s_stale (self, record, now))
            zlistx_add_end (gone, strdup ((const char *) zhashx_cursor (self->records)));
    for (const char *key = (const char *) zlistx_first (gone); key;
         key = (const char *) zlistx_next (gone))
        zhashx_delete (self->records, key);
    zlistx_destroy (&gone);
    return zhashx_size (self->records);
}

unsigned
throttle_failures (throttle_t *self, char kind, const char *name)
{
    record_t *record = s_find (self, kind, name);
    return record? record->failures: 0;
}
