// Internal to the shim: the handle type and the error funnel shared by its
// translation units. Never included from the public header.
#ifndef QCT_SHIM_INTERNAL_H
#define QCT_SHIM_INTERNAL_H

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcfcache.h"
#include "include/qct_dcmtk.h"

#include <string>
#include <vector>

struct qct_file {
    DcmFileFormat format;
    DcmFileCache cache;
};

/// The one funnel through which every failure is reported to Swift.
void qct_set_error(qct_error *err, int32_t code, const char *module, const std::string &text);
/// Reports a DCMTK condition, keeping its module and code.
void qct_set_condition(qct_error *err, const OFCondition &cond, const std::string &context);

/// Decodes one JPEG 2000 codestream (J2K or JP2) into `out` (already masked
/// and sign-extended per `layout`). Implemented with OpenJPEG.
int qct_decode_j2k(const std::vector<uint8_t> &stream, const qct_pixel_layout &layout,
                   int32_t *out, size_t count, qct_error *err);

/// Masks raw samples to Bits Stored and sign-extends them per Pixel Representation.
static inline int32_t qct_stored_value(uint32_t raw, const qct_pixel_layout &l) {
    const unsigned shift = (l.high_bit + 1u >= l.bits_stored) ? (l.high_bit + 1u - l.bits_stored) : 0u;
    uint32_t v = raw >> shift;
    if (l.bits_stored < 32) {
        const uint32_t mask = (1u << l.bits_stored) - 1u;
        v &= mask;
        if (l.pixel_representation == 1 && (v & (1u << (l.bits_stored - 1)))) {
            v |= ~mask;
        }
    }
    return static_cast<int32_t>(v);
}

#endif
