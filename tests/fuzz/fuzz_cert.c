/*  fuzz_cert.c - libFuzzer target: the broker's CURVE certificate loader.

    Each input is the secret certificate file in a state directory (mode
    0600, on /dev/shm when there is one), loaded with fsh_curve_broker_cert
    as the broker does at start and for --print-key. Properties (SPEC 6):
    an existing file is never replaced or rewritten, broken or not, and no
    new key is made in its place; a file that loads holds a public key that
    really belongs to its secret key, and that public key is the one the
    file spells; a file that does not load gets an error naming it.
*/
#include "fuzz.h"
#include "curve.h"
#include <sodium.h>
#include <fcntl.h>
#include <sys/stat.h>

static char s_dir [64];
static char *s_secret_path;

static void
s_remove_dir (void)
{
    char *public_path = zsys_sprintf ("%s/%s", s_dir, FSH_CURVE_CERT_NAME);
    unlink (public_path);
    unlink (s_secret_path);
    rmdir (s_dir);
    zstr_free (&public_path);
    zstr_free (&s_secret_path);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    struct stat st;
    const char *base = stat ("/dev/shm", &st) == 0 && S_ISDIR (st.st_mode)? "/dev/shm": "/tmp";
    snprintf (s_dir, sizeof s_dir, "%s/fshare-fuzz-cert-XXXXXX", base);
    FUZZ_ASSERT (mkdtemp (s_dir));
    s_secret_path = zsys_sprintf ("%s/%s_secret", s_dir, FSH_CURVE_CERT_NAME);
    atexit (s_remove_dir);
    return 0;
}

static void
s_write_secret (const uint8_t *data, size_t size)
{
    unlink (s_secret_path);
    int fd = open (s_secret_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FUZZ_ASSERT (fd >= 0);
    size_t done = 0;
    while (done < size) {
        ssize_t wrote = write (fd, data + done, size - done);
        FUZZ_ASSERT (wrote > 0);
        done += (size_t) wrote;
    }
    FUZZ_ASSERT (close (fd) == 0);
}

//  The secret file still holds exactly the input.
static bool
s_secret_unchanged (const uint8_t *data, size_t size)
{
    int fd = open (s_secret_path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return false;
    uint8_t *buffer = (uint8_t *) malloc (size + 1);
    FUZZ_ASSERT (buffer);
    ssize_t got = read (fd, buffer, size + 1);
    close (fd);
    bool same = got == (ssize_t) size && memcmp (buffer, data, size) == 0;
    free (buffer);
    return same;
}

static void
s_check_cert (zcert_t *cert, const uint8_t *data, size_t size)
{
    uint8_t derived [32];
    FUZZ_ASSERT (crypto_scalarmult_base (derived, zcert_secret_key (cert)) == 0);
    FUZZ_ASSERT (memcmp (derived, zcert_public_key (cert), 32) == 0);
    const char *public_txt = zcert_public_txt (cert);
    FUZZ_ASSERT (strlen (public_txt) == FSH_CURVE_KEY_LEN);
    FUZZ_ASSERT (fsh_curve_key_check (public_txt) == NULL);
    //  The key the file spells, not one made up
    FUZZ_ASSERT (memmem (data, size, public_txt, FSH_CURVE_KEY_LEN) != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_write_secret (data, size);
    bool created = true;
    char *error = NULL;
    zcert_t *cert = fsh_curve_broker_cert (s_dir, &created, &error);
    FUZZ_ASSERT (!created);
    FUZZ_ASSERT (s_secret_unchanged (data, size));
    if (cert) {
        FUZZ_ASSERT (error == NULL);
        s_check_cert (cert, data, size);
        zcert_destroy (&cert);
    }
    else {
        FUZZ_ASSERT (error && strncmp (error, s_secret_path, strlen (s_secret_path)) == 0);
        zstr_free (&error);
    }
    return 0;
}
