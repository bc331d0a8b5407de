/*  settle.h - paths waiting a short while before the host directory
    looks at them again.

    A removed file is not reported at once: editors and checkouts replace a
    file by deleting or renaming it away and writing a new one, and a path
    that comes back within the settle window is one change, not a removal
    and an addition. Changes that come without a close (truncate(2), a
    write still going on) are looked at once the window has passed too.
    One delay for every entry, so the queue is in deadline order: adding
    and taking are O(1), and nothing is ever polled.

    Times are passed in (milliseconds, zclock_mono in the agent), which
    keeps the logic testable without sleeping.
*/
#ifndef SETTLE_H_INCLUDED
#define SETTLE_H_INCLUDED

#include "fshare.h"

#define SETTLE_DEFAULT_MS   100

typedef struct _settle_t settle_t;

//  delay_ms >= 0: how long each path waits.
settle_t *settle_new (int delay_ms);
void settle_destroy (settle_t **self_p);
int settle_delay (settle_t *self);

//  Path is due at now + delay. A path already waiting keeps its earlier
//  deadline: a stream of events cannot postpone it for ever.
void settle_add (settle_t *self, const char *path, int64_t now);

//  Forget path (it was settled otherwise). True when it was waiting.
bool settle_cancel (settle_t *self, const char *path);
bool settle_has (settle_t *self, const char *path);
size_t settle_size (settle_t *self);

//  Every waiting path at or under dir ("" for all) is moved under to
//  (a renamed directory), keeping its deadline.
void settle_rename (settle_t *self, const char *dir, const char *to);

//  The first path due at now, taken off the queue (caller frees), or NULL.
char *settle_take_due (settle_t *self, int64_t now);

//  Milliseconds from now until the first deadline (0 when overdue), or
//  -1 when nothing waits.
int settle_timeout (settle_t *self, int64_t now);

#endif
