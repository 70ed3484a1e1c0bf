//! Non-LLM prices (search, images, audio, browser, vectors, guardian, media…) and their cost helpers.

use super::media::{ImageQuality, TtsModel, VideoModel};
use crate::money::MicroCredits;
use serde::Serialize;

/// Web search (Brave), per query.
pub const WEB_SEARCH_PER_QUERY: MicroCredits = MicroCredits::credits(1);
/// Speech-to-text (Whisper), per minute of audio.
pub const STT_PER_MINUTE: MicroCredits = MicroCredits::credits(1);
/// Browser session (Browserbase), per minute of session time.
pub const BROWSER_PER_MINUTE: MicroCredits = MicroCredits::credits(2);
/// A browser session is billed for at least this long ("minimum 1 minute").
pub const BROWSER_MIN_BILLED_MS: u64 = 60_000;
/// Vector upsert, per 1,000 vectors (queries and deletes are free).
pub const VECTORS_UPSERT_PER_1K: MicroCredits = MicroCredits::credits(1);
/// Guardian scan, analyze or input/output scan, per call.
pub const GUARDIAN_PER_SCAN: MicroCredits = MicroCredits::credits(1);
/// Web scrape (Firecrawl), per page.
pub const SCRAPE_PER_PAGE: MicroCredits = MicroCredits::credits(2);
/// Email (Resend), per message sent.
pub const EMAIL_PER_MESSAGE: MicroCredits = MicroCredits::credits(1);
/// Music generation (fal), per track.
pub const MUSIC_PER_TRACK: MicroCredits = MicroCredits::credits(3);
/// fal endpoint used for music generation (HexaClaw's choice; takes `seconds_total`).
pub const MUSIC_FAL_ENDPOINT: &str = "fal-ai/stable-audio";
/// BYOK requests pay this percentage of the list price …
pub const BYOK_FEE_PERCENT: i64 = 5;
/// … but never less than this.
pub const BYOK_MIN_FEE: MicroCredits = MicroCredits::credits(1);

const MS_PER_MINUTE: i128 = 60_000;

/// `price × n`, saturating (counts come from clients).
fn times(price: MicroCredits, n: u64) -> MicroCredits {
    let v = price.micros() as i128 * n as i128;
    MicroCredits(v.min(i64::MAX as i128) as i64)
}

/// Cost of `queries` web searches.
pub fn web_search_cost(queries: u64) -> MicroCredits {
    times(WEB_SEARCH_PER_QUERY, queries)
}

/// Cost of `images` images at `quality`.
pub fn image_cost(quality: ImageQuality, images: u64) -> MicroCredits {
    times(quality.price_per_image(), images)
}

/// Cost of speaking `chars` characters (pro-rata per 1K, rounded up to 1 µcr).
pub fn tts_cost(model: TtsModel, chars: u64) -> MicroCredits {
    MicroCredits::per_thousand(chars, model.price_per_1k_chars())
}

/// Minutes billed for `audio_ms` milliseconds of audio: every started minute.
pub fn stt_billed_minutes(audio_ms: u64) -> u64 {
    audio_ms.div_ceil(MS_PER_MINUTE as u64)
}

/// Cost of transcribing `audio_ms` milliseconds of audio: 1 credit per started minute.
pub fn stt_cost(audio_ms: u64) -> MicroCredits {
    times(STT_PER_MINUTE, stt_billed_minutes(audio_ms))
}

/// Minutes billed for a browser session that lasted `session_ms`: every started minute, at
/// least one.
pub fn browser_billed_minutes(session_ms: u64) -> u64 {
    session_ms
        .max(BROWSER_MIN_BILLED_MS)
        .div_ceil(MS_PER_MINUTE as u64)
}

/// Cost of a browser session that lasted `session_ms`: 2 credits per started minute, one-minute
/// minimum.
pub fn browser_cost(session_ms: u64) -> MicroCredits {
    times(BROWSER_PER_MINUTE, browser_billed_minutes(session_ms))
}

/// Cost of upserting `vectors` vectors (pro-rata per 1K, rounded up to 1 µcr).
pub fn vectors_upsert_cost(vectors: u64) -> MicroCredits {
    MicroCredits::per_thousand(vectors, VECTORS_UPSERT_PER_1K)
}

/// Cost of `scans` guardian calls.
pub fn guardian_cost(scans: u64) -> MicroCredits {
    times(GUARDIAN_PER_SCAN, scans)
}

/// Cost of scraping `pages` pages.
pub fn scrape_cost(pages: u64) -> MicroCredits {
    times(SCRAPE_PER_PAGE, pages)
}

