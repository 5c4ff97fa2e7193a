import NeuralEngine

/// A CPNet weight file, validated against the architecture in its metadata. Every weight is a
/// pointer into the memory-mapped file (nothing is copied); the file stays mapped while this lives.
public final class CPNetWeights: @unchecked Sendable {
    /// A convolution's hyper-parameters with its weight [cout, cin, k, k] and bias [cout].
    public struct Conv: @unchecked Sendable {
        public let layer: ConvLayer
        public let weight: UnsafePointer<Float>
        public let bias: UnsafePointer<Float>
    }

    public let file: SafetensorsFile
    public let architecture: Architecture
    public let alignmentEncoder: [Conv]
    public let alignmentRegressor: [Conv]
    /// align_regressor.fc: [6, r] and [6].
    public let regressorFCWeight: UnsafePointer<Float>
    public let regressorFCBias: UnsafePointer<Float>
    public let copyEncoder: [Conv]
    public let pasteDecoder: [Conv]
    public var metadata: [String: String] { file.metadata }

    /// Opens and validates `path`. Throws `SafetensorsError` (damaged file) or `CPNetError`
    /// (not a CPNet this engine can run), each naming the file and the offending tensor or field.
    public convenience init(path: String) throws {
        let file = try SafetensorsFile(path: path)
        try self.init(file: file)
    }

    public init(file: SafetensorsFile) throws(CPNetError) {
        let arch = try Architecture(metadata: file.metadata, file: file.path)
        try arch.validate(file)
        self.file = file
        architecture = arch
        func convs(_ prefix: String, _ layers: [ConvLayer]) -> [Conv] {
            layers.enumerated().map { i, layer in
                Conv(layer: layer, weight: file["\(prefix).convs.\(i).weight"]!.data, bias: file["\(prefix).convs.\(i).bias"]!.data)
            }
        }
        alignmentEncoder = convs("align_encoder", arch.alignmentEncoder)
        alignmentRegressor = convs("align_regressor", arch.alignmentRegressor)
        regressorFCWeight = file["align_regressor.fc.weight"]!.data
        regressorFCBias = file["align_regressor.fc.bias"]!.data
        copyEncoder = convs("copy_encoder", arch.copyEncoder)
        pasteDecoder = convs("paste_decoder", arch.pasteDecoder)
    }

    /// Random weights in PyTorch's default Conv2d/Linear initialisation range (uniform ±1/√fan_in),
    /// with the regressor's linear layer at identity (cpnet.md §2): for tests and the benchmark,
    /// whose speed does not depend on training. Deterministic for a seed.
    public static func randomEntries(widths: Widths, seed: UInt64) -> (entries: [SafetensorsWriter.Entry], metadata: [String: String]) {
        let arch = Architecture(widths: widths)
        var rng = SplitMix64(seed: seed)
        var entries: [SafetensorsWriter.Entry] = []
        for (name, shape) in arch.expectedTensors {
            let count = shape.reduce(1, *)
            var values: [Float]
            if name == "align_regressor.fc.weight" {
                values = [Float](repeating: 0, count: count)
            } else if name == "align_regressor.fc.bias" {
                values = [1, 0, 0, 0, 1, 0]
            } else {
                // fan_in of the layer this tensor belongs to (the weight's shape[1..] product).
                let layerWeight = name.hasSuffix(".bias") ? name.dropLast(5) + ".weight" : Substring(name)
                let wShape = arch.expectedTensors.first { $0.name == String(layerWeight) }!.shape
                let bound = 1 / Float(wShape.dropFirst().reduce(1, *)).squareRoot()
                values = (0..<count).map { _ in (rng.nextUnit() * 2 - 1) * bound }
            }
            entries.append(.init(name: name, shape: shape, values: values))
        }
        let w = widths
        let metadata = [
            "arch": Architecture.name, "version": Architecture.version, "alpha": "\(w.alpha)",
            "align_size": "\(w.alignSize)", "a1": "\(w.a1)", "a2": "\(w.a2)", "a3": "\(w.a3)", "r": "\(w.r)",
            "e1": "\(w.e1)", "e2": "\(w.e2)", "training_data": "none (random initialisation, seed \(seed))",
        ]
        return (entries, metadata)
    }
}

/// A small deterministic generator (SplitMix64) for reproducible random weights and test data.
public struct SplitMix64: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
