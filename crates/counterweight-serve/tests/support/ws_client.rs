//! A blocking WebSocket client for the tests that drive `counterweight serve` (this
//! crate's and the command's, which includes this file by path).
//!
//! A read on a socket with a timeout is not restarted when the process is stopped and
//! continued (signal(7), "Interruption of system calls"): it fails with EINTR, nothing
//! consumed. CI failed on this once; reads are retried and an interrupted handshake
//! starts over on a new connection.

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tungstenite::{Error, HandshakeError, Message, WebSocket};

/// A session on the server's `/ws`, its reads timing out after 120 s.
pub fn connect(addr: SocketAddr) -> WebSocket<TcpStream> {
    loop {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        match tungstenite::client(format!("ws://{addr}/ws"), stream) {
            Ok((ws, _)) => return ws,
            Err(HandshakeError::Failure(Error::Io(e))) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("WebSocket handshake: {e:?}"),
        }
    }
}

/// The next message.
pub fn read(ws: &mut WebSocket<TcpStream>) -> tungstenite::Result<Message> {
    loop {
        match ws.read() {
            Err(Error::Io(e)) if e.kind() == ErrorKind::Interrupted => {}
            r => return r,
        }
    }
}
