import Foundation
import RNNEngine

extension ExperimentConversion {
    /// The experiment's model converted to PyTorch (as `convert(to: .torch)` converts it) and its weights as a
    /// `.safetensors` state_dict of a bare module (`weight_ih_l0`, ...: what `nn.LSTM.load_state_dict` takes after
    /// `safetensors.torch.load_file`). Biases are always written (zeros where the model has none). The inputs and
    /// initial state are not part of a state_dict.
    public static func torchSafetensors(_ url: URL, displayName: String? = nil) throws -> Data {
        let name = displayName ?? url.path
        let spec = try ExperimentLoader.readSpec(url, displayName: name)
        func weights<S: RNNScalar>(_: S.Type) throws -> [(name: String, array: NumpyArray)] {
            let loaded = try ExperimentLoader.load(spec, file: name, baseDirectory: url.deletingLastPathComponent(), as: S.self, converting: true)
            return try converted(loaded, to: .torch).frameworkArrays.map { (name: $0.name, array: try NumpyArray($0.tensor)) }
        }
        return try SafetensorsArchive.encode(try weights(spec.dtype.scalarType))
    }
}
