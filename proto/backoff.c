/*  backoff.c - the wait before trying again. See backoff.h.
*/
#include "backoff.h"

void
fsh_backoff_init (fsh_backoff_t *self, int first_ms, int max_ms, int64_t total_ms)
{
    self->first_ms = first_ms > 0? first_ms: 1;
    self->max_ms = max_ms >= self->first_ms? max_ms: self->first_ms;
    self->total_ms = total_ms > 0? total_ms: 0;
    fsh_backoff_reset (self);
}

int
fsh_backoff_next (fsh_backoff_t *self, int64_t now)
{
    if (!self->since) {
        //  A clock that reads 0 would look like "nothing refused"
        self->since = now? now: 1;
        self->delay_ms = self->first_ms;
    }
    int delay = self->delay_ms;
    if (self->total_ms && now + delay - self->since > self->total_ms)
        return -1;
    self->delay_ms = delay > self->max_ms / 2? self->max_ms: delay * 2;
    return delay;
}

void
fsh_backoff_reset (fsh_backoff_t *self)
{
    self->since = 0;
    self->delay_ms = self->first_ms;
}

bool
fsh_backoff_active (const fsh_backoff_t *self)
{
    return self->since != 0;
}
