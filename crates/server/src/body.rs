//! Request and response bodies: size limits and gzip.

use std::io::{Read, Write};

use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use flate2::read::MultiGzDecoder;

use crate::error::ApiError;

/// The body, gunzipped when `Content-Encoding: gzip`, at most `limit` bytes
/// after decompression.
pub fn decode_body(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::v1(
            StatusCode::PAYLOAD_TOO_LARGE,
            "http: request body too large",
        )
    };
    if body.len() > limit {
        return Err(too_large());
    }
    match content_encoding(headers).as_str() {
        "" | "identity" => Ok(body),
        "gzip" => {
            let mut out = Vec::with_capacity(body.len() * 4);
            let decoder = MultiGzDecoder::new(&body[..]);
            let read = decoder
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| ApiError::bad_request(format!("gzip: {e}")))?;
            if read > limit {
                return Err(too_large());
            }
            Ok(Bytes::from(out))
        }
        other => Err(ApiError::v1(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported content encoding: {other}"),
        )),
    }
}

/// The request's `Content-Encoding`, trimmed and lower-cased ("" if none).
fn content_encoding(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether the request body is gzipped (`Content-Encoding: gzip`).
pub fn is_gzip(headers: &HeaderMap) -> bool {
    content_encoding(headers) == "gzip"
}

/// Whether the client accepts gzip answers (`Accept-Encoding`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")))
}

thread_local! {
    /// A raw-deflate compressor per thread, reset between answers: setting
    /// one up (window and hash tables) costs ~8 µs, a few per cent of a
    /// small query's CPU.
    static DEFLATE: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::fast(), false));
}

/// The gzip member header (RFC 1952): deflate, no name or time, "fastest"
/// compression, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];

/// `data` gzipped at the fastest level (answers are compressed once, for one client).
pub fn gzip_fast(data: &[u8]) -> std::io::Result<Vec<u8>> {
    DEFLATE.with(|deflate| {
        let mut deflate = deflate.borrow_mut();
        deflate.reset();
        let mut out = Vec::with_capacity(data.len() / 4 + 64);
        out.extend_from_slice(&GZIP_HEADER);
        let start = deflate.total_in();
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(1024));
            }
            let done = (deflate.total_in() - start) as usize;
            let status = deflate
                .compress_vec(&data[done..], &mut out, flate2::FlushCompress::Finish)
                .map_err(std::io::Error::other)?;
            if status == flate2::Status::StreamEnd {
                break;
            }
        }
        let mut crc = flate2::Crc::new();
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        // ISIZE: the input's length modulo 2^32.
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        Ok(out)
    })
}

/// One gzip stream sent in pieces: each piece is flushed (a sync flush)
/// so that the client can decode it as soon as it arrives, as a chunked
/// answer requires.
pub struct GzipPieces {
    encoder: flate2::write::GzEncoder<Vec<u8>>,
}

impl Default for GzipPieces {
    fn default() -> Self {
        Self {
            encoder: flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()),
        }
    }
}

impl GzipPieces {
    /// The compressed bytes of `data`, decodable up to its end.
    pub fn piece(&mut self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        self.encoder.write_all(data)?;
        self.encoder.flush()?;
        Ok(std::mem::take(self.encoder.get_mut()))
    }

    /// The end of the stream (the gzip trailer).
    pub fn finish(self) -> std::io::Result<Vec<u8>> {
        self.encoder.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        MultiGzDecoder::new(data).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn gzip_pieces_decode_piece_by_piece_and_whole() {
        let mut pieces = GzipPieces::default();
        let first = pieces.piece(b"{\"results\":[1]}\n").unwrap();
        // A sync-flushed piece decodes without the rest of the stream.
        let mut partial = Vec::new();
        let _ = flate2::read::GzDecoder::new(&first[..]).read_to_end(&mut partial);
        assert_eq!(partial, b"{\"results\":[1]}\n");
        let second = pieces.piece(b"{\"results\":[2]}\n").unwrap();
        let tail = pieces.finish().unwrap();
        let whole = [first, second, tail].concat();
        assert_eq!(gunzip(&whole), b"{\"results\":[1]}\n{\"results\":[2]}\n");
    }

    #[test]
    fn accepts_gzip_reads_the_encoding_list() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_gzip(&headers));
        headers.insert(
            axum::http::header::ACCEPT_ENCODING,
            "br, gzip;q=0.5".parse().unwrap(),
        );
        assert!(accepts_gzip(&headers));
        headers.insert(
            axum::http::header::ACCEPT_ENCODING,
            "identity".parse().unwrap(),
        );
        assert!(!accepts_gzip(&headers));
        assert_eq!(gunzip(&gzip_fast(b"abc").unwrap()), b"abc");
    }

    #[test]
    fn gzip_fast_reuses_its_compressor_across_answers() {
        // Sizes around the output's first allocation and past deflate's window.
        let text: Vec<u8> = (0..300_000u32)
            .flat_map(|i| format!("{{\"v\":{}}},", i % 977).into_bytes())
            .collect();
        for len in [0, 1, 100, 4_000, 70_000, text.len()] {
            let data = &text[..len];
            for _ in 0..2 {
                let zipped = gzip_fast(data).unwrap();
                assert_eq!(gunzip(&zipped), data, "{len} bytes");
                // Exactly one gzip member: a strict decoder reads it whole.
                let mut one = Vec::new();
                flate2::read::GzDecoder::new(&zipped[..])
                    .read_to_end(&mut one)
                    .unwrap();
                assert_eq!(one, data);
            }
        }
    }
}
