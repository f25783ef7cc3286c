//! A connection to one UDF agent: a child process (stdin/stdout) or a unix
//! socket. A writer thread sends requests from a queue (so the task never
//! blocks on a slow UDF), a reader thread decodes responses into a channel,
//! and for processes a third thread logs stderr and keeps its last lines.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::codec::{read_message, write_message};
use super::config::Transport;
use super::proto::{self, request, response};
use super::UdfError;

/// Lines of stderr kept for error messages.
const STDERR_TAIL: usize = 5;

/// The two directions of a transport, and what must be closed to stop it.
type Endpoints = (
    Box<dyn Read + Send>,
    Box<dyn Write + Send>,
    Option<Child>,
    Option<UnixStream>,
);

/// A running connection to a UDF.
pub struct Agent {
    name: String,
    requests: Option<Sender<proto::Request>>,
    responses: Receiver<Result<proto::Response, String>>,
    child: Option<Child>,
    socket: Option<UnixStream>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl Agent {
    /// Starts the process or connects to the socket of UDF `name`.
    pub fn start(name: &str, transport: &Transport) -> Result<Agent, UdfError> {
        let (resp_tx, responses) = mpsc::channel();
        let (req_tx, req_rx) = mpsc::channel::<proto::Request>();
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let fail = |m: String| UdfError::Start {
            name: name.to_string(),
            message: m,
        };
        let (reader, writer, child, socket): Endpoints = match transport {
            Transport::Process { prog, args, env } => {
                let mut child = Command::new(prog)
                    .args(args)
                    .envs(env)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .map_err(|e| fail(format!("starting {prog:?}: {e}")))?;
                let (Some(stdin), Some(stdout), Some(stderr)) =
                    (child.stdin.take(), child.stdout.take(), child.stderr.take())
                else {
                    let _ = child.kill();
                    return Err(fail("child process has no stdio pipes".into()));
                };
                let tail = stderr_tail.clone();
                let udf = name.to_string();
                std::thread::Builder::new()
                    .name(format!("udf-{name}-stderr"))
                    .spawn(move || {
                        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                            tracing::info!(udf = %udf, "{line}");
                            let mut t = tail.lock();
                            if t.len() == STDERR_TAIL {
                                t.pop_front();
                            }
                            t.push_back(line);
                        }
                    })
                    .map_err(|e| fail(format!("spawning thread: {e}")))?;
                (Box::new(stdout), Box::new(stdin), Some(child), None)
            }
            Transport::Socket(path) => {
                let s = UnixStream::connect(path)
                    .map_err(|e| fail(format!("connecting to {}: {e}", path.display())))?;
                let r = s.try_clone().map_err(|e| fail(e.to_string()))?;
                let w = s.try_clone().map_err(|e| fail(e.to_string()))?;
                (Box::new(r), Box::new(w), None, Some(s))
            }
        };
        let mut reader = BufReader::new(reader);
        let tx = resp_tx.clone();
        std::thread::Builder::new()
            .name(format!("udf-{name}-read"))
            .spawn(move || loop {
                match read_message::<proto::Response, _>(&mut reader) {
                    Ok(Some(r)) => {
                        if tx.send(Ok(r)).is_err() {
                            return;
                        }
                    }
                    Ok(None) => {
                        let _ = tx.send(Err("the UDF closed its output".to_string()));
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!("reading from the UDF: {e}")));
                        return;
                    }
                }
            })
            .map_err(|e| fail(format!("spawning thread: {e}")))?;
        let mut writer = std::io::BufWriter::new(writer);
        std::thread::Builder::new()
            .name(format!("udf-{name}-write"))
            .spawn(move || {
                while let Ok(req) = req_rx.recv() {
                    if let Err(e) = write_message(&mut writer, &req) {
                        let _ = resp_tx.send(Err(format!("writing to the UDF: {e}")));
                        return;
                    }
                }
            })
            .map_err(|e| fail(format!("spawning thread: {e}")))?;
        Ok(Agent {
            name: name.to_string(),
            requests: Some(req_tx),
            responses,
            child,
            socket,
            stderr_tail,
        })
    }

    /// Queues a request (never blocks).
    pub fn send(&self, m: request::Message) -> Result<(), String> {
        self.requests
            .as_ref()
            .and_then(|r| r.send(proto::request(m)).ok())
            .ok_or_else(|| "the UDF connection is closed".to_string())
    }

    /// A response that has already arrived, if any.
    pub fn try_recv(&self) -> Option<Result<response::Message, String>> {
        loop {
            return match self.responses.try_recv() {
                Ok(Ok(proto::Response { message: Some(m) })) => Some(Ok(m)),
                Ok(Ok(proto::Response { message: None })) => continue,
                Ok(Err(e)) => Some(Err(e)),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => {
                    Some(Err("the UDF connection is closed".to_string()))
                }
            };
        }
    }

    /// Waits up to `timeout` for the next response.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<response::Message, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            return match self.responses.recv_timeout(left) {
                Ok(Ok(proto::Response { message: Some(m) })) => Ok(m),
                Ok(Ok(proto::Response { message: None })) => continue,
                Ok(Err(e)) => Err(e),
                Err(RecvTimeoutError::Timeout) => Err(format!(
                    "no response from the UDF within {}",
                    crate::model::format_duration(timeout.as_nanos() as i64)
                )),
                Err(RecvTimeoutError::Disconnected) => {
                    Err("the UDF connection is closed".to_string())
                }
            };
        }
    }

    /// `cause` with the process's exit status and last stderr lines, when known.
    pub fn explain(&mut self, cause: &str) -> String {
        let mut s = cause.to_string();
        if let Some(child) = &mut self.child {
            // The reader sees EOF just before the process is reaped.
            for _ in 0..20 {
                match child.try_wait() {
                    Ok(Some(status)) => {
                        s.push_str(&format!(" (process {status})"));
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                    Err(_) => break,
                }
            }
        }
        let tail = self.stderr_tail.lock();
        if !tail.is_empty() {
            s.push_str(": ");
            s.push_str(&tail.iter().cloned().collect::<Vec<_>>().join(" | "));
        }
        s
    }

    /// Asks for the UDF's info and waits for it.
    pub fn info(&self, timeout: Duration) -> Result<proto::InfoResponse, String> {
        self.send(request::Message::Info(proto::InfoRequest {}))?;
        loop {
            match self.recv_timeout(timeout)? {
                response::Message::Info(i) => return Ok(i),
                response::Message::Error(e) => return Err(format!("UDF error: {}", e.error)),
                _ => continue,
            }
        }
    }

    /// Stops the connection: closes stdin / the socket and kills the process.
    pub fn stop(&mut self) {
        self.requests = None;
        if let Some(s) = &self.socket {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        tracing::debug!(udf = %self.name, "UDF connection stopped");
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.stop();
    }
}
