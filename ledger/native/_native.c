/* ledger._native: Ethereum keccak-256 and OpenZeppelin StandardMerkleTree building in C.
 *
 * Why C: a million-record batch needs three million keccak calls (two per leaf, one per inner
 * node). Through Python each call costs microseconds of interpreter and FFI overhead, ten times
 * the permutation itself; here the whole tree, and every proof, is built in one call per batch.
 *
 * The permutation is not ours: it is XKCP's KeccakP-1600-opt64 (CC0), vendored under xkcp/ with
 * only its configuration header set to 2 unrolled rounds (see xkcp/README.md), and compiled into
 * this translation unit. This file only adds the
 * keccak-256 sponge (rate 136, Ethereum's original 0x01 padding, not SHA-3's 0x06) and the tree
 * layout of @openzeppelin/merkle-tree 1.x, which ledger/merkle/tree.py documents and mirrors in
 * pure Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if PY_BIG_ENDIAN
#error "ledger._native supports little-endian platforms only (setup.py skips it elsewhere)"
#endif

/* What the vendored code expects its includer to provide (as CPython's _sha3 module does). */
typedef uint64_t UINT64;
typedef unsigned char UINT8;
#define IS_LITTLE_ENDIAN 1234
#define IS_BIG_ENDIAN 4321
#define PLATFORM_BYTE_ORDER IS_LITTLE_ENDIAN

/* Private names, so no symbol can clash with another copy of XKCP in the same process. */
#define KeccakF1600_FastLoop_Absorb zcl_KeccakF1600_FastLoop_Absorb
#define KeccakP1600_AddBytes zcl_KeccakP1600_AddBytes
#define KeccakP1600_AddBytesInLane zcl_KeccakP1600_AddBytesInLane
#define KeccakP1600_AddLanes zcl_KeccakP1600_AddLanes
#define KeccakP1600_ExtractAndAddBytes zcl_KeccakP1600_ExtractAndAddBytes
#define KeccakP1600_ExtractAndAddBytesInLane zcl_KeccakP1600_ExtractAndAddBytesInLane
#define KeccakP1600_ExtractAndAddLanes zcl_KeccakP1600_ExtractAndAddLanes
#define KeccakP1600_ExtractBytes zcl_KeccakP1600_ExtractBytes
#define KeccakP1600_ExtractBytesInLane zcl_KeccakP1600_ExtractBytesInLane
#define KeccakP1600_ExtractLanes zcl_KeccakP1600_ExtractLanes
#define KeccakP1600_Initialize zcl_KeccakP1600_Initialize
#define KeccakP1600_OverwriteBytes zcl_KeccakP1600_OverwriteBytes
#define KeccakP1600_OverwriteBytesInLane zcl_KeccakP1600_OverwriteBytesInLane
#define KeccakP1600_OverwriteLanes zcl_KeccakP1600_OverwriteLanes
#define KeccakP1600_OverwriteWithZeroes zcl_KeccakP1600_OverwriteWithZeroes
#define KeccakP1600_Permute_12rounds zcl_KeccakP1600_Permute_12rounds
#define KeccakP1600_Permute_24rounds zcl_KeccakP1600_Permute_24rounds
#define fromWordToBytes zcl_fromWordToBytes

#include "xkcp/KeccakP-1600-SnP-opt64.h"
#include "xkcp/KeccakP-1600-opt64.c"

#define RATE 136
#define HASH 32

/* ---- keccak-256 ------------------------------------------------------------------------------ */

/* keccak-256 of fewer than RATE bytes: one absorb, one permutation. Every tree hash (32 or 64
 * bytes) goes through here. */
static inline void keccak_short(const uint8_t *in, unsigned int len, uint8_t *out)
{
    UINT64 state[25];
    KeccakP1600_Initialize(state);
    KeccakP1600_AddBytes(state, in, 0, len);
    KeccakP1600_AddByte(state, 0x01, len);
    KeccakP1600_AddByte(state, 0x80, RATE - 1);
    KeccakP1600_Permute_24rounds(state);
    KeccakP1600_ExtractBytes(state, out, 0, HASH);
}

static void keccak256_any(const uint8_t *in, size_t len, uint8_t *out)
{
    UINT64 state[25];
    KeccakP1600_Initialize(state);
    if (len >= RATE) {
        size_t done = KeccakF1600_FastLoop_Absorb(state, RATE / 8, in, len);
        in += done;
        len -= done;
    }
    KeccakP1600_AddBytes(state, in, 0, (unsigned int)len);
    KeccakP1600_AddByte(state, 0x01, (unsigned int)len);
    KeccakP1600_AddByte(state, 0x80, RATE - 1);
    KeccakP1600_Permute_24rounds(state);
    KeccakP1600_ExtractBytes(state, out, 0, HASH);
}

