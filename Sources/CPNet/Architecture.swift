import NeuralEngine

/// Why a weight file cannot be used as a CPNet: names the file, the field or tensor, and what to do.
public struct CPNetError: Error, CustomStringConvertible {
    public enum Kind: Sendable { case file, metadata, missingTensor, unexpectedTensor, wrongShape, frameSize }
    public var kind: Kind
    public var file: String
    public var subject: String?
    public var problem: String
    public var action: String

    public var description: String {
        "\(file)\(subject.map { ": \($0)" } ?? ""): \(problem). \(action)"
    }
}

/// The channel counts of cpnet.md's width table and the alignment size S.
public struct Widths: Equatable, Sendable, CustomStringConvertible {
    public var alpha: Double
    /// S: the alignment encoder sees frames resized to S×S.
    public var alignSize: Int
    public var a1, a2, a3, r, e1, e2: Int
    /// Paste decoder width: 2·e2 + 1.
    public var p: Int { 2 * e2 + 1 }

    public static let full = (a1: 64, a2: 128, a3: 256, r: 512, e1: 64, e2: 128)

    /// α·full rounded to the nearest multiple of 8 (halves up), at least 8 (as training/model.py).
    public static func scaled(_ alpha: Double, _ full: Int) -> Int {
        max(8, Int((alpha * Double(full) / 8 + 0.5).rounded(.down)) * 8)
    }

    public init(alpha: Double, alignSize: Int) {
        self.alpha = alpha
        self.alignSize = alignSize
        a1 = Self.scaled(alpha, Self.full.a1); a2 = Self.scaled(alpha, Self.full.a2); a3 = Self.scaled(alpha, Self.full.a3)
        r = Self.scaled(alpha, Self.full.r); e1 = Self.scaled(alpha, Self.full.e1); e2 = Self.scaled(alpha, Self.full.e2)
    }

    public var description: String { "α \(alpha), S \(alignSize): a \(a1)/\(a2)/\(a3), r \(r), e \(e1)/\(e2), p \(p)" }
}

/// The layers of the four sub-networks (cpnet.md §1, §2, §4, §6) built from the widths, and the
/// tensor names and shapes a weight file must hold (the PyTorch state_dict of training/model.py).
public struct Architecture: Sendable {
    public static let name = "cpnet"
    public static let version = "1"

    public let widths: Widths
    /// §1: 4×S×S → a3×S/8×S/8.
    public let alignmentEncoder: [ConvLayer]
    /// §2: the six convolutions on concat(AE(target), AE(reference)); then pool + linear r→6.
    public let alignmentRegressor: [ConvLayer]
    /// §4: 4×H×W → e2×H/4×W/4, last layer linear.
    public let copyEncoder: [ConvLayer]
    /// §6: p×H/4×W/4 → 3×H×W, nearest ×2 upsampling before `decoderUpsampleBefore`.
    public let pasteDecoder: [ConvLayer]
    public static let decoderUpsampleBefore: Set<Int> = [10, 12]

    public init(widths w: Widths) {
        widths = w
        alignmentEncoder = [
            ConvLayer(5, stride: 2, 4, w.a1), ConvLayer(3, w.a1, w.a1),
            ConvLayer(3, stride: 2, w.a1, w.a2), ConvLayer(3, w.a2, w.a2),
            ConvLayer(3, stride: 2, w.a2, w.a3), ConvLayer(3, w.a3, w.a3), ConvLayer(3, w.a3, w.a3),
        ]
        alignmentRegressor = [
            ConvLayer(3, stride: 2, 2 * w.a3, w.r), ConvLayer(3, w.r, w.r), ConvLayer(3, w.r, w.r),
            ConvLayer(3, stride: 2, w.r, w.r), ConvLayer(3, w.r, w.r), ConvLayer(3, w.r, w.r),
        ]
        copyEncoder = [
            ConvLayer(5, stride: 2, 4, w.e1), ConvLayer(3, w.e1, w.e1),
            ConvLayer(3, stride: 2, w.e1, w.e2), ConvLayer(3, w.e2, w.e2), ConvLayer(3, w.e2, w.e2, relu: false),
        ]
        let p = w.p
        pasteDecoder = [
            ConvLayer(3, p, p), ConvLayer(3, p, p), ConvLayer(3, p, p),
            ConvLayer(3, dilation: 2, p, p), ConvLayer(3, dilation: 4, p, p),
            ConvLayer(3, dilation: 8, p, p), ConvLayer(3, dilation: 16, p, p),
            ConvLayer(3, p, p), ConvLayer(3, p, w.e2), ConvLayer(3, w.e2, w.e2),
            ConvLayer(3, w.e2, w.e1), ConvLayer(3, w.e1, w.e1),
            ConvLayer(5, w.e1, 3, relu: false),
        ]
    }