/// Cost of sending `messages` emails.
pub fn email_cost(messages: u64) -> MicroCredits {
    times(EMAIL_PER_MESSAGE, messages)
}

/// Cost of generating `tracks` music tracks.
pub fn music_cost(tracks: u64) -> MicroCredits {
    times(MUSIC_PER_TRACK, tracks)
}

/// Cost of `videos` clips from `model`.
pub fn video_cost(model: &VideoModel, videos: u64) -> MicroCredits {
    times(model.price_per_video, videos)
}

/// Platform fee for a BYOK request whose list price is `list_price`: max(1 credit, 5%).
pub fn byok_fee(list_price: MicroCredits) -> MicroCredits {
    list_price.percent_ceil(BYOK_FEE_PERCENT).max(BYOK_MIN_FEE)
}

/// The unit a service price is quoted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceUnit {
    PerQuery,
    PerImage,
    Per1kCharacters,
    PerMinute,
    Per1mTokens,
    Per1kVectors,
    PerScan,
    PerPage,
    PerEmail,
    PerTrack,
    PerVideo,
    Free,
}

/// One row of the public service price list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ServicePrice {
    /// Stable id, also the `service` key in usage breakdowns.
    pub id: &'static str,
    pub display_name: &'static str,
    pub price: MicroCredits,
    pub unit: PriceUnit,
}

const fn sp(id: &'static str, name: &'static str, credits: i64, unit: PriceUnit) -> ServicePrice {
    ServicePrice {
        id,
        display_name: name,
        price: MicroCredits::credits(credits),
        unit,
    }
}

