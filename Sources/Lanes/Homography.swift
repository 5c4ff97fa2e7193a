/// A point in image or road-plane coordinates.
public struct Point2: Sendable, Equatable, Codable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// A plane-to-plane projective map (3×3, row-major, h[8] normalised to 1): image ↔ road plane.
public struct Homography: Sendable, Equatable {
    public var h: [Double]

    public init(matrix: [Double]) {
        precondition(matrix.count == 9, "a homography has 9 entries")
        h = matrix
    }

    public static let identity = Homography(matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1])

    /// The homography taking the four `from` points onto the four `to` points (direct linear
    /// transform with h33 = 1), or nil when three of the points are collinear.
    public init?(from src: [Point2], to dst: [Point2]) {
        guard src.count == 4, dst.count == 4 else { return nil }
        // Two equations per correspondence in the eight unknowns h11…h32.
        var a = [[Double]](repeating: [Double](repeating: 0, count: 9), count: 8)
        for i in 0..<4 {
            let (x, y, u, v) = (src[i].x, src[i].y, dst[i].x, dst[i].y)
            a[2 * i] = [x, y, 1, 0, 0, 0, -u * x, -u * y, u]
            a[2 * i + 1] = [0, 0, 0, x, y, 1, -v * x, -v * y, v]
        }
        guard let solution = Self.solve(&a) else { return nil }
        h = solution + [1]
    }

    /// Gauss–Jordan elimination with partial pivoting on an 8×9 augmented matrix.
    private static func solve(_ a: inout [[Double]]) -> [Double]? {
        let n = 8
        for col in 0..<n {
            var pivot = col
            for row in col + 1..<n where abs(a[row][col]) > abs(a[pivot][col]) { pivot = row }
            guard abs(a[pivot][col]) > 1e-12 else { return nil }
            a.swapAt(col, pivot)
            let p = a[col][col]
            for k in col...n { a[col][k] /= p }
            for row in 0..<n where row != col {
                let f = a[row][col]
                if f != 0 { for k in col...n { a[row][k] -= f * a[col][k] } }
            }
        }
        return (0..<n).map { a[$0][n] }
    }

    @inlinable
    public func apply(_ x: Double, _ y: Double) -> Point2 {
        let w = h[6] * x + h[7] * y + h[8]
        return Point2((h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w)
    }

    @inlinable
    public func apply(_ p: Point2) -> Point2 { apply(p.x, p.y) }

    /// The inverse map (adjugate; the scale is irrelevant for a homography).
    public var inverse: Homography {
        let m = h
        let adj = [
            m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
            m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
            m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3],
        ]
        let s = adj[8] != 0 ? adj[8] : 1
        return Homography(matrix: adj.map { $0 / s })
    }
}
