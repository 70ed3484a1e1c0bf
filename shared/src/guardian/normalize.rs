//! Unicode normalisation for the injection and policy scanners, with a byte map back to the original text.
//!
//! Three views are built from one pass: `fold` (lowercase, diacritics and look-alikes folded,
//! invisible characters removed), `canon` (`fold` with leetspeak digits read as letters; same
//! length, so it shares `fold`'s map) and `squeezed` (letters and digits of `canon` only, which
//! defeats spacing, hyphenation and dot tricks). `rot13` is `squeezed` rotated.

/// Normalised views of one text.
pub(crate) struct Normalized {
    pub fold: String,
    pub canon: String,
    fold_map: Vec<u32>,
    pub squeezed: String,
    pub rot13: String,
    squeezed_map: Vec<u32>,
    /// Original byte offsets where an obfuscation trick was undone.
    events: Vec<u32>,
}

enum Folded {
    One(char),
    Two(char, char),
}

impl Normalized {
    /// Builds every view of `text`.
    pub fn new(text: &str) -> Normalized {
        Normalized::build(text, true)
    }

    /// Builds only `fold` (what the deny-list needs); the other views stay empty.
    pub fn fold_only(text: &str) -> Normalized {
        Normalized::build(text, false)
    }

    fn build(text: &str, all_views: bool) -> Normalized {
        let bytes = text.as_bytes();
        let mut fold: Vec<u8> = Vec::with_capacity(text.len());
        let mut fold_map: Vec<u32> = Vec::with_capacity(text.len());
        let mut events = Vec::new();
        let mut mixed_cache: Option<(usize, usize, bool)> = None;
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i].is_ascii() {
                // Copy the whole ASCII run at once.
                let run = bytes[i..]
                    .iter()
                    .position(|b| !b.is_ascii())
                    .map_or(bytes.len(), |n| i + n);
                let from = fold.len();
                fold.extend_from_slice(&bytes[i..run]);
                fold[from..].make_ascii_lowercase();
                match (u32::try_from(i), u32::try_from(run)) {
                    (Ok(a), Ok(b)) => fold_map.extend(a..b),
                    _ => fold_map.extend((i..run).map(to_u32)),
                }
                i = run;
                continue;
            }
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            let at = to_u32(i);
            let width = c.len_utf8();
            if is_invisible(c) {
                if fold.last().is_some_and(u8::is_ascii_alphabetic) {
                    events.push(at);
                }
                i += width;
                continue;
            }
            let (folded, trick) = fold_char(c, || word_is_mixed(text, i, &mut mixed_cache));
            if trick {
                events.push(at);
            }
            let mut buf = [0u8; 4];
            let mut push = |ch: char| {
                let enc = ch.encode_utf8(&mut buf);
                fold.extend_from_slice(enc.as_bytes());
                fold_map.resize(fold.len(), at);
            };
            match folded {
                Folded::One(a) => push(a),
                Folded::Two(a, b) => {
                    push(a);
                    push(b);
                }
            }
            i += width;
        }
        // Only whole chars were pushed, so this cannot fail; fall back to a lossy copy regardless.
        let fold = String::from_utf8(fold)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        if !all_views {
            let (canon, squeezed, rot13, squeezed_map) =
                (String::new(), String::new(), String::new(), Vec::new());
            return Normalized {
                fold,
                canon,
                fold_map,
                squeezed,
                rot13,
                squeezed_map,
                events,
            };
        }
        let canon = leet(&fold, &fold_map, &mut events);
        let (squeezed, squeezed_map) = squeeze(&canon, &fold_map);
        // ROT13 moves ASCII letters only, so a byte map keeps non-ASCII chars intact.
        let rot13 =
            String::from_utf8(squeezed.bytes().map(rot13_byte).collect()).unwrap_or_default();
        Normalized {
            fold,
            canon,
            fold_map,
            squeezed,
            rot13,
            squeezed_map,
            events,
        }
    }

    /// Original span of a `fold`/`canon` byte range.
    pub fn span_fold(&self, orig: &str, start: usize, end: usize) -> (usize, usize) {
        span(&self.fold_map, orig, start, end)
    }

    /// Original span of a `squeezed`/`rot13` byte range.
    pub fn span_squeezed(&self, orig: &str, start: usize, end: usize) -> (usize, usize) {
        span(&self.squeezed_map, orig, start, end)
    }

    /// True when an obfuscation trick was undone inside the original range.
    pub fn obfuscated_within(&self, start: usize, end: usize) -> bool {
        let (s, e) = (to_u32(start), to_u32(end));
        let i = self.events.partition_point(|&p| p < s);
        self.events.get(i).is_some_and(|&p| p < e)
    }
}

