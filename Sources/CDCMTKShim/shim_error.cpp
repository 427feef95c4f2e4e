// Error funnel: every failure crossing into Swift is shaped here.
#include "shim_internal.h"
#include <cstring>

void qct_set_error(qct_error *err, int32_t code, const char *module, const std::string &text) {
    if (err == nullptr) return;
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

void qct_set_condition(qct_error *err, const OFCondition &cond, const std::string &context) {
    std::string text = context.empty() ? std::string(cond.text()) : context + ": " + cond.text();
    qct_set_error(err, static_cast<int32_t>(cond.code()), moduleName(cond.module()), text);
}
