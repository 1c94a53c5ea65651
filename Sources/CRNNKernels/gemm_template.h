/*
 * The packing and blocked GEMM driver for one scalar type: kernels_core.c includes this file once for
 * float and once for double, after defining
 *   T      the element type (float, double)      RK_SUF  its letter in the names (s, d)
 *   NRP    packed panel width (RK_SNRP, RK_DNRP)  KCV, MCV  the KC and MC blocking variables
 *   KTAB, MRF, NRF, PACK8, PACK4  the rk_impl fields of this type's micro-kernels, register block and A packers
 * It defines pack_panels_<s|d>, rk_<s|d>pack, the GEMM job and chunk functions, rk_<s|d>gemm and
 * rk_<s|d>packed_gemm, and undefines the parameters again. Not a public header: no include guard.
 */

/* ---------------- packed right-hand matrices ---------------- */

static void RK_LOCAL(pack_panels)(long k, long j0, long j1, const T *b, long ldb, T *dst) {
    /* columns j0..j1 (j0 multiple of NRP) of the k x n matrix b into panels at dst */
    for (long j = j0; j < j1; j += NRP) {
        long w = j1 - j < NRP ? j1 - j : NRP;
        T *d = dst + ((j - j0) / NRP) * k * NRP;
        const T *s = b + j;
        if (w == NRP) {
            for (long p = 0; p < k; p++, d += NRP, s += ldb) memcpy(d, s, sizeof(T) * NRP);
        } else {
            for (long p = 0; p < k; p++, d += NRP, s += ldb) {
                memcpy(d, s, sizeof(T) * (size_t)w);
                memset(d + w, 0, sizeof(T) * (size_t)(NRP - w));
            }
        }
    }
}
rk_packed *RK_API(pack)(long k, long n, const T *b, long ldb) {
    if (k < 0 || n < 0) return NULL;
    rk_packed *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->k = k;
    p->n = n;
    p->is_double = sizeof(T) == 8;
    long np = (n + NRP - 1) / NRP;
    size_t bytes = sizeof(T) * (size_t)np * (size_t)k * NRP;
    if (bytes) {
        if (!(p->data = rk_alloc(bytes))) {
            free(p);
            return NULL;
        }
        RK_LOCAL(pack_panels)(k, 0, n, b, ldb, (T *)p->data);
    }
    return p;
}

/* ---------------- GEMM driver ---------------- */

typedef struct {
    long m, n, k;
    const T *a;
    long lda;
    int at;      /* A is given transposed: element (i, p) at a[p * lda + i] */
    const T *b; /* B_DIRECT / B_SLAB: the caller's B */
    long ldb;
    const T *bp; /* B_PACKED: panels over the full k */
    int bmode;
    int by_rows;
    long chunk_panels, chunk_rows;
    T *c;
    long ldc;
    int acc;
    const T *bias; /* when set: C starts from this row (n wide) in every row, not from C or zero */
    const rk_impl *im;
    long kcb, mcb;
} RK_LOCAL(gemm_job);

/* rows [0, mr) of A into the sliver layout for the full k: block pc at dst + pc * mpad,
   sliver ir within it at + ir * kc, element (i, p) at [p * MR + i]. With `at`, A is given transposed
   (element (i, p) at a[p * lda + i]): each sliver row is then a contiguous run. */
static void RK_LOCAL(pack_a)(long mrows, long k, long KC, const T *a, long lda, T *dst, int MR,
                         void (*pack8)(long, const T *, long, T *), void (*pack4)(long, const T *, long, T *), int at) {
    long mpad = (mrows + MR - 1) / MR * MR;
    for (long pc = 0; pc < k; pc += KC) {
        long kc = k - pc < KC ? k - pc : KC;
        for (long ir = 0; ir < mrows; ir += MR) {
            int mr = mrows - ir < MR ? (int)(mrows - ir) : MR;
            T *d = dst + pc * mpad + ir * kc;
            if (at) { /* a short contiguous run per p: a loop, not a call per run */
                const T *s = a + pc * lda + ir;
                for (long p = 0; p < kc; p++, d += MR, s += lda)
                    for (int i = 0; i < mr; i++) d[i] = s[i];
                continue;
            }
            const T *s = a + ir * lda + pc;
            if (mr == 8 && MR == 8 && pack8) {
                pack8(kc, s, lda, d);
            } else if (mr == MR) {
                for (long p = 0; p < kc; p++, d += MR)
                    for (int i = 0; i < MR; i++) d[i] = s[i * lda + p];
            } else if (mr == 4 && MR == 8 && pack4) {
                pack4(kc, s, lda, d);
            } else if (mr == 4) { /* a batch of 4 (teaching sizes): four rows side by side */
                const T *s0 = s, *s1 = s + lda, *s2 = s + 2 * lda, *s3 = s + 3 * lda;
                for (long p = 0; p < kc; p++, d += MR) {
                    d[0] = s0[p];
                    d[1] = s1[p];
                    d[2] = s2[p];
                    d[3] = s3[p];
                }
            } else {
                for (long p = 0; p < kc; p++, d += MR)
                    for (int i = 0; i < mr; i++) d[i] = s[i * lda + p];
            }
        }
    }
}

