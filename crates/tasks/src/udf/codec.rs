//! Framing of the UDF protocol: every message is preceded by its length as
//! a protobuf varint; there is no footer.

use std::io::{self, Read, Write};

/// Largest message accepted from a UDF (a guard against a corrupt stream).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Writes `msg` with its varint length prefix.
pub fn write_message<M: prost::Message, W: Write>(w: &mut W, msg: &M) -> io::Result<()> {
    let buf = msg.encode_length_delimited_to_vec();
    w.write_all(&buf)?;
    w.flush()
}

/// Reads one message; `Ok(None)` at a clean end of stream (before a length).
pub fn read_message<M: prost::Message + Default, R: Read>(r: &mut R) -> io::Result<Option<M>> {
    let Some(len) = read_varint(r)? else {
        return Ok(None);
    };
    if len as usize > MAX_MESSAGE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("message of {len} bytes exceeds the limit of {MAX_MESSAGE_BYTES}"),
        ));
    }
    let mut buf = vec![0u8; len as usize];
    r.read_exact(&mut buf)?;
    M::decode(buf.as_slice())
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("invalid message: {e}")))
}

/// Reads a varint; `Ok(None)` when the stream ends before its first byte.
fn read_varint<R: Read>(r: &mut R) -> io::Result<Option<u64>> {
    let mut value = 0u64;
    for i in 0..10 {
        let mut b = [0u8; 1];
        match r.read(&mut b) {
            Ok(0) if i == 0 => return Ok(None),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                continue;
            }
            Err(e) => return Err(e),
        }
        value |= u64::from(b[0] & 0x7f) << (7 * i);
        if b[0] & 0x80 == 0 {
            return Ok(Some(value));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "varint longer than 10 bytes",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::udf::proto::{self, request, response};

    #[test]
    fn round_trips_framed_messages() {
        let mut buf = Vec::new();
        let req = proto::request(request::Message::Keepalive(proto::KeepaliveRequest {
            time: 1_234_567_890_123,
        }));
        write_message(&mut buf, &req).unwrap();
        let p = proto::Point {
            name: "cpu".into(),
            time: -5,
            fields_double: [("v".to_string(), 1.5)].into(),
            ..Default::default()
        };
        write_message(
            &mut buf,
            &proto::request(request::Message::Point(p.clone())),
        )
        .unwrap();
        let mut r = buf.as_slice();
        assert_eq!(
            read_message::<proto::Request, _>(&mut r).unwrap(),
            Some(req)
        );
        let got: proto::Request = read_message(&mut r).unwrap().unwrap();
        assert_eq!(got.message, Some(request::Message::Point(p)));
        assert_eq!(read_message::<proto::Request, _>(&mut r).unwrap(), None);
    }

    #[test]
    fn known_bytes_of_kapacitor_messages() {
        // Response{info: InfoResponse{}}: field 1, empty message.
        let mut buf = Vec::new();
        write_message(
            &mut buf,
            &proto::response(response::Message::Info(proto::InfoResponse::default())),
        )
        .unwrap();
        assert_eq!(buf, [2, 0x0a, 0]);
        // Response{init: InitResponse{success: true}}.
        let mut r: &[u8] = &[4, 0x12, 2, 0x08, 1];
        let got: proto::Response = read_message(&mut r).unwrap().unwrap();
        assert_eq!(
            got.message,
            Some(response::Message::Init(proto::InitResponse {
                success: true,
                error: String::new()
            }))
        );
        let mut truncated: &[u8] = &[5, 0x12, 2];
        assert!(read_message::<proto::Response, _>(&mut truncated).is_err());
    }
}
