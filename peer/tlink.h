/*  tlink.h - what both roles of the agent's downloads share: the link to
    the broker and the few messages both send (Cancel, Credit).

    A plain struct owned by transfers_t (transfer.c): uploads (owner role,
    upload.c) and downloads (requester role, download.c) read its fields
    and send through it; only transfer.c changes them. The stall timeout
    is the broker's (LoginOk.stall_timeout_ms): each side keeps its own
    clock too, a little behind the broker's, so nothing waits forever even
    when the broker never says.
*/
#ifndef TLINK_H_INCLUDED
#define TLINK_H_INCLUDED

#include "fshare.h"

//  Chunk size and the requester's window per transfer (credit in bytes).
//  Measured with fshare-bench relay: 1 MiB chunks cost half the CPU per
//  byte of 256 KiB ones (fewer messages, wake-ups and syscalls), and 8 of
//  them in flight keep the pipe full; every process then holds at most
//  8 MiB of a transfer. The owner sends smaller chunks when the broker's
//  message limit asks for it.
#define TRANSFER_CHUNK      (1024 * 1024)
#define TRANSFER_WINDOW     (8 * TRANSFER_CHUNK)

//  The broker's default --stall-timeout, for a broker that sends none
#define TRANSFER_STALL_MS   30000
//  Our own clocks give the broker's cancel this long to arrive first
#define TRANSFER_STALL_MARGIN_MS 1000

typedef struct {
    char *user;                 //  ours, for logs
    bool verbose;
    zsock_t *dealer;            //  the agent's; NULL when offline
    char *session;
    size_t chunk;               //  what we send as owner
    uint32_t stall_ms;          //  the broker's stall timeout
} tlink_t;

//  Send one message with our session token. 0, or -1 (offline, or the
//  broker is not taking messages: logged).
int tlink_send (tlink_t *self, Fshare__Message *msg);

//  Cancel a transfer (reason NULL: the code's text).
void tlink_cancel (tlink_t *self, uint64_t transfer, fsh_err_t code, const char *reason);

//  Grant `bytes` more; `checking`: bytes is 0 and we are still hashing
//  our partial file (a sign of life, not a stall). `received`, `receipt`:
//  the end offset and receipt of the last chunk read (0, 0 before one),
//  without which the broker grants no more than one window in all.
void tlink_credit (tlink_t *self, uint64_t transfer, uint64_t bytes, bool checking,
                   uint64_t received, uint64_t receipt);

//  How long a side may owe the other something before our own clock
//  ends the transfer: the broker's timeout plus a margin.
int64_t tlink_stall_limit (tlink_t *self);

//  Seconds since a zclock_mono time, and a rate in MB/s, for logs.
double tlink_seconds_since (int64_t start);
double tlink_rate (uint64_t bytes, double seconds);

#define tlink_debug(link, ...) \
    do { if ((link)->verbose) zsys_debug (__VA_ARGS__); } while (0)

#endif