static void RK_LOCAL(naive)(long m, long n, long k, const T *a, long lda, const T *b, long ldb,
                        T *c, long ldc, int acc, int at) {
    for (long i = 0; i < m; i++) {
        T *ci = c + i * ldc;
        if (!acc) memset(ci, 0, sizeof(T) * (size_t)n);
        for (long p = 0; p < k; p++) {
            T av = at ? a[p * lda + i] : a[i * lda + p];
            const T *bp = b + p * ldb;
            for (long j = 0; j < n; j++) ci[j] += av * bp[j];
        }
    }
}

/* C[0:m, j0:j1) (+)= A · B[:, j0:j1) in plain loops, B packed in panels (when there is no memory for packing A). */
static void RK_LOCAL(naive_packed)(long m, long k, const T *a, long lda, const T *bp, long j0, long j1, T *c, long ldc,
                               int acc, int at) {
    for (long i = 0; i < m; i++)
        for (long j = j0; j < j1; j++) {
            const T *bj = bp + (j / NRP) * k * NRP + (j % NRP);
            T sum = 0;
            for (long p = 0; p < k; p++) sum += (at ? a[p * lda + i] : a[i * lda + p]) * bj[p * NRP];
            T *cij = c + i * ldc + j;
            *cij = acc ? *cij + sum : sum;
        }
}

/* Columns [j0, j0 + nr) of `bias` into rows [0, rows) of c (ldc apart): C's starting value where no
   micro-kernel runs (no depth, the plain loops); the micro-kernels start from the bias themselves (RK_ROWC). */
RK_INLINE void RK_LOCAL(bias_rows)(long rows, long nr, const T *bias, long j0, T *c, long ldc) {
    for (long i = 0; i < rows; i++) memcpy(c + i * ldc, bias + j0, sizeof(T) * (size_t)nr);
}

/* C[0:m, j0:j1) (+)= A · B[:, j0:j1) from A packed for the full k (pack_a, blocks of KC), column blocks
   outermost: each B block streams once down the whole k while its C tiles stay in L1 (A is re-read from
   L2). B is packed panels (bp; any j0: a block never crosses a panel's edge) or, when bp is NULL, the
   caller's rows b, ldb apart. */
static void RK_LOCAL(column_blocks)(const rk_impl *im, long m, long k, long KC, const T *ap, const T *bp,
                                    const T *b, long ldb, long j0, long j1, T *c, long ldc, int acc,
                                    const T *bias) {
    const int MR = im->MRF, NR = im->NRF;
    const long mpad = (m + MR - 1) / MR * MR;
    for (long jr = j0; jr < j1;) {
        long nr = j1 - jr < NR ? j1 - jr : NR, ld;
        const T *block;
        int bfl = 0;
        if (bp) {
            long off = jr % NRP;
            if (nr > NRP - off) nr = NRP - off;
            if (off + NR > NRP) bfl = RK_BMASK; /* a full block would read past its panel */
            block = bp + (jr / NRP) * k * NRP + off;
            ld = NRP;
        } else {
            if (nr < NR) bfl = RK_BMASK;
            block = b + jr;
            ld = ldb;
        }
        for (long pc = 0; pc < k; pc += KC) {
            long kc = k - pc < KC ? k - pc : KC;
            const int start = pc == 0 && bias;
            int fl = (start ? RK_ROWC : (pc > 0 || acc) ? RK_LOADC : 0) | bfl;
            const T *ablock = ap + pc * mpad;
            for (long ir = 0; ir < m; ir += MR) {
                int mr = m - ir < MR ? (int)(m - ir) : MR;
                im->KTAB[mr](kc, ablock + ir * kc, block + pc * ld, ld, c + ir * ldc + jr, ldc, nr, fl,
                             start ? bias + jr : NULL);
            }
        }
        jr += nr;
    }
}

