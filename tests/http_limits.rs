//! wicketd's HTTP connection layer under pressure: a flood of idle connections, big and
//! odd request heads, and the `Host` rule on direct endpoints. Raw TCP, so the bytes on
//! the wire are exactly the ones under test.

use crate::support::servers::{Wicketd, raw_status, reported_port};
use crate::support::{Env, bin, wait_for, wait_until};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wicket_core::proto::{Op, Request, Response};

/// How long an answer may take before the test fails. Generous for a loaded machine, but
/// shorter than the 10 s after which the old server's header timeout freed descriptors.
const ANSWER_DEADLINE: Duration = Duration::from_secs(8);

/// `alice:pw-alice-1`
const ALICE: &str = "Authorization: Basic YWxpY2U6cHctYWxpY2UtMQ==\r\n";

fn env_with_alice() -> Env {
    let env = Env::new();
    env.add_user("alice", "pw-alice-1");
    env
}

/// Sends `request` on `s` and reads the answer's status line and headers (the access check
/// answers without a body), failing loudly when nothing arrives by the deadline.
fn ask(s: &mut TcpStream, request: &[u8]) -> u16 {
    let until = Instant::now() + ANSWER_DEADLINE;
    s.write_all(request).unwrap_or_else(|e| panic!("write: {e}"));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let left = until.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no answer within {ANSWER_DEADLINE:?}; got {:?}", String::from_utf8_lossy(&head));
        let _ = s.set_read_timeout(Some(left));
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            Ok(_) => panic!("connection closed; got {:?}", String::from_utf8_lossy(&head)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("no answer ({e}); got {:?}", String::from_utf8_lossy(&head)),
        }
    }
    let text = String::from_utf8_lossy(&head);
    text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("odd answer {text:?}"))
}

/// [`ask`] on a new connection.
fn ask_new(port: u16, request: &[u8]) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect: {e}"));
    ask(&mut s, request)
}

fn auth(extra: &str) -> Vec<u8> {
    format!("GET /auth HTTP/1.1\r\nHost: app.example.org\r\nX-Original-URI: /app/\r\n{extra}\r\n").into_bytes()
}

/// A wicketd started under a small descriptor limit (`ulimit -n`, soft and hard) with a
/// connection cap, to show the cap keeps it answering where the limit would not.
struct Limited {
    child: Child,
    port: u16,
    socket: PathBuf,
}

impl Limited {
    fn start(env: &Env, nofile: u32, max_connections: usize) -> Self {
        let dir = env.dir.path();
        let socket = dir.join("limited.sock");
        let config = dir.join("limited.toml");
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nsocket = \"{}\"\nmax_connections = {max_connections}\n\
             [store]\n{}\n[throttle]\ndelays = [\"0s\"]\n",
            socket.display(),
            env.store_toml()
        );
        std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
        let log_path = dir.join("limited.log");
        let log = std::fs::File::create(&log_path).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
            .arg(bin("wicketd"))
            .arg("--config")
            .arg(&config)
            .env("WICKET_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn wicketd: {e}"));
        let limit = Duration::from_secs(15);
        let port = wait_for(limit, "wicketd under ulimit to report its port", || {
            reported_port(&std::fs::read_to_string(&log_path).unwrap_or_default())
        });
        let me = Self { child, port, socket };
        wait_until(limit, "wicketd under ulimit to answer /healthz", || {
            raw_status(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 200
        });
        me
    }
}

impl Drop for Limited {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn idle_connections_beyond_the_cap_lock_out_neither_auth_nor_the_local_socket() {
    let env = env_with_alice();
    // 64 descriptors: before the cap, 80 silent connections left none to accept with.
    let w = Limited::start(&env, 64, 16);
    // nginx's kept-alive upstream connection: it has answered a request before the flood.
    let mut kept = TcpStream::connect(("127.0.0.1", w.port)).unwrap_or_else(|e| panic!("connect: {e}"));
    assert_eq!(ask(&mut kept, &auth(ALICE)), 200);

