//! What sits behind a proxy in the proxy tests: a small Python server that echoes the
//! request it received, and a guard that stops any child process on drop.

use super::servers::{STARTUP, raw_status, reserve_port};
use super::{poll, wait_until};
use std::process::{Child, Command, Stdio};

/// A child process stopped (TERM, then KILL) on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
            if poll(STARTUP, || self.0.try_wait().ok().flatten()).is_none() {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
    }
}

/// The upstream: answers every GET with `request: METHOD PATH` and then the request headers
/// it received, one per line, names in lower case. Returns it and its port.
pub fn echo_server() -> (Proc, u16) {
    let port = reserve_port();
    let script = r#"
import sys, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        lines = [f"request: {self.command} {self.path}\n"]
        lines += [f"{k.lower()}: {v}\n" for k, v in self.headers.items()]
        body = "".join(lines).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"#;
    let child = Command::new("python3")
        .args(["-c", script, &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    let p = Proc(child);
    wait_until(STARTUP, "the echo server", || raw_status(port, b"GET / HTTP/1.0\r\n\r\n") == 200);
    (p, port)
}

/// Makes the store unreadable: garbage over the database file, its WAL and its shared
/// memory, each overwritten in place. Deleting the WAL and shared memory instead is not
/// enough: wicketd's open connections keep the deleted files and go on reading (and writing:
/// the event trail's batches) through them, and a checkpoint copies good pages back over
/// the garbage.
pub fn corrupt_store(db: &std::path::Path) {
    let garbage: Vec<u8> = (0..16 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(db, &garbage).unwrap_or_else(|e| panic!("{e}"));
    for ext in ["-wal", "-shm"] {
        let mut p = db.to_path_buf().into_os_string();
        p.push(ext);
        if std::path::Path::new(&p).exists() {
            std::fs::write(&p, &garbage).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