/* Pack-B job: chunk = a run of column panels of the caller's B into g->bp. */
static void RK_LOCAL(packb_chunk)(const void *vg, long chunk, void *ts) {
    const RK_LOCAL(gemm_job) *g = vg;
    long j0 = chunk * g->chunk_panels * NRP, j1 = j0 + g->chunk_panels * NRP;
    if (j1 > g->n) j1 = g->n;
    RK_LOCAL(pack_panels)(g->k, j0, j1, g->b, g->ldb, (T *)g->bp + (j0 / NRP) * g->k * NRP);
}

static void RK_LOCAL(gemm_chunk)(const void *vg, long chunk, void *vts) {
    const RK_LOCAL(gemm_job) *g = vg;
    gemm_tstate *ts = vts;
    const rk_impl *im = g->im;
    const int MR = im->MRF, NR = im->NRF;
    const long k = g->k, KC = g->kcb, MC = g->mcb;
    long i0 = 0, i1 = g->m, j0 = 0, j1 = g->n;
    if (g->by_rows) {
        i0 = chunk * g->chunk_rows;
        i1 = i0 + g->chunk_rows < g->m ? i0 + g->chunk_rows : g->m;
    } else {
        j0 = chunk * g->chunk_panels * NRP;
        j1 = j0 + g->chunk_panels * NRP < g->n ? j0 + g->chunk_panels * NRP : g->n;
    }
    if (i0 >= i1 || j0 >= j1) return;
    long rows = i1 - i0, mpad = (rows + MR - 1) / MR * MR;
    T *abuf = rk_scratch(0, sizeof(T) * (size_t)mpad * (size_t)k);
    T *bbuf = NULL;
    if (g->bmode == B_SLAB) {
        long kcmax = k < KC ? k : KC;
        bbuf = rk_scratch(1, sizeof(T) * (size_t)kcmax * (size_t)((j1 - j0 + NRP - 1) / NRP * NRP));
    }
    const T *arows = g->at ? g->a + i0 : g->a + i0 * g->lda; /* A's rows i0.. */
    if (!abuf || (g->bmode == B_SLAB && !bbuf)) { /* out of memory: plain loops */
        ts->apacked = 0;
        if (g->bias) RK_LOCAL(bias_rows)(rows, j1 - j0, g->bias, j0, g->c + i0 * g->ldc + j0, g->ldc);
        if (g->bmode != B_PACKED)
            RK_LOCAL(naive)(rows, j1 - j0, k, arows, g->lda, g->b + j0, g->ldb,
                        g->c + i0 * g->ldc + j0, g->ldc, g->acc || g->bias, g->at);
        else
            RK_LOCAL(naive_packed)(rows, k, arows, g->lda, g->bp, j0, j1, g->c + i0 * g->ldc, g->ldc,
                               g->acc || g->bias, g->at);
        return;
    }
    if (g->by_rows || !ts->apacked) {
        RK_LOCAL(pack_a)(rows, k, KC, arows, g->lda, abuf, MR, im->PACK8, im->PACK4, g->at);
        ts->apacked = !g->by_rows;
    }
    if (g->bmode != B_SLAB && !g->by_rows) {
        RK_LOCAL(column_blocks)(im, rows, k, KC, abuf, g->bmode == B_PACKED ? g->bp : NULL, g->b, g->ldb, j0, j1,
                                g->c + i0 * g->ldc, g->ldc, g->acc, g->bias);
        return;
    }
    for (long pc = 0; pc < k; pc += KC) {
        long kc = k - pc < KC ? k - pc : KC;
        const int start = pc == 0 && g->bias;
        int flags = start ? RK_ROWC : (pc > 0 || g->acc) ? RK_LOADC : 0;
        if (g->bmode == B_SLAB) RK_LOCAL(pack_panels)(kc, j0, j1, g->b + pc * g->ldb, g->ldb, bbuf);
        const T *ablock = abuf + pc * mpad;
        for (long ic = 0; ic < rows; ic += MC) {
            long mc = rows - ic < MC ? rows - ic : MC;
            for (long jr = j0; jr < j1; jr += NR) {
                long nr = j1 - jr < NR ? j1 - jr : NR;
                const T *bb;
                long ldb;
                int fl = flags;
                if (g->bmode == B_PACKED) {
                    bb = g->bp + (jr / NRP) * k * NRP + pc * NRP + (jr % NRP);
                    ldb = NRP;
                } else if (g->bmode == B_SLAB) {
                    bb = bbuf + ((jr - j0) / NRP) * kc * NRP + ((jr - j0) % NRP);
                    ldb = NRP;
                } else {
                    bb = g->b + pc * g->ldb + jr;
                    ldb = g->ldb;
                    if (nr < NR) fl |= RK_BMASK;
                }
                T *cc = g->c + (i0 + ic) * g->ldc + jr;
                const T *as = ablock + ic * kc;
                for (long ir = 0; ir < mc; ir += MR) {
                    int mr = mc - ir < MR ? (int)(mc - ir) : MR;
                    im->KTAB[mr](kc, as + ir * kc, bb, ldb, cc + ir * g->ldc, g->ldc, nr, fl,
                                 start ? g->bias + jr : NULL);
                }
            }
        }
    }
}