/* Inputs this long are hashed with the GIL released; below it the release costs more than it
 * lets other threads gain. */
#define NOGIL_THRESHOLD (64 * 1024)

static PyObject *py_keccak256(PyObject *module, PyObject *data)
{
    PyObject *out = PyBytes_FromStringAndSize(NULL, HASH);
    if (out == NULL)
        return NULL;
    uint8_t *digest = (uint8_t *)PyBytes_AS_STRING(out);
    if (PyBytes_CheckExact(data)) {
        Py_ssize_t len = PyBytes_GET_SIZE(data);
        const uint8_t *in = (const uint8_t *)PyBytes_AS_STRING(data);
        if (len < RATE) {
            keccak_short(in, (unsigned int)len, digest);
        } else if (len < NOGIL_THRESHOLD) {
            keccak256_any(in, (size_t)len, digest);
        } else {
            /* data is immutable and we hold a reference: safe to read without the GIL. */
            Py_BEGIN_ALLOW_THREADS
            keccak256_any(in, (size_t)len, digest);
            Py_END_ALLOW_THREADS
        }
        return out;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        /* CPython's own error ("a bytes-like object is required, not 'str'", or BufferError for
         * a non-contiguous view) already says what is wrong. */
        Py_DECREF(out);
        return NULL;
    }
    if (view.len < NOGIL_THRESHOLD) {
        keccak256_any((const uint8_t *)view.buf, (size_t)view.len, digest);
    } else {
        /* The exported buffer cannot be resized while we hold the view. */
        Py_BEGIN_ALLOW_THREADS
        keccak256_any((const uint8_t *)view.buf, (size_t)view.len, digest);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&view);
    return out;
}

/* ---- packing --------------------------------------------------------------------------------- */

static PyObject *py_pack_hashes(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "pack_hashes(items, name: str)");
        return NULL;
    }
    PyObject *name = args[1];
    PyObject *seq = PySequence_Fast(args[0], "record hashes must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > PY_SSIZE_T_MAX / HASH) {
        Py_DECREF(seq);
        return PyErr_Format(PyExc_ValueError, "%U has too many items (%zd)", name, n);
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * HASH);
    if (out == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    uint8_t *dst = (uint8_t *)PyBytes_AS_STRING(out);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++, dst += HASH) {
        PyObject *item = items[i];
        if (PyBytes_CheckExact(item)) {
            if (PyBytes_GET_SIZE(item) != HASH) {
                PyErr_Format(PyExc_ValueError, "%U[%zd] must be %d bytes, got %zd", name, i, HASH,
                             PyBytes_GET_SIZE(item));
                goto fail;
            }
            memcpy(dst, PyBytes_AS_STRING(item), HASH);
            continue;
        }
        Py_buffer view;
        if (PyObject_GetBuffer(item, &view, PyBUF_SIMPLE) < 0) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "%U[%zd] must be %d bytes, got %.100s", name, i, HASH,
                         Py_TYPE(item)->tp_name);
            goto fail;
        }
        if (view.len != HASH) {
            PyErr_Format(PyExc_ValueError, "%U[%zd] must be %d bytes, got %zd", name, i, HASH, view.len);
            PyBuffer_Release(&view);
            goto fail;
        }
        memcpy(dst, view.buf, HASH);
        PyBuffer_Release(&view);
    }
    Py_DECREF(seq);
    return out;
fail:
    Py_DECREF(seq);
    Py_DECREF(out);
    return NULL;
}

/* ---- the tree -------------------------------------------------------------------------------- */

typedef struct {
    uint64_t key; /* the leaf's first 8 bytes, big-endian: orders like memcmp on them */
    uint64_t idx; /* input index */
} item_t;

