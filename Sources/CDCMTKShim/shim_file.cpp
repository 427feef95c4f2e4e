// Opening files and reading attributes.
#include "shim_internal.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/oflog/oflog.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

void qct_init(void) {
    qct_guard(static_cast<qct_error *>(nullptr), 0, [&]() -> int {
        static std::once_flag once;
        std::call_once(once, [] {
            // qct reports problems itself, one line per file; DCMTK's own console
            // logger would interleave partial messages from worker threads.
            OFLog::configure(OFLogger::OFF_LOG_LEVEL);
            // Read UN elements with their dictionary VR, as other readers do, so
            // files converted through a UN-writing node keep their numbers.
            dcmEnableUnknownVRConversion.set(OFTrue);
            DJDecoderRegistration::registerCodecs();
            DJLSDecoderRegistration::registerCodecs();
            DcmRLEDecoderRegistration::registerCodecs();
        });
        return 0;
    });
}

/// Whether the file has the Part-10 preamble and "DICM" prefix.
static bool hasDicomPrefix(const char *path) {
    std::FILE *f = std::fopen(path, "rb");
    if (f == nullptr) return false;
    char head[132];
    const size_t n = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
    return n == sizeof head && std::memcmp(head + 128, "DICM", 4) == 0;
}

qct_file *qct_open(const char *path, qct_error *err) {
    return qct_guard(err, static_cast<qct_file *>(nullptr), [&]() -> qct_file * {
        qct_init();
        // DCMTK parses nested sequences by recursion with no limit: refuse deep nesting first.
        const qct_layout_scan scan = qct_scan_file(path, QCT_MAX_SEQUENCE_DEPTH);
        const int depth = scan.depth;
        if (depth > QCT_MAX_SEQUENCE_DEPTH) {
            qct_set_error(err, QCT_ERROR_UNSUPPORTED, 16, "qct", "sequences nested more than " + std::to_string(QCT_MAX_SEQUENCE_DEPTH) +
                                                      " deep (refused before parsing; no CT needs more than a few levels)");
            return static_cast<qct_file *>(nullptr);
        }
        std::unique_ptr<qct_file> file(new qct_file());
        // Values longer than 4 KiB (pixel data) stay on disk until a frame is decoded.
        OFCondition cond = file->format.loadFile(OFFilename(path), EXS_Unknown, EGL_noChange,
                                                 4096, ERM_autoDetect);
        if (cond.bad()) {
            // A stream that ends early is a truncated DICOM file only if it says it is DICOM
            // (the "DICM" prefix after the preamble); otherwise it is not DICOM at all.
            qct_error_kind kind = qct_read_kind(cond);
            if (kind == QCT_ERROR_TRUNCATED && !hasDicomPrefix(path)) kind = QCT_ERROR_NOT_DICOM;
            qct_set_condition(err, kind, cond, "cannot parse as DICOM");
            return static_cast<qct_file *>(nullptr);
        }
        DcmMetaInfo *meta = file->format.getMetaInfo();
        const bool hasMeta = meta != nullptr && meta->card() > 0;
        if (hasMeta && !meta->tagExistsWithValue(DCM_TransferSyntaxUID)) {
            qct_set_error(err, QCT_ERROR_NOT_DICOM, 12, "qct", "meta header has no Transfer Syntax UID (0002,0010); the data set's encoding is unknown");
            return static_cast<qct_file *>(nullptr);
        }
        DcmDataset *ds = file->format.getDataset();
        if (ds == nullptr || ds->card() == 0) {
            qct_set_error(err, QCT_ERROR_NOT_DICOM, 1, "qct", "no DICOM data set in file");
            return static_cast<qct_file *>(nullptr);
        }
        file->path = path;
        file->pixel_offset = scan.pixel_offset;
        file->pixel_length = scan.pixel_length;
        return file.release();
    });
}

void qct_close(qct_file *file) { delete file; }  // destructors do not throw

