/*
 * sangkien.landing._csv_rows: the landing's row path for CSV deliveries, in C.
 *
 * The Python row path (sangkien.feeds.readers.read_csv, then
 * sangkien.feeds.rows.check_record, then the authors' pseudonyms) costs about
 * 60 us a row, four times what PostgreSQL spends taking the row in; this one
 * about 2. It reads a CSV's UTF-8 bytes as Python's csv module reads the text
 * (strict, RFC 4180), and for every record decides one of three things:
 *
 *   accepted  the record is one the Python rules would store as it is, with no
 *             warning: its raw row is written here, in PostgreSQL's binary COPY
 *             format, with the same values (keyed pseudonyms included);
 *   deferred  anything else (a rejection, a warning, a tombstone, a spelling or
 *             a character this code does not know): its fields go back to
 *             Python, whose rules decide, so the contract lives in one place;
 *   stopped   the bytes cannot be split as the csv module would split them
 *             (broken quoting, a field over the csv limit): the Python reader
 *             takes over from that record to the end of the file.
 *
 * "Would store as it is" is kept narrow on purpose: only characters whose text
 * is already NFC whatever surrounds them (ASCII, Latin-1, Latin Extended-A/B,
 * Latin Extended Additional -- Vietnamese -- and some punctuation), only the
 * date, time and number shapes parsed below, only local times from 1976 on
 * (Asia/Ho_Chi_Minh has been UTC+7 without a change since 1975). The tests
 * compare this code with the Python rules row by row (tests/test_csv_rows.py).
 *
 * Also here: the binary COPY encoding of rows the Python rules stored
 * (encode_rows), the set of a delivery's record ids (RecordIds), and the
 * pseudonyms alone (author_keys), which the tests compare with Python's.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <stdint.h>
#include <string.h>

#include "_csv_rows_unicode.h"

/* ------------------------------------------------------------------ columns */

/* Contract section 3, in order (sangkien.feeds.contract.COLUMNS). */
enum {
    C_RECORD_ID, C_UNIT_CODE, C_GRASSROOTS_UNION, C_TITLE, C_SOLUTION_TYPE, C_FIELD,
    C_PARTICIPANT_GROUP, C_AUTHORS, C_AUTHOR_IDS, C_SUMMARY, C_EFFECT_SUMMARY,
    C_BENEFIT_VND, C_APPLIED_ON, C_RECOGNIZED_BY, C_RECOGNITION_LEVEL, C_AWARD,
    C_IS_CONFIDENTIAL, C_REVIEW_STATUS, C_SUBMITTED_AT, C_UPDATED_AT, C_IS_DELETED,
    N_COLUMNS
};
static const char *const COLUMN_NAMES[N_COLUMNS] = {
    "record_id", "unit_code", "grassroots_union", "title", "solution_type", "field",
    "participant_group", "authors", "author_ids", "summary", "effect_summary",
    "benefit_vnd", "applied_on", "recognized_by", "recognition_level", "award",
    "is_confidential", "review_status", "submitted_at", "updated_at", "is_deleted",
};

/* The raw row: (delivery_id, unit_code, business_date), the stored columns of
 * sangkien.feeds.rows.STORED_COLUMNS, then author_keys: 25 fields. */
#define RAW_FIELDS 25

/* The rules' constants, set once by configure() from sangkien.feeds.contract. */
#define MAX_ENUM_VALUES 16
typedef struct {
    int column;
    int count;
    char *values[MAX_ENUM_VALUES];
    Py_ssize_t lengths[MAX_ENUM_VALUES];
} EnumRule;

static struct {
    int configured;
    unsigned char required[N_COLUMNS];    /* value may not be empty */
    unsigned char must_exist[N_COLUMNS];  /* column must be in the header */
    EnumRule enums[8];
    int n_enums;
    Py_ssize_t title_min, title_max, record_id_max, max_field_chars;
} rules;

/* ------------------------------------------------------------ growing bytes */

typedef struct {
    char *data;
    Py_ssize_t len, cap;
} Buf;

static int buf_reserve(Buf *b, Py_ssize_t extra) {
    if (b->len + extra <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + extra) cap *= 2;
    char *data = PyMem_RawRealloc(b->data, (size_t)cap);
    if (!data) return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static void buf_free(Buf *b) {
    PyMem_RawFree(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Callers reserve first: a row's size is known before it is written. */
static inline void put_u16(Buf *b, uint16_t v) {
    unsigned char *p = (unsigned char *)b->data + b->len;
    p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v;
    b->len += 2;
}
static inline void put_u32(Buf *b, uint32_t v) {
    unsigned char *p = (unsigned char *)b->data + b->len;
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
    b->len += 4;
}
static inline void put_u64(Buf *b, uint64_t v) {
    put_u32(b, (uint32_t)(v >> 32));
    put_u32(b, (uint32_t)v);
}
static inline void put_null(Buf *b) { put_u32(b, 0xFFFFFFFFu); }
static inline void put_text(Buf *b, const char *s, Py_ssize_t n) {
    put_u32(b, (uint32_t)n);
    memcpy(b->data + b->len, s, (size_t)n);
    b->len += n;
}
static inline void put_text_or_null(Buf *b, const char *s, Py_ssize_t n) {
    if (n) put_text(b, s, n); else put_null(b);
}
static inline void put_int8(Buf *b, int64_t v) { put_u32(b, 8); put_u64(b, (uint64_t)v); }
static inline void put_int4(Buf *b, int32_t v) { put_u32(b, 4); put_u32(b, (uint32_t)v); }
static inline void put_bool(Buf *b, int v) {
    put_u32(b, 1);
    b->data[b->len++] = (char)(v ? 1 : 0);
}

/* ------------------------------------------------------------------- SHA-256 */

typedef struct {
    uint32_t h[8];
    unsigned char block[64];
    size_t block_len;
    uint64_t total;
} Sha256;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_compress(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) +
                      K256[i] + w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

static void sha256_init(Sha256 *s) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->block_len = 0;
    s->total = 0;
}

static void sha256_update(Sha256 *s, const void *data, size_t n) {
    const unsigned char *p = data;
    s->total += n;
    while (n) {
        size_t take = 64 - s->block_len;
        if (take > n) take = n;
        memcpy(s->block + s->block_len, p, take);
        s->block_len += take;
        p += take;
        n -= take;
        if (s->block_len == 64) {
            sha256_compress(s->h, s->block);
            s->block_len = 0;
        }
    }
}

static void sha256_final(Sha256 *s, unsigned char out[32]) {
    uint64_t bits = s->total * 8;
    s->block[s->block_len++] = 0x80;
    if (s->block_len > 56) {
        memset(s->block + s->block_len, 0, 64 - s->block_len);
        sha256_compress(s->h, s->block);
        s->block_len = 0;
    }
    memset(s->block + s->block_len, 0, 56 - s->block_len);
    for (int i = 0; i < 8; i++) s->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_compress(s->h, s->block);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(s->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)s->h[i];
    }
}

/* HMAC-SHA256 with the key's inner and outer pads hashed once. */
typedef struct {
    Sha256 inner, outer;
} HmacKey;

static void hmac_init(HmacKey *k, const unsigned char *key, size_t n) {
    unsigned char block[64] = {0}, pad[64];
    if (n > 64) {
        Sha256 s;
        sha256_init(&s);
        sha256_update(&s, key, n);
        sha256_final(&s, block);
    } else {
        memcpy(block, key, n);
    }
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
    sha256_init(&k->inner);
    sha256_update(&k->inner, pad, 64);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
    sha256_init(&k->outer);
    sha256_update(&k->outer, pad, 64);
}

static void hmac_digest(const HmacKey *k, const char *msg, size_t n, unsigned char out[32]) {
    Sha256 s = k->inner;
    unsigned char inner[32];
    sha256_update(&s, msg, n);
    sha256_final(&s, inner);
    s = k->outer;
    sha256_update(&s, inner, 32);
    sha256_final(&s, out);
}

/* ---------------------------------------------------------------- characters */

/* Code points whose text is NFC whatever surrounds it (NFC_QC=Yes, not combining,
 * never the second of a composition): tests/test_csv_rows.py checks each one
 * against unicodedata. */
static const uint32_t SAFE_RANGES[][2] = {
    {0x09, 0x0A}, {0x0D, 0x0D}, {0x20, 0x7E}, {0xA0, 0x24F}, {0x1E00, 0x1EFF},
    {0x2010, 0x2027}, {0x2030, 0x203A}, {0x20AB, 0x20AB},
};
#define N_SAFE_RANGES (sizeof SAFE_RANGES / sizeof SAFE_RANGES[0])

static inline int is_safe(uint32_t cp) {
    if (cp < 0x80) return (cp >= 0x20 && cp <= 0x7E) || cp == 0x09 || cp == 0x0A || cp == 0x0D;
    return (cp >= 0xA0 && cp <= 0x24F) || (cp >= 0x1E00 && cp <= 0x1EFF) ||
           (cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x2030 && cp <= 0x203A) || cp == 0x20AB;
}

/* Python's str.isspace() among the safe code points. */
static inline int is_space_cp(uint32_t cp) {
    return cp == 0x20 || cp == 0x09 || cp == 0x0A || cp == 0x0D || cp == 0xA0;
}

/* The combining marks composed here (U+0300..U+036F; the tables cover no others). */
static inline int is_mark(uint32_t cp) { return cp >= 0x300 && cp <= 0x36F; }

/* Decode one well-formed UTF-8 sequence at s[0..n) of the lead bytes this code
 * reads (up to U+CFFF: no overlong forms or surrogates there); its length, or 0. */
static inline int utf8_char(const unsigned char *s, Py_ssize_t n, uint32_t *cp) {
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE1 && c <= 0xEC) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    return 0;
}