fn to_u32(i: usize) -> u32 {
    // Inputs are bounded by request size limits far below 4 GiB; saturate rather than panic.
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn span(map: &[u32], orig: &str, start: usize, end: usize) -> (usize, usize) {
    let Some(&first) = map.get(start) else {
        return (orig.len(), orig.len());
    };
    let last = map.get(end.saturating_sub(1)).copied().unwrap_or(first) as usize;
    let last = last.min(orig.len());
    let end = last + orig[last..].chars().next().map_or(0, char::len_utf8);
    (first as usize, end)
}

/// Zero-width, joiners, soft hyphen, bidi marks, variation selectors, tag characters, combining marks.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
        | '\u{034F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{E0000}'..='\u{E007F}' | '\u{0300}'..='\u{036F}')
}

/// Folds one non-ASCII char; the flag says whether a look-alike trick was undone.
fn fold_char(c: char, mixed: impl FnOnce() -> bool) -> (Folded, bool) {
    let u = c as u32;
    // Kana, CJK ideographs and Hangul have no case and nothing to fold (a unit test checks
    // every one against the general path): skip the case-mapping table lookups.
    if is_uncased_cjk(u) {
        return (Folded::One(c), false);
    }
    if (0xFF01..=0xFF5E).contains(&u) {
        let a = char::from_u32(u - 0xFEE0).map_or(c, |a| a.to_ascii_lowercase());
        return (Folded::One(a), true);
    }
    if (0x1D400..=0x1D6A3).contains(&u) {
        let k = (u - 0x1D400) % 52;
        let a = char::from(b'a' + (k % 26) as u8);
        return (Folded::One(a), true);
    }
    if (0x1D7CE..=0x1D7FF).contains(&u) {
        return (
            Folded::One(char::from(b'0' + ((u - 0x1D7CE) % 10) as u8)),
            true,
        );
    }
    if (0x24B6..=0x24E9).contains(&u) {
        return (
            Folded::One(char::from(b'a' + ((u - 0x24B6) % 26) as u8)),
            true,
        );
    }
    if let Some(a) = small_capital(c) {
        return (Folded::One(a), true);
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    if let Some(a) = confusable(lower) {
        if mixed() {
            return (Folded::One(a), true);
        }
        return (Folded::One(lower), false);
    }
    (fold_latin(lower), false)
}

fn is_uncased_cjk(u: u32) -> bool {
    (0x3040..=0x9FFF).contains(&u) || (0xAC00..=0xD7A3).contains(&u)
}

fn fold_latin(c: char) -> Folded {
    let one = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ğ' | 'ģ' => 'g',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => 'i',
        'ł' | 'ľ' | 'ļ' | 'ĺ' => 'l',
        'ñ' | 'ń' | 'ň' | 'ņ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ŕ' | 'ř' => 'r',
        'ś' | 'š' | 'ş' | 'ș' => 's',
        'ť' | 'ţ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ž' | 'ż' => 'z',
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '«' | '»' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        'ß' => return Folded::Two('s', 's'),
        'æ' => return Folded::Two('a', 'e'),
        'œ' => return Folded::Two('o', 'e'),
        'þ' => return Folded::Two('t', 'h'),
        other => other,
    };
    Folded::One(one)
}

/// Latin small capitals (IPA and phonetic extensions), used to dodge keyword filters.
fn small_capital(c: char) -> Option<char> {
    Some(match c {
        'ᴀ' => 'a',
        'ʙ' => 'b',
        'ᴄ' => 'c',
        'ᴅ' => 'd',
        'ᴇ' => 'e',
        'ꜰ' => 'f',
        'ɢ' => 'g',
        'ʜ' => 'h',
        'ɪ' => 'i',
        'ᴊ' => 'j',
        'ᴋ' => 'k',
        'ʟ' => 'l',
        'ᴍ' => 'm',
        'ɴ' => 'n',
        'ᴏ' => 'o',
        'ᴘ' => 'p',
        'ʀ' => 'r',
        'ꜱ' => 's',
        'ᴛ' => 't',
        'ᴜ' => 'u',
        'ᴠ' => 'v',
        'ᴡ' => 'w',
        'ʏ' => 'y',
        'ᴢ' => 'z',
        _ => return None,
    })
}

/// Cyrillic and Greek letters that look like Latin ones (lowercase forms).
fn confusable(c: char) -> Option<char> {
    Some(match c {
        'а' | 'α' => 'a',
        'в' | 'β' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ε' => 'e',
        'һ' | 'н' => 'h',
        'і' | 'ι' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'о' | 'ο' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' => 'u',
        'ν' => 'v',
        'ԝ' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        _ => return None,
    })
}

