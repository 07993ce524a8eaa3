/* program.h: the compiled form of a mapping file (doc/mapping.md), shared by
 * the files of src/map/mapfile/ and by nothing else.
 *
 * Loading compiles the mapping into a program: every field path is split
 * into steps, every template into literal and placeholder segments, every
 * condition into a tree, the fields left for "remaining" into a trie, and
 * every top-level key the program reads gets a slot. Mapping a record
 * classifies its keys into those slots in one pass, then only walks the
 * program: no parsing, no malloc (strings, attributes and spans go into the
 * record's arena; resources are cached by value).
 *
 * Every slot of the span (name, times, ids, attributes...) is a "getter": a
 * list of alternatives tried in order, each one a field path (or several),
 * a constant, a template or (ids only) a derivation, with an optional
 * condition, default, value map and conversion. The first alternative that
 * yields a usable value wins.
 *
 * Files: compile.c and compile_span.c (mapping JSON -> program), eval.c
 * (getters, conditions and templates on a record), explain.c (reject
 * reasons), assemble.c (the span, its attributes, events and resource),
 * load.c (reading the mapping file, creating the profile). */
#ifndef TF_MAPFILE_PROGRAM_H
#define TF_MAPFILE_PROGRAM_H

#include "map/mapfile/mapfile.h"
#include "map/text/text.h"

#include <string.h>

/* ---- the compiled program ------------------------------------------------ */

typedef struct {
    const char *key; /* key steps: not NUL-terminated */
    size_t len;
    long idx; /* index steps; negative counts from the end */
    bool index;
    int slot; /* first step of a path from the record: its top-level key's slot, else -1 */
} mstep;

typedef struct {
    mstep *steps;
    size_t n;
    bool root;       /* "$.a": from the record even inside an event */
    const char *src; /* as written, for messages */
} mpath;

typedef struct {
    tf_str lit;       /* a literal segment when npaths == 0 and !has_fb */
    mpath *paths;     /* a placeholder: candidates, first present wins */
    size_t npaths;
    bool has_fb;      /* a quoted fallback: {route|'-'} */
    tf_str fb;
} mseg;

typedef struct {
    const mseg *segs;
    size_t n;
    const char *src;
} mtmpl;

enum cop {
    OP_ALL, OP_ANY, OP_NOT, OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE, OP_IN, OP_EXISTS,
    OP_PREFIX, OP_SUFFIX, OP_CONTAINS,
};

typedef struct mcond mcond;
struct mcond {
    enum cop op;
    const mpath *paths; /* leaf conditions: the field (candidates) */
    size_t npaths;
    const tf_json *arg; /* the constant compared with */
    bool want;          /* exists */
    const mcond *subs;  /* all/any/not */
    size_t nsubs;
};

enum src_kind { S_PATH, S_CONST, S_TMPL, S_DERIVE };
enum slot { SL_VALUE, SL_TEXT, SL_KIND, SL_CODE, SL_TIME, SL_DUR, SL_TRACE_ID, SL_SPAN_ID, SL_PART };
enum conv { C_AUTO, C_STRING, C_INT, C_DOUBLE, C_BOOL, C_JSON };
enum tfmt { TM_AUTO, TM_RFC3339, TM_CLF, TM_HTTP, TM_EPOCH, TM_STRF };

typedef struct mget mget;

typedef struct {
    enum src_kind kind;
    const mcond *when;
    const mpath *paths; /* S_PATH */
    size_t npaths;
    const tf_json *cst;  /* S_CONST */
    const mtmpl *tmpl;   /* S_TMPL */
    const mget *parts;   /* S_DERIVE */
    size_t nparts;
    const tf_json *deflt;
    const tf_json *map;  /* object: value text -> replacement */
    enum conv conv;
    enum tfmt tfmt;
    uint64_t unit; /* units per second; 0: auto (times) or none (durations) */
    const char *strf;
} malt;

struct mget {
    const malt *alts;
    size_t n;
    bool required, private;
    const char *where; /* "span.start", for reject reasons */
};

typedef struct {
    tf_str key;
    mget get;
} mattr;

typedef struct {
    mattr *v;
    size_t n;
    uint64_t lens; /* bit (len & 63) set for each name: a quick "not one of them" */
} mattrs;

typedef struct mtrie mtrie;
struct mtrie {
    const char *key;
    size_t len;
    bool leaf;
    mtrie *kids;
    size_t n, cap;
};

typedef struct {
    const mpath *from; /* NULL: the record (or the event element) itself */
    tf_str prefix;
    mtrie excl;
    const mtrie **slot_kid; /* span-level blocks without "from": excl's kid per key slot */
    bool flatten, private;
    const tf_json *raw; /* compiled after everything else */
    const char *where;
} mrest;

typedef struct {
    const mpath *from;
    const mcond *when;
    mget name;
    bool has_time, has_offset;
    mget time, offset;
    mattrs attrs;
    mrest *rest;
    size_t nrest;
    size_t max;
} mevent;

typedef struct {
    const mcond *when;
    mget code;
    bool has_msg;
    mget msg;
} mstatus;

typedef struct {
    uint64_t h;
    char *key;
    size_t len;
    const tf_resource *r;
} rcache_ent;

/* The profile: the compiled program. Immutable once mf_compile has built
 * it (and load.c has interned the constant resource): shared read-only by
 * every thread mapping with it. */
