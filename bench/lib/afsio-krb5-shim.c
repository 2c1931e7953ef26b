/*
 * LD_PRELOAD shim that lets Debian 12's afsio use a Kerberos 5 ticket, so the bench can compare
 * tsafs with afsio at rxkad crypt and clear. Bench infrastructure only.
 *
 * Debian's afsio (openafs 1.8.9-1+deb12u1) is compiled against MIT's krb5_creds layout but linked
 * to Heimdal's libkrb5.so.26: Heimdal reads afsio's MIT-shaped struct with its own offsets and
 * afsio dies in krb5_free_cred_contents. libafscp also asks for a single-DES session key, which
 * an MIT 1.20 KDC no longer issues. For calls coming from the afsio executable only, this shim
 * translates krb5_get_credentials / krb5_free_creds / krb5_free_cred_contents between the two
 * layouts and hands libafscp the rxkad-kdf DES key (draft-kaduk-afs3-rxkad-kdf) of whatever
 * session key the KDC issued, as aklog does for a token. Calls from Heimdal itself pass through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void *ctx_t;

/* MIT krb5_creds on LP64, the offsets afsio's code uses (see the disassembly in bench/README). */
struct mit_data { int32_t magic; uint32_t length; char *data; };
struct mit_keyblock { int32_t magic; int32_t enctype; uint32_t length; uint8_t *contents; };
struct mit_creds {
    int32_t magic;
    void *client, *server;
    struct mit_keyblock keyblock;
    int32_t times[4];
    uint32_t is_skey, ticket_flags;
    void *addresses;
    struct mit_data ticket, second_ticket;
    void *authdata;
};

/* Heimdal 7.8 krb5_creds on LP64. */
struct heim_data { size_t length; void *data; };
struct heim_creds {
    void *client, *server;
    struct { int32_t keytype; struct heim_data keyvalue; } session;
    int64_t times[4];
    struct heim_data ticket, second_ticket;
    struct { unsigned len; void *val; } authdata;
    struct { unsigned len; void *val; } addresses;
    int32_t flags;
    char spare[64]; /* slack in case of a larger struct than assumed */
};

/* Our translated result, with the Heimdal creds it came from (freed together). */
struct shim_creds { struct mit_creds mit; struct heim_creds *heim; uint8_t key[8]; };

extern unsigned char *HMAC(const void *md, const void *key, int key_len, const unsigned char *d,
                           size_t n, unsigned char *out, unsigned int *out_len);
extern const void *EVP_md5(void);
extern void krb5_free_principal(ctx_t, void *);

static int from_afsio(void *ret)
{
    Dl_info caller, self;
    if (!dladdr(ret, &caller) || !dladdr((void *)from_afsio, &self)) return 0;
    /* The main executable's dli_fname is argv[0]-ish; it is neither this shim nor a library. */
    return caller.dli_fbase != self.dli_fbase && strstr(caller.dli_fname, ".so") == NULL;
}

static int weak_des(const uint8_t *k)
{
    static const uint8_t weak[16][8] = {
        {0x01,0x01,0x01,0x01,0x01,0x01,0x01,0x01}, {0xfe,0xfe,0xfe,0xfe,0xfe,0xfe,0xfe,0xfe},
        {0x1f,0x1f,0x1f,0x1f,0x0e,0x0e,0x0e,0x0e}, {0xe0,0xe0,0xe0,0xe0,0xf1,0xf1,0xf1,0xf1},
        {0x01,0xfe,0x01,0xfe,0x01,0xfe,0x01,0xfe}, {0xfe,0x01,0xfe,0x01,0xfe,0x01,0xfe,0x01},
        {0x1f,0xe0,0x1f,0xe0,0x0e,0xf1,0x0e,0xf1}, {0xe0,0x1f,0xe0,0x1f,0xf1,0x0e,0xf1,0x0e},
        {0x01,0xe0,0x01,0xe0,0x01,0xf1,0x01,0xf1}, {0xe0,0x01,0xe0,0x01,0xf1,0x01,0xf1,0x01},
        {0x1f,0xfe,0x1f,0xfe,0x0e,0xfe,0x0e,0xfe}, {0xfe,0x1f,0xfe,0x1f,0xfe,0x0e,0xfe,0x0e},
        {0x01,0x1f,0x01,0x1f,0x01,0x0e,0x01,0x0e}, {0x1f,0x01,0x1f,0x01,0x0e,0x01,0x0e,0x01},
        {0xe0,0xfe,0xe0,0xfe,0xf1,0xfe,0xf1,0xfe}, {0xfe,0xe0,0xfe,0xe0,0xfe,0xf1,0xfe,0xf1},
    };
    for (int i = 0; i < 16; i++) if (memcmp(k, weak[i], 8) == 0) return 1;
    return 0;
}

