/*  sequence.h - where an event stands in a broker's event stream.

    Every event carries its broker's instance id and a sequence number
    (SPEC 4.4). Whoever follows the stream keeps its position, the
    (instance, seq) of the last event it took, and asks of each new event
    whether it is the next one, one already covered (by a snapshot or an
    earlier copy), one after a gap, or one of another broker instance (a
    restart: its counter started again). One home for that check, used by
    the agent's view (peer/view.c) and fshare-tap; the caller decides what
    a gap or a restart means for it (a snapshot, a warning).

    A subscriber that filters by topic sees gaps by design: it asks
    without gap checks, and only restarts and stale events are told.
*/
#ifndef FSH_SEQUENCE_H_INCLUDED
#define FSH_SEQUENCE_H_INCLUDED

#include "fshare.h"

typedef enum {
    FSH_SEQ_FIRST,      //  no position yet: this event would start one
    FSH_SEQ_NEXT,       //  the next event (without gap checks: any newer one)
    FSH_SEQ_STALE,      //  not newer than the position: already covered
    FSH_SEQ_GAP,        //  newer, but the events between were missed
    FSH_SEQ_RESTART     //  another broker instance (or none named)
} fsh_seq_verdict_t;

typedef struct _fsh_sequence_t fsh_sequence_t;

fsh_sequence_t *fsh_sequence_new (void);
void fsh_sequence_destroy (fsh_sequence_t **self_p);

//  What an event of `broker` numbered `seq` is to the position; changes
//  nothing. gaps: whether a skipped number counts (false for a
//  subscriber that filters by topic).
fsh_seq_verdict_t fsh_sequence_check (fsh_sequence_t *self, const char *broker, uint64_t seq,
                                      bool gaps);

//  Take a position: after an event was taken, or from a snapshot.
void fsh_sequence_set (fsh_sequence_t *self, const char *broker, uint64_t seq);
//  Forget the position (FSH_SEQ_FIRST next).
void fsh_sequence_reset (fsh_sequence_t *self);

//  The position: the broker instance (NULL before any) and the seq.
const char *fsh_sequence_broker (fsh_sequence_t *self);
uint64_t fsh_sequence_seq (fsh_sequence_t *self);

//  How many events a FSH_SEQ_GAP verdict for `seq` skipped.
uint64_t fsh_sequence_missed (fsh_sequence_t *self, uint64_t seq);

#endif
