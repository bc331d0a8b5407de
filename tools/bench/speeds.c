/*  speeds.c - what this machine's hash and cipher cost, measured in
    process beside the relay bench, so that fshare's CPU per GiB can be read
    against its floor. See relay.h.

    CURVE's floor: libzmq encrypts every message with crypto_box_afternm
    (XSalsa20-Poly1305 under the connection's precomputed key) and the
    other side opens it. A byte from owner to requester crosses two CURVE
    connections (owner -> broker, broker -> requester): sealed twice and
    opened twice, "four passes".

    The requester's floor: whatever the transport, it writes every byte to
    its file and hashes every byte (SHA-256) to verify it, so its CPU per
    GiB cannot go below the two measured here, on the run's own directory
    and with the same warm memory as the timed transfers.
*/
#include "relay.h"

#define CIPHER_BYTES    (256 * 1024 * 1024)     //  per block size and direction
#define HASH_BYTES      (64 * 1024 * 1024)

//  Timed in this thread's CPU time: on a shared machine the wall clock
//  would count the other programs' turns as the cipher's, and fshare's
//  figures it is read against are CPU seconds too.
static int64_t
s_cpu_usecs (void)
{
    return bench_clock_usecs (CLOCK_THREAD_CPUTIME_ID);
}

static double
s_seconds_per_gib (int64_t usecs, size_t bytes)
{
    return (double) usecs / 1e6 / ((double) bytes / GIB);
}

static void
s_cipher_one (cipher_speed_t *speed, uint8_t *plain, uint8_t *sealed, const uint8_t *key)
{
    uint8_t nonce [crypto_box_NONCEBYTES] = { 0 };
    size_t rounds = CIPHER_BYTES / speed->block;
    int64_t t0 = s_cpu_usecs ();
    for (size_t i = 0; i < rounds; i++) {
        nonce [0] = (uint8_t) i;
        crypto_box_easy_afternm (sealed, plain, speed->block, nonce, key);
    }
    speed->seal_s_per_gib = s_seconds_per_gib (s_cpu_usecs () - t0, rounds * speed->block);
    int failures = 0;
    t0 = s_cpu_usecs ();
    for (size_t i = 0; i < rounds; i++) {
        //  Every round opens the last block sealed (nonce of the last round)
        failures += crypto_box_open_easy_afternm (plain, sealed,
                                                  speed->block + crypto_box_MACBYTES,
                                                  nonce, key) != 0;
    }
    speed->open_s_per_gib = s_seconds_per_gib (s_cpu_usecs () - t0, rounds * speed->block);
    if (failures)
        fprintf (stderr, "fshare-bench: %d cipher blocks did not open\n", failures);
}

void
relay_cipher_speeds (cipher_speed_t speeds [CIPHER_BLOCKS])
{
    static const size_t blocks [CIPHER_BLOCKS] = { 64 * 1024, 256 * 1024, 1024 * 1024 };
    uint8_t public_key [crypto_box_PUBLICKEYBYTES], secret_key [crypto_box_SECRETKEYBYTES];
    uint8_t key [crypto_box_BEFORENMBYTES];
    crypto_box_keypair (public_key, secret_key);
    if (crypto_box_beforenm (key, public_key, secret_key))
        memset (key, 0, sizeof key);    //  cannot happen for a fresh pair
    size_t largest = blocks [CIPHER_BLOCKS - 1];
    uint8_t *plain = (uint8_t *) malloc (largest);
    uint8_t *sealed = (uint8_t *) malloc (largest + crypto_box_MACBYTES);
    randombytes_buf (plain, largest);
    for (int i = 0; i < CIPHER_BLOCKS; i++) {
        speeds [i].block = blocks [i];
        s_cipher_one (&speeds [i], plain, sealed, key);
    }
    free (plain);
    free (sealed);
    sodium_memzero (key, sizeof key);
    sodium_memzero (secret_key, sizeof secret_key);
}

void
relay_hash_speeds (double *openssl, double *libsodium)
{
    uint8_t *data = (uint8_t *) malloc (HASH_BYTES);
    memset (data, 0x5A, HASH_BYTES);
    uint8_t out [32];
    digest_t *digest = digest_new ();
    int64_t t0 = s_cpu_usecs ();
    for (size_t done = 0; done < HASH_BYTES; done += 256 * 1024)
        digest_update (digest, data + done, 256 * 1024);
    digest_final (digest, out);
    *openssl = (double) HASH_BYTES / (double) (s_cpu_usecs () - t0) / 1000.0;
    digest_destroy (&digest);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    t0 = s_cpu_usecs ();
    for (size_t done = 0; done < HASH_BYTES; done += 256 * 1024)
        crypto_hash_sha256_update (&state, data + done, 256 * 1024);
    crypto_hash_sha256_final (&state, out);
    *libsodium = (double) HASH_BYTES / (double) (s_cpu_usecs () - t0) / 1000.0;
    free (data);
}

#define WRITE_BLOCK     (1024 * 1024)   //  what the requester's chunks are

double
relay_write_cost (const char *dir, uint64_t size, bool warm)
{
    char *path = zsys_sprintf ("%s/write-floor.tmp", dir);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    uint8_t *block = (uint8_t *) malloc (WRITE_BLOCK);
    double cost = -1;
    if (fd == -1 || !block)
        goto done;
    randombytes_buf (block, WRITE_BLOCK);
    reserve_t *reserve = warm? reserve_new (size): NULL;
    uint64_t written = 0;
    int64_t t0 = s_cpu_usecs ();
    while (written < size) {
        size_t step = size - written < WRITE_BLOCK? (size_t) (size - written): WRITE_BLOCK;
        if (pwrite (fd, block, step, (off_t) written) != (ssize_t) step)
            break;
        written += step;
        if (reserve && written % (64 * WRITE_BLOCK) == 0)
            reserve_follow (reserve, path);
    }
    bool synced = fsync (fd) == 0;
    int64_t took = s_cpu_usecs () - t0;
    reserve_destroy (&reserve);
    if (written == size && synced)
        cost = s_seconds_per_gib (took, size);
done:
    if (fd != -1)
        close (fd);
    unlink (path);
    free (block);
    zstr_free (&path);
    return cost;
}
