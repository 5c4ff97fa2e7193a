/// A contiguous float32 tensor with an explicit shape and an owned, 64-byte aligned buffer.
///
/// Tensors are the activation buffers of the engine: allocated once (at warm-up) and reused, so
/// the hot path only ever sees `data` pointers. Creating a tensor is the only allocation the
/// engine makes; `Tensor.allocations` counts them so a test can prove a per-frame path makes none.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    /// Owned storage of `count` floats. Valid for the tensor's lifetime.
    public let data: UnsafeMutablePointer<Float>

    public init(shape: [Int], fill: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "tensor dimensions must be non-negative: \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        data.initialize(repeating: fill, count: max(count, 1))
        Tensor.allocationCounter.increment()
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { UnsafeMutableRawPointer(data).deallocate() }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }
    public var values: [Float] { Array(buffer) }

    /// Pointer to the sub-tensor at `index` along the first dimension (e.g. reference k of K×C×H×W).
    @inlinable public func slice(_ index: Int) -> UnsafeMutablePointer<Float> {
        data + index * (count / max(shape[0], 1))
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// Number of tensors created in this process so far.
    public static var allocations: Int { allocationCounter.value }
    /// Number of tensors created so far by the calling thread: lets a test prove that a per-frame
    /// path allocates none, while other tests allocate on other threads.
    public static var allocationsOnThisThread: Int { allocationCounter.value(for: pthread_self()) }
    static let allocationCounter = Counter()
}

/// Allocation counts, total and per thread, guarded by a lock (tests run in parallel).
final class Counter: @unchecked Sendable {
    private var count = 0
    private var perThread: [UInt: Int] = [:]
    private let lock = NSLockLike()
    func increment() {
        let thread = Self.key(pthread_self())
        lock.withLock { count += 1; perThread[thread, default: 0] += 1 }
    }
    var value: Int { lock.withLock { count } }
    static func key(_ thread: pthread_t) -> UInt {
        #if canImport(Glibc)
        return UInt(thread)
        #else
        return UInt(bitPattern: thread)
        #endif
    }
    func value(for thread: pthread_t) -> Int {
        let key = Self.key(thread)
        return lock.withLock { perThread[key, default: 0] }
    }
}

/// A tiny pthread mutex, so NeuralEngine needs nothing but Glibc.
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
