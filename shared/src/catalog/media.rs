//! Media options priced per item: Flux image tiers, OpenAI TTS models and the fal video line-up.

use crate::money::MicroCredits;
use serde::Serialize;
use std::str::FromStr;

/// Flux quality tier for `/v1/images/generate` (`model` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageQuality {
    Schnell,
    Dev,
    Pro,
}

impl ImageQuality {
    /// Every tier, cheapest first.
    pub const ALL: [ImageQuality; 3] =
        [ImageQuality::Schnell, ImageQuality::Dev, ImageQuality::Pro];
    /// The tier used when the request names none.
    pub const DEFAULT: ImageQuality = ImageQuality::Schnell;

    /// The request/response id ("schnell", "dev", "pro").
    pub const fn id(self) -> &'static str {
        match self {
            ImageQuality::Schnell => "schnell",
            ImageQuality::Dev => "dev",
            ImageQuality::Pro => "pro",
        }
    }

    /// fal endpoint for this tier.
    pub const fn fal_endpoint(self) -> &'static str {
        match self {
            ImageQuality::Schnell => "fal-ai/flux/schnell",
            ImageQuality::Dev => "fal-ai/flux/dev",
            ImageQuality::Pro => "fal-ai/flux-pro/v1.1",
        }
    }

    /// Price per generated image.
    pub const fn price_per_image(self) -> MicroCredits {
        match self {
            ImageQuality::Schnell => MicroCredits::credits(1),
            ImageQuality::Dev => MicroCredits::credits(3),
            ImageQuality::Pro => MicroCredits::credits(6),
        }
    }
}

/// A service option id the catalog does not know (image tier, TTS model, video model).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind}: {value}")]
pub struct UnknownOption {
    pub kind: &'static str,
    pub value: String,
}

impl FromStr for ImageQuality {
    type Err = UnknownOption;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageQuality::ALL
            .into_iter()
            .find(|q| q.id() == s)
            .ok_or_else(|| UnknownOption {
                kind: "image model",
                value: s.to_string(),
            })
    }
}

/// OpenAI TTS model for `/v1/audio/speech`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TtsModel {
    #[serde(rename = "tts-1")]
    Standard,
    #[serde(rename = "tts-1-hd")]
    Hd,
}

impl TtsModel {
    /// Both models, standard first.
    pub const ALL: [TtsModel; 2] = [TtsModel::Standard, TtsModel::Hd];
    /// The model used when the request names none.
    pub const DEFAULT: TtsModel = TtsModel::Standard;

    /// OpenAI model id, sent upstream unchanged.
    pub const fn id(self) -> &'static str {
        match self {
            TtsModel::Standard => "tts-1",
            TtsModel::Hd => "tts-1-hd",
        }
    }

    /// Price per 1,000 input characters.
    pub const fn price_per_1k_chars(self) -> MicroCredits {
        match self {
            TtsModel::Standard => MicroCredits::credits(1),
            TtsModel::Hd => MicroCredits::credits(2),
        }
    }
}

impl FromStr for TtsModel {
    type Err = UnknownOption;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TtsModel::ALL
            .into_iter()
            .find(|m| m.id() == s)
            .ok_or_else(|| UnknownOption {
                kind: "tts model",
                value: s.to_string(),
            })
    }
}

/// A video model offered by `/video` and the media route, priced per generated clip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoModel {
    pub id: &'static str,
    pub display_name: &'static str,
    /// fal endpoint the media route calls (queue.fal.run + this path).
    pub fal_endpoint: &'static str,
    pub price_per_video: MicroCredits,
}

/// HexaClaw's video line-up (the API reference only fixes the 5–20 credit range and
/// `wan-2.1-turbo`); the media route should request fal's default short clip at the lowest
/// resolution, since fal bills some of these per second.
pub static VIDEO_MODELS: [VideoModel; 4] = [
    VideoModel {
        id: "wan-2.1-turbo",
        display_name: "Wan 2.1 Turbo (1.3B)",
        fal_endpoint: "fal-ai/wan/v2.1/1.3b/text-to-video",
        price_per_video: MicroCredits::credits(5),
    },
    VideoModel {
        id: "wan-2.1",
        display_name: "Wan 2.1 (14B)",
        fal_endpoint: "fal-ai/wan-t2v",
        price_per_video: MicroCredits::credits(10),
    },
    VideoModel {
        id: "kling-2.1-standard",
        display_name: "Kling 2.1 Standard",
        fal_endpoint: "fal-ai/kling-video/v2.1/standard/text-to-video",
        price_per_video: MicroCredits::credits(15),
    },
    VideoModel {
        id: "veo-3-fast",
        display_name: "Veo 3 Fast",
        fal_endpoint: "fal-ai/veo3/fast",
        price_per_video: MicroCredits::credits(20),
    },
];

/// The video model used when the request names none.
pub const DEFAULT_VIDEO_MODEL: &str = "wan-2.1-turbo";

/// Looks up a video model by its exact id.
pub fn video_model(id: &str) -> Option<&'static VideoModel> {
    VIDEO_MODELS.iter().find(|v| v.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CR: i64 = 1_000_000;

    #[test]
    fn video_models_span_five_to_twenty_credits() {
        let prices: Vec<i64> = VIDEO_MODELS
            .iter()
            .map(|v| v.price_per_video.micros())
            .collect();
        assert_eq!(prices, vec![5 * CR, 10 * CR, 15 * CR, 20 * CR]);
        assert!(video_model(DEFAULT_VIDEO_MODEL).is_some());
        assert_eq!(
            video_model("veo-3-fast").map(|v| crate::catalog::video_cost(v, 2).micros()),
            Some(40 * CR)
        );
        assert!(video_model("WAN-2.1").is_none());
    }

    #[test]
    fn options_parse_exactly() {
        assert_eq!("dev".parse::<ImageQuality>(), Ok(ImageQuality::Dev));
        assert!("Dev".parse::<ImageQuality>().is_err());
        assert_eq!("tts-1-hd".parse::<TtsModel>(), Ok(TtsModel::Hd));
        assert!("tts-2".parse::<TtsModel>().is_err());
        assert_eq!(
            serde_json::to_value(TtsModel::Hd).ok(),
            Some(serde_json::json!("tts-1-hd"))
        );
    }
}
