// Writing new images (the digital scanner's output).
#include "shim_internal.h"
#include <cstdio>

static DcmTagKey keyOfTag(uint32_t tag) {
    return DcmTagKey(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xFFFF));
}

int qct_write_image16(const char *path, const uint32_t *tags, const char *const *values, size_t count,
                      const int16_t *pixels, uint32_t rows, uint32_t columns, qct_error *err) {
    return qct_guard(err, -1, [&]() -> int {
        qct_init();
        DcmFileFormat format;
        DcmDataset *ds = format.getDataset();
        for (size_t i = 0; i < count; ++i) {
            OFCondition cond = ds->putAndInsertString(DcmTag(keyOfTag(tags[i])), values[i]);
            if (cond.bad()) {
                char tag[16];
                std::snprintf(tag, sizeof tag, "(%04X,%04X)", tags[i] >> 16, tags[i] & 0xFFFF);
                qct_set_condition(err, QCT_ERROR_ARGUMENT, cond, std::string("cannot set ") + tag);
                return -1;
            }
        }
        OFCondition cond = ds->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16 *>(pixels),
                                                       static_cast<unsigned long>(rows) * columns);
        if (cond.bad()) { qct_set_condition(err, QCT_ERROR_ARGUMENT, cond, "cannot set Pixel Data"); return -1; }
        const std::string partial = std::string(path) + ".part";
        cond = format.saveFile(OFFilename(partial.c_str()), EXS_LittleEndianExplicit, EET_ExplicitLength,
                               EGL_recalcGL, EPD_noChange);
        if (cond.bad()) { qct_set_condition(err, QCT_ERROR_WRITE, cond, std::string("cannot write ") + path); std::remove(partial.c_str()); return -1; }
        if (std::rename(partial.c_str(), path) != 0) {
            qct_set_error(err, QCT_ERROR_WRITE, 13, "qct", std::string("cannot rename into place: ") + path);
            std::remove(partial.c_str());
            return -1;
        }
        return 0;
    });
}
