// How deep a file's sequences nest, read from its raw bytes before DCMTK parses it: DCMTK
// parses nested sequences by recursion with no limit, and a few hundred kilobytes of nesting
// overflow the stack (PS3.5 7.5 for the item and delimiter encoding).
#include "shim_internal.h"

#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr uint32_t kUndefined = 0xFFFFFFFFu;

struct Reader {
    const uint8_t *p;
    size_t n;
    bool big = false;
    uint16_t u16(size_t at) const { return big ? uint16_t(p[at] << 8 | p[at + 1]) : uint16_t(p[at] | p[at + 1] << 8); }
    uint32_t u32(size_t at) const {
        return big ? uint32_t(p[at]) << 24 | uint32_t(p[at + 1]) << 16 | uint32_t(p[at + 2]) << 8 | p[at + 3]
                   : uint32_t(p[at]) | uint32_t(p[at + 1]) << 8 | uint32_t(p[at + 2]) << 16 | uint32_t(p[at + 3]) << 24;
    }
};

/// Value representations whose explicit encoding has a 4-byte length (PS3.5 7.1.2).
bool longForm(const uint8_t *vr) {
    static const char *const forms[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
    for (const char *f : forms)
        if (vr[0] == f[0] && vr[1] == f[1]) return true;
    return false;
}

enum class Frame { sequence, item, fragments };
struct Open { Frame kind; uint64_t end; };  // end: offset where a defined length ends, or UINT64_MAX

}  // namespace

int qct_sequence_depth(const uint8_t *data, size_t size, int limit) {
    Reader r{data, size};
    size_t pos = 0;
    if (size >= 132 && std::memcmp(data + 128, "DICM", 4) == 0) pos = 132;
    // File meta information: group 0002, explicit VR little endian.
    std::string syntax;
    bool sawMeta = false;
    while (pos + 8 <= size && r.u16(pos) == 0x0002) {
        sawMeta = true;
        const bool wide = longForm(data + pos + 4);
        const size_t header = wide ? 12 : 8;
        if (pos + header > size) return 0;
        const uint32_t length = wide ? r.u32(pos + 8) : r.u16(pos + 6);
        if (length == kUndefined || length > size - pos - header) return 0;
        if (r.u16(pos + 2) == 0x0010) syntax.assign(reinterpret_cast<const char *>(data + pos + header), length);
        pos += header + length;
    }
    while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' ')) syntax.pop_back();
    // Deflated data sets are inflated by DCMTK; their nesting cannot be read from the raw bytes.
    if (syntax == "1.2.840.10008.1.2.1.99") return 0;
    bool explicitVR = true;
    if (syntax == "1.2.840.10008.1.2") explicitVR = false;
    else if (syntax == "1.2.840.10008.1.2.2") r.big = true;
    else if (!sawMeta && pos + 6 <= size) {
        // No meta information: explicit when two upper-case letters stand where a VR would.
        const uint8_t *vr = data + pos + 4;
        explicitVR = vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z';
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
        if (pos + 8 > size) break;
        const uint16_t group = r.u16(pos), element = r.u16(pos + 2);
        if (group == 0xFFFE) {
            const uint32_t length = r.u32(pos + 4);
            pos += 8;
            if (element == 0xE000) {
                if (!open.empty() && open.back().kind == Frame::fragments) {
                    if (length == kUndefined || length > size - pos) break;
                    pos += length;  // a compressed fragment: bytes, not a data set
                } else {
                    open.push_back({Frame::item, length == kUndefined ? UINT64_MAX : uint64_t(pos) + length});
                    // Items nest only inside sequences: more open containers than `limit` sequences
                    // with their items allow is nesting too deep, whatever the tags say.
                    if (open.size() > size_t(2 * limit + 4)) return limit + 1;
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
            const uint8_t *vr = data + pos + 4;
            if (longForm(vr)) {
                if (pos + 12 > size) break;
                header = 12;
                length = r.u32(pos + 8);
            } else {
                length = r.u16(pos + 6);
            }
            sequence = (vr[0] == 'S' && vr[1] == 'Q') || (vr[0] == 'U' && vr[1] == 'N' && length == kUndefined);
            fragments = !sequence && length == kUndefined;
        } else {
            length = r.u32(pos + 4);
            if (length == kUndefined) {
                fragments = group == 0x7FE0 && element == 0x0010;
                sequence = !fragments;
            } else if (length >= 8 && pos + 16 <= size) {
                // A defined-length value that starts with an item is a sequence (as DCMTK reads it).
                sequence = r.u16(pos + 8) == 0xFFFE && r.u16(pos + 10) == 0xE000;
            }
        }
        pos += header;
        if (sequence || fragments) {
            if (length != kUndefined && length > size - pos) break;
            open.push_back({sequence ? Frame::sequence : Frame::fragments, length == kUndefined ? UINT64_MAX : uint64_t(pos) + length});
            if (sequence && ++depth > deepest) deepest = depth;
            if (deepest > limit) return deepest;
            continue;
        }
        if (length == kUndefined || length > size - pos) break;  // DCMTK will say what is wrong
        pos += length;
    }
    return deepest;
}

int qct_file_sequence_depth(const char *path, int limit) {
    const int fd = ::open(path, O_RDONLY);
    if (fd < 0) return 0;
    struct stat st;
    int depth = 0;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
        void *map = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            depth = qct_sequence_depth(static_cast<const uint8_t *>(map), size_t(st.st_size), limit);
            ::munmap(map, size_t(st.st_size));
        }
    }
    ::close(fd);
    return depth;
}
