import CDCMTKShim
import Foundation

/// What a Storage SCP serves and whom it lets in.
public struct StorageSCPSettings: Sendable {
    /// The called AE title answered; an association calling another is refused.
    public var aeTitle = "QCT"
    /// TCP port; 0 picks a free one (`StorageSCP.port` says which).
    public var port: UInt16 = 11112
    /// IPv4 address listened on; loopback unless configured ("0.0.0.0": every interface).
    public var bindAddress = "127.0.0.1"
    /// Where instances are received before the node places them (same file system as the inbox).
    public var incomingFolder: String
    /// Calling AE titles allowed, each from one IP address or (host nil) from anywhere. Empty:
    /// callers on the loopback interface only.
    public var allowed: [(aeTitle: String, host: String?)] = []
    /// Associations served at once; more are rejected with the DICOM reason "local limit exceeded".
    public var maxAssociations: UInt16 = 8
    /// CT Image Storage and Enhanced CT Image Storage (PS3.4 B.5).
    public var sopClasses = ["1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.2.1"]
    /// Every transfer syntax the reader decodes.
    public var transferSyntaxes = TransferSyntax.supported.keys.sorted()

    public init(incomingFolder: String) { self.incomingFolder = incomingFolder }
}

/// One instance received, complete, in `path` (a temporary file the handler must move).
public struct ReceivedInstance: Sendable {
    public var path: String
    public var sopClassUID: String
    public var sopInstanceUID: String
    public var callingAETitle: String
    public var peerAddress: String
}

/// An association event, for the log.
public struct AssociationEvent: Sendable {
    public enum Kind: Int32, Sendable { case accepted = 1, refused = 2, ended = 3, error = 4 }
    public var kind: Kind
    public var callingAETitle: String
    public var peerAddress: String
    /// The DICOM reason of a refusal, or what went wrong.
    public var detail: String
}

/// A DICOM Storage SCP (C-ECHO; C-STORE of CT and Enhanced CT in every syntax qct reads), run by
/// DCMTK's dcmnet inside the shim, one thread per association. `store` is called on that thread
/// for each instance before the peer hears the status: return true when the instance was kept.
public final class StorageSCP: @unchecked Sendable {
    final class Handlers {
        let store: @Sendable (ReceivedInstance) -> Bool
        let event: @Sendable (AssociationEvent) -> Void
        init(store: @escaping @Sendable (ReceivedInstance) -> Bool, event: @escaping @Sendable (AssociationEvent) -> Void) {
            self.store = store
            self.event = event
        }
    }

    private var handle: OpaquePointer?
    private let handlers: Unmanaged<Handlers>
    /// The port listened on.
    public let port: UInt16

    public init(_ settings: StorageSCPSettings, store: @escaping @Sendable (ReceivedInstance) -> Bool,
                event: @escaping @Sendable (AssociationEvent) -> Void) throws(DicomReadError) {
        let handlers = Unmanaged.passRetained(Handlers(store: store, event: event))
        var err = qct_error()
        let strings = CStrings(settings.sopClasses + settings.transferSyntaxes + settings.allowed.map(\.aeTitle)
                               + settings.allowed.map { $0.host ?? "" } + [settings.aeTitle, settings.bindAddress, settings.incomingFolder])
        let nClass = settings.sopClasses.count, nSyntax = settings.transferSyntaxes.count, nAllowed = settings.allowed.count
        let started: OpaquePointer? = strings.pointers.withUnsafeBufferPointer { p in
            var config = qct_scp_config()
            config.sop_classes = p.baseAddress
            config.sop_class_count = nClass
            config.transfer_syntaxes = p.baseAddress! + nClass
            config.transfer_syntax_count = nSyntax
            config.allowed_ae = p.baseAddress! + nClass + nSyntax
            config.allowed_host = p.baseAddress! + nClass + nSyntax + nAllowed
            config.allowed_count = nAllowed
            let tail = nClass + nSyntax + 2 * nAllowed
            config.ae_title = p[tail]
            config.bind_address = p[tail + 1]
            config.incoming_dir = p[tail + 2]
            config.port = settings.port
            config.max_associations = settings.maxAssociations
            config.context = handlers.toOpaque()
            config.stored = { context, path, sopClass, sopInstance, ae, peer in
                let h = Unmanaged<Handlers>.fromOpaque(context!).takeUnretainedValue()
                let instance = ReceivedInstance(path: String(cString: path!), sopClassUID: String(cString: sopClass!),
                                                sopInstanceUID: String(cString: sopInstance!),
                                                callingAETitle: String(cString: ae!), peerAddress: String(cString: peer!))
                return h.store(instance) ? 0 : 0xA700
            }
            config.event = { context, kind, ae, peer, detail in
                let h = Unmanaged<Handlers>.fromOpaque(context!).takeUnretainedValue()
                h.event(AssociationEvent(kind: AssociationEvent.Kind(rawValue: kind) ?? .error, callingAETitle: String(cString: ae!),
                                         peerAddress: String(cString: peer!), detail: String(cString: detail!)))
            }
            return qct_scp_start(&config, &err)
        }
        guard let started else {
            handlers.release()
            throw DicomReadError(path: "DICOM port \(settings.port)", reason: DicomFile.message(err))
        }
        handle = started
        self.handlers = handlers
        port = qct_scp_port(started)
    }

    /// Stops accepting, lets the associations in progress end, and frees the listener.
    public func stop() {
        guard let h = handle else { return }
        handle = nil
        qct_scp_stop(h)
        handlers.release()
    }

    deinit { stop() }
}

/// C strings that live as long as this value.
final class CStrings {
    private let owned: [UnsafeMutablePointer<CChar>?]
    let pointers: [UnsafePointer<CChar>?]
    init(_ strings: [String]) {
        owned = strings.map { strdup($0) }
        pointers = owned.map { UnsafePointer($0) }
    }
    deinit { owned.forEach { free($0) } }
}

/// The identity of a received instance, read from its header (every check of `DicomFile` applies:
/// a hostile file is refused, not trusted).
public struct InstanceIdentity: Sendable, Hashable {
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var sopInstanceUID: String

    public init(path: String) throws(DicomReadError) {
        let file = try DicomFile(path: path)
        guard let series = file.string(.seriesInstanceUID) else { throw DicomReadError(path: path, reason: "no Series Instance UID") }
        guard let sop = file.string(.sopInstanceUID) else { throw DicomReadError(path: path, reason: "no SOP Instance UID") }
        studyInstanceUID = file.string(.studyInstanceUID) ?? "unknown-study"
        seriesInstanceUID = series
        sopInstanceUID = sop
    }
}
