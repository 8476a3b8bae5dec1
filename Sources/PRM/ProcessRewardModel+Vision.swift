import Foundation
import Tensors
import Autodiff
import NN
import Datasets

/// What a multimodal PRM shows its network of an instance's picture.
public enum ImageMode: String, Sendable, CaseIterable {
    /// The image's tiles as image tokens in the question turn.
    case images
    /// The same image tokens computed from a blank picture (every pixel at the normalised 0,
    /// the ImageNet mean colour): the control that tells whether the PRM reads the picture.
    case blanked
    /// No image tokens at all: the conversation is templated exactly as for a text-only PRM.
    case textOnly = "text_only"
}

extension ProcessRewardModel {
    /// Adds an InternVL-style vision path (`VisionTower`, new weights from `seed`): the images of
    /// instances (`PRMInstance.image`, ...) are tiled into `config.imageSize` tiles (at most
    /// `maxTiles`, plus a thumbnail when there is more than one), encoded in one batch per forward,
    /// and their tokens replace the `<IMG_CONTEXT>` embeddings of the question turn.
    /// `config.outputSize` is set to the backbone's hidden size. Errors: a backbone that cannot
    /// take image tokens (BERT, a llama with frozen blocks), or a config that does not validate.
    public func attachVision(_ config: VisionConfig, seed: UInt64, maxTiles: Int = 6) throws {
        guard network.acceptsImageTokens else {
            throw PRMError.invalidOption(network is LlamaPRMBackbone
                ? "a vision path needs every block of the llama backbone trainable (trainable_layers: nil): the frozen-block cache is keyed by token ids, which do not identify a picture"
                : "the \(type(of: network)) backbone does not take image tokens (the vision path works with the decoder trained from scratch and llama-family models)")
        }
        guard maxTiles >= 1 && maxTiles <= 64 else { throw PRMError.invalidOption("max_tiles must be in 1...64, got \(maxTiles)") }
        var c = config
        c.outputSize = network.hiddenSize
        do { try c.validate() } catch { throw PRMError.invalidConfig("\(error)") }
        setVision(VisionTower(config: c, seed: seed), maxTiles: maxTiles)
    }

    /// Installs `tower` (its `outputSize` must be the backbone's hidden size) and the tiling it reads.
    func setVision(_ tower: VisionTower, maxTiles: Int) {
        precondition(tower.config.outputSize == network.hiddenSize,
                     "vision output \(tower.config.outputSize) does not match the backbone's hidden size \(network.hiddenSize)")
        vision = tower
        images = PRMImages(tiling: ImageTiling(maxTiles: maxTiles, tileSize: tower.config.imageSize), baseDirectory: images?.baseDirectory)
        chatTemplate.imageTokensPerTile = tower.config.tokensPerTile
    }

    /// The pixels an instance's conversation carries under `imageMode` (nil: no image tokens).
    /// Templating cannot throw: read the images first with `loadImages`, which reports an
    /// unreadable file as an error; one that fails here stops with its message.
    func templatePixels(_ path: String?) -> ImagePixels? {
        guard vision != nil, imageMode != .textOnly, let path, let images else { return nil }
        let pixels: ImagePixels
        do { pixels = try images.pixels(path) } catch { preconditionFailure("\(error) (read images with prm.loadImages before templating)") }
        return imageMode == .blanked ? pixels.blanked : pixels
    }

    /// Reads every image the instances name (no-op without a vision path or when text-only), so
    /// that a missing or broken file is an error naming it before any training or scoring.
    public func loadImages(_ paths: [String?]) throws {
        guard vision != nil, imageMode != .textOnly, let images else { return }
        try images.load(paths)
    }

    /// The image-token rows of a padded batch: the tiles of every instance that has an image go
    /// through the vision tower in one forward; nil when no instance has one.
    func imageTokenRows(_ batch: [TemplatedInstance], length: Int) -> ImageTokenRows? {
        guard let vision else { return nil }
        let c = vision.config
        var scalars: [Float] = []
        var tiles = 0
        var rows: [Int] = [], pick: [Int] = []
        for (b, inst) in batch.enumerated() where !inst.imagePositions.isEmpty {
            guard let px = inst.pixels else { preconditionFailure("PRM: an instance has image positions but no pixels") }
            precondition(px.size == c.imageSize && px.channels == c.channels,
                         "PRM: image tiles of \(px.channels)x\(px.size)x\(px.size), the vision path reads \(c.channels)x\(c.imageSize)x\(c.imageSize)")
            precondition(inst.imagePositions.count <= px.tiles * c.tokensPerTile,
                         "PRM: \(inst.imagePositions.count) image positions for \(px.tiles) tiles of \(c.tokensPerTile) tokens")
            for (j, p) in inst.imagePositions.enumerated() {
                rows.append(b * length + p)
                pick.append(tiles * c.tokensPerTile + j)
            }
            scalars += px.scalars
            tiles += px.tiles
        }
        guard tiles > 0 else { return nil }
        let tokens = vision(Tensor(shape: [tiles, c.channels, c.imageSize, c.imageSize], scalars: scalars))
            .reshaped([tiles * c.tokensPerTile, c.outputSize])
        let values = pick.count == tiles * c.tokensPerTile ? tokens : tokens.indexSelect(axis: 0, indices: pick)
        return ImageTokenRows(rows: rows, values: values)
    }

