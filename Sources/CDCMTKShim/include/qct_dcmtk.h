/*
 * qct_dcmtk.h — the pure-C face of qct's DICOM reader.
 *
 * Everything DCMTK (and OpenJPEG) stays behind this header: Swift sees only
 * opaque handles, plain integers and C strings. Each function says why it
 * exists.
 */
#ifndef QCT_DCMTK_H
#define QCT_DCMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What kind of failure a call reports: callers decide by this, never by
 *  the text. */
typedef enum qct_error_kind {
    QCT_ERROR_NONE = 0,
    /** The file cannot be read (missing, no permission, I/O error). */
    QCT_ERROR_IO = 1,
    /** No DICOM data set, or a header DCMTK cannot parse. */
    QCT_ERROR_NOT_DICOM = 2,
    /** The stream ends inside an element (a truncated file). */
    QCT_ERROR_TRUNCATED = 3,
    /** Valid DICOM that is not an image: no Rows/Columns. */
    QCT_ERROR_NO_IMAGE = 4,
    /** A required attribute is missing or impossible. */
    QCT_ERROR_BAD_ATTRIBUTE = 5,
    /** Colour, a bit depth or an encoding qct does not decode. */
    QCT_ERROR_UNSUPPORTED = 6,
    /** A codec failed on the pixel data (corrupt or truncated). */
    QCT_ERROR_DECODE = 7,
    /** A file could not be written. */
    QCT_ERROR_WRITE = 8,
    /** Memory ran out inside the shim (std::bad_alloc, stopped at the boundary). */
    QCT_ERROR_OUT_OF_MEMORY = 9,
    /** Any other C++ exception, stopped at the boundary. */
    QCT_ERROR_INTERNAL = 10,
    /** The caller passed something impossible (an index out of range, a buffer too small). */
    QCT_ERROR_ARGUMENT = 11
} qct_error_kind;

/** Why a call failed. `kind` says what happened; `module` and `code` keep
 *  DCMTK's OFCondition identity (module "qct" for the shim's own checks);
 *  `text` is one readable line. No C++ exception ever crosses this header:
 *  every function catches them and reports QCT_ERROR_OUT_OF_MEMORY or
 *  QCT_ERROR_INTERNAL. */
typedef struct qct_error {
    int32_t kind;
    int32_t code;
    char module[24];
    char text[488];
} qct_error;

/** An opened DICOM file (header parsed; large values such as pixel data are
 *  read from disk only when a frame is decoded). Not thread-safe: use one
 *  handle from one thread at a time. Distinct handles are independent. */
typedef struct qct_file qct_file;

/** Registers DCMTK's JPEG, JPEG-LS and RLE decoders exactly once; safe to
 *  call from any thread, any number of times. */
void qct_init(void);

/** Opens `path`: Part-10 files and bare datasets (no preamble, no meta
 *  header) in any transfer syntax DCMTK parses. Returns NULL and fills `err`
 *  when the file is not DICOM, is truncated inside the header, or cannot be
 *  read. */
qct_file *qct_open(const char *path, qct_error *err);

/** Releases a handle; NULL is ignored. */
void qct_close(qct_file *file);

/** The transfer syntax UID the dataset was read in, written to `buf`.
 *  Returns its length, or -1 when unknown. */
int qct_transfer_syntax(const qct_file *file, char *buf, size_t cap);

/** Reads one attribute as text. `path` holds 1 + 2k numbers: a tag, then
 *  (item index, tag) pairs descending into sequences, e.g.
 *  {PerFrameFunctionalGroups, 3, PlanePositionSequence, 0, ImagePosition}.
 *  A tag is (group << 16 | element). Multi-valued attributes come back
 *  joined with '\\'; numeric VRs are rendered as decimal text. Searches the
 *  meta header when the tag's group is 0x0002. Returns the text's length
 *  (truncated to cap - 1), or -1 when the attribute is absent or empty. */
int qct_get_string(const qct_file *file, const uint32_t *path, size_t path_len,
                   char *buf, size_t cap);

/** Number of items in the sequence at `path` (same encoding as
 *  qct_get_string); -1 when absent or not a sequence. */
int qct_item_count(const qct_file *file, const uint32_t *path, size_t path_len);

/** Pixel layout the decoder needs, taken from the dataset. */
typedef struct qct_pixel_layout {
    uint32_t rows;
    uint32_t columns;
    uint32_t frames;
    uint16_t samples_per_pixel;
    uint16_t bits_allocated;
    uint16_t bits_stored;
    uint16_t high_bit;
    uint16_t pixel_representation; /* 0 unsigned, 1 two's complement */
    uint16_t has_pixel_data;
    /** 1 when the pixel data is encapsulated (compressed fragments). */
    uint16_t encapsulated;
    /** The Pixel Data element's declared length in bytes (native data);
     *  0 when unknown (undefined length, encapsulated). Read from the header,
     *  before anything is allocated for the pixels. */
    uint64_t pixel_data_length;
    /** Encapsulated data: items in the pixel sequence (the offset table
     *  included) and their total length in bytes; 0 otherwise. */
    uint32_t fragment_items;
    uint64_t fragment_bytes;
} qct_pixel_layout;

/** Fills `layout`; returns 0, or -1 with `err` when a required attribute is
 *  missing or impossible. */
int qct_pixel_layout_of(const qct_file *file, qct_pixel_layout *layout, qct_error *err);

