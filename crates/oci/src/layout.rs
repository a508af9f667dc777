//! The CNCF "Wasm OCI artifact" layout: one `application/wasm` layer and a
//! small `application/vnd.wasm.config.v0+json` config.

use oci_client::client::{Config, ImageLayer};
use oci_client::manifest::OciImageManifest;

/// The layer's media type: the component itself.
pub const LAYER_MEDIA_TYPE: &str = "application/wasm";
/// The config's media type.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The manifest's media type.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// What is pushed: the two blobs and the manifest's exact bytes.
pub(crate) struct Artifact {
    pub(crate) layer: ImageLayer,
    pub(crate) config: Config,
    pub(crate) manifest: Vec<u8>,
}

/// The config `wkg` writes, without what would make the digest depend on
/// when or where it was pushed: `created` is the Unix epoch, so pushing the
/// same component twice gives the same manifest digest.
fn config_json(layer_digest: &str) -> Vec<u8> {
    serde_json::json!({
        "created": "1970-01-01T00:00:00Z",
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [layer_digest],
    })
    .to_string()
    .into_bytes()
}

/// The artifact for `component`.
pub(crate) fn artifact(component: &[u8]) -> Artifact {
    let layer = ImageLayer::new(component.to_vec(), LAYER_MEDIA_TYPE.into(), None);
    let data = config_json(&crate::sha256_digest(component));
    let config = Config::new(data, CONFIG_MEDIA_TYPE.into(), None);
    let mut manifest = OciImageManifest::build(std::slice::from_ref(&layer), &config, None);
    manifest.media_type = Some(MANIFEST_MEDIA_TYPE.into());
    // Serialising a derived struct cannot fail.
    let manifest = serde_json::to_vec(&manifest).unwrap_or_default();
    Artifact {
        layer,
        config,
        manifest,
    }
}

/// The one wasm layer of a pulled manifest, or why it is not an artifact.
pub(crate) fn wasm_layer(manifest: &[u8]) -> Result<oci_client::manifest::OciDescriptor, String> {
    let manifest: OciImageManifest =
        serde_json::from_slice(manifest).map_err(|e| format!("manifest: {e}"))?;
    if manifest.config.media_type != CONFIG_MEDIA_TYPE {
        return Err(format!(
            "config media type is {}, expected {CONFIG_MEDIA_TYPE}",
            manifest.config.media_type
        ));
    }
    match manifest.layers.as_slice() {
        [layer] if layer.media_type == LAYER_MEDIA_TYPE => Ok(layer.clone()),
        [layer] => Err(format!(
            "layer media type is {}, expected {LAYER_MEDIA_TYPE}",
            layer.media_type
        )),
        layers => Err(format!("{} layers, expected one", layers.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_has_the_wasm_media_types_and_one_layer() {
        let a = artifact(b"\0asm\x0d\0\x01\0");
        let m: serde_json::Value = serde_json::from_slice(&a.manifest).unwrap();
        assert_eq!(m["mediaType"], MANIFEST_MEDIA_TYPE);
        assert_eq!(m["config"]["mediaType"], CONFIG_MEDIA_TYPE);
        assert_eq!(m["layers"][0]["mediaType"], LAYER_MEDIA_TYPE);
        assert_eq!(wasm_layer(&a.manifest).unwrap().size, 8);
    }

    #[test]
    fn pushing_the_same_component_twice_gives_the_same_manifest() {
        assert_eq!(artifact(b"abc").manifest, artifact(b"abc").manifest);
    }

    #[test]
    fn a_manifest_with_a_tar_layer_is_not_a_wasm_artifact() {
        let a = artifact(b"abc");
        let text = String::from_utf8(a.manifest).unwrap();
        let tar = text.replace(LAYER_MEDIA_TYPE, "application/vnd.oci.image.layer.v1.tar");
        let err = wasm_layer(tar.as_bytes()).unwrap_err();
        assert!(err.contains("layer media type"), "{err}");
    }
}
