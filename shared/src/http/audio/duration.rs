//! How long an uploaded audio file plays, measured from the file itself (never from what the
//! client says): the container is recognised by its magic bytes, then symphonia demuxes it
//! (no decoding) and the last packet's end time gives the duration.
//!
//! The container's own header duration (which excludes encoder delay and padding) is used when
//! the packets agree with it to within a second; otherwise the packets win, so a header that
//! under-states a long file, or over-states a truncated one, changes nothing.

use bytes::Bytes;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::{Duration, TimeBase, Timestamp};

/// Containers we accept (those Whisper reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Wav,
    Mp3,
    Flac,
    Ogg,
    Mp4,
    WebM,
}

impl Container {
    /// Recognise a container by its first bytes.
    pub fn sniff(b: &[u8]) -> Option<Container> {
        let at = |i: usize, m: &[u8]| b.get(i..i + m.len()) == Some(m);
        if at(0, b"RIFF") && at(8, b"WAVE") {
            Some(Container::Wav)
        } else if at(0, b"fLaC") {
            Some(Container::Flac)
        } else if at(0, b"OggS") {
            Some(Container::Ogg)
        } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
            Some(Container::WebM)
        } else if at(4, b"ftyp") {
            Some(Container::Mp4)
        } else if at(0, b"ID3") || (b.len() > 1 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0) {
            Some(Container::Mp3)
        } else {
            None
        }
    }

    /// File extensions Whisper accepts for this container; the first is the default.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Container::Wav => &["wav"],
            Container::Mp3 => &["mp3", "mpeg", "mpga"],
            Container::Flac => &["flac"],
            Container::Ogg => &["ogg", "oga"],
            Container::Mp4 => &["m4a", "mp4"],
            Container::WebM => &["webm"],
        }
    }

    /// The MIME type sent with the file.
    pub fn mime(self) -> &'static str {
        match self {
            Container::Wav => "audio/wav",
            Container::Mp3 => "audio/mpeg",
            Container::Flac => "audio/flac",
            Container::Ogg => "audio/ogg",
            Container::Mp4 => "audio/mp4",
            Container::WebM => "audio/webm",
        }
    }

    /// A safe filename for the upload: the client's stem (ASCII letters, digits, `-`, `_`
    /// only) with an extension that matches what the file really is.
    pub fn filename(self, client: Option<&str>) -> String {
        let name = client
            .unwrap_or("audio")
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("audio");
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) => (s, e.to_ascii_lowercase()),
            None => (name, String::new()),
        };
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        let stem = if stem.trim_matches('_').is_empty() {
            "audio".to_owned()
        } else {
            stem
        };
        let exts = self.extensions();
        let ext = exts.iter().find(|e| **e == ext).unwrap_or(&exts[0]);
        format!("{stem}.{ext}")
    }
}

/// What we learnt from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probed {
    pub container: Container,
    pub duration_ms: u64,
}

/// Why a file's duration could not be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotAudio(pub String);

/// Header and packets may disagree by this much before the packets win.
const AGREEMENT_MS: u64 = 1_000;

fn millis(tb: TimeBase, d: Duration) -> Option<u64> {
    tb.calc_duration(d)
        .and_then(|t| u64::try_from(t.as_millis()).ok())
}

/// Measure a file (CPU-bound: call it from `spawn_blocking`).
pub fn probe(data: Bytes) -> Result<Probed, NotAudio> {
    let container = Container::sniff(&data).ok_or_else(|| {
        NotAudio(
            "The file is not a recognised audio file (WAV, MP3, FLAC, OGG/Opus, M4A/MP4 or WebM)"
                .into(),
        )
    })?;
    let mss = MediaSourceStream::new(
        Box::new(std::io::Cursor::new(data)),
        MediaSourceStreamOptions::default(),
    );
    let mut hint = Hint::new();
    hint.with_extension(container.extensions()[0]);
    let unreadable =
        |e: &dyn std::fmt::Display| NotAudio(format!("The audio file could not be read: {e}"));
    let mut reader = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| unreadable(&e))?;
    let track = reader
        .default_track(TrackType::Audio)
        .ok_or_else(|| NotAudio("The file has no audio track".into()))?
        .clone();
    let tb = track
        .time_base
        .ok_or_else(|| NotAudio("The audio track has no time base".into()))?;
    let mut end: Option<Timestamp> = None;
    loop {
        match reader.next_packet() {
            Ok(Some(p)) if p.track_id == track.id => {
                let e = p.pts.saturating_add(p.dur);
                end = Some(end.map_or(e, |x| x.max(e)));
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            // A damaged or truncated tail ends the measurement; what came before still plays.
            Err(_) if end.is_some() => break,
            Err(e) => return Err(unreadable(&e)),
        }
    }
    let measured = end
        .and_then(|e| e.duration_from(track.start_ts))
        .and_then(|d| millis(tb, d))
        .unwrap_or(0);
    let header = track.duration.and_then(|d| millis(tb, d));
    let duration_ms = match header {
        Some(h) if measured >= h && measured - h <= AGREEMENT_MS => h,
        _ => measured,
    };
    if duration_ms == 0 {
        return Err(NotAudio("The audio file contains no audio".into()));
    }
    Ok(Probed {
        container,
        duration_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mono 8-bit PCM WAV of `ms` milliseconds of silence at 8 kHz.
    fn wav(ms: u64) -> Vec<u8> {
        let n = (ms * 8) as u32;
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + n).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes()); // PCM
        v.extend_from_slice(&1u16.to_le_bytes()); // mono
        v.extend_from_slice(&8_000u32.to_le_bytes());
        v.extend_from_slice(&8_000u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&8u16.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&n.to_le_bytes());
        v.resize(v.len() + n as usize, 0x80);
        v
    }

    #[test]
    fn wav_duration_is_measured() {
        let p = probe(Bytes::from(wav(59_500))).unwrap();
        assert_eq!(
            p,
            Probed {
                container: Container::Wav,
                duration_ms: 59_500
            }
        );
    }

    #[test]
    fn header_that_overstates_a_truncated_file_loses() {
        // Header says 10 s of data; only 2 s are there.
        let mut w = wav(10_000);
        w.truncate(44 + 16_000);
        // Packets are whole (1,152 frames here), so the last one may round up a little.
        let ms = probe(Bytes::from(w)).unwrap().duration_ms;
        assert!((2_000..2_200).contains(&ms), "{ms}");
    }

    #[test]
    fn non_audio_is_refused() {
        for junk in [
            &b"hello, not audio"[..],
            b"",
            b"\x7fELF\x02\x01\x01",
            b"RIFF\0\0\0\0WAVE",
        ] {
            assert!(probe(Bytes::copy_from_slice(junk)).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn filenames_match_the_content() {
        assert_eq!(Container::Mp3.filename(Some("talk.MPGA")), "talk.mpga");
        assert_eq!(Container::Wav.filename(Some("talk.mp3")), "talk.wav");
        assert_eq!(
            Container::Mp4.filename(Some("../../etc/pa\"ss wd")),
            "pa_ss_wd.m4a"
        );
        assert_eq!(
            Container::Flac.filename(Some("C:\\x\\take 1.flac")),
            "take_1.flac"
        );
        assert_eq!(Container::Ogg.filename(None), "audio.ogg");
        assert_eq!(Container::WebM.filename(Some("ü.webm")), "audio.webm");
        assert_eq!(
            Container::sniff(b"\0\0\0\x20ftypM4A "),
            Some(Container::Mp4)
        );
        assert_eq!(Container::sniff(&[0xFF, 0xFB, 0x90]), Some(Container::Mp3));
    }
}
