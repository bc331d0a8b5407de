/*  hasher.h - password hashing off the broker's routing loop (SPEC 6).

    argon2id takes tens of milliseconds and tens of megabytes on purpose;
    doing it in the routing loop would stall every transfer and heartbeat.
    Jobs go to worker threads; results come back on a socket the broker
    polls, tagged with the ticket the broker chose.
*/
#ifndef HASHER_H_INCLUDED
#define HASHER_H_INCLUDED

#include "accounts.h"

typedef struct _hasher_t hasher_t;

hasher_t *hasher_new (int workers, accounts_cost_t cost);
void hasher_destroy (hasher_t **self_p);

//  The socket to poll for results.
zsock_t *hasher_socket (hasher_t *self);

//  Queue: verify password against hash / hash a new password.
void hasher_verify (hasher_t *self, uint64_t ticket, const char *hash, const char *password);
void hasher_hash (hasher_t *self, uint64_t ticket, const char *password);

//  Read one result (after hasher_socket is readable). Returns 0 and sets
//  *ticket, *ok (verify: match; hash: success) and, for hash jobs, *hash
//  (caller frees; NULL for verify jobs). -1 when interrupted.
int hasher_result (hasher_t *self, uint64_t *ticket, bool *ok, char **hash);

#endif