/* Decode one UTF-8 sequence of safe text at s[0..n); its length, or 0 when it
 * is not well-formed or not safe. */
static inline int safe_char(const unsigned char *s, Py_ssize_t n, uint32_t *cp) {
    int len = utf8_char(s, n, cp);
    return len && is_safe(*cp) ? len : 0;
}

/* ------------------------------------------------------------------------ NFC */

static inline int mark_class(uint32_t cp) { return is_mark(cp) ? MARK_CLASS[cp - 0x300] : 0; }

static const Decomposition *decomposition_of(uint32_t cp) {
    Py_ssize_t lo = 0, hi = (Py_ssize_t)(sizeof DECOMPOSITIONS / sizeof DECOMPOSITIONS[0]) - 1;
    while (lo <= hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (DECOMPOSITIONS[mid].cp == cp) return &DECOMPOSITIONS[mid];
        if (DECOMPOSITIONS[mid].cp < cp) lo = mid + 1; else hi = mid - 1;
    }
    return NULL;
}

static uint32_t composite_of(uint32_t first, uint32_t second) {
    Py_ssize_t lo = 0, hi = (Py_ssize_t)(sizeof COMPOSITIONS / sizeof COMPOSITIONS[0]) - 1;
    while (lo <= hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        const Composition *c = &COMPOSITIONS[mid];
        if (c->first == first && c->second == second) return c->composite;
        if (c->first < first || (c->first == first && c->second < second)) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}

/* Marks a letter may carry here; more are left to Python. */
#define MAX_MARKS 16

static inline Py_ssize_t put_utf8(char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* NFC of text made of safe characters and combining marks (UAX #15: canonical
 * decomposition, ordering and composition), written to out, at most `room`
 * bytes: its length in characters, or -1 when the result would hold a character
 * that is not safe (a mark left over), or does not fit: Python normalises that.
 * Safe characters are starters that never compose with what precedes them (the
 * tests check it), so each letter and the marks after it compose on their own,
 * and text without marks is copied as it is. */
static Py_ssize_t nfc_compose(const char *s, Py_ssize_t n, char *out, Py_ssize_t room,
                              Py_ssize_t *written) {
    const unsigned char *p = (const unsigned char *)s;
    Py_ssize_t at = 0, chars = 0;
    for (Py_ssize_t i = 0; i < n;) {
        uint32_t cp;
        int k = utf8_char(p + i, n - i, &cp);
        if (!k || !is_safe(cp)) return -1;  /* not safe, or a mark with no letter before it */
        Py_ssize_t next = i + k;
        if (next >= n || (p[next] != 0xCC && p[next] != 0xCD)) {
            if (at + k > room) return -1;
            memcpy(out + at, s + i, (size_t)k);
            at += k;
            chars++;
            i = next;
            continue;
        }
        /* the letter, decomposed, and its marks in canonical order */
        uint32_t seq[MAX_MARKS + 4];
        int len = 0;
        const Decomposition *d = cp < 0xC0 ? NULL : decomposition_of(cp);
        if (d) {
            for (int j = 0; j < d->n; j++) seq[len++] = d->to[j];
        } else {
            seq[len++] = cp;
        }
        while (next < n) {
            uint32_t mark;
            int m = utf8_char(p + next, n - next, &mark);
            if (!m || !is_mark(mark)) break;
            if (len == MAX_MARKS + 4) return -1;
            seq[len++] = mark;
            next += m;
        }
        for (int j = 2; j < len; j++) {
            uint32_t mark = seq[j];
            int cls = mark_class(mark), h = j;
            while (h > 1 && mark_class(seq[h - 1]) > cls) {
                seq[h] = seq[h - 1];
                h--;
            }
            seq[h] = mark;
        }
        /* canonical composition into the letter */
        int kept = 1, last_class = 0;
        for (int j = 1; j < len; j++) {
            int cls = mark_class(seq[j]);
            uint32_t composite = cls && (last_class < cls || last_class == 0)
                                     ? composite_of(seq[0], seq[j]) : 0;
            if (composite) {
                seq[0] = composite;
            } else {
                last_class = cls ? cls : 256;  /* a mark of class 0 blocks what follows */
                seq[kept++] = seq[j];
            }
        }
        if (kept != 1 || !is_safe(seq[0]) || at + 3 > room) return -1;  /* a mark left */
        at += put_utf8(out + at, seq[0]);
        chars++;
        i = next;
    }
    *written = at;
    return chars;
}

/* A field after csv splitting: bytes, length in code points, and whether every
 * character is safe. Trimmed view: [start, start + len). */
typedef struct {
    const char *s;
    Py_ssize_t n;      /* bytes */
    Py_ssize_t chars;  /* code points, untrimmed (the csv module's limit) */
    int safe;
    int composable;    /* not safe, but only for combining marks U+0300..U+036F */
} Field;

/* Trim Python's white space at both ends (safe text only). */
static void trim(const char **s, Py_ssize_t *n) {
    const unsigned char *p = (const unsigned char *)*s;
    Py_ssize_t len = *n;
    for (;;) {
        if (len >= 1 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\n' || p[0] == '\r')) {
            p++; len--;
        } else if (len >= 2 && p[0] == 0xC2 && p[1] == 0xA0) {
            p += 2; len -= 2;
        } else break;
    }
    for (;;) {
        if (len >= 1 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\n' ||
                         p[len - 1] == '\r')) {
            len--;
        } else if (len >= 2 && p[len - 2] == 0xC2 && p[len - 1] == 0xA0) {
            len -= 2;
        } else break;
    }
    *s = (const char *)p;
    *n = len;
}

/* Code points in safe UTF-8 (continuation bytes are not counted). */
static Py_ssize_t count_chars(const char *s, Py_ssize_t n) {
    Py_ssize_t chars = 0;
    for (Py_ssize_t i = 0; i < n; i++) chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    return chars;
}

/* ------------------------------------------------------------------ values */

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }

/* 1 or 2 ASCII digits at s[*i]. */
static int digits_1_2(const char *s, Py_ssize_t n, Py_ssize_t *i, int *out) {
    if (*i >= n || !is_digit(s[*i])) return 0;
    int v = s[(*i)++] - '0';
    if (*i < n && is_digit(s[*i])) v = v * 10 + (s[(*i)++] - '0');
    *out = v;
    return 1;
}

static int digits_exact(const char *s, Py_ssize_t n, Py_ssize_t *i, int count, int *out) {
    int v = 0;
    for (int k = 0; k < count; k++) {
        if (*i >= n || !is_digit(s[*i])) return 0;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return days[m - 1];
}

#define US_PER_DAY 86400000000LL
#define US_PER_HOUR 3600000000LL
#define DAYS_1970_TO_2000 10957
/* Asia/Ho_Chi_Minh: UTC+7 without change from 13/06/1975 (tzdata); the fast path
 * takes local times from 1976 to 9000 and leaves every other year to Python. */
#define LOCAL_OFFSET_US (7 * US_PER_HOUR)
#define FIRST_FAST_YEAR 1976
#define LAST_FAST_YEAR 9000

typedef struct {
    int64_t utc_us;     /* microseconds since 2000-01-01 00:00 UTC */
    int32_t local_day;  /* days since 2000-01-01, in local time */
} Moment;

/* sangkien.feeds.values.parse_timestamp for the shapes
 *   YYYY-M-D[(T|t| )H:MM[:SS][Z|z|+HH:MM|-HH:MM]]   and   D/M/YYYY[ +H:MM[:SS]]
 * (M, D and H of one or two digits); 0 for anything else, which Python decides. */
static int parse_moment(const char *s, Py_ssize_t n, Moment *out) {
    Py_ssize_t i = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    int zoned = 0;
    int64_t offset_us = 0;
    if (n >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && s[4] == '-') {
        digits_exact(s, n, &i, 4, &year);
        i++;
        if (!digits_1_2(s, n, &i, &month) || i >= n || s[i] != '-') return 0;
        i++;
        if (!digits_1_2(s, n, &i, &day)) return 0;
        if (i < n) {
            if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return 0;
            i++;
            if (!digits_1_2(s, n, &i, &hour) || i >= n || s[i] != ':') return 0;
            i++;
            if (!digits_exact(s, n, &i, 2, &minute)) return 0;
            if (i < n && s[i] == ':') {
                i++;
                if (!digits_exact(s, n, &i, 2, &second)) return 0;
            }
            if (i < n) {
                if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
                    zoned = 1;
                    i++;
                } else if ((s[i] == '+' || s[i] == '-') && i + 6 == n && s[i + 3] == ':') {
                    int sign = s[i] == '-' ? -1 : 1, oh, om;
                    Py_ssize_t j = i + 1;
                    if (!digits_exact(s, n, &j, 2, &oh)) return 0;
                    j++;
                    if (!digits_exact(s, n, &j, 2, &om)) return 0;
                    if (oh > 14 || om > 59) return 0;
                    zoned = 1;
                    offset_us = sign * ((int64_t)oh * US_PER_HOUR + (int64_t)om * 60000000LL);
                    i = n;
                } else {
                    return 0;
                }
            }
        }
    } else {
        if (!digits_1_2(s, n, &i, &day) || i >= n || s[i] != '/') return 0;
        i++;
        if (!digits_1_2(s, n, &i, &month) || i >= n || s[i] != '/') return 0;
        i++;
        if (!digits_exact(s, n, &i, 4, &year)) return 0;
        if (i < n) {
            if (s[i] != ' ') return 0;
            while (i < n && s[i] == ' ') i++;
            if (!digits_1_2(s, n, &i, &hour) || i >= n || s[i] != ':') return 0;
            i++;
            if (!digits_exact(s, n, &i, 2, &minute)) return 0;
            if (i < n && s[i] == ':') {
                i++;
                if (!digits_exact(s, n, &i, 2, &second)) return 0;
            }
        }
    }
    if (i != n) return 0;
    if (year < FIRST_FAST_YEAR || year > LAST_FAST_YEAR || month < 1 || month > 12 ||
        day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59)
        return 0;
    int64_t wall_us = (days_from_civil(year, month, day) - DAYS_1970_TO_2000) * US_PER_DAY +
                      (int64_t)hour * US_PER_HOUR + (int64_t)minute * 60000000LL +
                      (int64_t)second * 1000000LL;
    int64_t utc_us = zoned ? wall_us - offset_us : wall_us - LOCAL_OFFSET_US;
    int64_t local_us = utc_us + LOCAL_OFFSET_US;
    int64_t local_day = local_us >= 0 ? local_us / US_PER_DAY : -((-local_us + US_PER_DAY - 1) / US_PER_DAY);
    /* the local year must stay in the fast years too (a zone can move the date) */
    if (local_day < days_from_civil(FIRST_FAST_YEAR, 1, 1) - DAYS_1970_TO_2000 ||
        local_day > days_from_civil(LAST_FAST_YEAR, 12, 31) - DAYS_1970_TO_2000)
        return 0;
    out->utc_us = utc_us;
    out->local_day = (int32_t)local_day;
    return 1;
}

