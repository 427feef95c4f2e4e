/// Transfer syntaxes qct decodes, with readable names for messages.
public enum TransferSyntax {
    /// UID → name for every syntax the reader accepts.
    public static let supported: [String: String] = [
        "1.2.840.10008.1.2": "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
        "1.2.840.10008.1.2.4.50": "JPEG Baseline",
        "1.2.840.10008.1.2.4.51": "JPEG Extended",
        "1.2.840.10008.1.2.4.57": "JPEG Lossless",
        "1.2.840.10008.1.2.4.70": "JPEG Lossless SV1",
        "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless",
        "1.2.840.10008.1.2.4.91": "JPEG 2000",
        "1.2.840.10008.1.2.4.201": "HTJ2K Lossless",
        "1.2.840.10008.1.2.4.202": "HTJ2K Lossless RPCL",
        "1.2.840.10008.1.2.4.203": "HTJ2K",
        "1.2.840.10008.1.2.5": "RLE Lossless",
    ]

    /// Syntaxes that may lose information.
    public static let lossy: Set<String> = [
        "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
        "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.203",
    ]

    /// Known but unsupported syntaxes, named for the refusal message.
    static let knownUnsupported: [String: String] = [
        "1.2.840.10008.1.2.4.100": "MPEG2 video", "1.2.840.10008.1.2.4.101": "MPEG2 video",
        "1.2.840.10008.1.2.4.102": "MPEG-4 video", "1.2.840.10008.1.2.4.103": "MPEG-4 video",
        "1.2.840.10008.1.2.4.104": "MPEG-4 video", "1.2.840.10008.1.2.4.105": "MPEG-4 video",
        "1.2.840.10008.1.2.4.106": "MPEG-4 video", "1.2.840.10008.1.2.4.107": "HEVC video",
        "1.2.840.10008.1.2.4.108": "HEVC video", "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2",
        "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2", "1.2.840.10008.1.2.4.94": "JPIP referenced",
        "1.2.840.10008.1.2.4.95": "JPIP referenced deflate", "1.2.840.10008.1.2.4.110": "JPEG XL",
        "1.2.840.10008.1.2.4.111": "JPEG XL", "1.2.840.10008.1.2.4.112": "JPEG XL",
        "1.2.840.10008.1.2.4.53": "JPEG Spectral Selection (retired)",
        "1.2.840.10008.1.2.4.55": "JPEG Full Progression (retired)",
    ]

    /// Name of a syntax for messages.
    public static func name(_ uid: String) -> String {
        supported[uid] ?? knownUnsupported[uid] ?? "unknown syntax"
    }
}