typedef struct {
    tf_profile base;
    tf_arena arena; /* the program */
    const char *file;
    const mcond *skip;
    const tf_json *nulls; /* "null_values": strings that mean "no value" */
    bool null_empty_object, null_empty_array;
    size_t null_maxlen;
    /* Top-level keys the program reads, classified in one pass per record:
     * ktab maps a key's hash to its slot (the record's values by slot are
     * in the state's slotv). */
    const tf_str *slot_keys;
    size_t nslots;
    int16_t *ktab;
    size_t ktab_mask;
    mget name, kind, start, end, dur, trace_id, span_id, parent, traceparent, trace_state;
    bool has_kind, has_start, has_end, has_dur, has_trace_id, has_span_id, has_parent,
        has_traceparent, has_trace_state;
    mstatus *status;
    size_t nstatus;
    mattrs attrs;
    mrest *rest;
    size_t nrest;
    mevent *events;
    size_t nevents;
    mattrs res;
    bool res_dynamic;
    const tf_resource *resource; /* when res is constant */
    const tf_scope *scope;
    uint64_t now_ns; /* "now" for HTTP dates without a year, taken when loaded */
    tf_text_format *text; /* "format": records are text lines; NULL: JSON */
} mp_profile;

/* One thread's scratch for one mp_profile (the tf_profile_state of
 * mapping files): everything mapping a record changes. */
typedef struct {
    const tf_json **slotv; /* this record's top-level values by slot */
    int16_t *kcls;         /* this record's keys' slots (-1: none) */
    size_t kcls_cap;
    size_t attr_hint;        /* attributes of the largest span so far */
    tf_buf tbuf, jbuf, rbuf; /* template, JSON text, resource key scratch */
    tf_buf dkey, dlast;      /* derivation keys: this one, the last one hashed */
    uint8_t dtrace[16], dspan[8];
    rcache_ent *cache; /* resources by their attributes' bytes */
    size_t cache_cap, cache_n;
} mf_state;

/* Evaluation context: the value paths are relative to (base), the record
 * (root), the record's arena, the program and this thread's state. */
typedef struct {
    const tf_json *base, *root;
    tf_arena *a;
    const mp_profile *p;
    mf_state *st;
    const tf_json *const *slots; /* the record's top-level values by slot, or NULL */
} ev;

typedef bool (*conv_fn)(const malt *al, const tf_json *v, const ev *e, void *out);

typedef struct {
    uint8_t trace[16];
    uint8_t span[8];
    bool derived;
} idout;

typedef struct {
    tf_attrs *at;
    tf_str key;
} attr_out;

static inline size_t key_hash(const char *k, size_t len)
{
    size_t h = len * 0x9e3779b1u;
    if (len)
        h ^= (size_t)(unsigned char)k[0] * 0x85ebca6bu ^ (size_t)(unsigned char)k[len - 1] * 0xc2b2ae35u ^
             (size_t)(unsigned char)k[len / 2] * 0x27d4eb2fu;
    return h ^ (h >> 15);
}

static inline int slot_find(const mp_profile *p, const char *k, size_t len)
{
    for (size_t h = key_hash(k, len) & p->ktab_mask;; h = (h + 1) & p->ktab_mask) {
        int s = p->ktab[h];
        if (s < 0 || (p->slot_keys[s].len == len && !memcmp(p->slot_keys[s].p, k, len)))
            return s;
    }
}

/* compile.c */
extern const char *const mf_kind_names[6];
extern const char *const mf_code_names[3];
const char *mf_jtype(const tf_json *v);
bool mf_ieq(tf_str a, const char *b);
int mf_enum_from(const tf_json *v, const char *const *names, size_t n, const char *prefix);

/* eval.c */
bool mf_is_null_value(const mp_profile *p, const tf_json *v);
const tf_json *mf_path_get(const mpath *p, const ev *e);
const tf_json *mf_paths_get(const mpath *ps, size_t n, const ev *e);
bool mf_cond_eval(const mcond *c, const ev *e);
const tf_json *mf_alt_value(const malt *al, const ev *e);
/* The first alternative of g whose value conv accepts (into out). Inline:
 * it runs for every attribute of every record. */
static inline bool mf_get_conv(const mget *g, const ev *e, conv_fn conv, void *out)
{
    for (size_t i = 0; i < g->n; i++) {
        const tf_json *v = mf_alt_value(&g->alts[i], e);
        if (v && conv(&g->alts[i], v, e, out))
            return true;
    }
    return false;
}
bool mf_conv_text(const malt *al, const tf_json *v, const ev *e, void *out);
bool mf_conv_part(const malt *al, const tf_json *v, const ev *e, void *out);
bool mf_conv_time(const malt *al, const tf_json *v, const ev *e, void *out);
bool mf_conv_dur(const malt *al, const tf_json *v, const ev *e, void *out);
bool mf_conv_kind(const malt *al, const tf_json *v, const ev *e, void *out);
bool mf_conv_code(const malt *al, const tf_json *v, const ev *e, void *out);
bool mf_conv_trace_id(const malt *al, const tf_json *v, const ev *e, void *out);
bool mf_conv_span_id(const malt *al, const tf_json *v, const ev *e, void *out);
bool mf_conv_attr(const malt *al, const tf_json *v, const ev *e, void *out);

/* explain.c */
bool mf_explain_get(tf_buf *b, const mget *g, const ev *e, const char *what);
/* Writes b (shortened to 400 bytes) into why; frees b. */
void mf_why_from_buf(tf_err *why, tf_buf *b);
/* Writes "WHERE: why each alternative gave nothing usable" into why. */
void mf_reason(tf_err *why, const ev *e, const mget *g, const char *what);

/* assemble.c */
/* why may be NULL (the reason is not wanted). */
bool mf_add_attrs(const mattrs *m, const ev *e, tf_attrs *at, bool privacy, tf_err *why);
int mf_mp_map(const tf_profile *pp, tf_profile_state *sp, const tf_record *rec, tf_map_out *out, tf_err *why);
tf_profile_state *mf_state_new(const tf_profile *pp);
void mf_state_free(tf_profile_state *sp);

#endif