/// The API reference's Services table, then the CLI-documented services (scrape, email, music,
/// video per model).
#[rustfmt::skip]
pub static SERVICE_PRICES: [ServicePrice; 21] = [
    sp("web_search", "Web Search", 1, PriceUnit::PerQuery),
    sp("image_schnell", "Image Gen (schnell)", 1, PriceUnit::PerImage),
    sp("image_dev", "Image Gen (dev)", 3, PriceUnit::PerImage),
    sp("image_pro", "Image Gen (pro)", 6, PriceUnit::PerImage),
    sp("tts_standard", "TTS (standard)", 1, PriceUnit::Per1kCharacters),
    sp("tts_hd", "TTS (HD)", 2, PriceUnit::Per1kCharacters),
    sp("stt", "Speech-to-Text", 1, PriceUnit::PerMinute),
    sp("browser", "Browser Session", 2, PriceUnit::PerMinute),
    sp("embeddings_small", "Embeddings (small)", 2, PriceUnit::Per1mTokens),
    sp("embeddings_large", "Embeddings (large)", 13, PriceUnit::Per1mTokens),
    sp("embeddings_gemini", "Embeddings (gemini)", 1, PriceUnit::Per1mTokens),
    sp("vectors_upsert", "Vectors Upsert", 1, PriceUnit::Per1kVectors),
    sp("vectors_query", "Vectors Query", 0, PriceUnit::Free),
    sp("guardian_scan", "Guardian Scan", 1, PriceUnit::PerScan),
    sp("scrape", "Web Scrape", 2, PriceUnit::PerPage),
    sp("email", "Email", 1, PriceUnit::PerEmail),
    sp("music", "Music Generation", 3, PriceUnit::PerTrack),
    sp("video_wan-2.1-turbo", "Video (wan-2.1-turbo)", 5, PriceUnit::PerVideo),
    sp("video_wan-2.1", "Video (wan-2.1)", 10, PriceUnit::PerVideo),
    sp("video_kling-2.1-standard", "Video (kling-2.1-standard)", 15, PriceUnit::PerVideo),
    sp("video_veo-3-fast", "Video (veo-3-fast)", 20, PriceUnit::PerVideo),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::media::VIDEO_MODELS;
    use crate::catalog::models::EMBEDDING_MODELS;

    const CR: i64 = 1_000_000;

    #[test]
    fn unit_prices_match_reference() {
        assert_eq!(web_search_cost(3).micros(), 3 * CR);
        let imgs: Vec<i64> = ImageQuality::ALL
            .iter()
            .map(|q| image_cost(*q, 1).micros())
            .collect();
        assert_eq!(imgs, vec![CR, 3 * CR, 6 * CR]);
        assert_eq!(guardian_cost(1).micros(), CR);
        assert_eq!(scrape_cost(1).micros(), 2 * CR);
        assert_eq!(email_cost(2).micros(), 2 * CR);
        assert_eq!(music_cost(1).micros(), 3 * CR);
    }

    #[test]
    fn tts_is_pro_rata_per_thousand_chars() {
        assert_eq!(tts_cost(TtsModel::Standard, 1_000).micros(), CR);
        assert_eq!(tts_cost(TtsModel::Hd, 1_000).micros(), 2 * CR);
        // 1,234 chars HD: 1234 × 2,000,000 / 1000 = 2,468,000 µcr.
        assert_eq!(tts_cost(TtsModel::Hd, 1_234).micros(), 2_468_000);
        // 1 char standard: 1000 µcr exactly.
        assert_eq!(tts_cost(TtsModel::Standard, 1).micros(), 1_000);
    }

    #[test]
    fn stt_bills_each_started_minute() {
        assert_eq!(stt_cost(60_000).micros(), CR);
        // 59.5 s starts one minute; 60.001 s, 61 s and 90 s start two.
        assert_eq!(stt_cost(59_500).micros(), CR);
        assert_eq!(stt_cost(60_001).micros(), 2 * CR);
        assert_eq!(stt_cost(61_000).micros(), 2 * CR);
        assert_eq!(stt_cost(90_000).micros(), 2 * CR);
        // 1 ms still starts a minute; no audio costs nothing.
        assert_eq!(stt_cost(1).micros(), CR);
        assert_eq!(stt_cost(0).micros(), 0);
        assert_eq!(stt_billed_minutes(300_000), 5);
        assert_eq!(stt_cost(u64::MAX).micros(), i64::MAX);
    }

    #[test]
    fn browser_bills_started_minutes_with_one_minute_minimum() {
        assert_eq!(browser_cost(0).micros(), 2 * CR);
        assert_eq!(browser_cost(59_999).micros(), 2 * CR);
        assert_eq!(browser_cost(60_000).micros(), 2 * CR);
        // 60.001 s started a second minute.
        assert_eq!(browser_cost(60_001).micros(), 4 * CR);
        // 150 s → 3 started minutes × 2 credits = 6 credits.
        assert_eq!(browser_cost(150_000).micros(), 6 * CR);
        assert_eq!(browser_billed_minutes(300_000), 5);
        assert_eq!(browser_cost(u64::MAX).micros(), i64::MAX);
    }

    #[test]
    fn vectors_upsert_per_thousand() {
        assert_eq!(vectors_upsert_cost(1_000).micros(), CR);
        assert_eq!(vectors_upsert_cost(10_000).micros(), 10 * CR);
        assert_eq!(vectors_upsert_cost(1).micros(), 1_000);
    }

    #[test]
    fn byok_fee_has_one_credit_floor() {
        assert_eq!(byok_fee(MicroCredits(1_000)).micros(), CR);
        // 5% of 100 credits = 5 credits.
        assert_eq!(byok_fee(MicroCredits::credits(100)).micros(), 5 * CR);
        // 5% of 20.000001 credits = 1.00000005 → rounds up to 1,000,001 µcr.
        assert_eq!(byok_fee(MicroCredits(20_000_001)).micros(), 1_000_001);
    }

    #[test]
    fn price_list_agrees_with_constants_and_tables() {
        let price = |id: &str| SERVICE_PRICES.iter().find(|s| s.id == id).map(|s| s.price);
        assert_eq!(price("web_search"), Some(WEB_SEARCH_PER_QUERY));
        assert_eq!(price("browser"), Some(BROWSER_PER_MINUTE));
        assert_eq!(price("stt"), Some(STT_PER_MINUTE));
        assert_eq!(price("vectors_upsert"), Some(VECTORS_UPSERT_PER_1K));
        assert_eq!(price("vectors_query"), Some(MicroCredits::ZERO));
        assert_eq!(
            price("image_pro"),
            Some(ImageQuality::Pro.price_per_image())
        );
        assert_eq!(price("tts_hd"), Some(TtsModel::Hd.price_per_1k_chars()));
        let embeddings = ["embeddings_small", "embeddings_large", "embeddings_gemini"];
        for (id, model) in embeddings.iter().zip(EMBEDDING_MODELS.iter()) {
            assert_eq!(price(id), Some(model.price_per_1m), "{id}");
        }
        for v in &VIDEO_MODELS {
            assert_eq!(price(&format!("video_{}", v.id)), Some(v.price_per_video));
        }
        for (i, s) in SERVICE_PRICES.iter().enumerate() {
            assert!(
                SERVICE_PRICES[i + 1..].iter().all(|o| o.id != s.id),
                "{}",
                s.id
            );
        }
    }

    #[test]
    fn counts_saturate_instead_of_overflowing() {
        assert_eq!(web_search_cost(u64::MAX).micros(), i64::MAX);
    }
}
