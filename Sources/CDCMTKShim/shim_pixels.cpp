// Pixel data: layout, frame extraction and conversion to stored values.
#include "shim_internal.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dccodec.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

static bool getU16(DcmDataset *ds, const DcmTagKey &key, Uint16 &out) {
    return ds->findAndGetUint16(key, out).good();
}

int qct_pixel_layout_of(const qct_file *file, qct_pixel_layout *layout, qct_error *err) {
    return qct_guard(err, -1, [&]() -> int {
        DcmDataset *ds = const_cast<DcmFileFormat &>(file->format).getDataset();
        std::memset(layout, 0, sizeof(*layout));
        Uint16 rows = 0, cols = 0, spp = 1, ba = 0, bs = 0, hb = 0, pr = 0;
        if (!getU16(ds, DCM_Rows, rows) || !getU16(ds, DCM_Columns, cols) || rows == 0 || cols == 0) {
            qct_set_error(err, QCT_ERROR_NO_IMAGE, 2, "qct", "no image: Rows/Columns missing or zero");
            return -1;
        }
        if (!getU16(ds, DCM_BitsAllocated, ba) || ba == 0) {
            qct_set_error(err, QCT_ERROR_BAD_ATTRIBUTE, 3, "qct", "Bits Allocated (0028,0100) missing");
            return -1;
        }
        getU16(ds, DCM_SamplesPerPixel, spp);
        if (!getU16(ds, DCM_BitsStored, bs) || bs == 0 || bs > ba) bs = ba;
        if (!getU16(ds, DCM_HighBit, hb) || hb >= ba || hb + 1 < bs) hb = bs - 1;
        getU16(ds, DCM_PixelRepresentation, pr);
        Sint32 frames = 1;
        if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;
        layout->rows = rows;
        layout->columns = cols;
        layout->frames = static_cast<uint32_t>(frames);
        layout->samples_per_pixel = spp;
        layout->bits_allocated = ba;
        layout->bits_stored = bs;
        layout->high_bit = hb;
        layout->pixel_representation = pr ? 1 : 0;
        layout->has_pixel_data = ds->tagExists(DCM_PixelData) ? 1 : 0;
        const DcmXfer xfer(ds->getOriginalXfer());
        layout->encapsulated = xfer.isEncapsulated() ? 1 : 0;
        DcmElement *element = nullptr;
        if (ds->findAndGetElement(DCM_PixelData, element).bad()) element = nullptr;
        // A deflated data set is smaller on disk than it reads: its length says nothing about the file.
        const bool deflated = xfer.getStreamCompression() != ESC_none;
        if (!xfer.isEncapsulated() && !deflated && element != nullptr) {
            const Uint32 length = element->getLength();
            layout->pixel_data_length = length == DCM_UndefinedLength ? 0 : length;
        }
        // Pixel Data read as something else (VR UN of undefined length is parsed as a sequence,
        // CP-246) is not DcmPixelData: treating it as one read freed memory (a fuzzing finding).
        if (xfer.isEncapsulated() && element != nullptr && element->ident() == EVR_PixelData) {
            DcmPixelSequence *seq = nullptr;
            auto *pixels = OFstatic_cast(DcmPixelData *, element);
            if (pixels->getEncapsulatedRepresentation(xfer.getXfer(), nullptr, seq).good() && seq != nullptr) {
                layout->fragment_items = static_cast<uint32_t>(seq->card());
                uint64_t bytes = 0;
                for (unsigned long i = 0; i < seq->card(); ++i) {
                    DcmPixelItem *item = nullptr;
                    if (seq->getItem(item, i).good() && item != nullptr) bytes += item->getLength();
                }
                layout->fragment_bytes = bytes;
            }
        }
        return 0;
    });
}

static bool isJPEG2000(E_TransferSyntax xfer) {
    return xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000 ||
           xfer == EXS_JPEG2000MulticomponentLosslessOnly || xfer == EXS_JPEG2000Multicomponent;
}

/// HTJ2K syntaxes are newer than this DCMTK; recognise them by UID.
static bool isHTJ2K(const char *uid) {
    return std::strcmp(uid, "1.2.840.10008.1.2.4.201") == 0 ||
           std::strcmp(uid, "1.2.840.10008.1.2.4.202") == 0 ||
           std::strcmp(uid, "1.2.840.10008.1.2.4.203") == 0;
}