static void RK_LOCAL(gemm_run)(RK_LOCAL(gemm_job) *g) {
    long m = g->m, n = g->n, k = g->k;
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (g->bias)
            RK_LOCAL(bias_rows)(m, n, g->bias, 0, g->c, g->ldc);
        else if (!g->acc)
            for (long i = 0; i < m; i++) memset(g->c + i * g->ldc, 0, sizeof(T) * (size_t)n);
        return;
    }
    const rk_impl *im = impl();
    g->im = im;
    g->kcb = KCV;
    g->mcb = MCV / im->MRF * im->MRF;
    int nt = rk_threads_for((double)m * (double)n * (double)k);
    long np = (n + NRP - 1) / NRP;
    long nchunks;
    g->by_rows = m >= rows_min_m;
    if (g->by_rows) {
        /* Row blocks of at most MC rows, as many as a multiple of the threads and of equal size (whole
           slivers): 800 rows on two threads are 8 blocks of 104 (at most 416 rows a thread), not 7 of
           120 (480 on one thread, 320 on the other). */
        long slivers = (m + im->MRF - 1) / im->MRF, per = g->mcb / im->MRF;
        nchunks = (slivers + per - 1) / per;
        if (nt > 1) nchunks = (nchunks + nt - 1) / nt * nt;
        g->chunk_rows = (slivers + nchunks - 1) / nchunks * im->MRF;
        nchunks = (m + g->chunk_rows - 1) / g->chunk_rows;
        if (g->bmode != B_PACKED) { /* pack all of B first (in parallel) */
            T *bp = rk_scratch(1, sizeof(T) * (size_t)np * NRP * (size_t)k);
            if (!bp) {
                RK_LOCAL(naive)(m, n, k, g->a, g->lda, g->b, g->ldb, g->c, g->ldc, g->acc, g->at);
                return;
            }
            g->bp = bp;
            g->chunk_panels = (np + 4L * nt - 1) / (4L * nt);
            rk_pool_run(RK_LOCAL(packb_chunk), g, sizeof *g, (np + g->chunk_panels - 1) / g->chunk_panels, nt);
            g->bmode = B_PACKED;
        }
    } else {
        /* an unpacked B is read in place when few rows use it (or it fits in L2 and the path
           copes with strided rows); else each thread packs its columns slab by slab */
        if (g->bmode != B_PACKED)
            g->bmode = (m < (im->direct_b_in_l2 ? packb_min_m : im->MRF) ||
                        (im->direct_b_in_l2 && (double)k * (double)n * sizeof(T) <= 2097152.0))
                           ? B_DIRECT
                           : B_SLAB;
        /* a few chunks per thread, so a late or busy thread costs little */
        g->chunk_panels = nt > 1 ? (np + 4L * nt - 1) / (4L * nt) : np;
        nchunks = (np + g->chunk_panels - 1) / g->chunk_panels;
    }
    rk_pool_run(RK_LOCAL(gemm_chunk), g, sizeof *g, nchunks, nt);
}

