/*  throttle.c - slowing down password guessing. See throttle.h. */
#include "throttle.h"

typedef struct {
    unsigned failures;
    int64_t last_failure;       //  zclock_mono ms
    int64_t next_ok;            //  no check before this
    unsigned busy;              //  logins being checked now
} record_t;

struct _throttle_t {
    zhashx_t *records;          //  "u:NAME" / "a:ADDRESS" -> record_t
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

static record_t *
s_find (throttle_t *self, char kind, const char *name)
{
    char key [160];
    snprintf (key, sizeof key, "%c:%s", kind, name? name: "");
    return (record_t *) zhashx_lookup (self->records, key);
}

static record_t *
s_get (throttle_t *self, char kind, const char *name)
{
    record_t *record = s_find (self, kind, name);
    if (!record) {
        char key [160];
        snprintf (key, sizeof key, "%c:%s", kind, name? name: "");
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

int64_t
throttle_wait (throttle_t *self, const char *user, const char *address, int64_t now)
{
    int64_t by_user = s_record_wait (self, s_find (self, 'u', user), now, 1);
    int64_t by_address = s_record_wait (self, s_find (self, 'a', address), now,
                                        THROTTLE_PARALLEL);
    return by_user > by_address? by_user: by_address;
}

void
throttle_begin (throttle_t *self, const char *user, const char *address)
{
    s_get (self, 'u', user)->busy++;
    s_get (self, 'a', address)->busy++;
}

void
throttle_end (throttle_t *self, const char *user, const char *address)
{
    record_t *record = s_find (self, 'u', user);
    if (record && record->busy)
        record->busy--;
    record = s_find (self, 'a', address);
    if (record && record->busy)
        record->busy--;
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

int64_t
throttle_failed (throttle_t *self, const char *user, const char *address, int64_t now)
{
    if (zhashx_size (self->records) >= THROTTLE_RECORDS_MAX)
        throttle_purge (self, now);
    int64_t delay = s_record_fail (self, s_get (self, 'a', address), now);
    //  Still full after a purge: guesses at ever new names from many
    //  addresses. The addresses are slowed; do not grow without bound.
    record_t *user_record = zhashx_size (self->records) < THROTTLE_RECORDS_MAX
                          ? s_get (self, 'u', user): s_find (self, 'u', user);
    if (user_record) {
        int64_t by_user = s_record_fail (self, user_record, now);
        if (by_user > delay)
            delay = by_user;
    }
    return delay;
}

void
throttle_succeeded (throttle_t *self, const char *user)
{
    record_t *record = s_find (self, 'u', user);
    if (record) {
        record->failures = 0;
        record->next_ok = 0;
    }
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
throttle_failures (throttle_t *self, const char *user, const char *address)
{
    record_t *record = user? s_find (self, 'u', user): s_find (self, 'a', address);
    return record? record->failures: 0;
}
