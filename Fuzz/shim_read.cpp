// libFuzzer harness: the shim's open and header parse, then the pixel layout and the decoding of
// the first frames through whichever codec the file names (uncompressed, RLE, JPEG, JPEG-LS,
// JPEG 2000, deflate). The input is written to a file because qct_open reads paths, as qct does:
// in /dev/shm (memory) where the machine has it, else /tmp.
#include "include/qct_dcmtk.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const std::string path = std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") + "/qct-fuzz-" +
                                    std::to_string(getpid()) + ".dcm";
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    qct_error err = {};
    qct_file *file = qct_open(path.c_str(), &err);
    if (file == nullptr) return 0;
    char buffer[256];
    const uint32_t tags[] = {0x00200013u, 0x00280030u, 0x00200032u, 0x00281053u};
    for (uint32_t tag : tags) qct_get_string(file, &tag, 1, buffer, sizeof buffer);
    const uint32_t perFrame[] = {0x52009230u, 0u, 0x00209113u, 0u, 0x00200032u};
    qct_get_string(file, perFrame, 5, buffer, sizeof buffer);
    qct_item_count(file, perFrame, 1);
    qct_transfer_syntax(file, buffer, sizeof buffer);
    qct_pixel_layout layout = {};
    // Decode only what qct itself would accept to allocate (its ReadingLimits).
    if (qct_pixel_layout_of(file, &layout, &err) == 0 && layout.rows <= 1024 && layout.columns <= 1024 && layout.frames <= 64) {
        std::vector<int32_t> out(static_cast<size_t>(layout.rows) * layout.columns);
        for (uint32_t k = 0; k < layout.frames && k < 4; ++k) qct_decode_frame(file, k, out.data(), out.size(), &err);
        // The 16-bit paths a volume uses (decoded in place when the data are 16-bit), into a buffer of
        // exactly the frame's size so that any overrun is caught.
        std::vector<int16_t> narrow(static_cast<size_t>(layout.rows) * layout.columns);
        for (qct_sample_type type : {QCT_SAMPLES_INT16, QCT_SAMPLES_UINT16})
            if (layout.frames > 0) qct_decode_frame_as(file, 0, narrow.data(), narrow.size(), type, &err);
    }
    qct_close(file);
    return 0;
}
