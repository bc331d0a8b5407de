/*  digest.c - SHA-256 of a stream. See digest.h. */
#include "digest.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _digest_t {
    EVP_MD_CTX *ctx;
    EVP_MD *md;                 //  fetched once: per-init lookups cost
};

digest_t *
digest_new (void)
{
    digest_t *self = (digest_t *) calloc (1, sizeof (digest_t));
    assert (self);
    self->ctx = EVP_MD_CTX_new ();
    self->md = EVP_MD_fetch (NULL, "SHA256", NULL);
    //  Without SHA-256 in libcrypto nothing can be verified: not a runtime
    //  condition worth handling.
    assert (self->ctx && self->md);
    digest_reset (self);
    return self;
}

void
digest_destroy (digest_t **self_p)
{
    if (*self_p) {
        digest_t *self = *self_p;
        EVP_MD_CTX_free (self->ctx);
        EVP_MD_free (self->md);
        free (self);
        *self_p = NULL;
    }
}

void
digest_reset (digest_t *self)
{
    int rc = EVP_DigestInit_ex (self->ctx, self->md, NULL);
    assert (rc == 1);
    (void) rc;
}

void
digest_update (digest_t *self, const void *data, size_t size)
{
    if (size)
        EVP_DigestUpdate (self->ctx, data, size);
}

void
digest_final (digest_t *self, uint8_t out [DIGEST_SIZE])
{
    unsigned int len = DIGEST_SIZE;
    EVP_DigestFinal_ex (self->ctx, out, &len);
    digest_reset (self);
}

void
digest_thread_end (void)
{
    OPENSSL_thread_stop ();
}

void
digest_hex (const uint8_t digest [DIGEST_SIZE], char out [DIGEST_HEX_SIZE])
{
    static const char hex [] = "0123456789abcdef";
    for (int i = 0; i < DIGEST_SIZE; i++) {
        out [i * 2] = hex [digest [i] >> 4];
        out [i * 2 + 1] = hex [digest [i] & 15];
    }
    out [DIGEST_SIZE * 2] = 0;
}

static int
s_hex_value (char c)
{
    return c >= '0' && c <= '9'? c - '0'
         : c >= 'a' && c <= 'f'? c - 'a' + 10
         : c >= 'A' && c <= 'F'? c - 'A' + 10: -1;
}

int
digest_unhex (const char *hex, uint8_t out [DIGEST_SIZE])
{
    if (strlen (hex) != DIGEST_SIZE * 2)
        return -1;
    for (int i = 0; i < DIGEST_SIZE; i++) {
        int high = s_hex_value (hex [2 * i]), low = s_hex_value (hex [2 * i + 1]);
        if (high < 0 || low < 0)
            return -1;
        out [i] = (uint8_t) (high << 4 | low);
    }
    return 0;
}
