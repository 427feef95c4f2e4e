// How deep a file's sequences nest, read from its raw bytes before DCMTK parses it: DCMTK
// parses nested sequences by recursion with no limit, and a few hundred kilobytes of nesting
// overflow the stack (PS3.5 7.5 for the item and delimiter encoding).
#include "shim_internal.h"

#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr uint32_t kUndefined = 0xFFFFFFFFu;

/// Bytes of an open file, read through a window by `pread`: only the element headers are read,
/// and a value the scan skips (Pixel Data above all) is never touched. Mapping the file instead
/// cost an mmap and an munmap (a TLB shootdown across threads) per file.
struct FileSource {
    static constexpr size_t kWindow = 16384;
    int fd;
    size_t n;
    std::vector<uint8_t> &buffer;
    size_t start = 0, filled = 0;
    const uint8_t *get(size_t at, size_t len) {
        if (len > n || at > n - len) return nullptr;
        if (at >= start && at - start + len <= filled) return buffer.data() + (at - start);
        size_t want = len > kWindow ? len : kWindow;
        if (want > n - at) want = n - at;
        if (buffer.size() < want) buffer.resize(want);
        size_t got = 0;
        while (got < want) {
            const ssize_t r = ::pread(fd, buffer.data() + got, want - got, off_t(at + got));
            if (r <= 0) break;
            got += size_t(r);
        }
        start = at;
        filled = got;
        return got >= len ? buffer.data() : nullptr;
    }
};

uint16_t u16(const uint8_t *p, bool big) { return big ? uint16_t(p[0] << 8 | p[1]) : uint16_t(p[0] | p[1] << 8); }
uint32_t u32(const uint8_t *p, bool big) {
    return big ? uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]
               : uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

