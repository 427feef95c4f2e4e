// Internal to the shim: the handle type and the error funnel shared by its
// translation units. Never included from the public header.
#ifndef QCT_SHIM_INTERNAL_H
#define QCT_SHIM_INTERNAL_H

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcfcache.h"
#include "include/qct_dcmtk.h"

#include <new>
#include <stdexcept>
#include <string>
#include <vector>

struct qct_file {
    DcmFileFormat format;
    DcmFileCache cache;
    std::string path;
    /* Where the native Pixel Data lies in the file, from the raw scan (offset 0: unknown). */
    uint64_t pixel_offset = 0;
    uint64_t pixel_length = 0;
};

/// The one funnel through which every failure is reported to Swift.
void qct_set_error(qct_error *err, qct_error_kind kind, int32_t code, const char *module, const std::string &text) noexcept;
/// Reports a DCMTK condition, keeping its module and code, as `kind`.
void qct_set_condition(qct_error *err, qct_error_kind kind, const OFCondition &cond, const std::string &context);
/// The kind of a DCMTK condition met while reading a file: truncated, unreadable, or not DICOM.
qct_error_kind qct_read_kind(const OFCondition &cond);

/// The barrier every extern "C" function runs its body in: a C++ exception
/// (std::bad_alloc above all) becomes an error record and `failure`, never an
/// unwind into Swift.
template <typename R, typename F>
R qct_guard(qct_error *err, R failure, F &&body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        qct_set_error(err, QCT_ERROR_OUT_OF_MEMORY, 0, "qct", "out of memory");
    } catch (const std::exception &e) {
        qct_set_error(err, QCT_ERROR_INTERNAL, 0, "qct", std::string("internal error: ") + e.what());
    } catch (...) {
        qct_set_error(err, QCT_ERROR_INTERNAL, 0, "qct", "internal error (unknown exception)");
    }
    return failure;
}

/// Decodes one JPEG 2000 codestream (J2K or JP2) into `out` (already masked
/// and sign-extended per `layout`). Implemented with OpenJPEG.
int qct_decode_j2k(const std::vector<uint8_t> &stream, const qct_pixel_layout &layout, qct_sample_type type,
                   void *out, size_t count, qct_error *err);

/* Whether `type` holds every stored value `l` allows. */
static inline bool qct_type_holds(const qct_pixel_layout &l, qct_sample_type type) {
    switch (type) {
    case QCT_SAMPLES_INT16: return l.pixel_representation == 1 ? l.bits_stored <= 16 : l.bits_stored <= 15;
    case QCT_SAMPLES_UINT16: return l.pixel_representation == 0 && l.bits_stored <= 16;
    default: return true;
    }
}

/* Stores `n` raw samples as stored values (masked to Bits Stored, sign-extended) of `Out` at
 * `out`. The shift, mask and sign bit are fixed before the loop, which then has no branch and
 * vectorises. */
template <typename In, typename Out>
static inline void qct_store_as(const In *src, size_t n, const qct_pixel_layout &l, Out *out) {
    const unsigned wanted = (l.high_bit + 1u >= l.bits_stored) ? (l.high_bit + 1u - l.bits_stored) : 0u;
    // A High Bit beyond the sample leaves nothing: shift by 31 and mask it away.
    const unsigned shift = wanted > 31u ? 31u : wanted;
    const uint32_t mask = wanted > 31u ? 0u : l.bits_stored >= 32 ? 0xFFFFFFFFu : (1u << l.bits_stored) - 1u;
    const uint32_t sign = (l.pixel_representation == 1 && l.bits_stored >= 1 && l.bits_stored < 32) ? (1u << (l.bits_stored - 1)) : 0u;
    for (size_t i = 0; i < n; ++i) {
        const uint32_t v = (static_cast<uint32_t>(src[i]) >> shift) & mask;
        out[i] = static_cast<Out>(static_cast<int32_t>((v ^ sign) - sign));
    }
}

/* Masks and sign-extends `n` 16-bit samples where they lie (stored values as int16_t bits for signed
 * data, uint16_t otherwise; qct_type_holds has checked that the output type holds them): the
 * Bits Stored bits that end at High Bit shifted to the top of the word, then shifted down again,
 * arithmetically for signed output. One pointer, 16-bit lanes: the loop vectorises (the same work
 * through `qct_store_as` with `out == src`, two pointers of different types that the compiler must
 * assume may overlap, ran one sample at a time). The layout guarantees 1 <= Bits Stored <= High Bit
 * + 1 <= 16 (`qct_pixel_layout_of`). */
static inline void qct_store_in_place(uint16_t *p, size_t n, const qct_pixel_layout &l) {
    const unsigned top = 15u - (l.high_bit > 15u ? 15u : l.high_bit);   // bits above High Bit
    const unsigned down = 16u - (l.bits_stored < 1u ? 1u : l.bits_stored > 16u ? 16u : l.bits_stored);
    if (l.pixel_representation == 1) {
        for (size_t i = 0; i < n; ++i)
            p[i] = static_cast<uint16_t>(static_cast<int16_t>(static_cast<int16_t>(static_cast<uint16_t>(p[i] << top)) >> down));
    } else {
        for (size_t i = 0; i < n; ++i)
            p[i] = static_cast<uint16_t>(static_cast<uint16_t>(p[i] << top) >> down);
    }
}

/* Stores `n` raw samples as stored values of `type` at `out`. */
template <typename In>
static inline void qct_store_samples(const In *src, size_t n, const qct_pixel_layout &l, void *out, qct_sample_type type) {
    switch (type) {
    case QCT_SAMPLES_INT16: qct_store_as(src, n, l, static_cast<int16_t *>(out)); break;
    case QCT_SAMPLES_UINT16: qct_store_as(src, n, l, static_cast<uint16_t *>(out)); break;
    default: qct_store_as(src, n, l, static_cast<int32_t *>(out)); break;
    }
}

/* What a scan of a file's raw bytes, without DCMTK, found: the deepest nesting of sequences
 * (counting stops once it passes the limit; 0 when the encoding cannot be scanned, i.e. deflated),
 * and where the data set's own native Pixel Data value lies when it is little-endian with a defined
 * length (offset 0 when not found). Never recursive, never reads outside the file. */
struct qct_layout_scan {
    int depth;
    uint64_t pixel_offset;
    uint64_t pixel_length;
};
/* The scan of the file at `path` (all zero when it cannot be read). */
qct_layout_scan qct_scan_file(const char *path, int limit);

#endif
