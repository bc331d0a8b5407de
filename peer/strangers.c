/*  strangers.c - events of another broker instance than our session's.
    See strangers.h.
*/
#include "strangers.h"
#include "validate.h"
#include "backoff.h"

struct _strangers_t {
    char *user;                 //  for the log line
    char *stranger;             //  the last other instance heard, or NULL
    char *problem;              //  status text, once it is another broker
    int64_t next_at;            //  the next of its events let through
    fsh_backoff_t backoff;      //  between the resyncs it lets through
    uint64_t dropped;
};

strangers_t *
strangers_new (const char *user)
{
    strangers_t *self = (strangers_t *) zmalloc (sizeof (strangers_t));
    self->user = strdup (user? user: "");
    return self;
}

void
strangers_destroy (strangers_t **self_p)
{
    if (*self_p) {
        strangers_t *self = *self_p;
        free (self->user);
        free (self->stranger);
        free (self->problem);
        free (self);
        *self_p = NULL;
    }
}

bool
strangers_pass (strangers_t *self, const char *theirs, const char *ours,
                const char *endpoint, int64_t now)
{
    assert (self);
    if (!ours || !*ours || !theirs || streq (theirs, ours))
        return true;
    if (!self->stranger || strneq (self->stranger, theirs)) {
        //  A new stranger: perhaps our broker restarted; the resync tells
        free (self->stranger);
        zstr_free (&self->problem);
        self->stranger = strdup (theirs);
        return true;
    }
    if (!self->problem) {
        fsh_backoff_init (&self->backoff, STRANGERS_FIRST_MS, STRANGERS_MAX_MS, 0);
        self->next_at = now + fsh_backoff_next (&self->backoff, now);
        //  The ids were checked as text when their messages were decoded;
        //  the endpoint may be the broker's word (LoginOk.events)
        self->problem = zsys_sprintf ("events on %s come from broker %s, not from broker %s "
                                      "of our session: --events names another broker?",
                                      fsh_text_valid (endpoint, 256)? endpoint: "(unprintable)",
                                      theirs, ours);
        zsys_warning ("%s: %s (its events are ignored; the view follows our broker's "
                      "snapshots, now and then)", self->user, self->problem);
    }
    self->dropped++;
    return false;
}

bool
strangers_resync_allowed (strangers_t *self, const char *ours, int64_t now)
{
    assert (self);
    if (!strangers_problem (self, ours))
        return true;
    if (now < self->next_at)
        return false;
    self->next_at = now + fsh_backoff_next (&self->backoff, now);
    return true;
}

const char *
strangers_problem (strangers_t *self, const char *ours)
{
    assert (self);
    if (!self->problem || !ours || !*ours || (self->stranger && streq (self->stranger, ours)))
        return NULL;
    return self->problem;
}

uint64_t
strangers_dropped (strangers_t *self)
{
    assert (self);
    return self->dropped;
}
