/// A buffer handed to `DispatchQueue.concurrentPerform` workers that each
/// write disjoint indices. The caller guarantees that disjointness; the type
/// only lets the compiler accept the capture.
public struct SharedBuffer<T>: @unchecked Sendable {
    public let buffer: UnsafeMutableBufferPointer<T>
    public init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

/// A read-only buffer shared with concurrent workers.
public struct SharedConstBuffer<T>: @unchecked Sendable {
    public let buffer: UnsafeBufferPointer<T>
    public init(_ buffer: UnsafeBufferPointer<T>) { self.buffer = buffer }
}