/* parse_benefit: digits, or groups of three after 1-3 digits with one separator
 * ('.', ',' or ' ') used throughout; at most 2**63 - 1. */
static int parse_benefit(const char *s, Py_ssize_t n, int64_t *out) {
    uint64_t v = 0;
    const uint64_t max = (uint64_t)INT64_MAX;
    int grouped = 0;
    Py_ssize_t i = 0;
    while (i < n && is_digit(s[i])) i++;
    if (i == 0) return 0;
    if (i < n) {
        if (i > 3) return 0;
        char sep = s[i];
        if (sep != '.' && sep != ',' && sep != ' ') return 0;
        Py_ssize_t j = i;
        while (j < n) {
            if (s[j] != sep || j + 4 > n || !is_digit(s[j + 1]) || !is_digit(s[j + 2]) || !is_digit(s[j + 3]))
                return 0;
            j += 4;
        }
        grouped = 1;
    }
    for (i = 0; i < n; i++) {
        if (grouped && !is_digit(s[i])) continue;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (max - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = (int64_t)v;
    return 1;
}

/* parse_bool: 1 true, 0 false, -1 not a boolean here (Python decides). Case is
 * folded for ASCII and for the two Vietnamese letters of "có" and "không". */
static int parse_bool(const char *s, Py_ssize_t n) {
    char folded[16];
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (k >= (Py_ssize_t)sizeof folded - 1) return -1;
        if (c < 0x80) {
            folded[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else if (c == 0xC3 && i + 1 < n) {
            unsigned char d = (unsigned char)s[++i];
            if (d == 0x93 || d == 0xB3) d = 0xB3;       /* Ó, ó */
            else if (d == 0x94 || d == 0xB4) d = 0xB4;  /* Ô, ô */
            else return -1;
            folded[k++] = (char)0xC3;
            folded[k++] = (char)d;
        } else {
            return -1;
        }
    }
    folded[k] = 0;
    if (!strcmp(folded, "true") || !strcmp(folded, "1") || !strcmp(folded, "c\xc3\xb3") ||
        !strcmp(folded, "x"))
        return 1;
    if (!strcmp(folded, "false") || !strcmp(folded, "0") || !strcmp(folded, "kh\xc3\xb4ng") ||
        k == 0)
        return 0;
    return -1;
}

/* ----------------------------------------------------------------- pseudonyms */

/* Python's " ".join(name.casefold().split()) for a name of safe text. */
static int normal_name(const char *s, Py_ssize_t n, Buf *out) {
    out->len = 0;
    int pending_space = 0;
    Py_ssize_t i = 0;
    while (i < n) {
        uint32_t cp;
        int len = safe_char((const unsigned char *)s + i, n - i, &cp);
        if (!len) return -1;
        if (is_space_cp(cp)) {
            pending_space = out->len > 0;
            i += len;
            continue;
        }
        if (buf_reserve(out, 8) < 0) return -1;
        if (pending_space) {
            out->data[out->len++] = ' ';
            pending_space = 0;
        }
        if (cp < 0x80) {
            out->data[out->len++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        } else {
            const char *folded = casefold_of(cp);
            if (folded) {
                size_t k = strlen(folded);
                memcpy(out->data + out->len, folded, k);
                out->len += (Py_ssize_t)k;
            } else {
                memcpy(out->data + out->len, s + i, (size_t)len);
                out->len += len;
            }
        }
        i += len;
    }
    return 0;
}

/* sangkien.feeds.pseudonyms.author_keys for safe text: the ';'-joined first 16
 * bytes (hex) of HMAC-SHA256(key, "<unit>|id:<member id>") per author, or
 * "<unit>|name:<normal name>" where the unit sends no id. 0 done, 1 left to
 * Python (over MAX_IDS member ids), -1 no memory. */
#define MAX_IDS 512
static int author_keys(const HmacKey *key, const char *unit, Py_ssize_t unit_len,
                       const char *authors, Py_ssize_t authors_len, const char *ids,
                       Py_ssize_t ids_len, Buf *scratch, Buf *out) {
    static const char hex[] = "0123456789abcdef";
    out->len = 0;
    /* The member ids, stripped, by position. */
    const char *id_at[MAX_IDS];
    Py_ssize_t id_len[MAX_IDS];
    int n_ids = 0;
    if (ids_len >= 0) {
        Py_ssize_t start = 0;
        for (Py_ssize_t i = 0; i <= ids_len; i++) {
            if (i == ids_len || ids[i] == ';') {
                if (n_ids == MAX_IDS) return 1;
                const char *p = ids + start;
                Py_ssize_t k = i - start;
                trim(&p, &k);
                id_at[n_ids] = p;
                id_len[n_ids++] = k;
                start = i + 1;
            }
        }
    }
    int position = 0;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i <= authors_len; i++) {
        if (i < authors_len && authors[i] != ';') continue;
        const char *name = authors + start;
        Py_ssize_t name_len = i - start;
        start = i + 1;
        const char *stripped = name;
        Py_ssize_t stripped_len = name_len;
        trim(&stripped, &stripped_len);
        if (!stripped_len) continue;  /* names with nothing in them are not authors */
        if (buf_reserve(scratch, unit_len + 6 + name_len * 3 + 8) < 0) return -1;
        scratch->len = 0;
        memcpy(scratch->data, unit, (size_t)unit_len);
        scratch->len = unit_len;
        if (position < n_ids && id_len[position] > 0) {
            if (buf_reserve(scratch, 4 + id_len[position]) < 0) return -1;
            memcpy(scratch->data + scratch->len, "|id:", 4);
            scratch->len += 4;
            memcpy(scratch->data + scratch->len, id_at[position], (size_t)id_len[position]);
            scratch->len += id_len[position];
        } else {
            Buf folded = {0};
            if (normal_name(name, name_len, &folded) < 0 ||
                buf_reserve(scratch, 6 + folded.len) < 0) {
                buf_free(&folded);
                return -1;
            }
            memcpy(scratch->data + scratch->len, "|name:", 6);
            scratch->len += 6;
            if (folded.len) memcpy(scratch->data + scratch->len, folded.data, (size_t)folded.len);
            scratch->len += folded.len;
            buf_free(&folded);
        }
        unsigned char digest[32];
        hmac_digest(key, scratch->data, (size_t)scratch->len, digest);
        if (buf_reserve(out, 33) < 0) return -1;
        if (position) out->data[out->len++] = ';';
        for (int b = 0; b < 16; b++) {
            out->data[out->len++] = hex[digest[b] >> 4];
            out->data[out->len++] = hex[digest[b] & 15];
        }
        position++;
    }
    return 0;
}

/* ---------------------------------------------------------------- record ids */

/* The record ids of a delivery's stored rows, to know whether one repeats: past
 * `limit` ids, or on a hash collision, it is taken to repeat (the loader then
 * searches raw for superseded rows, which is only slower). */
typedef struct {
    PyObject_HEAD
    uint64_t *slots;
    Py_ssize_t cap, count, limit;
    int repeats;
} RecordIdsObject;

static uint64_t fnv1a(const char *s, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

/* 0 when the id is new, 1 when it repeats, -1 on no memory. */
static int record_ids_add(RecordIdsObject *ids, const char *s, Py_ssize_t n) {
    if (ids->repeats) return 1;
    if (ids->count >= ids->limit) {
        ids->repeats = 1;
        return 1;
    }
    if ((ids->count + 1) * 2 > ids->cap) {
        Py_ssize_t cap = ids->cap ? ids->cap * 2 : 1024;
        uint64_t *slots = PyMem_RawCalloc((size_t)cap, sizeof(uint64_t));
        if (!slots) return -1;
        for (Py_ssize_t i = 0; i < ids->cap; i++) {
            uint64_t h = ids->slots[i];
            if (!h) continue;
            Py_ssize_t j = (Py_ssize_t)(h & (uint64_t)(cap - 1));
            while (slots[j]) j = (j + 1) & (cap - 1);
            slots[j] = h;
        }
        PyMem_RawFree(ids->slots);
        ids->slots = slots;
        ids->cap = cap;
    }
    uint64_t h = fnv1a(s, n);
    Py_ssize_t j = (Py_ssize_t)(h & (uint64_t)(ids->cap - 1));
    while (ids->slots[j]) {
        if (ids->slots[j] == h) {
            ids->repeats = 1;
            return 1;
        }
        j = (j + 1) & (ids->cap - 1);
    }
    ids->slots[j] = h;
    ids->count++;
    return 0;
}

static PyTypeObject RecordIdsType;

static int RecordIds_init(RecordIdsObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"limit", NULL};
    Py_ssize_t limit;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "n", kwlist, &limit)) return -1;
    PyMem_RawFree(self->slots);
    self->slots = NULL;
    self->cap = self->count = 0;
    self->limit = limit;
    self->repeats = 0;
    return 0;
}

static void RecordIds_dealloc(RecordIdsObject *self) {
    PyMem_RawFree(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *RecordIds_add(RecordIdsObject *self, PyObject *arg) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &n);
    if (!s) return NULL;
    int r = record_ids_add(self, s, n);
    if (r < 0) return PyErr_NoMemory();
    return PyBool_FromLong(r);
}

static PyObject *RecordIds_get_repeats(RecordIdsObject *self, void *closure) {
    return PyBool_FromLong(self->repeats);
}

static PyMethodDef RecordIds_methods[] = {
    {"add", (PyCFunction)RecordIds_add, METH_O,
     "Note a stored row's record id; True when it (may) repeat an earlier one."},
    {NULL},
};

static PyGetSetDef RecordIds_getset[] = {
    {"repeats", (getter)RecordIds_get_repeats, NULL,
     "Whether a record id (may have) repeated.", NULL},
    {NULL},
};

static PyTypeObject RecordIdsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sangkien.landing._csv_rows.RecordIds",
    .tp_basicsize = sizeof(RecordIdsObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "RecordIds(limit): the record ids of one delivery's stored rows.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)RecordIds_init,
    .tp_dealloc = (destructor)RecordIds_dealloc,
    .tp_methods = RecordIds_methods,
    .tp_getset = RecordIds_getset,
};

/* ------------------------------------------------------------ the CSV engine */

/* A record's fields as found in the bytes; quoted fields with doubled quotes are
 * copied (unescaped) into the engine's field buffer. */
typedef struct {
    Py_ssize_t start;   /* offset into data, or into fieldbuf when copied */
    Py_ssize_t n;
    int copied;
} Span;

#define MAX_WIDTH 512

typedef struct {
    Buf fieldbuf;
    Span spans[MAX_WIDTH];
} Splitter;

typedef struct {
    PyObject_HEAD
    /* set at creation */
    char unit[64];
    Py_ssize_t unit_len;
    int32_t business_day;  /* days since 2000-01-01 */
    int64_t delivery_id;
    int width;
    int file_column[N_COLUMNS];  /* contract column -> file column, or -1 */
    HmacKey key;
    RecordIdsObject *ids;
    /* state */
    long line_number;
    Py_ssize_t accepted;
    /* work buffers */
    Splitter split;
    Buf scratch, keys, out, deferred;
    Buf composed;  /* fields with combining marks, in NFC */
    /* the record's values: its fields, or their NFC in `composed` */
    const char *value[MAX_WIDTH];
    Py_ssize_t value_len[MAX_WIDTH];
} CsvRowsObject;

enum { SPLIT_OK, SPLIT_BLANK, SPLIT_MORE, SPLIT_STOP, SPLIT_BROKEN };

/* What the csv module says of a character after a closing quote (Python 3.11). */
#define QUOTE_ERROR "',' expected after '\"'"

/* Split one record at data[pos..n), as Python's csv module (strict, doublequote)
 * splits the lines io.TextIOWrapper(newline='') gives it. On SPLIT_OK/BLANK,
 * *next is the offset after the record's line end. SPLIT_MORE: the record does
 * not end in these bytes (and `final` is false). SPLIT_BROKEN: a character after a
 * closing quote, where the csv module raises QUOTE_ERROR, drops the rest of that
 * line and reads on from the next (*next). SPLIT_STOP: the record is beyond this
 * code (the end of the file inside quotes, too many fields): Python reads from pos. */
static int split_record(Splitter *self, const char *data, Py_ssize_t n, Py_ssize_t pos,
                        int final, int *n_fields, Py_ssize_t *next) {
    Py_ssize_t i = pos;
    int count = 0;
    self->fieldbuf.len = 0;
    if (i >= n) return final ? SPLIT_STOP : SPLIT_MORE;  /* caller checks for the end */
    /* A line that is only a line end is a blank line: no record. */
    if (data[i] == '\n' || data[i] == '\r') {
        if (data[i] == '\r') {
            if (i + 1 >= n && !final) return SPLIT_MORE;
            if (i + 1 < n && data[i + 1] == '\n') i++;
        }
        *next = i + 1;
        return SPLIT_BLANK;
    }
    for (;;) {
        if (count == MAX_WIDTH) return SPLIT_STOP;
        Span *span = &self->spans[count++];
        if (i < n && data[i] == '"') {
            /* quoted field: up to the closing quote; "" is one quote */
            i++;
            Py_ssize_t run = i;
            span->start = self->fieldbuf.len;
            span->copied = 1;
            for (;;) {
                const char *q = i < n ? memchr(data + i, '"', (size_t)(n - i)) : NULL;
                if (!q) return final ? SPLIT_STOP : SPLIT_MORE;
                i = q - data;
                if (i + 1 >= n && !final) return SPLIT_MORE;
                if (buf_reserve(&self->fieldbuf, i - run + 1) < 0) return -1;
                memcpy(self->fieldbuf.data + self->fieldbuf.len, data + run, (size_t)(i - run));
                self->fieldbuf.len += i - run;
                if (i + 1 < n && data[i + 1] == '"') {
                    self->fieldbuf.data[self->fieldbuf.len++] = '"';
                    i += 2;
                    run = i;
                    continue;
                }
                i++;  /* past the closing quote */
                break;
            }
            span->n = self->fieldbuf.len - span->start;
            if (i >= n) {
                if (!final) return SPLIT_MORE;
                *n_fields = count;
                *next = i;
                return SPLIT_OK;
            }
            if (data[i] == ',') {
                i++;
                continue;
            }
            if (data[i] == '\n' || data[i] == '\r') break;
            *n_fields = count;
            while (i < n && data[i] != '\n' && data[i] != '\r') i++;
            if (i >= n) {
                if (!final) return SPLIT_MORE;
                *next = n;
                return SPLIT_BROKEN;
            }
            if (data[i] == '\r') {
                if (i + 1 >= n && !final) return SPLIT_MORE;
                if (i + 1 < n && data[i + 1] == '\n') i++;
            }
            *next = i + 1;
            return SPLIT_BROKEN;
        }
        /* unquoted field: up to a comma or a line end; a quote here is a character */
        span->start = i;
        span->copied = 0;
        while (i < n && data[i] != ',' && data[i] != '\n' && data[i] != '\r') i++;
        span->n = i - span->start;
        if (i >= n) {
            if (!final) return SPLIT_MORE;
            *n_fields = count;
            *next = i;
            return SPLIT_OK;
        }
        if (data[i] == ',') {
            i++;
            if (i >= n) {  /* a comma, then the end of the file: one more empty field */
                if (!final) return SPLIT_MORE;
                if (count == MAX_WIDTH) return SPLIT_STOP;
                Span *last = &self->spans[count++];
                last->start = i;
                last->n = 0;
                last->copied = 0;
                *n_fields = count;
                *next = i;
                return SPLIT_OK;
            }
            continue;
        }
        break;
    }
    /* the record's line end: \r\n, \r or \n */
    if (data[i] == '\r') {
        if (i + 1 >= n && !final) return SPLIT_MORE;
        if (i + 1 < n && data[i + 1] == '\n') i++;
    }
    *n_fields = count;
    *next = i + 1;
    return SPLIT_OK;
}

static inline const char *span_data(const Splitter *split, const char *data, const Span *s) {
    return s->copied ? split->fieldbuf.data + s->start : data + s->start;
}

/* Scan a field: safe, and its length in code points (for the csv limit). */
static void scan_field(const char *s, Py_ssize_t n, Field *f) {
    const unsigned char *p = (const unsigned char *)s;
    Py_ssize_t chars = 0;
    int safe = 1, only_known = 1;  /* only safe characters and marks */
    Py_ssize_t i = 0;
    while (i < n) {
        /* eight printable ASCII bytes at a time (most of any text here) */
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            /* no byte >= 0x80, and none below 0x20 (tab, CR, LF are rare: the slow way) */
            if (!(w & 0x8080808080808080ULL) &&
                !((w - 0x2020202020202020ULL) & ~w & 0x8080808080808080ULL) &&
                !(((w ^ 0x7F7F7F7F7F7F7F7FULL) - 0x0101010101010101ULL) &
                  ~(w ^ 0x7F7F7F7F7F7F7F7FULL) & 0x8080808080808080ULL)) {
                i += 8;
                chars += 8;
                continue;
            }
        }
        if (p[i] < 0x80) {
            if (!(p[i] >= 0x20 && p[i] <= 0x7E) && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
                safe = only_known = 0;
            i++;
        } else {
            uint32_t cp;
            int len = only_known ? utf8_char(p + i, n - i, &cp) : 0;
            if (len && is_safe(cp)) {
                i += len;
            } else if (len && is_mark(cp)) {
                safe = 0;
                i += len;
            } else {
                safe = only_known = 0;  /* the length in bytes bounds such a field (engine_record) */
                i++;
                while (i < n && (p[i] & 0xC0) == 0x80) i++;
            }
        }
        chars++;
    }
    f->s = s;
    f->n = n;
    f->chars = chars;
    f->safe = safe;
    f->composable = !safe && only_known;
}

/* The column's trimmed value (empty when the column is absent). */
typedef struct {
    const char *s;
    Py_ssize_t n;
    int present;
} Value;

/* The row, if the Python rules would store it as it is: 1 written to out, 0 defer. */
static int accept_record(CsvRowsObject *self, int n_fields) {
    Value v[N_COLUMNS];
    for (int c = 0; c < N_COLUMNS; c++) {
        int f = self->file_column[c];
        if (f < 0) {
            v[c].s = "";
            v[c].n = 0;
            v[c].present = 0;
        } else {
            v[c].s = self->value[f];
            v[c].n = self->value_len[f];
            v[c].present = 1;
            trim(&v[c].s, &v[c].n);
        }
    }
    /* a tombstone, or a value that is not a clear false, goes to Python */
    if (parse_bool(v[C_IS_DELETED].s, v[C_IS_DELETED].n) != 0) return 0;
    int confidential = parse_bool(v[C_IS_CONFIDENTIAL].s, v[C_IS_CONFIDENTIAL].n);
    if (confidential < 0) return 0;
    /* A summary beside a confidential flag is dropped with a warning (Python);
     * an empty summary is allowed only when confidential. */
    if (v[C_SUMMARY].n ? confidential : !confidential) return 0;
    for (int c = 0; c < N_COLUMNS; c++)
        if (rules.required[c] && c != C_SUMMARY && !v[c].n) return 0;
    if (v[C_UNIT_CODE].n != self->unit_len || memcmp(v[C_UNIT_CODE].s, self->unit, (size_t)self->unit_len))
        return 0;
    if (count_chars(v[C_RECORD_ID].s, v[C_RECORD_ID].n) > rules.record_id_max) return 0;
    Py_ssize_t title_chars = count_chars(v[C_TITLE].s, v[C_TITLE].n);
    if (title_chars < rules.title_min || title_chars > rules.title_max) return 0;
    /* enumerations: ASCII, stored in lower case */
    char lowered[8][64];
    for (int e = 0; e < rules.n_enums; e++) {
        const EnumRule *rule = &rules.enums[e];
        const Value *value = &v[rule->column];
        if (value->n >= 64) return 0;
        for (Py_ssize_t i = 0; i < value->n; i++) {
            unsigned char ch = (unsigned char)value->s[i];
            if (ch >= 0x80) return 0;
            lowered[e][i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        int found = 0;
        for (int k = 0; k < rule->count && !found; k++)
            found = rule->lengths[k] == value->n && !memcmp(rule->values[k], lowered[e], (size_t)value->n);
        if (!found) return 0;
    }
    int64_t benefit = 0;
    int has_benefit = v[C_BENEFIT_VND].n > 0;
    if (has_benefit && !parse_benefit(v[C_BENEFIT_VND].s, v[C_BENEFIT_VND].n, &benefit)) return 0;
    Moment applied, submitted, updated;
    if (!parse_moment(v[C_APPLIED_ON].s, v[C_APPLIED_ON].n, &applied)) return 0;
    if (!parse_moment(v[C_SUBMITTED_AT].s, v[C_SUBMITTED_AT].n, &submitted)) return 0;
    int has_updated = v[C_UPDATED_AT].n > 0;
    if (has_updated && !parse_moment(v[C_UPDATED_AT].s, v[C_UPDATED_AT].n, &updated)) return 0;
    int keyed = author_keys(&self->key, self->unit, self->unit_len, v[C_AUTHORS].s,
                            v[C_AUTHORS].n, v[C_AUTHOR_IDS].s,
                            v[C_AUTHOR_IDS].present ? v[C_AUTHOR_IDS].n : -1, &self->scratch,
                            &self->keys);
    if (keyed) return keyed < 0 ? -1 : 0;
    int r = record_ids_add(self->ids, v[C_RECORD_ID].s, v[C_RECORD_ID].n);
    if (r < 0) return -1;

    Py_ssize_t size = 2 + RAW_FIELDS * 4 + 8 + self->unit_len + 4 + 4 + 8 + 1 + 8 + 4 + 1 + 8 + 8 +
                      1 + self->keys.len;
    for (int c = 0; c < N_COLUMNS; c++) size += v[c].n;
    size += 64; /* lowered enums are the same length as their values */
    Buf *out = &self->out;
    if (buf_reserve(out, size) < 0) return -1;
    int e = 0;
#define ENUM_NEXT() (put_text(out, lowered[e], v[rules.enums[e].column].n), e++)
    put_u16(out, RAW_FIELDS);
    put_int8(out, self->delivery_id);
    put_text(out, self->unit, self->unit_len);
    put_int4(out, self->business_day);
    put_int4(out, (int32_t)self->line_number);
    put_text(out, v[C_RECORD_ID].s, v[C_RECORD_ID].n);
    put_text_or_null(out, v[C_GRASSROOTS_UNION].s, v[C_GRASSROOTS_UNION].n);
    put_text(out, v[C_TITLE].s, v[C_TITLE].n);
    /* the enumerations in stored order: solution_type, field, participant_group */
    for (int k = 0; k < 3; k++) ENUM_NEXT();
    put_text(out, v[C_AUTHORS].s, v[C_AUTHORS].n);
    put_text_or_null(out, v[C_AUTHOR_IDS].s, v[C_AUTHOR_IDS].n);
    put_text_or_null(out, v[C_SUMMARY].s, v[C_SUMMARY].n);
    put_text_or_null(out, v[C_EFFECT_SUMMARY].s, v[C_EFFECT_SUMMARY].n);
    if (has_benefit) put_int8(out, benefit); else put_null(out);
    put_int4(out, applied.local_day);
    put_text_or_null(out, v[C_RECOGNIZED_BY].s, v[C_RECOGNIZED_BY].n);
    ENUM_NEXT();  /* recognition_level */
    put_text_or_null(out, v[C_AWARD].s, v[C_AWARD].n);
    put_bool(out, confidential);
    ENUM_NEXT();  /* review_status */
    put_int8(out, submitted.utc_us);
    if (has_updated) put_int8(out, updated.utc_us); else put_null(out);
    put_bool(out, 0);
    put_text(out, self->keys.data, self->keys.len);
#undef ENUM_NEXT
    return 1;
}

/* Deferred records: [int32 line][int32 n_fields]([int32 len][bytes])* in self->deferred. */
static int defer_record(CsvRowsObject *self, const char *data, int n_fields) {
    Py_ssize_t size = 8;
    for (int f = 0; f < n_fields; f++) size += 4 + self->split.spans[f].n;
    if (buf_reserve(&self->deferred, size) < 0) return -1;
    Buf *d = &self->deferred;
    int32_t line = (int32_t)self->line_number, count = n_fields;
    memcpy(d->data + d->len, &line, 4);
    memcpy(d->data + d->len + 4, &count, 4);
    d->len += 8;
    for (int f = 0; f < n_fields; f++) {
        int32_t len = (int32_t)self->split.spans[f].n;
        memcpy(d->data + d->len, &len, 4);
        memcpy(d->data + d->len + 4, span_data(&self->split, data, &self->split.spans[f]), (size_t)len);
        d->len += 4 + len;
    }
    return 0;
}

/* A record the csv module cannot split (SPLIT_BROKEN): [int32 line][int32 -1]. */
static int defer_broken(CsvRowsObject *self) {
    if (buf_reserve(&self->deferred, 8) < 0) return -1;
    int32_t line = (int32_t)self->line_number, broken = -1;
    memcpy(self->deferred.data + self->deferred.len, &line, 4);
    memcpy(self->deferred.data + self->deferred.len + 4, &broken, 4);
    self->deferred.len += 8;
    return 0;
}

/* The csv module counts a field's characters as it reads them and raises past its
 * limit, before anything else; decoding gives at most a code point a byte, NFC
 * at most three. A field that might reach the limit is left to the csv module. */
static int may_reach_limit(const Splitter *split, int n_fields) {
    for (int f = 0; f < n_fields; f++)
        if (split->spans[f].n * 3 > rules.max_field_chars) return 1;
    return 0;
}

static int engine_broken(CsvRowsObject *self, int n_fields) {
    if (may_reach_limit(&self->split, n_fields)) return SPLIT_STOP;
    self->line_number++;
    return defer_broken(self) < 0 ? -1 : SPLIT_OK;
}

/* Limits of what is left to the engine: a deferred record's fields go to Python
 * as they are, where NFC may lengthen a field up to three times before the csv
 * module's limit applies; such a record is left to the csv module. */
static int engine_record(CsvRowsObject *self, const char *data, int n_fields) {
    int all_safe = 1;
    Py_ssize_t bytes = 0;
    for (int f = 0; f < n_fields; f++) bytes += self->split.spans[f].n;
    /* Room for the record's NFC before any field points into it. */
    self->composed.len = 0;
    if (buf_reserve(&self->composed, bytes + 16) < 0) return -1;
    for (int f = 0; f < n_fields; f++) {
        Field field;
        const char *s = span_data(&self->split, data, &self->split.spans[f]);
        Py_ssize_t n = self->split.spans[f].n;
        scan_field(s, n, &field);
        self->value[f] = s;
        self->value_len[f] = n;
        if (field.chars > rules.max_field_chars) return SPLIT_STOP;
        if (field.composable) {
            Py_ssize_t written;
            char *out = self->composed.data + self->composed.len;
            Py_ssize_t chars =
                nfc_compose(s, n, out, self->composed.cap - self->composed.len, &written);
            if (chars >= 0) {  /* the csv module counts the characters of the NFC text */
                if (chars > rules.max_field_chars) return SPLIT_STOP;
                self->value[f] = out;
                self->value_len[f] = written;
                self->composed.len += written;
                continue;
            }
        }
        if (!field.safe) {
            all_safe = 0;
            /* decoding gives at most a code point a byte, NFC at most three */
            if (field.n * 3 > rules.max_field_chars) return SPLIT_STOP;
        }
    }
    self->line_number++;
    if (all_safe && n_fields == self->width) {
        int r = accept_record(self, n_fields);
        if (r < 0) return -1;
        if (r) {
            self->accepted++;
            return SPLIT_OK;
        }
    }
    return defer_record(self, data, n_fields) < 0 ? -1 : SPLIT_OK;
}

static PyTypeObject CsvRowsType;

static int CsvRows_init(CsvRowsObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"unit_code", "business_date", "delivery_id", "columns", "key",
                             "record_ids", "line_number", NULL};
    const char *unit;
    Py_ssize_t unit_len, key_len;
    PyObject *business_date, *columns, *ids;
    long long delivery_id;
    const char *key;
    long line_number = 0;
    if (!rules.configured) {
        PyErr_SetString(PyExc_RuntimeError, "_csv_rows.configure() was not called");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "s#OLOy#O!|l", kwlist, &unit, &unit_len,
                                     &business_date, &delivery_id, &columns, &key, &key_len,
                                     &RecordIdsType, &ids, &line_number))
        return -1;
    if (unit_len >= (Py_ssize_t)sizeof self->unit) {
        PyErr_SetString(PyExc_ValueError, "unit code too long");
        return -1;
    }
    if (!PyDate_Check(business_date)) {
        PyErr_SetString(PyExc_TypeError, "business_date must be a date");
        return -1;
    }
    memcpy(self->unit, unit, (size_t)unit_len);
    self->unit_len = unit_len;
    self->business_day = (int32_t)(days_from_civil(PyDateTime_GET_YEAR(business_date),
                                                   PyDateTime_GET_MONTH(business_date),
                                                   PyDateTime_GET_DAY(business_date)) -
                                   DAYS_1970_TO_2000);
    self->delivery_id = delivery_id;
    PyObject *seq = PySequence_Fast(columns, "columns must be a sequence of ints");
    if (!seq) return -1;
    Py_ssize_t width = PySequence_Fast_GET_SIZE(seq);
    if (width < 1 || width > MAX_WIDTH) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "between 1 and 512 columns");
        return -1;
    }
    for (int c = 0; c < N_COLUMNS; c++) self->file_column[c] = -1;
    for (Py_ssize_t f = 0; f < width; f++) {
        long c = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, f));
        if (c == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        if (c < -1 || c >= N_COLUMNS || (c >= 0 && self->file_column[c] >= 0)) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "columns: each contract column at most once");
            return -1;
        }
        if (c >= 0) self->file_column[c] = (int)f;
    }
    Py_DECREF(seq);
    for (int c = 0; c < N_COLUMNS; c++) {
        if (rules.must_exist[c] && self->file_column[c] < 0) {
            PyErr_Format(PyExc_ValueError, "column %s is missing", COLUMN_NAMES[c]);
            return -1;
        }
    }
    self->width = (int)width;
    hmac_init(&self->key, (const unsigned char *)key, (size_t)key_len);
    Py_INCREF(ids);
    Py_XSETREF(self->ids, (RecordIdsObject *)ids);
    self->line_number = line_number;
    self->accepted = 0;
    return 0;
}