/// Value representations whose explicit encoding has a 4-byte length (PS3.5 7.1.2).
bool longForm(const uint8_t *vr) {
    static const char *const forms[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
    for (const char *f : forms)
        if (vr[0] == f[0] && vr[1] == f[1]) return true;
    return false;
}

enum class Frame { sequence, item, fragments };
struct Open { Frame kind; uint64_t end; };  // end: offset where a defined length ends, or UINT64_MAX

/// The scan itself, over the file's bytes as `src` reads them.
qct_layout_scan scan(FileSource &src, size_t size, int limit) {
    qct_layout_scan result = {};
    bool big = false;
    size_t pos = 0;
    if (const uint8_t *prefix = src.get(128, 4); prefix != nullptr && std::memcmp(prefix, "DICM", 4) == 0) pos = 132;
    // File meta information: group 0002, explicit VR little endian.
    std::string syntax;
    bool sawMeta = false;
    while (true) {
        const uint8_t *h = src.get(pos, 8);
        if (h == nullptr || u16(h, false) != 0x0002) break;
        sawMeta = true;
        const bool wide = longForm(h + 4);
        const size_t header = wide ? 12 : 8;
        if ((h = src.get(pos, header)) == nullptr) return result;
        const uint32_t length = wide ? u32(h + 8, false) : u16(h + 6, false);
        if (length == kUndefined || length > size - pos - header) return result;
        if (u16(h + 2, false) == 0x0010) {
            // A UID has at most 64 characters: a longer value names no syntax this scan knows.
            const uint8_t *v = length <= 256 ? src.get(pos + header, length) : nullptr;
            if (v != nullptr) syntax.assign(reinterpret_cast<const char *>(v), length); else syntax = "?";
        }
        pos += header + length;
    }
    while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' ')) syntax.pop_back();
    // Deflated data sets are inflated by DCMTK; their nesting cannot be read from the raw bytes.
    if (syntax == "1.2.840.10008.1.2.1.99") return result;
    const bool littleEndianNamed = sawMeta && (syntax == "1.2.840.10008.1.2" || syntax == "1.2.840.10008.1.2.1");
    bool explicitVR = true;
    if (syntax == "1.2.840.10008.1.2") explicitVR = false;
    else if (syntax == "1.2.840.10008.1.2.2") big = true;
    else if (!sawMeta) {
        // No meta information: explicit when two upper-case letters stand where a VR would.
        if (const uint8_t *vr = src.get(pos + 4, 2)) explicitVR = vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z';
    }
    std::vector<Open> open;
    int depth = 0, deepest = 0;
    auto pop = [&](Frame until) {
        while (!open.empty()) {
            const Frame k = open.back().kind;
            if (k == Frame::sequence) --depth;
            open.pop_back();
            if (k == until || (until == Frame::sequence && k == Frame::fragments)) break;
        }
    };
    while (pos < size) {
        while (!open.empty() && open.back().end != UINT64_MAX && pos >= open.back().end) pop(open.back().kind);
        const uint8_t *h = src.get(pos, 8);
        if (h == nullptr) break;
        const uint16_t group = u16(h, big), element = u16(h + 2, big);
        if (group == 0xFFFE) {
            const uint32_t length = u32(h + 4, big);
            pos += 8;
            if (element == 0xE000) {
                if (!open.empty() && open.back().kind == Frame::fragments) {
                    if (length == kUndefined || length > size - pos) break;
                    pos += length;  // a compressed fragment: bytes, not a data set
                } else {
                    open.push_back({Frame::item, length == kUndefined ? UINT64_MAX : uint64_t(pos) + length});
                    // Items nest only inside sequences: more open containers than `limit` sequences
                    // with their items allow is nesting too deep, whatever the tags say.
                    if (open.size() > size_t(2 * limit + 4)) { result.depth = limit + 1; return result; }
                }
            } else if (element == 0xE00D) {
                pop(Frame::item);
            } else if (element == 0xE0DD) {
                pop(Frame::sequence);
            }
            continue;
        }
        size_t header = 8;
        uint32_t length = 0;
        bool sequence = false, fragments = false;
        if (explicitVR) {
            if (longForm(h + 4)) {
                if ((h = src.get(pos, 12)) == nullptr) break;
                header = 12;
                length = u32(h + 8, big);
            } else {
                length = u16(h + 6, big);
            }
            sequence = (h[4] == 'S' && h[5] == 'Q') || (h[4] == 'U' && h[5] == 'N' && length == kUndefined);
            fragments = !sequence && length == kUndefined;
        } else {
            length = u32(h + 4, big);
            if (length == kUndefined) {
                fragments = group == 0x7FE0 && element == 0x0010;
                sequence = !fragments;
            } else if (length >= 8) {
                // A defined-length value that starts with an item is a sequence (as DCMTK reads it).
                if (const uint8_t *v = src.get(pos, 16)) sequence = u16(v + 8, big) == 0xFFFE && u16(v + 10, big) == 0xE000;
            }
        }
        pos += header;
        if (sequence || fragments) {
            if (length != kUndefined && length > size - pos) break;
            open.push_back({sequence ? Frame::sequence : Frame::fragments, length == kUndefined ? UINT64_MAX : uint64_t(pos) + length});
            if (sequence && ++depth > deepest) deepest = depth;
            if (deepest > limit) { result.depth = deepest; return result; }
            continue;
        }
        if (length == kUndefined || length > size - pos) break;  // DCMTK will say what is wrong
        // Native Pixel Data of the data set itself (not inside a sequence) in little-endian order:
        // where its bytes lie, for reading them without a copy through DCMTK's stream.
        // Only where the meta header names the syntax, so this scan and DCMTK read the same encoding.
        if (group == 0x7FE0 && element == 0x0010 && open.empty() && littleEndianNamed && result.pixel_offset == 0) {
            result.pixel_offset = pos;
            result.pixel_length = length;
        }
        pos += length;
    }
    result.depth = deepest;
    return result;
}

}  // namespace

qct_layout_scan qct_scan_file(const char *path, int limit) {
    qct_layout_scan result = {};
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return result;
    struct stat st;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
        thread_local std::vector<uint8_t> buffer;
        FileSource src{fd, size_t(st.st_size), buffer};
        result = scan(src, size_t(st.st_size), limit);
        // A window grown for a long value is not kept between files.
        if (buffer.capacity() > 4 * FileSource::kWindow) std::vector<uint8_t>().swap(buffer);
    }
    ::close(fd);
    return result;
}