/// True when the word around byte `i` mixes ASCII letters with Cyrillic/Greek look-alikes.
fn word_is_mixed(text: &str, i: usize, cache: &mut Option<(usize, usize, bool)>) -> bool {
    if let Some((_, _, m)) = cache.filter(|(s, e, _)| (*s..*e).contains(&i)) {
        return m;
    }
    let in_word = |c: char| c.is_alphabetic() || is_invisible(c);
    let start = text[..i]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| in_word(c))
        .last()
        .map_or(i, |(p, _)| p);
    let end = text[i..]
        .char_indices()
        .find(|&(_, c)| !in_word(c))
        .map_or(text.len(), |(p, _)| i + p);
    let word = &text[start..end];
    let mixed = word.chars().any(|c| c.is_ascii_alphabetic())
        && word.chars().any(|c| c.is_alphabetic() && !c.is_ascii());
    *cache = Some((start, end, mixed));
    mixed
}

/// The letter each leetspeak digit or symbol imitates (0 for every other byte).
static LEET: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'0' as usize] = b'o';
    t[b'1' as usize] = b'i';
    t[b'3' as usize] = b'e';
    t[b'4' as usize] = b'a';
    t[b'@' as usize] = b'a';
    t[b'5' as usize] = b's';
    t[b'$' as usize] = b's';
    t[b'7' as usize] = b't';
    t
};

/// Reads digits and symbols next to letters as the letters they imitate (same byte length).
fn leet(fold: &str, map: &[u32], events: &mut Vec<u32>) -> String {
    let b = fold.as_bytes();
    let mut out = b.to_vec();
    let mut added = false;
    for i in 0..b.len() {
        let to = LEET[usize::from(b[i])];
        if to == 0 {
            continue;
        }
        let near_letter = (i > 0 && b[i - 1].is_ascii_alphabetic())
            || b.get(i + 1).is_some_and(u8::is_ascii_alphabetic);
        if near_letter {
            out[i] = to;
            events.push(map[i]);
            added = true;
        }
    }
    if added {
        events.sort_unstable();
    }
    // Only ASCII bytes were replaced by ASCII bytes, so the result is still valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| fold.to_owned())
}

fn squeeze(canon: &str, map: &[u32]) -> (String, Vec<u32>) {
    let b = canon.as_bytes();
    let mut s = Vec::with_capacity(b.len());
    let mut m = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii() {
            if b[i].is_ascii_alphanumeric() {
                s.push(b[i]);
                m.push(map[i]);
            }
            i += 1;
            continue;
        }
        // Only whole chars are stepped over, so `i` is always a char boundary here.
        let Some(c) = canon[i..].chars().next() else {
            break;
        };
        let width = c.len_utf8();
        if c.is_alphanumeric() {
            s.extend_from_slice(&b[i..i + width]);
            m.extend(std::iter::repeat_n(map[i], width));
        }
        i += width;
    }
    // Whole chars were copied, so this cannot fail.
    (String::from_utf8(s).unwrap_or_default(), m)
}

fn rot13_byte(c: u8) -> u8 {
    match c {
        b'a'..=b'm' | b'A'..=b'M' => c + 13,
        b'n'..=b'z' | b'N'..=b'Z' => c - 13,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_invisibles_with_offsets() {
        let t = "Ig\u{200B}NORE précédentes";
        let n = Normalized::new(t);
        assert_eq!(n.fold, "ignore precedentes");
        let at = n.fold.find("precedentes").unwrap();
        let (s, e) = n.span_fold(t, at, at + "precedentes".len());
        assert_eq!(&t[s..e], "précédentes");
        assert!(n.obfuscated_within(0, 6));
    }

    #[test]
    fn confusables_only_in_mixed_words() {
        let n = Normalized::new("іgnоrе Москва");
        assert_eq!(n.fold, "ignore москва");
    }

    #[test]
    fn fullwidth_math_and_leet() {
        assert_eq!(Normalized::new("Ｉｇｎｏｒｅ").fold, "ignore");
        assert_eq!(Normalized::new("𝐈𝐠𝐧𝐨𝐫𝐞").fold, "ignore");
        assert_eq!(
            Normalized::new("1gn0r3 4ll in 2024").canon,
            "ignore all in 2024"
        );
    }

    #[test]
    fn uncased_cjk_shortcut_matches_the_general_fold() {
        let general = |c: char| {
            let lower = c.to_lowercase().next().unwrap_or(c);
            let flagged = small_capital(c).is_some() || confusable(lower).is_some();
            let folded = match fold_latin(lower) {
                Folded::One(a) => a == c,
                Folded::Two(..) => false,
            };
            !flagged && folded && c.to_lowercase().count() == 1
        };
        for u in (0x3040..=0x9FFF).chain(0xAC00..=0xD7A3) {
            if let Some(c) = char::from_u32(u) {
                assert!(is_uncased_cjk(u) && general(c), "U+{u:04X}");
            }
        }
    }

    #[test]
    fn squeezed_and_rot13_views() {
        let n = Normalized::new("i g-n.o r e; Vtaber");
        assert_eq!(n.squeezed, "ignorevtaber");
        assert_eq!(n.rot13, "vtaberignore");
        let (s, e) = n.span_squeezed("i g-n.o r e; Vtaber", 0, 6);
        assert_eq!((s, e), (0, 11));
    }
}