    let flood: Vec<TcpStream> = (0..80)
        .map(|i| TcpStream::connect(("127.0.0.1", w.port)).unwrap_or_else(|e| panic!("idle connection {i}: {e}")))
        .collect();

    assert_eq!(ask_new(w.port, &auth(ALICE)), 200, "a new connection is answered");
    assert_eq!(ask_new(w.port, &auth("")), 401);
    assert_eq!(ask(&mut kept, &auth(ALICE)), 200, "the kept-alive connection still works");
    let asked = Request::new(Op::GetPwNam { name: "alice".into() });
    match wicket_core::client::call(&w.socket, &asked, ANSWER_DEADLINE) {
        Ok(Response::Passwd(u)) => assert_eq!(u.name, "alice"),
        other => panic!("the local socket did not answer the lookup: {other:?}"),
    }
    drop(flood);
}

#[test]
fn heads_as_big_as_nginx_accepts_reach_auth() {
    let env = env_with_alice();
    let w = Wicketd::start(&env, "");
    let cookie = format!("Cookie: {}\r\n", "c=1; ".repeat(2 * 1024));
    let big = (0..3).map(|i| format!("X-Big-{i}: {}\r\n", "b".repeat(7 * 1024))).collect::<String>();
    assert!(cookie.len() > 10 * 1024);
    assert_eq!(ask_new(w.port, &auth(&format!("{cookie}{big}{ALICE}"))), 200);
    assert_eq!(ask_new(w.port, &auth(&format!("{cookie}{big}"))), 401);
}

#[test]
fn control_bytes_in_headers_never_make_auth_answer_400() {
    let env = env_with_alice();
    let w = Wicketd::start(&env, "[[rule]]\npath = \"^/admin/\"\npolicy = \"deny\"\n");
    let cases: [(&[u8], u16); 6] = [
        // Any header: ignored, the request is judged on the rest.
        (b"X-Junk: a\x01b\r\nAuthorization: Basic YWxpY2U6cHctYWxpY2UtMQ==\r\n", 200),
        (b"Cookie: a=\x00\x1f\x7f\r\n", 401),
        (b"X\x01Bad-Name: x\r\n", 401),
        // The credential itself: unusable, so a challenge.
        (b"Authorization: Basic YWxpY2U6cHct\x01YWxpY2UtMQ==\r\n", 401),
        // The original URI: still the admin path, so the rule still applies.
        (b"X-Original-URI: /admin/\x01\r\n", 403),
        (b"X-Original-URI: /adm\x01in/\r\n", 401),
    ];
    for (headers, want) in cases {
        let mut req = b"GET /auth HTTP/1.1\r\nHost: app.example.org\r\n".to_vec();
        if !headers.starts_with(b"X-Original-URI") {
            req.extend_from_slice(b"X-Original-URI: /app/\r\n");
        }
        req.extend_from_slice(headers);
        req.extend_from_slice(b"\r\n");
        assert_eq!(ask_new(w.port, &req), want, "{:?}", String::from_utf8_lossy(headers));
    }
}

#[test]
fn direct_endpoints_need_one_host_and_auth_never_answers_400() {
    let env = env_with_alice();
    let w = Wicketd::start(&env, "");
    for path in ["/healthz", "/metrics", "/whoami"] {
        let none = format!("GET {path} HTTP/1.1\r\n\r\n");
        assert_eq!(ask_new(w.port, none.as_bytes()), 400, "{path} without Host");
        let two = format!("GET {path} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
        assert_eq!(ask_new(w.port, two.as_bytes()), 400, "{path} with two Hosts");
    }
    assert_eq!(ask_new(w.port, b"GET /healthz HTTP/1.0\r\n\r\n"), 200, "HTTP/1.0 needs no Host");
    let no_host = format!("GET /auth HTTP/1.1\r\nX-Original-URI: /app/\r\n{ALICE}\r\n");
    assert_eq!(ask_new(w.port, no_host.as_bytes()), 200);
    assert_eq!(ask_new(w.port, b"GET /auth HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 401);
}
