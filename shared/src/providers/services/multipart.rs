//! A `multipart/form-data` body (RFC 7578) built in memory, so an upload can be re-sent as is
//! when `upstream::post_with_retry` retries a 429/5xx.

/// Builds a form body part by part.
pub struct FormBuilder {
    boundary: String,
    body: Vec<u8>,
}

impl Default for FormBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// Quote-safe header parameter: no `"`, `\`, CR or LF can end the value early.
fn param(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if matches!(c, '"' | '\\' | '\r' | '\n') {
                '_'
            } else {
                c
            }
        })
        .collect()
}

impl FormBuilder {
    /// An empty form with a fresh random boundary.
    pub fn new() -> FormBuilder {
        FormBuilder {
            boundary: format!("hexaclaw-{}", uuid::Uuid::new_v4().simple()),
            body: Vec::new(),
        }
    }

    fn head(&mut self, disposition: &str, content_type: Option<&str>) {
        self.body
            .extend_from_slice(format!("--{}\r\n", self.boundary).as_bytes());
        self.body.extend_from_slice(
            format!("Content-Disposition: form-data; {disposition}\r\n").as_bytes(),
        );
        if let Some(ct) = content_type {
            self.body
                .extend_from_slice(format!("Content-Type: {}\r\n", param(ct)).as_bytes());
        }
        self.body.extend_from_slice(b"\r\n");
    }

    /// A text field.
    pub fn text(&mut self, name: &str, value: &str) {
        self.head(&format!("name=\"{}\"", param(name)), None);
        self.body.extend_from_slice(value.as_bytes());
        self.body.extend_from_slice(b"\r\n");
    }

    /// A file field.
    pub fn file(&mut self, name: &str, filename: &str, content_type: &str, data: &[u8]) {
        self.head(
            &format!("name=\"{}\"; filename=\"{}\"", param(name), param(filename)),
            Some(content_type),
        );
        self.body.reserve(data.len() + 2);
        self.body.extend_from_slice(data);
        self.body.extend_from_slice(b"\r\n");
    }

    /// The Content-Type header value and the finished body.
    pub fn finish(mut self) -> (String, Vec<u8>) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            self.body,
        )
    }
}
