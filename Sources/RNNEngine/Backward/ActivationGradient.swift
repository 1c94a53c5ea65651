extension Activation {
    /// `dx = dy · act′` over `n` elements, as TensorFlow's gradient ops compute it: `TanhGrad`, `SigmoidGrad`,
    /// `ReluGrad` (0 where the output is not positive, so 0 at 0) and `EluGrad` (`(y + 1)·dy` where the output
    /// is negative) read the output `y`; `SoftsignGrad` reads the input `x`: `dy / (1 + |x|)²`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward<Scalar: RNNScalar>(_ n: Int, dy: UnsafePointer<Scalar>, y: UnsafePointer<Scalar>, x: UnsafePointer<Scalar>,
                                     into dx: UnsafeMutablePointer<Scalar>) {
        switch self {
        case .tanh:
            for k in 0..<n { dx[k] = dy[k] * (1 - y[k] * y[k]) }
        case .sigmoid:
            for k in 0..<n { dx[k] = dy[k] * y[k] * (1 - y[k]) }
        case .relu:
            for k in 0..<n { dx[k] = y[k] > 0 ? dy[k] : 0 }
        case .elu:
            for k in 0..<n { dx[k] = y[k] < 0 ? dy[k] * (y[k] + 1) : dy[k] }
        case .softsign:
            for k in 0..<n {
                let d = 1 + Swift.abs(x[k])
                dx[k] = dy[k] / (d * d)
            }
        }
    }
}

extension Activation {
    /// `backward` over whole arrays of one size: `dy`, the output `y` and the input `x`.
    func backward<Scalar: RNNScalar>(dy: [Scalar], y: [Scalar], x: [Scalar]) -> [Scalar] {
        let n = dy.count
        var dx = [Scalar](repeating: 0, count: n)
        dy.withUnsafeBufferPointer { d in y.withUnsafeBufferPointer { yp in x.withUnsafeBufferPointer { xp in
            dx.withUnsafeMutableBufferPointer { o in
                if n > 0 { backward(n, dy: d.baseAddress!, y: yp.baseAddress!, x: xp.baseAddress!, into: o.baseAddress!) }
            }
        }}}
        return dx
    }
}

/// `dx = dy · σ(x)·(1 − σ(x))` from the sigmoid's output `y` (TF's `SigmoidGrad`).
@inline(__always)
func sigmoidBackward<Scalar: RNNScalar>(_ dy: Scalar, _ y: Scalar) -> Scalar { dy * y * (1 - y) }

/// TF's `clip_by_value` gradient: passes where `-limit <= x <= limit` (at the bound too), 0 strictly beyond.
@inline(__always)
func clipBackward<Scalar: RNNScalar>(_ dy: Scalar, _ x: Scalar, _ limit: Scalar) -> Scalar {
    (x < -limit || x > limit) ? 0 : dy
}
