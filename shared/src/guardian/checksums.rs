//! Checksums and structural rules that separate real identifiers from look-alike numbers.

/// Luhn (mod 10) check over ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    let remainder = sum % 10;
    remainder == 0
}

/// Issuer prefix and length of the major card networks.
pub fn card_network_ok(digits: &[u8]) -> bool {
    let len = digits.len();
    let prefix = |n: usize| -> u32 {
        digits
            .iter()
            .take(n)
            .fold(0, |acc, &b| acc * 10 + u32::from(b - b'0'))
    };
    match digits.first() {
        Some(b'4') => matches!(len, 13 | 16 | 19),
        // Mastercard 51-55; Maestro 50 and 56-58.
        Some(b'5') => {
            ((51..=55).contains(&prefix(2)) && len == 16)
                || (matches!(prefix(2), 50 | 56..=58) && (12..=19).contains(&len))
        }
        Some(b'2') => (2221..=2720).contains(&prefix(4)) && len == 16,
        Some(b'3') => {
            let p2 = prefix(2);
            (matches!(p2, 34 | 37) && len == 15)
                || ((3528..=3589).contains(&prefix(4)) && (16..=19).contains(&len))
                || (((300..=305).contains(&prefix(3)) || matches!(p2, 36 | 38 | 39))
                    && (14..=19).contains(&len))
        }
        Some(b'6') => {
            (prefix(4) == 6011
                || (644..=649).contains(&prefix(3))
                || matches!(prefix(2), 62 | 65)
                || matches!(prefix(4), 6304 | 6759 | 6761..=6763))
                && (12..=19).contains(&len)
        }
        _ => false,
    }
}

/// Publicly documented test card numbers (Stripe, Visa, Mastercard, Amex, Discover sandboxes).
pub const TEST_CARDS: &[&str] = &[
    "4242424242424242",
    "4111111111111111",
    "4000056655665556",
    "5555555555554444",
    "5200828282828210",
    "5105105105105100",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "3056930009020004",
    "36227206271667",
    "3566002020360505",
    "4012888888881881",
    "4222222222222",
];

/// IBAN length by country (ISO 13616 registry, the commonly used part).
fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "NO" => 15,
        "BE" => 16,
        "DK" | "FI" | "FO" | "GL" | "NL" => 18,
        "MK" | "SI" => 19,
        "AT" | "BA" | "EE" | "KZ" | "LT" | "LU" | "XK" => 20,
        "CH" | "CR" | "HR" | "LI" | "LV" => 21,
        "BG" | "BH" | "DE" | "GB" | "GE" | "IE" | "ME" | "RS" => 22,
        "AE" | "GI" | "IL" => 23,
        "AD" | "CZ" | "ES" | "MD" | "PK" | "RO" | "SA" | "SE" | "SK" | "TN" | "VG" => 24,
        "PT" => 25,
        "IS" | "TR" => 26,
        "FR" | "GR" | "IT" | "MC" | "MR" | "SM" => 27,
        "AL" | "AZ" | "CY" | "DO" | "GT" | "HU" | "LB" | "PL" => 28,
        "BR" | "EG" | "PS" | "QA" | "UA" => 29,
        "JO" | "KW" | "MU" => 30,
        "MT" => 31,
        _ => return None,
    })
}

/// Expected length of an IBAN starting with this country code.
pub fn iban_expected_len(country: &str) -> Option<usize> {
    iban_length(country)
}

/// Full IBAN validation: country, length, and mod-97 == 1.
pub fn iban_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if b.len() < 15 || !b.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    if iban_length(&iban[..2]) != Some(b.len()) || !b[2].is_ascii_digit() || !b[3].is_ascii_digit()
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Documentation IBANs (Wikipedia, ECBS and bank examples).
pub const EXAMPLE_IBANS: &[&str] = &[
    "DE89370400440532013000",
    "GB82WEST12345698765432",
    "GB29NWBK60161331926819",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "CH9300762011623852957",
    "BE68539007547034",
];

/// SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000.
pub fn ssn_valid(area: u16, group: u8, serial: u16) -> bool {
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// SSNs printed on sample cards and in advertising, never assigned to a person.
pub const SAMPLE_SSNS: &[&str] = &["078-05-1120", "219-09-9999", "123-45-6789"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_valid_and_rejects_off_by_one() {
        assert!(luhn(b"4539148803436467"));
        assert!(!luhn(b"4539148803436468"));
        assert!(!luhn(b"4000123456789010"));
        assert!(!luhn(b""));
    }

    #[test]
    fn card_networks() {
        assert!(card_network_ok(b"4539148803436467"));
        assert!(card_network_ok(b"378282246310005"));
        assert!(!card_network_ok(b"1234567812345670"));
        assert!(!card_network_ok(b"3782822463100050"));
    }

    #[test]
    fn iban_mod97() {
        assert!(iban_valid("DE89370400440532013000"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(!iban_valid("DE88370400440532013000"));
        assert!(!iban_valid("DE8937040044053201300"));
        assert!(!iban_valid("ZZ89370400440532013000"));
    }

    #[test]
    fn ssn_rules() {
        assert!(ssn_valid(123, 45, 6788));
        assert!(!ssn_valid(0, 12, 3456));
        assert!(!ssn_valid(666, 12, 3456));
        assert!(!ssn_valid(912, 34, 5678));
        assert!(!ssn_valid(123, 0, 4567));
        assert!(!ssn_valid(123, 45, 0));
    }
}
