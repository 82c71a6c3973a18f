//! The kernel's audit interface over a raw `NETLINK_AUDIT` socket.
//!
//! Three requests are used: `AUDIT_GET` reads the status, `AUDIT_SET`
//! switches auditing on or off (both need `CAP_AUDIT_CONTROL`), and
//! `AUDIT_USER_MSG` writes a message into the log (`CAP_AUDIT_WRITE`). A
//! socket bound to the multicast group `AUDIT_NLGRP_READLOG` receives a copy
//! of every record the kernel logs (`CAP_AUDIT_READ`), next to auditd if it
//! runs. The layouts follow `linux/audit.h` and `linux/netlink.h`.

use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const AUDIT_GET: u16 = 1000;
const AUDIT_SET: u16 = 1001;
/// A message from user space, which the kernel logs with this type.
pub(crate) const AUDIT_USER_MSG: u16 = 1112;
const AUDIT_STATUS_ENABLED: u32 = 0x1;
const AUDIT_STATUS_BACKLOG_LIMIT: u32 = 0x10;
const AUDIT_NLGRP_READLOG: u32 = 1;
/// The receive buffer of the multicast socket, so a burst of denials is
/// queued instead of dropped while the listener is busy.
const RECEIVE_BUFFER_BYTES: libc::c_int = 4 << 20;
const NLMSG_HEADER_LEN: usize = size_of::<libc::nlmsghdr>();

/// `struct audit_status` of `linux/audit.h`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AuditStatus {
    pub(crate) mask: u32,
    /// 0 off, 1 on, 2 on and locked until reboot.
    pub(crate) enabled: u32,
    pub(crate) failure: u32,
    /// The process id of auditd, or 0.
    pub(crate) pid: u32,
    pub(crate) rate_limit: u32,
    pub(crate) backlog_limit: u32,
    /// Records the kernel dropped since boot.
    pub(crate) lost: u32,
    pub(crate) backlog: u32,
    pub(crate) feature_bitmap: u32,
    pub(crate) backlog_wait_time: u32,
    pub(crate) backlog_wait_time_actual: u32,
}

/// One netlink message received: its type and payload.
pub(crate) struct Message {
    pub(crate) kind: u16,
    pub(crate) payload: Vec<u8>,
}

/// A `NETLINK_AUDIT` socket.
pub(crate) struct AuditSocket {
    fd: OwnedFd,
    sequence: u32,
}

impl AuditSocket {
    /// Opens a socket for requests.
    pub(crate) fn open() -> io::Result<AuditSocket> {
        // SAFETY: socket takes no pointers; the result is checked below.
        let fd = unsafe {
            libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_AUDIT)
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(AuditSocket { fd, sequence: 0 })
    }

    /// Opens a socket that receives every record the kernel logs.
    pub(crate) fn open_readlog() -> io::Result<AuditSocket> {
        let socket = AuditSocket::open()?;
        // SAFETY: sockaddr_nl is plain data, for which all zeroes is valid.
        let mut address: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        address.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        address.nl_groups = AUDIT_NLGRP_READLOG;
        // SAFETY: address is a valid sockaddr_nl of the length passed.
        let result = unsafe {
            libc::bind(
                socket.fd.as_raw_fd(),
                (&address as *const libc::sockaddr_nl).cast(),
                size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if result != 0 {
            return Err(io::Error::last_os_error());
        }

        let size = RECEIVE_BUFFER_BYTES;
        // SAFETY: the option value is a c_int of the length passed. The
        // forced variant needs CAP_NET_ADMIN, so the plain one is the fallback.
        unsafe {
            let value = (&size as *const libc::c_int).cast();
            let length = size_of::<libc::c_int>() as libc::socklen_t;
            let fd = socket.fd.as_raw_fd();
            if libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, value, length) != 0 {
                libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, value, length);
            }
        }
        Ok(socket)
    }

    pub(crate) fn raw_fd(&self) -> libc::c_int {
        self.fd.as_raw_fd()
    }