/** Decodes frame `frame` (0-based) of a single-sample image into `out`
 *  (rows × columns stored values, row-major), each value masked to Bits
 *  Stored and sign-extended when Pixel Representation is 1: the raw stored
 *  values, before any modality LUT. Uncompressed (any byte order, deflated),
 *  JPEG, JPEG-LS and RLE go through DCMTK; JPEG 2000 (lossless, lossy, HTJ2K)
 *  through OpenJPEG. Returns 0, or -1 with `err`. */
int qct_decode_frame(qct_file *file, uint32_t frame, int32_t *out, size_t count,
                     qct_error *err);

/** Sequences nested deeper than this are refused when a file is opened, before DCMTK parses
 *  it (DCMTK recurses once per level, without limit). */
#define QCT_MAX_SEQUENCE_DEPTH 16

/** Widths a frame can be decoded to (`qct_decode_frame_as`). */
typedef enum qct_sample_type {
    QCT_SAMPLES_INT32 = 0,
    QCT_SAMPLES_INT16 = 1,
    QCT_SAMPLES_UINT16 = 2
} qct_sample_type;

/** `qct_decode_frame` into `count` values of `type` at `out`. The type must hold every value
 *  the layout allows (INT16: signed with Bits Stored ≤ 16 or unsigned ≤ 15; UINT16: unsigned
 *  ≤ 16; INT32: any), else -1 with a QCT_ERROR_ARGUMENT error. Native 16-bit data is decoded
 *  straight into `out` with no intermediate copy. */
int qct_decode_frame_as(qct_file *file, uint32_t frame, void *out, size_t count, qct_sample_type type,
                        qct_error *err);

/* ---- Writing (used by tests and the benchmark to build series) ---- */

/** Copies `src` to `dst` with the given attributes replaced (text values,
 *  `tags[i]` ← `values[i]`, VR taken from the data dictionary). The output is
 *  Part-10 in the source's transfer syntax. Returns 0, or -1 with `err`. */
int qct_write_modified(const char *src, const char *dst, const uint32_t *tags,
                       const char *const *values, size_t count, qct_error *err);

/** Writes a new single-frame grey image as a Part-10 file in explicit VR
 *  little endian: the given text attributes (`tags[i]` ← `values[i]`, VR from
 *  the data dictionary, numbers given as text) and `rows` × `columns` signed
 *  16-bit pixels (Pixel Data, OW). DCMTK builds the meta header. The file is
 *  written to `path` + ".part" and renamed into place. Returns 0, or -1 with
 *  `err`. */
int qct_write_image16(const char *path, const uint32_t *tags, const char *const *values, size_t count,
                      const int16_t *pixels, uint32_t rows, uint32_t columns, qct_error *err);

/** Self-test of the exception barrier every function above runs in: throws
 *  std::bad_alloc (which = 1), std::runtime_error (2) or an int (3) inside
 *  it and returns what the barrier made of it: -1 with `err` filled. 0 for
 *  any other `which`. */
int qct_barrier_selftest(int which, qct_error *err);


/* ---- DICOM Storage SCP (dcmnet) ---- */

/** A running Storage SCP: C-ECHO, and C-STORE of the SOP classes configured, over DCMTK's dcmnet,
 *  one thread per association. */
typedef struct qct_scp qct_scp;

/** Called on an association's thread for each instance received, before the C-STORE response:
 *  the data set is complete, exactly as sent, in the file at `path` (a temporary name in the
 *  incoming folder). Return 0 (Success) when the node kept it (it must then have moved or copied
 *  the file), or the DIMSE status to answer instead (0xA700 out of resources, 0xC000 cannot
 *  understand); the file is then deleted. */
typedef uint16_t (*qct_scp_stored)(void *context, const char *path, const char *sop_class_uid,
                                   const char *sop_instance_uid, const char *calling_ae, const char *peer_ip);
/** Called for association events, for the log: 1 accepted, 2 refused (`detail` gives the DICOM
 *  reason), 3 ended, 4 an error inside the association. */
typedef void (*qct_scp_event)(void *context, int event, const char *calling_ae, const char *peer_ip, const char *detail);

typedef struct qct_scp_config {
    const char *ae_title;              /**< the called AE title answered; others are refused */
    uint16_t port;                     /**< 0: any free port (see qct_scp_port) */
    const char *bind_address;          /**< an IPv4 address; "0.0.0.0" for every interface */
    const char *incoming_dir;          /**< where instances are received (same file system as the inbox) */
    const char *const *sop_classes;    /**< Storage SOP classes accepted */
    size_t sop_class_count;
    const char *const *transfer_syntaxes; /**< transfer syntaxes accepted for them */
    size_t transfer_syntax_count;
    const char *const *allowed_ae;     /**< calling AE titles allowed… */
    const char *const *allowed_host;   /**< …each from this IP (NULL or "" for any host) */
    size_t allowed_count;              /**< 0: callers on the loopback interface only, any AE title */
    uint16_t max_associations;         /**< at once (default 8); more are rejected as a local limit */
    uint32_t acse_timeout_s, dimse_timeout_s;
    void *context;
    qct_scp_stored stored;
    qct_scp_event event;
} qct_scp_config;

/** Starts listening (on its own thread); NULL with `err` when the port cannot be bound. */
qct_scp *qct_scp_start(const qct_scp_config *config, qct_error *err);
/** The TCP port listened on. */
uint16_t qct_scp_port(const qct_scp *scp);
/** Stops accepting, waits (up to 2 minutes) for the associations in progress to end, and frees. */
void qct_scp_stop(qct_scp *scp);

#ifdef __cplusplus
}
#endif

#endif /* QCT_DCMTK_H */