/// Whether an RLE frame's 64-byte header is sound (PS3.5 G.5): one segment per byte of each
/// sample (1–15), the first at offset 64, offsets increasing and inside the frame.
static bool rleHeaderValid(const std::vector<uint8_t> &frame, const qct_pixel_layout &layout) {
    if (frame.size() < 64) return false;
    auto u32 = [&](size_t at) {
        return static_cast<uint32_t>(frame[at]) | static_cast<uint32_t>(frame[at + 1]) << 8 |
               static_cast<uint32_t>(frame[at + 2]) << 16 | static_cast<uint32_t>(frame[at + 3]) << 24;
    };
    const uint32_t segments = u32(0);
    if (segments < 1 || segments > 15) return false;
    if (segments != static_cast<uint32_t>(layout.samples_per_pixel) * (layout.bits_allocated / 8u)) return false;
    uint32_t previous = 0;
    for (uint32_t k = 0; k < segments; ++k) {
        const uint32_t offset = u32(4 + 4 * k);
        if ((k == 0 && offset != 64) || offset <= previous || offset >= frame.size()) return false;
        previous = offset;
    }
    return true;
}

/// Collects the compressed bytes of one frame from the encapsulated pixel sequence.
static int collectFrame(DcmPixelSequence *seq, uint32_t frame, uint32_t frames,
                        std::vector<uint8_t> &out, qct_error *err) {
    const unsigned long fragments = seq->card();  // item 0 is the offset table
    if (fragments < 2) { qct_set_error(err, QCT_ERROR_DECODE, 4, "qct", "encapsulated pixel data has no fragments"); return -1; }
    auto append = [&](unsigned long index) -> bool {
        DcmPixelItem *item = nullptr;
        if (seq->getItem(item, index).bad() || item == nullptr) return false;
        Uint8 *bytes = nullptr;
        if (item->getUint8Array(bytes).bad()) return false;
        const Uint32 len = item->getLength();
        if (len > 0 && bytes != nullptr) out.insert(out.end(), bytes, bytes + len);
        return true;
    };
    if (frames == 1) {
        for (unsigned long i = 1; i < fragments; ++i)
            if (!append(i)) { qct_set_error(err, QCT_ERROR_DECODE, 5, "qct", "unreadable pixel fragment"); return -1; }
        return 0;
    }
    Uint32 start = 0;
    OFCondition cond = DcmCodec::determineStartFragment(frame, static_cast<Sint32>(frames), seq, start);
    if (cond.bad()) { qct_set_condition(err, QCT_ERROR_DECODE, cond, "cannot locate frame in pixel sequence"); return -1; }
    Uint32 next = fragments;
    if (frame + 1 < frames) {
        if (DcmCodec::determineStartFragment(frame + 1, static_cast<Sint32>(frames), seq, next).bad())
            next = start + 1;
    }
    for (unsigned long i = start; i < next && i < fragments; ++i)
        if (!append(i)) { qct_set_error(err, QCT_ERROR_DECODE, 5, "qct", "unreadable pixel fragment"); return -1; }
    return 0;
}

/// Whether a frame's bytes can be read from the file as they lie: native (not encapsulated, not
/// deflated) little-endian data on a little-endian machine, whose Pixel Data the raw scan found at
/// the data set's top level with the very length DCMTK parsed.
static bool directlyReadable(const qct_file &file, const DcmXfer &xfer, const qct_pixel_layout &layout, Uint32 length) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return file.pixel_offset != 0 && file.pixel_length == length && !xfer.isEncapsulated() &&
           xfer.getStreamCompression() == ESC_none && !xfer.isBigEndian() &&
           (layout.bits_allocated == 8 || layout.bits_allocated == 16 || layout.bits_allocated == 32);
#else
    (void)file; (void)xfer; (void)layout; (void)length;
    return false;
#endif
}