/* rxkad-kdf: K_i = HMAC-MD5(key, i || "rxkad\0" || 00 00 00 40), first 8 bytes, odd parity. */
static int derive_des(const uint8_t *key, size_t len, uint8_t out[8])
{
    for (int i = 1; i <= 255; i++) {
        unsigned char msg[11] = { (unsigned char)i, 'r', 'x', 'k', 'a', 'd', 0, 0, 0, 0, 64 };
        unsigned char mac[16];
        unsigned int maclen = 0;
        if (!HMAC(EVP_md5(), key, (int)len, msg, sizeof msg, mac, &maclen)) return -1;
        for (int b = 0; b < 8; b++) {
            uint8_t v = mac[b] & 0xfe;
            out[b] = v | !(__builtin_popcount(v) & 1);
        }
        if (!weak_des(out)) return 0;
    }
    return -1;
}

int krb5_get_credentials(ctx_t ctx, int opts, void *cc, void *in, void **out)
{
    static int (*real)(ctx_t, int, void *, void *, void **);
    if (!real) real = (int (*)(ctx_t, int, void *, void *, void **))dlsym(RTLD_NEXT, "krb5_get_credentials");
    if (!from_afsio(__builtin_return_address(0))) return real(ctx, opts, cc, in, out);

    struct mit_creds *m = in;
    struct heim_creds h;
    memset(&h, 0, sizeof h);
    h.client = m->client;
    h.server = m->server;
    struct heim_creds *got = NULL;
    int rc = real(ctx, opts, cc, &h, (void **)&got);
    if (rc) return rc;
    struct shim_creds *s = calloc(1, sizeof *s);
    if (!s) return 12; /* ENOMEM */
    s->heim = got;
    int kt = got->session.keytype;
    if (kt >= 1 && kt <= 3 && got->session.keyvalue.length == 8)
        memcpy(s->key, got->session.keyvalue.data, 8);
    else if (derive_des(got->session.keyvalue.data, got->session.keyvalue.length, s->key))
        return -1765328234; /* KRB5_PROG_ETYPE_NOSUPP-ish: no usable key */
    s->mit.keyblock.enctype = 1;
    s->mit.keyblock.length = 8;
    s->mit.keyblock.contents = s->key;
    s->mit.ticket.length = (uint32_t)got->ticket.length;
    s->mit.ticket.data = got->ticket.data;
    *out = s;
    return 0;
}

void krb5_free_creds(ctx_t ctx, void *c)
{
    static void (*real)(ctx_t, void *);
    if (!real) real = (void (*)(ctx_t, void *))dlsym(RTLD_NEXT, "krb5_free_creds");
    if (!from_afsio(__builtin_return_address(0))) { real(ctx, c); return; }
    struct shim_creds *s = c;
    if (!s) return;
    real(ctx, s->heim);
    free(s);
}

void krb5_free_cred_contents(ctx_t ctx, void *c)
{
    static void (*real)(ctx_t, void *);
    if (!real) real = (void (*)(ctx_t, void *))dlsym(RTLD_NEXT, "krb5_free_cred_contents");
    if (!from_afsio(__builtin_return_address(0))) { real(ctx, c); return; }
    /* afsio's own match struct: only the two principals it filled are ours to free. */
    struct mit_creds *m = c;
    if (m->client) krb5_free_principal(ctx, m->client);
    if (m->server) krb5_free_principal(ctx, m->server);
    m->client = m->server = NULL;
}