static void CsvRows_dealloc(CsvRowsObject *self) {
    buf_free(&self->split.fieldbuf);
    buf_free(&self->composed);
    buf_free(&self->scratch);
    buf_free(&self->keys);
    buf_free(&self->out);
    buf_free(&self->deferred);
    Py_XDECREF(self->ids);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* feed(data, final) -> (consumed, rows, deferred, stopped) */
static PyObject *CsvRows_feed(CsvRowsObject *self, PyObject *args) {
    Py_buffer view;
    int final;
    if (!PyArg_ParseTuple(args, "y*p", &view, &final)) return NULL;
    const char *data = view.buf;
    Py_ssize_t n = view.len, pos = 0;
    int status = SPLIT_OK, failed = 0;
    self->out.len = 0;
    self->deferred.len = 0;
    Py_BEGIN_ALLOW_THREADS
    while (pos < n) {
        int n_fields;
        Py_ssize_t next;
        status = split_record(&self->split, data, n, pos, final, &n_fields, &next);
        if (status < 0) { failed = 1; break; }
        if (status == SPLIT_BLANK) { pos = next; continue; }
        if (status == SPLIT_BROKEN) {
            status = engine_broken(self, n_fields);
            if (status < 0) { failed = 1; break; }
            if (status != SPLIT_OK) break;
            pos = next;
            continue;
        }
        if (status != SPLIT_OK) break;
        status = engine_record(self, data, n_fields);
        if (status < 0) { failed = 1; break; }
        if (status != SPLIT_OK) break;
        pos = next;
    }
    Py_END_ALLOW_THREADS
    if (failed) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    PyBuffer_Release(&view);
    PyObject *rows = PyBytes_FromStringAndSize(self->out.data ? self->out.data : "", self->out.len);
    PyObject *deferred = PyList_New(0);
    if (!rows || !deferred) goto error;
    for (Py_ssize_t at = 0; at < self->deferred.len;) {
        int32_t line, count;
        memcpy(&line, self->deferred.data + at, 4);
        memcpy(&count, self->deferred.data + at + 4, 4);
        at += 8;
        if (count < 0) {  /* broken quoting: the csv module's error */
            PyObject *item = Py_BuildValue("(ls)", (long)line, QUOTE_ERROR);
            if (!item || PyList_Append(deferred, item) < 0) { Py_XDECREF(item); goto error; }
            Py_DECREF(item);
            continue;
        }
        PyObject *fields = PyList_New(count);
        if (!fields) goto error;
        for (int32_t f = 0; f < count; f++) {
            int32_t len;
            memcpy(&len, self->deferred.data + at, 4);
            PyObject *b = PyBytes_FromStringAndSize(self->deferred.data + at + 4, len);
            if (!b) { Py_DECREF(fields); goto error; }
            PyList_SET_ITEM(fields, f, b);
            at += 4 + len;
        }
        PyObject *item = Py_BuildValue("(lN)", (long)line, fields);
        if (!item || PyList_Append(deferred, item) < 0) { Py_XDECREF(item); goto error; }
        Py_DECREF(item);
    }
    return Py_BuildValue("(nNNO)", pos, rows, deferred,
                         status == SPLIT_STOP ? Py_True : Py_False);
error:
    Py_XDECREF(rows);
    Py_XDECREF(deferred);
    return NULL;
}

static PyObject *CsvRows_get_line_number(CsvRowsObject *self, void *closure) {
    return PyLong_FromLong(self->line_number);
}

static PyObject *CsvRows_get_accepted(CsvRowsObject *self, void *closure) {
    return PyLong_FromSsize_t(self->accepted);
}

static PyMethodDef CsvRows_methods[] = {
    {"feed", (PyCFunction)CsvRows_feed, METH_VARARGS,
     "feed(data, final) -> (consumed, rows, deferred, stopped)\n\n"
     "Read the complete records of `data` (UTF-8, after the header). `rows`: the\n"
     "accepted ones as binary COPY rows; `deferred`: (line_number, [field bytes])\n"
     "of the others, or (line_number, csv error) where the csv module raises;\n"
     "`consumed`: the bytes read; `stopped`: the record at\n"
     "`consumed` must be read by Python's csv module, and so the rest."},
    {NULL},
};

static PyGetSetDef CsvRows_getset[] = {
    {"line_number", (getter)CsvRows_get_line_number, NULL, "The last record's line number.", NULL},
    {"accepted", (getter)CsvRows_get_accepted, NULL, "Records written as rows.", NULL},
    {NULL},
};

static PyTypeObject CsvRowsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sangkien.landing._csv_rows.CsvRows",
    .tp_basicsize = sizeof(CsvRowsObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "CsvRows(unit_code, business_date, delivery_id, columns, key, record_ids, "
              "line_number=0): one CSV delivery's records after its header.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)CsvRows_init,
    .tp_dealloc = (destructor)CsvRows_dealloc,
    .tp_methods = CsvRows_methods,
    .tp_getset = CsvRows_getset,
};

/* --------------------------------------------------- rows the Python rules stored */

static int put_py_text(Buf *out, PyObject *value) {
    if (value == Py_None) {
        if (buf_reserve(out, 4) < 0) return -1;
        put_null(out);
        return 0;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(value, &n);
    if (!s) return -1;
    if (buf_reserve(out, 4 + n) < 0) return -1;
    put_text(out, s, n);
    return 0;
}

static int put_py_int(Buf *out, PyObject *value, int size) {
    if (buf_reserve(out, 12) < 0) return -1;
    if (value == Py_None) {
        put_null(out);
        return 0;
    }
    long long v = PyLong_AsLongLong(value);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (size == 8) put_int8(out, v); else put_int4(out, (int32_t)v);
    return 0;
}

static int put_py_bool(Buf *out, PyObject *value) {
    if (buf_reserve(out, 5) < 0) return -1;
    int v = PyObject_IsTrue(value);
    if (v < 0) return -1;
    put_bool(out, v);
    return 0;
}

static int put_py_date(Buf *out, PyObject *value) {
    if (buf_reserve(out, 8) < 0) return -1;
    if (value == Py_None) {
        put_null(out);
        return 0;
    }
    if (!PyDate_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "a date column needs a date");
        return -1;
    }
    put_int4(out, (int32_t)(days_from_civil(PyDateTime_GET_YEAR(value), PyDateTime_GET_MONTH(value),
                                            PyDateTime_GET_DAY(value)) -
                            DAYS_1970_TO_2000));
    return 0;
}

static int put_py_timestamptz(Buf *out, PyObject *value) {
    if (buf_reserve(out, 12) < 0) return -1;
    if (value == Py_None) {
        put_null(out);
        return 0;
    }
    if (!PyDateTime_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "a timestamptz column needs a datetime");
        return -1;
    }
    PyObject *offset = PyObject_CallMethod(value, "utcoffset", NULL);
    if (!offset) return -1;
    if (offset == Py_None) {
        Py_DECREF(offset);
        PyErr_SetString(PyExc_ValueError, "a timestamptz column needs an aware datetime");
        return -1;
    }
    int64_t offset_us = ((int64_t)PyDateTime_DELTA_GET_DAYS(offset) * 86400 +
                         PyDateTime_DELTA_GET_SECONDS(offset)) * 1000000LL +
                        PyDateTime_DELTA_GET_MICROSECONDS(offset);
    Py_DECREF(offset);
    int64_t wall = (days_from_civil(PyDateTime_GET_YEAR(value), PyDateTime_GET_MONTH(value),
                                    PyDateTime_GET_DAY(value)) - DAYS_1970_TO_2000) * US_PER_DAY +
                   (int64_t)PyDateTime_DATE_GET_HOUR(value) * US_PER_HOUR +
                   (int64_t)PyDateTime_DATE_GET_MINUTE(value) * 60000000LL +
                   (int64_t)PyDateTime_DATE_GET_SECOND(value) * 1000000LL +
                   PyDateTime_DATE_GET_MICROSECOND(value);
    put_int8(out, wall - offset_us);
    return 0;
}