    /// Every tensor the weight file must hold, in state_dict order.
    public var expectedTensors: [(name: String, shape: [Int])] {
        var list: [(String, [Int])] = []
        func convs(_ prefix: String, _ layers: [ConvLayer]) {
            for (i, l) in layers.enumerated() {
                list.append(("\(prefix).convs.\(i).weight", l.weightShape))
                list.append(("\(prefix).convs.\(i).bias", [l.outChannels]))
            }
        }
        convs("align_encoder", alignmentEncoder)
        convs("align_regressor", alignmentRegressor)
        list.append(("align_regressor.fc.weight", [6, widths.r]))
        list.append(("align_regressor.fc.bias", [6]))
        convs("copy_encoder", copyEncoder)
        convs("paste_decoder", pasteDecoder)
        return list
    }

    /// Reads the architecture from a weight file's `__metadata__` (cpnet.md §9): arch, version,
    /// alpha, align_size, and the channel counts, which must agree with α.
    public init(metadata: [String: String], file: String) throws(CPNetError) {
        func fail(_ key: String, _ problem: String, _ action: String = "Export the weights with training/export.py, which writes this metadata") -> CPNetError {
            CPNetError(kind: .metadata, file: file, subject: "metadata '\(key)'", problem: problem, action: action)
        }
        guard let arch = metadata["arch"] else { throw fail("arch", "is missing; this file does not say it holds a CPNet") }
        guard arch == Self.name else {
            throw fail("arch", "is '\(arch)' but this engine runs '\(Self.name)'", "Use a CPNet weight file")
        }
        guard let version = metadata["version"] else { throw fail("version", "is missing") }
        guard version == Self.version else {
            throw fail("version", "is '\(version)' but this engine reads version \(Self.version)", "Use weights exported by a matching training/ checkout, or update ClearLane")
        }
        guard let alphaText = metadata["alpha"], let alpha = Double(alphaText), alpha > 0, alpha <= 4 else {
            throw fail("alpha", "is missing or not a number in (0, 4]: '\(metadata["alpha"] ?? "")'")
        }
        guard let sizeText = metadata["align_size"], let size = Int(sizeText), size >= 32, size % 8 == 0 else {
            throw fail("align_size", "is missing or not a multiple of 8 ≥ 32: '\(metadata["align_size"] ?? "")'")
        }
        var w = Widths(alpha: alpha, alignSize: size)
        // Explicit channel counts, when present, win (they are what the tensors were built with);
        // the tensor shape check below then catches any disagreement.
        let keys: [(String, WritableKeyPath<Widths, Int>)] = [("a1", \.a1), ("a2", \.a2), ("a3", \.a3), ("r", \.r), ("e1", \.e1), ("e2", \.e2)]
        for (key, path) in keys {
            guard let text = metadata[key] else { continue }
            guard let value = Int(text), value > 0 else { throw fail(key, "is not a positive integer: '\(text)'") }
            w[keyPath: path] = value
        }
        self.init(widths: w)
    }

    /// Checks the file holds exactly the expected tensors with the expected shapes; the error
    /// names the first offending tensor (missing ones in state_dict order, then unexpected ones).
    public func validate(_ file: SafetensorsFile) throws(CPNetError) {
        let action = "The weights do not match the architecture in their own metadata (\(widths)); re-export them with training/export.py"
        var expectedNames = Set<String>()
        for (name, shape) in expectedTensors {
            expectedNames.insert(name)
            guard let tensor = file[name] else {
                throw CPNetError(kind: .missingTensor, file: file.path, subject: "tensor '\(name)'", problem: "is missing (expected shape \(shape))", action: action)
            }
            guard tensor.shape == shape else {
                throw CPNetError(kind: .wrongShape, file: file.path, subject: "tensor '\(name)'",
                                 problem: "has shape \(tensor.shape) but the architecture needs \(shape)", action: action)
            }
        }
        if let extra = file.names.first(where: { !expectedNames.contains($0) }) {
            throw CPNetError(kind: .unexpectedTensor, file: file.path, subject: "tensor '\(extra)'",
                             problem: "is not part of CPNet", action: action)
        }
    }

    /// Multiply-accumulates of one copy of each sub-network (for FLOP counts: FLOPs = 2·MACs).
    public func encoderMACs(height: Int, width: Int) -> Int { chainMACs(copyEncoder, height, width, upsample: []) }
    public func decoderMACs(featureHeight: Int, featureWidth: Int) -> Int {
        chainMACs(pasteDecoder, featureHeight, featureWidth, upsample: Self.decoderUpsampleBefore)
    }
    public var alignmentEncoderMACs: Int { chainMACs(alignmentEncoder, widths.alignSize, widths.alignSize, upsample: []) }
    public var alignmentRegressorMACs: Int {
        chainMACs(alignmentRegressor, widths.alignSize / 8, widths.alignSize / 8, upsample: []) + 6 * widths.r
    }

    private func chainMACs(_ layers: [ConvLayer], _ h0: Int, _ w0: Int, upsample: Set<Int>) -> Int {
        var h = h0, w = w0, total = 0
        for (i, l) in layers.enumerated() {
            if upsample.contains(i) { h *= 2; w *= 2 }
            total += l.macs(height: h, width: w)
            h = l.outputSize(h); w = l.outputSize(w)
        }
        return total
    }
}
