//! SIGPIPE, which a write to a closed connection raises: a host program that has not set it
//! aside (a C program, by default) would be killed by it. otelrs's threads, which do all of
//! its network I/O, are started with SIGPIPE blocked (a thread inherits the signal mask of the
//! thread that starts it), so such a write fails with EPIPE there and the process goes on. The
//! host program's own threads keep their mask.

/// SIGPIPE blocked on the calling thread until dropped, when the thread's mask is restored.
pub(crate) struct SigpipeBlocked {
    previous: libc::sigset_t,
    /// The mask is the thread's: the guard stays on it.
    _thread: std::marker::PhantomData<*const ()>,
}

impl SigpipeBlocked {
    /// Blocks SIGPIPE on this thread: what it starts meanwhile keeps it blocked.
    pub(crate) fn new() -> Self {
        // SAFETY: sigemptyset, sigaddset and pthread_sigmask write only the sigset_t values
        // given to them, which live on this stack frame or in `previous`.
        unsafe {
            let mut previous: libc::sigset_t = std::mem::zeroed();
            let mut pipe: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut pipe);
            libc::sigaddset(&mut pipe, libc::SIGPIPE);
            libc::pthread_sigmask(libc::SIG_BLOCK, &pipe, &mut previous);
            SigpipeBlocked {
                previous,
                _thread: std::marker::PhantomData,
            }
        }
    }
}

impl Drop for SigpipeBlocked {
    fn drop(&mut self) {
        // SAFETY: restores the mask `new` saved, on the same thread (the guard is not Send).
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.previous, std::ptr::null_mut());
        }
    }
}