    /// Every parameter value by name, the vision path's under `vision.` (what a reweighting
    /// checkpoint stores; frozen parameters included).
    public func stateDict() -> [String: Tensor] {
        var out = network.stateDict()
        if let vision { for (k, v) in vision.stateDict() { out["vision." + k] = v } }
        return out
    }

    /// Loads a `stateDict()` (strict: every parameter, no other key).
    public func load(stateDict: [String: Tensor]) throws {
        var text: [String: Tensor] = [:], image: [String: Tensor] = [:]
        for (k, v) in stateDict {
            if vision != nil, k.hasPrefix("vision.") { image[String(k.dropFirst(7))] = v } else { text[k] = v }
        }
        try network.load(stateDict: text)
        try vision?.load(stateDict: image)
    }

    // MARK: Checkpoint files

    /// The vision path's files in a PRM checkpoint folder.
    public static let visionConfigFile = "vision.json", visionWeightsFile = "vision.safetensors"

    struct VisionCheckpointConfig: Codable {
        var format = "dprm-prm-vision-v1"
        var vision: VisionConfig
        var maxTiles: Int
        enum CodingKeys: String, CodingKey { case format, vision, maxTiles = "max_tiles" }
    }

    /// `vision.json` and `vision.safetensors` for a checkpoint (empty without a vision path).
    func visionFiles() throws -> [String: Data] {
        guard let vision, let images else { return [:] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let meta = VisionCheckpointConfig(vision: vision.config, maxTiles: images.tiling.maxTiles)
        let weights = try Safetensors.encode(items: vision.stateDict().mapValues { .float($0, .F32) })
        return [Self.visionConfigFile: try encoder.encode(meta), Self.visionWeightsFile: Data(weights)]
    }

    /// Restores the vision path of a checkpoint folder when it has one.
    func loadVision(from directory: String) throws {
        func bad(_ problem: String) -> PRMError { .badCheckpoint(path: directory, problem: problem) }
        let metaPath = directory + "/" + Self.visionConfigFile
        guard FileManager.default.fileExists(atPath: metaPath) else { return }
        let meta: VisionCheckpointConfig
        do { meta = try JSONDecoder().decode(VisionCheckpointConfig.self, from: Data(contentsOf: URL(fileURLWithPath: metaPath))) }
        catch { throw bad("\(Self.visionConfigFile) does not parse: \(error)") }
        guard meta.format == "dprm-prm-vision-v1" else { throw bad("\(Self.visionConfigFile) has format '\(meta.format)', expected 'dprm-prm-vision-v1'") }
        do { try meta.vision.validate() } catch { throw bad("\(Self.visionConfigFile): \(error)") }
        guard meta.vision.outputSize == network.hiddenSize else {
            throw bad("\(Self.visionConfigFile): llm_hidden_size \(meta.vision.outputSize) but the model's hidden size is \(network.hiddenSize)")
        }
        guard meta.maxTiles >= 1 && meta.maxTiles <= 64 else { throw bad("\(Self.visionConfigFile): max_tiles \(meta.maxTiles) outside 1...64") }
        let weights: SafetensorsFile
        do {
            weights = try SafetensorsFile(path: directory + "/" + Self.visionWeightsFile)
            // Sizes against the weights before anything is allocated (a hostile config cannot
            // ask for a huge tower).
            try ConfigBounds.check(meta.vision.parameterLowerBound, configPath: metaPath, weightsPath: weights.path,
                                   held: ConfigBounds.elements(of: weights))
        } catch { throw bad("\(Self.visionWeightsFile): \(error)") }
        let tower = VisionTower(config: meta.vision, seed: 0)
        do { try tower.load(safetensors: weights) } catch { throw bad("\(Self.visionWeightsFile): \(error)") }
        setVision(tower, maxTiles: meta.maxTiles)
    }
}