/// Reads frame `frame` (`bytes` long; frames lie one after another) of native Pixel Data into `out`.
static int readFrameBytes(const qct_file &file, uint32_t frame, size_t bytes, uint8_t *out, qct_error *err) {
    const uint64_t at = file.pixel_offset + uint64_t(frame) * bytes;
    if (at + bytes > file.pixel_offset + file.pixel_length) {
        qct_set_error(err, QCT_ERROR_TRUNCATED, 11, "qct", "frame " + std::to_string(frame) + " lies past the end of Pixel Data");
        return -1;
    }
    const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        qct_set_error(err, QCT_ERROR_IO, 17, "qct", std::string("cannot reopen for pixel data: ") + std::strerror(errno));
        return -1;
    }
    size_t got = 0;
    while (got < bytes) {
        const ssize_t r = ::pread(fd, out + got, bytes - got, off_t(at + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += size_t(r);
    }
    ::close(fd);
    if (got < bytes) {
        qct_set_error(err, QCT_ERROR_TRUNCATED, 11, "qct", "Pixel Data ends " + std::to_string(bytes - got) + " bytes short in frame " +
                                                           std::to_string(frame) + " (file truncated since it was opened?)");
        return -1;
    }
    return 0;
}

int qct_decode_frame(qct_file *file, uint32_t frame, int32_t *out, size_t count, qct_error *err) {
    return qct_decode_frame_as(file, frame, out, count, QCT_SAMPLES_INT32, err);
}

int qct_decode_frame_as(qct_file *file, uint32_t frame, void *out, size_t count, qct_sample_type type, qct_error *err) {
    return qct_guard(err, -1, [&]() -> int {
        qct_pixel_layout layout;
        if (qct_pixel_layout_of(file, &layout, err) != 0) return -1;
        if (!layout.has_pixel_data) { qct_set_error(err, QCT_ERROR_BAD_ATTRIBUTE, 6, "qct", "no Pixel Data (7FE0,0010)"); return -1; }
        if (layout.samples_per_pixel != 1) {
            qct_set_error(err, QCT_ERROR_UNSUPPORTED, 7, "qct", "colour image (" + std::to_string(layout.samples_per_pixel) +
                                             " samples per pixel); CT needs one grey sample");
            return -1;
        }
        if (frame >= layout.frames) { qct_set_error(err, QCT_ERROR_ARGUMENT, 8, "qct", "frame index out of range"); return -1; }
        const size_t pixels = static_cast<size_t>(layout.rows) * layout.columns;
        if (count < pixels) { qct_set_error(err, QCT_ERROR_ARGUMENT, 9, "qct", "output buffer too small"); return -1; }
        if (layout.bits_allocated != 8 && layout.bits_allocated != 16 && layout.bits_allocated != 32) {
            qct_set_error(err, QCT_ERROR_UNSUPPORTED, 10, "qct", "unsupported Bits Allocated " + std::to_string(layout.bits_allocated));
            return -1;
        }
        if (!qct_type_holds(layout, type)) {
            qct_set_error(err, QCT_ERROR_ARGUMENT, 15, "qct", "output width cannot hold " + std::to_string(layout.bits_stored) + "-bit " +
                                                  (layout.pixel_representation ? "signed" : "unsigned") + " samples");
            return -1;
        }

        DcmDataset *ds = file->format.getDataset();
        DcmElement *element = nullptr;
        if (ds->findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) {
            qct_set_error(err, QCT_ERROR_BAD_ATTRIBUTE, 6, "qct", "no Pixel Data (7FE0,0010)");
            return -1;
        }
        if (element->ident() != EVR_PixelData) {
            qct_set_error(err, QCT_ERROR_BAD_ATTRIBUTE, 6, "qct",
                          std::string("Pixel Data (7FE0,0010) could not be read as pixel data (parsed as VR ") +
                              DcmVR(element->ident()).getVRName() + ")");
            return -1;
        }
        auto *pixelData = OFstatic_cast(DcmPixelData *, element);
        DcmXfer xfer(ds->getOriginalXfer());

        if (xfer.isEncapsulated() && (isJPEG2000(xfer.getXfer()) || isHTJ2K(xfer.getXferID()))) {
            DcmPixelSequence *seq = nullptr;
            OFCondition cond = pixelData->getEncapsulatedRepresentation(xfer.getXfer(), nullptr, seq);
            if (cond.bad() || seq == nullptr) { qct_set_condition(err, QCT_ERROR_DECODE, cond, "cannot access encapsulated pixel data"); return -1; }
            std::vector<uint8_t> stream;
            if (collectFrame(seq, frame, layout.frames, stream, err) != 0) return -1;
            return qct_decode_j2k(stream, layout, type, out, count, err);
        }

        if (xfer.getXfer() == EXS_RLELossless) {
            // DCMTK's RLE decoder trusts the segment offsets of each frame's header and reads
            // wherever they point; check them first (PS3.5 G.5).
            DcmPixelSequence *seq = nullptr;
            OFCondition found = pixelData->getEncapsulatedRepresentation(xfer.getXfer(), nullptr, seq);
            if (found.bad() || seq == nullptr) { qct_set_condition(err, QCT_ERROR_DECODE, found, "cannot access encapsulated pixel data"); return -1; }
            std::vector<uint8_t> stream;
            if (collectFrame(seq, frame, layout.frames, stream, err) != 0) return -1;
            if (!rleHeaderValid(stream, layout)) {
                qct_set_error(err, QCT_ERROR_DECODE, 14, "qct", "RLE frame " + std::to_string(frame) +
                              ": segment header invalid (segment count or offsets outside the frame's " + std::to_string(stream.size()) + " bytes)");
                return -1;
            }
        }

        Uint32 frameBytes = 0;
        OFCondition cond = pixelData->getUncompressedFrameSize(ds, frameBytes);
        if (cond.bad()) { qct_set_condition(err, QCT_ERROR_DECODE, cond, "cannot size frame"); return -1; }
        const size_t needed = pixels * (layout.bits_allocated / 8);
        if (frameBytes < needed) frameBytes = static_cast<Uint32>(needed);
        // 16-bit samples into a 16-bit output are decoded in place (DCMTK wants an even buffer
        // size, which a 16-bit frame has); anything else goes through a buffer.
        const bool inPlace = layout.bits_allocated == 16 && type != QCT_SAMPLES_INT32 && frameBytes == needed;
        thread_local std::vector<uint8_t> buffer;
        if (!inPlace) buffer.assign(frameBytes + (frameBytes & 1u), 0);
        uint8_t *target = inPlace ? static_cast<uint8_t *>(out) : buffer.data();
        const Uint32 targetBytes = inPlace ? frameBytes : static_cast<Uint32>(buffer.size());
        if (!xfer.isEncapsulated()) {
            // Uncompressed: the element must hold every frame, or the file is truncated.
            const Uint32 length = pixelData->getLength();
            const unsigned long long whole = static_cast<unsigned long long>(needed) * layout.frames;
            if (length < whole) {
                qct_set_error(err, QCT_ERROR_TRUNCATED, 11, "qct", "Pixel Data holds " + std::to_string(length) + " bytes, " +
                                                  std::to_string(whole) + " expected (truncated file?)");
                return -1;
            }
        }
        if (directlyReadable(*file, xfer, layout, pixelData->getLength())) {
            // Native little-endian samples: the frame's bytes read from the file straight into place.
            if (readFrameBytes(*file, frame, needed, target, err) != 0) return -1;
        } else {
            Uint32 start = 0;
            OFString colorModel;
            cond = pixelData->getUncompressedFrame(ds, frame, start, target, targetBytes, colorModel, &file->cache);
            if (cond.bad()) {
                qct_set_condition(err, qct_read_kind(cond) == QCT_ERROR_TRUNCATED ? QCT_ERROR_TRUNCATED : QCT_ERROR_DECODE, cond,
                                  "cannot decode frame " + std::to_string(frame));
                return -1;
            }
        }

        // DCMTK swaps OW pixel data of a big-endian file in 16-bit words; 32-bit
        // samples then arrive with their halves exchanged.
        if (layout.bits_allocated == 32 && !xfer.isEncapsulated() && xfer.isBigEndian() &&
            element->getVR() == EVR_OW) {
            auto *words = reinterpret_cast<uint16_t *>(buffer.data());
            for (size_t i = 0; i < pixels; ++i) std::swap(words[2 * i], words[2 * i + 1]);
        }

        if (inPlace) {
            // Mask and sign-extend where Bits Stored leaves bits over (a no-op when all 16 are stored
            // and the output's signedness is the data's).
            const bool exact = layout.bits_stored == 16 && layout.high_bit == 15 &&
                               (type == QCT_SAMPLES_INT16) == (layout.pixel_representation == 1);
            if (!exact) qct_store_in_place(static_cast<uint16_t *>(out), pixels, layout);
            return 0;
        }
        switch (layout.bits_allocated) {
        case 8: qct_store_samples(buffer.data(), pixels, layout, out, type); break;
        case 16: qct_store_samples(reinterpret_cast<const uint16_t *>(buffer.data()), pixels, layout, out, type); break;
        default: qct_store_samples(reinterpret_cast<const uint32_t *>(buffer.data()), pixels, layout, out, type); break;
        }
        return 0;
    });
}
