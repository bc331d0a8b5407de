/*  digest.h - SHA-256 of a stream, for verifying downloads.

    OpenSSL's EVP implementation: it uses the CPU's SHA extensions where
    there are some, several times faster than libsodium's portable code
    (fshare-bench relay prints both). Both ends of a download hash every
    byte, so this speed is part of the transfer rate.
*/
#ifndef DIGEST_H_INCLUDED
#define DIGEST_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define DIGEST_SIZE 32
#define DIGEST_HEX_SIZE (DIGEST_SIZE * 2 + 1)

typedef struct _digest_t digest_t;

digest_t *digest_new (void);
void digest_destroy (digest_t **self_p);

//  Start again from nothing.
void digest_reset (digest_t *self);
void digest_update (digest_t *self, const void *data, size_t size);
//  The digest of everything since the last reset; then resets.
void digest_final (digest_t *self, uint8_t out [DIGEST_SIZE]);

//  A thread that hashed is ending: free what libcrypto keeps per thread
//  (it is not freed by itself when the thread exits).
void digest_thread_end (void);

//  Lower-case hex of a digest, NUL-terminated.
void digest_hex (const uint8_t digest [DIGEST_SIZE], char out [DIGEST_HEX_SIZE]);

//  64 hex digits (either case) into a digest; -1 when the text is not that.
int digest_unhex (const char *hex, uint8_t out [DIGEST_SIZE]);

#endif