/* The raw row's types, by position: t text, 8 int8, 4 int4, d date, z timestamptz, b bool. */
static const char RAW_TYPES[RAW_FIELDS + 1] = "8td4tttttttttt8dtttbtzzbt";

static int encode_one(Buf *out, PyObject *prefix, PyObject *row) {
    PyObject *pf = PySequence_Fast(prefix, "prefix must be a sequence");
    if (!pf) return -1;
    PyObject *rf = PySequence_Fast(row, "a row must be a sequence");
    if (!rf) { Py_DECREF(pf); return -1; }
    Py_ssize_t np = PySequence_Fast_GET_SIZE(pf), nr = PySequence_Fast_GET_SIZE(rf);
    int status = 0;
    if (np + nr != RAW_FIELDS) {
        PyErr_Format(PyExc_ValueError, "a raw row has %d values, not %zd", RAW_FIELDS, np + nr);
        status = -1;
    } else if (buf_reserve(out, 2) < 0) {
        PyErr_NoMemory();
        status = -1;
    } else {
        put_u16(out, RAW_FIELDS);
        for (int k = 0; k < RAW_FIELDS && status == 0; k++) {
            PyObject *value = k < np ? PySequence_Fast_GET_ITEM(pf, k)
                                     : PySequence_Fast_GET_ITEM(rf, k - np);
            switch (RAW_TYPES[k]) {
                case 't': status = put_py_text(out, value); break;
                case '8': status = put_py_int(out, value, 8); break;
                case '4': status = put_py_int(out, value, 4); break;
                case 'd': status = put_py_date(out, value); break;
                case 'z': status = put_py_timestamptz(out, value); break;
                case 'b': status = put_py_bool(out, value); break;
            }
        }
        if (status < 0 && !PyErr_Occurred()) PyErr_NoMemory();
    }
    Py_DECREF(pf);
    Py_DECREF(rf);
    return status;
}

