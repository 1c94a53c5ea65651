import RNNEngine

extension LoadedExperiment {
    /// This experiment and `other` run on the same inputs (each its own cells, weights and convention's rules), and
    /// where their outputs differ (`ConventionComparison(results:)`, the comparison two conventions get): what a
    /// front-end shows when two experiment files are compared. Throws (naming `other`'s field) when the inputs or
    /// their layout differ, and the engine's reason when the outputs' shapes differ.
    public func compare(beside other: LoadedExperiment<Scalar>) throws -> ConventionComparison<Scalar> {
        guard spec.timeMajor == other.spec.timeMajor else {
            throw ExperimentError(file: other.file, field: "time_major",
                                  "\(other.spec.timeMajor) where \(file) has \(spec.timeMajor): compare experiments in one layout")
        }
        guard inputs.shape == other.inputs.shape, inputs.scalars == other.inputs.scalars else {
            let how = inputs.shape == other.inputs.shape ? "hold other values" : "have shape \(other.inputs.shape), not \(inputs.shape)"
            throw ExperimentError(file: other.file, field: "inputs", "the inputs \(how) than \(file)'s: two experiments compare on the same inputs")
        }
        let a = try modelResult(), b = try other.modelResult()
        return try located {
            try ConventionComparison(results: a, b, names: (spec.name.isEmpty ? file : spec.name, other.spec.name.isEmpty ? other.file : other.spec.name),
                                     sequenceLength: spec.sequenceLength, timeMajor: spec.timeMajor)
        }
    }

    /// The run as the model's convention computes it (`run()`'s numbers, with the model that made them).
    func modelResult() throws -> ModelResult<Scalar> {
        try located {
            let initialStates = [initialState, initialStateBackward]
            return try stepMask.map {
                try spec.model.run(store: store, inputs: inputs, mask: $0, initialStates: initialStates, timeMajor: spec.timeMajor)
            } ?? spec.model.run(store: store, inputs: inputs, sequenceLength: spec.sequenceLength,
                                initialStates: initialStates, timeMajor: spec.timeMajor)
        }
    }
}
