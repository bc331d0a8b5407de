/*  budget.c - a token bucket. See budget.h.
*/
#include "budget.h"

void
budget_init (budget_t *self, uint64_t rate, uint64_t burst, int64_t now)
{
    self->rate = rate;
    self->burst = burst;
    self->level = burst;
    self->at = now;
}

//  What has come in since the last look, up to the burst. Each look
//  rounds down (at a rate that is not whole units a millisecond, quick
//  looks lose under a unit each): a client never gains by asking often.
static void
s_refill (budget_t *self, int64_t now)
{
    if (now <= self->at)
        return;
    uint64_t elapsed = (uint64_t) (now - self->at);
    uint64_t room = self->burst - self->level;
    //  elapsed * rate would overflow only long past filling up
    uint64_t gained = self->rate && elapsed > UINT64_MAX / self->rate? UINT64_MAX
                    : elapsed * self->rate / 1000;
    self->level = gained >= room? self->burst: self->level + gained;
    self->at = now;
}

bool
budget_spend (budget_t *self, uint64_t cost, int64_t now)
{
    s_refill (self, now);
    if (cost > self->level)
        return false;
    self->level -= cost;
    return true;
}
