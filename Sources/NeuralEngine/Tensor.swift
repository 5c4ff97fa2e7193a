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

    /// Number of tensors created in this process so far (a diagnostic for allocation-free paths).
    public static var allocations: Int { allocationCounter.value }
    static let allocationCounter = Counter()
}

/// A process-wide counter guarded by a lock (tests run in parallel).
final class Counter: @unchecked Sendable {
    private var count = 0
    private let lock = NSLockLike()
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
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
