//! Listening sockets passed from one process to another over a Unix socket (SCM_RIGHTS): how
//! a hub that exits gives the port to its successor without ever closing it, so that no other
//! process can take it in between.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

/// The most descriptors one hand-off carries (the hub's socket and a listener per address).
pub(crate) const MAX_FDS: usize = 8;

/// The control-message buffer for [`MAX_FDS`] descriptors, aligned as `cmsghdr` needs.
#[repr(C, align(8))]
struct ControlBuffer([u8; 128]);

fn space(fds: usize) -> usize {
    let bytes = u32::try_from(fds * std::mem::size_of::<RawFd>()).unwrap_or(u32::MAX);
    // SAFETY: CMSG_SPACE only computes a size.
    unsafe { libc::CMSG_SPACE(bytes) as usize }
}

/// A message header over one byte of `data` (through `iov`) and the `control` buffer, of
/// which `control_len` bytes are in use.
fn header(iov: &mut libc::iovec, control: &mut ControlBuffer, control_len: usize) -> libc::msghdr {
    // SAFETY: msghdr is plain data; zeroed is a valid empty value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = control_len as _;
    msg
}

/// Sends `fds` over `stream` with one byte of data (blocking).
pub(crate) fn send(stream: &UnixStream, fds: &[RawFd]) -> io::Result<()> {
    if fds.is_empty() || fds.len() > MAX_FDS || space(fds.len()) > 128 {
        return Err(io::Error::other("bad number of descriptors"));
    }
    let mut data = [1u8];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    let mut control = ControlBuffer([0; 128]);
    let msg = header(&mut iov, &mut control, space(fds.len()));
    let bytes = std::mem::size_of_val(fds);
    // SAFETY: the control buffer holds CMSG_SPACE(bytes) bytes (checked above), so the first
    // header and its data fit; the header and data pointers come from the CMSG macros over
    // that buffer, and `fds` is copied into the data area of exactly `bytes` bytes.
    unsafe {
        let header = libc::CMSG_FIRSTHDR(&msg);
        if header.is_null() {
            return Err(io::Error::other("no room for the control message"));
        }
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(bytes as u32) as _;
        std::ptr::copy_nonoverlapping(fds.as_ptr().cast::<u8>(), libc::CMSG_DATA(header), bytes);
    }
    // SAFETY: `msg` points at live buffers (`iov`, `data`, `control`) for the call.
    let sent = unsafe { libc::sendmsg(stream.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
    if sent < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Receives the descriptors [`send`] sent (blocking), in their order.
pub(crate) fn receive(stream: &UnixStream) -> io::Result<Vec<OwnedFd>> {
    let mut data = [0u8];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    let mut control = ControlBuffer([0; 128]);
    let len = control.0.len();
    let mut msg = header(&mut iov, &mut control, len);
    // SAFETY: `msg` points at live buffers for the call; MSG_CMSG_CLOEXEC marks what arrives.
    let got = unsafe { libc::recvmsg(stream.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
    if got < 0 {
        return Err(io::Error::last_os_error());
    }
    if got == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no hand-off"));
    }
    let mut out = Vec::new();
    // SAFETY: the kernel filled `control` up to msg_controllen; the CMSG macros walk only the
    // headers it wrote, and each SCM_RIGHTS header's data holds whole descriptors, which are
    // now this process's to own.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(&msg);
        while !header.is_null() {
            if (*header).cmsg_level == libc::SOL_SOCKET && (*header).cmsg_type == libc::SCM_RIGHTS {
                let bytes = (*header).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                let count = bytes / std::mem::size_of::<RawFd>();
                let first = libc::CMSG_DATA(header).cast::<RawFd>();
                for i in 0..count {
                    out.push(OwnedFd::from_raw_fd(std::ptr::read_unaligned(first.add(i))));
                }
            }
            header = libc::CMSG_NXTHDR(&msg, header);
        }
    }
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        return Err(io::Error::other("the hand-off was cut short"));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn descriptors_arrive_in_order_and_work() {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut p1, p2) = UnixStream::pair().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        send(&a, &[p2.as_raw_fd(), listener.as_raw_fd()]).unwrap();
        let fds = receive(&b).unwrap();
        assert_eq!(fds.len(), 2);
        let mut iter = fds.into_iter();
        let mut passed = UnixStream::from(iter.next().unwrap());
        let passed_listener = std::net::TcpListener::from(iter.next().unwrap());
        assert_eq!(
            passed_listener.local_addr().unwrap(),
            listener.local_addr().unwrap()
        );
        p1.write_all(b"hi").unwrap();
        let mut got = [0u8; 2];
        passed.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hi");
    }
}