static PyObject *encode_rows(PyObject *module, PyObject *args) {
    PyObject *prefix, *rows;
    if (!PyArg_ParseTuple(args, "OO", &prefix, &rows)) return NULL;
    PyObject *it = PyObject_GetIter(rows);
    if (!it) return NULL;
    Buf out = {0};
    PyObject *row;
    while ((row = PyIter_Next(it))) {
        int r = encode_one(&out, prefix, row);
        Py_DECREF(row);
        if (r < 0) {
            Py_DECREF(it);
            buf_free(&out);
            return NULL;
        }
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        buf_free(&out);
        return NULL;
    }
    PyObject *result = PyBytes_FromStringAndSize(out.data ? out.data : "", out.len);
    buf_free(&out);
    return result;
}

/* with_delivery_id(rows, delivery_id): the rows (as written here) with another
 * delivery id: rows of a batch are encoded before their delivery has its id. */
static PyObject *with_delivery_id(PyObject *module, PyObject *args) {
    Py_buffer view;
    long long delivery_id;
    if (!PyArg_ParseTuple(args, "y*L", &view, &delivery_id)) return NULL;
    PyObject *result = PyBytes_FromStringAndSize(view.buf, view.len);
    PyBuffer_Release(&view);
    if (!result) return NULL;
    unsigned char *p = (unsigned char *)PyBytes_AS_STRING(result);
    Py_ssize_t n = PyBytes_GET_SIZE(result), at = 0;
    while (at < n) {
        if (at + 2 + 4 + 8 > n || p[at] != 0 || p[at + 1] != RAW_FIELDS || p[at + 2] || p[at + 3] ||
            p[at + 4] || p[at + 5] != 8) {
            Py_DECREF(result);
            PyErr_SetString(PyExc_ValueError, "not raw rows as encoded here");
            return NULL;
        }
        for (int b = 0; b < 8; b++) p[at + 6 + b] = (unsigned char)((uint64_t)delivery_id >> (56 - 8 * b));
        at += 2;
        for (int f = 0; f < RAW_FIELDS; f++) {
            if (at + 4 > n) {
                Py_DECREF(result);
                PyErr_SetString(PyExc_ValueError, "truncated raw rows");
                return NULL;
            }
            uint32_t len = (uint32_t)p[at] << 24 | (uint32_t)p[at + 1] << 16 |
                           (uint32_t)p[at + 2] << 8 | p[at + 3];
            at += 4;
            if (len != 0xFFFFFFFFu) at += len;
        }
    }
    if (at != n) {
        Py_DECREF(result);
        PyErr_SetString(PyExc_ValueError, "truncated raw rows");
        return NULL;
    }
    return result;
}

