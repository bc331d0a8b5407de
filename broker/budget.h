/*  budget.h - a rate a client may not exceed: a token bucket.

    What one session makes the broker publish costs every subscriber:
    each Change becomes an event in every agent's and tap's queue. A
    session may spend up to `burst` at once and `rate` a second after
    that; what it tries beyond is refused, not queued, so a client that
    floods costs the others no more than an honest one at its busiest.
    The clock is passed in (ms, monotonic), so tests need no waiting.
*/
#ifndef BUDGET_H_INCLUDED
#define BUDGET_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t rate;              //  units a second
    uint64_t burst;             //  units at once, and the most saved up
    uint64_t level;             //  units left now
    int64_t at;                 //  when level was last brought up to date
} budget_t;

//  A full budget at `now`.
void budget_init (budget_t *self, uint64_t rate, uint64_t burst, int64_t now);

//  Spends `cost` at `now` when that much is left (true); else spends
//  nothing (false).
bool budget_spend (budget_t *self, uint64_t cost, int64_t now);

#endif
