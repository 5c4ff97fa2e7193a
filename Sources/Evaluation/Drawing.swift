import Imaging
import Lanes

/// Minimal raster drawing for overlays and frame strips (lines, dots, tints, text-free labels).
public enum Drawing {
    /// Sets a square of side 2·radius+1 centred on (x, y), clipped to the image.
    public static func dot(_ image: inout RGBImage, x: Int, y: Int, radius: Int, color: RGB) {
        let x0 = max(0, x - radius), x1 = min(image.width - 1, x + radius)
        let y0 = max(0, y - radius), y1 = min(image.height - 1, y + radius)
        guard x0 <= x1, y0 <= y1 else { return }
        for yy in y0...y1 {
            for xx in x0...x1 { image[xx, yy] = color }
        }
    }

    /// A line of the given thickness between two points.
    public static func line(_ image: inout RGBImage, from a: Point2, to b: Point2, thickness: Int = 1, color: RGB) {
        let steps = max(1, Int(max(abs(b.x - a.x), abs(b.y - a.y)).rounded(.up)))
        guard steps < 100_000 else { return }
        for k in 0...steps {
            let t = Double(k) / Double(steps)
            let x = a.x + (b.x - a.x) * t, y = a.y + (b.y - a.y) * t
            guard x > -1e6, x < 1e6, y > -1e6, y < 1e6 else { continue }
            dot(&image, x: Int(x.rounded()), y: Int(y.rounded()), radius: thickness / 2, color: color)
        }
    }

    /// A closed polygon outline.
    public static func polygon(_ image: inout RGBImage, _ points: [Point2], thickness: Int = 1, color: RGB) {
        guard points.count >= 2 else { return }
        for i in 0..<points.count { line(&image, from: points[i], to: points[(i + 1) % points.count], thickness: thickness, color: color) }
    }

    /// A lane given as x at rows (−2 = absent): consecutive present points joined by lines, and a
    /// dot at every sample.
    public static func lane(_ image: inout RGBImage, xs: [Double], rows: [Int], thickness: Int = 2, dotRadius: Int = 2, color: RGB) {
        var previous: Point2?
        for (x, row) in zip(xs, rows) {
            guard x >= 0 else { previous = nil; continue }
            let p = Point2(x, Double(row))
            if let previous { line(&image, from: previous, to: p, thickness: thickness, color: color) }
            if dotRadius > 0 { dot(&image, x: Int(x.rounded()), y: row, radius: dotRadius, color: color) }
            previous = p
        }
    }

    /// Blends `color` over the pixels where `mask` is set (mask of the image's size).
    public static func tint(_ image: inout RGBImage, mask: Mask, color: RGB, alpha: Double = 0.45) {
        guard mask.width == image.width, mask.height == image.height else { return }
        let a = alpha
        for i in 0..<(image.width * image.height) where mask.values[i] != 0 {
            image.pixels[3 * i] = UInt8(Double(image.pixels[3 * i]) * (1 - a) + Double(color.r) * a)
            image.pixels[3 * i + 1] = UInt8(Double(image.pixels[3 * i + 1]) * (1 - a) + Double(color.g) * a)
            image.pixels[3 * i + 2] = UInt8(Double(image.pixels[3 * i + 2]) * (1 - a) + Double(color.b) * a)
        }
    }

    /// Copies `tile` into `canvas` with its top-left corner at (x0, y0), clipped.
    public static func paste(_ tile: RGBImage, into canvas: inout RGBImage, x0: Int, y0: Int) {
        for y in 0..<tile.height where y0 + y >= 0 && y0 + y < canvas.height {
            for x in 0..<tile.width where x0 + x >= 0 && x0 + x < canvas.width {
                canvas[x0 + x, y0 + y] = tile[x, y]
            }
        }
    }

    public static let green = RGB(40, 220, 60)
    /// Strip lanes, told apart also by readers with red–green colour blindness (Okabe–Ito).
    public static let truthLane = RGB(230, 159, 0)
    public static let detectedLane = RGB(86, 180, 233)
    public static let red = RGB(240, 40, 40)
    public static let blue = RGB(40, 120, 255)
    public static let yellow = RGB(250, 220, 0)
    public static let magenta = RGB(230, 40, 230)
}
