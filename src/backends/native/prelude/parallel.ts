/**
 * Prelude part: the planner that turns dense or block-sparse ranges into row chunks (Item, Plan,
 * push, plan) and the parallel loop parallel_for (OpenMP, or a std::thread pool when the compiler
 * has no OpenMP). Constant text.
 */
export const PRELUDE_PARALLEL = `// One unit of parallel work: rows [i0, i1) of one range block, its column intervals
// cr[2r], cr[2r+1] for r in [r0, r1) (r0 == r1: rows covered by no block, identity output).
struct Item {
  int64_t i0, i1;
  const int32_t* cr;
  int64_t r0, r1;
};

struct Plan {
  Item* items;
  int64_t n;
  int32_t full[2];
};

static inline bool push(Plan* p, int64_t* cap, int64_t i0, int64_t i1, const int32_t* cr, int64_t r0, int64_t r1,
                        int64_t chunk) {
  for (int64_t a = i0; a < i1; a += chunk) {
    if (p->n == *cap) {
      *cap = *cap * 2 + 16;
      Item* grown = (Item*)realloc(p->items, (size_t)*cap * sizeof(Item));
      if (!grown) return false;
      p->items = grown;
    }
    p->items[p->n++] = Item{a, a + chunk < i1 ? a + chunk : i1, cr, r0, r1};
  }
  return true;
}

// nb < 0: dense (every row visits [0, nJ)). Otherwise rows of one block share column intervals;
// a row in several blocks belongs to the last one (as in the JavaScript backend); rows in none
// get the identity.
static inline bool plan(Plan* p, int64_t nI, int64_t nJ, const int32_t* rr, const int32_t* sl, const int32_t* cr,
                        int64_t nb, int64_t chunk) {
  p->items = nullptr;
  p->n = 0;
  p->full[0] = 0;
  p->full[1] = (int32_t)nJ;
  int64_t cap = 0;
  if (nb < 0) return push(p, &cap, 0, nI, p->full, 0, 1, chunk);
  int32_t* owner = (int32_t*)malloc((size_t)(nI > 0 ? nI : 1) * sizeof(int32_t));
  if (!owner) return false;
  for (int64_t i = 0; i < nI; i++) owner[i] = -1;
  for (int64_t b = 0; b < nb; b++) {
    const int64_t s = rr[2 * b] > 0 ? rr[2 * b] : 0;
    const int64_t e = rr[2 * b + 1] < nI ? rr[2 * b + 1] : nI;
    for (int64_t i = s; i < e; i++) owner[i] = (int32_t)b;
  }
  bool ok = true;
  for (int64_t i = 0; i < nI && ok;) {
    const int32_t b = owner[i];
    int64_t e = i + 1;
    while (e < nI && owner[e] == b) e++;
    if (b < 0) ok = push(p, &cap, i, e, cr, 0, 0, chunk);
    else ok = push(p, &cap, i, e, cr, b == 0 ? 0 : sl[b - 1], sl[b], chunk);
    i = e;
  }
  free(owner);
  return ok;
}

template <class F> static inline void parallel_for(int64_t n, int threads, const F& f) {
  if (threads < 1) threads = 1;
  if (threads > n) threads = (int)(n > 0 ? n : 1);
  if (threads == 1) {
    for (int64_t k = 0; k < n; k++) f(k);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int64_t k = 0; k < n; k++) f(k);
#else
  std::thread* pool = new std::thread[threads - 1];
  int64_t next = 0;
  auto work = [&]() {
    for (;;) {
      const int64_t k = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
      if (k >= n) return;
      f(k);
    }
  };
  for (int t = 0; t < threads - 1; t++) pool[t] = std::thread(work);
  work();
  for (int t = 0; t < threads - 1; t++) pool[t].join();
  delete[] pool;
#endif
}

`;
