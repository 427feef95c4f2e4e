// Error funnel: every failure crossing into Swift is shaped here.
#include "shim_internal.h"
#include <cstring>

void qct_set_error(qct_error *err, qct_error_kind kind, int32_t code, const char *module, const std::string &text) noexcept {
    if (err == nullptr) return;
    err->kind = static_cast<int32_t>(kind);
    err->code = code;
    std::strncpy(err->module, module, sizeof(err->module) - 1);
    err->module[sizeof(err->module) - 1] = '\0';
    std::strncpy(err->text, text.c_str(), sizeof(err->text) - 1);
    err->text[sizeof(err->text) - 1] = '\0';
}

static const char *moduleName(unsigned short module) {
    switch (module) {
    case OFM_dcmdata: return "dcmdata";
    case OFM_dcmimgle: return "dcmimgle";
    case OFM_dcmjpeg: return "dcmjpeg";
    case OFM_dcmjpls: return "dcmjpls";
    case 0: return "ofstd";
    default: return "dcmtk";
    }
}

void qct_set_condition(qct_error *err, qct_error_kind kind, const OFCondition &cond, const std::string &context) {
    std::string text = context.empty() ? std::string(cond.text()) : context + ": " + cond.text();
    qct_set_error(err, kind, static_cast<int32_t>(cond.code()), moduleName(cond.module()), text);
}

qct_error_kind qct_read_kind(const OFCondition &cond) {
    if (cond == EC_StreamNotifyClient || cond == EC_EndOfStream) return QCT_ERROR_TRUNCATED;
    if (cond == EC_InvalidFilename || cond.module() == 0) return QCT_ERROR_IO;
    return QCT_ERROR_NOT_DICOM;
}

int qct_barrier_selftest(int which, qct_error *err) {
    return qct_guard(err, -1, [&]() -> int {
        switch (which) {
        case 1: throw std::bad_alloc();
        case 2: throw std::runtime_error("self-test");
        case 3: throw 3;
        default: return 0;
        }
    });
}
