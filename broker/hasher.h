/*  hasher.h - password hashing off the broker's routing loop (SPEC 6).

    argon2id takes tens of milliseconds and tens of megabytes on purpose;
    doing it in the routing loop would stall every transfer and heartbeat.
    Jobs go to worker threads; results come back on a socket the broker
    polls, tagged with the ticket the broker chose.

    Jobs wait in HASHER_LANES queues, and idle workers take from them in
    turn (each lane's oldest job), so that however many jobs one lane holds
    (logins that failed lately, throttle.h), a job of another lane waits
    for at most one job of each other lane per worker.
*/
#ifndef HASHER_H_INCLUDED
#define HASHER_H_INCLUDED

#include "accounts.h"

typedef struct _hasher_t hasher_t;

hasher_t *hasher_new (int workers, passhash_cost_t cost);
void hasher_destroy (hasher_t **self_p);

//  The socket to poll for results.
zsock_t *hasher_socket (hasher_t *self);

#define HASHER_LANES 2

//  Queue: verify password against hash / hash a new password, in lane 0.
void hasher_verify (hasher_t *self, uint64_t ticket, const char *hash, const char *password);
void hasher_hash (hasher_t *self, uint64_t ticket, const char *password);

//  The same in lane (0 .. HASHER_LANES - 1; beyond: the last).
void hasher_verify_in (hasher_t *self, int lane, uint64_t ticket, const char *hash,
                       const char *password);
void hasher_hash_in (hasher_t *self, int lane, uint64_t ticket, const char *password);

//  Jobs waiting for a worker in lane (tests).
size_t hasher_queued (hasher_t *self, int lane);

//  Read one result (after hasher_socket is readable). Returns 0 and sets
//  *ticket, *ok (verify: match; hash: success) and, for hash jobs, *hash
//  (caller frees; NULL for verify jobs). -1 when interrupted.
int hasher_result (hasher_t *self, uint64_t *ticket, bool *ok, char **hash);

#endif