void RK_API(gemm)(long m, long n, long k, const T *a, long lda, const T *b, long ldb, T *c,
                    long ldc, int accumulate) {
    RK_LOCAL(gemm_job) g;
    memset(&g, 0, sizeof g);
    g.m = m; g.n = n; g.k = k; g.a = a; g.lda = lda; g.b = b; g.ldb = ldb;
    g.c = c; g.ldc = ldc; g.acc = accumulate;
    g.bmode = B_DIRECT;
    RK_LOCAL(gemm_run)(&g);
}

void RK_API(gemm_at)(long m, long n, long k, const T *a, long lda, const T *b, long ldb, T *c,
                     long ldc, int accumulate) {
    RK_LOCAL(gemm_job) g;
    memset(&g, 0, sizeof g);
    g.m = m; g.n = n; g.k = k; g.a = a; g.lda = lda; g.at = 1; g.b = b; g.ldb = ldb;
    g.c = c; g.ldc = ldc; g.acc = accumulate;
    g.bmode = B_DIRECT;
    RK_LOCAL(gemm_run)(&g);
}

/* The products with a packed right-hand side: A as given or transposed (`at`), C starting from itself
   (`accumulate`), from zero, or from a bias row. */
static void RK_LOCAL(packed_run)(long m, const T *a, long lda, int at, const rk_packed *b, const T *bias, T *c,
                                 long ldc, int accumulate) {
    if (!b || b->is_double != (sizeof(T) == 8)) return;
    RK_LOCAL(gemm_job) g;
    memset(&g, 0, sizeof g);
    g.m = m; g.n = b->n; g.k = b->k; g.a = a; g.lda = lda; g.at = at; g.bp = (const T *)b->data;
    g.c = c; g.ldc = ldc; g.acc = accumulate; g.bias = bias;
    g.bmode = B_PACKED;
    RK_LOCAL(gemm_run)(&g);
}

void RK_API(packed_gemm_at)(long m, const T *a, long lda, const rk_packed *b, T *c, long ldc, int accumulate) {
    RK_LOCAL(packed_run)(m, a, lda, 1, b, NULL, c, ldc, accumulate);
}

void RK_API(packed_gemm_bias)(long m, const T *a, long lda, const rk_packed *b, const T *bias, T *c, long ldc) {
    RK_LOCAL(packed_run)(m, a, lda, 0, b, bias, c, ldc, 0);
}

void RK_API(packed_gemm)(long m, const T *a, long lda, const rk_packed *b, T *c, long ldc,
                           int accumulate) {
    RK_LOCAL(packed_run)(m, a, lda, 0, b, NULL, c, ldc, accumulate);
}


/* ---------------- column ranges of a packed product, on the calling thread ---------------- */

/* The fused recurrent steps (fused_template.h) split one step's product by output units across the
   pool; each thread packs the state rows once and multiplies them by the column ranges it owns. */

T *RK_INTERNAL(pack_rows)(long m, long k, const T *a, long lda) {
    const rk_impl *im = impl();
    long mpad = (m + im->MRF - 1) / im->MRF * im->MRF;
    T *abuf = rk_scratch(0, sizeof(T) * (size_t)mpad * (size_t)(k > 0 ? k : 1));
    if (abuf) RK_LOCAL(pack_a)(m, k, KCV, a, lda, abuf, im->MRF, im->PACK8, im->PACK4, 0);
    return abuf;
}

void RK_INTERNAL(packed_cols)(long m, const T *a, long lda, const T *apacked, const rk_packed *b, long j0,
                              long j1, T *c, long ldc, int acc) {
    if (j1 > b->n) j1 = b->n;
    if (m <= 0 || j0 >= j1) return;
    if (b->k <= 0 || !apacked) /* no depth, or no memory for the packed rows */
        RK_LOCAL(naive_packed)(m, b->k, a, lda, (const T *)b->data, j0, j1, c, ldc, acc, 0);
    else
        RK_LOCAL(column_blocks)(impl(), m, b->k, KCV, apacked, (const T *)b->data, NULL, 0, j0, j1, c, ldc, acc, NULL);
}

#undef T
#undef RK_SUF
#undef NRP
#undef KCV
#undef MCV
#undef KTAB
#undef MRF
#undef NRF
#undef PACK8
#undef PACK4