    /// Reads the audit status.
    pub(crate) fn status(&mut self) -> io::Result<AuditStatus> {
        let sequence = self.send(AUDIT_GET, &[])?;
        loop {
            for message in self.receive()? {
                if message.kind == libc::NLMSG_ERROR as u16 {
                    check_ack(&message, sequence)?;
                } else if message.kind == AUDIT_GET {
                    let mut status = AuditStatus::default();
                    let length = message.payload.len().min(size_of::<AuditStatus>());
                    // SAFETY: AuditStatus is plain u32 fields, so any bytes are
                    // valid, and at most its size is copied. A shorter reply
                    // from an older kernel leaves the later fields zero.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            message.payload.as_ptr(),
                            (&mut status as *mut AuditStatus).cast::<u8>(),
                            length,
                        );
                    }
                    return Ok(status);
                }
            }
        }
    }

    /// Sets whether auditing is enabled and, when given, the maximum number
    /// of records the kernel queues before it drops them. Waits for the
    /// kernel's acknowledgement.
    pub(crate) fn set_enabled(
        &mut self,
        enabled: u32,
        backlog_limit: Option<u32>,
    ) -> io::Result<()> {
        let mut status =
            AuditStatus { mask: AUDIT_STATUS_ENABLED, enabled, ..AuditStatus::default() };
        if let Some(limit) = backlog_limit {
            status.mask |= AUDIT_STATUS_BACKLOG_LIMIT;
            status.backlog_limit = limit;
        }
        // SAFETY: AuditStatus is repr(C) plain data without padding.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                (&status as *const AuditStatus).cast::<u8>(),
                size_of::<AuditStatus>(),
            )
        };
        let sequence = self.send(AUDIT_SET, bytes)?;
        self.wait_ack(sequence)
    }

    /// Writes `text` into the audit log as an `AUDIT_USER_MSG` record.
    pub(crate) fn send_user_message(&mut self, text: &str) -> io::Result<()> {
        let mut payload = text.as_bytes().to_vec();
        payload.push(0);
        let sequence = self.send(AUDIT_USER_MSG, &payload)?;
        self.wait_ack(sequence)
    }

    fn wait_ack(&mut self, sequence: u32) -> io::Result<()> {
        loop {
            for message in self.receive()? {
                if message.kind == libc::NLMSG_ERROR as u16 && check_ack(&message, sequence)? {
                    return Ok(());
                }
            }
        }
    }

    fn send(&mut self, kind: u16, payload: &[u8]) -> io::Result<u32> {
        self.sequence = self.sequence.wrapping_add(1);
        let length = NLMSG_HEADER_LEN + payload.len();
        let header = libc::nlmsghdr {
            nlmsg_len: length as u32,
            nlmsg_type: kind,
            nlmsg_flags: (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16,
            nlmsg_seq: self.sequence,
            nlmsg_pid: 0,
        };
        let mut buffer = Vec::with_capacity(length);
        // SAFETY: nlmsghdr is repr(C) plain data of NLMSG_HEADER_LEN bytes.
        buffer.extend_from_slice(unsafe {
            std::slice::from_raw_parts((&header as *const libc::nlmsghdr).cast(), NLMSG_HEADER_LEN)
        });
        buffer.extend_from_slice(payload);

        // SAFETY: sockaddr_nl is plain data; all zeroes addresses the kernel.
        let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: buffer and kernel are valid for the lengths passed.
        let sent = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                buffer.as_ptr().cast(),
                buffer.len(),
                0,
                (&kernel as *const libc::sockaddr_nl).cast(),
                size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(self.sequence)
    }

    /// Receives one datagram and splits it into its messages. Blocks until
    /// one arrives.
    pub(crate) fn receive(&self) -> io::Result<Vec<Message>> {
        let mut buffer = vec![0u8; 64 * 1024];
        // SAFETY: buffer is valid for writes of its length.
        let received =
            unsafe { libc::recv(self.fd.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len(), 0) };
        if received < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(split_messages(&buffer[..received as usize]))
    }
}

/// Splits a netlink datagram into messages, stopping at a malformed header.
fn split_messages(mut data: &[u8]) -> Vec<Message> {
    let mut messages = Vec::new();
    while data.len() >= NLMSG_HEADER_LEN {
        let length = u32::from_ne_bytes([data[0], data[1], data[2], data[3]]) as usize;
        let kind = u16::from_ne_bytes([data[4], data[5]]);
        if length < NLMSG_HEADER_LEN || length > data.len() {
            break;
        }
        let payload = data[NLMSG_HEADER_LEN..length].to_vec();
        messages.push(Message { kind, payload });
        let aligned = (length + 3) & !3;
        data = &data[aligned.min(data.len())..];
    }
    messages
}

/// Returns whether an `NLMSG_ERROR` message acknowledges `sequence`, or the
/// error it carries.
fn check_ack(message: &Message, sequence: u32) -> io::Result<bool> {
    let payload = &message.payload;
    if payload.len() < 4 + NLMSG_HEADER_LEN {
        return Ok(false);
    }
    let error = i32::from_ne_bytes([payload[0], payload[1], payload[2], payload[3]]);
    let acked = u32::from_ne_bytes([payload[12], payload[13], payload[14], payload[15]]);
    if acked != sequence {
        return Ok(false);
    }
    if error != 0 {
        return Err(io::Error::from_raw_os_error(-error));
    }
    Ok(true)
}