int qct_transfer_syntax(const qct_file *file, char *buf, size_t cap) {
    return qct_guard(static_cast<qct_error *>(nullptr), -1, [&]() -> int {
        auto *ds = const_cast<DcmFileFormat &>(file->format).getDataset();
        DcmXfer xfer(ds->getOriginalXfer());
        if (xfer.getXfer() == EXS_Unknown || cap == 0) return -1;
        std::strncpy(buf, xfer.getXferID(), cap - 1);
        buf[cap - 1] = '\0';
        return static_cast<int>(std::strlen(buf));
    });
}

static DcmTagKey keyOf(uint32_t tag) {
    return DcmTagKey(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xFFFF));
}

/// Walks (tag, item)* pairs of `path` except its last tag; returns the item
/// that should hold the last tag, or nullptr.
static DcmItem *walk(const qct_file *file, const uint32_t *path, size_t len) {
    auto &format = const_cast<DcmFileFormat &>(file->format);
    DcmItem *item = ((path[0] >> 16) == 0x0002 && len == 1)
                        ? static_cast<DcmItem *>(format.getMetaInfo())
                        : static_cast<DcmItem *>(format.getDataset());
    for (size_t i = 0; i + 2 < len && item != nullptr; i += 2) {
        DcmItem *next = nullptr;
        const auto index = static_cast<signed long>(path[i + 1]);
        if (item->findAndGetSequenceItem(keyOf(path[i]), next, index).bad()) return nullptr;
        item = next;
    }
    return item;
}

int qct_get_string(const qct_file *file, const uint32_t *path, size_t path_len,
                   char *buf, size_t cap) {
    return qct_guard(static_cast<qct_error *>(nullptr), -1, [&]() -> int {
        if (path_len == 0 || path_len % 2 == 0 || cap == 0) return -1;
        DcmItem *item = walk(file, path, path_len);
        if (item == nullptr) return -1;
        OFString value;
        if (item->findAndGetOFStringArray(keyOf(path[path_len - 1]), value).bad() || value.empty())
            return -1;
        const size_t n = value.length() < cap - 1 ? value.length() : cap - 1;
        std::memcpy(buf, value.c_str(), n);
        buf[n] = '\0';
        return static_cast<int>(n);
    });
}

int qct_item_count(const qct_file *file, const uint32_t *path, size_t path_len) {
    return qct_guard(static_cast<qct_error *>(nullptr), -1, [&]() -> int {
        if (path_len == 0 || path_len % 2 == 0) return -1;
        DcmItem *item = walk(file, path, path_len);
        if (item == nullptr) return -1;
        DcmSequenceOfItems *seq = nullptr;
        if (item->findAndGetSequence(keyOf(path[path_len - 1]), seq).bad() || seq == nullptr) return -1;
        return static_cast<int>(seq->card());
    });
}

int qct_write_modified(const char *src, const char *dst, const uint32_t *tags,
                       const char *const *values, size_t count, qct_error *err) {
    return qct_guard(err, -1, [&]() -> int {
        qct_init();
        DcmFileFormat format;
        OFCondition cond = format.loadFile(OFFilename(src));
        if (cond.bad()) { qct_set_condition(err, qct_read_kind(cond), cond, std::string("cannot read ") + src); return -1; }
        DcmDataset *ds = format.getDataset();
        const E_TransferSyntax xfer = ds->getOriginalXfer();
        for (size_t i = 0; i < count; ++i) {
            cond = ds->putAndInsertString(DcmTag(keyOf(tags[i])), values[i]);
            if (cond.bad()) { qct_set_condition(err, QCT_ERROR_ARGUMENT, cond, "cannot set attribute"); return -1; }
        }
        cond = format.saveFile(OFFilename(dst), xfer);
        if (cond.bad()) { qct_set_condition(err, QCT_ERROR_WRITE, cond, std::string("cannot write ") + dst); return -1; }
        return 0;
    });
}
