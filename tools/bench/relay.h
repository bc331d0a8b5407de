/*  relay.h - the parts of fshare-bench relay: the fshare path (relay.c),
    the socat yardstick (socat.c) and the machine's hash and cipher speeds
    (speeds.c).
*/
#ifndef RELAY_H_INCLUDED
#define RELAY_H_INCLUDED

#include "bench.h"
#include "reserve.h"

#define GIB     (1024.0 * 1024 * 1024)

//  One run of one path.
typedef struct {
    double gbps;                //  GB/s (10^9 bytes a second)
    double cpu [3];             //  CPU seconds per GiB moved: broker, owner,
                                //  requester (socat: cpu [0] is the relay's)
    uint64_t rss_kib [3];       //  peak RSS (VmHWM) after the run, same order
    bool verified;              //  the output equals the source byte for byte
} relay_sample_t;

//  True when the two files hold the same `size` bytes.
bool relay_same_content (const char *a, const char *b, uint64_t size);

bool relay_have_socat (void);
//  The source through socat sender -> relay -> receiver in `dir`; buffer 0
//  for socat's default, else the relay's -b; the reserve (or NULL) follows
//  the receiver's output. 0 and *sample filled (the output verified), or -1.
int relay_socat_run (const char *dir, const char *source, uint64_t size, long buffer,
                     reserve_t *reserve, relay_sample_t *sample);

typedef struct {
    size_t block;               //  bytes a call
    double seal_s_per_gib;      //  crypto_box_easy_afternm
    double open_s_per_gib;      //  crypto_box_open_easy_afternm
} cipher_speed_t;

#define CIPHER_BLOCKS 3         //  64 KiB, 256 KiB, 1 MiB

//  XSalsa20-Poly1305 with a precomputed key (what libzmq's CURVE does to
//  every message, via crypto_box_afternm) on blocks of 64 KiB to 1 MiB.
void relay_cipher_speeds (cipher_speed_t speeds [CIPHER_BLOCKS]);
//  SHA-256 speed of OpenSSL (what fshare uses) and libsodium, GB/s.
void relay_hash_speeds (double *openssl, double *libsodium);
//  CPU seconds per GiB (this thread's, the kernel's part included) to write
//  `size` bytes in 1 MiB blocks to a file in `dir` and fsync it, with a
//  reserve of warm memory when `warm`; -1 if the write failed.
double relay_write_cost (const char *dir, uint64_t size, bool warm);

#endif
