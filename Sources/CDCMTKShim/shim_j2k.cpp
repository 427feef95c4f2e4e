// JPEG 2000 decoding through OpenJPEG (DCMTK's free build has no JPEG 2000 codec).
#include "shim_internal.h"
#include <openjpeg.h>
#include <cstring>

namespace {
struct MemoryStream {
    const uint8_t *data;
    size_t size;
    size_t pos;
};

OPJ_SIZE_T readBytes(void *buffer, OPJ_SIZE_T n, void *user) {
    auto *m = static_cast<MemoryStream *>(user);
    if (m->pos >= m->size) return static_cast<OPJ_SIZE_T>(-1);
    const size_t k = std::min(static_cast<size_t>(n), m->size - m->pos);
    std::memcpy(buffer, m->data + m->pos, k);
    m->pos += k;
    return k;
}
OPJ_OFF_T skipBytes(OPJ_OFF_T n, void *user) {
    auto *m = static_cast<MemoryStream *>(user);
    if (n < 0) { const size_t back = std::min(static_cast<size_t>(-n), m->pos); m->pos -= back; return -static_cast<OPJ_OFF_T>(back); }
    const size_t k = std::min(static_cast<size_t>(n), m->size - m->pos);
    m->pos += k;
    return static_cast<OPJ_OFF_T>(k);
}
OPJ_BOOL seekBytes(OPJ_OFF_T n, void *user) {
    auto *m = static_cast<MemoryStream *>(user);
    if (n < 0 || static_cast<size_t>(n) > m->size) return OPJ_FALSE;
    m->pos = static_cast<size_t>(n);
    return OPJ_TRUE;
}
void quiet(const char *, void *) {}
}  // namespace

int qct_decode_j2k(const std::vector<uint8_t> &stream, const qct_pixel_layout &layout, qct_sample_type type,
                   void *out, size_t count, qct_error *err) {
    static const uint8_t jp2Signature[] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20};
    // Some writers pad the codestream; find its start (SOC marker FF4F).
    size_t offset = 0;
    const bool isJP2 = stream.size() >= 8 && std::memcmp(stream.data(), jp2Signature, 8) == 0;
    if (!isJP2) {
        while (offset + 1 < stream.size() && !(stream[offset] == 0xFF && stream[offset + 1] == 0x4F)) ++offset;
        if (offset + 1 >= stream.size()) { qct_set_error(err, QCT_ERROR_DECODE, 20, "openjpeg", "no JPEG 2000 codestream in pixel data"); return -1; }
    }
    // The image size a raw codestream declares (SIZ, right after SOC), checked before OpenJPEG
    // builds anything for it: a 3 KB codestream may declare gigapixels.
    if (!isJP2) {
        const uint8_t *p = stream.data() + offset;
        const size_t left = stream.size() - offset;
        auto u32 = [&](size_t at) { return uint32_t(p[at]) << 24 | uint32_t(p[at + 1]) << 16 | uint32_t(p[at + 2]) << 8 | uint32_t(p[at + 3]); };
        if (left < 42 || p[2] != 0xFF || p[3] != 0x51) {
            qct_set_error(err, QCT_ERROR_DECODE, 21, "openjpeg", "cannot read JPEG 2000 header (no SIZ marker after SOC)");
            return -1;
        }
        const uint64_t width = uint64_t(u32(8)) - u32(16), height = uint64_t(u32(12)) - u32(20);
        const unsigned components = unsigned(p[40]) << 8 | p[41];
        if (u32(8) < u32(16) || u32(12) < u32(20) || width != layout.columns || height != layout.rows) {
            qct_set_error(err, QCT_ERROR_DECODE, 24, "openjpeg", "JPEG 2000 image size " + std::to_string(u32(8) - u32(16)) + "x" +
                                                   std::to_string(u32(12) - u32(20)) + " differs from Rows/Columns");
            return -1;
        }
        if (components != 1) {
            qct_set_error(err, QCT_ERROR_UNSUPPORTED, 23, "openjpeg", "JPEG 2000 image has " + std::to_string(components) + " components; CT needs one");
            return -1;
        }
    }
    MemoryStream mem{stream.data() + offset, stream.size() - offset, 0};
    opj_codec_t *codec = opj_create_decompress(isJP2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    opj_set_info_handler(codec, quiet, nullptr);
    opj_set_warning_handler(codec, quiet, nullptr);
    opj_set_error_handler(codec, quiet, nullptr);
    opj_dparameters_t params;
    opj_set_default_decoder_parameters(&params);
    opj_image_t *image = nullptr;
    opj_stream_t *s = opj_stream_create(1 << 16, OPJ_TRUE);
    opj_stream_set_user_data(s, &mem, nullptr);
    opj_stream_set_user_data_length(s, mem.size);
    opj_stream_set_read_function(s, readBytes);
    opj_stream_set_skip_function(s, skipBytes);
    opj_stream_set_seek_function(s, seekBytes);
    int result = -1;
    if (!opj_setup_decoder(codec, &params) || !opj_read_header(s, codec, &image)) {
        qct_set_error(err, QCT_ERROR_DECODE, 21, "openjpeg", "cannot read JPEG 2000 header");
    } else if (image->numcomps != 1) {
        qct_set_error(err, QCT_ERROR_UNSUPPORTED, 23, "openjpeg", "JPEG 2000 image has " + std::to_string(image->numcomps) + " components; CT needs one");
    } else if (image->x1 - image->x0 != layout.columns || image->y1 - image->y0 != layout.rows) {
        // Checked from the codestream's header, before OpenJPEG allocates what it declares.
        qct_set_error(err, QCT_ERROR_DECODE, 24, "openjpeg", "JPEG 2000 image size " + std::to_string(image->x1 - image->x0) + "x" +
                                               std::to_string(image->y1 - image->y0) + " differs from Rows/Columns");
    } else if (!opj_decode(codec, s, image) || !opj_end_decompress(codec, s)) {
        qct_set_error(err, QCT_ERROR_DECODE, 22, "openjpeg", "JPEG 2000 decoding failed (corrupt or truncated codestream)");
    } else if (image->comps[0].w != layout.columns || image->comps[0].h != layout.rows ||
               count < static_cast<size_t>(layout.rows) * layout.columns) {
        qct_set_error(err, QCT_ERROR_DECODE, 24, "openjpeg", "JPEG 2000 image size " + std::to_string(image->comps[0].w) + "x" +
                                               std::to_string(image->comps[0].h) + " differs from Rows/Columns");
    } else {
        const OPJ_INT32 *data = image->comps[0].data;
        const size_t n = static_cast<size_t>(layout.rows) * layout.columns;
        // The codestream's own signedness may disagree with Pixel Representation;
        // the DICOM attributes win: samples are reinterpreted as stored bits.
        qct_pixel_layout l = layout;
        l.high_bit = static_cast<uint16_t>(l.bits_stored - 1);
        qct_store_samples(data, n, l, out, type);
        result = 0;
    }
    if (image) opj_image_destroy(image);
    opj_stream_destroy(s);
    opj_destroy_codec(codec);
    return result;
}