/* author_keys(key, unit_code, authors, author_ids) -> str | None, for safe text;
 * None also when this code leaves the text to Python. */
static PyObject *py_author_keys(PyObject *module, PyObject *args) {
    const char *key, *unit, *authors, *ids = NULL;
    Py_ssize_t key_len, unit_len, authors_len, ids_len = -1;
    if (!PyArg_ParseTuple(args, "y#s#s#z#", &key, &key_len, &unit, &unit_len, &authors,
                          &authors_len, &ids, &ids_len))
        return NULL;
    if (!ids) ids_len = -1;
    Field f;
    scan_field(authors, authors_len, &f);
    if (!f.safe) Py_RETURN_NONE;
    if (ids) {
        scan_field(ids, ids_len, &f);
        if (!f.safe) Py_RETURN_NONE;
    }
    HmacKey k;
    hmac_init(&k, (const unsigned char *)key, (size_t)key_len);
    Buf scratch = {0}, out = {0};
    int r = author_keys(&k, unit, unit_len, authors, authors_len, ids, ids_len, &scratch, &out);
    PyObject *result;
    if (r < 0) result = PyErr_NoMemory();
    else if (r > 0 || !out.len) { Py_INCREF(Py_None); result = Py_None; }
    else result = PyUnicode_FromStringAndSize(out.data, out.len);
    buf_free(&scratch);
    buf_free(&out);
    return result;
}

