import RNNEngine

extension LoadedExperiment {
    /// The experiment with the weights of `arrays` (an `.npz` opened by the user, `file` naming it in errors), read
    /// under the framework their names show (`WeightLayouts.detect`): the experiment switches to that convention,
    /// its cells expressed as that framework's (`WeightLayouts.convertedModel`: an LSTM loses TF's `forget_bias`).
    /// Missing or wrongly shaped weights are named as the framework names them.
    public func withWeights(_ arrays: [String: NumpyArray], file: String) throws -> (experiment: LoadedExperiment, convention: Convention) {
        let convention = WeightLayouts.detect(names: Array(arrays.keys))
        func fail(_ message: String) -> ExperimentError { ExperimentError(file: file, field: "weights", message) }
        var newSpec = spec
        do {
            let model = try WeightLayouts.convertedModel(spec.model, to: convention)
            newSpec.convention = convention
            newSpec.cell = model.cell
            newSpec.cellBackward = model.cellBackward
        } catch let e as RNNError {
            throw fail("these are \(convention.frameworkName) weights, but \(e.description)")
        }
        func tensor(_ name: String) throws -> Tensor<Scalar>? {
            guard let a = arrays[name] else { return nil }
            do { return try a.tensor(Scalar.self, name: "weight \(name)") } catch let e as RNNError { throw fail(e.description) }
        }
        var weights: [String: Tensor<Scalar>] = [:]
        if convention == .tf {
            let scope = newSpec.scope + "/"
            for name in arrays.keys where name.hasPrefix(scope) { weights[name] = try tensor(name) }
            guard !weights.isEmpty else { throw fail("no arrays named \(scope)… (nor Keras' or PyTorch's names) in this archive") }
        } else {
            do {
                weights = try WeightLayouts.engineArrays(model: newSpec.model, inputDepth: inputDepth, lookup: tensor)
            } catch let e as RNNError {
                throw fail("\(e.description) (\(convention.frameworkName) names)")
            }
        }
        var loaded = LoadedExperiment(spec: newSpec, file: self.file, inputs: inputs, store: VariableStore(arrays: weights, missing: .fail),
                                      initialState: initialState, initialStateBackward: initialStateBackward)
        // The mask stays (Masking's as a mask where the framework the names show has no Masking).
        loaded.stepMask = stepMask
        if newSpec.convention != .keras, newSpec.maskValue != nil {
            var spec = newSpec
            spec.maskValue = nil
            spec.mask = stepMask == nil ? nil : Self.editedMaskName
            loaded = LoadedExperiment(spec: spec, file: self.file, inputs: inputs, store: loaded.store,
                                      initialState: initialState, initialStateBackward: initialStateBackward)
            loaded.stepMask = stepMask
        }
        return (loaded, convention)
    }
}
