/*  sequence.c - where an event stands in a broker's event stream. See
    sequence.h.
*/
#include "sequence.h"

struct _fsh_sequence_t {
    char *broker;               //  NULL: no position yet
    uint64_t seq;
};

fsh_sequence_t *
fsh_sequence_new (void)
{
    return (fsh_sequence_t *) zmalloc (sizeof (fsh_sequence_t));
}

void
fsh_sequence_destroy (fsh_sequence_t **self_p)
{
    if (*self_p) {
        fsh_sequence_t *self = *self_p;
        free (self->broker);
        free (self);
        *self_p = NULL;
    }
}

fsh_seq_verdict_t
fsh_sequence_check (fsh_sequence_t *self, const char *broker, uint64_t seq, bool gaps)
{
    if (!self->broker)
        return FSH_SEQ_FIRST;
    if (!broker || strneq (broker, self->broker))
        return FSH_SEQ_RESTART;
    if (seq <= self->seq)
        return FSH_SEQ_STALE;
    if (gaps && seq != self->seq + 1)
        return FSH_SEQ_GAP;
    return FSH_SEQ_NEXT;
}

void
fsh_sequence_set (fsh_sequence_t *self, const char *broker, uint64_t seq)
{
    if (!self->broker || strneq (self->broker, broker)) {
        free (self->broker);
        self->broker = strdup (broker);
    }
    self->seq = seq;
}

void
fsh_sequence_reset (fsh_sequence_t *self)
{
    zstr_free (&self->broker);
    self->seq = 0;
}

const char *
fsh_sequence_broker (fsh_sequence_t *self)
{
    return self->broker;
}

uint64_t
fsh_sequence_seq (fsh_sequence_t *self)
{
    return self->seq;
}

uint64_t
fsh_sequence_missed (fsh_sequence_t *self, uint64_t seq)
{
    return seq > self->seq + 1? seq - self->seq - 1: 0;
}