static inline uint64_t load_be64(const uint8_t *p)
{
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
           ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
           ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

/* Leaf bytes first, input index second: a total order, so the sort equals JS's stable sort of
 * leaves by bytes (equal leaves keep their input order). */
static inline int item_less(const item_t *a, const item_t *b, const uint8_t *leaves)
{
    if (a->key != b->key)
        return a->key < b->key;
    int c = memcmp(leaves + a->idx * HASH + 8, leaves + b->idx * HASH + 8, HASH - 8);
    if (c != 0)
        return c < 0;
    return a->idx < b->idx;
}

/* Bottom-up merge sort (n log n whatever the input, e.g. a batch of one repeated hash). Returns
 * whichever of a / tmp holds the result. */
static item_t *sort_items(item_t *a, item_t *tmp, size_t n, const uint8_t *leaves)
{
    /* Runs of 16 by insertion sort first: fewer passes over memory. */
    const size_t RUN = 16;
    for (size_t lo = 0; lo < n; lo += RUN) {
        size_t hi = lo + RUN < n ? lo + RUN : n;
        for (size_t i = lo + 1; i < hi; i++) {
            item_t x = a[i];
            size_t j = i;
            while (j > lo && item_less(&x, &a[j - 1], leaves)) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
    }
    item_t *src = a, *dst = tmp;
    for (size_t width = RUN; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = item_less(&src[j], &src[i], leaves) ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        item_t *t = src;
        src = dst;
        dst = t;
    }
    return src;
}

/* Fills nodes ((2n - 1) * 32 bytes) and positions (n entries) from n packed record hashes.
 * Returns 0, or -1 when out of memory. Runs without the GIL. */
static int build_tree(const uint8_t *hashes, size_t n, uint8_t *nodes, uint64_t *positions)
{
    size_t last = 2 * n - 2;
    uint8_t *leaves = malloc(n * HASH);
    item_t *items = malloc(n * sizeof(item_t));
    item_t *tmp = malloc(n * sizeof(item_t));
    if (leaves == NULL || items == NULL || tmp == NULL) {
        free(leaves);
        free(items);
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        /* abi.encode(["bytes32"], [h]) is h itself, so the leaf is keccak(keccak(h)). */
        uint8_t inner[HASH];
        uint8_t *leaf = leaves + i * HASH;
        keccak_short(hashes + i * HASH, HASH, inner);
        keccak_short(inner, HASH, leaf);
        items[i].key = load_be64(leaf);
        items[i].idx = i;
    }
    item_t *sorted = sort_items(items, tmp, n, leaves);
    for (size_t j = 0; j < n; j++) {
        size_t pos = last - j;
        memcpy(nodes + pos * HASH, leaves + sorted[j].idx * HASH, HASH);
        positions[sorted[j].idx] = pos;
    }
    free(leaves);
    free(items);
    free(tmp);
    /* Inner node i = keccak of its two children in ascending byte order (commutativeKeccak256). */
    for (size_t i = n - 1; i-- > 0;) {
        const uint8_t *a = nodes + (2 * i + 1) * HASH;
        const uint8_t *b = nodes + (2 * i + 2) * HASH;
        uint8_t pair[2 * HASH];
        if (memcmp(a, b, HASH) <= 0) {
            memcpy(pair, a, HASH);
            memcpy(pair + HASH, b, HASH);
        } else {
            memcpy(pair, b, HASH);
            memcpy(pair + HASH, a, HASH);
        }
        keccak_short(pair, 2 * HASH, nodes + i * HASH);
    }
    return 0;
}

static PyObject *py_merkle_build(PyObject *module, PyObject *data)
{
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        return PyErr_Format(PyExc_ValueError, "record_hashes must be bytes-like, got %.100s",
                            Py_TYPE(data)->tp_name);
    }
    PyObject *nodes = NULL, *positions = NULL;
    if (view.len == 0 || view.len % HASH != 0) {
        PyErr_Format(PyExc_ValueError,
                     "record_hashes must be a non-empty multiple of %d bytes, got %zd bytes", HASH,
                     view.len);
        goto done;
    }
    Py_ssize_t n = view.len / HASH;
    if (n > PY_SSIZE_T_MAX / (2 * HASH)) {
        PyErr_Format(PyExc_ValueError, "record_hashes has too many hashes (%zd)", n);
        goto done;
    }
    nodes = PyBytes_FromStringAndSize(NULL, (2 * n - 1) * HASH);
    positions = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(uint64_t));
    if (nodes == NULL || positions == NULL)
        goto done;
    uint8_t *nodes_buf = (uint8_t *)PyBytes_AS_STRING(nodes);
    uint64_t *pos_buf = (uint64_t *)PyBytes_AS_STRING(positions);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = build_tree((const uint8_t *)view.buf, (size_t)n, nodes_buf, pos_buf);
    Py_END_ALLOW_THREADS
    if (rc != 0) {
        PyErr_NoMemory();
        goto done;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(NN)", nodes, positions);
done:
    Py_XDECREF(nodes);
    Py_XDECREF(positions);
    PyBuffer_Release(&view);
    return NULL;
}

/* Number of siblings on the way from node pos to the root: its depth, floor(log2(pos + 1)). */
static inline uint64_t depth_of(uint64_t pos)
{
    uint64_t d = 0;
    for (uint64_t x = pos + 1; x > 1; x >>= 1)
        d++;
    return d;
}

static PyObject *py_merkle_proofs(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "merkle_proofs(nodes, positions)");
        return NULL;
    }
    Py_buffer nv, pv;
    if (PyObject_GetBuffer(args[0], &nv, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        return PyErr_Format(PyExc_ValueError, "nodes must be bytes-like, got %.100s", Py_TYPE(args[0])->tp_name);
    }
    if (PyObject_GetBuffer(args[1], &pv, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        PyBuffer_Release(&nv);
        return PyErr_Format(PyExc_ValueError, "positions must be bytes-like, got %.100s",
                            Py_TYPE(args[1])->tp_name);
    }
    PyObject *siblings = NULL, *offsets = NULL;
    uint64_t *pos = NULL;
    if (pv.len == 0 || pv.len % sizeof(uint64_t) != 0) {
        PyErr_Format(PyExc_ValueError, "positions must be a non-empty multiple of 8 bytes, got %zd", pv.len);
        goto fail;
    }
    size_t n = (size_t)pv.len / sizeof(uint64_t);
    if ((size_t)nv.len / HASH != 2 * n - 1 || nv.len % HASH != 0) {
        PyErr_Format(PyExc_ValueError, "nodes must be %zu bytes for %zu leaves, got %zd",
                     (2 * n - 1) * HASH, n, nv.len);
        goto fail;
    }
    /* positions may be any buffer, aligned or not: read it through memcpy into a copy. */
    pos = PyMem_Malloc(n * sizeof(uint64_t));
    if (pos == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    memcpy(pos, pv.buf, n * sizeof(uint64_t));
    offsets = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)((n + 1) * sizeof(uint64_t)));
    if (offsets == NULL)
        goto fail;
    uint64_t *off = (uint64_t *)PyBytes_AS_STRING(offsets);
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        /* Only leaf positions (n - 1 .. 2n - 2) are valid: anything else would read outside nodes. */
        if (pos[i] < n - 1 || pos[i] > 2 * n - 2) {
            PyErr_Format(PyExc_ValueError, "positions[%zu] = %llu is not a leaf position of a %zu-leaf tree", i,
                         (unsigned long long)pos[i], n);
            goto fail;
        }
        off[i + 1] = off[i] + depth_of(pos[i]);
    }
    if (off[n] > (uint64_t)(PY_SSIZE_T_MAX / HASH)) {
        PyErr_NoMemory();
        goto fail;
    }
    siblings = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(off[n] * HASH));
    if (siblings == NULL)
        goto fail;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(siblings);
    const uint8_t *nodes = (const uint8_t *)nv.buf;
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0; i < n; i++) {
        uint64_t node = pos[i];
        while (node > 0) {
            /* Odd positions are left children, their sibling is to the right; even ones the reverse. */
            uint64_t sib = (node & 1) ? node + 1 : node - 1;
            memcpy(out, nodes + sib * HASH, HASH);
            out += HASH;
            node = (node - 1) >> 1;
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(pos);
    PyBuffer_Release(&nv);
    PyBuffer_Release(&pv);
    return Py_BuildValue("(NN)", siblings, offsets);
fail:
    PyMem_Free(pos);
    Py_XDECREF(siblings);
    Py_XDECREF(offsets);
    PyBuffer_Release(&nv);
    PyBuffer_Release(&pv);
    return NULL;
}

/* ---- module ---------------------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"keccak256", (PyCFunction)py_keccak256, METH_O,
     "keccak256(data) -> bytes: Ethereum's keccak-256 (0x01 padding) of a bytes-like object."},
    {"pack_hashes", (PyCFunction)(void (*)(void))py_pack_hashes, METH_FASTCALL,
     "pack_hashes(items, name) -> bytes: the 32-byte items concatenated; ValueError naming name[i]."},
    {"merkle_build", (PyCFunction)py_merkle_build, METH_O,
     "merkle_build(record_hashes) -> (nodes, positions): the StandardMerkleTree of n packed 32-byte\n"
     "record hashes as (2n - 1) * 32 node bytes and n native uint64 leaf positions by input index."},
    {"merkle_proofs", (PyCFunction)(void (*)(void))py_merkle_proofs, METH_FASTCALL,
     "merkle_proofs(nodes, positions) -> (siblings, offsets): every input index's proof, packed;\n"
     "proof i is siblings[offsets[i] * 32 : offsets[i + 1] * 32] (offsets: n + 1 native uint64)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "ledger._native",
    "keccak-256 (XKCP KeccakP-1600-opt64) and OpenZeppelin StandardMerkleTree building in C.",
    0,
    methods,
};

PyMODINIT_FUNC PyInit__native(void)
{
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    if (PyModule_AddStringConstant(m, "KECCAK_IMPLEMENTATION", KeccakP1600_implementation) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
