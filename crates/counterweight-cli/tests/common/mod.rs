//! Helpers shared by the integration tests: the server as a child process, raw HTTP, the
//! CLI, a run directory's files.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub stderr: Option<std::process::ChildStderr>,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_counterweight"))
            .arg("serve")
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start counterweight serve");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap();
        let stderr = child.stderr.take();
        Server {
            child,
            addr,
            stderr,
        }
    }

    /// The server's address for a client (0.0.0.0 is reached through 127.0.0.1).
    pub fn client_addr(&self) -> SocketAddr {
        SocketAddr::new("127.0.0.1".parse().unwrap(), self.addr.port())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One raw HTTP/1.1 exchange (the request is sent as written: no path normalisation).
pub fn http(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

pub fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    http(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

pub fn get_bytes(addr: SocketAddr, path: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let at = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&buf[..at]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(!head.contains("transfer-encoding: chunked"), "{head}");
    buf[at..].to_vec()
}

pub fn post(addr: SocketAddr, path: &str, body: &[u8], extra_headers: &str) -> (u16, String) {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra_headers}Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    http(addr, &req)
}

pub fn cli(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_counterweight"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// The last row of replicate 0 of a metrics.csv, per variant (or `""` without variants).
pub fn final_rows(csv: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let vi = header.iter().position(|h| *h == "variant");
    // measure's metrics.csv has no replicate column: its rows are all "replicate 0".
    let ri = header.iter().position(|h| *h == "replicate");
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if ri.is_some_and(|ri| cells[ri] != "0") {
            continue;
        }
        let label = vi.map_or(String::new(), |i| cells[i].to_string());
        let row: Vec<(String, String)> = header
            .iter()
            .zip(&cells)
            .map(|(h, c)| (h.to_string(), c.to_string()))
            .collect();
        match out.iter_mut().find(|(l, _)| *l == label) {
            Some(e) => e.1 = row,
            None => out.push((label, row)),
        }
    }
    out
}

/// Every file under `dir` (recursively): its path relative to `dir` and its bytes, sorted
/// by path.
pub fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

/// Two runs wrote the same files, byte for byte (`what` names the difference in a failure).
pub fn assert_same_files(a: &[(PathBuf, Vec<u8>)], b: &[(PathBuf, Vec<u8>)], what: &str) {
    let names = |f: &[(PathBuf, Vec<u8>)]| f.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "different files {what}");
    for ((path, x), (_, y)) in a.iter().zip(b) {
        assert!(x == y, "{} differs {what}", path.display());
    }
}
