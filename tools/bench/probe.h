/*  probe.h - how promptly the broker's request loop answers while a bench
    loads it: a thread of its own pings and times the replies.
*/
#ifndef PROBE_H_INCLUDED
#define PROBE_H_INCLUDED

#include "bench.h"

typedef struct {
    size_t samples;
    double p50_ms, p99_ms, max_ms;
} probe_result_t;

typedef struct _probe_t probe_t;

//  Start probing the broker's request endpoint.
probe_t *probe_new (const char *endpoint);
//  Stop and summarise the round trips.
void probe_stop (probe_t *self, probe_result_t *result);
void probe_destroy (probe_t **self_p);

#endif