/* split_header(data, final) -> ("record", [field bytes], consumed) | ("more", None, 0)
 * | ("csv", None, 0): the first record, split as the csv module splits it; "more"
 * when it does not end in `data`, "csv" when the csv module must read it. */
static PyObject *split_header(PyObject *module, PyObject *args) {
    Py_buffer view;
    int final;
    if (!PyArg_ParseTuple(args, "y*p", &view, &final)) return NULL;
    Splitter *split = PyMem_RawCalloc(1, sizeof(Splitter));
    if (!split) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    int n_fields = 0;
    Py_ssize_t next = 0;
    int status = view.len ? split_record(split, view.buf, view.len, 0, final, &n_fields, &next)
                          : SPLIT_STOP;
    PyObject *result = NULL;
    if (status < 0) {
        PyErr_NoMemory();
    } else if (status == SPLIT_OK || status == SPLIT_BLANK) {
        if (status == SPLIT_BLANK) n_fields = 0;  /* a blank first line is a header of nothing */
        PyObject *fields = PyList_New(n_fields);
        for (int f = 0; fields && f < n_fields; f++) {
            PyObject *b = PyBytes_FromStringAndSize(span_data(split, view.buf, &split->spans[f]),
                                                    split->spans[f].n);
            if (!b) Py_CLEAR(fields);
            else PyList_SET_ITEM(fields, f, b);
        }
        if (fields) result = Py_BuildValue("(sNn)", "record", fields, next);
    } else {
        result = Py_BuildValue("(sOn)", status == SPLIT_MORE ? "more" : "csv", Py_None, (Py_ssize_t)0);
    }
    buf_free(&split->fieldbuf);
    PyMem_RawFree(split);
    PyBuffer_Release(&view);
    return result;
}

/* nfc(text) -> str | None: NFC as the row path makes it, None where it leaves it to Python. */
static PyObject *py_nfc(PyObject *module, PyObject *arg) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &n);
    if (!s) return NULL;
    char *out = PyMem_RawMalloc((size_t)n + 16);
    PyObject *result = NULL;
    if (!out) {
        PyErr_NoMemory();
    } else {
        Py_ssize_t written;
        if (nfc_compose(s, n, out, n + 16, &written) < 0) {
            Py_INCREF(Py_None);
            result = Py_None;
        } else {
            result = PyUnicode_FromStringAndSize(out, written);
        }
    }
    PyMem_RawFree(out);
    return result;
}

/* moment(text) -> (utc microseconds since 2000, local day since 2000) | None */
static PyObject *py_moment(PyObject *module, PyObject *arg) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &n);
    if (!s) return NULL;
    Moment m;
    if (!parse_moment(s, n, &m)) Py_RETURN_NONE;
    return Py_BuildValue("(Li)", (long long)m.utc_us, (int)m.local_day);
}

/* configure(required, must_exist, enums, title_min, title_max, record_id_max,
 *           max_field_chars): the contract's rules, from sangkien.feeds.contract. */
static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *required, *must_exist, *enums;
    Py_ssize_t title_min, title_max, record_id_max, max_field_chars;
    if (!PyArg_ParseTuple(args, "OOO!nnnn", &required, &must_exist, &PyDict_Type, &enums,
                          &title_min, &title_max, &record_id_max, &max_field_chars))
        return NULL;
    memset(rules.required, 0, sizeof rules.required);
    memset(rules.must_exist, 0, sizeof rules.must_exist);
    PyObject *lists[2] = {required, must_exist};
    unsigned char *flags[2] = {rules.required, rules.must_exist};
    for (int l = 0; l < 2; l++) {
        PyObject *seq = PySequence_Fast(lists[l], "a sequence of column names");
        if (!seq) return NULL;
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            const char *name = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
            int found = -1;
            for (int c = 0; name && c < N_COLUMNS; c++)
                if (!strcmp(name, COLUMN_NAMES[c])) found = c;
            if (found < 0) {
                Py_DECREF(seq);
                if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "unknown column %s", name);
                return NULL;
            }
            flags[l][found] = 1;
        }
        Py_DECREF(seq);
    }
    /* The stored order of the enumerations (the encoder relies on it). */
    static const int enum_order[] = {C_SOLUTION_TYPE, C_FIELD, C_PARTICIPANT_GROUP,
                                     C_RECOGNITION_LEVEL, C_REVIEW_STATUS};
    if (PyDict_Size(enums) != 5) {
        PyErr_SetString(PyExc_ValueError, "five enumerations expected");
        return NULL;
    }
    for (int e = 0; e < 5; e++) {
        EnumRule *rule = &rules.enums[e];
        for (int k = 0; k < rule->count; k++) PyMem_RawFree(rule->values[k]);
        rule->count = 0;
        rule->column = enum_order[e];
        PyObject *values = PyDict_GetItemString(enums, COLUMN_NAMES[enum_order[e]]);
        if (!values) {
            PyErr_Format(PyExc_ValueError, "no values for %s", COLUMN_NAMES[enum_order[e]]);
            return NULL;
        }
        PyObject *seq = PySequence_Fast(values, "a collection of values");
        if (!seq) return NULL;
        if (PySequence_Fast_GET_SIZE(seq) > MAX_ENUM_VALUES) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "too many values");
            return NULL;
        }
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            Py_ssize_t n;
            const char *s = PyUnicode_AsUTF8AndSize(PySequence_Fast_GET_ITEM(seq, i), &n);
            if (!s) { Py_DECREF(seq); return NULL; }
            rule->values[i] = PyMem_RawMalloc((size_t)n + 1);
            if (!rule->values[i]) { Py_DECREF(seq); return PyErr_NoMemory(); }
            memcpy(rule->values[i], s, (size_t)n + 1);
            rule->lengths[i] = n;
            rule->count++;
        }
        Py_DECREF(seq);
    }
    rules.n_enums = 5;
    rules.title_min = title_min;
    rules.title_max = title_max;
    rules.record_id_max = record_id_max;
    rules.max_field_chars = max_field_chars;
    rules.configured = 1;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(required, must_exist, enums, title_min, title_max, record_id_max, "
     "max_field_chars): the contract's rules."},
    {"encode_rows", encode_rows, METH_VARARGS,
     "encode_rows(prefix, rows) -> bytes: binary COPY rows of raw.initiative_row."},
    {"with_delivery_id", with_delivery_id, METH_VARARGS,
     "with_delivery_id(rows, delivery_id) -> bytes: the same rows for that delivery."},
    {"author_keys", py_author_keys, METH_VARARGS,
     "author_keys(key, unit_code, authors, author_ids) -> str | None (safe text only)."},
    {"split_header", split_header, METH_VARARGS,
     "split_header(data, final) -> (status, fields, consumed): the header record."},
    {"nfc", py_nfc, METH_O,
     "nfc(text) -> str | None: the row path's NFC, or None where Python normalises."},
    {"moment", py_moment, METH_O,
     "moment(text) -> (utc_us, local_day) since 2000-01-01, or None: the shapes read here."},
    {NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "sangkien.landing._csv_rows",
    .m_doc = "The landing's CSV row path in C (see sangkien.landing.csv_rows).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__csv_rows(void) {
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) return NULL;
    if (PyType_Ready(&RecordIdsType) < 0 || PyType_Ready(&CsvRowsType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    PyObject *names = PyTuple_New(N_COLUMNS);
    PyObject *ranges = PyTuple_New(N_SAFE_RANGES);
    if (!names || !ranges) goto error;
    for (int c = 0; c < N_COLUMNS; c++) {
        PyObject *name = PyUnicode_FromString(COLUMN_NAMES[c]);
        if (!name) goto error;
        PyTuple_SET_ITEM(names, c, name);
    }
    for (size_t r = 0; r < N_SAFE_RANGES; r++) {
        PyObject *pair = Py_BuildValue("(II)", SAFE_RANGES[r][0], SAFE_RANGES[r][1]);
        if (!pair) goto error;
        PyTuple_SET_ITEM(ranges, r, pair);
    }
    if (PyModule_AddObject(m, "COLUMNS", names) < 0) goto error;
    names = NULL;
    if (PyModule_AddObject(m, "SAFE_RANGES", ranges) < 0) goto error;
    ranges = NULL;
    if (PyModule_AddIntConstant(m, "MAX_COLUMNS", MAX_WIDTH) < 0) goto error;
    Py_INCREF(&RecordIdsType);
    if (PyModule_AddObject(m, "RecordIds", (PyObject *)&RecordIdsType) < 0) goto error;
    Py_INCREF(&CsvRowsType);
    if (PyModule_AddObject(m, "CsvRows", (PyObject *)&CsvRowsType) < 0) goto error;
    return m;
error:
    Py_XDECREF(names);
    Py_XDECREF(ranges);
    Py_DECREF(m);
    return NULL;
}
